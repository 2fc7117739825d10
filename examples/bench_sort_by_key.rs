//! Benchmark: `sort_by_key` of 10M `(u64, u64)` pairs on `local[2]`, against one thread's
//! `sort_unstable` of the same pairs.
//!
//! The input is cached first (`parallelize(pairs, slices).cache()` and one untimed `count()`),
//! so the timed work is `sort_by_key(true, parts)` (its range partitioner's sampling job) and a
//! `count()` of the result (the shuffle: bucket by range, serialize; then each reduce task
//! fetches its range and sorts it). The baseline copies nothing in its timed part: it sorts a
//! copy of the vector made before the clock starts. One untimed run checks that sparklet's
//! result equals the baseline's.
//!
//! Two more rows, for reading the result: the range partitioner's sampling job alone, and the
//! shuffle by that partitioner without the sort (`partition_by(range).count()`).
//!
//! Run: `cargo run --release --example bench_sort_by_key [-- pairs slices parts runs]`

use std::time::{Duration, Instant};

use sparklet::prelude::*;

/// A small seeded xorshift64* generator (no rand crate).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn pairs(n: usize, seed: u64) -> Vec<(u64, u64)> {
    let mut rng = XorShift(seed);
    (0..n).map(|_| (rng.next(), rng.next())).collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn arg(args: &[String], i: usize, default: usize) -> usize {
    args.get(i)
        .map(|s| s.parse().expect("arguments are numbers"))
        .unwrap_or(default)
}

/// One table row: label, median and best time, pairs/s at the median, ratio to the baseline.
fn row(label: &str, n: usize, times: &[Duration], base: Duration) {
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let median = median(times.to_vec());
    let best = times.iter().min().copied().unwrap_or_default();
    println!(
        "| {label:<36} | {:>8.1}ms | {:>8.1}ms | {:>9.2}M | {:>5.2} |",
        median.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e3,
        rate(median) / 1e6,
        rate(median) / rate(base)
    );
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = arg(&args, 0, 10_000_000);
    let slices = arg(&args, 1, 2);
    let parts = arg(&args, 2, 2);
    let runs = arg(&args, 3, 5).max(1);

    let input = pairs(n, 0x5eed_cafe_f00d_d00d);
    let mut expected = input.clone();
    expected.sort_unstable();

    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("bench_sort_by_key"),
    )?;
    let cached = sc.parallelize(input.clone(), slices).cache()?;
    assert_eq!(cached.count()?, n);
    // Correctness, untimed: the keys are distinct with overwhelming odds, so the order of
    // the sort by key alone is the order of the full-tuple sort.
    let sorted = cached.sort_by_key(true, parts).collect()?;
    assert!(sorted == expected, "sort_by_key differs from sort_unstable");
    drop(sorted);

    // The runs alternate between the baseline and sparklet, so both see the same load.
    let (mut base_times, mut spark_times) = (Vec::new(), Vec::new());
    let (mut sample_times, mut shuffle_times) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let mut copy = input.clone();
        let t = Instant::now();
        copy.sort_unstable();
        base_times.push(t.elapsed());
        drop(copy);

        let t = Instant::now();
        let count = cached.sort_by_key(true, parts).count()?;
        spark_times.push(t.elapsed());
        assert_eq!(count, n);

        let t = Instant::now();
        let range = Partitioner::range(parts, &cached, true)?;
        sample_times.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(cached.partition_by(range).count()?, n);
        shuffle_times.push(t.elapsed());
    }
    let base = median(base_times.clone());
    println!("sort of {n} (u64, u64) pairs: {slices} cached slices, {parts} sorted partitions, local[2], {runs} runs");
    println!(
        "| {:<36} | {:>10} | {:>10} | {:>10} | {:>5} |",
        "", "median", "best", "pairs/s", "ratio"
    );
    println!(
        "|{:-<38}|{:-<12}|{:-<12}|{:-<11}|{:-<7}|",
        "", "", "", "", ""
    );
    row("one thread: Vec::sort_unstable", n, &base_times, base);
    row(
        "sparklet local[2]: sort_by_key.count",
        n,
        &spark_times,
        base,
    );
    row("  its sampling job alone", n, &sample_times, base);
    row("  shuffle by range, no sort", n, &shuffle_times, base);
    sc.stop();
    Ok(())
}
