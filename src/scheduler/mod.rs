//! Scheduling (Spark's `DAGScheduler`, `TaskSchedulerImpl`, `TaskSetManager`, listener bus).
//!
//! An action becomes a job; the [`dag_scheduler`] cuts the job's lineage into stages at shuffle
//! dependencies, submits a stage once every parent stage's shuffle output exists, and turns each
//! stage attempt into a task set whose tasks it hands to executors with free slots. One event
//! loop thread owns all of this state and reacts to one closed enum of events (job submitted,
//! task ended, executor lost, stop), so scheduling decisions never race each other.

pub(crate) mod dag_scheduler;
pub(crate) mod future_action;
pub(crate) mod ids;
mod job_control;
pub(crate) mod kill;
pub(crate) mod listener;
pub(crate) mod task;
pub(crate) mod task_set;
