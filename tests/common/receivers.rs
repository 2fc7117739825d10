//! Custom receivers and listeners for the receiver and listener suites
//! (`tests/streaming_receivers.rs`, `tests/streaming_listener.rs`): a receiver the test feeds
//! through a channel, and a listener that records every event as a line.
#![allow(dead_code)]

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration as StdDuration;

use parking_lot::Mutex;
use sparklet::streaming::*;

/// A receiver whose thread stores each `Vec` the test sends, as one `store_all`. The channel
/// outlives restarts: a restarted receiver goes on reading it.
pub struct FeedReceiver<T: sparklet::Data> {
    feed: Arc<Mutex<mpsc::Receiver<Vec<T>>>>,
    thread: Option<JoinHandle<()>>,
}

/// A [`FeedReceiver`] and the sender that feeds it.
pub fn feed<T: sparklet::Data>() -> (FeedReceiver<T>, mpsc::Sender<Vec<T>>) {
    let (tx, rx) = mpsc::channel();
    (
        FeedReceiver {
            feed: Arc::new(Mutex::new(rx)),
            thread: None,
        },
        tx,
    )
}

impl<T: sparklet::Data> Receiver for FeedReceiver<T> {
    type Item = T;
    fn on_start(&mut self, ctx: ReceiverContext<T>) {
        let feed = self.feed.clone();
        self.thread = Some(std::thread::spawn(move || {
            while !ctx.is_stopped() {
                // A bounded wait, so the thread sees a stop request.
                let next = feed.lock().recv_timeout(StdDuration::from_millis(20));
                match next {
                    Ok(records) => ctx.store_all(records),
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        }));
    }
    fn on_stop(&mut self) {
        if let Some(t) = self.thread.take() {
            t.join().expect("the feed thread ends");
        }
    }
}

/// Records every streaming event as a line (`started 0`, `error 0 <message> | <cause>`,
/// `stopped 0`, `submitted 1000`, `batch-started 1000`, `op-started 1000 0`,
/// `op-completed 1000 0`, `completed 1000`), and each batch info by event.
#[derive(Default)]
pub struct Recorder {
    pub lines: Mutex<Vec<String>>,
    pub submitted: Mutex<Vec<BatchInfo>>,
    pub started: Mutex<Vec<BatchInfo>>,
    pub completed: Mutex<Vec<BatchInfo>>,
    pub ops_completed: Mutex<Vec<OutputOperationInfo>>,
    pub receivers: Mutex<Vec<ReceiverInfo>>,
}

impl Recorder {
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().clone()
    }
    /// The lines starting with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.lines
            .lock()
            .iter()
            .filter(|l| l.starts_with(prefix))
            .count()
    }
}

impl StreamingListener for Recorder {
    fn on_batch_submitted(&self, info: &BatchInfo) {
        self.lines
            .lock()
            .push(format!("submitted {}", info.batch_time.milliseconds()));
        self.submitted.lock().push(info.clone());
    }
    fn on_batch_started(&self, info: &BatchInfo) {
        self.lines
            .lock()
            .push(format!("batch-started {}", info.batch_time.milliseconds()));
        self.started.lock().push(info.clone());
    }
    fn on_batch_completed(&self, info: &BatchInfo) {
        self.lines
            .lock()
            .push(format!("completed {}", info.batch_time.milliseconds()));
        self.completed.lock().push(info.clone());
    }
    fn on_output_operation_started(&self, info: &OutputOperationInfo) {
        self.lines.lock().push(format!(
            "op-started {} {}",
            info.batch_time.milliseconds(),
            info.id
        ));
    }
    fn on_output_operation_completed(&self, info: &OutputOperationInfo) {
        self.lines.lock().push(format!(
            "op-completed {} {}",
            info.batch_time.milliseconds(),
            info.id
        ));
        self.ops_completed.lock().push(info.clone());
    }
    fn on_receiver_started(&self, info: &ReceiverInfo) {
        self.lines
            .lock()
            .push(format!("started {}", info.stream_id));
        self.receivers.lock().push(info.clone());
    }
    fn on_receiver_error(&self, info: &ReceiverInfo) {
        self.lines.lock().push(format!(
            "error {} {} | {}",
            info.stream_id,
            info.last_error_message.clone().unwrap_or_default(),
            info.last_error_cause.clone().unwrap_or_default()
        ));
        self.receivers.lock().push(info.clone());
    }
    fn on_receiver_stopped(&self, info: &ReceiverInfo) {
        self.lines
            .lock()
            .push(format!("stopped {}", info.stream_id));
        self.receivers.lock().push(info.clone());
    }
}
