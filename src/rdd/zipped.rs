//! `ZippedPartitionsRDD2` (`zip_partitions`, `zip`) and `ZippedWithIndexRDD`
//! (`zip_with_index`), with `zip_with_unique_id`.
//!
//! A zipped partition i reads partition i of both parents in one task (two OneToOne
//! dependencies). The parents must have as many partitions (Spark's `getPartitions` check,
//! raised here when a job is submitted); `zip` also needs as many elements in each partition,
//! which only shows while the partition is read: as in Spark, the task then fails with
//! "Can only zip RDDs with same number of elements in each partition" (a panic at the task
//! boundary, where Spark throws from its iterator).
//!
//! `ZippedWithIndexRDD` runs its counting job when it is made, as Spark's does in its
//! constructor: the sizes of every partition but the last give each partition's start index.
//! When that job fails, the failure is kept and returned by the first job on the RDD.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::{
    iterator, num_partitions, part_iter, BoxIter, ComputeResult, Data, PartIter, RddBase, RddCore,
    TypedRdd,
};
use crate::scheduler::task::TaskContext;
use crate::Rdd;

/// The function of a `ZippedPartitionsRDD2`.
type ZipFn<A, B, V> = dyn Fn(BoxIter<A>, BoxIter<B>) -> PartIter<V> + Send + Sync;

type Parents<A, B> = (Arc<dyn TypedRdd<A>>, Arc<dyn TypedRdd<B>>);

/// Spark's `ZippedPartitionsRDD2`.
pub(crate) struct ZippedPartitionsRdd2<A: Data, B: Data, V: Data> {
    core: RddCore,
    parents: Mutex<Option<Parents<A, B>>>,
    counts: (usize, usize),
    f: Arc<ZipFn<A, B, V>>,
}

impl<A: Data, B: Data, V: Data> RddBase for ZippedPartitionsRdd2<A, B, V> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.counts.0
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        match &*self.parents.lock() {
            Some((a, b)) => vec![
                Dependency::one_to_one(a.clone()),
                Dependency::one_to_one(b.clone()),
            ],
            None => Vec::new(),
        }
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(self.parents.lock().take())
    }
    /// Spark's `ZippedPartitionsBaseRDD.getPartitions` check.
    fn validate(&self) -> Result<()> {
        crate::rdd::handle::check_one_context(self)?;
        if self.counts.0 != self.counts.1 {
            return Err(Error::InvalidArgument(format!(
                "Can't zip RDDs with unequal numbers of partitions: List({}, {})",
                self.counts.0, self.counts.1
            )));
        }
        Ok(())
    }
    fn class_name(&self) -> &'static str {
        "ZippedPartitionsRDD2"
    }
}

impl<A: Data, B: Data, V: Data> TypedRdd<V> for ZippedPartitionsRdd2<A, B, V> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<V> {
        let (a, b) = self
            .parents
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        let left = iterator(&*a, split, ctx)?;
        let right = iterator(&*b, split, ctx)?;
        Ok((self.f)(left, right))
    }
}

/// `zip`'s iterator: pairs in step; one side ending first fails the task with Spark's message.
struct ZipIter<A, B> {
    left: BoxIter<A>,
    right: BoxIter<B>,
}

/// Spark's `SparkCoreErrors.canOnlyZipRDDsWithSamePartitionSizeError` message.
const UNEQUAL_SIZES: &str = "Can only zip RDDs with same number of elements in each partition";

impl<A, B> Iterator for ZipIter<A, B> {
    type Item = (A, B);
    fn next(&mut self) -> Option<(A, B)> {
        match (self.left.next(), self.right.next()) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            // Spark throws from hasNext here, failing the task.
            _ => panic!("{UNEQUAL_SIZES}"),
        }
    }
}

/// Spark's `ZippedWithIndexRDD`.
pub(crate) struct ZippedWithIndexRdd<T: Data> {
    core: RddCore,
    prev: Mutex<Option<Arc<dyn TypedRdd<T>>>>,
    /// The first index of each partition, or why the counting job failed.
    start_indices: std::result::Result<Vec<u64>, Error>,
}

impl<T: Data> RddBase for ZippedWithIndexRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        match &self.start_indices {
            Ok(starts) => starts.len(),
            Err(_) => self
                .prev
                .lock()
                .as_ref()
                .map_or(0, |p| num_partitions(&**p)),
        }
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        match &*self.prev.lock() {
            Some(p) => vec![Dependency::one_to_one(p.clone())],
            None => Vec::new(),
        }
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(self.prev.lock().take())
    }
    fn validate(&self) -> Result<()> {
        self.start_indices
            .as_ref()
            .map(|_| ())
            .map_err(Error::clone)
    }
    fn class_name(&self) -> &'static str {
        "ZippedWithIndexRDD"
    }
}

impl<T: Data> TypedRdd<(T, u64)> for ZippedWithIndexRdd<T> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<(T, u64)> {
        let prev = self
            .prev
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        let start = match &self.start_indices {
            Ok(starts) => starts[split],
            Err(e) => return Err(e.clone().into()),
        };
        let values = iterator(&*prev, split, ctx)?;
        Ok(part_iter(values.zip(start..)))
    }
}

impl<T: Data> Rdd<T> {
    /// Spark's `zipPartitions`: `f` over partition i of both RDDs, in one task. Both need the
    /// same number of partitions (else `Error::InvalidArgument` when a job runs).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let a = sc.parallelize(vec![1, 2, 3, 4], 2);
    /// let b = sc.parallelize(vec!['x', 'y', 'z'], 2);
    /// let sizes = a.zip_partitions(&b, |l, r| vec![format!("{}-{}", l.count(), r.count())]);
    /// assert_eq!(sizes.collect().unwrap(), vec!["2-1", "2-2"]);
    /// ```
    pub fn zip_partitions<U: Data, V: Data, I>(
        &self,
        other: &Rdd<U>,
        f: impl Fn(Box<dyn Iterator<Item = T>>, Box<dyn Iterator<Item = U>>) -> I
            + Send
            + Sync
            + 'static,
    ) -> Rdd<V>
    where
        I: IntoIterator<Item = V> + 'static,
        I::IntoIter: 'static,
    {
        self.zip_partitions_named(
            other,
            "zipPartitions",
            Arc::new(move |a, b| part_iter(f(a, b).into_iter())),
        )
    }

    fn zip_partitions_named<U: Data, V: Data>(
        &self,
        other: &Rdd<U>,
        op: &str,
        f: Arc<ZipFn<T, U, V>>,
    ) -> Rdd<V> {
        let counts = (num_partitions(&*self.rdd), num_partitions(&*other.rdd));
        Rdd::from_arc(Arc::new(ZippedPartitionsRdd2 {
            core: RddCore::new(&self.context(), op),
            parents: Mutex::new(Some((self.rdd.clone(), other.rdd.clone()))),
            counts,
            f,
        }))
    }

    /// Spark's `zip`: the i-th element of `self` with the i-th of `other`. Both need the same
    /// number of partitions (else `Error::InvalidArgument` when a job runs) and the same number
    /// of elements in each partition (else the job fails with Spark's message).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let nums = sc.parallelize(vec![1, 2, 3], 2);
    /// let zipped = nums.zip(&nums.map(|x| x * 10));
    /// assert_eq!(zipped.to_string(), format!("ZippedPartitionsRDD2[{}] at zip", zipped.id()));
    /// assert_eq!(zipped.collect().unwrap(), vec![(1, 10), (2, 20), (3, 30)]);
    /// ```
    pub fn zip<U: Data>(&self, other: &Rdd<U>) -> Rdd<(T, U)> {
        self.zip_partitions_named(
            other,
            "zip",
            Arc::new(|left, right| part_iter(ZipIter { left, right })),
        )
    }

    /// Spark's `zipWithIndex`: each element with its index in the RDD's order (partition by
    /// partition). Like Spark, it runs a job at once to count the elements of every partition
    /// but the last; a failure of that job is returned by the first job on the result.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let indexed = sc.parallelize(vec!['a', 'b', 'c'], 2).zip_with_index();
    /// assert_eq!(indexed.collect().unwrap(), vec![('a', 0), ('b', 1), ('c', 2)]);
    /// ```
    pub fn zip_with_index(&self) -> Rdd<(T, u64)> {
        let n = self.num_partitions();
        let start_indices = match n {
            0 => Ok(Vec::new()),
            1 => Ok(vec![0]),
            _ => self
                .run_job((0..n - 1).collect(), |_, it| it.count() as u64)
                .map(|sizes| {
                    let mut starts = Vec::with_capacity(n);
                    let mut next = 0u64;
                    starts.push(0);
                    for s in sizes {
                        next += s;
                        starts.push(next);
                    }
                    starts
                }),
        };
        Rdd::from_arc(Arc::new(ZippedWithIndexRdd {
            core: RddCore::new(&self.context(), "zipWithIndex"),
            prev: Mutex::new(Some(self.rdd.clone())),
            start_indices,
        }))
    }

    /// Spark's `zipWithUniqueId`: the k-th element of partition p gets `k * n + p` (n the
    /// partition count); no job runs, the ids have gaps.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let ids = sc.parallelize(vec![1, 2, 3, 4, 5], 2).zip_with_unique_id();
    /// assert_eq!(ids.collect().unwrap(), vec![(1, 0), (2, 2), (3, 1), (4, 3), (5, 5)]);
    /// ```
    pub fn zip_with_unique_id(&self) -> Rdd<(T, u64)> {
        let n = self.num_partitions() as u64;
        self.map_partitions_named(
            "zipWithUniqueId",
            false,
            Arc::new(move |k, it: PartIter<T>| {
                part_iter(
                    it.zip(0u64..)
                        .map(move |(item, i)| (item, i * n + k as u64)),
                )
            }),
        )
    }
}
