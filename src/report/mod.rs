//! The HTML report: Spark's web UI (as the History Server shows it from an event log) as one
//! self-contained file.
//!
//! How it works: the report reads **only the event log**, one JSON object a line with Spark
//! 4.3's `JsonProtocol` names (the file `sparklet.eventLog.enabled` writes, a real Spark log, or
//! the context's own lines for [`SparkContext::write_report`](crate::SparkContext::write_report)).
//! `model` folds the lines into an application model, as Spark's `AppStatusListener` does when
//! the History Server replays a log; `html` renders it: Jobs (a timeline and a table), Stages
//! (each job's DAG of RDDs clustered by stage, laid out by `dag`, with cached RDDs marked by a
//! green dot, checkpoint RDDs dashed and skipped stages grey), the lineage of each RDD, Storage,
//! Executors (dead ones, what they lost, their replacements), Accumulators, and Streaming when
//! the log has sparklet's `SparkletStreamingBatchCompleted` events.
//!
//! Layering: this module reads listener events as JSON text and nothing else — no RDD, no
//! scheduler, no block manager. The page needs no network and no script (SVG drawn here; a
//! small inline script only adds a hover box), and escapes all text from the log (RDD names
//! and call sites are user input).
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let log = dir.path().join("app");
//! std::fs::write(&log, concat!(
//!     r#"{"Event":"SparkListenerApplicationStart","App Name":"<demo>","Timestamp":1}"#, "\n",
//!     r#"{"Event":"SparkListenerJobStart","Job ID":0,"Submission Time":2,"Stage IDs":[]}"#, "\n",
//! )).unwrap();
//! let out = dir.path().join("report.html");
//! sparklet::report::render(&log, &out).unwrap();
//! let html = std::fs::read_to_string(&out).unwrap();
//! assert!(html.contains("&lt;demo&gt;") && html.contains("id=\"jobs\""));
//!
//! std::fs::write(&log, "{\"Event\":\n").unwrap();
//! let err = sparklet::report::render(&log, &out).unwrap_err().to_string();
//! assert!(err.contains("line 1"), "{err}");
//! ```

mod dag;
mod html;
mod model;
mod replay;
mod stages;
mod streaming;
mod svg;

use std::path::Path;

use crate::error::{Error, Result};

/// Renders the report of the event log at `event_log` into the HTML file `out`.
///
/// A missing or unreadable log, or a line that is not a JSON event, is an [`Error::Io`] naming
/// the file (and the line); the report is then not written.
pub fn render(event_log: impl AsRef<Path>, out: impl AsRef<Path>) -> Result<()> {
    let path = event_log.as_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io_context(path, "cannot read the event log", e))?;
    let html = render_lines(text.lines()).map_err(|(line, what)| {
        Error::io_message(path, format!("event log line {line} is {what}"))
    })?;
    write(out.as_ref(), &html)
}

/// The page for these event log lines; an error is (1-based line, what is wrong).
pub(crate) fn render_lines<'a>(
    lines: impl IntoIterator<Item = &'a str>,
) -> std::result::Result<String, (usize, String)> {
    let model = model::AppModel::from_lines(lines)?;
    Ok(html::page(&model))
}

/// `sc.write_report(path)`: the report of the context's own event lines.
pub(crate) fn write_context_report(sc: &crate::SparkContext, out: &Path) -> Result<()> {
    let lines = context_lines(sc);
    let html = render_lines(lines.iter().map(String::as_str)).map_err(|(line, what)| {
        Error::Internal(format!("the context's event line {line} is {what}"))
    })?;
    write(out, &html)
}

/// The context's event log lines: every event so far, delivered, in the file's JSON form.
fn context_lines(sc: &crate::SparkContext) -> Vec<String> {
    sc.event_log_lines()
}

/// Writes the page, creating the parent folder if needed.
pub(crate) fn write(out: &Path, html: &str) -> Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io_context(parent, "cannot create the report's folder", e))?;
    }
    std::fs::write(out, html).map_err(|e| Error::io_context(out, "cannot write the report", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_line_is_named_by_number() {
        let err = render_lines(["{\"Event\":\"SparkListenerLogStart\"}", "", "[1,2]"]).unwrap_err();
        assert_eq!(err.0, 3);
        assert!(err.1.contains("no \"Event\""), "{}", err.1);
    }

    #[test]
    fn unknown_events_are_skipped() {
        let html = render_lines(["{\"Event\":\"SomethingNew\",\"x\":1}"]).unwrap();
        assert!(html.contains("id=\"executors\""));
        assert!(!html.contains("id=\"streaming\""));
    }
}
