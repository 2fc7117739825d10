//! DStreams made from one or more parents batch by batch: Spark's `MappedDStream`,
//! `FlatMappedDStream`, `FilteredDStream`, `MapPartitionedDStream`, `MapValuedDStream`,
//! `ShuffledDStream` and `TransformedDStream` (all "apply an RDD function to the parent's RDD of
//! the batch", so one type with Spark's class name), and `UnionDStream`.

use std::any::Any;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::rdd::Data;
use crate::streaming::dstream::{get_or_compute, DStreamBase, DStreamCore, TypedDStream};
use crate::streaming::env::StreamingEnv;
use crate::streaming::time::{Duration, Time};
use crate::Rdd;

/// The RDD function of a transformed stream.
pub(crate) type RddFn<T, U> = dyn Fn(&Rdd<T>, Time) -> Rdd<U> + Send + Sync;

/// A stream whose RDD at `t` is `f(parent's RDD at t, t)`.
pub(crate) struct TransformedDStream<T: Data, U: Data> {
    core: DStreamCore,
    parent: Arc<dyn TypedDStream<T>>,
    f: Arc<RddFn<T, U>>,
    class_name: &'static str,
}

impl<T: Data, U: Data> TransformedDStream<T, U> {
    pub(crate) fn new(
        ssc: &Arc<StreamingEnv>,
        parent: Arc<dyn TypedDStream<T>>,
        class_name: &'static str,
        f: Arc<RddFn<T, U>>,
    ) -> Self {
        TransformedDStream {
            core: DStreamCore::new(ssc, false),
            parent,
            f,
            class_name,
        }
    }
}

impl<T: Data, U: Data> DStreamBase for TransformedDStream<T, U> {
    fn core(&self) -> &DStreamCore {
        &self.core
    }
    fn slide_duration(&self) -> Duration {
        self.parent.slide_duration()
    }
    fn dependencies(&self) -> Vec<Arc<dyn DStreamBase>> {
        vec![self.parent.clone()]
    }
    fn class_name(&self) -> &'static str {
        self.class_name
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<T: Data, U: Data> TypedDStream<U> for TransformedDStream<T, U> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<U>>> {
        Ok(get_or_compute(&*self.parent, time)?.map(|rdd| (self.f)(&rdd, time)))
    }
}

/// Spark's `require`s on the parents of a `TransformedDStream` or `UnionDStream` (`what` is
/// "transform" or "union"), with Spark's messages: at least one, all of one context, all of
/// one slide duration.
pub(crate) fn check_parents(parents: &[&dyn DStreamBase], what: &str) -> Result<()> {
    let Some(first) = parents.first() else {
        return Err(Error::InvalidArgument(format!(
            "List of DStreams to {what} is empty"
        )));
    };
    if parents
        .iter()
        .any(|p| !std::sync::Weak::ptr_eq(&p.core().ssc, &first.core().ssc))
    {
        return Err(Error::InvalidArgument(
            "Some of the DStreams have different contexts".into(),
        ));
    }
    if parents
        .iter()
        .any(|p| p.slide_duration() != first.slide_duration())
    {
        return Err(Error::InvalidArgument(
            "Some of the DStreams have different slide durations".into(),
        ));
    }
    Ok(())
}

/// The RDD function of a stream transformed with another.
pub(crate) type RddFn2<T, U, V> = dyn Fn(&Rdd<T>, &Rdd<U>, Time) -> Rdd<V> + Send + Sync;

/// Spark's `TransformedDStream` over two parents (`transformWith`): the RDD at `t` is
/// `f(first parent's RDD at t, second parent's RDD at t, t)`. A parent with no RDD at a valid
/// time is Spark's error.
pub(crate) struct TransformedWithDStream<T: Data, U: Data, V: Data> {
    core: DStreamCore,
    first: Arc<dyn TypedDStream<T>>,
    second: Arc<dyn TypedDStream<U>>,
    f: Arc<RddFn2<T, U, V>>,
}

impl<T: Data, U: Data, V: Data> TransformedWithDStream<T, U, V> {
    /// Spark's checks on the parents come first; when they fail, the stream is still built
    /// (and the error returned beside it) so that the caller can report it and go on.
    pub(crate) fn new(
        ssc: &Arc<StreamingEnv>,
        first: Arc<dyn TypedDStream<T>>,
        second: Arc<dyn TypedDStream<U>>,
        f: Arc<RddFn2<T, U, V>>,
    ) -> (Self, Result<()>) {
        let checked = check_parents(&[&*first as &dyn DStreamBase, &*second], "transform");
        let stream = TransformedWithDStream {
            core: DStreamCore::new(ssc, false),
            first,
            second,
            f,
        };
        (stream, checked)
    }
}

impl<T: Data, U: Data, V: Data> DStreamBase for TransformedWithDStream<T, U, V> {
    fn core(&self) -> &DStreamCore {
        &self.core
    }
    fn slide_duration(&self) -> Duration {
        self.first.slide_duration()
    }
    fn dependencies(&self) -> Vec<Arc<dyn DStreamBase>> {
        vec![self.first.clone(), self.second.clone()]
    }
    fn class_name(&self) -> &'static str {
        "TransformedDStream"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<T: Data, U: Data, V: Data> TypedDStream<V> for TransformedWithDStream<T, U, V> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<V>>> {
        let missing =
            || Error::IllegalState(format!("Couldn't generate RDD from parent at time {time}"));
        let a = get_or_compute(&*self.first, time)?.ok_or_else(missing)?;
        let b = get_or_compute(&*self.second, time)?.ok_or_else(missing)?;
        Ok(Some((self.f)(&a, &b, time)))
    }
}

/// Spark's `UnionDStream`: the union of the parents' RDDs of each batch.
pub(crate) struct UnionDStream<T: Data> {
    core: DStreamCore,
    parents: Vec<Arc<dyn TypedDStream<T>>>,
    slide: Duration,
}

impl<T: Data> UnionDStream<T> {
    /// Spark's checks on the parents come first; when they fail, the stream is still built
    /// (and the error returned beside it) so that the caller can report it and go on.
    pub(crate) fn new(
        ssc: &Arc<StreamingEnv>,
        parents: Vec<Arc<dyn TypedDStream<T>>>,
    ) -> (Self, Result<()>) {
        let bases: Vec<&dyn DStreamBase> =
            parents.iter().map(|p| &**p as &dyn DStreamBase).collect();
        let checked = check_parents(&bases, "union");
        let slide = parents
            .first()
            .map(|p| p.slide_duration())
            .unwrap_or(ssc.batch_duration);
        let stream = UnionDStream {
            core: DStreamCore::new(ssc, false),
            parents,
            slide,
        };
        (stream, checked)
    }
}

impl<T: Data> DStreamBase for UnionDStream<T> {
    fn core(&self) -> &DStreamCore {
        &self.core
    }
    fn slide_duration(&self) -> Duration {
        self.slide
    }
    fn dependencies(&self) -> Vec<Arc<dyn DStreamBase>> {
        self.parents
            .iter()
            .map(|p| p.clone() as Arc<dyn DStreamBase>)
            .collect()
    }
    fn class_name(&self) -> &'static str {
        "UnionDStream"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<T: Data> TypedDStream<T> for UnionDStream<T> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        let mut rdds = Vec::with_capacity(self.parents.len());
        for p in &self.parents {
            match get_or_compute(&**p, time)? {
                Some(rdd) => rdds.push(rdd),
                None => {
                    return Err(Error::IllegalState(format!(
                        "Could not generate RDD from a parent for unifying at time {time}"
                    )))
                }
            }
        }
        if rdds.is_empty() {
            return Ok(None);
        }
        Ok(Some(crate::rdd::handle::union_all(&self.core.sc, rdds)))
    }
}
