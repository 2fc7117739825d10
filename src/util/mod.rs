//! Spark's `org.apache.spark.util` helpers that the RDD API hands to users.

pub(crate) mod stat_counter;
