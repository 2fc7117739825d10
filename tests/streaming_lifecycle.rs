//! The life of a StreamingContext: Spark's checks at `start()` and their messages, what is
//! refused once started, memory that stays bounded over many batches, `saveAsTextFiles`, a
//! failing batch, and a context on the wall clock.

mod common;

use std::sync::Arc;

use common::{context, context_with, Counter};
use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

fn secs(s: u64) -> Duration {
    Duration::seconds(s)
}

/// A manual-clock context of 1 s batches.
fn manual(sc: &SparkContext) -> StreamingContext {
    StreamingContext::with_manual_clock(sc, secs(1))
}

fn numbers(ssc: &StreamingContext, batches: usize) -> DStream<i64> {
    ssc.queue_stream((0..batches as i64).map(|i| vec![i, i + 1]).collect(), true)
}

/// Asserts that `r` is the error `want` (a variant name) whose message contains `text`.
fn assert_err<T: std::fmt::Debug>(r: Result<T>, want: &str, text: &str) {
    let (variant, message) = match &r {
        Err(Error::InvalidArgument(m)) => ("InvalidArgument", m.clone()),
        Err(Error::IllegalState(m)) => ("IllegalState", m.clone()),
        Err(Error::CheckpointDirNotSet(m)) => ("CheckpointDirNotSet", m.clone()),
        Err(Error::JobAborted(m)) => ("JobAborted", m.clone()),
        other => panic!("expected {want}({text:?}), got {other:?}"),
    };
    assert_eq!(variant, want, "{message}");
    assert!(message.contains(text), "{message:?} lacks {text:?}");
}

// -------------------------------------------------------------- validation at start

#[test]
fn checkpoint_interval_not_a_multiple_of_the_slide_is_refused() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().expect("tempdir");
    let ssc = manual(&sc);
    ssc.checkpoint(dir.path()).expect("checkpoint dir");
    let s = numbers(&ssc, 3)
        .map(|x| x * 2)
        .checkpoint(Duration::milliseconds(1500));
    s.foreach_rdd(|_, _| Ok(()));
    assert_err(
        ssc.start(),
        "InvalidArgument",
        "The checkpoint interval for MappedDStream has been set to 1500 ms which not a multiple \
         of its slide time (1000 ms). Please set it to a multiple of 1000 ms.",
    );
}

#[test]
fn checkpoint_interval_lower_than_the_slide_is_refused() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().expect("tempdir");
    let ssc = manual(&sc);
    ssc.checkpoint(dir.path()).expect("checkpoint dir");
    let s = numbers(&ssc, 3)
        .window(secs(2), secs(2))
        .checkpoint(secs(1));
    s.foreach_rdd(|_, _| Ok(()));
    assert_err(
        ssc.start(),
        "InvalidArgument",
        "The checkpoint interval for WindowedDStream has been set to 1000 ms which is lower than \
         its slide time (2000 ms). Please set it to at least 2000 ms.",
    );
}

const NO_CHECKPOINT_DIR: &str =
    "The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().";

#[test]
fn checkpointed_stream_without_a_checkpoint_dir_is_refused() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    numbers(&ssc, 3)
        .checkpoint(secs(2))
        .foreach_rdd(|_, _| Ok(()));
    assert_err(ssc.start(), "CheckpointDirNotSet", NO_CHECKPOINT_DIR);
}

#[test]
fn incremental_window_needs_a_checkpoint_dir() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    numbers(&ssc, 3)
        .map(|x| (x % 2, x))
        .reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, secs(2), secs(1))
        .foreach_rdd(|_, _| Ok(()));
    assert_err(ssc.start(), "CheckpointDirNotSet", NO_CHECKPOINT_DIR);
}

#[test]
fn a_context_without_outputs_does_not_start() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    let _unused = numbers(&ssc, 3).map(|x| x + 1);
    assert_err(
        ssc.start(),
        "IllegalState",
        "No output operations registered, so nothing to execute",
    );
}

#[test]
fn a_bad_graceful_stop_timeout_is_refused_at_start() {
    let sc = context_with("local[2]", &[(GRACEFUL_STOP_TIMEOUT, "soon")]);
    let ssc = manual(&sc);
    numbers(&ssc, 3).foreach_rdd(|_, _| Ok(()));
    assert_err(ssc.start(), "InvalidArgument", GRACEFUL_STOP_TIMEOUT);
}

// ------------------------------------------------------------ refused once started

const ADDING_AFTER_START: &str = "Adding new inputs, transformations, and output operations after \
                                  starting a context is not supported";

#[test]
fn a_stream_added_after_start_is_refused() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    let s = numbers(&ssc, 5);
    s.foreach_rdd(|_, _| Ok(()));
    ssc.start().expect("start");
    ssc.run_batches(1).expect("batch");
    let _late = s.map(|x| x * 10);
    assert_err(ssc.run_batches(1), "IllegalState", ADDING_AFTER_START);
    // The refusal is reported once; the stream goes on.
    ssc.run_batches(1).expect("later batches run");
}

#[test]
fn an_output_added_after_start_is_refused() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    let s = numbers(&ssc, 5);
    s.foreach_rdd(|_, _| Ok(()));
    ssc.start().expect("start");
    s.foreach_rdd(|_, _| Ok(()));
    assert_err(ssc.run_batches(1), "IllegalState", ADDING_AFTER_START);
}

#[test]
fn a_stream_added_after_stop_is_refused() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    let s = numbers(&ssc, 5);
    s.foreach_rdd(|_, _| Ok(()));
    ssc.start().expect("start");
    ssc.stop(false, false);
    let _late = s.map(|x| x * 10);
    assert_err(
        ssc.start(),
        "IllegalState",
        "Adding new inputs, transformations, and output operations after stopping a context is \
         not supported",
    );
}

#[test]
fn persist_and_checkpoint_after_start_are_refused() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().expect("tempdir");
    let ssc = manual(&sc);
    ssc.checkpoint(dir.path()).expect("checkpoint dir");
    let s = numbers(&ssc, 5).map(|x| x + 1);
    s.foreach_rdd(|_, _| Ok(()));
    ssc.start().expect("start");

    s.persist(StorageLevel::MEMORY_AND_DISK);
    assert_err(
        ssc.run_batches(1),
        "IllegalState",
        "Cannot change storage level of a DStream after streaming context has started",
    );
    assert_eq!(s.storage_level(), StorageLevel::NONE);

    s.checkpoint(secs(4));
    assert_err(
        ssc.run_batches(1),
        "IllegalState",
        "Cannot change checkpoint interval of a DStream after streaming context has started",
    );
    assert_eq!(s.checkpoint_interval(), None);
}

// ---------------------------------------------------------------- bounded memory

/// Over 100 batches a cached stream holds only its remembered RDDs: older ones are forgotten
/// and unpersisted, so their blocks leave the block managers.
#[test]
fn remembered_and_cached_rdds_stay_bounded() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    let input = numbers(&ssc, 100);
    let cached = input.map(|x| x * 3).cache();
    let windowed = cached.window(secs(3), secs(1));
    let max_cached = Arc::new(Mutex::new(0usize));
    let m = max_cached.clone();
    let sc2 = sc.clone();
    windowed.foreach_rdd(move |rdd, _| {
        rdd.count()?;
        let cached_rdds = sc2.get_rdd_storage_info().len();
        let mut m = m.lock();
        *m = (*m).max(cached_rdds);
        Ok(())
    });
    ssc.start().expect("start");
    ssc.run_batches(100).expect("batches");

    // The cached stream is a window's parent: it remembers 1 s + 3 s.
    assert_eq!(cached.remember_duration(), Some(secs(4)));
    let times: Vec<Time> = (97..=100).map(|s| Time::new(s * 1000)).collect();
    assert_eq!(cached.generated_rdd_times(), times);
    assert_eq!(windowed.generated_rdd_times(), vec![Time::new(100_000)]);
    // Cached now: the 4 remembered RDDs of the cached stream (the window's parent is
    // persisted too: that is the cached stream itself).
    let infos = sc.get_rdd_storage_info();
    assert_eq!(infos.len(), 4, "{infos:?}");
    assert!(
        *max_cached.lock() <= 5,
        "at most {} cached RDDs",
        max_cached.lock()
    );
    ssc.stop(true, false);
}

// ------------------------------------------------------------------ saveAsTextFiles

#[test]
fn save_as_text_files_writes_one_folder_per_batch() {
    let sc = context("local[2]");
    let out = tempfile::tempdir().expect("tempdir");
    let ssc = manual(&sc);
    let lines = ssc.queue_stream(
        vec![
            vec!["a".to_string(), "b".to_string()],
            vec!["c".to_string()],
        ],
        true,
    );
    let prefix = out.path().join("words");
    let prefix = prefix.to_str().expect("utf-8 path");
    lines.save_as_text_files(prefix, "txt");
    lines.map(|l| (l, 1)).save_as_text_files(prefix, "");
    ssc.start().expect("start");
    ssc.run_batches(3).expect("batches");

    // One part file per partition: a queued batch has `default_parallelism` partitions, a
    // drained queue gives an empty RDD (no partition, so only `_SUCCESS`), as in Spark.
    let read_folder = |name: &str, num_parts: usize| -> Vec<String> {
        let dir = out.path().join(name);
        assert!(dir.join("_SUCCESS").is_file(), "{name} has no _SUCCESS");
        let mut parts: Vec<_> = std::fs::read_dir(&dir)
            .expect("output folder")
            .map(|e| e.expect("entry").file_name().into_string().expect("name"))
            .filter(|n| n.starts_with("part-"))
            .collect();
        parts.sort();
        assert_eq!(parts.len(), num_parts, "{name}: {parts:?}");
        parts
            .iter()
            .flat_map(|p| {
                let text = std::fs::read_to_string(dir.join(p)).expect("part file");
                text.lines().map(str::to_string).collect::<Vec<_>>()
            })
            .collect()
    };
    let n = sc.default_parallelism();
    assert_eq!(read_folder("words-1000.txt", n), vec!["a", "b"]);
    assert_eq!(read_folder("words-2000.txt", n), vec!["c"]);
    assert_eq!(read_folder("words-3000.txt", 0), Vec::<String>::new());
    // Elements are written as Scala's toString would write them.
    assert_eq!(read_folder("words-1000", n), vec!["(a,1)", "(b,1)"]);
    assert_eq!(read_folder("words-2000", n), vec!["(c,1)"]);
    ssc.stop(true, false);
}

// ------------------------------------------------------------------- failing batches

/// A job that fails (past its retries) makes `run_batches` return the error, after running
/// all its batches; later batches still run.
#[test]
fn a_failing_batch_does_not_stop_the_stream() {
    let sc = context_with("local[2]", &[("sparklet.task.maxFailures", "1")]);
    let ssc = manual(&sc);
    let batches_seen = Counter::new();
    let seen = batches_seen.clone();
    numbers(&ssc, 6)
        .map(|x| {
            if x == 2 {
                panic!("bad record {x}");
            }
            x
        })
        .foreach_rdd(move |rdd, _| {
            seen.inc();
            rdd.count().map(|_| ())
        });
    ssc.start().expect("start");
    // Batch 2 holds [1, 2] and batch 3 holds [2, 3]: both fail; batch 1 and 4 do not.
    assert_err(ssc.run_batches(4), "JobAborted", "bad record 2");
    assert_eq!(batches_seen.get(), 4);
    ssc.run_batches(2).expect("later batches succeed");
    assert_eq!(batches_seen.get(), 6);
    ssc.stop(true, false);
}

/// An error returned by an output function is the batch's error too.
#[test]
fn an_output_error_is_reported_by_run_batches() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    numbers(&ssc, 3).foreach_rdd(|_, time| {
        if time == Time::new(2000) {
            return Err(Error::IllegalState("output refused batch 2000".into()));
        }
        Ok(())
    });
    ssc.start().expect("start");
    assert_err(
        ssc.run_batches(3),
        "IllegalState",
        "output refused batch 2000",
    );
    ssc.run_batches(1).expect("batch 4");
}

// ---------------------------------------------------------------------- wall clock

/// On the wall clock, batches run on their own; `await_termination_or_timeout` returns
/// `Ok(false)` when the time runs out, and `Ok(true)` once stopped.
#[test]
fn wall_clock_context_runs_batches_until_stopped() {
    let sc = context("local[2]");
    let ssc = StreamingContext::new(&sc, Duration::milliseconds(50));
    let batches = Counter::new();
    let b = batches.clone();
    ssc.queue_stream(vec![vec![1, 2, 3]], true)
        .foreach_rdd(move |rdd, _| {
            rdd.count()?;
            b.inc();
            Ok(())
        });
    assert_err(ssc.run_batches(1), "IllegalState", "");
    ssc.start().expect("start");
    let mut waited = 0;
    while batches.get() == 0 && waited < 200 {
        let stopped = ssc
            .await_termination_or_timeout(Duration::milliseconds(50))
            .expect("no batch fails");
        assert!(!stopped, "nobody stopped the context");
        waited += 1;
    }
    assert!(batches.get() >= 1, "no batch ran in 10 s");
    ssc.stop(false, false);
    assert!(ssc.is_stopped());
    assert_eq!(
        ssc.await_termination_or_timeout(Duration::milliseconds(10)),
        Ok(true)
    );
    // The Spark context was left running.
    assert_eq!(sc.parallelize(vec![1, 2], 2).count(), Ok(2));
}
