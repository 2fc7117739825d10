//! Benchmark of the two state operators on the oracle's `bench` workload: KEYS keys loaded in the
//! first batch, then 10,000 random updates a batch, 4 partitions, `local[2]`, one batch a second
//! on the manual clock. Prints the median and maximum batch time of mapWithState and
//! updateStateByKey (checkpoint batches — every 10th for mapWithState, every 10 s for
//! updateStateByKey — shown separately), for 10k, 100k and 1M keys.
//!
//! ```sh
//! cargo run --release --example bench_state                 # both operators, 10k/100k/1M keys
//! cargo run --release --example bench_state -- --spark      # also runs Apache Spark (the oracle) in the same run
//!                                                           # (SPARK_ORACLE=path/to/run.sh when ../shared is read-only)
//! cargo run --release --example bench_state -- --keys 100000 --batches 21 --op mapWithState
//! cargo run --release --example bench_state -- --keys 1000000 --store redis   # also mapWithState with
//!                                                           # its state in a local redis-server (or --redis-url URL),
//!                                                           # with the Redis commands per batch (INFO commandstats);
//!                                                           # --op mapWithState/redis runs only that row
//! ```

use std::time::Instant;

use sparklet::prelude::*;
use sparklet::streaming::*;

#[path = "common/local_redis.rs"]
mod local_redis;

struct Figures {
    first_ms: f64,
    median_ms: f64,
    max_ms: f64,
    checkpoint_max_ms: f64,
    steady_max_ms: f64,
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn workload(keys: u64, batch: usize, batches: usize) -> Vec<Vec<(u64, u64)>> {
    let mut rng = 42u64;
    let mut out = vec![(0..keys).map(|k| (k, 1)).collect::<Vec<_>>()];
    for _ in 1..batches {
        out.push((0..batch).map(|_| (xorshift(&mut rng) % keys, 1)).collect());
    }
    out
}

/// `INFO commandstats` of the server: command → (calls, µs spent running it).
fn command_calls(url: &str) -> Result<std::collections::BTreeMap<String, (u64, u64)>> {
    let info = local_redis::info(url, "commandstats")?;
    let field = |rest: &str, name: &str| -> Option<u64> {
        rest.split(',')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))?
            .parse()
            .ok()
    };
    Ok(info
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = field(rest, "calls")?;
            let usec = field(rest, "usec")?;
            Some((name.to_uppercase(), (calls, usec)))
        })
        .collect())
}

/// This process's CPU time (user + system) in ms, from /proc/self/stat (Linux; 0 elsewhere).
fn process_cpu_ms() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The fields after the command's closing parenthesis: state is the first, utime the 12th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Clock ticks are 100 a second on Linux.
    (ticks(11) + ticks(12)) * 10.0
}

/// The server's CPU time (user + system, of all its threads) in ms: `INFO cpu`.
fn server_cpu_ms(url: &str) -> Result<f64> {
    let info = local_redis::info(url, "cpu")?;
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Ok((field("used_cpu_user:") + field("used_cpu_sys:")) * 1000.0)
}

fn run(op: &str, keys: u64, batch: usize, batches: usize, redis: Option<&str>) -> Result<Figures> {
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("bench_state")
            .set("sparklet.default.parallelism", "4")
            .set("sparklet.executor.memory", "8g"),
    )?;
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path())?;
    let input = ssc.queue_stream(workload(keys, batch, batches), true);
    if op == "mapWithState" {
        let spec = StateSpec::function(|_k: &u64, v: Option<u64>, s: &mut State<u64>| {
            let next = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
            s.update(next);
            next
        })
        .num_partitions(4);
        let spec = match redis {
            Some(url) => spec.state_store(StateStore::redis(url)?),
            None => spec,
        };
        input
            .map_with_state(spec)
            .foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    } else {
        input
            .update_state_by_key_with(
                |vs: &[u64], s: Option<u64>| Some(s.unwrap_or(0) + vs.iter().sum::<u64>()),
                Partitioner::hash(4),
                None,
            )
            .foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    }
    ssc.start()?;
    let mut times = Vec::with_capacity(batches);
    let mut before = None;
    let mut cpu_before = (0.0, 0.0);
    for i in 0..batches {
        if i == 1 {
            before = redis.map(command_calls).transpose()?;
            cpu_before = (
                process_cpu_ms(),
                redis.map(server_cpu_ms).transpose()?.unwrap_or(0.0),
            );
        }
        let t0 = Instant::now();
        ssc.run_batches(1)?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    let cpu_after = (
        process_cpu_ms(),
        redis.map(server_cpu_ms).transpose()?.unwrap_or(0.0),
    );
    ssc.stop(true, false);
    if let (Some(url), Some(before)) = (redis, before) {
        let after = command_calls(url)?;
        let n = (batches - 1) as f64;
        let per_batch: Vec<String> = after
            .iter()
            .map(|(c, (calls, usec))| {
                let (c0, u0) = before.get(c).copied().unwrap_or((0, 0));
                (c, calls - c0, usec - u0)
            })
            .filter(|(_, d, _)| *d > 0)
            .map(|(c, d, u)| format!("{c} {:.1} ({:.2} ms)", d as f64 / n, u as f64 / n / 1000.0))
            .collect();
        println!("  Redis commands per batch and the server's time running them (INFO commandstats, batches 2..{batches}, INFO itself included): {}", per_batch.join(", "));
        println!(
            "  CPU per batch (batches 2..{batches}): sparklet {:.2} ms, redis-server {:.2} ms",
            (cpu_after.0 - cpu_before.0) / n,
            (cpu_after.1 - cpu_before.1) / n
        );
    } else if batches > 1 {
        let n = (batches - 1) as f64;
        println!(
            "  CPU per batch (batches 2..{batches}): sparklet {:.2} ms",
            (cpu_after.0 - cpu_before.0) / n
        );
    }
    // Checkpoint batches: every 10th batch (mapWithState: 10 × 1 s; updateStateByKey: 10 s).
    let is_checkpoint = |i: usize| (i + 1) % 10 == 0;
    let steady: Vec<f64> = times
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(i, _)| !is_checkpoint(*i))
        .map(|(_, t)| *t)
        .collect();
    let all: Vec<f64> = times[1..].to_vec();
    let checkpoints: Vec<f64> = times
        .iter()
        .enumerate()
        .filter(|(i, _)| is_checkpoint(*i))
        .map(|(_, t)| *t)
        .collect();
    let mut sorted = all.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(Figures {
        first_ms: times[0],
        median_ms: sorted[sorted.len() / 2],
        max_ms: sorted.last().copied().unwrap_or(0.0),
        checkpoint_max_ms: checkpoints.iter().copied().fold(0.0, f64::max),
        steady_max_ms: steady.iter().copied().fold(0.0, f64::max),
    })
}

/// Runs Apache Spark's oracle bench (same workload), when asked and available.
fn spark(op: &str, keys: u64, batch: usize, batches: usize) -> Option<String> {
    // The oracle compiles into its own folder; when ../shared is read-only, point SPARK_ORACLE
    // at a writable copy's run.sh.
    let script = std::env::var("SPARK_ORACLE")
        .unwrap_or_else(|_| "../shared/spark-oracle/run.sh".to_string());
    let script = std::path::Path::new(&script);
    if !script.exists() {
        return None;
    }
    let out = std::process::Command::new(script)
        .args([
            "bench",
            &keys.to_string(),
            &batch.to_string(),
            &batches.to_string(),
            "4",
            op,
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("spark "))?;
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .unwrap_or("?")
            .to_string()
    };
    Some(format!(
        "median {} ms, max {} ms",
        field("median_batch_ms="),
        field("max_batch_ms=")
    ))
}

fn main() -> Result<()> {
    // Spark's console: warnings and errors unless RUST_LOG says otherwise (RUST_LOG=sparklet=info
    // shows the scheduler's jobs, stages and tasks).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().collect();
    let with_spark = args.iter().any(|a| a == "--spark");
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let key_counts: Vec<u64> = match arg("--keys") {
        Some(k) => vec![k],
        None => vec![10_000, 100_000, 1_000_000],
    };
    let batch = arg("--batch").unwrap_or(10_000) as usize;
    let batches = arg("--batches").unwrap_or(31) as usize;
    println!("workload: KEYS keys loaded in batch 1, then {batch} random updates a batch, {batches} batches, 4 partitions, local[2]");
    let header = format!(
        "{:<18} {:>9} {:>12} {:>11} {:>10} {:>14} {:>16}",
        "operator", "keys", "first (ms)", "median", "max", "max w/o ckpt", "checkpoint max"
    );
    println!("{header}  Apache Spark (same machine)");
    let only = args
        .iter()
        .position(|a| a == "--op")
        .and_then(|i| args.get(i + 1))
        .cloned();
    // `--store redis`: mapWithState again with the state in Redis (`--redis-url`, or a local
    // redis-server started here).
    let with_redis = args
        .iter()
        .position(|a| a == "--store")
        .and_then(|i| args.get(i + 1))
        .is_some_and(|s| s == "redis");
    let url_arg = args
        .iter()
        .position(|a| a == "--redis-url")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let mut local = None;
    let redis_url = match (with_redis, url_arg) {
        (false, _) => None,
        (true, Some(url)) => Some(url),
        (true, None) => {
            let server = local_redis::LocalRedis::start()?;
            let url = server.url.clone();
            local = Some(server);
            Some(url)
        }
    };
    let mut rows: Vec<(&str, Option<&str>)> = vec![("mapWithState", None)];
    if let Some(url) = &redis_url {
        rows.push(("mapWithState", Some(url.as_str())));
    }
    rows.push(("updateStateByKey", None));
    for (op, redis) in rows {
        let label = if redis.is_some() {
            "mapWithState/redis"
        } else {
            op
        };
        // `--op mapWithState` runs both of its rows, `--op mapWithState/redis` the Redis one.
        if only.as_deref().is_some_and(|o| o != op && o != label) {
            continue;
        }
        for &keys in &key_counts {
            let f = run(op, keys, batch, batches, redis)?;
            let spark = if with_spark {
                spark(op, keys, batch, batches).unwrap_or_else(|| "oracle not available".into())
            } else {
                "run with --spark".into()
            };
            println!(
                "{:<18} {:>9} {:>12.1} {:>11.2} {:>10.2} {:>14.2} {:>16.2}  {}",
                label,
                keys,
                f.first_ms,
                f.median_ms,
                f.max_ms,
                f.steady_max_ms,
                f.checkpoint_max_ms,
                spark
            );
        }
    }
    drop(local);
    Ok(())
}
