//! The shared test kit: contexts, counting closures, failing closures.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub mod golden;
pub mod oracle;
pub mod oracle_ops;
pub mod receivers;
pub mod recovery;
pub mod redis;
pub mod socket;
pub mod streaming;

use sparklet::prelude::*;

/// A fresh context on `master`.
pub fn context(master: &str) -> SparkContext {
    SparkContext::new(SparkConf::new().set_master(master).set_app_name("test")).expect("context")
}

/// A context with extra settings.
pub fn context_with(master: &str, settings: &[(&str, &str)]) -> SparkContext {
    let mut conf = SparkConf::new().set_master(master).set_app_name("test");
    for (k, v) in settings {
        conf = conf.set(k, v);
    }
    SparkContext::new(conf).expect("context")
}

/// A counter shared with closures that run on executors.
#[derive(Clone, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub fn new() -> Counter {
        Counter::default()
    }
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
    pub fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

/// Sorts a vector (for comparing unordered results).
pub fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Runs `op` over a queue stream of `input` (one batch per inner vector) on a manual clock for
/// `batches` batches and returns each batch's output (Spark's `testOperation`).
pub fn run_stream<T: Data, U: Data>(
    sc: &SparkContext,
    input: Vec<Vec<T>>,
    batches: usize,
    op: impl FnOnce(sparklet::streaming::DStream<T>) -> sparklet::streaming::DStream<U>,
) -> Vec<Vec<U>> {
    use sparklet::streaming::*;
    let ssc = StreamingContext::with_manual_clock(sc, Duration::seconds(1));
    let out = op(ssc.queue_stream(input, true));
    let collected = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let c = collected.clone();
    out.foreach_rdd(move |rdd, _| {
        c.lock().push(rdd.collect()?);
        Ok(())
    });
    ssc.start().expect("start");
    ssc.run_batches(batches).expect("batches");
    ssc.stop(false, false);
    let v = collected.lock().clone();
    v
}

/// Runs `f` on a thread and returns its value, failing the test if it takes longer than 60 s:
/// a regression that hangs fails its test instead of hanging the suite.
pub fn within_guard<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what} hung (or panicked)"))
}

/// The reason of an `Error::CorruptCheckpoint` naming `file`; fails the test on anything else.
pub fn corrupt_reason<T: std::fmt::Debug>(result: sparklet::Result<T>, file: &str) -> String {
    match result {
        Err(sparklet::Error::CorruptCheckpoint { path, reason }) => {
            assert!(
                path.to_string_lossy().contains(file),
                "{} does not name {file}: {reason}",
                path.display()
            );
            reason
        }
        other => panic!("expected CorruptCheckpoint naming {file}, got {other:?}"),
    }
}
