//! Spark's `RecoverableNetworkWordCount`: a word count over a socket whose context is recovered
//! from its checkpoint after a driver restart, with an exclude list in a broadcast variable and
//! a counter of the dropped words in an accumulator, both re-created lazily on the new driver
//! (Spark's `WordExcludeList` and `DroppedWordsCounter` singletons: broadcasts and accumulators
//! are not recovered from a checkpoint).
//!
//! ```sh
//! cargo run --release --example recoverable_network_word_count      # built-in server, a restart
//! nc -lk 9999 &  cargo run --release --example recoverable_network_word_count -- \
//!     localhost 9999 /tmp/checkpoint /tmp/out.txt
//! ```
//!
//! With Spark's four arguments (`<hostname> <port> <checkpoint-directory> <output-file>`) it runs
//! on the wall clock until stopped; run it again with the same checkpoint directory and it
//! prints "Recovering from checkpoint": the context's batches, state and pending work come back
//! from the checkpoint (sparklet rebuilds the graph with the same function, where Spark
//! deserializes it; see DESIGN.md). With no
//! arguments it serves its own lines, runs four batches on the manual clock, stops the driver
//! (its SparkContext too), and starts a second driver on the same checkpoint directory, which
//! recovers the context and runs four batches more: the output file then holds the lines of
//! both drivers, the boundary batch twice (Spark's at-least-once recovery).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sparklet::prelude::*;
use sparklet::streaming::*;
use sparklet::LongAccumulator;

#[path = "common/line_server.rs"]
mod line_server;

use line_server::{wait_for_records, LineServer};

/// Spark's `WordExcludeList`: one broadcast per driver, made on first use.
fn word_exclude_list(sc: &SparkContext) -> Broadcast<Vec<String>> {
    static INSTANCE: Mutex<Option<(String, Broadcast<Vec<String>>)>> = Mutex::new(None);
    let mut instance = INSTANCE.lock().unwrap_or_else(|e| e.into_inner());
    match &*instance {
        Some((app, b)) if *app == sc.app_id() => b.clone(),
        _ => {
            let words = ["a", "b", "c"].map(str::to_string).to_vec();
            let b = sc.broadcast(words);
            *instance = Some((sc.app_id(), b.clone()));
            b
        }
    }
}

/// Spark's `DroppedWordsCounter`: one accumulator per driver, made on first use.
fn dropped_words_counter(sc: &SparkContext) -> LongAccumulator {
    static INSTANCE: Mutex<Option<(String, LongAccumulator)>> = Mutex::new(None);
    let mut instance = INSTANCE.lock().unwrap_or_else(|e| e.into_inner());
    match &*instance {
        Some((app, a)) if *app == sc.app_id() => a.clone(),
        _ => {
            let a = sc.long_accumulator("DroppedWordsCounter");
            *instance = Some((sc.app_id(), a.clone()));
            a
        }
    }
}

/// Spark's `createContext`; `lines` receives the socket stream (the no-argument run waits on
/// its receiver).
fn create_context(
    lines_out: &mut Option<DStream<String>>,
    sc: &SparkContext,
    manual_clock: bool,
    ip: &str,
    port: u16,
    output_path: &Path,
    checkpoint_directory: &Path,
) -> Result<StreamingContext> {
    let recovering = checkpoint_directory.exists();
    if recovering {
        println!(
            "Recovering from checkpoint {}",
            checkpoint_directory.display()
        );
    } else {
        println!("Creating new context");
    }
    if !recovering && output_path.exists() {
        std::fs::remove_file(output_path).map_err(|e| Error::io(output_path, e))?;
    }
    // Create the context with a 1 second batch size.
    let ssc = if manual_clock {
        StreamingContext::with_manual_clock(sc, Duration::seconds(1))
    } else {
        StreamingContext::new(sc, Duration::seconds(1))
    };
    ssc.checkpoint(checkpoint_directory)?;

    // Create a socket stream on target ip:port and count the words in the input stream of
    // \n delimited text.
    let lines = ssc.socket_text_stream(ip, port);
    *lines_out = Some(lines.clone());
    let words = lines.flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>());
    let word_counts = words.map(|x| (x, 1u64)).reduce_by_key(|a, b| a + b);
    let output_file = output_path.to_path_buf();
    word_counts.foreach_rdd(move |rdd, time| {
        // Get or register the excludeList Broadcast.
        let exclude_list = word_exclude_list(&rdd.context());
        // Get or register the droppedWordsCounter Accumulator.
        let dropped = dropped_words_counter(&rdd.context());
        let counter = dropped.clone();
        // Use excludeList to drop words and use droppedWordsCounter to count them.
        let mut counts = rdd
            .filter(move |(word, count)| {
                if exclude_list.value().contains(word) {
                    counter.add(*count as i64);
                    false
                } else {
                    true
                }
            })
            .collect()?;
        counts.sort();
        let counts: Vec<String> = counts.iter().map(|(w, c)| format!("({w},{c})")).collect();
        let output = format!("Counts at time {time} [{}]", counts.join(", "));
        println!("{output}");
        println!("Dropped {} word(s) totally", dropped.value());
        println!("Appending to {}", output_file.display());
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&output_file)
            .map_err(|e| Error::io(&output_file, e))?;
        writeln!(file, "{output}").map_err(|e| Error::io(&output_file, e))?;
        Ok(())
    });
    Ok(ssc)
}

const LINES: &[&str] = &[
    "a quick brown fox",
    "b is for broadcast c is for checkpoint",
    "the fox and a dog",
    "recover the stream",
];

/// One driver of the no-argument run: a new SparkContext, the context from the checkpoint (or
/// created), `batches` batches of served lines, then a full stop.
fn run_driver(
    server: &LineServer,
    checkpoint: &Path,
    output: &Path,
    first_batch: usize,
    batches: usize,
) -> Result<()> {
    let port = server.port();
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("RecoverableNetworkWordCount"),
    )?;
    let mut lines = None;
    let ssc = StreamingContext::get_or_create(checkpoint, || {
        create_context(&mut lines, &sc, true, "127.0.0.1", port, output, checkpoint)
    })?;
    let lines = lines.ok_or_else(|| Error::IllegalState("no socket stream".into()))?;
    ssc.start()?;
    let mut peer = server.accept()?;
    // Each batch gets the lines sent before it: wait until the receiver has them all.
    let mut sent = 0u64;
    for batch in first_batch..first_batch + batches {
        sent += peer.send(LINES.iter().copied().skip(batch % LINES.len()).take(2))?;
        wait_for_records(&lines, sent)?;
        ssc.run_batches(1)?;
    }
    ssc.stop(true, false);
    Ok(())
}

fn main() -> Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [ip, port, checkpoint_directory, output_path] = args.as_slice() {
        let port: u16 = port
            .parse()
            .map_err(|_| Error::InvalidArgument(format!("bad port '{port}'")))?;
        let (checkpoint, output) = (
            PathBuf::from(checkpoint_directory),
            PathBuf::from(output_path),
        );
        let sc = SparkContext::new(
            SparkConf::new()
                .set_master("local[2]")
                .set_app_name("RecoverableNetworkWordCount"),
        )?;
        let mut lines = None;
        let ssc = StreamingContext::get_or_create(&checkpoint, || {
            create_context(&mut lines, &sc, false, ip, port, &output, &checkpoint)
        })?;
        ssc.start()?;
        return ssc.await_termination();
    }
    if !args.is_empty() {
        eprintln!(
            "Usage: recoverable_network_word_count <hostname> <port> <checkpoint-directory> <output-file>"
        );
        std::process::exit(1);
    }
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let (checkpoint, output) = (dir.path().join("checkpoint"), dir.path().join("out.txt"));
    let server = LineServer::bind()?;
    println!("== first driver");
    run_driver(&server, &checkpoint, &output, 0, 4)?;
    println!("\n== driver restarted on {}", checkpoint.display());
    run_driver(&server, &checkpoint, &output, 4, 4)?;
    let text = std::fs::read_to_string(&output).map_err(|e| Error::io(&output, e))?;
    println!(
        "\n== {} ({} lines)\n{text}",
        output.display(),
        text.lines().count()
    );
    Ok(())
}
