//! `ParallelCollectionRDD`: a local collection cut into slices (Spark's
//! `ParallelCollectionRDD.slice`: slice i holds elements `i*n/k .. (i+1)*n/k`).

use std::any::Any;
use std::sync::Arc;

use crate::context::SparkContext;
use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::rdd::{part_iter, ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::TaskContext;
use crate::storage::ArcVecIter;

pub(crate) struct ParallelCollectionRdd<T> {
    core: RddCore,
    slices: Vec<Arc<Vec<T>>>,
    num_slices: usize,
}

impl<T: Data> ParallelCollectionRdd<T> {
    pub(crate) fn new(sc: &SparkContext, data: Vec<T>, num_slices: usize) -> Self {
        let n = data.len();
        let mut slices = Vec::with_capacity(num_slices);
        if num_slices > 0 {
            let mut rest = data.into_iter();
            for i in 0..num_slices {
                let start = i * n / num_slices;
                let end = (i + 1) * n / num_slices;
                slices.push(Arc::new(rest.by_ref().take(end - start).collect()));
            }
        }
        ParallelCollectionRdd {
            core: RddCore::new(sc, "parallelize"),
            slices,
            num_slices,
        }
    }
}

impl<T: Data> RddBase for ParallelCollectionRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.num_slices
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(())
    }
    fn validate(&self) -> Result<()> {
        if self.num_slices == 0 {
            return Err(Error::InvalidArgument(
                "Positive number of partitions required (parallelize with 0 slices)".into(),
            ));
        }
        Ok(())
    }
    fn class_name(&self) -> &'static str {
        "ParallelCollectionRDD"
    }
}

impl<T: Data> TypedRdd<T> for ParallelCollectionRdd<T> {
    fn compute(&self, split: usize, _ctx: &TaskContext) -> ComputeResult<T> {
        let slice = self.slices.get(split).cloned().unwrap_or_default();
        Ok(part_iter(ArcVecIter::new(slice)))
    }
}
