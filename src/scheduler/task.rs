//! Tasks (Spark's `Task`, `ShuffleMapTask`, `ResultTask`, `TaskEndReason`). `TaskContext` lives
//! at the top level (`crate::task_context`), as Spark's `org.apache.spark.TaskContext`; it is
//! re-exported here so that older paths keep working.
//!
//! A task computes one partition of one stage on one executor thread. A shuffle map task runs
//! its shuffle dependency's writer; a result task runs the job's function over the final RDD's
//! partition. Whatever happens inside, a panic included, ends as a [`TaskEndReason`]: the
//! panic is caught here, at the task boundary, and never unwinds into the executor.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::accumulator::AccumulatorUpdates;
use crate::dependency::{ShuffleDependency, ShuffleId};
use crate::env::SparkEnv;
use crate::error::Error;
use crate::executor::Executor;
use crate::scheduler::ids::{StageId, TaskId};
use crate::scheduler::kill::{TaskKill, TaskKilledException};
use crate::scheduler::listener::TaskMetrics;
use crate::shuffle::MapStatus;
pub(crate) use crate::task_context::TaskContext;

/// Why computing a partition failed, short of a panic.
#[derive(Debug, Clone)]
pub(crate) enum TaskError {
    /// A map output could not be fetched (Spark's `FetchFailedException`).
    FetchFailed {
        shuffle_id: ShuffleId,
        map_id: usize,
        reduce_id: usize,
        executor_id: Option<String>,
        message: String,
    },
    /// Any other failure (a decoding error, a lost lineage).
    Failed(String),
    /// A failure with a typed cause (an I/O error, a corrupt checkpoint file).
    Cause(Error),
}

/// The payload of [`fail_task`]'s unwind; caught by `Task::run`, which ends the task with it.
#[derive(Debug)]
pub(crate) struct TaskFailure(pub(crate) TaskError);

/// Fails the running task from inside a partition's iterator, where no `Result` can carry the
/// error (a page of a lazily read source that cannot be fetched): Spark's iterators throw.
/// Unwinds to the task boundary like [`TaskKilledException`], without the panic hook's message.
#[cold]
pub(crate) fn fail_task(error: TaskError) -> ! {
    std::panic::resume_unwind(Box::new(TaskFailure(error)))
}

impl From<Error> for TaskError {
    fn from(e: Error) -> Self {
        TaskError::Cause(e)
    }
}

/// The function a result task applies to its partition (type-erased by the action).
pub(crate) type ResultFn =
    dyn Fn(usize, &TaskContext) -> Result<Box<dyn Any + Send>, TaskError> + Send + Sync;

/// What a task runs.
#[derive(Clone)]
pub(crate) enum TaskKind {
    ShuffleMap(Arc<ShuffleDependency>),
    Result(Arc<ResultFn>),
}

/// One attempt of one task, as sent to an executor.
#[derive(Clone)]
pub(crate) struct Task {
    pub(crate) task_id: TaskId,
    pub(crate) stage_id: StageId,
    pub(crate) stage_attempt: u32,
    pub(crate) partition: usize,
    pub(crate) attempt_number: u32,
    pub(crate) kind: TaskKind,
    /// The attempt's kill flag, shared with the scheduler's record of the running task.
    pub(crate) kill: Arc<TaskKill>,
}

/// What a successful task produced.
pub(crate) enum TaskOutput {
    MapStatus(MapStatus),
    Result(Box<dyn Any + Send>),
}

/// How a task attempt ended (Spark's `TaskEndReason`).
pub(crate) enum TaskEndReason {
    Success(TaskOutput),
    FetchFailed {
        shuffle_id: ShuffleId,
        map_id: usize,
        reduce_id: usize,
        executor_id: Option<String>,
        message: String,
    },
    /// The task threw (or panicked) with this message; `cause` is the typed error, if any.
    ExceptionFailure {
        message: String,
        cause: Option<Error>,
    },
    /// The task was killed (its job cancelled), with Spark's reason (`Stage cancelled: ...`).
    TaskKilled {
        reason: String,
    },
}

impl Task {
    /// Runs the task on the calling (executor) thread; returns how it ended, what it
    /// measured and its accumulator updates (only those counting failed values when it
    /// failed). `TaskContext::get()` sees the task only while it runs.
    pub(crate) fn run(
        &self,
        executor: Arc<Executor>,
        env: Arc<SparkEnv>,
    ) -> (TaskEndReason, TaskMetrics, AccumulatorUpdates) {
        let started = std::time::Instant::now();
        let scope = crate::task_local::enter(
            self.stage_id.0,
            self.stage_attempt,
            self.partition,
            self.attempt_number,
            self.task_id.0,
            &executor.id,
        );
        let ctx = TaskContext {
            partition_id: self.partition,
            attempt_number: self.attempt_number,
            executor,
            env,
            metrics: Default::default(),
            kill: self.kill.clone(),
        };
        let _broadcasts = crate::broadcast::TaskScope::enter(&ctx.executor, &ctx.env);
        // Spark's executor checks the kill flag before the task starts and after it ran: a
        // task killed meanwhile ends as TaskKilled whatever it computed (or failed with).
        let reason = match self.kill.reason() {
            Some(reason) => TaskEndReason::TaskKilled { reason },
            None => self.run_in(&ctx),
        };
        let reason = match self.kill.reason() {
            Some(reason) => TaskEndReason::TaskKilled { reason },
            None => reason,
        };
        let updates = match (scope.finish(), &reason) {
            (updates, TaskEndReason::Success(_)) => updates,
            (updates, _) => updates.of_failed_task(),
        };
        let metrics = ctx.metrics.snapshot(started.elapsed().as_millis() as u64);
        (reason, metrics, updates)
    }

    fn run_in(&self, ctx: &TaskContext) -> TaskEndReason {
        let outcome = catch_unwind(AssertUnwindSafe(|| match &self.kind {
            TaskKind::ShuffleMap(dep) => dep
                .writer
                .write(dep, self.partition, ctx)
                .map(TaskOutput::MapStatus),
            TaskKind::Result(func) => func(self.partition, ctx).map(TaskOutput::Result),
        }));
        match outcome {
            Ok(Ok(output)) => TaskEndReason::Success(output),
            Ok(Err(error)) => failure_reason(error),
            Err(panic) if panic.is::<TaskFailure>() => match panic.downcast::<TaskFailure>() {
                Ok(failure) => failure_reason(failure.0),
                Err(panic) => TaskEndReason::ExceptionFailure {
                    message: panic_message(&*panic),
                    cause: None,
                },
            },
            Err(panic) if panic.is::<TaskKilledException>() => TaskEndReason::TaskKilled {
                reason: panic
                    .downcast_ref::<TaskKilledException>()
                    .map(|k| k.reason.clone())
                    .unwrap_or_default(),
            },
            Err(panic) => TaskEndReason::ExceptionFailure {
                message: panic_message(&*panic),
                cause: None,
            },
        }
    }
}

/// The end reason of a task whose partition failed with `error`.
fn failure_reason(error: TaskError) -> TaskEndReason {
    match error {
        TaskError::FetchFailed {
            shuffle_id,
            map_id,
            reduce_id,
            executor_id,
            message,
        } => TaskEndReason::FetchFailed {
            shuffle_id,
            map_id,
            reduce_id,
            executor_id,
            message,
        },
        TaskError::Failed(message) => TaskEndReason::ExceptionFailure {
            message,
            cause: None,
        },
        TaskError::Cause(e) => TaskEndReason::ExceptionFailure {
            message: e.to_string(),
            cause: Some(e),
        },
    }
}

/// The text of a panic payload (`panic!("...")` gives `&str` or `String`).
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic with a non-string payload".to_string()
    }
}
