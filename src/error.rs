//! The one error type of sparklet, grouped by whose fault it is.
//!
//! Spark throws `SparkException`, `IllegalArgumentException`, `IllegalStateException`,
//! `UnsupportedOperationException` and `IOException` from the places this crate mirrors; here each
//! of those becomes one variant of [`Error`], whose message says what went wrong and how to fix it.
//! Library code never panics on bad input or bad files: it returns one of these.

use std::fmt;
use std::path::PathBuf;

/// The result type of every fallible sparklet call.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong, grouped by fault.
///
/// ```
/// use sparklet::prelude::*;
/// let err = SparkContext::new(SparkConf::new().set_master("locl[2]")).unwrap_err();
/// assert!(matches!(err, Error::InvalidArgument(_)));
/// assert!(err.to_string().contains("locl[2]"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // ---- the caller's fault: arguments, configuration, call order ----
    /// Bad configuration or arguments: a bad master string, zero partitions, a negative duration.
    InvalidArgument(String),
    /// An operation not allowed now: a stream added after `start()`, a context used after `stop()`.
    IllegalState(String),
    /// `persist(level)` on an RDD that already has a different level.
    StorageLevelChange {
        /// The level the RDD has.
        current: String,
        /// The level that was asked for.
        requested: String,
    },
    /// `checkpoint()`, or a stateful stream that needs a checkpoint directory, with none set.
    CheckpointDirNotSet(String),

    // ---- the job's fault: user code or lost resources beyond retries ----
    /// A task failed `sparklet.task.maxFailures` times (or a stage could not be recovered); the
    /// message carries the task's last failure.
    JobAborted(String),

    // ---- the environment's fault: files and I/O ----
    /// A checkpoint file that is missing, truncated, fails its checksum or has the wrong
    /// partition count.
    CorruptCheckpoint {
        /// The file (or folder) at fault.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Any other I/O failure, with the path involved.
    Io {
        /// The file, folder or address involved.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
}

impl Error {
    /// An [`Error::Io`] from a `std::io::Error` and the path it happened on.
    pub fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            message: err.to_string(),
        }
    }

    /// An [`Error::CorruptCheckpoint`] naming `path`.
    pub fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> Error {
        Error::CorruptCheckpoint {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(msg) => write!(f, "invalid argument: {msg}"),
            Error::IllegalState(msg) => write!(f, "illegal state: {msg}"),
            Error::StorageLevelChange { current, requested } => write!(
                f,
                "Cannot change storage level of an RDD after it was already assigned a level \
                 (it has {current}, asked for {requested}); unpersist() it first"
            ),
            Error::CheckpointDirNotSet(msg) => write!(f, "{msg}"),
            Error::JobAborted(msg) => write!(f, "Job aborted due to stage failure: {msg}"),
            Error::CorruptCheckpoint { path, reason } => {
                write!(f, "corrupt checkpoint file {}: {reason}", path.display())
            }
            Error::Io { path, message } => write!(f, "I/O error on {}: {message}", path.display()),
        }
    }
}

impl std::error::Error for Error {}
