//! Actions and sources of issue 11: fold, aggregate, treeAggregate, treeReduce, countByValue,
//! isEmpty, foreachPartition, `sc.union`, `sc.range`, `sc.app_id` (Spark's RDDSuite cases and
//! `SparkContext.range`'s rules).

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{context, sorted, Counter};
use sparklet::prelude::*;

/// Spark: RDDSuite "basic operations" (the fold, isEmpty and mapPartitions parts).
#[test]
fn basic_operations() {
    let sc = context("local[2]");
    let nums = sc.parallelize(vec![1, 2, 3, 4], 2);
    assert_eq!(nums.num_partitions(), 2);
    assert_eq!(nums.reduce(|a, b| a + b).unwrap(), Some(10));
    assert_eq!(nums.fold(0, |a, b| a + b).unwrap(), 10);
    assert!(!nums.is_empty().unwrap());
    let sums = nums.map_partitions(|it| std::iter::once(it.sum::<i32>()));
    assert_eq!(sums.collect().unwrap(), vec![3, 7]);
}

/// Spark: RDDSuite "fold".
#[test]
fn fold() {
    let sc = context("local[2]");
    let rdd = sc.parallelize((-1000..1000).collect::<Vec<i32>>(), 10);
    assert_eq!(rdd.fold(0, |c, x| c + x).unwrap(), -1000);
}

/// Spark: RDDSuite "fold with op modifying first arg".
#[test]
fn fold_with_op_modifying_first_arg() {
    let sc = context("local[2]");
    let rdd = sc
        .parallelize((-1000..1000).collect::<Vec<i32>>(), 10)
        .map(|x| vec![x]);
    let sum = rdd
        .fold(vec![0], |mut c, x| {
            c[0] += x[0];
            c
        })
        .unwrap();
    assert_eq!(sum[0], -1000);
}

/// Spark's fold order (RDD.fold's doc): each partition folds from its own zero, then the
/// driver folds the partition results from one more zero.
#[test]
fn fold_counts_the_zero_once_per_partition_and_once_on_the_driver() {
    let sc = context("local[2]");
    let rdd = sc.parallelize(vec![1, 2, 3, 4, 5, 6], 3);
    assert_eq!(rdd.fold(10, |a, b| a + b).unwrap(), 21 + 4 * 10);
    assert_eq!(sc.empty_rdd::<i32>().fold(10, |a, b| a + b).unwrap(), 10);
    // A non-commutative op: partitions merge in partition order, every run.
    let words = sc.parallelize(
        vec!["a", "b", "c", "d"]
            .into_iter()
            .map(String::from)
            .collect(),
        4,
    );
    for _ in 0..3 {
        assert_eq!(words.fold(String::new(), |a, b| a + &b).unwrap(), "abcd");
    }
}

/// Spark: RDDSuite "aggregate".
#[test]
fn aggregate() {
    let sc = context("local[2]");
    let pairs = sc.parallelize(
        vec![("a", 1), ("b", 2), ("a", 2), ("c", 5), ("a", 3)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Vec<_>>(),
        2,
    );
    let result = pairs
        .aggregate(
            HashMap::<String, i32>::new(),
            |mut map, (k, v)| {
                *map.entry(k).or_default() += v;
                map
            },
            |mut m1, m2| {
                for (k, v) in m2 {
                    *m1.entry(k).or_default() += v;
                }
                m1
            },
        )
        .unwrap();
    let mut got: Vec<(String, i32)> = result.into_iter().collect();
    got.sort();
    assert_eq!(got, vec![("a".into(), 6), ("b".into(), 2), ("c".into(), 5)]);
}

/// Spark: RDDSuite "treeAggregate".
#[test]
fn tree_aggregate() {
    let sc = context("local[2]");
    let rdd = sc.parallelize((-1000..1000).collect::<Vec<i32>>(), 10);
    for depth in 1..10 {
        let sum = rdd
            .tree_aggregate(0i64, |c, x| c + i64::from(x), |a, b| a + b, depth)
            .unwrap();
        assert_eq!(sum, -1000, "depth {depth}");
    }
}

/// Spark: RDDSuite "treeAggregate with ops modifying first args".
#[test]
fn tree_aggregate_with_ops_modifying_first_args() {
    let sc = context("local[2]");
    let rdd = sc
        .parallelize((-1000..1000).collect::<Vec<i32>>(), 10)
        .map(|x| vec![x]);
    let op = |mut c: Vec<i32>, x: Vec<i32>| {
        c[0] += x[0];
        c
    };
    for depth in 1..10 {
        let sum = rdd.tree_aggregate(vec![0], op, op, depth).unwrap();
        assert_eq!(sum[0], -1000, "depth {depth}");
    }
}

/// Spark: RDDSuite "treeReduce".
#[test]
fn tree_reduce() {
    let sc = context("local[2]");
    let rdd = sc.parallelize((-1000..1000).collect::<Vec<i32>>(), 10);
    for depth in 1..10 {
        assert_eq!(rdd.tree_reduce(|a, b| a + b, depth).unwrap(), Some(-1000));
    }
    // Spark throws "empty collection"; here an empty RDD reduces to None, as `reduce` does.
    let empty = sc.parallelize(Vec::<i32>::new(), 3);
    assert_eq!(empty.tree_reduce(|a, b| a + b, 2).unwrap(), None);
}

/// Spark's `require(depth >= 1)` of treeAggregate and treeReduce, with its message.
#[test]
fn tree_depth_below_one_is_refused_with_sparks_message() {
    let sc = context("local[2]");
    let rdd = sc.parallelize(vec![1, 2, 3], 2);
    let err = rdd
        .tree_aggregate(0, |a, b| a + b, |a, b| a + b, 0)
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(m) if m.contains("Depth must be greater than or equal to 1 but got 0")),
        "{err}"
    );
    assert!(matches!(
        rdd.tree_reduce(|a, b| a + b, 0),
        Err(Error::InvalidArgument(_))
    ));
}

/// Spark's treeAggregate levels are shuffle stages: 1000 partitions at depth 3 have scale 10,
/// so two levels (1000 → 100 → 10) and three stages in the job; depth 1 has none.
#[test]
fn tree_aggregate_levels_are_shuffle_stages() {
    let sc = context("local[2]");
    let rdd = sc.parallelize((0..2000u64).collect::<Vec<_>>(), 1000);
    let log = EventLog::attach(&sc);
    let sum = rdd
        .tree_aggregate(0, |a, x| a + x, |a, b| a + b, 3)
        .unwrap();
    assert_eq!(sum, 1999 * 1000);
    let job = *log.jobs().last().unwrap();
    let tasks: Vec<usize> = log
        .events()
        .iter()
        .filter_map(|e| match e {
            SparkListenerEvent::StageSubmitted { num_tasks, .. } => Some(*num_tasks),
            _ => None,
        })
        .collect();
    assert_eq!(log.submitted_stages(job).len(), 3);
    assert_eq!(tasks, vec![1000, 100, 10]);

    log.clear();
    rdd.tree_aggregate(0, |a, x| a + x, |a, b| a + b, 1)
        .unwrap();
    let job = *log.jobs().last().unwrap();
    assert_eq!(log.submitted_stages(job).len(), 1);
}

/// Spark: RDDSuite "treeAggregate" on an RDD without partitions: the zero, and no job.
#[test]
fn tree_aggregate_of_no_partitions_is_the_zero_without_a_job() {
    let sc = context("local[2]");
    let log = EventLog::attach(&sc);
    let empty = sc.empty_rdd::<i32>();
    assert_eq!(
        empty
            .tree_aggregate(7, |a, b| a + b, |a, b| a + b, 2)
            .unwrap(),
        7
    );
    assert!(log.jobs().is_empty());
}

/// Spark: JavaAPISuite "countByValue" (RDD.countByValue).
#[test]
fn count_by_value() {
    let sc = context("local[2]");
    let rdd = sc.parallelize(vec![1, 1, 2, 3, 5, 8, 13, 1, 2], 3);
    let counts = rdd.count_by_value().unwrap();
    let mut got: Vec<(i32, u64)> = counts.into_iter().collect();
    got.sort();
    assert_eq!(got, vec![(1, 3), (2, 2), (3, 1), (5, 1), (8, 1), (13, 1)]);
    assert!(sc.empty_rdd::<i32>().count_by_value().unwrap().is_empty());
}

/// Spark: RDDSuite "isEmpty".
#[test]
fn is_empty() {
    let sc = context("local[2]");
    assert!(sc.empty_rdd::<i32>().is_empty().unwrap());
    assert!(sc.parallelize(Vec::<i32>::new(), 2).is_empty().unwrap());
    assert!(!sc.parallelize(vec![1], 2).is_empty().unwrap());
    assert!(sc
        .parallelize(vec![1, 2, 3], 3)
        .filter(|x| *x < 0)
        .is_empty()
        .unwrap());
    assert!(!sc
        .parallelize(vec![1, 2, 3], 3)
        .filter(|x| *x > 1)
        .is_empty()
        .unwrap());
}

/// Spark's isEmpty is `take(1)`: it scans one partition first, then more, and stops once it
/// finds an element.
#[test]
fn is_empty_scans_partitions_incrementally() {
    let sc = context("local[2]");
    let computed = Counter::new();
    let c = computed.clone();
    let rdd = sc
        .parallelize((0..100).collect::<Vec<i32>>(), 10)
        .map_partitions(move |it| {
            c.inc();
            it
        });
    assert!(!rdd.is_empty().unwrap());
    assert_eq!(computed.get(), 1, "only the first partition is read");
}

/// Spark: RDD.foreachPartition runs the function once per partition, on the executors.
#[test]
fn foreach_partition_sees_each_partition_once() {
    let sc = context("local-cluster[2,1,64]");
    let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let s = seen.clone();
    sc.parallelize((1..=10).collect::<Vec<i32>>(), 4)
        .foreach_partition(move |it| s.lock().push(it.collect::<Vec<_>>()))
        .unwrap();
    let mut parts = seen.lock().clone();
    parts.sort();
    assert_eq!(
        parts,
        vec![vec![1, 2], vec![3, 4, 5], vec![6, 7], vec![8, 9, 10]]
    );
}

/// Spark: RDDSuite "SparkContext.union".
#[test]
fn spark_context_union() {
    let sc = context("local[2]");
    let nums = sc.parallelize(vec![1, 2, 3, 4], 2);
    assert_eq!(
        sc.union(std::slice::from_ref(&nums)).collect().unwrap(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        sc.union(&[nums.clone(), nums.clone()]).collect().unwrap(),
        vec![1, 2, 3, 4, 1, 2, 3, 4]
    );
    assert_eq!(sc.union::<i32>(&[]).collect().unwrap(), Vec::<i32>::new());
}

/// Spark: RDDSuite "SparkContext.union parallel partition listing" (adapted: there is no
/// parallel listing; a union of many parents lists their partitions in order).
#[test]
fn spark_context_union_of_many_parents_lists_partitions_in_order() {
    let sc = context("local[2]");
    let parts: Vec<Rdd<i32>> = (0..20)
        .map(|i| sc.parallelize(vec![2 * i, 2 * i + 1], 2))
        .collect();
    let union = sc.union(&parts);
    assert_eq!(union.num_partitions(), 40);
    assert_eq!(union.collect().unwrap(), (0..40).collect::<Vec<_>>());
    assert!(union.to_string().starts_with("UnionRDD["));
}

/// Spark: RDDSuite "SparkContext.union creates UnionRDD if at least one RDD has no partitioner".
#[test]
fn union_creates_union_rdd_if_one_rdd_has_no_partitioner() {
    let sc = context("local[2]");
    let with = sc
        .parallelize(vec![(1, true)], 1)
        .partition_by(Partitioner::hash(1));
    let without = sc.parallelize(vec![(2, true)], 1);
    let union = sc.union(&[without, with]);
    assert!(union.to_string().starts_with("UnionRDD["), "{union}");
}

/// Spark: RDDSuite "SparkContext.union creates PartitionAwareUnionRDD if all RDDs have
/// partitioners".
#[test]
fn union_creates_partitioner_aware_union_if_all_have_partitioners() {
    let sc = context("local[2]");
    let with = sc
        .parallelize(vec![(1, true)], 1)
        .partition_by(Partitioner::hash(1));
    let union = sc.union(&[with.clone(), with]);
    assert!(
        union.to_string().starts_with("PartitionerAwareUnionRDD["),
        "{union}"
    );
}

/// Spark: RDDSuite "SPARK-23778: empty RDD in union should not produce a UnionRDD".
#[test]
fn empty_rdd_in_union_does_not_produce_a_union_rdd() {
    let sc = context("local[2]");
    let with = sc
        .parallelize(vec![(1, true)], 1)
        .partition_by(Partitioner::hash(1));
    let empty = sc.empty_rdd::<(i32, bool)>();
    let union = sc.union(&[empty.clone(), with]);
    assert!(
        union.to_string().starts_with("PartitionerAwareUnionRDD["),
        "{union}"
    );
    assert_eq!(union.collect().unwrap(), vec![(1, true)]);
    let all_empty = sc.union(&[empty.clone(), empty]);
    assert!(
        all_empty.to_string().starts_with("UnionRDD["),
        "{all_empty}"
    );
    assert!(all_empty.collect().unwrap().is_empty());
}

/// Spark: RDDSuite "partitioner aware union".
#[test]
fn partitioner_aware_union() {
    let sc = context("local[2]");
    let make = |range: std::ops::RangeInclusive<i32>| {
        sc.parallelize(range.map(|x| (x, ())).collect(), 1)
            .partition_by(Partitioner::hash(2))
    };
    let (nums1, nums2) = (make(1..=4), make(5..=8));
    assert_eq!(nums1.partitioner(), nums2.partitioner());
    let union = sc.union(&[nums1.clone(), nums2.clone()]);
    assert_eq!(
        sorted(union.keys().collect().unwrap()),
        (1..=8).collect::<Vec<_>>()
    );
    let (p1, p2, pu) = (
        nums1.glom().collect().unwrap(),
        nums2.glom().collect().unwrap(),
        union.glom().collect().unwrap(),
    );
    assert_eq!((p1.len(), p2.len(), pu.len()), (2, 2, 2));
    for i in 0..2 {
        assert_eq!([p1[i].clone(), p2[i].clone()].concat(), pu[i]);
    }
    assert_eq!(union.partitioner(), nums1.partitioner());
}

/// Spark: SparkContext.range: Spark's slicing, end exclusive, default step 1.
#[test]
fn range_slices_as_spark() {
    let sc = context("local[2]");
    let r = sc.range(0, 10, 1, 3);
    assert_eq!(r.num_partitions(), 3);
    assert_eq!(
        r.glom().collect().unwrap(),
        vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8, 9]]
    );
    assert_eq!(
        sc.range(0, 10, 3, 2).glom().collect().unwrap(),
        vec![vec![0, 3], vec![6, 9]]
    );
    assert_eq!(sc.range(0, 100, 1, 5).count().unwrap(), 100);
    assert_eq!(
        r.to_string(),
        format!("MapPartitionsRDD[{}] at range", r.id())
    );
    assert!(r.to_debug_string().contains("ParallelCollectionRDD["));
}

/// Spark: SparkContext.range with negative steps and ranges that run against the step.
#[test]
fn range_negative_steps_and_empty_ranges() {
    let sc = context("local[2]");
    assert_eq!(sc.range(10, 0, -3, 2).collect().unwrap(), vec![10, 7, 4, 1]);
    assert_eq!(sc.range(0, 10, -1, 2).count().unwrap(), 0);
    assert_eq!(sc.range(10, 0, 1, 2).count().unwrap(), 0);
    assert_eq!(sc.range(5, 5, 1, 4).count().unwrap(), 0);
    assert_eq!(
        sc.range(-5, 5, 2, 3).collect().unwrap(),
        vec![-5, -3, -1, 1, 3]
    );
}

/// Spark: SparkContext.range's overflow-safe bounds (BigInt counts, clamped slice ends, a step
/// that overflows ends its slice).
#[test]
fn range_bounds_never_overflow() {
    let sc = context("local[2]");
    assert_eq!(
        sc.range(i64::MAX - 3, i64::MAX, 1, 2).collect().unwrap(),
        vec![i64::MAX - 3, i64::MAX - 2, i64::MAX - 1]
    );
    assert_eq!(
        sc.range(i64::MIN, i64::MAX, i64::MAX, 3).collect().unwrap(),
        vec![i64::MIN, -1, i64::MAX - 1]
    );
    assert_eq!(
        sc.range(i64::MAX, i64::MIN, i64::MIN, 2).collect().unwrap(),
        vec![i64::MAX, -1]
    );
    assert_eq!(
        sc.range(i64::MIN, i64::MIN + 5, 2, 4).collect().unwrap(),
        vec![i64::MIN, i64::MIN + 2, i64::MIN + 4]
    );
}

/// Spark: SparkContext.range `require(step != 0, "step cannot be 0")`, and zero slices.
#[test]
fn range_step_zero_and_zero_slices_are_refused() {
    let sc = context("local[2]");
    let err = sc.range(0, 10, 0, 2).collect().unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(m) if m.contains("step cannot be 0")),
        "{err}"
    );
    assert!(matches!(
        sc.range(0, 10, 1, 0).count(),
        Err(Error::InvalidArgument(_))
    ));
}

/// Spark: SparkContext.applicationId: "local-<millis>" for a local master, fixed for the
/// context's life; a local-cluster runs on a standalone master ("app-<time>-0000").
#[test]
fn app_id_is_sparks_and_stable() {
    let sc = context("local[2]");
    let id = sc.app_id();
    let millis = id.strip_prefix("local-").expect(&id);
    assert!(millis.parse::<u64>().unwrap() > 1_500_000_000_000, "{id}");
    sc.parallelize(vec![1], 1).count().unwrap();
    assert_eq!(sc.app_id(), id);
    let cluster = context("local-cluster[2,1,64]");
    let id = cluster.app_id();
    assert!(
        id.starts_with("app-20") && id.ends_with("-0000") && id.len() == 23,
        "{id}"
    );
}
