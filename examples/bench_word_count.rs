//! Benchmark: word count of 4M words over 100k distinct keys, sparklet on `local[2]` against
//! one thread folding the same words into a `std::collections::HashMap`.
//!
//! The input is cached first (`parallelize(words, N).cache()` and one untimed `count()`), so
//! the timed job is `map(|w| (w, 1)).reduce_by_key(+).count()`: read the cached block, combine
//! on the map side, shuffle, merge on the reduce side. The baseline folds the same
//! `Vec<String>` with the default hasher, cloning a word only when it is new.
//!
//! Two more rows, for reading the result: the read alone (clone each word out of the cached
//! block, map it, count), and the baseline made to clone every word as sparklet's cached read
//! does (iteration yields owned values, where the JVM hands out references).
//!
//! Run: `cargo run --release --example bench_word_count [-- words distinct slices runs]`
//!
//! With `BENCH_EVENT_LOG=DIR` the run also writes Spark's event log into DIR
//! (`sparklet.eventLog.enabled`, block updates included), to measure what the log costs.

use std::collections::HashMap;
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

/// `n` words `w<k>`, `k` drawn uniformly from `0..distinct`.
fn words(n: usize, distinct: u64, seed: u64) -> Vec<String> {
    let mut rng = XorShift(seed);
    (0..n)
        .map(|_| format!("w{}", rng.next() % distinct))
        .collect()
}

/// The baseline: one thread, one `HashMap<String, u64>` with the default hasher.
fn hash_map_count(words: &[String]) -> HashMap<String, u64> {
    let mut map: HashMap<String, u64> = HashMap::new();
    for w in words {
        if let Some(c) = map.get_mut(w.as_str()) {
            *c += 1;
        } else {
            map.insert(w.clone(), 1);
        }
    }
    map
}

/// The baseline paying what sparklet's cached read pays: every word is cloned out of the
/// vector (reading a cached block yields owned values), and the clone of a word already counted
/// is freed. Shown to separate the engine from the cost of owned iteration.
fn hash_map_count_cloning(words: &[String]) -> HashMap<String, u64> {
    let mut map: HashMap<String, u64> = HashMap::new();
    for w in words.iter().cloned() {
        if let Some(c) = map.get_mut(w.as_str()) {
            *c += 1;
        } else {
            map.insert(w, 1);
        }
    }
    map
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

/// One table row: label, median and best time, words/s at the median and its ratio to the
/// baseline's words/s at the median.
fn row(label: &str, n: usize, times: &[Duration], base: Duration) {
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let median = median(times.to_vec());
    let best = times.iter().min().copied().unwrap_or_default();
    println!(
        "| {label:<34} | {:>7.1}ms | {:>7.1}ms | {:>11.2}M | {:>5.2} |",
        median.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e3,
        rate(median) / 1e6,
        rate(median) / rate(base)
    );
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = arg(&args, 0, 4_000_000);
    let distinct = arg(&args, 1, 100_000) as u64;
    let slices = arg(&args, 2, 2);
    let runs = arg(&args, 3, 7).max(1);

    let input = words(n, distinct, 0x5eed_cafe_f00d_d00d);
    let expected = hash_map_count(&input);

    // sparklet on local[2], the input cached (not timed).
    let mut conf = SparkConf::new()
        .set_master("local[2]")
        .set_app_name("bench_word_count");
    let event_log = std::env::var("BENCH_EVENT_LOG").ok();
    if let Some(dir) = &event_log {
        conf = conf
            .set("sparklet.eventLog.enabled", "true")
            .set("sparklet.eventLog.dir", dir)
            .set("sparklet.eventLog.logBlockUpdates.enabled", "true");
    }
    let sc = SparkContext::new(conf)?;
    let cached = sc.parallelize(input.clone(), slices).cache()?;
    assert_eq!(cached.count()?, n);

    // The runs alternate between the baseline and sparklet, so that both see the same load.
    let (mut base_times, mut spark_times, mut scan_times) = (Vec::new(), Vec::new(), Vec::new());
    let mut cloning_times = Vec::new();
    for _ in 0..runs {
        // Baseline: one thread folding the Vec<String>.
        let t = Instant::now();
        let map = hash_map_count(&input);
        base_times.push(t.elapsed());
        assert_eq!(map.len(), expected.len());
        drop(map);

        let t = Instant::now();
        let keys = cached
            .map(|w| (w, 1u64))
            .reduce_by_key(|a, b| a + b)
            .count()?;
        spark_times.push(t.elapsed());
        assert_eq!(keys, expected.len());

        let t = Instant::now();
        let map = hash_map_count_cloning(&input);
        cloning_times.push(t.elapsed());
        assert_eq!(map.len(), expected.len());
        drop(map);

        // The read alone: the cached block's words cloned out and mapped, no shuffle.
        let t = Instant::now();
        assert_eq!(cached.map(|w| (w, 1u64)).count()?, n);
        scan_times.push(t.elapsed());
    }
    // One checked run: the counts equal the baseline's.
    let counts = cached
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b)
        .collect_as_map()?;
    assert_eq!(counts.len(), expected.len());
    assert!(counts.iter().all(|(w, c)| expected.get(w) == Some(c)));
    sc.stop();

    let base = median(base_times.clone());
    println!(
        "word count: {n} words, {} distinct, {slices} slices, {runs} runs, event log {}",
        expected.len(),
        event_log.as_deref().unwrap_or("off")
    );
    println!(
        "| {:<34} | {:>9} | {:>9} | {:>12} | {:>5} |",
        "", "median", "best", "words/s", "ratio"
    );
    println!(
        "| {:-<34} | {:->9} | {:->9} | {:->12} | {:->5} |",
        "", "", "", "", ""
    );
    row("HashMap<String, u64>, 1 thread", n, &base_times, base);
    row("sparklet local[2] reduceByKey", n, &spark_times, base);
    row("(sparklet local[2] read+map only)", n, &scan_times, base);
    row(
        "(HashMap, 1 thread, cloning words)",
        n,
        &cloning_times,
        base,
    );
    Ok(())
}
