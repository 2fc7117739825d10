//! Block storage (Spark's `storage` package): storage levels, each executor's `BlockManager`,
//! and the driver's `BlockManagerMaster`.

pub(crate) mod block_manager;
mod disk_store;
mod memory_store;

pub(crate) use memory_store::estimate_size;
mod storage_level;

pub(crate) use block_manager::{get_or_compute, ArcVecIter, BlockManager, BlockManagerMaster};
pub use storage_level::StorageLevel;

/// Storage facts of one persisted RDD (Spark's `RDDInfo`), from
/// [`SparkContext::get_rdd_storage_info`](crate::SparkContext::get_rdd_storage_info).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RddInfo {
    /// The RDD id.
    pub id: usize,
    /// Its name (`set_name`), or its class name.
    pub name: String,
    /// Its storage level.
    pub storage_level: StorageLevel,
    /// Its partition count.
    pub num_partitions: usize,
    /// How many partitions have at least one cached copy.
    pub num_cached_partitions: usize,
    /// Bytes held in memory, summed over copies.
    pub mem_size: u64,
    /// Bytes held on disk, summed over copies.
    pub disk_size: u64,
}

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::rdd::RddBase;

/// Spark's `RDD.persist(level)`: sets the level (lazy); a different level than the one set is
/// refused.
pub(crate) fn persist(rdd: &Arc<dyn RddBase>, level: StorageLevel) -> Result<()> {
    let core = rdd.core();
    // A locally checkpointed RDD takes any level, adapted to use disk (Spark's allowOverride).
    let (level, allow_override) = if core.checkpoint.lock().is_local() {
        (level.with_disk(), true)
    } else {
        (level, false)
    };
    let mut current = core.storage_level.lock();
    if *current != StorageLevel::NONE && *current != level && !allow_override {
        return Err(Error::StorageLevelChange {
            current: current.to_string(),
            requested: level.to_string(),
        });
    }
    if *current == StorageLevel::NONE {
        core.sc.env().register_persistent(rdd);
    }
    *current = level;
    Ok(())
}

/// Spark's `RDD.unpersist(blocking)`: removes every copy and resets the level to NONE.
pub(crate) fn unpersist(rdd: &Arc<dyn RddBase>, _blocking: bool) {
    let core = rdd.core();
    *core.storage_level.lock() = StorageLevel::NONE;
    core.sc.env().remove_rdd(core.id);
}
