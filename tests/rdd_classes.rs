//! Spark's RDD classes for coalesce, cartesian, zip, sampling, subtract and distinct: the
//! cases of Spark's RDDSuite and PairRDDFunctionsSuite about them, and Spark 4.3's own outputs
//! for seeded operations (printed by real Spark on the same inputs and partition counts).

mod common;

use std::collections::HashSet;

use common::{context, sorted};
use sparklet::prelude::*;

fn sc() -> SparkContext {
    context("local[2]")
}

fn invalid_message<T: std::fmt::Debug>(r: sparklet::Result<T>) -> String {
    match r {
        Err(Error::InvalidArgument(m)) => m,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

// ------------------------------------------------------------------ coalesce / repartition

/// Spark: RDDSuite "coalesced RDDs"
#[test]
fn coalesced_rdds() {
    let sc = sc();
    let data = sc.parallelize((1..=10).collect::<Vec<i32>>(), 10);
    assert_eq!(
        invalid_message(data.coalesce(0, false).collect()),
        "requirement failed: Number of partitions (0) must be positive."
    );

    let coalesced1 = data.coalesce(2, false);
    assert_eq!(coalesced1.collect().unwrap(), (1..=10).collect::<Vec<_>>());
    assert_eq!(
        coalesced1.glom().collect().unwrap(),
        vec![vec![1, 2, 3, 4, 5], vec![6, 7, 8, 9, 10]]
    );
    // The narrow dependency gives the parents of each partition.
    let dep = &coalesced1.dependencies()[0];
    assert!(!dep.is_shuffle());
    assert_eq!(dep.get_parents(0), Some(vec![0, 1, 2, 3, 4]));
    assert_eq!(dep.get_parents(1), Some(vec![5, 6, 7, 8, 9]));

    let coalesced2 = data.coalesce(3, false);
    assert_eq!(coalesced2.collect().unwrap(), (1..=10).collect::<Vec<_>>());
    assert_eq!(
        coalesced2.glom().collect().unwrap(),
        vec![vec![1, 2, 3], vec![4, 5, 6], vec![7, 8, 9, 10]]
    );

    let singles: Vec<Vec<i32>> = (1..=10).map(|x| vec![x]).collect();
    let coalesced3 = data.coalesce(10, false);
    assert_eq!(coalesced3.glom().collect().unwrap(), singles);
    // More partitions than the parent has: the parent's count is kept.
    let coalesced4 = data.coalesce(20, false);
    assert_eq!(coalesced4.num_partitions(), 10);
    assert_eq!(coalesced4.glom().collect().unwrap(), singles);

    // With a shuffle: CoalescedRDD over a ShuffledRDD, behind `values`.
    let coalesced5 = data.coalesce(1, true);
    let debug = coalesced5.to_debug_string();
    let lines: Vec<&str> = debug.lines().collect();
    assert!(lines[0].contains("MapPartitionsRDD"), "{debug}");
    assert!(lines[1].contains("CoalescedRDD"), "{debug}");
    assert!(lines[2].contains("ShuffledRDD"), "{debug}");
    assert_eq!(coalesced5.collect().unwrap().len(), 10);

    let coalesced6 = data.coalesce(20, true);
    assert_eq!(coalesced6.num_partitions(), 20);
    assert_eq!(
        sorted(coalesced6.collect().unwrap()),
        (1..=10).collect::<Vec<_>>()
    );
    sc.stop();
}

/// Spark: RDDSuite "coalesced RDDs with locality" and "coalesced RDDs with partial locality"
/// (what applies without preferred locations: no data lost, no empty group, and coalescing 9
/// partitions to 20 gives the 9 back).
#[test]
fn coalesced_rdds_without_locality_keep_every_element() {
    let sc = sc();
    let data = sc.parallelize((1..=9).collect::<Vec<i32>>(), 9);
    let coalesced1 = data.coalesce(3, false);
    assert_eq!(
        sorted(coalesced1.collect().unwrap()),
        (1..=9).collect::<Vec<_>>()
    );
    let splits = coalesced1.glom().collect().unwrap();
    assert_eq!(splits.len(), 3);
    assert!(
        splits.iter().all(|s| !s.is_empty()),
        "Some partitions were empty"
    );
    let coalesced4 = data.coalesce(20, false);
    let lists = coalesced4.glom().collect().unwrap();
    assert_eq!(lists, (1..=9).map(|x| vec![x]).collect::<Vec<_>>());
    sc.stop();
}

/// Spark: RDDSuite "repartitioned RDDs"
#[test]
fn repartitioned_rdds() {
    let sc = sc();
    let data = sc.parallelize((1..=1000).collect::<Vec<i32>>(), 10);
    assert_eq!(
        invalid_message(data.repartition(0).collect()),
        "requirement failed: Number of partitions (0) must be positive."
    );
    let want: HashSet<i32> = (1..=1000).collect();

    let repartitioned1 = data.repartition(2);
    assert_eq!(repartitioned1.num_partitions(), 2);
    let partitions1 = repartitioned1.glom().collect().unwrap();
    assert!(!partitions1[0].is_empty() && !partitions1[1].is_empty());
    let got: HashSet<i32> = repartitioned1.collect().unwrap().into_iter().collect();
    assert_eq!(got, want);

    let repartitioned2 = data.repartition(20);
    assert_eq!(repartitioned2.num_partitions(), 20);
    let partitions2 = repartitioned2.glom().collect().unwrap();
    assert!(!partitions2[0].is_empty() && !partitions2[19].is_empty());
    let got: HashSet<i32> = repartitioned2.collect().unwrap().into_iter().collect();
    assert_eq!(got, want);
    sc.stop();
}

/// Spark: RDDSuite "repartitioned RDDs perform load balancing"
#[test]
fn repartitioned_rdds_perform_load_balancing() {
    let sc = sc();
    let input = vec![1; 1000];
    let initial = 10;
    let data = sc.parallelize(input.clone(), initial);
    let repartitioned1 = data.repartition(2);
    assert_eq!(repartitioned1.num_partitions(), 2);
    let partitions1 = repartitioned1.glom().collect().unwrap();
    for p in &partitions1 {
        assert!((p.len() as i64 - 500).abs() < initial as i64, "{}", p.len());
    }
    assert_eq!(repartitioned1.collect().unwrap(), input);

    let split = |input: Vec<i32>, initial: usize, parts: usize| {
        let data = sc.parallelize(input.clone(), initial);
        let repartitioned = data.repartition(parts);
        assert_eq!(repartitioned.num_partitions(), parts);
        assert_eq!(
            sorted(repartitioned.collect().unwrap()),
            sorted(input.clone())
        );
        let max_possible = input.len() / parts + initial;
        for p in repartitioned.glom().collect().unwrap() {
            assert!(p.len() <= max_possible, "{} > {max_possible}", p.len());
            assert!(!p.is_empty());
        }
    };
    split(vec![1; 100], 10, 20);
    split([vec![1; 10_000], vec![2; 10_000]].concat(), 20, 100);
    split(vec![1; 1000], 250, 128);
    sc.stop();
}

/// Spark: RDDSuite "collect large number of empty partitions" (SPARK-4019; 100 slices to
/// 201 partitions here instead of 1000 to 2001: every reduce task reads every map output, and
/// the 2 million reads take half a minute in a debug build)
#[test]
fn collect_large_number_of_empty_partitions() {
    let sc = sc();
    let got = sc
        .parallelize((0..10).collect::<Vec<i32>>(), 100)
        .repartition(201)
        .collect()
        .unwrap();
    assert_eq!(sorted(got), (0..10).collect::<Vec<_>>());
    sc.stop();
}

/// Spark 4.3 printed these partitions for `parallelize(1 to 100, 3)`: the random start of
/// each map partition (`XORShiftRandom(index)`) and the `Int`-key placement are Spark's.
#[test]
fn repartition_places_elements_as_spark_does() {
    let sc = sc();
    let data = sc.parallelize((1..=100).collect::<Vec<i32>>(), 3);
    let parts = data.repartition(4).glom().collect().unwrap();
    assert_eq!(
        parts[0],
        vec![
            4, 8, 12, 16, 20, 24, 28, 32, 37, 41, 45, 49, 53, 57, 61, 65, 67, 71, 75, 79, 83, 87,
            91, 95, 99
        ]
    );
    assert_eq!(parts[1][..9], [1, 5, 9, 13, 17, 21, 25, 29, 33]);
    let five = data.coalesce(5, true).glom().collect().unwrap();
    assert_eq!(five[4][..6], [1, 6, 11, 16, 21, 26]);
    assert_eq!(five[3][..6], [5, 10, 15, 20, 25, 30]);
    assert_eq!(
        data.coalesce(2, false).glom().collect().unwrap()[0],
        (1..=33).collect::<Vec<_>>()
    );
    let debug = data.repartition(4).to_debug_string();
    let classes: Vec<&str> = debug
        .lines()
        .map(|l| {
            l.split_whitespace()
                .find(|w| w.contains("RDD["))
                .unwrap_or("")
        })
        .map(|w| w.split('[').next().unwrap_or(""))
        .collect();
    assert_eq!(
        classes,
        vec![
            "MapPartitionsRDD",
            "CoalescedRDD",
            "ShuffledRDD",
            "MapPartitionsRDD",
            "ParallelCollectionRDD"
        ],
        "{debug}"
    );
    assert!(debug.contains("+-(3) MapPartitionsRDD"), "{debug}");
    assert!(debug.contains("CoalescedRDD") && debug.contains("at repartition"));
    sc.stop();
}

// ------------------------------------------------------------------ cartesian

/// Spark: RDDSuite "cartesian on empty RDD"
#[test]
fn cartesian_on_empty_rdd() {
    let sc = sc();
    let a = sc.empty_rdd::<i32>();
    let b = sc.parallelize(vec![1, 2, 3], 2);
    assert!(a.cartesian(&a).collect().unwrap().is_empty());
    assert!(a.cartesian(&b).collect().unwrap().is_empty());
    assert!(b.cartesian(&a).collect().unwrap().is_empty());
    sc.stop();
}

/// Spark: RDDSuite "cartesian on non-empty RDDs"
#[test]
fn cartesian_on_non_empty_rdds() {
    let sc = sc();
    let a = sc.parallelize(vec![1, 2, 3], 2);
    let b = sc.parallelize(vec![2, 3, 4], 2);
    let c = sc.parallelize(vec![1], 2);
    assert_eq!(
        sorted(a.cartesian(&b).collect().unwrap()),
        vec![
            (1, 2),
            (1, 3),
            (1, 4),
            (2, 2),
            (2, 3),
            (2, 4),
            (3, 2),
            (3, 3),
            (3, 4)
        ]
    );
    assert_eq!(
        sorted(a.cartesian(&c).collect().unwrap()),
        vec![(1, 1), (2, 1), (3, 1)]
    );
    assert_eq!(
        sorted(c.cartesian(&a).collect().unwrap()),
        vec![(1, 1), (1, 2), (1, 3)]
    );
    // Spark's numbering: partition i * m + j pairs partitions i and j; narrow dependencies.
    let ab = a.cartesian(&b);
    assert_eq!(ab.num_partitions(), 4);
    let deps = ab.dependencies();
    assert_eq!(deps[0].get_parents(3), Some(vec![1]));
    assert_eq!(deps[1].get_parents(3), Some(vec![1]));
    assert_eq!(deps[1].get_parents(2), Some(vec![0]));
    sc.stop();
}

// ------------------------------------------------------------------ zip

/// Spark: RDDSuite "zipped RDDs"
#[test]
fn zipped_rdds() {
    let sc = sc();
    let nums = sc.parallelize(vec![1, 2, 3, 4], 2);
    let zipped = nums.zip(&nums.map(|x| f64::from(x) + 1.0));
    assert_eq!(
        zipped.glom().collect().unwrap(),
        vec![vec![(1, 2.0), (2, 3.0)], vec![(3, 4.0), (4, 5.0)]]
    );
    // Unequal partition counts: IllegalArgumentException in Spark.
    let m = invalid_message(nums.zip(&sc.parallelize(vec![1, 2, 3, 4], 1)).collect());
    assert_eq!(
        m,
        "Can't zip RDDs with unequal numbers of partitions: List(2, 1)"
    );
    // Unequal sizes: the job fails (SparkException in Spark).
    match nums.zip(&sc.parallelize(vec![1, 2, 3, 4, 5], 2)).collect() {
        Err(Error::JobAborted(m)) => assert!(
            m.contains("Can only zip RDDs with same number of elements in each partition"),
            "{m}"
        ),
        other => panic!("expected JobAborted, got {other:?}"),
    }
    // The context still works.
    assert_eq!(nums.count().unwrap(), 4);
    sc.stop();
}

/// Spark: ZippedPartitionsSuite "print sizes"
#[test]
fn zip_partitions_sees_both_partitions() {
    let sc = sc();
    let data1 = sc.parallelize(vec![1, 2, 3, 4], 2);
    let data2 = sc.parallelize(vec!['1', '2', '3', '4', '5', '6'], 2);
    let zipped = data1.zip_partitions(&data2, |a, b| vec![a.count(), b.count()]);
    assert_eq!(
        zipped.to_string(),
        format!("ZippedPartitionsRDD2[{}] at zipPartitions", zipped.id())
    );
    assert_eq!(zipped.collect().unwrap(), vec![2, 3, 2, 3]);
    sc.stop();
}

/// Spark: RDDSuite "zipWithIndex"
#[test]
fn zip_with_index() {
    let sc = sc();
    let ranked = sc
        .parallelize((0..10u64).collect::<Vec<_>>(), 3)
        .zip_with_index();
    for (x, i) in ranked.collect().unwrap() {
        assert_eq!(x, i);
    }
    assert_eq!(
        ranked.to_string(),
        format!("ZippedWithIndexRDD[{}] at zipWithIndex", ranked.id())
    );
    sc.stop();
}

/// Spark: RDDSuite "zipWithIndex with a single partition"
#[test]
fn zip_with_index_with_a_single_partition() {
    let sc = sc();
    let ranked = sc
        .parallelize((0..10u64).collect::<Vec<_>>(), 1)
        .zip_with_index();
    for (x, i) in ranked.collect().unwrap() {
        assert_eq!(x, i);
    }
    sc.stop();
}

/// Spark: RDDSuite "zipWithIndex chained with other RDDs (SPARK-4433)"
#[test]
fn zip_with_index_chained_with_other_rdds() {
    let sc = sc();
    let count = sc
        .parallelize((0..10).collect::<Vec<i32>>(), 2)
        .zip_with_index()
        .repartition(4)
        .count()
        .unwrap();
    assert_eq!(count, 10);
    sc.stop();
}

/// Spark's `ZippedWithIndexRDD` counts its parent's partitions (all but the last) in a job
/// when it is made, before any action on it; with one partition, no job runs.
#[test]
fn zip_with_index_runs_its_counting_job_at_definition() {
    let sc = sc();
    let log = EventLog::attach(&sc);
    let data = sc.parallelize((0..10).collect::<Vec<i32>>(), 3);
    let ranked = data.zip_with_index();
    assert_eq!(log.jobs().len(), 1, "the counting job runs at definition");
    let _one = data.coalesce(1, false).zip_with_index();
    assert_eq!(log.jobs().len(), 1, "one partition needs no count");
    assert_eq!(ranked.collect().unwrap()[9], (9, 9));
    assert_eq!(log.jobs().len(), 2);
    // A failed counting job is returned by the first job on the result.
    let failing = sc
        .parallelize(vec![1, 2, 3], 3)
        .map(|x| if x == 1 { panic!("count fails") } else { x })
        .zip_with_index();
    match failing.collect() {
        Err(Error::JobAborted(m)) => assert!(m.contains("count fails"), "{m}"),
        other => panic!("expected the counting job's failure, got {other:?}"),
    }
    sc.stop();
}

/// Spark: RDDSuite "zipWithUniqueId"
#[test]
fn zip_with_unique_id() {
    let sc = sc();
    let ranked = sc
        .parallelize((0..10).collect::<Vec<i32>>(), 3)
        .zip_with_unique_id();
    let ids = ranked.map(|(_, id)| id).distinct().collect().unwrap();
    assert_eq!(ids.len(), 10);
    // Spark 4.3: parallelize(1 to 5, 2).zipWithUniqueId().
    let five = sc.parallelize(vec![1, 2, 3, 4, 5], 2).zip_with_unique_id();
    assert_eq!(
        five.collect().unwrap(),
        vec![(1, 0), (2, 2), (3, 1), (4, 3), (5, 5)]
    );
    sc.stop();
}

// ------------------------------------------------------------------ sampling

/// Spark: RDDSuite "sample preserves partitioner"
#[test]
fn sample_preserves_partitioner() {
    let sc = sc();
    let p = Partitioner::hash(2);
    let rdd = sc
        .parallelize(vec![(0, 1), (2, 3)], 2)
        .partition_by(p.clone());
    for with_replacement in [true, false] {
        let sampled = rdd.sample(with_replacement, 1.0, 7);
        assert_eq!(sampled.partitioner(), Some(p.clone()));
    }
    sc.stop();
}

/// Spark 4.3's samples of `parallelize(1 to 100, 3)` with these seeds: the per-partition
/// seeds (`java.util.Random(seed).nextLong`), `XORShiftRandom`, and the Bernoulli and gap
/// samplers are Spark's, so the same elements are kept.
#[test]
fn samples_are_sparks_for_a_seed() {
    let sc = sc();
    let data = sc.parallelize((1..=100).collect::<Vec<i32>>(), 3);
    assert_eq!(
        data.sample(false, 0.5, 42).collect().unwrap(),
        vec![
            1, 2, 3, 9, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22, 23, 24, 26, 27, 28, 29, 31, 32,
            35, 36, 38, 39, 43, 46, 48, 50, 52, 54, 56, 58, 59, 64, 65, 67, 69, 70, 71, 73, 74, 75,
            76, 77, 78, 80, 81, 83, 86, 88, 90, 92, 94, 95, 97
        ]
    );
    assert_eq!(
        data.sample(false, 0.1, 42).collect().unwrap(),
        vec![13, 27, 39, 89, 91]
    );
    assert_eq!(
        data.sample(true, 0.3, 7).collect().unwrap(),
        vec![
            8, 14, 15, 15, 16, 18, 20, 22, 25, 28, 30, 31, 35, 41, 50, 55, 57, 58, 64, 75, 75, 76,
            80, 83, 87, 88, 96
        ]
    );
    assert_eq!(
        data.take_sample(false, 5, 42).unwrap(),
        vec![6, 65, 68, 62, 73]
    );
    assert_eq!(
        data.take_sample(true, 5, 42).unwrap(),
        vec![34, 16, 12, 37, 54]
    );
    let all = data.take_sample(false, 200, 3).unwrap();
    assert_eq!(all[..10], [84, 10, 11, 75, 98, 16, 87, 44, 31, 52]);
    assert_eq!(all.len(), 100);
    let splits = data.random_split(&[0.3, 0.7], 11);
    assert_eq!(
        splits[0].collect().unwrap(),
        vec![
            1, 2, 5, 8, 9, 11, 16, 20, 25, 26, 27, 31, 37, 38, 40, 45, 47, 50, 54, 56, 62, 63, 66,
            74, 75, 78, 80, 81, 84, 87, 95, 96
        ]
    );
    assert_eq!(splits[1].count().unwrap(), 68);
    // Above a fraction of 0.4 with replacement: Commons Math's Poisson draws, as Spark's.
    assert_eq!(
        sc.parallelize((1..=10).collect::<Vec<i32>>(), 2)
            .sample(true, 2.0, 5)
            .collect()
            .unwrap(),
        vec![1, 2, 3, 5, 5, 5, 5, 5, 6, 7, 7, 8, 8, 8, 8, 9, 10, 10]
    );
    let p09 = sc
        .parallelize((1..=200).collect::<Vec<i32>>(), 3)
        .sample(true, 0.9, 123)
        .collect()
        .unwrap();
    assert_eq!(p09.len(), 175);
    assert_eq!(p09[..12], [1, 3, 5, 6, 7, 7, 9, 10, 11, 11, 11, 12]);
    assert_eq!(
        p09[p09.len() - 8..],
        [197, 197, 197, 197, 197, 199, 200, 200]
    );
    let p5 = sc
        .parallelize((1..=20).collect::<Vec<i32>>(), 2)
        .sample(true, 5.0, 9)
        .collect()
        .unwrap();
    assert_eq!(p5.len(), 111);
    assert_eq!(
        p5[..19],
        [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4]
    );
    assert_eq!(
        sc.parallelize((1..=200).collect::<Vec<i32>>(), 3)
            .take_sample(true, 30, 77)
            .unwrap()[..10],
        [126, 95, 66, 95, 146, 134, 4, 104, 28, 166]
    );
    let few = sc.parallelize(vec![1, 2, 3, 3, 4], 2);
    assert!(few.sample(true, 0.7, 5).collect().unwrap().is_empty());
    sc.stop();
}

/// A recomputed partition samples the same elements (the sampler is seeded per partition).
#[test]
fn a_recomputed_sample_keeps_the_same_elements() {
    let sc = sc();
    let data = sc.parallelize((0..1000).collect::<Vec<i32>>(), 4);
    let sampled = data.sample(false, 0.3, 99);
    let first = sampled.collect().unwrap();
    assert_eq!(sampled.collect().unwrap(), first);
    let with = data.sample(true, 1.5, 5);
    assert_eq!(with.collect().unwrap(), with.collect().unwrap());
    assert_eq!(
        sampled.to_string(),
        format!("PartitionwiseSampledRDD[{}] at sample", sampled.id())
    );
    sc.stop();
}

/// Spark's `sample` and sampler argument checks, raised when a job runs.
#[test]
fn sample_argument_errors_are_sparks() {
    let sc = sc();
    let data = sc.parallelize(vec![1, 2, 3], 2);
    assert_eq!(
        invalid_message(data.sample(false, -1.0, 1).collect()),
        "requirement failed: Fraction must be nonnegative, but got -1.0"
    );
    assert_eq!(
        invalid_message(data.sample(false, 1.5, 1).collect()),
        "requirement failed: Sampling fraction (1.5) must be on interval [0, 1]"
    );
    assert!(
        data.sample(true, 2.5, 1).count().is_ok(),
        "with replacement, any fraction >= 0"
    );
    let bad = data.random_split(&[0.5, -0.5], 1);
    assert_eq!(
        invalid_message(bad[0].collect()),
        "requirement failed: Weights must be nonnegative, but got [0.5,-0.5]"
    );
    let zero = data.random_split(&[0.0, 0.0], 1);
    assert_eq!(
        invalid_message(zero[1].count()),
        "requirement failed: Sum of weights must be positive, but got [0.0,0.0]"
    );
    assert_eq!(
        invalid_message(data.take_sample(false, usize::MAX, 1)),
        "requirement failed: Cannot support a sample size > Int.MaxValue - 10.0 * \
         math.sqrt(Int.MaxValue)"
    );
    sc.stop();
}

/// Spark: RDDSuite "takeSample" (n scaled from 1,000,000 to 100,000 for a debug build).
#[test]
fn take_sample() {
    let sc = sc();
    let n = 100_000;
    let data = sc.parallelize((1..=n).collect::<Vec<i32>>(), 2);
    let in_range = |s: &[i32]| s.iter().all(|x| (1..=n).contains(x));
    for num in [5, 20, 100] {
        let s = data.take_sample(false, num, num as u64).unwrap();
        assert_eq!(s.len(), num);
        assert_eq!(s.iter().collect::<HashSet<_>>().len(), num);
        assert!(in_range(&s));
    }
    for seed in 1..=5 {
        for num in [20, 100] {
            let s = data.take_sample(false, num, seed).unwrap();
            assert_eq!(s.len(), num);
            assert_eq!(s.iter().collect::<HashSet<_>>().len(), num);
            assert!(in_range(&s));
        }
        let s = data.take_sample(true, 20, seed).unwrap();
        assert_eq!(s.len(), 20);
        assert!(in_range(&s));
    }
    for seed in 1..=2 {
        let s = data.take_sample(true, n as usize, seed).unwrap();
        assert_eq!(s.len(), n as usize);
        assert!(s.iter().collect::<HashSet<_>>().len() < n as usize);
        assert!(in_range(&s));
        let s = data.take_sample(true, 2 * n as usize, seed).unwrap();
        assert_eq!(s.len(), 2 * n as usize);
        assert!(s.iter().collect::<HashSet<_>>().len() < n as usize);
    }
    sc.stop();
}

/// Spark: RDDSuite "takeSample from an empty rdd"
#[test]
fn take_sample_from_an_empty_rdd() {
    let sc = sc();
    let empty = sc.parallelize(Vec::<i32>::new(), 2);
    assert!(empty.take_sample(false, 20, 1).unwrap().is_empty());
    assert!(empty.take_sample(true, 0, 1).unwrap().is_empty());
    sc.stop();
}

/// Spark: RDDSuite "randomSplit"
#[test]
fn random_split() {
    let sc = sc();
    let n = 600;
    let data = sc.parallelize((1..=n).collect::<Vec<i32>>(), 2);
    for seed in 1..=5 {
        let splits = data.random_split(&[1.0, 2.0, 3.0], seed);
        assert_eq!(splits.len(), 3, "wrong number of splits");
        let all: Vec<i32> = splits.iter().flat_map(|s| s.collect().unwrap()).collect();
        assert_eq!(
            sorted(all),
            data.collect().unwrap(),
            "incomplete or wrong split"
        );
        let counts: Vec<i64> = splits.iter().map(|s| s.count().unwrap() as i64).collect();
        assert!((counts[0] - 100).abs() < 50);
        assert!((counts[1] - 200).abs() < 50);
        assert!((counts[2] - 300).abs() < 50);
    }
    sc.stop();
}

// ------------------------------------------------------------------ distinct, subtract, ...

/// Spark: RDDSuite "basic operations" (the distinct and keyBy assertions)
#[test]
fn basic_operations_distinct_and_key_by() {
    let sc = sc();
    let nums = sc.parallelize(vec![1, 2, 3, 4], 2);
    let dups = sc.parallelize(vec![1, 1, 2, 2, 3, 3, 4, 4], 2);
    assert_eq!(dups.distinct().count().unwrap(), 4);
    assert_eq!(
        dups.distinct().collect().unwrap(),
        dups.distinct().collect().unwrap()
    );
    assert_eq!(
        dups.distinct_with(2).collect().unwrap(),
        dups.distinct().collect().unwrap()
    );
    assert_eq!(
        nums.key_by(|x| x.to_string()).collect().unwrap(),
        vec![
            ("1".to_string(), 1),
            ("2".to_string(), 2),
            ("3".to_string(), 3),
            ("4".to_string(), 4)
        ]
    );
    let debug = dups.distinct().to_debug_string();
    assert!(
        debug.contains("ShuffledRDD") && debug.contains("at distinct"),
        "{debug}"
    );
    sc.stop();
}

/// Spark: RDDSuite "distinct with known partitioner preserves partitioning" (partitioned by
/// partition_by instead of sortByKey; the rule is the same)
#[test]
fn distinct_with_known_partitioner_preserves_partitioning() {
    let sc = sc();
    let rdd = sc
        .parallelize((1..=100).collect::<Vec<i32>>(), 10)
        .map(|x| (x % 10, x % 10))
        .partition_by(Partitioner::hash(10));
    let initial = rdd.partitioner();
    let distinct = rdd.distinct();
    assert_eq!(distinct.partitioner(), initial);
    assert!(distinct.dependencies().iter().all(|d| !d.is_shuffle()));
    let different = rdd.distinct_with(5);
    assert_ne!(different.partitioner(), initial);
    assert_eq!(
        sorted(distinct.collect().unwrap()),
        sorted(different.collect().unwrap())
    );
    assert_eq!(distinct.count().unwrap(), 10);
    sc.stop();
}

/// Spark: RDDSuite "intersection"
#[test]
fn intersection() {
    let sc = sc();
    let all = sc.parallelize((1..=10).collect::<Vec<i32>>(), 2);
    let evens = sc.parallelize(vec![2, 4, 6, 8, 10], 2);
    assert_eq!(
        sorted(all.intersection(&evens).collect().unwrap()),
        vec![2, 4, 6, 8, 10]
    );
    assert_eq!(
        sorted(evens.intersection(&all).collect().unwrap()),
        vec![2, 4, 6, 8, 10]
    );
    sc.stop();
}

/// Spark: RDDSuite "intersection strips duplicates in an input"
#[test]
fn intersection_strips_duplicates_in_an_input() {
    let sc = sc();
    let a = sc.parallelize(vec![1, 2, 3, 3], 2);
    let b = sc.parallelize(vec![1, 1, 2, 3], 2);
    assert_eq!(sorted(a.intersection(&b).collect().unwrap()), vec![1, 2, 3]);
    assert_eq!(sorted(b.intersection(&a).collect().unwrap()), vec![1, 2, 3]);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "subtract"
#[test]
fn subtract() {
    let sc = sc();
    let a = sc.parallelize(vec![1, 2, 3], 2);
    let b = sc.parallelize(vec![2, 3, 4], 4);
    let c = a.subtract(&b);
    assert_eq!(c.collect().unwrap(), vec![1]);
    assert_eq!(c.num_partitions(), a.num_partitions());
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "subtract with narrow dependency" (a hash partitioner of 5
/// in place of the suite's identity partitioner)
#[test]
fn subtract_with_narrow_dependency() {
    let sc = sc();
    let p = Partitioner::hash(5);
    let a = sc
        .parallelize(vec![(1, 'a'), (2, 'b'), (3, 'c')], 2)
        .partition_by(p.clone());
    let b = sc.parallelize(vec![(2, 'b'), (3, 'd'), (4, 'd')], 4);
    let c = a.subtract(&b);
    assert_eq!(sorted(c.collect().unwrap()), vec![(1, 'a'), (3, 'c')]);
    // Ideally we could keep the original partitioner... (as Spark's comment says)
    assert_eq!(c.partitioner(), None);
    assert_eq!(c.num_partitions(), 5);
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "subtractByKey"
#[test]
fn subtract_by_key() {
    let sc = sc();
    let a = sc.parallelize(vec![(1, 'a'), (1, 'a'), (2, 'b'), (3, 'c')], 2);
    let b = sc.parallelize(vec![(2, 20), (3, 30), (4, 40)], 4);
    let c = a.subtract_by_key(&b);
    assert_eq!(c.collect().unwrap(), vec![(1, 'a'), (1, 'a')]);
    assert_eq!(c.num_partitions(), a.num_partitions());
    assert_eq!(
        c.to_string(),
        format!("SubtractedRDD[{}] at subtractByKey", c.id())
    );
    sc.stop();
}

/// Spark: PairRDDFunctionsSuite "subtractByKey with narrow dependency"
#[test]
fn subtract_by_key_with_narrow_dependency() {
    let sc = sc();
    let p = Partitioner::hash(5);
    let a = sc
        .parallelize(vec![(1, 'a'), (1, 'a'), (2, 'b'), (3, 'c')], 2)
        .partition_by(p.clone());
    let b = sc.parallelize(vec![(2, 'b'), (3, 'd'), (4, 'd')], 4);
    let c = a.subtract_by_key(&b);
    assert_eq!(c.collect().unwrap(), vec![(1, 'a'), (1, 'a')]);
    assert_eq!(c.partitioner(), Some(p));
    let deps = c.dependencies();
    assert!(
        !deps[0].is_shuffle(),
        "the partitioned side is read one-to-one"
    );
    assert!(deps[1].is_shuffle());
    sc.stop();
}

/// Spark: RDDSuite "groupBy" is exercised through PairRDDFunctionsSuite's groupByKey cases;
/// here `group_by` uses the default partitioner of the original RDD.
#[test]
fn group_by_uses_the_default_partitioner() {
    let sc = sc();
    let p = Partitioner::hash(3);
    let rdd = sc
        .parallelize((0..12).map(|x| (x, x)).collect::<Vec<(i32, i32)>>(), 4)
        .partition_by(p.clone());
    let grouped = rdd.group_by(|(k, _)| k % 2);
    assert_eq!(
        grouped.partitioner(),
        Some(p),
        "defaultPartitioner(this) is the parent's"
    );
    let mut got = grouped.collect().unwrap();
    for (_, vs) in got.iter_mut() {
        vs.sort();
    }
    got.sort();
    assert_eq!(got[0].0, 0);
    assert_eq!(got[0].1.len(), 6);
    assert_eq!(got[1].1.len(), 6);
    sc.stop();
}

/// An executor lost between the stages of a repartition (its map outputs with it): the reduce
/// side fetch-fails, the lost map partitions re-run, and every element is still there once.
#[test]
fn repartition_survives_a_lost_executor() {
    let sc = common::context_with(
        "local-cluster[3,1,64]",
        &[("sparklet.faults.killExecutorAfterTasks", "2")],
    );
    let data = sc.parallelize((0..500).collect::<Vec<i32>>(), 6);
    let got = data.repartition(4).collect().unwrap();
    assert_eq!(sorted(got), (0..500).collect::<Vec<_>>());
    let sub = data.subtract(&sc.parallelize((0..250).collect::<Vec<i32>>(), 3));
    assert_eq!(
        sorted(sub.collect().unwrap()),
        (250..500).collect::<Vec<_>>()
    );
    sc.stop();
}

/// The class names of a lineage, root first, as `to_debug_string` prints them.
fn lineage_classes<T: Data>(rdd: &Rdd<T>) -> Vec<String> {
    rdd.to_debug_string()
        .lines()
        .filter_map(|l| l.split_whitespace().find(|w| w.contains("RDD[")))
        .map(|w| w.split('[').next().unwrap_or("").to_string())
        .collect()
}

/// Spark 4.3's `toDebugString` of each operation on `parallelize` RDDs: the same classes in
/// the same order, and the same shuffle boundaries (groupBy as Scala's API makes it: Java's
/// wrapper adds a mapValues on top).
#[test]
fn lineages_are_sparks() {
    let sc = sc();
    let a = sc.parallelize(vec![1, 2, 3, 3, 4], 2);
    let b = sc.parallelize(vec![3, 4, 5], 3);
    let pc = "ParallelCollectionRDD";
    let mp = "MapPartitionsRDD";
    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        (
            lineage_classes(&a.distinct()),
            vec![mp, "ShuffledRDD", mp, pc],
        ),
        (
            lineage_classes(&a.subtract(&b)),
            vec![mp, "SubtractedRDD", mp, pc, mp, pc],
        ),
        (
            lineage_classes(&a.group_by(|x| x % 2)),
            vec!["ShuffledRDD", mp, pc],
        ),
        (
            lineage_classes(&a.zip_with_index()),
            vec!["ZippedWithIndexRDD", pc],
        ),
        (lineage_classes(&a.zip_with_unique_id()), vec![mp, pc]),
        (
            lineage_classes(&a.cartesian(&b)),
            vec!["CartesianRDD", pc, pc],
        ),
        (
            lineage_classes(&a.random_split(&[1.0, 1.0], 3)[0]),
            vec![mp, pc],
        ),
        (
            lineage_classes(&a.sample(true, 0.7, 5)),
            vec!["PartitionwiseSampledRDD", pc],
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
    let debug = a.subtract(&b).to_debug_string();
    assert!(
        debug.contains("SubtractedRDD") && debug.contains("+-(3) MapPartitionsRDD"),
        "{debug}"
    );
    assert_eq!(a.cartesian(&b).num_partitions(), 6);
    sc.stop();
}

/// RDDs of no partitions through every operation here (Spark's `EmptyRDD`): nothing to
/// compute, no job hangs on a stage of zero tasks.
#[test]
fn operations_on_an_rdd_of_no_partitions() {
    let sc = sc();
    let empty = sc.empty_rdd::<i32>();
    assert_eq!(empty.coalesce(3, false).num_partitions(), 0);
    assert!(empty.coalesce(3, false).collect().unwrap().is_empty());
    let shuffled = empty.repartition(3);
    assert_eq!(shuffled.num_partitions(), 3);
    assert!(shuffled.collect().unwrap().is_empty());
    assert!(empty.zip_with_index().collect().unwrap().is_empty());
    assert!(empty.zip_with_unique_id().collect().unwrap().is_empty());
    assert!(empty
        .zip(&sc.empty_rdd::<u8>())
        .collect()
        .unwrap()
        .is_empty());
    assert!(empty.sample(false, 0.5, 1).collect().unwrap().is_empty());
    assert!(empty.take_sample(true, 3, 1).unwrap().is_empty());
    assert!(empty.distinct().collect().unwrap().is_empty());
    // Into the empty side's zero partitions, the other side's data cannot go (Spark fails its
    // map task dividing by zero; here the job is refused first).
    let m = invalid_message(empty.subtract(&sc.parallelize(vec![1], 1)).collect());
    assert!(m.contains("HashPartitioner(0)"), "{m}");
    assert!(sc.parallelize(vec![1], 1).subtract(&empty).count().unwrap() == 1);
    assert!(empty
        .intersection(&sc.parallelize(vec![1], 1))
        .collect()
        .unwrap()
        .is_empty());
    assert!(empty.group_by(|x| *x).collect().unwrap().is_empty());
    sc.stop();
}
