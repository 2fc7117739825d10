//! RDD checkpointing (Spark's `RDDCheckpointData`, `ReliableRDDCheckpointData`,
//! `LocalRDDCheckpointData` and `RDD.doCheckpoint`): the state machine every RDD carries, and
//! the step after each job that writes what the job's lineage marked.
//!
//! * `rdd.checkpoint()` / `rdd.local_checkpoint()` only **mark** the RDD
//!   (`CheckpointState::Initialized`); nothing is computed.
//! * After every job, `do_checkpoint` walks the job's final RDD: a marked RDD is checkpointed
//!   and the walk stops there on that path, unless the local property
//!   `sparklet.checkpoint.checkpointAllMarkedAncestors` is `"true"` (streaming sets it), in
//!   which case its marked ancestors are checkpointed first. Each RDD does this at most once in
//!   its life (Spark's `doCheckpointCalled`), so marking after a first job has no effect.
//! * Checkpointing an RDD runs **another job** over it (Spark's `writeRDDToCheckpointDirectory`):
//!   an RDD that is not persisted is therefore computed twice; a persisted one is read from the
//!   cache by that job. The state moves `Initialized → InProgress → Checkpointed`, and then
//!   `mark_checkpointed` cuts the lineage: the RDD's parents are dropped, and from now on
//!   `dependencies()` is one OneToOne dependency on the checkpoint RDD, whose partitions
//!   `compute_or_read_checkpoint` reads.

pub mod file;
pub(crate) mod local;
pub(crate) mod reliable;

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::rdd::{dependencies, Data, RddBase, TypedRdd};
use crate::storage::StorageLevel;

/// The local property that makes `do_checkpoint` checkpoint marked ancestors too.
pub const CHECKPOINT_ALL_MARKED_ANCESTORS: &str =
    "sparklet.checkpoint.checkpointAllMarkedAncestors";

/// Conf key: delete an RDD's checkpoint files when the RDD is dropped (Spark's
/// `spark.cleaner.referenceTracking.cleanCheckpoints`, default false).
pub const CLEAN_CHECKPOINTS: &str = "sparklet.cleaner.referenceTracking.cleanCheckpoints";

/// Which kind of checkpoint an RDD is marked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CheckpointKind {
    /// `rdd.checkpoint()`: files under `<checkpoint dir>/rdd-<id>`.
    Reliable { dir: PathBuf },
    /// `rdd.local_checkpoint()`: the RDD's own blocks on the executors.
    Local,
}

/// The type-erased writer of one RDD's checkpoint, built when the RDD is marked (it knows the
/// element type). It holds the RDD weakly: the RDD owns its checkpoint state.
pub(crate) trait CheckpointWriter: Send + Sync {
    /// Writes the checkpoint and returns the checkpoint RDD, untyped and typed.
    fn write(&self) -> Result<(Arc<dyn RddBase>, Arc<dyn Any + Send + Sync>)>;
}

/// What a marked RDD carries (Spark's `RDDCheckpointData`).
#[derive(Clone)]
pub(crate) struct CheckpointData {
    kind: CheckpointKind,
    writer: Arc<dyn CheckpointWriter>,
}

/// Spark's `checkpointData` with its `cpState`, as one enum:
/// `None` (never marked) → `Initialized` → `InProgress` → `Checkpointed`.
pub(crate) enum CheckpointState {
    /// Not marked for checkpointing.
    None,
    /// Marked; written after the next job that ends on the RDD (or a descendant).
    Initialized(CheckpointData),
    /// The writing job is running.
    InProgress(CheckpointData),
    /// Written; the RDD's lineage is now this checkpoint RDD.
    Checkpointed {
        kind: CheckpointKind,
        rdd: Arc<dyn RddBase>,
        /// The same RDD as `Arc<dyn TypedRdd<T>>`, for typed reads.
        typed: Arc<dyn Any + Send + Sync>,
    },
}

impl CheckpointState {
    /// The checkpoint RDD, once checkpointed.
    pub(crate) fn checkpoint_rdd_base(&self) -> Option<Arc<dyn RddBase>> {
        match self {
            CheckpointState::Checkpointed { rdd, .. } => Some(rdd.clone()),
            _ => None,
        }
    }

    /// The checkpoint RDD as a typed RDD, once checkpointed.
    pub(crate) fn checkpoint_rdd<T: Data>(&self) -> Option<Arc<dyn TypedRdd<T>>> {
        match self {
            CheckpointState::Checkpointed { typed, .. } => {
                typed.downcast_ref::<Arc<dyn TypedRdd<T>>>().cloned()
            }
            _ => None,
        }
    }

    /// The checkpoint folder, once reliably checkpointed (Spark's `getCheckpointFile`).
    pub(crate) fn checkpoint_file(&self) -> Option<PathBuf> {
        match self {
            CheckpointState::Checkpointed {
                kind: CheckpointKind::Reliable { dir },
                ..
            } => Some(dir.clone()),
            _ => None,
        }
    }

    /// The kind the RDD is marked or checkpointed for.
    pub(crate) fn kind(&self) -> Option<&CheckpointKind> {
        match self {
            CheckpointState::None => None,
            CheckpointState::Initialized(d) | CheckpointState::InProgress(d) => Some(&d.kind),
            CheckpointState::Checkpointed { kind, .. } => Some(kind),
        }
    }

    /// Whether the RDD is marked for, or has, a local checkpoint (Spark's
    /// `isLocallyCheckpointed`).
    pub(crate) fn is_local(&self) -> bool {
        self.kind() == Some(&CheckpointKind::Local)
    }
}

/// Spark's `RDD.checkpoint()`: marks the RDD for a reliable checkpoint; nothing is computed. A
/// second call, or a call on an RDD already marked (reliable or local), does nothing.
pub(crate) fn mark_reliable<T: Data>(rdd: &Arc<dyn TypedRdd<T>>) -> Result<()> {
    let core = rdd.core();
    let Some(root) = core.sc.checkpoint_dir() else {
        return Err(Error::CheckpointDirNotSet(
            "Checkpoint directory has not been set in the SparkContext: call \
             sc.set_checkpoint_dir(dir) before rdd.checkpoint()"
                .into(),
        ));
    };
    let mut state = core.checkpoint.lock();
    if matches!(*state, CheckpointState::None) {
        let dir = root.join(format!("rdd-{}", core.id));
        let writer = Arc::new(reliable::ReliableWriter::new(
            Arc::downgrade(rdd),
            dir.clone(),
        ));
        *state = CheckpointState::Initialized(CheckpointData {
            kind: CheckpointKind::Reliable { dir },
            writer,
        });
    }
    Ok(())
}

/// Spark's `RDD.localCheckpoint()`: persists the RDD at a level that uses disk (MEMORY_AND_DISK
/// when it had none) and marks it for a local checkpoint, replacing a reliable mark. An RDD
/// already checkpointed keeps its checkpoint.
pub(crate) fn mark_local<T: Data>(rdd: &Arc<dyn TypedRdd<T>>) -> Result<()> {
    let core = rdd.core();
    {
        let mut level = core.storage_level.lock();
        let new_level = if *level == StorageLevel::NONE {
            StorageLevel::MEMORY_AND_DISK
        } else {
            level.with_disk()
        };
        if *level == StorageLevel::NONE {
            let base: Arc<dyn RddBase> = rdd.clone();
            core.sc.env().register_persistent(&base);
        }
        *level = new_level;
    }
    let mut state = core.checkpoint.lock();
    match &*state {
        CheckpointState::Checkpointed { .. } => {
            log::warn!(
                target: crate::logging::RDD,
                "Not marking RDD for local checkpoint because it was already checkpointed and materialized"
            );
        }
        other => {
            if matches!(other.kind(), Some(CheckpointKind::Reliable { .. })) {
                log::warn!(
                    target: crate::logging::RDD,
                    "RDD was already marked for reliable checkpointing: overriding with local checkpoint."
                );
            }
            let writer = Arc::new(local::LocalWriter::new(Arc::downgrade(rdd)));
            *state = CheckpointState::Initialized(CheckpointData {
                kind: CheckpointKind::Local,
                writer,
            });
        }
    }
    Ok(())
}

/// Spark's `RDD.doCheckpoint()`, run after every job on the job's final RDD. Post-order and
/// iterative: parents (when walked) are checkpointed before their children, and a deep lineage
/// cannot overflow the stack.
pub(crate) fn do_checkpoint(root: &Arc<dyn RddBase>) -> Result<()> {
    let all_marked = root
        .core()
        .sc
        .get_local_property(CHECKPOINT_ALL_MARKED_ANCESTORS)
        .as_deref()
        == Some("true");
    enum Step {
        Enter(Arc<dyn RddBase>),
        Checkpoint(Arc<dyn RddBase>),
    }
    let mut stack = vec![Step::Enter(root.clone())];
    while let Some(step) = stack.pop() {
        match step {
            Step::Enter(rdd) => {
                if rdd.core().take_do_checkpoint() {
                    continue;
                }
                let marked = matches!(
                    *rdd.core().checkpoint.lock(),
                    CheckpointState::Initialized(_)
                );
                let walk_parents = !marked || all_marked;
                if marked {
                    stack.push(Step::Checkpoint(rdd.clone()));
                }
                if walk_parents {
                    for dep in dependencies(&*rdd).into_iter().rev() {
                        stack.push(Step::Enter(dep.rdd().clone()));
                    }
                }
            }
            Step::Checkpoint(rdd) => checkpoint(&rdd)?,
        }
    }
    Ok(())
}

/// Spark's `RDDCheckpointData.checkpoint()`: Initialized → InProgress (atomically, so the work
/// is never done twice) → write → Checkpointed, then cut the lineage.
fn checkpoint(rdd: &Arc<dyn RddBase>) -> Result<()> {
    let data = {
        let mut state = rdd.core().checkpoint.lock();
        match std::mem::replace(&mut *state, CheckpointState::None) {
            CheckpointState::Initialized(data) => {
                *state = CheckpointState::InProgress(data.clone());
                data
            }
            other => {
                *state = other;
                return Ok(());
            }
        }
    };
    match data.writer.write() {
        Ok((cp, typed)) => {
            *rdd.core().checkpoint.lock() = CheckpointState::Checkpointed {
                kind: data.kind,
                rdd: cp,
                typed,
            };
            mark_checkpointed(rdd);
            Ok(())
        }
        Err(e) => {
            *rdd.core().checkpoint.lock() = CheckpointState::Initialized(data);
            Err(e)
        }
    }
}

/// Spark's `markCheckpointed`: forget the parents. The dropped lineage may be thousands of
/// RDDs deep, and dropping it recurses once per RDD, so it is dropped on a helper thread with a
/// large stack (and waited for, so that the parents are gone when the action returns).
pub(crate) fn mark_checkpointed(rdd: &Arc<dyn RddBase>) {
    let parents = rdd.clear_dependencies();
    let dropper = std::thread::Builder::new()
        .name("lineage-cleaner".into())
        .stack_size(256 << 20)
        .spawn(move || drop(parents));
    match dropper {
        Ok(handle) => {
            let _ = handle.join();
        }
        Err(e) => {
            log::warn!(target: crate::logging::RDD, "cannot start lineage-cleaner thread: {e}")
        }
    }
}
