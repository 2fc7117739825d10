//! Task ends and executor losses (Spark's `DAGScheduler.handleTaskCompletion`,
//! `handleExecutorLost`, and the retry logic of `TaskSetManager`).

use super::*;
use crate::shuffle::MapStatus;

impl DagScheduler {
    pub(super) fn handle_task_end(
        &mut self,
        task_id: TaskId,
        executor_id: &ExecutorId,
        reason: TaskEndReason,
        metrics: TaskMetrics,
        accum_updates: crate::accumulator::AccumulatorUpdates,
    ) {
        let Some(rt) = self.running_tasks.remove(&task_id) else {
            return;
        };
        // Accumulators are merged before the task's end is posted, as in Spark.
        let accumulables = self.update_accumulators(&rt, &reason, accum_updates);
        if let Some(free) = self.free_slots.get_mut(executor_id) {
            *free += 1;
        }
        let key = (rt.stage_id, rt.stage_attempt);
        let kind = match &reason {
            TaskEndReason::Success(_) => TaskEndKind::Success,
            TaskEndReason::FetchFailed {
                shuffle_id, map_id, ..
            } => TaskEndKind::FetchFailed {
                shuffle_id: shuffle_id.0,
                map_id: *map_id,
            },
            TaskEndReason::ExceptionFailure { message, .. } => {
                TaskEndKind::ExceptionFailure(message.clone())
            }
            TaskEndReason::TaskKilled { reason } => TaskEndKind::TaskKilled(reason.clone()),
        };
        self.post(SparkListenerEvent::TaskEnd {
            stage_id: rt.stage_id.0,
            stage_attempt: rt.stage_attempt,
            partition: rt.partition,
            attempt: rt.attempt,
            task_id: task_id.0,
            executor_id: executor_id.0.clone(),
            reason: kind,
            launch_time: rt.launch_time,
            finish_time: now_ms(),
            is_shuffle_map: matches!(rt.kind, TaskKind::ShuffleMap(_)),
            metrics,
            accumulables,
        });
        self.log_task_end(task_id, &rt, log_lines::failure_text(&reason).as_deref());
        match reason {
            TaskEndReason::Success(output) => {
                if let Some(ts) = self.task_sets.get_mut(&key) {
                    ts.mark_succeeded(rt.partition);
                }
                match output {
                    TaskOutput::MapStatus(status) => self.handle_map_output(&rt, status),
                    TaskOutput::Result(value) => {
                        let finished = self.handle_result(&rt, value);
                        // The task's result function holds the job's RDD: let go of it before
                        // the caller has its results, so that an RDD the caller drops next is
                        // dropped for good (and its checkpoint files cleaned, when asked).
                        drop(rt);
                        if let Some((reply, results)) = finished {
                            let _ = reply.send(Ok(results));
                        }
                    }
                }
            }
            TaskEndReason::ExceptionFailure { message, cause } => {
                let Some(ts) = self.task_sets.get_mut(&key) else {
                    return;
                };
                if ts.zombie || ts.is_succeeded(rt.partition) {
                    return;
                }
                let failures = ts.record_failure(rt.partition);
                if failures >= self.max_failures {
                    self.log_task_aborting(&rt, failures);
                    let reason = format!(
                        "Task {p} in stage {s}.{a} failed {n} times, most recent failure: Lost task \
                         {p}.{t} in stage {s}.{a} (TID {task_id}) (executor {executor_id}): {message}",
                        p = rt.partition,
                        s = rt.stage_id,
                        a = rt.stage_attempt,
                        n = failures,
                        t = rt.attempt,
                    );
                    // A corrupt checkpoint file is reported as itself (it names the file).
                    let error = match cause {
                        Some(e @ Error::CorruptCheckpoint { .. }) => Some(e),
                        _ => None,
                    };
                    self.abort_stage(rt.stage_id, reason, error);
                } else {
                    ts.requeue(rt.partition);
                }
            }
            TaskEndReason::TaskKilled { .. } => {
                // Not the task's fault (Spark's `TaskKilled` does not count towards failures):
                // a live task set runs the partition again.
                if let Some(ts) = self.task_sets.get_mut(&key) {
                    ts.requeue(rt.partition);
                }
            }
            TaskEndReason::FetchFailed {
                shuffle_id,
                map_id,
                reduce_id,
                executor_id: lost,
                message,
            } => {
                let message = format!("{message} (reduce partition {reduce_id})");
                self.handle_fetch_failed(&rt, shuffle_id, map_id, lost, message)
            }
        }
    }

    /// Merges a task attempt's accumulator updates when Spark would (`handleTaskCompletion`
    /// before `postTaskEnd`): a shuffle map task's on every success, a result task's only
    /// while its job has no result for the partition (once per partition, whatever retries
    /// and duplicates), a failed task's counted-failed values; nothing once the stage is gone.
    fn update_accumulators(
        &mut self,
        rt: &RunningTask,
        reason: &TaskEndReason,
        updates: crate::accumulator::AccumulatorUpdates,
    ) -> Vec<crate::scheduler::listener::AccumulableInfo> {
        let Some(stage) = self.stages.get(&rt.stage_id) else {
            return Vec::new();
        };
        let counts = match (reason, &stage.kind) {
            (TaskEndReason::Success(_), StageKind::Result { job_id }) => {
                self.jobs.get(job_id).is_some_and(|job| {
                    job.index_of
                        .get(&rt.partition)
                        .is_some_and(|&i| job.results[i].is_none())
                })
            }
            (TaskEndReason::Success(_), StageKind::ShuffleMap(_)) => true,
            (TaskEndReason::ExceptionFailure { .. }, _) => true,
            // Spark merges a killed task's count-failed updates too.
            (TaskEndReason::TaskKilled { .. }, _) => true,
            (TaskEndReason::FetchFailed { .. }, _) => false,
        };
        if !counts || updates.0.is_empty() {
            return Vec::new();
        }
        let infos = crate::accumulator::merge_updates(updates);
        if let (false, Some(stage)) = (infos.is_empty(), self.stages.get_mut(&rt.stage_id)) {
            let info = Arc::make_mut(&mut stage.info);
            crate::accumulator::record_in_stage(&mut info.accumulables, &infos);
        }
        infos
    }

    pub(super) fn handle_map_output(&mut self, rt: &RunningTask, status: MapStatus) {
        let TaskKind::ShuffleMap(dep) = &rt.kind else {
            return;
        };
        if self.env.executor(&status.executor_id).is_some() {
            self.env
                .map_output_tracker
                .register_map_output(dep.shuffle_id, rt.partition, status);
        }
        let Some(stage) = self.stages.get_mut(&rt.stage_id) else {
            return;
        };
        stage.pending.remove(&rt.partition);
        if self.running.contains(&rt.stage_id) && stage.pending.is_empty() {
            self.mark_stage_finished(rt.stage_id, None);
            if self.env.map_output_tracker.is_available(dep.shuffle_id) {
                self.submit_waiting_child_stages();
            } else {
                // Some outputs were lost meanwhile: run the stage again for them.
                self.submit_stage(rt.stage_id);
            }
        }
    }

    /// Records a result task's value; when it was the job's last, ends the job and returns its
    /// reply channel and results for the caller to send (after letting go of the task).
    pub(super) fn handle_result(
        &mut self,
        rt: &RunningTask,
        value: Box<dyn Any + Send>,
    ) -> Option<(mpsc::Sender<JobResults>, Vec<Box<dyn Any + Send>>)> {
        let Some(Stage {
            kind: StageKind::Result { job_id },
            ..
        }) = self.stages.get(&rt.stage_id)
        else {
            return None;
        };
        let job_id = *job_id;
        let job = self.jobs.get_mut(&job_id)?;
        let index = *job.index_of.get(&rt.partition)?;
        if job.results[index].is_some() {
            return None;
        }
        job.results[index] = Some(value);
        job.finished += 1;
        if job.finished == job.partitions.len() {
            let final_stage = job.final_stage;
            self.mark_stage_finished(final_stage, None);
            let job = self
                .jobs
                .remove(&job_id)
                .expect("the job was just looked up");
            self.post(SparkListenerEvent::JobEnd {
                job_id: job_id.0,
                succeeded: true,
                time: now_ms(),
                failure: None,
            });
            self.log_job_ended(job_id, true);
            let ActiveJob {
                stage_ids,
                results,
                reply,
                func,
                ..
            } = job;
            drop(func);
            self.cleanup_job(job_id, &stage_ids);
            let results = results
                .into_iter()
                .map(|r| r.expect("every partition of a finished job has a result"))
                .collect();
            return Some((reply, results));
        }
        None
    }

    /// A reduce task could not fetch a map output (Spark's `FetchFailed` case of
    /// `handleTaskCompletion`).
    ///
    /// A failure from an attempt that is no longer the stage's latest is ignored whole, as in
    /// Spark: its stage already failed and was resubmitted, and the map output it names may
    /// have been rebuilt meanwhile. Otherwise only the output the task failed on is forgotten,
    /// and only when the tracker still places it on the executor the task could not read
    /// (Spark's `unregisterMapOutput(shuffleId, mapIndex, bmAddress)`); an output the task
    /// found missing is not there to forget. Forgetting a rebuilt output would make every
    /// later attempt of the stage fail on it again, until the stage aborts.
    pub(super) fn handle_fetch_failed(
        &mut self,
        rt: &RunningTask,
        shuffle_id: ShuffleId,
        map_id: usize,
        lost_executor: Option<String>,
        message: String,
    ) {
        let Some(stage) = self.stages.get(&rt.stage_id) else {
            return;
        };
        if stage.attempt != Some(rt.stage_attempt) {
            return; // a stale attempt: its stage already failed and was resubmitted
        }
        let tracker = &self.env.map_output_tracker;
        if let Some(e) = &lost_executor {
            if tracker
                .status(shuffle_id, map_id)
                .is_some_and(|s| &s.executor_id == e)
            {
                tracker.unregister_map_output(shuffle_id, map_id);
            }
            if self.env.executor(e).is_none() {
                tracker.remove_outputs_on_executor(e);
            }
        }
        let Some(stage) = self.stages.get_mut(&rt.stage_id) else {
            return;
        };
        stage.failed_attempt_ids.insert(rt.stage_attempt);
        let attempts = stage.failed_attempt_ids.len() as u32;
        let failure = format!(
            "FetchFailed(shuffle {}, map {map_id}): {message}",
            shuffle_id.0
        );
        if self.running.contains(&rt.stage_id) {
            self.mark_stage_finished(rt.stage_id, Some(failure.clone()));
        }
        if attempts >= MAX_CONSECUTIVE_STAGE_ATTEMPTS {
            self.abort_stage_with(
                rt.stage_id,
                format!(
                    "Stage {} has failed the maximum allowable number of times: \
                     {MAX_CONSECUTIVE_STAGE_ATTEMPTS}. Most recent failure reason: {failure}",
                    rt.stage_id
                ),
            );
            return;
        }
        self.failed.insert(rt.stage_id);
        if let Some(&map_stage) = self.shuffle_to_map_stage.get(&shuffle_id) {
            // A map stage still running keeps its attempt: when it completes it finds the
            // output missing and runs again for it (Spark adds it to `failedStages` only).
            self.failed.insert(map_stage);
        }
        self.waiting.remove(&rt.stage_id);
        self.resubmit_failed_stages();
    }

    pub(super) fn handle_executor_lost(
        &mut self,
        executor_id: &ExecutorId,
        replacement: Option<ExecutorId>,
        reason: &str,
        lost_blocks: usize,
    ) {
        self.free_slots.remove(executor_id);
        self.executor_order.retain(|e| e != executor_id);
        // Blocks its last tasks stored after it was killed are forgotten too.
        self.env
            .block_manager_master
            .remove_executor(executor_id.as_str());
        // Its map outputs are gone; running map stages must recompute those partitions.
        let lost_map_outputs = self
            .env
            .map_output_tracker
            .remove_outputs_on_executor(executor_id.as_str());
        self.post(SparkListenerEvent::ExecutorRemoved {
            executor_id: executor_id.0.clone(),
            reason: reason.to_string(),
            lost_blocks,
            lost_map_outputs,
            time: now_ms(),
        });
        // Running tasks there are lost, not failed: run them again elsewhere.
        let lost: Vec<TaskId> = self
            .running_tasks
            .iter()
            .filter(|(_, rt)| &rt.executor_id == executor_id)
            .map(|(id, _)| *id)
            .collect();
        for task_id in lost {
            let rt = self
                .running_tasks
                .remove(&task_id)
                .expect("collected from running_tasks");
            self.post(SparkListenerEvent::TaskEnd {
                stage_id: rt.stage_id.0,
                stage_attempt: rt.stage_attempt,
                partition: rt.partition,
                attempt: rt.attempt,
                task_id: task_id.0,
                executor_id: executor_id.0.clone(),
                reason: TaskEndKind::ExecutorLost(reason.to_string()),
                launch_time: rt.launch_time,
                finish_time: now_ms(),
                is_shuffle_map: matches!(rt.kind, TaskKind::ShuffleMap(_)),
                metrics: TaskMetrics::default(),
                accumulables: Vec::new(),
            });
            let lost =
                format!("ExecutorLostFailure (executor {executor_id} exited) Reason: {reason}");
            self.log_task_end(task_id, &rt, Some(&lost));
            if let Some(ts) = self.task_sets.get_mut(&(rt.stage_id, rt.stage_attempt)) {
                ts.requeue(rt.partition);
            }
        }
        let running: Vec<StageId> = self.running.iter().copied().collect();
        for stage_id in running {
            let Some(stage) = self.stages.get_mut(&stage_id) else {
                continue;
            };
            let StageKind::ShuffleMap(dep) = &stage.kind else {
                continue;
            };
            let Some(attempt) = stage.attempt else {
                continue;
            };
            for p in self
                .env
                .map_output_tracker
                .missing_partitions(dep.shuffle_id)
            {
                if let Some(ts) = self.task_sets.get_mut(&(stage_id, attempt)) {
                    if ts.is_succeeded(p) {
                        ts.resubmit(p);
                        stage.pending.insert(p);
                    }
                }
            }
        }
        if let Some(new_id) = replacement {
            if let Some(e) = self.env.executor(new_id.as_str()) {
                self.free_slots.insert(new_id.clone(), e.slots);
                self.executor_order.push(new_id.clone());
                let (cores, max_memory) = (e.slots, e.memory);
                self.post(SparkListenerEvent::ExecutorAdded {
                    executor_id: new_id.0,
                    time: now_ms(),
                    cores,
                    max_memory,
                });
            }
        }
    }
}
