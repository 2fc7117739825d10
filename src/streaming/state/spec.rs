//! `StateSpec` (Spark's `StateSpec` / `StateSpecImpl`): everything `map_with_state` needs —
//! the mapping function, the initial state, the partitioner, the idle timeout and the state store.

use std::sync::Arc;

use crate::partitioner::Partitioner;
use crate::rdd::Data;
use crate::streaming::state::state_impl::State;
use crate::streaming::state::store::StateStore;
use crate::streaming::time::{Duration, Time};
use crate::Rdd;

/// The normalised mapping function: `(batch time, key, value, state) -> maybe an output`
/// (Spark's `(Time, K, Option[V], State[S]) => Option[T]`). `None` as value is the timeout call.
pub(crate) type MappingFunction<K, V, S, E> =
    dyn Fn(Time, &K, Option<V>, &mut State<S>) -> Option<E> + Send + Sync;

/// The specification of a `map_with_state` operation. Setters are builder style and
/// last-write-wins; `num_partitions(n)` is `partitioner(Partitioner::hash(n))`.
///
/// ```
/// use sparklet::prelude::*;
/// use sparklet::streaming::*;
/// let spec = StateSpec::function(|word: &String, one: Option<u32>, state: &mut State<u32>| {
///     let sum = one.unwrap_or(0) + state.get_option().copied().unwrap_or(0);
///     state.update(sum);
///     (word.clone(), sum)
/// })
/// .num_partitions(4)
/// .timeout(Duration::seconds(30));
/// # let _ = spec;
/// ```
pub struct StateSpec<K: Data, V: Data, S: Data, E: Data> {
    pub(crate) function: Arc<MappingFunction<K, V, S, E>>,
    pub(crate) initial_state: Option<Rdd<(K, S)>>,
    pub(crate) partitioner: Option<Partitioner>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) store: StateStore,
}

impl<K: Data, V: Data, S: Data, E: Data> Clone for StateSpec<K, V, S, E> {
    fn clone(&self) -> Self {
        StateSpec {
            function: self.function.clone(),
            initial_state: self.initial_state.clone(),
            partitioner: self.partitioner.clone(),
            timeout: self.timeout,
            store: self.store.clone(),
        }
    }
}

impl<K: Data, V: Data, S: Data, E: Data> StateSpec<K, V, S, E> {
    /// Spark's simple form `(K, Option[V], State[S]) => T`: every call emits exactly one
    /// element, the timeout call included.
    pub fn function(f: impl Fn(&K, Option<V>, &mut State<S>) -> E + Send + Sync + 'static) -> Self {
        Self::function_with_time(move |_, k, v, s| Some(f(k, v, s)))
    }

    /// Spark's advanced form `(Time, K, Option[V], State[S]) => Option[T]`: `None` emits nothing.
    pub fn function_with_time(
        f: impl Fn(Time, &K, Option<V>, &mut State<S>) -> Option<E> + Send + Sync + 'static,
    ) -> Self {
        StateSpec {
            function: Arc::new(f),
            initial_state: None,
            partitioner: None,
            timeout: None,
            store: StateStore::in_memory(),
        }
    }

    /// The RDD of `(key, state)` pairs the state starts from.
    pub fn initial_state(mut self, rdd: Rdd<(K, S)>) -> Self {
        self.initial_state = Some(rdd);
        self
    }

    /// `partitioner(Partitioner::hash(n))`.
    pub fn num_partitions(self, n: usize) -> Self {
        self.partitioner(Partitioner::hash(n))
    }

    /// The partitioner of the state RDDs (default: hash over `sc.default_parallelism()`).
    pub fn partitioner(mut self, p: Partitioner) -> Self {
        self.partitioner = Some(p);
        self
    }

    /// Keys idle for longer than `d` time out (found on checkpoint batches only, as in Spark).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    /// Where the state is kept: [`StateStore::in_memory`] (the default) or
    /// [`StateStore::redis`]. Results are the same either way.
    pub fn state_store(mut self, store: StateStore) -> Self {
        self.store = store;
        self
    }
}
