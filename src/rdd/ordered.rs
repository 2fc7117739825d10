//! Spark's `OrderedRDDFunctions` (`sortByKey`, `repartitionAndSortWithinPartitions`) and
//! `RDD.sortBy`: sorting through a shuffle.
//!
//! `sort_by_key` builds a [`Partitioner::range`] first (its sampling job runs right away, as in
//! Spark, so defining the sort runs a job), then a `ShuffledRDD` by that partitioner whose
//! key ordering sorts each reduce partition (Spark's `setKeyOrdering`): partition i holds the
//! i-th range of keys, sorted, so the partitions in order are the whole sorted RDD. A task
//! sorts only its own partition's records.
//!
//! Keys need only be `Ord` (as Spark's need only an `Ordering`), except for
//! `repartition_and_sort_within_partitions`, whose partitioner may be a hash partitioner and
//! so also needs `Hash`.
//!
//! Layering: builds RDDs from the RDD and shuffle layers; runs jobs through the RDD handle.

use std::hash::Hash;
use std::sync::Arc;

use crate::partitioner::Partitioner;
use crate::rdd::shuffled::ShuffledRdd;
use crate::rdd::{part_iter, Data, PartIter};
use crate::Rdd;

impl<K: Data + Ord, V: Data> Rdd<(K, V)> {
    /// Spark's `sortByKey(ascending, numPartitions)`: the RDD sorted by key, in up to
    /// `num_partitions` partitions of roughly equal key ranges (fewer when there are fewer
    /// distinct sampled keys; one for an empty RDD). Runs the range partitioner's sampling
    /// job now; if that job fails, every job on the result fails with its error.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let pairs = sc.parallelize(vec![(1, 'a'), (2, 'b'), (0, 'c'), (3, 'd')], 2);
    /// let sorted = pairs.sort_by_key(true, 2);
    /// assert_eq!(sorted.collect().unwrap(), vec![(0, 'c'), (1, 'a'), (2, 'b'), (3, 'd')]);
    /// assert!(sorted.to_debug_string().contains("ShuffledRDD"));
    /// let descending = pairs.sort_by_key(false, 2).keys().collect().unwrap();
    /// assert_eq!(descending, vec![3, 2, 1, 0]);
    /// ```
    pub fn sort_by_key(&self, ascending: bool, num_partitions: usize) -> Rdd<(K, V)> {
        let shuffled = match Partitioner::range(num_partitions, self, ascending) {
            Ok(p) => ShuffledRdd::new_ordered(self.rdd.clone(), p, "sortByKey"),
            Err(e) => ShuffledRdd::new_ordered(self.rdd.clone(), Partitioner::hash(1), "sortByKey")
                .set_definition_error(e),
        };
        Rdd::from_arc(Arc::new(shuffled.set_key_ordering(ascending)))
    }
}

impl<K: Data + Hash + Eq + Ord, V: Data> Rdd<(K, V)> {
    /// Spark's `repartitionAndSortWithinPartitions(partitioner)`: repartitions by `p` and
    /// sorts each resulting partition by key, inside the shuffle (cheaper than `partition_by`
    /// and then sorting each partition). An RDD already partitioned by `p` is not shuffled:
    /// each partition is sorted in place (SPARK-32384).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let pairs = sc.parallelize(vec![(0, 5), (3, 8), (2, 6), (0, 8), (3, 8), (1, 3)], 2);
    /// let p = Partitioner::custom("EvenOdd", 2, |k: &i32| (k % 2) as usize);
    /// let parts = pairs.repartition_and_sort_within_partitions(p).glom().collect().unwrap();
    /// assert_eq!(parts, vec![
    ///     vec![(0, 5), (0, 8), (2, 6)],
    ///     vec![(1, 3), (3, 8), (3, 8)],
    /// ]);
    /// ```
    pub fn repartition_and_sort_within_partitions(&self, p: Partitioner) -> Rdd<(K, V)> {
        if self.partitioner().as_ref() == Some(&p) {
            // SPARK-32384: already partitioned so; each partition is sorted where it is.
            return self.map_partitions_named(
                "repartitionAndSortWithinPartitions",
                true,
                Arc::new(|_, it: PartIter<(K, V)>| {
                    let mut records: Vec<(K, V)> = it.collect();
                    records.sort_by(|a, b| a.0.cmp(&b.0));
                    part_iter(records.into_iter())
                }),
            );
        }
        let shuffled = ShuffledRdd::<K, V, V>::new(
            self.rdd.clone(),
            p,
            None,
            false,
            "repartitionAndSortWithinPartitions",
        );
        Rdd::from_arc(Arc::new(shuffled.set_key_ordering(true)))
    }
}

impl<T: Data> Rdd<T> {
    /// Spark's `sortBy(f, ascending, numPartitions)`: `key_by(f)`, `sort_by_key`, `values`
    /// (so it runs the sampling job now, as `sort_by_key` does).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let words = sc.parallelize(vec!["ccc".to_string(), "a".into(), "bb".into()], 2);
    /// let by_len = words.sort_by(|w| w.len(), true, 2).collect().unwrap();
    /// assert_eq!(by_len, vec!["a", "bb", "ccc"]);
    /// ```
    pub fn sort_by<K: Data + Ord>(
        &self,
        f: impl Fn(&T) -> K + Send + Sync + 'static,
        ascending: bool,
        num_partitions: usize,
    ) -> Rdd<T> {
        self.map_named("keyBy", move |x| (f(&x), x))
            .sort_by_key(ascending, num_partitions)
            .map_named("values", |(_, x)| x)
    }
}
