//! Benchmark (issue 3): reading a persisted RDD against recomputing it from its lineage.
//!
//! The RDD is `parallelize(0..n u64, slices)` followed by a chain of three cheap `map`s. For each
//! of MEMORY_ONLY, MEMORY_ONLY_SER and DISK_ONLY, its own copy of the chain is persisted at that
//! level and filled by one untimed `count()`; then `count()` is timed `runs` times and the median
//! is reported as elements per second. The "recompute" row is the same chain with no storage
//! level: every `count()` walks the lineage (parallelize slice → map → map → map).
//!
//! Setup: master `local[2]`, `sparklet.executor.memory = 4g` so that every block fits, and
//! `sparklet.local.dir` in a temporary folder (deleted at the end) for the DISK_ONLY files. The
//! runs of the four rows are interleaved (one of each per round) so that all rows see the same
//! machine load. DISK_ONLY blocks were just written, so their reads come from the page cache;
//! what that row measures is file reading plus decoding, not the disk.
//!
//! Each level's first, untimed `count()` is checked (the count, and a sum against the plain
//! computation) so that the timed jobs are known to read correct data.
//!
//! Run: `cargo run --release --example bench_persist [-- elements slices runs]`
//! (defaults: 10000000 elements, 2 slices, 11 runs).

use std::time::{Duration, Instant};

use sparklet::prelude::*;

/// The map chain, identical for every row.
fn chain(source: &Rdd<u64>) -> Rdd<u64> {
    source
        .map(|x| x.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .map(|x| x ^ (x >> 29))
        .map(|x| x.wrapping_add(0x5eed))
}

/// The same chain on one value, for checking results.
fn chain_one(x: u64) -> u64 {
    let x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let x = x ^ (x >> 29);
    x.wrapping_add(0x5eed)
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

/// Human size, Spark style (`Utils.bytesToString` rounding).
fn size(bytes: u64) -> String {
    match bytes {
        0 => "-".to_string(),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b => format!("{:.1} KiB", b as f64 / 1024.0),
    }
}

struct Row {
    label: &'static str,
    rdd: Rdd<u64>,
    times: Vec<Duration>,
}

fn main() -> Result<()> {
    // Spark's console: warnings and errors unless RUST_LOG says otherwise (RUST_LOG=sparklet=info
    // shows the scheduler's jobs, stages and tasks).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = arg(&args, 0, 10_000_000);
    let slices = arg(&args, 1, 2);
    let runs = arg(&args, 2, 11).max(5);

    let local_dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("bench_persist")
            .set("sparklet.executor.memory", "4g")
            .set("sparklet.local.dir", &local_dir.path().to_string_lossy()),
    )?;
    let source = sc.parallelize((0..n as u64).collect(), slices);
    let expected_sum = (0..n as u64).map(chain_one).fold(0u64, u64::wrapping_add);

    let mut rows = vec![Row {
        label: "recompute (no persist)",
        rdd: chain(&source),
        times: Vec::new(),
    }];
    for (label, level) in [
        ("MEMORY_ONLY", StorageLevel::MEMORY_ONLY),
        ("MEMORY_ONLY_SER", StorageLevel::MEMORY_ONLY_SER),
        ("DISK_ONLY", StorageLevel::DISK_ONLY),
    ] {
        let rdd = chain(&source).persist(level)?;
        rows.push(Row {
            label,
            rdd,
            times: Vec::new(),
        });
    }

    // Fill every cache (untimed) and check what the timed jobs will read.
    for row in &rows {
        assert_eq!(row.rdd.count()?, n);
        let sum = row.rdd.reduce(|a, b| a.wrapping_add(b))?.unwrap_or(0);
        assert_eq!(sum, expected_sum, "{}: wrong data", row.label);
    }
    let infos = sc.get_rdd_storage_info();
    for row in &rows[1..] {
        let info = infos.iter().find(|i| i.id == row.rdd.id());
        let cached = info.map_or(0, |i| i.num_cached_partitions);
        assert_eq!(
            cached, slices,
            "{}: not every partition is cached",
            row.label
        );
    }

    for _ in 0..runs {
        for row in &mut rows {
            let t = Instant::now();
            let c = row.rdd.count()?;
            row.times.push(t.elapsed());
            assert_eq!(c, n);
        }
    }

    println!(
        "persist: count() of a cached {n}-element RDD<u64> (parallelize + 3 maps), \
         {slices} partitions, local[2], median of {runs} runs"
    );
    println!(
        "| {:<22} | {:>9} | {:>10} | {:>12} | {:>10} | {:>10} |",
        "level", "median ms", "M elem/s", "vs recompute", "memory", "disk"
    );
    println!(
        "| {:-<22} | {:->9} | {:->10} | {:->12} | {:->10} | {:->10} |",
        "", "", "", "", "", ""
    );
    let rate = |d: Duration| n as f64 / d.as_secs_f64() / 1e6;
    let recompute = median(rows[0].times.clone());
    for row in &rows {
        let m = median(row.times.clone());
        let info = infos.iter().find(|i| i.id == row.rdd.id());
        println!(
            "| {:<22} | {:>9.1} | {:>10.1} | {:>11.2}x | {:>10} | {:>10} |",
            row.label,
            m.as_secs_f64() * 1e3,
            rate(m),
            rate(m) / rate(recompute),
            size(info.map_or(0, |i| i.mem_size)),
            size(info.map_or(0, |i| i.disk_size)),
        );
    }
    for row in &rows {
        let mut ms: Vec<f64> = row.times.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        println!(
            "  {:<22} runs (ms, sorted): {}",
            row.label,
            ms.iter()
                .map(|m| format!("{m:.1}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    sc.stop();
    drop(local_dir);
    Ok(())
}
