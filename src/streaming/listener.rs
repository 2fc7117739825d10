//! Spark's `StreamingListener`, `StreamingListenerBus`, `BatchInfo` and `OutputOperationInfo`:
//! what a streaming program can watch of its batches and receivers.
//!
//! # Events and their order
//!
//! For each batch whose output operations made jobs, the job scheduler
//! (`streaming::job_scheduler`) posts, in this order: `BatchSubmitted` once the jobs were
//! generated (no processing times yet), `BatchStarted` when the first job starts (processing
//! start set), `OutputOperationStarted` / `OutputOperationCompleted` around each output
//! operation (its id is its place among the batch's jobs; a failed one carries its failure
//! reason), and `BatchCompleted` after the last job (every time set). A batch whose generation
//! failed, or that made no job, posts nothing, as in Spark. Receivers post `ReceiverStarted`
//! before each `on_start`, `ReceiverError` for each reported error, and `ReceiverStopped` after
//! each `on_stop` (a restart is a stop and a start).
//!
//! Times are the streaming clock's: on the manual clock they are the manual clock's (Spark
//! takes the batch's submission and processing start from the system clock even there).
//!
//! # The bus
//!
//! [`StreamingListenerBus`] delivers events on its own thread (`StreamingListenerBus`), in the
//! order they were posted, never while a lock of the context is held (the listener list is
//! copied first), so a listener may run jobs or ask the context anything. A listener's panic
//! is logged and skipped. `run_batches` returns only after its batches' events were delivered,
//! so a test sees them as soon as it returns; `stop` delivers what was posted, then stops the
//! bus: later events are dropped. Calling `ssc.stop` from a listener is refused, as in Spark
//! ("Cannot stop StreamingContext within listener bus thread.").
//!
//! Layering: a leaf of the streaming package; knows no DStream and runs no job.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::streaming::input::receiver::ReceiverInfo;
use crate::streaming::time::{Duration, Time};
use crate::util::event_bus::{self, AsyncEventQueue};

/// Spark's `BatchInfo`: what is known of one batch when an event is posted.
///
/// ```
/// use sparklet::streaming::*;
/// let mut info = BatchInfo::new(Time::new(2000), Time::new(2000));
/// assert_eq!(info.scheduling_delay(), None);
/// info.processing_start_time = Some(Time::new(2010));
/// info.processing_end_time = Some(Time::new(2050));
/// assert_eq!(info.scheduling_delay(), Some(Duration::milliseconds(10)));
/// assert_eq!(info.processing_delay(), Some(Duration::milliseconds(40)));
/// assert_eq!(info.total_delay(), Some(Duration::milliseconds(50)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchInfo {
    /// The batch time.
    pub batch_time: Time,
    /// Records the batch's input streams took (Spark's `numRecords`).
    pub num_records: u64,
    /// Each reporting input stream's records, by stream id (Spark's `streamIdToInputInfo`).
    pub stream_id_to_num_records: BTreeMap<usize, u64>,
    /// When the batch's jobs were submitted.
    pub submission_time: Time,
    /// When its first job started.
    pub processing_start_time: Option<Time>,
    /// When its last job completed.
    pub processing_end_time: Option<Time>,
    /// Its output operations, by id (Spark's `outputOperationInfos`).
    pub output_operation_infos: BTreeMap<usize, OutputOperationInfo>,
}

impl BatchInfo {
    /// A submitted batch: no processing times, no records, no output operations yet.
    pub fn new(batch_time: Time, submission_time: Time) -> BatchInfo {
        BatchInfo {
            batch_time,
            num_records: 0,
            stream_id_to_num_records: BTreeMap::new(),
            submission_time,
            processing_start_time: None,
            processing_end_time: None,
            output_operation_infos: BTreeMap::new(),
        }
    }

    /// Time from submission to the first job's start (Spark's `schedulingDelay`).
    pub fn scheduling_delay(&self) -> Option<Duration> {
        self.processing_start_time.map(|s| s - self.submission_time)
    }

    /// Time from the first job's start to the last job's end (Spark's `processingDelay`).
    pub fn processing_delay(&self) -> Option<Duration> {
        match (self.processing_start_time, self.processing_end_time) {
            (Some(s), Some(e)) => Some(e - s),
            _ => None,
        }
    }

    /// Scheduling plus processing delay (Spark's `totalDelay`).
    pub fn total_delay(&self) -> Option<Duration> {
        match (self.scheduling_delay(), self.processing_delay()) {
            (Some(s), Some(p)) => Some(s + p),
            _ => None,
        }
    }
}

/// Spark's `OutputOperationInfo`: one output operation of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutputOperationInfo {
    /// The batch it belongs to.
    pub batch_time: Time,
    /// Its place among the batch's jobs (Spark's `outputOpId`).
    pub id: usize,
    /// The operation (Spark's short call site; here the operation's name, `foreachRDD`).
    pub name: String,
    /// What it runs on (Spark's long call site; here the output stream and its parent).
    pub description: String,
    /// When its job started.
    pub start_time: Option<Time>,
    /// When its job ended.
    pub end_time: Option<Time>,
    /// Why its job failed, if it did.
    pub failure_reason: Option<String>,
}

impl OutputOperationInfo {
    /// How long the job ran (Spark's `duration`).
    pub fn duration(&self) -> Option<Duration> {
        match (self.start_time, self.end_time) {
            (Some(s), Some(e)) => Some(e - s),
            _ => None,
        }
    }
}

/// Spark's `StreamingListener`: every method has an empty default; add one with
/// `StreamingContext::add_streaming_listener`. Methods run on the listener bus thread.
///
/// ```
/// use sparklet::prelude::*;
/// use sparklet::streaming::*;
/// use std::sync::{Arc, Mutex};
///
/// #[derive(Default)]
/// struct Delays(Mutex<Vec<(u64, Option<Duration>)>>);
/// impl StreamingListener for Delays {
///     fn on_batch_completed(&self, info: &BatchInfo) {
///         self.0.lock().unwrap().push((info.batch_time.milliseconds(), info.total_delay()));
///     }
/// }
///
/// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
/// let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
/// ssc.queue_stream(vec![vec![1, 2], vec![3]], true).count().foreach_rdd(|_, _| Ok(()));
/// let delays = Arc::new(Delays::default());
/// ssc.add_streaming_listener(delays.clone());
/// ssc.start().unwrap();
/// ssc.run_batches(2).unwrap();
/// // On the manual clock no time passes within a batch.
/// let zero = Some(Duration::milliseconds(0));
/// assert_eq!(*delays.0.lock().unwrap(), vec![(1000, zero), (2000, zero)]);
/// ssc.stop(true, false);
/// ```
pub trait StreamingListener: Send + Sync + 'static {
    /// The context started (Spark's `onStreamingStarted`), at this clock time.
    fn on_streaming_started(&self, time: Time) {
        let _ = time;
    }
    /// A batch's jobs were submitted.
    fn on_batch_submitted(&self, info: &BatchInfo) {
        let _ = info;
    }
    /// A batch's first job started.
    fn on_batch_started(&self, info: &BatchInfo) {
        let _ = info;
    }
    /// A batch's last job completed.
    fn on_batch_completed(&self, info: &BatchInfo) {
        let _ = info;
    }
    /// An output operation's job started.
    fn on_output_operation_started(&self, info: &OutputOperationInfo) {
        let _ = info;
    }
    /// An output operation's job completed (or failed: `failure_reason`).
    fn on_output_operation_completed(&self, info: &OutputOperationInfo) {
        let _ = info;
    }
    /// A receiver is starting.
    fn on_receiver_started(&self, info: &ReceiverInfo) {
        let _ = info;
    }
    /// A receiver reported an error (`last_error_message`, `last_error`).
    fn on_receiver_error(&self, info: &ReceiverInfo) {
        let _ = info;
    }
    /// A receiver stopped (also before each restart).
    fn on_receiver_stopped(&self, info: &ReceiverInfo) {
        let _ = info;
    }
}

impl<L: StreamingListener> StreamingListener for Arc<L> {
    fn on_streaming_started(&self, time: Time) {
        (**self).on_streaming_started(time)
    }
    fn on_batch_submitted(&self, info: &BatchInfo) {
        (**self).on_batch_submitted(info)
    }
    fn on_batch_started(&self, info: &BatchInfo) {
        (**self).on_batch_started(info)
    }
    fn on_batch_completed(&self, info: &BatchInfo) {
        (**self).on_batch_completed(info)
    }
    fn on_output_operation_started(&self, info: &OutputOperationInfo) {
        (**self).on_output_operation_started(info)
    }
    fn on_output_operation_completed(&self, info: &OutputOperationInfo) {
        (**self).on_output_operation_completed(info)
    }
    fn on_receiver_started(&self, info: &ReceiverInfo) {
        (**self).on_receiver_started(info)
    }
    fn on_receiver_error(&self, info: &ReceiverInfo) {
        (**self).on_receiver_error(info)
    }
    fn on_receiver_stopped(&self, info: &ReceiverInfo) {
        (**self).on_receiver_stopped(info)
    }
}

/// Spark's `StreamingListenerEvent`s.
#[derive(Clone, Debug)]
pub(crate) enum StreamingListenerEvent {
    StreamingStarted(Time),
    BatchSubmitted(BatchInfo),
    BatchStarted(BatchInfo),
    BatchCompleted(BatchInfo),
    OutputOperationStarted(OutputOperationInfo),
    OutputOperationCompleted(OutputOperationInfo),
    ReceiverStarted(ReceiverInfo),
    ReceiverError(ReceiverInfo),
    ReceiverStopped(ReceiverInfo),
}

impl StreamingListenerEvent {
    /// Spark's `StreamingListenerBus.doPostEvent`.
    fn deliver_to(&self, l: &dyn StreamingListener) {
        use StreamingListenerEvent as E;
        match self {
            E::StreamingStarted(t) => l.on_streaming_started(*t),
            E::BatchSubmitted(i) => l.on_batch_submitted(i),
            E::BatchStarted(i) => l.on_batch_started(i),
            E::BatchCompleted(i) => l.on_batch_completed(i),
            E::OutputOperationStarted(i) => l.on_output_operation_started(i),
            E::OutputOperationCompleted(i) => l.on_output_operation_completed(i),
            E::ReceiverStarted(i) => l.on_receiver_started(i),
            E::ReceiverError(i) => l.on_receiver_error(i),
            E::ReceiverStopped(i) => l.on_receiver_stopped(i),
        }
    }
}

/// How long `stop` waits for listeners to take the events already posted.
const STOP_DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Spark's `StreamingListenerBus` (a queue and a thread of its own here, `util::event_bus`'s
/// `AsyncEventQueue`; see the module doc). What is its own: it posts nothing while it has no
/// listener, and once stopped it drops every event.
#[derive(Clone)]
pub(crate) struct StreamingListenerBus {
    queue: AsyncEventQueue<dyn StreamingListener, StreamingListenerEvent>,
    stopped: Arc<AtomicBool>,
}

impl Default for StreamingListenerBus {
    fn default() -> Self {
        StreamingListenerBus {
            queue: AsyncEventQueue::new(
                "StreamingListenerBus",
                event_bus::ListenerBus::new(do_post_event, Some("StreamingListener")),
            ),
            stopped: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Spark's `StreamingListenerBus.doPostEvent`.
fn do_post_event(listener: &dyn StreamingListener, event: &StreamingListenerEvent) {
    event.deliver_to(listener)
}

impl StreamingListenerBus {
    pub(crate) fn add(&self, l: Arc<dyn StreamingListener>) {
        self.queue.add_listener(l);
    }

    /// Queues `event` for the bus thread (started by the first post); dropped once stopped.
    pub(crate) fn post(&self, event: StreamingListenerEvent) {
        if self.stopped.load(Ordering::SeqCst) {
            log::debug!(
                target: crate::logging::JOB_SCHEDULER,
                "StreamingListenerBus has already stopped! Dropping event {event:?}"
            );
            return;
        }
        if !self.queue.has_listeners() {
            return;
        }
        self.queue.post(event);
    }

    /// Whether the calling thread is the bus thread (a listener is running on it).
    pub(crate) fn is_bus_thread(&self) -> bool {
        self.queue.is_dispatch_thread()
    }

    /// Waits until every event posted before the call was delivered, for at most `timeout`;
    /// returns at once on the bus thread. Returns whether everything was delivered.
    pub(crate) fn wait_until_delivered(&self, timeout: std::time::Duration) -> bool {
        self.queue
            .wait_until_delivered(Some(std::time::Instant::now() + timeout))
    }

    /// Delivers what was posted (bounded), then drops every later event.
    pub(crate) fn stop(&self) {
        if !self.wait_until_delivered(STOP_DRAIN_TIMEOUT) {
            log::warn!(
                target: crate::logging::JOB_SCHEDULER,
                "StreamingListenerBus: listeners did not take the queued events within {} s of \
                 stop; stopping anyway",
                STOP_DRAIN_TIMEOUT.as_secs()
            );
        }
        self.stopped.store(true, Ordering::SeqCst);
        self.queue.stop();
    }
}
