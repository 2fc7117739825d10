//! Stateful streams: Spark's MapWithStateSuite and BasicOperationsSuite's updateStateByKey
//! cases on the manual clock, the checkpoint-interval rules, State misuse, and executor deaths
//! mid-stream.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{context, context_with};
use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

type Collected<T> = Arc<Mutex<Vec<Vec<T>>>>;

fn collect<T: Data>(stream: &DStream<T>) -> Collected<T> {
    let out: Collected<T> = Arc::default();
    let o = out.clone();
    stream.foreach_rdd(move |rdd, _| {
        o.lock().push(rdd.collect()?);
        Ok(())
    });
    out
}

/// A context on `master`, a one-second manual-clock streaming context on it, and its
/// checkpoint folder (kept alive by the caller).
fn checkpointed(master: &str) -> (SparkContext, StreamingContext, tempfile::TempDir) {
    let sc = context(master);
    let dir = tempfile::tempdir().unwrap();
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path()).unwrap();
    (sc, ssc, dir)
}

fn words(batches: &[&[&str]]) -> Vec<Vec<String>> {
    batches
        .iter()
        .map(|b| b.iter().map(|s| s.to_string()).collect())
        .collect()
}

fn as_sets<T: Ord + Clone>(v: &[Vec<T>]) -> Vec<BTreeSet<T>> {
    v.iter().map(|b| b.iter().cloned().collect()).collect()
}

fn pairs(v: &[&[(&str, i32)]]) -> Vec<BTreeSet<(String, i32)>> {
    v.iter()
        .map(|b| b.iter().map(|(k, s)| (k.to_string(), *s)).collect())
        .collect()
}

/// Spark's `MapWithStateSuite.getOperationOutput`: input words mapped to (word, 1), run for
/// `batches` batches; returns (outputs, snapshots).
fn map_with_state_output<S: Data, E: Data + Ord>(
    sc: &SparkContext,
    input: Vec<Vec<String>>,
    spec: StateSpec<String, i32, S, E>,
    batches: usize,
) -> (Vec<Vec<E>>, Vec<Vec<(String, S)>>) {
    let dir = tempfile::tempdir().unwrap();
    let ssc = StreamingContext::with_manual_clock(sc, Duration::seconds(1));
    ssc.checkpoint(dir.path()).unwrap();
    let stream = ssc
        .queue_stream(input, true)
        .map(|w| (w, 1))
        .map_with_state(spec);
    let outputs = collect(&stream);
    let snapshots = collect(&stream.state_snapshots());
    ssc.start().unwrap();
    ssc.run_batches(batches).unwrap();
    ssc.stop(false, false);
    let o = outputs.lock().clone();
    let s = snapshots.lock().clone();
    (o, s)
}

const INPUT: &[&[&str]] = &[
    &[],
    &["a"],
    &["a", "b"],
    &["a", "b", "c"],
    &["a", "b"],
    &["a"],
    &[],
];

const RUNNING_COUNTS: &[&[(&str, i32)]] = &[
    &[],
    &[("a", 1)],
    &[("a", 2), ("b", 1)],
    &[("a", 3), ("b", 2), ("c", 1)],
    &[("a", 4), ("b", 3), ("c", 1)],
    &[("a", 5), ("b", 3), ("c", 1)],
    &[("a", 5), ("b", 3), ("c", 1)],
];

#[test]
fn map_with_state_basic_operations_with_simple_api() {
    let sc = context("local");
    let spec = StateSpec::function(|_k: &String, v: Option<i32>, s: &mut State<i32>| {
        let sum = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
        s.update(sum);
        sum
    });
    let (out, snaps) = map_with_state_output(&sc, words(INPUT), spec, 7);
    let want: Vec<Vec<i32>> = vec![
        vec![],
        vec![1],
        vec![2, 1],
        vec![3, 2, 1],
        vec![4, 3],
        vec![5],
        vec![],
    ];
    assert_eq!(as_sets(&out), as_sets(&want));
    assert_eq!(as_sets(&snaps), pairs(RUNNING_COUNTS));
}

#[test]
fn map_with_state_basic_operations_with_advanced_api() {
    let sc = context("local");
    let spec =
        StateSpec::function_with_time(|_t, k: &String, v: Option<i32>, s: &mut State<i32>| {
            let sum = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
            s.update(sum);
            Some(k.repeat(2))
        });
    let (out, snaps) = map_with_state_output(&sc, words(INPUT), spec, 7);
    let want = words(&[
        &[],
        &["aa"],
        &["aa", "bb"],
        &["aa", "bb", "cc"],
        &["aa", "bb"],
        &["aa"],
        &[],
    ]);
    assert_eq!(as_sets(&out), as_sets(&want));
    assert_eq!(as_sets(&snaps), pairs(RUNNING_COUNTS));
}

#[test]
fn map_with_state_states_as_mapped_data() {
    let sc = context("local");
    let spec =
        StateSpec::function_with_time(|_t, k: &String, v: Option<i32>, s: &mut State<i32>| {
            let sum = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
            s.update(sum);
            Some((k.clone(), sum))
        });
    let (out, snaps) = map_with_state_output(&sc, words(INPUT), spec, 7);
    let want: &[&[(&str, i32)]] = &[
        &[],
        &[("a", 1)],
        &[("a", 2), ("b", 1)],
        &[("a", 3), ("b", 2), ("c", 1)],
        &[("a", 4), ("b", 3)],
        &[("a", 5)],
        &[],
    ];
    assert_eq!(as_sets(&out), pairs(want));
    assert_eq!(as_sets(&snaps), pairs(RUNNING_COUNTS));
}

#[test]
fn map_with_state_initial_states_with_nothing_returned() {
    let sc = context("local");
    let initial = sc.parallelize(
        vec![
            ("a".to_string(), 5),
            ("b".to_string(), 10),
            ("c".to_string(), -20),
            ("d".to_string(), 0),
        ],
        2,
    );
    let spec =
        StateSpec::function_with_time(|_t, _k: &String, v: Option<i32>, s: &mut State<i32>| {
            let sum = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
            s.update(sum);
            None::<i32>
        })
        .initial_state(initial);
    let (out, snaps) = map_with_state_output(&sc, words(INPUT), spec, 7);
    assert!(out.iter().all(Vec::is_empty));
    let want: &[&[(&str, i32)]] = &[
        &[("a", 5), ("b", 10), ("c", -20), ("d", 0)],
        &[("a", 6), ("b", 10), ("c", -20), ("d", 0)],
        &[("a", 7), ("b", 11), ("c", -20), ("d", 0)],
        &[("a", 8), ("b", 12), ("c", -19), ("d", 0)],
        &[("a", 9), ("b", 13), ("c", -19), ("d", 0)],
        &[("a", 10), ("b", 13), ("c", -19), ("d", 0)],
        &[("a", 10), ("b", 13), ("c", -19), ("d", 0)],
    ];
    assert_eq!(as_sets(&snaps), pairs(want));
}

#[test]
fn map_with_state_state_removing() {
    let sc = context("local");
    let input = words(&[
        &[],
        &["a"],
        &["a", "b"],
        &["a", "b", "c"],
        &["a", "b", "c"],
        &["a", "b"],
        &["a"],
        &[],
    ]);
    let spec =
        StateSpec::function_with_time(|_t, k: &String, v: Option<i32>, s: &mut State<i32>| {
            if s.exists() {
                s.remove();
                Some(k.clone())
            } else {
                s.update(v.unwrap_or_default());
                None
            }
        })
        .num_partitions(1);
    let (out, snaps) = map_with_state_output(&sc, input, spec, 8);
    let want = words(&[&[], &[], &["a"], &["b"], &["a", "c"], &["b"], &["a"], &[]]);
    assert_eq!(as_sets(&out), as_sets(&want));
    let want_snaps: &[&[(&str, i32)]] = &[
        &[],
        &[("a", 1)],
        &[("b", 1)],
        &[("a", 1), ("c", 1)],
        &[("b", 1)],
        &[("a", 1)],
        &[],
        &[],
    ];
    assert_eq!(as_sets(&snaps), pairs(want_snaps));
}

#[test]
fn map_with_state_state_timing_out() {
    let sc = context("local");
    let mut input = words(&[&["a", "b", "c"], &["a", "b"], &["a"], &[], &[], &["a"]]);
    input.extend(std::iter::repeat_n(vec!["a".to_string()], 20));
    let spec =
        StateSpec::function_with_time(|_t, k: &String, v: Option<i32>, s: &mut State<i32>| {
            if v.is_some() {
                s.update(1);
            }
            s.is_timing_out().then(|| k.clone())
        })
        .timeout(Duration::seconds(3));
    let (out, snaps) = map_with_state_output(&sc, input, spec, 20);
    let mut timed_out: Vec<String> = out.into_iter().flatten().collect();
    timed_out.sort();
    assert_eq!(timed_out, vec!["b".to_string(), "c".to_string()]);
    let all: BTreeSet<(String, i32)> = pairs(&[&[("a", 1), ("b", 1), ("c", 1)]])[0].clone();
    assert!(as_sets(&snaps).contains(&all));
    assert_eq!(as_sets(&snaps).last().unwrap(), &pairs(&[&[("a", 1)]])[0]);
    // Spark detects timeouts only on checkpoint batches (every 10 here): b and c, idle since
    // batches 2 and 1, are still in the state at batch 9 and gone at batch 10.
    assert_eq!(snaps[8].len(), 3);
    assert_eq!(snaps[9].len(), 1);
}

#[test]
fn map_with_state_checkpoint_durations() {
    let cases = [
        (Duration::milliseconds(100), Duration::seconds(1), None),
        (Duration::seconds(1), Duration::seconds(10), None),
        (Duration::seconds(10), Duration::seconds(100), None),
        (
            Duration::milliseconds(100),
            Duration::seconds(2),
            Some(Duration::seconds(2)),
        ),
        (
            Duration::seconds(1),
            Duration::seconds(2),
            Some(Duration::seconds(2)),
        ),
        (
            Duration::seconds(10),
            Duration::seconds(20),
            Some(Duration::seconds(20)),
        ),
    ];
    for (batch, expected, explicit) in cases {
        let sc = context("local");
        let dir = tempfile::tempdir().unwrap();
        let ssc = StreamingContext::with_manual_clock(&sc, batch);
        let stream = ssc
            .queue_stream(Vec::<Vec<i32>>::new(), true)
            .map(|x| (x, 1))
            .map_with_state(StateSpec::function(
                |_k: &i32, _v: Option<i32>, _s: &mut State<i32>| 0,
            ));
        if let Some(d) = explicit {
            stream.checkpoint(d);
        }
        stream.foreach_rdd(|_, _| Ok(()));
        ssc.checkpoint(dir.path()).unwrap();
        ssc.start().unwrap();
        assert_eq!(
            stream.checkpoint_interval(),
            None,
            "the facade has no interval of its own"
        );
        assert_eq!(
            stream.state_checkpoint_interval(),
            Some(expected),
            "batch {batch}"
        );
        ssc.stop(false, false);
    }
}

#[test]
fn map_with_state_needs_a_checkpoint_dir() {
    let sc = context("local");
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let stream = ssc
        .queue_stream(vec![vec![1]], true)
        .map(|x| (x, 1))
        .map_with_state(StateSpec::function(
            |_k: &i32, _v: Option<i32>, _s: &mut State<i32>| 0,
        ));
    stream.foreach_rdd(|_, _| Ok(()));
    assert!(matches!(ssc.start(), Err(Error::CheckpointDirNotSet(_))));
}

#[test]
fn misusing_state_fails_the_job_with_sparks_message() {
    let sc = context_with("local", &[("sparklet.task.maxFailures", "2")]);
    let dir = tempfile::tempdir().unwrap();
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path()).unwrap();
    let stream = ssc
        .queue_stream(vec![vec![("k".to_string(), 1)]], true)
        .map_with_state(StateSpec::function(
            |_k: &String, v: Option<i32>, s: &mut State<i32>| {
                s.remove();
                s.update(v.unwrap_or(0)); // update after remove: Spark's IllegalArgumentException
                0
            },
        ));
    stream.foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    ssc.start().unwrap();
    let err = ssc.run_batches(1).unwrap_err();
    assert!(
        matches!(&err, Error::JobAborted(m) if m.contains("requirement failed: Cannot update the state after it has been removed")),
        "{err:?}"
    );
}

#[test]
fn state_stream_rdds_are_persisted_and_checkpointed_every_ten_batches() {
    let (sc, ssc, _dir) = checkpointed("local[2]");
    let input: Vec<Vec<(String, i32)>> =
        (0..25).map(|i| vec![(format!("k{}", i % 3), 1)]).collect();
    let stream = ssc
        .queue_stream(input, true)
        .map_with_state(StateSpec::function(
            |_k: &String, v: Option<i32>, s: &mut State<i32>| {
                let n = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
                s.update(n);
                n
            },
        ));
    let snapshots = collect(&stream.state_snapshots());
    assert_eq!(stream.state_storage_level(), StorageLevel::MEMORY_ONLY);
    ssc.start().unwrap();
    ssc.run_batches(25).unwrap();
    let snaps = snapshots.lock().clone();
    let total: i32 = snaps.last().unwrap().iter().map(|(_, n)| n).sum();
    assert_eq!(total, 25);
    // The state RDDs of batches 10 and 20 were checkpointed: their folders exist.
    let rdd_dirs = std::fs::read_dir(sc.checkpoint_dir().unwrap())
        .unwrap()
        .count();
    assert!(rdd_dirs >= 2, "{rdd_dirs} checkpointed RDDs");
}

// ---------------------------------------------------------------- updateStateByKey

#[test]
fn update_state_by_key_basic() {
    // BasicOperationsSuite "updateStateByKey".
    let (_sc, ssc, _dir) = checkpointed("local[2]");
    let input = words(&[
        &["a"],
        &["a", "b"],
        &["a", "b", "c"],
        &["a", "b"],
        &["b"],
        &[],
    ]);
    let stream = ssc
        .queue_stream(input, true)
        .map(|w| (w, 1))
        .update_state_by_key(|vs: &[i32], s: Option<i32>| {
            Some(s.unwrap_or(0) + vs.iter().sum::<i32>())
        });
    let out = collect(&stream);
    ssc.start().unwrap();
    ssc.run_batches(6).unwrap();
    let want: &[&[(&str, i32)]] = &[
        &[("a", 1)],
        &[("a", 2), ("b", 1)],
        &[("a", 3), ("b", 2), ("c", 1)],
        &[("a", 4), ("b", 3), ("c", 1)],
        &[("a", 4), ("b", 4), ("c", 1)],
        &[("a", 4), ("b", 4), ("c", 1)],
    ];
    assert_eq!(as_sets(&out.lock()), pairs(want));
}

#[test]
fn update_state_by_key_visits_every_key_and_none_removes() {
    let (_sc, ssc, _dir) = checkpointed("local[2]");
    let calls: Arc<Mutex<Vec<(usize, Option<i32>)>>> = Arc::default();
    let c = calls.clone();
    let input = words(&[&["a", "b"], &["a"], &[]]);
    let stream = ssc
        .queue_stream(input, true)
        .map(|w| (w, 1))
        .update_state_by_key(move |vs: &[i32], s: Option<i32>| {
            c.lock().push((vs.len(), s));
            // b is dropped the first time it has no new value.
            if vs.is_empty() && s == Some(1) {
                return None;
            }
            Some(s.unwrap_or(0) + vs.len() as i32)
        });
    let out = collect(&stream);
    ssc.start().unwrap();
    ssc.run_batches(3).unwrap();
    let want: &[&[(&str, i32)]] = &[&[("a", 1), ("b", 1)], &[("a", 2)], &[("a", 2)]];
    assert_eq!(as_sets(&out.lock()), pairs(want));
    // Every key of the previous state is visited each batch, with an empty Seq when idle.
    assert_eq!(calls.lock().len(), 2 + 2 + 1);
}

#[test]
fn update_state_by_key_with_an_initial_rdd() {
    // BasicOperationsSuite "updateStateByKey - with initial value RDD".
    let (sc, ssc, _dir) = checkpointed("local[2]");
    let initial = sc.parallelize(vec![("a".to_string(), 1), ("c".to_string(), 2)], 2);
    let input = words(&[
        &["a"],
        &["a", "b"],
        &["a", "b", "c"],
        &["a", "b"],
        &["b"],
        &[],
    ]);
    let stream = ssc
        .queue_stream(input, true)
        .map(|w| (w, 1))
        .update_state_by_key_with(
            |vs: &[i32], s: Option<i32>| Some(s.unwrap_or(0) + vs.iter().sum::<i32>()),
            Partitioner::hash(3),
            Some(initial),
        );
    let out = collect(&stream);
    ssc.start().unwrap();
    ssc.run_batches(6).unwrap();
    let want: &[&[(&str, i32)]] = &[
        &[("a", 2), ("c", 2)],
        &[("a", 3), ("b", 1), ("c", 2)],
        &[("a", 4), ("b", 2), ("c", 3)],
        &[("a", 5), ("b", 3), ("c", 3)],
        &[("a", 5), ("b", 4), ("c", 3)],
        &[("a", 5), ("b", 4), ("c", 3)],
    ];
    assert_eq!(as_sets(&out.lock()), pairs(want));
}

#[test]
fn update_state_by_key_remembers_and_checkpoints_as_spark() {
    // D10: updateStateByKey with checkpoint(3 s): remember 6 s; at 10 s it holds 10000, not 4000.
    let (_sc, ssc, _dir) = checkpointed("local[2]");
    let input: Vec<Vec<String>> = (0..10).map(|i| vec![format!("k{}", i % 2)]).collect();
    let state = ssc
        .queue_stream(input, true)
        .map(|w| (w, 1))
        .update_state_by_key(|vs: &[i32], s: Option<i32>| Some(s.unwrap_or(0) + vs.len() as i32))
        .checkpoint(Duration::seconds(3));
    state.foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    ssc.start().unwrap();
    assert_eq!(state.remember_duration(), Some(Duration::seconds(6)));
    ssc.run_batches(10).unwrap();
    let times = state.generated_rdd_times();
    assert!(times.contains(&Time::new(10_000)));
    assert!(!times.contains(&Time::new(4_000)));
}

#[test]
fn update_state_by_key_default_interval_is_the_smallest_multiple_of_the_batch_over_10s() {
    for (batch, want) in [(1000, 10_000), (3000, 12_000), (15_000, 15_000)] {
        let sc = context("local");
        let dir = tempfile::tempdir().unwrap();
        let ssc = StreamingContext::with_manual_clock(&sc, Duration::milliseconds(batch));
        ssc.checkpoint(dir.path()).unwrap();
        let s = ssc
            .queue_stream(Vec::<Vec<(i32, i32)>>::new(), true)
            .update_state_by_key(|_vs: &[i32], s: Option<i32>| s);
        s.foreach_rdd(|_, _| Ok(()));
        ssc.start().unwrap();
        assert_eq!(s.checkpoint_interval(), Some(Duration::milliseconds(want)));
        assert_eq!(s.storage_level(), StorageLevel::MEMORY_ONLY_SER);
    }
}

// ---------------------------------------------------------------- executor deaths

fn word_state_run(kill: bool) -> (Vec<(String, i64)>, Vec<(String, i64)>) {
    let (sc, ssc, _dir) = checkpointed("local-cluster[3,1,64]");
    let input: Vec<Vec<String>> = (0..30)
        .map(|b| {
            (0..20)
                .map(|i| format!("w{}", (b * 7 + i * 3) % 23))
                .collect()
        })
        .collect();
    let pairs = ssc.queue_stream(input, true).map(|w| (w, 1i64));
    let mapped = pairs.map_with_state(StateSpec::function(
        |_k: &String, v: Option<i64>, s: &mut State<i64>| {
            let n = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
            s.update(n);
            n
        },
    ));
    let snaps = collect(&mapped.state_snapshots());
    let updated = collect(&pairs.update_state_by_key(|vs: &[i64], s: Option<i64>| {
        Some(s.unwrap_or(0) + vs.iter().sum::<i64>())
    }));
    ssc.start().unwrap();
    ssc.run_batches(12).unwrap();
    if kill {
        let ids = sc.executor_ids();
        sc.kill_executor(&ids[0]).unwrap();
        sc.kill_executor(&ids[1]).unwrap();
    }
    ssc.run_batches(18).unwrap();
    let mut a = snaps.lock().last().unwrap().clone();
    let mut b = updated.lock().last().unwrap().clone();
    a.sort();
    b.sort();
    (a, b)
}

#[test]
fn killing_two_of_three_executors_mid_stream_loses_no_state() {
    let clean = word_state_run(false);
    let killed = word_state_run(true);
    assert_eq!(clean.0.iter().map(|(_, n)| n).sum::<i64>(), 600);
    assert_eq!(killed, clean);
}
