//! `UnionRDD` and `PartitionerAwareUnionRDD`: the partitions of several RDDs side by side.
//!
//! As in Spark's `SparkContext.union`: when every parent has the same partitioner, the result
//! is a `PartitionerAwareUnionRDD` (partition i concatenates every parent's partition i and the
//! partitioner is kept); otherwise a `UnionRDD` whose partitions are the parents' partitions one
//! after another, each parent reached through a RangeDependency.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::dependency::Dependency;
use crate::partitioner::Partitioner;
use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::{
    iterator, num_partitions, part_iter, ComputeResult, Data, RddBase, RddCore, TypedRdd,
};
use crate::scheduler::task::TaskContext;

pub(crate) struct UnionRdd<T: Data> {
    core: RddCore,
    parents: Mutex<Vec<Arc<dyn TypedRdd<T>>>>,
    /// Partition i of the union is partition `.1` of parent `.0`.
    layout: Vec<(usize, usize)>,
    /// The parents' partition counts, for the range dependencies.
    counts: Vec<usize>,
}

impl<T: Data> UnionRdd<T> {
    pub(crate) fn new(sc: &crate::SparkContext, parents: Vec<Arc<dyn TypedRdd<T>>>) -> Self {
        let counts: Vec<usize> = parents.iter().map(|p| num_partitions(&**p)).collect();
        let layout = counts
            .iter()
            .enumerate()
            .flat_map(|(i, &n)| (0..n).map(move |s| (i, s)))
            .collect();
        UnionRdd {
            core: RddCore::new(sc, "union"),
            parents: Mutex::new(parents),
            layout,
            counts,
        }
    }
}

impl<T: Data> RddBase for UnionRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.layout.len()
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        let mut out_start = 0;
        let mut deps = Vec::new();
        for (p, &n) in self.parents.lock().iter().zip(&self.counts) {
            deps.push(Dependency::range(p.clone(), 0, out_start, n));
            out_start += n;
        }
        deps
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(std::mem::take(&mut *self.parents.lock()))
    }
    fn validate(&self) -> crate::error::Result<()> {
        crate::rdd::handle::check_one_context(self)
    }
    fn class_name(&self) -> &'static str {
        "UnionRDD"
    }
}

impl<T: Data> TypedRdd<T> for UnionRdd<T> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<T> {
        let (parent, parent_split) = self.layout[split];
        let p = self
            .parents
            .lock()
            .get(parent)
            .cloned()
            .ok_or_else(|| lineage_gone(&self.core))?;
        iterator(&*p, parent_split, ctx)
    }
}

pub(crate) struct PartitionerAwareUnionRdd<T: Data> {
    core: RddCore,
    parents: Mutex<Vec<Arc<dyn TypedRdd<T>>>>,
    partitioner: Partitioner,
}

impl<T: Data> PartitionerAwareUnionRdd<T> {
    pub(crate) fn new(parents: Vec<Arc<dyn TypedRdd<T>>>, partitioner: Partitioner) -> Self {
        let sc = parents[0].core().sc.clone();
        PartitionerAwareUnionRdd {
            core: RddCore::new(&sc, "union"),
            parents: Mutex::new(parents),
            partitioner,
        }
    }
}

impl<T: Data> RddBase for PartitionerAwareUnionRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.partitioner.num_partitions()
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        self.parents
            .lock()
            .iter()
            .map(|p| Dependency::one_to_one(p.clone()))
            .collect()
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(std::mem::take(&mut *self.parents.lock()))
    }
    fn partitioner(&self) -> Option<Partitioner> {
        Some(self.partitioner.clone())
    }
    fn validate(&self) -> crate::error::Result<()> {
        crate::rdd::handle::check_one_context(self)
    }
    fn class_name(&self) -> &'static str {
        "PartitionerAwareUnionRDD"
    }
}

impl<T: Data> TypedRdd<T> for PartitionerAwareUnionRdd<T> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<T> {
        let parents = self.parents.lock().clone();
        if parents.is_empty() {
            return Err(lineage_gone(&self.core));
        }
        let mut iters = Vec::with_capacity(parents.len());
        for p in &parents {
            iters.push(iterator(&**p, split, ctx)?);
        }
        Ok(part_iter(iters.into_iter().flatten()))
    }
}
