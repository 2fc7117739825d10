//! `MapPartitionsRDD`: the RDD behind map, flat_map, filter, map_partitions(_with_index), glom,
//! keys, values and map_values. One OneToOne dependency on its parent; partition i applies the
//! function to the parent's partition i in the same task.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::dependency::Dependency;
use crate::partitioner::Partitioner;
use crate::rdd::{iterator, ComputeResult, Data, PartIter, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::TaskContext;

/// The function of a MapPartitionsRDD: (partition index, parent iterator) → iterator.
pub(crate) type PartitionFn<T, U> = dyn Fn(usize, PartIter<T>) -> PartIter<U> + Send + Sync;

pub(crate) struct MapPartitionsRdd<T: Data, U: Data> {
    core: RddCore,
    /// The parent; `None` once the lineage is truncated by a checkpoint.
    prev: Mutex<Option<Arc<dyn TypedRdd<T>>>>,
    num_partitions: usize,
    f: Arc<PartitionFn<T, U>>,
    /// Spark's `preservesPartitioning`: keep the parent's partitioner (keys unchanged).
    partitioner: Option<Partitioner>,
}

impl<T: Data, U: Data> MapPartitionsRdd<T, U> {
    pub(crate) fn new(
        prev: Arc<dyn TypedRdd<T>>,
        op: &str,
        preserves_partitioning: bool,
        f: Arc<PartitionFn<T, U>>,
    ) -> Self {
        let partitioner = if preserves_partitioning {
            prev.partitioner()
        } else {
            None
        };
        MapPartitionsRdd {
            core: RddCore::new(&prev.core().sc, op),
            num_partitions: crate::rdd::num_partitions(&*prev),
            prev: Mutex::new(Some(prev)),
            f,
            partitioner,
        }
    }
}

impl<T: Data, U: Data> RddBase for MapPartitionsRdd<T, U> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.num_partitions
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
    fn partitioner(&self) -> Option<Partitioner> {
        self.partitioner.clone()
    }
    fn class_name(&self) -> &'static str {
        "MapPartitionsRDD"
    }
}

impl<T: Data, U: Data> TypedRdd<U> for MapPartitionsRdd<T, U> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<U> {
        let prev = self
            .prev
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        let input = iterator(&*prev, split, ctx)?;
        Ok((self.f)(split, input))
    }
}

/// The error of computing an RDD whose parents were dropped (only possible through a bug: a
/// checkpointed RDD reads its checkpoint instead).
pub(crate) fn lineage_gone(core: &RddCore) -> crate::scheduler::task::TaskError {
    crate::scheduler::task::TaskError::Failed(format!(
        "RDD {} has no parents left to compute from (its lineage was truncated)",
        core.id
    ))
}
