//! How values of one key are combined (Spark's `Aggregator`): `create_combiner` starts a
//! combiner from a key's first value, `merge_value` folds further values into it (map side, or
//! reduce side without map-side combine) and `merge_combiners` merges combiners of different
//! map outputs (reduce side).
//!
//! Every key-combining operation of `PairRDDFunctions` is one of these: reduceByKey
//! ([`Aggregator::reducing`]), groupByKey ([`Aggregator::grouping`]), and the user's own three
//! functions for combineByKey, aggregateByKey and foldByKey ([`Aggregator::new`]). The
//! functions never see the key, as in Spark. Used by the RDD layer only.

/// Spark's `Aggregator[K, V, C]` (the key type plays no part in the functions).
pub(crate) struct Aggregator<V, C> {
    pub(crate) create_combiner: Box<dyn Fn(V) -> C + Send + Sync>,
    pub(crate) merge_value: Box<dyn Fn(C, V) -> C + Send + Sync>,
    pub(crate) merge_combiners: Box<dyn Fn(C, C) -> C + Send + Sync>,
}

impl<V: 'static, C: 'static> Aggregator<V, C> {
    /// The aggregator of the user's three functions (`combineByKey` and what is built on it).
    pub(crate) fn new(
        create_combiner: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
    ) -> Self {
        Aggregator {
            create_combiner: Box::new(create_combiner),
            merge_value: Box::new(merge_value),
            merge_combiners: Box::new(merge_combiners),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The three functions of `new` are the ones called, in their roles.
    #[test]
    fn new_keeps_each_function_in_its_role() {
        let agg = Aggregator::new(
            |v: i32| vec![v],
            |mut c: Vec<i32>, v| {
                c.push(v * 10);
                c
            },
            |mut a: Vec<i32>, b| {
                a.extend(b.into_iter().map(|x| -x));
                a
            },
        );
        let c = (agg.merge_value)((agg.create_combiner)(1), 2);
        assert_eq!(c, vec![1, 20]);
        assert_eq!((agg.merge_combiners)(c, vec![3]), vec![1, 20, -3]);
    }
}
