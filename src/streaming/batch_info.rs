//! What listeners are told after each streaming batch (sparklet's own
//! `SparkListenerEvent::StreamingBatchCompleted`; Spark's streaming UI gets the same facts from
//! its `StreamingListener` bus, which its event log does not record).
//!
//! The batch's times come from the streaming clock (manual or wall). Its records are what the
//! input streams reported to the context's `InputInfoTracker` while the batch was generated
//! (Spark's `BatchInfo.numRecords` and `streamIdToInputInfo`). The size of each stateful
//! stream's state (mapWithState and updateStateByKey) is read from what the batch's state RDD
//! already computed: its partitions record their key counts as they are computed
//! ([`KeyCounts`]), so no job runs to learn them; a size is reported only when every partition
//! was computed (exact or absent). A batch "checkpoints" when one of its streams marked its
//! RDD for checkpointing at that time.
//!
//! Layering: uses the DStream graph and the listener bus; never runs a job.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::rdd::PartIter;
use crate::scheduler::listener::{SparkListenerEvent, StreamingInputInfo, StreamingStateInfo};
use crate::streaming::env::StreamingEnv;
use crate::streaming::time::Time;

/// Live keys per computed partition of one state RDD.
pub(crate) type KeyCounts = Arc<Mutex<BTreeMap<usize, u64>>>;

/// A stateful stream's key counts of its latest batch: the batch time, the counts, and the
/// number of partitions of that batch's state RDD.
#[derive(Default)]
pub(crate) struct LatestKeys(Mutex<Option<(Time, KeyCounts, usize)>>);

impl LatestKeys {
    /// Records `counts` as those of the state RDD of `time`, which has `partitions` partitions.
    pub(crate) fn set(&self, time: Time, counts: KeyCounts, partitions: usize) {
        *self.0.lock() = Some((time, counts, partitions));
    }

    /// The keys of the state at `time`: exact, so only once the batch computed every
    /// partition of its state RDD (an output that reads a few partitions, as `print`'s
    /// `take`, leaves the size unknown rather than partial).
    pub(crate) fn at(&self, time: Time) -> Option<u64> {
        let latest = self.0.lock();
        let (t, counts, partitions) = latest.as_ref()?;
        if *t != time {
            return None;
        }
        let counts = counts.lock();
        let complete = *partitions > 0 && (0..*partitions).all(|p| counts.contains_key(&p));
        complete.then(|| counts.values().sum())
    }
}

/// Counts what a partition's iterator yields into `counts[split]` once it is exhausted.
pub(crate) fn counting<T: 'static>(
    inner: PartIter<T>,
    split: usize,
    counts: KeyCounts,
) -> PartIter<T> {
    struct Counting<T> {
        inner: PartIter<T>,
        split: usize,
        counts: KeyCounts,
        seen: u64,
    }
    impl<T> Iterator for Counting<T> {
        type Item = T;
        fn next(&mut self) -> Option<T> {
            let next = self.inner.next();
            match next {
                Some(_) => self.seen += 1,
                None => {
                    self.counts.lock().insert(self.split, self.seen);
                }
            }
            next
        }
    }
    crate::rdd::part_iter(Counting {
        inner,
        split,
        counts,
        seen: 0,
    })
}

/// Posts the batch's `StreamingBatchCompleted`.
pub(crate) fn post_batch_completed(
    env: &StreamingEnv,
    time: Time,
    submission_time: u64,
    processing_start_time: u64,
    processing_end_time: u64,
    output_operations: usize,
) {
    let (streams, input_names) = {
        let graph = env.graph.lock();
        let names: BTreeMap<usize, &'static str> = graph
            .inputs
            .iter()
            .map(|i| (i.core().id, i.class_name()))
            .collect();
        (graph.all_streams(), names)
    };
    let infos = env.input_info_tracker.get_info(time);
    let num_records = env.input_info_tracker.num_records(time);
    let inputs = infos
        .iter()
        .map(|i| StreamingInputInfo {
            stream_id: i.input_stream_id,
            stream: input_names
                .get(&i.input_stream_id)
                .copied()
                .unwrap_or("InputDStream")
                .to_string(),
            num_records: i.num_records,
        })
        .collect();
    let mut state = Vec::new();
    let mut checkpoint = false;
    for s in &streams {
        let core = s.core();
        if let Some(keys) = s.state_keys(time) {
            state.push(StreamingStateInfo {
                stream_id: core.id,
                stream: s.class_name().to_string(),
                keys,
            });
        }
        let zero = *core.zero_time.lock();
        let interval = *core.checkpoint_duration.lock();
        if let (Some(zero), Some(interval)) = (zero, interval) {
            checkpoint |= core.generated.lock().contains_key(&time)
                && time.is_multiple_of_since(zero, interval);
        }
    }
    env.sc
        .env()
        .bus
        .post(SparkListenerEvent::StreamingBatchCompleted {
            batch_time: time.milliseconds(),
            submission_time,
            processing_start_time,
            processing_end_time,
            num_records,
            inputs,
            checkpoint,
            output_operations,
            state,
        });
}
