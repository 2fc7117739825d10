//! Spark's `RawNetworkGrep` example: several network streams unioned into one
//! (`ssc.union`), and in each batch the number of lines that contain "the".
//!
//! ```sh
//! cargo run --release --example raw_network_grep                                  # built-in text source
//! cargo run --release --example raw_network_grep -- 2 localhost 9999 1000         # <numStreams> <host> <port> <batchMillis>
//! ```
//!
//! Spark's program reads `numStreams` raw socket streams fed by its `RawTextSender` (which
//! sends a text file's lines over and over). With arguments, this one reads `numStreams` text
//! socket streams of `host:port` on the wall clock until stopped. With none, each of its 4
//! streams is a queue of the lines a RawTextSender would send (a built-in text, a block of lines
//! a batch), and 10 batches run on the manual clock: the same counts every run.

use sparklet::prelude::*;
use sparklet::streaming::*;

/// The text the built-in senders send.
const TEXT: &[&str] = &[
    "the quick brown fox jumps over the lazy dog",
    "a stream is a sequence of batches",
    "each batch of the stream is an RDD",
    "windows slide over the batches",
    "receivers store blocks",
    "the driver schedules the jobs",
    "executors run tasks",
];

fn main() -> Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() && args.len() != 4 {
        eprintln!("Usage: RawNetworkGrep <numStreams> <host> <port> <batchMillis>");
        std::process::exit(1);
    }
    let int = |s: &str| -> Result<u64> {
        s.parse()
            .map_err(|_| Error::InvalidArgument(format!("not a number: '{s}'")))
    };
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("RawNetworkGrep"),
    )?;

    if let [num_streams, host, port, batch_millis] = args.as_slice() {
        let (num_streams, port) = (int(num_streams)?, int(port)?);
        let port =
            u16::try_from(port).map_err(|_| Error::InvalidArgument(format!("bad port {port}")))?;
        // Create the context
        let ssc = StreamingContext::new(&sc, Duration::milliseconds(int(batch_millis)?));
        let raw_streams: Vec<DStream<String>> = (0..num_streams)
            .map(|_| ssc.socket_text_stream(host, port))
            .collect();
        let union = ssc.union(&raw_streams);
        grep_count(&union);
        ssc.start()?;
        while !ssc.await_termination_or_timeout(Duration::seconds(1))? {}
        return Ok(());
    }

    // No arguments: 4 built-in senders, 10 batches on the manual clock.
    let (num_streams, batches) = (4usize, 10usize);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::milliseconds(1000));
    let raw_streams: Vec<DStream<String>> = (0..num_streams)
        .map(|s| {
            // Sender `s` sends, each batch, the next 5 lines of the text, round and round.
            let blocks: Vec<Vec<String>> = (0..batches)
                .map(|b| {
                    (0..5)
                        .map(|i| TEXT[(s + b * 5 + i) % TEXT.len()].to_string())
                        .collect()
                })
                .collect();
            ssc.queue_stream(blocks, true)
        })
        .collect();
    let union = ssc.union(&raw_streams);
    grep_count(&union);
    ssc.start()?;
    ssc.run_batches(batches)?;
    ssc.stop(true, false);
    Ok(())
}

/// `union.filter(_.contains("the")).count().foreachRDD(r => println("Grep count: ..."))`.
fn grep_count(union: &DStream<String>) {
    union
        .filter(|line| line.contains("the"))
        .count()
        .foreach_rdd(|r, _| {
            let counts: Vec<String> = r.collect()?.iter().map(|n| n.to_string()).collect();
            println!("Grep count: {}", counts.concat());
            Ok(())
        });
}
