//! The user's handle on an RDD: [`Rdd<T>`], with Spark's transformations, actions, persistence
//! and checkpoint methods.

use std::path::PathBuf;
use std::sync::Arc;

use crate::context::SparkContext;
use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::partitioner::Partitioner;
use crate::rdd::map_partitions::{MapPartitionsRdd, PartitionFn};
use crate::rdd::union::{PartitionerAwareUnionRdd, UnionRdd};
use crate::rdd::{describe, part_iter, BoxIter, Data, MapChunks, PartIter, RddBase, TypedRdd};
use crate::storage::StorageLevel;

/// A resilient distributed dataset of `T`: a cheap-to-clone handle on one node of the lineage
/// graph. Transformations are lazy and return new RDDs; actions run a job.
///
/// ```
/// use sparklet::prelude::*;
/// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
/// let nums = sc.parallelize(vec![1, 2, 3, 4], 2);
/// let doubled = nums.map(|x| x * 2);
/// assert_eq!(doubled.to_string(), format!("MapPartitionsRDD[{}] at map", doubled.id()));
/// assert_eq!(doubled.collect().unwrap(), vec![2, 4, 6, 8]);
/// assert_eq!(doubled.filter(|x| *x > 4).count().unwrap(), 2);
/// ```
pub struct Rdd<T: Data> {
    pub(crate) rdd: Arc<dyn TypedRdd<T>>,
}

impl<T: Data> Clone for Rdd<T> {
    fn clone(&self) -> Self {
        Rdd {
            rdd: self.rdd.clone(),
        }
    }
}

impl<T: Data> Rdd<T> {
    pub(crate) fn from_arc(rdd: Arc<dyn TypedRdd<T>>) -> Rdd<T> {
        Rdd { rdd }
    }

    pub(crate) fn base(&self) -> Arc<dyn RddBase> {
        self.rdd.clone()
    }

    /// The context this RDD belongs to.
    pub fn context(&self) -> SparkContext {
        self.rdd.core().sc.clone()
    }

    /// The RDD id, unique within its context.
    pub fn id(&self) -> usize {
        self.rdd.core().id.0
    }

    /// The name given by [`Rdd::set_name`].
    pub fn name(&self) -> Option<String> {
        self.rdd.core().name.lock().clone()
    }

    /// Names the RDD (shown by `Display` and `to_debug_string`).
    pub fn set_name(&self, name: &str) -> Rdd<T> {
        *self.rdd.core().name.lock() = Some(name.to_string());
        self.clone()
    }

    /// The number of partitions (unchanged by checkpointing).
    pub fn num_partitions(&self) -> usize {
        crate::rdd::num_partitions(&*self.rdd)
    }

    /// The dependencies: the RDD's own, or one on its checkpoint RDD once checkpointed.
    pub fn dependencies(&self) -> Vec<Dependency> {
        crate::rdd::dependencies(&*self.rdd)
    }

    /// How the keys are partitioned, when known.
    pub fn partitioner(&self) -> Option<Partitioner> {
        self.rdd.partitioner()
    }

    /// The lineage in Spark's `toDebugString` layout.
    pub fn to_debug_string(&self) -> String {
        crate::rdd::debug_string::to_debug_string(&self.base())
    }

    // ---------------------------------------------------------------- transformations

    pub(crate) fn map_partitions_named<U: Data>(
        &self,
        op: &str,
        preserves_partitioning: bool,
        f: Arc<PartitionFn<T, U>>,
    ) -> Rdd<U> {
        Rdd::from_arc(Arc::new(MapPartitionsRdd::new(
            self.rdd.clone(),
            op,
            preserves_partitioning,
            f,
        )))
    }

    pub(crate) fn map_named<U: Data>(
        &self,
        op: &str,
        f: impl Fn(T) -> U + Send + Sync + 'static,
    ) -> Rdd<U> {
        let f = Arc::new(f);
        self.map_partitions_named(
            op,
            false,
            Arc::new(move |_, it: PartIter<T>| {
                let f = f.clone();
                Box::new(MapChunks::new(it, move |x| f(x))) as PartIter<U>
            }),
        )
    }

    /// Applies `f` to every element.
    pub fn map<U: Data>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> Rdd<U> {
        self.map_named("map", f)
    }

    /// Applies `f` to every element and flattens the results.
    pub fn flat_map<I>(&self, f: impl Fn(T) -> I + Send + Sync + 'static) -> Rdd<I::Item>
    where
        I: IntoIterator + 'static,
        I::IntoIter: 'static,
        I::Item: Data,
    {
        let f = Arc::new(f);
        self.map_partitions_named(
            "flatMap",
            false,
            Arc::new(move |_, it: PartIter<T>| {
                let f = f.clone();
                part_iter(it.flat_map(move |x| f(x)))
            }),
        )
    }

    /// Keeps the elements for which `f` is true (keeps the partitioner, as Spark).
    pub fn filter(&self, f: impl Fn(&T) -> bool + Send + Sync + 'static) -> Rdd<T> {
        let f = Arc::new(f);
        self.map_partitions_named(
            "filter",
            true,
            Arc::new(move |_, it: PartIter<T>| {
                let f = f.clone();
                part_iter(it.filter(move |x| f(x)))
            }),
        )
    }

    /// Applies `f` to each partition's iterator.
    pub fn map_partitions<I>(
        &self,
        f: impl Fn(Box<dyn Iterator<Item = T>>) -> I + Send + Sync + 'static,
    ) -> Rdd<I::Item>
    where
        I: IntoIterator + 'static,
        I::IntoIter: 'static,
        I::Item: Data,
    {
        self.map_partitions_named(
            "mapPartitions",
            false,
            Arc::new(move |_, it: PartIter<T>| part_iter(f(it).into_iter())),
        )
    }

    /// Applies `f` to each partition's index and iterator.
    pub fn map_partitions_with_index<I>(
        &self,
        f: impl Fn(usize, Box<dyn Iterator<Item = T>>) -> I + Send + Sync + 'static,
    ) -> Rdd<I::Item>
    where
        I: IntoIterator + 'static,
        I::IntoIter: 'static,
        I::Item: Data,
    {
        self.map_partitions_named(
            "mapPartitionsWithIndex",
            false,
            Arc::new(move |i, it: PartIter<T>| part_iter(f(i, it).into_iter())),
        )
    }

    /// The elements of both RDDs (Spark's `union`: partitioner-aware when both have the same
    /// partitioner, else the partitions of `self` then those of `other`).
    pub fn union(&self, other: &Rdd<T>) -> Rdd<T> {
        let parents = vec![self.rdd.clone(), other.rdd.clone()];
        match (self.partitioner(), other.partitioner()) {
            (Some(a), Some(b)) if a == b => {
                Rdd::from_arc(Arc::new(PartitionerAwareUnionRdd::new(parents, a)))
            }
            _ => Rdd::from_arc(Arc::new(UnionRdd::new(&self.context(), parents))),
        }
    }

    /// Each partition as one vector.
    pub fn glom(&self) -> Rdd<Vec<T>> {
        self.map_partitions_named(
            "glom",
            false,
            Arc::new(|_, it: PartIter<T>| part_iter(std::iter::once(it.collect::<Vec<T>>()))),
        )
    }

    // ---------------------------------------------------------------- actions

    /// Runs `f` on every partition and returns the results in partition order.
    pub(crate) fn run_job<U: Send + 'static>(
        &self,
        partitions: Vec<usize>,
        f: impl Fn(usize, BoxIter<T>) -> U + Send + Sync + 'static,
    ) -> Result<Vec<U>> {
        let sc = self.context();
        let results = sc.run_job(&self.rdd, partitions, f)?;
        crate::checkpoint::do_checkpoint(&self.base())?;
        Ok(results)
    }

    /// [`Rdd::run_job`] reading each partition in chunks (`rdd::chunked`).
    pub(crate) fn run_job_chunked<U: Send + 'static>(
        &self,
        partitions: Vec<usize>,
        f: impl Fn(usize, crate::rdd::chunked::Chunked<T>) -> U + Send + Sync + 'static,
    ) -> Result<Vec<U>> {
        let results = self.context().run_job_chunked(&self.rdd, partitions, f)?;
        crate::checkpoint::do_checkpoint(&self.base())?;
        Ok(results)
    }

    pub(crate) fn all_partitions(&self) -> Vec<usize> {
        (0..self.num_partitions()).collect()
    }

    /// All elements, partitions in order.
    pub fn collect(&self) -> Result<Vec<T>> {
        let parts = self.run_job(self.all_partitions(), |_, it| it.collect::<Vec<T>>())?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// The number of elements.
    pub fn count(&self) -> Result<usize> {
        // Each partition read in chunks: one dynamic call per chunk, not per value.
        Ok(self
            .run_job_chunked(self.all_partitions(), |_, it| it.count_all())?
            .into_iter()
            .sum())
    }

    /// Reduces the elements with `f` (`None` for an empty RDD, where Spark throws).
    pub fn reduce(&self, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> Result<Option<T>> {
        let f = Arc::new(f);
        let g = f.clone();
        let parts = self.run_job(self.all_partitions(), move |_, it| {
            it.reduce(|a, b| g(a, b))
        })?;
        Ok(parts.into_iter().flatten().reduce(|a, b| f(a, b)))
    }

    /// The first `n` elements, scanning partitions incrementally as Spark does: one partition
    /// first, then more each round (up to 4× the partitions scanned so far).
    pub fn take(&self, n: usize) -> Result<Vec<T>> {
        const SCALE_UP_FACTOR: usize = 4;
        let mut buf: Vec<T> = Vec::new();
        let total = self.num_partitions();
        let mut scanned = 0;
        while buf.len() < n && scanned < total {
            let mut to_try = 1;
            if scanned > 0 {
                to_try = if buf.is_empty() {
                    scanned * SCALE_UP_FACTOR
                } else {
                    let estimate = (1.5 * n as f64 * scanned as f64 / buf.len() as f64) as usize;
                    estimate
                        .saturating_sub(scanned)
                        .max(1)
                        .min(scanned * SCALE_UP_FACTOR)
                };
            }
            let parts: Vec<usize> = (scanned..(scanned + to_try).min(total)).collect();
            let left = n - buf.len();
            let got = self.run_job(parts.clone(), move |_, it| {
                it.take(left).collect::<Vec<T>>()
            })?;
            for p in got {
                let room = n - buf.len();
                buf.extend(p.into_iter().take(room));
            }
            scanned += parts.len();
        }
        Ok(buf)
    }

    /// The first element.
    pub fn first(&self) -> Result<Option<T>> {
        Ok(self.take(1)?.into_iter().next())
    }

    /// Runs `f` on every element, on the executors.
    pub fn foreach(&self, f: impl Fn(T) + Send + Sync + 'static) -> Result<()> {
        self.run_job(self.all_partitions(), move |_, it| it.for_each(&f))
            .map(|_| ())
    }

    // ---------------------------------------------------------------- persistence

    /// Keeps the partitions at `level` once computed (lazy). Persisting again at the same level
    /// is fine; another level is `Error::StorageLevelChange` (unpersist first).
    pub fn persist(&self, level: StorageLevel) -> Result<Rdd<T>> {
        crate::rdd::persist(&self.base(), level)?;
        Ok(self.clone())
    }

    /// `persist(MEMORY_ONLY)`.
    pub fn cache(&self) -> Result<Rdd<T>> {
        self.persist(StorageLevel::MEMORY_ONLY)
    }

    /// Removes every cached copy and resets the level to NONE.
    pub fn unpersist(&self, blocking: bool) -> Rdd<T> {
        crate::rdd::unpersist(&self.base(), blocking);
        self.clone()
    }

    /// The current storage level.
    pub fn storage_level(&self) -> StorageLevel {
        self.rdd.core().storage_level()
    }

    // ---------------------------------------------------------------- checkpoint

    /// Marks the RDD for a reliable checkpoint, written after the next job that uses it.
    pub fn checkpoint(&self) -> Result<()> {
        crate::checkpoint::mark_reliable::<T>(&self.rdd)?;
        self.rdd.on_checkpoint_marked();
        Ok(())
    }

    /// Marks the RDD for a local checkpoint (blocks on the executors, not fault-tolerant).
    pub fn local_checkpoint(&self) -> Result<()> {
        crate::checkpoint::mark_local::<T>(&self.rdd)
    }

    /// Whether the RDD has been checkpointed (its lineage is cut).
    pub fn is_checkpointed(&self) -> bool {
        self.rdd
            .core()
            .checkpoint
            .lock()
            .checkpoint_rdd_base()
            .is_some()
    }

    /// The checkpoint folder, once reliably checkpointed.
    pub fn get_checkpoint_file(&self) -> Option<PathBuf> {
        self.rdd.core().checkpoint.lock().checkpoint_file()
    }
}

impl<T: Data> std::fmt::Display for Rdd<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&describe(&*self.rdd))
    }
}

impl<T: Data> std::fmt::Debug for Rdd<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&describe(&*self.rdd))
    }
}

/// Spark's `SparkContext.union(rdds)`: a `PartitionerAwareUnionRDD` of the RDDs that have
/// partitions when each of them has the same partitioner, else a `UnionRDD` of all the RDDs
/// (zero partitions for no RDDs).
pub(crate) fn union_all<T: Data>(sc: &SparkContext, rdds: Vec<Rdd<T>>) -> Rdd<T> {
    let non_empty: Vec<&Rdd<T>> = rdds.iter().filter(|r| r.num_partitions() > 0).collect();
    let partitioners: Vec<Option<Partitioner>> =
        non_empty.iter().map(|r| r.partitioner()).collect();
    if let Some(Some(first)) = partitioners.first() {
        if partitioners.iter().all(|p| p.as_ref() == Some(first)) {
            let parents = non_empty.iter().map(|r| r.rdd.clone()).collect();
            return Rdd::from_arc(Arc::new(PartitionerAwareUnionRdd::new(
                parents,
                first.clone(),
            )));
        }
    }
    let parents: Vec<Arc<dyn TypedRdd<T>>> = rdds.into_iter().map(|r| r.rdd).collect();
    Rdd::from_arc(Arc::new(UnionRdd::new(sc, parents)))
}

/// Refuses an RDD whose parents belong to another context than its own: the scheduler of one
/// context cannot run another's stages, read its blocks or find its shuffle outputs. Called
/// from the `validate` of every RDD that combines RDDs (union, cogroup and what is built on
/// them), so the job is refused at submission. (Spark allows one active `SparkContext` per
/// JVM and has no such case.)
pub(crate) fn check_one_context(rdd: &dyn RddBase) -> Result<()> {
    let sc = &rdd.core().sc;
    for dep in rdd.get_dependencies() {
        let other = &dep.rdd().core().sc;
        if !Arc::ptr_eq(sc.env(), other.env()) {
            return Err(Error::InvalidArgument(format!(
                "{} combines RDDs of two SparkContexts: {} belongs to {}, not to {}; RDDs of \
                 different SparkContexts cannot be combined (build both from one context)",
                describe(rdd),
                describe(&**dep.rdd()),
                context_name(other),
                context_name(sc),
            )));
        }
    }
    Ok(())
}

/// A context as a message names it: its application name and master.
fn context_name(sc: &SparkContext) -> String {
    let conf = sc.conf();
    format!(
        "the SparkContext of app '{}' (master {})",
        conf.get(crate::conf::APP_NAME)
            .unwrap_or_else(|| "sparklet".into()),
        conf.get(crate::conf::MASTER)
            .unwrap_or_else(|| "local[*]".into())
    )
}
