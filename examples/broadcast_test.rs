//! Spark's `BroadcastTest` example: broadcasts an array of a million integers three times and
//! reads its length in ten tasks, timing each iteration (the first iteration pays for starting
//! the executors' fetch paths; every iteration is a new broadcast, fetched anew).
//!
//! ```sh
//! cargo run --release --example broadcast_test [slices] [numElem] [blockSize]
//! MASTER='local-cluster[2,1,256]' RUST_LOG=sparklet::broadcast=info cargo run --release --example broadcast_test
//! ```
//!
//! `blockSize` is Spark's `spark.broadcast.blockSize` in KiB (default 4096, i.e. 4 MiB).

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use sparklet::prelude::*;

fn main() -> sparklet::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();

    let block_size = args.get(2).cloned().unwrap_or_else(|| "4096".to_string());

    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("Broadcast Test")
        .set("sparklet.broadcast.blockSize", &block_size);
    let sc = SparkContext::new(conf)?;

    let slices: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2);
    let num: i32 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);

    let arr1: Vec<i32> = (0..num).collect();

    for i in 0..3 {
        println!("Iteration {i}");
        println!("===========");
        let start_time = Instant::now();
        let barr1 = sc.broadcast(arr1.clone());
        let b = barr1.clone();
        let observed_sizes = sc
            .parallelize((1..=10).collect::<Vec<i32>>(), slices)
            .map(move |_| b.value().len());
        // Collect the small RDD so we can print the observed sizes locally.
        for size in observed_sizes.collect()? {
            println!("{size}");
        }
        println!(
            "Iteration {i} took {:.0} milliseconds",
            start_time.elapsed().as_secs_f64() * 1e3
        );
    }

    sc.stop();
    Ok(())
}
