//! Executors (Spark's `Executor` and its `CoarseGrainedExecutorBackend`): named worker threads
//! with their own stores.
//!
//! An executor has `slots` worker threads named `executor-<id>-task-<n>`, a
//! [`BlockManager`](crate::storage::BlockManager) for cached blocks and a
//! [`ShuffleStore`](crate::shuffle::ShuffleStore) for map outputs. The scheduler hands it tasks
//! one per free slot. When an executor is killed, it stops taking tasks, its stores are emptied
//! at once (its blocks and shuffle outputs are lost), and the result of any task still running
//! on it is dropped instead of reported: the scheduler has already rescheduled that task.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

use crate::env::SparkEnv;
use crate::error::{Error, Result};
use crate::fault_injection::INJECTED_FAILURE;
use crate::scheduler::dag_scheduler::DagEvent;
use crate::scheduler::ids::ExecutorId;
use crate::scheduler::task::{Task, TaskEndReason};
use crate::shuffle::ShuffleStore;
use crate::storage::BlockManager;

type Work = Box<dyn FnOnce() + Send>;

thread_local! {
    /// Set on an executor's worker threads while they run a task.
    static IN_TASK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the calling thread is running a task (a job submitted here would wait for the slot
/// its own task holds: SPARK-5063).
pub(crate) fn in_task() -> bool {
    IN_TASK.with(|t| t.get())
}

/// Marks the worker thread as running a task until dropped (a panic included).
struct InTask;

impl InTask {
    fn enter() -> InTask {
        IN_TASK.with(|t| t.set(true));
        InTask
    }
}

impl Drop for InTask {
    fn drop(&mut self) {
        IN_TASK.with(|t| t.set(false));
    }
}

/// One executor: worker threads, a block manager and a shuffle store.
pub(crate) struct Executor {
    pub(crate) id: String,
    pub(crate) slots: usize,
    /// Block memory in bytes.
    pub(crate) memory: u64,
    pub(crate) block_manager: BlockManager,
    pub(crate) shuffle_store: ShuffleStore,
    alive: AtomicBool,
    queue: Mutex<Option<mpsc::Sender<Work>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Executor {
    /// Starts an executor with `slots` worker threads and `memory` bytes of block memory.
    pub(crate) fn start(
        id: String,
        slots: usize,
        memory: u64,
        local_dir: Option<&std::path::Path>,
    ) -> Result<Arc<Executor>> {
        let (tx, rx) = mpsc::channel::<Work>();
        let rx = Arc::new(Mutex::new(rx));
        let executor = Arc::new(Executor {
            block_manager: BlockManager::new(&id, memory, local_dir)?,
            id,
            slots,
            memory,
            shuffle_store: ShuffleStore::new(ShuffleStore::pool_bytes(memory)),
            alive: AtomicBool::new(true),
            queue: Mutex::new(Some(tx)),
            threads: Mutex::new(Vec::new()),
        });
        let mut threads = Vec::with_capacity(slots);
        for n in 0..slots {
            let rx = rx.clone();
            let handle = std::thread::Builder::new()
                .name(format!("executor-{}-task-{n}", executor.id))
                // Deep narrow lineages compute as deep call chains.
                .stack_size(64 << 20)
                .spawn(move || loop {
                    // The lock is held only to take the next piece of work, never while it runs.
                    let work = rx.lock().recv();
                    match work {
                        Ok(work) => {
                            let _in_task = InTask::enter();
                            work()
                        }
                        Err(_) => break,
                    }
                })
                .map_err(|e| Error::io("executor thread", e))?;
            threads.push(handle);
        }
        *executor.threads.lock() = threads;
        Ok(executor)
    }

    /// Whether the executor is alive.
    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Runs `task` on a free worker thread; its end is reported to the scheduler unless the
    /// executor died meanwhile.
    pub(crate) fn launch(
        self: &Arc<Self>,
        task: Task,
        env: Arc<SparkEnv>,
        events: mpsc::Sender<DagEvent>,
    ) {
        let me = self.clone();
        let work: Work = Box::new(move || {
            // Work still queued when the executor died never runs: the scheduler reschedules
            // it when it hears of the death, and a dead executor must not store blocks.
            if !me.is_alive() {
                return;
            }
            let injected = env.faults.fail_attempt(
                task.stage_id.0,
                task.partition,
                task.attempt_number,
                env.max_failures,
            );
            let (reason, metrics, accum_updates) = if injected {
                let failure = TaskEndReason::ExceptionFailure {
                    message: INJECTED_FAILURE.to_string(),
                    cause: None,
                };
                (failure, Default::default(), Default::default())
            } else {
                task.run(me.clone(), env.clone())
            };
            // Let go of the task (and through it the job's RDDs) before reporting its end.
            let task_id = task.task_id;
            drop(task);
            if me.is_alive() {
                let _ = events.send(DagEvent::TaskEnded {
                    task_id,
                    executor_id: ExecutorId(me.id.clone()),
                    reason,
                    metrics,
                    accum_updates,
                });
                if env.faults.kill_after_task(&me.id) {
                    let reason =
                        "killed by fault injection (sparklet.faults.killExecutorAfterTasks)";
                    let _ = env.kill_executor(&me.id, reason);
                }
            }
        });
        if let Some(tx) = self.queue.lock().as_ref() {
            // A send fails only when the workers are gone (the executor died): the scheduler
            // learns of the death and reschedules the task.
            let _ = tx.send(work);
        }
    }

    /// Kills the executor: no more tasks, stores emptied, running tasks' results dropped.
    pub(crate) fn kill(&self) {
        self.alive.store(false, Ordering::SeqCst);
        self.queue.lock().take();
        self.shuffle_store.clear();
        self.block_manager.clear();
    }

    /// Waits for the worker threads to finish (after `kill`).
    pub(crate) fn join(&self) {
        let threads: Vec<JoinHandle<()>> = std::mem::take(&mut *self.threads.lock());
        let me = std::thread::current().id();
        for t in threads {
            // Never join the calling thread itself (a context dropped on a worker thread).
            if t.thread().id() != me {
                let _ = t.join();
            }
        }
    }
}
