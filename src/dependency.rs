//! Dependencies between RDDs (Spark's `Dependency`, `NarrowDependency`, `OneToOneDependency`,
//! `RangeDependency`, `ShuffleDependency`).
//!
//! A narrow dependency lets a child partition be computed from a few parent partitions in the
//! same task; a shuffle dependency cuts the lineage into stages: the DAG scheduler runs a
//! shuffle map stage that writes the parent's records bucketed by the partitioner, and the
//! child's tasks fetch their bucket from every map output.

use std::sync::{Arc, Weak};

use crate::env::SparkEnv;
use crate::partitioner::Partitioner;
use crate::rdd::RddBase;
use crate::scheduler::task::{TaskContext, TaskError};
use crate::shuffle::MapStatus;
use crate::SparkContext;

/// Identifies a shuffle within a context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ShuffleId(pub(crate) usize);

/// A dependency of an RDD on a parent RDD.
///
/// ```
/// use sparklet::prelude::*;
/// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
/// let words = sc.parallelize(vec![('a', 1), ('b', 1), ('a', 1)], 2);
/// let counts = words.reduce_by_key(|x, y| x + y);
/// let deps = counts.dependencies();
/// assert_eq!(deps.len(), 1);
/// assert!(deps[0].is_shuffle());
/// assert_eq!(deps[0].parent_id(), words.id());
/// ```
#[derive(Clone)]
pub struct Dependency {
    kind: DependencyKind,
}

#[derive(Clone)]
pub(crate) enum DependencyKind {
    /// Child partition i reads parent partition i (Spark's `OneToOneDependency`).
    OneToOne(Arc<dyn RddBase>),
    /// Child partitions `out_start .. out_start + length` read parent partitions
    /// `in_start ..` (Spark's `RangeDependency`, used by union).
    Range {
        rdd: Arc<dyn RddBase>,
        in_start: usize,
        out_start: usize,
        length: usize,
    },
    /// A shuffle boundary (Spark's `ShuffleDependency`).
    Shuffle(Arc<ShuffleDependency>),
    /// Child partition i reads the parent partitions `parents(i)` (Spark's anonymous
    /// `NarrowDependency` subclasses of `CoalescedRDD` and `CartesianRDD`).
    Narrow {
        rdd: Arc<dyn RddBase>,
        parents: Arc<dyn Fn(usize) -> Vec<usize> + Send + Sync>,
    },
}

impl Dependency {
    pub(crate) fn one_to_one(rdd: Arc<dyn RddBase>) -> Dependency {
        Dependency {
            kind: DependencyKind::OneToOne(rdd),
        }
    }

    pub(crate) fn range(
        rdd: Arc<dyn RddBase>,
        in_start: usize,
        out_start: usize,
        length: usize,
    ) -> Dependency {
        Dependency {
            kind: DependencyKind::Range {
                rdd,
                in_start,
                out_start,
                length,
            },
        }
    }

    /// A narrow dependency whose child partition i reads the parent partitions `parents(i)`.
    pub(crate) fn narrow(
        rdd: Arc<dyn RddBase>,
        parents: Arc<dyn Fn(usize) -> Vec<usize> + Send + Sync>,
    ) -> Dependency {
        Dependency {
            kind: DependencyKind::Narrow { rdd, parents },
        }
    }

    pub(crate) fn shuffle(dep: Arc<ShuffleDependency>) -> Dependency {
        Dependency {
            kind: DependencyKind::Shuffle(dep),
        }
    }

    /// The id of the parent RDD.
    pub fn parent_id(&self) -> usize {
        self.rdd().core().id.0
    }

    /// The shuffle's id, for a shuffle dependency.
    #[cfg(test)]
    pub(crate) fn shuffle_id(&self) -> Option<ShuffleId> {
        match &self.kind {
            DependencyKind::Shuffle(dep) => Some(dep.shuffle_id),
            _ => None,
        }
    }

    /// Whether this is a shuffle dependency (a stage boundary).
    pub fn is_shuffle(&self) -> bool {
        matches!(self.kind, DependencyKind::Shuffle(_))
    }

    /// Spark's `NarrowDependency.getParents`: the parent partitions child partition
    /// `partition_id` reads; `None` for a shuffle dependency (every map output).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let coalesced = sc.parallelize((1..=10).collect::<Vec<i32>>(), 10).coalesce(2, false);
    /// assert_eq!(coalesced.dependencies()[0].get_parents(1), Some(vec![5, 6, 7, 8, 9]));
    /// ```
    pub fn get_parents(&self, partition_id: usize) -> Option<Vec<usize>> {
        match &self.kind {
            DependencyKind::OneToOne(_) => Some(vec![partition_id]),
            DependencyKind::Range {
                in_start,
                out_start,
                length,
                ..
            } => Some(
                if partition_id >= *out_start && partition_id < out_start + length {
                    vec![partition_id - out_start + in_start]
                } else {
                    Vec::new()
                },
            ),
            DependencyKind::Narrow { parents, .. } => Some(parents(partition_id)),
            DependencyKind::Shuffle(_) => None,
        }
    }

    /// The parent RDD.
    pub(crate) fn rdd(&self) -> &Arc<dyn RddBase> {
        match &self.kind {
            DependencyKind::OneToOne(rdd) => rdd,
            DependencyKind::Range { rdd, .. } => rdd,
            DependencyKind::Shuffle(dep) => &dep.rdd,
            DependencyKind::Narrow { rdd, .. } => rdd,
        }
    }

    /// The shuffle, when this is a shuffle dependency.
    pub(crate) fn as_shuffle(&self) -> Option<&Arc<ShuffleDependency>> {
        match &self.kind {
            DependencyKind::Shuffle(dep) => Some(dep),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Dependency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parent = self.parent_id();
        match &self.kind {
            DependencyKind::OneToOne(_) => write!(f, "OneToOneDependency(parent {parent})"),
            DependencyKind::Range {
                in_start,
                out_start,
                length,
                ..
            } => write!(
                f,
                "RangeDependency(parent {parent}, in {in_start}, out {out_start}, length {length})"
            ),
            DependencyKind::Narrow { .. } => write!(f, "NarrowDependency(parent {parent})"),
            DependencyKind::Shuffle(d) => {
                write!(
                    f,
                    "ShuffleDependency(parent {parent}, shuffle {})",
                    d.shuffle_id.0
                )
            }
        }
    }
}

/// Writes one map partition's shuffle output: computes the parent partition, combines on the
/// map side when the shuffle asks for it, buckets records by the partitioner and stores the
/// serialized buckets in the executor's shuffle store. Built by the typed RDD that owns the
/// shuffle, so the scheduler can run map tasks without knowing element types.
pub(crate) trait ShuffleWriter: Send + Sync {
    fn write(
        &self,
        dep: &ShuffleDependency,
        map_id: usize,
        ctx: &TaskContext,
    ) -> Result<MapStatus, TaskError>;
}

/// A shuffle boundary: the map side RDD, how its records are bucketed, and how to write them.
pub(crate) struct ShuffleDependency {
    pub(crate) shuffle_id: ShuffleId,
    /// The map side (parent) RDD.
    pub(crate) rdd: Arc<dyn RddBase>,
    pub(crate) partitioner: Partitioner,
    pub(crate) writer: Box<dyn ShuffleWriter>,
    /// Where its map outputs live, for the cleanup when the last reference goes.
    env: Weak<SparkEnv>,
}

impl ShuffleDependency {
    /// A new shuffle of `rdd`'s records (a new shuffle id), registered for cleanup as Spark's
    /// constructor registers it with the `ContextCleaner`.
    pub(crate) fn new(
        sc: &SparkContext,
        rdd: Arc<dyn RddBase>,
        partitioner: Partitioner,
        writer: Box<dyn ShuffleWriter>,
    ) -> ShuffleDependency {
        ShuffleDependency {
            shuffle_id: ShuffleId(sc.new_shuffle_id()),
            rdd,
            partitioner,
            writer,
            env: Arc::downgrade(sc.env()),
        }
    }

    /// The number of map outputs (the parent's partitions).
    pub(crate) fn num_maps(&self) -> usize {
        crate::rdd::num_partitions(&*self.rdd)
    }
}

/// The last reference is gone (no RDD, stage or task holds the shuffle any more): its map
/// outputs are removed everywhere (Spark's `ContextCleaner.doCleanupShuffle`).
impl Drop for ShuffleDependency {
    fn drop(&mut self) {
        if let Some(env) = self.env.upgrade() {
            env.remove_shuffle(self.shuffle_id);
        }
    }
}
