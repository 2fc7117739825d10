//! `SocketInputDStream` and `SocketReceiver` (Spark's `socketTextStream`): lines read from a TCP
//! connection, one `BlockRDD` per batch.
//!
//! # Threads
//!
//! `start()` spawns one thread, `receiver-<stream id>`, which plays Spark's receiver task: it
//! connects to `host:port`, reads bytes, splits them into lines on `\n` (a trailing `\r` is
//! dropped; bytes that are not UTF-8 become U+FFFD, as Java's reader does; a last line without
//! `\n` counts when the peer closes), and adds each read's lines to the block generator.
//! Splitting is linear: only the bytes of the latest read are searched for `\n`, and only the
//! unfinished last line is kept between reads (`LineSplitter`). With
//! the wall clock the same thread cuts and stores a block every block interval (Spark uses a
//! timer thread and a pushing thread; one thread is enough when storing is an in-process copy);
//! with the manual clock blocks are cut only when a batch is generated. Reads time out every few
//! tens of milliseconds so the thread can cut blocks and see a stop request.
//!
//! # Batches
//!
//! At each batch, `compute` allocates to the batch every block received so far (after cutting
//! what is still buffered: see `receiver` for the exact rule) and returns a `BlockRDD` over
//! them — a `BlockRDD` with no partitions when nothing arrived. A time at or before the last
//! allocated batch (a forgotten batch asked for again) gets an empty `BlockRDD`: blocks belong
//! to the batch they were allocated to. Once the stream forgets a batch's RDD (the remember
//! duration passed, `clear_metadata`), the next `compute` removes that batch's blocks from
//! every executor (Spark's `BlockRDD.removeBlocks`, when `sparklet.streaming.unpersist` is on).
//!
//! # Problems
//!
//! A refused or failed connection, a peer that closes, and a read error are reported (a warning
//! and `ReceiverInfo::errors`/`last_error`, see [`DStream::receiver_info`]) and the receiver
//! reconnects after the restart delay, as Spark's `SocketReceiver` calls `restart`. None of
//! them stops the streaming context. A host that is not a valid host name or IP address, or
//! port 0, is refused when the stream is made: the error comes from `ssc.start()`.
//!
//! A line longer than `sparklet.streaming.receiver.maxLineBytes` ([`MAX_LINE_BYTES`], 64 MiB
//! by default; bytes before the `\n`) is reported the same way and dropped: once it grows past
//! the bound, what is buffered of it is freed and its further bytes are skipped up to the next
//! newline without being kept. The connection stays open and the next line is received as
//! usual. (Spark's `SocketReceiver` reads lines of any length, until the JVM runs out of heap.)
//!
//! # Stopping
//!
//! `stop()` sets the stop flag, wakes the restart-delay wait, shuts the socket down (which ends
//! a blocked read at once) and joins the thread. Only a connection attempt in progress can
//! delay it, by at most the connect timeout (1 s; a loopback connection is answered at once).

use std::any::Any;
use std::collections::BTreeMap;
use std::io::Read;
use std::net::{IpAddr, Shutdown, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::rdd::block_rdd::BlockRdd;
use crate::rdd::{Data, RddBase};
use crate::streaming::clock::Clock;
use crate::streaming::context::{StreamingEnv, UNPERSIST};
use crate::streaming::dstream::{DStreamBase, DStreamCore, TypedDStream};
use crate::streaming::graph::InputDStream;
use crate::streaming::input::receiver::{
    ReceivedBlock, ReceiverInfo, ReceiverSettings, ReceiverSupervisor, MAX_LINE_BYTES,
};
use crate::streaming::input_info::StreamInputInfo;
use crate::streaming::time::{Duration, Time};
use crate::streaming::DStream;
use crate::Rdd;

/// How long one connection attempt may take (it cannot be interrupted by `stop`).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
/// The longest a read waits before the thread looks at the clock and the stop flag again.
const MAX_READ_WAIT_MS: u64 = 50;

/// Where the receiver is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReceiverState {
    Initialized,
    Started,
    /// The receiver thread is stopped, but blocks it stored still go to batches (a graceful
    /// stop in progress).
    Draining,
    Stopped,
}

/// Spark's `SocketInputDStream`: a receiver input stream of text lines.
pub(crate) struct SocketInputDStream {
    core: DStreamCore,
    slide: Duration,
    receiver: Arc<SocketReceiver>,
    /// Why the stream cannot start (a bad host, port or setting), reported at creation.
    invalid: Option<Error>,
    state: Mutex<ReceiverState>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The blocks of each batch, until the stream forgets the batch's RDD.
    allocated: Mutex<BTreeMap<Time, Arc<BlockRdd<String>>>>,
    /// The last batch blocks were allocated to.
    last_allocated: Mutex<Option<Time>>,
}

impl SocketInputDStream {
    pub(crate) fn new(
        ssc: &Arc<StreamingEnv>,
        clock: Arc<dyn Clock>,
        block_timer: bool,
        host: &str,
        port: u16,
    ) -> SocketInputDStream {
        let core = DStreamCore::new(ssc, false);
        let (settings, bad_conf) = match ReceiverSettings::from_conf(ssc.sc.conf()) {
            Ok(s) => (s, None),
            Err(e) => (ReceiverSettings::default(), Some(e)),
        };
        let invalid = validate_address(host, port).err().or(bad_conf);
        if let Some(e) = &invalid {
            ssc.report(e.clone());
        }
        let supervisor = ReceiverSupervisor::new(
            &ssc.sc,
            clock,
            block_timer,
            core.id,
            "SocketReceiver",
            settings,
        );
        SocketInputDStream {
            receiver: Arc::new(SocketReceiver {
                host: host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
                port,
                supervisor,
                socket: Mutex::new(None),
            }),
            core,
            slide: ssc.batch_duration,
            invalid,
            state: Mutex::new(ReceiverState::Initialized),
            thread: Mutex::new(None),
            allocated: Mutex::new(BTreeMap::new()),
            last_allocated: Mutex::new(None),
        }
    }

    /// The receiver's counters.
    pub(crate) fn receiver_info(&self) -> ReceiverInfo {
        self.receiver.supervisor.info()
    }

    /// Removes the blocks of batches whose RDD the stream no longer remembers (Spark removes
    /// them in `clearMetadata`; here the next batch does it).
    fn clean_old_batches(&self) {
        let remembered: Vec<Time> = self.core.generated.lock().keys().copied().collect();
        let forgotten: Vec<Arc<BlockRdd<String>>> = {
            let mut allocated = self.allocated.lock();
            let old: Vec<Time> = allocated
                .keys()
                .filter(|t| !remembered.contains(t))
                .copied()
                .collect();
            old.iter().filter_map(|t| allocated.remove(t)).collect()
        };
        let unpersist = self
            .core
            .sc
            .conf()
            .get_bool(UNPERSIST, true)
            .unwrap_or(true);
        if unpersist {
            for rdd in forgotten {
                rdd.remove_blocks();
            }
        }
    }
}

impl Drop for SocketInputDStream {
    /// A context dropped without `stop()` still ends its receiver thread. The blocks of the
    /// batches still remembered go with the stream (after `stop()` they stay readable for as
    /// long as the stream lives).
    fn drop(&mut self) {
        self.stop();
        let unpersist = self
            .core
            .sc
            .conf()
            .get_bool(UNPERSIST, true)
            .unwrap_or(true);
        if unpersist {
            for rdd in std::mem::take(&mut *self.allocated.lock()).into_values() {
                rdd.remove_blocks();
            }
        }
    }
}

impl DStreamBase for SocketInputDStream {
    fn core(&self) -> &DStreamCore {
        &self.core
    }
    fn slide_duration(&self) -> Duration {
        self.slide
    }
    fn dependencies(&self) -> Vec<Arc<dyn DStreamBase>> {
        Vec::new()
    }
    fn class_name(&self) -> &'static str {
        "SocketInputDStream"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl InputDStream for SocketInputDStream {
    /// Starts the receiver thread `receiver-<stream id>` (Spark's `ReceiverTracker` launching
    /// the receiver).
    fn start(&self) -> Result<()> {
        if let Some(e) = &self.invalid {
            return Err(e.clone());
        }
        let mut state = self.state.lock();
        match *state {
            ReceiverState::Started => return Ok(()),
            ReceiverState::Draining | ReceiverState::Stopped => {
                return Err(Error::IllegalState(format!(
                    "the receiver of SocketInputDStream[{}] was stopped; it cannot be started \
                     again",
                    self.core.id
                )))
            }
            ReceiverState::Initialized => {}
        }
        self.receiver.supervisor.schedule();
        let receiver = self.receiver.clone();
        let handle = std::thread::Builder::new()
            .name(format!("receiver-{}", self.core.id))
            .spawn(move || receiver.run())
            .map_err(|e| Error::io(format!("receiver-{}", self.core.id), e))?;
        *self.thread.lock() = Some(handle);
        *state = ReceiverState::Started;
        Ok(())
    }

    /// Stops the receiver thread and waits for it; what it received still goes to batches.
    fn stop_receiving(&self) {
        {
            let mut state = self.state.lock();
            if *state != ReceiverState::Started {
                return;
            }
            *state = ReceiverState::Draining;
        }
        self.receiver.on_stop();
        if let Some(handle) = self.thread.lock().take() {
            if handle.thread().id() != std::thread::current().id() {
                let _ = handle.join();
            }
        }
    }

    fn has_unallocated_data(&self) -> bool {
        *self.state.lock() == ReceiverState::Draining
            && self.receiver.supervisor.has_unallocated_data()
    }

    /// Stops the receiver thread and waits for it. Blocks stored but never given to a batch
    /// are removed.
    fn stop(&self) {
        self.stop_receiving();
        {
            let mut state = self.state.lock();
            if *state == ReceiverState::Stopped {
                return;
            }
            *state = ReceiverState::Stopped;
        }
        for received in self.receiver.supervisor.take_unallocated() {
            crate::rdd::unpersist(&received.block, false);
        }
    }
}

impl TypedDStream<String> for SocketInputDStream {
    /// Spark's `ReceiverInputDStream.compute`: a `BlockRDD` over the blocks of this batch.
    fn compute(&self, time: Time) -> Result<Option<Rdd<String>>> {
        self.clean_old_batches();
        let started = matches!(
            *self.state.lock(),
            ReceiverState::Started | ReceiverState::Draining
        );
        let allocated: Option<Vec<ReceivedBlock>> = {
            let mut last = self.last_allocated.lock();
            if started && last.is_none_or(|l| time > l) {
                *last = Some(time);
                Some(self.receiver.supervisor.allocate_blocks_to_batch())
            } else {
                None
            }
        };
        let received = allocated.as_deref().unwrap_or_default();
        if allocated.is_some() {
            // Spark's `ReceiverInputDStream.compute`: the batch's records are those of its
            // blocks.
            let info = StreamInputInfo {
                input_stream_id: self.core.id,
                num_records: received.iter().map(|b| b.num_records).sum(),
            };
            self.core
                .ssc()?
                .input_info_tracker
                .report_info(time, info)?;
        }
        let blocks: Vec<Arc<dyn RddBase>> = received.iter().map(|b| b.block.clone()).collect();
        let rdd = Arc::new(BlockRdd::<String>::new(
            &self.core.sc,
            blocks,
            "socketTextStream",
        ));
        self.allocated.lock().insert(time, rdd.clone());
        Ok(Some(Rdd::from_arc(rdd)))
    }
}

impl<T: Data> DStream<T> {
    /// What the stream's receiver has done so far — connections, records and blocks received,
    /// problems reported, restarts — or `None` for a stream without a receiver. Sparklet's
    /// window on Spark's `StreamingListener.onReceiverError` and receiver metrics.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// use sparklet::streaming::*;
    ///
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    /// let lines = ssc.socket_text_stream("127.0.0.1", 9);
    /// let info = lines.receiver_info().unwrap();
    /// assert_eq!((info.records_received, info.errors), (0, 0));
    /// assert!(ssc.queue_stream(vec![vec![1]], true).receiver_info().is_none());
    /// ```
    pub fn receiver_info(&self) -> Option<ReceiverInfo> {
        self.stream
            .as_any()
            .downcast_ref::<SocketInputDStream>()
            .map(SocketInputDStream::receiver_info)
    }
}

/// Spark's `SocketReceiver`: the connection side, shared with the receiver thread.
struct SocketReceiver {
    host: String,
    port: u16,
    supervisor: ReceiverSupervisor<String>,
    /// The open connection, for `stop` to shut it down.
    socket: Mutex<Option<TcpStream>>,
}

/// How a connection ended.
enum Ended {
    Stopped,
    Restart { message: String, error: String },
}

impl SocketReceiver {
    /// The receiver thread: connect, receive until the connection ends, report, wait the
    /// restart delay, and again, until stopped.
    fn run(&self) {
        let sup = &self.supervisor;
        while !sup.is_stopped() {
            let ended = match self.connect() {
                Ok(stream) => self.receive(stream),
                Err(e) => Ended::Restart {
                    message: format!("Error connecting to {}:{}", self.host, self.port),
                    error: e.to_string(),
                },
            };
            match ended {
                Ended::Stopped => break,
                Ended::Restart { message, error } => {
                    if sup.is_stopped() {
                        break;
                    }
                    sup.report_error(&message, &error);
                    if !sup.wait_restart_delay() {
                        break;
                    }
                }
            }
        }
        sup.set_active(false);
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let mut last = None;
        for addr in (self.host.as_str(), self.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "the host has no address")
        }))
    }

    /// Reads lines until the peer closes, an error, or a stop.
    fn receive(&self, stream: TcpStream) -> Ended {
        let sup = &self.supervisor;
        let wait = sup.settings.block_interval_ms.clamp(1, MAX_READ_WAIT_MS);
        let setup = stream
            .set_read_timeout(Some(std::time::Duration::from_millis(wait)))
            .and_then(|()| stream.try_clone());
        match setup {
            Ok(clone) => *self.socket.lock() = Some(clone),
            Err(e) => {
                return Ended::Restart {
                    message: "Error receiving data".into(),
                    error: e.to_string(),
                }
            }
        }
        sup.set_active(true);
        let ended = self.read_lines(&stream);
        sup.set_active(false);
        self.socket.lock().take();
        ended
    }

    fn read_lines(&self, mut stream: &TcpStream) -> Ended {
        let sup = &self.supervisor;
        let mut lines = LineSplitter::new(sup.settings.max_line_bytes);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            if sup.is_stopped() {
                return Ended::Stopped;
            }
            sup.maybe_cut_block();
            match stream.read(&mut buf) {
                Ok(0) => {
                    if sup.is_stopped() {
                        return Ended::Stopped;
                    }
                    if let Some(last) = lines.finish() {
                        sup.add_data(vec![last]);
                    }
                    return Ended::Restart {
                        message: "Socket data stream had no more data".into(),
                        error: String::new(),
                    };
                }
                Ok(n) => {
                    let split = lines.push(&buf[..n]);
                    for _ in 0..split.dropped {
                        sup.report_error(
                            &format!(
                                "Dropped a line longer than {MAX_LINE_BYTES} ({} bytes); \
                                 skipping to the next line",
                                sup.settings.max_line_bytes
                            ),
                            "",
                        );
                    }
                    sup.add_data(split.lines);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => {
                    if sup.is_stopped() {
                        return Ended::Stopped;
                    }
                    return Ended::Restart {
                        message: "Error receiving data".into(),
                        error: e.to_string(),
                    };
                }
            }
        }
    }

    /// Wakes the thread: stop flag, condition variable, and a shut-down socket.
    fn on_stop(&self) {
        self.supervisor.signal_stop();
        if let Some(socket) = self.socket.lock().as_ref() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

/// Cuts a byte stream into lines on `\n`, looking at each byte once: only the bytes of the
/// latest read are searched for newlines, and only the unfinished last line is kept between
/// reads. A line longer than `max` bytes (not counting its `\n`) is dropped the moment it
/// grows past `max`: what is buffered of it is freed and its remaining bytes are skipped up to
/// the next newline, so the buffer never holds more than `max` bytes.
struct LineSplitter {
    max: usize,
    /// The unfinished last line (at most `max` bytes).
    pending: Vec<u8>,
    /// Skipping the rest of a line that grew past `max`.
    dropping: bool,
}

/// What one read gave: the complete lines, and how many lines were dropped as too long.
struct Split {
    lines: Vec<String>,
    dropped: usize,
}

impl LineSplitter {
    fn new(max: usize) -> LineSplitter {
        LineSplitter {
            max,
            pending: Vec::new(),
            dropping: false,
        }
    }

    /// Adds one read's bytes; returns the lines they complete.
    fn push(&mut self, bytes: &[u8]) -> Split {
        let mut split = Split {
            lines: Vec::new(),
            dropped: 0,
        };
        let mut rest = bytes;
        while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
            let piece = &rest[..newline];
            rest = &rest[newline + 1..];
            if std::mem::take(&mut self.dropping) {
                continue;
            }
            if self.pending.len() + piece.len() > self.max {
                self.pending = Vec::new();
                split.dropped += 1;
            } else if self.pending.is_empty() {
                split.lines.push(line_of(piece));
            } else {
                self.pending.extend_from_slice(piece);
                split
                    .lines
                    .push(line_of(&std::mem::take(&mut self.pending)));
            }
        }
        if !self.dropping && !rest.is_empty() {
            if self.pending.len() + rest.len() > self.max {
                self.pending = Vec::new();
                self.dropping = true;
                split.dropped += 1;
            } else {
                self.pending.extend_from_slice(rest);
            }
        }
        split
    }

    /// The last line when the peer closes: what is pending, unless it was dropped.
    fn finish(&mut self) -> Option<String> {
        self.dropping = false;
        let last = std::mem::take(&mut self.pending);
        (!last.is_empty()).then(|| owned_line(last))
    }
}

/// One line's text: a trailing `\r` dropped, invalid UTF-8 replaced.
fn line_of(bytes: &[u8]) -> String {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

/// [`line_of`] for bytes already owned: valid UTF-8 becomes the `String` without a copy.
fn owned_line(mut bytes: Vec<u8>) -> String {
    if bytes.last() == Some(&b'\r') {
        bytes.pop();
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Refuses what cannot be a TCP address: an empty or malformed host name, port 0.
fn validate_address(host: &str, port: u16) -> Result<()> {
    let bad = |why: &str| {
        Error::InvalidArgument(format!(
            "socket_text_stream: cannot connect to '{host}:{port}': {why}"
        ))
    };
    if port == 0 {
        return Err(bad("port 0 is not a port to connect to"));
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if bare.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    if host.is_empty() {
        return Err(bad("the host is empty"));
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.len() > 253 {
        return Err(bad("a host name has at most 253 characters"));
    }
    for label in name.split('.') {
        let ok_chars = label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if label.is_empty()
            || label.len() > 63
            || !ok_chars
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(bad(
                "not an IP address, and not a host name (dot-separated labels of 1 to 63 \
                 letters, digits, '-' or '_')",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(splitter: &mut LineSplitter, bytes: &[u8]) -> (Vec<String>, usize) {
        let split = splitter.push(bytes);
        (split.lines, split.dropped)
    }

    #[test]
    fn lines_split_on_newline_and_drop_carriage_returns() {
        let mut s = LineSplitter::new(100);
        assert_eq!(
            lines(&mut s, b"a b\r\nc\n\nd"),
            (vec!["a b".into(), "c".into(), "".into()], 0)
        );
        assert_eq!(s.pending, b"d");
        assert_eq!(lines(&mut s, b"e\n"), (vec!["de".into()], 0));
        assert!(s.pending.is_empty());
        assert_eq!(lines(&mut s, b"no newline"), (vec![], 0));
        assert_eq!(s.finish().as_deref(), Some("no newline"));
        assert_eq!(s.finish(), None);
        assert_eq!(line_of(b"\xffx\r"), "\u{fffd}x");
        assert_eq!(owned_line(b"\xffx\r".to_vec()), "\u{fffd}x");
        assert_eq!(owned_line(b"ok\r".to_vec()), "ok");
    }

    /// A line cut by reads at every possible place comes out whole.
    #[test]
    fn a_line_split_across_reads_is_reassembled() {
        let text = b"first line\nsecond\r\nthird\n";
        for cut in 0..text.len() {
            for cut2 in cut..text.len() {
                let mut s = LineSplitter::new(64);
                let mut got = Vec::new();
                for piece in [&text[..cut], &text[cut..cut2], &text[cut2..]] {
                    got.extend(s.push(piece).lines);
                }
                assert_eq!(
                    got,
                    vec!["first line", "second", "third"],
                    "cuts {cut} {cut2}"
                );
                assert!(s.pending.is_empty());
            }
        }
    }

    /// A line of `max` bytes is kept; one byte more drops it, whether it ends in the read that
    /// crosses the bound or many reads later, and the next line is whole.
    #[test]
    fn a_line_longer_than_the_bound_is_dropped_without_buffering() {
        let mut s = LineSplitter::new(4);
        assert_eq!(
            lines(&mut s, b"abcd\nabcde\nok\n"),
            (vec!["abcd".into(), "ok".into()], 1)
        );

        let mut s = LineSplitter::new(4);
        assert_eq!(lines(&mut s, b"x\nabc"), (vec!["x".into()], 0));
        assert_eq!(lines(&mut s, b"de"), (vec![], 1));
        assert!(s.pending.is_empty() && s.dropping);
        for _ in 0..100 {
            assert_eq!(lines(&mut s, b"zzzzzzzz"), (vec![], 0));
            assert_eq!(s.pending.capacity(), 0);
        }
        assert_eq!(lines(&mut s, b"zz\nnext\nab"), (vec!["next".into()], 0));
        assert_eq!(s.finish().as_deref(), Some("ab"));

        // A dropped line the peer never ends gives no last line.
        let mut s = LineSplitter::new(4);
        assert_eq!(lines(&mut s, b"toolong"), (vec![], 1));
        assert_eq!(s.finish(), None);
        // The newline right after a line dropped at the end of a read ends that line only.
        let mut s = LineSplitter::new(2);
        assert_eq!(lines(&mut s, b"abc"), (vec![], 1));
        assert_eq!(lines(&mut s, b"\n\nq\n"), (vec!["".into(), "q".into()], 0));
    }

    #[test]
    fn addresses_are_checked() {
        assert!(validate_address("127.0.0.1", 9999).is_ok());
        assert!(validate_address("localhost", 9999).is_ok());
        assert!(validate_address("[::1]", 9999).is_ok());
        assert!(validate_address("stream-host.example.com.", 1).is_ok());
        for bad in ["", "bad host", "a..b", "-x", "host:80", "http://x"] {
            let err = validate_address(bad, 9999).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{bad}");
        }
        let err = validate_address("127.0.0.1", 0).unwrap_err();
        assert!(err.to_string().contains("port 0"), "{err}");
    }
}
