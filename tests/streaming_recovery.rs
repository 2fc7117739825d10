//! Driver recovery (SPARK_SEMANTICS D12–D15): metadata checkpoints every batch, and
//! `StreamingContext::get_or_create` rebuilding the graph, restoring each stream's checkpointed
//! RDDs and re-running the boundary batch.

mod common;

use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

use common::recovery::{
    record_sorted, recovery_context, restarted_run, uninterrupted_run, with_boundary_batch_twice,
    Recorded,
};

type Lines = Recorded<String>;

fn input() -> Vec<Vec<(String, i64)>> {
    (0..30)
        .map(|b| {
            (0..6)
                .map(|i| (format!("k{}", (b * 5 + i * 7) % 11), 1 + (b + i) as i64 % 3))
                .collect()
        })
        .collect()
}

/// The user's program: a context on the manual clock with mapWithState and updateStateByKey
/// over the same input, each batch's snapshot and state recorded as sorted lines.
fn create(dir: &Path, lines: &Lines) -> Result<StreamingContext> {
    let ssc = recovery_context("recovery", dir)?;
    let pairs = ssc.queue_stream(input(), true);
    let mapped = pairs.map_with_state(StateSpec::function(
        |_k: &String, v: Option<i64>, s: &mut State<i64>| {
            let n = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
            s.update(n);
            n
        },
    ));
    let updated = pairs.update_state_by_key(|vs: &[i64], s: Option<i64>| {
        Some(s.unwrap_or(0) + vs.iter().sum::<i64>())
    });
    record_sorted(&mapped.state_snapshots(), "SNAP", lines);
    record_sorted(&updated, "UPD", lines);
    Ok(ssc)
}

#[test]
fn recovery_equals_an_uninterrupted_run_with_the_boundary_batch_twice() {
    for stop_after in [4usize, 15, 23] {
        let clean = uninterrupted_run(30, create);
        let got = restarted_run(30, stop_after, create);
        // Spark re-runs the last batch before the failure: its output appears twice.
        let want = with_boundary_batch_twice(&clean, stop_after, 2);
        assert_eq!(got, want, "stopped after {stop_after} batches");
    }
}

#[test]
fn metadata_is_written_twice_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Lines = Arc::default();
    let ssc = create(dir.path(), &lines).unwrap();
    ssc.start().unwrap();
    ssc.run_batches(3).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("checkpoint-"))
        .collect();
    for t in [1000, 2000, 3000] {
        assert!(names.contains(&format!("checkpoint-{t}")), "{names:?}");
        assert!(names.contains(&format!("checkpoint-{t}.bk")), "{names:?}");
    }
}

#[test]
fn get_or_create_creates_when_there_is_no_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Lines = Arc::default();
    let called = Arc::new(Mutex::new(0));
    let c = called.clone();
    let ssc = StreamingContext::get_or_create(dir.path().join("not-yet"), || {
        *c.lock() += 1;
        create(&dir.path().join("not-yet"), &lines)
    })
    .unwrap();
    assert_eq!(*called.lock(), 1);
    ssc.start().unwrap();
    ssc.run_batches(1).unwrap();
    assert_eq!(lines.lock().len(), 2);
}

#[test]
fn damaged_metadata_checkpoints_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Lines = Arc::default();
    let ssc = create(dir.path(), &lines).unwrap();
    ssc.start().unwrap();
    ssc.run_batches(2).unwrap();
    ssc.stop(true, false);
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("checkpoint-")
        {
            std::fs::write(&p, b"damaged").unwrap();
        }
    }
    let lines2: Lines = Arc::default();
    let err = StreamingContext::get_or_create(dir.path(), || create(dir.path(), &lines2))
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::CorruptCheckpoint { path, .. } if path.to_string_lossy().contains("checkpoint-2000")),
        "{err:?}"
    );
}

// ------------------------------------------------- CheckpointSuite: testCheckpointedOperation

/// Spark's `testCheckpointedOperation`: `op` over a queue of `input` on the manual clock,
/// batches of `batch_ms` (CheckpointSuite's 500 ms), with a checkpoint folder; the first
/// `before_restart` batches run, the driver "fails", `get_or_create` rebuilds the same graph
/// from the checkpoint and the rest run. Each run's sorted outputs must be `expected`'s: the
/// first run's its first `before_restart`, the second's the rest, starting with the boundary
/// batch again (the batch Spark re-runs after recovery).
fn test_checkpointed_operation<U: Data, V: Data + Ord + std::fmt::Debug>(
    input: Vec<Vec<U>>,
    op: impl Fn(DStream<U>) -> DStream<V> + Clone,
    expected: Vec<Vec<V>>,
    before_restart: usize,
) {
    let dir = tempfile::tempdir().unwrap();
    let batch = Duration::milliseconds(500);
    let run = |n: usize| -> Vec<Vec<V>> {
        let out = Arc::new(Mutex::new(Vec::new()));
        let (o, input, op) = (out.clone(), input.clone(), op.clone());
        let ssc = StreamingContext::get_or_create(dir.path(), || {
            let sc = SparkContext::new(
                SparkConf::new()
                    .set_master("local[2]")
                    .set_app_name("CheckpointSuite"),
            )?;
            let ssc = StreamingContext::with_manual_clock(&sc, batch);
            ssc.checkpoint(dir.path())?;
            let source = ssc.queue_stream(input, true);
            source.foreach_rdd(|_, _| Ok(()));
            op(source).foreach_rdd(move |rdd, _| {
                let mut v = rdd.collect()?;
                v.sort();
                o.lock().push(v);
                Ok(())
            });
            Ok(ssc)
        })
        .unwrap();
        ssc.start().unwrap();
        ssc.run_batches(n).unwrap();
        ssc.stop(true, false);
        let v = out.lock().clone();
        v
    };
    let sorted_expected: Vec<Vec<V>> = expected
        .into_iter()
        .map(|mut b| {
            b.sort();
            b
        })
        .collect();
    let total = sorted_expected.len();
    assert_eq!(
        run(before_restart),
        sorted_expected[..before_restart].to_vec(),
        "before the restart"
    );
    assert_eq!(
        run(total - before_restart + 1),
        sorted_expected[before_restart - 1..].to_vec(),
        "after the restart (the boundary batch again first)"
    );
}

fn words(batches: &[&[&str]]) -> Vec<Vec<String>> {
    batches
        .iter()
        .map(|b| b.iter().map(|s| s.to_string()).collect())
        .collect()
}

fn counts(batches: &[&[(&str, i64)]]) -> Vec<Vec<(String, i64)>> {
    batches
        .iter()
        .map(|b| b.iter().map(|(k, v)| (k.to_string(), *v)).collect())
        .collect()
}

/// CheckpointSuite: "recovery with map and reduceByKey operations"
#[test]
fn recovery_with_map_and_reduce_by_key_operations() {
    test_checkpointed_operation(
        words(&[
            &["a", "a", "b"],
            &["", ""],
            &[],
            &["a", "a", "b"],
            &["", ""],
            &[],
        ]),
        |s| s.map(|x| (x, 1i64)).reduce_by_key(|a, b| a + b),
        counts(&[
            &[("a", 2), ("b", 1)],
            &[("", 2)],
            &[],
            &[("a", 2), ("b", 1)],
            &[("", 2)],
            &[],
        ]),
        3,
    );
}

/// CheckpointSuite: "recovery with invertible reduceByKeyAndWindow operation"
#[test]
fn recovery_with_invertible_reduce_by_key_and_window_operation() {
    let (n, w) = (10usize, 4u64);
    let batch = Duration::milliseconds(500);
    let mut expected = counts(&[&[("a", 1)], &[("a", 2)], &[("a", 3)]]);
    expected.extend((0..n - w as usize + 1).map(|_| vec![("a".to_string(), 4)]));
    test_checkpointed_operation(
        vec![vec!["a".to_string()]; n],
        move |s| {
            s.map(|x| (x, 1i64))
                .reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, batch * w, batch)
                .checkpoint(batch * 2)
        },
        expected,
        7,
    );
}

/// CheckpointSuite: "recovery with updateStateByKey operation"
#[test]
fn recovery_with_update_state_by_key_operation() {
    let batch = Duration::milliseconds(500);
    test_checkpointed_operation(
        vec![vec!["a".to_string()]; 10],
        move |s| {
            s.map(|x| (x, 1i64))
                .update_state_by_key(|vs: &[i64], st: Option<i64>| {
                    Some(vs.iter().sum::<i64>() + st.unwrap_or(0))
                })
                .checkpoint(batch * 2)
                .map(|t| t)
        },
        (1..=10).map(|x| vec![("a".to_string(), x)]).collect(),
        7,
    );
}

// ------------------------------------------- joins and inverse windows across a driver restart

/// Two keyed streams over 24 batches.
fn join_inputs() -> (Vec<Vec<(String, i64)>>, Vec<Vec<(String, i64)>>) {
    let left = (0..24)
        .map(|b| {
            (0..4)
                .map(|i| (format!("k{}", (b * 3 + i * 5) % 7), 1 + (b + i) as i64 % 4))
                .collect()
        })
        .collect();
    let right = (0..24)
        .map(|b| {
            (0..3)
                .map(|i| (format!("k{}", (b * 2 + i * 3) % 9), 10 * (1 + i as i64)))
                .collect()
        })
        .collect();
    (left, right)
}

type TimedLines = Recorded<(u64, String)>;

/// A user's program with joins and windows with inverse functions: per batch, the join and the
/// full outer join of both streams; over windows, the incremental reduceByKeyAndWindow, a
/// countByValueAndWindow, a countByWindow on a slide of two batches, and the left outer join
/// of a window with the other stream. Each output's sorted batch is recorded with its time.
fn create_joined(dir: &Path, lines: &TimedLines) -> Result<StreamingContext> {
    let ssc = recovery_context("recovery-joins", dir)?;
    let (left, right) = join_inputs();
    let a = ssc.queue_stream(left, true);
    let b = ssc.queue_stream(right, true);
    a.foreach_rdd(|_, _| Ok(()));
    b.foreach_rdd(|_, _| Ok(()));
    fn record<T: Data + std::fmt::Debug + Ord>(s: &DStream<T>, name: &'static str, l: &TimedLines) {
        let l = l.clone();
        s.foreach_rdd(move |rdd, t| {
            let mut v = rdd.collect()?;
            v.sort();
            l.lock()
                .push((t.milliseconds() / 1000, format!("{name} {v:?}")));
            Ok(())
        });
    }
    let secs = Duration::seconds;
    record(&a.join(&b), "JOIN", lines);
    record(&a.full_outer_join(&b), "FULL", lines);
    let windowed = a.reduce_by_key_and_window_inv(|x, y| x + y, |x, y| x - y, secs(3), secs(1));
    record(&windowed, "RKW", lines);
    record(
        &a.map(|(k, _)| k)
            .count_by_value_and_window(secs(4), secs(2)),
        "CBVW",
        lines,
    );
    record(&b.count_by_window(secs(3), secs(1)), "CBW", lines);
    record(&windowed.left_outer_join(&b), "WJOIN", lines);
    Ok(ssc)
}

/// Issue 13 acceptance: recovery through `get_or_create` of a graph with joins and windows with
/// inverse functions equals an uninterrupted run, the boundary batch's outputs twice.
#[test]
fn recovery_with_joins_and_inverse_windows_equals_an_uninterrupted_run() {
    let total = 24usize;
    let clean = uninterrupted_run(total, create_joined);
    // Every output ran with data: joins matched keys, windows counted.
    for name in ["JOIN", "FULL", "RKW", "CBVW", "CBW", "WJOIN"] {
        let prefix = format!("{name} [(");
        let prefix_cbw = format!("{name} [");
        assert!(
            clean.iter().any(|(_, l)| l.starts_with(&prefix)
                || (name == "CBW" && l.starts_with(&prefix_cbw) && !l.ends_with("[]"))),
            "{name} never had data"
        );
    }
    assert_eq!(
        clean.iter().filter(|(_, l)| l.starts_with("CBVW")).count(),
        12
    );
    for stop_after in [3u64, 12, 17] {
        let got = restarted_run(total, stop_after as usize, create_joined);
        let mut want: Vec<(u64, String)> = clean
            .iter()
            .filter(|(t, _)| *t <= stop_after)
            .cloned()
            .collect();
        want.extend(clean.iter().filter(|(t, _)| *t >= stop_after).cloned());
        assert_eq!(got, want, "stopped after {stop_after} batches");
    }
}
