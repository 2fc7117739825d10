//! The shared test kit: contexts, counting closures, failing closures.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sparklet::prelude::*;

/// A fresh context on `master`.
pub fn context(master: &str) -> SparkContext {
    SparkContext::new(SparkConf::new().set_master(master).set_app_name("test")).expect("context")
}

/// A context with extra settings.
pub fn context_with(master: &str, settings: &[(&str, &str)]) -> SparkContext {
    let mut conf = SparkConf::new().set_master(master).set_app_name("test");
    for (k, v) in settings {
        conf = conf.set(k, v);
    }
    SparkContext::new(conf).expect("context")
}

/// A counter shared with closures that run on executors.
#[derive(Clone, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub fn new() -> Counter {
        Counter::default()
    }
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
    pub fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

/// Sorts a vector (for comparing unordered results).
pub fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}
