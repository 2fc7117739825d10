//! Spark's `org.apache.spark.util` helpers that the RDD layer needs (random number generators
//! and samplers) and that the RDD API hands to users (`StatCounter`). Layering: uses only
//! `scala_string` (numbers in messages); the RDD layer uses it.

pub(crate) mod poisson;
pub(crate) mod random;
pub(crate) mod stat_counter;

#[cfg(test)]
mod random_sampler_suite;
