//! The stateful network word count of the user's walkthrough (Spark's
//! `StatefulNetworkWordCount`): lines from a TCP socket, `flat_map` into words, `map` to
//! `(word, 1)`, and a running count per word kept by `map_with_state` (the state of only the
//! words of each batch is touched), starting from Spark's initial state `("hello", 1),
//! ("world", 1)`, with `update_state_by_key`'s answer (from the same initial state) printed
//! beside it: the same counts for the batch's words, and the size of each state.
//!
//! ```sh
//! cargo run --release --example stateful_network_wordcount                  # built-in line server, a dozen batches
//! nc -lk 9999 &  cargo run --release --example stateful_network_wordcount -- --host localhost --port 9999
//! cargo run --release --example stateful_network_wordcount -- --state redis  # the state in a local redis-server it starts
//! cargo run --release --example stateful_network_wordcount -- --state redis --redis-url redis://127.0.0.1:6379/0
//! ```
//!
//! With no arguments the example serves its own lines on 127.0.0.1 (a port the system picks)
//! and drives the batches on the manual clock, so every run prints the same thing. With
//! `--host` and `--port` it reads your socket (as `nc -lk 9999` in the walkthrough) with a
//! one-second wall-clock batch until you stop it.

use std::sync::Arc;

use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

#[path = "common/line_server.rs"]
mod line_server;
#[path = "common/local_redis.rs"]
mod local_redis;
use line_server::{wait_for_records, LineServer};

const LINES: &[&str] = &[
    "the quick brown fox jumps over the lazy dog",
    "the dog barks",
    "a fox and a dog",
    "spark streaming keeps state per word",
    "state per word survives executors",
];

fn word_count(
    sc: &SparkContext,
    lines: DStream<String>,
    store: StateStore,
) -> Arc<Mutex<Vec<String>>> {
    // Spark's example: `val initialRDD = ssc.sparkContext.parallelize(List(("hello", 1), ("world", 1)))`.
    let initial = || {
        sc.parallelize(
            vec![("hello".to_string(), 1u64), ("world".to_string(), 1)],
            2,
        )
    };
    let words = lines.flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>());
    let pairs = words.map(|w| (w, 1u64));
    let counts = pairs.map_with_state(
        StateSpec::function(|word: &String, one: Option<u64>, state: &mut State<u64>| {
            let sum = one.unwrap_or(0) + state.get_option().copied().unwrap_or(0);
            state.update(sum);
            (word.clone(), sum)
        })
        .initial_state(initial())
        .state_store(store),
    );
    let report: Arc<Mutex<Vec<String>>> = Arc::default();
    // The words of the current batch, for updateStateByKey's answer beside mapWithState's.
    let batch_words: Arc<Mutex<Vec<String>>> = Arc::default();
    let r = report.clone();
    let bw = batch_words.clone();
    counts.foreach_rdd(move |rdd, time| {
        // One output per record: a word seen twice in a batch is reported twice; show its last.
        let mut changed = std::collections::BTreeMap::new();
        for (word, n) in rdd.collect()? {
            let last = changed.entry(word).or_insert(n);
            *last = (*last).max(n);
        }
        let shown: Vec<String> = changed.iter().map(|(w, n)| format!("{w}={n}")).collect();
        *bw.lock() = changed.keys().cloned().collect();
        r.lock().push(format!(
            "batch {time}: {} words updated: {}",
            shown.len(),
            shown.join(" ")
        ));
        Ok(())
    });
    let r = report.clone();
    counts.state_snapshots().foreach_rdd(move |rdd, _| {
        let n = rdd.count()?;
        if let Some(last) = r.lock().last_mut() {
            last.push_str(&format!("  (state: {n} words)"));
        }
        Ok(())
    });
    // updateStateByKey's answer beside it, from the same initial state: every word's count is
    // rewritten every batch. Its output is the whole state, so the report's "State" has its
    // exact size each batch.
    let totals = pairs.update_state_by_key_with(
        |ones: &[u64], total: Option<u64>| Some(total.unwrap_or(0) + ones.iter().sum::<u64>()),
        Partitioner::hash(2),
        Some(initial()),
    );
    let r = report.clone();
    totals.foreach_rdd(move |rdd, _| {
        let state: std::collections::BTreeMap<String, u64> = rdd.collect()?.into_iter().collect();
        let same: Vec<String> = batch_words
            .lock()
            .iter()
            .map(|w| format!("{w}={}", state.get(w).copied().unwrap_or(0)))
            .collect();
        r.lock().push(format!(
            "           updateStateByKey: {} ({} words)",
            same.join(" "),
            state.len()
        ));
        Ok(())
    });
    report
}

fn flush(report: &Arc<Mutex<Vec<String>>>) {
    for line in report.lock().drain(..) {
        println!("{line}");
    }
}

fn main() -> Result<()> {
    // Spark's console: warnings and errors unless RUST_LOG says otherwise (RUST_LOG=sparklet=info
    // shows the scheduler's jobs, stages and tasks).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    // `--state redis`: the state in Redis (a local redis-server started here without --redis-url).
    let (store, _local_redis) = match arg("--state").as_deref() {
        Some("redis") => match arg("--redis-url") {
            Some(url) => (StateStore::redis(&url)?, None),
            None => {
                let server = local_redis::LocalRedis::start()?;
                (StateStore::redis(&server.url)?, Some(server))
            }
        },
        _ => (StateStore::in_memory(), None),
    };
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("StatefulNetworkWordCount"),
    )?;
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;

    if let (Some(host), Some(port)) = (arg("--host"), arg("--port")) {
        let port: u16 = port
            .parse()
            .map_err(|_| Error::InvalidArgument(format!("bad port '{port}'")))?;
        let ssc = StreamingContext::new(&sc, Duration::seconds(1));
        ssc.checkpoint(dir.path())?;
        let report = word_count(&sc, ssc.socket_text_stream(&host, port), store);
        ssc.start()?;
        println!("reading lines from {host}:{port}; stop with Ctrl-C");
        loop {
            let stopped = ssc.await_termination_or_timeout(Duration::seconds(1))?;
            flush(&report);
            if stopped {
                return Ok(());
            }
        }
    }

    // No arguments: serve the lines ourselves and run a dozen batches on the manual clock.
    let server = LineServer::bind()?;
    let port = server.port();
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path())?;
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    let report = word_count(&sc, lines.clone(), store);
    ssc.start()?;
    let mut peer = server.accept()?;
    println!("serving lines on 127.0.0.1:{port}\n");
    let mut sent = 0u64;
    for batch in 0..12usize {
        // Batch i receives lines i, i+1 (mod the list) — some batches send nothing.
        let to_send: Vec<&str> = if batch % 5 == 4 {
            Vec::new()
        } else {
            vec![LINES[batch % LINES.len()], LINES[(batch + 1) % LINES.len()]]
        };
        sent += peer.send(to_send)?;
        // Wait until the receiver has every line sent so far, so each batch gets its own lines.
        wait_for_records(&lines, sent)?;
        ssc.run_batches(1)?;
        flush(&report);
    }
    ssc.stop(false, false);
    let page = std::env::temp_dir()
        .join("sparklet-reports")
        .join("stateful_network_wordcount.html");
    sc.write_report(&page)?;
    sc.stop();
    println!(
        "\nHTML report (jobs, stages, streaming batches, state size): {}",
        page.display()
    );
    Ok(())
}
