//! Hardening (issue 16): user code that calls back into its StreamingContext never hangs,
//! nothing `run_batches` sets on the caller's thread outlives the call, `stop` ends a running
//! `run_batches`, and bad checkpoints, bad durations and dropped contexts are clear errors.
//!
//! Every risky call runs on a thread watched with a generous `recv_timeout`, so a regression
//! fails the test instead of hanging the suite.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use common::{context, within_guard};
use parking_lot::Mutex;
use sparklet::checkpoint::CHECKPOINT_ALL_MARKED_ANCESTORS;
use sparklet::prelude::*;
use sparklet::streaming::*;

const GUARD: std::time::Duration = std::time::Duration::from_secs(60);

fn manual(sc: &SparkContext) -> StreamingContext {
    StreamingContext::with_manual_clock(sc, Duration::seconds(1))
}

fn numbers(ssc: &StreamingContext, batches: usize) -> DStream<i64> {
    ssc.queue_stream((0..batches as i64).map(|i| vec![i]).collect(), true)
}

fn message(r: &Result<()>) -> String {
    match r {
        Err(Error::IllegalState(m)) | Err(Error::InvalidArgument(m)) => m.clone(),
        Err(Error::CorruptCheckpoint { .. }) => format!("{r:?}"),
        other => panic!("expected an IllegalState or InvalidArgument error, got {other:?}"),
    }
}

// ------------------------------------------------ defect 2: callbacks into the context

/// Issue 16, defect 2: `ssc.remember` from a transform closure used to hang on the graph lock.
#[test]
fn remember_from_a_transform_does_not_hang() {
    let r = within_guard("remember from transform", || {
        let sc = context("local[2]");
        let ssc = manual(&sc);
        let inner = ssc.clone();
        numbers(&ssc, 2)
            .transform(move |rdd, _| {
                inner.remember(Duration::seconds(5));
                rdd.clone()
            })
            .foreach_rdd(|_, _| Ok(()));
        ssc.start().expect("start");
        let r = ssc.run_batches(2);
        ssc.stop(false, false);
        r
    });
    r.expect("remember from a transform works");
}

/// Issue 16, defect 2: `queue_stream` from a transform closure used to hang; Spark refuses a
/// stream added after start (`StreamingContextSuite` "should not allow adding new inputs after
/// start" wording from `DStream.validateAtInit`).
#[test]
fn queue_stream_from_a_transform_is_refused_not_hung() {
    let r = within_guard("queue_stream from transform", || {
        let sc = context("local[2]");
        let ssc = manual(&sc);
        let inner = ssc.clone();
        numbers(&ssc, 2)
            .transform(move |rdd, _| {
                let _ = inner.queue_stream(vec![vec![1i64]], true);
                rdd.clone()
            })
            .foreach_rdd(|_, _| Ok(()));
        ssc.start().expect("start");
        let r = ssc.run_batches(1);
        ssc.stop(false, false);
        r
    });
    assert!(
        message(&r).contains(
            "Adding new inputs, transformations, and output operations after starting a context \
             is not supported"
        ),
        "{r:?}"
    );
}

/// Issue 16, defects 2 and 3: `ssc.stop` from a transform closure used to hang; now the
/// context stops and `run_batches` returns after the batch in progress.
#[test]
fn stop_from_a_transform_stops_after_the_batch() {
    let (r, batches, stopped) = within_guard("stop from transform", || {
        let sc = context("local[2]");
        let ssc = manual(&sc);
        let inner = ssc.clone();
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        numbers(&ssc, 10)
            .transform(move |rdd, time| {
                if time.milliseconds() == 2000 {
                    inner.stop(false, false);
                }
                rdd.clone()
            })
            .foreach_rdd(move |_, _| {
                s.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
        ssc.start().expect("start");
        let r = ssc.run_batches(10);
        (r, seen.load(Ordering::SeqCst), ssc.is_stopped())
    });
    r.expect("a stopped context ends run_batches with Ok");
    assert_eq!(
        batches, 2,
        "the batch in progress completes, no batch after it"
    );
    assert!(stopped);
}

// ------------------------------------------------ defect 3: state that outlives the call

/// Issue 16, defect 3: `run_batches` used to leave `checkpointAllMarkedAncestors = true` on
/// the caller's thread.
#[test]
fn run_batches_restores_the_callers_local_property() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    numbers(&ssc, 3).foreach_rdd(|_, _| Ok(()));
    ssc.start().expect("start");
    ssc.run_batches(1).expect("batch");
    assert_eq!(sc.get_local_property(CHECKPOINT_ALL_MARKED_ANCESTORS), None);
    sc.set_local_property(CHECKPOINT_ALL_MARKED_ANCESTORS, Some("false"));
    ssc.run_batches(1).expect("batch");
    assert_eq!(
        sc.get_local_property(CHECKPOINT_ALL_MARKED_ANCESTORS)
            .as_deref(),
        Some("false")
    );
    ssc.stop(false, false);
}

/// Issue 16, defect 3: restored on a failed batch too.
#[test]
fn run_batches_restores_the_local_property_after_a_failed_batch() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    numbers(&ssc, 3).foreach_rdd(|_, _| Err(Error::InvalidArgument("boom".into())));
    ssc.start().expect("start");
    assert!(ssc.run_batches(1).is_err());
    assert_eq!(sc.get_local_property(CHECKPOINT_ALL_MARKED_ANCESTORS), None);
    ssc.stop(false, false);
}

/// Issue 16, defect 3: `ssc.stop()` from `foreach_rdd` used to let all 200 batches run.
#[test]
fn stop_from_foreach_rdd_ends_run_batches() {
    let (r, batches) = within_guard("stop from foreach_rdd", || {
        let sc = context("local[2]");
        let ssc = manual(&sc);
        let inner = ssc.clone();
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        numbers(&ssc, 5).foreach_rdd(move |_, _| {
            if s.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
                inner.stop(false, false);
            }
            Ok(())
        });
        ssc.start().expect("start");
        let r = ssc.run_batches(200);
        (r, seen.load(Ordering::SeqCst))
    });
    r.expect("Ok: the user stopped the context");
    assert_eq!(batches, 3);
}

/// Issue 16, defect 3: `ssc.stop()` from another thread while `run_batches(200)` runs stops
/// after the batch in progress (`stop` waits for it to complete).
#[test]
fn stop_from_another_thread_ends_run_batches() {
    let (r, batches) = within_guard("stop from another thread", || {
        let sc = context("local[2]");
        let ssc = manual(&sc);
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        let (at3_tx, at3_rx) = mpsc::channel::<()>();
        let at3_tx = Mutex::new(at3_tx);
        let watcher = ssc.clone();
        numbers(&ssc, 5).foreach_rdd(move |_, _| {
            if s.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
                let _ = at3_tx.lock().send(());
                // The batch in progress goes on until the other thread has asked to stop.
                let deadline = std::time::Instant::now() + GUARD;
                while !watcher.is_stopped() && std::time::Instant::now() < deadline {
                    std::thread::yield_now();
                }
            }
            Ok(())
        });
        ssc.start().expect("start");
        let stopper = ssc.clone();
        let t = std::thread::spawn(move || {
            at3_rx.recv().expect("batch 3");
            stopper.stop(false, false);
        });
        let r = ssc.run_batches(200);
        t.join().expect("stopper");
        (r, seen.load(Ordering::SeqCst))
    });
    r.expect("Ok: the user stopped the context");
    assert_eq!(batches, 3);
}

/// Issue 16, defect 3: `run_batches` from inside `foreach_rdd` used to run a nested batch out
/// of order; it is refused.
#[test]
fn run_batches_from_foreach_rdd_is_refused() {
    let (nested, outer, times) = within_guard("nested run_batches", || {
        let sc = context("local[2]");
        let ssc = manual(&sc);
        let inner = ssc.clone();
        let nested = Arc::new(Mutex::new(None));
        let times = Arc::new(Mutex::new(Vec::new()));
        let (n, t) = (nested.clone(), times.clone());
        numbers(&ssc, 5).foreach_rdd(move |_, time| {
            t.lock().push(time.milliseconds());
            if time.milliseconds() == 1000 {
                *n.lock() = Some(inner.run_batches(1));
            }
            Ok(())
        });
        ssc.start().expect("start");
        let outer = ssc.run_batches(2);
        ssc.stop(false, false);
        let nested = nested.lock().take().expect("nested call ran");
        let times = times.lock().clone();
        (nested, outer, times)
    });
    assert!(message(&nested).contains("run_batches"), "{nested:?}");
    outer.expect("the outer batches run");
    assert_eq!(times, vec![1000, 2000]);
}

// ------------------------------------------------ defect 5: mismatched checkpoints, drops

/// A program with a stateful stream over a queue of `(String, i64)` and a queue of `i64`,
/// created in the order `swapped` says.
fn two_stream_program(dir: &std::path::Path, swapped: bool) -> Result<StreamingContext> {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    ssc.checkpoint(dir)?;
    let pairs = |ssc: &StreamingContext| {
        let q = ssc.queue_stream(
            (0..10)
                .map(|i| vec![(format!("k{}", i % 3), i as i64)])
                .collect(),
            true,
        );
        q.update_state_by_key(|vs: &[i64], s: Option<i64>| {
            Some(s.unwrap_or(0) + vs.iter().sum::<i64>())
        })
        .foreach_rdd(|_, _| Ok(()));
    };
    let ints = |ssc: &StreamingContext| {
        numbers(ssc, 10).map(|x| x + 1).foreach_rdd(|_, _| Ok(()));
    };
    if swapped {
        ints(&ssc);
        pairs(&ssc);
    } else {
        pairs(&ssc);
        ints(&ssc);
    }
    Ok(ssc)
}

/// Issue 16, defect 5: `create()` rebuilding the graph in another order used to fail every
/// batch with a decode error; `start()` now says the graph does not match the checkpoint.
#[test]
fn a_graph_rebuilt_in_another_order_does_not_match_the_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ssc = two_stream_program(dir.path(), false).expect("program");
    ssc.start().expect("start");
    ssc.run_batches(3).expect("batches");
    ssc.stop(true, false);

    let ssc = StreamingContext::get_or_create(dir.path(), || two_stream_program(dir.path(), true))
        .expect("get_or_create");
    let r = ssc.start();
    let m = message(&r);
    assert!(m.contains("does not match the checkpoint"), "{m}");
    assert!(m.contains("stream 0"), "names the stream: {m}");
    ssc.stop(true, false);
}

/// Issue 16, defect 5: every DStream method used to panic once its StreamingContext was
/// dropped; now they build inert streams and register nothing.
#[test]
fn dstream_methods_after_the_context_is_dropped_do_not_panic() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    let s = numbers(&ssc, 3);
    let pairs = s.map(|x| (x % 2, x));
    drop(ssc);
    let m = s
        .map(|x| x + 1)
        .filter(|x| *x > 0)
        .transform(|r, _| r.clone());
    let _ = m
        .union(&s)
        .window(Duration::seconds(2), Duration::seconds(1));
    let _ = m
        .count()
        .persist(StorageLevel::MEMORY_ONLY)
        .checkpoint(Duration::seconds(10));
    let _ = pairs.reduce_by_key(|a, b| a + b);
    let _ =
        pairs.reduce_by_key_and_window(|a, b| a + b, Duration::seconds(2), Duration::seconds(1));
    let _ = pairs
        .update_state_by_key(|vs: &[i64], s: Option<i64>| Some(s.unwrap_or(0) + vs.len() as i64));
    m.foreach_rdd(|_, _| Ok(()));
    m.print(3);
    assert!(m.generated_rdd_times().is_empty());
}

// ------------------------------------------------ defect 4: bad durations and sizes

/// Issue 16, defect 4: `window(0, 0)` used to be accepted and never output.
#[test]
fn a_zero_window_or_slide_is_refused() {
    for (window, slide, text) in [
        (
            0,
            0,
            "The window duration of windowed DStream (0 ms) must be positive",
        ),
        (
            2000,
            0,
            "The slide duration of windowed DStream (0 ms) must be positive",
        ),
    ] {
        let sc = context("local[2]");
        let ssc = manual(&sc);
        numbers(&ssc, 3)
            .window(
                Duration::milliseconds(window),
                Duration::milliseconds(slide),
            )
            .foreach_rdd(|_, _| Ok(()));
        let r = ssc.start();
        assert!(message(&r).contains(text), "{r:?}");
    }
    for (window, slide, text) in [
        (
            0,
            1000,
            "The window duration of ReducedWindowedDStream (0 ms) must be positive",
        ),
        (
            2000,
            0,
            "The slide duration of ReducedWindowedDStream (0 ms) must be positive",
        ),
    ] {
        let sc = context("local[2]");
        let ssc = manual(&sc);
        numbers(&ssc, 3)
            .map(|x| (x, 1i64))
            .reduce_by_key_and_window_inv(
                |a, b| a + b,
                |a, b| a - b,
                Duration::milliseconds(window),
                Duration::milliseconds(slide),
            )
            .foreach_rdd(|_, _| Ok(()));
        let r = ssc.start();
        assert!(message(&r).contains(text), "{r:?}");
    }
}

/// Issue 16, defect 4: `Duration::seconds(u64::MAX)` and `Time + Duration` used to wrap (or
/// panic in debug builds); they saturate, and a batch duration that leaves no room for a batch
/// time is refused at `start()`.
#[test]
fn durations_and_times_saturate_and_a_huge_batch_is_refused() {
    assert_eq!(Duration::seconds(u64::MAX).milliseconds(), u64::MAX);
    assert_eq!(Duration::minutes(u64::MAX).milliseconds(), u64::MAX);
    assert_eq!(
        (Duration::milliseconds(u64::MAX) + Duration::seconds(1)).milliseconds(),
        u64::MAX
    );
    assert_eq!(
        (Time::new(u64::MAX - 1) + Duration::seconds(1)).milliseconds(),
        u64::MAX
    );
    assert!(Duration::checked_seconds(u64::MAX).is_err());
    assert_eq!(
        Duration::checked_seconds(3).expect("3 s").milliseconds(),
        3000
    );
    let sc = context("local[2]");
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(u64::MAX));
    numbers(&ssc, 3).foreach_rdd(|_, _| Ok(()));
    let r = ssc.start();
    assert!(message(&r).contains("batch duration"), "{r:?}");
}

/// Issue 16, defect 4: `print(usize::MAX)` used to overflow `n + 1`.
#[test]
fn print_with_the_largest_count_prints_the_batch() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    numbers(&ssc, 2).print(usize::MAX);
    ssc.start().expect("start");
    ssc.run_batches(2).expect("batches");
    ssc.stop(false, false);
}

/// Issue 16, defect 4: `StateSpec.num_partitions(0)` used to drop every record silently.
#[test]
fn a_state_spec_of_zero_partitions_is_refused() {
    let sc = context("local[2]");
    let ssc = manual(&sc);
    let spec = StateSpec::function(|_k: &i64, v: Option<i64>, s: &mut State<i64>| {
        s.update(v.unwrap_or(0));
        v
    })
    .num_partitions(0);
    numbers(&ssc, 2)
        .map(|x| (x, x))
        .map_with_state(spec)
        .foreach_rdd(|_, _| Ok(()));
    let r = ssc.start();
    assert!(message(&r).contains("Number of partitions (0)"), "{r:?}");
}

/// Issue 16, defect 4: an initial state RDD of another SparkContext used to give wrong
/// results or a confusing shuffle error.
#[test]
fn an_initial_state_of_another_context_is_refused() {
    let sc = context("local[2]");
    let other = context("local[1]");
    let ssc = manual(&sc);
    let spec = StateSpec::function(|_k: &i64, v: Option<i64>, s: &mut State<i64>| {
        s.update(v.unwrap_or(0));
        v
    })
    .initial_state(other.parallelize(vec![(1i64, 10i64)], 1));
    numbers(&ssc, 2)
        .map(|x| (x, x))
        .map_with_state(spec)
        .foreach_rdd(|_, _| Ok(()));
    let r = ssc.start();
    assert!(message(&r).contains("another SparkContext"), "{r:?}");
}

/// Issue 16, defect 3: `ssc.stop()` from a task closure (an executor thread the batch waits
/// for) does not hang: `stop` waits for the batch in progress for at most 2 s (Spark's bound in
/// `JobScheduler.stop`), and no batch follows it.
#[test]
fn stop_from_a_task_closure_does_not_hang() {
    let (r, batches) = within_guard("stop from a task", || {
        let sc = context("local[2]");
        let ssc = manual(&sc);
        let inner = ssc.clone();
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        numbers(&ssc, 5).foreach_rdd(move |rdd, _| {
            s.fetch_add(1, Ordering::SeqCst);
            let inner = inner.clone();
            rdd.map(move |x| {
                inner.stop(false, false);
                x
            })
            .count()?;
            Ok(())
        });
        ssc.start().expect("start");
        let r = ssc.run_batches(5);
        (r, seen.load(Ordering::SeqCst))
    });
    r.expect("Ok: the user stopped the context");
    assert_eq!(batches, 1);
}
