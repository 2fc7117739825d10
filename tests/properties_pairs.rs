//! Property tests for the pair and double functions: combine_by_key(_with), aggregate_by_key,
//! fold_by_key, group_by_key_with, the outer joins, flat_map_values, count_by_key, and
//! sum / stats / histogram on `Rdd<f64>`, each against a plain Rust computation, for random
//! inputs, slice and partition counts, on `local[2]` and `local-cluster[3,1,64]`; on the
//! cluster, some cases kill an executor after its N-th task (`sparklet.faults.*`), mid-job,
//! and the result must not change.
//!
//! Keys come from a small range so that they collide within and across partitions; inputs
//! are short so that many cases have more slices than elements.

mod common;

use std::collections::HashMap;

use common::{context_with, sorted};
use proptest::prelude::*;
use sparklet::prelude::*;

/// Where a case runs: the master, the slices of the input, the partition count of the
/// shuffle (`sparklet.default.parallelism`, which the default partitioner then uses), and on
/// the cluster the task of an executor after which it is killed and the scheduler step after
/// which one executor is killed (0: none).
#[derive(Clone, Debug)]
struct Setup {
    master: &'static str,
    slices: usize,
    parts: usize,
    kill_after: usize,
    kill_step: usize,
}

impl Setup {
    fn context(&self) -> SparkContext {
        let parts = self.parts.to_string();
        let kill = self.kill_after.to_string();
        let step = self.kill_step.to_string();
        let mut settings = vec![("sparklet.default.parallelism", parts.as_str())];
        if self.kill_after > 0 {
            settings.push(("sparklet.faults.killExecutorAfterTasks", kill.as_str()));
            settings.push(("sparklet.faults.maxExecutorKills", "1"));
        }
        if self.kill_step > 0 {
            settings.push(("sparklet.faults.killExecutorAtStep", step.as_str()));
        }
        context_with(self.master, &settings)
    }
}

fn setup() -> impl Strategy<Value = Setup> {
    let masters = prop::sample::select(vec!["local[2]", "local-cluster[3,1,64]"]);
    let kills = (0..=6usize, prop::sample::select(vec![0usize, 0, 6, 11, 17]));
    (masters, 1..=8usize, 1..=8usize, kills).prop_map(|(master, slices, parts, (kill, step))| {
        // Kills only where an executor can die and others take over.
        let cluster = master.starts_with("local-cluster");
        Setup {
            master,
            slices,
            parts,
            kill_after: if cluster { kill } else { 0 },
            kill_step: if cluster { step } else { 0 },
        }
    })
}

fn pairs() -> impl Strategy<Value = Vec<(i32, i32)>> {
    prop::collection::vec((-3..4i32, -100..100i32), 0..40)
}

/// The values of each key, in input order.
fn grouped(pairs: &[(i32, i32)]) -> HashMap<i32, Vec<i32>> {
    let mut m: HashMap<i32, Vec<i32>> = HashMap::new();
    for (k, v) in pairs {
        m.entry(*k).or_default().push(*v);
    }
    m
}

fn sums(pairs: &[(i32, i32)]) -> Vec<(i32, i64)> {
    let sums = grouped(pairs)
        .into_iter()
        .map(|(k, vs)| (k, vs.iter().map(|&v| i64::from(v)).sum()));
    sorted(sums.collect())
}

/// Asserts that `rdd` is partitioned by a partitioner of `parts` partitions and that every
/// record lies in its key's partition.
fn assert_partitioned<V: Data>(rdd: &Rdd<(i32, V)>, parts: usize) {
    let p = rdd.partitioner().expect("a partitioner");
    assert_eq!((p.num_partitions(), rdd.num_partitions()), (parts, parts));
    for (i, part) in rdd.glom().collect().unwrap().iter().enumerate() {
        for (k, _) in part {
            assert_eq!(p.get_partition(k), i, "key {k} in partition {i}");
        }
    }
}

fn check_combining(s: &Setup, data: Vec<(i32, i32)>, map_side: bool, narrow: bool) {
    let sc = s.context();
    let mut input = sc.parallelize(data.clone(), s.slices).map_values(i64::from);
    if narrow {
        input = input.partition_by(Partitioner::hash(s.parts));
    }
    let want = sums(&data);
    let combined = input.combine_by_key_with(
        |v| v,
        |c, v| c + v,
        |a, b| a + b,
        Partitioner::hash(s.parts),
        map_side,
    );
    assert_partitioned(&combined, s.parts);
    assert_eq!(
        sorted(combined.collect().unwrap()),
        want,
        "combine_by_key_with {s:?}"
    );
    let by_default = input.combine_by_key(|v| v, |c, v| c + v, |a, b| a + b);
    assert_eq!(
        sorted(by_default.collect().unwrap()),
        want,
        "combine_by_key {s:?}"
    );
    let folded = input.fold_by_key(0, |a, b| a + b);
    assert_partitioned(&folded, s.parts);
    assert_eq!(sorted(folded.collect().unwrap()), want, "fold_by_key {s:?}");
    // aggregateByKey into (sum, count): the zero is counted once per key and partition, so
    // the count is checked through the sum only, and the lists through sorted contents.
    let aggregated = input.aggregate_by_key(
        Vec::new(),
        |mut acc, v| {
            acc.push(v);
            acc
        },
        |mut a, mut b| {
            a.append(&mut b);
            a
        },
    );
    let want_lists: Vec<(i32, Vec<i64>)> = sorted(
        grouped(&data)
            .into_iter()
            .map(|(k, vs)| (k, sorted(vs.into_iter().map(i64::from).collect())))
            .collect(),
    );
    let got_lists: Vec<(i32, Vec<i64>)> = aggregated
        .collect()
        .unwrap()
        .into_iter()
        .map(|(k, vs)| (k, sorted(vs)))
        .collect();
    assert_eq!(sorted(got_lists), want_lists, "aggregate_by_key {s:?}");
    let counts = input.count_by_key().unwrap();
    let want_counts: HashMap<i32, u64> = grouped(&data)
        .into_iter()
        .map(|(k, vs)| (k, vs.len() as u64))
        .collect();
    assert_eq!(counts, want_counts, "count_by_key {s:?}");
    sc.stop();
}

fn check_grouping(s: &Setup, data: Vec<(i32, i32)>) {
    let sc = s.context();
    let input = sc.parallelize(data.clone(), s.slices);
    let groups = input.group_by_key_with(Partitioner::hash(s.parts));
    assert_partitioned(&groups, s.parts);
    let got: Vec<(i32, Vec<i32>)> = groups
        .collect()
        .unwrap()
        .into_iter()
        .map(|(k, vs)| (k, sorted(vs)))
        .collect();
    let want: Vec<(i32, Vec<i32>)> = sorted(
        grouped(&data)
            .into_iter()
            .map(|(k, vs)| (k, sorted(vs)))
            .collect(),
    );
    assert_eq!(sorted(got), want, "{s:?}");

    let expanded = groups.flat_map_values(|vs| vs.into_iter().map(|v| v * 2));
    assert_eq!(expanded.partitioner(), Some(Partitioner::hash(s.parts)));
    let want: Vec<(i32, i32)> = sorted(data.iter().map(|&(k, v)| (k, v * 2)).collect());
    assert_eq!(
        sorted(expanded.collect().unwrap()),
        want,
        "flat_map_values {s:?}"
    );
    sc.stop();
}

type Outer = (Option<i32>, Option<String>);

/// The plain full outer join of two lists of pairs.
fn full_outer(left: &[(i32, i32)], right: &[(i32, String)]) -> Vec<(i32, Outer)> {
    let mut out = Vec::new();
    let mut keys: Vec<i32> = left
        .iter()
        .map(|p| p.0)
        .chain(right.iter().map(|p| p.0))
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let vs: Vec<i32> = left.iter().filter(|p| p.0 == k).map(|p| p.1).collect();
        let ws: Vec<String> = right
            .iter()
            .filter(|p| p.0 == k)
            .map(|p| p.1.clone())
            .collect();
        match (vs.is_empty(), ws.is_empty()) {
            (false, true) => out.extend(vs.iter().map(|&v| (k, (Some(v), None)))),
            (true, false) => out.extend(ws.iter().map(|w| (k, (None, Some(w.clone()))))),
            _ => {
                for &v in &vs {
                    out.extend(ws.iter().map(|w| (k, (Some(v), Some(w.clone())))));
                }
            }
        }
    }
    sorted(out)
}

fn check_outer_joins(s: &Setup, left: Vec<(i32, i32)>, right: Vec<(i32, i32)>, narrow: bool) {
    let sc = s.context();
    let right: Vec<(i32, String)> = right
        .into_iter()
        .map(|(k, v)| (k, format!("w{v}")))
        .collect();
    let mut l = sc.parallelize(left.clone(), s.slices);
    if narrow {
        l = l.partition_by(Partitioner::hash(s.parts));
    }
    let r = sc.parallelize(right.clone(), 1 + (s.slices * 3) % 8);
    let full = full_outer(&left, &right);

    let got = l.full_outer_join(&r);
    assert_partitioned(&got, s.parts);
    assert_eq!(sorted(got.collect().unwrap()), full, "full {s:?}");

    let want_left: Vec<(i32, (i32, Option<String>))> = full
        .iter()
        .filter_map(|(k, (v, w))| v.map(|v| (*k, (v, w.clone()))))
        .collect();
    let got = l.left_outer_join(&r).collect().unwrap();
    assert_eq!(sorted(got), sorted(want_left), "left {s:?}");

    let want_right: Vec<(i32, (Option<i32>, String))> = full
        .iter()
        .filter_map(|(k, (v, w))| w.clone().map(|w| (*k, (*v, w))))
        .collect();
    let got = l.right_outer_join(&r).collect().unwrap();
    assert_eq!(sorted(got), sorted(want_right), "right {s:?}");
    sc.stop();
}

/// Spark's histogram edges for a range, computed as `DoubleRDDFunctions.histogram` does.
fn edges(min: f64, max: f64, count: usize) -> Vec<f64> {
    if min == max {
        return vec![min, min];
    }
    let mut e: Vec<f64> = (0..count)
        .map(|s| min + (s as f64 * (max - min)) / count as f64)
        .collect();
    e.push(max);
    e
}

fn check_doubles(s: &Setup, ints: Vec<i32>, bucket_count: usize) {
    let sc = s.context();
    let values: Vec<f64> = ints.iter().map(|&i| f64::from(i)).collect();
    let rdd = sc.parallelize(values.clone(), s.slices);
    // Small integers: every partial sum is exact, whatever the partitioning.
    assert_eq!(rdd.sum().unwrap(), values.iter().sum::<f64>(), "{s:?}");
    let stats = rdd.stats().unwrap();
    assert_eq!(stats.count(), values.len() as u64);
    if values.is_empty() {
        assert!(rdd.histogram(bucket_count).is_err());
        sc.stop();
        return;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    assert!((stats.mean() - mean).abs() < 1e-9, "{s:?}");
    assert!((stats.variance() - var).abs() < 1e-6, "{s:?}");
    let max = values.iter().copied().fold(f64::MIN, f64::max);
    let min = values.iter().copied().fold(f64::MAX, f64::min);
    assert_eq!((stats.max(), stats.min()), (max, min));

    let (got_edges, got_counts) = rdd.histogram(bucket_count).unwrap();
    let want_edges = edges(min, max, bucket_count);
    assert_eq!(got_edges, want_edges, "{s:?}");
    // histogram(count) places a value by Spark's ratio rule, the maximum in the last bucket.
    let slots = want_edges.len() - 1;
    let mut want = vec![0u64; slots];
    for v in &values {
        let ratio = if max == min {
            0.0
        } else {
            (v - min) / (max - min)
        };
        want[((ratio * slots as f64) as usize).min(slots - 1)] += 1;
    }
    assert_eq!(got_counts, want, "{s:?}");
    // histogram_with(edges): [e_i, e_i+1), the last closed, by comparing with the edges.
    let mut want = vec![0u64; slots];
    for v in &values {
        let i = (0..slots - 1)
            .find(|&i| *v >= want_edges[i] && *v < want_edges[i + 1])
            .unwrap_or(slots - 1);
        want[i] += 1;
    }
    assert_eq!(rdd.histogram_with(&want_edges).unwrap(), want, "{s:?}");
    sc.stop();
}

/// The kill settings of the properties do kill mid-job: on the cluster, an executor dies
/// right after the scheduler's 10th event (inside the outer join's map stages, whose job
/// posts some forty events), and the join still equals the plain one.
#[test]
fn an_executor_killed_mid_join_does_not_change_the_result() {
    let s = Setup {
        master: "local-cluster[3,1,64]",
        slices: 6,
        parts: 4,
        kill_after: 0,
        kill_step: 10,
    };
    let sc = s.context();
    let log = EventLog::attach(&sc);
    let left: Vec<(i32, i32)> = (0..60).map(|i| (i % 7, i)).collect();
    let right: Vec<(i32, String)> = (0..30).map(|i| (i % 9, format!("w{i}"))).collect();
    let joined = sc
        .parallelize(left.clone(), s.slices)
        .full_outer_join(&sc.parallelize(right.clone(), 5));
    assert_eq!(sorted(joined.collect().unwrap()), full_outer(&left, &right));
    let removed = log
        .events()
        .iter()
        .filter(|e| matches!(e, SparkListenerEvent::ExecutorRemoved { .. }))
        .count();
    assert_eq!(removed, 1);
    sc.stop();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn combining_operations_equal_a_hash_map_computation(
        s in setup(), data in pairs(), map_side in any::<bool>(), narrow in any::<bool>()
    ) {
        check_combining(&s, data, map_side, narrow);
    }

    #[test]
    fn group_by_key_with_and_flat_map_values_equal_a_grouping(s in setup(), data in pairs()) {
        check_grouping(&s, data);
    }

    #[test]
    fn outer_joins_equal_a_plain_join(
        s in setup(), l in pairs(), r in pairs(), narrow in any::<bool>()
    ) {
        check_outer_joins(&s, l, r, narrow);
    }

    #[test]
    fn sum_stats_and_histogram_equal_a_plain_computation(
        s in setup(),
        ints in prop::collection::vec(-50..50i32, 0..60),
        bucket_count in 1..12usize,
    ) {
        check_doubles(&s, ints, bucket_count);
    }
}
