//! Stateful streams: Spark's `mapWithState` (`StateSpec`, `State`, `StateMap`,
//! `MapWithStateRDD`, `InternalMapWithStateDStream`, `MapWithStateDStreamImpl`).
//!
//! Per batch and partition, the new state map is a copy-on-write child of the previous batch's
//! map, and only the keys with data in the batch are visited; a full scan for timed-out keys
//! runs only on batches whose state RDD is checkpointed (every 10 batches by default).
//! `updateStateByKey`'s `StateDStream`, by contrast, cogroups every batch with the whole
//! previous state (`streaming/dstream/state_dstream.rs`).

pub(crate) mod dstream;
pub(crate) mod rdd;
pub(crate) mod redis_store;
pub(crate) mod spec;
pub(crate) mod state_impl;
pub mod state_map;
pub(crate) mod store;

pub use dstream::MapWithStateDStream;
pub use spec::StateSpec;
pub use state_impl::State;
pub use store::StateStore;
