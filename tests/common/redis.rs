//! A real `redis-server` for the Redis state store's tests: started on a free loopback port
//! (persistence off unless asked), ready once it logs so (no polling), killed on drop. No test
//! depends on a server that is already running.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A `redis-server` child process.
pub struct RedisProcess {
    child: Option<Child>,
    pub port: u16,
    /// The data folder when persistence is on (`SHUTDOWN SAVE` writes `dump.rdb` there).
    persist: Option<PathBuf>,
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    l.local_addr().expect("local addr").port()
}

fn spawn(port: u16, persist: Option<&Path>) -> Child {
    let mut cmd = Command::new("redis-server");
    cmd.arg("--port")
        .arg(port.to_string())
        .arg("--bind")
        .arg("127.0.0.1")
        .arg("--logfile")
        .arg("")
        .arg("--daemonize")
        .arg("no")
        .arg("--databases")
        .arg("64");
    match persist {
        Some(dir) => {
            cmd.arg("--dir")
                .arg(dir)
                .arg("--dbfilename")
                .arg("dump.rdb");
            cmd.arg("--save").arg("").arg("--appendonly").arg("no");
        }
        None => {
            cmd.arg("--save").arg("").arg("--appendonly").arg("no");
        }
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server is not installed: apt-get install redis-server (test.sh does)");
    // Ready when it says so; the reader ends (and the test fails) if the server exits first.
    let out = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(out).lines();
    let mut seen = Vec::new();
    loop {
        match lines.next() {
            Some(Ok(line)) => {
                let ready = line.contains("Ready to accept connections");
                seen.push(line);
                if ready {
                    break;
                }
            }
            _ => panic!(
                "redis-server on port {port} exited before it was ready:\n{}",
                seen.join("\n")
            ),
        }
    }
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    child
}

impl RedisProcess {
    /// A server with persistence off.
    pub fn start() -> RedisProcess {
        let port = free_port();
        RedisProcess {
            child: Some(spawn(port, None)),
            port,
            persist: None,
        }
    }

    /// A server that keeps its data in `dir` across `shutdown_save` / `restart`.
    pub fn start_persistent(dir: &Path) -> RedisProcess {
        let port = free_port();
        RedisProcess {
            child: Some(spawn(port, Some(dir))),
            port,
            persist: Some(dir.to_path_buf()),
        }
    }

    /// The URL of database `db`.
    pub fn url(&self, db: u32) -> String {
        format!("redis://127.0.0.1:{}/{db}", self.port)
    }

    /// `SHUTDOWN SAVE`: the server writes its data and exits.
    pub fn shutdown_save(&mut self) {
        let client = redis::Client::open(self.url(0)).expect("url");
        let mut con = client.get_connection().expect("connection");
        // The server closes the connection instead of replying.
        let _ = redis::cmd("SHUTDOWN").arg("SAVE").query::<()>(&mut con);
        if let Some(mut child) = self.child.take() {
            child.wait().expect("redis-server exits");
        }
    }

    /// Starts the server again on the same port, with the data it saved.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the server is still running");
        self.child = Some(spawn(self.port, self.persist.as_deref()));
    }

    /// Runs one command on database `db` (for inspecting the server in tests).
    pub fn query<T: redis::FromRedisValue>(&self, db: u32, cmd: &redis::Cmd) -> T {
        let client = redis::Client::open(self.url(db)).expect("url");
        let mut con = client.get_connection().expect("connection");
        cmd.query(&mut con).expect("query")
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
