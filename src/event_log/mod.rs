//! Spark's event log (Spark's `EventLoggingListener` and `JsonProtocol`): every listener event
//! of an application as one line of JSON, in a file that Apache Spark's own History Server
//! reads, and in memory for the report.
//!
//! How it works: a context makes one [`EventLogger`] before anything is posted and registers it
//! as the first listener, so it runs on the listener bus thread, never on a task's: a task only
//! pays for posting its event. The logger keeps every event (cheap clones: stage infos are
//! shared `Arc`s) for [`crate::SparkContext::event_log_lines`], and with
//! `sparklet.eventLog.enabled` it renders each event as it comes ([`json`]) into a buffered file
//! `<dir>/<appId>.inprogress`, flushed at each job end and renamed to `<dir>/<appId>` when the
//! application ends (Spark's `EventLogFileWriter`).
//!
//! Settings, as Spark's `spark.eventLog.*`:
//! - `sparklet.eventLog.enabled` (default false);
//! - `sparklet.eventLog.dir` (default `/tmp/spark-events`, a `file:` prefix allowed): a folder
//!   that must exist ("Log directory ... does not exist." otherwise, as Spark);
//! - `sparklet.eventLog.logBlockUpdates.enabled` (default false): whether the file gets
//!   `SparkListenerBlockUpdated` lines. The in-memory lines always have them (the report's
//!   storage pages need them).
//!
//! Bounds: in memory, task events past Spark's `spark.ui.retainedTasks` (100,000 task ends, and
//! their starts) are not kept; the file keeps everything.
//!
//! Layering: reads listener events only (never RDDs, the scheduler or storage); the context
//! creates it and posts the application's own events.

pub(crate) mod json;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use crate::conf::SparkConf;
use crate::error::{Error, Result};
use crate::scheduler::listener::SparkListenerEvent;

/// Conf key: write the event log file (Spark's `spark.eventLog.enabled`).
pub const ENABLED: &str = "sparklet.eventLog.enabled";
/// Conf key: the folder of event log files (Spark's `spark.eventLog.dir`).
pub const DIR: &str = "sparklet.eventLog.dir";
/// Conf key: write BlockUpdated events (Spark's `spark.eventLog.logBlockUpdates.enabled`).
pub const LOG_BLOCK_UPDATES: &str = "sparklet.eventLog.logBlockUpdates.enabled";
/// Spark's default event log folder.
pub const DEFAULT_DIR: &str = "/tmp/spark-events";
/// Spark's `spark.ui.retainedTasks`: task ends kept in memory.
const RETAINED_TASKS: usize = 100_000;

/// The event log of one application: in memory always, in a file when enabled.
pub(crate) struct EventLogger {
    recorded: Mutex<Recorded>,
    file: Mutex<Option<FileLog>>,
    block_updates: bool,
}

#[derive(Default)]
struct Recorded {
    events: Vec<SparkListenerEvent>,
    task_events: usize,
}

/// The open file of an enabled log.
struct FileLog {
    out: BufWriter<File>,
    inprogress: PathBuf,
    done: PathBuf,
    /// Lines rendered for the current event (reused).
    lines: Vec<String>,
}

impl EventLogger {
    /// A logger for application `app_id`: checks the settings and, when the log is enabled,
    /// creates `<dir>/<app_id>.inprogress` and writes its first lines.
    pub(crate) fn new(conf: &SparkConf, app_id: &str) -> Result<EventLogger> {
        let enabled = conf.get_bool(ENABLED, false)?;
        let block_updates = conf.get_bool(LOG_BLOCK_UPDATES, false)?;
        let file = if enabled {
            let dir = log_dir(conf)?;
            Some(FileLog::create(&dir, app_id)?)
        } else {
            None
        };
        Ok(EventLogger {
            recorded: Mutex::new(Recorded::default()),
            file: Mutex::new(file),
            block_updates,
        })
    }

    /// Records `event` (on the listener bus thread) and writes it to the file, if any.
    pub(crate) fn on_event(&self, event: &SparkListenerEvent) {
        {
            let mut rec = self.recorded.lock();
            let is_task = matches!(
                event,
                SparkListenerEvent::TaskStart { .. } | SparkListenerEvent::TaskEnd { .. }
            );
            if !is_task || rec.task_events < 2 * RETAINED_TASKS {
                rec.task_events += usize::from(is_task);
                rec.events.push(event.clone());
            }
        }
        let mut file = self.file.lock();
        let Some(log) = file.as_mut() else {
            return;
        };
        log.lines.clear();
        json::render(event, self.block_updates, &mut log.lines);
        let mut ok = log.write_lines();
        match event {
            SparkListenerEvent::JobEnd { .. } => ok = ok && log.out.flush().is_ok(),
            SparkListenerEvent::ApplicationEnd { .. } => {
                let log = file.take().expect("matched Some above");
                if let Err(e) = log.finish() {
                    crate::log::warn("EventLoggingListener", &e.to_string());
                }
                return;
            }
            _ => {}
        }
        if !ok {
            let log = file.take().expect("matched Some above");
            crate::log::warn(
                "EventLoggingListener",
                &format!(
                    "cannot write the event log {}; it stops here",
                    log.inprogress.display()
                ),
            );
        }
    }

    /// Every event recorded so far as the file's lines (with the logger's first lines, and
    /// BlockUpdated lines whatever `logBlockUpdates` says).
    pub(crate) fn lines(&self) -> Vec<String> {
        let events = self.recorded.lock().events.clone();
        let mut lines = json::header_lines();
        for e in &events {
            json::render(e, true, &mut lines);
        }
        lines
    }
}

impl FileLog {
    fn create(dir: &Path, app_id: &str) -> Result<FileLog> {
        let done = dir.join(app_id);
        let inprogress = dir.join(format!("{app_id}.inprogress"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&inprogress)
            .map_err(|e| Error::io_context(&inprogress, "cannot create the event log", e))?;
        let mut log = FileLog {
            out: BufWriter::with_capacity(64 << 10, file),
            inprogress,
            done,
            lines: json::header_lines(),
        };
        if !log.write_lines() {
            return Err(Error::io_message(
                &log.inprogress,
                "cannot write the event log",
            ));
        }
        Ok(log)
    }

    fn write_lines(&mut self) -> bool {
        for line in &self.lines {
            if self.out.write_all(line.as_bytes()).is_err() || self.out.write_all(b"\n").is_err() {
                return false;
            }
        }
        true
    }

    /// Flushes and renames `<appId>.inprogress` to `<appId>` (Spark's `stop`).
    fn finish(mut self) -> Result<()> {
        self.out
            .flush()
            .map_err(|e| Error::io_context(&self.inprogress, "cannot flush the event log", e))?;
        std::fs::rename(&self.inprogress, &self.done)
            .map_err(|e| Error::io_context(&self.inprogress, "cannot rename the event log", e))
    }
}

/// The configured folder, which must exist (Spark's `EventLogFileWriter.requireLogBaseDirAsDirectory`).
fn log_dir(conf: &SparkConf) -> Result<PathBuf> {
    let raw = conf.get(DIR).unwrap_or_else(|| DEFAULT_DIR.to_string());
    let path = raw
        .strip_prefix("file://")
        .or_else(|| raw.strip_prefix("file:"));
    let dir = PathBuf::from(path.unwrap_or(&raw));
    if !dir.exists() {
        return Err(Error::InvalidArgument(format!(
            "Log directory {} does not exist. Create it, or set {DIR} to a folder that exists.",
            dir.display()
        )));
    }
    if !dir.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "Log directory {} is not a directory.",
            dir.display()
        )));
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    /// Spark: EventLoggingListenerSuite "Basic event logging" (in memory): every line is one
    /// compact JSON object whose first key is "Event".
    #[test]
    fn lines_are_compact_json_with_the_event_first() {
        let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
        let pairs = sc.parallelize(vec![(1, 1), (2, 2), (1, 3)], 2);
        assert_eq!(pairs.reduce_by_key(|a, b| a + b).count().unwrap(), 2);
        let lines = sc.event_log_lines();
        for line in &lines {
            assert!(line.starts_with(r#"{"Event":""#), "{line}");
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(v.is_object());
        }
        let events: Vec<String> = lines
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["Event"].to_string())
            .collect();
        assert_eq!(events[0], r#""SparkListenerLogStart""#);
        assert!(events
            .iter()
            .any(|e| e.contains("SparkListenerApplicationStart")));
        assert_eq!(events.iter().filter(|e| e.contains("TaskEnd")).count(), 4);
    }

    /// The in-memory lines are the file's lines, event for event (block updates on).
    #[test]
    fn in_memory_lines_are_the_files_lines() {
        let dir = tempfile::tempdir().unwrap();
        let conf = SparkConf::new()
            .set_master("local[2]")
            .set(super::ENABLED, "true")
            .set(super::LOG_BLOCK_UPDATES, "true")
            .set(super::DIR, &dir.path().display().to_string());
        let sc = SparkContext::new(conf).unwrap();
        let rdd = sc.parallelize(vec![1, 2, 3], 2).cache().unwrap();
        assert_eq!(
            rdd.map(|x| (x % 2, x))
                .reduce_by_key(|a, b| a + b)
                .count()
                .unwrap(),
            2
        );
        sc.stop();
        let file = std::fs::read_to_string(dir.path().join(sc.app_id())).unwrap();
        let from_file: Vec<&str> = file.lines().collect();
        assert_eq!(sc.event_log_lines(), from_file);
    }
}
