//! Unit tests of [`StateMap`]: Spark's `StateMapSuite` ported (same test names), the rules this
//! port adds (copy-on-write, compaction of the live map, threads, corrupt bytes), and a property
//! test against a model made of one `HashMap` snapshot per copy.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::*;
use crate::serializer;

type Entries<K, S> = BTreeSet<(K, S, u64)>;
/// What a map must hold: key -> (state, update time).
type Model = HashMap<i32, (i32, u64)>;

fn set<K: Ord, S: Ord>(entries: Vec<(K, S, u64)>) -> Entries<K, S> {
    entries.into_iter().collect()
}

fn all<K: Clone + Eq + Hash + Ord, S: Clone + Ord>(map: &StateMap<K, S>) -> Entries<K, S> {
    set(map.get_all())
}

fn by_time<K: Clone + Eq + Hash + Ord, S: Clone + Ord>(
    map: &StateMap<K, S>,
    t: u64,
) -> Entries<K, S> {
    set(map.get_by_time(t))
}

fn put<K: Clone + Eq + Hash, S: Clone>(map: &mut StateMap<K, S>, key: K, state: S, time: u64) {
    map.put(key, state, time)
        .expect("put on an OpenHashMapBasedStateMap");
}

/// Through sparklet's one serializer, as a shuffle, cache or checkpoint would.
fn round_trip<K, S>(map: &StateMap<K, S>) -> StateMap<K, S>
where
    K: Clone + Eq + Hash + Serialize + DeserializeOwned,
    S: Clone + Serialize + DeserializeOwned,
{
    let bytes = serializer::serialize(map).expect("serialize a state map");
    serializer::deserialize(&bytes).expect("deserialize a state map")
}

/// Spark's `assertMap`: same entries, same `get` for every key in `expected` (plus one absent
/// key), same `get_by_time` for every threshold. `get_by_time` only changes just above an
/// update time, so thresholds 0, every `t` and `t + 1` cover every threshold Spark's loop tries.
fn assert_matches(map: &StateMap<i32, i32>, expected: &Model, msg: &str) {
    let want: Entries<i32, i32> = expected.iter().map(|(&k, &(s, t))| (k, s, t)).collect();
    assert_eq!(all(map), want, "{msg}: get_all");
    for (key, (state, _)) in expected {
        assert_eq!(map.get(key), Some(*state), "{msg}: get({key})");
    }
    assert_eq!(map.get(&i32::MIN), None, "{msg}: get(absent)");
    let mut thresholds: BTreeSet<u64> = want.iter().flat_map(|e| [e.2, e.2 + 1]).collect();
    thresholds.insert(0);
    for t in thresholds {
        let want_t: Entries<i32, i32> = want.iter().filter(|e| e.2 < t).cloned().collect();
        assert_eq!(by_time(map, t), want_t, "{msg}: get_by_time({t})");
    }
}

fn snapshot(map: &StateMap<i32, i32>) -> Model {
    map.get_all()
        .into_iter()
        .map(|(k, s, t)| (k, (s, t)))
        .collect()
}

/// Spark's `testSerialization`: the deserialized map reads exactly like the original.
fn assert_round_trips(map: &StateMap<i32, i32>, msg: &str) -> StateMap<i32, i32> {
    let expected = snapshot(map);
    let back = round_trip(map);
    assert_matches(&back, &expected, msg);
    assert_matches(map, &expected, "serializing changed the original");
    back
}

// ---- StateMapSuite ----

#[test]
fn empty_state_map() {
    let mut map = StateMap::<i32, i32>::empty();
    let err = map.put(1, 1, 1).unwrap_err();
    let msg = "put() should not be called on an EmptyStateMap";
    assert_eq!(err, Error::IllegalState(msg.into()));
    assert_eq!(map.get(&1), None);
    assert!(map.get_by_time(10_000).is_empty());
    assert!(map.get_all().is_empty());
    map.remove(&1); // no error
    assert!(map.copy().ptr_eq(&map));
    assert_eq!(
        (
            map.delta_chain_length(),
            map.should_compact(),
            map.approx_size()
        ),
        (0, false, 0)
    );
}

#[test]
fn open_hash_map_based_state_map_put_get_get_by_time_get_all_remove() {
    let mut map = StateMap::<i32, i32>::new();
    put(&mut map, 1, 100, 10);
    assert_eq!(map.get(&1), Some(100));
    assert_eq!(map.get(&2), None);
    assert_eq!(by_time(&map, 11), set(vec![(1, 100, 10)]));
    assert_eq!(by_time(&map, 10), set(vec![]));
    assert_eq!(by_time(&map, 9), set(vec![]));
    assert_eq!(all(&map), set(vec![(1, 100, 10)]));

    put(&mut map, 2, 200, 20);
    assert_eq!(by_time(&map, 21), set(vec![(1, 100, 10), (2, 200, 20)]));
    assert_eq!(by_time(&map, 11), set(vec![(1, 100, 10)]));
    assert_eq!(by_time(&map, 10), set(vec![]));
    assert_eq!(by_time(&map, 9), set(vec![]));
    assert_eq!(all(&map), set(vec![(1, 100, 10), (2, 200, 20)]));

    map.remove(&1);
    assert_eq!(map.get(&1), None);
    assert_eq!(all(&map), set(vec![(2, 200, 20)]));
}

#[test]
fn open_hash_map_based_state_map_put_get_get_by_time_get_all_remove_with_copy() {
    let mut parent = StateMap::<i32, i32>::new();
    put(&mut parent, 1, 100, 1);
    put(&mut parent, 2, 200, 2);
    parent.remove(&1);

    // A child sees the parent's contents.
    let mut map = parent.copy();
    assert_eq!(map.get(&1), None);
    assert_eq!(map.get(&2), Some(200));
    assert_eq!(by_time(&map, 10), set(vec![(2, 200, 2)]));
    assert_eq!(by_time(&map, 2), set(vec![]));
    assert_eq!(all(&map), set(vec![(2, 200, 2)]));

    // Added in the child.
    put(&mut map, 3, 300, 3);
    assert_eq!(map.get(&3), Some(300));
    put(&mut map, 4, 400, 4);
    assert_eq!(map.get(&4), Some(400));
    assert_eq!(
        by_time(&map, 10),
        set(vec![(2, 200, 2), (3, 300, 3), (4, 400, 4)])
    );
    assert_eq!(by_time(&map, 4), set(vec![(2, 200, 2), (3, 300, 3)]));
    assert_eq!(all(&map), set(vec![(2, 200, 2), (3, 300, 3), (4, 400, 4)]));
    assert_eq!(all(&parent), set(vec![(2, 200, 2)]));

    // Removed in the child.
    map.remove(&4);
    assert_eq!(map.get(&4), None); // added, then removed, in the child
    map.remove(&2);
    assert_eq!(map.get(&2), None); // from the parent, removed in the child
    assert_eq!(all(&map), set(vec![(3, 300, 3)]));
    assert_eq!(all(&parent), set(vec![(2, 200, 2)]));

    // Updated in the child.
    put(&mut map, 1, 1000, 100);
    assert_eq!(map.get(&1), Some(1000)); // removed in the parent, added in the child
    put(&mut map, 2, 2000, 200);
    assert_eq!(map.get(&2), Some(2000)); // from the parent, removed + added in the child
    put(&mut map, 3, 3000, 300);
    assert_eq!(map.get(&3), Some(3000)); // added + updated in the child
    put(&mut map, 4, 4000, 400);
    assert_eq!(map.get(&4), Some(4000)); // removed + updated in the child
    let four = set(vec![
        (1, 1000, 100),
        (2, 2000, 200),
        (3, 3000, 300),
        (4, 4000, 400),
    ]);
    assert_eq!(all(&map), four);
    assert_eq!(all(&parent), set(vec![(2, 200, 2)]));

    map.remove(&2); // hide the grandparent's key from the grandchild

    let mut child = map.copy();
    assert_eq!(all(&child), all(&map));
    assert_eq!(child.get(&1), Some(1000)); // removed in the grandparent, added in the parent
    assert_eq!(child.get(&2), None); // added in the grandparent, removed in the parent
    assert_eq!(child.get(&3), Some(3000)); // added and updated in the parent
    put(&mut child, 2, 20000, 200);
    assert_eq!(child.get(&2), Some(20000));
    assert_eq!(map.get(&2), None);
}

#[test]
fn open_hash_map_based_state_map_serializing_and_deserializing() {
    let mut map1 = StateMap::<i32, i32>::new();
    assert_round_trips(&map1, "error deserializing and serialized empty map");

    put(&mut map1, 1, 100, 1);
    put(&mut map1, 2, 200, 2);
    assert_round_trips(
        &map1,
        "error deserializing and serialized map with data + no delta",
    );

    let mut map2 = map1.copy();
    assert!(!map2.should_compact()); // do not test compaction here
    assert_round_trips(
        &map2,
        "error deserializing and serialized map with 1 delta + no new data",
    );

    put(&mut map2, 3, 300, 3);
    put(&mut map2, 4, 400, 4);
    assert_round_trips(
        &map2,
        "error deserializing and serialized map with 1 delta + new data",
    );

    let mut map3 = map2.copy();
    assert!(!map3.should_compact());
    assert_round_trips(
        &map3,
        "error deserializing and serialized map with 2 delta + no new data",
    );
    put(&mut map3, 3, 600, 3);
    map3.remove(&2);
    let back = assert_round_trips(
        &map3,
        "error deserializing and serialized map with 2 delta + new data",
    );
    assert_eq!(back.delta_chain_length(), 1, "delta over one flat parent");
    assert_eq!(
        map3.delta_chain_length(),
        2,
        "no compaction below the threshold"
    );
}

#[test]
fn open_hash_map_based_state_map_serializing_and_deserializing_with_compaction() {
    let (target_delta_length, delta_chain_threshold) = (10, 5);
    let mut map = StateMap::<i32, i32>::create(delta_chain_threshold).expect("valid threshold");
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 1..=target_delta_length {
        rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        put(&mut map, (rng >> 33) as i32, (rng >> 7) as i32, 1);
        map = map.copy();
    }
    assert!(map.delta_chain_length() > delta_chain_threshold as usize);
    assert!(map.should_compact());

    let deserialized = assert_round_trips(
        &map,
        "Deserialized + compacted map not same as original map",
    );
    assert!(deserialized.delta_chain_length() < delta_chain_threshold as usize);
    assert!(!deserialized.should_compact());
    // The same pass compacted the live map too.
    assert_eq!(map.delta_chain_length(), 1);
    assert!(!map.should_compact());
}

#[test]
fn open_hash_map_based_state_map_all_possible_sequences_of_operations_with_copies() {
    // Every key gets one of the 2^9 sequences of put/remove over 3 sets of 3 operations, with a
    // copy between sets; after every operation the map and the previous set's map must match
    // their reference maps (see Spark's table of keys × operations).
    let (num_sets, ops_per_set) = (3u32, 3u32);
    let num_total_ops = num_sets * ops_per_set;
    let num_keys = 2i32.pow(num_total_ops);

    let mut ref_map: Model = HashMap::new();
    let mut prev: Option<(StateMap<i32, i32>, Model)> = None;
    let mut map = StateMap::<i32, i32>::new();
    let mut time = 1u64;

    for set_id in 0..num_sets {
        for op_in_set in 0..ops_per_set {
            let op_id = set_id * ops_per_set + op_in_set;
            for key in 0..num_keys {
                time += 1;
                // Bit (num_total_ops - op_id - 1) of the key picks the operation.
                if (key >> (num_total_ops - op_id - 1)) & 1 == 0 {
                    let value = key.wrapping_mul(7919) ^ (op_id as i32) << 20;
                    put(&mut map, key, value, time);
                    ref_map.insert(key, (value, time));
                } else {
                    map.remove(&key);
                    ref_map.remove(&key);
                }
            }
            assert_matches(&map, &ref_map, "State map does not match reference map");
            if let Some((prev_map, prev_ref)) = &prev {
                let msg = "Parent state map somehow got modified, does not match reference map";
                assert_matches(prev_map, prev_ref, msg);
            }
        }
        let copy = map.copy();
        prev = Some((std::mem::replace(&mut map, copy), ref_map.clone()));
        assert_matches(
            &map,
            &ref_map,
            "State map does not match reference map after copying",
        );
    }
    assert_matches(
        &map,
        &ref_map,
        "Final state map does not match reference map",
    );
}

/// A state whose serde form is hand-written (Spark's `KryoState`, which only Kryo can write).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct CustomState(String);

impl Serialize for CustomState {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> std::result::Result<Z::Ok, Z::Error> {
        serializer.serialize_bytes(self.0.as_bytes())
    }
}

impl<'de> Deserialize<'de> for CustomState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let bytes = Vec::<u8>::deserialize(deserializer)?;
        String::from_utf8(bytes)
            .map(CustomState)
            .map_err(de::Error::custom)
    }
}

#[test]
fn open_hash_map_based_state_map_serializing_and_deserializing_with_custom_serde_states() {
    let mut map = StateMap::<CustomState, CustomState>::new();
    put(
        &mut map,
        CustomState("a".into()),
        CustomState("b".into()),
        1,
    );
    let back = round_trip(&map);
    assert_eq!(all(&back), all(&map));
    assert_eq!(
        back.get(&CustomState("a".into())),
        Some(CustomState("b".into()))
    );
}

#[test]
fn empty_state_map_serializing_and_deserializing() {
    let map = StateMap::<CustomState, CustomState>::empty();
    assert!(round_trip(&map).is_empty_state_map());
}

#[test]
fn map_with_state_rdd_record_serializing_and_deserializing_with_custom_serde_states() {
    // A MapWithStateRDDRecord is (state map, mapped data); here a tuple stands in for it.
    let mut map = StateMap::<CustomState, CustomState>::new();
    put(
        &mut map,
        CustomState("a".into()),
        CustomState("b".into()),
        1,
    );
    let record = (map, vec![CustomState("c".into())]);
    let bytes = serializer::serialize(&record).expect("serialize a record");
    let back: (StateMap<CustomState, CustomState>, Vec<CustomState>) =
        serializer::deserialize(&bytes).expect("deserialize a record");
    assert!(!back.0.ptr_eq(&record.0));
    assert_eq!(back.0.get_all(), record.0.get_all());
    assert_eq!(back.1, record.1);
}

// ---- rules of this port ----

#[test]
fn create_validates_like_sparks_constructor() {
    for bad in [0, -1] {
        let err = StateMap::<i32, i32>::create(bad).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(m) if m.contains("Invalid delta chain threshold"))
        );
        assert!(
            err.to_string().contains(DELTA_CHAIN_THRESHOLD_KEY),
            "says how to fix it: {err}"
        );
        let err = StateMap::<i32, i32>::with_capacity(bad, 20).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(m) if m.contains("Invalid initial capacity"))
        );
    }
    let map = StateMap::<i32, i32>::create(1).expect("1 is valid");
    assert_eq!(map.copy().delta_chain_length(), 1);
    assert!(map.copy().should_compact());
    assert!(!StateMap::<i32, i32>::new().copy().should_compact());
}

#[test]
fn delta_chain_length_should_compact_and_approx_size_follow_the_chain() {
    let mut map = StateMap::<i32, i32>::create(3).expect("valid");
    put(&mut map, 1, 1, 1);
    put(&mut map, 2, 2, 1);
    for (i, expected_len) in (1..=4).zip(1..) {
        map = map.copy();
        put(&mut map, 1, i, 1); // shadows key 1: approx_size over-counts it
        map.remove(&99); // a tombstone for an absent key still counts
        assert_eq!(map.delta_chain_length(), expected_len);
        assert_eq!(map.should_compact(), expected_len >= 3);
    }
    assert_eq!(map.approx_size(), 2 + 4 * 2);
    assert_eq!(all(&map), set(vec![(1, 4, 1), (2, 2, 1)]));
}

#[test]
fn serialization_compacts_the_live_map_and_its_children_see_the_new_chain() {
    let mut root = StateMap::<i32, i32>::create(2).expect("valid");
    put(&mut root, 1, 1, 1);
    let mut map = root.copy();
    put(&mut map, 2, 2, 2);
    let mut map = map.copy();
    put(&mut map, 3, 3, 3);
    map.remove(&1);
    let child = map.copy();
    assert_eq!(
        (map.delta_chain_length(), child.delta_chain_length()),
        (2, 3)
    );
    let expected = snapshot(&map);

    let _bytes = serializer::serialize(&map).expect("serialize");
    assert_eq!(
        (map.delta_chain_length(), child.delta_chain_length()),
        (1, 2)
    );
    assert_matches(&map, &expected, "compaction changed the contents");
    assert_matches(&child, &expected, "compaction changed a child's contents");
    assert_eq!(
        all(&root),
        set(vec![(1, 1, 1)]),
        "the old chain is untouched"
    );
}

#[test]
fn writes_to_a_map_after_copying_it_stay_out_of_the_copy() {
    let mut parent = StateMap::<i32, i32>::new();
    put(&mut parent, 1, 1, 1);
    let child = parent.copy();
    let clone = parent.clone();
    put(&mut parent, 2, 2, 2);
    parent.remove(&1);
    assert_eq!(all(&child), set(vec![(1, 1, 1)]));
    assert_eq!(all(&clone), set(vec![(1, 1, 1)]));
    assert_eq!(all(&parent), set(vec![(2, 2, 2)]));
}

#[test]
fn a_parent_serves_children_and_compactions_on_several_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<StateMap<String, Vec<u8>>>();

    let mut grandparent = StateMap::<i32, i32>::create(1).expect("valid");
    for k in 0..1000 {
        put(&mut grandparent, k, k, 1);
    }
    let mut parent = grandparent.copy();
    for k in 0..100 {
        parent.remove(&k);
    }
    let expected = snapshot(&parent);
    std::thread::scope(|s| {
        for i in 0..4 {
            let (parent, expected) = (&parent, &expected);
            s.spawn(move || {
                let mut child = parent.copy();
                for k in 0..1000 {
                    put(&mut child, k, k * i, 2);
                }
                let _ = serializer::serialize(parent).expect("compacts the shared parent");
                let back = round_trip(&child);
                assert_eq!(back.get_all().len(), 1000);
                assert_matches(
                    parent,
                    expected,
                    "a child or a compaction changed the parent",
                );
            });
        }
    });
    assert_eq!(parent.delta_chain_length(), 1);
    assert_matches(&parent, &expected, "after the threads");
}

#[test]
fn a_long_chain_reads_and_drops_without_recursion() {
    let mut map = StateMap::<u32, u32>::new();
    put(&mut map, 0, 0, 0);
    for i in 1..100_000 {
        map = map.copy();
        if i % 1000 == 0 {
            put(&mut map, i, i, u64::from(i));
        }
    }
    assert_eq!(map.delta_chain_length(), 99_999);
    assert_eq!(map.get(&0), Some(0));
    assert_eq!(map.get_all().len(), 100);
    drop(map);
}

/// The wire form by hand: variant 1, the threshold, an empty delta, then the parent entries.
fn hand_made_wire(threshold: u64, parent_keys: [i32; 2]) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend(1u32.to_le_bytes());
    bytes.extend(threshold.to_le_bytes());
    bytes.extend(0u64.to_le_bytes());
    bytes.extend(2u64.to_le_bytes());
    for key in parent_keys {
        bytes.extend(key.to_le_bytes());
        bytes.extend(key.to_le_bytes());
        bytes.extend(5u64.to_le_bytes());
    }
    bytes
}

#[test]
fn corrupt_bytes_are_refused() {
    let read = |bytes: &[u8]| serializer::deserialize::<StateMap<i32, i32>>(bytes);
    let ok = read(&hand_made_wire(20, [7, 8])).expect("well-formed");
    assert_eq!(all(&ok), set(vec![(7, 7, 5), (8, 8, 5)]));
    let err = read(&hand_made_wire(20, [7, 7])).unwrap_err();
    assert!(err.message().contains("repeats"), "{err}");
    let err = read(&hand_made_wire(0, [7, 8])).unwrap_err();
    assert!(
        err.message().contains("Invalid delta chain threshold"),
        "{err}"
    );

    let mut map = StateMap::<i32, i32>::new();
    put(&mut map, 1, 1, 1);
    let good = serializer::serialize(&map).expect("serialize");
    assert!(read(&good[..good.len() - 1]).is_err());
    let mut huge = good.clone();
    huge[12..20].copy_from_slice(&u64::MAX.to_le_bytes()); // the delta's length
    assert!(read(&huge).is_err());
}

#[test]
fn to_debug_string_draws_the_chain() {
    let mut map = StateMap::<i32, i32>::new();
    put(&mut map, 1, 10, 1);
    let mut map = map.copy();
    map.remove(&1);
    let text = map.to_debug_string();
    assert_eq!(text, "\n1 -> Live(10, 1)\n+--- 1 -> Deleted");
    assert_eq!(StateMap::<i32, i32>::empty().to_debug_string(), "");
    assert!(format!("{map:?}").contains("delta_chain_length: 1"));
}

// ---- the model test ----

#[derive(Debug, Clone)]
enum Op {
    Put(i32, i32, u64),
    Remove(i32),
    Copy,
    RoundTrip,
    Serialize,
    PutIntoOlder(usize, i32, i32, u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..12i32, any::<i32>(), 0..40u64).prop_map(|(k, s, t)| Op::Put(k, s, t)),
        3 => (0..12i32).prop_map(Op::Remove),
        3 => Just(Op::Copy),
        1 => Just(Op::RoundTrip),
        1 => Just(Op::Serialize),
        1 => (any::<usize>(), 0..12i32, any::<i32>(), 0..40u64)
            .prop_map(|(back, k, s, t)| Op::PutIntoOlder(back, k, s, t)),
    ]
}

proptest! {
    #[test]
    fn state_map_matches_a_chain_of_hash_map_snapshots(
        threshold in 1i64..5,
        ops in prop::collection::vec(op(), 0..80),
    ) {
        // history[i] is a map made at some point and still alive; models[i] what it must hold.
        let mut history = vec![StateMap::<i32, i32>::create(threshold).expect("valid")];
        let mut models = vec![HashMap::<i32, (i32, u64)>::new()];
        for op in ops {
            let top = history.len() - 1;
            match op {
                Op::Put(k, s, t) => {
                    put(&mut history[top], k, s, t);
                    models[top].insert(k, (s, t));
                }
                Op::Remove(k) => {
                    history[top].remove(&k);
                    models[top].remove(&k);
                }
                Op::Copy => {
                    let child = history[top].copy();
                    prop_assert_eq!(child.delta_chain_length(), history[top].delta_chain_length() + 1);
                    history.push(child);
                    models.push(models[top].clone());
                }
                Op::RoundTrip => {
                    history[top] = round_trip(&history[top]);
                    prop_assert_eq!(history[top].delta_chain_length(), 1);
                }
                Op::Serialize => {
                    let (before, compact) = (history[top].delta_chain_length(), history[top].should_compact());
                    serializer::serialize(&history[top]).expect("serialize");
                    let after = history[top].delta_chain_length();
                    prop_assert_eq!(after, if compact { 1 } else { before });
                }
                Op::PutIntoOlder(back, k, s, t) => {
                    let i = top - back % history.len();
                    put(&mut history[i], k, s, t);
                    models[i].insert(k, (s, t));
                }
            }
            for (map, model) in history.iter().zip(&models) {
                assert_matches(map, model, "a map differs from its model");
            }
        }
    }
}
