//! Property tests: the pair operations (reduce_by_key, group_by_key, join, cogroup,
//! partition_by) give what a plain `HashMap` computation gives, for random inputs, random slice
//! and partition counts, and every kind of master; and the order of values per key is Spark's
//! deterministic map-index order.
//!
//! Keys come from small ranges so that keys collide within and across partitions; inputs are
//! short so that many cases have more slices than elements (empty partitions). Each case builds
//! its own context on a random master and stops it.

mod common;

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;

use common::{context_with, sorted};
use proptest::prelude::*;
use sparklet::prelude::*;

/// The masters every property is tried on.
const MASTERS: [&str; 4] = [
    "local",
    "local[2]",
    "local-cluster[2,1,64]",
    "local-cluster[3,2,64]",
];

/// Key types of the properties: `Data + Hash + Ord`, so results can be sorted and compared.
trait Key: Data + Hash + Eq + Ord {}
impl<T: Data + Hash + Eq + Ord> Key for T {}

/// Where a case runs: the master, the slices of `parallelize`, and the partition count of the
/// shuffle (`sparklet.default.parallelism`, which the default partitioner then uses).
#[derive(Clone, Debug)]
struct Setup {
    master: &'static str,
    slices: usize,
    parts: usize,
}

impl Setup {
    fn context(&self) -> SparkContext {
        let parts = self.parts.to_string();
        context_with(self.master, &[("sparklet.default.parallelism", &parts)])
    }
}

fn setup() -> impl Strategy<Value = Setup> {
    (prop::sample::select(&MASTERS[..]), 1..=8usize, 1..=8usize).prop_map(
        |(master, slices, parts)| Setup {
            master,
            slices,
            parts,
        },
    )
}

/// `i32` keys from a small range.
fn int_pairs() -> impl Strategy<Value = Vec<(i32, i32)>> {
    prop::collection::vec((-3..4i32, -100..100i32), 0..40)
}

/// `String` keys from a small set (the empty string and non-ASCII included).
fn string_pairs() -> impl Strategy<Value = Vec<(String, i32)>> {
    let key =
        prop::sample::select(vec!["", "a", "b", "ab", "ba", "spark", "ß"]).prop_map(String::from);
    prop::collection::vec((key, -100..100i32), 0..40)
}

/// The records of each partition of `rdd`, in order (what a reader sees partition by partition).
fn partitions<T: Data>(rdd: &Rdd<T>) -> Vec<Vec<T>> {
    rdd.glom().collect().expect("glom")
}

/// Asserts that every record of `rdd` lies in the partition its partitioner gives its key, and
/// that `rdd` has `parts` partitions. Returns the records, partition by partition.
fn assert_partitioned<K: Key, V: Data>(rdd: &Rdd<(K, V)>, parts: usize) -> Vec<Vec<(K, V)>> {
    let p = rdd.partitioner().expect("a shuffled RDD has a partitioner");
    assert_eq!(p.num_partitions(), parts);
    assert_eq!(rdd.num_partitions(), parts);
    let glommed = partitions(rdd);
    for (i, part) in glommed.iter().enumerate() {
        for (k, _) in part {
            assert_eq!(p.get_partition(k), i, "key {k:?} in partition {i}");
        }
    }
    glommed
}

/// The values of each key, in input order.
fn grouped<K: Key, V: Clone>(pairs: &[(K, V)]) -> HashMap<K, Vec<V>> {
    let mut m: HashMap<K, Vec<V>> = HashMap::new();
    for (k, v) in pairs {
        m.entry(k.clone()).or_default().push(v.clone());
    }
    m
}

/// A map result as sorted pairs, to compare with a collected RDD.
fn sorted_map<K: Ord, V: Ord>(m: HashMap<K, V>) -> Vec<(K, V)> {
    sorted(m.into_iter().collect())
}

fn check_reduce_by_key<K: Key>(s: &Setup, data: Vec<(K, i32)>) {
    let sc = s.context();
    let mut want: HashMap<K, i64> = HashMap::new();
    for (k, v) in &data {
        *want.entry(k.clone()).or_insert(0) += i64::from(*v);
    }
    let pairs = sc
        .parallelize(data, s.slices)
        .map(|(k, v)| (k, i64::from(v)));
    // The default partitioner (sparklet.default.parallelism) and an explicit one.
    let by_default = pairs.reduce_by_key(|a, b| a + b);
    let explicit = pairs.reduce_by_key_with(Partitioner::hash(s.parts), |a, b| a + b);
    for rdd in [by_default, explicit] {
        let got = assert_partitioned(&rdd, s.parts).concat();
        assert_eq!(sorted(got), sorted_map(want.clone()), "{s:?}");
    }
    sc.stop();
}

/// group_by_key: the values of each key are exactly the input's values of that key, in the
/// order a reader meets them partition by partition (map-index order, Spark's order). The
/// input is a union of two parallelized collections, so that map-index order is not the order
/// of one vector.
fn check_group_by_key<K: Key>(s: &Setup, left: Vec<(K, i32)>, right: Vec<(K, i32)>) {
    let sc = s.context();
    let input = sc
        .parallelize(left, s.slices)
        .union(&sc.parallelize(right, 1 + s.slices / 2));
    let in_map_order: Vec<(K, i32)> = partitions(&input).concat();
    let want = grouped(&in_map_order);

    let groups = input.group_by_key();
    let got: Vec<(K, Vec<i32>)> = assert_partitioned(&groups, s.parts).concat();
    // Each key once.
    assert_eq!(got.len(), want.len(), "{s:?}");
    // As multisets, then in the exact order.
    let as_multisets = |g: &[(K, Vec<i32>)]| -> Vec<(K, Vec<i32>)> {
        sorted(
            g.iter()
                .map(|(k, vs)| (k.clone(), sorted(vs.clone())))
                .collect(),
        )
    };
    let want_sorted = sorted_map(want.clone());
    assert_eq!(as_multisets(&got), as_multisets(&want_sorted), "{s:?}");
    assert_eq!(sorted(got), want_sorted, "values in map-index order; {s:?}");

    // Already partitioned by the default partitioner: no shuffle, the same order rule holds
    // within each partition.
    let partitioned = input.partition_by(Partitioner::hash(s.parts));
    let narrow = partitioned.group_by_key();
    assert!(!narrow.dependencies()[0].is_shuffle());
    let want = grouped(&partitions(&partitioned).concat());
    let got = assert_partitioned(&narrow, s.parts).concat();
    assert_eq!(sorted(got), sorted_map(want), "narrow; {s:?}");
    sc.stop();
}

/// cogroup and join against a HashMap computation; `narrow_left` pre-partitions the left side
/// by the cogroup's partitioner, so that it is read through a OneToOne dependency.
fn check_cogroup_and_join<K: Key>(
    s: &Setup,
    left: Vec<(K, i32)>,
    right: Vec<(K, i32)>,
    narrow_left: bool,
) {
    let sc = s.context();
    let mut l = sc.parallelize(left, s.slices);
    if narrow_left {
        l = l.partition_by(Partitioner::hash(s.parts));
    }
    let r = sc
        .parallelize(right, 1 + (s.slices * 3) % 8)
        .map_values(|v| format!("w{v}"));
    let (l_in, r_in) = (partitions(&l).concat(), partitions(&r).concat());
    let (lg, rg) = (grouped(&l_in), grouped(&r_in));

    // cogroup: every key of either side, with the values of each side in map-index order.
    let mut want_cg: HashMap<K, (Vec<i32>, Vec<String>)> = HashMap::new();
    for (k, vs) in &lg {
        want_cg.entry(k.clone()).or_default().0 = vs.clone();
    }
    for (k, ws) in &rg {
        want_cg.entry(k.clone()).or_default().1 = ws.clone();
    }
    let cg = l.cogroup(&r);
    let got = assert_partitioned(&cg, s.parts).concat();
    assert_eq!(got.len(), want_cg.len(), "{s:?}");
    let got_multisets: Vec<_> = got
        .iter()
        .map(|(k, (vs, ws))| (k.clone(), (sorted(vs.clone()), sorted(ws.clone()))))
        .collect();
    let want_multisets: Vec<_> = want_cg
        .iter()
        .map(|(k, (vs, ws))| (k.clone(), (sorted(vs.clone()), sorted(ws.clone()))))
        .collect();
    assert_eq!(sorted(got_multisets), sorted(want_multisets), "{s:?}");
    assert_eq!(sorted(got), sorted_map(want_cg), "cogroup order; {s:?}");

    // join: the cross product of the two sides' values, for keys present in both.
    let mut want_join: Vec<(K, (i32, String))> = Vec::new();
    for (k, vs) in &lg {
        for w in rg.get(k).into_iter().flatten() {
            for v in vs {
                want_join.push((k.clone(), (*v, w.clone())));
            }
        }
    }
    let joined = l.join(&r);
    let got = assert_partitioned(&joined, s.parts).concat();
    assert_eq!(sorted(got), sorted(want_join), "join; {s:?}");
    sc.stop();
}

/// partition_by: the same records, each in its key's partition, and within a partition in
/// map-index order (the records as fetched, map output by map output).
fn check_partition_by<K: Key>(s: &Setup, data: Vec<(K, i32)>) {
    let sc = s.context();
    let input = sc.parallelize(data.clone(), s.slices);
    let p = Partitioner::hash(s.parts);
    let parted = input.partition_by(p.clone());
    assert_eq!(parted.partitioner(), Some(p.clone()));
    let got = assert_partitioned(&parted, s.parts);
    let mut want: Vec<Vec<(K, i32)>> = vec![Vec::new(); s.parts];
    for (k, v) in data {
        want[p.get_partition(&k)].push((k, v));
    }
    assert_eq!(got, want, "{s:?}");
    // An equal partitioner is a no-op.
    assert_eq!(
        parted.partition_by(Partitioner::hash(s.parts)).id(),
        parted.id()
    );
    sc.stop();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn reduce_by_key_equals_a_hash_map_sum_int(s in setup(), data in int_pairs()) {
        check_reduce_by_key(&s, data);
    }

    #[test]
    fn reduce_by_key_equals_a_hash_map_sum_string(s in setup(), data in string_pairs()) {
        check_reduce_by_key(&s, data);
    }

    #[test]
    fn group_by_key_keeps_map_index_order_int(
        s in setup(), l in int_pairs(), r in int_pairs()
    ) {
        check_group_by_key(&s, l, r);
    }

    #[test]
    fn group_by_key_keeps_map_index_order_string(
        s in setup(), l in string_pairs(), r in string_pairs()
    ) {
        check_group_by_key(&s, l, r);
    }

    #[test]
    fn cogroup_and_join_equal_a_hash_map_int(
        s in setup(), l in int_pairs(), r in int_pairs(), narrow in any::<bool>()
    ) {
        check_cogroup_and_join(&s, l, r, narrow);
    }

    #[test]
    fn cogroup_and_join_equal_a_hash_map_string(
        s in setup(), l in string_pairs(), r in string_pairs(), narrow in any::<bool>()
    ) {
        check_cogroup_and_join(&s, l, r, narrow);
    }

    #[test]
    fn partition_by_places_every_record_in_map_order_int(s in setup(), data in int_pairs()) {
        check_partition_by(&s, data);
    }

    #[test]
    fn partition_by_places_every_record_in_map_order_string(
        s in setup(), data in string_pairs()
    ) {
        check_partition_by(&s, data);
    }
}
