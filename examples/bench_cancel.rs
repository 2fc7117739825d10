//! Cancel latency: a job group's job runs on a worker thread (a `count` over a `map` that
//! spins a few µs per record over 4M records a partition, far too long to finish on its own); once its tasks started,
//! another thread calls `cancel_job_group`. Measured per run, from just before the cancel call:
//!
//! * *return*: until the worker's `count` returned `Error::JobCancelled` (the issue's 100 ms);
//! * *tasks stopped*: until listeners saw the last killed task end (`TaskKilled`), i.e. how
//!   long the tasks ran on before their next record's kill check stopped them.
//!
//! After every run a plain job checks that the context still runs jobs. Prints median and max
//! over the runs for each master.
//!
//! ```sh
//! cargo run --release --example bench_cancel [runs]
//! ```

use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sparklet::prelude::*;

/// Spins a few microseconds: a record's work.
fn work(x: u64) -> u64 {
    let mut h = x;
    for _ in 0..2000 {
        h = h
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
    }
    std::hint::black_box(h)
}

struct Run {
    to_return: Duration,
    to_tasks_stopped: Duration,
}

/// What the runs hear from the listener: a task started, or a killed task ended (when).
enum Heard {
    Started,
    Killed(Instant),
}

type Probe = Arc<Mutex<Option<mpsc::Sender<Heard>>>>;

/// One listener per context, sending to the current run's channel.
fn attach_probe(sc: &SparkContext) -> Probe {
    let probe: Probe = Arc::default();
    let p = probe.clone();
    sc.add_spark_listener(move |e| {
        let heard = match e {
            SparkListenerEvent::TaskStart { .. } => Heard::Started,
            SparkListenerEvent::TaskEnd {
                reason: TaskEndKind::TaskKilled(_),
                ..
            } => Heard::Killed(Instant::now()),
            _ => return,
        };
        if let Some(tx) = p.lock().as_ref() {
            let _ = tx.send(heard);
        }
    });
    probe
}

fn bounded<T>(rx: &mpsc::Receiver<T>, what: &str) -> Result<T> {
    rx.recv_timeout(Duration::from_secs(60))
        .map_err(|_| Error::IllegalState(format!("{what} did not happen within 60 s")))
}

fn one_run(
    sc: &SparkContext,
    probe: &Probe,
    data: &Rdd<u64>,
    run: usize,
    slots: usize,
) -> Result<Run> {
    let (tx, heard) = mpsc::channel();
    *probe.lock() = Some(tx);
    let group = format!("bench-{run}");
    // Far more work than the run lasts (seconds per partition): the job ends only by its
    // cancellation. (Not `sc.range`: its numbers are generated above its source RDD, where,
    // as in Spark, no InterruptibleIterator checks them.)
    let rdd = data.clone().map(work);
    let (done_tx, done_rx) = mpsc::channel();
    let worker_sc = sc.clone();
    let worker_group = group.clone();
    let worker = std::thread::spawn(move || {
        worker_sc.set_job_group(&worker_group, "cancelled by the benchmark", false);
        let result = rdd.count();
        let _ = done_tx.send(Instant::now());
        result
    });
    let mut started = 0;
    while started < slots {
        if let Heard::Started = bounded(&heard, "task start")? {
            started += 1;
        }
    }
    let canceller = sc.clone();
    let cancel_at = Instant::now();
    std::thread::spawn(move || canceller.cancel_job_group(&group))
        .join()
        .map_err(|_| Error::IllegalState("cancel thread panicked".into()))?;
    let returned = bounded(&done_rx, "the cancelled job's return")?;
    match worker.join() {
        Ok(Err(Error::JobCancelled(_))) => {}
        other => {
            return Err(Error::IllegalState(format!(
                "expected JobCancelled, got {other:?}"
            )))
        }
    }
    let mut last_killed = cancel_at;
    let mut killed = 0;
    while killed < slots {
        if let Heard::Killed(t) = bounded(&heard, "a killed task's end")? {
            last_killed = last_killed.max(t);
            killed += 1;
        }
    }
    *probe.lock() = None;
    // The context keeps running other jobs.
    assert_eq!(sc.parallelize(vec![1, 2, 3], 2).count()?, 3);
    Ok(Run {
        to_return: returned - cancel_at,
        to_tasks_stopped: last_killed - cancel_at,
    })
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(v[v.len() / 2]), ms(v[v.len() - 1]))
}

fn main() -> Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    println!("| master | runs | return median (ms) | return max (ms) | tasks stopped median (ms) | tasks stopped max (ms) |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (master, slots) in [("local[2]", 2usize), ("local-cluster[2,1,1024]", 2)] {
        let sc = SparkContext::new(
            SparkConf::new()
                .set_master(master)
                .set_app_name("bench_cancel"),
        )?;
        let probe = attach_probe(&sc);
        let data = sc.parallelize((0..(slots as u64) << 22).collect::<Vec<u64>>(), slots);
        let mut returns = Vec::new();
        let mut stops = Vec::new();
        for run in 0..runs {
            let r = one_run(&sc, &probe, &data, run, slots)?;
            returns.push(r.to_return);
            stops.push(r.to_tasks_stopped);
        }
        let (rm, rx) = stats(returns);
        let (sm, sx) = stats(stops);
        println!("| {master} | {runs} | {rm:.3} | {rx:.3} | {sm:.3} | {sx:.3} |");
        sc.stop();
    }
    Ok(())
}
