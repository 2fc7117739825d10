//! Partitioners: Spark's PartitioningSuite (hash and range partitioners: equality, bounds,
//! `getPartition`, the sampling jobs, partitioner preservation), custom partitioners, and how
//! a range partitioner meets checkpoints.
//!
//! Spark's suite uses `Double` keys with `java.util.Random`; here keys are `u64` (Rust's
//! `f64` is not `Ord`) drawn from a seeded xorshift, and the data sets of the two sampling-job
//! cases are ten times smaller (the ratios that decide re-sampling are the same).

mod common;

use std::collections::HashMap;

use common::context;
use sparklet::prelude::*;

/// Spark: PartitioningSuite "HashPartitioner equality"
#[test]
fn hash_partitioner_equality() {
    let (p2, p4, another_p4) = (
        Partitioner::hash(2),
        Partitioner::hash(4),
        Partitioner::hash(4),
    );
    assert_eq!(p2, p2);
    assert_eq!(p4, p4);
    assert_ne!(p2, p4);
    assert_ne!(p4, p2);
    assert_eq!(p4, another_p4);
    assert_eq!(another_p4, p4);
}

/// Spark: PartitioningSuite "RangePartitioner equality"
#[test]
fn range_partitioner_equality() {
    let sc = context("local[2]");
    // All elements equal: the bounds are deterministically the same.
    let rdd = sc.parallelize(vec![1, 1, 1, 1], 2).map(|x| (x, x));
    let p2 = Partitioner::range(2, &rdd, true).unwrap();
    let p4 = Partitioner::range(4, &rdd, true).unwrap();
    let another_p4 = Partitioner::range(4, &rdd, true).unwrap();
    let descending_p2 = Partitioner::range(2, &rdd, false).unwrap();
    let descending_p4 = Partitioner::range(4, &rdd, false).unwrap();
    assert_eq!(p2, p2);
    assert_eq!(p4, p4);
    assert_eq!(p2, p4);
    assert_eq!(p4, another_p4);
    assert_eq!(another_p4, p4);
    assert_eq!(descending_p2, descending_p2);
    assert_eq!(descending_p4, descending_p4);
    assert_eq!(descending_p2, descending_p4);
    assert_ne!(p2, descending_p2);
    assert_ne!(p4, descending_p4);
    assert_ne!(descending_p2, p2);
    assert_ne!(descending_p4, p4);
    assert_eq!(p2.range_bounds::<i32>(), Some(vec![1]));
    // Bounds of another key type are another partitioner.
    let strings = sc.parallelize(vec!["1".to_string(); 4], 2).map(|x| (x, ()));
    assert_ne!(Partitioner::range(2, &strings, true).unwrap(), p2);
}

/// Spark: PartitioningSuite "RangePartitioner getPartition"
#[test]
fn range_partitioner_get_partition() {
    let sc = context("local[2]");
    let rdd = sc.parallelize((1..=2000).collect(), 2).map(|x: i32| (x, x));
    // Up to 128 bounds a linear walk decides the partition, above a binary search.
    for num_partitions in [1, 2, 10, 100, 500, 1000, 1500] {
        let p = Partitioner::range(num_partitions, &rdd, true).unwrap();
        let bounds = p.range_bounds::<i32>().unwrap();
        assert_eq!(p.num_partitions(), bounds.len() + 1);
        for element in 1..=1000 {
            let partition = p.get_partition(&element);
            if num_partitions > 1 {
                if partition < bounds.len() {
                    assert!(element <= bounds[partition], "{element} in {partition}");
                }
                if partition > 0 {
                    assert!(element > bounds[partition - 1], "{element} in {partition}");
                }
            } else {
                assert_eq!(partition, 0);
            }
        }
    }
}

/// A key with an order but no `Hash` (Spark's `Item` with an implicit `Ordering`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Item(i32);

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Item) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Item {
    fn cmp(&self, other: &Item) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// Spark: PartitioningSuite "RangePartitioner for keys that are not Comparable (but with
/// Ordering)" — keys that are `Ord` but not `Hash`; `getPartition` is exercised through the
/// sort's shuffle, since the public `get_partition` takes hashable keys.
#[test]
fn range_partitioner_for_keys_that_are_only_ord() {
    let sc = context("local[2]");
    let rdd = sc
        .parallelize((1..=4500).rev().collect(), 2)
        .map(|x: i32| (Item(x), Item(x)));
    let p = Partitioner::range(1500, &rdd, true).unwrap();
    assert!(
        p.num_partitions() > 128,
        "binary search: {}",
        p.num_partitions()
    );
    let sorted = rdd.sort_by_key(true, 1500);
    assert_eq!(sorted.partitioner(), Some(p));
    let keys: Vec<i32> = sorted.map(|(k, _)| k.0).collect().unwrap();
    assert_eq!(keys, (1..=4500).collect::<Vec<_>>());
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Spark's `makeRDD(0 until 20, 20).flatMap(i => fill(size(i))((random + i, i)))`, cached:
/// partition i holds `size(i)` keys in `[i·10⁶, (i+1)·10⁶)`.
fn skewed(sc: &SparkContext, size: fn(u64) -> u64) -> Rdd<(u64, u64)> {
    sc.parallelize((0..20u64).collect(), 20)
        .flat_map(move |i| {
            let mut rng = XorShift(i + 1);
            (0..size(i))
                .map(|_| (i * 1_000_000 + rng.next() % 1_000_000, i))
                .collect::<Vec<_>>()
        })
        .cache()
        .unwrap()
}

/// Keys per partition of `p`, for every key of `rdd` (Spark's `countByValue` of
/// `getPartition`).
fn partition_counts(rdd: &Rdd<(u64, u64)>, p: &Partitioner) -> Vec<u64> {
    let q = p.clone();
    let parts = rdd
        .keys()
        .map(move |k| q.get_partition(&k))
        .collect()
        .unwrap();
    let mut counts: HashMap<usize, u64> = HashMap::new();
    for part in parts {
        *counts.entry(part).or_default() += 1;
    }
    counts.into_values().collect()
}

/// Spark: PartitioningSuite "RangePartitioner should run only one job if data is roughly
/// balanced"
#[test]
fn range_partitioner_runs_one_job_on_roughly_balanced_data() {
    let sc = context("local[2]");
    let rdd = skewed(&sc, |i| 500 * i);
    rdd.count().unwrap();
    let log = EventLog::attach(&sc);
    for num_partitions in [10, 20, 40] {
        log.clear();
        let p = Partitioner::range(num_partitions, &rdd, true).unwrap();
        assert_eq!(
            log.jobs().len(),
            1,
            "{num_partitions} partitions: one sketch job"
        );
        assert_eq!(p.num_partitions(), num_partitions);
        let counts = partition_counts(&rdd, &p);
        let (max, min) = (counts.iter().max().unwrap(), counts.iter().min().unwrap());
        assert!((*max as f64) < 3.0 * *min as f64, "{counts:?}");
    }
}

/// Spark: PartitioningSuite "RangePartitioner should work well on unbalanced data" (and the
/// re-sampling is a second job, over the imbalanced partitions only).
#[test]
fn range_partitioner_resamples_unbalanced_data() {
    let sc = context("local[2]");
    let rdd = skewed(&sc, |i| 2 * i * i * i);
    rdd.count().unwrap();
    let log = EventLog::attach(&sc);
    for num_partitions in [2, 4, 8] {
        log.clear();
        let p = Partitioner::range(num_partitions, &rdd, true).unwrap();
        assert_eq!(
            log.jobs().len(),
            2,
            "{num_partitions}: sketch, then re-sample"
        );
        let resampled: Vec<usize> = log
            .task_ends()
            .into_iter()
            .filter(|(stage, ..)| *stage == last_stage(&log))
            .map(|(_, partition, ..)| partition)
            .collect();
        assert!(
            !resampled.is_empty() && resampled.len() < 20,
            "{resampled:?}"
        );
        assert!(
            resampled.contains(&19),
            "the largest partition is re-sampled"
        );
        assert_eq!(p.num_partitions(), num_partitions);
        let counts = partition_counts(&rdd, &p);
        let (max, min) = (counts.iter().max().unwrap(), counts.iter().min().unwrap());
        assert!((*max as f64) < 3.0 * *min as f64, "{counts:?}");
    }
}

fn last_stage(log: &EventLog) -> usize {
    log.task_ends().iter().map(|t| t.0).max().unwrap_or(0)
}

/// Spark: PartitioningSuite "RangePartitioner should return a single partition for empty
/// RDDs"
#[test]
fn range_partitioner_of_an_empty_rdd_has_one_partition() {
    let sc = context("local[2]");
    let empty1 = sc.empty_rdd::<(i32, f32)>();
    assert_eq!(
        Partitioner::range(0, &empty1, true)
            .unwrap()
            .num_partitions(),
        1
    );
    let empty2 = sc
        .parallelize(vec![0, 1], 2)
        .flat_map(|_| Vec::<(i32, f32)>::new());
    assert_eq!(
        Partitioner::range(2, &empty2, true)
            .unwrap()
            .num_partitions(),
        1
    );
}

/// Spark: PartitioningSuite "HashPartitioner not equal to RangePartitioner"
#[test]
fn hash_partitioner_not_equal_to_range_partitioner() {
    let sc = context("local[2]");
    let rdd = sc.parallelize((1..=10).collect(), 2).map(|x: i32| (x, x));
    let range_p2 = Partitioner::range(2, &rdd, true).unwrap();
    let hash_p2 = Partitioner::hash(2);
    assert_eq!(range_p2, range_p2);
    assert_eq!(hash_p2, hash_p2);
    assert_ne!(hash_p2, range_p2);
    assert_ne!(range_p2, hash_p2);
}

/// Spark: PartitioningSuite "partitioner preservation" (the operations sparklet has here:
/// `reduce_by_key_with` stands for `groupByKey(n)` / `reduceByKey(_, n)`), plus the sort's.
#[test]
fn partitioner_preservation() {
    let sc = context("local[2]");
    let rdd = sc.parallelize((1..=10).collect(), 4).map(|x: i32| (x, x));
    let reduced2 = rdd.reduce_by_key_with(Partitioner::hash(2), |a, b| a + b);
    let reduced4 = rdd.reduce_by_key_with(Partitioner::hash(4), |a, b| a + b);
    assert_eq!(rdd.partitioner(), None);
    assert_eq!(reduced2.partitioner(), Some(Partitioner::hash(2)));
    assert_eq!(reduced4.partitioner(), Some(Partitioner::hash(4)));
    assert_eq!(
        reduced2.group_by_key().partitioner(),
        reduced2.partitioner()
    );
    let regrouped = reduced2.reduce_by_key_with(Partitioner::hash(3), |a, b| a + b);
    assert_ne!(regrouped.partitioner(), reduced2.partitioner());
    assert_eq!(
        reduced2.join(&reduced4).partitioner(),
        reduced4.partitioner()
    );
    assert_eq!(
        reduced2.cogroup(&reduced4).partitioner(),
        reduced4.partitioner()
    );
    assert_eq!(reduced2.map(|_| 1).partitioner(), None);
    assert_eq!(
        reduced2.map_values(|_| 1).partitioner(),
        reduced2.partitioner()
    );
    assert_eq!(
        reduced2.filter(|p| p.0 > 4).partitioner(),
        reduced2.partitioner()
    );

    // The sort's: its range partitioner, kept by map_values and filter, dropped by sort_by's
    // final map and by map.
    let sorted = rdd.sort_by_key(true, 3);
    let range = Partitioner::range(3, &rdd, true).unwrap();
    assert_eq!(sorted.partitioner(), Some(range.clone()));
    assert_eq!(
        sorted.map_values(|v| v + 1).partitioner(),
        Some(range.clone())
    );
    assert_eq!(
        sorted.filter(|p| p.0 > 4).partitioner(),
        Some(range.clone())
    );
    assert_eq!(sorted.map(|p| p).partitioner(), None);
    assert_eq!(rdd.sort_by(|p| p.0, true, 3).partitioner(), None);
    // Already range-partitioned: a reduce into the same partitioner needs no shuffle.
    let summed = sorted.reduce_by_key_with(range.clone(), |a, b| a + b);
    assert!(summed.dependencies().iter().all(|d| !d.is_shuffle()));
    assert_eq!(summed.partitioner(), Some(range));
    // partition_by into an equal partitioner is the RDD itself.
    assert_eq!(
        sorted.partition_by(sorted.partitioner().unwrap()).id(),
        sorted.id()
    );
}

/// A custom partitioner places keys by its function; two are equal by name and count.
#[test]
fn custom_partitioner_places_keys_and_compares_by_name_and_count() {
    let sc = context("local-cluster[2,1,64]");
    let by_len = Partitioner::custom("ByLength", 3, |k: &String| k.len().min(2));
    assert_eq!(by_len, Partitioner::custom("ByLength", 3, |_: &String| 0));
    assert_ne!(by_len, Partitioner::custom("ByLength", 4, |_: &String| 0));
    assert_ne!(by_len, Partitioner::custom("Other", 3, |_: &String| 0));
    assert_ne!(by_len, Partitioner::hash(3));
    assert_eq!(by_len.to_string(), "ByLength(3)");
    let words = sc.parallelize(
        vec!["".to_string(), "a".into(), "bb".into(), "ccc".into()],
        2,
    );
    let parts = words
        .map(|w| (w, 1))
        .reduce_by_key_with(by_len.clone(), |a, b| a + b)
        .glom()
        .collect()
        .unwrap();
    let parts: Vec<_> = parts.into_iter().map(common::sorted).collect();
    assert_eq!(
        parts,
        vec![
            vec![("".to_string(), 1)],
            vec![("a".to_string(), 1)],
            vec![("bb".to_string(), 1), ("ccc".to_string(), 1)],
        ]
    );
}

/// A key of another type than the custom partitioner's fails the task with both type names;
/// an index out of range fails it too.
#[test]
fn custom_partitioner_of_another_key_type_or_a_bad_index_fails_the_task() {
    let sc = context("local[2]");
    let pairs = sc.parallelize(vec![(1u8, 'a'), (2, 'b')], 2);
    let err = pairs
        .partition_by(Partitioner::custom("ForStrings", 2, |_: &String| 0))
        .collect()
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::JobAborted(_)), "{err:?}");
    assert!(
        msg.contains("ForStrings(2)") && msg.contains("String") && msg.contains("u8"),
        "{msg}"
    );
    let err = pairs
        .partition_by(Partitioner::custom("TooFar", 2, |k: &u8| *k as usize + 5))
        .collect()
        .unwrap_err();
    assert!(err.to_string().contains("outside 0..2"), "{err}");
}

/// A range partitioner cannot be written to `_partitioner` (its bounds need their key type
/// to be read back): the checkpoint is written without it, and the checkpointed RDD keeps
/// the partitioner it had in memory.
#[test]
fn a_checkpointed_sort_keeps_its_range_partitioner_in_memory_only() {
    let dir = tempfile::tempdir().unwrap();
    let sc = context("local[2]");
    sc.set_checkpoint_dir(dir.path()).unwrap();
    let sorted = sc
        .parallelize((0..50).rev().map(|x| (x, x)).collect(), 3)
        .sort_by_key(true, 3);
    let p = sorted.partitioner();
    sorted.checkpoint().unwrap();
    let want: Vec<(i32, i32)> = (0..50).map(|x| (x, x)).collect();
    assert_eq!(sorted.collect().unwrap(), want);
    assert!(sorted.is_checkpointed());
    assert_eq!(sorted.partitioner(), p);
    let cp = sorted.get_checkpoint_file().unwrap();
    assert!(!cp.join("_partitioner").exists());
    let recovered = sc.checkpoint_file::<(i32, i32)>(&cp).unwrap();
    assert_eq!(recovered.collect().unwrap(), want);
    assert_eq!(recovered.partitioner(), None);
}

/// A hash partitioner's `_partitioner` file is still written and read back.
#[test]
fn a_checkpointed_hash_partitioner_is_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let sc = context("local[2]");
    sc.set_checkpoint_dir(dir.path()).unwrap();
    let reduced = sc
        .parallelize(vec![(1, 1), (2, 2), (1, 3)], 2)
        .reduce_by_key_with(Partitioner::hash(3), |a, b| a + b);
    reduced.checkpoint().unwrap();
    reduced.count().unwrap();
    let cp = reduced.get_checkpoint_file().unwrap();
    let recovered = sc.checkpoint_file::<(i32, i32)>(&cp).unwrap();
    assert_eq!(recovered.partitioner(), Some(Partitioner::hash(3)));
}
