//! # sparklet
//!
//! Apache Spark's RDD core and Spark Streaming's state management, rebuilt in Rust and faithful
//! to how Spark works inside: lineage and dependencies, a DAG scheduler that cuts stages at
//! shuffles, executors that can die, persist through per-executor block managers, and
//! checkpoints that cut the lineage.
//!
//! ```
//! use sparklet::prelude::*;
//!
//! let sc = SparkContext::new(SparkConf::new().set_master("local[2]").set_app_name("wc")).unwrap();
//! let lines = sc.parallelize(vec!["a b".to_string(), "b c b".to_string()], 2);
//! let counts = lines
//!     .flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>())
//!     .map(|w| (w, 1))
//!     .reduce_by_key(|a, b| a + b);
//! let mut result = counts.collect().unwrap();
//! result.sort();
//! assert_eq!(result, vec![("a".into(), 1), ("b".into(), 3), ("c".into(), 1)]);
//! ```
//!
//! DESIGN.md in the repository is the map from each module to the Spark class it mirrors.

pub mod accumulator;
pub(crate) mod aggregator;
pub mod broadcast;
pub mod checkpoint;
pub mod conf;
pub(crate) mod context;
pub(crate) mod dependency;
pub(crate) mod env;
pub mod error;
pub mod event_log;
pub(crate) mod executor;
pub mod fault_injection;
pub(crate) mod logging;
pub(crate) mod partitioner;
pub(crate) mod rdd;
pub mod report;
pub(crate) mod scala_string;
pub(crate) mod scheduler;
pub mod serializer;
pub(crate) mod shuffle;
pub(crate) mod storage;
pub mod streaming;
pub(crate) mod task_context;
pub(crate) mod task_local;
pub mod ui;
pub(crate) mod util;

pub use accumulator::{
    Accumulator, AccumulatorV2, CollectionAccumulator, DoubleAccumulator, LongAccumulator,
};
pub use broadcast::Broadcast;
pub use conf::SparkConf;
pub use context::SparkContext;
pub use dependency::Dependency;
pub use error::{Error, Result};
pub use partitioner::{Partitioner, StableBuildHasher, StableHashMap, StableHasher};
pub use rdd::handle::Rdd;
pub use rdd::Data;
pub use scheduler::future_action::FutureAction;
pub use scheduler::listener::{
    AccumulableInfo, AccumulableText, EventLog, SparkListenerEvent, TaskEndKind,
};
pub use storage::{BlockStatus, RddInfo, StorageLevel};
pub use task_local::TaskContext;
pub use util::stat_counter::StatCounter;

/// Everything a program needs: `use sparklet::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Broadcast, Data, Dependency, Error, EventLog, FutureAction, Partitioner, Rdd, RddInfo,
        Result, SparkConf, SparkContext, SparkListenerEvent, StatCounter, StorageLevel,
        TaskEndKind,
    };
}
pub(crate) mod xxh64;
