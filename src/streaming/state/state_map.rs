//! The per-partition key → state store of mapWithState (Spark's `StateMap`, `EmptyStateMap` and
//! `OpenHashMapBasedStateMap`).
//!
//! # How it works
//!
//! Every batch, each partition's new state map is a [`copy`](StateMap::copy) of the previous
//! batch's map, and the batch's puts and removes go to the copy. As in Spark, a map is a chain
//! of **delta layers**: a layer holds only the keys written through it (`key → Live(state,
//! update time)` or `key → Deleted`, a tombstone) and points to its parent layer, down to a root
//! whose parent is empty. `copy()` makes a new empty layer over the old one, so it is O(1) and a
//! batch costs what the batch writes, not what the state holds.
//!
//! - [`get`](StateMap::get) walks down the chain and answers from the first layer that mentions
//!   the key (a tombstone answers `None`).
//! - [`get_all`](StateMap::get_all) / [`get_by_time`](StateMap::get_by_time) return every live
//!   entry once: a layer's entry counts only if no layer above mentions its key. Spark filters
//!   each parent's entries against each delta above it (O(entries × depth)); here one pass from
//!   the top keeps a set of the keys already shadowed, so the base layer (usually ~all keys) costs
//!   one set probe per entry whatever the depth.
//! - [`delta_chain_length`](StateMap::delta_chain_length) counts the layers below this one;
//!   [`should_compact`](StateMap::should_compact) is `length >= threshold` (default
//!   [`DELTA_CHAIN_LENGTH_THRESHOLD`]; the caller reads [`DELTA_CHAIN_THRESHOLD_KEY`] from the
//!   conf and passes it to [`create`](StateMap::create)).
//!
//! # Sharing and copy-on-write
//!
//! A handle holds its top layer in an `Arc`; `copy()` and `clone()` share layers, and a map is
//! `Send + Sync`, so one parent can serve several children on several threads. A write goes
//! through `Arc::make_mut`: a layer that nobody else holds is written in place (the streaming
//! case: the previous batch's map is never written after its copy); a shared layer is first
//! copied (its delta only). So a child never sees later writes to its parent: Spark's children
//! would, but Spark never writes a parent after copying it (SPARK_SEMANTICS M1), and this way no
//! write can ever reach another map.
//!
//! # Serialization doubles as compaction
//!
//! The serde form is Spark's `writeObject`: the delta-chain threshold, this layer's delta
//! (tombstones included), then the parent's live entries flattened into one `key → (state,
//! update time)` map. When [`should_compact`](StateMap::should_compact), the same pass builds that
//! flat parent in memory and swaps it in as the live map's parent (the parent pointer sits behind
//! a lock for this), so the chain becomes one layer deep; contents never change. Deserializing
//! always yields this delta over one flat parent (chain length 1), whatever the original depth.
//! Spark's `LimitMarker(count)` becomes serde's length prefix, and its count assertion a refusal
//! of duplicate parent keys; its size hint is not written, the length prefix is exact.
//!
//! The swap is visible to children made earlier (their chains get shorter too, as in Spark),
//! and the old layers are freed once no older map holds them. A chain that is never serialized
//! keeps growing, as in Spark; only serialization compacts.
//!
//! # Why a delta chain and not something faster
//!
//! A persistent hash trie (HAMT) would give O(1) copies and O(log n) reads with no chain to
//! walk. It was not used: the chain length, `should_compact`, and the serialized form (delta
//! with tombstones, then the parent flattened) are defined on delta layers, so a trie would
//! have to keep the deltas too and write every key twice. Compaction keeps chains near the
//! threshold, so a `get` is about 20 probes of small tables (about 0.25 µs for `u64` keys at
//! 250k entries). The costs that grow with the state (`get_all` and serialization) are the ones
//! made cheaper here, with one shadow set instead of a filter per layer.
//!
//! Maps use the crate's seedless `StableHasher`, so iteration order is the same in every run.
//!
//! # Departures from Spark
//!
//! - `put` on an `EmptyStateMap` returns `Err(Error::IllegalState)` (Spark throws
//!   `UnsupportedOperationException`), so no public call panics.
//! - Writes to a map after copying it stay out of its children (above).
//! - Update times are `u64` milliseconds; `get_all` / `get_by_time` return `Vec`s (order
//!   unspecified, but the same in every run: the hasher has no random seed).
//!
//! # Invariants
//!
//! - **A layer that another handle can see is never written**: writes go through `make_mut`.
//! - **Compaction never changes what any map reads**, only the shape of its chain.
//! - **`get_all` never yields a key twice**, and never a key whose nearest mention is a tombstone.
//! - **No lock is held while another is taken**, so readers, writers and compactions on several
//!   threads cannot deadlock; dropping a chain of any depth does not recurse.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use parking_lot::RwLock;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, SerializeStructVariant, Serializer};
use serde::{Deserialize, Serialize};

use crate::partitioner::StableBuildHasher;
use crate::{Error, Result};

/// Spark's `DELTA_CHAIN_LENGTH_THRESHOLD`: compact when the chain is this long.
pub const DELTA_CHAIN_LENGTH_THRESHOLD: usize = 20;
/// Spark's `DEFAULT_INITIAL_CAPACITY` of a root map's table.
pub const DEFAULT_INITIAL_CAPACITY: usize = 64;
/// The conf key the caller reads the delta-chain threshold from (default 20).
pub const DELTA_CHAIN_THRESHOLD_KEY: &str = "sparklet.streaming.sessionByKey.deltaChainThreshold";

/// One layer's writes. Spark's `OpenHashMap[K, StateInfo[S]]`.
type DeltaMap<K, S> = HashMap<K, StateInfo<S>, StableBuildHasher>;

/// What a layer says about a key: `Live(state, update_time)` or a tombstone (Spark's
/// `StateInfo(data, updateTime, deleted)`).
#[derive(Clone, Debug, Serialize, Deserialize)]
enum StateInfo<S> {
    Live(S, u64),
    Deleted,
}

impl<S> StateInfo<S> {
    fn state(&self) -> Option<&S> {
        match self {
            StateInfo::Live(state, _) => Some(state),
            StateInfo::Deleted => None,
        }
    }
}

/// A layer's parent: `None` is Spark's `EmptyStateMap` under a root layer.
type Parent<K, S> = Option<Arc<Layer<K, S>>>;

/// One delta layer of an `OpenHashMapBasedStateMap`.
struct Layer<K, S> {
    delta: DeltaMap<K, S>,
    /// Behind a lock only so that serialization can swap in a compacted parent through `&self`.
    parent: RwLock<Parent<K, S>>,
    /// Spark's `deltaChainThreshold`: compact once this many layers lie below.
    threshold: usize,
}

impl<K, S> Layer<K, S> {
    fn new(delta: DeltaMap<K, S>, parent: Parent<K, S>, threshold: usize) -> Arc<Self> {
        let parent = RwLock::new(parent);
        Arc::new(Layer {
            delta,
            parent,
            threshold,
        })
    }

    /// The layers below this one, nearest first (its length is the delta chain length).
    fn chain_below(&self) -> Vec<Arc<Layer<K, S>>> {
        let mut chain: Vec<Arc<Layer<K, S>>> = Vec::new();
        let mut next = self.parent.read().clone();
        while let Some(layer) = next {
            next = layer.parent.read().clone();
            chain.push(layer);
        }
        chain
    }
}

/// A copy of a shared layer, for copy-on-write: same delta, same parent.
impl<K: Clone, S: Clone> Clone for Layer<K, S> {
    fn clone(&self) -> Self {
        let (delta, threshold) = (self.delta.clone(), self.threshold);
        let parent = RwLock::new(self.parent.read().clone());
        Layer {
            delta,
            parent,
            threshold,
        }
    }
}

/// Unlinks the chain iteratively: a long chain must not overflow the stack when dropped.
impl<K, S> Drop for Layer<K, S> {
    fn drop(&mut self) {
        let mut next = self.parent.get_mut().take();
        while let Some(layer) = next {
            // `None` when still shared: its other owners keep the rest of the chain alive.
            next = Arc::into_inner(layer).and_then(|mut last| last.parent.get_mut().take());
        }
    }
}

/// Calls `f` once for every live entry of `chain` (top layer first): an entry counts only if
/// no layer above it mentions its key.
fn for_each_live<'a, K: Eq + Hash, S>(
    chain: &'a [Arc<Layer<K, S>>],
    mut f: impl FnMut(&'a K, &'a S, u64),
) {
    let mut shadowed: HashSet<&'a K, StableBuildHasher> = HashSet::default();
    for (depth, layer) in chain.iter().enumerate() {
        for (key, info) in &layer.delta {
            if let StateInfo::Live(state, update_time) = info {
                if !shadowed.contains(key) {
                    f(key, state, *update_time);
                }
            }
        }
        if depth + 1 < chain.len() {
            shadowed.extend(layer.delta.keys());
        }
    }
}

/// `value` as a usize if it is at least 1 (Spark's constructor `require`s).
fn at_least_one<N: TryInto<usize>>(value: N) -> Option<usize> {
    value.try_into().ok().filter(|&v| v >= 1)
}

/// The layers below a map's top at one moment (see [`StateMap::snapshot_below`]).
pub(crate) struct ChainSnapshot<K, S> {
    below: Vec<Arc<Layer<K, S>>>,
}

/// Identity of one `EmptyStateMap` instance (`copy()` must return the same instance).
struct EmptyInstance;

enum Kind<K, S> {
    /// Spark's `EmptyStateMap`.
    Empty(Arc<EmptyInstance>),
    /// Spark's `OpenHashMapBasedStateMap`: the top layer of a delta chain.
    Delta(Arc<Layer<K, S>>),
}

/// The state of every key of one partition, with each entry's last update time in ms.
///
/// Either Spark's `EmptyStateMap` ([`StateMap::empty`]) or an `OpenHashMapBasedStateMap`
/// ([`StateMap::create`]); see the module docs for the delta chain, copy-on-write and
/// compaction. `clone()` is cheap and shares layers; writes never reach another handle.
pub struct StateMap<K, S> {
    kind: Kind<K, S>,
}

impl<K, S> StateMap<K, S> {
    /// Spark's `StateMap.empty`: no entries; `put` is refused; `copy()` returns itself.
    pub fn empty() -> Self {
        let kind = Kind::Empty(Arc::new(EmptyInstance));
        StateMap { kind }
    }

    /// Spark's `new OpenHashMapBasedStateMap()`: an empty root map with the default threshold.
    pub fn new() -> Self {
        Self::root(DEFAULT_INITIAL_CAPACITY, DELTA_CHAIN_LENGTH_THRESHOLD)
    }

    /// Spark's `StateMap.create(conf)`: an empty root map that compacts at
    /// `delta_chain_threshold` (the value of [`DELTA_CHAIN_THRESHOLD_KEY`], default 20).
    /// `Err(InvalidArgument)` when it is below 1, as Spark's constructor `require` does.
    pub fn create(delta_chain_threshold: i64) -> Result<Self> {
        Self::with_capacity(DEFAULT_INITIAL_CAPACITY as i64, delta_chain_threshold)
    }

    /// An empty root map whose table starts with room for `initial_capacity` keys. Both
    /// arguments must be at least 1 (Spark's constructor checks), else `Err(InvalidArgument)`.
    pub fn with_capacity(initial_capacity: i64, delta_chain_threshold: i64) -> Result<Self> {
        let capacity = at_least_one(initial_capacity).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "Invalid initial capacity {initial_capacity}: a state map needs at least 1"
            ))
        })?;
        let threshold = at_least_one(delta_chain_threshold).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "Invalid delta chain threshold {delta_chain_threshold}: set \
                 {DELTA_CHAIN_THRESHOLD_KEY} to 1 or more (default {DELTA_CHAIN_LENGTH_THRESHOLD})"
            ))
        })?;
        Ok(Self::root(capacity, threshold))
    }

    fn root(capacity: usize, threshold: usize) -> Self {
        let delta = DeltaMap::with_capacity_and_hasher(capacity, StableBuildHasher::default());
        let kind = Kind::Delta(Layer::new(delta, None, threshold));
        StateMap { kind }
    }

    /// Spark's shallow `copy()`: a child map that reads through to this one. Writes to the child
    /// never affect this map. O(1). An `EmptyStateMap` returns itself.
    pub fn copy(&self) -> Self {
        let kind = match &self.kind {
            Kind::Empty(instance) => Kind::Empty(Arc::clone(instance)),
            Kind::Delta(top) => {
                let threshold = top.threshold;
                Kind::Delta(Layer::new(
                    DeltaMap::default(),
                    Some(Arc::clone(top)),
                    threshold,
                ))
            }
        };
        StateMap { kind }
    }

    /// Whether this is an `EmptyStateMap`.
    pub fn is_empty_state_map(&self) -> bool {
        matches!(self.kind, Kind::Empty(_))
    }

    /// Whether both handles are the same map instance (Scala's `eq`).
    pub fn ptr_eq(&self, other: &Self) -> bool {
        match (&self.kind, &other.kind) {
            (Kind::Empty(a), Kind::Empty(b)) => Arc::ptr_eq(a, b),
            (Kind::Delta(a), Kind::Delta(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The top layer; None for an `EmptyStateMap`.
    fn top(&self) -> Option<&Arc<Layer<K, S>>> {
        match &self.kind {
            Kind::Empty(_) => None,
            Kind::Delta(top) => Some(top),
        }
    }

    /// The number of delta layers below this map: 0 for a root (or empty) map.
    pub fn delta_chain_length(&self) -> usize {
        self.top().map_or(0, |top| top.chain_below().len())
    }

    /// Whether the chain is long enough that the next serialization should compact it.
    pub fn should_compact(&self) -> bool {
        let threshold = self.top().map_or(usize::MAX, |top| top.threshold);
        self.delta_chain_length() >= threshold
    }

    /// The sum of the delta sizes down the chain (tombstones and shadowed keys included): an
    /// over-estimate of the number of keys.
    pub fn approx_size(&self) -> usize {
        self.chain().iter().map(|layer| layer.delta.len()).sum()
    }

    /// This map's layers, top first.
    fn chain(&self) -> Vec<Arc<Layer<K, S>>> {
        let Some(top) = self.top() else {
            return Vec::new();
        };
        let mut chain = vec![Arc::clone(top)];
        chain.extend(top.chain_below());
        chain
    }
}

impl<K: Eq + Hash, S> StateMap<K, S> {
    /// Calls `f(key, state, update_time)` once per live entry, without cloning anything.
    pub fn for_each(&self, f: impl FnMut(&K, &S, u64)) {
        for_each_live(&self.chain(), f);
    }
}

impl<K: Clone + Eq + Hash, S: Clone> StateMap<K, S> {
    /// The state of `key`, if it has one: the answer of the nearest layer that mentions it.
    pub fn get(&self, key: &K) -> Option<S> {
        let mut next = self.top().cloned();
        while let Some(layer) = next {
            if let Some(info) = layer.delta.get(key) {
                return info.state().cloned();
            }
            next = layer.parent.read().clone();
        }
        None
    }

    /// The layers below this map's top, taken once for many reads in a row (see
    /// [`StateMap::get_in`]). Layers below the top never change (only a compaction may swap a
    /// parent for a flat layer with the same entries), so the snapshot stays right while the
    /// map's own top layer is written.
    pub(crate) fn snapshot_below(&self) -> ChainSnapshot<K, S> {
        ChainSnapshot {
            below: self.top().map(|top| top.chain_below()).unwrap_or_default(),
        }
    }

    /// [`StateMap::get`] through a snapshot of the layers below: no lock and no reference count
    /// per layer, which is what a batch's per-record reads cost otherwise.
    pub(crate) fn get_in(&self, below: &ChainSnapshot<K, S>, key: &K) -> Option<S> {
        if let Some(top) = self.top() {
            if let Some(info) = top.delta.get(key) {
                return info.state().cloned();
            }
        }
        for layer in &below.below {
            if let Some(info) = layer.delta.get(key) {
                return info.state().cloned();
            }
        }
        None
    }

    /// Every live `(key, state, update_time)` whose update time is STRICTLY below `threshold`.
    pub fn get_by_time(&self, threshold: u64) -> Vec<(K, S, u64)> {
        let mut out = Vec::new();
        self.for_each(|key, state, time| {
            if time < threshold {
                out.push((key.clone(), state.clone(), time));
            }
        });
        out
    }

    /// Every live `(key, state, update_time)`.
    pub fn get_all(&self) -> Vec<(K, S, u64)> {
        let mut out = Vec::with_capacity(self.approx_size());
        self.for_each(|key, state, time| out.push((key.clone(), state.clone(), time)));
        out
    }

    /// This map's own delta, copied first if another handle shares it; None if empty.
    fn delta_mut(&mut self) -> Option<&mut DeltaMap<K, S>> {
        match &mut self.kind {
            Kind::Empty(_) => None,
            Kind::Delta(top) => Some(&mut Arc::make_mut(top).delta),
        }
    }

    /// Adds or replaces the state of `key`. `Err(IllegalState)` on an `EmptyStateMap`, where
    /// Spark throws "put() should not be called on an EmptyStateMap".
    pub fn put(&mut self, key: K, state: S, update_time: u64) -> Result<()> {
        let message = "put() should not be called on an EmptyStateMap";
        let delta = self
            .delta_mut()
            .ok_or_else(|| Error::IllegalState(message.into()))?;
        delta.insert(key, StateInfo::Live(state, update_time));
        Ok(())
    }

    /// Removes `key` by writing a tombstone into this map's delta (even if the key is absent: a
    /// tombstone always shadows the parents). A no-op on an `EmptyStateMap`.
    pub fn remove(&mut self, key: &K) {
        let Some(delta) = self.delta_mut() else {
            return;
        };
        match delta.get_mut(key) {
            Some(info) => *info = StateInfo::Deleted,
            None => {
                delta.insert(key.clone(), StateInfo::Deleted);
            }
        }
    }
}

impl<K: fmt::Debug, S: fmt::Debug> StateMap<K, S> {
    /// Spark's `toDebugString`: each layer's delta, root first, indented by depth.
    pub fn to_debug_string(&self) -> String {
        let mut out = String::new();
        for (depth, layer) in self.chain().iter().rev().enumerate() {
            let tabs = match depth {
                0 => String::new(),
                d => format!("{}+--- ", "    ".repeat(d - 1)),
            };
            let entries = layer
                .delta
                .iter()
                .map(|(k, info)| format!("{k:?} -> {info:?}"));
            out.push('\n');
            out.push_str(&tabs);
            out.push_str(&entries.collect::<Vec<_>>().join(&format!("\n{tabs}")));
        }
        out
    }
}

impl<K, S> Default for StateMap<K, S> {
    fn default() -> Self {
        Self::new()
    }
}

/// Shares the layers; a later write to either handle copies the written layer first.
impl<K, S> Clone for StateMap<K, S> {
    fn clone(&self) -> Self {
        let kind = match &self.kind {
            Kind::Empty(instance) => Kind::Empty(Arc::clone(instance)),
            Kind::Delta(top) => Kind::Delta(Arc::clone(top)),
        };
        StateMap { kind }
    }
}

impl<K, S> fmt::Debug for StateMap<K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(top) = self.top() else {
            return f.write_str("EmptyStateMap");
        };
        f.debug_struct("OpenHashMapBasedStateMap")
            .field("delta_size", &top.delta.len())
            .field("delta_chain_length", &self.delta_chain_length())
            .field("approx_size", &self.approx_size())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Serialization: Spark's writeObjectInternal / readObjectInternal.
// ---------------------------------------------------------------------------------------------

/// The parent's live entries, written as one `key → (state, update_time)` map.
struct ParentEntries<'a, K, S>(&'a [(&'a K, &'a S, u64)]);

impl<K: Serialize, S: Serialize> Serialize for ParentEntries<'_, K, S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> std::result::Result<Z::Ok, Z::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for &(key, state, update_time) in self.0 {
            map.serialize_entry(key, &(state, update_time))?;
        }
        map.end()
    }
}

/// Writes the delta, then the parent flattened; compacts the live map when `should_compact`.
impl<K, S> Serialize for StateMap<K, S>
where
    K: Clone + Eq + Hash + Serialize,
    S: Clone + Serialize,
{
    fn serialize<Z: Serializer>(&self, serializer: Z) -> std::result::Result<Z::Ok, Z::Error> {
        let Some(top) = self.top() else {
            return serializer.serialize_unit_variant("StateMap", 0, "Empty");
        };
        let threshold = top.threshold;
        let below = top.chain_below();
        // Compacting builds the flat parent first and writes its entries; otherwise the live
        // entries are gathered from the chain as it is.
        let compacted =
            (below.len() >= threshold).then(|| Layer::new(flatten(&below), None, threshold));
        let mut entries = Vec::new();
        match &compacted {
            Some(flat) => {
                entries.reserve(flat.delta.len());
                for (key, info) in &flat.delta {
                    if let StateInfo::Live(state, time) = info {
                        entries.push((key, state, *time));
                    }
                }
            }
            None => {
                entries.reserve(below.iter().map(|l| l.delta.len()).sum());
                for_each_live(&below, |key, state, time| entries.push((key, state, time)));
            }
        }

        let mut map = serializer.serialize_struct_variant("StateMap", 1, "OpenHashMapBased", 3)?;
        map.serialize_field("delta_chain_threshold", &(threshold as u64))?;
        map.serialize_field("delta", &top.delta)?;
        map.serialize_field("parent", &ParentEntries(&entries))?;
        let written = map.end()?;
        drop(entries);
        if let Some(flat_parent) = compacted {
            *top.parent.write() = Some(flat_parent);
        }
        Ok(written)
    }
}

/// The live entries of a chain (top layer first) as one flat table: a copy of the root layer's
/// table (no rehashing) with the layers above it applied in order, oldest first. Costs the root
/// table's copy plus the deltas, not one insert per live entry.
fn flatten<K: Clone + Eq + Hash, S: Clone>(chain: &[Arc<Layer<K, S>>]) -> DeltaMap<K, S> {
    let Some((root, above)) = chain.split_last() else {
        return DeltaMap::default();
    };
    let mut flat = root.delta.clone();
    flat.retain(|_, info| matches!(info, StateInfo::Live(..)));
    for layer in above.iter().rev() {
        for (key, info) in &layer.delta {
            match info {
                StateInfo::Live(state, time) => {
                    flat.insert(key.clone(), StateInfo::Live(state.clone(), *time));
                }
                StateInfo::Deleted => {
                    flat.remove(key);
                }
            }
        }
    }
    flat
}

/// What [`StateMap`]'s `Serialize` writes, read back with derived code.
#[derive(Deserialize)]
#[serde(rename = "StateMap")]
#[serde(bound(deserialize = "K: DeserializeOwned + Eq + Hash, S: DeserializeOwned"))]
enum Wire<K, S> {
    Empty,
    OpenHashMapBased {
        delta_chain_threshold: u64,
        delta: DeltaMap<K, S>,
        parent: FlatParent<K, S>,
    },
}

/// The flattened parent, read straight into a layer's table; a repeated key is corruption.
struct FlatParent<K, S>(DeltaMap<K, S>);

impl<'de, K, S> Deserialize<'de> for FlatParent<K, S>
where
    K: DeserializeOwned + Eq + Hash,
    S: DeserializeOwned,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_map(FlatVisitor(PhantomData))
    }
}

struct FlatVisitor<K, S>(PhantomData<(K, S)>);

impl<'de, K, S> Visitor<'de> for FlatVisitor<K, S>
where
    K: DeserializeOwned + Eq + Hash,
    S: DeserializeOwned,
{
    type Value = FlatParent<K, S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of key -> (state, update time)")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut access: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        // Never trust a length read from bytes for more than 1 MiB up front.
        let cap = (1 << 20) / std::mem::size_of::<(K, StateInfo<S>)>().max(1);
        let len = access.size_hint().unwrap_or(0).min(cap);
        let mut flat = DeltaMap::with_capacity_and_hasher(len, Default::default());
        while let Some((key, (state, time))) = access.next_entry::<K, (S, u64)>()? {
            if flat.insert(key, StateInfo::Live(state, time)).is_some() {
                return Err(de::Error::custom(
                    "a key repeats in a state map's parent entries",
                ));
            }
        }
        Ok(FlatParent(flat))
    }
}

/// Always rebuilds this map's delta over one flat parent (chain length 1).
impl<'de, K, S> Deserialize<'de> for StateMap<K, S>
where
    K: DeserializeOwned + Eq + Hash,
    S: DeserializeOwned,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let (threshold, delta, parent) = match Wire::<K, S>::deserialize(deserializer)? {
            Wire::Empty => return Ok(StateMap::empty()),
            Wire::OpenHashMapBased {
                delta_chain_threshold,
                delta,
                parent,
            } => (delta_chain_threshold, delta, parent.0),
        };
        let threshold = at_least_one(threshold).ok_or_else(|| {
            de::Error::custom(format!("Invalid delta chain threshold {threshold}"))
        })?;
        let parent = Layer::new(parent, None, threshold);
        let kind = Kind::Delta(Layer::new(delta, Some(parent), threshold));
        Ok(StateMap { kind })
    }
}

#[cfg(test)]
mod tests;
