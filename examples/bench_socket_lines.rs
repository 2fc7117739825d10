//! Benchmark (issue 16, defect 7): how long the socket receiver takes to receive one long line.
//!
//! A test server on loopback accepts the receiver's connection and writes one line of the given
//! size (`x` bytes, no newline inside) followed by `\n`, in writes of 1 MiB. The "receive" time
//! runs from the first write to the moment the receiver has added the line to its block
//! generator (`ReceiverInfo::records_received` reaches 1); the kernel hands the receiver the
//! bytes in reads of at most 64 KiB, so a line of 50 MB takes about 800 reads. The "batch" time
//! is one `run_batches(1)` on the manual clock, which stores the line as a block
//! (`MEMORY_AND_DISK_SER_2`) and counts its characters; the count is checked.
//!
//! Before issue 16 the receiver looked for `\n` through everything buffered on each read, so
//! the receive time grew with the square of the line's length; now each byte is looked at once.
//!
//! Setup: master `local[2]`, `sparklet.executor.memory = 2g` (the line must fit with its copy),
//! `sparklet.streaming.receiver.maxLineBytes = 128m` so that every size here is a line to keep.
//!
//! Run: `cargo run --release --example bench_socket_lines [-- MB MB ...]`
//! (defaults: 1 16 50).

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

const PATIENCE: StdDuration = StdDuration::from_secs(600);

/// One line of `bytes` bytes through a fresh context: (receive time, batch time).
fn run(bytes: usize) -> Result<(StdDuration, StdDuration)> {
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set("sparklet.executor.memory", "2g")
            .set("sparklet.streaming.receiver.maxLineBytes", "128m"),
    )?;
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let server = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = server.local_addr().expect("local address").port();
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    let lengths = Arc::new(Mutex::new(Vec::new()));
    let l = lengths.clone();
    lines
        .map(|line| line.len() as u64)
        .foreach_rdd(move |rdd, _| {
            l.lock().extend(rdd.collect()?);
            Ok(())
        });
    ssc.start()?;
    let (mut peer, _) = server.accept().expect("the receiver connects");

    let chunk = vec![b'x'; 1 << 20];
    let start = Instant::now();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len());
        peer.write_all(&chunk[..n]).expect("write to the receiver");
        left -= n;
    }
    peer.write_all(b"\n").expect("write to the receiver");
    let info = || lines.receiver_info().expect("a receiver stream");
    while info().records_received < 1 {
        assert!(start.elapsed() < PATIENCE, "the line never arrived");
        std::thread::sleep(StdDuration::from_millis(1));
    }
    let receive = start.elapsed();

    let start = Instant::now();
    ssc.run_batches(1)?;
    let batch = start.elapsed();
    assert_eq!(
        *lengths.lock(),
        vec![bytes as u64],
        "the line arrived whole"
    );
    ssc.stop(true, false);
    Ok((receive, batch))
}

fn main() -> Result<()> {
    // Spark's console: warnings and errors unless RUST_LOG says otherwise (RUST_LOG=sparklet=info
    // shows the scheduler's jobs, stages and tasks).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes: Vec<usize> = if args.is_empty() {
        vec![1, 16, 50]
    } else {
        args.iter()
            .map(|a| a.parse().expect("sizes are numbers of MB"))
            .collect()
    };
    println!("one line through socket_text_stream (local[2], loopback)");
    println!(
        "{:>10} {:>12} {:>12} {:>14}",
        "line", "receive", "batch", "receive MB/s"
    );
    for mb in sizes {
        let bytes = mb * 1_000_000;
        let (receive, batch) = run(bytes)?;
        println!(
            "{:>7} MB {:>10.3} s {:>10.3} s {:>14.1}",
            mb,
            receive.as_secs_f64(),
            batch.as_secs_f64(),
            bytes as f64 / 1e6 / receive.as_secs_f64()
        );
    }
    Ok(())
}
