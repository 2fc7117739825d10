//! Spark Streaming: discretized streams over the RDD core, and their state.
//!
//! `use sparklet::streaming::*;` brings in everything a streaming program needs.

pub(crate) mod batch_info;
pub(crate) mod checkpoint;
pub mod clock;
pub(crate) mod context;
pub(crate) mod dstream;
pub(crate) mod env;
pub(crate) mod graph;
pub(crate) mod input;
pub(crate) mod input_info;
pub(crate) mod job_scheduler;
pub(crate) mod listener;
pub mod state;
pub(crate) mod time;

pub use clock::{Clock, ManualClock, SystemClock};
pub use context::{StreamingContext, GRACEFUL_STOP_TIMEOUT, UNPERSIST};
pub use dstream::handle::DStream;
pub use env::StreamingContextState;
pub use input::receiver::{ReceiverInfo, BLOCK_INTERVAL, MAX_LINE_BYTES, RESTART_DELAY};
pub use input::receiver_api::{Receiver, ReceiverContext};
pub use listener::{BatchInfo, OutputOperationInfo, StreamingListener};
pub use state::{MapWithStateDStream, State, StateSpec, StateStore};
pub use time::{Duration, DurationMillis, Time};
