//! `WindowedDStream`: the union of the parent's RDDs over a sliding window.
//!
//! The RDD at `t` covers the parent's batches in `(t - window, t]`, which the parent must
//! remember: this stream asks its parents to remember `remember + window` (Spark's
//! `parentRememberDuration`). As in Spark, the parent is persisted (MEMORY_ONLY_SER) because each
//! of its RDDs is read by several windows.

use std::any::Any;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::rdd::Data;
use crate::storage::StorageLevel;
use crate::streaming::dstream::{get_or_compute, DStreamBase, DStreamCore, TypedDStream};
use crate::streaming::env::StreamingEnv;
use crate::streaming::time::{Duration, Time};
use crate::Rdd;

pub(crate) struct WindowedDStream<T: Data> {
    core: DStreamCore,
    parent: Arc<dyn TypedDStream<T>>,
    window: Duration,
    slide: Duration,
}

impl<T: Data> WindowedDStream<T> {
    pub(crate) fn new(
        ssc: &Arc<StreamingEnv>,
        parent: Arc<dyn TypedDStream<T>>,
        window: Duration,
        slide: Duration,
    ) -> Result<Self> {
        let parent_slide = parent.slide_duration();
        check_positive("windowed DStream", window, slide)?;
        if !window.is_multiple_of(parent_slide) {
            return Err(Error::InvalidArgument(format!(
                "The window duration of windowed DStream ({window}) must be a multiple of the slide \
                 duration of parent DStream ({parent_slide})"
            )));
        }
        if !slide.is_multiple_of(parent_slide) {
            return Err(Error::InvalidArgument(format!(
                "The slide duration of windowed DStream ({slide}) must be a multiple of the slide \
                 duration of parent DStream ({parent_slide})"
            )));
        }
        // Spark persists the parent of a window, overriding any level it had.
        *parent.core().storage_level.lock() = StorageLevel::MEMORY_ONLY_SER;
        Ok(WindowedDStream {
            core: DStreamCore::new(ssc, false),
            parent,
            window,
            slide,
        })
    }
}

/// Refuses a zero window or slide of the window stream `class`. Spark's `Duration.isMultipleOf`
/// accepts both (and `isTimeValid` then divides by zero); a zero one never outputs.
pub(crate) fn check_positive(class: &str, window: Duration, slide: Duration) -> Result<()> {
    if window.is_zero() {
        return Err(Error::InvalidArgument(format!(
            "The window duration of {class} ({window}) must be positive"
        )));
    }
    if slide.is_zero() {
        return Err(Error::InvalidArgument(format!(
            "The slide duration of {class} ({slide}) must be positive"
        )));
    }
    Ok(())
}

/// Spark's `DStream.slice`: the parent's RDDs at the slide-aligned times in `[from, to]`.
pub(crate) fn slice<T: Data>(
    stream: &dyn TypedDStream<T>,
    from: Time,
    to: Time,
) -> Result<Vec<Rdd<T>>> {
    let zero = (*stream.core().zero_time.lock()).ok_or_else(|| {
        Error::IllegalState(format!("{} has not been initialized", stream.class_name()))
    })?;
    let slide = stream.slide_duration();
    let align = |t: Time| -> Time {
        if t < zero {
            return zero;
        }
        zero + slide * ((t - zero) / slide)
    };
    let (from, to) = (align(from), align(to));
    let mut rdds = Vec::new();
    let mut t = from;
    while t <= to {
        if t > zero {
            if let Some(rdd) = get_or_compute(stream, t)? {
                rdds.push(rdd);
            }
        }
        t = t + slide;
    }
    Ok(rdds)
}

impl<T: Data> DStreamBase for WindowedDStream<T> {
    fn core(&self) -> &DStreamCore {
        &self.core
    }
    fn slide_duration(&self) -> Duration {
        self.slide
    }
    fn dependencies(&self) -> Vec<Arc<dyn DStreamBase>> {
        vec![self.parent.clone()]
    }
    fn class_name(&self) -> &'static str {
        "WindowedDStream"
    }
    fn parent_remember_duration(&self) -> Option<Duration> {
        (*self.core.remember_duration.lock()).map(|r| r + self.window)
    }
    fn persist_target(&self) -> Option<Arc<dyn DStreamBase>> {
        Some(self.parent.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<T: Data> TypedDStream<T> for WindowedDStream<T> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        let from = time - self.window + self.parent.slide_duration();
        let rdds = slice(&*self.parent, from, time)?;
        Ok(Some(crate::rdd::handle::union_all(&self.core.sc, rdds)))
    }
}
