//! What a learner sees of a running context (Spark's `org.apache.spark.ui`): for now the
//! console progress bar.
//!
//! Layers: reads listener events only; the context starts it.

pub mod console_progress_bar;

use crate::conf::SparkConf;
use crate::error::Result;
use crate::scheduler::listener::ListenerBus;

pub(crate) use console_progress_bar::ProgressBarThread;

/// Conf key of Spark's `spark.ui.showConsoleProgress`: the progress bar on standard error
/// (default: on when standard error is a terminal).
pub const SHOW_CONSOLE_PROGRESS: &str = "sparklet.ui.showConsoleProgress";

/// Starts the console progress bar of a context when `sparklet.ui.showConsoleProgress` says
/// so (Spark's `SparkContext` creates its `ConsoleProgressBar` the same way). A value that is
/// not a boolean is `InvalidArgument` ("should be boolean, but was").
pub(crate) fn start_progress_bar(
    conf: &SparkConf,
    bus: &ListenerBus,
) -> Result<Option<ProgressBarThread>> {
    use std::io::IsTerminal;
    let on = conf.get_bool(SHOW_CONSOLE_PROGRESS, std::io::stderr().is_terminal())?;
    if !on {
        return Ok(None);
    }
    let width = console_progress_bar::ConsoleProgressBar::terminal_width();
    ProgressBarThread::start(bus, width)
        .map(Some)
        .map_err(|e| crate::error::Error::io("refresh progress", e))
}
