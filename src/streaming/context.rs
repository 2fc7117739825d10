//! The streaming entry point (Spark's `StreamingContext` and `JobGenerator`'s timer). What
//! streams see of the context, and the work of one batch, live in `streaming::env`.
//!
//! A `StreamingContext` owns the DStream graph and generates one batch per batch duration: at
//! each batch time it asks every output stream for its job (which computes the lineage's RDDs
//! through `get_or_compute`), runs the jobs in order (Spark's default of one concurrent job),
//! then clears old metadata. Streaming jobs run with the local property
//! `checkpointAllMarkedAncestors` set, as in Spark (SPARK-6847).
//!
//! Time comes from a clock: with [`StreamingContext::with_manual_clock`] it moves only in
//! [`StreamingContext::run_batches`], which runs the batches on the calling thread, so tests are
//! deterministic; with [`StreamingContext::new`] a `JobGenerator` thread follows wall time.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::rdd::Data;
use crate::streaming::clock::ManualClock;
use crate::streaming::dstream::handle::DStream;
/// Re-exported where streams have always found it.
pub(crate) use crate::streaming::env::StreamingEnv;
use crate::streaming::env::{BatchThreadGuard, State};
use crate::streaming::graph::InputDStream;
use crate::streaming::input::queue::QueueInputDStream;
use crate::streaming::input::receiver::time_ms;
use crate::streaming::time::{Duration, DurationMillis, Time};
use crate::SparkContext;

/// Conf key: unpersist RDDs that `clear_metadata` forgets (Spark's `spark.streaming.unpersist`).
pub const UNPERSIST: &str = "sparklet.streaming.unpersist";

/// How long a graceful `stop` waits for received data to be processed (Spark's
/// `spark.streaming.gracefulStopTimeout`; default 10 batch durations).
pub const GRACEFUL_STOP_TIMEOUT: &str = "sparklet.streaming.gracefulStopTimeout";

/// How long `run_batches` waits for streaming listeners to take a batch's events.
const LISTENER_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The streaming entry point.
///
/// ```
/// use sparklet::prelude::*;
/// use sparklet::streaming::*;
/// use std::sync::{Arc, Mutex};
///
/// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
/// let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
/// let lines = ssc.queue_stream(vec![vec!["a b".to_string()], vec!["b".to_string()]], true);
/// let counts = lines
///     .flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>())
///     .map(|w| (w, 1))
///     .reduce_by_key(|a, b| a + b);
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let s = seen.clone();
/// counts.foreach_rdd(move |rdd, time| {
///     let mut batch = rdd.collect()?;
///     batch.sort();
///     s.lock().unwrap().push((time.milliseconds(), batch));
///     Ok(())
/// });
/// ssc.start().unwrap();
/// ssc.run_batches(2).unwrap();
/// let seen = seen.lock().unwrap();
/// assert_eq!(seen[0], (1000, vec![("a".to_string(), 1), ("b".to_string(), 1)]));
/// assert_eq!(seen[1], (2000, vec![("b".to_string(), 1)]));
/// ```
#[derive(Clone)]
pub struct StreamingContext {
    pub(crate) env: Arc<StreamingEnv>,
}

impl StreamingContext {
    fn with_clock(
        sc: &SparkContext,
        batch: Duration,
        manual: Option<Arc<ManualClock>>,
    ) -> StreamingContext {
        StreamingContext {
            env: Arc::new(StreamingEnv::new(sc, batch, manual)),
        }
    }

    /// A context generating a batch every `batch` of wall time.
    pub fn new(sc: &SparkContext, batch: Duration) -> StreamingContext {
        Self::with_clock(sc, batch, None)
    }

    /// A context on a manual clock starting at 0: the first batch is at `batch`, and time moves
    /// only by [`StreamingContext::run_batches`].
    pub fn with_manual_clock(sc: &SparkContext, batch: Duration) -> StreamingContext {
        Self::with_clock(sc, batch, Some(Arc::new(ManualClock::new(0))))
    }

    /// The Spark context underneath.
    pub fn spark_context(&self) -> SparkContext {
        self.env.sc.clone()
    }

    /// The batch duration.
    pub fn batch_duration(&self) -> Duration {
        self.env.batch_duration
    }

    /// Spark's `StreamingContext.getOrCreate`: recovers from the newest metadata checkpoint in
    /// `checkpoint_dir` when there is one — `create` rebuilds the same graph (closures cannot be
    /// read back from disk), then each stream gets its checkpointed RDDs back and the context
    /// resumes at the checkpoint's batch, which runs again — else returns `create()`. A folder
    /// whose checkpoints are all damaged is `Error::CorruptCheckpoint`.
    pub fn get_or_create(
        checkpoint_dir: impl AsRef<Path>,
        create: impl FnOnce() -> Result<StreamingContext>,
    ) -> Result<StreamingContext> {
        let dir = checkpoint_dir.as_ref();
        let Some(checkpoint) = crate::streaming::checkpoint::read_latest(dir)? else {
            return create();
        };
        let ssc = create()?;
        if ssc.batch_duration() != checkpoint.batch_duration {
            return Err(Error::InvalidArgument(format!(
                "the checkpoint in {} was written with batch duration {}, the new context has {}",
                dir.display(),
                checkpoint.batch_duration,
                ssc.batch_duration()
            )));
        }
        if ssc.env.checkpoint_dir.lock().is_none() {
            ssc.checkpoint(dir)?;
        }
        *ssc.env.recovered.lock() = Some(checkpoint);
        Ok(ssc)
    }

    /// Sets the checkpoint folder: RDD checkpoints of stateful streams go under it (Spark's
    /// `ssc.checkpoint`).
    pub fn checkpoint(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        self.env.sc.set_checkpoint_dir(dir)?;
        *self.env.checkpoint_dir.lock() = Some(dir.to_path_buf());
        Ok(())
    }

    /// Makes every stream remember its RDDs for at least `d` (Spark's `ssc.remember`). The
    /// streams take it at `start()`; called later (even from a transform), it is kept for no
    /// stream, as in Spark where the graph reads it only when it starts.
    pub fn remember(&self, d: Duration) {
        self.env.graph.lock().remember_duration = Some(d);
    }

    /// A stream of the given batches, one RDD a batch (all at once unless `one_at_a_time`),
    /// then an empty RDD per batch once drained (Spark's `queueStream`).
    pub fn queue_stream<T: Data>(&self, batches: Vec<Vec<T>>, one_at_a_time: bool) -> DStream<T> {
        let stream = Arc::new(QueueInputDStream::new(&self.env, batches, one_at_a_time));
        self.add_input(stream.clone());
        DStream::from_arc(stream)
    }

    /// A stream of the lines of the files that appear in `dir`, one RDD per batch of the files
    /// new since the last batch (Spark's `textFileStream`; which files are new is explained in
    /// the `streaming::input::file` module). A folder that cannot be listed is reported by the
    /// next call that returns a `Result`.
    pub fn text_file_stream(&self, dir: impl AsRef<Path>) -> DStream<String> {
        let stream = Arc::new(crate::streaming::input::file::FileInputDStream::new(
            &self.env,
            dir.as_ref(),
            self.env.manual.is_none(),
        ));
        self.add_input(stream.clone());
        DStream::from_arc(stream)
    }

    /// A stream of the text lines received over TCP from `host:port` (Spark's
    /// `socketTextStream`): a receiver thread started by [`StreamingContext::start`] connects,
    /// stores the lines as blocks replicated at `MEMORY_AND_DISK_SER_2`, and each batch's RDD
    /// holds the lines received before the batch was generated (the
    /// `streaming::input::socket` module explains threads, blocks and batches). A lost or
    /// refused connection is reported (`DStream::receiver_info`, a warning) and retried after
    /// `sparklet.streaming.receiver.restartDelay`; it never stops the context. A host that is
    /// not a host name or IP address, or port 0, makes `start()` fail with
    /// `Error::InvalidArgument`.
    pub fn socket_text_stream(&self, host: &str, port: u16) -> DStream<String> {
        let stream = Arc::new(crate::streaming::input::socket::socket_input_stream(
            &self.env, host, port,
        ));
        self.add_input(stream.clone());
        DStream::from_arc(stream)
    }

    /// Registers an input stream; after start it was refused (`DStreamCore::new` reported
    /// it) and is never registered, as in Spark where the constructor throws.
    pub(crate) fn add_input(&self, stream: Arc<dyn InputDStream>) {
        if self.env.is_initialized_state() {
            self.env.graph.lock().inputs.push(stream);
        }
    }

    /// Starts generating batches. Validates the graph first with Spark's rules; a context
    /// that fails to start is stopped (Spark: "Error starting the context, marking it as
    /// stopped"), so `state()` is `Stopped` and it cannot be started again.
    pub fn start(&self) -> Result<()> {
        let initialized = self.env.is_initialized_state();
        let started = self.start_inner();
        if started.is_err() && initialized && self.env.is_initialized_state() {
            log::error!(
                target: crate::logging::STREAMING_CONTEXT,
                "Error starting the context, marking it as stopped"
            );
            *self.env.state.lock() = State::Stopped;
            *self.env.stop_signal.0.lock() = true;
            self.env.stop_signal.1.notify_all();
            for input in self.env.graph.lock().inputs.clone() {
                input.stop();
            }
            self.env.listener_bus.stop();
        }
        started
    }

    fn start_inner(&self) -> Result<()> {
        self.env.take_error()?;
        self.env.sc.check_running()?;
        {
            let state = *self.env.state.lock();
            match state {
                State::Initialized => {}
                State::Active => {
                    log::warn!(
                        target: crate::logging::STREAMING_CONTEXT,
                        "StreamingContext has already been started"
                    );
                    return Ok(());
                }
                State::Stopped => {
                    return Err(Error::IllegalState(
                        "StreamingContext has already been stopped".into(),
                    ))
                }
            }
        }
        if self.env.graph.lock().outputs.is_empty() {
            return Err(Error::IllegalState(
                "No output operations registered, so nothing to execute".into(),
            ));
        }
        // A graceful `stop` cannot report a bad setting (it returns nothing): refuse it here.
        time_ms(self.env.sc.conf(), GRACEFUL_STOP_TIMEOUT, 0)?;
        let batch = self.env.batch_duration;
        if batch.is_zero() {
            return Err(Error::InvalidArgument(
                "the batch duration must be positive".into(),
            ));
        }
        // Time arithmetic saturates; a batch duration that leaves no room for batch times
        // (e.g. `Duration::seconds(u64::MAX)`, saturated) is refused here instead.
        let now = self.env.clock.time_ms();
        let room = (now / batch.milliseconds())
            .checked_add(2)
            .and_then(|n| n.checked_mul(batch.milliseconds()));
        if room.is_none() {
            return Err(Error::InvalidArgument(format!(
                "the batch duration {batch} is too long: batch times would overflow"
            )));
        }
        // Spark's RecurringTimer: the first batch is the next multiple of the batch duration;
        // after a recovery, the graph keeps its zero time and the checkpoint's batch runs again.
        let recovered = self.env.recovered.lock().take();
        let now = self.env.clock.time_ms();
        let mut first = Time::new((now / batch.milliseconds() + 1) * batch.milliseconds());
        let mut zero = first - batch;
        if let Some(cp) = &recovered {
            zero = cp.zero_time;
        }
        let has_dir = self.env.checkpoint_dir.lock().is_some();
        {
            let mut graph = self.env.graph.lock();
            if has_dir && graph.inputs.iter().any(|i| !i.supports_checkpointing()) {
                log::warn!(
                    target: crate::logging::STREAMING_CONTEXT,
                    "queueStream doesn't support checkpointing"
                );
            }
            graph.start(zero, has_dir)?;
        }
        if let Some(cp) = &recovered {
            first = self.env.restore(cp)?;
            if let Some(clock) = &self.env.manual {
                clock.set_time((first - batch).milliseconds());
            }
        }
        *self.env.start_time.lock() = Some(first - batch);
        // Start the receivers outside the graph lock; if one fails, stop those started.
        let inputs = self.env.graph.lock().inputs.clone();
        for (i, input) in inputs.iter().enumerate() {
            if let Err(e) = input.start() {
                for started in &inputs[..i] {
                    started.stop();
                }
                return Err(e);
            }
        }
        *self.env.last_batch.lock() = Some(first - batch);
        *self.env.state.lock() = State::Active;
        self.env.listener_bus.post(
            crate::streaming::listener::StreamingListenerEvent::StreamingStarted(Time::new(
                self.env.clock.time_ms(),
            )),
        );
        if self.env.manual.is_none() {
            self.start_timer(first)?;
        }
        Ok(())
    }

    fn start_timer(&self, first: Time) -> Result<()> {
        let env = self.env.clone();
        let handle = std::thread::Builder::new()
            .name("JobGenerator".into())
            .spawn(move || {
                let mut next = first;
                loop {
                    {
                        let (stopped, cv) = &env.stop_signal;
                        let mut stopped = stopped.lock();
                        loop {
                            if *stopped {
                                return;
                            }
                            let now = env.clock.time_ms();
                            if now >= next.milliseconds() {
                                break;
                            }
                            let wait = std::time::Duration::from_millis(next.milliseconds() - now);
                            cv.wait_for(&mut stopped, wait);
                        }
                    }
                    let result = env.run_batch(next);
                    if let Err(e) = result {
                        log::warn!(
                            target: crate::logging::JOB_SCHEDULER,
                            "Error running job streaming job {next}: {e}"
                        );
                        env.report(e);
                    }
                    // Wakes `await_termination*` (an error) and a graceful `stop` (one more
                    // batch took received data), under the lock they wait with.
                    let _signal = env.stop_signal.0.lock();
                    env.stop_signal.1.notify_all();
                    next = next + env.batch_duration;
                }
            })
            .map_err(|e| Error::io("JobGenerator", e))?;
        *self.env.timer.lock() = Some(handle);
        Ok(())
    }

    /// Manual clock only: advances the clock by `n` batches, running each batch's jobs and
    /// waiting for them. Returns the first failed job's error (after running all `n` batches).
    ///
    /// A `stop` (from an output operation, a transform or another thread) ends the call after
    /// the batch in progress: no batch runs on a stopped context, and the call returns what the
    /// batches that ran returned (`Ok` when they succeeded), as Spark's generator simply stops
    /// generating. Called from within a batch (an output operation or a transform), or while
    /// another thread runs batches, it is refused with `Error::IllegalState`: the nested batch
    /// would run out of order.
    pub fn run_batches(&self, n: usize) -> Result<()> {
        let me = std::thread::current().id();
        {
            let mut running = self.env.batch_thread.0.lock();
            match *running {
                Some(t) if t == me => {
                    return Err(Error::IllegalState(
                        "run_batches cannot be called from within a batch (an output operation                          or a transform of this StreamingContext): the nested batch would run                          out of order"
                            .into(),
                    ))
                }
                Some(_) => {
                    return Err(Error::IllegalState(
                        "run_batches is already running on another thread; batches run one at                          a time, in order"
                            .into(),
                    ))
                }
                None => *running = Some(me),
            }
        }
        let _running = BatchThreadGuard(&self.env);
        self.env.take_error()?;
        let Some(clock) = self.env.manual.clone() else {
            return Err(Error::IllegalState(
                "run_batches needs a manual clock: use StreamingContext::with_manual_clock".into(),
            ));
        };
        if *self.env.state.lock() != State::Active {
            return Err(Error::IllegalState(
                "the StreamingContext is not started".into(),
            ));
        }
        let mut first_error = None;
        for _ in 0..n {
            if *self.env.state.lock() != State::Active {
                break;
            }
            let last = (*self.env.last_batch.lock()).unwrap_or_default();
            let time = last + self.env.batch_duration;
            clock.set_time(time.milliseconds());
            if let Err(e) = self.env.run_batch(time) {
                first_error.get_or_insert(e);
            }
            // The batch's listener events are delivered before the next batch (and before
            // the call returns), as a job's caller wakes after its events were delivered.
            self.env.listener_bus.wait_until_delivered(LISTENER_WAIT);
        }
        self.env.take_error()?;
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Waits until no other thread is inside `run_batches`, for at most Spark's bound on
    /// `JobScheduler.stop` (2 s; the graceful stop timeout when graceful). A `stop` from the
    /// batch's own thread does not wait: its batch completes after `stop` returns. The bound
    /// keeps a `stop` from a task closure (an executor thread the batch is waiting for) from
    /// hanging; `run_batches` stops after its batch in progress either way.
    fn wait_for_batch_in_progress(&self, graceful: bool) {
        let me = std::thread::current().id();
        if self.env.listener_bus.is_bus_thread() {
            return;
        }
        let timeout_ms = if graceful {
            let default_ms = self.env.batch_duration.milliseconds().saturating_mul(10);
            time_ms(self.env.sc.conf(), GRACEFUL_STOP_TIMEOUT, default_ms).unwrap_or(default_ms)
        } else {
            2000
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(timeout_ms);
        let (running, cv) = &self.env.batch_thread;
        let mut running = running.lock();
        while running.is_some_and(|t| t != me) {
            if cv.wait_until(&mut running, deadline).timed_out() {
                log::warn!(
                    target: crate::logging::JOB_SCHEDULER,
                    "The batch in progress did not complete within {timeout_ms} ms of \
                         stop; stopping anyway (no batch follows it)"
                );
                return;
            }
        }
    }

    /// Waits until the context is stopped (`Ok(true)`), the time runs out (`Ok(false)`), or a
    /// batch fails (its error).
    pub fn await_termination_or_timeout(&self, d: Duration) -> Result<bool> {
        let deadline =
            std::time::Instant::now() + std::time::Duration::from_millis(d.milliseconds());
        let (stopped, cv) = &self.env.stop_signal;
        let mut guard = stopped.lock();
        loop {
            if let Some(e) = self.env.pending_error.lock().take() {
                return Err(e);
            }
            if *guard {
                return Ok(true);
            }
            if cv.wait_until(&mut guard, deadline).timed_out() {
                if let Some(e) = self.env.pending_error.lock().take() {
                    return Err(e);
                }
                return Ok(*guard);
            }
        }
    }

    /// Stops generating batches and the receivers, and the Spark context too when asked.
    ///
    /// Graceful (Spark's `stop(stopGracefully = true)`): the receivers stop first and keep what
    /// they received; batches go on until every received record was given to a batch, or
    /// `sparklet.streaming.gracefulStopTimeout` (default 10 batch durations) passes; the batch
    /// in progress then completes. Not graceful: the batch in progress completes and what the
    /// receivers hold is dropped. With the manual clock no batch comes after `stop`, so a
    /// graceful stop cannot wait for one (Spark would sit out the timeout); a `run_batches`
    /// running on another thread ends after its batch in progress, which `stop` waits for (at
    /// most 2 s, or the graceful stop timeout, as Spark's `JobScheduler.stop`).
    /// `stop` may be called from an output operation or a transform: the batch in progress
    /// then completes after `stop` returns, and no batch follows.
    pub fn stop(&self, stop_spark_context: bool, graceful: bool) {
        if self.env.listener_bus.is_bus_thread() {
            // Spark throws here; `stop` returns nothing, so the refusal is logged.
            log::error!(
                target: crate::logging::STREAMING_CONTEXT,
                "Cannot stop StreamingContext within listener bus thread."
            );
            return;
        }
        {
            let mut state = self.env.state.lock();
            if *state == State::Stopped {
                return;
            }
            *state = State::Stopped;
        }
        let inputs = self.env.graph.lock().inputs.clone();
        if graceful {
            // Spark's ReceiverTracker.stop(graceful = true).
            for input in &inputs {
                input.stop_receiving();
            }
            // Spark's JobGenerator.stop(processReceivedData = true).
            self.wait_for_received_data_to_be_processed(&inputs);
        }
        *self.env.stop_signal.0.lock() = true;
        self.env.stop_signal.1.notify_all();
        if let Some(t) = self.env.timer.lock().take() {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
        self.wait_for_batch_in_progress(graceful);
        for input in inputs {
            input.stop();
        }
        // Spark's `JobScheduler.stop` ends with the listener bus: what was posted is
        // delivered, later events are dropped.
        self.env.listener_bus.stop();
        if stop_spark_context {
            self.env.sc.stop();
        }
    }

    /// Waits while the batch timer runs and a receiver still holds data no batch took, for at
    /// most the graceful stop timeout. Returns at once without a running timer, or when called
    /// from a batch (the timer thread itself).
    fn wait_for_received_data_to_be_processed(&self, inputs: &[Arc<dyn InputDStream>]) {
        let timer_elsewhere = self
            .env
            .timer
            .lock()
            .as_ref()
            .is_some_and(|t| t.thread().id() != std::thread::current().id());
        if !timer_elsewhere {
            return;
        }
        let default_ms = self.env.batch_duration.milliseconds().saturating_mul(10);
        let timeout_ms =
            time_ms(self.env.sc.conf(), GRACEFUL_STOP_TIMEOUT, default_ms).unwrap_or(default_ms);
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(timeout_ms);
        let (stopped, cv) = &self.env.stop_signal;
        let mut guard = stopped.lock();
        while inputs.iter().any(|i| i.has_unallocated_data()) {
            if cv.wait_until(&mut guard, deadline).timed_out() {
                log::warn!(
                    target: crate::logging::JOB_GENERATOR,
                    "Timed out after {timeout_ms} ms waiting for received data to be \
                         processed; stopping anyway"
                );
                return;
            }
        }
    }

    /// Whether `stop` was called.
    pub fn is_stopped(&self) -> bool {
        self.env.is_stopped()
    }

    /// Spark's `awaitTermination`: waits until the context is stopped (`Ok`), or returns the
    /// error of a failed batch or job, as Spark rethrows the error that the job scheduler
    /// reported. Waits for as long as it takes: on the manual clock, batches run only in
    /// `run_batches` (another thread).
    pub fn await_termination(&self) -> Result<()> {
        let (stopped, cv) = &self.env.stop_signal;
        let mut guard = stopped.lock();
        loop {
            if let Some(e) = self.env.pending_error.lock().take() {
                return Err(e);
            }
            if *guard {
                return Ok(());
            }
            cv.wait_for(&mut guard, std::time::Duration::from_millis(100));
        }
    }

    /// Spark's `getState`: `Initialized` until `start()`, `Active` while running, `Stopped`
    /// after `stop` or a failed `start()`.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// use sparklet::streaming::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    /// ssc.queue_stream(vec![vec![1]], true).foreach_rdd(|_, _| Ok(()));
    /// assert_eq!(ssc.state(), StreamingContextState::Initialized);
    /// ssc.start().unwrap();
    /// assert_eq!(ssc.state(), StreamingContextState::Active);
    /// ssc.stop(true, false);
    /// assert_eq!(ssc.state(), StreamingContextState::Stopped);
    /// ```
    pub fn state(&self) -> crate::streaming::StreamingContextState {
        *self.env.state.lock()
    }

    /// Adds a [`crate::streaming::StreamingListener`] (Spark's `addStreamingListener`): it is
    /// told of every later batch, output operation and receiver event, on the streaming
    /// listener bus thread.
    pub fn add_streaming_listener(&self, listener: impl crate::streaming::StreamingListener) {
        self.env.listener_bus.add(Arc::new(listener));
    }
}
