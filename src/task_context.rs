//! The task's view of where it runs (Spark's `org.apache.spark.TaskContext`): its partition,
//! its attempt, its executor's stores and the cluster. Built by `Task::run` on the executor
//! thread for one attempt and dropped when the attempt ends.
//!
//! Layering: it names the executor and the environment only; the scheduler, storage and the
//! RDD layer all receive it, and none of them is needed to build it.

use std::sync::Arc;

use crate::env::SparkEnv;
use crate::executor::Executor;

/// What a running task can see: where it runs and who it is.
pub(crate) struct TaskContext {
    pub(crate) partition_id: usize,
    pub(crate) attempt_number: u32,
    /// The executor running the task: its block manager and shuffle store.
    pub(crate) executor: Arc<Executor>,
    /// The cluster: map output tracker, block manager master, live executors.
    pub(crate) env: Arc<SparkEnv>,
}
