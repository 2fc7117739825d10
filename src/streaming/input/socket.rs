//! Spark's `SocketInputDStream` and `SocketReceiver` (`socketTextStream`): lines read from a
//! TCP connection, one `BlockRDD` per batch. The stream is a `ReceiverInputDStream`
//! (`streaming::input::receiver_input`, which explains batches and blocks); the receiver is a
//! [`Receiver`] like any user's.
//!
//! # Threads
//!
//! `on_start` (on the supervisor thread `receiver-<stream id>`) connects to `host:port` and
//! starts the thread `Socket Receiver`, which reads bytes, splits them into lines on `\n` (a
//! trailing `\r` is dropped; bytes that are not UTF-8 become U+FFFD, as Java's reader does; a
//! last line without `\n` counts when the peer closes), and stores each read's lines together.
//! Splitting is linear: only the bytes of the latest read are searched for `\n`, and only the
//! unfinished last line is kept between reads (`LineSplitter`). Reads time out every few tens
//! of milliseconds so the thread sees a stop request.
//!
//! # Problems
//!
//! A refused or failed connection, a peer that closes, and a read error ask for a restart, as
//! Spark's `SocketReceiver` calls `restart`: the problem is reported (a warning,
//! `ReceiverInfo::errors`/`last_error`, the listeners' `on_receiver_stopped`) and the receiver
//! connects again after the restart delay. None of them stops the streaming context. A host
//! that is not a valid host name or IP address, or port 0, is refused when the stream is made:
//! the error comes from `ssc.start()`.
//!
//! A line longer than `sparklet.streaming.receiver.maxLineBytes` ([`MAX_LINE_BYTES`], 64 MiB
//! by default; bytes before the `\n`) is reported (`report_error`) and dropped: once it grows
//! past the bound, what is buffered of it is freed and its further bytes are skipped up to the
//! next newline without being kept. The connection stays open and the next line is received
//! as usual. (Spark's `SocketReceiver` reads lines of any length, until the JVM runs out of
//! heap.)
//!
//! # Stopping
//!
//! `on_stop` shuts the socket down (which ends a blocked read at once) and joins the thread.
//! Only a connection attempt in progress can delay a stop, by at most the connect timeout
//! (1 s; a loopback connection is answered at once).

use std::io::Read;
use std::net::{IpAddr, Shutdown, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::streaming::context::StreamingEnv;
use crate::streaming::input::receiver::{ReceiverSettings, MAX_LINE_BYTES};
use crate::streaming::input::receiver_api::{Receiver, ReceiverContext};
use crate::streaming::input::receiver_input::{Names, ReceiverInputDStream};

/// How long one connection attempt may take (it cannot be interrupted by `stop`).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
/// The longest a read waits before the thread looks at the stop flag again.
const MAX_READ_WAIT_MS: u64 = 50;

/// Spark's `SocketInputDStream`: a receiver input stream of the lines a [`SocketReceiver`]
/// reads.
pub(crate) fn socket_input_stream(
    ssc: &Arc<StreamingEnv>,
    host: &str,
    port: u16,
) -> ReceiverInputDStream<String> {
    let settings = ReceiverSettings::from_conf(ssc.sc.conf()).unwrap_or_default();
    let receiver = SocketReceiver {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port,
        max_line_bytes: settings.max_line_bytes,
        read_wait_ms: settings.block_interval_ms.clamp(1, MAX_READ_WAIT_MS),
        socket: Arc::new(Mutex::new(None)),
        thread: None,
    };
    let names = Names {
        class_name: "SocketInputDStream",
        receiver: "SocketReceiver",
        operation: "socketTextStream",
    };
    ReceiverInputDStream::new(
        ssc,
        Box::new(receiver),
        names,
        validate_address(host, port).err(),
    )
}

/// Spark's `SocketReceiver`.
struct SocketReceiver {
    host: String,
    port: u16,
    max_line_bytes: usize,
    read_wait_ms: u64,
    /// The open connection, for `on_stop` to shut it down.
    socket: Arc<Mutex<Option<TcpStream>>>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver for SocketReceiver {
    type Item = String;

    /// Connects, then starts the thread that receives (Spark's `onStart`); a failed connection
    /// asks for a restart.
    fn on_start(&mut self, ctx: ReceiverContext<String>) {
        let stream = match self.connect() {
            Ok(s) => s,
            Err(e) => {
                ctx.restart_with_error(
                    &format!("Error connecting to {}:{}", self.host, self.port),
                    &e.to_string(),
                );
                return;
            }
        };
        let setup = stream
            .set_read_timeout(Some(std::time::Duration::from_millis(self.read_wait_ms)))
            .and_then(|()| stream.try_clone());
        match setup {
            Ok(clone) => *self.socket.lock() = Some(clone),
            Err(e) => {
                ctx.restart_with_error("Error receiving data", &e.to_string());
                return;
            }
        }
        let max = self.max_line_bytes;
        let spawned = std::thread::Builder::new()
            .name("Socket Receiver".into())
            .spawn(move || receive(&stream, &ctx, max));
        match spawned {
            Ok(handle) => self.thread = Some(handle),
            Err(e) => {
                self.socket.lock().take();
                log::warn!(
                    target: crate::logging::RECEIVER_SUPERVISOR,
                    "Cannot start the Socket Receiver thread: {e}"
                );
            }
        }
    }

    /// Closes the socket, which ends a blocked read, and waits for the thread (Spark's
    /// `onStop`).
    fn on_stop(&mut self) {
        if let Some(socket) = self.socket.lock().take() {
            let _ = socket.shutdown(Shutdown::Both);
        }
        if let Some(handle) = self.thread.take() {
            let _ = handle.join();
        }
    }
}

impl SocketReceiver {
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
}

/// Spark's `SocketReceiver.receive`: stores lines until the peer closes, an error, or a stop;
/// the first two ask for a restart.
fn receive(mut stream: &TcpStream, ctx: &ReceiverContext<String>, max_line_bytes: usize) {
    let mut lines = LineSplitter::new(max_line_bytes);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if ctx.is_stopped() {
            return;
        }
        match stream.read(&mut buf) {
            Ok(0) => {
                if ctx.is_stopped() {
                    return;
                }
                if let Some(last) = lines.finish() {
                    ctx.store(last);
                }
                ctx.restart("Socket data stream had no more data");
                return;
            }
            Ok(n) => {
                let split = lines.push(&buf[..n]);
                for _ in 0..split.dropped {
                    ctx.report_error(
                        &format!(
                            "Dropped a line longer than {MAX_LINE_BYTES} ({max_line_bytes} \
                             bytes); skipping to the next line"
                        ),
                        "",
                    );
                }
                ctx.store_all(split.lines);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                if !ctx.is_stopped() {
                    ctx.restart_with_error("Error receiving data", &e.to_string());
                }
                return;
            }
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
