//! Job cancellation (Spark's `DAGScheduler.handleJobCancellation`, `handleJobGroupCancelled`,
//! `doCancelAllJobs`, `handleStageCancellation`, `cancelRunningIndependentStages`, and the
//! kill half of `TaskSchedulerImpl.killAllTaskAttempts`).
//!
//! Every path ends in `handle_job_cancellation`, which fails the job with
//! `Error::JobCancelled("Job N cancelled <reason>")` through `fail_job`, as any failing job:
//! the stages only that job needs are marked failed with the job's error and their running
//! tasks are killed (`Stage cancelled: <error>`); stages another job shares keep running. The
//! caller's action returns at once; killed tasks stop at their next record and end as
//! `TaskKilled`, freeing their slots for other jobs. A cancel for a job that already ended (or
//! never existed) does nothing, so cancelling races neither the job's end nor its submission:
//! the caller learns a job's id before the job is posted, and the loop handles events in order.

use super::*;

/// Spark's `SparkContext.SPARK_JOB_GROUP_ID` local property.
pub(crate) const JOB_GROUP_ID: &str = "spark.jobGroup.id";
/// Spark's `SparkContext.SPARK_JOB_DESCRIPTION` local property.
pub(crate) const JOB_DESCRIPTION: &str = "spark.job.description";
/// Spark's `SparkContext.SPARK_JOB_INTERRUPT_ON_CANCEL` local property.
pub(crate) const JOB_INTERRUPT_ON_CANCEL: &str = "spark.job.interruptOnCancel";

impl DagScheduler {
    /// Spark's `handleJobCancellation`: "Job N cancelled <reason>" (an empty reason leaves
    /// Spark's trailing space).
    pub(super) fn handle_job_cancellation(&mut self, job_id: JobId, reason: Option<String>) {
        if !self.jobs.contains_key(&job_id) {
            log::debug!(
                target: crate::logging::DAG_SCHEDULER,
                "Trying to cancel unregistered job {job_id}"
            );
            return;
        }
        let message = format!("Job {job_id} cancelled {}", reason.unwrap_or_default());
        self.fail_job(job_id, Error::JobCancelled(message));
    }

    /// Spark's `handleJobGroupCancelled`: every active job whose `spark.jobGroup.id` is the
    /// group.
    pub(super) fn handle_job_group_cancelled(&mut self, group_id: &str) {
        let in_group: Vec<JobId> = self
            .jobs
            .iter()
            .filter(|(_, job)| property(&job.properties, JOB_GROUP_ID) == Some(group_id))
            .map(|(id, _)| *id)
            .collect();
        let reason = format!("part of cancelled job group {group_id}");
        for job_id in in_group {
            self.handle_job_cancellation(job_id, Some(reason.clone()));
        }
    }

    /// Spark's `doCancelAllJobs`: the first job of every running stage, then (where Spark
    /// clears its job tables) any job still active, so no caller is left waiting.
    pub(super) fn do_cancel_all_jobs(&mut self) {
        let reason = "as part of cancellation of all jobs";
        let first_jobs: BTreeSet<JobId> = self
            .running
            .iter()
            .filter_map(|s| self.stages.get(s).map(|st| st.first_job_id))
            .collect();
        for job_id in first_jobs {
            self.handle_job_cancellation(job_id, Some(reason.into()));
        }
        let rest: Vec<JobId> = self.jobs.keys().copied().collect();
        for job_id in rest {
            self.handle_job_cancellation(job_id, Some(reason.into()));
        }
    }

    /// Spark's `handleStageCancellation`: every job that uses the stage, "because Stage S was
    /// cancelled" (or "because <reason>").
    pub(super) fn handle_stage_cancellation(&mut self, stage_id: StageId, reason: Option<String>) {
        let Some(stage) = self.stages.get(&stage_id) else {
            log::info!(
                target: crate::logging::DAG_SCHEDULER,
                "No active jobs to kill for Stage {stage_id}"
            );
            return;
        };
        let reason = match reason {
            Some(r) => format!("because {r}"),
            None => format!("because Stage {stage_id} was cancelled"),
        };
        let jobs: Vec<JobId> = stage.job_ids.iter().copied().collect();
        for job_id in jobs {
            self.handle_job_cancellation(job_id, Some(reason.clone()));
        }
    }

    /// Spark's `cancelRunningIndependentStages` for a failing job (called by `fail_job`, before
    /// the job's stages are forgotten): each stage no other job needs is marked failed with
    /// `reason` (the job's error) and its running tasks are killed.
    pub(super) fn cancel_independent_stages(&mut self, job: &ActiveJob, reason: &str) {
        let interrupt = property(&job.properties, JOB_INTERRUPT_ON_CANCEL) == Some("true");
        for s in &job.stage_ids {
            if self.stages.get(s).is_none_or(|st| st.job_ids.len() != 1) {
                continue;
            }
            self.kill_all_task_attempts(*s, interrupt, reason);
            if self.running.contains(s) {
                self.mark_stage_finished(*s, Some(reason.to_string()));
            }
        }
    }

    /// Spark's `TaskSchedulerImpl.killAllTaskAttempts`: sets the kill flag of every running
    /// attempt of the stage (`Stage cancelled: <reason>`); each ends as `TaskKilled` and frees
    /// its slot when its thread sees the flag. `interrupt` is logged only: a Rust thread cannot
    /// be interrupted (see `crate::scheduler::kill`).
    fn kill_all_task_attempts(&mut self, stage_id: StageId, interrupt: bool, reason: &str) {
        let kill_reason = format!("Stage cancelled: {reason}");
        let mut killed = false;
        for (task_id, rt) in &self.running_tasks {
            if rt.stage_id != stage_id {
                continue;
            }
            if !killed {
                log::info!(
                    target: crate::logging::TASK_SCHEDULER_IMPL,
                    "Killing all running tasks in stage {stage_id}: {kill_reason}"
                );
                killed = true;
            }
            log::info!(
                target: crate::logging::TASK_SCHEDULER_IMPL,
                "Killing task {}.{} in stage {}.{} (TID {task_id}), interruptThread: {interrupt}, \
                 reason: {kill_reason}",
                rt.partition,
                rt.attempt,
                rt.stage_id,
                rt.stage_attempt,
            );
            rt.kill.kill(&kill_reason);
        }
        if killed {
            log::info!(
                target: crate::logging::TASK_SCHEDULER_IMPL,
                "Stage {stage_id} was cancelled"
            );
        }
    }

    /// The properties a stage's `StageSubmitted` carries: those of the earliest active job that
    /// needs it (Spark's `activeJobForStage`).
    pub(super) fn stage_properties(&self, stage_id: StageId) -> Arc<Vec<(String, String)>> {
        self.stages
            .get(&stage_id)
            .and_then(|st| st.job_ids.iter().find_map(|j| self.jobs.get(j)))
            .map(|job| job.properties.clone())
            .unwrap_or_default()
    }
}

/// A property's value in a job's sorted property list.
fn property<'a>(properties: &'a [(String, String)], key: &str) -> Option<&'a str> {
    properties
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}
