//! Scheduler events (Spark's `SparkListener` events on the `LiveListenerBus`).
//!
//! The DAG scheduler posts one [`SparkListenerEvent`] for each job, stage and task transition,
//! and for executors coming and going. As in Spark, listeners run on the bus's own thread
//! (`spark-listener-bus`), in order, never on the scheduler's event loop: a listener may be
//! slow, may kill executors and may run jobs. A job's caller is woken only after the bus has
//! delivered every event posted up to the job's end ([`ListenerBus::wait_until_delivered`]),
//! so a test that runs a job and then reads an [`EventLog`] sees every event of that job. A
//! panicking listener is reported and skipped; it never stops the bus.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::storage::StorageLevel;
use crate::util::event_bus::{self, AsyncEventQueue};

mod accumulable_text;
mod info;
pub use accumulable_text::AccumulableText;
pub use info::{
    AccumulableInfo, StageInfo, StageRddInfo, StreamingInputInfo, StreamingStateInfo, TaskMetrics,
};

/// How a task attempt ended, as listeners see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskEndKind {
    /// The task succeeded.
    Success,
    /// The task could not fetch a map output (does not count against `maxFailures`).
    FetchFailed {
        /// The shuffle whose output was missing.
        shuffle_id: usize,
        /// The map partition whose output was missing.
        map_id: usize,
    },
    /// The task failed (a user panic's message included).
    ExceptionFailure(String),
    /// The executor running the task died; the task is run again elsewhere.
    ExecutorLost(String),
    /// The result was ignored (its task set was already finished or aborted).
    Ignored,
    /// The task was killed: its job was cancelled or failed (Spark's `TaskKilled`, with its
    /// reason, e.g. `Stage cancelled: Job 3 cancelled part of cancelled job group g`).
    TaskKilled(String),
}

/// An event of the scheduler, the context or a streaming context (Spark's
/// `SparkListenerEvent` family). Times are wall-clock milliseconds since the Unix epoch,
/// except a streaming batch's, which are its streaming clock's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SparkListenerEvent {
    /// The application started (posted by `SparkContext::new`).
    ApplicationStart {
        /// `sparklet.app.name`.
        app_name: String,
        /// The application id (`local-<millis>`).
        app_id: String,
        /// When the context started.
        time: u64,
        /// The user running it.
        user: String,
    },
    /// The application ended (posted by `SparkContext::stop`, or when the context is dropped).
    ApplicationEnd {
        /// When it stopped.
        time: u64,
    },
    /// The settings of the application (Spark's `SparkListenerEnvironmentUpdate`).
    EnvironmentUpdate {
        /// The `SparkConf` entries, sorted by key.
        spark_properties: Vec<(String, String)>,
        /// Facts of the process (Rust's counterparts of Spark's JVM facts).
        system_properties: Vec<(String, String)>,
    },
    /// A job started; `stage_ids` are all the stages it needs, including those that will be
    /// skipped because their shuffle output already exists.
    JobStart {
        /// The job.
        job_id: usize,
        /// Every stage of the job, final stage last.
        stage_ids: Vec<usize>,
        /// When it was submitted.
        time: u64,
        /// Each stage's info, in `stage_ids` order.
        stage_infos: Vec<Arc<StageInfo>>,
        /// The job's properties: the submitting thread's local properties, sorted by key
        /// (`spark.jobGroup.id`, `spark.job.description`, `spark.job.interruptOnCancel`, ...).
        properties: Arc<Vec<(String, String)>>,
    },
    /// A job ended.
    JobEnd {
        /// The job.
        job_id: usize,
        /// Whether it succeeded.
        succeeded: bool,
        /// When it ended.
        time: u64,
        /// Why it failed, if it did.
        failure: Option<String>,
    },
    /// A stage attempt was submitted (a stage of a job that is never submitted was skipped).
    StageSubmitted {
        /// The stage.
        stage_id: usize,
        /// Its attempt number, from 0.
        attempt: u32,
        /// Spark's stage name: the RDD's creation site (`map at ...`).
        name: String,
        /// How many tasks this attempt runs.
        num_tasks: usize,
        /// Whether it is a shuffle map stage.
        is_shuffle_map: bool,
        /// The attempt's info.
        info: Arc<StageInfo>,
        /// When it was submitted.
        submission_time: u64,
        /// The properties of the (earliest active) job it runs for, as in `JobStart`.
        properties: Arc<Vec<(String, String)>>,
    },
    /// A stage attempt finished (`failure` is set when it failed).
    StageCompleted {
        /// The stage.
        stage_id: usize,
        /// Its attempt number.
        attempt: u32,
        /// Why it failed, if it did.
        failure: Option<String>,
        /// The attempt's info.
        info: Arc<StageInfo>,
        /// When the attempt was submitted.
        submission_time: Option<u64>,
        /// When it finished.
        completion_time: u64,
    },
    /// A task attempt started on an executor.
    TaskStart {
        /// The stage.
        stage_id: usize,
        /// The stage attempt.
        stage_attempt: u32,
        /// The partition it computes.
        partition: usize,
        /// The attempt number of this task, from 0.
        attempt: u32,
        /// Unique task attempt id (Spark's TID).
        task_id: u64,
        /// Where it runs.
        executor_id: String,
        /// When it was launched.
        launch_time: u64,
    },
    /// A task attempt ended.
    TaskEnd {
        /// The stage.
        stage_id: usize,
        /// The stage attempt.
        stage_attempt: u32,
        /// The partition it computed.
        partition: usize,
        /// The attempt number of this task.
        attempt: u32,
        /// Unique task attempt id.
        task_id: u64,
        /// Where it ran.
        executor_id: String,
        /// How it ended.
        reason: TaskEndKind,
        /// When it was launched.
        launch_time: u64,
        /// When the scheduler heard of its end.
        finish_time: u64,
        /// Whether it was a shuffle map task (else a result task).
        is_shuffle_map: bool,
        /// What it measured (zero when it did not run to an end on its executor).
        metrics: TaskMetrics,
        /// The named accumulators it updated, when the driver merged its updates (Spark's
        /// `TaskInfo.accumulables`).
        accumulables: Vec<AccumulableInfo>,
    },
    /// An executor joined.
    ExecutorAdded {
        /// Its id.
        executor_id: String,
        /// When.
        time: u64,
        /// Its task slots.
        cores: usize,
        /// Its block memory in bytes.
        max_memory: u64,
    },
    /// A cached block could not be read (an unreadable or corrupt disk file) and was dropped;
    /// its partition is recomputed from lineage.
    BlockLost {
        /// `rdd_<rddId>_<split>`.
        block_id: String,
        /// The executor that held it.
        executor_id: String,
        /// What went wrong.
        reason: String,
    },
    /// A block was stored on, or dropped from, an executor (Spark's `SparkListenerBlockUpdated`;
    /// a level of NONE with zero sizes means it is gone).
    BlockUpdated {
        /// `rdd_<rddId>_<split>`.
        block_id: String,
        /// The executor whose block manager holds it.
        executor_id: String,
        /// Where it is kept now (memory and/or disk), with the RDD's replication.
        storage_level: StorageLevel,
        /// Bytes in memory.
        memory_size: u64,
        /// Bytes on disk.
        disk_size: u64,
    },
    /// An RDD was unpersisted (Spark's `SparkListenerUnpersistRDD`).
    UnpersistRdd {
        /// The RDD.
        rdd_id: usize,
    },
    /// An executor died or was removed, and what died with it.
    ExecutorRemoved {
        /// Its id.
        executor_id: String,
        /// Why.
        reason: String,
        /// Cached blocks it held (lost unless replicated or checkpointed).
        lost_blocks: usize,
        /// Shuffle map outputs it held (their map partitions run again when needed).
        lost_map_outputs: usize,
        /// When the scheduler heard of it.
        time: u64,
    },
    /// A streaming batch completed (sparklet's own event: Spark's event log has no streaming
    /// events). Times are the streaming clock's.
    StreamingBatchCompleted {
        /// The batch time.
        batch_time: u64,
        /// When the batch's jobs were generated.
        submission_time: u64,
        /// When its first job started.
        processing_start_time: u64,
        /// When its last job ended.
        processing_end_time: u64,
        /// Records its input streams took (Spark's `BatchInfo.numRecords`).
        num_records: u64,
        /// Each input stream's records that reported any (Spark's
        /// `BatchInfo.streamIdToInputInfo`), in stream id order.
        inputs: Vec<StreamingInputInfo>,
        /// Whether a metadata checkpoint was written for it.
        checkpoint: bool,
        /// Its output operations (jobs).
        output_operations: usize,
        /// Every stateful stream's size after the batch.
        state: Vec<StreamingStateInfo>,
    },
}

/// What a listener callback is called with (the bus's listener type).
pub(crate) type ListenerFn = dyn Fn(&SparkListenerEvent) + Send + Sync;

/// A listener callback.
pub(crate) type Listener = Arc<ListenerFn>;

/// The listeners of one context (Spark's `LiveListenerBus`): events are queued by `post` and
/// delivered in order on the bus thread (`spark-listener-bus`), started by the first `post`;
/// the generic bus is `util::event_bus`.
#[derive(Clone)]
pub(crate) struct ListenerBus {
    queue: AsyncEventQueue<ListenerFn, SparkListenerEvent>,
}

impl Default for ListenerBus {
    fn default() -> Self {
        ListenerBus {
            queue: AsyncEventQueue::new(
                "spark-listener-bus",
                event_bus::ListenerBus::new(call_listener, None),
            ),
        }
    }
}

/// Spark's `SparkListenerBus.doPostEvent`: a listener here is one callback for every event.
fn call_listener(listener: &ListenerFn, event: &SparkListenerEvent) {
    listener(event)
}

impl ListenerBus {
    pub(crate) fn add(&self, l: Listener) {
        self.queue.add_listener(l);
    }

    pub(crate) fn post(&self, event: SparkListenerEvent) {
        self.queue.post(event);
    }

    /// Waits until every event posted before this call was delivered to every listener. On
    /// the bus thread itself (a listener that runs a job) it returns at once: the job's events
    /// are delivered after the listener returns.
    pub(crate) fn wait_until_delivered(&self) {
        self.queue.wait_until_delivered(None);
    }
}

/// A listener that records every event, for tests and tools.
///
/// ```
/// use sparklet::prelude::*;
/// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
/// let log = EventLog::attach(&sc);
/// let counts = sc.parallelize(vec![('a', 1), ('a', 2)], 2).reduce_by_key(|x, y| x + y);
/// counts.count().unwrap();
/// counts.count().unwrap();
/// // The second job skips the map stage: its shuffle output is reused.
/// let jobs = log.jobs();
/// assert_eq!(log.submitted_stages(jobs[0]).len(), 2);
/// assert_eq!(log.submitted_stages(jobs[1]).len(), 1);
/// assert_eq!(log.skipped_stages(jobs[1]).len(), 1);
/// ```
#[derive(Clone, Default)]
pub struct EventLog {
    events: Arc<Mutex<Vec<SparkListenerEvent>>>,
}

impl EventLog {
    /// A new log that receives every later event of `sc`.
    pub fn attach(sc: &crate::SparkContext) -> EventLog {
        let log = EventLog::default();
        let events = log.events.clone();
        sc.add_spark_listener(move |e| events.lock().push(e.clone()));
        log
    }

    /// Everything recorded so far.
    pub fn events(&self) -> Vec<SparkListenerEvent> {
        self.events.lock().clone()
    }

    /// Forgets everything recorded so far.
    pub fn clear(&self) {
        self.events.lock().clear();
    }

    /// The ids of the jobs started, in order.
    pub fn jobs(&self) -> Vec<usize> {
        self.events()
            .iter()
            .filter_map(|e| match e {
                SparkListenerEvent::JobStart { job_id, .. } => Some(*job_id),
                _ => None,
            })
            .collect()
    }

    fn job_stages(&self, job: usize) -> Vec<usize> {
        self.events()
            .iter()
            .find_map(|e| match e {
                SparkListenerEvent::JobStart {
                    job_id, stage_ids, ..
                } if *job_id == job => Some(stage_ids.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The stages of `job` that were submitted at least once.
    pub fn submitted_stages(&self, job: usize) -> Vec<usize> {
        let stages = self.job_stages(job);
        let events = self.events();
        stages
            .into_iter()
            .filter(|s| {
                events.iter().any(|e| {
                    matches!(e, SparkListenerEvent::StageSubmitted { stage_id, .. } if stage_id == s)
                })
            })
            .collect()
    }

    /// The stages of `job` that were never submitted (Spark's "skipped" stages).
    pub fn skipped_stages(&self, job: usize) -> Vec<usize> {
        let submitted = self.submitted_stages(job);
        self.job_stages(job)
            .into_iter()
            .filter(|s| !submitted.contains(s))
            .collect()
    }

    /// Every task end, as (stage, partition, attempt, executor, reason).
    pub fn task_ends(&self) -> Vec<(usize, usize, u32, String, TaskEndKind)> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                SparkListenerEvent::TaskEnd {
                    stage_id,
                    partition,
                    attempt,
                    executor_id,
                    reason,
                    ..
                } => Some((stage_id, partition, attempt, executor_id, reason)),
                _ => None,
            })
            .collect()
    }
}

/// Wall-clock milliseconds since the Unix epoch (the times of listener events).
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
