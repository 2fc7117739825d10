//! Scheduling cost: one `count` over `parallelize` with N slices (one element each) on
//! `local[2]`, for N from 1k to 128k. The work per task is nothing, so the time is the
//! scheduler's: stage submission, task sets, offers, task ends, results. Linear scheduling
//! shows as a constant time per task.
//!
//! ```sh
//! cargo run --release --example bench_scheduling
//! ```

use std::time::Instant;

use sparklet::prelude::*;

fn main() -> Result<()> {
    // Spark's console: warnings and errors unless RUST_LOG says otherwise (RUST_LOG=sparklet=info
    // shows the scheduler's jobs, stages and tasks).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    println!("| slices | time (s) | µs/task |");
    println!("| ---: | ---: | ---: |");
    for slices in [1_000usize, 8_000, 32_000, 64_000, 128_000] {
        let sc = SparkContext::new(
            SparkConf::new()
                .set_master("local[2]")
                .set_app_name("bench_scheduling"),
        )?;
        let data: Vec<u32> = (0..slices as u32).collect();
        let start = Instant::now();
        let n = sc.parallelize(data, slices).count()?;
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(n, slices);
        println!(
            "| {slices} | {secs:.2} | {:.1} |",
            secs * 1e6 / slices as f64
        );
        sc.stop();
    }
    Ok(())
}
