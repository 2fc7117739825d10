//! Benchmark (issue 12): the per-task cost of using a 100 MiB broadcast, against a closure
//! that captures the value.
//!
//! The value is a `Vec<u64>` of 13,107,200 elements (100 MiB). For each master, one run is:
//! `sc.broadcast(value)` (timed: serialize into 4 MiB pieces, store them and the value in the
//! driver's block store), then two jobs of 200 tasks that each read one element through
//! `value()`. Each task times its own `value()` call. In the first job, the first task on
//! each executor fetches the pieces (from the driver or another executor), checks them,
//! decodes the value and stores it in its block manager; the other tasks read the executor's
//! copy. The second job only reads copies. With one slot per executor, the E slowest calls of
//! the first job are the E fetches (checked against the fetch count from `BlockUpdated`
//! events). Reported: the median of `runs` runs (each with a new broadcast).
//!
//! The comparison rows: a closure capturing the value (an `Arc`, shared in-process: sparklet
//! never serializes closures, so this costs nothing per task), and what Spark pays for that
//! closure instead: the value is serialized into every task and deserialized by it (one
//! serialize and one deserialize of the value, measured here, per task).
//!
//! On `local-cluster[3,1,64]` the value does not fit an executor's 64 MiB of block memory,
//! so each fetch also writes it to the executor's disk store (`MEMORY_AND_DISK`, as Spark);
//! `local-cluster[3,1,512]` is the same with room in memory.
//!
//! Run: `cargo run --release --example bench_broadcast [-- runs]` (default 3 runs).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sparklet::prelude::*;

const ELEMENTS: usize = 100 << 17; // 100 MiB of u64
const TASKS: usize = 200;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fmt(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns >= 10_000_000 {
        format!("{} ms", ns / 1_000_000)
    } else if ns >= 10_000 {
        format!("{} µs", ns / 1_000)
    } else {
        format!("{ns} ns")
    }
}

/// Each task's `value()` time, and the total, for one job over the broadcast.
fn broadcast_job(sc: &SparkContext, b: &Broadcast<Vec<u64>>) -> (Vec<Duration>, Duration) {
    let b = b.clone();
    let started = Instant::now();
    let out = sc
        .parallelize((0..TASKS).collect::<Vec<usize>>(), TASKS)
        .map(move |i| {
            let t = Instant::now();
            let v = b.value();
            let x = v[i * 1000];
            (t.elapsed(), x)
        })
        .collect()
        .expect("broadcast job");
    let wall = started.elapsed();
    for (i, (_, x)) in out.iter().enumerate() {
        assert_eq!(*x, (i * 1000) as u64);
    }
    (out.into_iter().map(|(d, _)| d).collect(), wall)
}

/// Each task's time to read the captured value.
fn closure_job(sc: &SparkContext, value: &Arc<Vec<u64>>) -> Vec<Duration> {
    let v = value.clone();
    sc.parallelize((0..TASKS).collect::<Vec<usize>>(), TASKS)
        .map(move |i| {
            let t = Instant::now();
            let x = std::hint::black_box(&v)[i * 1000];
            (t.elapsed(), x)
        })
        .collect()
        .expect("closure job")
        .into_iter()
        .map(|(d, _)| d)
        .collect()
}

fn fetch_counts(log: &EventLog, id: u64) -> BTreeMap<String, usize> {
    let piece0 = format!("broadcast_{id}_piece0");
    let mut out = BTreeMap::new();
    for e in log.events() {
        if let SparkListenerEvent::BlockUpdated {
            block_id,
            executor_id,
            storage_level,
            ..
        } = e
        {
            if block_id == piece0 && executor_id != "driver" && storage_level.is_valid() {
                *out.entry(executor_id).or_insert(0) += 1;
            }
        }
    }
    out
}

struct Row {
    master: String,
    create: Duration,
    fetch: Duration,
    later_median: Duration,
    later_max: Duration,
    cached_median: Duration,
    job1: Duration,
    job2: Duration,
    closure_median: Duration,
}

fn run_master(master: &str, executors: usize, runs: usize, value: &Arc<Vec<u64>>) -> Row {
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master(master)
            .set_app_name("bench_broadcast"),
    )
    .expect("context");
    let log = EventLog::attach(&sc);
    let (mut create, mut fetch, mut later_median, mut later_max) = (vec![], vec![], vec![], vec![]);
    let (mut cached, mut job1, mut job2, mut closure) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let owned: Vec<u64> = (**value).clone();
        let t = Instant::now();
        let b = sc.broadcast(owned);
        create.push(t.elapsed());
        let (mut first, wall1) = broadcast_job(&sc, &b);
        let fetches = fetch_counts(&log, b.id());
        assert_eq!(
            fetches.len(),
            executors,
            "one fetch per executor: {fetches:?}"
        );
        assert!(fetches.values().all(|&n| n == 1), "{fetches:?}");
        first.sort_unstable_by(|a, b| b.cmp(a));
        let (fetching, reading) = first.split_at(executors);
        fetch.push(median(fetching.to_vec()));
        later_median.push(median(reading.to_vec()));
        later_max.push(reading[0]);
        job1.push(wall1);
        let (second, wall2) = broadcast_job(&sc, &b);
        cached.push(median(second));
        job2.push(wall2);
        closure.push(median(closure_job(&sc, value)));
        b.destroy().expect("destroy");
    }
    sc.stop();
    Row {
        master: master.to_string(),
        create: median(create),
        fetch: median(fetch),
        later_median: median(later_median),
        later_max: median(later_max),
        cached_median: median(cached),
        job1: median(job1),
        job2: median(job2),
        closure_median: median(closure),
    }
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("runs is a number"))
        .unwrap_or(3);
    let value: Arc<Vec<u64>> = Arc::new((0..ELEMENTS as u64).collect());
    let bytes = sparklet::serializer::serialize(&*value).expect("serialize");
    let pieces = bytes.len().div_ceil(4 << 20);

    // Spark's closure path: the value travels inside every task.
    let mut ser = vec![];
    let mut de = vec![];
    for _ in 0..runs {
        let t = Instant::now();
        let b = sparklet::serializer::serialize(&*value).expect("serialize");
        ser.push(t.elapsed());
        let t = Instant::now();
        let v: Vec<u64> = sparklet::serializer::deserialize(&b).expect("deserialize");
        de.push(t.elapsed());
        assert_eq!(v.len(), ELEMENTS);
    }
    let (ser, de) = (median(ser), median(de));

    let rows = [
        run_master("local-cluster[3,1,64]", 3, runs, &value),
        run_master("local-cluster[3,1,512]", 3, runs, &value),
    ];

    println!(
        "bench_broadcast: a {} MiB Vec<u64> ({} pieces of 4 MiB), {TASKS} tasks a job, \
         median of {runs} runs",
        bytes.len() >> 20,
        pieces
    );
    println!();
    println!(
        "| master | sc.broadcast | fetch (first task on an executor) | later tasks, job 1 \
         (median / max) | tasks, job 2 (median) | job 1 | job 2 | closure capturing the value \
         (median per task) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} / {} | {} | {} | {} | {} |",
            r.master,
            fmt(r.create),
            fmt(r.fetch),
            fmt(r.later_median),
            fmt(r.later_max),
            fmt(r.cached_median),
            fmt(r.job1),
            fmt(r.job2),
            fmt(r.closure_median),
        );
    }
    println!();
    println!(
        "Spark's closure path instead (the value serialized into each task): serialize {} + \
         deserialize {} = {} per task, {} for {TASKS} tasks.",
        fmt(ser),
        fmt(de),
        fmt(ser + de),
        fmt((ser + de) * TASKS as u32)
    );
}
