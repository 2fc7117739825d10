//! Spark's PairRDDFunctionsSuite (and PartitioningSuite's "partitioner preservation") for the
//! pair functions: aggregateByKey, foldByKey, combineByKey, groupByKey, reduceByKey, the
//! joins, cogroup, flatMapValues, countByKey, keys and values, and the default partitioner.
//!
//! Cases of the suite that are not here: sampleByKey, sampleByKeyExact and
//! countApproxDistinctByKey (not in sparklet's API), groupWith3 / groupWith4 (no 3- and 4-way
//! cogroup in the API), subtract / subtractByKey and lookup (tests/ of the branches that build
//! them), and the seven Hadoop output-format cases (saveAsNewAPIHadoopFile, saveAsHadoopFile,
//! saveAsHadoopDataset, output committers, failure callbacks: sparklet has no Hadoop
//! OutputFormat).

mod common;

use std::collections::BTreeSet;

use common::{context, context_with, sorted};
use sparklet::prelude::*;

fn sc() -> SparkContext {
    context("local[2]")
}

/// The values of `key` in a grouped result, sorted.
fn values_of<K: PartialEq, V: Ord + Clone>(groups: &[(K, Vec<V>)], key: K) -> Vec<V> {
    let (_, vs) = groups.iter().find(|(k, _)| *k == key).expect("key present");
    sorted(vs.clone())
}

/// Spark: PairRDDFunctionsSuite "aggregateByKey"
#[test]
fn aggregate_by_key() {
    let sc = sc();
    let pairs = sc.parallelize(vec![(1, 1), (1, 1), (3, 2), (5, 1), (5, 3)], 2);
    let sets = pairs
        .aggregate_by_key(
            BTreeSet::new(),
            |mut s, v| {
                s.insert(v);
                s
            },
            |mut a, mut b| {
                a.append(&mut b);
                a
            },
        )
        .collect()
        .unwrap();
    assert_eq!(sets.len(), 3);
    let of = |k: i32| -> Vec<i32> {
        sets.iter()
            .find(|(key, _)| *key == k)
            .unwrap()
            .1
            .iter()
            .copied()
            .collect()
    };
    assert_eq!(of(1), vec![1]);
    assert_eq!(of(3), vec![2]);
    assert_eq!(of(5), vec![1, 3]);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "groupByKey"
#[test]
fn group_by_key() {
    let sc = sc();
    let groups = sc
        .parallelize(vec![(1, 1), (1, 2), (1, 3), (2, 1)], 2)
        .group_by_key()
        .collect()
        .unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(values_of(&groups, 1), vec![1, 2, 3]);
    assert_eq!(values_of(&groups, 2), vec![1]);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "groupByKey with duplicates"
#[test]
fn group_by_key_with_duplicates() {
    let sc = sc();
    let groups = sc
        .parallelize(vec![(1, 1), (1, 2), (1, 3), (1, 1), (2, 1)], 2)
        .group_by_key()
        .collect()
        .unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(values_of(&groups, 1), vec![1, 1, 2, 3]);
    assert_eq!(values_of(&groups, 2), vec![1]);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "groupByKey with negative key hash codes"
#[test]
fn group_by_key_with_negative_keys() {
    let sc = sc();
    let groups = sc
        .parallelize(vec![(-1, 1), (-1, 2), (-1, 3), (2, 1)], 2)
        .group_by_key()
        .collect()
        .unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(values_of(&groups, -1), vec![1, 2, 3]);
    assert_eq!(values_of(&groups, 2), vec![1]);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "groupByKey with many output partitions"
#[test]
fn group_by_key_with_many_output_partitions() {
    let sc = sc();
    let grouped = sc
        .parallelize(vec![(1, 1), (1, 2), (1, 3), (2, 1)], 2)
        .group_by_key_with(Partitioner::hash(10));
    assert_eq!(grouped.num_partitions(), 10);
    let groups = grouped.collect().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(values_of(&groups, 1), vec![1, 2, 3]);
    assert_eq!(values_of(&groups, 2), vec![1]);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "reduceByKey"
#[test]
fn reduce_by_key() {
    let sc = sc();
    let pairs = sc.parallelize(vec![(1, 1), (1, 2), (1, 3), (1, 1), (2, 1)], 2);
    let sums = pairs.reduce_by_key(|a, b| a + b).collect().unwrap();
    assert_eq!(sorted(sums), vec![(1, 7), (2, 1)]);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "reduceByKey with collectAsMap"
#[test]
fn reduce_by_key_with_collect_as_map() {
    let sc = sc();
    let pairs = sc.parallelize(vec![(1, 1), (1, 2), (1, 3), (1, 1), (2, 1)], 2);
    let sums = pairs.reduce_by_key(|a, b| a + b).collect_as_map().unwrap();
    assert_eq!(sums.len(), 2);
    assert_eq!(sums[&1], 7);
    assert_eq!(sums[&2], 1);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "reduceByKey with many output partitions"
#[test]
fn reduce_by_key_with_many_output_partitions() {
    let sc = sc();
    let pairs = sc.parallelize(vec![(1, 1), (1, 2), (1, 3), (1, 1), (2, 1)], 2);
    let sums = pairs.reduce_by_key_with(Partitioner::hash(10), |a, b| a + b);
    assert_eq!(sums.num_partitions(), 10);
    assert_eq!(sorted(sums.collect().unwrap()), vec![(1, 7), (2, 1)]);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "reduceByKey with partitioner" (a hash partitioner of 2 for
/// Spark's identity partitioner): an RDD already partitioned by the default partitioner is
/// reduced without a second shuffle, so its lineage holds one ShuffledRDD and the collection.
#[test]
fn reduce_by_key_with_partitioner() {
    let sc = sc();
    let p = Partitioner::hash(2);
    let pairs = sc
        .parallelize(vec![(1, 1), (1, 2), (1, 1), (0, 1)], 2)
        .partition_by(p.clone());
    let sums = pairs.reduce_by_key(|a, b| a + b);
    assert_eq!(sorted(sums.collect().unwrap()), vec![(0, 1), (1, 4)]);
    assert_eq!(sums.partitioner(), Some(p));
    // The lineage below `sums`: one ShuffledRDD (partitionBy's) and the collection.
    let debug = sums.to_debug_string();
    assert_eq!(debug.lines().count(), 3, "{debug}");
    assert_eq!(debug.matches("ShuffledRDD").count(), 1, "{debug}");
    assert_eq!(debug.matches("ParallelCollectionRDD").count(), 1, "{debug}");
    assert!(!sums.dependencies()[0].is_shuffle());
    sc.stop();
}

/// The inputs of Spark's join cases.
fn join_sides(sc: &SparkContext) -> (Rdd<(i32, i32)>, Rdd<(i32, char)>) {
    (
        sc.parallelize(vec![(1, 1), (1, 2), (2, 1), (3, 1)], 2),
        sc.parallelize(vec![(1, 'x'), (2, 'y'), (2, 'z'), (4, 'w')], 2),
    )
}

/// Spark: PairRDDFunctionsSuite "join"
#[test]
fn join() {
    let sc = sc();
    let (rdd1, rdd2) = join_sides(&sc);
    let joined = rdd1.join(&rdd2).collect().unwrap();
    assert_eq!(joined.len(), 4);
    assert_eq!(
        sorted(joined),
        vec![(1, (1, 'x')), (1, (2, 'x')), (2, (1, 'y')), (2, (1, 'z'))]
    );
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "join all-to-all"
#[test]
fn join_all_to_all() {
    let sc = sc();
    let rdd1 = sc.parallelize(vec![(1, 1), (1, 2), (1, 3)], 2);
    let rdd2 = sc.parallelize(vec![(1, 'x'), (1, 'y')], 2);
    let joined = rdd1.join(&rdd2).collect().unwrap();
    assert_eq!(joined.len(), 6);
    let want: Vec<(i32, (i32, char))> = (1..=3)
        .flat_map(|v| ['x', 'y'].into_iter().map(move |w| (1, (v, w))))
        .collect();
    assert_eq!(sorted(joined), want);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "leftOuterJoin"
#[test]
fn left_outer_join() {
    let sc = sc();
    let (rdd1, rdd2) = join_sides(&sc);
    let joined = rdd1.left_outer_join(&rdd2).collect().unwrap();
    assert_eq!(joined.len(), 5);
    assert_eq!(
        sorted(joined),
        vec![
            (1, (1, Some('x'))),
            (1, (2, Some('x'))),
            (2, (1, Some('y'))),
            (2, (1, Some('z'))),
            (3, (1, None)),
        ]
    );
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "cogroup with empty RDD" (SPARK-9326)
#[test]
fn cogroup_with_empty_rdd() {
    let sc = sc();
    let (rdd1, _) = join_sides(&sc);
    let rdd2: Rdd<(i32, i32)> = sc.empty_rdd();
    let joined = rdd1.cogroup(&rdd2).collect().unwrap();
    assert!(!joined.is_empty());
    assert_eq!(joined.len(), 3);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "cogroup with groupByed RDD having 0 partitions" (SPARK-9326;
/// Spark's `groupBy(f)` is `map(x => (f(x), x)).groupByKey()`).
#[test]
fn cogroup_with_grouped_rdd_of_zero_partitions() {
    let sc = sc();
    let (rdd1, _) = join_sides(&sc);
    let empty: Rdd<i32> = sc.empty_rdd();
    let rdd2 = empty.map(|x| (5, x)).group_by_key();
    assert_eq!(rdd2.num_partitions(), 0);
    let joined = rdd1.cogroup(&rdd2).collect().unwrap();
    assert!(!joined.is_empty());
    sc.stop();
}

/// A pair RDD of 1..=1000 in `slices` slices, and one hash-partitioned into 10.
fn big_and_partitioned(sc: &SparkContext, slices: usize) -> (Rdd<(i32, i32)>, Rdd<(i32, i32)>) {
    let big = sc.parallelize((1..=1000).map(|x| (x, x)).collect(), slices);
    let small = sc
        .parallelize(vec![(1, 1), (1, 2), (2, 1), (3, 1)], 2)
        .partition_by(Partitioner::hash(10));
    (big, small)
}

/// Spark: PairRDDFunctionsSuite "cogroup between multiple RDD with an order of magnitude
/// difference in number of partitions" (SPARK-22465)
#[test]
fn cogroup_with_an_order_of_magnitude_more_partitions() {
    let sc = sc();
    let (rdd1, rdd2) = big_and_partitioned(&sc, 1000);
    assert_eq!(rdd1.cogroup(&rdd2).num_partitions(), rdd1.num_partitions());
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "cogroup between multiple RDD with number of partitions
/// similar in order of magnitude" (SPARK-22465)
#[test]
fn cogroup_with_similar_partition_counts() {
    let sc = sc();
    let (rdd1, rdd2) = big_and_partitioned(&sc, 20);
    let joined = rdd1.cogroup(&rdd2);
    assert_eq!(joined.num_partitions(), rdd2.num_partitions());
    assert_eq!(joined.partitioner(), rdd2.partitioner());
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "cogroup between multiple RDD when defaultParallelism is set
/// without proper partitioner"
#[test]
fn cogroup_with_default_parallelism_and_no_partitioner() {
    let sc = context_with("local[2]", &[("sparklet.default.parallelism", "4")]);
    let rdd1 = sc.parallelize((1..=1000).map(|x| (x, x)).collect(), 20);
    let rdd2 = sc.parallelize(vec![(1, 1), (1, 2), (2, 1), (3, 1)], 10);
    assert_eq!(
        rdd1.cogroup(&rdd2).num_partitions(),
        sc.default_parallelism()
    );
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "cogroup between multiple RDD when defaultParallelism is set
/// with proper partitioner"
#[test]
fn cogroup_with_default_parallelism_and_a_partitioner() {
    let sc = context_with("local[2]", &[("sparklet.default.parallelism", "4")]);
    let (rdd1, rdd2) = big_and_partitioned(&sc, 20);
    assert_eq!(rdd1.cogroup(&rdd2).num_partitions(), rdd2.num_partitions());
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "cogroup between multiple RDD when defaultParallelism is set;
/// with huge number of partitions in upstream RDDs": the partitioned side is not eligible, but
/// its 10 partitions are more than the default 4.
#[test]
fn cogroup_with_default_parallelism_and_huge_upstream() {
    let sc = context_with("local[2]", &[("sparklet.default.parallelism", "4")]);
    let (rdd1, rdd2) = big_and_partitioned(&sc, 1000);
    assert_eq!(rdd1.cogroup(&rdd2).num_partitions(), rdd2.num_partitions());
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "rightOuterJoin"
#[test]
fn right_outer_join() {
    let sc = sc();
    let (rdd1, rdd2) = join_sides(&sc);
    let joined = rdd1.right_outer_join(&rdd2).collect().unwrap();
    assert_eq!(joined.len(), 5);
    assert_eq!(
        sorted(joined),
        vec![
            (1, (Some(1), 'x')),
            (1, (Some(2), 'x')),
            (2, (Some(1), 'y')),
            (2, (Some(1), 'z')),
            (4, (None, 'w')),
        ]
    );
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "fullOuterJoin"
#[test]
fn full_outer_join() {
    let sc = sc();
    let (rdd1, rdd2) = join_sides(&sc);
    let joined = rdd1.full_outer_join(&rdd2).collect().unwrap();
    assert_eq!(joined.len(), 6);
    assert_eq!(
        sorted(joined),
        vec![
            (1, (Some(1), Some('x'))),
            (1, (Some(2), Some('x'))),
            (2, (Some(1), Some('y'))),
            (2, (Some(1), Some('z'))),
            (3, (Some(1), None)),
            (4, (None, Some('w'))),
        ]
    );
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "join with no matches"
#[test]
fn join_with_no_matches() {
    let sc = sc();
    let rdd1 = sc.parallelize(vec![(1, 1), (1, 2), (2, 1), (3, 1)], 2);
    let rdd2 = sc.parallelize(vec![(4, 'x'), (5, 'y'), (5, 'z'), (6, 'w')], 2);
    assert_eq!(rdd1.join(&rdd2).collect().unwrap().len(), 0);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "join with many output partitions" (`join(other, 10)` is not
/// in the API: `sparklet.default.parallelism = 10` gives the default partitioner 10
/// partitions instead).
#[test]
fn join_with_many_output_partitions() {
    let sc = context_with("local[2]", &[("sparklet.default.parallelism", "10")]);
    let (rdd1, rdd2) = join_sides(&sc);
    let joined = rdd1.join(&rdd2);
    assert_eq!(joined.num_partitions(), 10);
    assert_eq!(
        sorted(joined.collect().unwrap()),
        vec![(1, (1, 'x')), (1, (2, 'x')), (2, (1, 'y')), (2, (1, 'z'))]
    );
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "groupWith" (Spark's `groupWith` is `cogroup`)
#[test]
fn group_with() {
    let sc = sc();
    let (rdd1, rdd2) = join_sides(&sc);
    let joined = rdd1.cogroup(&rdd2).collect().unwrap();
    assert_eq!(joined.len(), 4);
    let as_sets: Vec<(i32, (Vec<i32>, Vec<char>))> = joined
        .into_iter()
        .map(|(k, (vs, ws))| (k, (sorted(vs), sorted(ws))))
        .collect();
    assert_eq!(
        sorted(as_sets),
        vec![
            (1, (vec![1, 2], vec!['x'])),
            (2, (vec![1], vec!['y', 'z'])),
            (3, (vec![1], vec![])),
            (4, (vec![], vec!['w'])),
        ]
    );
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "zero-partition RDD"
#[test]
fn zero_partition_rdd() {
    let sc = sc();
    let dir = tempfile::tempdir().unwrap();
    let file = sc.text_file(dir.path(), 2).unwrap();
    assert_eq!(file.num_partitions(), 0);
    assert_eq!(file.collect().unwrap(), Vec::<String>::new());
    // A shuffle of no partitions works (this used to be a bug in Spark).
    let counts = file.map(|line| (line, 1)).reduce_by_key(|a, b| a + b);
    assert_eq!(counts.collect().unwrap(), vec![]);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "keys and values"
#[test]
fn keys_and_values() {
    let sc = sc();
    let rdd = sc.parallelize(vec![(1, "a".to_string()), (2, "b".to_string())], 2);
    assert_eq!(rdd.keys().collect().unwrap(), vec![1, 2]);
    assert_eq!(rdd.values().collect().unwrap(), vec!["a", "b"]);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "default partitioner uses partition size"
#[test]
fn default_partitioner_uses_partition_size() {
    let sc = sc();
    let a = sc.parallelize(vec![1, 2, 3, 4], 2000);
    // A map loses the partitioner; the groupByKey must not fall back to 2 partitions.
    let b = a.map(|a| (a, (a * 2).to_string()));
    assert_eq!(b.group_by_key().num_partitions(), 2000);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "default partitioner uses largest partitioner"
#[test]
fn default_partitioner_uses_largest_partitioner() {
    let sc = sc();
    let a = sc.parallelize(vec![(1, 'a'), (2, 'b')], 2);
    let b = sc.parallelize(vec![(1, 'a'), (2, 'b')], 2000);
    assert_eq!(a.join(&b).num_partitions(), 2000);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "foldByKey"
#[test]
fn fold_by_key() {
    let sc = sc();
    let pairs = sc.parallelize(vec![(1, 1), (1, 2), (1, 3), (1, 1), (2, 1)], 2);
    let sums = pairs.fold_by_key(0, |a, b| a + b).collect().unwrap();
    assert_eq!(sorted(sums), vec![(1, 7), (2, 1)]);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "foldByKey with mutable result type": the fold appends to the
/// zero in place, and neither the zero nor the cached input is changed by it.
#[test]
fn fold_by_key_with_mutable_result_type() {
    let sc = sc();
    let pairs = sc.parallelize(vec![(1, 1), (1, 2), (1, 3), (1, 1), (2, 1)], 2);
    let bufs = pairs.map_values(|v| vec![v]).cache().unwrap();
    let sums = bufs
        .fold_by_key(Vec::new(), |mut a, mut b| {
            a.append(&mut b);
            a
        })
        .collect()
        .unwrap();
    let sums: Vec<(i32, Vec<i32>)> = sums.into_iter().map(|(k, v)| (k, sorted(v))).collect();
    assert_eq!(sorted(sums), vec![(1, vec![1, 1, 2, 3]), (2, vec![1])]);
    assert_eq!(
        sorted(bufs.collect().unwrap()),
        vec![
            (1, vec![1]),
            (1, vec![1]),
            (1, vec![2]),
            (1, vec![3]),
            (2, vec![1])
        ]
    );
    sc.stop();
}

/// Spark: PartitioningSuite "partitioner preservation": the combining operations and joins
/// take the partitioner Spark's rules give; map loses it, mapValues, flatMapValues and filter
/// keep it.
#[test]
fn partitioner_preservation() {
    let sc = sc();
    let rdd = sc.parallelize((1..=10).collect(), 4).map(|x| (x, x));
    let grouped2 = rdd.group_by_key_with(Partitioner::hash(2));
    let grouped4 = rdd.group_by_key_with(Partitioner::hash(4));
    let reduced2 = rdd.reduce_by_key_with(Partitioner::hash(2), |a, b| a + b);
    let reduced4 = rdd.reduce_by_key_with(Partitioner::hash(4), |a, b| a + b);

    assert_eq!(rdd.partitioner(), None);
    assert_eq!(grouped2.partitioner(), Some(Partitioner::hash(2)));
    assert_eq!(grouped4.partitioner(), Some(Partitioner::hash(4)));
    assert_eq!(reduced2.partitioner(), Some(Partitioner::hash(2)));
    assert_eq!(reduced4.partitioner(), Some(Partitioner::hash(4)));

    assert_eq!(
        grouped2.group_by_key().partitioner(),
        grouped2.partitioner()
    );
    assert_ne!(
        grouped2
            .group_by_key_with(Partitioner::hash(3))
            .partitioner(),
        grouped2.partitioner()
    );
    assert_eq!(
        grouped2
            .group_by_key_with(Partitioner::hash(2))
            .partitioner(),
        grouped2.partitioner()
    );
    assert_eq!(
        grouped4.group_by_key().partitioner(),
        grouped4.partitioner()
    );
    assert_ne!(
        grouped4
            .group_by_key_with(Partitioner::hash(3))
            .partitioner(),
        grouped4.partitioner()
    );
    assert_eq!(
        grouped4
            .group_by_key_with(Partitioner::hash(4))
            .partitioner(),
        grouped4.partitioner()
    );

    let p4 = grouped4.partitioner();
    assert_eq!(grouped2.join(&grouped4).partitioner(), p4);
    assert_eq!(grouped2.left_outer_join(&grouped4).partitioner(), p4);
    assert_eq!(grouped2.right_outer_join(&grouped4).partitioner(), p4);
    assert_eq!(grouped2.full_outer_join(&grouped4).partitioner(), p4);
    assert_eq!(grouped2.cogroup(&grouped4).partitioner(), p4);

    let p2 = grouped2.partitioner();
    assert_eq!(grouped2.join(&reduced2).partitioner(), p2);
    assert_eq!(grouped2.left_outer_join(&reduced2).partitioner(), p2);
    assert_eq!(grouped2.right_outer_join(&reduced2).partitioner(), p2);
    assert_eq!(grouped2.full_outer_join(&reduced2).partitioner(), p2);
    assert_eq!(grouped2.cogroup(&reduced2).partitioner(), p2);

    assert_eq!(grouped2.map(|_| 1).partitioner(), None);
    assert_eq!(grouped2.map_values(|_| 1).partitioner(), p2);
    assert_eq!(grouped2.flat_map_values(|_| vec![1]).partitioner(), p2);
    assert_eq!(grouped2.filter(|(k, _)| *k > 4).partitioner(), p2);
    assert_eq!(grouped2.keys().partitioner(), None);
    sc.stop();
}

// ---------------------------------------------------------------- beyond the suite's cases

/// combineByKey with the user's three functions (the example of Spark's combineByKey doc: an
/// average per key), through a shuffle with map-side combine.
#[test]
fn combine_by_key_computes_an_average_per_key() {
    let sc = sc();
    let scores = sc.parallelize(
        vec![('a', 1.0), ('b', 4.0), ('a', 3.0), ('b', 2.0), ('a', 5.0)],
        3,
    );
    let sums = scores.combine_by_key(
        |v| (v, 1u32),
        |(s, n), v| (s + v, n + 1),
        |(s1, n1), (s2, n2)| (s1 + s2, n1 + n2),
    );
    assert_eq!(
        sums.to_string(),
        format!("ShuffledRDD[{}] at combineByKey", sums.id())
    );
    assert!(sums.dependencies()[0].is_shuffle());
    let mut got = sums
        .map_values(|(s, n)| s / f64::from(n))
        .collect()
        .unwrap();
    got.sort_by_key(|p| p.0);
    assert_eq!(got, vec![('a', 3.0), ('b', 3.0)]);
    sc.stop();
}

/// combineByKeyWithClassTag: with map-side combine off, the map side writes every record and
/// the reduce side starts each key's combiner with `create` (so `merge_combiners` is never
/// needed); with it on, each map output combines first. Both give the same result.
#[test]
fn combine_by_key_with_and_without_map_side_combine() {
    let sc = sc();
    let pairs = sc.parallelize((0..40).map(|i| (i % 3, i)).collect::<Vec<_>>(), 4);
    let want: Vec<(i32, i32)> = (0..3)
        .map(|k| (k, (0..40).filter(|i| i % 3 == k).sum()))
        .collect();
    for map_side in [true, false] {
        let sums = pairs.combine_by_key_with(
            |v| v,
            |c, v| c + v,
            |a, b| a + b,
            Partitioner::hash(5),
            map_side,
        );
        assert_eq!(sums.num_partitions(), 5);
        assert_eq!(sums.partitioner(), Some(Partitioner::hash(5)));
        assert_eq!(sorted(sums.collect().unwrap()), want, "map side {map_side}");
    }
    sc.stop();
}

/// combineByKeyWithClassTag: a partitioner equal to the parent's combines within partitions
/// (a MapPartitionsRDD keeping the partitioner), with no shuffle.
#[test]
fn combine_by_key_with_the_parents_partitioner_does_not_shuffle() {
    let sc = sc();
    let p = Partitioner::hash(3);
    let parted = sc
        .parallelize((0..30).map(|i| (i % 4, 1)).collect::<Vec<_>>(), 2)
        .partition_by(p.clone());
    let counts = parted.combine_by_key_with(|v| v, |c, v| c + v, |a, b| a + b, p.clone(), true);
    assert!(!counts.dependencies()[0].is_shuffle());
    assert_eq!(counts.partitioner(), Some(p));
    assert_eq!(
        counts.to_string(),
        format!("MapPartitionsRDD[{}] at combineByKey", counts.id())
    );
    assert_eq!(
        sorted(counts.collect().unwrap()),
        vec![(0, 8), (1, 8), (2, 7), (3, 7)]
    );
    sc.stop();
}

/// aggregateByKey: every key starts from its own copy of the zero, in every partition (the
/// zero is never shared between keys, nor changed by a sequence op that mutates it).
#[test]
fn aggregate_by_key_gives_each_key_a_fresh_zero() {
    let sc = sc();
    let pairs = sc.parallelize(vec![(1, 'a'), (2, 'b'), (1, 'c'), (2, 'd'), (3, 'e')], 3);
    let lists = pairs.aggregate_by_key(
        vec!['z'],
        |mut acc, v| {
            acc.push(v);
            acc
        },
        |mut a, mut b| {
            a.append(&mut b);
            a
        },
    );
    assert_eq!(
        lists.to_string(),
        format!("ShuffledRDD[{}] at aggregateByKey", lists.id())
    );
    let got: Vec<(i32, Vec<char>)> = lists
        .collect()
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, sorted(v)))
        .collect();
    // One 'z' per partition a key appears in: 1 is in partitions 0 and 1 ('a' and 'c'),
    // 2 in partitions 1 and 2, 3 in partition 2 only.
    assert_eq!(
        sorted(got),
        vec![
            (1, vec!['a', 'c', 'z', 'z']),
            (2, vec!['b', 'd', 'z', 'z']),
            (3, vec!['e', 'z']),
        ]
    );
    sc.stop();
}

/// flatMapValues: each value becomes any number of values under the same key, the
/// partitioner is kept, and the RDD is Spark's MapPartitionsRDD at flatMapValues.
#[test]
fn flat_map_values_expands_values_under_their_key() {
    let sc = sc();
    let pairs = sc
        .parallelize(vec![(1, 3), (2, 0), (3, 1)], 2)
        .partition_by(Partitioner::hash(2));
    let expanded = pairs.flat_map_values(|n| (0..n).map(|i| i * 10));
    assert_eq!(expanded.partitioner(), Some(Partitioner::hash(2)));
    assert_eq!(
        expanded.to_string(),
        format!("MapPartitionsRDD[{}] at flatMapValues", expanded.id())
    );
    assert_eq!(
        sorted(expanded.collect().unwrap()),
        vec![(1, 0), (1, 10), (1, 20), (3, 0)]
    );
    sc.stop();
}

/// countByKey: mapValues(_ => 1).reduceByKey(_ + _), collected as a map; an empty RDD gives
/// an empty map.
#[test]
fn count_by_key_counts_each_key() {
    let sc = sc();
    let words = sc.parallelize(vec!['a', 'b', 'a', 'c', 'a', 'b'], 3);
    let counts = words.map(|w| (w, ())).count_by_key().unwrap();
    assert_eq!(counts.len(), 3);
    assert_eq!((counts[&'a'], counts[&'b'], counts[&'c']), (3, 2, 1));
    let empty: Rdd<(i32, i32)> = sc.empty_rdd();
    assert!(empty.count_by_key().unwrap().is_empty());
    sc.stop();
}

/// The outer joins on RDDs already partitioned alike read both sides narrowly (one stage) and
/// carry Spark's operation names.
#[test]
fn outer_joins_of_co_partitioned_rdds_do_not_shuffle() {
    let sc = sc();
    let p = Partitioner::hash(3);
    let (l, r) = join_sides(&sc);
    let (l, r) = (l.partition_by(p.clone()), r.partition_by(p.clone()));
    let left = l.left_outer_join(&r);
    assert_eq!(
        left.to_string(),
        format!("MapPartitionsRDD[{}] at leftOuterJoin", left.id())
    );
    let debug = left.to_debug_string();
    assert!(debug.contains("CoGroupedRDD"), "{debug}");
    assert_eq!(debug.matches("ShuffledRDD").count(), 2, "{debug}");
    assert_eq!(left.collect().unwrap().len(), 5);
    assert_eq!(l.full_outer_join(&r).collect().unwrap().len(), 6);
    assert_eq!(l.right_outer_join(&r).collect().unwrap().len(), 5);
    sc.stop();
}

/// cogroup's partition count (the default partitioner of both sides) for six pairs of sides,
/// without and with `default.parallelism = 4`: the counts real Spark 4.3 gives for the same
/// sides (`JavaPairRDD.cogroup(...).getNumPartitions`).
#[test]
fn default_partitioner_agrees_with_spark_on_cogroup_partition_counts() {
    for (parallelism, spark) in [
        (None, [1000, 10, 20, 150, 9, 150]),
        (Some("4"), [10, 10, 4, 4, 9, 10]),
    ] {
        let settings: Vec<(&str, &str)> = parallelism
            .map(|n| vec![("sparklet.default.parallelism", n)])
            .unwrap_or_default();
        let sc = context_with("local[2]", &settings);
        let pairs = |n: i32, slices| sc.parallelize((1..=n).map(|i| (i, i)).collect(), slices);
        let parted = |k| pairs(4, 2).partition_by(Partitioner::hash(k));
        let got = [
            pairs(1000, 1000).cogroup(&parted(10)).num_partitions(),
            pairs(1000, 20).cogroup(&parted(10)).num_partitions(),
            pairs(1000, 20).cogroup(&pairs(4, 10)).num_partitions(),
            pairs(1000, 150).cogroup(&parted(3)).num_partitions(),
            parted(9).cogroup(&pairs(10, 11)).num_partitions(),
            pairs(1000, 150).cogroup(&parted(10)).num_partitions(),
        ];
        assert_eq!(got, spark, "default.parallelism {parallelism:?}");
        sc.stop();
    }
}
