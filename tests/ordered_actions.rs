//! `top`, `take_ordered`, `max`, `min` (Spark's RDDSuite cases) and `lookup` (Spark's
//! PairRDDFunctionsSuite cases), with the one-task property of `lookup` on a partitioned RDD.
//!
//! Spark's implicit reversed `Ordering`s are `std::cmp::Reverse` keys here.

mod common;

use std::cmp::Reverse;

use common::context;
use sparklet::prelude::*;

/// `0..n` shuffled by a seeded Fisher–Yates (Spark's `Random.shuffle`).
fn shuffled(n: i32, seed: u64) -> Vec<i32> {
    let mut v: Vec<i32> = (1..n).collect();
    let mut x = seed;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

/// Spark: RDDSuite "top with predefined ordering"
#[test]
fn top_with_predefined_ordering() {
    let sc = context("local[2]");
    let ints = sc.parallelize(shuffled(100_000, 7), 2);
    let top = ints.top(5).unwrap();
    assert_eq!(top, vec![99_999, 99_998, 99_997, 99_996, 99_995]);
}

/// Spark: RDDSuite "top with custom ordering"
#[test]
fn top_with_custom_ordering() {
    let sc = context("local[2]");
    let words = ["a", "b", "c", "d"].map(|w| Reverse(w.to_string()));
    let top = sc.parallelize(words.to_vec(), 2).top(2).unwrap();
    let mut got: Vec<String> = top.into_iter().map(|Reverse(w)| w).collect();
    got.sort();
    assert_eq!(got, vec!["a", "b"]);
}

/// Spark: RDDSuite "takeOrdered with predefined ordering"
#[test]
fn take_ordered_with_predefined_ordering() {
    let sc = context("local[2]");
    let rdd = sc.parallelize((1..=10).collect::<Vec<i32>>(), 2);
    assert_eq!(rdd.take_ordered(5).unwrap(), vec![1, 2, 3, 4, 5]);
}

/// Spark: RDDSuite "takeOrdered with limit 0" (and no job runs for it)
#[test]
fn take_ordered_with_limit_0() {
    let sc = context("local[2]");
    let log = EventLog::attach(&sc);
    let rdd = sc.parallelize((1..=10).collect::<Vec<i32>>(), 2);
    assert!(rdd.take_ordered(0).unwrap().is_empty());
    assert!(rdd.top(0).unwrap().is_empty());
    assert!(log.jobs().is_empty());
}

/// Spark: RDDSuite "SPARK-40276: takeOrdered with empty RDDs"
#[test]
fn take_ordered_with_empty_rdds() {
    let sc = context("local[2]");
    assert!(sc.empty_rdd::<i32>().take_ordered(5).unwrap().is_empty());
    let none = sc
        .parallelize((0..10).collect::<Vec<i64>>(), 3)
        .filter(|x| *x < 0);
    assert!(none.take_ordered(5).unwrap().is_empty());
    assert!(none.top(5).unwrap().is_empty());
}

/// Spark: RDDSuite "takeOrdered with custom ordering"
#[test]
fn take_ordered_with_custom_ordering() {
    let sc = context("local[2]");
    let nums: Vec<Reverse<i32>> = (1..=10).map(Reverse).collect();
    let rdd = sc.parallelize(nums.clone(), 2);
    let got = rdd.take_ordered(5).unwrap();
    assert_eq!(got, [10, 9, 8, 7, 6].map(Reverse).to_vec());
    let mut want = nums;
    want.sort();
    want.truncate(5);
    assert_eq!(got, want);
}

/// More wanted than there are: every element, in order; duplicates are kept.
#[test]
fn take_ordered_and_top_beyond_the_count_and_with_duplicates() {
    let sc = context("local-cluster[2,1,64]");
    let rdd = sc.parallelize(vec![3, 1, 3, 2, 1], 3);
    assert_eq!(rdd.take_ordered(10).unwrap(), vec![1, 1, 2, 3, 3]);
    assert_eq!(rdd.top(3).unwrap(), vec![3, 3, 2]);
}

/// Spark: RDDSuite "basic operations" (its `max` and `min`), and an empty RDD's `None`
/// (where Spark throws `UnsupportedOperationException("empty collection")`).
#[test]
fn max_and_min() {
    let sc = context("local[2]");
    let nums = sc.parallelize(vec![1, 2, 3, 4], 2);
    assert_eq!(nums.max().unwrap(), Some(4));
    assert_eq!(nums.min().unwrap(), Some(1));
    let empty = nums.filter(|x| *x > 5);
    assert_eq!(empty.max().unwrap(), None);
    assert_eq!(empty.min().unwrap(), None);
}

fn pairs(sc: &SparkContext) -> Rdd<(i32, i32)> {
    sc.parallelize(vec![(1, 2), (3, 4), (5, 6), (5, 7)], 2)
}

/// Spark: PairRDDFunctionsSuite "lookup"
#[test]
fn lookup() {
    let sc = context("local[2]");
    let pairs = pairs(&sc);
    assert_eq!(pairs.partitioner(), None);
    assert_eq!(pairs.lookup(&1).unwrap(), vec![2]);
    assert_eq!(pairs.lookup(&5).unwrap(), vec![6, 7]);
    assert!(pairs.lookup(&-1).unwrap().is_empty());
}

/// Spark: PairRDDFunctionsSuite "lookup with partitioner" (and it runs one task, on the key's
/// partition only)
#[test]
fn lookup_with_partitioner() {
    let sc = context("local[2]");
    let p = Partitioner::custom("AbsMod2", 2, |k: &i32| (k % 2).unsigned_abs() as usize);
    let shuffled = pairs(&sc).partition_by(p.clone());
    assert_eq!(shuffled.partitioner(), Some(p));
    assert_eq!(shuffled.lookup(&1).unwrap(), vec![2]);
    assert_eq!(shuffled.lookup(&5).unwrap(), vec![6, 7]);
    assert!(shuffled.lookup(&-1).unwrap().is_empty());

    shuffled.count().unwrap(); // the map stage has run
    let log = EventLog::attach(&sc);
    assert_eq!(shuffled.lookup(&5).unwrap(), vec![6, 7]);
    let tasks = log.task_ends();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].1, 1, "partition of key 5");
}

/// Spark: PairRDDFunctionsSuite "lookup with bad partitioner"
#[test]
fn lookup_with_bad_partitioner() {
    let sc = context("local[2]");
    // `k % 2` is negative for negative keys: no such partition.
    let p = Partitioner::custom("Mod2", 2, |k: &i32| (k % 2) as usize);
    let shuffled = pairs(&sc).partition_by(p.clone());
    assert_eq!(shuffled.partitioner(), Some(p));
    assert_eq!(shuffled.lookup(&1).unwrap(), vec![2]);
    let err = shuffled.lookup(&-1).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
}

/// `lookup` on a sorted RDD runs one task on the key's range.
#[test]
fn lookup_on_a_sorted_rdd_scans_one_range() {
    let sc = context("local[2]");
    let sorted = sc
        .parallelize((0..100).rev().map(|x| (x, x * 10)).collect(), 4)
        .sort_by_key(true, 4);
    sorted.count().unwrap();
    let log = EventLog::attach(&sc);
    assert_eq!(sorted.lookup(&42).unwrap(), vec![420]);
    let p = sorted.partitioner().unwrap();
    let tasks = log.task_ends();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].1, p.get_partition(&42));
}
