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
        )
    }
}
