//! The rest of Spark's `DStream` operations, each built from Spark's own composition so that
//! its streams, lineage and checkpointing rules are Spark's:
//!
//! | operation | Spark's composition | streams |
//! | --- | --- | --- |
//! | `reduce(f)` | `map((null, _)).reduceByKey(f, 1).map(_._2)` | Mapped, Shuffled, Mapped |
//! | `count_by_value()` | `map((_, 1L)).reduceByKey(_ + _, defaultParallelism)` | Mapped, Shuffled |
//! | `glom()` | `GlommedDStream` | Glommed |
//! | `repartition(n)` | `transform(_.repartition(n))` | Transformed |
//! | `transform_with(other, f)` | `TransformedDStream(Seq(this, other), f)` | Transformed (2 parents) |
//! | `reduce_by_window(f, w, s)` | `reduce(f).window(w, s).reduce(f)` | ..., Windowed, ... |
//! | `reduce_by_window_inv(f, inv, w, s)` | `map((1, _)).reduceByKeyAndWindow(f, inv, w, s, 1).map(_._2)` | Mapped, Shuffled, ReducedWindowed, Mapped |
//! | `count_by_window(w, s)` | `map(_ => 1L).reduceByWindow(_ + _, _ - _, w, s)` | as above |
//! | `count_by_value_and_window(w, s)` | `map((_, 1L)).reduceByKeyAndWindow(_ + _, _ - _, w, s, n, _._2 != 0)` | Mapped, Shuffled, ReducedWindowed |
//!
//! and `ssc.union(streams)`, Spark's `UnionDStream` over many. The inverse forms are
//! `ReducedWindowedDStream`s, so they must checkpoint (and need a checkpoint folder), as in
//! Spark.

use std::hash::Hash;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::partitioner::Partitioner;
use crate::rdd::Data;
use crate::streaming::context::StreamingContext;
use crate::streaming::dstream::handle::DStream;
use crate::streaming::dstream::mapped::{TransformedWithDStream, UnionDStream};
use crate::streaming::dstream::reduced_window::reduce_by_key_and_window_inv;
use crate::streaming::dstream::TypedDStream;
use crate::streaming::time::{Duration, Time};
use crate::Rdd;

/// The log target of Spark's `DStream` class.
const DSTREAM: &str = "sparklet::streaming::dstream::DStream";

impl<T: Data> DStream<T> {
    /// One element per batch: the batch's elements reduced with `f` (Spark's `reduce`; an
    /// empty batch gives an empty RDD).
    pub fn reduce(&self, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> DStream<T> {
        let f = Arc::new(f);
        self.map(|x| ((), x))
            .reduce_by_key_with(Partitioner::hash(1), move |a, b| f(a, b))
            .map(|((), x)| x)
    }

    /// Each partition of each batch as one vector (Spark's `glom`, a `GlommedDStream`).
    pub fn glom(&self) -> DStream<Vec<T>> {
        self.transform_named("GlommedDStream", |rdd, _| rdd.glom())
    }

    /// Each batch spread over `num_partitions` partitions through a shuffle (Spark's
    /// `repartition`: `transform(_.repartition(n))`).
    pub fn repartition(&self, num_partitions: usize) -> DStream<T> {
        self.transform(move |rdd, _| rdd.repartition(num_partitions))
    }

    /// The stream's RDDs of the batch times in `[from, to]`, computing those not generated
    /// yet (Spark's `slice`). A time that is not a batch time of the stream (zero time plus a
    /// multiple of its slide) is moved back to the one before it, with Spark's warning; times
    /// at or before the zero time have no RDD. Refused before the context starts, with Spark's
    /// "has not been initialized".
    pub fn slice(&self, from: Time, to: Time) -> Result<Vec<Rdd<T>>> {
        let core = self.stream.core();
        let Some(zero) = *core.zero_time.lock() else {
            return Err(Error::IllegalState(format!(
                "{} has not been initialized",
                self.stream.class_name()
            )));
        };
        let slide = self.slide_duration();
        let aligned = |t: Time| t < zero || (t - zero).is_multiple_of(slide);
        if !aligned(to) {
            log::warn!(target: DSTREAM, "toTime ({to}) is not a multiple of slideDuration ({slide})");
        }
        if !aligned(from) {
            log::warn!(target: DSTREAM, "fromTime ({from}) is not a multiple of slideDuration ({slide})");
        }
        crate::streaming::dstream::window::slice(&*self.stream, from, to)
    }

    /// A stream whose RDD of each batch is `f(this stream's RDD, other's RDD, time)` (Spark's
    /// `transformWith`, a `TransformedDStream` over both). Both streams must be of one context
    /// and have one slide duration; else `start()` fails with Spark's message ("Some of the
    /// DStreams have different slide durations").
    pub fn transform_with<U: Data, V: Data>(
        &self,
        other: &DStream<U>,
        f: impl Fn(&Rdd<T>, &Rdd<U>, Time) -> Rdd<V> + Send + Sync + 'static,
    ) -> DStream<V> {
        let ssc = self.ssc();
        let (stream, checked) = TransformedWithDStream::new(
            &ssc,
            self.stream.clone(),
            other.stream.clone(),
            Arc::new(f),
        );
        if let Err(e) = checked {
            ssc.report(e);
        }
        DStream::from_arc(Arc::new(stream))
    }

    /// One element per window: the elements of the last `window` of batches reduced with `f`,
    /// every `slide` (Spark's `reduceByWindow`: `reduce(f).window(window, slide).reduce(f)`).
    pub fn reduce_by_window(
        &self,
        f: impl Fn(T, T) -> T + Send + Sync + 'static,
        window: Duration,
        slide: Duration,
    ) -> DStream<T> {
        let f = Arc::new(f);
        let g = f.clone();
        self.reduce(move |a, b| f(a, b))
            .window(window, slide)
            .reduce(move |a, b| g(a, b))
    }

    /// [`DStream::reduce_by_window`] computed incrementally: each window is the previous one
    /// plus the batches entering it (`f`) minus those leaving it (`inv`) (Spark's
    /// `reduceByWindow(f, inv, window, slide)`: one key, a `ReducedWindowedDStream` into one
    /// partition). Must checkpoint, so needs a checkpoint folder.
    pub fn reduce_by_window_inv(
        &self,
        f: impl Fn(T, T) -> T + Send + Sync + 'static,
        inv: impl Fn(T, T) -> T + Send + Sync + 'static,
        window: Duration,
        slide: Duration,
    ) -> DStream<T> {
        let keyed = self.map(|x| (1i32, x));
        reduce_by_key_and_window_inv(
            &keyed,
            Arc::new(f),
            Arc::new(inv),
            window,
            slide,
            Partitioner::hash(1),
            None,
        )
        .map(|(_, x)| x)
    }

    /// The number of elements in each window (Spark's `countByWindow`:
    /// `map(_ => 1L).reduceByWindow(_ + _, _ - _, window, slide)`). An empty window counts 0.
    /// Must checkpoint, so needs a checkpoint folder.
    pub fn count_by_window(&self, window: Duration, slide: Duration) -> DStream<u64> {
        self.map(|_| 1u64)
            .reduce_by_window_inv(|a, b| a + b, |a, b| a - b, window, slide)
    }
}

impl<T: Data + Hash + Eq> DStream<T> {
    /// The count of each distinct element of each batch (Spark's `countByValue`:
    /// `map((_, 1L)).reduceByKey(_ + _)` into `defaultParallelism` partitions).
    pub fn count_by_value(&self) -> DStream<(T, u64)> {
        let p = Partitioner::hash(self.stream.core().sc.default_parallelism());
        self.map(|x| (x, 1u64)).reduce_by_key_with(p, |a, b| a + b)
    }

    /// The count of each distinct element over the last `window` of batches, every `slide`
    /// (Spark's `countByValueAndWindow`: the incremental window of `(x, 1)` counts, keeping
    /// only the counts that are not 0). Must checkpoint, so needs a checkpoint folder.
    pub fn count_by_value_and_window(
        &self,
        window: Duration,
        slide: Duration,
    ) -> DStream<(T, u64)> {
        let keyed = self.map(|x| (x, 1u64));
        let p = keyed.default_partitioner();
        reduce_by_key_and_window_inv(
            &keyed,
            Arc::new(|a, b| a + b),
            Arc::new(|a, b| a - b),
            window,
            slide,
            p,
            Some(Arc::new(|pair: &(T, u64)| pair.1 != 0)),
        )
    }
}

impl StreamingContext {
    /// The elements of all `streams`, batch by batch (Spark's `StreamingContext.union`, a
    /// `UnionDStream` over them). Spark's checks, with its messages, make `start()` fail: at
    /// least one stream ("List of DStreams to union is empty"), all of this context, all of
    /// one slide duration.
    pub fn union<T: Data>(&self, streams: &[DStream<T>]) -> DStream<T> {
        let parents: Vec<Arc<dyn TypedDStream<T>>> =
            streams.iter().map(|s| s.stream.clone()).collect();
        let (stream, mut checked) = UnionDStream::new(&self.env, parents);
        if checked.is_ok()
            && streams
                .iter()
                .any(|s| !std::sync::Weak::ptr_eq(&s.stream.core().ssc, &Arc::downgrade(&self.env)))
        {
            checked = Err(Error::InvalidArgument(
                "Some of the DStreams have different contexts".into(),
            ));
        }
        if let Err(e) = checked {
            self.env.report(e);
        }
        DStream::from_arc(Arc::new(stream))
    }
}
