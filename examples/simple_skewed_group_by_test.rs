//! Spark's `SimpleSkewedGroupByTest` example: random pairs where key 0's reducer is `ratio`
//! times likelier than the others; prints `RESULT: <number of keys>`.
//!
//! ```sh
//! cargo run --release --example simple_skewed_group_by_test [numMappers] [numKVPairs] [valSize] [numReducers] [ratio]
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
    let num_reducers = arg(&args, 3, num_mappers).max(2);
    let ratio: f64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(5.0);

    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("GroupBy Test");
    let sc = SparkContext::new(conf)?;

    let reducers = num_reducers as i32;
    let pairs1 = sc
        .parallelize((0..num_mappers).collect::<Vec<_>>(), num_mappers)
        .flat_map(move |p| {
            let mut ran_gen = JavaRandom::unseeded(p as u64);
            (0..num_kv_pairs)
                .map(|_| {
                    let mut byte_arr = vec![0u8; val_size];
                    ran_gen.next_bytes(&mut byte_arr);
                    let offset = ran_gen.next_int_bounded(1000) * reducers;
                    if ran_gen.next_double() < ratio / (f64::from(reducers) + ratio - 1.0) {
                        // Give ratio times higher chance of generating key 0 (for reducer 0).
                        (offset, byte_arr)
                    } else {
                        // Generate a key for one of the other reducers.
                        let key = 1 + ran_gen.next_int_bounded(reducers - 1) + offset;
                        (key, byte_arr)
                    }
                })
                .collect::<Vec<_>>()
        })
        .cache()?;
    // Enforce that everything has been calculated and in cache.
    pairs1.count()?;

    println!(
        "RESULT: {}",
        pairs1
            .group_by_key_with(Partitioner::hash(num_reducers))
            .count()?
    );
    sc.stop();
    Ok(())
}
