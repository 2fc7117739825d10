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
    /// The job was cancelled (`cancel_job_group`, `cancel_all_jobs`, `cancel_job`,
    /// `cancel_stage`, `FutureAction::cancel`); the message is Spark's, e.g. "Job 3 cancelled
    /// part of cancelled job group my-group".
    JobCancelled(String),

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
        /// What failed, with the operating system's message.
        message: String,
        /// The operating system's error, when there is one: [`std::error::Error::source`].
        source: Option<OsError>,
    },

    // ---- sparklet's own fault ----
    /// A broken internal invariant (a bug in sparklet, never the caller's input): please report
    /// it with the message.
    Internal(String),
}

/// The operating system's error behind an [`Error::Io`], shared so that `Error` stays `Clone`.
/// Two are equal when their kind and message are.
#[derive(Debug, Clone)]
pub struct OsError(pub std::sync::Arc<std::io::Error>);

impl PartialEq for OsError {
    fn eq(&self, other: &OsError) -> bool {
        self.0.kind() == other.0.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for OsError {}

impl Error {
    /// An [`Error::Io`] from a `std::io::Error` and the path it happened on.
    ///
    /// ```
    /// use std::error::Error as _;
    /// let os = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
    /// let err = sparklet::Error::io("/data", os);
    /// let source = err.source().unwrap().downcast_ref::<std::io::Error>().unwrap();
    /// assert_eq!(source.kind(), std::io::ErrorKind::PermissionDenied);
    /// ```
    pub fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Error {
        Error::io_context(path, "", err)
    }

    /// An [`Error::Io`] whose message starts with `context` (what was being done), keeping
    /// `err` as the source.
    pub fn io_context(path: impl Into<PathBuf>, context: &str, err: std::io::Error) -> Error {
        let message = if context.is_empty() {
            err.to_string()
        } else {
            format!("{context}: {err}")
        };
        Error::Io {
            path: path.into(),
            message,
            source: Some(OsError(std::sync::Arc::new(err))),
        }
    }

    /// An [`Error::Io`] without an operating system error behind it.
    pub fn io_message(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Io {
            path: path.into(),
            message: message.into(),
            source: None,
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
            Error::JobCancelled(msg) => write!(f, "{msg}"),
            Error::CorruptCheckpoint { path, reason } => {
                write!(f, "corrupt checkpoint file {}: {reason}", path.display())
            }
            Error::Io { path, message, .. } => {
                write!(f, "I/O error on {}: {message}", path.display())
            }
            Error::Internal(msg) => write!(
                f,
                "internal error (a bug in sparklet, please report it): {msg}"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io {
                source: Some(os), ..
            } => Some(&*os.0),
            _ => None,
        }
    }
}
