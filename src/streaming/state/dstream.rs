//! The mapWithState streams (Spark's `InternalMapWithStateDStream` and
//! `MapWithStateDStreamImpl`), and the user's [`MapWithStateDStream`] handle.
//!
//! `InternalMapWithStateDStream` is a stream of state RDDs (one `MapWithStateRDDRecord` per
//! partition). It is persisted at MEMORY_ONLY, must checkpoint (by default every 10 batches),
//! and builds each batch's state RDD from the previous batch's, which it takes from its own
//! `get_or_compute(time - slide)`. `MapWithStateDStreamImpl` is the facade the user gets: its
//! only dependency is the internal stream, its RDDs are the records' mapped data, and
//! `checkpoint(interval)` on it sets the internal stream's interval.

use std::any::Any;
use std::hash::Hash;
use std::ops::Deref;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::partitioner::Partitioner;
use crate::rdd::Data;
use crate::storage::StorageLevel;
use crate::streaming::batch_info::LatestKeys;
use crate::streaming::dstream::handle::DStream;
use crate::streaming::dstream::{
    get_or_compute, is_time_valid, DStreamBase, DStreamCore, TypedDStream,
};
use crate::streaming::env::StreamingEnv;
use crate::streaming::state::rdd::{
    create_from_pair_rdd, create_from_stamped, MapWithStateRDDRecord, MapWithStateRdd,
};
use crate::streaming::state::redis_store::{
    Layout, RedisBatch, RedisServer, RedisSnapshotRdd, RedisVersionRdd,
};
use crate::streaming::state::spec::StateSpec;
use crate::streaming::time::{Duration, DurationMillis, Time};
use crate::Rdd;

/// Spark's `DEFAULT_CHECKPOINT_DURATION_MULTIPLIER`.
const DEFAULT_CHECKPOINT_DURATION_MULTIPLIER: u64 = 10;

type Record<K, S, E> = MapWithStateRDDRecord<K, S, E>;

/// Spark's `InternalMapWithStateDStream`.
pub(crate) struct InternalMapWithStateDStream<K: Data, V: Data, S: Data, E: Data> {
    core: DStreamCore,
    parent: Arc<dyn TypedDStream<(K, V)>>,
    spec: StateSpec<K, V, S, E>,
    partitioner: Partitioner,
    /// The key counts of the latest batch's state RDD.
    latest: LatestKeys,
    /// With the Redis store: the server and this stream's key names.
    redis: Option<(Arc<RedisServer>, Layout)>,
}

impl<K: Data + Hash + Eq, V: Data, S: Data, E: Data> InternalMapWithStateDStream<K, V, S, E> {
    fn new(
        ssc: &Arc<StreamingEnv>,
        parent: Arc<dyn TypedDStream<(K, V)>>,
        spec: StateSpec<K, V, S, E>,
    ) -> Self {
        let partitioner = spec
            .partitioner
            .clone()
            .unwrap_or_else(|| Partitioner::hash(ssc.sc.default_parallelism()));
        // Refused at `start()` (reported now): zero partitions would drop every record, and
        // an initial state of another context cannot be joined with this one's batches.
        if partitioner.num_partitions() == 0 {
            ssc.report(Error::InvalidArgument(
                "Number of partitions (0) of the StateSpec's partitioner must be positive".into(),
            ));
        }
        if let Some(initial) = &spec.initial_state {
            if !Arc::ptr_eq(initial.context().env(), ssc.sc.env()) {
                ssc.report(Error::InvalidArgument(format!(
                    "The initial state RDD {} of mapWithState belongs to another SparkContext \
                     than its StreamingContext; create it with the StreamingContext's \
                     SparkContext",
                    initial.id()
                )));
            }
        }
        let core = DStreamCore::new(ssc, true);
        *core.storage_level.lock() = StorageLevel::MEMORY_ONLY;
        let redis = spec.store.redis_server().map(|server| {
            let app = ssc.sc.conf().get(crate::conf::APP_NAME).unwrap_or_default();
            (server.clone(), Layout::new(&app, core.id))
        });
        InternalMapWithStateDStream {
            core,
            parent,
            spec,
            partitioner,
            latest: LatestKeys::default(),
            redis,
        }
    }
}

impl<K: Data + Hash + Eq, V: Data, S: Data, E: Data> DStreamBase
    for InternalMapWithStateDStream<K, V, S, E>
{
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
        "InternalMapWithStateDStream"
    }
    fn initial_checkpoint_duration(&self) -> Option<Duration> {
        Some(self.slide_duration() * DEFAULT_CHECKPOINT_DURATION_MULTIPLIER)
    }
    fn state_keys(&self, time: Time) -> Option<u64> {
        self.latest.at(time)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<K: Data + Hash + Eq, V: Data, S: Data, E: Data> TypedDStream<Record<K, S, E>>
    for InternalMapWithStateDStream<K, V, S, E>
{
    /// Spark's `InternalMapWithStateDStream.compute` (I3).
    fn compute(&self, time: Time) -> Result<Option<Rdd<Record<K, S, E>>>> {
        let sc = &self.core.sc;
        let p = &self.partitioner;
        let prev_time = time - self.slide_duration();
        let previous = match &self.redis {
            Some((server, layout)) => self.previous_in_redis(prev_time, server, layout)?,
            None => get_or_compute(self, prev_time)?,
        };
        let prev: Rdd<Record<K, S, E>> = match previous {
            Some(rdd) if rdd.partitioner().as_ref() == Some(p) => rdd,
            Some(rdd) => {
                // Another partitioner (e.g. a recovered RDD whose `_partitioner` was lost):
                // repartition, keeping each entry's update time.
                let triples = rdd.flat_map(|record: Record<K, S, E>| {
                    record
                        .state_map
                        .get_all()
                        .into_iter()
                        .map(|(k, s, t)| (k, (s, t)))
                        .collect::<Vec<_>>()
                });
                Rdd::from_arc(Arc::new(create_from_stamped::<K, V, S, E>(
                    &triples, p, time,
                )?))
            }
            None => {
                if let Some((server, layout)) = &self.redis {
                    // A stream that starts from its initial state: no earlier run's keys.
                    server.clear(layout)?;
                }
                let initial = self
                    .spec
                    .initial_state
                    .clone()
                    .unwrap_or_else(|| sc.empty_rdd());
                Rdd::from_arc(Arc::new(create_from_pair_rdd::<K, V, S, E>(
                    &initial, p, time,
                )?))
            }
        };
        let data = get_or_compute(&*self.parent, time)?.unwrap_or_else(|| sc.empty_rdd());
        let partitioned = data.partition_by(p.clone());
        let threshold = self.spec.timeout.map(|d| (time - d).milliseconds());
        let mut rdd = MapWithStateRdd::new(
            prev,
            partitioned,
            self.spec.function.clone(),
            time,
            threshold,
        )?;
        if let Some((server, layout)) = &self.redis {
            // Versions older than every remembered batch's previous one are never read again.
            let remember = (*self.core.remember_duration.lock()).unwrap_or(self.slide_duration());
            rdd = rdd.with_redis(RedisBatch {
                server: server.clone(),
                layout: layout.clone(),
                prev: prev_time.milliseconds(),
                horizon: time
                    .milliseconds()
                    .checked_sub(remember.milliseconds() + self.slide_duration().milliseconds()),
                track_times: self.spec.timeout.is_some(),
            });
        }
        self.latest
            .set(time, rdd.key_counts(), crate::rdd::num_partitions(&rdd));
        Ok(Some(Rdd::from_arc(Arc::new(rdd))))
    }
}

impl<K: Data + Hash + Eq, V: Data, S: Data, E: Data> InternalMapWithStateDStream<K, V, S, E> {
    /// The previous batch's state RDD with the Redis store: the generated one, else — after a
    /// driver restart — the version on the server when every partition of it is complete,
    /// else computed as usual (which recomputes it through the lineage).
    fn previous_in_redis(
        &self,
        prev_time: Time,
        server: &RedisServer,
        layout: &Layout,
    ) -> Result<Option<Rdd<Record<K, S, E>>>> {
        let generated = self
            .core
            .generated
            .lock()
            .get(&prev_time)
            .and_then(|g| g.typed.downcast_ref::<Rdd<Record<K, S, E>>>().cloned());
        if let Some(rdd) = generated {
            if rdd.partitioner().as_ref() == Some(&self.partitioner) {
                return Ok(Some(rdd));
            }
        }
        if is_time_valid(self, prev_time)? {
            let n = self.partitioner.num_partitions();
            if let Some(counts) = server.complete_version(layout, prev_time.milliseconds(), n)? {
                return Ok(Some(Rdd::from_arc(Arc::new(
                    RedisVersionRdd::<K, S, E>::new(
                        &self.core.sc,
                        self.partitioner.clone(),
                        prev_time.milliseconds(),
                        counts,
                    ),
                ))));
            }
        }
        get_or_compute(self, prev_time)
    }
}

/// Spark's `MapWithStateDStreamImpl`: the mapped outputs of the internal stream's records.
pub(crate) struct MapWithStateDStreamImpl<K: Data, S: Data, E: Data> {
    core: DStreamCore,
    internal: Arc<dyn TypedDStream<Record<K, S, E>>>,
}

impl<K: Data + Hash + Eq, S: Data, E: Data> DStreamBase for MapWithStateDStreamImpl<K, S, E> {
    fn core(&self) -> &DStreamCore {
        &self.core
    }
    fn slide_duration(&self) -> Duration {
        self.internal.slide_duration()
    }
    fn dependencies(&self) -> Vec<Arc<dyn DStreamBase>> {
        vec![self.internal.clone()]
    }
    fn class_name(&self) -> &'static str {
        "MapWithStateDStreamImpl"
    }
    fn checkpoint_target(&self) -> Option<Arc<dyn DStreamBase>> {
        Some(self.internal.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<K: Data + Hash + Eq, S: Data, E: Data> TypedDStream<E> for MapWithStateDStreamImpl<K, S, E> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<E>>> {
        Ok(get_or_compute(&*self.internal, time)?
            .map(|rdd| rdd.flat_map(|record: Record<K, S, E>| record.mapped_data)))
    }
}

/// The stream `map_with_state` returns: the mapped outputs (every `DStream<E>` method works on
/// it through `Deref`), plus [`MapWithStateDStream::state_snapshots`].
pub struct MapWithStateDStream<K: Data + Hash + Eq, V: Data, S: Data, E: Data> {
    mapped: DStream<E>,
    internal: DStream<Record<K, S, E>>,
    redis: Option<(Arc<RedisServer>, Layout)>,
    _v: std::marker::PhantomData<fn() -> V>,
}

impl<K: Data + Hash + Eq, V: Data, S: Data, E: Data> Clone for MapWithStateDStream<K, V, S, E> {
    fn clone(&self) -> Self {
        MapWithStateDStream {
            mapped: self.mapped.clone(),
            internal: self.internal.clone(),
            redis: self.redis.clone(),
            _v: std::marker::PhantomData,
        }
    }
}

impl<K: Data + Hash + Eq, V: Data, S: Data, E: Data> MapWithStateDStream<K, V, S, E> {
    pub(crate) fn new(parent: &DStream<(K, V)>, spec: StateSpec<K, V, S, E>) -> Self {
        let ssc = parent.ssc();
        let internal = InternalMapWithStateDStream::new(&ssc, parent.stream.clone(), spec);
        let redis = internal.redis.clone();
        let internal: Arc<dyn TypedDStream<Record<K, S, E>>> = Arc::new(internal);
        let facade = MapWithStateDStreamImpl {
            core: DStreamCore::new(&ssc, false),
            internal: internal.clone(),
        };
        MapWithStateDStream {
            mapped: DStream::from_arc(Arc::new(facade)),
            internal: DStream::from_arc(internal),
            redis,
            _v: std::marker::PhantomData,
        }
    }

    /// Every live `(key, state)` after each batch: touched and untouched keys, minus removed
    /// and timed-out ones.
    pub fn state_snapshots(&self) -> DStream<(K, S)> {
        if let Some((server, layout)) = &self.redis {
            // Version t of each partition, streamed from the server with HSCAN.
            let (server, layout) = (server.clone(), layout.clone());
            return self.internal.transform(move |rdd, _| {
                Rdd::from_arc(Arc::new(RedisSnapshotRdd::new(
                    rdd,
                    server.clone(),
                    layout.clone(),
                )))
            });
        }
        self.internal.flat_map(|record: Record<K, S, E>| {
            record
                .state_map
                .get_all()
                .into_iter()
                .map(|(k, s, _)| (k, s))
                .collect::<Vec<_>>()
        })
    }

    /// The internal state stream's checkpoint interval (10 × batch unless set, from `start()`).
    pub fn state_checkpoint_interval(&self) -> Option<Duration> {
        self.internal.checkpoint_interval()
    }

    /// The internal state stream's storage level.
    pub fn state_storage_level(&self) -> StorageLevel {
        self.internal.storage_level()
    }
}

impl<K: Data + Hash + Eq, V: Data, S: Data, E: Data> Deref for MapWithStateDStream<K, V, S, E> {
    type Target = DStream<E>;
    fn deref(&self) -> &DStream<E> {
        &self.mapped
    }
}

impl<K: Data + Hash + Eq, V: Data> DStream<(K, V)> {
    /// Spark's `mapWithState`: per-key state updated only for the keys in each batch.
    pub fn map_with_state<S: Data, E: Data>(
        &self,
        spec: StateSpec<K, V, S, E>,
    ) -> MapWithStateDStream<K, V, S, E> {
        MapWithStateDStream::new(self, spec)
    }
}
