//! Job groups, descriptions and cancellation on the context (Spark's `SparkContext.setJobGroup`,
//! `clearJobGroup`, `setJobDescription`, `cancelJobGroup`, `cancelAllJobs`, `cancelJob`,
//! `cancelStage`).
//!
//! A job group and a description are local properties of the calling thread under Spark's
//! keys (`spark.jobGroup.id`, `spark.job.description`, `spark.job.interruptOnCancel`); every job
//! the thread submits carries its thread's properties (listeners see them in `JobStart` and
//! `StageSubmitted`, the event log as `"Properties"`). The cancel calls only post an event to
//! the DAG scheduler's loop and return; the loop fails the matching jobs with
//! `Error::JobCancelled` and kills their tasks (see `dag_scheduler/cancel.rs`).
//!
//! Departure: Spark's local properties are inheritable thread-locals, so a thread started by a
//! thread in a job group runs its jobs in that group (SPARK-6629); here they belong to the
//! thread that set them, and a new thread starts with none.

use crate::context::SparkContext;
use crate::scheduler::dag_scheduler::cancel::{
    JOB_DESCRIPTION, JOB_GROUP_ID, JOB_INTERRUPT_ON_CANCEL,
};
use crate::scheduler::dag_scheduler::DagEvent;
use crate::scheduler::ids::{JobId, StageId};

impl SparkContext {
    /// Puts the jobs this thread submits from now on into group `group_id`, with a
    /// description (Spark's `setJobGroup`). `interrupt_on_cancel` is kept with each job, as
    /// Spark's `spark.job.interruptOnCancel`; a Rust thread cannot be interrupted, so a
    /// cancelled job's tasks stop at their next record either way.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// sc.set_job_group("nightly", "the nightly counts", false);
    /// assert_eq!(sc.get_local_property("spark.jobGroup.id").as_deref(), Some("nightly"));
    /// sc.cancel_job_group("nightly"); // no job of the group runs: nothing happens
    /// assert_eq!(sc.parallelize(vec![1, 2, 3], 2).count().unwrap(), 3);
    /// sc.clear_job_group();
    /// assert_eq!(sc.get_local_property("spark.jobGroup.id"), None);
    /// ```
    pub fn set_job_group(&self, group_id: &str, description: &str, interrupt_on_cancel: bool) {
        self.set_local_property(JOB_DESCRIPTION, Some(description));
        self.set_local_property(JOB_GROUP_ID, Some(group_id));
        let interrupt = if interrupt_on_cancel { "true" } else { "false" };
        self.set_local_property(JOB_INTERRUPT_ON_CANCEL, Some(interrupt));
    }

    /// Takes this thread's later jobs out of their group and drops the description (Spark's
    /// `clearJobGroup`).
    pub fn clear_job_group(&self) {
        self.set_local_property(JOB_DESCRIPTION, None);
        self.set_local_property(JOB_GROUP_ID, None);
        self.set_local_property(JOB_INTERRUPT_ON_CANCEL, None);
    }

    /// Describes the jobs this thread submits from now on (Spark's `setJobDescription`; the
    /// report shows it as the job's name).
    pub fn set_job_description(&self, description: &str) {
        self.set_local_property(JOB_DESCRIPTION, Some(description));
    }

    /// Cancels every active job of the group (Spark's `cancelJobGroup`): each fails with
    /// "Job N cancelled part of cancelled job group G". Jobs submitted later still run.
    pub fn cancel_job_group(&self, group_id: &str) {
        log::info!(
            target: crate::logging::DAG_SCHEDULER,
            "Asked to cancel job group {group_id}"
        );
        self.post_dag_event(DagEvent::JobGroupCancelled {
            group_id: group_id.to_string(),
        });
    }

    /// Cancels every active job (Spark's `cancelAllJobs`): "Job N cancelled as part of
    /// cancellation of all jobs".
    pub fn cancel_all_jobs(&self) {
        self.post_dag_event(DagEvent::AllJobsCancelled);
    }

    /// Cancels one job by id (Spark's `cancelJob`): "Job N cancelled " (Spark's text, with an
    /// empty reason). An id that is not running is ignored.
    pub fn cancel_job(&self, job_id: usize) {
        log::info!(
            target: crate::logging::DAG_SCHEDULER,
            "Asked to cancel job {job_id}"
        );
        self.post_dag_event(DagEvent::JobCancelled {
            job_id: JobId(job_id),
            reason: None,
        });
    }

    /// Cancels every job that uses the stage (Spark's `cancelStage`): "Job N cancelled because
    /// Stage S was cancelled".
    pub fn cancel_stage(&self, stage_id: usize) {
        self.post_dag_event(DagEvent::StageCancelled {
            stage_id: StageId(stage_id),
            reason: None,
        });
    }
}
