//! Spark's `AsyncRDDActions`: actions that submit their job and return a [`FutureAction`] at
//! once, to wait for, poll or cancel from any thread.
//!
//! Each is one job, as Spark's: `count_async` sums per-partition counts, `collect_async`
//! concatenates partitions in order, `foreach_async` runs the function on every element. As in
//! Spark (`submitJob`, not `runJob`), no checkpoint is written after an async job.
//!
//! Layering: the RDD handle and the context's `submit_job`.

use crate::rdd::{BoxIter, Data};
use crate::scheduler::future_action::FutureAction;
use crate::scheduler::task::{TaskContext, TaskError};
use crate::Rdd;

impl<T: Data> Rdd<T> {
    /// The number of elements, computed by a job that runs while the caller goes on
    /// (Spark's `countAsync`).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let f = sc.parallelize((0..1000).collect::<Vec<u32>>(), 4).count_async();
    /// assert_eq!(f.get().unwrap(), 1000);
    /// ```
    pub fn count_async(&self) -> FutureAction<usize> {
        self.submit_async(|_, it| Ok(it.count()), |counts| counts.into_iter().sum())
    }

    /// All elements, partitions in order, from a job that runs while the caller goes on
    /// (Spark's `collectAsync`).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let f = sc.parallelize(vec![3, 1, 2], 2).collect_async();
    /// assert_eq!(f.get().unwrap(), vec![3, 1, 2]);
    /// ```
    pub fn collect_async(&self) -> FutureAction<Vec<T>> {
        self.submit_async(
            |_, it| Ok(it.collect::<Vec<T>>()),
            |parts| parts.into_iter().flatten().collect(),
        )
    }

    /// Runs `f` on every element in a job that runs while the caller goes on (Spark's
    /// `foreachAsync`).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// let s = seen.clone();
    /// let f = sc.parallelize((0..10).collect::<Vec<i32>>(), 2).foreach_async(move |_| {
    ///     s.fetch_add(1, Ordering::SeqCst);
    /// });
    /// f.get().unwrap();
    /// assert_eq!(seen.load(Ordering::SeqCst), 10);
    /// ```
    pub fn foreach_async(&self, f: impl Fn(T) + Send + Sync + 'static) -> FutureAction<()> {
        self.submit_async(
            move |_, it| {
                it.for_each(&f);
                Ok(())
            },
            |_| (),
        )
    }

    fn submit_async<U: Send + 'static, R>(
        &self,
        per_partition: impl Fn(&TaskContext, BoxIter<T>) -> Result<U, TaskError> + Send + Sync + 'static,
        finish: impl FnOnce(Vec<U>) -> R + Send + 'static,
    ) -> FutureAction<R> {
        let sc = self.context();
        match sc.submit_job(&self.rdd, self.all_partitions(), per_partition) {
            Ok(waiter) => FutureAction::new(&sc, waiter, finish),
            Err(e) => FutureAction::failed(e),
        }
    }
}
