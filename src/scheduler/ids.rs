//! The ids the DAG scheduler keys its state by, one newtype each (Spark uses bare `Int`s and
//! `Long`s), so a stage id can never be passed where a job id is expected. Each displays as
//! its bare number, so messages read as Spark's ("Stage 1 has failed ..."). Listener events
//! and the public API keep bare numbers: the scheduler converts at that boundary (`.0`).

use std::fmt;

/// A job's id (Spark's `jobId`), in submission order from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct JobId(pub(crate) usize);

/// A stage's id (Spark's `stageId`), in creation order from 0: ancestors get smaller ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct StageId(pub(crate) usize);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for StageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
