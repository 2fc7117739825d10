//! Operations on RDDs of pairs (Spark's `PairRDDFunctions`).
//!
//! Every key-combining operation is Spark's `combineByKeyWithClassTag` with some
//! [`Aggregator`]: reduceByKey, groupByKey, combineByKey, aggregateByKey and foldByKey (and
//! countByKey through reduceByKey). When the RDD is already partitioned by the target
//! partitioner, values are combined within each partition with no shuffle (a
//! `MapPartitionsRDD` that keeps the partitioner); otherwise a `ShuffledRDD` is made, with
//! map-side combine unless the operation asks for none (groupByKey, as in Spark).
//!
//! Which operations keep the parent's partitioner is Spark's rule: the ones that cannot
//! change keys (`map_values`, `flat_map_values`, `filter`, and the combining operations
//! above) do; `map`, `keys`, `values` and the other element-wise ones do not. Operations
//! without an explicit partitioner take [`default_partitioner`], Spark 4's
//! `Partitioner.defaultPartitioner`. The joins (cogroup and then `flatMapValues`, as in Spark)
//! live in `rdd/join.rs`.
//!
//! Spark refuses array keys here ("Default partitioner cannot partition array keys."): a JVM
//! array hashes by identity. A Rust `Vec` or array key hashes by content, so the case has no
//! counterpart and nothing is refused.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use crate::aggregator::Aggregator;
use crate::partitioner::Partitioner;
use crate::rdd::shuffled::ShuffledRdd;
use crate::rdd::{part_iter, Data, MapChunks, PartIter, RddBase};
use crate::shuffle::append_only_map::AppendOnlyMap;
use crate::{Rdd, Result};

impl<K: Data + Hash + Eq, V: Data> Rdd<(K, V)> {
    /// Applies `f` to every value, keeping keys and the partitioner.
    pub fn map_values<W: Data>(&self, f: impl Fn(V) -> W + Send + Sync + 'static) -> Rdd<(K, W)> {
        let f = Arc::new(f);
        self.map_partitions_named(
            "mapValues",
            true,
            Arc::new(move |_, it: PartIter<(K, V)>| {
                let f = f.clone();
                Box::new(MapChunks::new(it, move |(k, v)| (k, f(v)))) as PartIter<(K, W)>
            }),
        )
    }

    /// Passes each value through `f`, which returns any number of values, and pairs each of
    /// them with the key (Spark's `flatMapValues`). Keys are unchanged, so the partitioner is
    /// kept.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let pairs = sc.parallelize(vec![(1, 2), (3, 0)], 2).partition_by(Partitioner::hash(2));
    /// let expanded = pairs.flat_map_values(|n| 0..n);
    /// assert_eq!(expanded.partitioner(), Some(Partitioner::hash(2)));
    /// let mut got = expanded.collect().unwrap();
    /// got.sort();
    /// assert_eq!(got, vec![(1, 0), (1, 1)]);
    /// ```
    pub fn flat_map_values<I>(
        &self,
        f: impl Fn(V) -> I + Send + Sync + 'static,
    ) -> Rdd<(K, I::Item)>
    where
        I: IntoIterator + 'static,
        I::IntoIter: 'static,
        I::Item: Data,
    {
        let f = Arc::new(f);
        self.map_partitions_named(
            "flatMapValues",
            true,
            Arc::new(move |_, it: PartIter<(K, V)>| {
                let f = f.clone();
                part_iter(it.flat_map(move |(k, v)| f(v).into_iter().map(move |w| (k.clone(), w))))
            }),
        )
    }

    /// The keys.
    pub fn keys(&self) -> Rdd<K> {
        self.map_named("keys", |(k, _)| k)
    }

    /// The values.
    pub fn values(&self) -> Rdd<V> {
        self.map_named("values", |(_, v)| v)
    }

    /// Repartitions by `p`; a no-op when already partitioned by an equal partitioner.
    pub fn partition_by(&self, p: Partitioner) -> Rdd<(K, V)> {
        if self.partitioner().as_ref() == Some(&p) {
            return self.clone();
        }
        Rdd::from_arc(Arc::new(ShuffledRdd::<K, V, V>::new(
            self.rdd.clone(),
            p,
            None,
            false,
            "partitionBy",
        )))
    }

    /// Merges the values of each key with `f`, into the default partitioner's partitions.
    pub fn reduce_by_key(&self, f: impl Fn(V, V) -> V + Send + Sync + 'static) -> Rdd<(K, V)> {
        let p = default_partitioner(&[self.base()]);
        self.reduce_by_key_with(p, f)
    }

    /// Merges the values of each key with `f`, into `p`'s partitions (map-side combine).
    pub fn reduce_by_key_with(
        &self,
        p: Partitioner,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
    ) -> Rdd<(K, V)> {
        self.combine_by_aggregator(Arc::new(Aggregator::reducing(f)), p, true, "reduceByKey")
    }

    /// Groups the values of each key (no map-side combine, as in Spark), into the default
    /// partitioner's partitions.
    pub fn group_by_key(&self) -> Rdd<(K, Vec<V>)> {
        let p = default_partitioner(&[self.base()]);
        self.group_by_key_with(p)
    }

    /// Groups the values of each key into `p`'s partitions (Spark's `groupByKey(partitioner)`;
    /// no map-side combine, which would not shrink the data). No shuffle when the RDD is already
    /// partitioned by `p`.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let groups = sc.parallelize(vec![(1, 'a'), (2, 'b'), (1, 'c')], 2)
    ///     .group_by_key_with(Partitioner::hash(10));
    /// assert_eq!(groups.num_partitions(), 10);
    /// let mut got = groups.collect().unwrap();
    /// got.sort();
    /// assert_eq!(got, vec![(1, vec!['a', 'c']), (2, vec!['b'])]);
    /// ```
    pub fn group_by_key_with(&self, p: Partitioner) -> Rdd<(K, Vec<V>)> {
        self.combine_by_aggregator(Arc::new(Aggregator::grouping()), p, false, "groupByKey")
    }

    /// Combines the values of each key with the user's three functions (Spark's
    /// `combineByKey`): `create` turns a key's first value into a combiner, `merge_value`
    /// folds a further value into it, `merge_combiners` merges combiners of different
    /// partitions. Into the default partitioner's partitions, with map-side combine.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// // (sum, count) per key, for an average.
    /// let sums = sc.parallelize(vec![('a', 1.0), ('b', 4.0), ('a', 3.0)], 2).combine_by_key(
    ///     |v| (v, 1),
    ///     |(s, n), v| (s + v, n + 1),
    ///     |(s1, n1), (s2, n2)| (s1 + s2, n1 + n2),
    /// );
    /// let mut got = sums.map_values(|(s, n)| s / n as f64).collect().unwrap();
    /// got.sort_by_key(|p| p.0);
    /// assert_eq!(got, vec![('a', 2.0), ('b', 4.0)]);
    /// ```
    pub fn combine_by_key<C: Data>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
    ) -> Rdd<(K, C)> {
        let p = default_partitioner(&[self.base()]);
        self.combine_by_key_with(create, merge_value, merge_combiners, p, true)
    }

    /// [`Rdd::combine_by_key`] into `p`'s partitions, with or without map-side combine (Spark's
    /// `combineByKeyWithClassTag`). When the RDD is already partitioned by `p`, values are
    /// combined within each partition and nothing is shuffled.
    pub fn combine_by_key_with<C: Data>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
        p: Partitioner,
        map_side_combine: bool,
    ) -> Rdd<(K, C)> {
        let agg = Aggregator::new(create, merge_value, merge_combiners);
        self.combine_by_aggregator(Arc::new(agg), p, map_side_combine, "combineByKey")
    }

    /// Aggregates the values of each key from a "zero value" (Spark's `aggregateByKey`):
    /// `seq_op` folds a value into a key's aggregate within a partition, `comb_op` merges
    /// aggregates of different partitions. The zero is serialized once, here, and every key
    /// starts from its own deserialized copy (so keys never share it, even through an `Arc`
    /// inside it), as in Spark. Into the default partitioner's partitions.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let pairs = sc.parallelize(vec![(1, 1), (1, 1), (3, 2), (5, 1), (5, 3)], 2);
    /// let sets = pairs.aggregate_by_key(
    ///     std::collections::BTreeSet::new(),
    ///     |mut s, v| { s.insert(v); s },
    ///     |mut a, mut b| { a.append(&mut b); a },
    /// );
    /// let mut got: Vec<(i32, Vec<i32>)> =
    ///     sets.collect().unwrap().into_iter().map(|(k, s)| (k, s.into_iter().collect())).collect();
    /// got.sort();
    /// assert_eq!(got, vec![(1, vec![1]), (3, vec![2]), (5, vec![1, 3])]);
    /// ```
    pub fn aggregate_by_key<U: Data>(
        &self,
        zero: U,
        seq_op: impl Fn(U, V) -> U + Send + Sync + 'static,
        comb_op: impl Fn(U, U) -> U + Send + Sync + 'static,
    ) -> Rdd<(K, U)> {
        let p = default_partitioner(&[self.base()]);
        let zero = ZeroValue::new(zero);
        let seq_op = Arc::new(seq_op);
        let first = seq_op.clone();
        let agg = Aggregator::new(
            move |v| first(zero.fresh(), v),
            move |u, v| seq_op(u, v),
            comb_op,
        );
        self.combine_by_aggregator(Arc::new(agg), p, true, "aggregateByKey")
    }

    /// Merges the values of each key with `f`, starting each key (in each partition) from a
    /// copy of `zero` (Spark's `foldByKey`; the zero is serialized once and deserialized per
    /// key, as in [`Rdd::aggregate_by_key`]). Into the default partitioner's partitions.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let sums = sc.parallelize(vec![(1, 1), (1, 2), (1, 3), (1, 1), (2, 1)], 2)
    ///     .fold_by_key(0, |a, b| a + b);
    /// let mut got = sums.collect().unwrap();
    /// got.sort();
    /// assert_eq!(got, vec![(1, 7), (2, 1)]);
    /// ```
    pub fn fold_by_key(
        &self,
        zero: V,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
    ) -> Rdd<(K, V)> {
        let p = default_partitioner(&[self.base()]);
        let zero = ZeroValue::new(zero);
        let f = Arc::new(f);
        let (first, merge_value) = (f.clone(), f.clone());
        let agg = Aggregator::new(
            move |v| first(zero.fresh(), v),
            move |a, v| merge_value(a, v),
            move |a, b| f(a, b),
        );
        self.combine_by_aggregator(Arc::new(agg), p, true, "foldByKey")
    }

    /// The number of elements of each key, on the driver (Spark's `countByKey`:
    /// `mapValues(_ => 1L).reduceByKey(_ + _).collect().toMap`).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let counts = sc.parallelize(vec![('a', 1), ('b', 1), ('a', 2)], 2).count_by_key().unwrap();
    /// assert_eq!(counts[&'a'], 2);
    /// assert_eq!(counts[&'b'], 1);
    /// ```
    pub fn count_by_key(&self) -> Result<HashMap<K, u64>> {
        let counts = self.map_values(|_| 1u64).reduce_by_key(|a, b| a + b);
        Ok(counts.collect()?.into_iter().collect())
    }

    /// Spark's `combineByKeyWithClassTag` for an aggregator this crate builds; `op` names the
    /// operation in `Display` and `to_debug_string`.
    pub(crate) fn combine_by_aggregator<C: Data>(
        &self,
        agg: Arc<Aggregator<V, C>>,
        p: Partitioner,
        map_side_combine: bool,
        op: &str,
    ) -> Rdd<(K, C)> {
        if self.partitioner().as_ref() == Some(&p) {
            return self.map_partitions_named(
                op,
                true,
                Arc::new(move |_, it: PartIter<(K, V)>| {
                    let mut combiners = AppendOnlyMap::new();
                    combiners.fold(it, &agg.create_combiner, &agg.merge_value);
                    part_iter(combiners.into_iter())
                }),
            );
        }
        Rdd::from_arc(Arc::new(ShuffledRdd::new(
            self.rdd.clone(),
            p,
            Some(agg),
            map_side_combine,
            op,
        )))
    }

    /// All pairs as a map (a later value of a key wins, as in Spark).
    pub fn collect_as_map(&self) -> Result<HashMap<K, V>> {
        Ok(self.collect()?.into_iter().collect())
    }
}

/// A fresh copy of a zero value per key (Spark's `createZero` in aggregateByKey and
/// foldByKey): serialized once when the operation is defined, deserialized for each key. A zero
/// whose bytes do not decode back to a value (a hand-written serde pair that is not symmetric)
/// is cloned instead, checked once here.
struct ZeroValue<U> {
    zero: U,
    bytes: Option<Vec<u8>>,
}

impl<U: Data> ZeroValue<U> {
    fn new(zero: U) -> Self {
        let bytes = crate::serializer::serialize(&zero)
            .ok()
            .filter(|b| crate::serializer::deserialize::<U>(b).is_ok());
        ZeroValue { zero, bytes }
    }

    fn fresh(&self) -> U {
        self.bytes
            .as_deref()
            .and_then(|b| crate::serializer::deserialize(b).ok())
            .unwrap_or_else(|| self.zero.clone())
    }
}

/// Spark 4's `Partitioner.defaultPartitioner`: among the parents that have a partitioner of
/// more than zero partitions, take the one with the most partitions (the first of equals). Its
/// partitioner is used when it is eligible (its partition count within an order of magnitude
/// of the largest parent's: `log10(max) - log10(its) < 1`) or when the default count is not
/// larger than its partition count. Otherwise a hash partitioner of the default count:
/// `sparklet.default.parallelism` when set, else the largest parent's partition count.
pub(crate) fn default_partitioner(rdds: &[Arc<dyn RddBase>]) -> Partitioner {
    let Some(first) = rdds.first() else {
        return Partitioner::hash(0);
    };
    let counts: Vec<usize> = rdds
        .iter()
        .map(|r| crate::rdd::num_partitions(&**r))
        .collect();
    let max_parts = counts.iter().copied().max().unwrap_or(0);
    let mut best: Option<(Partitioner, usize)> = None;
    for (r, &n) in rdds.iter().zip(&counts) {
        if let Some(p) = r.partitioner().filter(|p| p.num_partitions() > 0) {
            if best.as_ref().is_none_or(|(_, m)| n > *m) {
                best = Some((p, n));
            }
        }
    }
    let sc = &first.core().sc;
    let default_num = if sc.conf().get(crate::conf::DEFAULT_PARALLELISM).is_some() {
        sc.default_parallelism()
    } else {
        max_parts
    };
    if let Some((p, n)) = best {
        let eligible = (max_parts as f64).log10() - (n as f64).log10() < 1.0;
        if eligible || default_num <= n {
            return p;
        }
    }
    Partitioner::hash(default_num)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SparkConf, SparkContext};

    fn context(parallelism: Option<&str>) -> SparkContext {
        let mut conf = SparkConf::new().set_master("local[2]").set_app_name("test");
        if let Some(n) = parallelism {
            conf = conf.set(crate::conf::DEFAULT_PARALLELISM, n);
        }
        SparkContext::new(conf).expect("context")
    }

    /// The RDDs of Spark's defaultPartitioner cases: 150 slices; hash-partitioned 10, 100, 9;
    /// 11 slices; hash-partitioned 3.
    fn rdds(sc: &SparkContext) -> Vec<Arc<dyn RddBase>> {
        let pairs = |n: i32| (1..=n).map(|x| (x, x)).collect::<Vec<_>>();
        let parted = |n| {
            sc.parallelize(pairs(4), 2)
                .partition_by(Partitioner::hash(n))
                .base()
        };
        vec![
            sc.parallelize(pairs(1000), 150).base(),
            parted(10),
            parted(100),
            parted(9),
            sc.parallelize(pairs(10), 11).base(),
            parted(3),
        ]
    }

    fn choose(rdds: &[Arc<dyn RddBase>], which: &[usize]) -> usize {
        let picked: Vec<_> = which.iter().map(|&i| rdds[i].clone()).collect();
        default_partitioner(&picked).num_partitions()
    }

    /// Spark: PartitioningSuite "defaultPartitioner".
    #[test]
    fn default_partitioner_without_default_parallelism() {
        let sc = context(None);
        let r = rdds(&sc);
        // rdd1 (150, none) with rdd2 (10): 10 is not eligible (150 is over 10x), 150 > 10.
        assert_eq!(choose(&r, &[0, 1]), 150);
        assert_eq!(choose(&r, &[1, 2]), 100);
        assert_eq!(choose(&r, &[2, 0]), 100);
        assert_eq!(choose(&r, &[0, 1, 2]), 100);
        assert_eq!(choose(&r, &[3, 4]), 9);
        sc.stop();
    }

    /// Spark: PartitioningSuite "defaultPartitioner when defaultParallelism is set".
    #[test]
    fn default_partitioner_with_default_parallelism() {
        let sc = context(Some("4"));
        let r = rdds(&sc);
        assert_eq!(choose(&r, &[0, 1]), 10);
        assert_eq!(choose(&r, &[1, 2]), 100);
        assert_eq!(choose(&r, &[2, 0]), 100);
        assert_eq!(choose(&r, &[0, 1, 2]), 100);
        assert_eq!(choose(&r, &[3, 4]), 9);
        assert_eq!(choose(&r, &[4, 4]), 4);
        // rdd6's 3 partitions: not eligible beside 150, and fewer than the default 4.
        assert_eq!(choose(&r, &[0, 5]), 4);
        sc.stop();
    }

    /// A partitioned parent's partitioner is chosen over an unpartitioned parent of as many
    /// partitions, whichever comes first.
    #[test]
    fn default_partitioner_prefers_a_partitioned_parent() {
        let sc = context(None);
        let a = sc
            .parallelize(vec![(1, 1)], 1)
            .partition_by(Partitioner::hash(5))
            .base();
        let b = sc.parallelize(vec![(1, 1)], 5).base();
        assert_eq!(
            default_partitioner(&[b.clone(), a.clone()]),
            Partitioner::hash(5)
        );
        assert_eq!(default_partitioner(&[a, b]), Partitioner::hash(5));
        sc.stop();
    }

    /// A zero that does not round-trip through the serializer is cloned.
    #[test]
    fn zero_value_is_a_fresh_copy() {
        let z = ZeroValue::new(vec![1, 2]);
        assert!(z.bytes.is_some());
        let mut a = z.fresh();
        a.push(3);
        assert_eq!(z.fresh(), vec![1, 2]);
    }
}
