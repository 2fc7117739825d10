//! Clocks (Spark's `Clock`, `SystemClock`, `ManualClock`): where streaming time comes from.
//!
//! Batches are generated when the clock reaches their time. With the system clock that is wall
//! time; with the manual clock, time moves only when `run_batches` advances it, so streaming
//! tests are deterministic.

use std::sync::atomic::{AtomicU64, Ordering};

/// A source of time in milliseconds.
pub trait Clock: Send + Sync {
    /// The current time in milliseconds.
    fn time_ms(&self) -> u64;
}

/// Wall-clock time (milliseconds since the Unix epoch).
#[derive(Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn time_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}

/// A clock that moves only when told to; starts at 0.
#[derive(Default)]
pub struct ManualClock {
    ms: AtomicU64,
}

impl ManualClock {
    /// A manual clock at `ms`.
    pub fn new(ms: u64) -> ManualClock {
        ManualClock {
            ms: AtomicU64::new(ms),
        }
    }
    /// Sets the time.
    pub fn set_time(&self, ms: u64) {
        self.ms.store(ms, Ordering::SeqCst);
    }
    /// Moves the time forward.
    pub fn advance(&self, ms: u64) {
        self.ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn time_ms(&self) -> u64 {
        self.ms.load(Ordering::SeqCst)
    }
}
