//! RDD checkpointing (Spark's `RDDCheckpointData`, `ReliableRDDCheckpointData`,
//! `LocalRDDCheckpointData`): the state machine every RDD carries.

use std::any::Any;
use std::sync::Arc;

use crate::rdd::{Data, RddBase, TypedRdd};

/// Which kind of checkpoint an RDD is marked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CheckpointKind {
    /// `rdd.checkpoint()`: files under the context's checkpoint dir.
    Reliable { dir: std::path::PathBuf },
    /// `rdd.local_checkpoint()`: blocks in the executors' block managers.
    Local,
}

/// Spark's `checkpointData` with its `cpState`, as one enum:
/// `None` (never marked) → `Initialized` → `InProgress` → `Checkpointed`.
pub(crate) enum CheckpointState {
    /// Not marked for checkpointing.
    None,
    /// Marked; written after the next job that ends on the RDD.
    Initialized(CheckpointKind),
    /// The writing job is running.
    InProgress(CheckpointKind),
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
}

impl CheckpointState {
    /// The checkpoint folder, once reliably checkpointed.
    pub(crate) fn checkpoint_file(&self) -> Option<std::path::PathBuf> {
        match self {
            CheckpointState::Checkpointed {
                kind: CheckpointKind::Reliable { dir },
                ..
            } => Some(dir.clone()),
            _ => None,
        }
    }
}

/// Spark's `RDD.checkpoint()`: marks the RDD; nothing is computed.
pub(crate) fn mark_reliable<T: Data>(rdd: &Arc<dyn TypedRdd<T>>) -> crate::Result<()> {
    let sc = &rdd.core().sc;
    let Some(root) = sc.checkpoint_dir() else {
        return Err(crate::Error::CheckpointDirNotSet(
            "Checkpoint directory has not been set in the SparkContext; call \
             sc.set_checkpoint_dir(dir) first"
                .into(),
        ));
    };
    let mut state = rdd.core().checkpoint.lock();
    if matches!(*state, CheckpointState::None) {
        let dir = root.join(format!("rdd-{}", rdd.core().id));
        *state = CheckpointState::Initialized(CheckpointKind::Reliable { dir });
    }
    Ok(())
}

/// Spark's `RDD.localCheckpoint()`.
pub(crate) fn mark_local<T: Data>(rdd: &Arc<dyn TypedRdd<T>>) -> crate::Result<()> {
    let mut state = rdd.core().checkpoint.lock();
    if matches!(*state, CheckpointState::Checkpointed { .. }) {
        return Ok(());
    }
    *state = CheckpointState::Initialized(CheckpointKind::Local);
    Ok(())
}

/// Spark's `RDD.doCheckpoint()`, run after every job on the job's final RDD.
pub(crate) fn do_checkpoint(_rdd: &Arc<dyn RddBase>) -> crate::Result<()> {
    Ok(())
}
