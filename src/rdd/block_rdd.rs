//! `BlockRDD`: an RDD whose partitions are blocks already sitting in executors' block managers
//! (Spark's `BlockRDD`), the RDD a receiver input stream makes for each batch.
//!
//! Partition `i` is the `i`-th block. A block is read where it lives: in the running task's own
//! block manager, else on any executor the block manager master says holds a copy (a replica
//! when the first copy died with its executor). There is no lineage to recompute a block from:
//! a block that no live executor holds fails the task with Spark's message, and after
//! [`BlockRdd::remove_blocks`] the RDD refuses to be used at all (Spark's `assertValid`).
//!
//! Like `LocalCheckpointRDD`, this is an RDD type whose `compute` reads the block manager
//! itself: the blocks are its data, not a cache of it, so `rdd::iterator` still decides first
//! whether the RDD's *own* persisted copy (e.g. a window persisting its parent) serves the read.
//!
//! Each block here is the one partition of a *carrier* RDD (its id is the block's `rdd_<id>_0`
//! name; see `streaming::input::receiver` for why blocks are stored that way). The BlockRDD
//! keeps the carriers, so the received blocks stay listed by `get_rdd_storage_info` (named
//! `input-<stream>-<n>`, Spark's stream block ids) until they are removed.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::context::SparkContext;
use crate::dependency::Dependency;
use crate::rdd::{ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::storage::block_manager::BlockId;

/// Spark's `BlockRDD`: one partition per stored block, no parents.
pub(crate) struct BlockRdd<T> {
    core: RddCore,
    /// The carrier RDD of each block (partition `i` is block `rdd_<blocks[i].id>_0`).
    blocks: Vec<Arc<dyn RddBase>>,
    /// False once the blocks were removed (Spark's `_isValid`).
    valid: AtomicBool,
    _t: PhantomData<fn() -> T>,
}

impl<T: Data> BlockRdd<T> {
    /// A BlockRDD over the blocks of `blocks`, made by operation `op`.
    pub(crate) fn new(sc: &SparkContext, blocks: Vec<Arc<dyn RddBase>>, op: &str) -> Self {
        BlockRdd {
            core: RddCore::new(sc, op),
            blocks,
            valid: AtomicBool::new(true),
            _t: PhantomData,
        }
    }

    /// The block of partition `split`.
    pub(crate) fn block_id(&self, split: usize) -> Option<BlockId> {
        self.blocks
            .get(split)
            .map(|b| BlockId::rdd(b.core().id.0, 0))
    }

    /// Whether the blocks are still there to be read.
    pub(crate) fn is_valid(&self) -> bool {
        self.valid.load(Ordering::SeqCst)
    }

    /// Spark's `removeBlocks`: deletes every copy of every block from every executor and marks
    /// the RDD invalid. Idempotent.
    pub(crate) fn remove_blocks(&self) {
        if !self.valid.swap(false, Ordering::SeqCst) {
            return;
        }
        for carrier in &self.blocks {
            crate::rdd::unpersist(carrier, false);
        }
    }

    fn removed_message(&self) -> String {
        format!(
            "Attempted to use {} after its blocks have been removed!",
            crate::rdd::describe(self)
        )
    }

    /// Spark's `assertValid`.
    fn assert_valid(&self) -> Result<(), TaskError> {
        if self.is_valid() {
            Ok(())
        } else {
            Err(TaskError::Failed(self.removed_message()))
        }
    }
}

impl<T: Data> RddBase for BlockRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.blocks.len()
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(())
    }
    /// Spark's `getPartitions` calls `assertValid`: a job on removed blocks is refused.
    fn validate(&self) -> crate::error::Result<()> {
        if self.is_valid() {
            Ok(())
        } else {
            Err(crate::error::Error::IllegalState(self.removed_message()))
        }
    }
    fn class_name(&self) -> &'static str {
        "BlockRDD"
    }
}

impl<T: Data> TypedRdd<T> for BlockRdd<T> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<T> {
        self.assert_valid()?;
        let block = self.block_id(split).ok_or_else(|| {
            TaskError::Failed(format!(
                "{} has no partition {split}",
                crate::rdd::describe(self)
            ))
        })?;
        crate::rdd::read_block::<T>(block, ctx).ok_or_else(|| {
            let stream_block = self.blocks[split].core().name.lock().clone();
            let named = stream_block.map_or(String::new(), |n| format!(" ({n})"));
            TaskError::Failed(format!(
                "Could not compute split, block {block}{named} of RDD {} not found",
                self.core.id
            ))
        })
    }
}
