//! The cluster as tasks see it (Spark's `SparkEnv`): the map output tracker, the block manager
//! master and the live executors.
//!
//! One `SparkEnv` hangs off each context; nothing here is process-global. Tasks reach other
//! executors' stores only through [`SparkEnv::executor`], which knows only live executors: a
//! dead executor's blocks and shuffle outputs are unreachable from the moment it is killed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};

use crate::conf::SparkConf;
use crate::dependency::ShuffleId;
use crate::error::Result;
use crate::executor::Executor;
use crate::fault_injection::FaultInjector;
use crate::rdd::RddBase;
use crate::scheduler::dag_scheduler::DagEvent;
use crate::scheduler::ids::ExecutorId;
use crate::scheduler::listener::ListenerBus;
use crate::shuffle::MapOutputTracker;
use crate::storage::{BlockManagerMaster, RddInfo};

/// The shared services of one context.
pub(crate) struct SparkEnv {
    pub(crate) map_output_tracker: MapOutputTracker,
    pub(crate) block_manager_master: BlockManagerMaster,
    /// The listener bus (events from the scheduler and from tasks).
    pub(crate) bus: ListenerBus,
    /// Spark's `persistentRdds`: every RDD given a storage level, weakly.
    persistent_rdds: Mutex<BTreeMap<usize, Weak<dyn RddBase>>>,
    /// Parent folder of the executors' disk stores (`sparklet.local.dir`).
    local_dir: Option<PathBuf>,
    /// Configured faults (`sparklet.faults.*`).
    pub(crate) faults: FaultInjector,
    /// The context's accumulator ids (Spark's `AccumulatorContext`).
    pub(crate) accumulators: crate::accumulator::AccumulatorContext,
    /// Broadcast ids and the driver's broadcast store (Spark's `broadcastManager`).
    pub(crate) broadcast_manager: crate::broadcast::BroadcastManager,
    /// Attempts of a task before its job is aborted.
    pub(crate) max_failures: u32,
    /// The DAG scheduler's event queue, once it runs.
    events: std::sync::OnceLock<std::sync::mpsc::Sender<DagEvent>>,
    live: RwLock<Vec<Arc<Executor>>>,
    retired: Mutex<Vec<Arc<Executor>>>,
    next_executor_id: AtomicUsize,
    slots_per_executor: usize,
    memory_per_executor: u64,
}

impl SparkEnv {
    /// An environment with no executors yet.
    pub(crate) fn new(
        conf: &SparkConf,
        bus: ListenerBus,
        slots_per_executor: usize,
        memory_per_executor: u64,
        max_failures: u32,
    ) -> Result<SparkEnv> {
        let local_dir = conf.get(crate::conf::LOCAL_DIR).map(PathBuf::from);
        let faults = FaultInjector::from_conf(conf)?;
        Ok(SparkEnv {
            broadcast_manager: crate::broadcast::BroadcastManager::new(conf, memory_per_executor)?,
            faults,
            accumulators: Default::default(),
            max_failures,
            events: std::sync::OnceLock::new(),
            map_output_tracker: MapOutputTracker::default(),
            block_manager_master: BlockManagerMaster::default(),
            bus,
            persistent_rdds: Mutex::new(BTreeMap::new()),
            local_dir,
            live: RwLock::new(Vec::new()),
            retired: Mutex::new(Vec::new()),
            next_executor_id: AtomicUsize::new(0),
            slots_per_executor,
            memory_per_executor,
        })
    }

    /// Connects the environment to the scheduler's event queue.
    pub(crate) fn set_event_queue(&self, events: std::sync::mpsc::Sender<DagEvent>) {
        let _ = self.events.set(events);
    }

    /// Kills an executor now (its stores are emptied at once), starts a replacement with a new
    /// id, and tells the scheduler. Callable from any thread, an executor's own included.
    pub(crate) fn kill_executor(&self, id: &str, reason: &str) -> Result<()> {
        let lost_blocks = self
            .executor(id)
            .map_or(0, |e| e.block_manager.block_count());
        if self.remove_executor(id).is_none() {
            let live: Vec<String> = self.executors().iter().map(|e| e.id.clone()).collect();
            return Err(crate::error::Error::InvalidArgument(format!(
                "no live executor '{id}' (live: {live:?})"
            )));
        }
        let replacement = self.add_executor(None)?;
        if let Some(events) = self.events.get() {
            let _ = events.send(DagEvent::ExecutorLost {
                executor_id: ExecutorId(id.to_string()),
                replacement: Some(ExecutorId(replacement.id.clone())),
                reason: reason.to_string(),
                lost_blocks,
            });
        }
        Ok(())
    }

    /// Starts a new executor with the next id (or `id` when given) and registers it.
    pub(crate) fn add_executor(&self, id: Option<&str>) -> Result<Arc<Executor>> {
        let id = match id {
            Some(id) => id.to_string(),
            None => self
                .next_executor_id
                .fetch_add(1, Ordering::SeqCst)
                .to_string(),
        };
        let executor = Executor::start(
            id,
            self.slots_per_executor,
            self.memory_per_executor,
            self.local_dir.as_deref(),
        )?;
        self.live.write().push(executor.clone());
        Ok(executor)
    }

    /// A live executor by id.
    pub(crate) fn executor(&self, id: &str) -> Option<Arc<Executor>> {
        self.live.read().iter().find(|e| e.id == id).cloned()
    }

    /// The live executors, in the order they started.
    pub(crate) fn executors(&self) -> Vec<Arc<Executor>> {
        self.live.read().clone()
    }

    /// Removes a shuffle whose dependency is gone (Spark's `ContextCleaner.doCleanupShuffle`):
    /// the tracker forgets it and every live executor drops its map outputs, keeping their
    /// buffers for later map outputs.
    pub(crate) fn remove_shuffle(&self, shuffle: ShuffleId) {
        log::debug!(target: crate::logging::CONTEXT_CLEANER, "Cleaning shuffle {}", shuffle.0);
        self.map_output_tracker.unregister_shuffle(shuffle);
        for e in self.executors() {
            e.shuffle_store.remove_shuffle(shuffle);
        }
        log::debug!(target: crate::logging::CONTEXT_CLEANER, "Cleaned shuffle {}", shuffle.0);
    }

    /// Kills an executor: it leaves the live set and its stores are emptied at once.
    pub(crate) fn remove_executor(&self, id: &str) -> Option<Arc<Executor>> {
        let removed = {
            let mut live = self.live.write();
            let pos = live.iter().position(|e| e.id == id)?;
            live.remove(pos)
        };
        removed.kill();
        self.block_manager_master.remove_executor(id);
        self.retired.lock().push(removed.clone());
        Some(removed)
    }

    /// Records an RDD that was given a storage level (Spark's `persistRDD`).
    pub(crate) fn register_persistent(&self, rdd: &Arc<dyn RddBase>) {
        self.persistent_rdds
            .lock()
            .insert(rdd.core().id.0, Arc::downgrade(rdd));
    }

    /// Storage facts of every persisted RDD with at least one cached partition.
    pub(crate) fn rdd_infos(&self) -> Vec<RddInfo> {
        let rdds: Vec<Arc<dyn RddBase>> = self
            .persistent_rdds
            .lock()
            .values()
            .filter_map(Weak::upgrade)
            .collect();
        let executors = self.executors();
        let mut infos = Vec::new();
        for rdd in rdds {
            let core = rdd.core();
            let (mut mem_size, mut disk_size) = (0, 0);
            let mut splits = std::collections::BTreeSet::new();
            for e in &executors {
                let (m, d, s) = e.block_manager.rdd_usage(core.id.0);
                mem_size += m;
                disk_size += d;
                splits.extend(s);
            }
            if splits.is_empty() {
                continue;
            }
            infos.push(RddInfo {
                id: core.id.0,
                name: core
                    .name
                    .lock()
                    .clone()
                    .unwrap_or_else(|| rdd.class_name().to_string()),
                storage_level: core.storage_level(),
                num_partitions: crate::rdd::num_partitions(&*rdd),
                num_cached_partitions: splits.len(),
                mem_size,
                disk_size,
            });
        }
        infos
    }

    /// Removes every cached block of an RDD from every executor.
    pub(crate) fn remove_rdd(&self, rdd_id: usize) {
        self.persistent_rdds.lock().remove(&rdd_id);
        for e in self.executors() {
            e.block_manager.remove_rdd(rdd_id);
        }
        self.block_manager_master.remove_rdd(rdd_id);
    }

    /// Where block `id` is kept: the driver's store, then each live executor (Spark's
    /// `getBlockStatus(blockId, askStorageEndpoints = true)`: every store is asked).
    pub(crate) fn block_status(
        &self,
        id: crate::storage::block_manager::BlockId,
    ) -> Vec<(String, crate::storage::BlockStatus)> {
        let driver = self.broadcast_manager.driver_status(id);
        let driver = driver.map(|s| ("driver".to_string(), s));
        let executors = self.executors().into_iter().filter_map(|e| {
            let status = e.block_manager.current_status(id)?;
            Some((e.id.clone(), status))
        });
        driver.into_iter().chain(executors).collect()
    }

    /// Stops every executor and waits for their threads.
    pub(crate) fn shutdown(&self) {
        self.broadcast_manager.stop();
        let live: Vec<Arc<Executor>> = std::mem::take(&mut *self.live.write());
        for e in &live {
            e.kill();
        }
        let retired: Vec<Arc<Executor>> = std::mem::take(&mut *self.retired.lock());
        for e in live.iter().chain(retired.iter()) {
            e.join();
        }
    }
}
