//! What listener events carry about stages, RDDs and tasks (Spark's `StageInfo`, `RDDInfo`,
//! `TaskInfo`'s times and `TaskMetrics`), for the event log and the report.
//!
//! A stage's [`StageInfo`] is built once per stage attempt by the scheduler (Spark's
//! `StageInfo.fromStage`: the stage's RDD and its narrow ancestors, walked iteratively) and
//! shared by every event of that attempt through an `Arc`, so posting an event stays cheap.
//! Layering: these are plain data; nothing here reaches RDDs, storage or the scheduler.

use super::AccumulableText;
use crate::storage::StorageLevel;

/// One RDD of a stage, as a listener sees it (Spark's `RDDInfo` built by `RDDInfo.fromRdd`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StageRddInfo {
    /// The RDD id.
    pub rdd_id: usize,
    /// Its name (`set_name`), else its class name (`MapPartitionsRDD`), as Spark's `RDDInfo.name`.
    pub name: String,
    /// The operation that made it (`map`), Spark's `RDDOperationScope` name.
    pub scope: String,
    /// Spark's call site short form; here the operation name, as `to_debug_string` shows it.
    pub callsite: String,
    /// The ids of its parent RDDs (its dependencies: the checkpoint RDD once checkpointed).
    pub parent_ids: Vec<usize>,
    /// Its storage level when the stage attempt was made.
    pub storage_level: StorageLevel,
    /// Its partition count.
    pub num_partitions: usize,
    /// Spark's `DeterministicLevel`: `UNORDERED` for an RDD reading a shuffle, else `DETERMINATE`.
    pub deterministic_level: &'static str,
}

/// One stage attempt, as a listener sees it (Spark's `StageInfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StageInfo {
    /// The stage.
    pub stage_id: usize,
    /// The attempt this info describes (the next attempt for a stage not submitted yet).
    pub attempt: u32,
    /// Spark's stage name: the operation of the stage's RDD.
    pub name: String,
    /// The tasks of this attempt (the RDD's partition count before the first submission).
    pub num_tasks: usize,
    /// The stage's RDD first, then its narrow ancestors (Spark's `getNarrowAncestors`).
    pub rdd_infos: Vec<StageRddInfo>,
    /// The stages whose shuffle output this stage reads.
    pub parent_ids: Vec<usize>,
    /// Spark's long call site; here the stage's RDD as `toString` shows it.
    pub details: String,
    /// Whether it is a shuffle map stage (its tasks are `ShuffleMapTask`s).
    pub is_shuffle_map: bool,
    /// The named accumulators this attempt's tasks updated, with their driver values after
    /// the latest update (Spark's `StageInfo.accumulables`), in first-update order.
    pub accumulables: Vec<AccumulableInfo>,
}

/// One named accumulator as listeners see it (Spark's `AccumulableInfo`): in a task's end, the
/// task's update and the driver's value after merging it; in a stage's info, the value only.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccumulableInfo {
    /// The accumulator's id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// The task's own update, as text (none in a stage's info), made when first read.
    pub update: Option<AccumulableText>,
    /// The driver's value, as text (Spark's `value.toString`), made when first read.
    pub value: AccumulableText,
    /// Whether it is one of Spark's internal metrics (never, for a program's accumulators).
    pub internal: bool,
    /// Spark's `countFailedValues`.
    pub count_failed_values: bool,
}

impl StageInfo {
    /// The info of a stage the scheduler no longer knows (no RDDs, no name).
    pub(crate) fn empty(stage_id: usize, attempt: u32, num_tasks: usize) -> StageInfo {
        StageInfo {
            stage_id,
            attempt,
            name: String::new(),
            num_tasks,
            rdd_infos: Vec::new(),
            parent_ids: Vec::new(),
            details: String::new(),
            is_shuffle_map: false,
            accumulables: Vec::new(),
        }
    }
}

/// What a task attempt measured (the part of Spark's `TaskMetrics` that sparklet has). Sizes in
/// bytes, times in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskMetrics {
    /// Wall time the task ran on its executor thread (Spark's `executorRunTime`).
    pub executor_run_time: u64,
    /// Spark's `resultSize`: the serialized result; here the shuffle output's size for a map
    /// task and 0 for a result task (results stay in memory, never serialized).
    pub result_size: u64,
    /// Records a reduce task read from shuffle outputs.
    pub shuffle_records_read: u64,
    /// Map outputs read from the task's own executor, and their bytes.
    pub local_blocks_fetched: u64,
    /// Bytes read from the task's own executor's map outputs.
    pub local_bytes_read: u64,
    /// Map outputs read from other executors.
    pub remote_blocks_fetched: u64,
    /// Bytes read from other executors' map outputs.
    pub remote_bytes_read: u64,
    /// Bytes a map task wrote to its shuffle buckets.
    pub shuffle_bytes_written: u64,
    /// Records a map task wrote.
    pub shuffle_records_written: u64,
    /// Spark's `memoryBytesSpilled` (sparklet's shuffles never spill: 0).
    pub memory_bytes_spilled: u64,
    /// Spark's `diskBytesSpilled` (0).
    pub disk_bytes_spilled: u64,
}

/// What one input stream took in for a streaming batch (Spark's `StreamInputInfo`, without its
/// metadata): receiver streams report their blocks' records, file streams 0; queue streams
/// report nothing, as in Spark.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamingInputInfo {
    /// The input stream's id.
    pub stream_id: usize,
    /// Its DStream class (`SocketInputDStream`, `FileInputDStream`).
    pub stream: String,
    /// The records it took in for the batch.
    pub num_records: u64,
}

/// One stateful stream's size after a streaming batch.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamingStateInfo {
    /// The stream's id.
    pub stream_id: usize,
    /// Its DStream class (`InternalMapWithStateDStream`, `StateDStream`).
    pub stream: String,
    /// Keys in its state after the batch.
    pub keys: u64,
}
