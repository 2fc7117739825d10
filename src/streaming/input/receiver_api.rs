//! Spark's `Receiver` (the user's side of a receiver): the [`Receiver`] trait a custom source
//! implements, and the [`ReceiverContext`] through which it stores records and asks for a
//! restart or a stop (Spark's `Receiver.store` / `restart` / `stop` / `reportError` /
//! `isStopped`, which Spark forwards to the receiver's supervisor).
//!
//! A receiver's `on_start` runs on its supervisor thread (`receiver-<stream id>`); it starts
//! its own threads, gives each a clone of the context, and returns. What it stores goes to the
//! block generator of `streaming::input::receiver` (blocks at the receiver's storage level,
//! through the block manager), and the stream's batches take it from there. How the supervisor
//! restarts and stops a receiver is in `streaming::input::receiver_input`.
//!
//! A context belongs to one start of the receiver: once the receiver was asked to restart or
//! stop, [`ReceiverContext::is_stopped`] is true for it, also after the receiver started again
//! (its threads of the old start then end), while what it still stores is kept. A thread of
//! the receiver that panics while it owns a clone of its context is noticed (the clone is
//! dropped during the unwinding): the panic is reported and the receiver restarted, as a
//! failed receiver task is relaunched in Spark.

use std::sync::Arc;

use crate::rdd::Data;
use crate::storage::StorageLevel;
use crate::streaming::input::receiver::{Command, ReceiverSupervisor};

/// Spark's `Receiver`: a source of records a receiver stream runs
/// (`StreamingContext::receiver_stream`).
///
/// ```
/// use sparklet::prelude::*;
/// use sparklet::streaming::*;
/// use std::sync::{Arc, Mutex};
///
/// /// Stores the numbers 1..=n from a thread of its own.
/// struct Counter(u64);
/// impl Receiver for Counter {
///     type Item = u64;
///     fn on_start(&mut self, ctx: ReceiverContext<u64>) {
///         let n = self.0;
///         std::thread::spawn(move || ctx.store_all((1..=n).collect()));
///     }
///     fn on_stop(&mut self) {}
/// }
///
/// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
/// let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
/// let numbers = ssc.receiver_stream(Counter(10));
/// let sums = Arc::new(Mutex::new(Vec::new()));
/// let s = sums.clone();
/// numbers.foreach_rdd(move |rdd, _| {
///     s.lock().unwrap().push(rdd.collect()?.iter().sum::<u64>());
///     Ok(())
/// });
/// ssc.start().unwrap();
/// // Wait (bounded) until the receiver stored its records, then run a batch.
/// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
/// while numbers.receiver_info().unwrap().records_received < 10 {
///     assert!(std::time::Instant::now() < deadline);
///     std::thread::yield_now();
/// }
/// ssc.run_batches(1).unwrap();
/// assert_eq!(*sums.lock().unwrap(), vec![55]);
/// ssc.stop(true, false);
/// ```
pub trait Receiver: Send + 'static {
    /// The records it stores.
    type Item: Data;
    /// Starts receiving: start the receiver's own threads, store through `ctx`, return at once.
    fn on_start(&mut self, ctx: ReceiverContext<Self::Item>);
    /// Stops receiving: end what `on_start` started (its threads see `ctx.is_stopped()`).
    fn on_stop(&mut self);
    /// The level its blocks are stored at (Spark's default for receivers).
    fn storage_level(&self) -> StorageLevel {
        StorageLevel::MEMORY_AND_DISK_SER_2
    }
}

/// What a receiver's code holds to store records and talk to its supervisor (Spark's
/// `Receiver` methods that reach the `ReceiverSupervisor`). Cheap to clone; give one to every
/// thread the receiver starts.
pub struct ReceiverContext<T: Data> {
    supervisor: Arc<ReceiverSupervisor<T>>,
    generation: u64,
}

impl<T: Data> Clone for ReceiverContext<T> {
    fn clone(&self) -> Self {
        ReceiverContext {
            supervisor: self.supervisor.clone(),
            generation: self.generation,
        }
    }
}

impl<T: Data> ReceiverContext<T> {
    pub(crate) fn new(supervisor: Arc<ReceiverSupervisor<T>>, generation: u64) -> Self {
        ReceiverContext {
            supervisor,
            generation,
        }
    }

    /// Stores one record (Spark's `store(dataItem)`): it joins the block being built.
    pub fn store(&self, record: T) {
        self.store_all(vec![record]);
    }

    /// Stores records together (Spark's `store(ArrayBuffer)`): they end up in one block.
    pub fn store_all(&self, records: Vec<T>) {
        self.supervisor.add_data(records);
        self.supervisor.maybe_cut_block();
    }

    /// Asks for a restart (Spark's `restart(message)`): the supervisor calls `on_stop`, waits
    /// `sparklet.streaming.receiver.restartDelay`, and calls `on_start` again. Returns at once.
    pub fn restart(&self, message: &str) {
        self.restart_with_error(message, "");
    }

    /// [`ReceiverContext::restart`] with the error that caused it (Spark's
    /// `restart(message, error)`).
    pub fn restart_with_error(&self, message: &str, error: &str) {
        self.supervisor.request(
            self.generation,
            Command::Restart {
                message: message.to_string(),
                error: error.to_string(),
            },
            false,
        );
    }

    /// Stops the receiver (Spark's `stop(message)`): the supervisor calls `on_stop`. As
    /// Spark's `ReceiverTracker` relaunches a receiver whose task ended while the context
    /// runs, it is started again after the restart delay; stopping the context stops it for
    /// good. Returns at once.
    pub fn stop(&self, message: &str) {
        self.supervisor.request(
            self.generation,
            Command::Stop {
                message: message.to_string(),
                error: String::new(),
            },
            false,
        );
    }

    /// Reports an error without restarting (Spark's `reportError(message, throwable)`):
    /// counted in `ReceiverInfo::errors`, sent to listeners' `on_receiver_error`.
    pub fn report_error(&self, message: &str, error: &str) {
        self.supervisor.report_error(message, error);
    }

    /// Whether this start of the receiver is over (Spark's `isStopped`): the receiver was asked
    /// to restart or stop, or its context stopped. The receiver's threads end when it is.
    pub fn is_stopped(&self) -> bool {
        self.supervisor.is_receiver_stopped(self.generation)
    }

    /// The receiver's stream id (Spark's `streamId`).
    pub fn stream_id(&self) -> usize {
        self.supervisor.info().stream_id
    }
}

impl<T: Data> Drop for ReceiverContext<T> {
    /// A clone dropped while its thread unwinds from a panic: the receiver's thread died, so
    /// the panic is reported and the receiver restarted (once per start).
    fn drop(&mut self) {
        let on_supervisor =
            self.supervisor.supervisor_thread.get() == Some(&std::thread::current().id());
        if std::thread::panicking()
            && !on_supervisor
            && !self.supervisor.is_receiver_stopped(self.generation)
        {
            let message = "A thread of the receiver panicked";
            let thread = std::thread::current();
            let error = format!("thread '{}' panicked", thread.name().unwrap_or("<unnamed>"));
            self.supervisor.report_error(message, &error);
            self.supervisor.request(
                self.generation,
                Command::Restart {
                    message: message.to_string(),
                    error,
                },
                false,
            );
        }
    }
}
