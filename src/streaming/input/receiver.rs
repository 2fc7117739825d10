//! Receivers (Spark's `Receiver`, `ReceiverSupervisor`, `BlockGenerator` and
//! `ReceivedBlockTracker`, for one stream): how records pushed by a receiver thread become
//! replicated blocks in executors' block managers, and how blocks are handed to batches.
//!
//! # How a record travels
//!
//! 1. A receiver's thread stores through its `ReceiverContext`, which calls
//!    [`ReceiverSupervisor::add_data`]: the
//!    records go into the *current buffer* (Spark's `BlockGenerator.currentBuffer`) and
//!    `records_received` counts them.
//! 2. Every block interval (`sparklet.streaming.blockInterval`, default 200 ms; wall clock only,
//!    see the rule below) the supervisor thread (or a store) *cuts* the buffer into a block and stores
//!    it at the receiver's storage level (`MEMORY_AND_DISK_SER_2` by default, as Spark's): the
//!    block is serialized into the memory store of the receiver's executor and copied to the
//!    next live executor, spilling to disk when memory is short. The block is then registered
//!    as *unallocated* (Spark's `ReceivedBlockTracker.addBlock`).
//! 3. When a batch is generated, [`ReceiverSupervisor::allocate_blocks_to_batch`] cuts whatever
//!    is still buffered into one last block and takes every unallocated block for the batch
//!    (Spark's `allocateBlocksToBatch`). The stream wraps them in a `BlockRDD`.
//!
//! **The assignment rule**: a batch gets exactly the records added before its blocks were
//! allocated, and none after. Cutting, storing and allocating hold one lock (the generator
//! lock), so a block being stored while the batch is generated is waited for, never split or
//! lost. With the manual clock, time moves only when batches are generated, so the block timer
//! is off: the records of a batch form exactly one block, cut when the batch is generated, and a
//! test that waits until `records_received` reaches N before `run_batches` gets exactly those N
//! records in that batch, in one partition.
//! (Spark's `BlockGenerator` cuts on the system clock and only allocates blocks already pushed,
//! so a record can slip into the next batch; cutting at allocation makes the rule exact.)
//!
//! # Why blocks are stored as RDD blocks
//!
//! Block ids here are `rdd_<id>_<split>` only (no `input-<stream>-<n>` kind). Each received
//! block is therefore the one partition of a small *carrier* RDD ([`ReceivedBlockRdd`], named
//! `input-<stream>-<n>` like Spark's `StreamBlockId`) persisted at `MEMORY_AND_DISK_SER_2`. The
//! receiver stores it through `rdd::iterator` with a `TaskContext` naming the receiver's
//! executor (Spark runs a receiver as a long-running task on one executor), so the block takes
//! the block manager's ordinary path: serialization, memory or disk, replication, registration
//! with the block manager master. The carrier hands its records over once and keeps no copy:
//! afterwards the data lives only in the block managers. The batch's `BlockRDD` reads the block
//! wherever a copy lives and fails (Spark's message) when none does.
//!
//! # Problems and restarts
//!
//! A receiver that loses its source reports the problem ([`ReceiverSupervisor::report_error`]:
//! a warning, `errors` and `last_error` in [`ReceiverInfo`]) and restarts after
//! `sparklet.streaming.receiver.restartDelay` (default 2000 ms, Spark's
//! `spark.streaming.receiverRestartDelay`). The delay is a wait on the stop condition variable,
//! so stopping never waits for it. A problem never stops the streaming context. A text
//! receiver also reports each line it drops for being longer than [`MAX_LINE_BYTES`]; that
//! is no restart.

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use crate::conf::SparkConf;
use crate::context::SparkContext;
use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::rdd::{part_iter, ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::storage::block_manager::BlockId;
use crate::storage::StorageLevel;
use crate::streaming::clock::Clock;
use crate::streaming::listener::{StreamingListenerBus, StreamingListenerEvent};

/// Conf key: how often received records are cut into a block (Spark's
/// `spark.streaming.blockInterval`): `200ms` by default; `ms`, `s`, `m`, `min`, `h` suffixes, or
/// plain milliseconds.
pub const BLOCK_INTERVAL: &str = "sparklet.streaming.blockInterval";
/// Conf key: how long a receiver waits before restarting after a problem (Spark's
/// `spark.streaming.receiverRestartDelay`): `2000ms` by default.
pub const RESTART_DELAY: &str = "sparklet.streaming.receiver.restartDelay";
/// Conf key: the longest line a text receiver keeps, in bytes (`64m` by default; `k`, `m`, `g`
/// suffixes or plain bytes; at least 1). A longer line is reported and dropped: its bytes are
/// skipped up to the next newline, never buffered. Sparklet's own key: Spark has no bound.
pub const MAX_LINE_BYTES: &str = "sparklet.streaming.receiver.maxLineBytes";

const DEFAULT_BLOCK_INTERVAL_MS: u64 = 200;
const DEFAULT_RESTART_DELAY_MS: u64 = 2000;
const DEFAULT_MAX_LINE_BYTES: usize = 64 << 20;

/// What a stream's receiver has done so far (Spark's `ReceiverInfo`, with counters), from
/// `DStream::receiver_info`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverInfo {
    /// The input stream's id.
    pub stream_id: usize,
    /// The receiver's kind (`SocketReceiver`).
    pub name: String,
    /// Whether the receiver is connected to its source now.
    pub active: bool,
    /// The executor whose block manager takes the first copy of each block.
    pub executor_id: Option<String>,
    /// Starts that succeeded: `on_start` returned without asking for a restart (for the
    /// socket receiver, connections).
    pub connections: u64,
    /// Records added to the block generator.
    pub records_received: u64,
    /// Blocks stored in the block managers.
    pub blocks_stored: u64,
    /// Problems reported: restarts asked for (refused or failed connections, a closed
    /// source, read errors, a panic), errors reported (`ReceiverContext::report_error`, store
    /// errors, dropped lines).
    pub errors: u64,
    /// Restarts after a problem (each after the restart delay).
    pub restarts: u64,
    /// The last problem reported, as `message: error`.
    pub last_error: Option<String>,
    /// The last problem's message alone (Spark's `ReceiverInfo.lastErrorMessage`).
    pub last_error_message: Option<String>,
    /// The last problem's error alone, empty when it had none (Spark's `lastError`).
    pub last_error_cause: Option<String>,
}

/// Parses a duration setting as Spark's `getTimeAsMs` does (`200ms`, `2s`, `1m`, `1min`, `1h`,
/// or plain milliseconds).
pub(crate) fn time_ms(conf: &SparkConf, key: &str, default: u64) -> Result<u64> {
    let Some(v) = conf.get(key) else {
        return Ok(default);
    };
    let s = v.trim().to_ascii_lowercase();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let mult = match unit.trim() {
        "" | "ms" => Some(1),
        "s" => Some(1000),
        "m" | "min" => Some(60_000),
        "h" => Some(3_600_000),
        _ => None,
    };
    match (digits.parse::<u64>(), mult) {
        (Ok(n), Some(m)) => n.checked_mul(m).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{key} is too long: '{v}' is more milliseconds than a u64 holds"
            ))
        }),
        _ => Err(Error::InvalidArgument(format!(
            "{key} must be a duration like 200ms or 2s, got '{v}'"
        ))),
    }
}

/// The receiver settings read from the context's configuration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReceiverSettings {
    pub(crate) block_interval_ms: u64,
    pub(crate) restart_delay_ms: u64,
    /// The longest line kept ([`MAX_LINE_BYTES`]).
    pub(crate) max_line_bytes: usize,
}

impl ReceiverSettings {
    pub(crate) fn from_conf(conf: &SparkConf) -> Result<ReceiverSettings> {
        let block_interval_ms = time_ms(conf, BLOCK_INTERVAL, DEFAULT_BLOCK_INTERVAL_MS)?;
        if block_interval_ms == 0 {
            return Err(Error::InvalidArgument(format!(
                "'{BLOCK_INTERVAL}' should be a positive value"
            )));
        }
        let max_line_bytes = conf.get_bytes(MAX_LINE_BYTES, DEFAULT_MAX_LINE_BYTES as u64)?;
        let max_line_bytes = match usize::try_from(max_line_bytes) {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "{MAX_LINE_BYTES} must be between 1 byte and {} bytes, got '{}'",
                    usize::MAX,
                    conf.get(MAX_LINE_BYTES).unwrap_or_default()
                )))
            }
        };
        Ok(ReceiverSettings {
            block_interval_ms,
            restart_delay_ms: time_ms(conf, RESTART_DELAY, DEFAULT_RESTART_DELAY_MS)?,
            max_line_bytes,
        })
    }
}

impl Default for ReceiverSettings {
    fn default() -> Self {
        ReceiverSettings {
            block_interval_ms: DEFAULT_BLOCK_INTERVAL_MS,
            restart_delay_ms: DEFAULT_RESTART_DELAY_MS,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// A stored block and its number of records (Spark's `ReceivedBlockInfo`).
pub(crate) struct ReceivedBlock {
    /// The carrier RDD whose one partition is the block.
    pub(crate) block: Arc<dyn RddBase>,
    /// Spark's `ReceivedBlockInfo.numRecords`.
    pub(crate) num_records: u64,
}

/// The block generator's cutting state, guarded by the generator lock.
struct Generator {
    /// The number of the next block (`input-<stream>-<n>`).
    next_block: u64,
    /// When the block timer next cuts the buffer, on the context's clock.
    next_cut_ms: u64,
}

/// Everything a receiver thread and its input stream share: the block generator, the stored
/// blocks not yet given to a batch, the counters, and the stop signal.
pub(crate) struct ReceiverSupervisor<T: Data> {
    stream_id: usize,
    name: &'static str,
    sc: SparkContext,
    clock: Arc<dyn Clock>,
    /// Whether blocks are cut every block interval (off on the manual clock).
    block_timer: bool,
    pub(crate) settings: ReceiverSettings,
    /// Spark's `BlockGenerator.currentBuffer`.
    buffer: Mutex<Vec<T>>,
    /// The generator lock: held while a block is cut, stored and registered, and while blocks
    /// are allocated to a batch.
    generator: Mutex<Generator>,
    /// Stored blocks not yet allocated to a batch, each with its number of records (Spark's
    /// `ReceivedBlockTracker` queue of `ReceivedBlockInfo`).
    unallocated: Mutex<Vec<ReceivedBlock>>,
    info: Mutex<ReceiverInfo>,
    /// Warned already that the level's replication cannot be met.
    warned_replication: AtomicBool,
    /// The level received blocks are stored at (the receiver's `storage_level`).
    storage_level: StorageLevel,
    /// Where the receiver's events go (Spark's `ReceiverTracker` posting to the listener bus).
    bus: StreamingListenerBus,
    control: Mutex<Control>,
    stop_cv: Condvar,
    /// The supervisor thread, which catches the panics of `on_start` itself.
    pub(crate) supervisor_thread: std::sync::OnceLock<std::thread::ThreadId>,
}

/// What a receiver asked of its supervisor (Spark's `restartReceiver` and `stop`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Restart { message: String, error: String },
    Stop { message: String, error: String },
}

/// The stop flag of the stream, and the receiver's current start and its pending command.
#[derive(Default)]
struct Control {
    /// The stream stopped: the receiver never starts again.
    stopped: bool,
    /// Counts the receiver's starts; a `ReceiverContext` belongs to one.
    generation: u64,
    command: Option<Command>,
}

impl<T: Data> ReceiverSupervisor<T> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        sc: &SparkContext,
        clock: Arc<dyn Clock>,
        block_timer: bool,
        stream_id: usize,
        name: &'static str,
        settings: ReceiverSettings,
        storage_level: StorageLevel,
        bus: StreamingListenerBus,
    ) -> Self {
        let interval = settings.block_interval_ms;
        let now = clock.time_ms();
        ReceiverSupervisor {
            stream_id,
            name,
            sc: sc.clone(),
            clock,
            block_timer,
            settings,
            buffer: Mutex::new(Vec::new()),
            generator: Mutex::new(Generator {
                next_block: 0,
                next_cut_ms: (now / interval + 1) * interval,
            }),
            unallocated: Mutex::new(Vec::new()),
            info: Mutex::new(ReceiverInfo {
                stream_id,
                name: name.to_string(),
                ..ReceiverInfo::default()
            }),
            warned_replication: AtomicBool::new(false),
            storage_level,
            bus,
            control: Mutex::new(Control::default()),
            stop_cv: Condvar::new(),
            supervisor_thread: std::sync::OnceLock::new(),
        }
    }

    /// A snapshot of the counters.
    pub(crate) fn info(&self) -> ReceiverInfo {
        self.info.lock().clone()
    }

    /// Records whether the receiver is connected to its source.
    pub(crate) fn set_active(&self, active: bool) {
        let mut info = self.info.lock();
        info.active = active;
        if active {
            info.connections += 1;
        }
    }

    /// Spark's `BlockGenerator.addMultipleDataWithCallback`: the records join the current
    /// buffer together (they end up in one block).
    pub(crate) fn add_data(&self, records: Vec<T>) {
        if records.is_empty() {
            return;
        }
        let n = records.len() as u64;
        self.buffer.lock().extend(records);
        self.info.lock().records_received += n;
    }

    /// Cuts the buffer into a block when the block interval has passed on the clock (Spark's
    /// block interval timer, driven here by the supervisor thread's wake-ups and by stores).
    pub(crate) fn maybe_cut_block(&self) {
        if !self.block_timer {
            return;
        }
        let now = self.clock.time_ms();
        let mut generator = self.generator.lock();
        if now < generator.next_cut_ms {
            return;
        }
        let interval = self.settings.block_interval_ms;
        generator.next_cut_ms = (now / interval + 1) * interval;
        self.cut_block(&mut generator);
    }

    /// Spark's `allocateBlocksToBatch`: cuts what is still buffered, then takes every stored
    /// block not yet allocated. Holds the generator lock throughout (the assignment rule).
    pub(crate) fn allocate_blocks_to_batch(&self) -> Vec<ReceivedBlock> {
        let mut generator = self.generator.lock();
        self.cut_block(&mut generator);
        std::mem::take(&mut *self.unallocated.lock())
    }

    /// Whether records are buffered or blocks stored that no batch has taken yet.
    pub(crate) fn has_unallocated_data(&self) -> bool {
        let _generator = self.generator.lock();
        !self.buffer.lock().is_empty() || !self.unallocated.lock().is_empty()
    }

    /// Blocks stored but never allocated (at stop: no batch will read them).
    pub(crate) fn take_unallocated(&self) -> Vec<ReceivedBlock> {
        let _generator = self.generator.lock();
        std::mem::take(&mut *self.unallocated.lock())
    }

    /// Cuts the current buffer into a block and stores it. Caller holds the generator lock.
    fn cut_block(&self, generator: &mut Generator) {
        let records = std::mem::take(&mut *self.buffer.lock());
        if records.is_empty() {
            return;
        }
        let number = generator.next_block;
        generator.next_block += 1;
        let count = records.len();
        match self.push_block(number, records) {
            Ok(carrier) => {
                self.unallocated.lock().push(ReceivedBlock {
                    block: carrier,
                    num_records: count as u64,
                });
                self.info.lock().blocks_stored += 1;
            }
            Err(e) => self.report_error(
                &format!(
                    "Error storing block input-{}-{number} of {count} records",
                    self.stream_id
                ),
                &e.to_string(),
            ),
        }
    }

    /// Spark's `ReceivedBlockHandler.storeBlock`: stores `records` as one block at the
    /// receiver's storage level through the block manager of the receiver's executor.
    fn push_block(&self, number: u64, records: Vec<T>) -> Result<Arc<dyn RddBase>> {
        let executor = self.receiver_executor()?;
        let env = self.sc.env().clone();
        let carrier = Arc::new(ReceivedBlockRdd::new(&self.sc, records));
        *carrier.core.name.lock() = Some(format!("input-{}-{number}", self.stream_id));
        let base: Arc<dyn RddBase> = carrier.clone();
        crate::rdd::persist(&base, self.storage_level)?;
        // The receiver is a long-running task on its executor; it stores like one.
        let ctx = TaskContext {
            partition_id: 0,
            attempt_number: 0,
            executor,
            env: env.clone(),
            metrics: Default::default(),
            kill: Default::default(),
        };
        let stored = crate::rdd::iterator(&*carrier, 0, &ctx).map(drop);
        let id = BlockId::rdd(base.core().id.0, 0);
        let copies = env.block_manager_master.locations(id).len();
        if let Err(e) = stored {
            crate::rdd::unpersist(&base, false);
            return Err(Error::IllegalState(format!("{e:?}")));
        }
        if copies == 0 {
            crate::rdd::unpersist(&base, false);
            return Err(Error::IllegalState(
                "no block manager could store it".to_string(),
            ));
        }
        let wanted = self.storage_level.replication();
        if copies < wanted && !self.warned_replication.swap(true, Ordering::SeqCst) {
            log::warn!(
                target: crate::logging::BLOCK_MANAGER,
                "Expecting {} replicas with only {} peer/s: received blocks of stream {} \
                     have {copies} copy",
                wanted - 1,
                copies - 1,
                self.stream_id
            );
        }
        Ok(base)
    }

    /// The executor the receiver runs on: the one chosen at start while it lives, else the
    /// next live one (Spark restarts a receiver on another executor when its executor dies).
    fn receiver_executor(&self) -> Result<Arc<Executor>> {
        let env = self.sc.env();
        let current = self.info.lock().executor_id.clone();
        if let Some(e) = current.and_then(|id| env.executor(&id)) {
            return Ok(e);
        }
        let live = env.executors();
        if live.is_empty() {
            return Err(Error::IllegalState(
                "no live executor to store received blocks".to_string(),
            ));
        }
        let chosen = live[self.stream_id % live.len()].clone();
        self.info.lock().executor_id = Some(chosen.id.clone());
        Ok(chosen)
    }

    /// Places the receiver on an executor (at start), as Spark's receiver scheduling spreads
    /// receivers over executors by stream.
    pub(crate) fn schedule(&self) {
        if let Err(e) = self.receiver_executor() {
            self.report_error("Cannot schedule the receiver", &e.to_string());
        }
    }

    /// Spark's `ReceiverSupervisor.reportError`: counts the problem, remembers it, warns, and
    /// tells the listeners (`on_receiver_error`). It does not restart the receiver.
    pub(crate) fn report_error(&self, message: &str, error: &str) {
        let info = self.note_problem(message, error);
        self.bus.post(StreamingListenerEvent::ReceiverError(info));
    }

    /// Counts and remembers a problem (an error reported, or the reason of a restart), and
    /// warns; returns the receiver's info after it.
    pub(crate) fn note_problem(&self, message: &str, error: &str) -> ReceiverInfo {
        let text = if error.is_empty() {
            message.to_string()
        } else {
            format!("{message}: {error}")
        };
        let info = {
            let mut info = self.info.lock();
            info.errors += 1;
            info.last_error = Some(text.clone());
            info.last_error_message = Some(message.to_string());
            info.last_error_cause = Some(error.to_string());
            info.clone()
        };
        log::warn!(
            target: crate::logging::RECEIVER_SUPERVISOR,
            "{} of stream {}: {text}",
            self.name,
            self.stream_id
        );
        info
    }

    /// Remembers why the receiver stopped itself (Spark's `deregisterReceiver` error info);
    /// counted as a problem only with an error.
    pub(crate) fn note_stop(&self, message: &str, error: &str) {
        if !error.is_empty() {
            self.note_problem(message, error);
            return;
        }
        let mut info = self.info.lock();
        info.last_error_message = Some(message.to_string());
        info.last_error_cause = Some(String::new());
        log::info!(
            target: crate::logging::RECEIVER_SUPERVISOR,
            "{} of stream {} stopped: {message}",
            self.name,
            self.stream_id
        );
    }

    /// Posts a receiver event with the receiver's current info (`active` as given).
    pub(crate) fn post_event(
        &self,
        active: bool,
        event: fn(ReceiverInfo) -> StreamingListenerEvent,
    ) {
        let mut info = self.info();
        info.active = active;
        self.bus.post(event(info));
    }

    /// Spark's `restartReceiver`: after a problem, waits the restart delay. Returns false when
    /// the receiver was stopped meanwhile (stopping ends the wait at once).
    pub(crate) fn wait_restart_delay(&self) -> bool {
        let delay = self.settings.restart_delay_ms;
        log::warn!(
            target: crate::logging::RECEIVER_SUPERVISOR,
            "Restarting {} of stream {} with delay {delay}ms",
            self.name,
            self.stream_id
        );
        // A delay too long for the clock is forever (until stopped).
        let far = std::time::Instant::now() + std::time::Duration::from_secs(100 * 365 * 86_400);
        let deadline = std::time::Instant::now()
            .checked_add(std::time::Duration::from_millis(delay))
            .unwrap_or(far);
        // Slices, so that a stopped SparkContext (which does not signal us) is noticed too.
        let slice = std::time::Duration::from_millis(100);
        let mut control = self.control.lock();
        while !control.stopped && !self.sc.is_stopped() {
            let now = std::time::Instant::now();
            if now >= deadline {
                break;
            }
            self.stop_cv
                .wait_until(&mut control, deadline.min(now + slice));
        }
        let go = !control.stopped && !self.sc.is_stopped();
        drop(control);
        if go {
            self.info.lock().restarts += 1;
        }
        go
    }

    /// Whether the receiver must stop (its stream stopped, or the SparkContext did).
    pub(crate) fn is_stopped(&self) -> bool {
        self.control.lock().stopped || self.sc.is_stopped()
    }

    /// Tells the receiver thread to stop and wakes it from any wait.
    pub(crate) fn signal_stop(&self) {
        self.control.lock().stopped = true;
        self.stop_cv.notify_all();
        self.info.lock().active = false;
    }

    /// A new start of the receiver: forgets the last command; returns the start's number.
    pub(crate) fn begin_start(&self) -> u64 {
        let mut control = self.control.lock();
        control.generation += 1;
        control.command = None;
        control.generation
    }

    /// Spark's `Receiver.isStopped` for the start `generation`: the stream stopped, the
    /// receiver was asked to stop or restart, or a later start replaced it.
    pub(crate) fn is_receiver_stopped(&self, generation: u64) -> bool {
        let control = self.control.lock();
        control.stopped
            || control.generation != generation
            || control.command.is_some()
            || self.sc.is_stopped()
    }

    /// Records `command` for the start `generation` (the first one wins unless `replace`) and
    /// wakes the supervisor thread. A command of an older start is ignored.
    pub(crate) fn request(&self, generation: u64, command: Command, replace: bool) {
        {
            let mut control = self.control.lock();
            if control.generation != generation || (control.command.is_some() && !replace) {
                return;
            }
            control.command = Some(command);
        }
        self.stop_cv.notify_all();
    }

    /// Waits for the receiver's command, cutting blocks every block interval meanwhile (Spark's
    /// block interval timer). `None` when the stream stopped. The command stays pending (so
    /// the receiver's threads see themselves stopped) until the next [`Self::begin_start`].
    pub(crate) fn wait_for_command(&self) -> Option<Command> {
        let slice = std::time::Duration::from_millis(if self.block_timer {
            self.settings.block_interval_ms.clamp(1, 100)
        } else {
            100
        });
        loop {
            {
                let mut control = self.control.lock();
                if control.stopped || self.sc.is_stopped() {
                    return None;
                }
                if let Some(c) = &control.command {
                    return Some(c.clone());
                }
                self.stop_cv.wait_for(&mut control, slice);
                if control.stopped || self.sc.is_stopped() {
                    return None;
                }
                if let Some(c) = &control.command {
                    return Some(c.clone());
                }
            }
            self.maybe_cut_block();
        }
    }
}

/// The carrier of one received block: an RDD of one partition whose records the receiver hands
/// over once, to be stored as its block `rdd_<id>_0` (see the module doc). It keeps no copy.
pub(crate) struct ReceivedBlockRdd<T> {
    core: RddCore,
    records: Mutex<Option<Vec<T>>>,
}

impl<T: Data> ReceivedBlockRdd<T> {
    fn new(sc: &SparkContext, records: Vec<T>) -> Self {
        ReceivedBlockRdd {
            core: RddCore::new(sc, "receiver"),
            records: Mutex::new(Some(records)),
        }
    }
}

impl<T: Data> RddBase for ReceivedBlockRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        1
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(())
    }
    fn class_name(&self) -> &'static str {
        "ReceivedBlockRDD"
    }
}

impl<T: Data> TypedRdd<T> for ReceivedBlockRdd<T> {
    fn compute(&self, _split: usize, _ctx: &TaskContext) -> ComputeResult<T> {
        match self.records.lock().take() {
            Some(records) => Ok(part_iter(records.into_iter())),
            None => Err(TaskError::Failed(format!(
                "{} was handed to the block manager already; receivers keep no copy",
                crate::rdd::describe(self)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_spark() {
        let conf = SparkConf::new()
            .set("a", "250ms")
            .set("b", "2s")
            .set("c", "75")
            .set("d", "1min")
            .set("e", "fast");
        assert_eq!(time_ms(&conf, "a", 0).unwrap(), 250);
        assert_eq!(time_ms(&conf, "b", 0).unwrap(), 2000);
        assert_eq!(time_ms(&conf, "c", 0).unwrap(), 75);
        assert_eq!(time_ms(&conf, "d", 0).unwrap(), 60_000);
        assert_eq!(time_ms(&conf, "unset", 9).unwrap(), 9);
        let err = time_ms(&conf, "e", 0).unwrap_err();
        assert!(err.to_string().contains("'fast'"), "{err}");
    }

    #[test]
    fn the_line_bound_defaults_to_64_mib_and_must_be_positive() {
        let settings = ReceiverSettings::from_conf(&SparkConf::new()).unwrap();
        assert_eq!(settings.max_line_bytes, 64 << 20);
        let conf = SparkConf::new().set(MAX_LINE_BYTES, "2k");
        assert_eq!(
            ReceiverSettings::from_conf(&conf).unwrap().max_line_bytes,
            2048
        );
        for bad in ["0", "0k", "huge"] {
            let conf = SparkConf::new().set(MAX_LINE_BYTES, bad);
            let err = ReceiverSettings::from_conf(&conf).unwrap_err();
            assert!(err.to_string().contains(MAX_LINE_BYTES), "{err}");
        }
    }

    #[test]
    fn a_zero_block_interval_is_refused() {
        let conf = SparkConf::new().set(BLOCK_INTERVAL, "0ms");
        let err = ReceiverSettings::from_conf(&conf).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)));
    }
}
