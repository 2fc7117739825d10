//! The DStream graph (Spark's `DStreamGraph`): the input and output streams of a context, and
//! the walks over them at start, at each batch, and after each batch.
//!
//! **The graph lock is never held while user code runs**: the per-batch walks
//! (`job_scheduler::generate_jobs`, [`clear_metadata`]) take a copy of the output list out of
//! the lock.

use std::sync::Arc;

use crate::error::Result;
use crate::streaming::dstream::{self, DStreamBase};
use crate::streaming::time::{Duration, Time};

/// A job of a batch: runs an output operation on the batch's RDD.
pub(crate) type StreamingJob = Box<dyn FnOnce() -> Result<()> + Send>;

/// An output stream (Spark's `ForEachDStream`): makes the job of a batch.
pub(crate) trait OutputDStream: DStreamBase {
    /// Spark's `generateJob`: computes the parent's RDD for `time` now, and returns the job
    /// that applies the output function to it (None when the parent has no RDD).
    fn generate_job(&self, time: Time) -> Result<Option<StreamingJob>>;
    fn as_base(self: Arc<Self>) -> Arc<dyn DStreamBase>;
}

/// An input stream (Spark's `InputDStream`): a source with no parents, possibly a receiver.
pub(crate) trait InputDStream: DStreamBase {
    /// Starts the receiver, if any.
    fn start(&self) -> Result<()> {
        Ok(())
    }
    /// Stops the receiver, if any, and forgets what no batch took.
    fn stop(&self) {}
    /// Stops the receiver, if any, keeping what it received for the next batches (the first
    /// step of a graceful stop).
    fn stop_receiving(&self) {}
    /// Whether a receiver holds data no batch has taken yet.
    fn has_unallocated_data(&self) -> bool {
        false
    }
    /// Spark warns for sources that cannot be recovered from a checkpoint.
    fn supports_checkpointing(&self) -> bool {
        true
    }
    /// What the source must remember across a driver restart (batches at or after
    /// `keep_after` may be recomputed), as bytes for the metadata checkpoint.
    fn checkpoint_state(&self, keep_after: Time) -> Option<Vec<u8>> {
        let _ = keep_after;
        None
    }
    /// Restores what [`InputDStream::checkpoint_state`] saved.
    fn restore_state(&self, bytes: &[u8]) -> Result<()> {
        let _ = bytes;
        Ok(())
    }
}

/// Spark's `DStreamGraph`.
#[derive(Default)]
pub(crate) struct DStreamGraph {
    pub(crate) inputs: Vec<Arc<dyn InputDStream>>,
    pub(crate) outputs: Vec<Arc<dyn OutputDStream>>,
    pub(crate) zero_time: Option<Time>,
    pub(crate) remember_duration: Option<Duration>,
}

impl DStreamGraph {
    fn output_bases(&self) -> Vec<Arc<dyn DStreamBase>> {
        self.outputs.iter().map(|o| o.clone().as_base()).collect()
    }

    /// Spark's `DStreamGraph.start`: initialize, remember, validate (D1).
    pub(crate) fn start(&mut self, zero: Time, has_checkpoint_dir: bool) -> Result<()> {
        self.zero_time = Some(zero);
        let outputs = self.output_bases();
        for o in &outputs {
            dstream::initialize(&**o, zero)?;
        }
        for o in &outputs {
            dstream::remember(&**o, self.remember_duration);
        }
        for o in &outputs {
            dstream::validate_at_start(&**o, has_checkpoint_dir)?;
        }
        Ok(())
    }

    /// Every stream of the graph, each once, from the outputs down.
    pub(crate) fn all_streams(&self) -> Vec<Arc<dyn DStreamBase>> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut stack = self.output_bases();
        while let Some(s) = stack.pop() {
            if seen.insert(s.core().stream_id()) {
                stack.extend(s.dependencies());
                out.push(s);
            }
        }
        out.sort_by_key(|s| s.core().stream_id());
        out
    }
}

/// Spark's `DStreamGraph.clearMetadata`, over a copy of the outputs (as `job_scheduler::generate_jobs`).
pub(crate) fn clear_metadata(outputs: &[Arc<dyn OutputDStream>], time: Time, unpersist: bool) {
    for o in outputs {
        dstream::clear_metadata(&*o.clone().as_base(), time, unpersist);
    }
}
