//! Block storage (Spark's `storage` package): storage levels, each executor's `BlockManager`,
//! and the driver's `BlockManagerMaster`.
//!
//! Layering: **storage knows no RDDs and no scheduler** (it imports neither module): the RDD
//! layer hands the block manager a closure that makes a missing
//! block (Spark's `getOrElseUpdate`) and a [`BlockCluster`] through which storage reaches
//! other executors and reports lost blocks. `persist`/`unpersist` live in `rdd`.

pub(crate) mod block_manager;
mod disk_store;
mod memory_store;

pub(crate) use memory_store::estimate_size;
mod storage_level;

pub use block_manager::BlockStatus;
pub(crate) use block_manager::{
    get_block, get_or_else_update, ArcVecIter, BlockCluster, BlockData, BlockManager,
    BlockManagerMaster,
};
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
