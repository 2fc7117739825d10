//! `ShuffledRDD`: the reduce side of a shuffle (reduceByKey, groupByKey, partitionBy).
//!
//! Its one dependency is a [`ShuffleDependency`] whose writer buckets the parent's records by
//! the partitioner (combined per key on the map side when `map_side_combine` is set). Computing
//! partition i fetches bucket i of every map output in map order and, with an aggregator,
//! merges values per key in a hash map with the stable hasher (so the output order is the same
//! in every run); without one it yields the records as fetched.

use std::any::Any;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::aggregator::Aggregator;
use crate::dependency::{Dependency, ShuffleDependency, ShuffleId};
use crate::partitioner::Partitioner;
use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::{part_iter, ComputeResult, Data, PerValue, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::serializer::{seq_iter, SerializerError};
use crate::shuffle::append_only_map::AppendOnlyMap;
use crate::shuffle::reader::fetch;
use crate::shuffle::writer::HashShuffleWriter;

pub(crate) struct ShuffledRdd<K, V, C> {
    core: RddCore,
    dep: Mutex<Option<Arc<ShuffleDependency>>>,
    partitioner: Partitioner,
    aggregator: Option<Arc<Aggregator<V, C>>>,
    map_side_combine: bool,
    _k: PhantomData<fn() -> K>,
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
        let sc = parent.core().sc.clone();
        let dep = Arc::new(ShuffleDependency {
            shuffle_id: ShuffleId(sc.new_shuffle_id()),
            rdd: parent.clone(),
            partitioner: partitioner.clone(),
            writer: Box::new(HashShuffleWriter {
                parent,
                aggregator: aggregator.clone(),
                map_side_combine,
            }),
        });
        ShuffledRdd {
            core: RddCore::new(&sc, op),
            dep: Mutex::new(Some(dep)),
            partitioner,
            aggregator,
            map_side_combine,
            _k: PhantomData,
        }
    }
}

impl<K: Data + Hash + Eq, V: Data, C: Data> RddBase for ShuffledRdd<K, V, C> {
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
    /// No data shuffled into zero partitions.
    fn validate(&self) -> crate::error::Result<()> {
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

impl<K: Data + Hash + Eq, V: Data, C: Data> TypedRdd<(K, C)> for ShuffledRdd<K, V, C> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<(K, C)> {
        let dep = self
            .dep
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        let blocks = fetch(&dep, split, ctx)?;
        let decode = |e: SerializerError| TaskError::Failed(format!("shuffle read failed: {e}"));
        let Some(agg) = &self.aggregator else {
            let mut out = Vec::new();
            for b in &blocks {
                for r in seq_iter::<(K, C)>(b.bytes()).map_err(decode)? {
                    out.push(r.map_err(decode)?);
                }
            }
            return Ok(part_iter(out.into_iter()));
        };
        let mut combiners = AppendOnlyMap::new();
        // The first undecodable record ends the fold and fails the task.
        let mut failed: Option<SerializerError> = None;
        for b in &blocks {
            if self.map_side_combine {
                let records = seq_iter::<(K, C)>(b.bytes()).map_err(decode)?;
                let records = records.map_while(|r| r.map_err(|e| failed = Some(e)).ok());
                combiners.fold(PerValue(records), |c| c, &agg.merge_combiners);
            } else {
                let records = seq_iter::<(K, V)>(b.bytes()).map_err(decode)?;
                let records = records.map_while(|r| r.map_err(|e| failed = Some(e)).ok());
                combiners.fold(PerValue(records), &agg.create_combiner, &agg.merge_value);
            }
            if let Some(e) = failed.take() {
                return Err(decode(e));
            }
        }
        Ok(part_iter(combiners.into_iter()))
    }
}
