//! Spark Streaming's WindowOperationsSuite on the manual clock (window, reduceByKeyAndWindow
//! naive and incremental, countByWindow), the incremental form against a plain computation
//! for random inputs, and the remember durations of windowed streams (BasicOperationsSuite's
//! "forgetting of RDDs" numbers).

mod common;

use std::sync::Arc;

use common::{context, sorted};
use parking_lot::Mutex;
use proptest::prelude::*;
use sparklet::prelude::*;
use sparklet::streaming::*;

type Pairs = Vec<(String, i64)>;

/// Spark's `testOperation`: a queue stream of `input` (one batch a second), `op` on it, and the
/// sorted output of every batch the output stream ran, for `batches` batches. A checkpoint
/// folder is set, as Spark's TestSuiteBase does.
fn run_windowed<T: Data, U: Data + Ord>(
    input: Vec<Vec<T>>,
    batches: usize,
    op: impl FnOnce(DStream<T>) -> DStream<U>,
) -> Vec<Vec<U>> {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().expect("tempdir");
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path()).expect("checkpoint dir");
    let source = ssc.queue_stream(input, true);
    // Spark's TestInputStream gives batch i to time i whoever asks; a queue stream hands out
    // its next batch when first asked, so an output on it makes every batch time ask in turn.
    source.foreach_rdd(|_, _| Ok(()));
    let out = op(source);
    let collected = Arc::new(Mutex::new(Vec::new()));
    let c = collected.clone();
    out.foreach_rdd(move |rdd, _| {
        c.lock().push(sorted(rdd.collect()?));
        Ok(())
    });
    ssc.start().expect("start");
    ssc.run_batches(batches).expect("batches");
    ssc.stop(true, false);
    let v = collected.lock().clone();
    v
}

fn ints(batches: &[&[i32]]) -> Vec<Vec<i32>> {
    batches.iter().map(|b| b.to_vec()).collect()
}

fn pairs(batches: &[&[(&str, i64)]]) -> Vec<Pairs> {
    batches
        .iter()
        .map(|b| b.iter().map(|(k, v)| (k.to_string(), *v)).collect())
        .collect()
}

fn secs(s: u64) -> Duration {
    Duration::seconds(s)
}

// ------------------------------------------------------------------------------ window

fn test_window(expected: &[&[i32]], window: u64, slide: u64) {
    let input = ints(&[&[0], &[1], &[2], &[3], &[4], &[5]]);
    let batches = expected.len() * slide as usize;
    let out = run_windowed(input, batches, |s| s.window(secs(window), secs(slide)));
    assert_eq!(out, ints(expected), "window {window} s, slide {slide} s");
}

/// WindowOperationsSuite: "window - basic window"
#[test]
fn window_basic() {
    let expected: &[&[i32]] = &[&[0], &[0, 1], &[1, 2], &[2, 3], &[3, 4], &[4, 5]];
    test_window(expected, 2, 1);
}

/// WindowOperationsSuite: "window - tumbling window"
#[test]
fn window_tumbling() {
    test_window(&[&[0, 1], &[2, 3], &[4, 5]], 2, 2);
}

/// WindowOperationsSuite: "window - larger window"
#[test]
fn window_larger_window() {
    test_window(&[&[0, 1], &[0, 1, 2, 3], &[2, 3, 4, 5], &[4, 5]], 4, 2);
}

/// WindowOperationsSuite: "window - non-overlapping window"
#[test]
fn window_non_overlapping() {
    test_window(&[&[1, 2], &[4, 5]], 2, 3);
}

#[test]
fn window_rejects_durations_not_multiple_of_the_parent_slide() {
    let sc = context("local[2]");
    let ssc = StreamingContext::with_manual_clock(&sc, secs(1));
    let w = ssc
        .queue_stream(vec![vec![1]], true)
        .window(Duration::milliseconds(1500), secs(1));
    w.foreach_rdd(|_, _| Ok(()));
    match ssc.start() {
        Err(Error::InvalidArgument(m)) => assert!(
            m.contains("The window duration of windowed DStream (1500 ms) must be a multiple")
        ),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

// ------------------------------------------------------------ reduceByKeyAndWindow inputs

fn larger_slide_input() -> Vec<Pairs> {
    pairs(&[
        &[("a", 1)],
        &[("a", 2)],
        &[("a", 3)],
        &[("a", 4)],
        &[("a", 5)],
        &[("a", 6)],
        &[],
        &[],
    ])
}

fn larger_slide_output() -> Vec<Pairs> {
    pairs(&[&[("a", 3)], &[("a", 10)], &[("a", 18)], &[("a", 11)]])
}

fn big_input() -> Vec<Pairs> {
    let a: &[(&str, i64)] = &[("a", 1)];
    let ab: &[(&str, i64)] = &[("a", 1), ("b", 1)];
    let abc: &[(&str, i64)] = &[("a", 1), ("b", 1), ("c", 1)];
    pairs(&[a, ab, abc, ab, a, &[], a, ab, abc, ab, a, &[]])
}

fn big_reduce_output() -> Vec<Pairs> {
    let a1: &[(&str, i64)] = &[("a", 1)];
    let a2b1: &[(&str, i64)] = &[("a", 2), ("b", 1)];
    let a2b2c1: &[(&str, i64)] = &[("a", 2), ("b", 2), ("c", 1)];
    pairs(&[
        a1, a2b1, a2b2c1, a2b2c1, a2b1, a1, a1, a2b1, a2b2c1, a2b2c1, a2b1, a1,
    ])
}

/// Without a filter, keys whose count went back to 0 stay in the incremental form.
fn big_reduce_inv_output() -> Vec<Pairs> {
    let a2b1c0: &[(&str, i64)] = &[("a", 2), ("b", 1), ("c", 0)];
    let a1b0c0: &[(&str, i64)] = &[("a", 1), ("b", 0), ("c", 0)];
    let a2b2c1: &[(&str, i64)] = &[("a", 2), ("b", 2), ("c", 1)];
    pairs(&[
        &[("a", 1)],
        &[("a", 2), ("b", 1)],
        a2b2c1,
        a2b2c1,
        a2b1c0,
        a1b0c0,
        a1b0c0,
        a2b1c0,
        a2b2c1,
        a2b2c1,
        a2b1c0,
        a1b0c0,
    ])
}

fn reduce_naive(input: Vec<Pairs>, expected: Vec<Pairs>, window: u64, slide: u64) {
    let batches = expected.len() * slide as usize;
    let out = run_windowed(input, batches, |s| {
        s.reduce_by_key_and_window(|a, b| a + b, secs(window), secs(slide))
    });
    assert_eq!(out, expected);
}

fn reduce_inv(input: Vec<Pairs>, expected: Vec<Pairs>, window: u64, slide: u64) {
    let batches = expected.len() * slide as usize;
    let out = run_windowed(input, batches, |s| {
        s.reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, secs(window), secs(slide))
            // A large interval, as in Spark's suite, so checkpointing does not interfere.
            .checkpoint(secs(100))
    });
    assert_eq!(out, expected);
}

/// Spark's small reduceByKeyAndWindow cases: (input, naive output, incremental output).
fn small_cases() -> Vec<(Vec<Pairs>, Vec<Pairs>, Vec<Pairs>)> {
    vec![
        // basic reduction
        (
            pairs(&[&[("a", 1), ("a", 3)]]),
            pairs(&[&[("a", 4)]]),
            pairs(&[&[("a", 4)]]),
        ),
        // key already in window and new value added into window
        (
            pairs(&[&[("a", 1)], &[("a", 1)]]),
            pairs(&[&[("a", 1)], &[("a", 2)]]),
            pairs(&[&[("a", 1)], &[("a", 2)]]),
        ),
        // new key added into window
        (
            pairs(&[&[("a", 1)], &[("a", 1), ("b", 1)]]),
            pairs(&[&[("a", 1)], &[("a", 2), ("b", 1)]]),
            pairs(&[&[("a", 1)], &[("a", 2), ("b", 1)]]),
        ),
        // key removed from window
        (
            pairs(&[&[("a", 1)], &[("a", 1)], &[], &[]]),
            pairs(&[&[("a", 1)], &[("a", 2)], &[("a", 1)], &[]]),
            pairs(&[&[("a", 1)], &[("a", 2)], &[("a", 1)], &[("a", 0)]]),
        ),
    ]
}

/// WindowOperationsSuite: "reduceByKeyAndWindow - basic reduction", "- key already in window
/// and new value added into window", "- new key added into window", "- key removed from window"
#[test]
fn reduce_by_key_and_window_small_cases() {
    for (input, naive, _) in small_cases() {
        reduce_naive(input, naive, 2, 1);
    }
}

/// WindowOperationsSuite: "reduceByKeyAndWindow - larger slide time"
#[test]
fn reduce_by_key_and_window_larger_slide() {
    reduce_naive(larger_slide_input(), larger_slide_output(), 4, 2);
}

/// WindowOperationsSuite: "reduceByKeyAndWindow - big test"
#[test]
fn reduce_by_key_and_window_big() {
    reduce_naive(big_input(), big_reduce_output(), 2, 1);
}

/// WindowOperationsSuite: "reduceByKeyAndWindow with inverse function - basic reduction",
/// "- key already in window and new value added into window", "- new key added into window",
/// "- key removed from window"
#[test]
fn reduce_by_key_and_window_inv_small_cases() {
    for (input, _, incremental) in small_cases() {
        reduce_inv(input, incremental, 2, 1);
    }
}

/// WindowOperationsSuite: "reduceByKeyAndWindow with inverse function - larger slide time"
#[test]
fn reduce_by_key_and_window_inv_larger_slide() {
    reduce_inv(larger_slide_input(), larger_slide_output(), 4, 2);
}

/// WindowOperationsSuite: "reduceByKeyAndWindow with inverse function - big test"
#[test]
fn reduce_by_key_and_window_inv_big_keeps_zero_keys() {
    reduce_inv(big_input(), big_reduce_inv_output(), 2, 1);
}

/// WindowOperationsSuite: "countByWindow". Spark's `countByWindow` is
/// `map(_ => 1).reduceByWindow(_ + _, _ - _, ...)`, the incremental form on one key; the last
/// window is empty and still counts 0.
#[test]
fn count_by_window() {
    let input = ints(&[&[1], &[1], &[1, 2], &[0], &[], &[]]);
    let out = run_windowed(input, 6, |s| s.count_by_window(secs(2), secs(1)));
    assert_eq!(
        out,
        vec![vec![1], vec![2], vec![3], vec![3], vec![1], vec![0]]
    );
}

/// countByWindow's composition spelled out (map to one key, the incremental window, map back)
/// gives the same counts.
#[test]
fn count_by_window_is_spark_composition() {
    let input = ints(&[&[1], &[1], &[1, 2], &[0], &[], &[]]);
    let out = run_windowed(input, 6, |s| {
        s.map(|_| ((), 1i64))
            .reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, secs(2), secs(1))
            .map(|((), n)| n)
    });
    assert_eq!(
        out,
        vec![vec![1], vec![2], vec![3], vec![3], vec![1], vec![0]]
    );
}

/// WindowOperationsSuite: "countByValueAndWindow"
#[test]
fn count_by_value_and_window() {
    let input: Vec<Vec<String>> = vec![
        vec!["a".into()],
        vec!["b".into(), "b".into()],
        vec!["a".into(), "b".into()],
    ];
    let out = run_windowed(input, 3, |s| s.count_by_value_and_window(secs(2), secs(1)));
    let expected: Vec<Vec<(String, u64)>> = vec![
        vec![("a".into(), 1)],
        vec![("a".into(), 1), ("b".into(), 2)],
        vec![("a".into(), 1), ("b".into(), 3)],
    ];
    assert_eq!(out, expected);
}

/// WindowOperationsSuite: "reduceByKeyAndWindow with inverse and filter functions - big test",
/// through the one public form with Spark's filter: countByValueAndWindow is the incremental
/// window of `(x, 1)` filtered on counts that are not 0, so counting the keys of the big input
/// (all values 1) gives the naive output, the keys back at 0 dropped.
#[test]
fn reduce_by_key_and_window_inv_filtered_big() {
    let out = run_windowed(big_input(), 12, |s| {
        s.map(|(k, _)| k)
            .count_by_value_and_window(secs(2), secs(1))
            .map(|(k, n)| (k, n as i64))
    });
    assert_eq!(out, big_reduce_output());
}

/// WindowOperationsSuite: "groupByKeyAndWindow"
#[test]
fn group_by_key_and_window() {
    let out = run_windowed(big_input(), 12, |s| {
        s.group_by_key_and_window(secs(2), secs(1))
            .map_values(|mut vs| {
                vs.sort();
                vs
            })
    });
    // Spark compares the groups as sets: the values are all 1, so the set is {1}.
    let as_sets: Vec<Vec<(String, Vec<i64>)>> = out
        .into_iter()
        .map(|b| {
            b.into_iter()
                .map(|(k, mut vs)| {
                    vs.dedup();
                    (k, vs)
                })
                .collect()
        })
        .collect();
    let expected: Vec<Vec<(String, Vec<i64>)>> = big_reduce_output()
        .into_iter()
        .map(|b| b.into_iter().map(|(k, _)| (k, vec![1])).collect())
        .collect();
    assert_eq!(as_sets, expected);
}

/// groupByKeyAndWindow keeps every value of the window (before Spark's suite turns the groups
/// into sets): the group sizes are the naive window counts.
#[test]
fn group_by_key_and_window_keeps_every_value() {
    let out = run_windowed(big_input(), 12, |s| {
        s.group_by_key_and_window(secs(2), secs(1))
            .map_values(|vs| vs.len() as i64)
    });
    assert_eq!(out, big_reduce_output());
}

/// reduceByWindow, plain (`reduce(f).window(w, s).reduce(f)`) and incremental
/// (`map((1, _)).reduceByKeyAndWindow(f, inv, w, s, 1).map(_._2)`), over Spark's
/// larger-slide input: the window sums of WindowOperationsSuite's "larger slide time".
#[test]
fn reduce_by_window_plain_and_incremental() {
    let input: Vec<Vec<i64>> = (1..=6).map(|x| vec![x]).chain([vec![], vec![]]).collect();
    let want = vec![vec![3], vec![10], vec![18], vec![11]];
    let plain = run_windowed(input.clone(), 8, |s| {
        s.reduce_by_window(|a, b| a + b, secs(4), secs(2))
    });
    assert_eq!(plain, want);
    let incremental = run_windowed(input, 8, |s| {
        s.reduce_by_window_inv(|a, b| a + b, |a, b| a - b, secs(4), secs(2))
    });
    assert_eq!(incremental, want);
}

/// WindowOperationsSuite: "window - persistence level". A window is not persisted itself:
/// persisting it persists its parent (Spark's `WindowedDStream.persist`).
#[test]
fn window_persistence_level() {
    let sc = context("local[2]");
    let ssc = StreamingContext::with_manual_clock(&sc, secs(1));
    let input = ssc.queue_stream(ints(&[&[0], &[1], &[2], &[3], &[4], &[5]]), true);
    let window = input.window(secs(2), secs(1));
    assert_eq!(window.storage_level(), StorageLevel::NONE);
    assert_eq!(input.storage_level(), StorageLevel::MEMORY_ONLY_SER);
    window.persist(StorageLevel::MEMORY_ONLY);
    assert_eq!(window.storage_level(), StorageLevel::NONE);
    assert_eq!(input.storage_level(), StorageLevel::MEMORY_ONLY);
}

// ------------------------------------------------------------ incremental = plain, random

/// The window sums computed directly: for each output time `t` (multiples of `slide`), the
/// sum per key of the batches in `(t - window, t]`.
fn plain_window_sums(input: &[Pairs], window: usize, slide: usize, batches: usize) -> Vec<Pairs> {
    let mut out = Vec::new();
    for t in (slide..=batches).step_by(slide) {
        let mut sums = std::collections::BTreeMap::new();
        for b in t.saturating_sub(window)..t {
            for (k, v) in input.get(b).into_iter().flatten() {
                *sums.entry(k.clone()).or_insert(0) += v;
            }
        }
        out.push(sums.into_iter().collect());
    }
    out
}

fn random_input() -> impl Strategy<Value = Vec<Pairs>> {
    let pair = (0..5u8, 1..4i64).prop_map(|(k, v)| (format!("k{k}"), v));
    prop::collection::vec(prop::collection::vec(pair, 0..5), 24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// The incremental form, checkpointing every 10 s (its default), gives the naive form's
    /// results once its zero-valued keys are dropped, and both equal a plain computation.
    #[test]
    fn incremental_window_equals_naive(
        input in random_input(),
        window in 1..5usize,
        slide_pick in 0..3usize,
    ) {
        let slide = 1 + slide_pick % window;
        let batches = 24 - 24 % slide;
        let out = run_windowed(input.clone(), batches, |s| {
            let w = secs(window as u64);
            let d = secs(slide as u64);
            let naive = s.reduce_by_key_and_window(|a, b| a + b, w, d).map(|(k, v)| (k, v, 0));
            let inv = s
                .reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, w, d)
                .filter(|(_, v)| *v != 0)
                .map(|(k, v)| (k, v, 1));
            naive.union(&inv)
        });
        let expected = plain_window_sums(&input, window, slide, batches);
        prop_assert_eq!(out.len(), expected.len());
        for (got, want) in out.iter().zip(&expected) {
            let naive: Pairs = got.iter().filter(|x| x.2 == 0).map(|(k, v, _)| (k.clone(), *v)).collect();
            let inv: Pairs = got.iter().filter(|x| x.2 == 1).map(|(k, v, _)| (k.clone(), *v)).collect();
            prop_assert_eq!(&naive, want);
            prop_assert_eq!(&inv, want);
        }
    }
}

// ---------------------------------------------------------- checkpointing and lineage

/// The incremental stream checkpoints by default every `slide * ceil(10 s / slide)`: its RDDs
/// at 10 s, 20 s and 30 s are written, and the lineage of later windows stays short.
#[test]
fn incremental_window_checkpoints_and_truncates_its_lineage() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().expect("tempdir");
    let ssc = StreamingContext::with_manual_clock(&sc, secs(1));
    ssc.checkpoint(dir.path()).expect("checkpoint dir");
    let input: Vec<Pairs> = (0..30).map(|i| vec![(format!("k{}", i % 3), 1)]).collect();
    let windowed = ssc.queue_stream(input, true).reduce_by_key_and_window_inv(
        |a, b| a + b,
        |a, b| a - b,
        secs(3),
        secs(1),
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    windowed.foreach_rdd(move |rdd, time| {
        let total: i64 = rdd.collect()?.iter().map(|(_, v)| v).sum();
        let depth = rdd.to_debug_string().lines().count();
        s.lock()
            .push((time.milliseconds(), total, depth, rdd.is_checkpointed()));
        Ok(())
    });
    ssc.start().expect("start");
    assert_eq!(windowed.checkpoint_interval(), Some(secs(10)));
    assert_eq!(windowed.remember_duration(), Some(secs(20)));
    assert_eq!(windowed.storage_level(), StorageLevel::MEMORY_ONLY_SER);
    ssc.run_batches(30).expect("batches");
    let seen = seen.lock();
    for (time, total, _, checkpointed) in seen.iter() {
        let want = if *time < 3000 { time / 1000 } else { 3 };
        assert_eq!(*total, want as i64, "window total at {time} ms");
        assert_eq!(
            *checkpointed,
            time % 10_000 == 0,
            "checkpointed at {time} ms"
        );
    }
    // After a checkpoint the window is read from its files: its lineage starts over, so the
    // lineage of each slide repeats every 10 batches instead of growing.
    let depths: Vec<usize> = seen.iter().map(|x| x.2).collect();
    assert_eq!(depths.len(), 30);
    assert_eq!(depths[10..20], depths[20..30]);
    assert!(
        depths[9] < depths[8] && depths[19] < depths[18],
        "{depths:?}"
    );
    ssc.stop(true, false);
}

/// As in Spark, the previous window and the reduced batches are all partitioned by the one
/// partitioner, so the window's cogroup reads them without a shuffle: at 3 s the window is
/// `mapValues` over a `CoGroupedRDD` over the previous window, in one stage.
#[test]
fn incremental_window_cogroup_is_narrow() {
    let input: Vec<Pairs> = (0..3).map(|i| vec![(format!("k{i}"), 1)]).collect();
    let sc = context("local[2]");
    let dir = tempfile::tempdir().expect("tempdir");
    let ssc = StreamingContext::with_manual_clock(&sc, secs(1));
    ssc.checkpoint(dir.path()).expect("checkpoint dir");
    let windowed = ssc.queue_stream(input, true).reduce_by_key_and_window_inv(
        |a, b| a + b,
        |a, b| a - b,
        secs(2),
        secs(1),
    );
    let lineage = Arc::new(Mutex::new(String::new()));
    let l = lineage.clone();
    windowed.foreach_rdd(move |rdd, _| {
        rdd.count()?;
        *l.lock() = rdd.to_debug_string();
        Ok(())
    });
    ssc.start().expect("start");
    ssc.run_batches(3).expect("batches");
    let lineage = lineage.lock().clone();
    let lines: Vec<&str> = lineage
        .lines()
        .filter(|l| !l.contains("CachedPartitions"))
        .collect();
    assert!(lines[0].contains("MapPartitionsRDD") && lines[0].contains("at mapValues"));
    assert!(lines[1].starts_with(" |  CoGroupedRDD"), "{lineage}");
    assert!(lines[2].starts_with(" |  MapPartitionsRDD"), "{lineage}");
    assert!(lines[3].starts_with(" |  CoGroupedRDD"), "{lineage}");
}

// ------------------------------------------------------------------ remember durations

/// BasicOperationsSuite "forgetting of RDDs - map and window operations" (D10): with
/// `ssc.remember(3 s)`, at 10 s the second window remembers 3 s, the first 3 + 4 s, the mapped
/// stream 3 + 4 + 2 s.
#[test]
fn windows_make_parents_remember_longer() {
    let sc = context("local[2]");
    let ssc = StreamingContext::with_manual_clock(&sc, secs(1));
    let input: Vec<Vec<i32>> = (0..10).map(|x| vec![x, x + 1]).collect();
    let mapped = ssc.queue_stream(input, true).map(|x| (x % 10, 1));
    let window1 = mapped.window(secs(2), secs(1));
    let window2 = window1.window(secs(4), secs(2));
    let outputs = Arc::new(Mutex::new(0));
    let o = outputs.clone();
    window2.foreach_rdd(move |rdd, _| {
        rdd.count()?;
        *o.lock() += 1;
        Ok(())
    });
    ssc.remember(secs(3));
    ssc.start().expect("start");
    ssc.run_batches(10).expect("batches");
    assert_eq!(*outputs.lock(), 5);

    assert_eq!(window2.remember_duration(), Some(secs(3)));
    assert_eq!(window1.remember_duration(), Some(secs(7)));
    assert_eq!(mapped.remember_duration(), Some(secs(9)));

    let times = |s: &[u64]| s.iter().map(|&ms| Time::new(ms)).collect::<Vec<_>>();
    assert_eq!(window2.generated_rdd_times(), times(&[8000, 10000]));
    assert_eq!(
        window1.generated_rdd_times(),
        times(&[4000, 5000, 6000, 7000, 8000, 9000, 10000])
    );
    assert_eq!(
        mapped.generated_rdd_times(),
        times(&[2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000])
    );
    ssc.stop(true, false);
}

/// The incremental window remembers twice its checkpoint interval (20 s); its reduced parent
/// remembers that plus the window, so the batches leaving the window are still there.
#[test]
fn incremental_window_remember_durations() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().expect("tempdir");
    let ssc = StreamingContext::with_manual_clock(&sc, secs(1));
    ssc.checkpoint(dir.path()).expect("checkpoint dir");
    let input: Vec<Pairs> = (0..40).map(|_| vec![("a".to_string(), 1)]).collect();
    let pairs = ssc.queue_stream(input, true);
    let windowed = pairs.reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, secs(4), secs(2));
    windowed.foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    ssc.start().expect("start");
    ssc.run_batches(40).expect("batches");
    assert_eq!(windowed.checkpoint_interval(), Some(secs(10)));
    assert_eq!(windowed.remember_duration(), Some(secs(20)));
    // The input stream sits under the reduced stream, which remembers 20 + 4 s.
    assert_eq!(pairs.remember_duration(), Some(secs(24)));
    let kept = windowed.generated_rdd_times();
    assert_eq!(kept.first(), Some(&Time::new(22_000)));
    assert_eq!(kept.last(), Some(&Time::new(40_000)));
    assert_eq!(kept.len(), 10);
    assert_eq!(pairs.generated_rdd_times().len(), 24);
}
