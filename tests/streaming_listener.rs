//! Streaming listeners (`add_streaming_listener`, `StreamingListener`, `BatchInfo`,
//! `OutputOperationInfo`): Spark's StreamingListenerSuite, on the manual clock (the events of a
//! batch are delivered when `run_batches` returns) and on the wall clock (bounded waits on
//! the events themselves).

mod common;

use std::sync::mpsc;
use std::sync::Arc;

use common::context_with;
use common::receivers::{feed, Recorder};
use common::socket::{wait_until, PATIENCE};
use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

fn manual(sc: &SparkContext) -> StreamingContext {
    StreamingContext::with_manual_clock(sc, Duration::milliseconds(100))
}

fn increasing(v: &[u64]) -> bool {
    v.windows(2).all(|w| w[0] <= w[1])
}

/// Checks Spark's "batch info reporting" assertions on what `r` collected for `n` batches.
fn check_batch_infos(r: &Recorder, n: usize, records: Option<u64>) {
    let submitted = r.submitted.lock().clone();
    let started = r.started.lock().clone();
    let completed = r.completed.lock().clone();
    assert_eq!((submitted.len(), started.len(), completed.len()), (n, n, n));
    for info in &submitted {
        assert_eq!(
            (
                info.scheduling_delay(),
                info.processing_delay(),
                info.total_delay()
            ),
            (None, None, None)
        );
    }
    for info in &started {
        assert!(info.scheduling_delay().is_some());
        assert_eq!((info.processing_delay(), info.total_delay()), (None, None));
    }
    for info in &completed {
        assert!(info.scheduling_delay().is_some());
        assert!(info.processing_delay().is_some());
        assert!(info.total_delay().is_some());
    }
    if let Some(records) = records {
        for info in submitted.iter().chain(&started).chain(&completed) {
            assert_eq!(info.num_records, records);
            assert_eq!(
                info.stream_id_to_num_records.iter().collect::<Vec<_>>(),
                vec![(&0, &records)]
            );
        }
    }
    let ms = |v: &[BatchInfo], f: fn(&BatchInfo) -> u64| v.iter().map(f).collect::<Vec<_>>();
    assert!(increasing(&ms(&submitted, |i| i
        .submission_time
        .milliseconds())));
    assert!(increasing(&ms(&started, |i| i
        .processing_start_time
        .unwrap()
        .milliseconds())));
    assert!(increasing(&ms(&completed, |i| i
        .processing_end_time
        .unwrap()
        .milliseconds())));
    assert!(increasing(&ms(&completed, |i| i.batch_time.milliseconds())));
}

/// StreamingListenerSuite: "batch info reporting" — submitted (no delays), started
/// (scheduling delay only) and completed (all delays) for every batch, one record each from
/// input stream 0, times in increasing order. Manual clock.
#[test]
fn batch_info_reporting() {
    let sc = context_with("local[2]", &[]);
    let ssc = manual(&sc);
    let (receiver, tx) = feed::<i32>();
    let input = ssc.receiver_stream(receiver);
    input.map(|x| x).foreach_rdd(|rdd, _| rdd.count().map(drop));
    let r = Arc::new(Recorder::default());
    ssc.add_streaming_listener(r.clone());
    ssc.start().unwrap();
    for x in 1..=4 {
        let want = x as u64;
        tx.send(vec![x]).unwrap();
        wait_until("the record is stored", || {
            input.receiver_info().unwrap().records_received == want
        });
        ssc.run_batches(1).unwrap();
    }
    check_batch_infos(&r, 4, Some(1));
    // Times on the manual clock are the manual clock's: the batch time itself.
    let completed = r.completed.lock().clone();
    for (i, info) in completed.iter().enumerate() {
        let t = Time::new(100 * (i as u64 + 1));
        assert_eq!(info.batch_time, t);
        assert_eq!(info.submission_time, t);
        assert_eq!(info.total_delay(), Some(Duration::milliseconds(0)));
    }
    ssc.stop(true, false);
}

/// StreamingListenerSuite: "batch info reporting", on the wall clock (Spark's
/// `actuallyWait`): four batches are reported with every delay, in order.
#[test]
fn batch_info_reporting_on_the_wall_clock() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::new(&sc, Duration::milliseconds(100));
    let input = ssc.queue_stream((1..=4).map(|x| vec![x]).collect(), true);
    input.map(|x| x).foreach_rdd(|rdd, _| rdd.count().map(drop));
    let r = Arc::new(Recorder::default());
    ssc.add_streaming_listener(r.clone());
    ssc.start().unwrap();
    wait_until("4 batches completed", || r.completed.lock().len() >= 4);
    ssc.stop(true, false);
    let n = r.completed.lock().len();
    // A queue stream reports no input info (Spark's `QueueInputDStream`): 0 records.
    check_batch_infos(&r, n, None);
    for info in r.completed.lock().iter() {
        assert_eq!(info.num_records, 0);
    }
}

/// Spark's `StreamingListenerSuiteReceiver`: reports an error, then stops itself.
struct ReportsThenStops;

impl Receiver for ReportsThenStops {
    type Item = String;
    fn on_start(&mut self, ctx: ReceiverContext<String>) {
        std::thread::spawn(move || {
            ctx.report_error("test report error", "test report exception");
            ctx.stop("test stop error");
        });
    }
    fn on_stop(&mut self) {}
    fn storage_level(&self) -> StorageLevel {
        StorageLevel::MEMORY_ONLY
    }
}

/// StreamingListenerSuite: "receiver info reporting" — one start, one error (its message and
/// error), one stop, all of stream 0. (The restart delay is long, so the relaunch that
/// follows a receiver's own stop does not come within the test.)
#[test]
fn receiver_info_reporting() {
    let sc = context_with(
        "local[2]",
        &[("sparklet.streaming.receiver.restartDelay", "10min")],
    );
    let ssc = StreamingContext::new(&sc, Duration::seconds(1));
    ssc.receiver_stream(ReportsThenStops)
        .foreach_rdd(|rdd, _| rdd.count().map(drop));
    let r = Arc::new(Recorder::default());
    ssc.add_streaming_listener(r.clone());
    ssc.start().unwrap();
    wait_until("the receiver stopped", || r.count("stopped") == 1);
    let receiver_lines: Vec<String> = r
        .lines()
        .into_iter()
        .filter(|l| {
            !l.contains("submitted") && !l.contains("completed") && !l.contains("started 1")
        })
        .filter(|l| l.starts_with("started") || l.starts_with("error") || l.starts_with("stopped"))
        .collect();
    assert_eq!(
        receiver_lines,
        vec![
            "started 0",
            "error 0 test report error | test report exception",
            "stopped 0"
        ]
    );
    ssc.stop(true, false);
}

/// StreamingListenerSuite: "output operation reporting" — three output operations are
/// started and completed as 0, 1, 2 (their place in the batch), in order.
#[test]
fn output_operation_reporting() {
    let sc = context_with("local[2]", &[]);
    let ssc = manual(&sc);
    let input = ssc.queue_stream(vec![vec![1, 2, 3]], true);
    input.foreach_rdd(|rdd, _| rdd.count().map(drop));
    input.foreach_rdd(|rdd, _| rdd.collect().map(drop));
    input.foreach_rdd(|rdd, _| rdd.count().map(drop));
    let r = Arc::new(Recorder::default());
    ssc.add_streaming_listener(r.clone());
    ssc.start().unwrap();
    ssc.run_batches(1).unwrap();
    assert_eq!(
        r.lines(),
        vec![
            "submitted 100",
            "batch-started 100",
            "op-started 100 0",
            "op-completed 100 0",
            "op-started 100 1",
            "op-completed 100 1",
            "op-started 100 2",
            "op-completed 100 2",
            "completed 100",
        ]
    );
    let completed = r.completed.lock()[0].clone();
    assert_eq!(
        completed
            .output_operation_infos
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    for op in completed.output_operation_infos.values() {
        assert_eq!(op.name, "foreachRDD");
        assert!(
            op.description.contains("ForEachDStream"),
            "{}",
            op.description
        );
        assert_eq!(op.duration(), Some(Duration::milliseconds(0)));
        assert_eq!(op.failure_reason, None);
    }
    // The submitted batch already lists its output operations, without times.
    let submitted = r.submitted.lock()[0].clone();
    assert!(submitted
        .output_operation_infos
        .values()
        .all(|op| op.start_time.is_none() && op.end_time.is_none()));
    ssc.stop(true, false);
}

/// A listener that calls `ssc.stop` at the first completed batch (Spark's
/// `StreamingContextStoppingCollector`).
struct Stopping {
    ssc: Mutex<Option<StreamingContext>>,
    states: Mutex<Vec<StreamingContextState>>,
}

impl StreamingListener for Stopping {
    fn on_batch_completed(&self, _: &BatchInfo) {
        if let Some(ssc) = self.ssc.lock().take() {
            ssc.stop(false, false);
            self.states.lock().push(ssc.state());
        }
    }
}

/// StreamingListenerSuite: "don't call ssc.stop in listener" — a stop from the listener bus
/// thread is refused (Spark throws "Cannot stop StreamingContext within listener bus
/// thread."; `stop` returns nothing here, so it is logged): the context stays active and the
/// next batch runs.
#[test]
fn dont_call_ssc_stop_in_listener() {
    let sc = context_with("local[2]", &[]);
    let ssc = manual(&sc);
    ssc.queue_stream(vec![vec![1], vec![2]], true)
        .foreach_rdd(|rdd, _| rdd.count().map(drop));
    let stopping = Arc::new(Stopping {
        ssc: Mutex::new(Some(ssc.clone())),
        states: Mutex::default(),
    });
    let r = Arc::new(Recorder::default());
    ssc.add_streaming_listener(stopping.clone());
    ssc.add_streaming_listener(r.clone());
    ssc.start().unwrap();
    ssc.run_batches(2).unwrap();
    assert_eq!(*stopping.states.lock(), vec![StreamingContextState::Active]);
    assert_eq!(r.count("completed"), 2);
    ssc.stop(true, false);
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
}

/// Every output operation's failure reason, by id (Spark's `FailureReasonsCollector`).
fn failure_reasons(r: &Recorder) -> Vec<(usize, String)> {
    r.ops_completed
        .lock()
        .iter()
        .filter_map(|op| op.failure_reason.clone().map(|f| (op.id, f)))
        .collect()
}

/// StreamingListenerSuite: "onBatchCompleted with successful batch".
#[test]
fn on_batch_completed_with_successful_batch() {
    let sc = context_with("local[2]", &[]);
    let ssc = manual(&sc);
    ssc.queue_stream(vec![vec![1]], true)
        .foreach_rdd(|rdd, _| rdd.count().map(drop));
    let r = Arc::new(Recorder::default());
    ssc.add_streaming_listener(r.clone());
    ssc.start().unwrap();
    ssc.run_batches(1).unwrap();
    assert!(
        failure_reasons(&r).is_empty(),
        "A successful batch should not set errorMessage"
    );
    assert_eq!(r.count("completed"), 1);
    ssc.stop(true, false);
}

/// StreamingListenerSuite: "onBatchCompleted with failed batch and one failed job" (and the
/// error reaches the caller, as Spark's `awaitTerminationOrTimeout` throws).
#[test]
fn on_batch_completed_with_failed_batch_and_one_failed_job() {
    let sc = context_with("local[2]", &[]);
    let ssc = manual(&sc);
    ssc.queue_stream(vec![vec![1]], true)
        .foreach_rdd(|_, _| Err(Error::InvalidArgument("This is a failed job".into())));
    let r = Arc::new(Recorder::default());
    ssc.add_streaming_listener(r.clone());
    ssc.start().unwrap();
    let err = ssc.run_batches(1).unwrap_err();
    assert!(err.to_string().contains("This is a failed job"), "{err}");
    let reasons = failure_reasons(&r);
    assert_eq!(reasons.len(), 1);
    assert_eq!(reasons[0].0, 0);
    assert!(reasons[0].1.contains("This is a failed job"));
    assert_eq!(r.count("completed"), 1);
    ssc.stop(true, false);
}

/// StreamingListenerSuite: "onBatchCompleted with failed batch and multiple failed jobs".
#[test]
fn on_batch_completed_with_failed_batch_and_multiple_failed_jobs() {
    let sc = context_with("local[2]", &[]);
    let ssc = manual(&sc);
    let input = ssc.queue_stream(vec![vec![1]], true);
    input.foreach_rdd(|_, _| Err(Error::InvalidArgument("This is a failed job".into())));
    input.foreach_rdd(|_, _| Err(Error::InvalidArgument("This is another failed job".into())));
    let r = Arc::new(Recorder::default());
    ssc.add_streaming_listener(r.clone());
    ssc.start().unwrap();
    let err = ssc.run_batches(1).unwrap_err();
    assert!(err.to_string().contains("This is a failed job"), "{err}");
    let reasons = failure_reasons(&r);
    assert_eq!(reasons.iter().map(|r| r.0).collect::<Vec<_>>(), vec![0, 1]);
    assert!(reasons[0].1.contains("This is a failed job"));
    assert!(reasons[1].1.contains("This is another failed job"));
    ssc.stop(true, false);
}

/// A receiver that hands its context to the test.
struct Handing(mpsc::Sender<ReceiverContext<i32>>);

impl Receiver for Handing {
    type Item = i32;
    fn on_start(&mut self, ctx: ReceiverContext<i32>) {
        let _ = self.0.send(ctx);
    }
    fn on_stop(&mut self) {}
}

/// StreamingListenerSuite: "StreamingListener receives no events after stopping
/// StreamingListenerBus" — an event posted after `stop` (an error a receiver's leftover
/// thread reports) reaches no listener; what was posted before `stop` returned was delivered.
#[test]
fn streaming_listener_receives_no_events_after_stopping_the_bus() {
    let sc = context_with("local[2]", &[]);
    let ssc = manual(&sc);
    let (tx, contexts) = mpsc::channel();
    ssc.receiver_stream(Handing(tx))
        .foreach_rdd(|rdd, _| rdd.count().map(drop));
    let r = Arc::new(Recorder::default());
    ssc.add_streaming_listener(r.clone());
    ssc.start().unwrap();
    let ctx = contexts.recv_timeout(PATIENCE).unwrap();
    ssc.run_batches(1).unwrap();
    ssc.stop(true, false);
    let before = r.lines();
    assert_eq!(before.first().map(String::as_str), Some("started 0"));
    assert_eq!(before.last().map(String::as_str), Some("stopped 0"));
    ctx.report_error("after the stop", "late");
    assert_eq!(r.lines(), before);
}

/// A panicking listener is logged and skipped: the others, and the batches, go on (Spark's
/// listener bus catches a listener's exception).
#[test]
fn a_panicking_listener_does_not_stop_the_others_or_the_context() {
    struct Panics;
    impl StreamingListener for Panics {
        fn on_batch_completed(&self, _: &BatchInfo) {
            panic!("listener failure");
        }
    }
    let sc = context_with("local[2]", &[]);
    let ssc = manual(&sc);
    ssc.queue_stream(vec![vec![1], vec![2]], true)
        .foreach_rdd(|rdd, _| rdd.count().map(drop));
    let r = Arc::new(Recorder::default());
    ssc.add_streaming_listener(Panics);
    ssc.add_streaming_listener(r.clone());
    ssc.start().unwrap();
    ssc.run_batches(2).unwrap();
    assert_eq!(r.count("completed"), 2);
    ssc.stop(true, false);
}
