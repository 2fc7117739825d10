//! `EmptyRDD`: no partitions, no parents.

use std::any::Any;
use std::marker::PhantomData;

use crate::context::SparkContext;
use crate::dependency::Dependency;
use crate::rdd::{part_iter, ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::TaskContext;

pub(crate) struct EmptyRdd<T> {
    core: RddCore,
    _t: PhantomData<fn() -> T>,
}

impl<T: Data> EmptyRdd<T> {
    pub(crate) fn new(sc: &SparkContext) -> Self {
        EmptyRdd {
            core: RddCore::new(sc, "emptyRDD"),
            _t: PhantomData,
        }
    }
}

impl<T: Data> RddBase for EmptyRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        0
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(())
    }
    fn class_name(&self) -> &'static str {
        "EmptyRDD"
    }
}

impl<T: Data> TypedRdd<T> for EmptyRdd<T> {
    fn compute(&self, _split: usize, _ctx: &TaskContext) -> ComputeResult<T> {
        Ok(part_iter(std::iter::empty()))
    }
}
