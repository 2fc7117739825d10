//! Replaying an event log into the [`AppModel`] (Spark's `ReplayListenerBus` feeding
//! `AppStatusListener`): one JSON object a line, dispatched on its `"Event"` name with Spark
//! 4.3's `JsonProtocol` field names. Unknown events are counted and skipped (as the History
//! Server skips event classes it does not know); a missing optional field reads as absent; a
//! line that is not a JSON object with an `"Event"` string is an error naming its line.

use serde_json::Value;

use super::model::*;

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
                let maps: std::collections::BTreeSet<(u64, u64)> = self
                    .tasks
                    .values()
                    .filter(|t| t.executor_id == id && t.reason.as_deref() == Some("Success"))
                    .filter(|t| t.task_type.as_deref() == Some("ShuffleMapTask"))
                    .map(|t| (t.stage_id, t.index))
                    .collect();
                let exec = self
                    .executors
                    .entry(id.clone())
                    .or_insert_with(|| Executor {
                        id: id.clone(),
                        ..Executor::default()
                    });
                exec.removed_time = i(v, "Timestamp");
                exec.lost_map_outputs = maps.into_iter().collect();
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
            task.task_type = s(v, "Task Type");
            task.reason_detail = reason.and_then(|r| {
                s(r, "Description")
                    .or_else(|| s(r, "Loss Reason"))
                    .or_else(|| s(r, "Message"))
            });
        }
    }
}
