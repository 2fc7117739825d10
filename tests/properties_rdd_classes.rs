//! Property tests: coalesce, repartition, cartesian, zip, zip_with_index, zip_with_unique_id,
//! sample, random_split, take_sample, distinct, subtract, subtract_by_key, intersection and
//! group_by each give what a plain Rust computation over the same input gives, for random
//! inputs, slice and partition counts, on `local[2]` and `local-cluster[3,1,64]`; on some
//! cases an executor is killed mid-job (after its N-th task), which must change nothing — in
//! particular a sample recomputed after the loss keeps the same elements.

mod common;

use std::collections::{HashMap, HashSet};

use common::{context_with, sorted};
use proptest::prelude::*;
use sparklet::prelude::*;

const MASTERS: [&str; 2] = ["local[2]", "local-cluster[3,1,64]"];

/// Where a case runs: the master, the slices of `parallelize`, a target partition count, and
/// after how many tasks an executor is killed (0: never).
#[derive(Clone, Debug)]
struct Setup {
    master: &'static str,
    slices: usize,
    parts: usize,
    kill_after: usize,
}

impl Setup {
    fn context(&self) -> SparkContext {
        let kill = self.kill_after.to_string();
        context_with(
            self.master,
            &[
                ("sparklet.faults.killExecutorAfterTasks", kill.as_str()),
                ("sparklet.faults.maxExecutorKills", "1"),
            ],
        )
    }
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        prop::sample::select(&MASTERS[..]),
        1..=6usize,
        1..=6usize,
        prop_oneof![Just(0usize), 1..4usize],
    )
        .prop_map(|(master, slices, parts, kill_after)| Setup {
            master,
            slices,
            parts,
            kill_after,
        })
}

fn ints() -> impl Strategy<Value = Vec<i32>> {
    prop::collection::vec(-5..15i32, 0..40)
}

fn check_coalesce_and_repartition(s: &Setup, data: Vec<i32>) {
    let sc = s.context();
    let log = EventLog::attach(&sc);
    let rdd = sc.parallelize(data.clone(), s.slices);
    let coalesced = rdd.coalesce(s.parts, false);
    assert_eq!(coalesced.num_partitions(), s.parts.min(s.slices), "{s:?}");
    // Without a shuffle the order is kept: partitions are ranges of the parent's.
    assert_eq!(coalesced.collect().unwrap(), data, "{s:?}");
    for shuffled in [rdd.repartition(s.parts), rdd.coalesce(s.parts, true)] {
        assert_eq!(shuffled.num_partitions(), s.parts, "{s:?}");
        assert_eq!(
            sorted(shuffled.collect().unwrap()),
            sorted(data.clone()),
            "{s:?}"
        );
    }
    // Without the kill rule no executor is lost; with it at most one (whether its loss is
    // posted before the last job returns depends on which task the kill follows).
    let removed = log
        .events()
        .iter()
        .filter(|e| matches!(e, SparkListenerEvent::ExecutorRemoved { .. }))
        .count();
    match s.kill_after {
        0 => assert_eq!(removed, 0, "{s:?}"),
        _ => assert!(removed <= 1, "{s:?}"),
    }
    sc.stop();
}

fn check_cartesian_and_zip(s: &Setup, a: Vec<i32>, b: Vec<i32>) {
    let sc = s.context();
    let ra = sc.parallelize(a.clone(), s.slices);
    let rb = sc.parallelize(b.clone(), s.parts);
    let mut want = Vec::new();
    for x in &a {
        for y in &b {
            want.push((*x, *y));
        }
    }
    let product = ra.cartesian(&rb);
    assert_eq!(product.num_partitions(), s.slices * s.parts);
    assert_eq!(sorted(product.collect().unwrap()), sorted(want), "{s:?}");

    let zipped = ra.zip(&ra.map(|x| i64::from(x) * 3));
    let want: Vec<(i32, i64)> = a.iter().map(|x| (*x, i64::from(*x) * 3)).collect();
    assert_eq!(zipped.collect().unwrap(), want, "{s:?}");

    let indexed = ra.zip_with_index().collect().unwrap();
    let want: Vec<(i32, u64)> = a.iter().copied().zip(0u64..).collect();
    assert_eq!(indexed, want, "{s:?}");

    let ids = ra.zip_with_unique_id().collect().unwrap();
    assert_eq!(ids.iter().map(|(x, _)| *x).collect::<Vec<_>>(), a);
    let unique: HashSet<u64> = ids.iter().map(|(_, id)| *id).collect();
    assert_eq!(unique.len(), a.len(), "{s:?}");
    sc.stop();
}

/// The elements a sample of `data` may keep: a subsequence (order kept) without replacement.
fn is_subsequence(sample: &[i32], data: &[i32]) -> bool {
    let mut it = data.iter();
    sample.iter().all(|x| it.any(|y| y == x))
}

fn check_sampling(s: &Setup, data: Vec<i32>, fraction: f64, seed: u64) {
    // The reference: the same sample on a context without faults.
    let plain = context_with("local[2]", &[]);
    let reference = plain.parallelize(data.clone(), s.slices);
    let want_bernoulli = reference.sample(false, fraction, seed).collect().unwrap();
    let want_poisson = reference
        .sample(true, fraction * 2.0, seed)
        .collect()
        .unwrap();
    let want_take = reference.take_sample(false, 7, seed).unwrap();
    plain.stop();

    let sc = s.context();
    let rdd = sc.parallelize(data.clone(), s.slices);
    let bernoulli = rdd.sample(false, fraction, seed).collect().unwrap();
    assert!(is_subsequence(&bernoulli, &data), "{s:?}");
    assert_eq!(
        bernoulli, want_bernoulli,
        "a recomputed sample keeps its elements; {s:?}"
    );
    let poisson = rdd.sample(true, fraction * 2.0, seed).collect().unwrap();
    assert_eq!(poisson, want_poisson, "{s:?}");
    let mut counts: HashMap<i32, usize> = HashMap::new();
    for x in &poisson {
        *counts.entry(*x).or_default() += 1;
    }
    assert!(counts.keys().all(|k| data.contains(k)));

    let splits = rdd.random_split(&[1.0, 2.0, fraction + 0.1], seed);
    let all: Vec<i32> = splits.iter().flat_map(|r| r.collect().unwrap()).collect();
    assert_eq!(
        sorted(all),
        sorted(data.clone()),
        "every element in one split; {s:?}"
    );

    let taken = rdd.take_sample(false, 7, seed).unwrap();
    assert_eq!(taken.len(), data.len().min(7), "{s:?}");
    assert_eq!(taken, want_take, "{s:?}");
    let mut left = data.clone();
    for x in &taken {
        let at = left
            .iter()
            .position(|y| y == x)
            .expect("a sampled element is an input");
        left.swap_remove(at);
    }
    sc.stop();
}

fn check_set_operations(s: &Setup, a: Vec<i32>, b: Vec<i32>) {
    let sc = s.context();
    let ra = sc.parallelize(a.clone(), s.slices);
    let rb = sc.parallelize(b.clone(), s.parts);
    let set_a: HashSet<i32> = a.iter().copied().collect();
    let set_b: HashSet<i32> = b.iter().copied().collect();

    let distinct = ra.distinct_with(s.parts);
    assert_eq!(distinct.num_partitions(), s.parts);
    assert_eq!(
        sorted(distinct.collect().unwrap()),
        sorted(set_a.iter().copied().collect())
    );
    let partitioned = ra.map(|x| (x, ())).partition_by(Partitioner::hash(s.parts));
    let narrow = partitioned.distinct();
    assert_eq!(
        sorted(narrow.keys().collect().unwrap()),
        sorted(set_a.iter().copied().collect()),
        "{s:?}"
    );

    let subtracted = ra.subtract(&rb);
    assert_eq!(subtracted.num_partitions(), s.slices);
    let want: Vec<i32> = a.iter().copied().filter(|x| !set_b.contains(x)).collect();
    assert_eq!(sorted(subtracted.collect().unwrap()), sorted(want), "{s:?}");

    let pairs_a = ra.map(|x| (x % 4, x));
    let pairs_b = rb.map(|x| (x % 7, x));
    let keys_b: HashSet<i32> = b.iter().map(|x| x % 7).collect();
    let want: Vec<(i32, i32)> = a
        .iter()
        .map(|x| (x % 4, *x))
        .filter(|(k, _)| !keys_b.contains(k))
        .collect();
    let by_key = pairs_a.subtract_by_key(&pairs_b);
    assert_eq!(
        sorted(by_key.collect().unwrap()),
        sorted(want.clone()),
        "{s:?}"
    );
    let narrow = pairs_a
        .partition_by(Partitioner::hash(s.parts))
        .subtract_by_key(&pairs_b);
    assert!(!narrow.dependencies()[0].is_shuffle());
    assert_eq!(sorted(narrow.collect().unwrap()), sorted(want), "{s:?}");

    let both: Vec<i32> = set_a.intersection(&set_b).copied().collect();
    assert_eq!(
        sorted(ra.intersection(&rb).collect().unwrap()),
        sorted(both),
        "{s:?}"
    );

    let mut want: HashMap<i32, Vec<i32>> = HashMap::new();
    for x in &a {
        want.entry(x.rem_euclid(3)).or_default().push(*x);
    }
    let got: Vec<(i32, Vec<i32>)> = ra
        .group_by(|x| x.rem_euclid(3))
        .collect()
        .unwrap()
        .into_iter()
        .map(|(k, vs)| (k, sorted(vs)))
        .collect();
    let want: Vec<(i32, Vec<i32>)> = want.into_iter().map(|(k, vs)| (k, sorted(vs))).collect();
    assert_eq!(sorted(got), sorted(want), "{s:?}");
    sc.stop();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn coalesce_and_repartition_keep_every_element(s in setup(), data in ints()) {
        check_coalesce_and_repartition(&s, data);
    }

    #[test]
    fn cartesian_and_zips_equal_nested_loops_and_enumerate(
        s in setup(), a in ints(), b in prop::collection::vec(0..5i32, 0..8)
    ) {
        check_cartesian_and_zip(&s, a, b);
    }

    #[test]
    fn samples_are_deterministic_per_seed_and_survive_a_lost_executor(
        s in setup(), data in ints(), fraction in 0.0..1.0f64, seed in any::<u64>()
    ) {
        check_sampling(&s, data, fraction, seed);
    }

    #[test]
    fn set_operations_equal_hash_set_computations(s in setup(), a in ints(), b in ints()) {
        check_set_operations(&s, a, b);
    }
}
