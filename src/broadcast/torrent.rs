//! Spark's `TorrentBroadcast`: the value cut into checksummed pieces in the driver's block
//! store, fetched piece by piece by each executor on first use, from the driver or from any
//! executor that already has the piece.
//!
//! How it works here, in Spark's order:
//!
//! * **Writing** (`write_blocks`, on the driver when `sc.broadcast` is called): the whole value
//!   goes into the driver's store as `broadcast_<id>` at `MEMORY_AND_DISK`, not reported to the
//!   master (no task ever fetches it); then [`blockify_object`] serializes the value into
//!   pieces of `sparklet.broadcast.blockSize` bytes, each checksummed (XXH64, where Spark uses
//!   Adler-32), and each piece is stored as `broadcast_<id>_piece<n>` at `MEMORY_AND_DISK_SER`
//!   and reported (a `BlockUpdated` event, the master learns the location).
//! * **Reading** (`read_broadcast_block`, the first `value()` of a task on an executor that has
//!   no copy): the executor's block manager is asked for `broadcast_<id>`; if it is not there,
//!   the pieces are read in a random order (Spark's `Random.shuffle`), each from this executor
//!   if an earlier attempt left it there, else from a random holder the master knows (the driver
//!   or another executor); a piece read from elsewhere is checked against its checksum ("corrupt
//!   remote block ..." fails the task), stored here at `MEMORY_AND_DISK_SER` and reported, so
//!   later executors can read it from this one. The pieces are then decoded
//!   ([`unblockify_object`]) and the value stored here as `broadcast_<id>` (not reported).
//! * **Removing** (`unbroadcast`): `unpersist` removes every executor's blocks, `destroy` the
//!   driver's too; each removed piece is reported as Spark's removal line (the level it had,
//!   with replication 0, and its sizes).
//!
//! Layering: uses storage (block managers and the master), the environment (live executors,
//! the listener bus) and the serializer; knows no RDDs and no scheduler.

use std::any::Any;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::env::SparkEnv;
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::rdd::Data;
use crate::scheduler::listener::SparkListenerEvent;
use crate::serializer;
use crate::storage::block_manager::{BlockId, BlockStatus, LocalBlock};
use crate::storage::{BlockManager, StorageLevel};

/// The id the driver's block manager reports (Spark's `SparkContext.DRIVER_IDENTIFIER`).
pub(crate) const DRIVER_ID: &str = "driver";

/// Serializes `value` into pieces of at most `block_size` bytes (Spark's
/// `TorrentBroadcast.blockifyObject`, without compression). A value that serializes to no
/// bytes still gives one (empty) piece, so there is always a piece to fetch.
///
/// ```
/// use sparklet::broadcast::{blockify_object, unblockify_object};
/// let data: Vec<u32> = (0..1000).collect();
/// let pieces = blockify_object(&data, 1024).unwrap();
/// assert_eq!(pieces.len(), 4); // 8 bytes of length + 4000 bytes of values
/// assert!(pieces.iter().all(|p| p.len() <= 1024));
/// assert_eq!(unblockify_object::<Vec<u32>>(&pieces).unwrap(), data);
/// ```
pub fn blockify_object<T: Serialize + ?Sized>(
    value: &T,
    block_size: usize,
) -> Result<Vec<Vec<u8>>> {
    if block_size == 0 {
        return Err(Error::InvalidArgument(
            "a broadcast block size must be positive".into(),
        ));
    }
    let mut out = ChunkedWriter {
        block_size,
        chunks: Vec::new(),
    };
    serializer::serialize_into(&mut out, value)
        .map_err(|e| Error::InvalidArgument(format!("cannot serialize a broadcast value: {e}")))?;
    if out.chunks.is_empty() {
        out.chunks.push(Vec::new());
    }
    Ok(out.chunks)
}

/// Decodes what [`blockify_object`] wrote, pieces in order (Spark's `unBlockifyObject`).
/// No pieces is Spark's `require` failure; bytes that do not decode as `T` are an error.
pub fn unblockify_object<T: DeserializeOwned>(pieces: &[impl AsRef<[u8]>]) -> Result<T> {
    if pieces.is_empty() {
        return Err(Error::InvalidArgument(
            "requirement failed: Cannot unblockify an empty array of blocks".into(),
        ));
    }
    let total: usize = pieces.iter().map(|p| p.as_ref().len()).sum();
    let decoded = if pieces.len() == 1 {
        serializer::deserialize_bounded(pieces[0].as_ref())
    } else {
        let mut bytes = Vec::with_capacity(total);
        for p in pieces {
            bytes.extend_from_slice(p.as_ref());
        }
        serializer::deserialize_bounded(&bytes)
    };
    decoded.map_err(|e| Error::Internal(format!("cannot deserialize a broadcast value: {e}")))
}

/// Spark's `ByteArrayChunkOutputStream`: bytes written land in chunks of `block_size`.
struct ChunkedWriter {
    block_size: usize,
    chunks: Vec<Vec<u8>>,
}

impl std::io::Write for ChunkedWriter {
    fn write(&mut self, mut buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len();
        while !buf.is_empty() {
            let full = self
                .chunks
                .last()
                .is_none_or(|c| c.len() == self.block_size);
            if full {
                self.chunks
                    .push(Vec::with_capacity(self.block_size.min(1 << 20)));
            }
            let chunk = self.chunks.last_mut().expect("a chunk was just pushed");
            let take = (self.block_size - chunk.len()).min(buf.len());
            chunk.extend_from_slice(&buf[..take]);
            buf = &buf[take..];
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The checksum of one piece (Spark's `calcChecksum`, XXH64 here).
pub(crate) fn checksum(piece: &[u8]) -> u64 {
    crate::xxh64::xxh64(piece, 0)
}

/// What the driver wrote for one broadcast, and what an executor needs to read it back
/// (Spark's `numBlocks`, `checksums`, `blockSize` fields, shipped with each task there).
pub(crate) struct Written {
    pub(crate) num_blocks: usize,
    /// One per piece, when `sparklet.broadcast.checksum` is on.
    pub(crate) checksums: Option<Vec<u64>>,
    pub(crate) total_bytes: u64,
}

/// The block id of broadcast `id`'s value.
pub(crate) fn value_block(id: u64) -> BlockId {
    BlockId::Broadcast {
        broadcast_id: id,
        piece: None,
    }
}

/// The block id of piece `n` of broadcast `id`.
pub(crate) fn piece_block(id: u64, n: usize) -> BlockId {
    BlockId::Broadcast {
        broadcast_id: id,
        piece: Some(n),
    }
}

/// The level each kind of broadcast block is stored at (Spark's choices).
pub(crate) fn level_of(block: BlockId) -> StorageLevel {
    match block {
        BlockId::Broadcast { piece: None, .. } => StorageLevel::MEMORY_AND_DISK,
        _ => StorageLevel::MEMORY_AND_DISK_SER,
    }
}

/// How a broadcast value is serialized when its block spills to disk.
fn serialize_value<T: Data>(any: &(dyn Any + Send + Sync)) -> Result<Vec<u8>> {
    let value = any.downcast_ref::<T>().ok_or_else(|| {
        Error::Internal("a broadcast block's spill function was registered for another type".into())
    })?;
    Ok(serializer::serialize(value)?)
}

/// Spark's `writeBlocks`: the value (unreported) and its pieces (reported) into the driver's
/// store. On failure every block written so far is removed again.
pub(crate) fn write_blocks<T: Data>(
    env: &SparkEnv,
    driver: &BlockManager,
    id: u64,
    value: &Arc<T>,
    block_size: usize,
    with_checksums: bool,
) -> Result<Written> {
    let written = (|| {
        let pieces = blockify_object(&**value, block_size)?;
        let total_bytes: u64 = pieces.iter().map(|p| p.len() as u64).sum();
        let size = total_bytes.max(std::mem::size_of::<T>() as u64);
        let any: Arc<dyn Any + Send + Sync> = value.clone();
        let block = value_block(id);
        let (stored, dropped) =
            driver.put_single(block, any, size, serialize_value::<T>, level_of(block));
        report_dropped(env, DRIVER_ID, &dropped);
        stored.map_err(|e| store_failed(block, DRIVER_ID, &e))?;
        let checksums = with_checksums.then(|| pieces.iter().map(|p| checksum(p)).collect());
        let num_blocks = pieces.len();
        for (n, piece) in pieces.into_iter().enumerate() {
            put_piece(env, driver, DRIVER_ID, piece_block(id, n), Arc::new(piece))?;
        }
        Ok(Written {
            num_blocks,
            checksums,
            total_bytes,
        })
    })();
    if written.is_err() {
        log::error!(
            target: crate::logging::TORRENT_BROADCAST,
            "Store broadcast broadcast_{id} fail, remove all pieces of the broadcast"
        );
        remove_blocks(env, driver, DRIVER_ID, id);
    }
    written
}

/// Stores one piece on `executor_id` and reports it (Spark's `putBytes(..., tellMaster = true)`).
fn put_piece(
    env: &SparkEnv,
    bm: &BlockManager,
    executor_id: &str,
    block: BlockId,
    bytes: Arc<Vec<u8>>,
) -> Result<()> {
    let level = level_of(block);
    let (stored, dropped) = bm.put_bytes(block, bytes, level);
    report_dropped(env, executor_id, &dropped);
    stored.map_err(|e| store_failed(block, executor_id, &e))?;
    env.block_manager_master.register(block, executor_id);
    post_update(env, block, executor_id, bm.status(block, level));
    Ok(())
}

/// Spark's "Failure while trying to store block ..." error.
fn store_failed(block: BlockId, executor_id: &str, cause: &Error) -> Error {
    Error::IllegalState(format!(
        "Failure while trying to store block {block} on BlockManagerId({executor_id}, localhost, \
         7337): {cause}"
    ))
}

/// Blocks that eviction dropped (not spilled) are gone: the master forgets them and a
/// `BlockUpdated` to NONE says so, as the RDD layer does for its own puts.
fn report_dropped(env: &SparkEnv, executor_id: &str, dropped: &[BlockId]) {
    for d in dropped {
        env.block_manager_master.unregister(*d, executor_id);
        let gone = BlockStatus {
            storage_level: StorageLevel::NONE,
            memory_size: 0,
            disk_size: 0,
        };
        post_update(env, *d, executor_id, gone);
    }
}

fn post_update(env: &SparkEnv, block: BlockId, executor_id: &str, status: BlockStatus) {
    env.bus.post(SparkListenerEvent::BlockUpdated {
        block_id: block.to_string(),
        executor_id: executor_id.to_string(),
        storage_level: status.storage_level,
        memory_size: status.memory_size,
        disk_size: status.disk_size,
    });
}

/// Removes every block of broadcast `id` from one block manager; each removed piece (the
/// reported blocks) is forgotten by the master and reported as Spark reports a removal: the
/// level it had with replication 0, and the sizes it had.
pub(crate) fn remove_blocks(env: &SparkEnv, bm: &BlockManager, executor_id: &str, id: u64) {
    for block in bm.broadcast_blocks(id) {
        let status = bm.current_status(block);
        bm.remove_block(block);
        let Some(status) = status else { continue };
        if matches!(block, BlockId::Broadcast { piece: Some(_), .. }) {
            env.block_manager_master.unregister(block, executor_id);
            let level = status.storage_level;
            let removed = BlockStatus {
                storage_level: StorageLevel::from_flags(
                    level.use_disk(),
                    level.use_memory(),
                    level.use_off_heap(),
                    level.deserialized(),
                    0,
                ),
                ..status
            };
            post_update(env, block, executor_id, removed);
        }
    }
}

/// One executor's read of a broadcast: the pieces it needs and where to find them.
pub(crate) struct Reader<'a> {
    pub(crate) env: &'a SparkEnv,
    pub(crate) executor: &'a Executor,
    /// The driver's store (pieces are always there until `destroy`).
    pub(crate) driver: Option<Arc<BlockManager>>,
    pub(crate) id: u64,
    pub(crate) written: &'a Written,
    pub(crate) block_size: usize,
}

impl Reader<'_> {
    /// Spark's `readBroadcastBlock` on an executor with no cached copy: the value from this
    /// executor's block manager, else fetched piece by piece and stored here.
    pub(crate) fn read_broadcast_block<T: Data>(&self) -> Result<Arc<T>> {
        let bm = &self.executor.block_manager;
        let block = value_block(self.id);
        match bm.get_local_block(block) {
            Ok(Some(LocalBlock::Value(any))) => {
                if let Ok(value) = any.downcast::<T>() {
                    return Ok(value);
                }
            }
            Ok(Some(LocalBlock::Bytes(bytes))) => {
                if let Ok(value) = serializer::deserialize_bounded::<T>(&bytes) {
                    return Ok(Arc::new(value));
                }
            }
            Ok(None) | Err(_) => {}
        }
        let n = self.written.num_blocks;
        let estimated = crate::util::text::bytes_to_string(n as u64 * self.block_size as u64);
        log::info!(
            target: crate::logging::TORRENT_BROADCAST,
            "Started reading broadcast variable {} with {n} pieces (estimated total size {estimated})",
            self.id
        );
        let started = std::time::Instant::now();
        let pieces = self.read_blocks()?;
        log::info!(
            target: crate::logging::TORRENT_BROADCAST,
            "Reading broadcast variable {} took {} ms",
            self.id,
            started.elapsed().as_millis()
        );
        let slices: Vec<&[u8]> = pieces.iter().map(|p| p.as_slice()).collect();
        let value: Arc<T> = Arc::new(unblockify_object(&slices)?);
        drop(slices);
        drop(pieces);
        let size = self
            .written
            .total_bytes
            .max(std::mem::size_of::<T>() as u64);
        let any: Arc<dyn Any + Send + Sync> = value.clone();
        let (stored, dropped) =
            bm.put_single(block, any, size, serialize_value::<T>, level_of(block));
        report_dropped(self.env, &self.executor.id, &dropped);
        stored.map_err(|e| store_failed(block, &self.executor.id, &e))?;
        Ok(value)
    }

    /// Spark's `readBlocks`: every piece, in a random order, from here or from a holder.
    fn read_blocks(&self) -> Result<Vec<Arc<Vec<u8>>>> {
        let n = self.written.num_blocks;
        let mut pieces: Vec<Option<Arc<Vec<u8>>>> = vec![None; n];
        let mut rng = Shuffler::new();
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let bm = &self.executor.block_manager;
        for pid in order {
            let block = piece_block(self.id, pid);
            if let Ok(Some(LocalBlock::Bytes(b))) = bm.get_local_block(block) {
                pieces[pid] = Some(b);
                continue;
            }
            let Some(bytes) = self.get_remote_bytes(block, &mut rng) else {
                return Err(Error::IllegalState(format!(
                    "Failed to get {block} of {}",
                    value_block(self.id)
                )));
            };
            if let Some(sums) = &self.written.checksums {
                let (sum, want) = (checksum(&bytes), sums[pid]);
                if sum != want {
                    return Err(Error::Internal(format!(
                        "corrupt remote block {block} of {}: {sum} != {want}",
                        value_block(self.id)
                    )));
                }
            }
            put_piece(self.env, bm, &self.executor.id, block, bytes.clone())?;
            pieces[pid] = Some(bytes);
        }
        Ok(pieces.into_iter().flatten().collect())
    }

    /// Spark's `getRemoteBytes`: the piece from a holder the master knows (in a random order),
    /// the driver's store last if it was not among them.
    fn get_remote_bytes(&self, block: BlockId, rng: &mut Shuffler) -> Option<Arc<Vec<u8>>> {
        let mut holders = self.env.block_manager_master.locations(block);
        holders.retain(|h| *h != self.executor.id);
        rng.shuffle(&mut holders);
        if !holders.iter().any(|h| h == DRIVER_ID) {
            holders.push(DRIVER_ID.to_string());
        }
        for holder in holders {
            let bytes = if holder == DRIVER_ID {
                self.driver.as_ref().and_then(|d| bytes_of(d, block))
            } else {
                self.env
                    .executor(&holder)
                    .and_then(|e| bytes_of(&e.block_manager, block))
            };
            if bytes.is_some() {
                return bytes;
            }
        }
        None
    }
}

fn bytes_of(bm: &BlockManager, block: BlockId) -> Option<Arc<Vec<u8>>> {
    match bm.get_local_block(block) {
        Ok(Some(LocalBlock::Bytes(b))) => Some(b),
        _ => None,
    }
}

/// A small unseeded shuffler (Spark's `Random.shuffle`): seeded from the standard library's
/// per-process random hasher keys, so piece order differs between readers.
struct Shuffler(u64);

impl Shuffler {
    fn new() -> Shuffler {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x9e37_79b9_7f4a_7c15);
        Shuffler(h.finish() | 1)
    }

    /// splitmix64.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fisher–Yates.
    fn shuffle<T>(&mut self, values: &mut [T]) {
        for i in (1..values.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            values.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_cut_at_the_block_size() {
        let data = vec![7u8; 10_000];
        let pieces = blockify_object(&data, 1024).unwrap();
        // 8 bytes of length and 10,000 bytes.
        assert_eq!(pieces.len(), 10);
        assert!(pieces[..9].iter().all(|p| p.len() == 1024));
        assert_eq!(pieces[9].len(), 10_008 - 9 * 1024);
        assert_eq!(unblockify_object::<Vec<u8>>(&pieces).unwrap(), data);
    }

    #[test]
    fn a_value_of_no_bytes_is_one_empty_piece() {
        let pieces = blockify_object(&(), 4).unwrap();
        assert_eq!(pieces, vec![Vec::<u8>::new()]);
        unblockify_object::<()>(&pieces).unwrap();
    }

    #[test]
    fn no_pieces_and_bad_bytes_are_errors() {
        let none: Vec<Vec<u8>> = Vec::new();
        let err = unblockify_object::<u32>(&none).unwrap_err();
        assert!(err
            .to_string()
            .contains("Cannot unblockify an empty array of blocks"));
        let err = unblockify_object::<String>(&[vec![255u8; 8]]).unwrap_err();
        assert!(matches!(err, Error::Internal(_)), "{err}");
        assert!(blockify_object(&1u32, 0).is_err());
    }

    #[test]
    fn shuffles_are_permutations() {
        let mut rng = Shuffler::new();
        let mut v: Vec<usize> = (0..100).collect();
        rng.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn block_ids_print_and_parse_as_spark_names() {
        assert_eq!(value_block(3).to_string(), "broadcast_3");
        assert_eq!(piece_block(3, 12).to_string(), "broadcast_3_piece12");
        for name in ["broadcast_3", "broadcast_3_piece12", "rdd_4_1"] {
            assert_eq!(BlockId::parse(name).unwrap().to_string(), name);
        }
        for bad in [
            "broadcast_",
            "broadcast_x",
            "broadcast_1_meta",
            "broadcast_-1",
            "rdd_1",
        ] {
            assert_eq!(BlockId::parse(bad), None, "{bad}");
        }
    }
}
