//! Actions that need an ordering or a key's partition: `top`, `take_ordered`, `max`, `min`
//! (Spark's `RDD.top` / `takeOrdered` / `max` / `min`) and `lookup` (Spark's
//! `PairRDDFunctions.lookup`).
//!
//! `take_ordered(n)` keeps, in each partition's task, the `n` least elements in a
//! [`BoundedPriorityQueue`] (Spark's class: a max-heap of at most `n` elements, so memory is
//! `n` elements per task whatever the partition's size), sends the queues to the driver and
//! merges them; `top(n)` is the same under the reversed order. `lookup` on an RDD with a
//! partitioner runs one task, on the key's partition only; without one, it filters every
//! partition.
//!
//! Layering: runs jobs through the RDD handle; knows no scheduler internals.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::Hash;

use crate::error::Error;
use crate::rdd::Data;
use crate::{Rdd, Result};

/// Spark's `BoundedPriorityQueue`: keeps the `max_size` least elements pushed into it.
pub(crate) struct BoundedPriorityQueue<T: Ord> {
    max_size: usize,
    /// A max-heap: the greatest element kept is the first to go when a lesser one comes.
    heap: BinaryHeap<T>,
}

impl<T: Ord> BoundedPriorityQueue<T> {
    pub(crate) fn new(max_size: usize) -> Self {
        BoundedPriorityQueue {
            max_size,
            heap: BinaryHeap::new(),
        }
    }

    /// Spark's `+=`: keeps `x` when there is room, or when it is less than the greatest kept.
    pub(crate) fn push(&mut self, x: T) {
        if self.heap.len() < self.max_size {
            self.heap.push(x);
        } else if let Some(mut greatest) = self.heap.peek_mut() {
            if x < *greatest {
                *greatest = x;
            }
        }
    }

    /// Spark's `++=`.
    pub(crate) fn extend(&mut self, xs: impl IntoIterator<Item = T>) {
        for x in xs {
            self.push(x);
        }
    }

    /// The kept elements, least first.
    pub(crate) fn into_sorted_vec(self) -> Vec<T> {
        self.heap.into_sorted_vec()
    }
}

impl<T: Data + Ord> Rdd<T> {
    /// Spark's `takeOrdered(num)`: the `n` least elements, least first (no job for `n == 0`).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let nums = sc.parallelize(vec![10, 4, 2, 12, 3], 2);
    /// assert_eq!(nums.take_ordered(3).unwrap(), vec![2, 3, 4]);
    /// assert_eq!(nums.top(2).unwrap(), vec![12, 10]);
    /// assert_eq!((nums.min().unwrap(), nums.max().unwrap()), (Some(2), Some(12)));
    /// ```
    pub fn take_ordered(&self, n: usize) -> Result<Vec<T>> {
        self.bounded_least(n, |x| x, |x| x)
    }

    /// Spark's `top(num)`: the `n` greatest elements, greatest first (`take_ordered` under the
    /// reversed order).
    pub fn top(&self, n: usize) -> Result<Vec<T>> {
        self.bounded_least(n, Reverse, |Reverse(x)| x)
    }

    /// Spark's `max()`: the greatest element (`None` for an empty RDD, where Spark throws).
    pub fn max(&self) -> Result<Option<T>> {
        self.reduce(std::cmp::max)
    }

    /// Spark's `min()`: the least element (`None` for an empty RDD, where Spark throws).
    pub fn min(&self) -> Result<Option<T>> {
        self.reduce(std::cmp::min)
    }

    /// The `n` least elements under `O`'s order, each partition through a bounded queue.
    fn bounded_least<O: Ord + Send + 'static>(
        &self,
        n: usize,
        wrap: fn(T) -> O,
        unwrap: fn(O) -> T,
    ) -> Result<Vec<T>> {
        if n == 0 || self.num_partitions() == 0 {
            return Ok(Vec::new());
        }
        let parts = (0..self.num_partitions()).collect();
        let queues = self.run_job(parts, move |_, it| {
            let mut queue = BoundedPriorityQueue::new(n);
            queue.extend(it.map(wrap));
            queue.into_sorted_vec()
        })?;
        let mut merged = BoundedPriorityQueue::new(n);
        for q in queues {
            merged.extend(q);
        }
        Ok(merged.into_sorted_vec().into_iter().map(unwrap).collect())
    }
}

impl<K: Data + Hash + Eq, V: Data> Rdd<(K, V)> {
    /// Spark's `lookup(key)`: the values of `key`. With a partitioner, one task scans the
    /// key's partition only; without one, every partition is filtered. A partitioner that
    /// cannot place the key (a custom one of another key type, or that returns an index out of
    /// range) is `InvalidArgument`, as Spark's `IllegalArgumentException` for a partition
    /// that does not exist.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let pairs = sc.parallelize(vec![(1, 2), (3, 4), (5, 6), (5, 7)], 2);
    /// assert_eq!(pairs.lookup(&5).unwrap(), vec![6, 7]);
    /// let partitioned = pairs.partition_by(Partitioner::hash(2));
    /// assert_eq!(partitioned.lookup(&1).unwrap(), vec![2]);
    /// assert!(partitioned.lookup(&-1).unwrap().is_empty());
    /// ```
    pub fn lookup(&self, key: &K) -> Result<Vec<V>> {
        let key = key.clone();
        match self.partitioner() {
            Some(p) => {
                let index = p.partition_for(&key).map_err(|e| {
                    Error::InvalidArgument(format!("lookup: cannot find the key's partition: {e}"))
                })?;
                let values = self.run_job(vec![index], move |_, it| {
                    it.filter(|(k, _)| *k == key)
                        .map(|(_, v)| v)
                        .collect::<Vec<V>>()
                })?;
                Ok(values.into_iter().flatten().collect())
            }
            None => self
                .filter(move |(k, _)| *k == key)
                .map(|(_, v)| v)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_keeps_the_least_and_sorts_them() {
        let mut q = BoundedPriorityQueue::new(3);
        q.extend([5, 1, 9, 3, 7, 0, 3]);
        assert_eq!(q.into_sorted_vec(), vec![0, 1, 3]);
        let mut empty = BoundedPriorityQueue::new(0);
        empty.extend([1, 2]);
        assert!(empty.into_sorted_vec().is_empty());
        let mut reversed = BoundedPriorityQueue::new(2);
        reversed.extend([5, 1, 9].map(Reverse));
        assert_eq!(reversed.into_sorted_vec(), vec![Reverse(9), Reverse(5)]);
    }
}
