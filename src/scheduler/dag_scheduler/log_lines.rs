//! The scheduler's log lines, as Spark's `DAGScheduler`, `TaskSchedulerImpl` and
//! `TaskSetManager` write them (info for jobs, stages and tasks; warn for a lost task; error
//! when a task has failed too often).
//!
//! ```text
//! INFO  sparklet::scheduler::DAGScheduler] Got job 0 (collect) with 2 output partitions
//! INFO  sparklet::scheduler::DAGScheduler] Final stage: ResultStage 1 (collect)
//! INFO  sparklet::scheduler::DAGScheduler] Parents of final stage: List(ShuffleMapStage 0)
//! INFO  sparklet::scheduler::DAGScheduler] Missing parents: List(ShuffleMapStage 0)
//! INFO  sparklet::scheduler::DAGScheduler] Submitting ShuffleMapStage 0 (MapPartitionsRDD[1] at map), which has no missing parents
//! INFO  sparklet::scheduler::DAGScheduler] Submitting 2 missing tasks from ShuffleMapStage 0 (MapPartitionsRDD[1] at map) (first 15 tasks are for partitions Vector(0, 1))
//! INFO  sparklet::scheduler::TaskSchedulerImpl] Adding task set 0.0 with 2 tasks resource profile 0
//! INFO  sparklet::scheduler::TaskSetManager] Starting task 0.0 in stage 0.0 (TID 0) (executor driver, partition 0)
//! INFO  sparklet::scheduler::TaskSetManager] Finished task 0.0 in stage 0.0 (TID 0) in 3 ms (executor driver) (1/2)
//! INFO  sparklet::scheduler::DAGScheduler] ShuffleMapStage 0 (map) finished in 5 ms
//! INFO  sparklet::scheduler::DAGScheduler] Job 0 finished: collect, took 9.1 ms
//! ```
//!
//! Departures: a job's and a result stage's call site is the final RDD's operation (`collect`
//! is not known to the scheduler; Spark writes `collect at File.scala:12`), and sparklet's
//! executors have no host, so the host, the locality level and the task's size in bytes are
//! left out of the task lines.
//!
//! The times these lines need are kept here, apart from the scheduler's state, and only while
//! info is enabled for the target: with logging off a task costs one level check.

use std::time::Instant;

use super::*;
use crate::logging::{DAG_SCHEDULER, TASK_SCHEDULER_IMPL, TASK_SET_MANAGER};

/// Start times (and names and counts) for the lines that report durations.
#[derive(Default)]
pub(super) struct LogTimes {
    /// Job → (submitted, call site).
    jobs: HashMap<JobId, (Instant, String)>,
    /// Stage attempt → (submitted, tasks, tasks succeeded).
    stages: HashMap<(StageId, u32), (Instant, usize, usize)>,
    /// Task attempt → launched.
    tasks: HashMap<TaskId, Instant>,
}

fn info_on(target: &str) -> bool {
    log::log_enabled!(target: target, log::Level::Info)
}

fn millis(since: Instant) -> u128 {
    since.elapsed().as_millis()
}

impl DagScheduler {
    /// Spark's `ResultStage 1` / `ShuffleMapStage 0`.
    fn stage_label(&self, stage_id: StageId) -> String {
        match self.stages.get(&stage_id).map(|s| &s.kind) {
            Some(StageKind::ShuffleMap(_)) => format!("ShuffleMapStage {stage_id}"),
            Some(StageKind::Result { .. }) => format!("ResultStage {stage_id}"),
            None => format!("Stage {stage_id}"),
        }
    }

    fn stage_list(&self, ids: &[StageId]) -> String {
        let labels: Vec<String> = ids.iter().map(|s| self.stage_label(*s)).collect();
        format!("List({})", labels.join(", "))
    }

    /// `handleJobSubmitted`'s lines.
    pub(super) fn log_job_submitted(&mut self, job_id: JobId, final_stage: StageId, n: usize) {
        if !info_on(DAG_SCHEDULER) {
            return;
        }
        let Some(stage) = self.stages.get(&final_stage) else {
            return;
        };
        let name = stage.name.clone();
        let parents = self.parent_stage_ids(stage);
        let missing = self.missing_parent_stages(final_stage);
        let label = self.stage_label(final_stage);
        log::info!(target: DAG_SCHEDULER, "Got job {job_id} ({name}) with {n} output partitions");
        log::info!(target: DAG_SCHEDULER, "Final stage: {label} ({name})");
        log::info!(
            target: DAG_SCHEDULER,
            "Parents of final stage: {}",
            self.stage_list(&parents)
        );
        log::info!(
            target: DAG_SCHEDULER,
            "Missing parents: {}",
            self.stage_list(&missing)
        );
        self.log_times.jobs.insert(job_id, (Instant::now(), name));
    }

    /// `submitStage`'s lines: a stage that runs now, or waits for its missing parents.
    pub(super) fn log_submit_stage(&self, stage_id: StageId, missing: &[StageId]) {
        if !info_on(DAG_SCHEDULER) {
            return;
        }
        let label = self.stage_label(stage_id);
        if missing.is_empty() {
            let rdd = self
                .stages
                .get(&stage_id)
                .map(|s| crate::rdd::describe(&*s.rdd))
                .unwrap_or_default();
            log::info!(
                target: DAG_SCHEDULER,
                "Submitting {label} ({rdd}), which has no missing parents"
            );
        } else {
            log::info!(
                target: DAG_SCHEDULER,
                "Missing parents found for {label}: {}",
                self.stage_list(missing)
            );
        }
    }

    /// `submitMissingTasks`' line and `TaskSchedulerImpl.submitTasks`'.
    pub(super) fn log_missing_tasks(&mut self, stage_id: StageId, attempt: u32, parts: &[usize]) {
        if !info_on(DAG_SCHEDULER) {
            return;
        }
        let label = self.stage_label(stage_id);
        let rdd = self
            .stages
            .get(&stage_id)
            .map(|s| crate::rdd::describe(&*s.rdd))
            .unwrap_or_default();
        let first: Vec<String> = parts.iter().take(15).map(|p| p.to_string()).collect();
        log::info!(
            target: DAG_SCHEDULER,
            "Submitting {} missing tasks from {label} ({rdd}) (first 15 tasks are for partitions \
             Vector({}))",
            parts.len(),
            first.join(", ")
        );
        if !parts.is_empty() {
            log::info!(
                target: TASK_SCHEDULER_IMPL,
                "Adding task set {stage_id}.{attempt} with {} tasks resource profile 0",
                parts.len()
            );
        }
        self.log_times
            .stages
            .insert((stage_id, attempt), (Instant::now(), parts.len(), 0));
    }

    /// `markStageAsFinished`'s line.
    pub(super) fn log_stage_finished(&mut self, stage_id: StageId, failure: Option<&str>) {
        let attempt = self
            .stages
            .get(&stage_id)
            .and_then(|s| s.attempt)
            .unwrap_or(0);
        let times = self.log_times.stages.remove(&(stage_id, attempt));
        if !info_on(DAG_SCHEDULER) {
            return;
        }
        let ms = times.map_or(0, |(t, ..)| millis(t));
        let label = self.stage_label(stage_id);
        let name = self
            .stages
            .get(&stage_id)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        match failure {
            None => log::info!(target: DAG_SCHEDULER, "{label} ({name}) finished in {ms} ms"),
            Some(why) => log::info!(
                target: DAG_SCHEDULER,
                "{label} ({name}) failed in {ms} ms due to {why}"
            ),
        }
    }

    /// `DAGScheduler.runJob`'s closing line: `Job 0 finished: collect, took 9.1 ms`.
    pub(super) fn log_job_ended(&mut self, job_id: JobId, succeeded: bool) {
        let Some((start, name)) = self.log_times.jobs.remove(&job_id) else {
            return;
        };
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let how = if succeeded { "finished" } else { "failed" };
        log::info!(target: DAG_SCHEDULER, "Job {job_id} {how}: {name}, took {ms} ms");
    }

    /// `TaskSetManager`'s "Starting task" line.
    pub(super) fn log_task_start(&mut self, task: &Task, executor_id: &ExecutorId) {
        if !info_on(TASK_SET_MANAGER) {
            return;
        }
        log::info!(
            target: TASK_SET_MANAGER,
            "Starting task {p}.{a} in stage {s}.{sa} (TID {tid}) (executor {executor_id}, \
             partition {p})",
            p = task.partition,
            a = task.attempt_number,
            s = task.stage_id,
            sa = task.stage_attempt,
            tid = task.task_id,
        );
        self.log_times.tasks.insert(task.task_id, Instant::now());
    }

    /// `TaskSetManager`'s line for a task end: "Finished task" (info), or "Lost task" (warn)
    /// with the failure's text.
    pub(super) fn log_task_end(
        &mut self,
        task_id: TaskId,
        rt: &RunningTask,
        failure: Option<&str>,
    ) {
        let launched = if self.log_times.tasks.is_empty() {
            None
        } else {
            self.log_times.tasks.remove(&task_id)
        };
        let name = || {
            format!(
                "task {}.{} in stage {}.{} (TID {task_id})",
                rt.partition, rt.attempt, rt.stage_id, rt.stage_attempt
            )
        };
        let executor = &rt.executor_id;
        if let Some(reason) = failure {
            log::warn!(target: TASK_SET_MANAGER, "Lost {} (executor {executor}): {reason}", name());
            return;
        }
        let Some(launched) = launched else {
            return;
        };
        let (done, total) = match self
            .log_times
            .stages
            .get_mut(&(rt.stage_id, rt.stage_attempt))
        {
            Some((_, total, done)) => {
                *done += 1;
                (*done, *total)
            }
            None => (0, 0),
        };
        log::info!(
            target: TASK_SET_MANAGER,
            "Finished {} in {} ms (executor {executor}) ({done}/{total})",
            name(),
            millis(launched)
        );
    }

    /// `TaskSetManager`'s line when a task failed its last allowed attempt.
    pub(super) fn log_task_aborting(&self, rt: &RunningTask, failures: u32) {
        log::error!(
            target: TASK_SET_MANAGER,
            "Task {} in stage {}.{} failed {failures} times; aborting job",
            rt.partition,
            rt.stage_id,
            rt.stage_attempt
        );
    }
}

/// The text of a failed task's reason in "Lost task" lines (Spark's `toErrorString`).
pub(super) fn failure_text(reason: &TaskEndReason) -> Option<String> {
    match reason {
        TaskEndReason::Success(_) => None,
        TaskEndReason::ExceptionFailure { message, .. } => Some(message.clone()),
        TaskEndReason::TaskKilled { reason } => Some(format!("TaskKilled ({reason})")),
        TaskEndReason::FetchFailed {
            shuffle_id,
            map_id,
            reduce_id,
            message,
            ..
        } => Some(format!(
            "FetchFailed(shuffleId={}, mapIndex={map_id}, reduceId={reduce_id}, message={message})",
            shuffle_id.0
        )),
    }
}
