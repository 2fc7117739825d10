//! Accumulators (Spark's `AccumulatorV2`, `AccumulatorContext` and the driver half of
//! `DAGScheduler.updateAccumulators`).
//!
//! How it works here:
//!
//! - `sc.long_accumulator(name)` (or `sc.register(value, name)` for a user's [`AccumulatorV2`])
//!   gives an [`Accumulator`] handle: an `Arc` on the driver's value, the accumulator's id and
//!   name, and a zero copy made once at registration (Spark's `copyAndReset`). Clones share it,
//!   so a clone captured by a task's closure is the same accumulator.
//! - Inside a task (`crate::task_local` says whether one runs on this thread), `add` never
//!   touches the driver's value: the first `add` (or `value`) makes the task attempt's own copy
//!   from the zero, as Spark's executor does when it deserializes the task, and later adds go
//!   to that copy. `value()` in a task reads the task's copy, as in Spark.
//! - When the attempt ends its copies travel back with the task's end event (all of them when
//!   it succeeded, only those with `count_failed_values` when it failed, as Spark's
//!   `collectAccumulatorUpdates(taskFailed)`); a killed executor's tasks report nothing.
//! - The DAG scheduler merges them (`merge_updates`) on its own thread, before it posts the
//!   task's end, only when Spark would: a successful shuffle map task always, a successful
//!   result task only when its job has no result for that partition yet (Spark's
//!   `!job.finished(outputId)`), a failed task's counted-failed values. So an action's updates
//!   count once per partition whatever retries, duplicates and executor losses happen, while a
//!   transformation's updates count again each time its partition is recomputed.
//! - A named accumulator whose update is not zero shows in the task's end event and in its
//!   stage attempt's info as Spark's `AccumulableInfo`: the update and a copy of the merged value,
//!   whose texts are made only when read (`AccumulableText`: the event log or a listener).
//!
//! Departures: Rust has no serialization of closures, so the per-task copy is made on first
//! use through a thread-local rather than at deserialization; user code of an accumulator
//! (`add`, `merge`) runs under that accumulator's own lock on the driver, never under a
//! scheduler or storage lock; a panicking `merge` is logged and skipped, as Spark logs a failed
//! update. There is no process-global `AccumulatorContext`: ids come from the context's
//! environment.
//!
//! Layering: uses `task_local` (is a task running here) and the listener's plain
//! `AccumulableInfo`; knows no RDDs, no storage and no scheduler state.

mod builtin;

use std::any::Any;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

pub use builtin::{
    CollectionAccumulator, CollectionAccumulatorValue, DoubleAccumulator, DoubleAccumulatorValue,
    LongAccumulator, LongAccumulatorValue,
};

use crate::scheduler::listener::{AccumulableInfo, AccumulableText};
use crate::task_local;

/// A value that tasks add to and the driver merges (Spark's `AccumulatorV2[IN, OUT]`): the
/// six methods Spark asks of a user's accumulator. Implement it on a plain value and hand it to
/// `sc.register(value, name)`, which returns the shared [`Accumulator`] handle.
///
/// ```
/// use sparklet::prelude::*;
/// use sparklet::accumulator::AccumulatorV2;
///
/// /// Keeps the largest value added.
/// #[derive(Clone, Default)]
/// struct Max(Option<i64>);
///
/// impl AccumulatorV2 for Max {
///     type In = i64;
///     type Out = Option<i64>;
///     fn is_zero(&self) -> bool { self.0.is_none() }
///     fn copy(&self) -> Self { self.clone() }
///     fn reset(&mut self) { self.0 = None }
///     fn add(&mut self, v: i64) { self.0 = Some(self.0.map_or(v, |m| m.max(v))) }
///     fn merge(&mut self, other: &Self) { if let Some(v) = other.0 { self.add(v) } }
///     fn value(&self) -> Option<i64> { self.0 }
/// }
///
/// let sc = SparkContext::new(SparkConf::new().set_master("local[2]").set_app_name("max")).unwrap();
/// let max = sc.register(Max::default(), "max");
/// let m = max.clone();
/// sc.parallelize(vec![3, 9, 4], 3).foreach(move |x| m.add(x)).unwrap();
/// assert_eq!(max.value(), Some(9));
/// ```
pub trait AccumulatorV2: Send + Sync + 'static {
    /// What tasks add.
    type In;
    /// What `value` reads.
    type Out: fmt::Debug;
    /// Whether this is the zero value (nothing added since the last reset).
    fn is_zero(&self) -> bool;
    /// A new accumulator value equal to this one.
    fn copy(&self) -> Self
    where
        Self: Sized;
    /// Back to zero.
    fn reset(&mut self);
    /// Adds one input.
    fn add(&mut self, v: Self::In);
    /// Merges another value of the same kind into this one (a task's copy into the driver's).
    fn merge(&mut self, other: &Self)
    where
        Self: Sized;
    /// The current value.
    fn value(&self) -> Self::Out;

    /// A zero copy (Spark's `copyAndReset`).
    fn copy_and_reset(&self) -> Self
    where
        Self: Sized,
    {
        let mut c = self.copy();
        c.reset();
        c
    }

    /// The value as text, as Spark's `AccumulableInfo` and event log show it (Spark's
    /// `value.toString`).
    fn value_text(&self) -> String {
        format!("{:?}", self.value())
    }

    /// Spark's class name, for `Display` (the type's own name by default).
    fn class_name(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        let base = full.split('<').next().unwrap_or(full);
        base.rsplit("::").next().unwrap_or(base)
    }
}

/// The context's accumulator ids (Spark's `AccumulatorContext.newId`, per context here).
#[derive(Default)]
pub(crate) struct AccumulatorContext {
    next_id: AtomicU64,
}

impl AccumulatorContext {
    /// Registers `value` as a new accumulator and returns its handle.
    pub(crate) fn register<A>(&self, value: A, name: Option<&str>) -> Accumulator<A>
    where
        A: AccumulatorV2,
    {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Accumulator {
            shared: Arc::new(Shared {
                id,
                name: name.map(str::to_string),
                count_failed_values: false,
                zero: value.copy_and_reset(),
                driver: Mutex::new(value),
            }),
        }
    }
}

/// What every handle of one accumulator shares.
struct Shared<A> {
    id: u64,
    name: Option<String>,
    /// Spark's `countFailedValues`: whether failed tasks' updates are merged too (false for
    /// every accumulator a program registers; Spark sets it for internal metrics).
    count_failed_values: bool,
    /// The zero copy each task attempt's own copy starts from.
    zero: A,
    /// The driver's merged value.
    driver: Mutex<A>,
}

/// A registered accumulator (what `sc.register`, `sc.long_accumulator` and the others return).
/// `Clone + Send + Sync`: every clone is the same accumulator. `add` in a task goes to the task
/// attempt's own copy, merged on the driver when the attempt succeeds; `value` on the driver
/// is the merged value, in a task the task's copy.
pub struct Accumulator<A: AccumulatorV2> {
    shared: Arc<Shared<A>>,
}

impl<A: AccumulatorV2> Clone for Accumulator<A> {
    fn clone(&self) -> Self {
        Accumulator {
            shared: self.shared.clone(),
        }
    }
}

impl<A> Accumulator<A>
where
    A: AccumulatorV2,
{
    /// The accumulator's id (Spark's `id`, unique within the context).
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// Its name, as given at registration (Spark's `name`).
    pub fn name(&self) -> Option<&str> {
        self.shared.name.as_deref()
    }

    /// Adds one input: to the running task's copy inside a task, to the driver's value
    /// otherwise.
    pub fn add(&self, v: A::In) {
        let mut v = Some(v);
        self.with_local(|local| {
            if let Some(v) = v.take() {
                local.add(v)
            }
        });
        if let Some(v) = v {
            self.shared.driver.lock().add(v);
        }
    }

    /// The value: the merged value on the driver, the task attempt's own copy in a task.
    pub fn value(&self) -> A::Out {
        self.read(A::value)
    }

    /// Whether nothing was added (on the driver: nothing merged or added since the last reset;
    /// in a task: nothing added by this attempt).
    pub fn is_zero(&self) -> bool {
        self.read(A::is_zero)
    }

    /// Resets the value to zero (the driver's, or in a task the attempt's copy).
    pub fn reset(&self) {
        if self.with_local(A::reset).is_none() {
            self.shared.driver.lock().reset();
        }
    }

    /// Reads the task attempt's copy inside a task, the driver's value otherwise.
    pub(crate) fn read<R>(&self, f: impl Fn(&A) -> R) -> R {
        match self.with_local(|local| f(local)) {
            Some(r) => r,
            None => f(&self.shared.driver.lock()),
        }
    }

    /// Runs `f` on the running task attempt's copy (made from the zero on first use); `None`
    /// when no task runs on this thread.
    fn with_local<R>(&self, f: impl FnOnce(&mut A) -> R) -> Option<R> {
        let mut f = Some(f);
        let mut out = None;
        let mut make = || -> Box<dyn TaskAccumulatorCopy> {
            Box::new(TaskCopy {
                shared: self.shared.clone(),
                local: self.shared.zero.copy(),
            })
        };
        // Keyed by the shared value's address, not the id: ids are unique per context only,
        // and a task's copies hold their `Arc`s, so no address is reused while the task runs.
        let key = Arc::as_ptr(&self.shared) as usize;
        task_local::with_accumulator_copy(key, &mut make, &mut |copy| {
            let copy = copy.as_any_mut().downcast_mut::<TaskCopy<A>>();
            if let (Some(c), Some(f)) = (copy, f.take()) {
                out = Some(f(&mut c.local));
            }
        });
        out
    }
}

impl<A> fmt::Display for Accumulator<A>
where
    A: AccumulatorV2,
{
    /// Spark's `toString`: `LongAccumulator(id: 0, name: Some(hits), value: 3)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (class, value) = self.read(|a| (a.class_name(), a.value_text()));
        let name = match &self.shared.name {
            Some(n) => format!("Some({n})"),
            None => "None".to_string(),
        };
        write!(
            f,
            "{class}(id: {}, name: {name}, value: {value})",
            self.shared.id
        )
    }
}

impl<A> fmt::Debug for Accumulator<A>
where
    A: AccumulatorV2,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// One accumulator's copy in one task attempt, type-erased for the task's end event.
pub(crate) trait TaskAccumulatorCopy: Send {
    /// The accumulator's id.
    fn id(&self) -> u64;
    /// For the typed handle to find its own copy.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// Spark's `countFailedValues`.
    fn count_failed_values(&self) -> bool;
    /// Merges the copy into the driver's value (Spark's `acc.merge(updates)`); returns what
    /// listeners are told of it: Spark's `AccumulableInfo` for a named accumulator whose update
    /// is not zero, holding the update and a copy of the merged value, whose texts are made
    /// only when read (an event log line or a listener that shows them).
    fn merge_into_driver(self: Box<Self>) -> Option<AccumulableInfo>;
}

struct TaskCopy<A> {
    shared: Arc<Shared<A>>,
    local: A,
}

impl<A> TaskAccumulatorCopy for TaskCopy<A>
where
    A: AccumulatorV2,
{
    fn id(&self) -> u64 {
        self.shared.id
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn count_failed_values(&self) -> bool {
        self.shared.count_failed_values
    }

    fn merge_into_driver(self: Box<Self>) -> Option<AccumulableInfo> {
        let TaskCopy { shared, local } = *self;
        let value = {
            let mut driver = shared.driver.lock();
            driver.merge(&local);
            if shared.name.is_none() || local.is_zero() {
                return None;
            }
            // Spark's `acc.value` at this merge (a copy: later merges do not change it).
            driver.copy()
        };
        Some(AccumulableInfo {
            id: shared.id,
            name: shared.name.clone()?,
            update: Some(AccumulableText::lazy(move || local.value_text())),
            value: AccumulableText::lazy(move || value.value_text()),
            internal: false,
            count_failed_values: shared.count_failed_values,
        })
    }
}

/// The accumulator copies one task attempt sends back with its end (Spark's
/// `CompletionEvent.accumUpdates`).
#[derive(Default)]
pub(crate) struct AccumulatorUpdates(pub(crate) Vec<Box<dyn TaskAccumulatorCopy>>);

impl AccumulatorUpdates {
    /// What a failed attempt sends: only the copies that count failed values (Spark's
    /// `collectAccumulatorUpdates(taskFailed = true)`).
    pub(crate) fn of_failed_task(self) -> AccumulatorUpdates {
        AccumulatorUpdates(
            self.0
                .into_iter()
                .filter(|c| c.count_failed_values())
                .collect(),
        )
    }
}

/// Merges a task attempt's updates into the driver's values (Spark's
/// `DAGScheduler.updateAccumulators`), on the scheduler's thread. The caller decides whether
/// the attempt's updates count at all (the once-per-partition rule of result stages). Returns
/// the `AccumulableInfo`s of the named accumulators the task changed, for its end event and
/// its stage's info.
pub(crate) fn merge_updates(updates: AccumulatorUpdates) -> Vec<AccumulableInfo> {
    let mut infos = Vec::new();
    for copy in updates.0 {
        let id = copy.id();
        match catch_unwind(AssertUnwindSafe(|| copy.merge_into_driver())) {
            Ok(Some(info)) => infos.push(info),
            Ok(None) => {}
            Err(panic) => log::error!(
                target: crate::logging::DAG_SCHEDULER,
                "Failed to update accumulator {id} for task: {}",
                crate::scheduler::task::panic_message(&*panic)
            ),
        }
    }
    infos
}

/// Records merged updates in a stage attempt's accumulables (Spark's
/// `stage.latestInfo.accumulables(id) = acc.toInfo(None, Some(acc.value))`).
pub(crate) fn record_in_stage(accumulables: &mut Vec<AccumulableInfo>, infos: &[AccumulableInfo]) {
    for info in infos {
        let entry = AccumulableInfo {
            update: None,
            ..info.clone()
        };
        match accumulables.iter_mut().find(|a| a.id == info.id) {
            Some(a) => *a = entry,
            None => accumulables.push(entry),
        }
    }
}
