//! Operations on RDDs of pairs (Spark's `PairRDDFunctions`).
//!
//! Key-combining operations follow Spark's `combineByKeyWithClassTag`: when the RDD is already
//! partitioned by the target partitioner, values are combined per partition with no shuffle;
//! otherwise a `ShuffledRDD` is made (with map-side combine for reduceByKey, without for
//! groupByKey). The default partitioner is chosen as Spark's `Partitioner.defaultPartitioner`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use crate::aggregator::Aggregator;
use crate::partitioner::Partitioner;
use crate::rdd::cogrouped::CoGroupedRdd;
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
        self.combine_by_key(Arc::new(Aggregator::reducing(f)), p, true, "reduceByKey")
    }

    /// Groups the values of each key (no map-side combine, as in Spark).
    pub fn group_by_key(&self) -> Rdd<(K, Vec<V>)> {
        let p = default_partitioner(&[self.base()]);
        self.combine_by_key(Arc::new(Aggregator::grouping()), p, false, "groupByKey")
    }

    /// Spark's `combineByKeyWithClassTag`.
    pub(crate) fn combine_by_key<C: Data>(
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

    /// For each key of either RDD, the values of both (default partitioner of both).
    pub fn cogroup<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (Vec<V>, Vec<W>))> {
        let p = default_partitioner(&[self.base(), other.base()]);
        self.cogroup_named(other, p, "cogroup")
    }

    /// `cogroup` into `p`'s partitions (Spark's `cogroup(other, partitioner)`).
    pub(crate) fn cogroup_with<W: Data>(
        &self,
        other: &Rdd<(K, W)>,
        p: Partitioner,
    ) -> Rdd<(K, (Vec<V>, Vec<W>))> {
        self.cogroup_named(other, p, "cogroup")
    }

    fn cogroup_named<W: Data>(
        &self,
        other: &Rdd<(K, W)>,
        p: Partitioner,
        op: &str,
    ) -> Rdd<(K, (Vec<V>, Vec<W>))> {
        let cg: Rdd<(K, (Vec<V>, Vec<W>))> = Rdd::from_arc(Arc::new(CoGroupedRdd::new(
            self.rdd.clone(),
            other.rdd.clone(),
            p,
        )));
        // Spark's cogroup maps the CoGroupedRDD's arrays to typed iterables: a MapPartitionsRDD.
        cg.map_partitions_named(op, true, Arc::new(|_, it| it))
    }

    /// Pairs of values for each key present in both RDDs.
    pub fn join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (V, W))> {
        let p = default_partitioner(&[self.base(), other.base()]);
        self.cogroup_named(other, p, "join").map_partitions_named(
            "join",
            true,
            Arc::new(|_, it: PartIter<(K, (Vec<V>, Vec<W>))>| {
                part_iter(it.flat_map(|(k, (vs, ws))| {
                    let mut out = Vec::with_capacity(vs.len() * ws.len());
                    for v in &vs {
                        for w in &ws {
                            out.push((k.clone(), (v.clone(), w.clone())));
                        }
                    }
                    out
                }))
            }),
        )
    }

    /// All pairs as a map (a later value of a key wins, as in Spark).
    pub fn collect_as_map(&self) -> Result<HashMap<K, V>> {
        Ok(self.collect()?.into_iter().collect())
    }
}

/// Spark's `Partitioner.defaultPartitioner`: the partitioner of the parent with the most
/// partitions among those that have one, when it is eligible (within an order of magnitude of
/// the largest parent) or at least as large as the default count; else a hash partitioner of
/// `sparklet.default.parallelism` partitions when set, else of the largest parent's count.
pub(crate) fn default_partitioner(rdds: &[Arc<dyn RddBase>]) -> Partitioner {
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
    let sc = &rdds[0].core().sc;
    let default_num = if sc.conf().get(crate::conf::DEFAULT_PARALLELISM).is_some() {
        sc.default_parallelism()
    } else {
        max_parts
    };
    if let Some((p, n)) = best {
        let eligible = (max_parts as f64).log10() - (n as f64).log10() < 1.0;
        if eligible || default_num <= p.num_partitions() {
            return p;
        }
    }
    Partitioner::hash(default_num)
}
