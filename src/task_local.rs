//! The running task, as user code sees it (Spark's public `TaskContext` and its thread-local
//! `TaskContext.get()`), and the task attempt's own accumulator copies.
//!
//! `Task::run` enters a [`TaskScope`] on the executor thread before the task computes anything
//! and leaves it when the attempt ends: `TaskContext::get()` is `Some` only in between, and the
//! scope's `Drop` clears the thread-local whatever happens (a panic included), so nothing of a
//! task stays on a worker thread after it, and the driver's threads never see one. The
//! crate-internal `crate::task_context::TaskContext` (stores, environment, metrics) is a
//! different thing: it is passed down the compute path explicitly; this one is what a
//! program's closure can ask for without being handed anything.
//!
//! Layering: plain data and a thread-local; the accumulator module stores its copies here.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::accumulator::{AccumulatorUpdates, TaskAccumulatorCopy};

/// Where the calling task attempt runs and who it is (Spark's `TaskContext`). Get it with
/// [`TaskContext::get`] inside a task; on the driver there is none.
///
/// ```
/// use sparklet::prelude::*;
/// use sparklet::TaskContext;
///
/// let sc = SparkContext::new(SparkConf::new().set_master("local[2]").set_app_name("tc")).unwrap();
/// let ids = sc
///     .parallelize(vec![1, 2, 3, 4], 2)
///     .map_partitions(|it| {
///         let ctx = TaskContext::get().expect("inside a task");
///         it.map(move |_| ctx.partition_id())
///     })
///     .collect()
///     .unwrap();
/// assert_eq!(ids, vec![0, 0, 1, 1]);
/// assert!(TaskContext::get().is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskContext {
    stage_id: usize,
    stage_attempt_number: u32,
    partition_id: usize,
    attempt_number: u32,
    task_attempt_id: u64,
    executor_id: Arc<str>,
}

impl TaskContext {
    /// The running task's context, or `None` outside a task (on the driver).
    pub fn get() -> Option<TaskContext> {
        RUNNING.with(|r| r.borrow().as_ref().map(|t| t.context.clone()))
    }

    /// The stage the task belongs to (Spark's `stageId`).
    pub fn stage_id(&self) -> usize {
        self.stage_id
    }

    /// The attempt of that stage (Spark's `stageAttemptNumber`): 0, then 1 after a resubmission.
    pub fn stage_attempt_number(&self) -> u32 {
        self.stage_attempt_number
    }

    /// The partition the task computes (Spark's `partitionId`).
    pub fn partition_id(&self) -> usize {
        self.partition_id
    }

    /// How many times this task was attempted before (Spark's `attemptNumber`): 0 first.
    pub fn attempt_number(&self) -> u32 {
        self.attempt_number
    }

    /// The task attempt's id, unique within the context (Spark's `taskAttemptId`, the TID).
    pub fn task_attempt_id(&self) -> u64 {
        self.task_attempt_id
    }

    /// The executor running the task (`"driver"` in local mode, as in Spark).
    pub fn executor_id(&self) -> &str {
        &self.executor_id
    }
}

/// The task attempt running on this thread.
struct RunningTask {
    context: TaskContext,
    /// Each accumulator the attempt touched, by key; a copy is out of its slot while the
    /// accumulator's own code runs on it.
    copies: Vec<(usize, Option<Box<dyn TaskAccumulatorCopy>>)>,
}

thread_local! {
    static RUNNING: RefCell<Option<RunningTask>> = const { RefCell::new(None) };
}

/// The running task on this thread, from `enter` until dropped or finished (never `Send`: it
/// belongs to the thread it was entered on).
pub(crate) struct TaskScope {
    previous: Option<RunningTask>,
    _thread_bound: PhantomData<*const ()>,
}

/// Marks the calling (executor) thread as running the task attempt described.
pub(crate) fn enter(
    stage_id: usize,
    stage_attempt_number: u32,
    partition_id: usize,
    attempt_number: u32,
    task_attempt_id: u64,
    executor_id: &str,
) -> TaskScope {
    let task = RunningTask {
        context: TaskContext {
            stage_id,
            stage_attempt_number,
            partition_id,
            attempt_number,
            task_attempt_id,
            executor_id: Arc::from(executor_id),
        },
        copies: Vec::new(),
    };
    let previous = RUNNING.with(|r| r.borrow_mut().replace(task));
    TaskScope {
        previous,
        _thread_bound: PhantomData,
    }
}

impl TaskScope {
    /// Ends the task on this thread and hands over its accumulator copies.
    pub(crate) fn finish(mut self) -> AccumulatorUpdates {
        let task = RUNNING.with(|r| r.borrow_mut().take());
        RUNNING.with(|r| *r.borrow_mut() = self.previous.take());
        std::mem::forget(self);
        let copies = task.map(|t| t.copies).unwrap_or_default();
        AccumulatorUpdates(copies.into_iter().filter_map(|(_, c)| c).collect())
    }
}

impl Drop for TaskScope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // `try_with`: during thread teardown the thread-local may be gone already.
        let _ = RUNNING.try_with(|r| {
            if let Ok(mut r) = r.try_borrow_mut() {
                *r = previous;
            }
        });
    }
}

/// Runs `f` on the running task's copy of the accumulator `key` names (unique in the process
/// while the task runs), made by `make` on first use;
/// returns `false` (running nothing) when no task runs on this thread. No borrow of the
/// thread-local is held while `make` or `f` (the accumulator's own code) runs.
pub(crate) fn with_accumulator_copy(
    key: usize,
    make: &mut dyn FnMut() -> Box<dyn TaskAccumulatorCopy>,
    f: &mut dyn FnMut(&mut dyn TaskAccumulatorCopy),
) -> bool {
    let slot = RUNNING.with(|r| {
        let mut r = r.borrow_mut();
        let task = r.as_mut()?;
        let index = match task.copies.iter().position(|(k, _)| *k == key) {
            Some(index) => index,
            None => {
                task.copies.push((key, None));
                task.copies.len() - 1
            }
        };
        Some((index, task.copies[index].1.take()))
    });
    let Some((index, copy)) = slot else {
        return false;
    };
    let mut copy = copy.unwrap_or_else(make);
    f(&mut *copy);
    RUNNING.with(|r| {
        if let Some(task) = r.borrow_mut().as_mut() {
            if let Some(entry) = task.copies.get_mut(index) {
                entry.1 = Some(copy);
            }
        }
    });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The context is there only inside the scope, and a panic inside clears it too.
    #[test]
    fn the_scope_sets_and_always_clears_the_context() {
        assert!(TaskContext::get().is_none());
        let scope = enter(3, 1, 7, 2, 42, "exec-1");
        let ctx = TaskContext::get().expect("inside the scope");
        assert_eq!(
            (
                ctx.stage_id(),
                ctx.stage_attempt_number(),
                ctx.partition_id(),
                ctx.attempt_number(),
                ctx.task_attempt_id(),
                ctx.executor_id()
            ),
            (3, 1, 7, 2, 42, "exec-1")
        );
        assert!(scope.finish().0.is_empty());
        assert!(TaskContext::get().is_none());

        let panicked = std::panic::catch_unwind(|| {
            let _scope = enter(0, 0, 0, 0, 1, "driver");
            panic!("task code panics");
        });
        assert!(panicked.is_err());
        assert!(
            TaskContext::get().is_none(),
            "a panic left a task context behind"
        );
    }
}
