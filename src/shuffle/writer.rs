//! The map side of a shuffle (Spark's `SortShuffleWriter` with its aggregator): one map task
//! turns one parent partition into one serialized bucket per reduce partition.
//!
//! Combining per key (map side here, reduce side in `ShuffledRDD`) goes through [`fold_into`],
//! which is where a shuffle spends its time: one hash map lookup per record, usually a cache
//! miss when the table is large. Records are pulled in small batches and the keys of records
//! whose key was already present are dropped once per batch, not between hash probes (freeing
//! each key right after its lookup measured several times slower).

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
                let mut folded: StableHashMap<K, Option<C>> = StableHashMap::default();
                fold_into(&mut folded, records, &agg.create_combiner, &agg.merge_value);
                for (k, c) in combined(folded) {
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
/// `AppendOnlyMap.changeValue`). A slot is `None` only while its combiner is inside `merge`, so
/// a panic in user code leaves a map whose every value drops once.
///
/// Records are pulled in batches and the keys of records whose key was already present are
/// dropped once per batch: freeing each key right after its lookup (malloc and free between
/// hash probes) measured several times slower on this workload.
pub(crate) fn fold_into<K: Hash + Eq, X, C>(
    map: &mut StableHashMap<K, Option<C>>,
    records: impl Iterator<Item = (K, X)>,
    create: impl Fn(X) -> C,
    merge: impl Fn(C, X) -> C,
) {
    let mut records = records;
    let mut batch: Vec<(K, X)> = Vec::with_capacity(FOLD_BATCH);
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
                        .expect("a combiner slot is refilled before the next record");
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

/// The combiners of a folded map.
pub(crate) fn combined<K, C>(map: StableHashMap<K, Option<C>>) -> impl Iterator<Item = (K, C)> {
    map.into_iter().map(|(k, c)| {
        (
            k,
            c.expect("every combiner slot is refilled before the next record"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{self, AssertUnwindSafe};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Counts its drops.
    struct Tracked(Arc<AtomicUsize>, u64);
    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn folds_like_one_entry_per_record() {
        let records = (0..1000u64).map(|i| (format!("k{}", i % 37), i));
        let mut map = StableHashMap::default();
        fold_into(
            &mut map,
            records.clone(),
            |x| vec![x],
            |mut c, x| {
                c.push(x);
                c
            },
        );
        let mut want: StableHashMap<String, Vec<u64>> = StableHashMap::default();
        for (k, x) in records {
            want.entry(k).or_default().push(x);
        }
        // Same entries, and the same iteration order.
        assert_eq!(
            combined(map).collect::<Vec<_>>(),
            want.into_iter().collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_panicking_merge_drops_every_combiner_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let records = (0..100u64).map(move |i| (i % 10, Tracked(d.clone(), i)));
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            let mut map = StableHashMap::default();
            fold_into(
                &mut map,
                records,
                |x| x,
                |c: Tracked, x: Tracked| {
                    if x.1 == 55 {
                        panic!("merge fails on 55");
                    }
                    Tracked(c.0.clone(), c.1 + x.1)
                },
            );
        }));
        assert!(result.is_err());
        // Every value made is dropped exactly once (a double drop would count one more): the
        // records pulled (the batch holding record 55, and those before it) and the 45
        // combiners made by the merges of records 10 to 54.
        let pulled = ((55 / FOLD_BATCH + 1) * FOLD_BATCH).min(100);
        assert_eq!(drops.load(Ordering::SeqCst), pulled + 45);
    }
}
