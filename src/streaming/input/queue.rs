//! `QueueInputDStream` (Spark's `queueStream`): a queue of RDDs, one (or all) per batch, and an
//! empty RDD once the queue is drained.
//!
//! Unlike Spark's (which logs "queueStream doesn't support checkpointing" and cannot be
//! recovered), this queue remembers which queued batches each batch time took, and that record
//! is part of the streaming metadata checkpoint: after `get_or_create` rebuilds the same queue,
//! a re-run or recomputed batch time takes the same queued batches again.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::rdd::Data;
use crate::serializer;
use crate::streaming::context::StreamingEnv;
use crate::streaming::dstream::{DStreamBase, DStreamCore, TypedDStream};
use crate::streaming::graph::InputDStream;
use crate::streaming::time::{Duration, Time};
use crate::Rdd;

/// Which queued batches each batch time took: `time -> (first index, count)`.
type Assignments = BTreeMap<Time, (usize, usize)>;

pub(crate) struct QueueInputDStream<T: Data> {
    core: DStreamCore,
    queued: Vec<Rdd<T>>,
    progress: Mutex<(usize, Assignments)>,
    one_at_a_time: bool,
    slide: Duration,
}

impl<T: Data> QueueInputDStream<T> {
    pub(crate) fn new(ssc: &Arc<StreamingEnv>, batches: Vec<Vec<T>>, one_at_a_time: bool) -> Self {
        let slices = ssc.sc.default_parallelism().max(1);
        let queued = batches
            .into_iter()
            .map(|b| ssc.sc.parallelize(b, slices))
            .collect();
        QueueInputDStream {
            core: DStreamCore::new(ssc, false),
            queued,
            progress: Mutex::new((0, BTreeMap::new())),
            one_at_a_time,
            slide: ssc.batch_duration,
        }
    }
}

impl<T: Data> DStreamBase for QueueInputDStream<T> {
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
        "QueueInputDStream"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<T: Data> InputDStream for QueueInputDStream<T> {
    fn checkpoint_state(&self, keep_after: Time) -> Option<Vec<u8>> {
        let (next, assigned) = &*self.progress.lock();
        let kept: Vec<(Time, (usize, usize))> = assigned
            .range(keep_after..)
            .map(|(t, a)| (*t, *a))
            .collect();
        serializer::serialize(&(*next, kept)).ok()
    }

    fn restore_state(&self, bytes: &[u8]) -> Result<()> {
        let (next, kept): (usize, Vec<(Time, (usize, usize))>) =
            serializer::deserialize_bounded(bytes).map_err(|e| {
                Error::IllegalState(format!("cannot restore queue stream position: {e}"))
            })?;
        *self.progress.lock() = (next.min(self.queued.len()), kept.into_iter().collect());
        Ok(())
    }
}

impl<T: Data> TypedDStream<T> for QueueInputDStream<T> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        let (start, count) = {
            let (next, assigned) = &mut *self.progress.lock();
            match assigned.get(&time) {
                Some(a) => *a,
                None => {
                    let left = self.queued.len() - *next;
                    let count = if self.one_at_a_time {
                        left.min(1)
                    } else {
                        left
                    };
                    let a = (*next, count);
                    *next += count;
                    assigned.insert(time, a);
                    a
                }
            }
        };
        let taken: Vec<Rdd<T>> = self.queued[start..start + count].to_vec();
        let sc = &self.core.sc;
        Ok(Some(match taken.len() {
            0 => sc.empty_rdd(),
            1 if self.one_at_a_time => taken.into_iter().next().expect("one RDD"),
            _ => crate::rdd::handle::union_all(sc, taken),
        }))
    }
}
