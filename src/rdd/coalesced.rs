//! `CoalescedRDD` with Spark's `DefaultPartitionCoalescer`, and `coalesce` / `repartition`.
//!
//! A coalesced partition is a group of parent partitions read one after another in the same
//! task, through a `NarrowDependency` whose `getParents(i)` is group i. Spark's coalescer packs
//! groups by the parents' preferred locations when there are any; sparklet's RDDs report no
//! preferred locations (Spark's `getPreferredLocs` of a parent without locality), so the
//! coalescer always takes Spark's no-locality path: with fewer parent partitions than asked
//! for, one group per parent partition (the count is kept: coalescing to more partitions
//! without a shuffle changes nothing); otherwise group i is the parent range
//! `i·n/max .. (i+1)·n/max`. Empty groups are dropped, as Spark's `getPartitions` does.
//!
//! `coalesce(n, shuffle = true)` is Spark's: each parent partition numbers its elements from a
//! start drawn by `XORShiftRandom(partitionIndex).nextInt(n)`, a `ShuffledRDD` sends position
//! p to partition `p mod n` (Spark's `HashPartitioner` on an `Int` key: its hash code is the
//! key itself), a `CoalescedRDD` of n over it, then `values`. That shuffle buckets by the
//! position directly rather than through [`Partitioner::hash`](crate::Partitioner::hash)'s
//! stable hash, so consecutive positions fill the partitions in turn, as in Spark.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::dependency::{Dependency, ShuffleDependency, ShuffleWriter};
use crate::error::Error;
use crate::partitioner::Partitioner;
use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::{
    iterator, num_partitions, part_iter, ComputeResult, Data, PartIter, RddBase, RddCore, TypedRdd,
};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::serializer::{seq_iter, SeqWriter, SerializerError};
use crate::shuffle::reader::fetch;
use crate::shuffle::MapStatus;
use crate::util::random::{JavaRandom, XorShiftRandom};
use crate::Rdd;

/// Spark's `DefaultPartitionCoalescer.coalesce` on a parent without preferred locations: the
/// parent partitions of each coalesced partition.
pub(crate) fn default_coalesce(max_partitions: usize, parent_partitions: usize) -> Vec<Vec<usize>> {
    let target = max_partitions.min(parent_partitions);
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); target];
    if max_partitions > target {
        for (i, group) in groups.iter_mut().enumerate() {
            group.push(i);
        }
    } else {
        for (i, group) in groups.iter_mut().enumerate() {
            let start = i * parent_partitions / max_partitions;
            let end = (i + 1) * parent_partitions / max_partitions;
            group.extend(start..end);
        }
    }
    groups.retain(|g| !g.is_empty());
    groups
}

/// Spark's `CoalescedRDD`: each partition reads a group of the parent's partitions.
pub(crate) struct CoalescedRdd<T: Data> {
    core: RddCore,
    prev: Mutex<Option<Arc<dyn TypedRdd<T>>>>,
    max_partitions: usize,
    groups: Arc<Vec<Vec<usize>>>,
}

impl<T: Data> CoalescedRdd<T> {
    pub(crate) fn new(prev: Arc<dyn TypedRdd<T>>, max_partitions: usize, op: &str) -> Self {
        let parent_partitions = num_partitions(&*prev);
        CoalescedRdd {
            core: RddCore::new(&prev.core().sc, op),
            groups: Arc::new(default_coalesce(max_partitions, parent_partitions)),
            prev: Mutex::new(Some(prev)),
            max_partitions,
        }
    }
}

impl<T: Data> RddBase for CoalescedRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.groups.len()
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        let groups = self.groups.clone();
        match &*self.prev.lock() {
            Some(p) => vec![Dependency::narrow(
                p.clone(),
                Arc::new(move |i| groups.get(i).cloned().unwrap_or_default()),
            )],
            None => Vec::new(),
        }
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(self.prev.lock().take())
    }
    /// Spark's `coalesce` requires a positive count (before `CoalescedRDD`'s own, weaker check).
    fn validate(&self) -> crate::error::Result<()> {
        if self.max_partitions == 0 {
            return Err(positive_partitions(0));
        }
        Ok(())
    }
    fn class_name(&self) -> &'static str {
        "CoalescedRDD"
    }
}

impl<T: Data> TypedRdd<T> for CoalescedRdd<T> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<T> {
        let prev = self
            .prev
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        // Every parent is opened here, so that a fetch failure fails the task as one.
        let mut parts: Vec<PartIter<T>> = Vec::new();
        for &p in &self.groups[split] {
            parts.push(iterator(&*prev, p, ctx)?);
        }
        Ok(part_iter(parts.into_iter().flatten()))
    }
}

/// Spark's message for a partition count that must be positive.
fn positive_partitions(n: usize) -> Error {
    Error::InvalidArgument(format!(
        "requirement failed: Number of partitions ({n}) must be positive."
    ))
}

/// The shuffle of `coalesce(n, shuffle = true)`: `(position, value)` records go to partition
/// `position mod n`, as Spark's `HashPartitioner` places an `Int` key.
struct PositionShuffleWriter<T: Data> {
    parent: Arc<dyn TypedRdd<(i32, T)>>,
}

/// Java's `Utils.nonNegativeMod(key.hashCode, n)` for an `Int` key.
fn non_negative_mod(key: i32, n: usize) -> usize {
    (i64::from(key).rem_euclid(n as i64)) as usize
}

impl<T: Data> ShuffleWriter for PositionShuffleWriter<T> {
    fn write(
        &self,
        dep: &ShuffleDependency,
        map_id: usize,
        ctx: &TaskContext,
    ) -> Result<MapStatus, TaskError> {
        let n = dep.partitioner.num_partitions();
        let mut buckets: Vec<SeqWriter> = (0..n).map(|_| SeqWriter::new()).collect();
        let fail = |e: SerializerError| TaskError::Failed(format!("shuffle write failed: {e}"));
        for record in iterator(&*self.parent, map_id, ctx)? {
            buckets[non_negative_mod(record.0, n)]
                .push(&record)
                .map_err(fail)?;
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

/// The `ShuffledRDD[Int, T, T]` of `coalesce(n, shuffle = true)`: the reduce side of the
/// position shuffle, records in map order.
struct PositionShuffledRdd<T: Data> {
    core: RddCore,
    dep: Mutex<Option<Arc<ShuffleDependency>>>,
    partitions: usize,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Data> RddBase for PositionShuffledRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.partitions
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
    fn validate(&self) -> crate::error::Result<()> {
        if self.partitions == 0 {
            return Err(positive_partitions(0));
        }
        Ok(())
    }
    fn class_name(&self) -> &'static str {
        "ShuffledRDD"
    }
}

impl<T: Data> TypedRdd<(i32, T)> for PositionShuffledRdd<T> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<(i32, T)> {
        let dep = self
            .dep
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        let decode = |e: SerializerError| TaskError::Failed(format!("shuffle read failed: {e}"));
        let mut out = Vec::new();
        for b in fetch(&dep, split, ctx)? {
            for r in seq_iter::<(i32, T)>(b.bytes()).map_err(decode)? {
                out.push(r.map_err(decode)?);
            }
        }
        Ok(part_iter(out.into_iter()))
    }
}

impl<T: Data> Rdd<T> {
    /// Spark's `coalesce(numPartitions, shuffle)`: without a shuffle, a `CoalescedRDD` that
    /// merges neighbouring partitions (never more partitions than the parent has); with one,
    /// elements are spread evenly over `num_partitions` partitions (more or fewer). Zero
    /// partitions is `Error::InvalidArgument` when a job runs.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let data = sc.parallelize((1..=10).collect::<Vec<i32>>(), 10);
    /// let merged = data.coalesce(3, false);
    /// assert_eq!(merged.to_string(), format!("CoalescedRDD[{}] at coalesce", merged.id()));
    /// assert_eq!(
    ///     merged.glom().collect().unwrap(),
    ///     vec![vec![1, 2, 3], vec![4, 5, 6], vec![7, 8, 9, 10]]
    /// );
    /// assert_eq!(data.coalesce(20, false).num_partitions(), 10);
    /// assert_eq!(data.coalesce(20, true).num_partitions(), 20);
    /// ```
    pub fn coalesce(&self, num_partitions: usize, shuffle: bool) -> Rdd<T> {
        self.coalesce_named(num_partitions, shuffle, "coalesce")
    }

    /// Spark's `repartition(n)`: `coalesce(n, shuffle = true)`.
    pub fn repartition(&self, num_partitions: usize) -> Rdd<T> {
        self.coalesce_named(num_partitions, true, "repartition")
    }

    fn coalesce_named(&self, n: usize, shuffle: bool, op: &str) -> Rdd<T> {
        if !shuffle {
            return Rdd::from_arc(Arc::new(CoalescedRdd::new(self.rdd.clone(), n, op)));
        }
        // Spark's distributePartition: positions from a random start per partition.
        let bound = i32::try_from(n.max(1)).unwrap_or(i32::MAX);
        let positioned: Rdd<(i32, T)> = self.map_partitions_named(
            op,
            false,
            Arc::new(move |index, it: PartIter<T>| {
                let mut position = XorShiftRandom::new(index as i64).next_int_bounded(bound);
                part_iter(it.map(move |t| {
                    position = position.wrapping_add(1);
                    (position, t)
                }))
            }),
        );
        let sc = self.context();
        let parent = positioned.rdd;
        let dep = Arc::new(ShuffleDependency::new(
            &sc,
            parent.clone(),
            Partitioner::hash(n),
            Box::new(PositionShuffleWriter { parent }),
        ));
        let shuffled: Arc<dyn TypedRdd<(i32, T)>> = Arc::new(PositionShuffledRdd::<T> {
            core: RddCore::new(&sc, op),
            dep: Mutex::new(Some(dep)),
            partitions: n,
            _t: std::marker::PhantomData,
        });
        let coalesced: Rdd<(i32, T)> = Rdd::from_arc(Arc::new(CoalescedRdd::new(shuffled, n, op)));
        coalesced.map_named(op, |(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spark's no-locality groups: ranges, or one group per parent partition.
    #[test]
    fn default_coalescer_groups() {
        assert_eq!(
            default_coalesce(2, 10),
            vec![vec![0, 1, 2, 3, 4], vec![5, 6, 7, 8, 9]]
        );
        assert_eq!(
            default_coalesce(3, 10),
            vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8, 9]]
        );
        assert_eq!(default_coalesce(20, 3), vec![vec![0], vec![1], vec![2]]);
        assert_eq!(default_coalesce(3, 0), Vec::<Vec<usize>>::new());
        assert_eq!(default_coalesce(0, 0), Vec::<Vec<usize>>::new());
    }

    #[test]
    fn positions_go_to_their_int_hash_partition() {
        assert_eq!(non_negative_mod(7, 4), 3);
        assert_eq!(non_negative_mod(-1, 4), 3);
        assert_eq!(non_negative_mod(i32::MIN, 5), 2);
    }
}
