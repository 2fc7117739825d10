//! A job's result to wait for later (Spark's `JobWaiter` and `SimpleFutureAction`).
//!
//! `SparkContext::submit_job` posts a job to the DAG scheduler and returns a [`JobWaiter`] at
//! once: the job's id (given before the job is posted, as Spark's `submitJob` takes
//! `nextJobId`) and the channel on which the scheduler sends the job's results or its error.
//! A blocking action waits on it right away; the async actions (`count_async`,
//! `collect_async`, `foreach_async`) wrap it in a [`FutureAction`] the caller keeps.
//!
//! Cancelling is race-free: [`FutureAction::cancel`] posts `JobCancelled` with the job's id
//! after the job's own `JobSubmitted` on the same channel, so the loop sees the job first; a
//! cancel after the job ended finds no job and does nothing (the result stands).
//!
//! Layering: the scheduler's event types and the listener bus; no RDDs, no element types
//! beyond the boxed results.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::mpsc;

use parking_lot::Mutex;

use crate::context::SparkContext;
use crate::error::{Error, Result};
use crate::scheduler::dag_scheduler::{DagEvent, JobResults};
use crate::scheduler::ids::JobId;
use crate::scheduler::listener::ListenerBus;

/// A submitted job's id and the channel its results come on (Spark's `JobWaiter`).
pub(crate) struct JobWaiter<U> {
    job_id: usize,
    results: mpsc::Receiver<JobResults>,
    bus: ListenerBus,
    _values: PhantomData<fn() -> U>,
}

impl<U: Send + 'static> JobWaiter<U> {
    pub(crate) fn new(
        job_id: usize,
        results: mpsc::Receiver<JobResults>,
        bus: ListenerBus,
    ) -> Self {
        JobWaiter {
            job_id,
            results,
            bus,
            _values: PhantomData,
        }
    }

    /// Waits for the job's end; returns each partition's result in request order.
    pub(crate) fn wait(self) -> Result<Vec<U>> {
        let results = self.results.recv().unwrap_or_else(|_| Err(shut_down()));
        // Listeners run on the bus thread: the caller wakes once they have seen the job end.
        self.bus.wait_until_delivered();
        downcast(results?)
    }
}

fn shut_down() -> Error {
    Error::IllegalState("SparkContext was shut down during the job".into())
}

fn downcast<U: 'static>(results: Vec<Box<dyn Any + Send>>) -> Result<Vec<U>> {
    results
        .into_iter()
        .map(|b| {
            b.downcast::<U>().map(|b| *b).map_err(|_| {
                Error::IllegalState("a task returned a value of an unexpected type".into())
            })
        })
        .collect()
}

type Finish<T> = Box<dyn FnOnce(Vec<Box<dyn Any + Send>>) -> Result<T> + Send>;

/// The result of an async action, to wait for or cancel (Spark's `SimpleFutureAction`).
///
/// ```
/// use sparklet::prelude::*;
/// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
/// let f = sc.parallelize((1..=100).collect::<Vec<i32>>(), 4).count_async();
/// assert_eq!(f.job_ids().len(), 1);
/// assert_eq!(f.get().unwrap(), 100);
/// ```
pub struct FutureAction<T> {
    sc: Option<SparkContext>,
    job_id: Option<usize>,
    state: Mutex<State<T>>,
}

struct State<T> {
    results: Option<mpsc::Receiver<JobResults>>,
    /// The job's end once seen (by `is_done`), or an error from before the job was submitted.
    received: Option<JobResults>,
    finish: Option<Finish<T>>,
    bus: Option<ListenerBus>,
}

impl<T> FutureAction<T> {
    /// A future on a submitted job whose per-partition results `finish` turns into `T`.
    pub(crate) fn new<U: Send + 'static>(
        sc: &SparkContext,
        waiter: JobWaiter<U>,
        finish: impl FnOnce(Vec<U>) -> T + Send + 'static,
    ) -> Self {
        let JobWaiter {
            job_id,
            results,
            bus,
            ..
        } = waiter;
        let finish: Finish<T> = Box::new(move |values| downcast::<U>(values).map(finish));
        FutureAction {
            sc: Some(sc.clone()),
            job_id: Some(job_id),
            state: Mutex::new(State {
                results: Some(results),
                received: None,
                finish: Some(finish),
                bus: Some(bus),
            }),
        }
    }

    /// A future that failed before its job was submitted (a stopped context, an action
    /// inside a task): no job, done, and `get` returns the error.
    pub(crate) fn failed(error: Error) -> Self {
        FutureAction {
            sc: None,
            job_id: None,
            state: Mutex::new(State {
                results: None,
                received: Some(Err(error)),
                finish: None,
                bus: None,
            }),
        }
    }

    /// Waits for the job and returns its result, or its error: `Error::JobCancelled` when it
    /// was cancelled (Spark's `get`, which waits without a time limit).
    pub fn get(self) -> Result<T> {
        let mut state = self.state.into_inner();
        let results = match state.received.take() {
            Some(r) => r,
            None => match state.results.take() {
                Some(rx) => rx.recv().unwrap_or_else(|_| Err(shut_down())),
                None => Err(shut_down()),
            },
        };
        if let Some(bus) = &state.bus {
            bus.wait_until_delivered();
        }
        let values = results?;
        match state.finish.take() {
            Some(finish) => finish(values),
            None => Err(Error::Internal("a FutureAction without its job".into())),
        }
    }

    /// Cancels the job (Spark's `SimpleFutureAction.cancel`): a running job fails with
    /// "Job N cancelled " and its tasks are killed; a job that already ended is left as it is.
    pub fn cancel(&self) {
        if let (Some(sc), Some(job_id)) = (&self.sc, self.job_id) {
            sc.post_dag_event(DagEvent::JobCancelled {
                job_id: JobId(job_id),
                reason: None,
            });
        }
    }

    /// Whether the job has ended (succeeded, failed or cancelled); never waits.
    pub fn is_done(&self) -> bool {
        let mut state = self.state.lock();
        if state.received.is_some() {
            return true;
        }
        let polled = match &state.results {
            Some(rx) => match rx.try_recv() {
                Ok(r) => Some(r),
                Err(mpsc::TryRecvError::Empty) => None,
                Err(mpsc::TryRecvError::Disconnected) => Some(Err(shut_down())),
            },
            None => Some(Err(shut_down())),
        };
        let done = polled.is_some();
        state.received = polled;
        done
    }

    /// The ids of the jobs this action ran (one; none when it failed before submitting).
    pub fn job_ids(&self) -> Vec<usize> {
        self.job_id.into_iter().collect()
    }
}

impl<T> std::fmt::Debug for FutureAction<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimpleFutureAction")
            .field("job_ids", &self.job_ids())
            .finish()
    }
}
