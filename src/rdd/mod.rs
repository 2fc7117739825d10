//! Resilient Distributed Datasets (Spark's `RDD`): the lineage graph and the one place that
//! decides where a partition's data comes from.
//!
//! An RDD here has three layers, as STYLE.md asks:
//!
//! * [`RddBase`] — object-safe and untyped: id, partition count, dependencies, partitioner,
//!   storage level and checkpoint state. The scheduler only ever holds `Arc<dyn RddBase>`; it
//!   never sees element types.
//! * [`TypedRdd<T>`] — adds the one piece of work each RDD type must provide: `compute` one
//!   partition into an iterator of `T`.
//! * [`Rdd<T>`](crate::Rdd) — the cheap-to-clone handle with the user methods
//!   (transformations, actions, persist, checkpoint).
//!
//! Spark's `final` methods live here, once each, as free functions that no RDD type can
//! override: [`iterator`] (storage level first, else [`compute_or_read_checkpoint`]),
//! [`dependencies`] (one dependency on the checkpoint RDD once checkpointed, else the RDD's own)
//! and [`num_partitions`]. Every read of a partition, by a task or by a child RDD, goes through
//! [`iterator`].

pub(crate) mod actions;
pub(crate) mod async_actions;
pub(crate) mod block_rdd;
pub(crate) mod cartesian;
pub(crate) mod chunked;
pub(crate) mod coalesced;
pub(crate) mod cogrouped;
pub(crate) mod debug_string;
pub(crate) mod double;
pub(crate) mod empty;
pub(crate) mod hadoop;
pub(crate) mod handle;
pub(crate) mod interruptible;
pub(crate) mod io;
pub(crate) mod join;
pub(crate) mod key_sort;
pub(crate) mod map_partitions;
pub(crate) mod ordered;
pub(crate) mod ordered_actions;
pub(crate) mod pair;
pub(crate) mod parallel_collection;
pub(crate) mod range;
pub(crate) mod sampled;
pub(crate) mod shuffled;
pub(crate) mod subtracted;
pub(crate) mod union;
pub(crate) mod whole_text_file;
pub(crate) mod zipped;

pub(crate) use persist::{persist, unpersist};

/// Spark's `RDD.persist` / `unpersist` (storage levels are set on the RDD; storage itself
/// knows no RDDs).
mod persist {
    use std::sync::Arc;

    use crate::error::{Error, Result};
    use crate::rdd::RddBase;
    use crate::storage::StorageLevel;

    /// Spark's `RDD.persist(level)`: sets the level (lazy); a different level than the one set is
    /// refused.
    pub(crate) fn persist(rdd: &Arc<dyn RddBase>, level: StorageLevel) -> Result<()> {
        let core = rdd.core();
        // A locally checkpointed RDD takes any level, adapted to use disk (Spark's allowOverride).
        let (level, allow_override) = if core.checkpoint.lock().is_local() {
            (level.with_disk(), true)
        } else {
            (level, false)
        };
        let mut current = core.storage_level.lock();
        if *current != StorageLevel::NONE && *current != level && !allow_override {
            return Err(Error::StorageLevelChange {
                current: current.to_string(),
                requested: level.to_string(),
            });
        }
        if *current == StorageLevel::NONE {
            core.sc.env().register_persistent(rdd);
        }
        *current = level;
        Ok(())
    }

    /// Spark's `RDD.unpersist(blocking)`: removes every copy and resets the level to NONE.
    pub(crate) fn unpersist(rdd: &Arc<dyn RddBase>, _blocking: bool) {
        let core = rdd.core();
        *core.storage_level.lock() = StorageLevel::NONE;
        core.sc.env().remove_rdd(core.id.0);
        core.sc
            .env()
            .bus
            .post(crate::SparkListenerEvent::UnpersistRdd { rdd_id: core.id.0 });
    }
}

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use parking_lot::Mutex;

use crate::checkpoint::CheckpointState;
use crate::context::SparkContext;
use crate::dependency::Dependency;
use crate::partitioner::Partitioner;
use crate::scheduler::ids::RddId;
use crate::scheduler::listener::SparkListenerEvent;
use crate::scheduler::task::{TaskContext, TaskError};
use crate::storage::block_manager::{BlockId, BlockStatus};
use crate::storage::{ArcVecIter, BlockCluster, BlockData, StorageLevel};

/// Element types of RDDs and DStreams: cloneable, thread-safe, printable and serializable.
pub trait Data:
    Clone + Send + Sync + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned + 'static
{
}
impl<T> Data for T where
    T: Clone
        + Send
        + Sync
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned
        + 'static
{
}

/// The iterator a partition is computed into. Tasks run on one thread, so it need not be `Send`.
pub type BoxIter<T> = Box<dyn Iterator<Item = T>>;

/// A partition's values as they pass from one RDD to the next inside a task: an iterator that
/// can also hand over its next values in chunks. Spark's iterators go record by record and the
/// JVM inlines through them; here each RDD's iterator is a trait object, so a narrow chain
/// (a cached block, a `map`, a map-side combine) pulled one value at a time pays one dynamic
/// call per RDD per value. Pulled in chunks, it pays one per chunk.
pub(crate) trait PartitionIterator<T>: Iterator<Item = T> {
    /// Appends up to `max` next values to `out`; appends none only at the end.
    fn next_chunk_into(&mut self, out: &mut Vec<T>, max: usize);
}

impl<T, P: PartitionIterator<T> + ?Sized> PartitionIterator<T> for Box<P> {
    fn next_chunk_into(&mut self, out: &mut Vec<T>, max: usize) {
        (**self).next_chunk_into(out, max)
    }
}

/// The iterator a partition is computed into (upcasts to [`BoxIter`] where user code takes it).
pub(crate) type PartIter<T> = Box<dyn PartitionIterator<T>>;

/// The result of computing a partition: an iterator, or why the task must fail.
pub(crate) type ComputeResult<T> = std::result::Result<PartIter<T>, TaskError>;

/// Any iterator as a [`PartitionIterator`]: chunks are filled by its own `next`, statically
/// dispatched, so the one dynamic call is the chunk's.
pub(crate) struct PerValue<I>(pub(crate) I);

impl<I: Iterator> Iterator for PerValue<I> {
    type Item = I::Item;
    #[inline]
    fn next(&mut self) -> Option<I::Item> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<I: Iterator> PartitionIterator<I::Item> for PerValue<I> {
    fn next_chunk_into(&mut self, out: &mut Vec<I::Item>, max: usize) {
        out.extend(self.0.by_ref().take(max));
    }
}

/// Boxes an iterator as a partition's iterator.
pub(crate) fn part_iter<I: Iterator + 'static>(values: I) -> PartIter<I::Item> {
    Box::new(PerValue(values))
}

/// `map` over a partition's iterator that maps whole chunks: one dynamic call to the parent per
/// chunk instead of per value.
pub(crate) struct MapChunks<T, F> {
    parent: PartIter<T>,
    f: F,
    buf: Vec<T>,
}

impl<T, U, F: Fn(T) -> U> MapChunks<T, F> {
    pub(crate) fn new(parent: PartIter<T>, f: F) -> Self {
        MapChunks {
            parent,
            f,
            buf: Vec::new(),
        }
    }
}

impl<T, U, F: Fn(T) -> U> Iterator for MapChunks<T, F> {
    type Item = U;
    #[inline]
    fn next(&mut self) -> Option<U> {
        self.parent.next().map(&self.f)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.parent.size_hint()
    }
}

impl<T, U, F: Fn(T) -> U> PartitionIterator<U> for MapChunks<T, F> {
    fn next_chunk_into(&mut self, out: &mut Vec<U>, max: usize) {
        self.parent.next_chunk_into(&mut self.buf, max);
        out.extend(self.buf.drain(..).map(&self.f));
    }
}

/// The untyped face of an RDD: everything the scheduler, the block manager and the checkpoint
/// machinery need, with no element type. Implementors provide the `get_*` hooks; callers use the
/// final free functions of this module ([`dependencies`], [`num_partitions`]) instead.
pub(crate) trait RddBase: Send + Sync + 'static {
    /// The fields every RDD shares.
    fn core(&self) -> &RddCore;
    /// Spark's `getPartitions`, as a count: partition `i` is index `i`. Called once.
    fn get_num_partitions(&self) -> usize;
    /// Spark's `getDependencies`: the RDD's own parents. Called until the RDD is checkpointed.
    fn get_dependencies(&self) -> Vec<Dependency>;
    /// Spark's `clearDependencies`: forget every reference to a parent (lineage truncation).
    /// Returns what was held, for the caller to drop (see `checkpoint::mark_checkpointed`).
    fn clear_dependencies(&self) -> Box<dyn Any + Send>;
    /// Spark's `getPartitions` errors, raised when a job is submitted (e.g. zero slices).
    fn validate(&self) -> crate::error::Result<()> {
        Ok(())
    }
    /// How the RDD's keys are partitioned, when known.
    fn partitioner(&self) -> Option<Partitioner> {
        None
    }
    /// Called after `checkpoint()` marked the RDD (Spark's `MapWithStateRDD.checkpoint` override
    /// turns on its full scan for timeouts here).
    fn on_checkpoint_marked(&self) {}
    /// Spark's class name, shown by `toString` and `toDebugString`.
    fn class_name(&self) -> &'static str;
}

/// A typed RDD: computes partitions into values of `T`.
pub(crate) trait TypedRdd<T: Data>: RddBase {
    /// Computes partition `split` from the parents. Called only by
    /// [`compute_or_read_checkpoint`].
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<T>;

    /// The memory a block of these values takes, for the memory store's accounting (Spark's
    /// `SizeEstimator`). The default samples the elements; RDDs whose elements are large
    /// structures (state maps) give a cheaper estimate.
    fn estimate_size(&self, values: &[T]) -> u64 {
        crate::storage::estimate_size(values)
    }
}

/// The fields every RDD shares (Spark's fields on `RDD`).
pub(crate) struct RddCore {
    /// The RDD id, unique within its context.
    pub(crate) id: RddId,
    /// The context that made the RDD.
    pub(crate) sc: SparkContext,
    /// The operation that made it (`map`, `parallelize`, ...), Spark's call site short form.
    pub(crate) op: String,
    /// `rdd.set_name`.
    pub(crate) name: Mutex<Option<String>>,
    /// The persistence level (NONE until persisted).
    pub(crate) storage_level: Mutex<StorageLevel>,
    /// The checkpoint data and its state machine.
    pub(crate) checkpoint: Mutex<CheckpointState>,
    /// Spark's `doCheckpointCalled`: `do_checkpoint` runs its logic once per RDD.
    pub(crate) do_checkpoint_called: AtomicBool,
    /// Spark's `partitions_`, computed once (the count never changes, checkpointed or not).
    num_partitions: OnceLock<usize>,
}

impl RddCore {
    /// A core for a new RDD of `sc`, made by operation `op`.
    pub(crate) fn new(sc: &SparkContext, op: &str) -> RddCore {
        RddCore {
            id: sc.new_rdd_id(),
            sc: sc.clone(),
            op: op.to_string(),
            name: Mutex::new(None),
            storage_level: Mutex::new(StorageLevel::NONE),
            checkpoint: Mutex::new(CheckpointState::None),
            do_checkpoint_called: AtomicBool::new(false),
            num_partitions: OnceLock::new(),
        }
    }

    /// The current storage level.
    pub(crate) fn storage_level(&self) -> StorageLevel {
        *self.storage_level.lock()
    }

    /// Whether `do_checkpoint` already ran on this RDD, marking it as ran.
    pub(crate) fn take_do_checkpoint(&self) -> bool {
        self.do_checkpoint_called.swap(true, Ordering::SeqCst)
    }
}

impl Drop for RddCore {
    /// Spark's `ContextCleaner` for checkpoints: with
    /// `sparklet.cleaner.referenceTracking.cleanCheckpoints`, an RDD's checkpoint files go when
    /// the RDD does.
    fn drop(&mut self) {
        let dir = self.checkpoint.get_mut().checkpoint_file();
        if let Some(dir) = dir {
            let clean = self
                .sc
                .conf()
                .get_bool(crate::checkpoint::CLEAN_CHECKPOINTS, false);
            if clean.unwrap_or(false) {
                if let Err(e) = std::fs::remove_dir_all(&dir) {
                    log::warn!(
                        target: crate::logging::CONTEXT_CLEANER,
                        "cannot clean {}: {e}",
                        dir.display()
                    );
                }
            }
        }
    }
}

/// Spark's final `dependencies`: one OneToOne dependency on the checkpoint RDD once the RDD is
/// checkpointed, else the RDD's own dependencies.
pub(crate) fn dependencies(rdd: &dyn RddBase) -> Vec<Dependency> {
    if let Some(cp) = rdd.core().checkpoint.lock().checkpoint_rdd_base() {
        return vec![Dependency::one_to_one(cp)];
    }
    rdd.get_dependencies()
}

/// Spark's final `partitions`, as a count. Checkpointing never changes it (Spark checks that
/// the checkpoint RDD has as many partitions).
pub(crate) fn num_partitions(rdd: &dyn RddBase) -> usize {
    *rdd.core()
        .num_partitions
        .get_or_init(|| rdd.get_num_partitions())
}

/// Spark's final `iterator`: the storage level is consulted first (the block manager returns
/// the cached block or computes and stores it); without a level, the partition comes from
/// [`compute_or_read_checkpoint`]. This is the only function that reads the block manager for
/// an RDD partition.
pub(crate) fn iterator<T: Data>(
    rdd: &dyn TypedRdd<T>,
    split: usize,
    ctx: &TaskContext,
) -> ComputeResult<T> {
    let level = rdd.core().storage_level();
    if level != StorageLevel::NONE {
        get_or_compute(rdd, split, level, ctx)
    } else {
        let values = compute_or_read_checkpoint(rdd, split, ctx)?;
        Ok(if reads_outside_the_task(rdd) {
            interruptible(values, ctx)
        } else {
            values
        })
    }
}

/// Whether a partition's values come from outside the task's narrow chain (a source RDD or a
/// shuffle read), where Spark wraps them in an `InterruptibleIterator`.
fn reads_outside_the_task(rdd: &dyn RddBase) -> bool {
    let deps = dependencies(rdd);
    deps.is_empty() || deps.iter().any(|d| d.as_shuffle().is_some())
}

/// Wraps a partition's values so that the task stops at its next record once killed.
fn interruptible<T: Data>(values: PartIter<T>, ctx: &TaskContext) -> PartIter<T> {
    Box::new(interruptible::InterruptibleIterator::new(
        ctx.kill.clone(),
        values,
    ))
}

/// Spark's final `computeOrReadCheckpoint`: the checkpoint RDD's partition when the RDD is
/// checkpointed (its lineage is gone), else `compute`.
pub(crate) fn compute_or_read_checkpoint<T: Data>(
    rdd: &dyn TypedRdd<T>,
    split: usize,
    ctx: &TaskContext,
) -> ComputeResult<T> {
    let checkpoint_rdd = rdd.core().checkpoint.lock().checkpoint_rdd::<T>();
    match checkpoint_rdd {
        Some(cp) => iterator(&*cp, split, ctx),
        None => rdd.compute(split, ctx),
    }
}

/// Spark's `RDD.getOrCompute`: the block manager's `getOrElseUpdate` with a closure that
/// computes the partition through [`compute_or_read_checkpoint`]. The block manager finds the
/// block on this executor or another, or runs the closure once and stores its values at `level`.
pub(crate) fn get_or_compute<T: Data>(
    rdd: &dyn TypedRdd<T>,
    split: usize,
    level: StorageLevel,
    ctx: &TaskContext,
) -> ComputeResult<T> {
    let id = BlockId::rdd(rdd.core().id.0, split);
    let estimate = |values: &[T]| rdd.estimate_size(values);
    let data = crate::storage::get_or_else_update(&TaskBlocks(ctx), id, level, &estimate, || {
        let values: Vec<T> = compute_or_read_checkpoint(rdd, split, ctx)?.collect();
        // A task killed while computing the block never stores it (Spark's getOrCompute
        // reads its values through an InterruptibleIterator before putting them).
        ctx.kill.kill_task_if_interrupted();
        Ok::<_, TaskError>(values)
    })?;
    Ok(interruptible(block_iter(data), ctx))
}

/// Reads a stored block (from any executor) as a partition's iterator, for `BlockRDD`.
pub(crate) fn read_block<T: Data>(id: BlockId, ctx: &TaskContext) -> Option<PartIter<T>> {
    crate::storage::get_block(&TaskBlocks(ctx), id).map(block_iter)
}

fn block_iter<T: Data>(data: BlockData<T>) -> PartIter<T> {
    match data {
        BlockData::Shared(values) => part_iter(ArcVecIter::new(values)),
        BlockData::Owned(values) => part_iter(values.into_iter()),
    }
}

/// The executors around a task's block manager, as the block manager sees them; its lost
/// blocks are posted to the listener bus here (storage knows no listener events).
struct TaskBlocks<'a>(&'a TaskContext);

impl BlockCluster for TaskBlocks<'_> {
    fn local(&self) -> (&str, &crate::storage::BlockManager) {
        (&self.0.executor.id, &self.0.executor.block_manager)
    }
    fn master(&self) -> &crate::storage::BlockManagerMaster {
        &self.0.env.block_manager_master
    }
    fn executor_ids(&self) -> Vec<String> {
        self.0
            .env
            .executors()
            .iter()
            .map(|e| e.id.clone())
            .collect()
    }
    fn with_peer(&self, id: &str, f: &mut dyn FnMut(&crate::storage::BlockManager)) {
        if let Some(executor) = self.0.env.executor(id) {
            f(&executor.block_manager);
        }
    }
    fn block_lost(&self, id: BlockId, executor_id: &str, reason: &str) {
        self.0.env.bus.post(SparkListenerEvent::BlockLost {
            block_id: id.to_string(),
            executor_id: executor_id.to_string(),
            reason: reason.to_string(),
        });
    }
    fn block_updated(&self, id: BlockId, executor_id: &str, status: BlockStatus) {
        self.0.env.bus.post(SparkListenerEvent::BlockUpdated {
            block_id: id.to_string(),
            executor_id: executor_id.to_string(),
            storage_level: status.storage_level,
            memory_size: status.memory_size,
            disk_size: status.disk_size,
        });
    }
}

/// Whether every partition of `rdd` is persisted and has a cached copy somewhere (the DAG
/// scheduler then needs none of its parents).
pub(crate) fn all_cached(rdd: &dyn RddBase, master: &crate::storage::BlockManagerMaster) -> bool {
    rdd.core().storage_level() != StorageLevel::NONE
        && master.all_cached(rdd.core().id.0, num_partitions(rdd))
}

/// Spark's `toString`: `[name ]ClassName[id] at op`.
pub(crate) fn describe(rdd: &dyn RddBase) -> String {
    let core = rdd.core();
    let name = core.name.lock().clone();
    match name {
        Some(n) => format!("{n} {}[{}] at {}", rdd.class_name(), core.id, core.op),
        None => format!("{}[{}] at {}", rdd.class_name(), core.id, core.op),
    }
}

#[cfg(test)]
mod chunk_tests {
    use super::*;

    /// Pulls `it` to the end in chunks of `max`, checking that only the last pull is empty.
    fn drain_in_chunks<T>(mut it: PartIter<T>, max: usize) -> Vec<T> {
        let (mut all, mut chunk) = (Vec::new(), Vec::new());
        loop {
            it.next_chunk_into(&mut chunk, max);
            if chunk.is_empty() {
                return all;
            }
            assert!(chunk.len() <= max);
            all.append(&mut chunk);
        }
    }

    #[test]
    fn chunks_give_the_same_values_in_the_same_order_as_next() {
        for max in [1, 3, 16, 1000] {
            let parent = part_iter(0..100u32);
            let mapped: PartIter<u64> = Box::new(MapChunks::new(parent, |x| u64::from(x) * 2));
            let want: Vec<u64> = (0..100u64).map(|x| x * 2).collect();
            assert_eq!(drain_in_chunks(mapped, max), want, "max {max}");
        }
    }

    #[test]
    fn chunks_and_next_can_be_mixed() {
        let mut it: PartIter<u32> = Box::new(MapChunks::new(part_iter(0..10u32), |x| x + 1));
        assert_eq!(it.next(), Some(1));
        let mut chunk = Vec::new();
        it.next_chunk_into(&mut chunk, 4);
        assert_eq!(chunk, vec![2, 3, 4, 5]);
        assert_eq!(it.collect::<Vec<_>>(), vec![6, 7, 8, 9, 10]);
    }
}
