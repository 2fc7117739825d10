//! The reduce side of a shuffle (Spark's `BlockStoreShuffleReader`): fetch one bucket from every
//! map output, in map-index order.

use std::sync::Arc;

use crate::dependency::ShuffleDependency;
use crate::scheduler::task::{TaskContext, TaskError};

/// One fetched map output: all its buckets, and which one is ours.
pub(crate) struct FetchedBlock {
    buckets: Arc<Vec<Vec<u8>>>,
    reduce_id: usize,
}

impl FetchedBlock {
    /// The serialized records of the reduce partition.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.buckets
            .get(self.reduce_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Fetches reduce partition `reduce_id`'s bucket of every map output of `dep`, in map order.
/// A map output that is not registered, or whose executor is gone, is a fetch failure (the
/// scheduler then re-runs that map partition).
pub(crate) fn fetch(
    dep: &ShuffleDependency,
    reduce_id: usize,
    ctx: &TaskContext,
) -> Result<Vec<FetchedBlock>, TaskError> {
    let tracker = &ctx.env.map_output_tracker;
    let mut blocks = Vec::with_capacity(dep.num_maps());
    for map_id in 0..dep.num_maps() {
        let fetch_failed = |executor_id: Option<String>, message: String| TaskError::FetchFailed {
            shuffle_id: dep.shuffle_id,
            map_id,
            reduce_id,
            executor_id,
            message,
        };
        let status = tracker.status(dep.shuffle_id, map_id).ok_or_else(|| {
            fetch_failed(
                None,
                format!(
                    "Missing an output location for shuffle {}",
                    dep.shuffle_id.0
                ),
            )
        })?;
        let executor = ctx.env.executor(&status.executor_id).ok_or_else(|| {
            fetch_failed(
                Some(status.executor_id.clone()),
                format!("executor {} is lost", status.executor_id),
            )
        })?;
        let buckets = executor
            .shuffle_store
            .get(dep.shuffle_id, map_id)
            .ok_or_else(|| {
                fetch_failed(
                    Some(status.executor_id.clone()),
                    format!(
                        "shuffle_{}_{}_{} not found on executor {}",
                        dep.shuffle_id.0, map_id, reduce_id, status.executor_id
                    ),
                )
            })?;
        let block = FetchedBlock { buckets, reduce_id };
        let bytes = block.bytes();
        ctx.metrics.add_shuffle_read(
            status.executor_id == ctx.executor.id,
            crate::serializer::SeqWriter::count_of(bytes),
            bytes.len() as u64,
        );
        blocks.push(block);
    }
    Ok(blocks)
}
