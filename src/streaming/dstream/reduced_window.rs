//! `ReducedWindowedDStream`: Spark's incremental `reduceByKeyAndWindow(f, invF, window, slide)`.
//!
//! The naive form reduces every batch of the window again at every slide. The incremental form
//! starts from the previous window's result instead: the batches leaving the window are taken
//! out with the inverse function and the batches entering it are added with the reduce function.
//!
//! ```text
//!   |<---------- previous window ---------->|
//!   |_______________________________________|
//!   |  old  |                               |
//!           |_______________________________|_______|
//!           |<----------- current window ---------->|
//!                                           |  new  |
//! ```
//!
//! How it works, as in Spark:
//!
//! * the parent is `reduce_by_key(f)` per batch (a `ShuffledDStream` into the window's
//!   partitioner), so every batch holds one value per key;
//! * the RDD at `t` cogroups, with one partitioner, the window's own RDD at `t - slide`, the
//!   parent's RDDs leaving the window (`old`) and those entering it (`new`). All of them are
//!   partitioned by the same partitioner, so the cogroup has only narrow dependencies;
//! * per key: with no previous value, the new values reduced (there must be some); else
//!   `previous`, minus the old values (`inv(previous, reduce(old))`), plus the new ones
//!   (`f(.., reduce(new))`);
//! * a key whose value comes back to the "zero" (a count of 0) stays, as in Spark's basic form;
//!   Spark's optional `filterFunc` (used by `count_by_value_and_window` to drop counts of 0)
//!   filters each merged window, and the filtered window is what the next one starts from;
//! * each window RDD depends on the previous one, so the lineage grows with every slide: the
//!   stream must checkpoint (`mustCheckpoint`; default interval the smallest multiple of the
//!   slide that is at least 10 s) and so needs a checkpoint folder; the stream and its parent
//!   are persisted MEMORY_ONLY_SER, since each RDD is read again by the next windows;
//! * the parent remembers `remember + window`, so the old batches are still there to subtract.
//!
//! The N-way cogroup is [`WindowCoGroupedRdd`] (Spark uses its `CoGroupedRDD` with as many
//! parents as RDDs); the merge is a `mapValues` on it, keeping the partitioner.

use std::any::Any;
use std::hash::Hash;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::partitioner::{Partitioner, StableHashMap};
use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::{iterator, part_iter, ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::TaskContext;
use crate::storage::StorageLevel;
use crate::streaming::dstream::handle::DStream;
use crate::streaming::dstream::window::slice;
use crate::streaming::dstream::{get_or_compute, DStreamBase, DStreamCore, TypedDStream};
use crate::streaming::time::{Duration, DurationMillis, Time};
use crate::Rdd;

/// A reduce (or inverse reduce) function over values.
pub(crate) type ReduceFn<V> = dyn Fn(V, V) -> V + Send + Sync;

/// Spark's `filterFunc` of the incremental window: which pairs the window keeps.
pub(crate) type FilterFn<P> = dyn Fn(&P) -> bool + Send + Sync;

/// Spark's `PairDStreamFunctions.reduceByKeyAndWindow(f, invF, window, slide, partitioner)`:
/// the parent reduced per batch into `partitioner`, then the incremental window over it.
/// Invalid durations are reported by the next call that returns a `Result`.
pub(crate) fn reduce_by_key_and_window_inv<K: Data + Hash + Eq, V: Data>(
    parent: &DStream<(K, V)>,
    reduce: Arc<ReduceFn<V>>,
    inv_reduce: Arc<ReduceFn<V>>,
    window: Duration,
    slide: Duration,
    partitioner: Partitioner,
    filter: Option<Arc<FilterFn<(K, V)>>>,
) -> DStream<(K, V)> {
    let ssc = parent.ssc();
    let parent_slide = parent.slide_duration();
    if let Err(e) = check_durations(window, slide, parent_slide) {
        ssc.report(e);
        return parent.clone();
    }
    let (f, p) = (reduce.clone(), partitioner.clone());
    let reduced = parent.transform_named("ShuffledDStream", move |rdd, _| {
        let f = f.clone();
        rdd.reduce_by_key_with(p.clone(), move |a, b| f(a, b))
    });
    let stream = ReducedWindowedDStream {
        core: DStreamCore::new(&ssc, true),
        reduced: reduced.stream,
        reduce,
        inv_reduce,
        window,
        slide,
        partitioner,
        filter,
    };
    // Spark persists both: each RDD is read again by later windows.
    *stream.core.storage_level.lock() = StorageLevel::MEMORY_ONLY_SER;
    *stream.reduced.core().storage_level.lock() = StorageLevel::MEMORY_ONLY_SER;
    DStream::from_arc(Arc::new(stream))
}

/// Spark's `require`s of the constructor, with its messages.
/// A zero window or slide (which Spark lets through) is refused too: it never outputs.
fn check_durations(window: Duration, slide: Duration, parent_slide: Duration) -> Result<()> {
    super::window::check_positive("ReducedWindowedDStream", window, slide)?;
    if !window.is_multiple_of(parent_slide) {
        return Err(Error::InvalidArgument(format!(
            "The window duration of ReducedWindowedDStream ({window}) must be multiple of the \
             slide duration of parent DStream ({parent_slide})"
        )));
    }
    if !slide.is_multiple_of(parent_slide) {
        return Err(Error::InvalidArgument(format!(
            "The slide duration of ReducedWindowedDStream ({slide}) must be multiple of the \
             slide duration of parent DStream ({parent_slide})"
        )));
    }
    Ok(())
}

pub(crate) struct ReducedWindowedDStream<K: Data, V: Data> {
    core: DStreamCore,
    /// `parent.reduceByKey(f, partitioner)`: the one dependency.
    reduced: Arc<dyn TypedDStream<(K, V)>>,
    reduce: Arc<ReduceFn<V>>,
    inv_reduce: Arc<ReduceFn<V>>,
    window: Duration,
    slide: Duration,
    partitioner: Partitioner,
    /// Spark's optional `filterFunc`: applied to each merged window, which is then what the
    /// next window starts from (`countByValueAndWindow` drops the counts back at 0).
    filter: Option<Arc<FilterFn<(K, V)>>>,
}

/// The parent's RDDs in `[from, to]` (milliseconds, possibly before time 0): times at or before
/// the zero time have no RDD, as in Spark's `slice`.
fn slice_ms<T: Data>(stream: &dyn TypedDStream<T>, from: i128, to: i128) -> Result<Vec<Rdd<T>>> {
    if to < from || to <= 0 {
        return Ok(Vec::new());
    }
    let ms = |t: i128| Time::new(u64::try_from(t.max(0)).unwrap_or(u64::MAX));
    slice(stream, ms(from), ms(to))
}

impl<K: Data + Hash + Eq, V: Data> TypedDStream<(K, V)> for ReducedWindowedDStream<K, V> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<(K, V)>>> {
        let ms = |d: Duration| i128::from(d.milliseconds());
        let parent_slide = ms(self.reduced.slide_duration());
        let (window, slide) = (ms(self.window), ms(self.slide));
        // The current window is [t - window + parent slide, t]; the previous one, a slide before.
        let current_end = i128::from(time.milliseconds());
        let current_begin = current_end - window + parent_slide;
        let (previous_begin, previous_end) = (current_begin - slide, current_end - slide);

        let old = slice_ms(&*self.reduced, previous_begin, current_begin - parent_slide)?;
        let new = slice_ms(&*self.reduced, previous_end + parent_slide, current_end)?;
        let previous = match u64::try_from(previous_end) {
            Ok(t) if t > 0 => get_or_compute(self, Time::new(t))?,
            _ => None,
        };
        let sc = &self.core.sc;
        let previous =
            previous.unwrap_or_else(|| sc.parallelize(Vec::new(), sc.default_parallelism()));

        let (num_old, num_new) = (old.len(), new.len());
        let mut all = Vec::with_capacity(1 + num_old + num_new);
        all.push(previous);
        all.extend(old);
        all.extend(new);
        let cogrouped: Rdd<(K, Vec<Vec<V>>)> = Rdd::from_arc(Arc::new(WindowCoGroupedRdd::new(
            sc,
            all,
            self.partitioner.clone(),
        )));
        let (f, inv) = (self.reduce.clone(), self.inv_reduce.clone());
        let merged = cogrouped.map_values(move |groups| merge_values(groups, num_old, &*f, &*inv));
        Ok(Some(match &self.filter {
            Some(keep) => {
                let keep = keep.clone();
                merged.filter(move |pair| keep(pair))
            }
            None => merged,
        }))
    }
}

/// Spark's `mergeValues` for one key: `groups[0]` holds the previous window's value, then come
/// the old batches' values, then the new ones' (at most one value each: the batches are
/// reduced by key).
fn merge_values<V>(groups: Vec<Vec<V>>, num_old: usize, f: &ReduceFn<V>, inv: &ReduceFn<V>) -> V {
    let mut groups = groups.into_iter().map(|g| g.into_iter().next());
    let previous = groups.next().flatten();
    let old = groups.by_ref().take(num_old).flatten().reduce(f);
    let new = groups.flatten().reduce(f);
    match previous {
        None => new.unwrap_or_else(|| {
            // Only reachable when a key hashes differently in different RDDs; Spark throws
            // here too, failing the task.
            panic!(
                "Neither previous window has value for key, nor new values found. Are you sure \
                 your key class hashes consistently?"
            )
        }),
        Some(mut value) => {
            if let Some(old) = old {
                value = inv(value, old);
            }
            if let Some(new) = new {
                value = f(value, new);
            }
            value
        }
    }
}

impl<K: Data + Hash + Eq, V: Data> DStreamBase for ReducedWindowedDStream<K, V> {
    fn core(&self) -> &DStreamCore {
        &self.core
    }
    fn slide_duration(&self) -> Duration {
        self.slide
    }
    fn dependencies(&self) -> Vec<Arc<dyn DStreamBase>> {
        vec![self.reduced.clone()]
    }
    fn class_name(&self) -> &'static str {
        "ReducedWindowedDStream"
    }
    fn parent_remember_duration(&self) -> Option<Duration> {
        (*self.core.remember_duration.lock()).map(|r| r + self.window)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Spark's `CoGroupedRDD` over any number of RDDs of one type, as the window uses it: for each
/// key, one list of values per parent, in parent order. A parent not partitioned by the
/// partitioner is first hash-partitioned into it (a `ShuffledRDD`), so every dependency of the
/// cogroup itself is narrow (Spark shuffles such a parent inside the cogroup).
pub(crate) struct WindowCoGroupedRdd<K: Data, V: Data> {
    core: RddCore,
    /// The parents; empty once the lineage is truncated by a checkpoint.
    parents: Mutex<Vec<Arc<dyn TypedRdd<(K, V)>>>>,
    num_parents: usize,
    partitioner: Partitioner,
}

impl<K: Data + Hash + Eq, V: Data> WindowCoGroupedRdd<K, V> {
    pub(crate) fn new(
        sc: &crate::SparkContext,
        rdds: Vec<Rdd<(K, V)>>,
        partitioner: Partitioner,
    ) -> Self {
        let parents: Vec<Arc<dyn TypedRdd<(K, V)>>> = rdds
            .into_iter()
            .map(|r| r.partition_by(partitioner.clone()).rdd)
            .collect();
        WindowCoGroupedRdd {
            core: RddCore::new(sc, "cogroup"),
            num_parents: parents.len(),
            parents: Mutex::new(parents),
            partitioner,
        }
    }
}

impl<K: Data + Hash + Eq, V: Data> RddBase for WindowCoGroupedRdd<K, V> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.partitioner.num_partitions()
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        self.parents
            .lock()
            .iter()
            .map(|p| Dependency::one_to_one(p.clone()))
            .collect()
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(std::mem::take(&mut *self.parents.lock()))
    }
    fn partitioner(&self) -> Option<Partitioner> {
        Some(self.partitioner.clone())
    }
    fn class_name(&self) -> &'static str {
        "CoGroupedRDD"
    }
}

impl<K: Data + Hash + Eq, V: Data> TypedRdd<(K, Vec<Vec<V>>)> for WindowCoGroupedRdd<K, V> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<(K, Vec<Vec<V>>)> {
        // Clone the parents out so that no lock is held while they compute.
        let parents = self.parents.lock().clone();
        if parents.len() != self.num_parents {
            return Err(lineage_gone(&self.core));
        }
        let n = parents.len();
        let mut groups: StableHashMap<K, Vec<Vec<V>>> = StableHashMap::default();
        for (i, parent) in parents.iter().enumerate() {
            for (k, v) in iterator(&**parent, split, ctx)? {
                groups.entry(k).or_insert_with(|| vec![Vec::new(); n])[i].push(v);
            }
        }
        Ok(part_iter(groups.into_iter()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(a: i64, b: i64) -> i64 {
        a + b
    }
    fn sub(a: i64, b: i64) -> i64 {
        a - b
    }

    #[test]
    fn merge_starts_from_the_previous_window() {
        // previous 5, old batches 1 and 2 leave, new batch 4 enters: 5 - 3 + 4.
        let groups = vec![vec![5], vec![1], vec![2], vec![4]];
        assert_eq!(merge_values(groups, 2, &add, &sub), 6);
        // A key that only leaves keeps its "zero".
        assert_eq!(
            merge_values(vec![vec![3], vec![3], vec![]], 1, &add, &sub),
            0
        );
    }

    #[test]
    fn merge_without_previous_reduces_the_new_values() {
        let groups = vec![vec![], vec![], vec![2], vec![7]];
        assert_eq!(merge_values(groups, 1, &add, &sub), 9);
    }

    #[test]
    #[should_panic(expected = "hashes consistently")]
    fn merge_with_nothing_to_start_from_fails_like_spark() {
        merge_values(vec![vec![], vec![1]], 1, &add, &sub);
    }
}
