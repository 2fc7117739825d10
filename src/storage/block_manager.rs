//! The block manager of one executor and the driver's view of all blocks (Spark's
//! `BlockManager`, `MemoryStore`, `BlockManagerMasterEndpoint`).

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::Result;
use crate::rdd::{compute_or_read_checkpoint, ComputeResult, Data, TypedRdd};
use crate::scheduler::task::TaskContext;
use crate::storage::StorageLevel;

/// A block's name: `rdd_<rddId>_<split>` (Spark's `RDDBlockId`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct BlockId {
    pub(crate) rdd_id: usize,
    pub(crate) split: usize,
}

impl std::fmt::Display for BlockId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rdd_{}_{}", self.rdd_id, self.split)
    }
}

/// The blocks one executor holds.
pub(crate) struct BlockManager {
    memory: Mutex<HashMap<BlockId, Arc<dyn Any + Send + Sync>>>,
    #[allow(dead_code)]
    max_memory: u64,
}

impl BlockManager {
    pub(crate) fn new(_executor_id: &str, max_memory: u64) -> Result<BlockManager> {
        Ok(BlockManager {
            memory: Mutex::new(HashMap::new()),
            max_memory,
        })
    }

    pub(crate) fn clear(&self) {
        self.memory.lock().clear();
    }

    pub(crate) fn remove_rdd(&self, rdd_id: usize) {
        self.memory.lock().retain(|id, _| id.rdd_id != rdd_id);
    }

    fn get<T: Data>(&self, id: BlockId) -> Option<Arc<Vec<T>>> {
        let any = self.memory.lock().get(&id).cloned()?;
        any.downcast::<Vec<T>>().ok()
    }

    fn put<T: Data>(&self, id: BlockId, values: Arc<Vec<T>>) {
        self.memory.lock().insert(id, values);
    }
}

/// The driver's record of which executor holds which block.
#[derive(Default)]
pub(crate) struct BlockManagerMaster {
    locations: Mutex<BTreeMap<BlockId, BTreeSet<String>>>,
}

impl BlockManagerMaster {
    pub(crate) fn register(&self, id: BlockId, executor_id: &str) {
        self.locations
            .lock()
            .entry(id)
            .or_default()
            .insert(executor_id.to_string());
    }

    /// Whether every partition of `rdd` has a cached copy somewhere.
    pub(crate) fn all_cached(&self, rdd: &dyn crate::rdd::RddBase) -> bool {
        let id = rdd.core().id;
        let n = crate::rdd::num_partitions(rdd);
        if rdd.core().storage_level() == StorageLevel::NONE || n == 0 {
            return false;
        }
        let locs = self.locations.lock();
        (0..n).all(|split| {
            locs.get(&BlockId { rdd_id: id, split })
                .is_some_and(|s| !s.is_empty())
        })
    }

    /// Forgets every block of an RDD.
    pub(crate) fn remove_rdd(&self, rdd_id: usize) {
        self.locations.lock().retain(|id, _| id.rdd_id != rdd_id);
    }

    /// Storage facts per RDD with cached blocks.
    pub(crate) fn rdd_infos(&self) -> Vec<crate::storage::RddInfo> {
        Vec::new()
    }

    pub(crate) fn remove_executor(&self, executor_id: &str) {
        let mut locs = self.locations.lock();
        for set in locs.values_mut() {
            set.remove(executor_id);
        }
        locs.retain(|_, s| !s.is_empty());
    }
}

/// Spark's `RDD.getOrCompute`: the cached block if present, else compute and cache it.
pub(crate) fn get_or_compute<T: Data>(
    rdd: &dyn TypedRdd<T>,
    split: usize,
    _level: StorageLevel,
    ctx: &TaskContext,
) -> ComputeResult<T> {
    let id = BlockId {
        rdd_id: rdd.core().id,
        split,
    };
    let bm = &ctx.executor.block_manager;
    if let Some(values) = bm.get::<T>(id) {
        return Ok(Box::new(ArcVecIter { values, pos: 0 }));
    }
    let values: Arc<Vec<T>> = Arc::new(compute_or_read_checkpoint(rdd, split, ctx)?.collect());
    bm.put(id, values.clone());
    ctx.env.block_manager_master.register(id, &ctx.executor.id);
    Ok(Box::new(ArcVecIter { values, pos: 0 }))
}

/// Iterates a shared block by cloning its values.
pub(crate) struct ArcVecIter<T> {
    values: Arc<Vec<T>>,
    pos: usize,
}

impl<T> ArcVecIter<T> {
    pub(crate) fn new(values: Arc<Vec<T>>) -> Self {
        ArcVecIter { values, pos: 0 }
    }
}

impl<T: Clone> Iterator for ArcVecIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        let v = self.values.get(self.pos)?.clone();
        self.pos += 1;
        Some(v)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.values.len() - self.pos;
        (n, Some(n))
    }
}
