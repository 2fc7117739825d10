//! `StateDStream` (Spark's `updateStateByKey`): each batch cogroups the batch's data with the
//! whole previous state, so the update function visits every key every batch.
//!
//! Spark's decision table (U5), for the batch at `t`:
//!
//! | previous state (t - slide) | data at t | initial RDD | state at t |
//! | --- | --- | --- | --- |
//! | some | some | - | cogroup(data, previous); f(key, values, previous state) |
//! | some | none | - | f(key, [], previous state) for every previous key |
//! | none | some | none | groupByKey(data); f(key, values, None) |
//! | none | some | some | cogroup(data, initial); as the first row |
//! | none | none | - | no RDD for this batch |
//!
//! The stream persists at MEMORY_ONLY_SER and must checkpoint (default interval: the smallest
//! multiple of the slide that is at least 10 s).

use std::any::Any;
use std::hash::Hash;
use std::sync::Arc;

use crate::error::Result;
use crate::partitioner::Partitioner;
use crate::rdd::{part_iter, BoxIter, Data, PartIter};
use crate::storage::StorageLevel;
use crate::streaming::batch_info::{counting, KeyCounts, LatestKeys};
use crate::streaming::dstream::handle::DStream;
use crate::streaming::dstream::{get_or_compute, DStreamBase, DStreamCore, TypedDStream};
use crate::streaming::env::StreamingEnv;
use crate::streaming::time::{Duration, Time};
use crate::Rdd;

/// Spark's iterator-form update function: `(key, new values, previous state)` → new pairs.
pub(crate) type UpdateFn<K, V, S> =
    dyn Fn(Box<dyn Iterator<Item = (K, Vec<V>, Option<S>)>>) -> BoxIter<(K, S)> + Send + Sync;

pub(crate) struct StateDStream<K: Data, V: Data, S: Data> {
    core: DStreamCore,
    parent: Arc<dyn TypedDStream<(K, V)>>,
    update: Arc<UpdateFn<K, V, S>>,
    partitioner: Partitioner,
    remember_partitioner: bool,
    initial: Option<Rdd<(K, S)>>,
    /// The key counts of the latest batch's state RDD.
    latest: LatestKeys,
}

impl<K: Data + Hash + Eq, V: Data, S: Data> StateDStream<K, V, S> {
    pub(crate) fn new(
        ssc: &Arc<StreamingEnv>,
        parent: Arc<dyn TypedDStream<(K, V)>>,
        update: Arc<UpdateFn<K, V, S>>,
        partitioner: Partitioner,
        remember_partitioner: bool,
        initial: Option<Rdd<(K, S)>>,
    ) -> Self {
        let core = DStreamCore::new(ssc, true);
        *core.storage_level.lock() = StorageLevel::MEMORY_ONLY_SER;
        StateDStream {
            core,
            parent,
            update,
            partitioner,
            remember_partitioner,
            initial,
            latest: LatestKeys::default(),
        }
    }

    /// Spark's `computeUsingPreviousRDD`.
    fn compute_using_previous(
        &self,
        data: &Rdd<(K, V)>,
        prev: &Rdd<(K, S)>,
        counts: KeyCounts,
    ) -> Rdd<(K, S)> {
        let update = self.update.clone();
        data.cogroup_with(prev, self.partitioner.clone())
            .map_partitions_named(
                "updateStateByKey",
                self.remember_partitioner,
                Arc::new(move |split, it: PartIter<(K, (Vec<V>, Vec<S>))>| {
                    let out = part_iter(update(Box::new(
                        it.map(|(k, (vs, ss))| (k, vs, ss.into_iter().next())),
                    )));
                    counting(out, split, counts.clone())
                }),
            )
    }
}

impl<K: Data + Hash + Eq, V: Data, S: Data> DStreamBase for StateDStream<K, V, S> {
    fn core(&self) -> &DStreamCore {
        &self.core
    }
    fn slide_duration(&self) -> Duration {
        self.parent.slide_duration()
    }
    fn dependencies(&self) -> Vec<Arc<dyn DStreamBase>> {
        vec![self.parent.clone()]
    }
    fn class_name(&self) -> &'static str {
        "StateDStream"
    }
    fn state_keys(&self, time: Time) -> Option<u64> {
        self.latest.at(time)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<K: Data + Hash + Eq, V: Data, S: Data> TypedDStream<(K, S)> for StateDStream<K, V, S> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<(K, S)>>> {
        let prev = get_or_compute(self, time - self.slide_duration())?;
        let data = get_or_compute(&*self.parent, time)?;
        let counts = KeyCounts::default();
        let state = match (prev, data) {
            (Some(prev), Some(data)) => {
                Some(self.compute_using_previous(&data, &prev, counts.clone()))
            }
            (Some(prev), None) => {
                let update = self.update.clone();
                let counts = counts.clone();
                Some(prev.map_partitions_named(
                    "updateStateByKey",
                    self.remember_partitioner,
                    Arc::new(move |split, it: PartIter<(K, S)>| {
                        let out =
                            part_iter(update(Box::new(it.map(|(k, s)| (k, Vec::new(), Some(s))))));
                        counting(out, split, counts.clone())
                    }),
                ))
            }
            (None, Some(data)) => match &self.initial {
                Some(initial) => Some(self.compute_using_previous(&data, initial, counts.clone())),
                None => {
                    let update = self.update.clone();
                    let counts = counts.clone();
                    let grouped = data.group_by_key_with(self.partitioner.clone());
                    Some(grouped.map_partitions_named(
                        "updateStateByKey",
                        self.remember_partitioner,
                        Arc::new(move |split, it: PartIter<(K, Vec<V>)>| {
                            let out = part_iter(update(Box::new(it.map(|(k, vs)| (k, vs, None)))));
                            counting(out, split, counts.clone())
                        }),
                    ))
                }
            },
            (None, None) => None,
        };
        let partitions = state.as_ref().map_or(0, Rdd::num_partitions);
        self.latest.set(time, counts, partitions);
        Ok(state)
    }
}

impl<K: Data + Hash + Eq, V: Data> DStream<(K, V)> {
    /// Spark's `updateStateByKey(func)`: state per key, updated every batch for every key
    /// (`None` removes the key), hash-partitioned over `sc.default_parallelism()`.
    pub fn update_state_by_key<S: Data>(
        &self,
        f: impl Fn(&[V], Option<S>) -> Option<S> + Send + Sync + 'static,
    ) -> DStream<(K, S)> {
        let p = self.default_partitioner();
        self.update_state_by_key_with(f, p, None)
    }

    /// `updateStateByKey(func, partitioner, initialRDD)`.
    pub fn update_state_by_key_with<S: Data>(
        &self,
        f: impl Fn(&[V], Option<S>) -> Option<S> + Send + Sync + 'static,
        p: Partitioner,
        initial: Option<Rdd<(K, S)>>,
    ) -> DStream<(K, S)> {
        let f = Arc::new(f);
        // Spark adapts the simple function to the iterator form with a flatMap, remembering
        // the partitioner.
        let update: Arc<UpdateFn<K, V, S>> = Arc::new(move |it| {
            let f = f.clone();
            Box::new(it.filter_map(move |(k, vs, s)| f(&vs, s).map(|s| (k, s))))
        });
        let ssc = self.ssc();
        DStream::from_arc(Arc::new(StateDStream::new(
            &ssc,
            self.stream.clone(),
            update,
            p,
            true,
            initial,
        )))
    }
}
