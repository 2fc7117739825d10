//! Spark's `CustomReceiver`: a receiver written by the user — it connects to a socket, stores
//! each line it reads, and asks for a restart when the connection ends or fails — and the
//! network word count over it.
//!
//! ```sh
//! cargo run --release --example custom_receiver                  # built-in line server, five batches
//! nc -lk 9999 &  cargo run --release --example custom_receiver -- localhost 9999
//! ```
//!
//! With no arguments the example serves its own lines on 127.0.0.1 and drives five batches on
//! the manual clock; halfway it closes the connection, and the receiver reconnects after
//! `sparklet.streaming.receiver.restartDelay` (a listener prints the receiver's events). With
//! `<hostname> <port>` it reads that socket with a one-second wall-clock batch.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::thread::JoinHandle;

use sparklet::prelude::*;
use sparklet::streaming::*;

#[path = "common/line_server.rs"]
mod line_server;

use line_server::{wait_for_records, LineServer};

/// Spark's `CustomReceiver(host, port)`: stored at `MEMORY_AND_DISK_2`.
struct CustomReceiver {
    host: String,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl Receiver for CustomReceiver {
    type Item = String;

    fn on_start(&mut self, ctx: ReceiverContext<String>) {
        // Start the thread that receives data over a connection
        let (host, port) = (self.host.clone(), self.port);
        self.thread = std::thread::Builder::new()
            .name("Socket Receiver".into())
            .spawn(move || receive(&ctx, &host, port))
            .ok();
    }

    fn on_stop(&mut self) {
        // There is nothing much to do as the thread calling receive() is designed to stop by
        // itself once is_stopped() returns true (or its connection ends).
        self.thread.take();
    }

    fn storage_level(&self) -> StorageLevel {
        StorageLevel::MEMORY_AND_DISK_2
    }
}

/// Create a socket connection and receive data until the receiver is stopped.
fn receive(ctx: &ReceiverContext<String>, host: &str, port: u16) {
    log::info!("Connecting to {host} : {port}");
    let socket = match TcpStream::connect((host, port)) {
        Ok(s) => s,
        Err(e) => {
            // restart if could not connect to server
            ctx.restart_with_error(
                &format!("Error connecting to {host} : {port}"),
                &e.to_string(),
            );
            return;
        }
    };
    log::info!("Connected to {host} : {port}");
    let reader = BufReader::new(socket);
    for line in reader.lines() {
        if ctx.is_stopped() {
            break;
        }
        match line {
            Ok(user_input) => ctx.store(user_input),
            Err(e) => {
                // restart if there is any other error
                ctx.restart_with_error("Error receiving data", &e.to_string());
                return;
            }
        }
    }
    log::info!("Stopped receiving");
    // Restart in an attempt to connect again when server is active again
    ctx.restart("Trying to connect again");
}

/// Prints the receiver's events as they happen.
struct ReceiverEvents;

impl StreamingListener for ReceiverEvents {
    fn on_receiver_started(&self, info: &ReceiverInfo) {
        println!(
            "[listener] receiver {} ({}) started",
            info.stream_id, info.name
        );
    }
    fn on_receiver_stopped(&self, info: &ReceiverInfo) {
        println!(
            "[listener] receiver {} stopped: {}",
            info.stream_id,
            info.last_error_message.as_deref().unwrap_or("")
        );
    }
}

/// Spark's program: words of the received lines, counted per batch, printed.
fn word_counts(ssc: &StreamingContext, host: &str, port: u16) -> DStream<String> {
    let lines = ssc.receiver_stream(CustomReceiver {
        host: host.to_string(),
        port,
        thread: None,
    });
    let words = lines.flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>());
    let word_counts = words.map(|x| (x, 1)).reduce_by_key(|a, b| a + b);
    word_counts.print(10);
    lines
}

fn main() -> Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let conf = SparkConf::new()
        .set_master("local[2]")
        .set_app_name("CustomReceiver")
        .set("sparklet.streaming.receiver.restartDelay", "100ms");
    let sc = SparkContext::new(conf)?;

    if let [host, port] = args.as_slice() {
        let port: u16 = port
            .parse()
            .map_err(|_| Error::InvalidArgument(format!("bad port '{port}'")))?;
        let ssc = StreamingContext::new(&sc, Duration::seconds(1));
        word_counts(&ssc, host, port);
        ssc.start()?;
        return ssc.await_termination();
    }
    if !args.is_empty() {
        eprintln!("Usage: custom_receiver [<hostname> <port>]");
        std::process::exit(1);
    }

    // No arguments: our own line server; the first connection is closed after two batches.
    let server = LineServer::bind()?;
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.add_streaming_listener(ReceiverEvents);
    let lines = word_counts(&ssc, "127.0.0.1", server.port());
    ssc.start()?;
    let batches: [&[&str]; 5] = [
        &["to be or not to be"],
        &["that is the question", "to be"],
        &["whether tis nobler in the mind"],
        &["to suffer the slings", "and arrows"],
        &[],
    ];
    let mut peer = server.accept()?;
    let mut sent = 0u64;
    for (i, batch) in batches.iter().enumerate() {
        if i == 2 {
            // The server goes away: the receiver asks for a restart and connects again.
            drop(peer);
            peer = server.accept()?;
        }
        sent += peer.send(batch.iter().copied())?;
        wait_for_records(&lines, sent)?;
        ssc.run_batches(1)?;
    }
    // Close the connection so the receiver's thread ends, then stop.
    drop(peer);
    ssc.stop(true, false);
    Ok(())
}
