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
use crate::rdd::{iterator, part_iter, ComputeResult, Data, PartIter, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::TaskContext;
use crate::streaming::batch_info::KeyCounts;
use crate::streaming::state::redis_store::{update_partition, RedisBatch};
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
    /// Live keys in `state_map`, kept exactly as keys are added and removed (listeners are told
    /// the state's size after each batch without a walk over the map).
    pub(crate) keys: u64,
    /// With the Redis store: the version (batch ms) this record's partition wrote; the state
    /// lives in Redis and `state_map` is empty.
    #[serde(default)]
    pub(crate) redis_version: Option<u64>,
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
    let (mut map, mut keys) = match prev {
        Some(r) if !r.state_map.is_empty_state_map() => (r.state_map.copy(), r.keys),
        _ => (StateMap::create(delta_chain_threshold)?, 0),
    };
    let mut mapped = Vec::new();
    let mut state = State::new();
    let t = batch_time.milliseconds();
    let below = map.snapshot_below();
    for (key, value) in data {
        let found = map.get_in(&below, &key);
        let existed = found.is_some();
        state.wrap(found);
        let out = f(batch_time, &key, Some(value), &mut state);
        if state.is_removed() {
            map.remove(&key);
            keys = keys.saturating_sub(u64::from(existed));
        } else if state.is_updated() || (state.exists() && timeout_threshold.is_some()) {
            if let Some(s) = state.take() {
                map.put(key, s, t)?;
                keys += u64::from(!existed);
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
            keys = keys.saturating_sub(1);
        }
    }
    Ok(MapWithStateRDDRecord {
        state_map: map,
        mapped_data: mapped,
        keys,
        redis_version: None,
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
    /// Live keys of each partition computed so far (for the batch's listener event).
    key_counts: KeyCounts,
    /// With the Redis store: where the state is read and written.
    redis: Option<RedisBatch>,
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
            key_counts: KeyCounts::default(),
            redis: None,
        })
    }

    /// Keeps this batch's state in Redis instead of the record's `StateMap`.
    pub(crate) fn with_redis(mut self, batch: RedisBatch) -> Self {
        self.redis = Some(batch);
        self
    }

    /// The live keys of the partitions computed so far.
    pub(crate) fn key_counts(&self) -> KeyCounts {
        self.key_counts.clone()
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
        if let Some(batch) = &self.redis {
            let data = iterator(&*data, split, ctx)?;
            let record = update_partition(
                batch,
                split,
                || Ok(iterator(&*prev, split, ctx)?.next()),
                data,
                &*self.function,
                self.batch_time,
                self.timeout_threshold,
                self.do_full_scan.load(Ordering::SeqCst),
            )?;
            self.key_counts.lock().insert(split, record.keys);
            return Ok(part_iter(std::iter::once(record)));
        }
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
        self.key_counts.lock().insert(split, record.keys);
        Ok(part_iter(std::iter::once(record)))
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
            Arc::new(move |_, it: PartIter<(K, (S, u64))>| {
                let mut map =
                    StateMap::create(threshold).expect("the threshold was validated above");
                for (k, (s, t)) in it {
                    map.put(k, s, t).expect("a created StateMap accepts puts");
                }
                // One layer of live entries only: its size is the key count.
                let keys = map.approx_size() as u64;
                part_iter(std::iter::once(MapWithStateRDDRecord {
                    state_map: map,
                    mapped_data: Vec::new(),
                    keys,
                    redis_version: None,
                }))
            }),
        );
    let empty: Rdd<(K, V)> = sc.empty_rdd::<(K, V)>().partition_by(partitioner.clone());
    let noop: Arc<MappingFunction<K, V, S, E>> = Arc::new(|_, _, _, _| None);
    MapWithStateRdd::new(state, empty, noop, time, None)
}

#[cfg(test)]
mod tests {
    //! Spark's MapWithStateRDDSuite "updating state and generating mapped data in
    //! MapWithStateRDDRecord", case by case, on `update_record_with_data`.

    use super::*;

    type Rec = MapWithStateRDDRecord<String, i32, String>;

    /// A mapping function driven by the value: "update:n", "remove", "none" (no change).
    fn f() -> Arc<MappingFunction<String, String, i32, String>> {
        Arc::new(
            |_t, k: &String, v: Option<String>, s: &mut State<i32>| match v.as_deref() {
                None => Some(format!(
                    "{k}:timeout:{}",
                    s.get_option().copied().unwrap_or(-1)
                )),
                Some("remove") => {
                    s.remove();
                    Some(format!("{k}:removed"))
                }
                Some("none") => None,
                Some(update) => {
                    let n: i32 = update.trim_start_matches("update:").parse().unwrap_or(0);
                    s.update(n);
                    Some(format!("{k}:{n}"))
                }
            },
        )
    }

    fn record(entries: &[(&str, i32, u64)]) -> Rec {
        let mut map = StateMap::create(20).unwrap();
        for (k, s, t) in entries {
            map.put(k.to_string(), *s, *t).unwrap();
        }
        let keys = map.get_all().len() as u64;
        MapWithStateRDDRecord {
            state_map: map,
            mapped_data: Vec::new(),
            keys,
            redis_version: None,
        }
    }

    fn run(
        prev: &Rec,
        data: &[(&str, &str)],
        time: u64,
        threshold: Option<u64>,
        full_scan: bool,
    ) -> (Vec<(String, i32, u64)>, Vec<String>) {
        let data: Vec<(String, String)> = data
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let out = update_record_with_data(
            Some(prev.clone()),
            data.into_iter(),
            &*f(),
            Time::new(time),
            threshold,
            full_scan,
            20,
        )
        .unwrap();
        let mut all = out.state_map.get_all();
        all.sort();
        (all, out.mapped_data)
    }

    fn s(v: &[(&str, i32, u64)]) -> Vec<(String, i32, u64)> {
        v.iter().map(|(k, s, t)| (k.to_string(), *s, *t)).collect()
    }

    #[test]
    fn no_data_leaves_state_untouched_and_previous_map_is_never_mutated() {
        let prev = record(&[("k1", 100, 1000)]);
        let (all, out) = run(&prev, &[], 2000, None, false);
        assert_eq!(all, s(&[("k1", 100, 1000)]));
        assert!(out.is_empty());
        let (all, _) = run(&prev, &[("k1", "update:200")], 2000, None, false);
        assert_eq!(all, s(&[("k1", 200, 2000)]));
        assert_eq!(
            prev.state_map.get_all(),
            s(&[("k1", 100, 1000)]),
            "the previous map is unchanged"
        );
    }

    #[test]
    fn a_no_op_call_keeps_the_old_timestamp_without_timeout_and_refreshes_it_with_one() {
        let prev = record(&[("k1", 0, 1000)]);
        assert_eq!(
            run(&prev, &[("k1", "none")], 2000, None, false).0,
            s(&[("k1", 0, 1000)])
        );
        assert_eq!(
            run(&prev, &[("k1", "none")], 2000, Some(500), false).0,
            s(&[("k1", 0, 2000)])
        );
        // SPARK-13195: a key with no state and no update stores nothing, even with a timeout.
        assert!(run(&record(&[]), &[("k2", "none")], 2000, Some(500), false)
            .0
            .is_empty());
    }

    #[test]
    fn removing_and_removing_an_absent_key() {
        let prev = record(&[("k1", 1, 1000)]);
        let (all, out) = run(
            &prev,
            &[("k1", "remove"), ("k0", "remove")],
            2000,
            None,
            false,
        );
        assert!(all.is_empty());
        assert_eq!(
            out,
            vec!["k1:removed".to_string(), "k0:removed".to_string()]
        );
    }

    #[test]
    fn duplicate_keys_in_a_batch_see_each_others_updates() {
        let (all, out) = run(
            &record(&[]),
            &[("k2", "update:1"), ("k2", "update:2")],
            1000,
            None,
            false,
        );
        assert_eq!(all, s(&[("k2", 2, 1000)]));
        assert_eq!(out, vec!["k2:1".to_string(), "k2:2".to_string()]);
    }

    #[test]
    fn timeouts_only_on_full_scans_and_strictly_older_than_the_threshold() {
        let prev = record(&[("k1", 1, 1000), ("k2", 2, 2000)]);
        // Without a full scan nothing times out, however old.
        assert_eq!(run(&prev, &[], 9000, Some(5000), false).0.len(), 2);
        // Touched at 1000: kept when the threshold is 1000, timed out when it is 1001.
        let (all, out) = run(&prev, &[], 9000, Some(1000), true);
        assert_eq!(all.len(), 2);
        assert!(out.is_empty());
        let (all, out) = run(&prev, &[], 9000, Some(1001), true);
        assert_eq!(all, s(&[("k2", 2, 2000)]));
        assert_eq!(out, vec!["k1:timeout:1".to_string()]);
        // A key with data in the batch is refreshed first and cannot time out in it.
        let (all, out) = run(&prev, &[("k1", "none")], 9000, Some(8000), true);
        assert_eq!(all, s(&[("k1", 1, 9000)]));
        assert_eq!(out, vec!["k2:timeout:2".to_string()]);
    }

    #[test]
    fn misusing_state_in_a_timeout_call_panics_with_sparks_message() {
        let f: Arc<MappingFunction<String, String, i32, String>> =
            Arc::new(|_t, _k, _v, s: &mut State<i32>| {
                s.update(1);
                None
            });
        let prev = record(&[("k1", 1, 1000)]);
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            update_record_with_data(
                Some(prev),
                std::iter::empty(),
                &*f,
                Time::new(5000),
                Some(3000),
                true,
                20,
            )
        }))
        .unwrap_err();
        let msg = crate::scheduler::task::panic_message(&*panic);
        assert!(
            msg.contains("Cannot update the state that is timing out"),
            "{msg}"
        );
    }

    #[test]
    fn creation_from_a_pair_rdd_has_the_partitioners_partitions_and_stamps_the_time() {
        let sc = crate::SparkContext::new(crate::SparkConf::new().set_master("local[2]")).unwrap();
        let pairs = sc.parallelize(
            vec![
                ("k1".to_string(), 1),
                ("k2".to_string(), 2),
                ("k1".to_string(), 3),
            ],
            2,
        );
        let p = Partitioner::hash(10);
        let rdd = create_from_pair_rdd::<String, String, i32, String>(&pairs, &p, Time::new(123))
            .unwrap();
        let rdd: Rdd<Rec> = Rdd::from_arc(Arc::new(rdd));
        assert_eq!(rdd.num_partitions(), 10);
        assert_eq!(rdd.partitioner(), Some(p.clone()));
        let mut all: Vec<(String, i32, u64)> = rdd
            .collect()
            .unwrap()
            .into_iter()
            .flat_map(|r| r.state_map.get_all())
            .collect();
        all.sort();
        assert_eq!(
            all,
            s(&[("k1", 3, 123), ("k2", 2, 123)]),
            "the last duplicate wins"
        );
    }

    #[test]
    fn a_full_scan_rdd_times_out_idle_keys() {
        let sc = crate::SparkContext::new(crate::SparkConf::new().set_master("local")).unwrap();
        let p = Partitioner::hash(1);
        let initial = sc.parallelize(vec![("idle".to_string(), 7)], 1);
        let prev: Rdd<Rec> = Rdd::from_arc(Arc::new(
            create_from_pair_rdd::<String, String, i32, String>(&initial, &p, Time::new(1000))
                .unwrap(),
        ));
        let data = sc.empty_rdd::<(String, String)>().partition_by(p);
        let rdd = MapWithStateRdd::new(prev, data, f(), Time::new(5000), Some(2000)).unwrap();
        rdd.set_full_scan();
        let rdd: Rdd<Rec> = Rdd::from_arc(Arc::new(rdd));
        let records = rdd.collect().unwrap();
        assert_eq!(records[0].mapped_data, vec!["idle:timeout:7".to_string()]);
        assert!(records[0].state_map.get_all().is_empty());
    }

    #[test]
    fn the_data_must_be_partitioned_like_the_state() {
        let sc = crate::SparkContext::new(crate::SparkConf::new().set_master("local")).unwrap();
        let initial = sc.parallelize(vec![("a".to_string(), 1)], 1);
        let prev: Rdd<Rec> = Rdd::from_arc(Arc::new(
            create_from_pair_rdd::<String, String, i32, String>(
                &initial,
                &Partitioner::hash(2),
                Time::new(1),
            )
            .unwrap(),
        ));
        let data = sc
            .empty_rdd::<(String, String)>()
            .partition_by(Partitioner::hash(3));
        assert!(matches!(
            MapWithStateRdd::new(prev, data, f(), Time::new(2), None),
            Err(Error::InvalidArgument(_))
        ));
    }
}
