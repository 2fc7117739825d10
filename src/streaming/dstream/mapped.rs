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

/// Spark's `UnionDStream`: the union of the parents' RDDs of each batch.
pub(crate) struct UnionDStream<T: Data> {
    core: DStreamCore,
    parents: Vec<Arc<dyn TypedDStream<T>>>,
}

impl<T: Data> UnionDStream<T> {
    pub(crate) fn new(
        ssc: &Arc<StreamingEnv>,
        parents: Vec<Arc<dyn TypedDStream<T>>>,
    ) -> Result<Self> {
        let slides: Vec<Duration> = parents.iter().map(|p| p.slide_duration()).collect();
        if slides.windows(2).any(|w| w[0] != w[1]) {
            return Err(Error::InvalidArgument(
                "Some of the DStreams have different slide durations".into(),
            ));
        }
        Ok(UnionDStream {
            core: DStreamCore::new(ssc, false),
            parents,
        })
    }
}

impl<T: Data> DStreamBase for UnionDStream<T> {
    fn core(&self) -> &DStreamCore {
        &self.core
    }
    fn slide_duration(&self) -> Duration {
        self.parents[0].slide_duration()
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
        Ok(Some(crate::rdd::handle::union_all(&self.core.sc, rdds)))
    }
}
