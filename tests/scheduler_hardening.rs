//! Jobs started where the scheduler cannot serve them the usual way: from a listener, and from
//! inside a task. Each works or fails with a clear error, never hangs (each runs on a thread
//! guarded by a generous timeout).

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{context, within_guard};
use sparklet::prelude::*;

/// Spark's `SparkListenerSuite` runs listeners on the asynchronous bus, so a listener may use
/// the context: here it runs a job when the first job ends, and that job's answer arrives.
#[test]
fn a_listener_that_runs_a_job_gets_its_answer() {
    let answer = within_guard("the job", || {
        let sc = context("local[2]");
        let (tx, rx) = mpsc::channel();
        let inner = sc.clone();
        let tx = parking_lot::Mutex::new(Some(tx));
        sc.add_spark_listener(move |e| {
            if let SparkListenerEvent::JobEnd { job_id: 0, .. } = e {
                if let Some(tx) = tx.lock().take() {
                    let _ = tx.send(inner.parallelize(vec![1, 2, 3], 2).count());
                }
            }
        });
        assert_eq!(sc.parallelize(vec![1, 2], 2).count().unwrap(), 2);
        let got = rx
            .recv_timeout(Duration::from_secs(50))
            .expect("listener's job");
        sc.stop();
        got
    });
    assert_eq!(answer.unwrap(), 3);
}

/// A listener still sees every event of a job by the time the job returns.
#[test]
fn every_event_of_a_job_is_delivered_before_it_returns() {
    let sc = context("local[2]");
    let log = EventLog::attach(&sc);
    for n in 0..20 {
        sc.parallelize((0..10).collect::<Vec<i32>>(), 3)
            .count()
            .unwrap();
        let ends = log
            .events()
            .iter()
            .filter(|e| matches!(e, SparkListenerEvent::JobEnd { .. }))
            .count();
        assert_eq!(ends, n + 1);
    }
}

/// SPARK-5063 (`RDDSuite` "nested RDDs are not supported (SPARK-5063)"): an action inside a
/// task is refused with Spark's message, even on `local[2]` where it would wait for a slot.
#[test]
fn an_action_inside_a_task_is_refused_with_sparks_message() {
    let errors = within_guard("the job", || {
        let sc = context("local[2]");
        let other = sc.parallelize(vec![1, 2, 3], 2);
        let got = sc
            .parallelize(vec![1, 2], 2)
            .map(move |_| match other.count() {
                Ok(n) => format!("ran: {n}"),
                Err(e) => e.to_string(),
            })
            .collect();
        sc.stop();
        got
    });
    let errors = errors.unwrap();
    assert_eq!(errors.len(), 2);
    for e in errors {
        assert!(
            e.contains("RDD transformations and actions can only be invoked by the driver")
                && e.contains("SPARK-5063"),
            "{e}"
        );
    }
}

/// A listener that panics is reported and skipped; later events and jobs still flow.
#[test]
fn a_panicking_listener_does_not_stop_the_bus() {
    let sc = context("local[2]");
    sc.add_spark_listener(|e| {
        if matches!(e, SparkListenerEvent::JobStart { .. }) {
            panic!("listener bug");
        }
    });
    let log = EventLog::attach(&sc);
    let n = within_guard("the job", move || {
        let a = sc.parallelize(vec![1], 1).count().unwrap();
        let b = sc.parallelize(vec![1, 2], 1).count().unwrap();
        a + b
    });
    assert_eq!(n, 3);
    assert_eq!(log.jobs().len(), 2);
}
