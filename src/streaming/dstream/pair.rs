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
    pub fn reduce_by_key(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + Clone + 'static,
    ) -> DStream<(K, V)> {
        let p = self.default_partitioner();
        self.transform_named("ShuffledDStream", move |rdd, _| {
            rdd.reduce_by_key_with(p.clone(), f.clone())
        })
    }

    /// Groups the values of each key within each batch.
    pub fn group_by_key(&self) -> DStream<(K, Vec<V>)> {
        let p = self.default_partitioner();
        self.transform_named("ShuffledDStream", move |rdd, _| {
            rdd.combine_by_key(
                Arc::new(crate::aggregator::Aggregator::grouping()),
                p.clone(),
                false,
                "groupByKey",
            )
        })
    }

    /// Merges the values of each key over a sliding window (Spark: reduceByKey, window,
    /// reduceByKey).
    pub fn reduce_by_key_and_window(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + Clone + 'static,
        window: Duration,
        slide: Duration,
    ) -> DStream<(K, V)> {
        self.reduce_by_key(f.clone())
            .window(window, slide)
            .reduce_by_key(f)
    }
}
