//! The user's handle on a DStream: [`DStream<T>`] with Spark's transformations and outputs.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::rdd::{BoxIter, Data};
use crate::storage::StorageLevel;
use crate::streaming::dstream::mapped::{TransformedDStream, UnionDStream};
use crate::streaming::dstream::output::{print_batch, rdd_to_file_name, ForEachDStream};
use crate::streaming::dstream::window::WindowedDStream;
use crate::streaming::dstream::{DStreamBase, TypedDStream};
use crate::streaming::env::StreamingEnv;
use crate::streaming::time::{Duration, Time};
use crate::Rdd;

/// A discretized stream of `T`: one RDD per batch. A cheap-to-clone handle; transformations
/// return new streams, output operations register jobs run at every batch.
pub struct DStream<T: Data> {
    pub(crate) stream: Arc<dyn TypedDStream<T>>,
}

impl<T: Data> Clone for DStream<T> {
    fn clone(&self) -> Self {
        DStream {
            stream: self.stream.clone(),
        }
    }
}

impl<T: Data> std::fmt::Debug for DStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.stream.class_name(), self.stream.core().id)
    }
}

impl<T: Data> DStream<T> {
    pub(crate) fn from_arc(stream: Arc<dyn TypedDStream<T>>) -> DStream<T> {
        let sc = stream.core().sc.clone();
        let _ = stream.core().element_type.set(std::any::type_name::<T>());
        let _ = stream.core().restorer.set(Box::new(move |path| {
            let rdd = sc.checkpoint_file::<T>(path)?;
            Ok(crate::streaming::dstream::GeneratedRdd {
                base: rdd.base(),
                typed: Arc::new(rdd),
            })
        }));
        DStream { stream }
    }

    /// The stream's context; once it is dropped, a stopped context of its own that nothing
    /// runs: the streams built on it are inert and register no output, so a DStream method
    /// called after its StreamingContext is gone does nothing instead of panicking.
    pub(crate) fn ssc(&self) -> Arc<StreamingEnv> {
        self.stream.core().ssc().unwrap_or_else(|_| {
            StreamingEnv::orphan(&self.stream.core().sc, self.stream.slide_duration())
        })
    }

    /// A stream whose RDD of each batch is `f(rdd, time)`, with Spark's class name.
    pub(crate) fn transform_named<U: Data>(
        &self,
        class_name: &'static str,
        f: impl Fn(&Rdd<T>, Time) -> Rdd<U> + Send + Sync + 'static,
    ) -> DStream<U> {
        DStream::from_arc(Arc::new(TransformedDStream::new(
            &self.ssc(),
            self.stream.clone(),
            class_name,
            Arc::new(f),
        )))
    }

    /// Applies `f` to every element.
    pub fn map<U: Data>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> DStream<U> {
        let f = Arc::new(f);
        self.transform_named("MappedDStream", move |rdd, _| {
            let f = f.clone();
            rdd.map(move |x| f(x))
        })
    }

    /// Applies `f` to every element and flattens the results.
    pub fn flat_map<I>(&self, f: impl Fn(T) -> I + Send + Sync + 'static) -> DStream<I::Item>
    where
        I: IntoIterator + 'static,
        I::IntoIter: 'static,
        I::Item: Data,
    {
        let f = Arc::new(f);
        self.transform_named("FlatMappedDStream", move |rdd, _| {
            let f = f.clone();
            rdd.flat_map(move |x| f(x))
        })
    }

    /// Keeps the elements for which `f` is true.
    pub fn filter(&self, f: impl Fn(&T) -> bool + Send + Sync + 'static) -> DStream<T> {
        let f = Arc::new(f);
        self.transform_named("FilteredDStream", move |rdd, _| {
            let f = f.clone();
            rdd.filter(move |x| f(x))
        })
    }

    /// Applies `f` to each partition of each batch.
    pub fn map_partitions<I>(
        &self,
        f: impl Fn(Box<dyn Iterator<Item = T>>) -> I + Send + Sync + 'static,
    ) -> DStream<I::Item>
    where
        I: IntoIterator + 'static,
        I::IntoIter: 'static,
        I::Item: Data,
    {
        let f = Arc::new(f);
        self.transform_named("MapPartitionedDStream", move |rdd, _| {
            let f = f.clone();
            rdd.map_partitions(move |it: BoxIter<T>| f(it))
        })
    }

    /// The elements of both streams, batch by batch.
    pub fn union(&self, other: &DStream<T>) -> DStream<T> {
        let ssc = self.ssc();
        let (u, checked) = UnionDStream::new(&ssc, vec![self.stream.clone(), other.stream.clone()]);
        if let Err(e) = checked {
            ssc.report(e);
        }
        DStream::from_arc(Arc::new(u))
    }

    /// The number of elements of each batch (one element per batch, 0 included).
    pub fn count(&self) -> DStream<usize> {
        let counted = self
            .map(|_| ((), 1usize))
            .transform_named("TransformedDStream", |rdd, _| {
                rdd.union(&rdd.context().parallelize(vec![((), 0usize)], 1))
            });
        counted.reduce_by_key(|a, b| a + b).map(|((), n)| n)
    }

    /// A stream whose RDD of each batch is `f(rdd, time)`.
    pub fn transform<U: Data>(
        &self,
        f: impl Fn(&Rdd<T>, Time) -> Rdd<U> + Send + Sync + 'static,
    ) -> DStream<U> {
        self.transform_named("TransformedDStream", f)
    }

    /// The union of the last `window` of batches, every `slide`.
    pub fn window(&self, window: Duration, slide: Duration) -> DStream<T> {
        let ssc = self.ssc();
        match WindowedDStream::new(&ssc, self.stream.clone(), window, slide) {
            Ok(w) => DStream::from_arc(Arc::new(w)),
            Err(e) => {
                ssc.report(e);
                self.clone()
            }
        }
    }

    /// Persists each batch's RDD at `level`. Refused after start, as in Spark. A window
    /// persists its parent instead, as Spark's `WindowedDStream.persist` (its RDDs are unions
    /// of the parent's, which persisting them would copy).
    pub fn persist(&self, level: StorageLevel) -> DStream<T> {
        let mut target: Arc<dyn DStreamBase> = self.stream.clone();
        while let Some(parent) = target.persist_target() {
            target = parent;
        }
        if target.core().is_initialized() {
            self.ssc().report(Error::IllegalState(
                "Cannot change storage level of a DStream after streaming context has started"
                    .into(),
            ));
        } else {
            *target.core().storage_level.lock() = level;
        }
        self.clone()
    }

    /// `persist(MEMORY_ONLY_SER)`, the DStream default.
    pub fn cache(&self) -> DStream<T> {
        self.persist(StorageLevel::MEMORY_ONLY_SER)
    }

    /// Checkpoints the stream's RDDs every `interval` (and persists them, MEMORY_ONLY_SER).
    pub fn checkpoint(&self, interval: Duration) -> DStream<T> {
        let target: Arc<dyn DStreamBase> = self
            .stream
            .checkpoint_target()
            .unwrap_or_else(|| self.stream.clone());
        let core = target.core();
        if core.is_initialized() {
            self.ssc().report(Error::IllegalState(
                "Cannot change checkpoint interval of a DStream after streaming context has started".into(),
            ));
        } else {
            *core.storage_level.lock() = StorageLevel::MEMORY_ONLY_SER;
            *core.checkpoint_duration.lock() = Some(interval);
        }
        self.clone()
    }

    /// The interval between the stream's RDDs.
    pub fn slide_duration(&self) -> Duration {
        self.stream.slide_duration()
    }

    /// The batch times whose RDDs the stream holds now (Spark's `generatedRDDs.keys`).
    pub fn generated_rdd_times(&self) -> Vec<Time> {
        self.stream
            .core()
            .generated
            .lock()
            .keys()
            .copied()
            .collect()
    }

    /// The checkpoint interval, once set (explicitly, or at start).
    pub fn checkpoint_interval(&self) -> Option<Duration> {
        *self.stream.core().checkpoint_duration.lock()
    }

    /// The remember duration, once set at start.
    pub fn remember_duration(&self) -> Option<Duration> {
        *self.stream.core().remember_duration.lock()
    }

    /// The storage level of the stream's RDDs.
    pub fn storage_level(&self) -> StorageLevel {
        *self.stream.core().storage_level.lock()
    }

    /// Registers `f` to run on each batch's RDD (an output operation).
    pub fn foreach_rdd(&self, f: impl Fn(&Rdd<T>, Time) -> Result<()> + Send + Sync + 'static) {
        let ssc = self.ssc();
        let out = Arc::new(ForEachDStream::new(&ssc, self.stream.clone(), Arc::new(f)));
        // Refused after start (DStreamCore::new reported it); never registered, as in Spark
        // where the constructor throws.
        if ssc.is_initialized_state() {
            ssc.graph.lock().outputs.push(out);
        }
    }

    /// Prints the first `n` elements of each batch, in Spark's format (`n = usize::MAX`
    /// prints them all).
    pub fn print(&self, n: usize) {
        self.foreach_rdd(move |rdd, time| {
            let first = rdd.take(n.saturating_add(1))?;
            print!("{}", print_batch(time, &first, n));
            Ok(())
        });
    }

    /// Saves each batch as text files in a folder `prefix-<ms>[.suffix]`.
    pub fn save_as_text_files(&self, prefix: &str, suffix: &str) {
        let (prefix, suffix) = (prefix.to_string(), suffix.to_string());
        self.foreach_rdd(move |rdd, time| {
            let dir = std::path::PathBuf::from(rdd_to_file_name(&prefix, &suffix, time));
            // Streaming turns output checks off (SPARK-4835): a batch re-run after recovery
            // overwrites its own output.
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            }
            save_as_text_file(rdd, &dir)
        });
    }
}

/// Spark's `saveAsTextFile` ([`Rdd::save_as_text_file`]): one `part-NNNNN` file per
/// partition, one element per line, then `_SUCCESS`.
pub(crate) fn save_as_text_file<T: Data>(rdd: &Rdd<T>, dir: &std::path::Path) -> Result<()> {
    rdd.save_as_text_file(dir)
}
