//! Broadcast variables (Spark's `Broadcast`, `BroadcastManager` and `TorrentBroadcast`): a
//! read-only value the driver hands to every executor once, instead of with every task.
//!
//! `sc.broadcast(v)` gives a [`Broadcast<T>`] handle. Closures capture the handle (an `Arc`
//! inside, cheap to clone); `value()` reads the value:
//!
//! * **on the driver** (outside a task), the driver's own copy (Spark's `_value`);
//! * **in a task**, the copy of the executor running it. The first task on an executor that
//!   asks fetches the value through the block managers, piece by piece, as Spark's
//!   `TorrentBroadcast` does (`broadcast/torrent.rs`: the pieces, checksums and sources);
//!   one thread per executor fetches while the others wait for it (the executor's write lock
//!   on `broadcast_<id>`, Spark's `torrentBroadcastLock`), and later tasks on that executor
//!   read the executor's copy (Spark's `BroadcastManager.cachedValues`). In `local` mode the
//!   executor *is* the driver (`driver`): its tasks read the driver's copy and fetch nothing.
//!
//! Which task is asking comes from a thread-local `TaskScope` that `Task::run` sets for the
//! attempt and restores when it ends.
//!
//! Lifecycle, as Spark's: `unpersist` removes every executor's blocks (the next use fetches
//! again); `destroy` removes the driver's blocks too, and any later use fails with Spark's
//! "Attempted to use Broadcast(<id>) after it was destroyed (<destroy site>)" (in a task: the
//! task fails with it). A killed executor loses its blocks with its block manager; its
//! replacement has a new id and fetches again. When the last handle is dropped the blocks are
//! removed (Spark's `ContextCleaner`), and `sc.stop()` clears the driver's broadcast store.
//!
//! Invariants: **a handle never gives out a value from another executor's copy**, and **a
//! copy it handed out lives as long as the handle** (`value()` returns a reference, so
//! executor copies are kept in an append-only list and only ever marked stale, never freed
//! while a clone of the handle lives). No lock is held while a value is decoded or stored.
//!
//! Layering: uses storage, the environment and the serializer; the RDD layer and the
//! scheduler know nothing of broadcasts (a task's closure simply captures the handle).

mod torrent;

use std::cell::RefCell;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use parking_lot::Mutex;

pub use torrent::{blockify_object, unblockify_object};
use torrent::{Reader, Written, DRIVER_ID};

use crate::conf::SparkConf;
use crate::env::SparkEnv;
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::rdd::Data;
use crate::storage::block_manager::{BlockId, BlockStatus};
use crate::storage::BlockManager;
use crate::SparkContext;

/// Conf key: the size of a broadcast's pieces (Spark's `spark.broadcast.blockSize`, default
/// `4m`; a plain number is KiB, as Spark reads it).
pub const BLOCK_SIZE: &str = "sparklet.broadcast.blockSize";
/// Conf key: whether pieces are checksummed (Spark's `spark.broadcast.checksum`, default true).
pub const CHECKSUM: &str = "sparklet.broadcast.checksum";
/// Conf key: block memory of the driver's store, which keeps each broadcast's value and
/// pieces (Spark's `spark.driver.memory`). Default: `sparklet.executor.memory` in `local`
/// modes (where driver and executor share one block manager in Spark), else 512m.
pub const DRIVER_MEMORY: &str = "sparklet.driver.memory";

/// A broadcast variable (Spark's `Broadcast[T]`, made by [`SparkContext::broadcast`]): a
/// read-only value each executor fetches once into its block manager.
///
/// ```
/// use sparklet::prelude::*;
/// let sc = SparkContext::new(SparkConf::new().set_master("local-cluster[2,1,64]")).unwrap();
/// let table = sc.broadcast(vec![10, 20, 30]);
/// let t = table.clone();
/// let looked_up = sc.parallelize(vec![0usize, 2, 1], 3).map(move |i| t.value()[i]);
/// assert_eq!(looked_up.collect().unwrap(), vec![10, 30, 20]);
/// assert_eq!(table.to_string(), format!("Broadcast({})", table.id()));
/// table.destroy().unwrap();
/// assert!(table.try_value().unwrap_err().to_string().contains("after it was destroyed"));
/// ```
pub struct Broadcast<T> {
    inner: Arc<TorrentBroadcast<T>>,
}

impl<T> Clone for Broadcast<T> {
    fn clone(&self) -> Self {
        Broadcast {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Display for Broadcast<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Broadcast({})", self.inner.id)
    }
}

impl<T> fmt::Debug for Broadcast<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Lifecycle states (Spark's `_isValid`, plus a creation that failed).
const VALID: u8 = 0;
const DESTROYED: u8 = 1;
const FAILED: u8 = 2;

/// One broadcast, shared by every clone of its handle.
struct TorrentBroadcast<T> {
    id: u64,
    env: Weak<SparkEnv>,
    /// The driver's copy (Spark's `_value` on the driver).
    value: Arc<T>,
    /// What the driver wrote (`None` when creation failed).
    written: Option<Written>,
    block_size: usize,
    state: AtomicU8,
    /// Why the handle is unusable: Spark's destroy message, or the creation error.
    unusable: Mutex<Option<Error>>,
    /// Bumped by `unpersist` and `destroy`: copies of older generations are stale.
    generation: AtomicU64,
    /// Every executor copy handed out.
    copies: Copies<T>,
}

/// One executor's copy, as of one generation.
struct ExecutorCopy<T> {
    executor_id: String,
    generation: u64,
    value: Arc<T>,
}

/// An append-only list of executor copies (lock-free: each node is set once), so a reference
/// into a copy lives as long as the list.
struct Copies<T> {
    head: Node<T>,
}

struct Node<T> {
    slot: OnceLock<ExecutorCopy<T>>,
    next: OnceLock<Box<Node<T>>>,
}

impl<T> Node<T> {
    fn new() -> Node<T> {
        Node {
            slot: OnceLock::new(),
            next: OnceLock::new(),
        }
    }
}

impl<T> Copies<T> {
    /// The copy of `executor_id` as of `generation`.
    fn find(&self, executor_id: &str, generation: u64) -> Option<&T> {
        let mut node = &self.head;
        loop {
            let copy = node.slot.get()?;
            if copy.generation == generation && copy.executor_id == executor_id {
                return Some(&copy.value);
            }
            node = node.next.get()?;
        }
    }

    /// Adds a copy at the end; returns a reference into it.
    fn push(&self, copy: ExecutorCopy<T>) -> &T {
        let mut pending = copy;
        let mut node = &self.head;
        loop {
            match node.slot.set(pending) {
                Ok(()) => {
                    return &node
                        .slot
                        .get()
                        .expect("a slot that was just set holds its copy")
                        .value
                }
                Err(back) => pending = back,
            }
            node = node.next.get_or_init(|| Box::new(Node::new()));
        }
    }
}

impl<T: Data> Broadcast<T> {
    /// The broadcast's id (Spark's `id`).
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The value: the driver's copy on the driver, the executor's copy in a task (fetched by
    /// the executor's first use). Panics with Spark's message when the broadcast was destroyed
    /// (in a task, the task fails with it) or could not be created; [`Broadcast::try_value`]
    /// returns the error instead.
    pub fn value(&self) -> &T {
        match self.try_value() {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`Broadcast::value`], with a destroyed broadcast, a failed fetch (a piece no store
    /// has, a corrupt piece) or a failed creation as an error.
    pub fn try_value(&self) -> Result<&T> {
        let b = &*self.inner;
        b.assert_valid()?;
        match current_task() {
            None => Ok(&b.value),
            Some((executor, env)) => b.executor_value(&executor, &env),
        }
    }

    /// Removes the executors' copies (Spark's `unpersist`); the driver keeps its own, and the
    /// next use on an executor fetches again. Removal is done when this returns, whatever
    /// `blocking` says. A destroyed broadcast is an error (Spark's message).
    pub fn unpersist(&self, blocking: bool) -> Result<()> {
        let _ = blocking;
        let b = &*self.inner;
        b.assert_valid()?;
        b.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(env) = b.env.upgrade() {
            unbroadcast(&env, b.id, false);
        }
        Ok(())
    }

    /// Removes every copy, the driver's included (Spark's `destroy`); any later use fails
    /// with Spark's message naming this call's site. Destroying twice is an error.
    #[track_caller]
    pub fn destroy(&self) -> Result<()> {
        let site = call_site("destroy");
        let b = &*self.inner;
        b.assert_valid()?;
        let message = format!("Attempted to use {self} after it was destroyed ({site}) ");
        *b.unusable.lock() = Some(Error::IllegalState(message));
        if b.state
            .compare_exchange(VALID, DESTROYED, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return b.assert_valid();
        }
        log::info!(
            target: crate::logging::TORRENT_BROADCAST,
            "Destroying {self} (from {site})"
        );
        b.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(env) = b.env.upgrade() {
            unbroadcast(&env, b.id, true);
        }
        Ok(())
    }
}

impl<T: Data> TorrentBroadcast<T> {
    /// Spark's `assertValid`.
    fn assert_valid(&self) -> Result<()> {
        if self.state.load(Ordering::SeqCst) == VALID {
            return Ok(());
        }
        Err(self
            .unusable
            .lock()
            .clone()
            .unwrap_or_else(|| Error::Internal(format!("Broadcast({}) is unusable", self.id))))
    }

    /// The copy of the executor running the calling task, fetched if it has none.
    fn executor_value<'a>(
        &'a self,
        executor: &Arc<Executor>,
        env: &Arc<SparkEnv>,
    ) -> Result<&'a T> {
        if !std::ptr::eq(self.env.as_ptr(), Arc::as_ptr(env)) {
            return Err(Error::IllegalState(format!(
                "Broadcast({}) belongs to another SparkContext than the task using it",
                self.id
            )));
        }
        // `local` modes: the executor is the driver, whose block manager holds the value.
        if executor.id == DRIVER_ID {
            return Ok(&self.value);
        }
        let written = self
            .written
            .as_ref()
            .ok_or_else(|| Error::Internal(format!("Broadcast({}) has no pieces", self.id)))?;
        let bm = &executor.block_manager;
        loop {
            let generation = self.generation.load(Ordering::SeqCst);
            if let Some(v) = self.copies.find(&executor.id, generation) {
                return Ok(v);
            }
            match bm.begin_compute(torrent::value_block(self.id)) {
                Ok(guard) => {
                    if let Some(v) = self.copies.find(&executor.id, generation) {
                        return Ok(v);
                    }
                    let reader = Reader {
                        env,
                        executor,
                        driver: env.broadcast_manager.driver_if_started(),
                        id: self.id,
                        written,
                        block_size: self.block_size,
                    };
                    let value = reader.read_broadcast_block::<T>()?;
                    let v = self.copies.push(ExecutorCopy {
                        executor_id: executor.id.clone(),
                        generation,
                        value,
                    });
                    drop(guard);
                    return Ok(v);
                }
                Err(lock) => lock.wait(),
            }
        }
    }
}

/// The last handle is gone: its blocks are removed everywhere (Spark's `ContextCleaner`
/// cleaning a broadcast no longer referenced).
impl<T> Drop for TorrentBroadcast<T> {
    fn drop(&mut self) {
        if self.state.load(Ordering::SeqCst) != VALID {
            return;
        }
        let Some(env) = self.env.upgrade() else {
            return;
        };
        if env.broadcast_manager.is_stopped() {
            return;
        }
        unbroadcast(&env, self.id, true);
        log::debug!(target: crate::logging::CONTEXT_CLEANER, "Cleaned broadcast {}", self.id);
    }
}

/// Spark's `TorrentBroadcast.unpersist` → `BlockManagerMaster.removeBroadcast`: the blocks of
/// broadcast `id` leave every executor, and the driver too when `remove_from_driver`.
fn unbroadcast(env: &SparkEnv, id: u64, remove_from_driver: bool) {
    for e in env.executors() {
        torrent::remove_blocks(env, &e.block_manager, &e.id, id);
    }
    if remove_from_driver {
        if let Some(driver) = env.broadcast_manager.driver_if_started() {
            torrent::remove_blocks(env, &driver, DRIVER_ID, id);
        }
    }
}

/// Spark's short call site: `<method> at <file>:<line>` (the file's name only).
#[track_caller]
fn call_site(method: &str) -> String {
    let loc = std::panic::Location::caller();
    let file = std::path::Path::new(loc.file()).file_name().map_or_else(
        || loc.file().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    format!("{method} at {file}:{}", loc.line())
}

/// Spark's `BroadcastManager`: broadcast ids, the piece size, and the driver's block store
/// for broadcast blocks (made on first use).
pub(crate) struct BroadcastManager {
    next_id: AtomicU64,
    block_size: usize,
    checksum: bool,
    driver_memory: u64,
    local_dir: Option<PathBuf>,
    driver: Mutex<Option<Arc<BlockManager>>>,
    stopped: AtomicBool,
}

impl BroadcastManager {
    /// Reads `sparklet.broadcast.*` and `sparklet.driver.memory` (a bad value is
    /// `Error::InvalidArgument`).
    pub(crate) fn new(conf: &SparkConf, memory_per_executor: u64) -> Result<BroadcastManager> {
        let block_size = match conf.get(BLOCK_SIZE) {
            None => 4 << 20,
            Some(v) => parse_block_size(&v).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{BLOCK_SIZE} must be a positive size below 2g like 4m or 1024k (a plain \
                     number is KiB), got '{v}'"
                ))
            })?,
        };
        let cluster = conf
            .get(crate::conf::MASTER)
            .is_some_and(|m| m.starts_with("local-cluster"));
        let default_memory = if cluster {
            512 << 20
        } else {
            memory_per_executor
        };
        Ok(BroadcastManager {
            next_id: AtomicU64::new(0),
            block_size,
            checksum: conf.get_bool(CHECKSUM, true)?,
            driver_memory: conf.get_bytes(DRIVER_MEMORY, default_memory)?,
            local_dir: conf.get(crate::conf::LOCAL_DIR).map(PathBuf::from),
            driver: Mutex::new(None),
            stopped: AtomicBool::new(false),
        })
    }

    /// The driver's broadcast store, made on first use.
    fn driver_store(&self) -> Result<Arc<BlockManager>> {
        let mut driver = self.driver.lock();
        if let Some(d) = &*driver {
            return Ok(d.clone());
        }
        let d = Arc::new(BlockManager::new(
            DRIVER_ID,
            self.driver_memory,
            self.local_dir.as_deref(),
        )?);
        *driver = Some(d.clone());
        Ok(d)
    }

    /// The driver's broadcast store, if a broadcast was ever made.
    pub(crate) fn driver_if_started(&self) -> Option<Arc<BlockManager>> {
        self.driver.lock().clone()
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// `sc.stop()`: every broadcast block of the driver goes (executors are emptied by their
    /// own shutdown).
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        if let Some(d) = self.driver.lock().take() {
            d.clear();
        }
    }

    /// Where block `id` is kept in the driver's store.
    pub(crate) fn driver_status(&self, id: BlockId) -> Option<BlockStatus> {
        self.driver_if_started()?.current_status(id)
    }
}

/// Spark's `getSizeAsKb`: `4m`, `512k`, `1g`, or a plain number of KiB; positive and below
/// 2 GiB (a piece is one Java array in Spark).
fn parse_block_size(v: &str) -> Option<usize> {
    let t = v.trim();
    let bytes = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse::<u64>().ok()?.checked_mul(1024)?
    } else {
        crate::conf::parse_bytes(t)?
    };
    (bytes > 0 && bytes < (1 << 31)).then_some(bytes as usize)
}

impl SparkContext {
    /// Broadcasts a read-only value to the executors (Spark's `SparkContext.broadcast`, a
    /// `TorrentBroadcast`): the driver keeps it and writes its pieces into its block store;
    /// each executor fetches them on its first use. On a stopped context (SPARK-5065) the
    /// handle carries Spark's "stopped SparkContext" error and every use fails with it;
    /// [`SparkContext::try_broadcast`] returns the error instead.
    ///
    /// An RDD cannot be broadcast (Spark refuses it at run time: "Can not directly broadcast
    /// RDDs"); here it does not compile, since an `Rdd` is not `Data`:
    ///
    /// ```compile_fail
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local")).unwrap();
    /// let rdd = sc.parallelize(vec![1, 2, 3, 4], 2);
    /// let _ = sc.broadcast(rdd);
    /// ```
    #[track_caller]
    pub fn broadcast<T: Data>(&self, value: T) -> Broadcast<T> {
        let site = call_site("broadcast");
        let env = self.env();
        let id = env.broadcast_manager.next_id.fetch_add(1, Ordering::SeqCst);
        let value = Arc::new(value);
        match self.write_broadcast(id, &value, &site) {
            Ok(b) => b,
            Err(e) => Broadcast {
                inner: Arc::new(TorrentBroadcast {
                    id,
                    env: Arc::downgrade(env),
                    value,
                    written: None,
                    block_size: env.broadcast_manager.block_size,
                    state: AtomicU8::new(FAILED),
                    unusable: Mutex::new(Some(e)),
                    generation: AtomicU64::new(0),
                    copies: Copies { head: Node::new() },
                }),
            },
        }
    }

    /// [`SparkContext::broadcast`], with a stopped context (`Error::IllegalState`), a value
    /// that does not serialize or a driver store that cannot be written as an error.
    #[track_caller]
    pub fn try_broadcast<T: Data>(&self, value: T) -> Result<Broadcast<T>> {
        let site = call_site("broadcast");
        let id = self
            .env()
            .broadcast_manager
            .next_id
            .fetch_add(1, Ordering::SeqCst);
        self.write_broadcast(id, &Arc::new(value), &site)
    }

    fn write_broadcast<T: Data>(
        &self,
        id: u64,
        value: &Arc<T>,
        site: &str,
    ) -> Result<Broadcast<T>> {
        self.check_running()?;
        let env = self.env();
        let manager = &env.broadcast_manager;
        let driver = manager.driver_store()?;
        let written = torrent::write_blocks(
            env,
            &driver,
            id,
            value,
            manager.block_size,
            manager.checksum,
        )?;
        log::info!(
            target: crate::logging::SPARK_CONTEXT,
            "Created broadcast {id} from {site}"
        );
        Ok(Broadcast {
            inner: Arc::new(TorrentBroadcast {
                id,
                env: Arc::downgrade(env),
                value: value.clone(),
                written: Some(written),
                block_size: manager.block_size,
                state: AtomicU8::new(VALID),
                unusable: Mutex::new(None),
                generation: AtomicU64::new(0),
                copies: Copies { head: Node::new() },
            }),
        })
    }
}

type TaskEnv = (Arc<Executor>, Arc<SparkEnv>);

thread_local! {
    /// The executor and environment of the task running on this thread, if any.
    static TASK: RefCell<Option<TaskEnv>> = const { RefCell::new(None) };
}

/// Marks the calling (executor) thread as running a task of `env` on `executor` until
/// dropped, so that `value()` reads that executor's copy; restores what was there before,
/// also when the task panics.
pub(crate) struct TaskScope {
    previous: Option<TaskEnv>,
}

impl TaskScope {
    pub(crate) fn enter(executor: &Arc<Executor>, env: &Arc<SparkEnv>) -> TaskScope {
        let previous = TASK.with(|t| t.replace(Some((executor.clone(), env.clone()))));
        TaskScope { previous }
    }
}

impl Drop for TaskScope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        TASK.with(|t| *t.borrow_mut() = previous);
    }
}

fn current_task() -> Option<TaskEnv> {
    TASK.with(|t| t.borrow().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_sizes_read_as_spark_reads_them() {
        assert_eq!(parse_block_size("4m"), Some(4 << 20));
        assert_eq!(parse_block_size("1024"), Some(1 << 20));
        assert_eq!(parse_block_size("16k"), Some(16 << 10));
        assert_eq!(parse_block_size("1b"), Some(1));
        for bad in ["0", "0k", "2g", "x", "", "-1"] {
            assert_eq!(parse_block_size(bad), None, "{bad}");
        }
    }

    fn cluster() -> SparkContext {
        SparkContext::new(SparkConf::new().set_master("local-cluster[1,1,64]")).unwrap()
    }

    /// Runs one task that reads `b` on the executor.
    fn use_on_executor(sc: &SparkContext, b: &Broadcast<Vec<u32>>) -> Result<Vec<u32>> {
        let b = b.clone();
        sc.parallelize(vec![0usize], 1)
            .map(move |i| b.value()[i])
            .collect()
    }

    /// TorrentBroadcast's `readBlocks`: a piece whose checksum does not match fails the task
    /// with Spark's "corrupt remote block" message.
    #[test]
    fn a_corrupt_piece_fails_the_task() {
        let sc = cluster();
        let b = sc.broadcast((0..100u32).collect::<Vec<u32>>());
        let driver = sc.env().broadcast_manager.driver_if_started().unwrap();
        let piece = torrent::piece_block(b.id(), 0);
        let Some(crate::storage::block_manager::LocalBlock::Bytes(bytes)) =
            driver.get_local_block(piece).unwrap()
        else {
            panic!("piece 0 is bytes on the driver");
        };
        let mut bad = (*bytes).clone();
        bad[10] ^= 0xff;
        let level = crate::storage::StorageLevel::MEMORY_AND_DISK_SER;
        driver.put_bytes(piece, Arc::new(bad), level).0.unwrap();
        let err = use_on_executor(&sc, &b).unwrap_err().to_string();
        assert!(
            err.contains("corrupt remote block broadcast_0_piece0 of broadcast_0: "),
            "{err}"
        );
    }

    /// TorrentBroadcast's `readBlocks`: a piece no store holds is Spark's "Failed to get".
    #[test]
    fn a_piece_nobody_holds_fails_the_task() {
        let sc = cluster();
        let b = sc.broadcast((0..100u32).collect::<Vec<u32>>());
        let driver = sc.env().broadcast_manager.driver_if_started().unwrap();
        driver.remove_block(torrent::piece_block(b.id(), 0));
        let err = use_on_executor(&sc, &b).unwrap_err().to_string();
        assert!(
            err.contains("Failed to get broadcast_0_piece0 of broadcast_0"),
            "{err}"
        );
    }

    /// A broadcast of one context used in a task of another is refused, not read.
    #[test]
    fn a_broadcast_of_another_context_is_refused_in_tasks() {
        let (a, other) = (cluster(), cluster());
        let b = a.broadcast(vec![1u32]);
        let err = use_on_executor(&other, &b).unwrap_err().to_string();
        assert!(err.contains("belongs to another SparkContext"), "{err}");
        assert_eq!(use_on_executor(&a, &b).unwrap(), vec![1]);
    }

    #[test]
    fn copies_are_found_by_executor_and_generation() {
        let copies: Copies<u32> = Copies { head: Node::new() };
        assert!(copies.find("0", 0).is_none());
        for (e, g, v) in [("0", 0, 1), ("1", 0, 2), ("0", 1, 3)] {
            let r = copies.push(ExecutorCopy {
                executor_id: e.into(),
                generation: g,
                value: Arc::new(v),
            });
            assert_eq!(*r, v);
        }
        assert_eq!(copies.find("0", 0), Some(&1));
        assert_eq!(copies.find("1", 0), Some(&2));
        assert_eq!(copies.find("0", 1), Some(&3));
        assert_eq!(copies.find("1", 1), None);
    }
}
