//! Spark's `SparkPi` example: estimates π by throwing random darts at the unit square, on
//! `sc.range` (Spark 4's version runs on `spark.range`), one generator per partition.
//!
//! ```sh
//! cargo run --release --example spark_pi [partitions] [rowsPerPartition]
//! ```

#[path = "common/mod.rs"]
mod common;

use common::{java_double, JavaRandom};
use sparklet::prelude::*;

fn main() -> sparklet::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        println!(
            "Consider providing number of partitions and size of each partition as first and \
             second argument."
        );
    }
    let partitions: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2);
    let rows_per_partition: i64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    println!(
        "Computing Pi with {partitions} partitions{} and {rows_per_partition} rows per partition{}",
        if args.is_empty() { " (default)" } else { "" },
        if args.len() < 2 { " (default)" } else { "" },
    );
    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("Spark Pi");
    let sc = SparkContext::new(conf)?;
    let n = rows_per_partition * partitions as i64;
    let count = sc
        .range(0, n, 1, partitions)
        .map_partitions_with_index(|p, it| {
            let mut rand = JavaRandom::unseeded(p as u64);
            it.filter(move |_| {
                let x = rand.next_double() * 2.0 - 1.0;
                let y = rand.next_double() * 2.0 - 1.0;
                x * x + y * y <= 1.0
            })
            .collect::<Vec<_>>()
        })
        .count()?;
    println!(
        "Pi is roughly {}",
        java_double(4.0 * count as f64 / n as f64)
    );
    sc.stop();
    Ok(())
}
