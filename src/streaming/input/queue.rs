//! `QueueInputDStream` (Spark's `queueStream`): a queue of RDDs, one (or all) per batch, and an
//! empty RDD once the queue is drained.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::Result;
use crate::rdd::Data;
use crate::streaming::context::StreamingEnv;
use crate::streaming::dstream::{DStreamBase, DStreamCore, TypedDStream};
use crate::streaming::graph::InputDStream;
use crate::streaming::time::{Duration, Time};
use crate::Rdd;

pub(crate) struct QueueInputDStream<T: Data> {
    core: DStreamCore,
    queue: Mutex<VecDeque<Rdd<T>>>,
    one_at_a_time: bool,
    slide: Duration,
}

impl<T: Data> QueueInputDStream<T> {
    pub(crate) fn new(ssc: &Arc<StreamingEnv>, batches: Vec<Vec<T>>, one_at_a_time: bool) -> Self {
        let slices = ssc.sc.default_parallelism().max(1);
        let queue = batches
            .into_iter()
            .map(|b| ssc.sc.parallelize(b, slices))
            .collect();
        QueueInputDStream {
            core: DStreamCore::new(ssc, false),
            queue: Mutex::new(queue),
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
    fn supports_checkpointing(&self) -> bool {
        false
    }
}

impl<T: Data> TypedDStream<T> for QueueInputDStream<T> {
    fn compute(&self, _time: Time) -> Result<Option<Rdd<T>>> {
        let taken: Vec<Rdd<T>> = {
            let mut q = self.queue.lock();
            if self.one_at_a_time {
                q.pop_front().into_iter().collect()
            } else {
                q.drain(..).collect()
            }
        };
        let sc = &self.core.sc;
        Ok(Some(match taken.len() {
            0 => sc.empty_rdd(),
            1 if self.one_at_a_time => taken.into_iter().next().expect("one RDD"),
            _ => crate::rdd::handle::union_all(sc, taken),
        }))
    }
}
