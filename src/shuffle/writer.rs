//! The map side of a shuffle (Spark's `SortShuffleWriter` with its aggregator): one map task
//! turns one parent partition into one serialized bucket per reduce partition.
//!
//! Combining per key (map side here, reduce side in `ShuffledRDD`) goes through [`fold_into`],
//! which is where a shuffle spends its time: one hash map lookup per record, usually a cache
//! miss. It pulls records in small batches and folds each batch in a tight loop, dropping the
//! keys it no longer needs after the batch, so that the processor overlaps the misses of
//! several lookups instead of waiting for each behind the allocator calls of the next record.

use std::hash::Hash;
use std::sync::Arc;

use crate::aggregator::Aggregator;
use crate::dependency::{ShuffleDependency, ShuffleWriter};
use crate::partitioner::StableHashMap;
use crate::rdd::{iterator, Data, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::serializer::SeqWriter;
use crate::shuffle::MapStatus;

/// Writes `(K, V)` records of a parent partition, combined into `(K, C)` first when
/// `map_side_combine` is set.
pub(crate) struct HashShuffleWriter<K, V, C> {
    pub(crate) parent: Arc<dyn TypedRdd<(K, V)>>,
    pub(crate) aggregator: Option<Arc<Aggregator<V, C>>>,
    pub(crate) map_side_combine: bool,
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
        let mut buckets: Vec<SeqWriter> = (0..partitioner.num_partitions())
            .map(|_| SeqWriter::new())
            .collect();
        let fail = |e: String| TaskError::Failed(format!("shuffle write failed: {e}"));
        match (&self.aggregator, self.map_side_combine) {
            (Some(agg), true) => {
                let mut combined: StableHashMap<K, Option<C>> = StableHashMap::default();
                fold_into(
                    &mut combined,
                    records,
                    &agg.create_combiner,
                    &agg.merge_value,
                );
                for (k, c) in combined {
                    let c = c.expect("every combiner slot is filled before the next record");
                    buckets[partitioner.get_partition(&k)]
                        .push(&(k, c))
                        .map_err(fail)?;
                }
            }
            _ => {
                for (k, v) in records {
                    buckets[partitioner.get_partition(&k)]
                        .push(&(k, v))
                        .map_err(fail)?;
                }
            }
        }
        let buckets: Vec<Vec<u8>> = buckets.into_iter().map(SeqWriter::finish).collect();
        let sizes = buckets.iter().map(|b| b.len() as u64).collect();
        ctx.executor
            .shuffle_store
            .put(dep.shuffle_id, map_id, buckets);
        Ok(MapStatus {
            executor_id: ctx.executor.id.clone(),
            sizes,
        })
    }
}

/// Records pulled per batch by [`fold_into`].
const FOLD_BATCH: usize = 64;

/// Folds `(K, X)` records into `map` in arrival order: `create(x)` starts the combiner of a new
/// key, `merge(c, x)` folds `x` into the combiner of a key already present (Spark's
/// `AppendOnlyMap.changeValue`). The map holds the same entries, inserted in the same order, as
/// one `entry(k)` per record would give, so its iteration order is the same too.
pub(crate) fn fold_into<K: Hash + Eq, X, C>(
    map: &mut StableHashMap<K, Option<C>>,
    records: impl Iterator<Item = (K, X)>,
    create: impl Fn(X) -> C,
    merge: impl Fn(C, X) -> C,
) {
    let mut records = records;
    let mut batch: Vec<(K, X)> = Vec::with_capacity(FOLD_BATCH);
    // Keys of records whose key was present: dropped once per batch, out of the lookup loop.
    let mut spent: Vec<K> = Vec::with_capacity(FOLD_BATCH);
    loop {
        batch.extend(records.by_ref().take(FOLD_BATCH));
        if batch.is_empty() {
            return;
        }
        for (k, x) in batch.drain(..) {
            match map.get_mut(&k) {
                Some(slot) => {
                    let c = slot
                        .take()
                        .expect("every combiner slot is filled before the next record");
                    *slot = Some(merge(c, x));
                    spent.push(k);
                }
                None => {
                    map.insert(k, Some(create(x)));
                }
            }
        }
        spent.clear();
    }
}
