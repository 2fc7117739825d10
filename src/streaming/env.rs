//! What streams see of their context (the fields of Spark's `StreamingContext`, and its
//! `JobGenerator.generateJobs` / `JobScheduler` work for one batch).
//!
//! [`StreamingEnv`] is shared (`Arc`) by the user's `StreamingContext` handle and, weakly, by
//! every stream of its graph: streams use it to refuse being added after start and to report
//! late errors; the context uses it to run a batch ([`StreamingEnv::run_batch`]), write
//! metadata checkpoints and restore them. It may use the RDD core, the DStream graph and
//! `streaming::checkpoint`; it knows nothing of the user-facing `StreamingContext` API.
//!
//! Invariants: no lock of the env or the graph is held while user code runs (the outputs are
//! copied out of the graph lock before a batch computes its RDDs); nothing a batch sets on the
//! calling thread outlives it (`LocalPropertyGuard`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};

use crate::checkpoint::CHECKPOINT_ALL_MARKED_ANCESTORS;
use crate::error::{Error, Result};
use crate::streaming::checkpoint::Checkpoint;
use crate::streaming::clock::{Clock, ManualClock, SystemClock};
use crate::streaming::context::UNPERSIST;
use crate::streaming::graph::DStreamGraph;
use crate::streaming::input_info::InputInfoTracker;
use crate::streaming::job_scheduler::JobSet;
use crate::streaming::listener::StreamingListenerBus;
use crate::streaming::time::{Duration, Time};
use crate::SparkContext;

/// Spark's `StreamingContextState`: where a context is in its life
/// ([`crate::streaming::StreamingContext::state`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamingContextState {
    /// Created, not started: streams and outputs may be added.
    Initialized,
    /// Started: batches are generated.
    Active,
    /// Stopped (or failed to start); it cannot be started again.
    Stopped,
}

/// The short name the context's code uses.
pub(crate) use StreamingContextState as State;

/// What streams see of their context (Spark's `StreamingContext` fields).
pub(crate) struct StreamingEnv {
    pub(crate) sc: SparkContext,
    pub(crate) batch_duration: Duration,
    pub(crate) graph: Mutex<DStreamGraph>,
    pub(crate) state: Mutex<State>,
    /// The first error to report from the next call that returns a `Result` (a stream created
    /// after start, a failed batch).
    pub(crate) pending_error: Mutex<Option<Error>>,
    pub(crate) checkpoint_dir: Mutex<Option<PathBuf>>,
    pub(crate) next_stream_id: AtomicUsize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) manual: Option<Arc<ManualClock>>,
    /// The last batch time generated.
    pub(crate) last_batch: Mutex<Option<Time>>,
    /// The time before this context's first batch (Spark's `DStreamGraph.startTime`): a
    /// receiver stream gives earlier batches (recomputed after a recovery) no blocks.
    pub(crate) start_time: Mutex<Option<Time>>,
    /// The metadata checkpoint `get_or_create` recovered, applied at `start()`.
    pub(crate) recovered: Mutex<Option<Checkpoint>>,
    pub(crate) stop_signal: (Mutex<bool>, Condvar),
    pub(crate) timer: Mutex<Option<JoinHandle<()>>>,
    /// The thread inside `run_batches`, if any; `stop` from another thread waits on the
    /// condvar until the batch in progress completed.
    pub(crate) batch_thread: (Mutex<Option<std::thread::ThreadId>>, Condvar),
    /// What each input stream took in per batch (Spark's `JobScheduler.inputInfoTracker`).
    pub(crate) input_info_tracker: InputInfoTracker,
    /// Spark's `JobScheduler.listenerBus`: the streaming listeners' events and thread.
    pub(crate) listener_bus: StreamingListenerBus,
}

/// Sets a local property on the calling thread for the life of the guard, then restores the
/// value it had (nothing a batch sets on the caller's thread outlives the call).
struct LocalPropertyGuard<'a> {
    sc: &'a SparkContext,
    key: &'static str,
    previous: Option<String>,
}

impl<'a> LocalPropertyGuard<'a> {
    fn set(sc: &'a SparkContext, key: &'static str, value: &str) -> Self {
        let previous = sc.get_local_property(key);
        sc.set_local_property(key, Some(value));
        LocalPropertyGuard { sc, key, previous }
    }
}

impl Drop for LocalPropertyGuard<'_> {
    fn drop(&mut self) {
        self.sc
            .set_local_property(self.key, self.previous.as_deref());
    }
}

/// Marks the calling thread as the one running `run_batches`; clears the mark and wakes a
/// waiting `stop` on drop (also when a batch panics).
pub(crate) struct BatchThreadGuard<'a>(pub(crate) &'a StreamingEnv);

impl Drop for BatchThreadGuard<'_> {
    fn drop(&mut self) {
        *self.0.batch_thread.0.lock() = None;
        self.0.batch_thread.1.notify_all();
    }
}

impl StreamingEnv {
    pub(crate) fn new(
        sc: &SparkContext,
        batch: Duration,
        manual: Option<Arc<ManualClock>>,
    ) -> StreamingEnv {
        let clock: Arc<dyn Clock> = match &manual {
            Some(m) => m.clone(),
            None => Arc::new(SystemClock),
        };
        StreamingEnv {
            sc: sc.clone(),
            batch_duration: batch,
            graph: Mutex::new(DStreamGraph::default()),
            state: Mutex::new(State::Initialized),
            pending_error: Mutex::new(None),
            checkpoint_dir: Mutex::new(None),
            next_stream_id: AtomicUsize::new(0),
            clock,
            manual,
            last_batch: Mutex::new(None),
            start_time: Mutex::new(None),
            recovered: Mutex::new(None),
            stop_signal: (Mutex::new(false), Condvar::new()),
            timer: Mutex::new(None),
            batch_thread: (Mutex::new(None), Condvar::new()),
            input_info_tracker: InputInfoTracker::default(),
            listener_bus: StreamingListenerBus::default(),
        }
    }

    /// A stopped context owned by no `StreamingContext`, for the streams a DStream builds after
    /// its own context was dropped: they are refused (as after `stop`) and never run.
    pub(crate) fn orphan(sc: &SparkContext, batch: Duration) -> Arc<StreamingEnv> {
        let env = StreamingEnv::new(sc, batch, None);
        *env.state.lock() = State::Stopped;
        *env.stop_signal.0.lock() = true;
        Arc::new(env)
    }

    pub(crate) fn new_stream_id(&self) -> usize {
        self.next_stream_id.fetch_add(1, Ordering::SeqCst)
    }

    /// Spark refuses new streams once the context started (D5); the refusal surfaces from the
    /// next call that returns a `Result`.
    pub(crate) fn check_can_add_stream(&self) {
        let state = *self.state.lock();
        let doing = match state {
            State::Initialized => return,
            State::Active => "starting",
            State::Stopped => "stopping",
        };
        self.report(Error::IllegalState(format!(
            "Adding new inputs, transformations, and output operations after {doing} a context \
             is not supported"
        )));
    }

    /// Records an error for the next `Result`-returning call (the first one wins), and wakes
    /// `await_termination_or_timeout`.
    pub(crate) fn report(&self, e: Error) {
        {
            let mut pending = self.pending_error.lock();
            if pending.is_none() {
                *pending = Some(e);
            }
        }
        self.stop_signal.1.notify_all();
    }

    /// Whether the context has not started yet (streams and outputs may still be added).
    pub(crate) fn is_initialized_state(&self) -> bool {
        *self.state.lock() == State::Initialized
    }

    pub(crate) fn take_error(&self) -> Result<()> {
        match self.pending_error.lock().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Runs the batch at `time`: generate the jobs, run them in order, clear old metadata.
    ///
    /// No lock of the context is held while user code runs: the output streams are cloned out
    /// of the graph lock before they compute their RDDs (a transform closure may call back into
    /// the context), and the jobs run after that.
    pub(crate) fn run_batch(&self, time: Time) -> Result<()> {
        *self.last_batch.lock() = Some(time);
        let submitted = self.clock.time_ms();
        let _property = LocalPropertyGuard::set(&self.sc, CHECKPOINT_ALL_MARKED_ANCESTORS, "true");
        let outputs = self.graph.lock().outputs.clone();
        let jobs = crate::streaming::job_scheduler::generate_jobs(&outputs, time);
        let output_operations = jobs.as_ref().map_or(0, Vec::len);
        let mut job_set = jobs
            .as_ref()
            .ok()
            .map(|jobs| JobSet::submit(self, time, submitted, jobs));
        // Spark's DoCheckpoint after generating (the batch is pending) ...
        self.write_checkpoint(time, vec![time], false);
        let mut first_error = None;
        let mut processing_start = submitted;
        match (jobs, job_set.as_mut()) {
            (Ok(jobs), Some(set)) => {
                first_error = set.run(self, jobs);
                if let Some(t) = set.info.processing_start_time {
                    processing_start = t.milliseconds();
                }
            }
            (Err(e), _) => {
                first_error = Some(e);
            }
            (Ok(_), None) => {}
        }
        let unpersist = self.sc.conf().get_bool(UNPERSIST, true).unwrap_or(true);
        crate::streaming::graph::clear_metadata(&outputs, time, unpersist);
        // ... and after the batch completed and its metadata was cleared.
        self.write_checkpoint(time, Vec::new(), true);
        let ended = self.clock.time_ms();
        crate::streaming::batch_info::post_batch_completed(
            self,
            time,
            submitted,
            processing_start,
            ended,
            output_operations,
        );
        // Spark's `clearMetadata`: the input infos older than every input stream remembers.
        let max_remember = self
            .graph
            .lock()
            .inputs
            .iter()
            .map(|i| (*i.core().remember_duration.lock()).unwrap_or(self.batch_duration))
            .max()
            .unwrap_or(self.batch_duration);
        self.input_info_tracker.cleanup(time - max_remember);
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        *self.stop_signal.0.lock()
    }

    /// Spark's `DoCheckpoint`: records each stream's checkpointed RDDs and writes the metadata
    /// checkpoint (when a checkpoint folder is set). After a completed batch
    /// (`clear_old_files`), RDD checkpoint folders older than every stream still needs are
    /// deleted (Spark's `clearCheckpointData`). A failed write is reported, not fatal.
    pub(crate) fn write_checkpoint(&self, time: Time, pending: Vec<Time>, clear_old_files: bool) {
        let Some(dir) = self.checkpoint_dir.lock().clone() else {
            return;
        };
        let (zero_time, streams, inputs) = {
            let graph = self.graph.lock();
            (graph.zero_time, graph.all_streams(), graph.inputs.clone())
        };
        let mut checkpoint = Checkpoint {
            checkpoint_time: time,
            zero_time: zero_time.unwrap_or_default(),
            batch_duration: self.batch_duration,
            pending_times: pending,
            streams: stream_records(&streams),
            ..Checkpoint::default()
        };
        for stream in &streams {
            let core = stream.core();
            let current: Vec<(Time, std::path::PathBuf)> = core
                .generated
                .lock()
                .iter()
                .filter_map(|(t, g)| {
                    g.base
                        .core()
                        .checkpoint
                        .lock()
                        .checkpoint_file()
                        .map(|f| (*t, f))
                })
                .collect();
            let mut seen = core.checkpoint_files.lock();
            seen.extend(current.iter().cloned());
            if clear_old_files {
                if let Some(oldest) = current.first().map(|(t, _)| *t) {
                    let old: Vec<Time> = seen.range(..oldest).map(|(t, _)| *t).collect();
                    for t in old {
                        if let Some(path) = seen.remove(&t) {
                            let _ = std::fs::remove_dir_all(path);
                        }
                    }
                }
            }
            if !current.is_empty() {
                checkpoint.stream_files.insert(core.stream_id(), current);
            }
        }
        for input in &inputs {
            let keep_after =
                time - (*input.core().remember_duration.lock()).unwrap_or(self.batch_duration);
            if let Some(state) = input.checkpoint_state(keep_after) {
                checkpoint
                    .input_states
                    .insert(input.core().stream_id(), state);
            }
        }
        if let Err(e) = crate::streaming::checkpoint::write(&dir, &checkpoint) {
            log::warn!(
                target: crate::logging::CHECKPOINT_WRITER,
                "Could not write checkpoint for time {time}: {e}"
            );
            self.report(e);
        }
    }

    /// Spark's `restoreCheckpointData`: the recovered streams get their checkpointed RDDs back
    /// and the inputs their positions. Returns the batch to run next (the checkpoint's own).
    pub(crate) fn restore(&self, checkpoint: &Checkpoint) -> Result<Time> {
        let (streams, inputs) = {
            let graph = self.graph.lock();
            (graph.all_streams(), graph.inputs.clone())
        };
        let dir = self.checkpoint_dir.lock().clone().unwrap_or_default();
        crate::streaming::checkpoint::check_graph_matches(
            &dir,
            &checkpoint.streams,
            &stream_records(&streams),
        )?;
        for stream in &streams {
            let core = stream.core();
            let Some(files) = checkpoint.stream_files.get(&core.stream_id()) else {
                continue;
            };
            let Some(restorer) = core.restorer.get() else {
                continue;
            };
            for (t, path) in files {
                let g = restorer(path)?;
                core.generated.lock().insert(*t, g);
                core.checkpoint_files.lock().insert(*t, path.clone());
            }
        }
        for input in &inputs {
            if let Some(state) = checkpoint.input_states.get(&input.core().stream_id()) {
                input.restore_state(state)?;
            }
        }
        let first = checkpoint
            .pending_times
            .iter()
            .copied()
            .chain([checkpoint.checkpoint_time])
            .min();
        Ok(first.unwrap_or(checkpoint.checkpoint_time))
    }
}

/// What a metadata checkpoint records of each stream (id order).
fn stream_records(
    streams: &[Arc<dyn crate::streaming::dstream::DStreamBase>],
) -> Vec<crate::streaming::checkpoint::StreamRecord> {
    streams
        .iter()
        .map(|s| crate::streaming::checkpoint::StreamRecord {
            id: s.core().stream_id(),
            class_name: s.class_name().to_string(),
            element_type: s
                .core()
                .element_type
                .get()
                .copied()
                .unwrap_or("?")
                .to_string(),
        })
        .collect()
}
