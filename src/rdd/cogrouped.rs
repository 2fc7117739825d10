//! `CoGroupedRDD`: for each key, the values of two RDDs side by side (cogroup, join).
//!
//! Each parent is read through a OneToOne dependency when it is already partitioned by the
//! cogroup's partitioner, and through a shuffle otherwise (Spark's rule). Partition i groups
//! the records of both sides in arrival order (the left side first, then the right).

use std::any::Any;
use std::hash::Hash;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::aggregator::Aggregator;
use crate::dependency::{Dependency, ShuffleDependency};
use crate::partitioner::{Partitioner, StableHashMap};
use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::{iterator, part_iter, ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::serializer::{seq_iter, SerializerError};
use crate::shuffle::reader::fetch;
use crate::shuffle::writer::HashShuffleWriter;

/// How one side of a cogroup is read.
enum Side<K: Data, V: Data> {
    Narrow(Arc<dyn TypedRdd<(K, V)>>),
    Shuffle(Arc<ShuffleDependency>),
}

impl<K: Data, V: Data> Clone for Side<K, V> {
    fn clone(&self) -> Self {
        match self {
            Side::Narrow(rdd) => Side::Narrow(rdd.clone()),
            Side::Shuffle(dep) => Side::Shuffle(dep.clone()),
        }
    }
}

impl<K: Data + Hash + Eq, V: Data> Side<K, V> {
    fn new(rdd: Arc<dyn TypedRdd<(K, V)>>, partitioner: &Partitioner) -> Self {
        if rdd.partitioner().as_ref() == Some(partitioner) {
            return Side::Narrow(rdd);
        }
        let sc = rdd.core().sc.clone();
        Side::Shuffle(Arc::new(ShuffleDependency::new(
            &sc,
            rdd.clone(),
            partitioner.clone(),
            Box::new(HashShuffleWriter::<K, V, V> {
                parent: rdd,
                aggregator: None::<Arc<Aggregator<V, V>>>,
                map_side_combine: false,
            }),
        )))
    }

    fn dependency(&self) -> Dependency {
        match self {
            Side::Narrow(rdd) => Dependency::one_to_one(rdd.clone()),
            Side::Shuffle(dep) => Dependency::shuffle(dep.clone()),
        }
    }

    fn read(&self, split: usize, ctx: &TaskContext) -> ComputeResult<(K, V)> {
        match self {
            Side::Narrow(rdd) => iterator(&**rdd, split, ctx),
            Side::Shuffle(dep) => {
                let decode =
                    |e: SerializerError| TaskError::Failed(format!("shuffle read failed: {e}"));
                let mut out = Vec::new();
                for b in fetch(dep, split, ctx)? {
                    for r in seq_iter::<(K, V)>(b.bytes()).map_err(decode)? {
                        out.push(r.map_err(decode)?);
                    }
                }
                Ok(part_iter(out.into_iter()))
            }
        }
    }
}

pub(crate) struct CoGroupedRdd<K: Data, V: Data, W: Data> {
    core: RddCore,
    sides: Mutex<Option<(Side<K, V>, Side<K, W>)>>,
    partitioner: Partitioner,
}

impl<K: Data + Hash + Eq, V: Data, W: Data> CoGroupedRdd<K, V, W> {
    pub(crate) fn new(
        left: Arc<dyn TypedRdd<(K, V)>>,
        right: Arc<dyn TypedRdd<(K, W)>>,
        partitioner: Partitioner,
    ) -> Self {
        let sc = left.core().sc.clone();
        let sides = (
            Side::new(left, &partitioner),
            Side::new(right, &partitioner),
        );
        CoGroupedRdd {
            core: RddCore::new(&sc, "cogroup"),
            sides: Mutex::new(Some(sides)),
            partitioner,
        }
    }
}

impl<K: Data + Hash + Eq, V: Data, W: Data> RddBase for CoGroupedRdd<K, V, W> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.partitioner.num_partitions()
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        match &*self.sides.lock() {
            Some((l, r)) => vec![l.dependency(), r.dependency()],
            None => Vec::new(),
        }
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(self.sides.lock().take())
    }
    fn partitioner(&self) -> Option<Partitioner> {
        Some(self.partitioner.clone())
    }
    /// Both sides of one context, and no data shuffled into zero partitions.
    fn validate(&self) -> crate::error::Result<()> {
        crate::rdd::handle::check_one_context(self)?;
        for dep in self.get_dependencies() {
            self.partitioner.check_can_hold(
                "cogroup",
                &crate::rdd::describe(&**dep.rdd()),
                crate::rdd::num_partitions(&**dep.rdd()),
            )?;
        }
        Ok(())
    }
    fn class_name(&self) -> &'static str {
        "CoGroupedRDD"
    }
}

impl<K: Data + Hash + Eq, V: Data, W: Data> TypedRdd<(K, (Vec<V>, Vec<W>))>
    for CoGroupedRdd<K, V, W>
{
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<(K, (Vec<V>, Vec<W>))> {
        // Clone the sides out so that no lock is held while parents compute.
        let sides = self
            .sides
            .lock()
            .as_ref()
            .map(|(l, r)| (l.clone(), r.clone()));
        let (left, right) = sides.ok_or_else(|| lineage_gone(&self.core))?;
        let left = left.read(split, ctx)?;
        let right = right.read(split, ctx)?;
        let mut groups: StableHashMap<K, (Vec<V>, Vec<W>)> = StableHashMap::default();
        for (k, v) in left {
            groups.entry(k).or_default().0.push(v);
        }
        for (k, w) in right {
            groups.entry(k).or_default().1.push(w);
        }
        Ok(part_iter(groups.into_iter()))
    }
}
