//! Log lines (Spark's `Logging`): warnings go to standard error with the component's name.
//! Tests that need to see a problem observe the listener events instead.

/// Writes `WARN <component>: <message>` to standard error.
pub(crate) fn warn(component: &str, message: &str) {
    eprintln!("WARN {component}: {message}");
}
