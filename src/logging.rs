//! Log lines (Spark's `Logging` trait), through the [`log`] facade.
//!
//! Library code only *emits* records (`log::warn!`, `log::info!`, `log::debug!`); it never
//! installs a logger, so a program decides what it sees: without a logger nothing is printed.
//! The examples install `env_logger` at level `warn` (`RUST_LOG` overrides it, e.g.
//! `RUST_LOG=sparklet=info` shows the scheduler's info lines as Spark's console does).
//!
//! Each record's *target* is the name of the Spark logger that writes the same line: Spark's
//! class, its package shortened to sparklet's (`org.apache.spark.scheduler.DAGScheduler` is
//! `sparklet::scheduler::DAGScheduler`). Every target starts with `sparklet`, so
//! `RUST_LOG=sparklet=...` selects them all. The list below is the whole set.
//!
//! Layers: a leaf; any module may use it.

/// `SparkContext`: "Starting job", `sparklet.logLineage`'s lineage.
pub(crate) const SPARK_CONTEXT: &str = "sparklet::SparkContext";
/// `DAGScheduler`: jobs and stages.
pub(crate) const DAG_SCHEDULER: &str = "sparklet::scheduler::DAGScheduler";
/// `TaskSetManager`: task starts, ends and failures.
pub(crate) const TASK_SET_MANAGER: &str = "sparklet::scheduler::TaskSetManager";
/// `TaskSchedulerImpl`: task sets added and removed.
pub(crate) const TASK_SCHEDULER_IMPL: &str = "sparklet::scheduler::TaskSchedulerImpl";
/// `LiveListenerBus`: listeners that failed.
pub(crate) const LIVE_LISTENER_BUS: &str = "sparklet::scheduler::LiveListenerBus";
/// `EventLoggingListener`: an event log file that cannot be written or closed.
pub(crate) const EVENT_LOGGING_LISTENER: &str = "sparklet::scheduler::EventLoggingListener";
/// `BlockManager`: blocks lost, not stored or not replicated.
pub(crate) const BLOCK_MANAGER: &str = "sparklet::storage::BlockManager";
/// `MemoryStore`: blocks stored in memory.
pub(crate) const MEMORY_STORE: &str = "sparklet::storage::memory::MemoryStore";
/// `ContextCleaner`: checkpoint folders that could not be removed; cleaned broadcasts (debug).
pub(crate) const CONTEXT_CLEANER: &str = "sparklet::ContextCleaner";
/// `TorrentBroadcast`: "Started reading broadcast variable ...", "Reading broadcast variable
/// ... took N ms", "Destroying Broadcast(N) (from ...)".
pub(crate) const TORRENT_BROADCAST: &str = "sparklet::broadcast::TorrentBroadcast";
/// `RDD`: checkpoint marking.
pub(crate) const RDD: &str = "sparklet::rdd::RDD";
/// `ReliableCheckpointRDD`: checkpoint files and `_partitioner`.
pub(crate) const RELIABLE_CHECKPOINT_RDD: &str = "sparklet::rdd::ReliableCheckpointRDD";
/// `ReliableRDDCheckpointData`: "Done checkpointing RDD ...".
pub(crate) const RELIABLE_RDD_CHECKPOINT_DATA: &str = "sparklet::rdd::ReliableRDDCheckpointData";
/// `StreamingContext`: start and checkpointing warnings.
pub(crate) const STREAMING_CONTEXT: &str = "sparklet::streaming::StreamingContext";
/// `JobScheduler` (streaming): failed output jobs, stop.
pub(crate) const JOB_SCHEDULER: &str = "sparklet::streaming::scheduler::JobScheduler";
/// `JobGenerator` (streaming): graceful stop.
pub(crate) const JOB_GENERATOR: &str = "sparklet::streaming::scheduler::JobGenerator";
/// `CheckpointReader` (streaming): unreadable metadata checkpoints.
pub(crate) const CHECKPOINT_READER: &str = "sparklet::streaming::CheckpointReader";
/// `CheckpointWriter` (streaming): metadata checkpoints not written.
pub(crate) const CHECKPOINT_WRITER: &str = "sparklet::streaming::CheckpointWriter";
/// `FileInputDStream`: empty or unlistable files.
pub(crate) const FILE_INPUT_DSTREAM: &str = "sparklet::streaming::dstream::FileInputDStream";
/// `ReceiverSupervisorImpl`: receiver problems and restarts.
pub(crate) const RECEIVER_SUPERVISOR: &str =
    "sparklet::streaming::receiver::ReceiverSupervisorImpl";

#[cfg(test)]
mod tests {
    /// The library never installs a logger: after a context ran a job (with `logLineage` on),
    /// the facade is still off, as the program left it.
    #[test]
    fn the_library_installs_no_logger() {
        let sc = crate::SparkContext::new(
            crate::SparkConf::new()
                .set_master("local[2]")
                .set(crate::conf::LOG_LINEAGE, "true"),
        )
        .unwrap();
        assert_eq!(sc.parallelize(vec![1, 2, 3], 2).count().unwrap(), 3);
        sc.stop();
        assert_eq!(log::max_level(), log::LevelFilter::Off);
        assert!(!log::log_enabled!(target: super::DAG_SCHEDULER, log::Level::Error));
    }
}
