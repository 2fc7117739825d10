//! Spark's `MultiBroadcastTest` example: two broadcast arrays of a million integers, both read
//! by each of ten tasks, which report the lengths they saw.
//!
//! ```sh
//! cargo run --release --example multi_broadcast_test [slices] [numElem]
//! ```

#[path = "common/mod.rs"]
mod common;

use sparklet::prelude::*;

fn main() -> sparklet::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();

    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("Multi-Broadcast Test");
    let sc = SparkContext::new(conf)?;

    let slices: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2);
    let num: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);

    let mut arr1 = vec![0i32; num];
    for (i, x) in arr1.iter_mut().enumerate() {
        *x = i as i32;
    }

    let mut arr2 = vec![0i32; num];
    for (i, x) in arr2.iter_mut().enumerate() {
        *x = i as i32;
    }

    let barr1 = sc.broadcast(arr1);
    let barr2 = sc.broadcast(arr2);
    let (b1, b2) = (barr1.clone(), barr2.clone());
    let observed_sizes: Rdd<(usize, usize)> = sc
        .parallelize((1..=10).collect::<Vec<i32>>(), slices)
        .map(move |_| (b1.value().len(), b2.value().len()));
    // Collect the small RDD so we can print the observed sizes locally.
    for (a, b) in observed_sizes.collect()? {
        println!("({a},{b})");
    }

    sc.stop();
    Ok(())
}
