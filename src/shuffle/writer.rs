//! The map side of a shuffle (Spark's `SortShuffleWriter` with its aggregator): one map task
//! turns one parent partition into one serialized bucket per reduce partition.
//!
//! Combining per key (map side here, reduce side in `ShuffledRDD`) goes through
//! [`AppendOnlyMap::fold`], which is where a shuffle spends its time. The partition of each
//! record comes from the checked [`Partitioner::partition_for`](crate::Partitioner): a key the
//! partitioner cannot place (a custom partitioner's wrong key type or index) fails the task.
//! [`OrderedShuffleWriter`] buckets keys that need not be `Hash` (the keys of `sort_by_key`),
//! by a range or custom partitioner, with no aggregator; records that are pairs of fixed-width
//! numbers take the serializer's bulk path there (`serializer::fixed`, bincode's bytes).

use std::any::Any;
use std::hash::Hash;
use std::sync::Arc;

use crate::aggregator::Aggregator;
use crate::dependency::{ShuffleDependency, ShuffleWriter};
use crate::partitioner::range_partition;
use crate::rdd::{iterator, Data, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::serializer::fixed::{with_pair, FixedKey, FixedLe, PairFn};
use crate::serializer::{SeqWriter, SerializerError};
use crate::shuffle::append_only_map::AppendOnlyMap;
use crate::shuffle::MapStatus;

/// Writes `(K, V)` records of a parent partition, combined into `(K, C)` first when
/// `map_side_combine` is set.
pub(crate) struct HashShuffleWriter<K, V, C> {
    pub(crate) parent: Arc<dyn TypedRdd<(K, V)>>,
    pub(crate) aggregator: Option<Arc<Aggregator<V, C>>>,
    pub(crate) map_side_combine: bool,
}

fn write_failed(e: SerializerError) -> TaskError {
    TaskError::Failed(format!("shuffle write failed: {e}"))
}

fn unplaceable(message: String) -> TaskError {
    TaskError::Failed(format!("shuffle write failed: {message}"))
}

impl<K, V, C> ShuffleWriter for HashShuffleWriter<K, V, C>
where
    K: Data + Hash + Eq,
    V: Data,
    C: Data,
{
    fn write(
        &self,
        dep: &ShuffleDependency,
        map_id: usize,
        ctx: &TaskContext,
    ) -> Result<MapStatus, TaskError> {
        let records = iterator(&*self.parent, map_id, ctx)?;
        let partitioner = &dep.partitioner;
        match (&self.aggregator, self.map_side_combine) {
            (Some(agg), true) => {
                let mut buckets = new_buckets(ctx, partitioner.num_partitions(), 0);
                let mut combiners = AppendOnlyMap::new();
                combiners.fold(records, &agg.create_combiner, &agg.merge_value);
                for (k, c) in combiners {
                    let p = partitioner.partition_for(&k).map_err(unplaceable)?;
                    buckets[p].push(&(k, c)).map_err(write_failed)?;
                }
                Ok(store(dep, map_id, ctx, buckets))
            }
            _ => {
                let room = bucket_room::<(K, V)>(records.size_hint().0, partitioner);
                let mut buckets = new_buckets(ctx, partitioner.num_partitions(), room);
                for (k, v) in records {
                    let p = partitioner.partition_for(&k).map_err(unplaceable)?;
                    buckets[p].push(&(k, v)).map_err(write_failed)?;
                }
                Ok(store(dep, map_id, ctx, buckets))
            }
        }
    }
}

/// Writes `(K, V)` records whose keys need not be `Hash`, bucketed by a range or custom
/// partitioner (Spark's `sortByKey` shuffle: no aggregator, no map-side combine).
pub(crate) struct OrderedShuffleWriter<K, V> {
    pub(crate) parent: Arc<dyn TypedRdd<(K, V)>>,
}

/// Records pulled from the parent at a time by [`OrderedShuffleWriter`] (one dynamic call per
/// chunk, not per record).
const CHUNK: usize = 1024;

impl<K: Data + Ord, V: Data> ShuffleWriter for OrderedShuffleWriter<K, V> {
    fn write(
        &self,
        dep: &ShuffleDependency,
        map_id: usize,
        ctx: &TaskContext,
    ) -> Result<MapStatus, TaskError> {
        let mut records = iterator(&*self.parent, map_id, ctx)?;
        let partitioner = &dep.partitioner;
        let room = bucket_room::<(K, V)>(records.size_hint().0, partitioner);
        let mut buckets = new_buckets(ctx, partitioner.num_partitions(), room);
        // A range partitioner (sort_by_key's) places keys on its typed bounds directly.
        let range = partitioner.typed_range::<K>();
        let mut chunk = Vec::with_capacity(CHUNK);
        loop {
            records.next_chunk_into(&mut chunk, CHUNK);
            if chunk.is_empty() {
                break;
            }
            // Pairs of fixed-width numbers are written as their bytes directly.
            let fixed = with_pair::<K, V, _>(WriteFixed {
                chunk: &mut chunk,
                partitioner,
                buckets: &mut buckets,
            });
            if fixed.transpose()?.unwrap_or(false) {
                continue;
            }
            for (k, v) in chunk.drain(..) {
                let p = match range {
                    Some((bounds, ascending)) => range_partition(bounds, ascending, &k),
                    None => partitioner.partition_for_any(&k).map_err(unplaceable)?,
                };
                buckets[p].push(&(k, v)).map_err(write_failed)?;
            }
        }
        Ok(store(dep, map_id, ctx, buckets))
    }
}

/// One chunk of [`OrderedShuffleWriter`]'s records, written by the fixed-width path
/// ([`crate::serializer::fixed`]) once the pair's concrete types are known.
struct WriteFixed<'a> {
    chunk: &'a mut dyn Any,
    partitioner: &'a crate::Partitioner,
    buckets: &'a mut [SeqWriter],
}

impl PairFn for WriteFixed<'_> {
    /// Whether the chunk was written (and drained).
    type Out = Result<bool, TaskError>;

    fn call<A: FixedKey, B: FixedLe>(self) -> Self::Out {
        let Some(chunk) = self.chunk.downcast_mut::<Vec<(A, B)>>() else {
            return Ok(false);
        };
        match self.partitioner.typed_range::<A>() {
            Some((bounds, ascending)) => {
                for (a, b) in chunk.drain(..) {
                    let p = range_partition(bounds, ascending, &a);
                    self.buckets[p].push_fixed_pair(a, b);
                }
            }
            None => {
                for (a, b) in chunk.drain(..) {
                    let p = self
                        .partitioner
                        .partition_for_any(&a)
                        .map_err(unplaceable)?;
                    self.buckets[p].push_fixed_pair(a, b);
                }
            }
        }
        Ok(true)
    }
}

/// `n` empty buckets with `room` bytes each, in buffers of cleaned shuffles where the
/// executor keeps some that are large enough.
fn new_buckets(ctx: &TaskContext, n: usize, room: usize) -> Vec<SeqWriter> {
    let store = &ctx.executor.shuffle_store;
    (0..n)
        .map(|_| match store.take_buffer(room.saturating_add(8)) {
            Some(buf) => SeqWriter::reusing(buf),
            None => SeqWriter::with_capacity(room),
        })
        .collect()
}

/// The bytes to reserve per bucket for `records` records spread evenly over the partitioner's
/// buckets, at the records' in-memory size (a fixed-width value serializes to about as
/// much). Reserving up front spares the buckets' regrowth copies; the reservation is only
/// address space until written.
fn bucket_room<R>(records: usize, partitioner: &crate::Partitioner) -> usize {
    let buckets = partitioner.num_partitions().max(1);
    records.saturating_mul(std::mem::size_of::<R>()) / buckets / 8 * 9
}

/// Stores the finished buckets in the executor's shuffle store and describes them.
fn store(
    dep: &ShuffleDependency,
    map_id: usize,
    ctx: &TaskContext,
    buckets: Vec<SeqWriter>,
) -> MapStatus {
    let records: u64 = buckets.iter().map(SeqWriter::len).sum();
    let buckets: Vec<Vec<u8>> = buckets.into_iter().map(SeqWriter::finish).collect();
    let sizes: Vec<u64> = buckets.iter().map(|b| b.len() as u64).collect();
    ctx.metrics.add_shuffle_write(records, sizes.iter().sum());
    ctx.executor
        .shuffle_store
        .put(dep.shuffle_id, map_id, buckets);
    MapStatus {
        executor_id: ctx.executor.id.clone(),
        sizes,
    }
}
