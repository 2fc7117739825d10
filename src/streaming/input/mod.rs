//! Input streams: the sources of a streaming graph (Spark's `InputDStream`s).

pub(crate) mod queue;
