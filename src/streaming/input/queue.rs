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
use crate::streaming::dstream::{DStreamBase, DStreamCore, TypedDStream};
use crate::streaming::env::StreamingEnv;
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
        // A position past the queue is a corrupt checkpoint, or one written by a program with
        // another queue: refuse it here rather than panic on it in a batch.
        let len = self.queued.len();
        let past =
            |start: usize, count: usize| start.checked_add(count).is_none_or(|end| end > len);
        if next > len || kept.iter().any(|(_, (start, count))| past(*start, *count)) {
            return Err(Error::IllegalState(format!(
                "The checkpoint does not match queue stream {}: it records queued batches up to \
                 {} but the queue holds {len} (a corrupt checkpoint, or one written by another \
                 program)",
                self.core.id,
                kept.iter()
                    .map(|(_, (s, c))| s.saturating_add(*c))
                    .chain([next])
                    .max()
                    .unwrap_or(next)
            )));
        }
        *self.progress.lock() = (next, kept.into_iter().collect());
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
        let taken: Vec<Rdd<T>> = start
            .checked_add(count)
            .and_then(|end| self.queued.get(start..end))
            .ok_or_else(|| {
                Error::IllegalState(format!(
                    "queue stream {} has no queued batches {start}..{start}+{count}",
                    self.core.id
                ))
            })?
            .to_vec();
        let sc = &self.core.sc;
        Ok(Some(match taken.len() {
            0 => sc.empty_rdd(),
            1 if self.one_at_a_time => taken.into_iter().next().expect("one RDD"),
            _ => crate::rdd::handle::union_all(sc, taken),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streaming::StreamingContext;
    use crate::{SparkConf, SparkContext};

    /// Issue 16, defect 5: a metadata checkpoint whose queue position points past the queue
    /// used to panic out of `run_batches` (`range start index 1000 out of range`).
    #[test]
    fn a_queue_position_past_the_queue_is_a_clear_error() {
        let sc = SparkContext::new(SparkConf::new().set_master("local[1]")).unwrap();
        let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
        let q = QueueInputDStream::new(&ssc.env, vec![vec![1i64], vec![2], vec![3]], true);
        let bad = serializer::serialize(&(1000usize, vec![(Time::new(1000), (1000usize, 1usize))]))
            .unwrap();
        match q.restore_state(&bad) {
            Err(Error::IllegalState(m)) => {
                assert!(m.contains("does not match queue stream"), "{m}");
                assert!(m.contains("the queue holds 3"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        let overflow =
            serializer::serialize(&(0usize, vec![(Time::new(1000), (1usize, usize::MAX))]))
                .unwrap();
        assert!(q.restore_state(&overflow).is_err());
        // A good position is kept, and the batch takes what it recorded.
        let good =
            serializer::serialize(&(2usize, vec![(Time::new(1000), (1usize, 1usize))])).unwrap();
        q.restore_state(&good).unwrap();
        *q.core.zero_time.lock() = Some(Time::new(0));
        let rdd = q.compute(Time::new(1000)).unwrap().unwrap();
        assert_eq!(rdd.collect().unwrap(), vec![2]);
    }
}
