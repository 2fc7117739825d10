//! Input streams: the sources of a streaming graph (Spark's `InputDStream`s).

pub(crate) mod file;
pub(crate) mod queue;
pub(crate) mod receiver;
pub(crate) mod receiver_api;
pub(crate) mod receiver_input;
pub(crate) mod socket;
