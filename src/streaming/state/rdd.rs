//! `MapWithStateRDD` and `MapWithStateRDDRecord` (Spark's `streaming.rdd.MapWithStateRDD`): one
//! record per partition holding the partition's state map and the batch's mapped output.
//!
//! Partition i of the RDD of batch `t` reads the single record of the previous state RDD's
//! partition i and the batch's data partitioned the same way, and builds a new record:
//!
//! 1. the new map is a copy-on-write child of the previous one (the previous map never changes);
//! 2. each `(key, value)` of the batch, in iterator order, re-wraps one reused `State` with the
//!    key's current state and calls the mapping function; then a removed state deletes the key,
//!    an updated state — or any existing state when a timeout is set — is put with time `t`,
//!    anything else leaves the key as it was (old value, old time); the function's output, if
//!    any, is appended to the mapped data;
//! 3. only when the RDD is checkpointed (`do_full_scan`) and a timeout is set, every entry last
//!    touched strictly before `t - timeout` is timed out: the function is called once with no
//!    value and a timing-out state, its output appended, and the key removed.

use std::any::Any;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::partitioner::Partitioner;
use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::{iterator, BoxIter, ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::TaskContext;
use crate::streaming::state::spec::MappingFunction;
use crate::streaming::state::state_impl::State;
use crate::streaming::state::state_map::{
    StateMap, DELTA_CHAIN_LENGTH_THRESHOLD, DELTA_CHAIN_THRESHOLD_KEY,
};
use crate::streaming::time::Time;
use crate::{Rdd, SparkContext};

/// Spark's `MapWithStateRDDRecord`: a partition's state map and the batch's mapped output.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "K: serde::Serialize + Eq + Hash + Clone, S: serde::Serialize + Clone, E: serde::Serialize",
    deserialize = "K: serde::de::DeserializeOwned + Eq + Hash + Clone, S: serde::de::DeserializeOwned + Clone, E: serde::de::DeserializeOwned"
))]
pub(crate) struct MapWithStateRDDRecord<K, S, E> {
    pub(crate) state_map: StateMap<K, S>,
    pub(crate) mapped_data: Vec<E>,
}

/// Spark's `MapWithStateRDDRecord.updateRecordWithData` (M1–M5).
pub(crate) fn update_record_with_data<K, V, S, E>(
    prev: Option<MapWithStateRDDRecord<K, S, E>>,
    data: impl Iterator<Item = (K, V)>,
    f: &MappingFunction<K, V, S, E>,
    batch_time: Time,
    timeout_threshold: Option<u64>,
    remove_timed_out: bool,
    delta_chain_threshold: i64,
) -> Result<MapWithStateRDDRecord<K, S, E>>
where
    K: Data + Hash + Eq,
    V: Data,
    S: Data,
    E: Data,
{
    // The previous map is never mutated: work on a copy-on-write child. (Spark falls back to an
    // EmptyStateMap, which cannot be written, when there is no previous record; that never
    // happens in a stream, so here the fallback is a fresh map.)
    let mut map = match prev {
        Some(r) if !r.state_map.is_empty_state_map() => r.state_map.copy(),
        _ => StateMap::create(delta_chain_threshold)?,
    };
    let mut mapped = Vec::new();
    let mut state = State::new();
    let t = batch_time.milliseconds();
    let below = map.snapshot_below();
    for (key, value) in data {
        state.wrap(map.get_in(&below, &key));
        let out = f(batch_time, &key, Some(value), &mut state);
        if state.is_removed() {
            map.remove(&key);
        } else if state.is_updated() || (state.exists() && timeout_threshold.is_some()) {
            if let Some(s) = state.take() {
                map.put(key, s, t)?;
            }
        }
        mapped.extend(out);
    }
    if let (true, Some(threshold)) = (remove_timed_out, timeout_threshold) {
        for (key, s, _) in map.get_by_time(threshold) {
            state.wrap_timing_out(s);
            let out = f(batch_time, &key, None, &mut state);
            mapped.extend(out);
            map.remove(&key);
        }
    }
    Ok(MapWithStateRDDRecord {
        state_map: map,
        mapped_data: mapped,
    })
}

type Record<K, S, E> = MapWithStateRDDRecord<K, S, E>;

/// Spark's `MapWithStateRDD`.
pub(crate) struct MapWithStateRdd<K: Data, V: Data, S: Data, E: Data> {
    core: RddCore,
    prev_state: Mutex<Option<Arc<dyn TypedRdd<Record<K, S, E>>>>>,
    data: Mutex<Option<Arc<dyn TypedRdd<(K, V)>>>>,
    partitioner: Partitioner,
    num_partitions: usize,
    function: Arc<MappingFunction<K, V, S, E>>,
    batch_time: Time,
    timeout_threshold: Option<u64>,
    /// Spark's `doFullScan`: set when the RDD is marked for checkpointing.
    do_full_scan: AtomicBool,
    delta_chain_threshold: i64,
}

impl<K: Data + Hash + Eq, V: Data, S: Data, E: Data> MapWithStateRdd<K, V, S, E> {
    /// Spark's constructor, with its requirements: the previous state RDD has a partitioner and
    /// the data is partitioned by the same one.
    pub(crate) fn new(
        prev_state: Rdd<Record<K, S, E>>,
        data: Rdd<(K, V)>,
        function: Arc<MappingFunction<K, V, S, E>>,
        batch_time: Time,
        timeout_threshold: Option<u64>,
    ) -> Result<Self> {
        let Some(partitioner) = prev_state.partitioner() else {
            return Err(Error::InvalidArgument(
                "requirement failed: the previous state RDD of a MapWithStateRDD must have a partitioner".into(),
            ));
        };
        if data.partitioner().as_ref() != Some(&partitioner) {
            return Err(Error::InvalidArgument(
                "requirement failed: the data RDD of a MapWithStateRDD must be partitioned like its state".into(),
            ));
        }
        let sc = prev_state.context();
        let delta_chain_threshold = delta_chain_threshold(&sc)?;
        Ok(MapWithStateRdd {
            core: RddCore::new(&sc, "mapWithState"),
            num_partitions: prev_state.num_partitions(),
            prev_state: Mutex::new(Some(prev_state.rdd)),
            data: Mutex::new(Some(data.rdd)),
            partitioner,
            function,
            batch_time,
            timeout_threshold,
            do_full_scan: AtomicBool::new(false),
            delta_chain_threshold,
        })
    }

    /// Spark's `setFullScan` (a test hook).
    #[cfg(test)]
    pub(crate) fn set_full_scan(&self) {
        self.do_full_scan.store(true, Ordering::SeqCst);
    }
}

/// The configured delta chain threshold (`sparklet.streaming.sessionByKey.deltaChainThreshold`).
fn delta_chain_threshold(sc: &SparkContext) -> Result<i64> {
    match sc.conf().get(DELTA_CHAIN_THRESHOLD_KEY) {
        None => Ok(DELTA_CHAIN_LENGTH_THRESHOLD as i64),
        Some(v) => v.trim().parse::<i64>().map_err(|_| {
            Error::InvalidArgument(format!(
                "{DELTA_CHAIN_THRESHOLD_KEY} must be an integer, got '{v}'"
            ))
        }),
    }
}

impl<K: Data + Hash + Eq, V: Data, S: Data, E: Data> RddBase for MapWithStateRdd<K, V, S, E> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.num_partitions
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        let mut deps = Vec::new();
        if let Some(p) = &*self.prev_state.lock() {
            deps.push(Dependency::one_to_one(p.clone()));
        }
        if let Some(d) = &*self.data.lock() {
            deps.push(Dependency::one_to_one(d.clone()));
        }
        deps
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new((self.prev_state.lock().take(), self.data.lock().take()))
    }
    fn partitioner(&self) -> Option<Partitioner> {
        Some(self.partitioner.clone())
    }
    fn on_checkpoint_marked(&self) {
        self.do_full_scan.store(true, Ordering::SeqCst);
    }
    fn class_name(&self) -> &'static str {
        "MapWithStateRDD"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<K: Data + Hash + Eq, V: Data, S: Data, E: Data> TypedRdd<Record<K, S, E>>
    for MapWithStateRdd<K, V, S, E>
{
    /// The state map's entries counted by their inline size: walking (or serializing) the whole
    /// map every batch would make each batch cost as much as the state, not the batch.
    fn estimate_size(&self, values: &[Record<K, S, E>]) -> u64 {
        let entry = (std::mem::size_of::<K>() + std::mem::size_of::<S>() + 24) as u64;
        values
            .iter()
            .map(|r| {
                r.state_map.approx_size() as u64 * entry
                    + crate::storage::estimate_size(&r.mapped_data)
            })
            .sum()
    }

    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<Record<K, S, E>> {
        let prev = self
            .prev_state
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        let data = self
            .data
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        let prev_record = iterator(&*prev, split, ctx)?.next();
        let data = iterator(&*data, split, ctx)?;
        let record = update_record_with_data(
            prev_record,
            data,
            &*self.function,
            self.batch_time,
            self.timeout_threshold,
            self.do_full_scan.load(Ordering::SeqCst),
            self.delta_chain_threshold,
        )?;
        Ok(Box::new(std::iter::once(record)))
    }
}

/// Spark's `MapWithStateRDD.createFromPairRDD`: the state RDD of the first batch, every initial
/// state stamped with `time` (the last of duplicate keys wins).
pub(crate) fn create_from_pair_rdd<K, V, S, E>(
    pairs: &Rdd<(K, S)>,
    partitioner: &Partitioner,
    time: Time,
) -> Result<MapWithStateRdd<K, V, S, E>>
where
    K: Data + Hash + Eq,
    V: Data,
    S: Data,
    E: Data,
{
    let stamped = pairs.map_values(move |s| (s, time.milliseconds()));
    create_from_stamped(&stamped, partitioner, time)
}

/// Spark's `MapWithStateRDD.createFromRDD`: like [`create_from_pair_rdd`], but each entry keeps
/// its own update time (used when the previous state RDD has another partitioner).
pub(crate) fn create_from_stamped<K, V, S, E>(
    triples: &Rdd<(K, (S, u64))>,
    partitioner: &Partitioner,
    time: Time,
) -> Result<MapWithStateRdd<K, V, S, E>>
where
    K: Data + Hash + Eq,
    V: Data,
    S: Data,
    E: Data,
{
    let sc = triples.context();
    let threshold = delta_chain_threshold(&sc)?;
    StateMap::<K, S>::create(threshold)?; // Spark's constructor check, on the driver
    let state: Rdd<Record<K, S, E>> = triples
        .partition_by(partitioner.clone())
        .map_partitions_named(
            "mapWithState",
            true,
            Arc::new(move |_, it: BoxIter<(K, (S, u64))>| {
                let mut map =
                    StateMap::create(threshold).expect("the threshold was validated above");
                for (k, (s, t)) in it {
                    map.put(k, s, t).expect("a created StateMap accepts puts");
                }
                Box::new(std::iter::once(MapWithStateRDDRecord {
                    state_map: map,
                    mapped_data: Vec::new(),
                })) as BoxIter<Record<K, S, E>>
            }),
        );
    let empty: Rdd<(K, V)> = sc.empty_rdd::<(K, V)>().partition_by(partitioner.clone());
    let noop: Arc<MappingFunction<K, V, S, E>> = Arc::new(|_, _, _, _| None);
    MapWithStateRdd::new(state, empty, noop, time, None)
}
