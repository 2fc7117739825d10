//! How values of one key are combined (Spark's `Aggregator`): `create_combiner` starts a
//! combiner from a key's first value, `merge_value` folds further values into it (map side, or
//! reduce side without map-side combine) and `merge_combiners` merges combiners of different
//! map outputs (reduce side).

/// Spark's `Aggregator[K, V, C]` (the key type plays no part in the functions).
pub(crate) struct Aggregator<V, C> {
    pub(crate) create_combiner: Box<dyn Fn(V) -> C + Send + Sync>,
    pub(crate) merge_value: Box<dyn Fn(C, V) -> C + Send + Sync>,
    pub(crate) merge_combiners: Box<dyn Fn(C, C) -> C + Send + Sync>,
}

impl<V: 'static> Aggregator<V, V> {
    /// The aggregator of `reduceByKey(f)`: the combiner is the running reduction.
    pub(crate) fn reducing(f: impl Fn(V, V) -> V + Send + Sync + 'static) -> Self {
        let f = std::sync::Arc::new(f);
        let g = f.clone();
        Aggregator {
            create_combiner: Box::new(|v| v),
            merge_value: Box::new(move |a, b| f(a, b)),
            merge_combiners: Box::new(move |a, b| g(a, b)),
        }
    }
}

impl<V: 'static> Aggregator<V, Vec<V>> {
    /// The aggregator of `groupByKey`: the combiner is the list of values, in arrival order.
    pub(crate) fn grouping() -> Self {
        Aggregator {
            create_combiner: Box::new(|v| vec![v]),
            merge_value: Box::new(|mut c, v| {
                c.push(v);
                c
            }),
            merge_combiners: Box::new(|mut a, mut b| {
                a.append(&mut b);
                a
            }),
        }
    }
}
