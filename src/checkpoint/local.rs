//! Local checkpoints (Spark's `LocalRDDCheckpointData` and `LocalCheckpointRDD`): the lineage is
//! cut, and the RDD's partitions are its own cached blocks on the executors. Fast, but not
//! fault-tolerant: a block lost with its executor cannot be recomputed.

use std::any::Any;
use std::sync::{Arc, Weak};

use crate::checkpoint::CheckpointWriter;
use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::partitioner::Partitioner;
use crate::rdd::{num_partitions, ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::storage::block_manager::BlockId;

/// Writes one RDD's local checkpoint: makes sure every partition is cached.
pub(crate) struct LocalWriter<T: Data> {
    rdd: Weak<dyn TypedRdd<T>>,
}

impl<T: Data> LocalWriter<T> {
    pub(crate) fn new(rdd: Weak<dyn TypedRdd<T>>) -> Self {
        LocalWriter { rdd }
    }
}

impl<T: Data> CheckpointWriter for LocalWriter<T> {
    /// Spark's `LocalRDDCheckpointData.doCheckpoint`: partitions the action did not compute
    /// (e.g. `first()`) are computed and cached by one more job.
    fn write(&self) -> Result<(Arc<dyn RddBase>, Arc<dyn Any + Send + Sync>)> {
        let rdd = self
            .rdd
            .upgrade()
            .ok_or_else(|| Error::IllegalState("the RDD to checkpoint is gone".into()))?;
        let sc = rdd.core().sc.clone();
        let id = rdd.core().id;
        let n = num_partitions(&*rdd);
        let master = &sc.env().block_manager_master;
        let missing: Vec<usize> = (0..n)
            .filter(|&split| master.locations(BlockId::rdd(id.0, split)).is_empty())
            .collect();
        if !missing.is_empty() {
            sc.run_job(&rdd, missing, |_, values| values.for_each(drop))?;
        }
        let cp: Arc<dyn TypedRdd<T>> = Arc::new(LocalCheckpointRdd::<T>::new(
            &rdd.core().sc,
            id.0,
            n,
            rdd.partitioner(),
        ));
        Ok((cp.clone(), Arc::new(cp)))
    }
}

/// Spark's `LocalCheckpointRDD`: partition i is the block `rdd_<id>_<i>` of the checkpointed RDD.
pub(crate) struct LocalCheckpointRdd<T> {
    core: RddCore,
    rdd_id: usize,
    parts: usize,
    partitioner: Option<Partitioner>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Data> LocalCheckpointRdd<T> {
    fn new(
        sc: &crate::SparkContext,
        rdd_id: usize,
        parts: usize,
        partitioner: Option<Partitioner>,
    ) -> Self {
        LocalCheckpointRdd {
            core: RddCore::new(sc, "localCheckpoint"),
            rdd_id,
            parts,
            partitioner,
            _t: std::marker::PhantomData,
        }
    }
}

impl<T: Data> RddBase for LocalCheckpointRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.parts
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(())
    }
    fn partitioner(&self) -> Option<Partitioner> {
        self.partitioner.clone()
    }
    fn class_name(&self) -> &'static str {
        "LocalCheckpointRDD"
    }
}

impl<T: Data> TypedRdd<T> for LocalCheckpointRdd<T> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<T> {
        let block = BlockId::rdd(self.rdd_id, split);
        crate::rdd::read_block::<T>(block, ctx).ok_or_else(|| {
            TaskError::Failed(format!(
                "Checkpoint block {block} not found! The executor that held it may have died, or \
                 the RDD was unpersisted. Local checkpoints are not fault-tolerant: use \
                 rdd.checkpoint() instead, which is slower but fault-tolerant."
            ))
        })
    }
}
