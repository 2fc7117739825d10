//! `ShuffledRDD`: the reduce side of a shuffle (reduceByKey, groupByKey, partitionBy,
//! sortByKey, repartitionAndSortWithinPartitions).
//!
//! Its one dependency is a [`ShuffleDependency`] whose writer buckets the parent's records by
//! the partitioner (combined per key on the map side when `map_side_combine` is set). Computing
//! partition i fetches bucket i of every map output in map order and, with an aggregator,
//! merges values per key in a hash map with the stable hasher (so the output order is the same
//! in every run); without one it yields the records as fetched.
//!
//! With a key ordering (Spark's `ShuffledRDD.setKeyOrdering`, set by `sort_by_key` and
//! `repartition_and_sort_within_partitions`), the records of the partition, after any
//! aggregation, are sorted by key before they are yielded, as Spark's `BlockStoreShuffleReader`
//! sorts with an `ExternalSorter` (here `rdd::key_sort`: integer keys are first distributed
//! into buckets by their high bits; records that are pairs of fixed-width numbers are decoded
//! straight into those buckets from the fetched bytes). The sort is stable, so records of equal keys keep map order.
//! A task holds one partition's records at a time, never more.
//!
//! The key type need not be `Hash`: the constructor for hashable keys ([`ShuffledRdd::new`])
//! builds the hash aggregation into a closure, and [`ShuffledRdd::new_ordered`] takes keys that
//! are only `Ord`, for a range or custom partitioner.

use std::any::Any;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::aggregator::Aggregator;
use crate::dependency::{Dependency, ShuffleDependency, ShuffleWriter};
use crate::error::Error;
use crate::partitioner::Partitioner;
use crate::rdd::key_sort::{sort_fixed_blocks, sort_records, SortedRuns};
use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::{part_iter, ComputeResult, Data, PerValue, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::serializer::{decode_seq_into, seq_iter, SerializerError};
use crate::shuffle::append_only_map::AppendOnlyMap;
use crate::shuffle::reader::{fetch, FetchedBlock};
use crate::shuffle::writer::{HashShuffleWriter, OrderedShuffleWriter};

/// How a reduce task merges its fetched blocks per key (the aggregator, type-erased).
type ReadFn<K, C> = dyn Fn(&[FetchedBlock]) -> ComputeResult<(K, C)> + Send + Sync;

/// What a reduce task does with its fetched blocks.
enum Read<K, C> {
    /// Yields the records as fetched (no aggregator: `C` is `V`).
    Records,
    /// Merges values per key.
    Aggregate(Box<ReadFn<K, C>>),
}

/// Sorts one partition's records by key (Spark's `keyOrdering`) into runs read in order.
type SortFn<K, C> = dyn Fn(Vec<(K, C)>) -> SortedRuns<(K, C)> + Send + Sync;

/// The same sort straight from the fetched blocks' bytes, for the record types that have a
/// bulk path (`key_sort::sort_fixed_blocks`); `None` for the others.
type SortBlocksFn<K, C> =
    dyn Fn(&[&[u8]]) -> Option<Result<SortedRuns<(K, C)>, SerializerError>> + Send + Sync;

/// Spark's `keyOrdering` of a `ShuffledRDD`: the two forms of its sort.
struct KeyOrdering<K, C> {
    sort: Box<SortFn<K, C>>,
    sort_blocks: Box<SortBlocksFn<K, C>>,
}

pub(crate) struct ShuffledRdd<K, V, C> {
    core: RddCore,
    dep: Mutex<Option<Arc<ShuffleDependency>>>,
    partitioner: Partitioner,
    read: Read<K, C>,
    key_ordering: Option<KeyOrdering<K, C>>,
    /// An error found while defining the RDD (the sampling job of `sort_by_key` failed),
    /// reported when a job is submitted on it.
    definition_error: Option<Error>,
    _v: PhantomData<fn() -> V>,
}

impl<K: Data + Hash + Eq, V: Data, C: Data> ShuffledRdd<K, V, C> {
    /// A shuffle of `parent` by `partitioner`, aggregating with `aggregator` when given.
    /// Without an aggregator, `C` must be `V` (records pass through unchanged).
    pub(crate) fn new(
        parent: Arc<dyn TypedRdd<(K, V)>>,
        partitioner: Partitioner,
        aggregator: Option<Arc<Aggregator<V, C>>>,
        map_side_combine: bool,
        op: &str,
    ) -> Self {
        let writer = Box::new(HashShuffleWriter {
            parent: parent.clone(),
            aggregator: aggregator.clone(),
            map_side_combine,
        });
        let read = match aggregator {
            None => Read::Records,
            Some(agg) => Read::Aggregate(Box::new(move |blocks| {
                aggregate(blocks, &agg, map_side_combine)
            })),
        };
        ShuffledRdd::with_writer(parent, partitioner, writer, read, op)
    }
}

impl<K: Data + Ord, V: Data> ShuffledRdd<K, V, V> {
    /// A shuffle of `parent` by a range or custom `partitioner`, with no aggregator, for keys
    /// that need not be `Hash` (Spark's `new ShuffledRDD[K, V, V](self, part)` of `sortByKey`).
    pub(crate) fn new_ordered(
        parent: Arc<dyn TypedRdd<(K, V)>>,
        partitioner: Partitioner,
        op: &str,
    ) -> Self {
        let writer = Box::new(OrderedShuffleWriter {
            parent: parent.clone(),
        });
        ShuffledRdd::with_writer(parent, partitioner, writer, Read::Records, op)
    }
}

impl<K: Data, V: Data, C: Data> ShuffledRdd<K, V, C> {
    fn with_writer(
        parent: Arc<dyn TypedRdd<(K, V)>>,
        partitioner: Partitioner,
        writer: Box<dyn ShuffleWriter>,
        read: Read<K, C>,
        op: &str,
    ) -> Self {
        let sc = parent.core().sc.clone();
        let dep = Arc::new(ShuffleDependency::new(
            &sc,
            parent,
            partitioner.clone(),
            writer,
        ));
        ShuffledRdd {
            core: RddCore::new(&sc, op),
            dep: Mutex::new(Some(dep)),
            partitioner,
            read,
            key_ordering: None,
            definition_error: None,
            _v: PhantomData,
        }
    }

    /// Spark's `setKeyOrdering`: each partition's records come out sorted by key, ascending
    /// or descending.
    pub(crate) fn set_key_ordering(mut self, ascending: bool) -> Self
    where
        K: Ord,
    {
        self.key_ordering = Some(KeyOrdering {
            sort: Box::new(move |records: Vec<(K, C)>| sort_records(records, ascending)),
            sort_blocks: Box::new(move |blocks: &[&[u8]]| {
                sort_fixed_blocks::<K, C>(blocks, ascending)
            }),
        });
        self
    }

    /// Marks the RDD as unusable: every job on it fails with `error` at submission.
    pub(crate) fn set_definition_error(mut self, error: Error) -> Self {
        self.definition_error = Some(error);
        self
    }
}

/// The fetched records as they are (no aggregator): the writer wrote `(K, V)` and `C` is `V`.
fn read_records<K: Data, C: Data>(blocks: &[FetchedBlock]) -> Result<Vec<(K, C)>, TaskError> {
    // Each block opens with its record count: one allocation for the partition's records.
    let count: u64 = blocks
        .iter()
        .filter_map(|b| b.bytes().get(..8))
        .map(|head| u64::from_le_bytes(head.try_into().expect("8 bytes")))
        .sum();
    let room = blocks.iter().map(|b| b.bytes().len()).sum::<usize>();
    // Never trust a count beyond what the bytes could hold (a record takes at least a byte
    // unless it is zero-sized).
    let mut out = Vec::with_capacity((count as usize).min(room));
    for b in blocks {
        decode_seq_into::<(K, C)>(b.bytes(), &mut out).map_err(decode_failed)?;
    }
    Ok(out)
}

fn decode_failed(e: SerializerError) -> TaskError {
    TaskError::Failed(format!("shuffle read failed: {e}"))
}

/// Merges the fetched values (or map-side combiners) per key.
fn aggregate<K: Data + Hash + Eq, V: Data, C: Data>(
    blocks: &[FetchedBlock],
    agg: &Aggregator<V, C>,
    map_side_combine: bool,
) -> ComputeResult<(K, C)> {
    let mut combiners = AppendOnlyMap::new();
    // The first undecodable record ends the fold and fails the task.
    let mut failed: Option<SerializerError> = None;
    for b in blocks {
        if map_side_combine {
            let records = seq_iter::<(K, C)>(b.bytes()).map_err(decode_failed)?;
            let records = records.map_while(|r| r.map_err(|e| failed = Some(e)).ok());
            combiners.fold(PerValue(records), |c| c, &agg.merge_combiners);
        } else {
            let records = seq_iter::<(K, V)>(b.bytes()).map_err(decode_failed)?;
            let records = records.map_while(|r| r.map_err(|e| failed = Some(e)).ok());
            combiners.fold(PerValue(records), &agg.create_combiner, &agg.merge_value);
        }
        if let Some(e) = failed.take() {
            return Err(decode_failed(e));
        }
    }
    Ok(part_iter(combiners.into_iter()))
}

impl<K: Data, V: Data, C: Data> RddBase for ShuffledRdd<K, V, C> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.partitioner.num_partitions()
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        self.dep
            .lock()
            .iter()
            .map(|d| Dependency::shuffle(d.clone()))
            .collect()
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(self.dep.lock().take())
    }
    fn partitioner(&self) -> Option<Partitioner> {
        Some(self.partitioner.clone())
    }
    /// No data shuffled into zero partitions; no job on an RDD whose definition failed.
    fn validate(&self) -> crate::error::Result<()> {
        if let Some(e) = &self.definition_error {
            return Err(e.clone());
        }
        for dep in self.get_dependencies() {
            self.partitioner.check_can_hold(
                &self.core.op,
                &crate::rdd::describe(&**dep.rdd()),
                crate::rdd::num_partitions(&**dep.rdd()),
            )?;
        }
        Ok(())
    }
    fn class_name(&self) -> &'static str {
        "ShuffledRDD"
    }
}

impl<K: Data, V: Data, C: Data> TypedRdd<(K, C)> for ShuffledRdd<K, V, C> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<(K, C)> {
        let dep = self
            .dep
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        let blocks = fetch(&dep, split, ctx)?;
        if let (Read::Records, Some(ordering)) = (&self.read, &self.key_ordering) {
            // Pairs of fixed-width numbers are sorted straight from the fetched bytes.
            let bytes: Vec<&[u8]> = blocks.iter().map(FetchedBlock::bytes).collect();
            if let Some(sorted) = (ordering.sort_blocks)(&bytes) {
                let runs = sorted.map_err(decode_failed)?;
                drop(bytes);
                drop(blocks);
                return Ok(part_iter(runs.into_iter().flatten()));
            }
        }
        let records = match (&self.read, &self.key_ordering) {
            (Read::Records, _) => read_records::<K, C>(&blocks)?,
            (Read::Aggregate(merge), None) => return merge(&blocks),
            (Read::Aggregate(merge), Some(_)) => merge(&blocks)?.collect(),
        };
        drop(blocks);
        match &self.key_ordering {
            Some(ordering) => Ok(part_iter((ordering.sort)(records).into_iter().flatten())),
            None => Ok(part_iter(records.into_iter())),
        }
    }
}
