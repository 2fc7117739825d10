//! The block manager of one executor and the driver's view of all blocks (Spark's
//! `BlockManager`, `BlockInfoManager`, `BlockManagerMasterEndpoint`), and `getOrElseUpdate`.
//!
//! Layering: **storage knows no RDDs and no scheduler**. It uses only the serializer, the
//! checksum and the error type; the executors around it and the events it reports come
//! through the [`BlockCluster`] trait its caller implements.
//!
//! A persisted RDD partition is the block `rdd_<rddId>_<split>`. [`get_or_else_update`]
//! (called only by `rdd::get_or_compute`) looks for it in this executor's memory, then on its
//! disk, then on the executors the [`BlockManagerMaster`] says hold a copy; only if none has it
//! are the values made by the caller's closure (Spark's `makeIterator`: the RDD layer's
//! `compute_or_read_checkpoint`) and stored at the RDD's level:
//!
//! * deserialized memory levels keep the values; `_SER` levels keep serialized bytes;
//! * a block that does not fit in memory goes to disk when the level allows, else it is not
//!   stored at all and the computed values are returned uncached (Spark's rule);
//! * blocks evicted to make room spill to disk when their level uses disk, else are dropped
//!   (and recomputed on the next read);
//! * `_2`/`_3` levels copy the block to one or two other live executors.
//!
//! Two tasks asking for the same missing block on one executor compute it once: the first takes
//! the block's write lock (Spark's `BlockInfoManager.lockNewBlockForWriting`), the other waits
//! for it, then reads the stored block. No store lock is held while the partition is computed.
//! A block that cannot be read back (an unreadable or corrupt disk file) is treated as lost:
//! dropped, reported, and recomputed from lineage.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::serializer;
use crate::storage::disk_store::DiskStore;
use crate::storage::memory_store::{Evicted, MemoryStore, MemoryValue};
use crate::storage::StorageLevel;

/// A block's name (Spark's `BlockId`): `rdd_<rddId>_<split>` (`RDDBlockId`), or
/// `broadcast_<id>` / `broadcast_<id>_piece<n>` (`BroadcastBlockId`: a broadcast's whole value,
/// or one piece of its serialized bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum BlockId {
    /// A persisted RDD partition.
    Rdd { rdd_id: usize, split: usize },
    /// A broadcast's value (`piece: None`) or one of its pieces.
    Broadcast {
        broadcast_id: u64,
        piece: Option<usize>,
    },
}

impl BlockId {
    /// `rdd_<rdd_id>_<split>`.
    pub(crate) const fn rdd(rdd_id: usize, split: usize) -> BlockId {
        BlockId::Rdd { rdd_id, split }
    }

    /// The RDD whose partition this block is (`None` for other blocks).
    pub(crate) fn rdd_id(&self) -> Option<usize> {
        match self {
            BlockId::Rdd { rdd_id, .. } => Some(*rdd_id),
            BlockId::Broadcast { .. } => None,
        }
    }

    /// The broadcast this block belongs to (`None` for other blocks).
    pub(crate) fn broadcast_id(&self) -> Option<u64> {
        match self {
            BlockId::Broadcast { broadcast_id, .. } => Some(*broadcast_id),
            BlockId::Rdd { .. } => None,
        }
    }

    /// Parses the names `Display` writes (Spark's `BlockId.apply`, for the kinds sparklet
    /// stores): `rdd_<rddId>_<split>`, `broadcast_<id>`, `broadcast_<id>_piece<n>`.
    pub(crate) fn parse(name: &str) -> Option<BlockId> {
        if let Some(rest) = name.strip_prefix("rdd_") {
            let (rdd, split) = rest.split_once('_')?;
            return Some(BlockId::rdd(rdd.parse().ok()?, split.parse().ok()?));
        }
        let rest = name.strip_prefix("broadcast_")?;
        let (id, piece) = match rest.split_once('_') {
            None => (rest, None),
            Some((id, field)) => (id, Some(field.strip_prefix("piece")?.parse().ok()?)),
        };
        // Digits only: `parse` would also take a sign.
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(BlockId::Broadcast {
            broadcast_id: id.parse().ok()?,
            piece,
        })
    }
}

impl std::fmt::Display for BlockId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockId::Rdd { rdd_id, split } => write!(f, "rdd_{rdd_id}_{split}"),
            BlockId::Broadcast {
                broadcast_id,
                piece: None,
            } => write!(f, "broadcast_{broadcast_id}"),
            BlockId::Broadcast {
                broadcast_id,
                piece: Some(n),
            } => write!(f, "broadcast_{broadcast_id}_piece{n}"),
        }
    }
}

/// A block as found in some store.
enum Found {
    Memory(MemoryValue),
    Disk(Vec<u8>),
}

/// How to serialize a type-erased `Arc<Vec<T>>` (to spill a deserialized block to disk).
pub(crate) type SerializeFn = fn(&(dyn Any + Send + Sync)) -> Result<Vec<u8>>;

fn serialize_values<T: BlockValue>(any: &(dyn Any + Send + Sync)) -> Result<Vec<u8>> {
    let values = any.downcast_ref::<Vec<T>>().ok_or_else(|| {
        Error::Internal("a block's spill function was registered for another type".into())
    })?;
    serializer::serialize_seq(values.iter()).map_err(cannot_serialize)
}

/// A block whose values the serializer refuses.
fn cannot_serialize(message: serializer::SerializerError) -> Error {
    Error::InvalidArgument(format!("cannot serialize a block: {message}"))
}

/// Why a block was not stored (it is then simply not cached).
enum NotStored {
    DoesNotFit,
    NoSerializer,
}

impl NotStored {
    fn into_error(self, id: BlockId) -> Error {
        match self {
            NotStored::DoesNotFit => Error::IllegalState(format!(
                "{id} does not fit in memory and its level has no disk"
            )),
            NotStored::NoSerializer => {
                Error::Internal(format!("{id} has no serializer to spill it to disk"))
            }
        }
    }
}

/// One executor's blocks.
pub(crate) struct BlockManager {
    memory: Mutex<MemoryStore>,
    disk: DiskStore,
    /// How each memory block of values is serialized when it spills.
    spill: Mutex<HashMap<BlockId, SerializeFn>>,
    /// Blocks being computed on this executor (Spark's block write locks).
    computing: Mutex<HashMap<BlockId, Arc<BlockLock>>>,
}

/// The write lock of a block being computed.
pub(crate) struct BlockLock {
    done: Mutex<bool>,
    cv: Condvar,
}

impl BlockLock {
    /// Waits until the thread holding the lock lets go of it (stored, failed or panicked).
    pub(crate) fn wait(&self) {
        let mut done = self.done.lock();
        while !*done {
            self.cv.wait(&mut done);
        }
    }
}

/// Held while computing a block; releases waiters when dropped (even on panic).
pub(crate) struct ComputeGuard<'a> {
    bm: &'a BlockManager,
    id: BlockId,
    lock: Arc<BlockLock>,
}

impl Drop for ComputeGuard<'_> {
    fn drop(&mut self) {
        self.bm.computing.lock().remove(&self.id);
        *self.lock.done.lock() = true;
        self.lock.cv.notify_all();
    }
}

impl BlockManager {
    pub(crate) fn new(
        executor_id: &str,
        max_memory: u64,
        local_dir: Option<&Path>,
    ) -> Result<Self> {
        Ok(BlockManager {
            memory: Mutex::new(MemoryStore::new(max_memory)),
            disk: DiskStore::new(executor_id, local_dir)?,
            spill: Mutex::new(HashMap::new()),
            computing: Mutex::new(HashMap::new()),
        })
    }

    /// Drops every block (the executor died).
    pub(crate) fn clear(&self) {
        self.memory.lock().clear();
        self.spill.lock().clear();
        self.disk.clear();
    }

    /// Removes every block of an RDD.
    pub(crate) fn remove_rdd(&self, rdd_id: usize) {
        let mut memory = self.memory.lock();
        for id in memory
            .ids()
            .into_iter()
            .filter(|b| b.rdd_id() == Some(rdd_id))
        {
            memory.remove(id);
            self.spill.lock().remove(&id);
        }
        drop(memory);
        for id in self
            .disk
            .ids()
            .into_iter()
            .filter(|b| b.rdd_id() == Some(rdd_id))
        {
            self.disk.remove(id);
        }
    }

    /// Removes one block from this executor.
    pub(crate) fn remove_block(&self, id: BlockId) {
        self.memory.lock().remove(id);
        self.spill.lock().remove(&id);
        self.disk.remove(id);
    }

    /// The block from memory, else from disk (`Err` when the disk copy cannot be read).
    fn get_local(&self, id: BlockId) -> Result<Option<Found>> {
        if let Some(v) = self.memory.lock().get(id) {
            return Ok(Some(Found::Memory(v)));
        }
        Ok(self.disk.get(id)?.map(Found::Disk))
    }

    /// The number of distinct blocks held (memory or disk).
    pub(crate) fn block_count(&self) -> usize {
        let mut ids: BTreeSet<BlockId> = self.memory.lock().ids().into_iter().collect();
        ids.extend(self.disk.ids());
        ids.len()
    }

    /// Where block `id` is kept here, reported with `level`'s deserialized flag and replication.
    pub(crate) fn status(&self, id: BlockId, level: StorageLevel) -> BlockStatus {
        let memory_size = self.memory.lock().size_of(id);
        let disk_size = self.disk.size_of(id);
        BlockStatus {
            storage_level: StorageLevel::from_flags(
                disk_size.is_some(),
                memory_size.is_some(),
                level.use_off_heap(),
                level.deserialized() && memory_size.is_some(),
                level.replication(),
            ),
            memory_size: memory_size.unwrap_or(0),
            disk_size: disk_size.unwrap_or(0),
        }
    }

    /// (memory bytes, disk bytes) of the blocks of one RDD, and their splits.
    pub(crate) fn rdd_usage(&self, rdd_id: usize) -> (u64, u64, BTreeSet<usize>) {
        let mut splits = BTreeSet::new();
        let mut mem = 0;
        let mut disk = 0;
        let memory = self.memory.lock();
        for id in memory.ids() {
            if let BlockId::Rdd { rdd_id: r, split } = id {
                if r == rdd_id {
                    mem += memory.size_of(id).unwrap_or(0);
                    splits.insert(split);
                }
            }
        }
        drop(memory);
        for id in self.disk.ids() {
            if let BlockId::Rdd { rdd_id: r, split } = id {
                if r == rdd_id {
                    disk += self.disk.size_of(id).unwrap_or(0);
                    splits.insert(split);
                }
            }
        }
        (mem, disk, splits)
    }

    /// Takes the write lock of a missing block, or returns the lock to wait on.
    pub(crate) fn begin_compute(
        &self,
        id: BlockId,
    ) -> std::result::Result<ComputeGuard<'_>, Arc<BlockLock>> {
        let mut computing = self.computing.lock();
        if let Some(lock) = computing.get(&id) {
            return Err(lock.clone());
        }
        let lock = Arc::new(BlockLock {
            done: Mutex::new(false),
            cv: Condvar::new(),
        });
        computing.insert(id, lock.clone());
        Ok(ComputeGuard { bm: self, id, lock })
    }

    /// Stores a block in this executor at `level`. Returns whether it was stored, and the
    /// blocks evicted from memory that were dropped (not spilled), for the master to forget.
    fn put(
        &self,
        id: BlockId,
        value: MemoryValue,
        size: u64,
        spill: Option<SerializeFn>,
        level: StorageLevel,
    ) -> (Result<()>, Vec<BlockId>) {
        let mut dropped = Vec::new();
        if level.use_memory() {
            let put = self.memory.lock().put(id, value.clone(), size, level);
            if let Ok(evicted) = put {
                self.log_stored_in_memory(id, &value, size);
                if let Some(f) = spill {
                    self.spill.lock().insert(id, f);
                }
                dropped = self.handle_evicted(evicted);
                return (Ok(()), dropped);
            }
        }
        if !level.use_disk() {
            return (Err(NotStored::DoesNotFit.into_error(id)), dropped);
        }
        let bytes = match &value {
            MemoryValue::Bytes(b) => Ok(b.clone()),
            MemoryValue::Values(any) => match spill {
                Some(f) => f(&**any).map(Arc::new),
                None => Err(NotStored::NoSerializer.into_error(id)),
            },
        };
        let result = bytes.and_then(|b| self.disk.put(id, &b));
        (result, dropped)
    }

    /// Spark's `MemoryStore` line for a stored block (written with no store lock held).
    fn log_stored_in_memory(&self, id: BlockId, value: &MemoryValue, size: u64) {
        let target = crate::logging::MEMORY_STORE;
        if !log::log_enabled!(target: target, log::Level::Info) {
            return;
        }
        let free = self.memory.lock().free();
        let kind = match value {
            MemoryValue::Values(_) => "values",
            MemoryValue::Bytes(_) => "bytes",
        };
        log::info!(
            target: target,
            "Block {id} stored as {kind} in memory (estimated size {size} B, free {free} B)"
        );
    }

    /// Spark's `putBytes`: serialized bytes at `level` (memory when they fit, else disk when the
    /// level allows). Returns whether they were stored, and the blocks eviction dropped.
    pub(crate) fn put_bytes(
        &self,
        id: BlockId,
        bytes: Arc<Vec<u8>>,
        level: StorageLevel,
    ) -> (Result<()>, Vec<BlockId>) {
        let size = bytes.len() as u64;
        self.put(id, MemoryValue::Bytes(bytes), size, None, level)
    }

    /// Spark's `putSingle`: one deserialized value of estimated memory `size`; `spill`
    /// serializes it when it has to go to disk. Returns as [`BlockManager::put_bytes`].
    pub(crate) fn put_single(
        &self,
        id: BlockId,
        value: Arc<dyn Any + Send + Sync>,
        size: u64,
        spill: SerializeFn,
        level: StorageLevel,
    ) -> (Result<()>, Vec<BlockId>) {
        self.put(id, MemoryValue::Values(value), size, Some(spill), level)
    }

    /// Spark's `getLocalValues` / `getLocalBytes`: the block as kept on this executor, a value
    /// from memory or bytes from memory or disk (`Err` when the disk copy cannot be read).
    pub(crate) fn get_local_block(&self, id: BlockId) -> Result<Option<LocalBlock>> {
        Ok(self.get_local(id)?.map(|found| match found {
            Found::Memory(MemoryValue::Values(v)) => LocalBlock::Value(v),
            Found::Memory(MemoryValue::Bytes(b)) => LocalBlock::Bytes(b),
            Found::Disk(b) => LocalBlock::Bytes(Arc::new(b)),
        }))
    }

    /// The blocks of broadcast `broadcast_id` held here (its value and pieces), in memory or
    /// on disk.
    pub(crate) fn broadcast_blocks(&self, broadcast_id: u64) -> Vec<BlockId> {
        let mut ids: BTreeSet<BlockId> = self.memory.lock().ids().into_iter().collect();
        ids.extend(self.disk.ids());
        ids.into_iter()
            .filter(|b| b.broadcast_id() == Some(broadcast_id))
            .collect()
    }

    /// Where block `id` is kept here, at the level it was stored with (a block found only on
    /// disk reports a disk level), or `None` when this executor does not hold it.
    pub(crate) fn current_status(&self, id: BlockId) -> Option<BlockStatus> {
        let level = self.memory.lock().level_of(id);
        let on_disk = self.disk.size_of(id).is_some();
        let level = match level {
            Some(level) => level,
            None if on_disk => StorageLevel::DISK_ONLY,
            None => return None,
        };
        Some(self.status(id, level))
    }

    /// Spills evicted blocks whose level uses disk; returns the ids of those dropped.
    fn handle_evicted(&self, evicted: Vec<Evicted>) -> Vec<BlockId> {
        let mut dropped = Vec::new();
        for e in evicted {
            log::info!(target: crate::logging::BLOCK_MANAGER, "Dropping block {} from memory", e.id);
            let spill = self.spill.lock().remove(&e.id);
            let spilled = e.level.use_disk()
                && match &e.value {
                    MemoryValue::Bytes(b) => self.disk.put(e.id, b).is_ok(),
                    MemoryValue::Values(any) => spill
                        .and_then(|f| f(&**any).ok())
                        .is_some_and(|b| self.disk.put(e.id, &b).is_ok()),
                };
            if !spilled {
                dropped.push(e.id);
            }
        }
        dropped
    }
}

/// The driver's record of which executors hold which block (Spark's
/// `BlockManagerMasterEndpoint`).
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

    pub(crate) fn unregister(&self, id: BlockId, executor_id: &str) {
        let mut locs = self.locations.lock();
        if let Some(set) = locs.get_mut(&id) {
            set.remove(executor_id);
            if set.is_empty() {
                locs.remove(&id);
            }
        }
    }

    /// The executors holding a copy of the block.
    pub(crate) fn locations(&self, id: BlockId) -> Vec<String> {
        self.locations
            .lock()
            .get(&id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether each of the `num_partitions` blocks `rdd_<rdd_id>_*` has a copy somewhere (false
    /// for none).
    pub(crate) fn all_cached(&self, rdd_id: usize, num_partitions: usize) -> bool {
        let locs = self.locations.lock();
        num_partitions > 0
            && (0..num_partitions).all(|split| locs.contains_key(&BlockId::rdd(rdd_id, split)))
    }

    /// Forgets every block of an RDD.
    pub(crate) fn remove_rdd(&self, rdd_id: usize) {
        self.locations
            .lock()
            .retain(|id, _| id.rdd_id() != Some(rdd_id));
    }

    /// Forgets every block of a dead executor.
    pub(crate) fn remove_executor(&self, executor_id: &str) {
        let mut locs = self.locations.lock();
        for set in locs.values_mut() {
            set.remove(executor_id);
        }
        locs.retain(|_, s| !s.is_empty());
    }
}

/// What a block holds once read or stored: shared values (deserialized memory) or a fresh copy.
pub(crate) enum BlockData<T> {
    /// The memory store's own vector, shared.
    Shared(Arc<Vec<T>>),
    /// Values decoded from bytes, or computed and not kept deserialized.
    Owned(Vec<T>),
}

/// A block as one executor keeps it, for callers that store single values or raw bytes
/// (broadcasts) rather than a partition's values.
pub(crate) enum LocalBlock {
    /// A deserialized value in memory (type-erased; the caller knows its type).
    Value(Arc<dyn Any + Send + Sync>),
    /// Serialized bytes, from memory or disk.
    Bytes(Arc<Vec<u8>>),
}

/// The element types a block can hold: what the serializer and the memory store need.
pub(crate) trait BlockValue:
    Clone + Send + Sync + Serialize + DeserializeOwned + 'static
{
}
impl<T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static> BlockValue for T {}

/// The executors around one block manager, as its caller (the RDD layer, from a task) knows
/// them. Storage knows no RDDs, no scheduler and no listener bus: what it needs of them comes
/// through this trait, and what it has to report (a lost block) goes out through it.
pub(crate) trait BlockCluster {
    /// This executor's id and block manager.
    fn local(&self) -> (&str, &BlockManager);
    /// The driver's record of block locations.
    fn master(&self) -> &BlockManagerMaster;
    /// The ids of the live executors, in the order they started.
    fn executor_ids(&self) -> Vec<String>;
    /// Calls `f` with the block manager of live executor `id` (not called if it is gone).
    fn with_peer(&self, id: &str, f: &mut dyn FnMut(&BlockManager));
    /// A copy of block `id` on `executor_id` could not be read and was dropped (Spark logs
    /// and recomputes; the caller posts a `BlockLost` event).
    fn block_lost(&self, id: BlockId, executor_id: &str, reason: &str);
    /// Block `id` on `executor_id` is now kept as `status` says (Spark's
    /// `BlockManagerMaster.updateBlockInfo`; the caller posts a `BlockUpdated` event).
    fn block_updated(&self, id: BlockId, executor_id: &str, status: BlockStatus);
}

/// Where a block is kept on one executor, and its sizes (Spark's `BlockStatus`), as
/// [`SparkContext::get_block_status`](crate::SparkContext::get_block_status) reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockStatus {
    /// Memory and/or disk, with the block's deserialized flag and replication.
    pub storage_level: StorageLevel,
    /// Bytes in memory.
    pub memory_size: u64,
    /// Bytes on disk.
    pub disk_size: u64,
}

/// Spark's `BlockManager.getOrElseUpdate`: the block if any executor has it, else the values
/// of `make_values` stored at `level` (and returned). Two tasks of one executor asking for the
/// same missing block run `make_values` once; no lock is held while it runs. `estimate` gives
/// the memory of deserialized values (Spark's `SizeEstimator`).
pub(crate) fn get_or_else_update<T: BlockValue, E>(
    cluster: &dyn BlockCluster,
    id: BlockId,
    level: StorageLevel,
    estimate: &dyn Fn(&[T]) -> u64,
    make_values: impl FnOnce() -> std::result::Result<Vec<T>, E>,
) -> std::result::Result<BlockData<T>, E> {
    let bm = cluster.local().1;
    loop {
        if let Some(values) = get_block::<T>(cluster, id) {
            return Ok(values);
        }
        match bm.begin_compute(id) {
            Ok(guard) => {
                let values = make_values()?;
                let size = if level.use_memory() && level.deserialized() {
                    estimate(&values)
                } else {
                    0
                };
                let out = store_block(cluster, id, values, size, level);
                drop(guard);
                return Ok(out);
            }
            Err(lock) => lock.wait(),
        }
    }
}

/// Reads a block from this executor, else from another that holds it. A copy that cannot be
/// read is dropped and reported as lost.
pub(crate) fn get_block<T: BlockValue>(
    cluster: &dyn BlockCluster,
    id: BlockId,
) -> Option<BlockData<T>> {
    let (local_id, local) = cluster.local();
    if let Some(values) = read_from(cluster, local_id, local, id) {
        log::info!(target: crate::logging::BLOCK_MANAGER, "Found block {id} locally");
        return Some(values);
    }
    for loc in cluster.master().locations(id) {
        if loc == local_id {
            continue;
        }
        let mut found = None;
        cluster.with_peer(&loc, &mut |bm| found = read_from(cluster, &loc, bm, id));
        if found.is_some() {
            log::info!(target: crate::logging::BLOCK_MANAGER, "Found block {id} remotely");
            return found;
        }
    }
    None
}

fn read_from<T: BlockValue>(
    cluster: &dyn BlockCluster,
    executor_id: &str,
    bm: &BlockManager,
    id: BlockId,
) -> Option<BlockData<T>> {
    let found = match bm.get_local(id) {
        Ok(found) => found?,
        Err(e) => {
            block_lost(cluster, executor_id, bm, id, &e.to_string());
            return None;
        }
    };
    let decoded: std::result::Result<BlockData<T>, String> = match found {
        Found::Memory(MemoryValue::Values(any)) => any
            .downcast::<Vec<T>>()
            .map(BlockData::Shared)
            .map_err(|_| "block of an unexpected type".to_string()),
        Found::Memory(MemoryValue::Bytes(bytes)) => serializer::deserialize_seq::<T>(&bytes)
            .map(BlockData::Owned)
            .map_err(|e| e.to_string()),
        Found::Disk(bytes) => serializer::deserialize_seq::<T>(&bytes)
            .map(BlockData::Owned)
            .map_err(|e| e.to_string()),
    };
    match decoded {
        Ok(values) => Some(values),
        Err(reason) => {
            let reason = format!("cannot decode: {reason}");
            block_lost(cluster, executor_id, bm, id, &reason);
            None
        }
    }
}

/// Drops an unreadable block and says so (Spark logs and recomputes).
fn block_lost(
    cluster: &dyn BlockCluster,
    executor_id: &str,
    bm: &BlockManager,
    id: BlockId,
    reason: &str,
) {
    bm.remove_block(id);
    cluster.master().unregister(id, executor_id);
    log::warn!(
        target: crate::logging::BLOCK_MANAGER,
        "block {id} on executor {executor_id} is lost: {reason}"
    );
    cluster.block_lost(id, executor_id, reason);
}

/// Stores freshly computed values at `level` (with replicas) and returns them to iterate.
/// `size` is the estimated memory of the values (used by deserialized levels).
fn store_block<T: BlockValue>(
    cluster: &dyn BlockCluster,
    id: BlockId,
    values: Vec<T>,
    size: u64,
    level: StorageLevel,
) -> BlockData<T> {
    let (value, size, spill, out): (MemoryValue, u64, Option<SerializeFn>, BlockData<T>) =
        if level.use_memory() && level.deserialized() {
            let arc: Arc<Vec<T>> = Arc::new(values);
            (
                MemoryValue::Values(arc.clone()),
                size,
                Some(serialize_values::<T> as SerializeFn),
                BlockData::Shared(arc),
            )
        } else {
            match serializer::serialize_seq(values.iter()) {
                Ok(bytes) => {
                    let size = bytes.len() as u64;
                    (
                        MemoryValue::Bytes(Arc::new(bytes)),
                        size,
                        None,
                        BlockData::Owned(values),
                    )
                }
                Err(e) => {
                    log::warn!(target: crate::logging::BLOCK_MANAGER, "cannot serialize {id}: {e}");
                    return BlockData::Owned(values);
                }
            }
        };
    let master = cluster.master();
    let (local_id, local) = cluster.local();
    let mut targets = vec![local_id.to_string()];
    if level.replication() > 1 {
        let peers = cluster.executor_ids();
        let me = peers.iter().position(|e| e == local_id).unwrap_or(0);
        let n = peers.len();
        targets.extend(
            (1..n)
                .map(|i| peers[(me + i) % n].clone())
                .take(level.replication() - 1),
        );
    }
    for target in targets {
        let mut put = |bm: &BlockManager| {
            let (stored, dropped) = bm.put(id, value.clone(), size, spill, level);
            for d in dropped {
                master.unregister(d, &target);
                let gone = BlockStatus {
                    storage_level: StorageLevel::NONE,
                    memory_size: 0,
                    disk_size: 0,
                };
                cluster.block_updated(d, &target, gone);
            }
            match stored {
                Ok(()) => {
                    master.register(id, &target);
                    cluster.block_updated(id, &target, bm.status(id, level));
                }
                Err(reason) => {
                    log::warn!(
                        target: crate::logging::BLOCK_MANAGER,
                        "{id} not stored on executor {target}: {reason}"
                    )
                }
            }
        };
        if target == local_id {
            put(local);
        } else {
            cluster.with_peer(&target, &mut put);
        }
    }
    out
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
