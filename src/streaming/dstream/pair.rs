//! Operations on DStreams of pairs (Spark's `PairDStreamFunctions`).

use std::hash::Hash;
use std::sync::Arc;

use crate::partitioner::Partitioner;
use crate::rdd::Data;
use crate::streaming::dstream::handle::DStream;
use crate::streaming::time::Duration;

impl<K: Data + Hash + Eq, V: Data> DStream<(K, V)> {
    /// Spark's default partitioner for DStreams: `HashPartitioner(sc.defaultParallelism)`.
    pub(crate) fn default_partitioner(&self) -> Partitioner {
        Partitioner::hash(self.stream.core().sc.default_parallelism())
    }

    /// Applies `f` to every value.
    pub fn map_values<W: Data>(
        &self,
        f: impl Fn(V) -> W + Send + Sync + 'static,
    ) -> DStream<(K, W)> {
        let f = Arc::new(f);
        self.transform_named("MapValuedDStream", move |rdd, _| {
            let f = f.clone();
            rdd.map_values(move |v| f(v))
        })
    }

    /// Merges the values of each key within each batch.
    pub fn reduce_by_key(&self, f: impl Fn(V, V) -> V + Send + Sync + 'static) -> DStream<(K, V)> {
        let p = self.default_partitioner();
        let f = Arc::new(f);
        self.transform_named("ShuffledDStream", move |rdd, _| {
            let f = f.clone();
            rdd.reduce_by_key_with(p.clone(), move |a, b| f(a, b))
        })
    }

    /// Groups the values of each key within each batch.
    pub fn group_by_key(&self) -> DStream<(K, Vec<V>)> {
        let p = self.default_partitioner();
        self.transform_named("ShuffledDStream", move |rdd, _| {
            rdd.group_by_key_with(p.clone())
        })
    }

    /// Merges the values of each key over a sliding window (Spark: reduceByKey, window,
    /// reduceByKey).
    pub fn reduce_by_key_and_window(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: Duration,
        slide: Duration,
    ) -> DStream<(K, V)> {
        let f = Arc::new(f);
        let g = f.clone();
        self.reduce_by_key(move |a, b| f(a, b))
            .window(window, slide)
            .reduce_by_key(move |a, b| g(a, b))
    }

    /// Merges the values of each key over a sliding window incrementally (Spark's
    /// `reduceByKeyAndWindow(f, invF, window, slide)`, a `ReducedWindowedDStream`): each window
    /// is the previous one plus the batches entering it (`f`) minus those leaving it (`inv`).
    /// Keys whose value returns to zero stay. Needs a checkpoint folder.
    ///
    /// ```
    /// # use sparklet::prelude::*;
    /// # use sparklet::streaming::*;
    /// # use std::sync::{Arc, Mutex};
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    /// let dir = tempfile::tempdir().unwrap();
    /// ssc.checkpoint(dir.path()).unwrap();
    /// let batches = vec![vec![('a', 1)], vec![('a', 2)], vec![]];
    /// let sums = ssc.queue_stream(batches, true).reduce_by_key_and_window_inv(
    ///     |a, b| a + b, |a, b| a - b, Duration::seconds(2), Duration::seconds(1));
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let s = seen.clone();
    /// sums.foreach_rdd(move |rdd, _| Ok(s.lock().unwrap().push(rdd.collect()?)));
    /// ssc.start().unwrap();
    /// ssc.run_batches(4).unwrap();
    /// // 1, 1 + 2, 3 - 1, then 2 - 2: the key stays with 0.
    /// let want = vec![vec![('a', 1)], vec![('a', 3)], vec![('a', 2)], vec![('a', 0)]];
    /// assert_eq!(*seen.lock().unwrap(), want);
    /// ```
    pub fn reduce_by_key_and_window_inv(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        inv: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: Duration,
        slide: Duration,
    ) -> DStream<(K, V)> {
        crate::streaming::dstream::reduced_window::reduce_by_key_and_window_inv(
            self,
            Arc::new(f),
            Arc::new(inv),
            window,
            slide,
            self.default_partitioner(),
            None,
        )
    }

    /// Merges the values of each key within each batch into `p`'s partitions (Spark's
    /// `reduceByKey(f, partitioner)`, a `ShuffledDStream`).
    pub fn reduce_by_key_with(
        &self,
        p: Partitioner,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
    ) -> DStream<(K, V)> {
        let f = Arc::new(f);
        self.transform_named("ShuffledDStream", move |rdd, _| {
            let f = f.clone();
            rdd.reduce_by_key_with(p.clone(), move |a, b| f(a, b))
        })
    }

    /// Combines the values of each key within each batch into `p`'s partitions (Spark's
    /// `combineByKey`, a `ShuffledDStream`, map-side combine on).
    pub fn combine_by_key<C: Data>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
        p: Partitioner,
    ) -> DStream<(K, C)> {
        let (create, merge_value, merge_combiners) = (
            Arc::new(create),
            Arc::new(merge_value),
            Arc::new(merge_combiners),
        );
        self.transform_named("ShuffledDStream", move |rdd, _| {
            let (c, mv, mc) = (create.clone(), merge_value.clone(), merge_combiners.clone());
            rdd.combine_by_key_with(
                move |v| c(v),
                move |acc, v| mv(acc, v),
                move |a, b| mc(a, b),
                p.clone(),
                true,
            )
        })
    }

    /// Applies `f` to every value and flattens the results, keeping the keys (Spark's
    /// `flatMapValues`, a `FlatMapValuedDStream`).
    pub fn flat_map_values<I>(
        &self,
        f: impl Fn(V) -> I + Send + Sync + 'static,
    ) -> DStream<(K, I::Item)>
    where
        I: IntoIterator + 'static,
        I::IntoIter: 'static,
        I::Item: Data,
    {
        let f = Arc::new(f);
        self.transform_named("FlatMapValuedDStream", move |rdd, _| {
            let f = f.clone();
            rdd.flat_map_values(move |v| f(v))
        })
    }

    /// The values of each key over the last `window` of batches, every `slide` (Spark's
    /// `groupByKeyAndWindow`: `groupByKey`, `window`, then `combineByKey` concatenating the
    /// groups, all into the default partitioner).
    pub fn group_by_key_and_window(
        &self,
        window: Duration,
        slide: Duration,
    ) -> DStream<(K, Vec<V>)> {
        let p = self.default_partitioner();
        let q = p.clone();
        self.transform_named("ShuffledDStream", move |rdd, _| {
            rdd.group_by_key_with(q.clone())
        })
        .window(window, slide)
        .combine_by_key(
            |vs: Vec<V>| vs,
            |mut buf: Vec<V>, vs: Vec<V>| {
                buf.extend(vs);
                buf
            },
            |mut a: Vec<V>, b: Vec<V>| {
                a.extend(b);
                a
            },
            p,
        )
    }

    /// For each key of either stream in a batch, the values of both in that batch (Spark's
    /// `cogroup`: `transformWith(other, _.cogroup(_, partitioner))`, default partitioner).
    /// Both streams must have one slide duration; else `start()` fails with Spark's message.
    pub fn cogroup<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (Vec<V>, Vec<W>))> {
        let p = self.default_partitioner();
        self.transform_with(other, move |a, b, _| a.cogroup_with(b, p.clone()))
    }

    /// The pairs of values of each key present in both streams in a batch (Spark's `join`:
    /// `transformWith(other, _.join(_, partitioner))`, default partitioner).
    pub fn join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (V, W))> {
        let p = self.default_partitioner();
        self.transform_with(other, move |a, b, _| a.join_into(b, Some(p.clone())))
    }

    /// Spark's `leftOuterJoin` of the two streams' RDDs of each batch.
    pub fn left_outer_join<W: Data>(
        &self,
        other: &DStream<(K, W)>,
    ) -> DStream<(K, (V, Option<W>))> {
        let p = self.default_partitioner();
        self.transform_with(other, move |a, b, _| {
            a.left_outer_join_into(b, Some(p.clone()))
        })
    }

    /// Spark's `rightOuterJoin` of the two streams' RDDs of each batch.
    pub fn right_outer_join<W: Data>(
        &self,
        other: &DStream<(K, W)>,
    ) -> DStream<(K, (Option<V>, W))> {
        let p = self.default_partitioner();
        self.transform_with(other, move |a, b, _| {
            a.right_outer_join_into(b, Some(p.clone()))
        })
    }

    /// Spark's `fullOuterJoin` of the two streams' RDDs of each batch.
    pub fn full_outer_join<W: Data>(
        &self,
        other: &DStream<(K, W)>,
    ) -> DStream<(K, (Option<V>, Option<W>))> {
        let p = self.default_partitioner();
        self.transform_with(other, move |a, b, _| {
            a.full_outer_join_into(b, Some(p.clone()))
        })
    }
}
