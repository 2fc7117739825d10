//! An executor's memory store (Spark's `MemoryStore`): blocks as values or as serialized bytes,
//! bounded by the executor's block memory, evicted least-recently-used first.
//!
//! Like Spark's `evictBlocksToFreeSpace`, making room for a block never evicts another block of
//! the same RDD (that would only thrash). What eviction drops is handed back to the caller,
//! which spills blocks whose level uses disk and forgets the others.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::storage::block_manager::BlockId;
use crate::storage::StorageLevel;

/// What a memory block holds.
#[derive(Clone)]
pub(crate) enum MemoryValue {
    /// The values themselves, as `Arc<Vec<T>>` (deserialized levels).
    Values(Arc<dyn Any + Send + Sync>),
    /// The serialized values (`_SER` levels).
    Bytes(Arc<Vec<u8>>),
}

struct Entry {
    value: MemoryValue,
    size: u64,
    level: StorageLevel,
    last_use: u64,
}

/// A block pushed out of memory, for the caller to spill or drop.
pub(crate) struct Evicted {
    pub(crate) id: BlockId,
    pub(crate) value: MemoryValue,
    pub(crate) level: StorageLevel,
}

/// Blocks in memory with LRU order.
pub(crate) struct MemoryStore {
    max: u64,
    used: u64,
    clock: u64,
    entries: HashMap<BlockId, Entry>,
    lru: BTreeMap<u64, BlockId>,
}

impl MemoryStore {
    pub(crate) fn new(max: u64) -> MemoryStore {
        MemoryStore {
            max,
            used: 0,
            clock: 0,
            entries: HashMap::new(),
            lru: BTreeMap::new(),
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The block's value, marking it most recently used.
    pub(crate) fn get(&mut self, id: BlockId) -> Option<MemoryValue> {
        let now = self.tick();
        let entry = self.entries.get_mut(&id)?;
        self.lru.remove(&entry.last_use);
        entry.last_use = now;
        self.lru.insert(now, id);
        Some(entry.value.clone())
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, id: BlockId) -> bool {
        self.entries.contains_key(&id)
    }

    /// Stores a block if it fits, evicting older blocks of other RDDs as needed. Returns the
    /// evicted blocks, or `Err(())` (nothing stored, nothing evicted) when it cannot fit.
    pub(crate) fn put(
        &mut self,
        id: BlockId,
        value: MemoryValue,
        size: u64,
        level: StorageLevel,
    ) -> Result<Vec<Evicted>, ()> {
        self.remove(id);
        if size > self.max {
            return Err(());
        }
        // Which blocks would have to go, oldest first, never of the same RDD.
        let mut free = self.max - self.used;
        let mut victims = Vec::new();
        if free < size {
            for (_, victim) in self.lru.iter() {
                if victim.rdd_id().is_some() && victim.rdd_id() == id.rdd_id() {
                    continue;
                }
                victims.push(*victim);
                free += self.entries[victim].size;
                if free >= size {
                    break;
                }
            }
            if free < size {
                return Err(());
            }
        }
        let evicted = victims
            .into_iter()
            .filter_map(|v| {
                let entry = self.remove_entry(v)?;
                Some(Evicted {
                    id: v,
                    value: entry.value,
                    level: entry.level,
                })
            })
            .collect();
        let now = self.tick();
        self.used += size;
        self.lru.insert(now, id);
        self.entries.insert(
            id,
            Entry {
                value,
                size,
                level,
                last_use: now,
            },
        );
        Ok(evicted)
    }

    fn remove_entry(&mut self, id: BlockId) -> Option<Entry> {
        let entry = self.entries.remove(&id)?;
        self.lru.remove(&entry.last_use);
        self.used -= entry.size;
        Some(entry)
    }

    /// Removes a block; returns its size.
    pub(crate) fn remove(&mut self, id: BlockId) -> Option<u64> {
        self.remove_entry(id).map(|e| e.size)
    }

    /// The size of a block held here.
    pub(crate) fn size_of(&self, id: BlockId) -> Option<u64> {
        self.entries.get(&id).map(|e| e.size)
    }

    /// The level a block held here was stored at.
    pub(crate) fn level_of(&self, id: BlockId) -> Option<StorageLevel> {
        self.entries.get(&id).map(|e| e.level)
    }

    /// Every block id held here.
    pub(crate) fn ids(&self) -> Vec<BlockId> {
        self.entries.keys().copied().collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.lru.clear();
        self.used = 0;
    }

    /// Bytes not used by blocks.
    pub(crate) fn free(&self) -> u64 {
        self.max - self.used
    }

    #[cfg(test)]
    pub(crate) fn used(&self) -> u64 {
        self.used
    }
}

/// Spark's `SizeEstimator`, roughly: each element counts the larger of its inline size and its
/// serialized size (which includes what it owns on the heap: a string's bytes, a vector's
/// elements), averaged over a sample of 64 elements and scaled to the whole block.
pub(crate) fn estimate_size<T: serde::Serialize>(values: &[T]) -> u64 {
    const OVERHEAD: u64 = 64;
    if values.is_empty() {
        return OVERHEAD;
    }
    const SAMPLES: usize = 64;
    let inline = std::mem::size_of::<T>() as u64;
    let step = (values.len() / SAMPLES).max(1);
    let mut sampled = 0u64;
    let mut bytes = 0u64;
    for v in values.iter().step_by(step) {
        bytes += crate::serializer::serialized_size(v)
            .unwrap_or(0)
            .max(inline);
        sampled += 1;
    }
    OVERHEAD + bytes * values.len() as u64 / sampled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(rdd_id: usize, split: usize) -> BlockId {
        BlockId::rdd(rdd_id, split)
    }

    fn bytes(n: usize) -> MemoryValue {
        MemoryValue::Bytes(Arc::new(vec![0; n]))
    }

    #[test]
    fn evicts_least_recently_used_of_other_rdds() {
        let mut m = MemoryStore::new(100);
        let lvl = StorageLevel::MEMORY_ONLY_SER;
        m.put(id(1, 0), bytes(40), 40, lvl).unwrap();
        m.put(id(1, 1), bytes(40), 40, lvl).unwrap();
        m.get(id(1, 0)); // 1_1 is now the least recently used
        let evicted = m.put(id(2, 0), bytes(40), 40, lvl).unwrap();
        assert_eq!(
            evicted.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![id(1, 1)]
        );
        assert!(m.contains(id(1, 0)) && m.contains(id(2, 0)));
        assert_eq!(m.used(), 80);
    }

    #[test]
    fn never_evicts_the_same_rdd_and_refuses_what_cannot_fit() {
        let mut m = MemoryStore::new(100);
        let lvl = StorageLevel::MEMORY_ONLY;
        m.put(id(1, 0), bytes(60), 60, lvl).unwrap();
        assert!(m.put(id(1, 1), bytes(60), 60, lvl).is_err());
        assert!(m.contains(id(1, 0)));
        assert!(m.put(id(3, 0), bytes(101), 101, lvl).is_err());
    }

    #[test]
    fn plain_values_are_counted_once() {
        let v: Vec<u64> = (0..1000).collect();
        assert_eq!(estimate_size(&v), 64 + 8000);
    }

    #[test]
    fn size_estimate_grows_with_content() {
        let small: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let big: Vec<String> = (0..100)
            .map(|i| "x".repeat(1000) + &i.to_string())
            .collect();
        assert!(estimate_size(&big) > 50 * estimate_size(&small) / 10);
        assert!(estimate_size(&big) > 100_000);
    }
}
