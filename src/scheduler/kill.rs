//! Killing a running task (the kill half of Spark's `TaskContextImpl`: `markInterrupted`,
//! `isInterrupted`, `killTaskIfInterrupted`, `getKillReason`; and `TaskKilledException`).
//!
//! How it works: every task attempt carries one [`TaskKill`] flag, shared by the scheduler's
//! record of the running task and the task's [`TaskContext`](crate::task_context::TaskContext).
//! When a job is cancelled (or fails), the DAG scheduler's event loop sets the flag of every
//! running task of the job's independent stages, with Spark's reason (`Stage cancelled: ...`).
//! The task sees it at the points Spark checks it:
//!
//! * before it starts (a task killed while queued never computes),
//! * between records, in [`InterruptibleIterator`](crate::rdd::interruptible::InterruptibleIterator)
//!   (the iterators of source RDDs, shuffle reads and cached blocks),
//! * after its partition was computed and before a block is stored (a partially computed
//!   partition is never cached), and when it ends (a killed task that finished anyway reports
//!   `TaskKilled`, as Spark's executor calls `killTaskIfInterrupted` after `task.run`).
//!
//! A check that finds the flag set unwinds out of the task with a [`TaskKilledException`]
//! payload (`resume_unwind`, so no panic message is printed); `Task::run` catches it at the
//! task boundary and reports `TaskEndReason::TaskKilled` with the reason.
//!
//! Departure: Spark's `interruptOnCancel` also interrupts the task's thread, which wakes it from
//! `Thread.sleep` or blocking I/O. Rust has no thread interrupt, so here the flag is the only
//! signal, with or without `interrupt_on_cancel`: a task blocked inside user code stops at its
//! next record. The property still travels with the job and is logged with each kill.
//!
//! Layering: used by the scheduler (sets flags), the task boundary and the RDD layer (checks
//! them); it names no other module.

use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

/// One task attempt's kill flag (Spark's `TaskContextImpl.reasonIfKilled`).
#[derive(Default)]
pub(crate) struct TaskKill {
    killed: AtomicBool,
    reason: Mutex<Option<String>>,
}

impl TaskKill {
    /// Marks the attempt killed (Spark's `markInterrupted`); the first reason is kept.
    pub(crate) fn kill(&self, reason: &str) {
        let mut r = self.reason.lock();
        if r.is_none() {
            *r = Some(reason.to_string());
        }
        self.killed.store(true, Ordering::Release);
    }

    /// Whether the attempt was killed (Spark's `isInterrupted`): one relaxed load on the fast
    /// path, cheap enough to run between records.
    #[inline]
    pub(crate) fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    /// Why it was killed (Spark's `getKillReason`).
    pub(crate) fn reason(&self) -> Option<String> {
        if !self.killed.load(Ordering::Acquire) {
            return None;
        }
        self.reason.lock().clone()
    }

    /// Spark's `killTaskIfInterrupted`: unwinds out of the task when it was killed.
    #[inline]
    pub(crate) fn kill_task_if_interrupted(&self) {
        if self.is_killed() {
            self.unwind()
        }
    }

    #[cold]
    fn unwind(&self) -> ! {
        let reason = self
            .reason()
            .unwrap_or_else(|| "unknown reason".to_string());
        std::panic::resume_unwind(Box::new(TaskKilledException { reason }))
    }
}

/// The payload a killed task unwinds with (Spark's `TaskKilledException`); caught by `Task::run`.
#[derive(Debug)]
pub(crate) struct TaskKilledException {
    pub(crate) reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kill_keeps_the_first_reason_and_unwinds_with_it() {
        let k = TaskKill::default();
        assert!(!k.is_killed());
        assert_eq!(k.reason(), None);
        k.kill_task_if_interrupted(); // not killed: returns
        k.kill("Stage cancelled: Job 0 cancelled ");
        k.kill("another reason");
        assert!(k.is_killed());
        let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            k.kill_task_if_interrupted();
        }))
        .unwrap_err();
        let e = payload.downcast_ref::<TaskKilledException>().unwrap();
        assert_eq!(e.reason, "Stage cancelled: Job 0 cancelled ");
    }
}
