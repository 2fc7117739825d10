//! Discretized streams (Spark's `DStream`): a sequence of RDDs, one per batch, and the machinery
//! from the user's walkthrough that makes and forgets them.
//!
//! As for RDDs there are three layers: [`DStreamBase`] (untyped: slide, dependencies, the
//! shared [`DStreamCore`] fields), [`TypedDStream<T>`] (whose one job is `compute(time)`), and
//! the user's [`DStream<T>`](crate::streaming::DStream) handle. Spark's final methods live here
//! once each:
//!
//! * [`get_or_compute`] — returns `generated_rdds[time]` if present; else, for a valid time,
//!   computes the RDD, persists it at the stream's storage level, marks it for checkpointing when
//!   `(time - zero_time)` is a multiple of the checkpoint interval, and remembers it;
//! * [`initialize`], [`remember`], [`validate_at_start`] — run over the graph at `start()`
//!   (zero time, default checkpoint interval, remember durations, Spark's checks);
//! * [`clear_metadata`] — after each batch, forgets (and unpersists) the RDDs older than the
//!   remember duration, then recurses into the dependencies.

pub(crate) mod handle;
pub(crate) mod mapped;
pub(crate) mod ops;
pub(crate) mod output;
pub(crate) mod pair;
pub(crate) mod reduced_window;
pub(crate) mod state_dstream;
pub(crate) mod window;

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::rdd::{Data, RddBase};
use crate::storage::StorageLevel;
use crate::streaming::env::StreamingEnv;
use crate::streaming::time::{Duration, Time};
use crate::{Rdd, SparkContext};

/// Spark's default checkpoint interval for streams that must checkpoint: the smallest multiple
/// of the slide that is at least this long.
pub(crate) const DEFAULT_MIN_CHECKPOINT: Duration = Duration::seconds(10);

/// A generated RDD, untyped for clearing and typed for reading.
#[derive(Clone)]
pub(crate) struct GeneratedRdd {
    pub(crate) base: Arc<dyn RddBase>,
    pub(crate) typed: Arc<dyn Any + Send + Sync>,
}

/// A stream's id within its context (Spark's `DStream.id`), in creation order: the key of the
/// per-stream maps of a metadata checkpoint, by which a rebuilt graph is matched.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub(crate) struct StreamId(pub(crate) usize);

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The fields every DStream shares (Spark's fields on `DStream`).
pub(crate) struct DStreamCore {
    pub(crate) id: usize,
    pub(crate) ssc: Weak<StreamingEnv>,
    pub(crate) sc: SparkContext,
    pub(crate) zero_time: Mutex<Option<Time>>,
    pub(crate) remember_duration: Mutex<Option<Duration>>,
    pub(crate) checkpoint_duration: Mutex<Option<Duration>>,
    pub(crate) storage_level: Mutex<StorageLevel>,
    pub(crate) must_checkpoint: bool,
    pub(crate) generated: Mutex<BTreeMap<Time, GeneratedRdd>>,
    /// Reads back a checkpointed RDD of this stream's element type (set by the typed handle).
    pub(crate) restorer: std::sync::OnceLock<Restorer>,
    /// The Rust type name of the elements (set by the typed handle), recorded in metadata
    /// checkpoints.
    pub(crate) element_type: std::sync::OnceLock<&'static str>,
    /// Spark's `DStreamCheckpointData`: every checkpoint folder of this stream's RDDs seen so
    /// far, by batch time.
    pub(crate) checkpoint_files: Mutex<BTreeMap<Time, std::path::PathBuf>>,
}

/// Rebuilds a generated RDD from its checkpoint folder (Spark's `sc.checkpointFile`).
pub(crate) type Restorer = Box<dyn Fn(&std::path::Path) -> Result<GeneratedRdd> + Send + Sync>;

impl DStreamCore {
    /// The core of a new stream of `ssc`. Creating a stream after `start()` is refused, as in
    /// Spark; the refusal is reported by the next call that returns a `Result`.
    pub(crate) fn new(ssc: &Arc<StreamingEnv>, must_checkpoint: bool) -> DStreamCore {
        ssc.check_can_add_stream();
        DStreamCore {
            id: ssc.new_stream_id(),
            ssc: Arc::downgrade(ssc),
            sc: ssc.sc.clone(),
            zero_time: Mutex::new(None),
            remember_duration: Mutex::new(None),
            checkpoint_duration: Mutex::new(None),
            storage_level: Mutex::new(StorageLevel::NONE),
            must_checkpoint,
            generated: Mutex::new(BTreeMap::new()),
            restorer: std::sync::OnceLock::new(),
            element_type: std::sync::OnceLock::new(),
            checkpoint_files: Mutex::new(BTreeMap::new()),
        }
    }

    /// The streaming context, while it lives.
    pub(crate) fn ssc(&self) -> Result<Arc<StreamingEnv>> {
        self.ssc.upgrade().ok_or_else(|| {
            Error::IllegalState("the StreamingContext of this DStream is gone".into())
        })
    }

    pub(crate) fn is_initialized(&self) -> bool {
        self.zero_time.lock().is_some()
    }

    /// The stream's id as a [`StreamId`] (`id` stays a `usize` for the receiver code).
    pub(crate) fn stream_id(&self) -> StreamId {
        StreamId(self.id)
    }
}

/// The untyped face of a DStream.
pub(crate) trait DStreamBase: Send + Sync + 'static {
    fn core(&self) -> &DStreamCore;
    /// The interval between this stream's RDDs.
    fn slide_duration(&self) -> Duration;
    /// The streams this one is computed from.
    fn dependencies(&self) -> Vec<Arc<dyn DStreamBase>>;
    /// Spark's class name (`MappedDStream`, `StateDStream`, ...).
    fn class_name(&self) -> &'static str;
    /// How long parents must remember their RDDs for this stream (windows need more).
    fn parent_remember_duration(&self) -> Option<Duration> {
        *self.core().remember_duration.lock()
    }
    /// A checkpoint interval to set, when none was set, before the generic default applies
    /// (Spark's `InternalMapWithStateDStream.initialize` sets 10 × slide).
    fn initial_checkpoint_duration(&self) -> Option<Duration> {
        None
    }
    /// The stream `checkpoint(interval)` applies to: itself, except for Spark's
    /// `MapWithStateDStreamImpl`, which forwards to its internal state stream.
    fn checkpoint_target(&self) -> Option<Arc<dyn DStreamBase>> {
        None
    }
    /// The stream `persist(level)` applies to: itself, except for Spark's `WindowedDStream`,
    /// which persists its parent instead (its RDDs are unions sharing the parent's RDDs).
    fn persist_target(&self) -> Option<Arc<dyn DStreamBase>> {
        None
    }
    /// The keys of a stateful stream's state after the batch at `time`, from what that batch
    /// computed (`None` for streams without state, or when nothing was computed).
    fn state_keys(&self, _time: Time) -> Option<u64> {
        None
    }
    fn as_any(&self) -> &dyn Any;
}

/// A typed DStream: computes the RDD of a batch.
pub(crate) trait TypedDStream<T: Data>: DStreamBase {
    /// The RDD of the batch at `time`, or `None` when the stream has none. Called only by
    /// [`get_or_compute`].
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>>;
}

/// Spark's `isTimeValid`: after zero time, on the slide.
pub(crate) fn is_time_valid(stream: &dyn DStreamBase, time: Time) -> Result<bool> {
    let zero = (*stream.core().zero_time.lock()).ok_or_else(|| {
        Error::IllegalState(format!("{} has not been initialized", stream.class_name()))
    })?;
    Ok(time > zero && (time - zero).is_multiple_of(stream.slide_duration()))
}

/// Spark's final `getOrCompute`.
pub(crate) fn get_or_compute<T: Data>(
    stream: &dyn TypedDStream<T>,
    time: Time,
) -> Result<Option<Rdd<T>>> {
    let core = stream.core();
    if let Some(g) = core.generated.lock().get(&time) {
        return Ok(g.typed.downcast_ref::<Rdd<T>>().cloned());
    }
    if !is_time_valid(stream, time)? {
        return Ok(None);
    }
    let Some(rdd) = stream.compute(time)? else {
        return Ok(None);
    };
    let level = *core.storage_level.lock();
    if level != StorageLevel::NONE {
        rdd.persist(level)?;
    }
    let zero = (*core.zero_time.lock()).expect("is_time_valid checked the stream is initialized");
    if let Some(interval) = *core.checkpoint_duration.lock() {
        if time.is_multiple_of_since(zero, interval) {
            rdd.checkpoint()?;
        }
    }
    core.generated.lock().insert(
        time,
        GeneratedRdd {
            base: rdd.base(),
            typed: Arc::new(rdd.clone()),
        },
    );
    Ok(Some(rdd))
}

/// Spark's `DStream.initialize(zeroTime)` (D2), recursing into the dependencies.
pub(crate) fn initialize(stream: &dyn DStreamBase, zero: Time) -> Result<()> {
    let core = stream.core();
    {
        let mut z = core.zero_time.lock();
        if let Some(existing) = *z {
            if existing != zero {
                return Err(Error::IllegalState(format!(
                    "ZeroTime is already initialized to {existing}, cannot initialize it again to {zero}"
                )));
            }
        }
        *z = Some(zero);
    }
    let slide = stream.slide_duration();
    let mut checkpoint = core.checkpoint_duration.lock();
    if checkpoint.is_none() {
        if let Some(d) = stream.initial_checkpoint_duration() {
            *checkpoint = Some(d);
        }
    }
    if core.must_checkpoint && checkpoint.is_none() {
        let n = DEFAULT_MIN_CHECKPOINT.milliseconds_ceil_div(slide);
        *checkpoint = Some(slide * n.max(1));
    }
    let mut min_remember = slide;
    if let Some(cp) = *checkpoint {
        if min_remember <= cp {
            min_remember = cp * 2;
        }
    }
    drop(checkpoint);
    {
        let mut r = core.remember_duration.lock();
        if r.is_none_or_less(min_remember) {
            *r = Some(min_remember);
        }
    }
    for dep in stream.dependencies() {
        initialize(&*dep, zero)?;
    }
    Ok(())
}

/// Spark's `DStream.remember(duration)` (D3).
pub(crate) fn remember(stream: &dyn DStreamBase, d: Option<Duration>) {
    if let Some(d) = d {
        let mut r = stream.core().remember_duration.lock();
        if r.is_none_or_less(d) {
            *r = Some(d);
        }
    }
    let parent = stream.parent_remember_duration();
    for dep in stream.dependencies() {
        remember(&*dep, parent);
    }
}

/// Spark's `DStream.validateAtStart` (D4), with Spark's messages.
pub(crate) fn validate_at_start(stream: &dyn DStreamBase, has_checkpoint_dir: bool) -> Result<()> {
    let core = stream.core();
    let name = stream.class_name();
    let slide = stream.slide_duration();
    let remember = *core.remember_duration.lock();
    let checkpoint = *core.checkpoint_duration.lock();
    let level = *core.storage_level.lock();
    if remember.is_none() {
        return Err(Error::IllegalState(format!(
            "Remember duration is set to null for {name}"
        )));
    }
    if core.must_checkpoint && checkpoint.is_none() {
        return Err(Error::InvalidArgument(format!(
            "The checkpoint interval for {name} has not been set. Please use DStream.checkpoint() \
             to set the interval."
        )));
    }
    if let Some(cp) = checkpoint {
        if !has_checkpoint_dir {
            return Err(Error::CheckpointDirNotSet(
                "The checkpoint directory has not been set. Please set it by \
                 StreamingContext.checkpoint()."
                    .into(),
            ));
        }
        if cp < slide {
            return Err(Error::InvalidArgument(format!(
                "The checkpoint interval for {name} has been set to {cp} which is lower than its \
                 slide time ({slide}). Please set it to at least {slide}."
            )));
        }
        if !cp.is_multiple_of(slide) {
            return Err(Error::InvalidArgument(format!(
                "The checkpoint interval for {name} has been set to {cp} which not a multiple of \
                 its slide time ({slide}). Please set it to a multiple of {slide}."
            )));
        }
        if level == StorageLevel::NONE {
            return Err(Error::InvalidArgument(format!(
                "{name} has been marked for checkpointing but the storage level has not been set \
                 to enable persisting. Please use DStream.persist() to set the storage level to \
                 use memory for better checkpointing performance."
            )));
        }
        if let Some(r) = remember {
            if r <= cp {
                return Err(Error::InvalidArgument(format!(
                    "The remember duration for {name} has been set to {r} which is not more than \
                     the checkpoint interval ({cp}). Please set it to a value higher than {cp}."
                )));
            }
        }
    }
    for dep in stream.dependencies() {
        validate_at_start(&*dep, has_checkpoint_dir)?;
    }
    Ok(())
}

/// Spark's `DStream.clearMetadata(time)` (D9): forgets the RDDs older than the remember
/// duration, unpersisting them when `unpersist` is set.
pub(crate) fn clear_metadata(stream: &dyn DStreamBase, time: Time, unpersist: bool) {
    let core = stream.core();
    if let Some(remember) = *core.remember_duration.lock() {
        let limit = time - remember;
        let old: Vec<GeneratedRdd> = {
            let mut generated = core.generated.lock();
            let keep = generated.split_off(&(limit + Duration::milliseconds(1)));
            let old = std::mem::replace(&mut *generated, keep);
            old.into_values().collect()
        };
        if unpersist {
            for g in old {
                crate::rdd::unpersist(&g.base, false);
            }
        }
    }
    for dep in stream.dependencies() {
        clear_metadata(&*dep, time, unpersist);
    }
}

/// Helpers on optional durations.
trait OptionDuration {
    fn is_none_or_less(&self, d: Duration) -> bool;
}

impl OptionDuration for Option<Duration> {
    fn is_none_or_less(&self, d: Duration) -> bool {
        self.is_none_or(|r| r < d)
    }
}

impl Duration {
    /// `ceil(self / other)`.
    pub(crate) fn milliseconds_ceil_div(&self, other: Duration) -> u64 {
        use crate::streaming::time::DurationMillis;
        let (a, b) = (self.milliseconds(), other.milliseconds());
        if b == 0 {
            0
        } else {
            a.div_ceil(b)
        }
    }
}
