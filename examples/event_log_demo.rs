//! Writes one application's Spark event log (`sparklet.eventLog.enabled`): a word count with a
//! shuffle, a cached and checkpointed RDD, a killed executor, and a stateful stream (see
//! `tests/common/event_log_program.rs`). Apache Spark's History Server shows it:
//!
//! ```sh
//! cargo run --example event_log_demo -- /tmp/sparklet-events
//! ../shared/spark-oracle/history_check.sh /tmp/sparklet-events
//! ```
//!
//! Without a folder the log goes into a new temporary folder, which is kept and printed.

#[path = "../tests/common/event_log_program.rs"]
mod program;

use std::path::PathBuf;

use sparklet::{Error, Result};

fn main() -> Result<()> {
    let dir = match std::env::args().nth(1) {
        Some(d) => PathBuf::from(d),
        None => tempfile::Builder::new()
            .prefix("sparklet-events-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?
            .keep(),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let work = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let app_id = program::run(&dir, work.path())?;
    println!("{}", dir.join(app_id).display());
    Ok(())
}
