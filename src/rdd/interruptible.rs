//! Spark's `InterruptibleIterator`: a partition's iterator that stops its task once the task
//! was killed (its job cancelled), checked before every record.
//!
//! Where Spark wraps a partition's iterator, [`crate::rdd::iterator`] wraps it here: the values
//! of a source RDD (an RDD without dependencies: `parallelize`, `text_file`, checkpoint files,
//! received blocks), of a shuffle read (an RDD with a shuffle dependency), and of a cached block.
//! A narrow chain above them pulls its records through the wrapper, so a task that runs a slow
//! `map` or `foreach` stops at its next record. The check is one relaxed atomic load per record
//! (per chunk when pulled in chunks); a killed task unwinds with Spark's `TaskKilledException`
//! (see [`crate::scheduler::kill`]).
//!
//! Layering: the RDD layer and the task's kill flag only.

use std::sync::Arc;

use crate::rdd::{PartIter, PartitionIterator};
use crate::scheduler::kill::TaskKill;

/// A partition's iterator that checks its task's kill flag before each record.
pub(crate) struct InterruptibleIterator<T> {
    kill: Arc<TaskKill>,
    inner: PartIter<T>,
}

impl<T> InterruptibleIterator<T> {
    pub(crate) fn new(kill: Arc<TaskKill>, inner: PartIter<T>) -> Self {
        InterruptibleIterator { kill, inner }
    }
}

impl<T> Iterator for InterruptibleIterator<T> {
    type Item = T;
    #[inline]
    fn next(&mut self) -> Option<T> {
        self.kill.kill_task_if_interrupted();
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<T> PartitionIterator<T> for InterruptibleIterator<T> {
    fn next_chunk_into(&mut self, out: &mut Vec<T>, max: usize) {
        self.kill.kill_task_if_interrupted();
        self.inner.next_chunk_into(out, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdd::part_iter;
    use crate::scheduler::kill::TaskKilledException;

    #[test]
    fn stops_at_the_first_record_after_the_kill() {
        let kill = Arc::new(TaskKill::default());
        let mut it = InterruptibleIterator::new(kill.clone(), part_iter(0..10));
        assert_eq!(it.next(), Some(0));
        let mut chunk = Vec::new();
        it.next_chunk_into(&mut chunk, 3);
        assert_eq!(chunk, vec![1, 2, 3]);
        kill.kill("Stage cancelled: test");
        let payload =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| it.next())).unwrap_err();
        let e = payload.downcast_ref::<TaskKilledException>().unwrap();
        assert_eq!(e.reason, "Stage cancelled: test");
    }
}
