//! Spark's aggregating actions of `RDD`: `fold`, `aggregate`, `treeAggregate`, `treeReduce`,
//! `countByValue`, `isEmpty` and `foreachPartition`.
//!
//! How they run, as in Spark's `RDD.scala`:
//!
//! * `fold` and `aggregate` run one job. Each task folds its partition from its own copy of the
//!   zero value; the driver then folds the task results from another copy of the zero. So the
//!   zero takes part once per partition plus once on the driver: `fold(1, +)` over 3 partitions
//!   adds 4. Spark merges task results in the order tasks finish; here they are merged in
//!   partition order, so a non-commutative `comb_op` gives the same answer every run.
//! * `tree_aggregate` first aggregates each partition (a `MapPartitionsRDD`), then, while more
//!   partitions remain than `scale + n / scale` (with `scale = max(ceil(n^(1/depth)), 2)`),
//!   divides the partition count by `scale` and adds a level: each partial result is keyed by
//!   its partition index modulo the new count and merged by a `foldByKey` into a new
//!   `ShuffledRDD` (one more shuffle stage). The driver folds what is left, as `fold` does
//!   (Spark 4's `finalAggregateOnExecutor = false`, the default).
//! * `tree_reduce` is `tree_aggregate` over each partition's `Option` of its reduction.
//! * `count_by_value` is Spark's `map((_, null)).countByKey()`: a `reduceByKey` of ones, then
//!   the counts collected into a map on the driver.
//! * `is_empty` is Spark's `partitions.length == 0 || take(1).length == 0`.
//!
//! Layering: the RDD layer only (`Rdd` handles, `ShuffledRdd`, `Aggregator`).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use crate::aggregator::Aggregator;
use crate::error::{Error, Result};
use crate::partitioner::Partitioner;
use crate::rdd::shuffled::ShuffledRdd;
use crate::rdd::{part_iter, Data, PartIter};
use crate::Rdd;

impl<T: Data> Rdd<T> {
    /// Folds the elements with `f` (Spark's `fold`): each partition is folded from a clone of
    /// `zero`, then the partition results are folded on the driver from another clone. `f`
    /// should be associative and `zero` its identity; otherwise the zero counts once per
    /// partition and once more.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let nums = sc.parallelize(vec![1, 2, 3, 4], 2);
    /// assert_eq!(nums.fold(0, |a, b| a + b).unwrap(), 10);
    /// assert_eq!(nums.fold(1, |a, b| a + b).unwrap(), 13); // the zero counted 2 + 1 times
    /// ```
    pub fn fold(&self, zero: T, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> Result<T> {
        let f = Arc::new(f);
        let (g, task_zero) = (f.clone(), zero.clone());
        let parts = self.run_job(self.all_partitions(), move |_, it| {
            it.fold(task_zero.clone(), |a, b| g(a, b))
        })?;
        Ok(parts.into_iter().fold(zero, |a, b| f(a, b)))
    }

    /// Aggregates the elements (Spark's `aggregate`): each partition is folded with `seq_op`
    /// from a clone of `zero`, and the partition results are merged with `comb_op` on the
    /// driver, starting from another clone of `zero`.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let words = sc.parallelize(vec!["a".to_string(), "bb".into(), "ccc".into()], 2);
    /// let (count, letters) = words
    ///     .aggregate((0, 0), |(n, l), w| (n + 1, l + w.len()), |a, b| (a.0 + b.0, a.1 + b.1))
    ///     .unwrap();
    /// assert_eq!((count, letters), (3, 6));
    /// ```
    pub fn aggregate<U: Data>(
        &self,
        zero: U,
        seq_op: impl Fn(U, T) -> U + Send + Sync + 'static,
        comb_op: impl Fn(U, U) -> U + Send + Sync + 'static,
    ) -> Result<U> {
        let task_zero = zero.clone();
        let parts = self.run_job(self.all_partitions(), move |_, it| {
            it.fold(task_zero.clone(), &seq_op)
        })?;
        Ok(parts.into_iter().fold(zero, comb_op))
    }

    /// Aggregates the elements in a tree of partial aggregations (Spark's `treeAggregate`,
    /// the same result as [`Rdd::aggregate`]): each level of the tree is a shuffle stage that
    /// merges about `scale` partial results into one, so the driver receives few of them.
    /// `depth` below 1 is `Error::InvalidArgument`.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let nums = sc.parallelize((1..=100).collect::<Vec<u64>>(), 10);
    /// assert_eq!(nums.tree_aggregate(0, |a, x| a + x, |a, b| a + b, 2).unwrap(), 5050);
    /// assert!(nums.tree_aggregate(0, |a, x| a + x, |a, b| a + b, 0).is_err());
    /// ```
    pub fn tree_aggregate<U: Data>(
        &self,
        zero: U,
        seq_op: impl Fn(U, T) -> U + Send + Sync + 'static,
        comb_op: impl Fn(U, U) -> U + Send + Sync + 'static,
        depth: usize,
    ) -> Result<U> {
        check_depth(depth)?;
        if self.num_partitions() == 0 {
            return Ok(zero);
        }
        let comb = Arc::new(comb_op);
        let task_zero = zero.clone();
        let mut partial: Rdd<U> = self.map_partitions_named(
            "treeAggregate",
            false,
            Arc::new(move |_, it: PartIter<T>| {
                part_iter(std::iter::once(it.fold(task_zero.clone(), &seq_op)))
            }),
        );
        let mut num_partitions = partial.num_partitions();
        let scale = tree_scale(num_partitions, depth);
        while num_partitions > scale + num_partitions / scale {
            num_partitions /= scale;
            partial = tree_level(&partial, num_partitions, zero.clone(), comb.clone());
        }
        let c = comb.clone();
        partial.fold(zero, move |a, b| c(a, b))
    }

    /// Reduces the elements in a tree of partial reductions (Spark's `treeReduce`); `None` for
    /// an empty RDD, where Spark throws. `depth` below 1 is `Error::InvalidArgument`.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let nums = sc.parallelize((1..=10).collect::<Vec<i32>>(), 5);
    /// assert_eq!(nums.tree_reduce(|a, b| a + b, 2).unwrap(), Some(55));
    /// assert_eq!(sc.empty_rdd::<i32>().tree_reduce(|a, b| a + b, 2).unwrap(), None);
    /// ```
    pub fn tree_reduce(
        &self,
        f: impl Fn(T, T) -> T + Send + Sync + 'static,
        depth: usize,
    ) -> Result<Option<T>> {
        check_depth(depth)?;
        let f = Arc::new(f);
        let g = f.clone();
        let partial: Rdd<Option<T>> = self.map_partitions_named(
            "treeReduce",
            false,
            Arc::new(move |_, it: PartIter<T>| {
                let g = g.clone();
                part_iter(std::iter::once(it.reduce(|a, b| g(a, b))))
            }),
        );
        let op = move |a: Option<T>, b: Option<T>| match (a, b) {
            (Some(a), Some(b)) => Some(f(a, b)),
            (a, None) => a,
            (None, b) => b,
        };
        let op = Arc::new(op);
        let op2 = op.clone();
        partial.tree_aggregate(None, move |a, b| op(a, b), move |a, b| op2(a, b), depth)
    }

    /// Whether the RDD has no elements (Spark's `isEmpty`: no partitions, or `take(1)` finds
    /// nothing, scanning partitions incrementally).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// assert!(sc.empty_rdd::<i32>().is_empty().unwrap());
    /// assert!(sc.parallelize(vec![1, 2], 2).filter(|x| *x > 5).is_empty().unwrap());
    /// assert!(!sc.parallelize(vec![1, 2], 2).is_empty().unwrap());
    /// ```
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.num_partitions() == 0 || self.take(1)?.is_empty())
    }

    /// Runs `f` on each partition's iterator, on the executors (Spark's `foreachPartition`).
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let calls = Arc::new(AtomicUsize::new(0));
    /// let c = calls.clone();
    /// sc.parallelize(vec![1, 2, 3], 3)
    ///     .foreach_partition(move |it| { c.fetch_add(it.count(), Ordering::SeqCst); })
    ///     .unwrap();
    /// assert_eq!(calls.load(Ordering::SeqCst), 3);
    /// ```
    pub fn foreach_partition(
        &self,
        f: impl Fn(Box<dyn Iterator<Item = T>>) + Send + Sync + 'static,
    ) -> Result<()> {
        self.run_job(self.all_partitions(), move |_, it| f(it))
            .map(|_| ())
    }
}

impl<T: Data + Hash + Eq> Rdd<T> {
    /// How many times each distinct element occurs (Spark's `countByValue`: a `reduceByKey`
    /// of ones, collected into a map on the driver; for few distinct values only).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let counts = sc.parallelize(vec![7, 8, 7], 2).count_by_value().unwrap();
    /// assert_eq!((counts[&7], counts[&8]), (2, 1));
    /// ```
    pub fn count_by_value(&self) -> Result<HashMap<T, u64>> {
        let ones = self.map_named("countByValue", |v| (v, 1u64));
        Ok(ones
            .reduce_by_key(|a, b| a + b)
            .collect()?
            .into_iter()
            .collect())
    }
}

/// Spark's `require(depth >= 1, ...)` of `treeAggregate` and `treeReduce`.
fn check_depth(depth: usize) -> Result<()> {
    if depth < 1 {
        return Err(Error::InvalidArgument(format!(
            "requirement failed: Depth must be greater than or equal to 1 but got {depth}."
        )));
    }
    Ok(())
}

/// Spark's `scale` of `treeAggregate`: `max(ceil(n^(1/depth)), 2)`.
pub(crate) fn tree_scale(num_partitions: usize, depth: usize) -> usize {
    let root = (num_partitions as f64).powf(1.0 / depth as f64).ceil() as usize;
    root.max(2)
}

/// One level of `treeAggregate`: partial result of partition i keyed by `i % num_partitions`,
/// merged per key by Spark's `foldByKey(zero, HashPartitioner(num_partitions))(comb)` (map-side
/// combine on), then the values.
fn tree_level<U: Data>(
    partial: &Rdd<U>,
    num_partitions: usize,
    zero: U,
    comb: Arc<dyn Fn(U, U) -> U + Send + Sync>,
) -> Rdd<U> {
    let keyed: Rdd<(usize, U)> = partial.map_partitions_named(
        "treeAggregate",
        false,
        Arc::new(move |i, it: PartIter<U>| part_iter(it.map(move |u| (i % num_partitions, u)))),
    );
    let (c1, c2, c3) = (comb.clone(), comb.clone(), comb);
    let agg = Aggregator {
        create_combiner: Box::new(move |v| c1(zero.clone(), v)),
        merge_value: Box::new(move |a, b| c2(a, b)),
        merge_combiners: Box::new(move |a, b| c3(a, b)),
    };
    let folded: Rdd<(usize, U)> = Rdd::from_arc(Arc::new(ShuffledRdd::new(
        keyed.rdd.clone(),
        Partitioner::hash(num_partitions),
        Some(Arc::new(agg)),
        true,
        "treeAggregate",
    )));
    folded.map_named("treeAggregate", |(_, u)| u)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The levels Spark's loop makes: 1000 partitions at depth 2 have scale 32 and one level
    /// (1000 → 31); at depth 3, scale 10 and two levels (1000 → 100 → 10).
    #[test]
    fn tree_levels_follow_sparks_loop() {
        let levels = |n: usize, depth: usize| {
            let scale = tree_scale(n, depth);
            let mut n = n;
            let mut out = Vec::new();
            while n > scale + n / scale {
                n /= scale;
                out.push(n);
            }
            (scale, out)
        };
        assert_eq!(levels(1000, 2), (32, vec![31]));
        assert_eq!(levels(1000, 3), (10, vec![100, 10]));
        assert_eq!(levels(10, 1), (10, vec![]));
        assert_eq!(levels(1, 5), (2, vec![]));
        assert_eq!(levels(8, 2), (3, vec![2]));
    }
}
