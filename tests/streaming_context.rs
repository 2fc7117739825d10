//! `StreamingContext::state` and `await_termination`: Spark's StreamingContextSuite cases for
//! the context's states and for waiting on it. Every wait is bounded: `await_termination`
//! runs on a helper thread whose answer the test receives with a timeout.

mod common;

use std::sync::mpsc;

use common::context_with;
use common::socket::PATIENCE;
use sparklet::prelude::*;
use sparklet::streaming::*;

fn input(ssc: &StreamingContext) -> DStream<i32> {
    ssc.queue_stream((1..=100).map(|i| (1..=i).collect()).collect(), true)
}

/// Runs `ssc.await_termination()` on a helper thread; its answer arrives on the channel.
fn await_in_thread(ssc: &StreamingContext) -> mpsc::Receiver<Result<()>> {
    let (tx, rx) = mpsc::channel();
    let s = ssc.clone();
    std::thread::spawn(move || {
        let _ = tx.send(s.await_termination());
    });
    rx
}

/// StreamingContextSuite: "state matching".
#[test]
fn state_matching() {
    use StreamingContextState::*;
    assert_eq!(Initialized, Initialized);
    assert_ne!(Initialized, Active);
}

/// StreamingContextSuite: "start and stop state check" (stopping the Spark context too, by
/// `stop(true, _)`).
#[test]
fn start_and_stop_state_check() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::milliseconds(500));
    input(&ssc).foreach_rdd(|_, _| Ok(()));
    assert_eq!(ssc.state(), StreamingContextState::Initialized);
    ssc.start().unwrap();
    assert_eq!(ssc.state(), StreamingContextState::Active);
    ssc.stop(true, false);
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
    assert!(sc.parallelize(vec![1, 2], 1).collect().is_err());
}

/// StreamingContextSuite: "start failure should stop internal components" — updateStateByKey
/// without a checkpoint folder fails `start()`, and the context is stopped.
#[test]
fn start_failure_should_stop_internal_components() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::milliseconds(500));
    input(&ssc)
        .map(|x| (x, 1))
        .update_state_by_key(|vs: &[i32], s: Option<i32>| {
            Some(vs.iter().sum::<i32>() + s.unwrap_or(0))
        })
        .foreach_rdd(|_, _| Ok(()));
    assert!(ssc.start().is_err());
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
    assert!(ssc.run_batches(1).is_err());
}

/// StreamingContextSuite: "start multiple times".
#[test]
fn start_multiple_times() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::milliseconds(500));
    input(&ssc).foreach_rdd(|_, _| Ok(()));
    ssc.start().unwrap();
    assert_eq!(ssc.state(), StreamingContextState::Active);
    ssc.start().unwrap();
    assert_eq!(ssc.state(), StreamingContextState::Active);
    ssc.stop(true, false);
}

/// StreamingContextSuite: "stop multiple times".
#[test]
fn stop_multiple_times() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::milliseconds(500));
    input(&ssc).foreach_rdd(|_, _| Ok(()));
    ssc.start().unwrap();
    ssc.stop(true, false);
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
    ssc.stop(true, false);
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
}

/// StreamingContextSuite: "stop before start" and "start after stop" (SPARK-4301).
#[test]
fn stop_before_start_and_start_after_stop() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::milliseconds(500));
    input(&ssc).foreach_rdd(|_, _| Ok(()));
    ssc.stop(false, false);
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
    let err = ssc.start().unwrap_err();
    assert!(matches!(err, Error::IllegalState(_)), "{err:?}");
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
}

/// StreamingContextSuite: "awaitTermination" — it does not return while the context runs,
/// and returns once another thread stops it.
#[test]
fn await_termination_returns_when_stopped() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::new(&sc, Duration::milliseconds(500));
    input(&ssc).map(|x| x).foreach_rdd(|_, _| Ok(()));
    ssc.start().unwrap();
    assert!(!ssc
        .await_termination_or_timeout(Duration::milliseconds(50))
        .unwrap());
    let answer = await_in_thread(&ssc);
    // It does not return while the context runs (a wrong return would show within 200 ms;
    // a slow machine can only make this pass, never fail).
    assert!(
        answer
            .recv_timeout(std::time::Duration::from_millis(200))
            .is_err(),
        "returned before the stop"
    );
    ssc.stop(true, false);
    answer
        .recv_timeout(PATIENCE)
        .expect("await_termination returned")
        .unwrap();
}

/// StreamingContextSuite: "awaitTermination after stop".
#[test]
fn await_termination_after_stop() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::new(&sc, Duration::milliseconds(500));
    input(&ssc).map(|x| x).foreach_rdd(|_, _| Ok(()));
    ssc.start().unwrap();
    ssc.stop(true, false);
    await_in_thread(&ssc)
        .recv_timeout(PATIENCE)
        .expect("await_termination returned")
        .unwrap();
}

/// StreamingContextSuite: "awaitTermination with error in task" — the failed job's error is
/// what `await_termination` returns (Spark rethrows it).
#[test]
fn await_termination_with_error_in_task() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::new(&sc, Duration::milliseconds(100));
    input(&ssc)
        .map(|x| -> i32 { panic!("error in map task {x}") })
        .foreach_rdd(|rdd, _| rdd.count().map(drop));
    ssc.start().unwrap();
    let err = await_in_thread(&ssc)
        .recv_timeout(PATIENCE)
        .expect("await_termination returned")
        .unwrap_err();
    assert!(err.to_string().contains("map task"), "{err}");
    ssc.stop(true, false);
}

/// StreamingContextSuite: "awaitTermination with error in job generation" — an output
/// function's error (the nearest sparklet has: a transform cannot fail) reaches
/// `await_termination`.
#[test]
fn await_termination_with_error_in_output() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::new(&sc, Duration::milliseconds(100));
    input(&ssc).foreach_rdd(|_, _| Err(Error::InvalidArgument("error in transform".into())));
    ssc.start().unwrap();
    let err = await_in_thread(&ssc)
        .recv_timeout(PATIENCE)
        .expect("await_termination returned")
        .unwrap_err();
    assert!(err.to_string().contains("transform"), "{err}");
    ssc.stop(true, false);
}
