//! Spark's `AccumulatorMetricsTest` example: a `LongAccumulator` and a `DoubleAccumulator`
//! updated by every element of a `foreach`, then printed with the time the job took.
//!
//! Spark also registers both with its metrics system (`LongAccumulatorSource`,
//! `DoubleAccumulatorSource`, reported by a `ConsoleSink`); sparklet has no metrics system, so
//! the values are read back here and shown as that source names them
//! (`driver.AccumulatorSource.<name>`). The accumulators also appear in the event log and the
//! report (`sparklet.eventLog.enabled`, `sc.write_report`).
//!
//! ```sh
//! cargo run --release --example accumulator_metrics_test [numElements]
//! ```

#[path = "common/mod.rs"]
mod common;

use common::java_double;
use sparklet::prelude::*;

fn main() -> sparklet::Result<()> {
    let num: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("AccumulatorMetricsTest");
    let sc = SparkContext::new(conf)?;

    let acc = sc.long_accumulator("my-long-metric");
    let acc2 = sc.double_accumulator("my-double-metric");

    let start = std::time::Instant::now();
    let (a, a2) = (acc.clone(), acc2.clone());
    sc.parallelize((1..=num).collect::<Vec<i64>>(), sc.default_parallelism())
        .foreach(move |_| {
            a.add(1);
            a2.add(1.1);
        })?;
    println!(
        "Test took {:.0} milliseconds",
        start.elapsed().as_secs_f64() * 1e3
    );
    println!("Accumulator values:");
    println!("*** Long accumulator (my-long-metric): {}", acc.value());
    println!(
        "*** Double accumulator (my-double-metric): {}",
        java_double(acc2.value())
    );
    for (name, value) in [
        ("my-long-metric", acc.value().to_string()),
        ("my-double-metric", java_double(acc2.value())),
    ] {
        println!("driver.AccumulatorSource.{name}\n             value = {value}");
    }
    sc.stop();
    Ok(())
}
