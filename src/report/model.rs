//! The report's model of one application, folded from its event log (Spark's
//! `AppStatusListener`, which the History Server replays over a log to build the web UI's
//! store).
//!
//! Each line is one JSON object named by its `"Event"` field, with Spark 4.3's `JsonProtocol`
//! field names. [`AppModel::from_lines`] folds them in order into jobs, stage attempts, RDD infos,
//! tasks, executors, blocks, unpersisted RDDs, accumulables and sparklet's streaming batches.
//! Unknown events are skipped (as the History Server skips event classes it does not know), and
//! missing optional fields read as absent; a line that is not a JSON object with an `"Event"`
//! string is an error naming its line number.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// One application, as the event log tells it.
#[derive(Debug, Default, Clone)]
pub(crate) struct AppModel {
    pub spark_version: Option<String>,
    pub app_name: Option<String>,
    pub app_id: Option<String>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub jobs: BTreeMap<u64, Job>,
    /// Every stage a job listed, by id (the newest info seen).
    pub stages: BTreeMap<u64, StageInfo>,
    /// Every submitted stage attempt, by (stage, attempt).
    pub attempts: BTreeMap<(u64, u64), StageAttempt>,
    /// Every RDD any stage listed, by id (the newest info seen).
    pub rdds: BTreeMap<u64, RddInfo>,
    pub tasks: BTreeMap<u64, Task>,
    pub executors: BTreeMap<String, Executor>,
    /// Blocks currently stored: (block id, executor) → what is stored.
    pub blocks: BTreeMap<(String, String), Block>,
    /// RDDs unpersisted by the program, in order.
    pub unpersisted: Vec<u64>,
    /// Named (non-internal) accumulators, by id.
    pub accumulables: BTreeMap<u64, Accumulable>,
    /// sparklet's streaming batches, in order.
    pub batches: Vec<Batch>,
    /// How many lines were events the report does not use.
    pub skipped_events: usize,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Job {
    pub id: u64,
    pub submission_time: Option<i64>,
    pub completion_time: Option<i64>,
    /// `JobSucceeded`, `JobFailed` (with its exception), or `None` while running.
    pub result: Option<String>,
    pub stage_ids: Vec<u64>,
    /// The scope of the job (`spark.rdd.scope` / job description), if set.
    pub description: Option<String>,
    /// The stages submitted while this job ran (the others were skipped).
    pub submitted_stages: BTreeSet<u64>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct StageInfo {
    pub name: String,
    pub num_tasks: u64,
    /// The stage's RDDs as this stage saw them (a later checkpoint changes an RDD's parents).
    pub rdds: Vec<RddInfo>,
    pub parent_ids: Vec<u64>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct StageAttempt {
    pub stage_id: u64,
    pub attempt: u64,
    pub name: String,
    pub num_tasks: u64,
    pub submission_time: Option<i64>,
    pub completion_time: Option<i64>,
    pub failure_reason: Option<String>,
    pub completed: bool,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct StorageLevel {
    pub use_disk: bool,
    pub use_memory: bool,
    pub use_off_heap: bool,
    pub deserialized: bool,
    pub replication: u64,
}

impl StorageLevel {
    /// Spark's `StorageLevel.isValid`: stored somewhere, at least once.
    pub fn is_valid(&self) -> bool {
        (self.use_memory || self.use_disk || self.use_off_heap) && self.replication > 0
    }

    /// Spark's `StorageLevel.description` ("Memory Deserialized 1x Replicated").
    pub fn description(&self) -> String {
        if !self.is_valid() {
            return "None".into();
        }
        let mut parts = Vec::new();
        if self.use_disk {
            parts.push("Disk");
        }
        if self.use_memory {
            parts.push("Memory");
        }
        if self.use_off_heap {
            parts.push("Off Heap");
        }
        let ser = if self.deserialized {
            "Deserialized"
        } else {
            "Serialized"
        };
        format!(
            "{} {} {}x Replicated",
            parts.join(" "),
            ser,
            self.replication
        )
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct RddInfo {
    pub id: u64,
    pub name: String,
    pub scope: Option<String>,
    pub callsite: String,
    pub parent_ids: Vec<u64>,
    pub storage_level: StorageLevel,
    pub num_partitions: u64,
    pub num_cached_partitions: u64,
    pub memory_size: u64,
    pub disk_size: u64,
}

impl RddInfo {
    /// Whether the RDD is one of Spark's checkpoint RDDs (the lineage cut).
    pub fn is_checkpoint_rdd(&self) -> bool {
        self.name == "ReliableCheckpointRDD" || self.name == "LocalCheckpointRDD"
    }

    /// The operation that made it (the scope's name), e.g. `reduceByKey`.
    pub fn operation(&self) -> Option<String> {
        let scope: Value = serde_json::from_str(self.scope.as_deref()?).ok()?;
        scope.get("name")?.as_str().map(str::to_string)
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Task {
    pub id: u64,
    pub stage_id: u64,
    pub stage_attempt: u64,
    pub index: u64,
    pub attempt: u64,
    pub executor_id: String,
    pub launch_time: Option<i64>,
    pub finish_time: Option<i64>,
    /// `Success`, `FetchFailed`, `ExceptionFailure`, `ExecutorLostFailure`, ...; `None` while
    /// running.
    pub reason: Option<String>,
    /// The reason's detail (exception description, loss reason).
    pub reason_detail: Option<String>,
    /// `ShuffleMapTask` or `ResultTask`, once ended.
    pub task_type: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Executor {
    pub id: String,
    pub host: String,
    pub cores: u64,
    pub added_time: Option<i64>,
    pub removed_time: Option<i64>,
    pub removed_reason: Option<String>,
    /// Blocks it held when it was removed (lost unless replicated or checkpointed).
    pub lost_blocks: Vec<String>,
    /// Shuffle map outputs it had written when it was removed, as (stage, partition): the
    /// successful map tasks it ran (their outputs live in its shuffle store).
    pub lost_map_outputs: Vec<(u64, u64)>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Block {
    pub level: StorageLevel,
    pub memory_size: u64,
    pub disk_size: u64,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Accumulable {
    pub id: u64,
    pub name: String,
    pub value: String,
    /// The stages that reported it.
    pub stages: BTreeSet<u64>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Batch {
    pub batch_time: i64,
    pub submission_time: i64,
    pub processing_start: i64,
    pub processing_end: i64,
    pub num_records: u64,
    pub checkpoint: bool,
    pub output_operations: u64,
    pub state: Vec<StreamState>,
}

impl Batch {
    /// Spark Streaming's scheduling delay: processing start − submission.
    pub fn scheduling_delay(&self) -> i64 {
        self.processing_start
            .saturating_sub(self.submission_time)
            .max(0)
    }

    /// Spark Streaming's processing time: end − start.
    pub fn processing_time(&self) -> i64 {
        self.processing_end
            .saturating_sub(self.processing_start)
            .max(0)
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct StreamState {
    pub stream_id: u64,
    pub stream: String,
    pub keys: u64,
}
/// `rdd_<id>_<split>` → (id, split).
pub(crate) fn parse_rdd_block(block: &str) -> Option<(u64, u64)> {
    let rest = block.strip_prefix("rdd_")?;
    let (id, split) = rest.split_once('_')?;
    Some((id.parse().ok()?, split.parse().ok()?))
}

impl AppModel {
    /// The stages of `job` never submitted (Spark's "skipped" stages: their shuffle output
    /// already existed).
    pub(crate) fn skipped_stages(&self, job: &Job) -> Vec<u64> {
        job.stage_ids
            .iter()
            .copied()
            .filter(|s| !job.submitted_stages.contains(s))
            .collect()
    }

    /// Whether an RDD was cut by a checkpoint: its only parent is a checkpoint RDD.
    pub(crate) fn is_checkpointed(&self, rdd: &RddInfo, seen_with: &[RddInfo]) -> bool {
        rdd.parent_ids.iter().any(|p| {
            seen_with
                .iter()
                .find(|r| r.id == *p)
                .or_else(|| self.rdds.get(p))
                .is_some_and(RddInfo::is_checkpoint_rdd)
        })
    }
}
