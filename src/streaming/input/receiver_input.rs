//! Spark's `ReceiverInputDStream` with its `ReceiverSupervisorImpl` and the part of
//! `ReceiverTracker` that keeps a receiver running: the input stream of any [`Receiver`]
//! (`StreamingContext::receiver_stream`, Spark's `PluggableInputDStream`; and
//! `socket_text_stream`, whose `SocketReceiver` is one).
//!
//! # The supervisor thread
//!
//! `start()` spawns `receiver-<stream id>`, which owns the receiver and runs its life:
//!
//! 1. `ReceiverStarted` is posted, then `on_start(ctx)` is called (a panic is caught: reported
//!    as "Error starting receiver N" and turned into a restart). When it returns and no
//!    restart or stop is pending, the receiver counts as active (`ReceiverInfo::active`,
//!    `connections`).
//! 2. The thread waits for the receiver's command (`ctx.restart`, `ctx.stop`, a panicking
//!    receiver thread) or the stream's stop, cutting a block every block interval meanwhile
//!    (Spark's block interval timer; off on the manual clock).
//! 3. `on_stop()` is called (a panic is caught and reported), `ReceiverStopped` posted with the
//!    reason as `last_error_message`. On the stream's stop that is the end. Otherwise, after
//!    `sparklet.streaming.receiver.restartDelay` (Spark's `receiverRestartDelay`; a stop of
//!    the stream ends the wait at once), back to 1: a restart as Spark's `restartReceiver`, a
//!    stop as Spark's `ReceiverTracker` relaunching a receiver whose job ended.
//!
//! What the receiver stored stays stored across restarts; nothing is lost or stored twice. No
//! problem of a receiver ever stops the context.
//!
//! # Batches
//!
//! At each batch, `compute` allocates to the batch every block received so far (after cutting
//! what is still buffered: see `receiver` for the exact rule) and returns a `BlockRDD` over
//! them — a `BlockRDD` with no partitions when nothing arrived. A time at or before the last
//! allocated batch (a forgotten batch asked for again) gets an empty `BlockRDD`: blocks belong
//! to the batch they were allocated to. Once the stream forgets a batch's RDD (the remember
//! duration passed, `clear_metadata`), the next `compute` removes that batch's blocks from
//! every executor (Spark's `BlockRDD.removeBlocks`, when `sparklet.streaming.unpersist` is on).
//! A receiver stream records nothing in metadata checkpoints: as in Spark without a write-ahead
//! log, blocks received but not yet processed are not recovered after a driver restart.
//! Batches before the context's start (recomputed after a restart, e.g. by a state stream)
//! get an empty `BlockRDD`, as Spark's `validTime < graph.startTime` rule; the batch a
//! recovered context runs again first is its own first batch, so it takes what the new
//! receiver stored before it (Spark gives that re-run batch an empty RDD too).

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::rdd::block_rdd::BlockRdd;
use crate::rdd::{Data, RddBase};
use crate::scheduler::task::panic_message;
use crate::streaming::context::{StreamingEnv, UNPERSIST};
use crate::streaming::dstream::{DStreamBase, DStreamCore, TypedDStream};
use crate::streaming::graph::InputDStream;
use crate::streaming::input::receiver::{
    Command, ReceivedBlock, ReceiverInfo, ReceiverSettings, ReceiverSupervisor,
};
use crate::streaming::input::receiver_api::{Receiver, ReceiverContext};
use crate::streaming::input_info::StreamInputInfo;
use crate::streaming::listener::StreamingListenerEvent;
use crate::streaming::time::{Duration, Time};
use crate::streaming::{DStream, StreamingContext};
use crate::Rdd;

/// Where the stream's receiver is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReceiverState {
    Initialized,
    Started,
    /// The receiver is stopped, but blocks it stored still go to batches (a graceful stop in
    /// progress).
    Draining,
    Stopped,
}

/// What the stream is called, in Spark's names.
pub(crate) struct Names {
    /// The DStream class (`SocketInputDStream`, `PluggableInputDStream`).
    pub(crate) class_name: &'static str,
    /// The receiver (`SocketReceiver`, or the receiver type's name).
    pub(crate) receiver: &'static str,
    /// The operation its `BlockRDD`s show (`socketTextStream`, `receiverStream`).
    pub(crate) operation: &'static str,
}

/// Spark's `ReceiverInputDStream`: the input stream of one receiver.
pub(crate) struct ReceiverInputDStream<T: Data> {
    core: DStreamCore,
    slide: Duration,
    names: Names,
    supervisor: Arc<ReceiverSupervisor<T>>,
    /// The receiver until its supervisor thread takes it.
    receiver: Mutex<Option<Box<dyn Receiver<Item = T>>>>,
    /// Why the stream cannot start (a bad address or setting), reported at creation.
    invalid: Option<Error>,
    state: Mutex<ReceiverState>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The blocks of each batch, until the stream forgets the batch's RDD.
    allocated: Mutex<BTreeMap<Time, Arc<BlockRdd<T>>>>,
    /// The last batch blocks were allocated to.
    last_allocated: Mutex<Option<Time>>,
}

impl<T: Data> ReceiverInputDStream<T> {
    pub(crate) fn new(
        ssc: &Arc<StreamingEnv>,
        receiver: Box<dyn Receiver<Item = T>>,
        names: Names,
        invalid: Option<Error>,
    ) -> Self {
        let core = DStreamCore::new(ssc, false);
        let (settings, bad_conf) = match ReceiverSettings::from_conf(ssc.sc.conf()) {
            Ok(s) => (s, None),
            Err(e) => (ReceiverSettings::default(), Some(e)),
        };
        let invalid = invalid.or(bad_conf);
        if let Some(e) = &invalid {
            ssc.report(e.clone());
        }
        let supervisor = ReceiverSupervisor::new(
            &ssc.sc,
            ssc.clock.clone(),
            ssc.manual.is_none(),
            core.id,
            names.receiver,
            settings,
            receiver.storage_level(),
            ssc.listener_bus.clone(),
        );
        ReceiverInputDStream {
            core,
            slide: ssc.batch_duration,
            names,
            supervisor: Arc::new(supervisor),
            receiver: Mutex::new(Some(receiver)),
            invalid,
            state: Mutex::new(ReceiverState::Initialized),
            thread: Mutex::new(None),
            allocated: Mutex::new(BTreeMap::new()),
            last_allocated: Mutex::new(None),
        }
    }

    /// The receiver's counters.
    pub(crate) fn receiver_info(&self) -> ReceiverInfo {
        self.supervisor.info()
    }

    /// Removes the blocks of batches whose RDD the stream no longer remembers (Spark removes
    /// them in `clearMetadata`; here the next batch does it).
    fn clean_old_batches(&self) {
        let remembered: Vec<Time> = self.core.generated.lock().keys().copied().collect();
        let forgotten: Vec<Arc<BlockRdd<T>>> = {
            let mut allocated = self.allocated.lock();
            let old: Vec<Time> = allocated
                .keys()
                .filter(|t| !remembered.contains(t))
                .copied()
                .collect();
            old.iter().filter_map(|t| allocated.remove(t)).collect()
        };
        if unpersist_on(&self.core) {
            for rdd in forgotten {
                rdd.remove_blocks();
            }
        }
    }
}

fn unpersist_on(core: &DStreamCore) -> bool {
    core.sc.conf().get_bool(UNPERSIST, true).unwrap_or(true)
}

impl<T: Data> Drop for ReceiverInputDStream<T> {
    /// A context dropped without `stop()` still ends its receiver. The blocks of the batches
    /// still remembered go with the stream (after `stop()` they stay readable for as long as
    /// the stream lives).
    fn drop(&mut self) {
        self.stop();
        if unpersist_on(&self.core) {
            for rdd in std::mem::take(&mut *self.allocated.lock()).into_values() {
                rdd.remove_blocks();
            }
        }
    }
}

impl<T: Data> DStreamBase for ReceiverInputDStream<T> {
    fn core(&self) -> &DStreamCore {
        &self.core
    }
    fn slide_duration(&self) -> Duration {
        self.slide
    }
    fn dependencies(&self) -> Vec<Arc<dyn DStreamBase>> {
        Vec::new()
    }
    fn class_name(&self) -> &'static str {
        self.names.class_name
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<T: Data> InputDStream for ReceiverInputDStream<T> {
    /// Starts the supervisor thread `receiver-<stream id>` (Spark's `ReceiverTracker`
    /// launching the receiver).
    fn start(&self) -> Result<()> {
        if let Some(e) = &self.invalid {
            return Err(e.clone());
        }
        let mut state = self.state.lock();
        match *state {
            ReceiverState::Started => return Ok(()),
            ReceiverState::Draining | ReceiverState::Stopped => {
                return Err(Error::IllegalState(format!(
                    "the receiver of {}[{}] was stopped; it cannot be started again",
                    self.names.class_name, self.core.id
                )))
            }
            ReceiverState::Initialized => {}
        }
        let Some(receiver) = self.receiver.lock().take() else {
            return Err(Error::Internal(format!(
                "the receiver of {}[{}] is gone before it started",
                self.names.class_name, self.core.id
            )));
        };
        self.supervisor.schedule();
        let supervisor = self.supervisor.clone();
        let handle = std::thread::Builder::new()
            .name(format!("receiver-{}", self.core.id))
            .spawn(move || supervise(supervisor, receiver))
            .map_err(|e| Error::io(format!("receiver-{}", self.core.id), e))?;
        *self.thread.lock() = Some(handle);
        *state = ReceiverState::Started;
        Ok(())
    }

    /// Stops the receiver and waits for its supervisor; what it received still goes to
    /// batches.
    fn stop_receiving(&self) {
        {
            let mut state = self.state.lock();
            if *state != ReceiverState::Started {
                return;
            }
            *state = ReceiverState::Draining;
        }
        self.supervisor.signal_stop();
        if let Some(handle) = self.thread.lock().take() {
            if handle.thread().id() != std::thread::current().id() {
                let _ = handle.join();
            }
        }
    }

    fn has_unallocated_data(&self) -> bool {
        *self.state.lock() == ReceiverState::Draining && self.supervisor.has_unallocated_data()
    }

    /// Stops the receiver and waits for it. Blocks stored but never given to a batch are
    /// removed.
    fn stop(&self) {
        self.stop_receiving();
        {
            let mut state = self.state.lock();
            if *state == ReceiverState::Stopped {
                return;
            }
            *state = ReceiverState::Stopped;
        }
        // A stream that never started has no thread to signal.
        self.supervisor.signal_stop();
        for received in self.supervisor.take_unallocated() {
            crate::rdd::unpersist(&received.block, false);
        }
    }
}

impl<T: Data> TypedDStream<T> for ReceiverInputDStream<T> {
    /// Spark's `ReceiverInputDStream.compute`: a `BlockRDD` over the blocks of this batch.
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        self.clean_old_batches();
        let started = matches!(
            *self.state.lock(),
            ReceiverState::Started | ReceiverState::Draining
        );
        // Spark: a time before the graph's start time (a batch recomputed after a driver
        // restart) gets an empty RDD; the blocks go to this context's own batches.
        let before_start = self
            .core
            .ssc()?
            .start_time
            .lock()
            .is_some_and(|start| time <= start);
        let started = started && !before_start;
        let allocated: Option<Vec<ReceivedBlock>> = {
            let mut last = self.last_allocated.lock();
            if started && last.is_none_or(|l| time > l) {
                *last = Some(time);
                Some(self.supervisor.allocate_blocks_to_batch())
            } else {
                None
            }
        };
        let received = allocated.as_deref().unwrap_or_default();
        if allocated.is_some() {
            // The batch's records are those of its blocks.
            let info = StreamInputInfo {
                input_stream_id: self.core.id,
                num_records: received.iter().map(|b| b.num_records).sum(),
            };
            self.core
                .ssc()?
                .input_info_tracker
                .report_info(time, info)?;
        }
        let blocks: Vec<Arc<dyn RddBase>> = received.iter().map(|b| b.block.clone()).collect();
        let rdd = Arc::new(BlockRdd::<T>::new(
            &self.core.sc,
            blocks,
            self.names.operation,
        ));
        self.allocated.lock().insert(time, rdd.clone());
        Ok(Some(Rdd::from_arc(rdd)))
    }
}

/// The supervisor thread: start, wait for a command, stop, wait the delay, again (see the
/// module doc).
fn supervise<T: Data>(sup: Arc<ReceiverSupervisor<T>>, mut receiver: Box<dyn Receiver<Item = T>>) {
    let stream_id = sup.info().stream_id;
    let _ = sup.supervisor_thread.set(std::thread::current().id());
    while !sup.is_stopped() {
        let generation = sup.begin_start();
        sup.post_event(true, StreamingListenerEvent::ReceiverStarted);
        let ctx = ReceiverContext::new(sup.clone(), generation);
        let started = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            receiver.on_start(ctx);
        }));
        match started {
            Err(panic) => {
                let message = format!("Error starting receiver {stream_id}");
                let error = panic_message(&*panic);
                sup.report_error(&message, &error);
                sup.request(generation, Command::Restart { message, error }, true);
            }
            Ok(()) if !sup.is_receiver_stopped(generation) => sup.set_active(true),
            Ok(()) => {}
        }
        let command = sup.wait_for_command();
        sup.set_active(false);
        let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            receiver.on_stop();
        }));
        if let Err(panic) = stopped {
            sup.report_error(
                &format!("Error stopping receiver {stream_id}"),
                &panic_message(&*panic),
            );
        }
        match command {
            None => {
                sup.post_event(false, StreamingListenerEvent::ReceiverStopped);
                break;
            }
            Some(Command::Restart { message, error }) => {
                let delay = sup.settings.restart_delay_ms;
                sup.note_problem(
                    &format!("Restarting receiver with delay {delay}ms: {message}"),
                    &error,
                );
            }
            Some(Command::Stop { message, error }) => {
                sup.note_stop(&message, &error);
            }
        }
        sup.post_event(false, StreamingListenerEvent::ReceiverStopped);
        if !sup.wait_restart_delay() {
            break;
        }
    }
    sup.set_active(false);
}

/// The last segment of a type's name, without generics (Spark's `getClass.getSimpleName`).
fn simple_name<R>() -> &'static str {
    let full = std::any::type_name::<R>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

impl StreamingContext {
    /// A stream of what a custom [`Receiver`] stores (Spark's `receiverStream`): `start()`
    /// starts it on its own supervisor thread, each batch's RDD holds the records it stored
    /// before the batch was generated, stored at the receiver's storage level. A receiver that
    /// panics or asks for a restart is restarted after
    /// `sparklet.streaming.receiver.restartDelay`, its problems reported to streaming listeners
    /// and in [`DStream::receiver_info`]; it never stops the context. The `receiver` module
    /// docs of [`Receiver`] show one.
    pub fn receiver_stream<R: Receiver>(&self, receiver: R) -> DStream<R::Item> {
        let names = Names {
            class_name: "PluggableInputDStream",
            receiver: simple_name::<R>(),
            operation: "receiverStream",
        };
        let stream = Arc::new(ReceiverInputDStream::new(
            &self.env,
            Box::new(receiver),
            names,
            None,
        ));
        self.add_input(stream.clone());
        DStream::from_arc(stream)
    }
}

impl<T: Data> DStream<T> {
    /// What the stream's receiver has done so far — starts, records and blocks received,
    /// problems reported, restarts — or `None` for a stream without a receiver. Streaming
    /// listeners get the same facts as events (`StreamingListener::on_receiver_error`, ...).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// use sparklet::streaming::*;
    ///
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    /// let lines = ssc.socket_text_stream("127.0.0.1", 9);
    /// let info = lines.receiver_info().unwrap();
    /// assert_eq!((info.name.as_str(), info.records_received, info.errors), ("SocketReceiver", 0, 0));
    /// assert!(ssc.queue_stream(vec![vec![1]], true).receiver_info().is_none());
    /// ```
    pub fn receiver_info(&self) -> Option<ReceiverInfo> {
        self.stream
            .as_any()
            .downcast_ref::<ReceiverInputDStream<T>>()
            .map(ReceiverInputDStream::receiver_info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;
    struct Generic<T>(T);

    #[test]
    fn simple_names_are_the_type_name_alone() {
        assert_eq!(simple_name::<Plain>(), "Plain");
        assert_eq!(simple_name::<Generic<Vec<u8>>>(), "Generic");
    }
}
