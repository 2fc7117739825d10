//! The state handle passed to a mapWithState mapping function (Spark's `State` / `StateImpl`).
//!
//! One [`State`] is created per partition and reused for every record of that partition: before
//! each call of the mapping function, the record-update loop re-points it at the key's current
//! state with the crate-internal `wrap` (or `wrap_timing_out` for the final call made for an idle
//! key), then calls the function, then reads the outcome back with `is_removed`, `is_updated`,
//! [`exists`](State::exists) and `take` to decide whether to remove the key, put its new value,
//! or leave the state map alone.
//!
//! # The state machine of one call
//!
//! | from \ op      | `update(v)`                | `remove()`                  | `get()`                    |
//! |----------------|----------------------------|-----------------------------|----------------------------|
//! | fresh (none)   | ok → defined, updated      | ok → removed                | `Err(IllegalState)`        |
//! | fresh (some)   | ok → updated               | ok → removed                | the value                  |
//! | updated        | ok (the last value wins)   | ok → removed, not updated   | the value                  |
//! | removed        | panic                      | panic                       | `Err(IllegalState)`        |
//! | timing out     | panic                      | panic                       | the value                  |
//!
//! Where Spark throws `NoSuchElementException` from `get`, this returns
//! `Err(Error::IllegalState("State is not set"))`. Where Spark's `update` and `remove` fail a
//! `require`, these panic with Spark's exact message, `requirement failed: ` prefix included:
//! the panic fails the task, as the exception does in Spark. `remove` checks "timing out" before
//! "already removed", as Spark does.
//!
//! # Invariants
//!
//! - **The value is present exactly when the state is defined**: Spark's separate `defined` flag
//!   is `value.is_some()` here, so `exists()` and `get()` can never disagree.
//! - **`removed` and `updated` are never both set**: `remove` clears `updated`, and `update` is
//!   refused once `removed` is set.
//! - **A timing-out state is never updated or removed**, so it always still holds the last value.

use std::fmt;

use crate::{Error, Result};

/// The state of one key, as seen by one call of a mapWithState mapping function.
///
/// Check [`exists`](State::exists) before [`get`](State::get); call [`update`](State::update) to
/// set a new state or [`remove`](State::remove) to drop the key; a call made with
/// [`is_timing_out`](State::is_timing_out) true is the key's last, and may only read.
///
/// ```
/// use sparklet::streaming::State;
///
/// /// Counts the values seen for a key, and forgets the key once the count reaches 10.
/// fn count(_key: &String, value: Option<u64>, state: &mut State<u64>) -> Option<u64> {
///     if state.is_timing_out() {
///         return state.get_option().copied(); // the last count; update() would panic here
///     }
///     let seen = state.get_option().copied().unwrap_or(0) + value.map_or(0, |_| 1);
///     if seen >= 10 {
///         state.remove();
///     } else {
///         state.update(seen);
///     }
///     Some(seen)
/// }
/// # let _ = count;
/// ```
#[derive(Debug)]
pub struct State<S> {
    /// The state; `Some` exactly when Spark's `defined` flag is true.
    value: Option<S>,
    /// This is the final call for an idle key: reads only.
    timing_out: bool,
    /// `update` was called in this call (and not undone by `remove`).
    updated: bool,
    /// `remove` was called in this call.
    removed: bool,
}

impl<S> State<S> {
    /// Whether the state exists (Spark's `exists`).
    pub fn exists(&self) -> bool {
        self.value.is_some()
    }

    /// The state, or `Err(Error::IllegalState("State is not set"))` when there is none (Spark
    /// throws `NoSuchElementException` with that message).
    pub fn get(&self) -> Result<&S> {
        self.value
            .as_ref()
            .ok_or_else(|| Error::IllegalState("State is not set".to_string()))
    }

    /// The state if it exists (Spark's `getOption`).
    pub fn get_option(&self) -> Option<&S> {
        self.value.as_ref()
    }

    /// Sets the state. Allowed any number of times in one call; the last value wins.
    ///
    /// # Panics
    ///
    /// With "requirement failed: Cannot update the state after it has been removed" after
    /// [`remove`](State::remove), and "requirement failed: Cannot update the state that is timing
    /// out" when [`is_timing_out`](State::is_timing_out): the task fails, as in Spark.
    pub fn update(&mut self, new_state: S) {
        require(
            !self.removed,
            "Cannot update the state after it has been removed",
        );
        require(
            !self.timing_out,
            "Cannot update the state that is timing out",
        );
        self.value = Some(new_state);
        self.updated = true;
    }

    /// Removes the key's state at the end of this call, even if it did not exist.
    ///
    /// # Panics
    ///
    /// With "requirement failed: Cannot remove the state that is timing out" when
    /// [`is_timing_out`](State::is_timing_out) (checked first), and "requirement failed: Cannot
    /// remove the state that has already been removed" on a second call: the task fails.
    pub fn remove(&mut self) {
        require(
            !self.timing_out,
            "Cannot remove the state that is timing out",
        );
        require(
            !self.removed,
            "Cannot remove the state that has already been removed",
        );
        self.value = None;
        self.updated = false;
        self.removed = true;
    }

    /// Whether this is the final call for a key that has been idle longer than the timeout; the
    /// system removes the key after it, and `update` and `remove` panic during it.
    pub fn is_timing_out(&self) -> bool {
        self.timing_out
    }

    // ========= crate-internal: the record-update loop =========

    /// A handle with no state, ready to be [`wrap`](State::wrap)ped.
    pub(crate) fn new() -> Self {
        State {
            value: None,
            timing_out: false,
            updated: false,
            removed: false,
        }
    }

    /// Points the handle at `state` (None: the key has no state) and clears every flag.
    pub(crate) fn wrap(&mut self, state: Option<S>) {
        self.value = state;
        self.timing_out = false;
        self.updated = false;
        self.removed = false;
    }

    /// Points the handle at the last state of a key that is timing out: readable, not writable.
    pub(crate) fn wrap_timing_out(&mut self, state: S) {
        self.value = Some(state);
        self.timing_out = true;
        self.updated = false;
        self.removed = false;
    }

    /// Whether the call removed the state.
    pub(crate) fn is_removed(&self) -> bool {
        self.removed
    }

    /// Whether the call updated the state (and did not remove it afterwards).
    pub(crate) fn is_updated(&self) -> bool {
        self.updated
    }

    /// Moves the state out after the call, so the map can store it without a clone; the handle is
    /// left without a state until the next `wrap`.
    pub(crate) fn take(&mut self) -> Option<S> {
        self.value.take()
    }
}

/// Spark's `require`: an `IllegalArgumentException` there, a panic (a failed task) here.
fn require(condition: bool, message: &str) {
    if !condition {
        panic!("requirement failed: {message}");
    }
}

/// Spark's `toString`: the state's own text, or `<state not set>`.
impl<S: fmt::Display> fmt::Display for State<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(state) => state.fmt(f),
            None => f.write_str("<state not set>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// Runs `op` on `state` and returns its panic message, or None if it did not panic.
    fn panic_message(state: &mut State<i32>, op: impl FnOnce(&mut State<i32>)) -> Option<String> {
        let result = catch_unwind(AssertUnwindSafe(|| op(state)));
        result.err().map(|payload| {
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        })
    }

    fn fresh(value: Option<i32>) -> State<i32> {
        let mut state = State::new();
        state.wrap(value);
        state
    }

    fn timing_out(value: i32) -> State<i32> {
        let mut state = State::new();
        state.wrap_timing_out(value);
        state
    }

    const NOT_SET: &str = "State is not set";
    const UPDATE_REMOVED: &str =
        "requirement failed: Cannot update the state after it has been removed";
    const UPDATE_TIMING_OUT: &str =
        "requirement failed: Cannot update the state that is timing out";
    const REMOVE_TIMING_OUT: &str =
        "requirement failed: Cannot remove the state that is timing out";
    const REMOVE_REMOVED: &str =
        "requirement failed: Cannot remove the state that has already been removed";

    fn assert_flags(state: &State<i32>, exists: bool, updated: bool, removed: bool) {
        assert_eq!(
            (state.exists(), state.is_updated(), state.is_removed()),
            (exists, updated, removed)
        );
    }

    // ---- row "fresh (none)" ----

    #[test]
    fn fresh_none_update_defines_and_marks_updated() {
        let mut state = fresh(None);
        state.update(5);
        assert_flags(&state, true, true, false);
        assert_eq!(state.get(), Ok(&5));
    }

    #[test]
    fn fresh_none_remove_is_legal_and_marks_removed() {
        let mut state = fresh(None);
        state.remove();
        assert_flags(&state, false, false, true);
    }

    #[test]
    fn fresh_none_get_is_not_set() {
        let state = fresh(None);
        assert_eq!(state.get(), Err(Error::IllegalState(NOT_SET.into())));
        assert_eq!(state.get_option(), None);
        assert!(!state.exists());
        assert!(!state.is_timing_out());
    }

    // ---- row "fresh (some)" ----

    #[test]
    fn fresh_some_update_marks_updated() {
        let mut state = fresh(Some(1));
        assert_flags(&state, true, false, false);
        state.update(2);
        assert_flags(&state, true, true, false);
        assert_eq!(state.get(), Ok(&2));
    }

    #[test]
    fn fresh_some_remove_marks_removed() {
        let mut state = fresh(Some(1));
        state.remove();
        assert_flags(&state, false, false, true);
        assert_eq!(state.get_option(), None);
    }

    #[test]
    fn fresh_some_get_returns_the_value() {
        let state = fresh(Some(7));
        assert_eq!(state.get(), Ok(&7));
        assert_eq!(state.get_option(), Some(&7));
        assert!(!state.is_timing_out());
    }

    // ---- row "updated" ----

    #[test]
    fn updated_update_overwrites_last_value_wins() {
        let mut state = fresh(None);
        state.update(1);
        state.update(2);
        state.update(3);
        assert_flags(&state, true, true, false);
        assert_eq!(state.get(), Ok(&3));
    }

    #[test]
    fn updated_remove_is_legal_and_clears_updated() {
        let mut state = fresh(Some(1));
        state.update(2);
        state.remove();
        assert_flags(&state, false, false, true);
    }

    #[test]
    fn updated_get_returns_the_new_value() {
        let mut state = fresh(Some(1));
        state.update(9);
        assert_eq!(state.get(), Ok(&9));
    }

    // ---- row "removed" ----

    #[test]
    fn removed_update_panics_with_sparks_message() {
        for initial in [None, Some(1)] {
            let mut state = fresh(initial);
            state.remove();
            let msg = panic_message(&mut state, |s| s.update(2));
            assert_eq!(msg.as_deref(), Some(UPDATE_REMOVED));
        }
    }

    #[test]
    fn removed_remove_panics_with_sparks_message() {
        let mut state = fresh(Some(1));
        state.remove();
        let msg = panic_message(&mut state, |s| s.remove());
        assert_eq!(msg.as_deref(), Some(REMOVE_REMOVED));
    }

    #[test]
    fn removed_get_is_not_set() {
        let mut state = fresh(Some(1));
        state.remove();
        assert_eq!(state.get(), Err(Error::IllegalState(NOT_SET.into())));
    }

    // ---- row "timing out" ----

    #[test]
    fn timing_out_update_panics_with_sparks_message() {
        let mut state = timing_out(4);
        let msg = panic_message(&mut state, |s| s.update(5));
        assert_eq!(msg.as_deref(), Some(UPDATE_TIMING_OUT));
        assert_eq!(state.get(), Ok(&4), "a refused update leaves the value");
    }

    #[test]
    fn timing_out_remove_panics_with_sparks_message() {
        let mut state = timing_out(4);
        let msg = panic_message(&mut state, |s| s.remove());
        assert_eq!(msg.as_deref(), Some(REMOVE_TIMING_OUT));
        assert_flags(&state, true, false, false);
    }

    #[test]
    fn timing_out_get_returns_the_last_value() {
        let state = timing_out(4);
        assert!(state.is_timing_out());
        assert!(state.exists());
        assert_eq!(state.get(), Ok(&4));
        assert_eq!(state.get_option(), Some(&4));
    }

    // ---- internal reuse (S7) and display (S3) ----

    #[test]
    fn wrap_clears_every_flag_for_the_next_record() {
        let mut state = timing_out(1);
        state.wrap(Some(2));
        assert!(!state.is_timing_out());
        state.remove();
        state.wrap(None);
        assert_flags(&state, false, false, false);
        state.update(3);
        state.wrap_timing_out(4);
        assert_flags(&state, true, false, false);
        assert!(state.is_timing_out());
    }

    #[test]
    fn take_moves_the_value_out() {
        let mut state = fresh(Some(1));
        state.update(2);
        assert_eq!(state.take(), Some(2));
        assert!(!state.exists());
        assert_eq!(fresh(None).take(), None);
    }

    #[test]
    fn display_is_the_value_or_state_not_set() {
        assert_eq!(fresh(Some(42)).to_string(), "42");
        assert_eq!(fresh(None).to_string(), "<state not set>");
        let mut removed = fresh(Some(42));
        removed.remove();
        assert_eq!(removed.to_string(), "<state not set>");
        assert_eq!(timing_out(3).to_string(), "3");
    }
}
