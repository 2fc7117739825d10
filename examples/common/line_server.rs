//! The line server of the socket examples' no-argument runs (network_word_count,
//! custom_receiver, recoverable_network_word_count, stateful_network_wordcount): a listener on
//! a loopback port the system picks, and, for each batch, lines written to the connected
//! receiver and a bounded wait until the receiver has stored them, so that each batch of the
//! manual clock gets exactly the lines sent before it.
#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};

use sparklet::prelude::*;
use sparklet::streaming::*;

/// How long a receiver may take to store the lines sent to it.
const RECEIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A listener on `127.0.0.1` for the example's receiver to connect to.
pub struct LineServer {
    listener: TcpListener,
    port: u16,
}

impl LineServer {
    /// Listens on a free loopback port.
    pub fn bind() -> Result<LineServer> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("127.0.0.1:0", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::io("127.0.0.1:0", e))?
            .port();
        Ok(LineServer { listener, port })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for the receiver to connect.
    pub fn accept(&self) -> Result<LinePeer> {
        let (stream, _) = self
            .listener
            .accept()
            .map_err(|e| Error::io("127.0.0.1", e))?;
        Ok(LinePeer(stream))
    }
}

/// A receiver's connection to the line server.
pub struct LinePeer(TcpStream);

impl LinePeer {
    /// Writes `lines`, one a line, and flushes; returns how many were written.
    pub fn send<'a>(&mut self, lines: impl IntoIterator<Item = &'a str>) -> Result<u64> {
        let mut sent = 0;
        for l in lines {
            writeln!(self.0, "{l}").map_err(|e| Error::io("socket", e))?;
            sent += 1;
        }
        self.0.flush().map_err(|e| Error::io("socket", e))?;
        Ok(sent)
    }
}

/// Waits (bounded) until the receiver of `stream` has stored `n` records in all.
pub fn wait_for_records<T: Data>(stream: &DStream<T>, n: u64) -> Result<()> {
    let deadline = std::time::Instant::now() + RECEIVE_TIMEOUT;
    while stream.receiver_info().map_or(0, |i| i.records_received) < n {
        if std::time::Instant::now() > deadline {
            return Err(Error::IllegalState(
                "the receiver did not get the lines in 10 s".into(),
            ));
        }
        std::thread::yield_now();
    }
    Ok(())
}
