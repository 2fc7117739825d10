//! Spark's `QueueStream` example: a queue of RDDs as a stream, each batch's numbers counted by
//! their last digit.
//!
//! ```sh
//! cargo run --release --example queue_stream
//! ```
//!
//! Spark's program starts the context, then pushes an RDD of `1 to 1000` into the queue every
//! second for 30 seconds. Here the 30 RDDs are queued before the start (a queue stream takes its
//! batches when built) and the 30 batches run on the manual clock, so the run is immediate and
//! prints the same thing every time: each batch, `(digit, 100)` for the ten digits.

use sparklet::prelude::*;
use sparklet::streaming::*;

fn main() -> Result<()> {
    // StreamingExamples.setStreamingLogLevels(): warnings only unless RUST_LOG says otherwise.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("QueueStream"),
    )?;
    // Create the context
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));

    // Create the queue through which RDDs are fed to a QueueInputDStream: 30 times 1 to 1000
    let rdd_queue: Vec<Vec<i32>> = (1..=30).map(|_| (1..=1000).collect()).collect();

    // Create the QueueInputDStream and use it do some processing
    let input_stream = ssc.queue_stream(rdd_queue, true);
    let mapped_stream = input_stream.map(|x| (x % 10, 1));
    let reduced_stream = mapped_stream.reduce_by_key(|a, b| a + b);
    reduced_stream.print(10);
    ssc.start()?;

    // One batch a second in Spark; here the manual clock moves through the 30 batches.
    ssc.run_batches(30)?;
    ssc.stop(true, false);
    Ok(())
}
