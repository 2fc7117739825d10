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
        (self.processing_start - self.submission_time).max(0)
    }

    /// Spark Streaming's processing time: end − start.
    pub fn processing_time(&self) -> i64 {
        (self.processing_end - self.processing_start).max(0)
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct StreamState {
    pub stream_id: u64,
    pub stream: String,
    pub keys: u64,
}

fn u(v: &Value, k: &str) -> Option<u64> {
    v.get(k).and_then(Value::as_u64)
}

fn i(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(Value::as_i64)
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn b(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn ids(v: &Value, k: &str) -> Vec<u64> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn storage_level(v: Option<&Value>) -> StorageLevel {
    let Some(v) = v else {
        return StorageLevel::default();
    };
    StorageLevel {
        use_disk: b(v, "Use Disk"),
        use_memory: b(v, "Use Memory"),
        use_off_heap: b(v, "Use Off Heap"),
        deserialized: b(v, "Deserialized"),
        replication: u(v, "Replication").unwrap_or(0),
    }
}

fn rdd_info(v: &Value) -> Option<RddInfo> {
    Some(RddInfo {
        id: u(v, "RDD ID")?,
        name: s(v, "Name").unwrap_or_default(),
        scope: s(v, "Scope"),
        callsite: s(v, "Callsite").unwrap_or_default(),
        parent_ids: ids(v, "Parent IDs"),
        storage_level: storage_level(v.get("Storage Level")),
        num_partitions: u(v, "Number of Partitions").unwrap_or(0),
        num_cached_partitions: u(v, "Number of Cached Partitions").unwrap_or(0),
        memory_size: u(v, "Memory Size").unwrap_or(0),
        disk_size: u(v, "Disk Size").unwrap_or(0),
    })
}

/// `rdd_<id>_<split>` → (id, split).
pub(crate) fn parse_rdd_block(block: &str) -> Option<(u64, u64)> {
    let rest = block.strip_prefix("rdd_")?;
    let (id, split) = rest.split_once('_')?;
    Some((id.parse().ok()?, split.parse().ok()?))
}

fn value_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

impl AppModel {
    /// Folds event log lines (blank lines skipped). An error names the 1-based line and what is
    /// wrong with it.
    pub(crate) fn from_lines<'a>(
        lines: impl IntoIterator<Item = &'a str>,
    ) -> std::result::Result<AppModel, (usize, String)> {
        let mut model = AppModel::default();
        for (n, line) in lines.into_iter().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let v: Value =
                serde_json::from_str(line).map_err(|e| (n + 1, format!("not valid JSON ({e})")))?;
            let Some(event) = v.get("Event").and_then(Value::as_str) else {
                return Err((n + 1, "not an event: no \"Event\" name".into()));
            };
            model.apply(event, &v);
        }
        Ok(model)
    }

    fn remember_stage(&mut self, si: &Value) -> Option<(u64, u64)> {
        let id = u(si, "Stage ID")?;
        let attempt = u(si, "Stage Attempt ID").unwrap_or(0);
        let mut rdds = Vec::new();
        for r in arr(si, "RDD Info") {
            if let Some(info) = rdd_info(r) {
                rdds.push(info.clone());
                self.rdds.insert(info.id, info);
            }
        }
        rdds.sort_by_key(|r| r.id);
        self.stages.insert(
            id,
            StageInfo {
                name: s(si, "Stage Name").unwrap_or_default(),
                num_tasks: u(si, "Number of Tasks").unwrap_or(0),
                rdds,
                parent_ids: ids(si, "Parent IDs"),
            },
        );
        for a in arr(si, "Accumulables") {
            self.accumulable(id, a);
        }
        Some((id, attempt))
    }

    fn accumulable(&mut self, stage: u64, a: &Value) {
        let (Some(id), Some(name)) = (u(a, "ID"), s(a, "Name")) else {
            return;
        };
        if b(a, "Internal") || name.starts_with("internal.") {
            return;
        }
        let entry = self.accumulables.entry(id).or_insert_with(|| Accumulable {
            id,
            name: name.clone(),
            ..Accumulable::default()
        });
        if a.get("Value").is_some() {
            entry.value = value_text(a.get("Value"));
        }
        entry.stages.insert(stage);
    }

    fn apply(&mut self, event: &str, v: &Value) {
        match event {
            "SparkListenerLogStart" => self.spark_version = s(v, "Spark Version"),
            "SparkListenerApplicationStart" => {
                self.app_name = s(v, "App Name");
                self.app_id = s(v, "App ID");
                self.start_time = i(v, "Timestamp");
            }
            "SparkListenerApplicationEnd" => self.end_time = i(v, "Timestamp"),
            "SparkListenerJobStart" => self.job_start(v),
            "SparkListenerJobEnd" => {
                if let Some(job) = u(v, "Job ID").and_then(|id| self.jobs.get_mut(&id)) {
                    job.completion_time = i(v, "Completion Time");
                    let result = v.get("Job Result");
                    let mut text = result.and_then(|r| s(r, "Result")).unwrap_or_default();
                    if let Some(msg) = result
                        .and_then(|r| r.get("Exception"))
                        .and_then(|e| s(e, "Message"))
                    {
                        text = format!("{text}: {msg}");
                    }
                    job.result = Some(text);
                }
            }
            "SparkListenerStageSubmitted" | "SparkListenerStageCompleted" => {
                let Some(si) = v.get("Stage Info") else {
                    return;
                };
                let Some(key) = self.remember_stage(si) else {
                    return;
                };
                let attempt = self.attempts.entry(key).or_default();
                attempt.stage_id = key.0;
                attempt.attempt = key.1;
                attempt.name = s(si, "Stage Name").unwrap_or_default();
                attempt.num_tasks = u(si, "Number of Tasks").unwrap_or(0);
                attempt.submission_time = i(si, "Submission Time").or(attempt.submission_time);
                if event == "SparkListenerStageSubmitted" {
                    for job in self.jobs.values_mut() {
                        if job.result.is_none() && job.stage_ids.contains(&key.0) {
                            job.submitted_stages.insert(key.0);
                        }
                    }
                } else {
                    attempt.completed = true;
                    attempt.completion_time = i(si, "Completion Time");
                    attempt.failure_reason = s(si, "Failure Reason");
                }
            }
            "SparkListenerTaskStart" | "SparkListenerTaskEnd" => self.task(event, v),
            "SparkListenerExecutorAdded" => {
                let Some(id) = s(v, "Executor ID") else {
                    return;
                };
                let info = v.get("Executor Info");
                self.executors.insert(
                    id.clone(),
                    Executor {
                        id,
                        host: info.and_then(|i| s(i, "Host")).unwrap_or_default(),
                        cores: info.and_then(|i| u(i, "Total Cores")).unwrap_or(0),
                        added_time: i(v, "Timestamp"),
                        ..Executor::default()
                    },
                );
            }
            "SparkListenerExecutorRemoved" => {
                let Some(id) = s(v, "Executor ID") else {
                    return;
                };
                let lost: Vec<String> = self
                    .blocks
                    .keys()
                    .filter(|(_, e)| *e == id)
                    .map(|(blk, _)| blk.clone())
                    .collect();
                self.blocks.retain(|(_, e), _| *e != id);
                let exec = self
                    .executors
                    .entry(id.clone())
                    .or_insert_with(|| Executor {
                        id: id.clone(),
                        ..Executor::default()
                    });
                exec.removed_time = i(v, "Timestamp");
                exec.removed_reason = s(v, "Removed Reason");
                exec.lost_blocks = lost;
            }
            "SparkListenerBlockUpdated" => {
                let Some(info) = v.get("Block Updated Info") else {
                    return;
                };
                let exec = info
                    .get("Block Manager ID")
                    .and_then(|m| s(m, "Executor ID"))
                    .unwrap_or_default();
                let Some(block) = s(info, "Block ID") else {
                    return;
                };
                let level = storage_level(info.get("Storage Level"));
                let key = (block, exec);
                if level.is_valid() {
                    let memory_size = u(info, "Memory Size").unwrap_or(0);
                    let disk_size = u(info, "Disk Size").unwrap_or(0);
                    self.blocks.insert(
                        key,
                        Block {
                            level,
                            memory_size,
                            disk_size,
                        },
                    );
                } else {
                    self.blocks.remove(&key);
                }
            }
            "SparkListenerUnpersistRDD" => {
                if let Some(id) = u(v, "RDD ID") {
                    self.unpersisted.push(id);
                    self.blocks
                        .retain(|(blk, _), _| parse_rdd_block(blk).map(|(r, _)| r) != Some(id));
                }
            }
            "SparkletStreamingBatchCompleted" => self.batches.push(Batch {
                batch_time: i(v, "Batch Time").unwrap_or(0),
                submission_time: i(v, "Submission Time").unwrap_or(0),
                processing_start: i(v, "Processing Start Time").unwrap_or(0),
                processing_end: i(v, "Processing End Time").unwrap_or(0),
                num_records: u(v, "Num Records").unwrap_or(0),
                checkpoint: b(v, "Checkpoint"),
                output_operations: u(v, "Output Operations").unwrap_or(0),
                state: arr(v, "State")
                    .iter()
                    .map(|st| StreamState {
                        stream_id: u(st, "Stream Id").unwrap_or(0),
                        stream: s(st, "Stream").unwrap_or_default(),
                        keys: u(st, "Keys").unwrap_or(0),
                    })
                    .collect(),
            }),
            _ => self.skipped_events += 1,
        }
    }

    fn job_start(&mut self, v: &Value) {
        let Some(id) = u(v, "Job ID") else {
            return;
        };
        for si in arr(v, "Stage Infos") {
            self.remember_stage(si);
        }
        let description = v.get("Properties").and_then(|p| {
            s(p, "spark.job.description").or_else(|| {
                let scope: Value = serde_json::from_str(&s(p, "spark.rdd.scope")?).ok()?;
                s(&scope, "name")
            })
        });
        self.jobs.insert(
            id,
            Job {
                id,
                submission_time: i(v, "Submission Time"),
                stage_ids: ids(v, "Stage IDs"),
                description,
                ..Job::default()
            },
        );
    }

    fn task(&mut self, event: &str, v: &Value) {
        let Some(info) = v.get("Task Info") else {
            return;
        };
        let Some(id) = u(info, "Task ID") else {
            return;
        };
        let task = self.tasks.entry(id).or_default();
        task.id = id;
        task.stage_id = u(v, "Stage ID").unwrap_or(0);
        task.stage_attempt = u(v, "Stage Attempt ID").unwrap_or(0);
        task.index = u(info, "Index").unwrap_or(0);
        task.attempt = u(info, "Attempt").unwrap_or(0);
        task.executor_id = s(info, "Executor ID").unwrap_or_default();
        task.launch_time = i(info, "Launch Time");
        if event == "SparkListenerTaskEnd" {
            task.finish_time = i(info, "Finish Time").filter(|t| *t > 0);
            let reason = v.get("Task End Reason");
            task.reason = reason.and_then(|r| s(r, "Reason"));
            task.reason_detail = reason.and_then(|r| {
                s(r, "Description")
                    .or_else(|| s(r, "Loss Reason"))
                    .or_else(|| s(r, "Message"))
            });
        }
    }

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
