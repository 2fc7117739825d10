//! The shuffle (Spark's `SortShuffleManager`, `MapOutputTracker`, `BlockStoreShuffleReader`):
//! how records cross a stage boundary.
//!
//! A shuffle map task computes one parent partition, combines values per key on the map side
//! when the shuffle has an aggregator with `map_side_combine` (reduceByKey), buckets the
//! records with the partitioner and stores one serialized block per reduce partition in its
//! executor's [`ShuffleStore`]. The driver's [`MapOutputTracker`] records which executor holds
//! each map output. A reduce task asks the tracker for every map output's location and fetches
//! its bucket from each, **in map-index order** (so the order of values per key is
//! deterministic, as in Spark), then aggregates.
//!
//! A map output on a dead executor cannot be fetched: the reduce task fails with a fetch
//! failure, and the DAG scheduler re-runs just the lost map partitions.

pub(crate) mod append_only_map;
pub(crate) mod reader;
pub(crate) mod writer;

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::dependency::ShuffleId;

/// Where one map task's output lives, and its bucket sizes (Spark's `MapStatus`).
#[derive(Clone, Debug)]
pub(crate) struct MapStatus {
    pub(crate) executor_id: String,
    /// Bytes per reduce bucket (Spark uses them to plan fetches; here they are informational).
    #[allow(dead_code)]
    pub(crate) sizes: Vec<u64>,
}

/// One executor's shuffle files: the serialized buckets of each map output it wrote.
#[derive(Default)]
pub(crate) struct ShuffleStore {
    outputs: Mutex<HashMap<(ShuffleId, usize), Arc<Vec<Vec<u8>>>>>,
}

impl ShuffleStore {
    /// Stores a map output's buckets, replacing an older attempt's.
    pub(crate) fn put(&self, shuffle: ShuffleId, map_id: usize, buckets: Vec<Vec<u8>>) {
        self.outputs
            .lock()
            .insert((shuffle, map_id), Arc::new(buckets));
    }

    /// The buckets of a map output, when this executor holds it.
    pub(crate) fn get(&self, shuffle: ShuffleId, map_id: usize) -> Option<Arc<Vec<Vec<u8>>>> {
        self.outputs.lock().get(&(shuffle, map_id)).cloned()
    }

    /// Drops every output (the executor died).
    pub(crate) fn clear(&self) {
        self.outputs.lock().clear();
    }
}

/// The driver's record of map output locations (Spark's `MapOutputTrackerMaster`).
#[derive(Default)]
pub(crate) struct MapOutputTracker {
    statuses: Mutex<HashMap<ShuffleId, Vec<Option<MapStatus>>>>,
}

impl MapOutputTracker {
    /// Registers a shuffle with `num_maps` outputs, keeping what an earlier job registered.
    pub(crate) fn register_shuffle(&self, shuffle: ShuffleId, num_maps: usize) {
        self.statuses
            .lock()
            .entry(shuffle)
            .or_insert_with(|| vec![None; num_maps]);
    }

    pub(crate) fn register_map_output(&self, shuffle: ShuffleId, map_id: usize, status: MapStatus) {
        if let Some(v) = self.statuses.lock().get_mut(&shuffle) {
            if map_id < v.len() {
                v[map_id] = Some(status);
            }
        }
    }

    pub(crate) fn unregister_map_output(&self, shuffle: ShuffleId, map_id: usize) {
        if let Some(v) = self.statuses.lock().get_mut(&shuffle) {
            if map_id < v.len() {
                v[map_id] = None;
            }
        }
    }

    /// Forgets every output held by `executor_id` (it died). Returns how many were lost.
    pub(crate) fn remove_outputs_on_executor(&self, executor_id: &str) -> usize {
        let mut lost = 0;
        for v in self.statuses.lock().values_mut() {
            for s in v.iter_mut() {
                if s.as_ref().is_some_and(|s| s.executor_id == executor_id) {
                    *s = None;
                    lost += 1;
                }
            }
        }
        lost
    }

    /// The map ids with no output.
    pub(crate) fn missing_partitions(&self, shuffle: ShuffleId) -> Vec<usize> {
        match self.statuses.lock().get(&shuffle) {
            Some(v) => (0..v.len()).filter(|&i| v[i].is_none()).collect(),
            None => Vec::new(),
        }
    }

    /// Whether every map output is available.
    pub(crate) fn is_available(&self, shuffle: ShuffleId) -> bool {
        self.statuses
            .lock()
            .get(&shuffle)
            .is_some_and(|v| v.iter().all(Option::is_some))
    }

    /// The location of one map output.
    pub(crate) fn status(&self, shuffle: ShuffleId, map_id: usize) -> Option<MapStatus> {
        self.statuses
            .lock()
            .get(&shuffle)
            .and_then(|v| v.get(map_id).cloned().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_forgets_a_dead_executors_outputs() {
        let t = MapOutputTracker::default();
        let s = ShuffleId(0);
        t.register_shuffle(s, 3);
        for (m, e) in [(0, "a"), (1, "b"), (2, "a")] {
            t.register_map_output(
                s,
                m,
                MapStatus {
                    executor_id: e.into(),
                    sizes: vec![],
                },
            );
        }
        assert!(t.is_available(s));
        assert_eq!(t.remove_outputs_on_executor("a"), 2);
        assert_eq!(t.missing_partitions(s), vec![0, 2]);
        // Registering again keeps what is there.
        t.register_shuffle(s, 3);
        assert_eq!(t.missing_partitions(s), vec![0, 2]);
    }
}
