//! The ids the DAG scheduler keys its state by, one newtype each (Spark uses bare `Int`s and
//! `Long`s), so a stage id can never be passed where a job id is expected. Each displays as
//! its bare number, so messages read as Spark's ("Stage 1 has failed ..."). Listener events
//! and the public API keep bare numbers: the scheduler converts at that boundary (`.0`).
//! (`StreamId` stays with the streams, in `streaming/dstream`.)

use std::fmt;

/// A job's id (Spark's `jobId`), in submission order from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct JobId(pub(crate) usize);

/// A stage's id (Spark's `stageId`), in creation order from 0: ancestors get smaller ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct StageId(pub(crate) usize);

/// An RDD's id (Spark's `RDD.id`), unique in its context. Block ids (storage knows no RDDs)
/// and the public `Rdd::id()` keep the bare number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RddId(pub(crate) usize);

/// A task attempt's id (Spark's `taskId`, the `TID` of its messages), unique in the context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TaskId(pub(crate) u64);

/// An executor's id (Spark's `executorId`, `"0"`, `"1"`, ...), as the scheduler keys its slots
/// and running tasks by. The environment, the trackers and the public API keep the bare
/// string (`as_str`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ExecutorId(pub(crate) String);

impl ExecutorId {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

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

impl fmt::Display for ExecutorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RddId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages name ids as Spark does, by the bare number ("Stage 1 has failed ...").
    #[test]
    fn ids_display_as_bare_numbers() {
        assert_eq!(format!("Job {}", JobId(3)), "Job 3");
        assert_eq!(format!("Stage {}", StageId(1)), "Stage 1");
        assert_eq!(format!("(TID {})", TaskId(42)), "(TID 42)");
        assert_eq!(format!("rdd_{}_0", RddId(7)), "rdd_7_0");
        assert_eq!(
            format!("(executor {})", ExecutorId("1".into())),
            "(executor 1)"
        );
    }
}
