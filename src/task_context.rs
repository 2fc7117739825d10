//! The task's view of where it runs (Spark's `org.apache.spark.TaskContext`): its partition,
//! its attempt, its executor's stores and the cluster. Built by `Task::run` on the executor
//! thread for one attempt and dropped when the attempt ends.
//!
//! Layering: it names the executor and the environment only; the scheduler, storage and the
//! RDD layer all receive it, and none of them is needed to build it.

use std::sync::atomic::{AtomicU64, Ordering};
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
    /// What the attempt measured so far (shuffle reads and writes).
    pub(crate) metrics: TaskMetricsRecorder,
    /// Set when the attempt is killed (its job cancelled): see `crate::scheduler::kill`.
    pub(crate) kill: Arc<crate::scheduler::kill::TaskKill>,
}

/// Counters a task attempt updates as it runs (the shuffle part of Spark's `TaskMetrics`).
#[derive(Default)]
pub(crate) struct TaskMetricsRecorder {
    records_read: AtomicU64,
    local_blocks: AtomicU64,
    local_bytes: AtomicU64,
    remote_blocks: AtomicU64,
    remote_bytes: AtomicU64,
    bytes_written: AtomicU64,
    records_written: AtomicU64,
}

impl TaskMetricsRecorder {
    /// One map output read: its bucket's records and bytes, from this executor or another.
    pub(crate) fn add_shuffle_read(&self, local: bool, records: u64, bytes: u64) {
        let (blocks, b) = if local {
            (&self.local_blocks, &self.local_bytes)
        } else {
            (&self.remote_blocks, &self.remote_bytes)
        };
        blocks.fetch_add(1, Ordering::Relaxed);
        b.fetch_add(bytes, Ordering::Relaxed);
        self.records_read.fetch_add(records, Ordering::Relaxed);
    }

    /// A map output written: its records and bytes over all buckets.
    pub(crate) fn add_shuffle_write(&self, records: u64, bytes: u64) {
        self.records_written.fetch_add(records, Ordering::Relaxed);
        self.bytes_written.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The counters as listeners see them, with the attempt's run time.
    pub(crate) fn snapshot(&self, run_time_ms: u64) -> crate::scheduler::listener::TaskMetrics {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let bytes_written = get(&self.bytes_written);
        crate::scheduler::listener::TaskMetrics {
            executor_run_time: run_time_ms,
            result_size: bytes_written,
            shuffle_records_read: get(&self.records_read),
            local_blocks_fetched: get(&self.local_blocks),
            local_bytes_read: get(&self.local_bytes),
            remote_blocks_fetched: get(&self.remote_blocks),
            remote_bytes_read: get(&self.remote_bytes),
            shuffle_bytes_written: bytes_written,
            shuffle_records_written: get(&self.records_written),
            memory_bytes_spilled: 0,
            disk_bytes_spilled: 0,
        }
    }
}
