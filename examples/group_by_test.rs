//! Spark's `GroupByTest` example: random key-value pairs, cached, then grouped by key into
//! `numReducers` partitions; prints the number of distinct keys.
//!
//! ```sh
//! cargo run --release --example group_by_test [numMappers] [numKVPairs] [valSize] [numReducers]
//! ```

#[path = "common/mod.rs"]
mod common;

use common::JavaRandom;
use sparklet::prelude::*;

fn arg(args: &[String], i: usize, default: usize) -> usize {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn main() -> sparklet::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num_mappers = arg(&args, 0, 2);
    let num_kv_pairs = arg(&args, 1, 1000);
    let val_size = arg(&args, 2, 1000);
    let num_reducers = arg(&args, 3, num_mappers);

    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("GroupBy Test");
    let sc = SparkContext::new(conf)?;

    let pairs1 = sc
        .parallelize((0..num_mappers).collect::<Vec<_>>(), num_mappers)
        .flat_map(move |p| {
            let mut ran_gen = JavaRandom::unseeded(p as u64);
            (0..num_kv_pairs)
                .map(|_| {
                    let mut byte_arr = vec![0u8; val_size];
                    ran_gen.next_bytes(&mut byte_arr);
                    (ran_gen.next_int_bounded(i32::MAX), byte_arr)
                })
                .collect::<Vec<_>>()
        })
        .cache()?;
    // Enforce that everything has been calculated and in cache.
    pairs1.count()?;

    println!(
        "{}",
        pairs1
            .group_by_key_with(Partitioner::hash(num_reducers))
            .count()?
    );
    sc.stop();
    Ok(())
}
