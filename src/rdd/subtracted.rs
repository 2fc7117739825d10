//! `SubtractedRDD` (`subtract_by_key`, `subtract`), and the set-like operations built as Spark
//! builds them: `distinct` (reduceByKey over `(x, ())`, or a dedup within partitions when the
//! RDD is already partitioned into as many partitions), `intersection` (cogroup, keep the keys
//! present on both sides), `group_by` (`key_by` then groupByKey), `key_by`.
//!
//! `SubtractedRDD` is Spark's cogroup specialised for subtraction: each side is read through a
//! OneToOne dependency when it is already partitioned by the target partitioner, else through
//! a shuffle it owns. Partition i loads the first side's records of partition i into a hash
//! map (one partition's data), drops every key the second side has, and yields the rest.
//! Spark's `subtract` on an RDD with a partitioner shuffles by a partitioner that reads the
//! key out of `(k, v)` elements; here elements are hashed whole in that case (both sides the
//! same way, so the result is the same, in other partitions).

use std::any::Any;
use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::aggregator::Aggregator;
use crate::dependency::{Dependency, ShuffleDependency};
use crate::partitioner::{Partitioner, StableBuildHasher, StableHashMap};
use crate::rdd::cogrouped::CoGroupedRdd;
use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::pair::default_partitioner;
use crate::rdd::{iterator, part_iter, ComputeResult, Data, PartIter, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::serializer::{seq_iter, SerializerError};
use crate::shuffle::reader::fetch;
use crate::shuffle::writer::HashShuffleWriter;
use crate::Rdd;

/// How one side of a subtraction is read.
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
    /// Spark's `rddDependency`: one-to-one when already partitioned by `part`, else a shuffle.
    fn new(rdd: Arc<dyn TypedRdd<(K, V)>>, part: &Partitioner) -> Self {
        if rdd.partitioner().as_ref() == Some(part) {
            return Side::Narrow(rdd);
        }
        let sc = rdd.core().sc.clone();
        Side::Shuffle(Arc::new(ShuffleDependency::new(
            &sc,
            rdd.clone(),
            part.clone(),
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

    /// Spark's `integrate`: `op` on every record of partition `split` of this side.
    fn integrate(
        &self,
        split: usize,
        ctx: &TaskContext,
        mut op: impl FnMut((K, V)),
    ) -> Result<(), TaskError> {
        match self {
            Side::Narrow(rdd) => iterator(&**rdd, split, ctx)?.for_each(op),
            Side::Shuffle(dep) => {
                let decode =
                    |e: SerializerError| TaskError::Failed(format!("shuffle read failed: {e}"));
                for b in fetch(dep, split, ctx)? {
                    for r in seq_iter::<(K, V)>(b.bytes()).map_err(decode)? {
                        op(r.map_err(decode)?);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Spark's `SubtractedRDD`: the records of the first side whose key the second lacks.
pub(crate) struct SubtractedRdd<K: Data, V: Data, W: Data> {
    core: RddCore,
    sides: Mutex<Option<(Side<K, V>, Side<K, W>)>>,
    part: Partitioner,
}

impl<K: Data + Hash + Eq, V: Data, W: Data> SubtractedRdd<K, V, W> {
    pub(crate) fn new(
        rdd1: Arc<dyn TypedRdd<(K, V)>>,
        rdd2: Arc<dyn TypedRdd<(K, W)>>,
        part: Partitioner,
        op: &str,
    ) -> Self {
        let sc = rdd1.core().sc.clone();
        let sides = (Side::new(rdd1, &part), Side::new(rdd2, &part));
        SubtractedRdd {
            core: RddCore::new(&sc, op),
            sides: Mutex::new(Some(sides)),
            part,
        }
    }
}

impl<K: Data + Hash + Eq, V: Data, W: Data> RddBase for SubtractedRdd<K, V, W> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.part.num_partitions()
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        match &*self.sides.lock() {
            Some((a, b)) => vec![a.dependency(), b.dependency()],
            None => Vec::new(),
        }
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(self.sides.lock().take())
    }
    fn partitioner(&self) -> Option<Partitioner> {
        Some(self.part.clone())
    }
    /// Both sides of one context, and no data shuffled into zero partitions.
    fn validate(&self) -> crate::error::Result<()> {
        crate::rdd::handle::check_one_context(self)?;
        for dep in self.get_dependencies() {
            self.part.check_can_hold(
                &self.core.op,
                &crate::rdd::describe(&**dep.rdd()),
                crate::rdd::num_partitions(&**dep.rdd()),
            )?;
        }
        Ok(())
    }
    fn class_name(&self) -> &'static str {
        "SubtractedRDD"
    }
}

impl<K: Data + Hash + Eq, V: Data, W: Data> TypedRdd<(K, V)> for SubtractedRdd<K, V, W> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<(K, V)> {
        let sides = self
            .sides
            .lock()
            .as_ref()
            .map(|(a, b)| (a.clone(), b.clone()));
        let (left, right) = sides.ok_or_else(|| lineage_gone(&self.core))?;
        let mut map: StableHashMap<K, Vec<V>> = StableHashMap::default();
        left.integrate(split, ctx, |(k, v)| map.entry(k).or_default().push(v))?;
        right.integrate(split, ctx, |(k, _)| {
            map.remove(&k);
        })?;
        Ok(part_iter(map.into_iter().flat_map(|(k, vs)| {
            vs.into_iter().map(move |v| (k.clone(), v))
        })))
    }
}

impl<K: Data + Hash + Eq, V: Data> Rdd<(K, V)> {
    /// Spark's `subtractByKey`: the pairs whose key `other` does not have, in a
    /// `SubtractedRDD` partitioned by this RDD's partitioner (or a hash partitioner of its
    /// partition count).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let a = sc.parallelize(vec![(1, 'a'), (1, 'a'), (2, 'b'), (3, 'c')], 2);
    /// let b = sc.parallelize(vec![(2, 20), (3, 30), (4, 40)], 2);
    /// let c = a.subtract_by_key(&b);
    /// assert_eq!(c.collect().unwrap(), vec![(1, 'a'), (1, 'a')]);
    /// assert_eq!(c.num_partitions(), 2);
    /// ```
    pub fn subtract_by_key<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, V)> {
        let p = self
            .partitioner()
            .unwrap_or_else(|| Partitioner::hash(self.num_partitions()));
        Rdd::from_arc(Arc::new(SubtractedRdd::new(
            self.rdd.clone(),
            other.rdd.clone(),
            p,
            "subtractByKey",
        )))
    }
}

impl<T: Data + Hash + Eq> Rdd<T> {
    /// Spark's `distinct()`: `distinct_with(self.num_partitions())`.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let mut d = sc.parallelize(vec![1, 2, 2, 3, 3, 3], 2).distinct().collect().unwrap();
    /// d.sort();
    /// assert_eq!(d, vec![1, 2, 3]);
    /// ```
    pub fn distinct(&self) -> Rdd<T> {
        self.distinct_with(self.num_partitions())
    }

    /// Spark's `distinct(numPartitions)`: each element once. When the RDD already has a
    /// partitioner and `num_partitions` partitions, duplicates are in the same partition and
    /// are dropped there, with no shuffle (Spark 4's rule); else `(x, ())` pairs are reduced
    /// by key into a hash partitioner of `num_partitions`.
    pub fn distinct_with(&self, num_partitions: usize) -> Rdd<T> {
        if self.partitioner().is_some() && num_partitions == self.num_partitions() {
            return self.map_partitions_named(
                "distinct",
                true,
                Arc::new(|_, it: PartIter<T>| {
                    let mut seen: HashSet<T, StableBuildHasher> = HashSet::default();
                    seen.extend(it);
                    part_iter(seen.into_iter())
                }),
            );
        }
        self.map_named("distinct", |x| (x, ()))
            .combine_by_aggregator(
                Arc::new(Aggregator::reducing(|x, _| x)),
                Partitioner::hash(num_partitions),
                true,
                "distinct",
            )
            .map_named("distinct", |(x, _)| x)
    }

    /// Spark's `subtract`: the elements of `self` that `other` does not contain (duplicates of
    /// `self` kept), partitioned like `self` (its partitioner's count, or its partition count).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let a = sc.parallelize(vec![1, 2, 3, 4], 3);
    /// let mut c = a.subtract(&sc.parallelize(vec![2, 4, 6], 2)).collect().unwrap();
    /// c.sort();
    /// assert_eq!(c, vec![1, 3]);
    /// ```
    pub fn subtract(&self, other: &Rdd<T>) -> Rdd<T> {
        let n = self
            .partitioner()
            .map_or_else(|| self.num_partitions(), |p| p.num_partitions());
        let left = self.map_named("subtract", |x| (x, ()));
        let right = other.map_named("subtract", |x| (x, ()));
        let subtracted: Rdd<(T, ())> = Rdd::from_arc(Arc::new(SubtractedRdd::new(
            left.rdd,
            right.rdd,
            Partitioner::hash(n),
            "subtract",
        )));
        subtracted.map_named("subtract", |(x, _)| x)
    }

    /// Spark's `intersection`: the elements in both RDDs, each once (a cogroup of `(x, ())`
    /// pairs by the default partitioner, keeping keys present on both sides).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let a = sc.parallelize(vec![1, 10, 2, 3, 4, 5, 5], 2);
    /// let b = sc.parallelize(vec![1, 6, 2, 3, 7, 8, 5], 3);
    /// let mut i = a.intersection(&b).collect().unwrap();
    /// i.sort();
    /// assert_eq!(i, vec![1, 2, 3, 5]);
    /// ```
    pub fn intersection(&self, other: &Rdd<T>) -> Rdd<T> {
        let left = self.map_named("intersection", |x| (x, ()));
        let right = other.map_named("intersection", |x| (x, ()));
        let p = default_partitioner(&[left.base(), right.base()]);
        // Spark's chain: cogroup (CoGroupedRDD, then its mapValues), filter, keys.
        let cogrouped: Rdd<(T, (Vec<()>, Vec<()>))> =
            Rdd::from_arc(Arc::new(CoGroupedRdd::new(left.rdd, right.rdd, p)));
        cogrouped
            .map_partitions_named("intersection", true, Arc::new(|_, it| it))
            .map_partitions_named(
                "intersection",
                true,
                Arc::new(|_, it: PartIter<(T, (Vec<()>, Vec<()>))>| {
                    part_iter(it.filter(|(_, (l, r))| !l.is_empty() && !r.is_empty()))
                }),
            )
            .map_named("intersection", |(x, _)| x)
    }
}

impl<T: Data> Rdd<T> {
    /// Spark's `keyBy`: each element paired with `f` of it, `(f(x), x)`.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let keyed = sc.parallelize(vec![1, 2], 1).key_by(|x| x.to_string());
    /// assert_eq!(keyed.collect().unwrap(), vec![("1".to_string(), 1), ("2".to_string(), 2)]);
    /// ```
    pub fn key_by<K: Data>(&self, f: impl Fn(&T) -> K + Send + Sync + 'static) -> Rdd<(K, T)> {
        self.map_named("keyBy", move |x| (f(&x), x))
    }

    /// Spark's `groupBy`: the elements grouped by `f` of them, into the default partitioner
    /// of this RDD (a groupByKey of `(f(x), x)`).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let mut groups = sc.parallelize(vec![1, 2, 3, 4], 2).group_by(|x| x % 2).collect().unwrap();
    /// groups.sort();
    /// assert_eq!(groups, vec![(0, vec![2, 4]), (1, vec![1, 3])]);
    /// ```
    pub fn group_by<K: Data + Hash + Eq>(
        &self,
        f: impl Fn(&T) -> K + Send + Sync + 'static,
    ) -> Rdd<(K, Vec<T>)> {
        let p = default_partitioner(&[self.base()]);
        self.map_named("groupBy", move |x| (f(&x), x))
            .combine_by_aggregator(Arc::new(Aggregator::grouping()), p, false, "groupBy")
    }
}
