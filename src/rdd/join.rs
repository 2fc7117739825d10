//! The cogroup and joins of Spark's `PairRDDFunctions`.
//!
//! As in Spark, each is a `CoGroupedRDD` (rdd/cogrouped.rs: a side already partitioned by the
//! partitioner is read narrowly, the other through a shuffle) whose per-key arrays a
//! `MapPartitionsRDD` turns into a pair of value lists (`cogroup`), and for the joins a second
//! `MapPartitionsRDD`, Spark's `flatMapValues`, that emits the pairs of values:
//!
//! | operation | key in both | key only on the left | key only on the right |
//! | --- | --- | --- | --- |
//! | `join` | every `(v, w)` | nothing | nothing |
//! | `left_outer_join` | every `(v, Some(w))` | `(v, None)` | nothing |
//! | `right_outer_join` | every `(Some(v), w)` | nothing | `(None, w)` |
//! | `full_outer_join` | every `(Some(v), Some(w))` | `(Some(v), None)` | `(None, Some(w))` |
//!
//! All of them keep the cogroup's partitioner, Spark's `defaultPartitioner` of both sides
//! (rdd/pair.rs).

use std::hash::Hash;
use std::sync::Arc;

use crate::partitioner::Partitioner;
use crate::rdd::cogrouped::CoGroupedRdd;
use crate::rdd::pair::default_partitioner;
use crate::rdd::{part_iter, Data, PartIter};
use crate::Rdd;

impl<K: Data + Hash + Eq, V: Data> Rdd<(K, V)> {
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

    /// The cogroup of both sides into `p` (their default partitioner when `None`), then
    /// Spark's `flatMapValues` with `pairs`, which turns one key's two value lists into output
    /// values.
    fn join_named<W: Data, O: Data>(
        &self,
        other: &Rdd<(K, W)>,
        p: Option<Partitioner>,
        op: &str,
        pairs: fn(Vec<V>, Vec<W>) -> Vec<O>,
    ) -> Rdd<(K, O)> {
        let p = p.unwrap_or_else(|| default_partitioner(&[self.base(), other.base()]));
        self.cogroup_named(other, p, op).map_partitions_named(
            op,
            true,
            Arc::new(move |_, it: PartIter<(K, (Vec<V>, Vec<W>))>| {
                part_iter(it.flat_map(move |(k, (vs, ws))| {
                    pairs(vs, ws).into_iter().map(move |o| (k.clone(), o))
                }))
            }),
        )
    }

    /// Pairs of values for each key present in both RDDs.
    pub fn join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (V, W))> {
        self.join_into(other, None)
    }

    /// `join` into `p`'s partitions (Spark's `join(other, partitioner)`), or the default
    /// partitioner of both sides when `p` is `None`.
    pub(crate) fn join_into<W: Data>(
        &self,
        other: &Rdd<(K, W)>,
        p: Option<Partitioner>,
    ) -> Rdd<(K, (V, W))> {
        self.join_named(other, p, "join", |vs, ws| cross(&vs, &ws, |v, w| (v, w)))
    }

    /// For each `(k, v)` of this RDD, `(k, (v, Some(w)))` for every `w` of `other` under `k`,
    /// or `(k, (v, None))` when `other` has no `k` (Spark's `leftOuterJoin`).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let left = sc.parallelize(vec![(1, 'a'), (2, 'b')], 2);
    /// let right = sc.parallelize(vec![(1, 'x')], 1);
    /// let mut got = left.left_outer_join(&right).collect().unwrap();
    /// got.sort();
    /// assert_eq!(got, vec![(1, ('a', Some('x'))), (2, ('b', None))]);
    /// ```
    pub fn left_outer_join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (V, Option<W>))> {
        self.left_outer_join_into(other, None)
    }

    /// `left_outer_join` into `p`'s partitions (Spark's `leftOuterJoin(other, partitioner)`).
    pub(crate) fn left_outer_join_into<W: Data>(
        &self,
        other: &Rdd<(K, W)>,
        p: Option<Partitioner>,
    ) -> Rdd<(K, (V, Option<W>))> {
        self.join_named(other, p, "leftOuterJoin", |vs, ws| {
            if ws.is_empty() {
                vs.into_iter().map(|v| (v, None)).collect()
            } else {
                cross(&vs, &ws, |v, w| (v, Some(w)))
            }
        })
    }

    /// For each `(k, w)` of `other`, `(k, (Some(v), w))` for every `v` of this RDD under `k`,
    /// or `(k, (None, w))` when this RDD has no `k` (Spark's `rightOuterJoin`).
    pub fn right_outer_join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (Option<V>, W))> {
        self.right_outer_join_into(other, None)
    }

    /// `right_outer_join` into `p`'s partitions (Spark's `rightOuterJoin(other, partitioner)`).
    pub(crate) fn right_outer_join_into<W: Data>(
        &self,
        other: &Rdd<(K, W)>,
        p: Option<Partitioner>,
    ) -> Rdd<(K, (Option<V>, W))> {
        self.join_named(other, p, "rightOuterJoin", |vs, ws| {
            if vs.is_empty() {
                ws.into_iter().map(|w| (None, w)).collect()
            } else {
                cross(&vs, &ws, |v, w| (Some(v), w))
            }
        })
    }

    /// Every key of either side: the cross product of both sides' values where both have the
    /// key, else each value beside `None` (Spark's `fullOuterJoin`).
    pub fn full_outer_join<W: Data>(
        &self,
        other: &Rdd<(K, W)>,
    ) -> Rdd<(K, (Option<V>, Option<W>))> {
        self.full_outer_join_into(other, None)
    }

    /// `full_outer_join` into `p`'s partitions (Spark's `fullOuterJoin(other, partitioner)`).
    pub(crate) fn full_outer_join_into<W: Data>(
        &self,
        other: &Rdd<(K, W)>,
        p: Option<Partitioner>,
    ) -> Rdd<(K, (Option<V>, Option<W>))> {
        self.join_named(other, p, "fullOuterJoin", |vs, ws| {
            if ws.is_empty() {
                vs.into_iter().map(|v| (Some(v), None)).collect()
            } else if vs.is_empty() {
                ws.into_iter().map(|w| (None, Some(w))).collect()
            } else {
                cross(&vs, &ws, |v, w| (Some(v), Some(w)))
            }
        })
    }
}

/// Every `(v, w)` of the two lists, `v` outermost (Spark's `for (v <- vs; w <- ws)`).
fn cross<V: Clone, W: Clone, O>(vs: &[V], ws: &[W], pair: impl Fn(V, W) -> O) -> Vec<O> {
    let mut out = Vec::with_capacity(vs.len() * ws.len());
    for v in vs {
        for w in ws {
            out.push(pair(v.clone(), w.clone()));
        }
    }
    out
}
