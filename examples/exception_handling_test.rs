//! Spark's `ExceptionHandlingTest` example: each of `defaultParallelism` tasks throws with
//! probability 1/4; a task that keeps failing aborts the job, which the driver then reports
//! (Spark's program dies with the `SparkException`; this one prints it and exits with 1).
//!
//! ```sh
//! cargo run --release --example exception_handling_test
//! ```

#[path = "common/mod.rs"]
mod common;

use common::JavaRandom;
use sparklet::prelude::*;

fn main() {
    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("ExceptionHandlingTest");
    let sc = match SparkContext::new(conf) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let n = sc.default_parallelism();
    let result = sc.parallelize((0..n).collect::<Vec<_>>(), n).foreach(|i| {
        if JavaRandom::unseeded(i as u64).next_double() > 0.75 {
            panic!("Testing exception handling");
        }
    });
    sc.stop();
    if let Err(e) = result {
        eprintln!("Exception in thread \"main\" {e}");
        std::process::exit(1);
    }
}
