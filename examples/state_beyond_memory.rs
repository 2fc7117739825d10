//! State larger than memory (issue 15's acceptance run): mapWithState over KEYS keys (20M by
//! default) with its state in Redis, on executors whose block memory (`sparklet.executor.memory`,
//! 64m by default) is far below the state's size. The keys arrive over the first LOAD batches,
//! then UPDATES random updates a batch follow; at the end the last batch's `state_snapshots()`
//! (read from Redis a page of `HSCAN` at a time) is counted and checksummed on the executors and
//! compared with the same state computed by plain Rust on the driver.
//!
//! ```sh
//! cargo run --release --example state_beyond_memory                       # 20M keys, local[2], 64m
//! cargo run --release --example state_beyond_memory -- --keys 1000000 --memory 16m --master local-cluster[3,1,16]
//! cargo run --release --example state_beyond_memory -- --redis-url redis://127.0.0.1:6379/0
//! ```
//!
//! Prints the batches' times, the snapshot's count and checksum beside the expected ones, the
//! Redis server's memory (`INFO memory`) and this process's peak resident memory.

use std::time::Instant;

use sparklet::prelude::*;
use sparklet::streaming::*;

#[path = "common/local_redis.rs"]
mod local_redis;

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// The batches: keys `0..keys` arriving in `load` equal slices, then `batches - load` batches of
/// `updates` random keys each (value 1 everywhere).
fn batch_keys(keys: u64, load: u64, updates: usize, batch: u64, rng: &mut u64) -> Vec<u64> {
    if batch < load {
        let per = keys.div_ceil(load);
        (batch * per..((batch + 1) * per).min(keys)).collect()
    } else {
        (0..updates).map(|_| xorshift(rng) % keys).collect()
    }
}

/// One state's share of the checksum: order-free (summed), so executors can add them up.
fn mix(k: u64, s: u64) -> u64 {
    (k.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ s.wrapping_mul(0xc2b2_ae3d_27d4_eb4f)).rotate_left(17)
}

/// `VmHWM` of /proc/self/status (peak resident memory), in MiB; 0 elsewhere.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `used_memory_human` of the server's `INFO memory`.
fn server_memory(url: &str) -> Result<String> {
    Ok(local_redis::info(url, "memory")?
        .lines()
        .find_map(|l| l.strip_prefix("used_memory_human:"))
        .unwrap_or("?")
        .trim()
        .to_string())
}

fn main() -> Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let number = |name: &str, default: u64| -> Result<u64> {
        value(name).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| Error::InvalidArgument(format!("{name} wants a number, got '{v}'")))
        })
    };
    let keys = number("--keys", 20_000_000)?;
    let load = number("--load", 10)?.max(1);
    let updates = number("--updates", 100_000)? as usize;
    let batches = number("--batches", 13)?.max(load + 1);
    let partitions = number("--partitions", 8)? as usize;
    let memory = value("--memory").unwrap_or_else(|| "64m".to_string());
    let master = value("--master").unwrap_or_else(|| "local[2]".to_string());

    let mut local = None;
    let url = match value("--redis-url") {
        Some(url) => url,
        None => {
            let server = local_redis::LocalRedis::start()?;
            let url = server.url.clone();
            local = Some(server);
            url
        }
    };

    // The expected state, by plain Rust: each key's count of appearances.
    let mut expected = vec![0u32; usize::try_from(keys).expect("keys fit in memory")];
    let mut rng = 42u64;
    let mut queue = Vec::with_capacity(batches as usize);
    for b in 0..batches {
        let ks = batch_keys(keys, load, updates, b, &mut rng);
        for &k in &ks {
            expected[k as usize] += 1;
        }
        queue.push(ks);
    }
    let (want_count, want_sum) = expected
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .fold((0u64, 0u64), |(c, s), (k, &n)| {
            (c + 1, s.wrapping_add(mix(k as u64, u64::from(n))))
        });
    drop(expected);

    let sc = SparkContext::new(
        SparkConf::new()
            .set_master(&master)
            .set_app_name("state_beyond_memory")
            .set("sparklet.executor.memory", &memory),
    )?;
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path())?;
    let pairs: Vec<Vec<(u64, u64)>> = queue
        .into_iter()
        .map(|ks| ks.into_iter().map(|k| (k, 1u64)).collect())
        .collect();
    let input = ssc.queue_stream(pairs, true);
    let spec = StateSpec::function(|_k: &u64, v: Option<u64>, s: &mut State<u64>| {
        let next = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
        s.update(next);
        next
    })
    .num_partitions(partitions)
    .state_store(StateStore::redis(&url)?);
    let stream = input.map_with_state(spec);
    stream.foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    let snapshots = stream.state_snapshots();
    let last: std::sync::Arc<parking_lot::Mutex<Option<Rdd<(u64, u64)>>>> = Default::default();
    let keep = last.clone();
    snapshots.foreach_rdd(move |rdd, _| {
        *keep.lock() = Some(rdd.clone());
        Ok(())
    });
    println!(
        "mapWithState, state in Redis: {keys} keys over {load} batches, then {updates} updates a batch; \
         {batches} batches, {partitions} partitions, {master}, sparklet.executor.memory={memory}"
    );
    ssc.start()?;
    for b in 0..batches {
        let t = Instant::now();
        ssc.run_batches(1)?;
        println!(
            "  batch {:>2}: {:>9.1} ms   redis used_memory {}",
            b + 1,
            t.elapsed().as_secs_f64() * 1e3,
            server_memory(&url)?
        );
    }
    let snapshot = last
        .lock()
        .take()
        .ok_or_else(|| Error::Internal("no snapshot was generated".into()))?;
    let t = Instant::now();
    let (count, sum) = snapshot.aggregate(
        (0u64, 0u64),
        |(c, s), (k, v)| (c + 1, s.wrapping_add(mix(k, v))),
        |(c1, s1), (c2, s2)| (c1 + c2, s1.wrapping_add(s2)),
    )?;
    println!(
        "  snapshot of batch {batches}: {count} keys, checksum {sum:016x} ({:.1} s to read)",
        t.elapsed().as_secs_f64()
    );
    println!("  expected:          {want_count} keys, checksum {want_sum:016x}");
    println!(
        "  redis used_memory {}; this process's peak resident memory {:.0} MiB",
        server_memory(&url)?,
        peak_rss_mib()
    );
    ssc.stop(true, false);
    drop(local);
    if (count, sum) != (want_count, want_sum) {
        return Err(Error::Internal(
            "the snapshot differs from the expected state".into(),
        ));
    }
    println!("  snapshot equals the expected state");
    Ok(())
}
