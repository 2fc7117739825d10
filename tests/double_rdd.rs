//! Spark's DoubleRDDSuite (sum and every histogram case) and the statistics of an `Rdd<f64>`
//! (PartitioningSuite "zero-length partitions should be correctly handled", StatCounter's
//! `toString`).
//!
//! Spark's cases call `histogram(buckets)` and `histogram(buckets, evenBuckets = true)`; the
//! public API has the first (`histogram_with`), and the even-buckets path is the one
//! `histogram(bucket_count)` uses, so the cases with `true` check it through
//! `histogram(bucket_count)` here and through the internal function in `src/rdd/double.rs`'s
//! unit tests. The suite's default parallelism (`local[4]`) is kept as 4 slices.

mod common;

use common::context;
use sparklet::prelude::*;

fn sc() -> SparkContext {
    context("local[2]")
}

fn doubles(sc: &SparkContext, values: &[f64]) -> Rdd<f64> {
    sc.parallelize(values.to_vec(), 4)
}

/// `histogram_with(buckets)` of `values`.
fn counts(values: &[f64], buckets: &[f64]) -> Vec<u64> {
    let sc = sc();
    let got = doubles(&sc, values).histogram_with(buckets).unwrap();
    sc.stop();
    got
}

/// `histogram(bucket_count)` of `values`.
fn auto(values: &[f64], bucket_count: usize) -> (Vec<f64>, Vec<u64>) {
    let sc = sc();
    let got = doubles(&sc, values).histogram(bucket_count).unwrap();
    sc.stop();
    got
}

/// The error message of a failed histogram.
fn refused(result: Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::InvalidArgument(msg)) => msg,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

/// Spark: DoubleRDDSuite "sum"
#[test]
fn sum() {
    let sc = sc();
    assert_eq!(doubles(&sc, &[]).sum().unwrap(), 0.0);
    assert_eq!(doubles(&sc, &[1.0]).sum().unwrap(), 1.0);
    assert_eq!(doubles(&sc, &[1.0, 2.0]).sum().unwrap(), 3.0);
    let none: Rdd<f64> = sc.empty_rdd();
    assert_eq!(none.sum().unwrap(), 0.0);
    sc.stop();
}

/// Spark: DoubleRDDSuite "WorksOnEmpty" (an RDD of empty partitions, and one of none)
#[test]
fn works_on_empty() {
    assert_eq!(counts(&[], &[0.0, 10.0]), vec![0]);
    let sc = sc();
    let empty: Rdd<f64> = sc.empty_rdd();
    assert_eq!(empty.num_partitions(), 0);
    assert_eq!(empty.histogram_with(&[0.0, 10.0]).unwrap(), vec![0]);
    sc.stop();
}

/// Spark: DoubleRDDSuite "WorksWithOutOfRangeWithOneBucket"
#[test]
fn works_with_out_of_range_with_one_bucket() {
    assert_eq!(counts(&[10.01, -0.01], &[0.0, 10.0]), vec![0]);
}

/// Spark: DoubleRDDSuite "WorksInRangeWithOneBucket"
#[test]
fn works_in_range_with_one_bucket() {
    assert_eq!(counts(&[1.0, 2.0, 3.0, 4.0], &[0.0, 10.0]), vec![4]);
}

/// Spark: DoubleRDDSuite "WorksInRangeWithOneBucketExactMatch"
#[test]
fn works_in_range_with_one_bucket_exact_match() {
    assert_eq!(counts(&[1.0, 2.0, 3.0, 4.0], &[1.0, 4.0]), vec![4]);
}

/// Spark: DoubleRDDSuite "WorksWithOutOfRangeWithTwoBuckets"
#[test]
fn works_with_out_of_range_with_two_buckets() {
    assert_eq!(counts(&[10.01, -0.01], &[0.0, 5.0, 10.0]), vec![0, 0]);
}

/// Spark: DoubleRDDSuite "WorksWithOutOfRangeWithTwoUnEvenBuckets"
#[test]
fn works_with_out_of_range_with_two_uneven_buckets() {
    assert_eq!(counts(&[10.01, -0.01], &[0.0, 4.0, 10.0]), vec![0, 0]);
}

/// Spark: DoubleRDDSuite "WorksInRangeWithTwoBuckets"
#[test]
fn works_in_range_with_two_buckets() {
    assert_eq!(
        counts(&[1.0, 2.0, 3.0, 5.0, 6.0], &[0.0, 5.0, 10.0]),
        vec![3, 2]
    );
}

/// Spark: DoubleRDDSuite "WorksInRangeWithTwoBucketsAndNaN"
#[test]
fn works_in_range_with_two_buckets_and_nan() {
    assert_eq!(
        counts(&[1.0, 2.0, 3.0, 5.0, 6.0, NAN], &[0.0, 5.0, 10.0]),
        vec![3, 2]
    );
}

/// Spark: DoubleRDDSuite "WorksInRangeWithTwoUnevenBuckets"
#[test]
fn works_in_range_with_two_uneven_buckets() {
    assert_eq!(
        counts(&[1.0, 2.0, 3.0, 5.0, 6.0], &[0.0, 5.0, 11.0]),
        vec![3, 2]
    );
}

/// Spark: DoubleRDDSuite "WorksMixedRangeWithTwoUnevenBuckets"
#[test]
fn works_mixed_range_with_two_uneven_buckets() {
    let values = [-0.01, 0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 11.0, 11.01];
    assert_eq!(counts(&values, &[0.0, 5.0, 11.0]), vec![4, 3]);
}

/// The values of Spark's four-uneven-buckets cases.
const MIXED: [f64; 12] = [
    -0.01, 0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 11.01, 12.0, 199.0, 200.0, 200.1,
];

fn mixed_with(extra: &[f64]) -> Vec<f64> {
    MIXED.iter().chain(extra).copied().collect()
}

/// Spark: DoubleRDDSuite "WorksMixedRangeWithFourUnevenBuckets"
#[test]
fn works_mixed_range_with_four_uneven_buckets() {
    assert_eq!(
        counts(&MIXED, &[0.0, 5.0, 11.0, 12.0, 200.0]),
        vec![4, 2, 1, 3]
    );
}

/// Spark: DoubleRDDSuite "WorksMixedRangeWithUnevenBucketsAndNaN"
#[test]
fn works_mixed_range_with_uneven_buckets_and_nan() {
    let values = mixed_with(&[NAN]);
    assert_eq!(
        counts(&values, &[0.0, 5.0, 11.0, 12.0, 200.0]),
        vec![4, 2, 1, 3]
    );
}

/// Spark: DoubleRDDSuite "WorksMixedRangeWithUnevenBucketsAndNaNAndNaNRange": a NaN last edge
/// gathers NaN and everything above the edge before it.
#[test]
fn works_mixed_range_with_uneven_buckets_and_nan_and_nan_range() {
    let values = mixed_with(&[NAN]);
    let buckets = [0.0, 5.0, 11.0, 12.0, 200.0, NAN];
    assert_eq!(counts(&values, &buckets), vec![4, 2, 1, 2, 3]);
}

/// Spark: DoubleRDDSuite "WorksMixedRangeWithUnevenBucketsAndNaNAndNaNRangeAndInfinity":
/// +∞ falls in the NaN-topped bucket, -∞ nowhere.
#[test]
fn works_mixed_range_with_uneven_buckets_and_nan_and_nan_range_and_infinity() {
    let values = mixed_with(&[INF, -INF, NAN]);
    let buckets = [0.0, 5.0, 11.0, 12.0, 200.0, NAN];
    assert_eq!(counts(&values, &buckets), vec![4, 2, 1, 2, 4]);
}

/// Spark: DoubleRDDSuite "WorksWithOutOfRangeWithInfiniteBuckets"
#[test]
fn works_with_out_of_range_with_infinite_buckets() {
    assert_eq!(counts(&[10.01, -0.01, NAN], &[-INF, 0.0, INF]), vec![1, 1]);
}

/// Buckets out of order are not refused: values are placed by Java's binary search over them,
/// as Spark does (the counts below are what Spark 4.3 gives for the same call).
#[test]
fn unsorted_buckets_are_searched_as_spark_does() {
    assert_eq!(
        counts(&[1.0, 2.0, 3.0, 6.0, 7.0, 10.0], &[5.0, 0.0, 10.0]),
        vec![0, 6]
    );
}

/// Spark: DoubleRDDSuite "ThrowsExceptionOnInvalidBucketArray"
#[test]
fn throws_exception_on_invalid_bucket_array() {
    let sc = sc();
    let rdd = doubles(&sc, &[1.0]);
    for buckets in [&[][..], &[1.0][..]] {
        assert_eq!(
            refused(rdd.histogram_with(buckets)),
            "buckets array must have at least two elements"
        );
    }
    sc.stop();
}

/// Spark: DoubleRDDSuite "WorksWithoutBucketsBasic"
#[test]
fn works_without_buckets_basic() {
    assert_eq!(auto(&[1.0, 2.0, 3.0, 4.0], 1), (vec![1.0, 4.0], vec![4]));
}

/// Spark: DoubleRDDSuite "WorksWithoutBucketsBasicSingleElement"
#[test]
fn works_without_buckets_basic_single_element() {
    assert_eq!(auto(&[1.0], 1), (vec![1.0, 1.0], vec![1]));
}

/// Spark: DoubleRDDSuite "WorksWithoutBucketsBasicNoRange"
#[test]
fn works_without_buckets_basic_no_range() {
    assert_eq!(auto(&[1.0, 1.0, 1.0, 1.0], 1), (vec![1.0, 1.0], vec![4]));
}

/// Spark: DoubleRDDSuite "WorksWithoutBucketsBasicTwo"
#[test]
fn works_without_buckets_basic_two() {
    assert_eq!(
        auto(&[1.0, 2.0, 3.0, 4.0], 2),
        (vec![1.0, 2.5, 4.0], vec![2, 2])
    );
}

/// Spark: DoubleRDDSuite "WorksWithDoubleValuesAtMinMax"
#[test]
fn works_with_double_values_at_min_max() {
    let values = [1.0, 1.0, 1.0, 2.0, 3.0, 3.0];
    assert_eq!(auto(&values, 4).1, vec![3, 0, 1, 2]);
    assert_eq!(auto(&values, 3).1, vec![3, 1, 2]);
}

/// Spark: DoubleRDDSuite "WorksWithoutBucketsWithMoreRequestedThanElements"
#[test]
fn works_without_buckets_with_more_requested_than_elements() {
    let (edges, got) = auto(&[1.0, 2.0], 10);
    assert_eq!(got, vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(
        edges,
        vec![1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0]
    );
}

fn six_to_99() -> Vec<f64> {
    (6..=99).map(f64::from).collect()
}

/// Spark: DoubleRDDSuite "WorksWithoutBucketsForLargerDatasets"
#[test]
fn works_without_buckets_for_larger_datasets() {
    let (edges, got) = auto(&six_to_99(), 8);
    assert_eq!(got, vec![12, 12, 11, 12, 12, 11, 12, 12]);
    assert_eq!(
        edges,
        vec![6.0, 17.625, 29.25, 40.875, 52.5, 64.125, 75.75, 87.375, 99.0]
    );
}

/// Spark: DoubleRDDSuite "WorksWithoutBucketsWithNonIntegralBucketEdges" (SPARK-2862)
#[test]
fn works_without_buckets_with_non_integral_bucket_edges() {
    let (edges, got) = auto(&six_to_99(), 9);
    assert_eq!(got, vec![11, 10, 10, 11, 10, 10, 11, 10, 11]);
    assert_eq!((edges[0], edges[9]), (6.0, 99.0));
    // Every edge as real Spark 4.3 computes it (`JavaDoubleRDD.histogram(9)`).
    let spark_edges = [
        6.0,
        16.333333333333336,
        26.666666666666668,
        37.0,
        47.333333333333336,
        57.666666666666664,
        68.0,
        78.33333333333333,
        88.66666666666667,
        99.0,
    ];
    assert_eq!(edges, spark_edges);
}

/// Spark: DoubleRDDSuite "WorksWithHugeRange"
#[test]
fn works_with_huge_range() {
    let (_, got) = auto(&[0.0, 1.0e24, 1.0e30], 1_000_000);
    assert_eq!(got.len(), 1_000_000);
    assert_eq!((got[0], got[1], got[got.len() - 1]), (1, 1, 1));
    assert!(got[2..got.len() - 1].iter().all(|&c| c == 0));
}

/// Spark: DoubleRDDSuite "ThrowsExceptionOnInvalidRDDs" (infinity, NaN, empty), with
/// Spark's message; and a bucket count of 0 on a range, which gives Spark's one-edge array.
#[test]
fn throws_exception_on_invalid_rdds() {
    let sc = sc();
    let message = "Histogram on either an empty RDD or RDD containing +/-infinity or NaN";
    for values in [&[1.0, INF][..], &[1.0, NAN][..], &[][..], &[-INF, 2.0][..]] {
        assert_eq!(
            refused(doubles(&sc, values).histogram(1)),
            message,
            "{values:?}"
        );
    }
    let none: Rdd<f64> = sc.empty_rdd();
    assert_eq!(refused(none.histogram(1)), message);
    assert_eq!(
        refused(doubles(&sc, &[1.0, 2.0]).histogram(0)),
        "buckets array must have at least two elements"
    );
    // No range: Spark's [min, min] whatever the count.
    assert_eq!(
        doubles(&sc, &[3.0]).histogram(0).unwrap(),
        (vec![3.0, 3.0], vec![1])
    );
    sc.stop();
}

/// Spark: PartitioningSuite "zero-length partitions should be correctly handled": stats over
/// consecutive empty partitions (the first included).
#[test]
fn zero_length_partitions_are_handled_by_stats() {
    let sc = sc();
    let rdd = sc
        .parallelize(vec![-1.0, -1.0, -1.0, -1.0, 2.0, 4.0, -1.0, -1.0], 8)
        .filter(|x| *x >= 0.0);
    let stats = rdd.stats().unwrap();
    let close = |a: f64, b: f64| (a - b).abs() < 0.01;
    assert!(close(6.0, stats.sum()));
    assert!(close(3.0, rdd.mean().unwrap()));
    assert!(close(1.0, rdd.variance().unwrap()));
    assert!(close(1.0, rdd.stdev().unwrap()));
    assert!(close(2.0, stats.min()));
    assert!(close(4.0, stats.max()));
    sc.stop();
}

/// stats(): one counter per partition, merged; the sample statistics divide by N - 1; the
/// counter prints as Spark's `StatCounter.toString` (Java's `%f`).
#[test]
fn stats_match_a_direct_computation() {
    let sc = sc();
    let values: Vec<f64> = (1..=100).map(|i| f64::from(i) * 0.5).collect();
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let m2: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    let rdd = sc.parallelize(values, 7);
    let s = rdd.stats().unwrap();
    assert_eq!(s.count(), 100);
    assert!((s.mean() - mean).abs() < 1e-12);
    assert!((s.variance() - m2 / n).abs() < 1e-9);
    assert!((rdd.sample_variance().unwrap() - m2 / (n - 1.0)).abs() < 1e-9);
    assert!((rdd.sample_stdev().unwrap() - (m2 / (n - 1.0)).sqrt()).abs() < 1e-9);
    assert_eq!((s.max(), s.min()), (50.0, 0.5));
    assert_eq!(
        s.to_string(),
        "(count: 100, mean: 25.250000, stdev: 14.433035, max: 50.000000, min: 0.500000)"
    );
    // No elements: Spark's counter of nothing.
    let empty = sc.parallelize(Vec::<f64>::new(), 3).stats().unwrap();
    assert_eq!(
        empty.to_string(),
        "(count: 0, mean: 0.000000, stdev: NaN, max: -Infinity, min: Infinity)"
    );
    // A NaN propagates to min and max (Java's Math.min and max).
    let with_nan = sc.parallelize(vec![1.0, NAN, 3.0], 2).stats().unwrap();
    assert!(with_nan.max().is_nan() && with_nan.min().is_nan());
    sc.stop();
}
