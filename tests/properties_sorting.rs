//! Property tests: the sorting operations (`sort_by_key`, `sort_by`,
//! `repartition_and_sort_within_partitions`) and the ordered actions (`top`, `take_ordered`,
//! `max`, `min`, `lookup`) give what a plain Rust computation gives, for random inputs, slice
//! and partition counts, on `local[2]` and `local-cluster[3,1,64]`, and with tasks failing and
//! executors killed mid-job.
//!
//! Keys come from a small range so that they repeat within and across partitions: the sorts
//! are stable within a partition and partitions are read in map order, so the expected result
//! is Rust's stable sort of the input in partition order.

mod common;

use common::{context, context_with, sorted};
use proptest::prelude::*;
use sparklet::prelude::*;

const MASTERS: [&str; 2] = ["local[2]", "local-cluster[3,1,64]"];

#[derive(Clone, Debug)]
struct Setup {
    master: &'static str,
    slices: usize,
    parts: usize,
}

fn setup() -> impl Strategy<Value = Setup> {
    (prop::sample::select(&MASTERS[..]), 1..=6usize, 1..=6usize).prop_map(
        |(master, slices, parts)| Setup {
            master,
            slices,
            parts,
        },
    )
}

fn pairs() -> impl Strategy<Value = Vec<(i32, i32)>> {
    prop::collection::vec((-5..6i32, -100..100i32), 0..60)
}

/// The stable sort of `data` by key, ascending or descending.
fn stable_sort(mut data: Vec<(i32, i32)>, ascending: bool) -> Vec<(i32, i32)> {
    if ascending {
        data.sort_by_key(|p| p.0);
    } else {
        data.sort_by_key(|p| std::cmp::Reverse(p.0));
    }
    data
}

/// `sort_by_key` equals the stable sort; every partition holds one contiguous range of keys
/// and its keys are where the range partitioner puts them.
fn check_sort_by_key(sc: &SparkContext, s: &Setup, data: &[(i32, i32)], ascending: bool) {
    let rdd = sc
        .parallelize(data.to_vec(), s.slices)
        .sort_by_key(ascending, s.parts);
    let parts = rdd.glom().collect().unwrap();
    assert!(rdd.num_partitions() <= s.parts.max(1), "{s:?}");
    let p = rdd.partitioner().expect("range partitioner");
    for (i, part) in parts.iter().enumerate() {
        for (k, _) in part {
            assert_eq!(p.get_partition(k), i, "key {k} in partition {i}, {s:?}");
        }
    }
    assert_eq!(
        parts.concat(),
        stable_sort(data.to_vec(), ascending),
        "{s:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn sort_by_key_is_a_stable_sort(s in setup(), data in pairs(), ascending in any::<bool>()) {
        let sc = context(s.master);
        check_sort_by_key(&sc, &s, &data, ascending);
        sc.stop();
    }

    #[test]
    fn sort_by_is_a_stable_sort_by_the_function(
        s in setup(),
        data in prop::collection::vec(-50..50i32, 0..60),
        ascending in any::<bool>(),
    ) {
        let sc = context(s.master);
        let key = |x: &i32| x.rem_euclid(7);
        let got = sc.parallelize(data.clone(), s.slices)
            .sort_by(key, ascending, s.parts)
            .collect()
            .unwrap();
        let mut want = data;
        if ascending {
            want.sort_by_key(key);
        } else {
            want.sort_by_key(|x| std::cmp::Reverse(key(x)));
        }
        prop_assert_eq!(got, want);
        sc.stop();
    }

    #[test]
    fn repartition_and_sort_within_partitions_sorts_each_hash_partition(
        s in setup(),
        data in pairs(),
    ) {
        let sc = context(s.master);
        let input = sc.parallelize(data.clone(), s.slices);
        let p = Partitioner::hash(s.parts);
        let got = input.repartition_and_sort_within_partitions(p.clone()).glom().collect().unwrap();
        prop_assert_eq!(got.len(), s.parts);
        for (i, part) in got.iter().enumerate() {
            let mine: Vec<(i32, i32)> =
                data.iter().filter(|(k, _)| p.get_partition(k) == i).cloned().collect();
            prop_assert_eq!(part, &stable_sort(mine, true));
        }
        sc.stop();
    }

    #[test]
    fn ordered_actions_equal_sorting_the_vector(
        s in setup(),
        data in prop::collection::vec(-20..20i32, 0..60),
        n in 0..12usize,
    ) {
        let sc = context(s.master);
        let rdd = sc.parallelize(data.clone(), s.slices);
        let ascending = sorted(data.clone());
        let mut descending = ascending.clone();
        descending.reverse();
        prop_assert_eq!(rdd.take_ordered(n).unwrap(), ascending.iter().take(n).cloned().collect::<Vec<_>>());
        prop_assert_eq!(rdd.top(n).unwrap(), descending.iter().take(n).cloned().collect::<Vec<_>>());
        prop_assert_eq!(rdd.max().unwrap(), data.iter().max().cloned());
        prop_assert_eq!(rdd.min().unwrap(), data.iter().min().cloned());
        sc.stop();
    }

    #[test]
    fn lookup_equals_filtering_the_vector(s in setup(), data in pairs(), key in -6..7i32) {
        let sc = context(s.master);
        let want: Vec<i32> = data.iter().filter(|(k, _)| *k == key).map(|(_, v)| *v).collect();
        let rdd = sc.parallelize(data, s.slices);
        prop_assert_eq!(rdd.lookup(&key).unwrap(), want.clone());
        // Partitioned: the values of the key's partition, in map order.
        let hashed = rdd.partition_by(Partitioner::hash(s.parts));
        prop_assert_eq!(hashed.lookup(&key).unwrap(), want.clone());
        let ranged = rdd.sort_by_key(true, s.parts);
        prop_assert_eq!(ranged.lookup(&key).unwrap(), want);
        sc.stop();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// With random task failures and executors killed mid-job, the sorts give exactly the
    /// fault-free answer.
    #[test]
    fn faults_never_change_a_sort(
        seed in 0u64..1_000_000,
        data in pairs(),
        slices in 1..6usize,
        parts in 1..6usize,
        kill_after in 1usize..6,
        ascending in any::<bool>(),
    ) {
        let seed = seed.to_string();
        let kill_after = kill_after.to_string();
        let sc = context_with("local-cluster[3,1,64]", &[
            ("sparklet.faults.seed", seed.as_str()),
            ("sparklet.faults.taskFailureRate", "0.2"),
            ("sparklet.faults.killExecutorAfterTasks", kill_after.as_str()),
            ("sparklet.faults.maxExecutorKills", "2"),
        ]);
        let s = Setup { master: "local-cluster[3,1,64]", slices, parts };
        check_sort_by_key(&sc, &s, &data, ascending);
        let p = Partitioner::hash(parts);
        let resorted = sc.parallelize(data.clone(), slices)
            .repartition_and_sort_within_partitions(p.clone())
            .glom()
            .collect()
            .unwrap();
        for (i, part) in resorted.iter().enumerate() {
            let mine: Vec<(i32, i32)> =
                data.iter().filter(|(k, _)| p.get_partition(k) == i).cloned().collect();
            prop_assert_eq!(part, &stable_sort(mine, true));
        }
        let values: Vec<i32> = data.iter().map(|(_, v)| *v).collect();
        let top = sc.parallelize(values.clone(), slices).top(3).unwrap();
        let mut want = sorted(values);
        want.reverse();
        want.truncate(3);
        prop_assert_eq!(top, want);
        sc.stop();
    }
}
