//! `CartesianRDD`: every pair of an element of one RDD with an element of another.
//!
//! Partition `i·m + j` (m the partition count of the second RDD) pairs partition i of the
//! first with partition j of the second, as Spark's `getPartitions` numbers them; two
//! `NarrowDependency`s give `i / m` and `i % m` as the parents. Spark reads the second
//! partition again for every element of the first (through its cache when persisted); here
//! it is read once per task and held while the first partition streams past it.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::dependency::Dependency;
use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::{
    iterator, num_partitions, part_iter, ComputeResult, Data, RddBase, RddCore, TypedRdd,
};
use crate::scheduler::task::TaskContext;
use crate::Rdd;

type Parents<T, U> = (Arc<dyn TypedRdd<T>>, Arc<dyn TypedRdd<U>>);

pub(crate) struct CartesianRdd<T: Data, U: Data> {
    core: RddCore,
    parents: Mutex<Option<Parents<T, U>>>,
    /// Spark's `numPartitionsInRdd2`.
    m: usize,
    n: usize,
}

impl<T: Data, U: Data> RddBase for CartesianRdd<T, U> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.n * self.m
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        let m = self.m;
        match &*self.parents.lock() {
            Some((a, b)) => vec![
                Dependency::narrow(a.clone(), Arc::new(move |i| vec![i / m])),
                Dependency::narrow(b.clone(), Arc::new(move |i| vec![i % m])),
            ],
            None => Vec::new(),
        }
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(self.parents.lock().take())
    }
    fn validate(&self) -> crate::error::Result<()> {
        crate::rdd::handle::check_one_context(self)
    }
    fn class_name(&self) -> &'static str {
        "CartesianRDD"
    }
}

impl<T: Data, U: Data> TypedRdd<(T, U)> for CartesianRdd<T, U> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<(T, U)> {
        let (a, b) = self
            .parents
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        let right: Arc<Vec<U>> = Arc::new(iterator(&*b, split % self.m, ctx)?.collect());
        let left = iterator(&*a, split / self.m, ctx)?;
        Ok(part_iter(left.flat_map(move |x| {
            let right = right.clone();
            (0..right.len()).map(move |j| (x.clone(), right[j].clone()))
        })))
    }
}

impl<T: Data> Rdd<T> {
    /// Spark's `cartesian`: all pairs `(a, b)` of an element of `self` and one of `other`,
    /// in `self.num_partitions() * other.num_partitions()` partitions.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let pairs = sc.parallelize(vec![1, 2], 2).cartesian(&sc.parallelize(vec!['a', 'b'], 1));
    /// assert_eq!(pairs.num_partitions(), 2);
    /// assert_eq!(pairs.to_string(), format!("CartesianRDD[{}] at cartesian", pairs.id()));
    /// assert_eq!(pairs.collect().unwrap(), vec![(1, 'a'), (1, 'b'), (2, 'a'), (2, 'b')]);
    /// ```
    pub fn cartesian<U: Data>(&self, other: &Rdd<U>) -> Rdd<(T, U)> {
        let n = num_partitions(&*self.rdd);
        let m = num_partitions(&*other.rdd);
        Rdd::from_arc(Arc::new(CartesianRdd {
            core: RddCore::new(&self.context(), "cartesian"),
            parents: Mutex::new(Some((self.rdd.clone(), other.rdd.clone()))),
            m,
            n,
        }))
    }
}
