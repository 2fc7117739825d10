//! Spark's `NetworkWordCount`: counts the words of the lines received over TCP in each
//! one-second batch, and prints them.
//!
//! ```sh
//! cargo run --release --example network_word_count                  # built-in line server, six batches
//! nc -lk 9999 &  cargo run --release --example network_word_count -- localhost 9999
//! ```
//!
//! With no arguments the example serves its own lines on 127.0.0.1 (a port the system picks)
//! and drives six batches on the manual clock, so every run prints the same thing. With
//! `<hostname> <port>` (Spark's arguments) it reads that socket with a one-second wall-clock
//! batch until you stop it.

use sparklet::prelude::*;
use sparklet::streaming::*;

#[path = "common/line_server.rs"]
mod line_server;

use line_server::{wait_for_records, LineServer};

const LINES: &[&str] = &[
    "hello world",
    "hello spark streaming",
    "the quick brown fox",
    "the lazy dog and the fox",
];

/// Spark's program, line for line: lines, words, (word, 1), reduceByKey, print.
fn word_counts(ssc: &StreamingContext, host: &str, port: u16) -> DStream<String> {
    let lines = ssc.socket_text_stream(host, port);
    let words = lines.flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>());
    let word_counts = words.map(|x| (x, 1)).reduce_by_key(|a, b| a + b);
    word_counts.print(10);
    lines
}

fn main() -> Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("NetworkWordCount"),
    )?;

    if let [host, port] = args.as_slice() {
        let port: u16 = port
            .parse()
            .map_err(|_| Error::InvalidArgument(format!("bad port '{port}'")))?;
        // Create the context with a 1 second batch size
        let ssc = StreamingContext::new(&sc, Duration::seconds(1));
        word_counts(&ssc, host, port);
        ssc.start()?;
        return ssc.await_termination();
    }
    if !args.is_empty() {
        eprintln!("Usage: network_word_count [<hostname> <port>]");
        std::process::exit(1);
    }

    // No arguments: serve the lines ourselves; each batch gets the lines sent before it.
    let server = LineServer::bind()?;
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let lines = word_counts(&ssc, "127.0.0.1", server.port());
    ssc.start()?;
    let mut peer = server.accept()?;
    let mut sent = 0u64;
    for batch in 0..6usize {
        sent += peer.send(LINES.iter().copied().skip(batch % LINES.len()).take(2))?;
        wait_for_records(&lines, sent)?;
        ssc.run_batches(1)?;
    }
    ssc.stop(true, false);
    Ok(())
}
