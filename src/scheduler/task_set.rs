//! One stage attempt's tasks (Spark's `TaskSetManager`): which partitions still wait for a slot,
//! how often each failed, and whether the set is still live.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::scheduler::ids::StageId;
use crate::scheduler::task::TaskKind;

/// The tasks of one stage attempt.
pub(crate) struct TaskSet {
    pub(crate) stage_id: StageId,
    pub(crate) stage_attempt: u32,
    pub(crate) kind: TaskKind,
    /// Partitions waiting for a slot, in order.
    pending: VecDeque<usize>,
    /// Failed attempts per partition (fetch failures and executor losses not counted).
    failures: HashMap<usize, u32>,
    /// The next attempt number per partition.
    attempts: HashMap<usize, u32>,
    succeeded: HashSet<usize>,
    /// Spark's "zombie": no more tasks are launched from this set.
    pub(crate) zombie: bool,
}

impl TaskSet {
    pub(crate) fn new(
        stage_id: StageId,
        stage_attempt: u32,
        kind: TaskKind,
        partitions: &[usize],
    ) -> Self {
        TaskSet {
            stage_id,
            stage_attempt,
            kind,
            pending: partitions.iter().copied().collect(),
            failures: HashMap::new(),
            attempts: HashMap::new(),
            succeeded: HashSet::new(),
            zombie: false,
        }
    }

    /// The next partition to launch and its attempt number.
    pub(crate) fn next_task(&mut self) -> Option<(usize, u32)> {
        if self.zombie {
            return None;
        }
        let partition = self.pending.pop_front()?;
        let attempt = self.attempts.entry(partition).or_insert(0);
        let this = *attempt;
        *attempt += 1;
        Some((partition, this))
    }

    /// Whether a partition waits for a slot.
    pub(crate) fn has_pending(&self) -> bool {
        !self.zombie && !self.pending.is_empty()
    }

    pub(crate) fn mark_succeeded(&mut self, partition: usize) {
        self.succeeded.insert(partition);
    }

    pub(crate) fn is_succeeded(&self, partition: usize) -> bool {
        self.succeeded.contains(&partition)
    }

    /// Counts a failure; returns the number of failures so far.
    pub(crate) fn record_failure(&mut self, partition: usize) -> u32 {
        let n = self.failures.entry(partition).or_insert(0);
        *n += 1;
        *n
    }

    /// Puts a partition back in the queue (after a failure that is retried or an executor loss).
    pub(crate) fn requeue(&mut self, partition: usize) {
        if !self.zombie
            && !self.succeeded.contains(&partition)
            && !self.pending.contains(&partition)
        {
            self.pending.push_back(partition);
        }
    }

    /// A partition whose output was lost after it succeeded must run again.
    pub(crate) fn resubmit(&mut self, partition: usize) {
        self.succeeded.remove(&partition);
        self.requeue(partition);
    }
}
