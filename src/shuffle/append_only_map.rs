//! Spark's `AppendOnlyMap`: the open hash table that combines values per key, on the map side
//! of a shuffle (reduceByKey), on the reduce side (`ShuffledRDD` with an aggregator), and when
//! a combine needs no shuffle.
//!
//! As in Spark: keys are never removed, only their values changed; one array holds keys and
//! values together; the capacity is a power of two that doubles when the map is more than 70%
//! full; collisions are resolved by quadratic (triangular) probing, which visits every slot of a
//! power-of-two table; iteration goes in slot order. One addition, the `TODO` in Spark's source:
//! each slot also keeps its key's hash, so a probe compares hashes before it compares keys and
//! growing never hashes a key again.
//!
//! Where the time goes, and what [`AppendOnlyMap::fold`] does about it: with a hundred thousand
//! keys the table is several megabytes, so a lookup misses the cache twice, once on its slot and
//! once on the bytes of the stored key it compares with. One lookup after another makes each
//! wait for the previous one's misses. `fold` therefore pulls records 16 at a time (one chunk
//! from the [`PartitionIterator`], one dynamic call) and walks each batch three times: hash every key and load its home slot; load the bytes of the stored
//! key whose hash matches (hashing it into [`Touch`], which reads without comparing); then change
//! the values. The loads of the first two walks are independent of each other, so the processor
//! overlaps their misses; the third walk finds everything in cache (on the word count benchmark
//! the walks took a job from about 209 to 160 ms). Keys of records whose key was
//! already present are freed once per batch, not between probes: a free right after each lookup
//! chains every lookup to the previous one through the allocator's free list, which measured
//! about twice as slow.

use std::hash::{Hash, Hasher};

use crate::partitioner::stable_hash;
use crate::rdd::PartitionIterator;

/// Spark's initial capacity.
const INITIAL_CAPACITY: usize = 64;

/// Records taken per batch by [`AppendOnlyMap::fold`]: enough independent misses to overlap,
/// few enough that the batch's slots are still cached when its values are changed.
const LOOKAHEAD: usize = 16;

/// One occupied slot: the key's hash, the key and its value.
pub(crate) struct Slot<K, V> {
    hash: u64,
    key: K,
    value: V,
}

/// An open hash table for the append-only case (see the module documentation).
pub(crate) struct AppendOnlyMap<K, V> {
    slots: Vec<Option<Slot<K, V>>>,
    mask: usize,
    len: usize,
    grow_threshold: usize,
}

impl<K: Hash + Eq, V> Default for AppendOnlyMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq, V> AppendOnlyMap<K, V> {
    /// An empty map of Spark's initial capacity, 64 slots.
    pub(crate) fn new() -> Self {
        AppendOnlyMap {
            slots: empty_slots(INITIAL_CAPACITY),
            mask: INITIAL_CAPACITY - 1,
            len: 0,
            grow_threshold: grow_threshold(INITIAL_CAPACITY),
        }
    }

    /// The number of keys.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The slot holding `key`, or the empty slot where it would go.
    #[inline]
    fn find(&self, hash: u64, key: &K) -> usize {
        let mut pos = hash as usize & self.mask;
        let mut delta = 1;
        loop {
            match &self.slots[pos] {
                Some(slot) if slot.hash != hash || slot.key != *key => {
                    pos = (pos + delta) & self.mask;
                    delta += 1;
                }
                _ => return pos,
            }
        }
    }

    /// The first slot on `hash`'s probe path holding a key of that hash, if any (no key is
    /// compared).
    #[inline]
    fn probe_by_hash(&self, hash: u64) -> Option<&Slot<K, V>> {
        let mut pos = hash as usize & self.mask;
        let mut delta = 1;
        loop {
            match &self.slots[pos] {
                Some(slot) if slot.hash == hash => return Some(slot),
                Some(_) => {
                    pos = (pos + delta) & self.mask;
                    delta += 1;
                }
                None => return None,
            }
        }
    }

    /// Spark's `changeValue`: the value of `key` becomes `create(x)` when the key is new and
    /// `merge(value, x)` when it is present. Returns the given key when the map already held an
    /// equal one (the caller decides when to free it).
    #[inline]
    fn change_value<X>(
        &mut self,
        hash: u64,
        key: K,
        x: X,
        create: &impl Fn(X) -> V,
        merge: &impl Fn(V, X) -> V,
    ) -> Option<K> {
        let pos = self.find(hash, &key);
        match self.slots[pos].take() {
            Some(slot) => {
                // A panic in `merge` leaves this slot empty, a hole in its probe chains. Every
                // caller unwinds out of the function that owns the map, so the map is only
                // dropped afterwards, and every value in it still drops once.
                let value = merge(slot.value, x);
                self.slots[pos] = Some(Slot { value, ..slot });
                Some(key)
            }
            None => {
                let value = create(x);
                self.slots[pos] = Some(Slot { hash, key, value });
                self.len += 1;
                if self.len > self.grow_threshold {
                    self.grow_table();
                }
                None
            }
        }
    }

    /// Doubles the capacity and places every slot again by its kept hash (keys are unique, so
    /// no key is compared).
    fn grow_table(&mut self) {
        let capacity = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, empty_slots(capacity));
        self.mask = capacity - 1;
        self.grow_threshold = grow_threshold(capacity);
        for slot in old.into_iter().flatten() {
            let mut pos = slot.hash as usize & self.mask;
            let mut delta = 1;
            while self.slots[pos].is_some() {
                pos = (pos + delta) & self.mask;
                delta += 1;
            }
            self.slots[pos] = Some(slot);
        }
    }

    /// Folds `(K, X)` records into the map in arrival order: `create(x)` starts the value of a
    /// new key, `merge(value, x)` folds `x` into the value of a key already present. Batched as
    /// the module documentation describes; the result is the same as one `change_value` per
    /// record. A panic in `create` or `merge` must unwind out of the map's owner (see
    /// [`AppendOnlyMap::change_value`]).
    pub(crate) fn fold<X>(
        &mut self,
        mut records: impl PartitionIterator<(K, X)>,
        create: impl Fn(X) -> V,
        merge: impl Fn(V, X) -> V,
    ) {
        let mut pulled: Vec<(K, X)> = Vec::with_capacity(LOOKAHEAD);
        let mut batch: Vec<(u64, K, X)> = Vec::with_capacity(LOOKAHEAD);
        let mut spent: Vec<K> = Vec::with_capacity(LOOKAHEAD);
        loop {
            records.next_chunk_into(&mut pulled, LOOKAHEAD);
            if pulled.is_empty() {
                return;
            }
            batch.extend(pulled.drain(..).map(|(k, x)| (stable_hash(&k), k, x)));
            // Walks one and two only load (`black_box` keeps the compiler from dropping them):
            // each record's home slot, then the bytes of the stored key whose hash matches.
            let mut touch = Touch::default();
            for (hash, _, _) in &batch {
                touch.0 += self.slots[*hash as usize & self.mask].is_some() as u64;
            }
            for (hash, _, _) in &batch {
                if let Some(slot) = self.probe_by_hash(*hash) {
                    slot.key.hash(&mut touch);
                }
            }
            std::hint::black_box(touch.0);
            for (hash, key, x) in batch.drain(..) {
                if let Some(key) = self.change_value(hash, key, x, &create, &merge) {
                    spent.push(key);
                }
            }
            spent.clear();
        }
    }
}

impl<K, V> IntoIterator for AppendOnlyMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::iter::FilterMap<
        std::vec::IntoIter<Option<Slot<K, V>>>,
        fn(Option<Slot<K, V>>) -> Option<(K, V)>,
    >;

    /// The entries in slot order, as Spark's iterator gives them.
    fn into_iter(self) -> Self::IntoIter {
        self.slots
            .into_iter()
            .filter_map(|slot| slot.map(|s| (s.key, s.value)))
    }
}

/// A `Hasher` that only reads the first byte it is given: hashing a stored key with it loads
/// the key's bytes (a `String`'s buffer, say) into the cache without comparing anything.
#[derive(Default)]
struct Touch(u64);

impl Hasher for Touch {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        if let Some(b) = bytes.first() {
            self.0 = self.0.wrapping_add(u64::from(*b));
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

fn empty_slots<K, V>(capacity: usize) -> Vec<Option<Slot<K, V>>> {
    std::iter::repeat_with(|| None).take(capacity).collect()
}

/// Spark's load factor, 0.7, in integers.
fn grow_threshold(capacity: usize) -> usize {
    capacity / 10 * 7 + capacity % 10 * 7 / 10
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdd::PerValue;
    use std::collections::HashMap;
    use std::panic::{self, AssertUnwindSafe};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn fold_all<K: Hash + Eq, X, V>(
        records: impl Iterator<Item = (K, X)>,
        create: impl Fn(X) -> V,
        merge: impl Fn(V, X) -> V,
    ) -> AppendOnlyMap<K, V> {
        let mut map = AppendOnlyMap::new();
        map.fold(PerValue(records), create, merge);
        map
    }

    #[test]
    fn folds_like_one_entry_per_record_through_many_growths() {
        let records: Vec<(String, u64)> = (0..20_000u64)
            .map(|i| (format!("k{}", i * 7919 % 3001), i))
            .collect();
        let map = fold_all(
            records.iter().cloned(),
            |x| vec![x],
            |mut c, x| {
                c.push(x);
                c
            },
        );
        assert_eq!(map.len(), 3001);
        let mut want: HashMap<String, Vec<u64>> = HashMap::new();
        for (k, x) in records {
            want.entry(k).or_default().push(x);
        }
        let got: HashMap<String, Vec<u64>> = map.into_iter().collect();
        assert_eq!(got, want);
    }

    #[test]
    fn grows_past_seventy_percent_and_keeps_a_power_of_two() {
        assert_eq!(grow_threshold(64), 44);
        assert_eq!(grow_threshold(1 << 20), (0.7 * (1 << 20) as f64) as usize);
        let mut map = AppendOnlyMap::new();
        map.fold(PerValue((0..45u32).map(|k| (k, ()))), |_| 0u8, |v, _| v);
        assert_eq!(map.slots.len(), 64 * 2);
        assert_eq!(map.len(), 45);
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_key() {
        // Same home slot for every key: quadratic probing must still keep them apart.
        let mut map: AppendOnlyMap<u32, u32> = AppendOnlyMap::new();
        for round in 0..3 {
            for k in 0..40u32 {
                map.change_value(7, k, 1, &|x| x, &|v, x| v + x);
            }
            assert_eq!(map.len(), 40, "round {round}");
        }
        let mut entries: Vec<(u32, u32)> = map.into_iter().collect();
        entries.sort();
        assert_eq!(entries, (0..40).map(|k| (k, 3)).collect::<Vec<_>>());
    }

    #[test]
    fn iteration_order_is_the_same_in_every_run() {
        let run = || {
            fold_all((0..1000u64).map(|i| (i % 97, i)), |x| x, |v, x| v + x)
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    /// Counts its drops.
    struct Tracked(Arc<AtomicUsize>, u64);
    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_panicking_merge_drops_every_value_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let records = (0..100u64).map(move |i| (i % 10, Tracked(d.clone(), i)));
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            fold_all(
                records,
                |x| x,
                |c: Tracked, x: Tracked| {
                    if x.1 == 55 {
                        panic!("merge fails on 55");
                    }
                    Tracked(c.0.clone(), c.1 + x.1)
                },
            )
        }));
        assert!(result.is_err());
        // Every value made is dropped exactly once (a double drop would count one more): the
        // records pulled (the batch holding record 55, and those before it) and the 45
        // combiners made by the merges of records 10 to 54.
        let pulled = ((55 / LOOKAHEAD + 1) * LOOKAHEAD).min(100);
        assert_eq!(drops.load(Ordering::SeqCst), pulled + 45);
    }
}
