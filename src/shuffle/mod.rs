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

/// One executor's shuffle files: the serialized buckets of each map output it wrote, and the
/// buffers of cleaned shuffles kept for reuse.
pub(crate) struct ShuffleStore {
    outputs: Mutex<HashMap<(ShuffleId, usize), Arc<Vec<Vec<u8>>>>>,
    pool: Mutex<BufferPool>,
}

impl ShuffleStore {
    /// A store whose pool keeps at most `pool_bytes` of cleaned buffers.
    pub(crate) fn new(pool_bytes: usize) -> ShuffleStore {
        ShuffleStore {
            outputs: Mutex::new(HashMap::new()),
            pool: Mutex::new(BufferPool::new(pool_bytes)),
        }
    }

    /// The pool size of an executor with `memory` bytes of block memory: as much, at most
    /// 1 GiB. (The pooled buffers are what cleaned map outputs held, so the pool never keeps
    /// more than the shuffles did.)
    pub(crate) fn pool_bytes(memory: u64) -> usize {
        usize::try_from(memory).map_or(MAX_POOL_BYTES, |m| m.min(MAX_POOL_BYTES))
    }

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
        self.pool.lock().clear();
    }

    /// Removes every map output of `shuffle` (Spark's `BlockManager.removeShuffle`) and keeps
    /// their buffers for later map outputs; returns how many outputs there were. A bucket a
    /// reduce task is still reading is left to it and freed when it is done.
    pub(crate) fn remove_shuffle(&self, shuffle: ShuffleId) -> usize {
        let removed: Vec<Arc<Vec<Vec<u8>>>> = {
            let mut outputs = self.outputs.lock();
            let keys: Vec<(ShuffleId, usize)> = outputs
                .keys()
                .filter(|(s, _)| *s == shuffle)
                .copied()
                .collect();
            keys.iter().filter_map(|k| outputs.remove(k)).collect()
        };
        let n = removed.len();
        let buffers: Vec<Vec<u8>> = removed
            .into_iter()
            .filter_map(|o| Arc::try_unwrap(o).ok())
            .flatten()
            .collect();
        self.pool.lock().give(buffers);
        n
    }

    /// How many map outputs of `shuffle` this executor holds.
    #[cfg(test)]
    pub(crate) fn outputs_of(&self, shuffle: ShuffleId) -> usize {
        self.outputs
            .lock()
            .keys()
            .filter(|(s, _)| *s == shuffle)
            .count()
    }

    /// How many buffers the pool keeps.
    #[cfg(test)]
    pub(crate) fn pooled(&self) -> usize {
        self.pool.lock().buffers.len()
    }

    /// A cleared buffer of at least `capacity` bytes from a cleaned shuffle, if one is kept
    /// (never for less than the pool's smallest size, 1 MiB).
    pub(crate) fn take_buffer(&self, capacity: usize) -> Option<Vec<u8>> {
        if capacity < POOLED_MIN_BYTES {
            return None;
        }
        self.pool.lock().take(capacity)
    }
}

/// The most bytes of cleaned buffers an executor keeps.
const MAX_POOL_BYTES: usize = 1 << 30;

/// Buffers smaller than this are not kept (the allocator reuses small ones well itself).
const POOLED_MIN_BYTES: usize = 1 << 20;

/// The buffers of cleaned map outputs (Spark's `HeapMemoryAllocator` pools large buffers by
/// size for the same reason): a new map output written into one reuses memory that is already
/// mapped instead of faulting in fresh pages. Bounded by bytes of capacity; buffers under
/// 1 MiB are left to the allocator. A bucket takes a buffer of at most twice its room.
struct BufferPool {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
    max_bytes: usize,
}

impl BufferPool {
    fn new(max_bytes: usize) -> BufferPool {
        BufferPool {
            buffers: Vec::new(),
            bytes: 0,
            max_bytes,
        }
    }

    fn give(&mut self, buffers: Vec<Vec<u8>>) {
        for mut b in buffers {
            let cap = b.capacity();
            if cap < POOLED_MIN_BYTES || self.bytes + cap > self.max_bytes {
                continue;
            }
            b.clear();
            self.bytes += cap;
            self.buffers.push(b);
        }
    }

    /// The smallest kept buffer with room for `capacity` bytes, and at most twice that (a
    /// small map output does not hold a large buffer).
    fn take(&mut self, capacity: usize) -> Option<Vec<u8>> {
        let (i, _) = self
            .buffers
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= capacity && b.capacity() / 2 <= capacity)
            .min_by_key(|(_, b)| b.capacity())?;
        let b = self.buffers.swap_remove(i);
        self.bytes -= b.capacity();
        Some(b)
    }

    fn clear(&mut self) {
        self.buffers.clear();
        self.bytes = 0;
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

    /// Forgets a shuffle (Spark's `MapOutputTrackerMaster.unregisterShuffle`).
    pub(crate) fn unregister_shuffle(&self, shuffle: ShuffleId) {
        self.statuses.lock().remove(&shuffle);
    }

    /// How many shuffles are registered.
    #[cfg(test)]
    pub(crate) fn registered(&self) -> usize {
        self.statuses.lock().len()
    }

    /// Whether the shuffle is registered.
    #[cfg(test)]
    pub(crate) fn is_registered(&self, shuffle: ShuffleId) -> bool {
        self.statuses.lock().contains_key(&shuffle)
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
    fn the_pool_hands_out_the_smallest_fitting_buffer_and_keeps_its_bound() {
        let mib = 1 << 20;
        let mut pool = BufferPool::new(10 * mib);
        pool.give(vec![
            Vec::with_capacity(4 * mib),
            Vec::with_capacity(2 * mib),
            Vec::with_capacity(mib / 2),
            Vec::with_capacity(5 * mib),
        ]);
        // The half-MiB buffer is left to the allocator; the 5 MiB one would pass the bound.
        assert_eq!((pool.buffers.len(), pool.bytes), (2, 6 * mib));
        assert_eq!(
            pool.take(3 * mib).map(|b| b.capacity() >= 4 * mib),
            Some(true)
        );
        // Too small for 3 MiB, and too large (more than twice) for half a MiB.
        assert!(pool.take(3 * mib).is_none());
        assert!(pool.take(mib / 2).is_none());
        assert!(pool.take(2 * mib).is_some());
        assert_eq!(pool.bytes, 0);
    }

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

    fn held(sc: &crate::SparkContext, shuffle: ShuffleId) -> usize {
        sc.env()
            .executors()
            .iter()
            .map(|e| e.shuffle_store.outputs_of(shuffle))
            .sum()
    }

    fn shuffle_of<T: crate::rdd::Data>(rdd: &crate::Rdd<T>) -> ShuffleId {
        rdd.dependencies()[0]
            .shuffle_id()
            .expect("a shuffled RDD's dependency")
    }

    /// ContextCleanerSuite "automatically cleanup shuffle": a shuffle stays while its RDD is
    /// referenced (the suite's "GC does not cause shuffle cleanup due to a strong reference"),
    /// and its map outputs leave the tracker and every executor once the RDD is dropped.
    #[test]
    fn a_dropped_shuffle_is_cleaned() {
        let sc = crate::SparkContext::new(
            crate::SparkConf::new()
                .set_master("local-cluster[2,1,64]")
                .set_app_name("cleaner"),
        )
        .unwrap();
        let rdd = sc
            .parallelize((0..1000).collect::<Vec<i32>>(), 4)
            .map(|x| (x % 10, x))
            .reduce_by_key(|a, b| a + b);
        assert_eq!(rdd.count().unwrap(), 10);
        let shuffle = shuffle_of(&rdd);
        let tracker = &sc.env().map_output_tracker;
        assert!(tracker.is_available(shuffle));
        assert_eq!(held(&sc, shuffle), 4);
        // Still referenced: a second job reuses the map outputs.
        assert_eq!(rdd.count().unwrap(), 10);
        assert_eq!(held(&sc, shuffle), 4);
        drop(rdd);
        assert!(!tracker.is_registered(shuffle));
        assert_eq!(held(&sc, shuffle), 0);
        sc.stop();
    }

    /// ContextCleanerSuite "automatically cleanup normal checkpoint" (its shuffle half): once
    /// an RDD is checkpointed its lineage is cut, and the shuffle it read is cleaned although
    /// the RDD lives on and still counts from its checkpoint.
    #[test]
    fn a_checkpointed_rdds_shuffle_is_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let sc = crate::SparkContext::new(
            crate::SparkConf::new()
                .set_master("local[2]")
                .set_app_name("cleaner"),
        )
        .unwrap();
        sc.set_checkpoint_dir(dir.path()).unwrap();
        let rdd = sc
            .parallelize((0..100).collect::<Vec<i32>>(), 4)
            .map(|x| (x % 10, x))
            .reduce_by_key(|a, b| a + b);
        let shuffle = shuffle_of(&rdd);
        rdd.checkpoint().unwrap();
        assert_eq!(rdd.count().unwrap(), 10);
        assert!(rdd.is_checkpointed());
        assert!(!sc.env().map_output_tracker.is_registered(shuffle));
        assert_eq!(held(&sc, shuffle), 0);
        assert_eq!(rdd.count().unwrap(), 10);
        sc.stop();
    }

    /// A cleaned shuffle's large buffers are kept by the executor and written into by the
    /// next shuffle's map outputs (Spark's `HeapMemoryAllocator` pooling), with the same
    /// records read back.
    #[test]
    fn the_next_shuffle_reuses_a_cleaned_shuffles_buffers() {
        let sc = crate::SparkContext::new(
            crate::SparkConf::new()
                .set_master("local[1]")
                .set_app_name("cleaner"),
        )
        .unwrap();
        let data = sc
            .parallelize((0..400_000u64).collect::<Vec<u64>>(), 1)
            .cache()
            .unwrap();
        let pooled = || sc.env().executors()[0].shuffle_store.pooled();
        let first = data
            .map(|x| (x, x))
            .partition_by(crate::Partitioner::hash(2));
        assert_eq!(first.count().unwrap(), 400_000);
        assert_eq!(pooled(), 0);
        drop(first);
        // Two buckets of ~3.2 MB each.
        assert_eq!(pooled(), 2);
        let second = data
            .map(|x| (x % 7, x))
            .reduce_by_key_with(crate::Partitioner::hash(2), |a, b| a + b);
        let third = data
            .map(|x| (x, 1u8))
            .partition_by(crate::Partitioner::hash(2));
        assert_eq!(third.count().unwrap(), 400_000);
        assert_eq!(pooled(), 0);
        let mut sums = second.collect().unwrap();
        sums.sort_unstable();
        let want: Vec<(u64, u64)> = (0..7)
            .map(|k| (k, (0..400_000u64).filter(|x| x % 7 == k).sum()))
            .collect();
        assert_eq!(sums, want);
        sc.stop();
    }

    /// A stream with a shuffle in every batch keeps only the shuffles of the batches it still
    /// remembers: each batch's `ShuffledRDD` is forgotten by `clear_metadata` and its map
    /// outputs go with it (before the cleaner, 40 batches left 40 shuffles behind).
    #[test]
    fn a_streams_forgotten_batches_leave_no_shuffles() {
        use crate::streaming::{Duration, StreamingContext};
        let sc = crate::SparkContext::new(
            crate::SparkConf::new()
                .set_master("local[2]")
                .set_app_name("cleaner"),
        )
        .unwrap();
        let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
        let batches: Vec<Vec<i32>> = (0..40).map(|b| (0..100).map(|x| x + b).collect()).collect();
        let counts = Arc::new(Mutex::new(Vec::new()));
        let seen = counts.clone();
        ssc.queue_stream(batches, true)
            .map(|x| (x % 10, 1))
            .reduce_by_key(|a, b| a + b)
            .foreach_rdd(move |rdd, _| {
                seen.lock().push(rdd.count()?);
                Ok(())
            });
        ssc.start().unwrap();
        ssc.run_batches(40).unwrap();
        assert_eq!(*counts.lock(), vec![10; 40]);
        let left = sc.env().map_output_tracker.registered();
        assert!(
            left <= 2,
            "{left} shuffles still registered after 40 batches"
        );
        ssc.stop(true, false);
    }
}
