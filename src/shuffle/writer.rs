//! The map side of a shuffle (Spark's `SortShuffleWriter` with its aggregator): one map task
//! turns one parent partition into one serialized bucket per reduce partition.
//!
//! Combining per key (map side here, reduce side in `ShuffledRDD`) goes through
//! [`AppendOnlyMap::fold`], which is where a shuffle spends its time.

use std::hash::Hash;
use std::sync::Arc;

use crate::aggregator::Aggregator;
use crate::dependency::{ShuffleDependency, ShuffleWriter};
use crate::rdd::{iterator, Data, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
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
        let fail = |e: SerializerError| TaskError::Failed(format!("shuffle write failed: {e}"));
        match (&self.aggregator, self.map_side_combine) {
            (Some(agg), true) => {
                let mut combiners = AppendOnlyMap::new();
                combiners.fold(records, &agg.create_combiner, &agg.merge_value);
                for (k, c) in combiners {
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
        let records: u64 = buckets.iter().map(SeqWriter::len).sum();
        let buckets: Vec<Vec<u8>> = buckets.into_iter().map(SeqWriter::finish).collect();
        let sizes: Vec<u64> = buckets.iter().map(|b| b.len() as u64).collect();
        ctx.metrics.add_shuffle_write(records, sizes.iter().sum());
        ctx.executor
            .shuffle_store
            .put(dep.shuffle_id, map_id, buckets);
        Ok(MapStatus {
            executor_id: ctx.executor.id.clone(),
            sizes,
        })
    }
}
