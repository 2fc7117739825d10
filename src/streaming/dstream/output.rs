//! Output operations (Spark's `ForEachDStream`, `print`, `saveAsTextFiles`): the streams that
//! make jobs.

use std::any::Any;
use std::sync::Arc;

use crate::error::Result;
use crate::rdd::Data;
use crate::streaming::dstream::{get_or_compute, DStreamBase, DStreamCore, TypedDStream};
use crate::streaming::env::StreamingEnv;
use crate::streaming::graph::{OutputDStream, StreamingJob};
use crate::streaming::time::{Duration, Time};
use crate::Rdd;

/// The function of an output operation.
pub(crate) type ForEachFn<T> = dyn Fn(&Rdd<T>, Time) -> Result<()> + Send + Sync;

/// Spark's `ForEachDStream`.
pub(crate) struct ForEachDStream<T: Data> {
    core: DStreamCore,
    parent: Arc<dyn TypedDStream<T>>,
    f: Arc<ForEachFn<T>>,
}

impl<T: Data> ForEachDStream<T> {
    pub(crate) fn new(
        ssc: &Arc<StreamingEnv>,
        parent: Arc<dyn TypedDStream<T>>,
        f: Arc<ForEachFn<T>>,
    ) -> Self {
        ForEachDStream {
            core: DStreamCore::new(ssc, false),
            parent,
            f,
        }
    }
}

impl<T: Data> DStreamBase for ForEachDStream<T> {
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
        "ForEachDStream"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<T: Data> OutputDStream for ForEachDStream<T> {
    fn generate_job(&self, time: Time) -> Result<Option<StreamingJob>> {
        let Some(rdd) = get_or_compute(&*self.parent, time)? else {
            return Ok(None);
        };
        let f = self.f.clone();
        Ok(Some(Box::new(move || f(&rdd, time))))
    }
    fn as_base(self: Arc<Self>) -> Arc<dyn DStreamBase> {
        self
    }
}

/// How an element prints: Scala's `toString` of the value (see [`crate::scala_string`]), or
/// `Debug` when serde cannot describe it.
pub(crate) fn element_to_string<T: Data>(v: &T) -> String {
    crate::scala_string::scala_string(v).unwrap_or_else(|| format!("{v:?}"))
}

/// Spark's `DStream.print(num)` text for one batch, given the first `num + 1` elements.
pub(crate) fn print_batch<T: Data>(time: Time, first: &[T], num: usize) -> String {
    let mut out = String::new();
    out.push_str("-------------------------------------------\n");
    out.push_str(&format!("Time: {time}\n"));
    out.push_str("-------------------------------------------\n");
    for v in first.iter().take(num) {
        out.push_str(&element_to_string(v));
        out.push('\n');
    }
    if first.len() > num {
        out.push_str("...\n");
    }
    out.push('\n');
    out
}

/// Spark's `rddToFileName`: `prefix-<ms>[.suffix]`.
pub(crate) fn rdd_to_file_name(prefix: &str, suffix: &str, time: Time) -> String {
    if suffix.is_empty() {
        format!("{prefix}-{}", time.milliseconds())
    } else {
        format!("{prefix}-{}.{suffix}", time.milliseconds())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_like_spark() {
        let s = print_batch(
            Time::new(2000),
            &["a".to_string(), "b".to_string(), "c".to_string()],
            2,
        );
        assert_eq!(
            s,
            "-------------------------------------------\nTime: 2000 ms\n\
             -------------------------------------------\na\nb\n...\n\n"
        );
        let s = print_batch(Time::new(1000), &[("a".to_string(), 2)], 10);
        assert!(s.contains("\n(a,2)\n\n"), "{s}");
    }

    #[test]
    fn file_names_like_spark() {
        assert_eq!(
            rdd_to_file_name("out/x", "txt", Time::new(3000)),
            "out/x-3000.txt"
        );
        assert_eq!(rdd_to_file_name("out/x", "", Time::new(3000)), "out/x-3000");
    }
}
