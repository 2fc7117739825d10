//! Fault injection for tests and experiments (no Spark counterpart: Spark's own tests kill
//! executors and fail tasks by hand). Configured on the context, seeded so a run can be replayed:
//!
//! | key | default | effect |
//! | --- | --- | --- |
//! | `sparklet.faults.seed` | 0 | seeds every decision below |
//! | `sparklet.faults.taskFailureRate` | 0 | fraction of task attempts that fail ("injected task failure") |
//! | `sparklet.faults.killExecutorAfterTasks` | 0 (never) | an executor is killed right after finishing its N-th task |
//! | `sparklet.faults.maxExecutorKills` | 1 | how many executors that rule may kill in all |
//! | `sparklet.faults.killExecutorAtStep` | 0 (never) | the DAG scheduler kills one live executor (chosen by the seed) right after posting its N-th listener event, on its own thread: a kill between any two scheduler steps, e.g. between a map stage's completion and its children's submission |
//!
//! Whether an attempt fails is a hash of (seed, stage, partition, attempt), not a draw from a
//! shared generator, so it does not depend on thread timing. The last attempt a task is allowed
//! (`maxFailures - 1`) is never failed on purpose: injected failures exercise retries without
//! aborting jobs.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::conf::SparkConf;
use crate::error::{Error, Result};
use crate::partitioner::StableHasher;

/// Conf key: the seed of injected faults.
pub const SEED: &str = "sparklet.faults.seed";
/// Conf key: the fraction of task attempts to fail.
pub const TASK_FAILURE_RATE: &str = "sparklet.faults.taskFailureRate";
/// Conf key: kill an executor after its N-th task.
pub const KILL_EXECUTOR_AFTER_TASKS: &str = "sparklet.faults.killExecutorAfterTasks";
/// Conf key: the most executors the kill rule may kill.
pub const MAX_EXECUTOR_KILLS: &str = "sparklet.faults.maxExecutorKills";

/// Conf key: kill an executor right after the scheduler's N-th listener event.
pub const KILL_EXECUTOR_AT_STEP: &str = "sparklet.faults.killExecutorAtStep";

/// The message of an injected task failure.
pub(crate) const INJECTED_FAILURE: &str = "injected task failure (sparklet.faults.taskFailureRate)";

/// The configured faults of one context.
pub(crate) struct FaultInjector {
    seed: u64,
    failure_rate: f64,
    kill_after: usize,
    kill_at_step: usize,
    kills_left: AtomicUsize,
    tasks_per_executor: Mutex<std::collections::HashMap<String, usize>>,
}

impl FaultInjector {
    pub(crate) fn from_conf(conf: &SparkConf) -> Result<FaultInjector> {
        let seed = conf.get_usize(SEED, 0)? as u64;
        let failure_rate = match conf.get(TASK_FAILURE_RATE) {
            None => 0.0,
            Some(v) => match v.trim().parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => r,
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "{TASK_FAILURE_RATE} must be a number between 0 and 1, got '{v}'"
                    )))
                }
            },
        };
        Ok(FaultInjector {
            seed,
            failure_rate,
            kill_after: conf.get_usize(KILL_EXECUTOR_AFTER_TASKS, 0)?,
            kill_at_step: conf.get_usize(KILL_EXECUTOR_AT_STEP, 0)?,
            kills_left: AtomicUsize::new(conf.get_usize(MAX_EXECUTOR_KILLS, 1)?),
            tasks_per_executor: Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// Whether this task attempt is failed on purpose.
    pub(crate) fn fail_attempt(
        &self,
        stage: usize,
        partition: usize,
        attempt: u32,
        max_failures: u32,
    ) -> bool {
        if self.failure_rate <= 0.0 || attempt + 1 >= max_failures {
            return false;
        }
        let mut h = StableHasher::default();
        (self.seed, stage, partition, attempt).hash(&mut h);
        (h.finish() as f64 / u64::MAX as f64) < self.failure_rate
    }

    /// Whether a kill is configured right after the scheduler's `step`-th listener event (a
    /// cheap test, so the scheduler lists live executors only when it must pick a victim).
    pub(crate) fn kills_after_step(&self, step: usize) -> bool {
        self.kill_at_step != 0 && step == self.kill_at_step
    }

    /// When the scheduler's `step`-th listener event (from 1) must be followed by a kill: the
    /// index, among `live` executors in start order, of the one to kill (chosen by the seed).
    pub(crate) fn kill_at_step(&self, step: usize, live: usize) -> Option<usize> {
        if !self.kills_after_step(step) || live == 0 {
            return None;
        }
        let mut h = StableHasher::default();
        (self.seed, "victim").hash(&mut h);
        Some((h.finish() % live as u64) as usize)
    }

    /// Counts a finished task of `executor_id`; true when the executor must now be killed.
    pub(crate) fn kill_after_task(&self, executor_id: &str) -> bool {
        if self.kill_after == 0 {
            return false;
        }
        let mut counts = self.tasks_per_executor.lock();
        let n = counts.entry(executor_id.to_string()).or_insert(0);
        *n += 1;
        if *n != self.kill_after {
            return false;
        }
        self.kills_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |k| k.checked_sub(1))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_seeded_and_spare_the_last_attempt() {
        let conf = SparkConf::new()
            .set(TASK_FAILURE_RATE, "0.5")
            .set(SEED, "7");
        let f = FaultInjector::from_conf(&conf).unwrap();
        let g = FaultInjector::from_conf(&conf).unwrap();
        let a: Vec<bool> = (0..100).map(|p| f.fail_attempt(1, p, 0, 4)).collect();
        let b: Vec<bool> = (0..100).map(|p| g.fail_attempt(1, p, 0, 4)).collect();
        assert_eq!(a, b);
        let n = a.iter().filter(|x| **x).count();
        assert!((30..70).contains(&n), "{n} of 100 failed");
        assert!((0..100).all(|p| !f.fail_attempt(1, p, 3, 4)));
    }

    #[test]
    fn kills_once_after_the_nth_task() {
        let conf = SparkConf::new().set(KILL_EXECUTOR_AFTER_TASKS, "2");
        let f = FaultInjector::from_conf(&conf).unwrap();
        assert!(!f.kill_after_task("0"));
        assert!(f.kill_after_task("0"));
        assert!(!f.kill_after_task("1"));
        assert!(!f.kill_after_task("1"), "only one kill by default");
    }

    #[test]
    fn kills_at_one_step_a_seeded_victim() {
        let conf = SparkConf::new()
            .set(KILL_EXECUTOR_AT_STEP, "5")
            .set(SEED, "3");
        let f = FaultInjector::from_conf(&conf).unwrap();
        assert_eq!(f.kill_at_step(4, 3), None);
        let v = f.kill_at_step(5, 3).unwrap();
        assert!(v < 3);
        assert_eq!(
            f.kill_at_step(5, 3),
            Some(v),
            "the victim depends on the seed only"
        );
        assert_eq!(f.kill_at_step(6, 3), None);
    }

    #[test]
    fn bad_rates_are_refused() {
        let conf = SparkConf::new().set(TASK_FAILURE_RATE, "2");
        assert!(FaultInjector::from_conf(&conf).is_err());
    }
}
