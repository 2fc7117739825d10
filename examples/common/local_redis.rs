//! A local `redis-server` for the examples that keep mapWithState's state in Redis when no
//! server URL is given: started on a free loopback port with persistence off, stopped on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use sparklet::prelude::*;

/// A `redis-server` child process.
pub struct LocalRedis {
    child: Child,
    /// `redis://127.0.0.1:<port>/0`.
    pub url: String,
}

impl LocalRedis {
    /// Starts `redis-server` and returns once it accepts connections.
    pub fn start() -> Result<LocalRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| Error::io("127.0.0.1:0", e))?
            .port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                "",
                "--daemonize",
                "no",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Error::io("redis-server (apt-get install redis-server)", e))?;
        let out = child
            .stdout
            .take()
            .ok_or_else(|| Error::Internal("redis-server has no stdout".into()))?;
        let mut lines = BufReader::new(out).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("Ready to accept connections") => break,
                Some(Ok(_)) => {}
                _ => {
                    return Err(Error::IllegalState(format!(
                        "redis-server on port {port} exited before it was ready"
                    )))
                }
            }
        }
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Ok(LocalRedis {
            child,
            url: format!("redis://127.0.0.1:{port}/0"),
        })
    }
}

impl Drop for LocalRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of `INFO <section>` of the server at `url` (for the benchmarks' figures).
#[allow(dead_code)] // not every example that starts a server reads its INFO
pub fn info(url: &str, section: &str) -> Result<String> {
    let bad = |e: redis::RedisError| Error::io(url, std::io::Error::other(e.to_string()));
    let client = redis::Client::open(url).map_err(bad)?;
    let mut con = client.get_connection().map_err(bad)?;
    redis::cmd("INFO").arg(section).query(&mut con).map_err(bad)
}
