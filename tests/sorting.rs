//! Sorting: Spark's SortingSuite (`sortByKey`), and RDDSuite's cases about `sortBy` and
//! `repartitionAndSortWithinPartitions`.
//!
//! Spark's arrays of random ints are seeded here (xorshift), so each run sorts the same data.
//! `sort_by_key` is stable within a partition and the partitions hold contiguous slices in
//! map order, so its result equals Rust's stable sort of the input by key, as Spark's
//! `sortBy(_._1)` on the array is.

mod common;

use std::cmp::Ordering;

use common::context;
use sparklet::prelude::*;

struct XorShift(u64);

impl XorShift {
    fn next_i32(&mut self) -> i32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 32) as i32
    }
}

/// Spark's `Array.fill(n) { (rand.nextInt(), rand.nextInt()) }`, seeded.
fn random_pairs(n: usize, seed: u64) -> Vec<(i32, i32)> {
    let mut rng = XorShift(seed);
    (0..n).map(|_| (rng.next_i32(), rng.next_i32())).collect()
}

fn sorted_by_key(mut v: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    v.sort_by_key(|p| p.0);
    v
}

fn sorted_by_key_descending(mut v: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    v.sort_by_key(|p| std::cmp::Reverse(p.0));
    v
}

/// Spark: SortingSuite "sortByKey"
#[test]
fn sort_by_key() {
    let sc = context("local[2]");
    let pairs = sc.parallelize(vec![(1, 0), (2, 0), (0, 0), (3, 0)], 2);
    assert_eq!(
        pairs.sort_by_key(true, 2).collect().unwrap(),
        vec![(0, 0), (1, 0), (2, 0), (3, 0)]
    );
}

/// Spark: SortingSuite "large array"
#[test]
fn large_array() {
    let sc = context("local[2]");
    let arr = random_pairs(1000, 1);
    let sorted = sc.parallelize(arr.clone(), 2).sort_by_key(true, 2);
    assert_eq!(sorted.num_partitions(), 2);
    assert_eq!(sorted.collect().unwrap(), sorted_by_key(arr));
}

/// Spark: SortingSuite "large array with one split"
#[test]
fn large_array_with_one_split() {
    let sc = context("local[2]");
    let arr = random_pairs(1000, 2);
    let sorted = sc.parallelize(arr.clone(), 2).sort_by_key(true, 1);
    assert_eq!(sorted.num_partitions(), 1);
    assert_eq!(sorted.collect().unwrap(), sorted_by_key(arr));
}

/// Spark: SortingSuite "large array with many partitions"
#[test]
fn large_array_with_many_partitions() {
    let sc = context("local[2]");
    let arr = random_pairs(1000, 3);
    let sorted = sc.parallelize(arr.clone(), 2).sort_by_key(true, 20);
    assert_eq!(sorted.num_partitions(), 20);
    assert_eq!(sorted.collect().unwrap(), sorted_by_key(arr));
}

/// Spark: SortingSuite "sort descending"
#[test]
fn sort_descending() {
    let sc = context("local[2]");
    let arr = random_pairs(1000, 4);
    let pairs = sc.parallelize(arr.clone(), 2);
    assert_eq!(
        pairs.sort_by_key(false, 2).collect().unwrap(),
        sorted_by_key_descending(arr)
    );
}

/// Spark: SortingSuite "sort descending with one split"
#[test]
fn sort_descending_with_one_split() {
    let sc = context("local[2]");
    let arr = random_pairs(1000, 5);
    let pairs = sc.parallelize(arr.clone(), 1);
    assert_eq!(
        pairs.sort_by_key(false, 1).collect().unwrap(),
        sorted_by_key_descending(arr)
    );
}

/// Spark: SortingSuite "sort descending with many partitions"
#[test]
fn sort_descending_with_many_partitions() {
    let sc = context("local[2]");
    let arr = random_pairs(1000, 6);
    let pairs = sc.parallelize(arr.clone(), 2);
    assert_eq!(
        pairs.sort_by_key(false, 20).collect().unwrap(),
        sorted_by_key_descending(arr)
    );
}

/// Spark: SortingSuite "more partitions than elements"
#[test]
fn more_partitions_than_elements() {
    let sc = context("local[2]");
    let arr = random_pairs(10, 7);
    let pairs = sc.parallelize(arr.clone(), 30);
    let sorted = pairs.sort_by_key(true, 30);
    // At most one bound per distinct key: 11 partitions at most, the last one empty.
    assert!(sorted.num_partitions() <= 11, "{}", sorted.num_partitions());
    assert_eq!(sorted.collect().unwrap(), sorted_by_key(arr));
}

/// Spark: SortingSuite "empty RDD"
#[test]
fn empty_rdd() {
    let sc = context("local[2]");
    let pairs = sc.parallelize(Vec::<(i32, i32)>::new(), 2);
    let sorted = pairs.sort_by_key(true, 2);
    assert_eq!(sorted.num_partitions(), 1);
    assert!(sorted.collect().unwrap().is_empty());
}

/// The partitions of `rdd` as vectors (Spark's `collectPartitions`).
fn partitions(rdd: &Rdd<(i32, i32)>) -> Vec<Vec<(i32, i32)>> {
    rdd.glom().collect().unwrap()
}

/// Spark: SortingSuite "partition balancing"
#[test]
fn partition_balancing() {
    let sc = context("local[2]");
    let arr: Vec<(i32, i32)> = (1..=1000).map(|x| (x, x)).collect();
    let sorted = sc.parallelize(arr.clone(), 4).sort_by_key(true, 4);
    assert_eq!(sorted.collect().unwrap(), arr);
    let parts = partitions(&sorted);
    assert_eq!(parts.len(), 4);
    for p in &parts {
        assert!(
            p.len() > 100 && p.len() < 400,
            "lengths {:?}",
            lengths(&parts)
        );
    }
    for w in parts.windows(2) {
        assert!(w[0].last().unwrap() < w[1].first().unwrap());
    }
}

/// Spark: SortingSuite "partition balancing for descending sort"
#[test]
fn partition_balancing_for_descending_sort() {
    let sc = context("local[2]");
    let arr: Vec<(i32, i32)> = (1..=1000).map(|x| (x, x)).collect();
    let sorted = sc.parallelize(arr.clone(), 4).sort_by_key(false, 4);
    let mut reversed = arr;
    reversed.reverse();
    assert_eq!(sorted.collect().unwrap(), reversed);
    let parts = partitions(&sorted);
    assert_eq!(parts.len(), 4);
    for p in &parts {
        assert!(
            p.len() > 100 && p.len() < 400,
            "lengths {:?}",
            lengths(&parts)
        );
    }
    for w in parts.windows(2) {
        assert!(w[0].last().unwrap() > w[1].first().unwrap());
    }
}

fn lengths(parts: &[Vec<(i32, i32)>]) -> Vec<usize> {
    parts.iter().map(Vec::len).collect()
}

/// `sort_by_key` runs its range partitioner's sampling job when it is called (Spark's
/// `sortByKey` does), and the sort itself when an action runs; the result is a ShuffledRDD
/// partitioned by the range partitioner.
#[test]
fn sort_by_key_samples_when_defined_and_is_a_shuffled_rdd() {
    let sc = context("local[2]");
    let log = EventLog::attach(&sc);
    let pairs = sc.parallelize((0..100).rev().map(|x| (x, x)).collect(), 4);
    let sorted = pairs.sort_by_key(true, 3);
    assert_eq!(log.jobs().len(), 1, "the sampling job runs at definition");
    assert_eq!(sorted.collect().unwrap().first(), Some(&(0, 0)));
    assert_eq!(log.jobs().len(), 2);
    let p = sorted.partitioner().expect("a range partitioner");
    assert_eq!(p, Partitioner::range(3, &pairs, true).unwrap());
    assert_eq!(p.num_partitions(), sorted.num_partitions());
    let debug = sorted.to_debug_string();
    assert!(debug.contains("ShuffledRDD"), "{debug}");
    assert!(debug.contains("ParallelCollectionRDD"), "{debug}");
    assert!(sorted.to_string().contains("ShuffledRDD"), "{sorted}");
}

/// A failing sampling job makes every job on the sorted RDD fail with its error.
#[test]
fn a_failed_sampling_job_fails_the_sorts_jobs() {
    let sc = context("local[2]");
    let pairs = sc
        .parallelize(vec![(1, 1), (2, 2)], 2)
        .map(|(k, v): (i32, i32)| {
            assert!(k != 2, "bad record {k}");
            (k, v)
        });
    let sorted = pairs.sort_by_key(true, 2);
    let err = sorted.collect().unwrap_err();
    assert!(err.to_string().contains("bad record 2"), "{err}");
}

/// Keys need only be `Ord`: `f64` keys through a total-order wrapper with no `Hash`.
#[test]
fn keys_need_not_be_hash() {
    #[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Total(f64);
    impl Eq for Total {}
    impl PartialOrd for Total {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Total {
        fn cmp(&self, other: &Self) -> Ordering {
            self.0.total_cmp(&other.0)
        }
    }
    let sc = context("local[2]");
    let xs = [2.5, -1.0, 3.25, 0.0, -7.5];
    let rdd = sc.parallelize(xs.iter().map(|&x| (Total(x), ())).collect(), 2);
    let got: Vec<f64> = rdd
        .sort_by_key(true, 2)
        .collect()
        .unwrap()
        .into_iter()
        .map(|(k, ())| k.0)
        .collect();
    assert_eq!(got, vec![-7.5, -1.0, 0.0, 2.5, 3.25]);
}

/// Spark: RDDSuite "sort an empty RDD"
#[test]
fn sort_an_empty_rdd() {
    let sc = context("local[2]");
    let data = sc.empty_rdd::<i32>();
    assert!(data.sort_by(|x| *x, true, 2).collect().unwrap().is_empty());
}

fn field(s: &str, i: usize) -> String {
    s.split('|').nth(i).unwrap_or_default().to_string()
}

/// Spark: RDDSuite "sortByKey" (a `sortBy` on each field)
#[test]
fn sort_by_each_field() {
    let sc = context("local[2]");
    let data = sc.parallelize(
        vec!["5|50|A".to_string(), "4|60|C".into(), "6|40|B".into()],
        2,
    );
    let col1 = ["4|60|C", "5|50|A", "6|40|B"];
    let col2 = ["6|40|B", "5|50|A", "4|60|C"];
    let col3 = ["5|50|A", "6|40|B", "4|60|C"];
    for (i, want) in [col1, col2, col3].iter().enumerate() {
        let got = data
            .sort_by(move |s| field(s, i), true, 2)
            .collect()
            .unwrap();
        assert_eq!(got, want.to_vec(), "field {i}");
    }
}

/// Spark: RDDSuite "sortByKey ascending parameter"
#[test]
fn sort_by_ascending_parameter() {
    let sc = context("local[2]");
    let data = sc.parallelize(
        vec!["5|50|A".to_string(), "4|60|C".into(), "6|40|B".into()],
        2,
    );
    let asc = ["4|60|C", "5|50|A", "6|40|B"];
    let desc = ["6|40|B", "5|50|A", "4|60|C"];
    let by_first = |ascending| {
        data.sort_by(|s| field(s, 0), ascending, 2)
            .collect()
            .unwrap()
    };
    assert_eq!(by_first(true), asc.to_vec());
    assert_eq!(by_first(false), desc.to_vec());
}

/// Spark: RDDSuite "sortByKey with explicit ordering" (Spark's implicit `Ordering`s are key
/// types with their own `Ord` here).
#[test]
fn sort_by_with_explicit_ordering() {
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct ByAge(String, String, u32);
    impl PartialOrd for ByAge {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for ByAge {
        fn cmp(&self, other: &Self) -> Ordering {
            self.2.cmp(&other.2)
        }
    }
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct ByName(String, String, u32);
    impl PartialOrd for ByName {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for ByName {
        fn cmp(&self, other: &Self) -> Ordering {
            (&self.1, &self.0).cmp(&(&other.1, &other.0))
        }
    }
    let sc = context("local[2]");
    let people = [
        "Bob|Smith|50",
        "Jane|Smith|40",
        "Thomas|Williams|30",
        "Karen|Williams|60",
    ];
    let data = sc.parallelize(people.iter().map(|s| s.to_string()).collect(), 2);
    let age = |s: &String| field(s, 2).parse::<u32>().unwrap_or(0);
    let age_ordered = data
        .sort_by(move |s| ByAge(field(s, 0), field(s, 1), age(s)), true, 2)
        .collect()
        .unwrap();
    assert_eq!(
        age_ordered,
        [
            "Thomas|Williams|30",
            "Jane|Smith|40",
            "Bob|Smith|50",
            "Karen|Williams|60"
        ]
    );
    let name_ordered = data
        .sort_by(move |s| ByName(field(s, 0), field(s, 1), age(s)), true, 2)
        .collect()
        .unwrap();
    assert_eq!(
        name_ordered,
        [
            "Bob|Smith|50",
            "Jane|Smith|40",
            "Karen|Williams|60",
            "Thomas|Williams|30"
        ]
    );
}

/// Spark: RDDSuite "repartitionAndSortWithinPartitions"
#[test]
fn repartition_and_sort_within_partitions() {
    let sc = context("local[2]");
    let data = sc.parallelize(vec![(0, 5), (3, 8), (2, 6), (0, 8), (3, 8), (1, 3)], 2);
    let p = Partitioner::custom("EvenOdd", 2, |k: &i32| (k % 2) as usize);
    let repartitioned = data.repartition_and_sort_within_partitions(p.clone());
    assert_eq!(repartitioned.partitioner(), Some(p));
    let parts = repartitioned.glom().collect().unwrap();
    assert_eq!(parts[0], vec![(0, 5), (0, 8), (2, 6)]);
    assert_eq!(parts[1], vec![(1, 3), (3, 8), (3, 8)]);
    assert!(repartitioned.to_debug_string().contains("ShuffledRDD"));
}

/// Spark: RDDSuite "SPARK-32384: repartitionAndSortWithinPartitions without shuffle"
#[test]
fn repartition_and_sort_within_partitions_without_shuffle() {
    let sc = context("local[2]");
    let data = sc.parallelize(vec![(0, 5), (3, 8), (2, 6), (0, 8), (3, 8), (1, 3)], 2);
    let p = Partitioner::hash(2);
    let agged = data.reduce_by_key_with(p.clone(), |a, b| a + b);
    assert_eq!(agged.partitioner(), Some(p.clone()));
    let sorted = agged.repartition_and_sort_within_partitions(p.clone());
    assert_eq!(sorted.partitioner(), Some(p));
    let deps = sorted.dependencies();
    assert!(
        !deps.is_empty() && deps.iter().all(|d| !d.is_shuffle()),
        "{deps:?}"
    );
    for part in sorted.glom().collect().unwrap() {
        assert!(part.windows(2).all(|w| w[0].0 <= w[1].0), "{part:?}");
    }
}

/// `sort_by` is Spark's `keyBy`, `sortByKey`, `values`: MapPartitionsRDD over ShuffledRDD over
/// MapPartitionsRDD, one shuffle.
#[test]
fn sort_by_shows_spark_s_classes() {
    let sc = context("local[2]");
    let sorted = sc.parallelize(vec![3, 1, 2], 2).sort_by(|x| *x, true, 2);
    let debug = sorted.to_debug_string();
    let classes: Vec<&str> = [
        "MapPartitionsRDD",
        "ShuffledRDD",
        "MapPartitionsRDD",
        "ParallelCollectionRDD",
    ]
    .into_iter()
    .collect();
    let mut at = 0;
    for class in classes {
        let found = debug[at..]
            .find(class)
            .unwrap_or_else(|| panic!("{class} in {debug}"));
        at += found + class.len();
    }
    assert!(
        sorted.to_string().starts_with("MapPartitionsRDD"),
        "{sorted}"
    );
    assert_eq!(sorted.collect().unwrap(), vec![1, 2, 3]);
}
