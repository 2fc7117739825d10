//! Spark's `org.apache.spark.util` helpers: random number generators and samplers for the RDD
//! layer, `StatCounter` for the RDD API's users, and `text` (`Utils.bytesToString`, the lineage
//! prefix) for `to_debug_string` and the report, and `event_bus` (`ListenerBus`,
//! `AsyncEventQueue`) behind the context's and the streaming context's listener buses.
//! Layering: uses only `scala_string` (numbers in messages), and `event_bus` the logging targets
//! and the task layer's panic text; the RDD layer, the scheduler, streaming and the report use it.

pub(crate) mod event_bus;
pub(crate) mod poisson;
pub(crate) mod random;
pub(crate) mod stat_counter;
pub(crate) mod text;

#[cfg(test)]
mod random_sampler_suite;
