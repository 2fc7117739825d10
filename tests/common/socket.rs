//! Loopback socket helpers for the receiver tests (`tests/streaming_socket.rs`,
//! `tests/streaming_batch_info.rs`): every wait polls an observable fact (an accepted
//! connection, the receiver's counters) with a generous overall timeout, never a sleep for time.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::time::{Duration as StdDuration, Instant};

use sparklet::streaming::DStream;

/// How long a wait may take before it fails its test.
pub const PATIENCE: StdDuration = StdDuration::from_secs(20);

/// Polls `cond` until it holds; fails the test after `PATIENCE`.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(StdDuration::from_millis(2));
    }
}

/// A loopback listener on a free port, non-blocking (so `accept` can give up).
pub fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = l.local_addr().expect("local addr").port();
    l.set_nonblocking(true).expect("nonblocking listener");
    (l, port)
}

/// Accepts the receiver's next connection.
pub fn accept(l: &TcpListener) -> TcpStream {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).expect("blocking stream");
                return s;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "the receiver never connected");
                std::thread::sleep(StdDuration::from_millis(2));
            }
            Err(e) => panic!("accept failed: {e}"),
        }
    }
}

/// The records the stream's receiver has received so far.
pub fn records(s: &DStream<String>) -> u64 {
    s.receiver_info()
        .expect("a receiver stream")
        .records_received
}
