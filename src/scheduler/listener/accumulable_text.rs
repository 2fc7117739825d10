//! An accumulator's update or value as an [`AccumulableInfo`](super::AccumulableInfo) carries
//! it: its text (Spark's `value.toString`), made only when something reads it.
//!
//! Spark's `AccumulableInfo` holds the value itself (`Option[Any]`, a copy of the list for a
//! `CollectionAccumulator`) and `JsonProtocol` turns it into text when the event is written.
//! Here the driver merges a task's update, takes a copy of its value as Spark does, and the
//! text is made from that copy the first time it is read: when the event log writes the task's
//! end or a listener looks at it. Building the text of a large collection at every merge, as
//! an eager `String` would, costs more than the merge itself; a value nobody shows is never
//! rendered at all. Once made, the text is kept and the copy dropped.
//!
//! Layering: plain data; knows no accumulator type (the copy hides behind a closure).

use std::fmt;
use std::ops::Deref;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

/// Makes the text from the value's copy.
type Render = Box<dyn FnOnce() -> String + Send>;

/// The text of an accumulator's update or value (Spark's `value.toString`), made the first time
/// it is read (see the module doc). It reads as a `&str`, and compares and prints as its text.
///
/// ```
/// use sparklet::AccumulableText;
///
/// let text = AccumulableText::from("[1, 2]".to_string());
/// assert_eq!(text, "[1, 2]");
/// assert!("[1, 2]" == text && text == "[1, 2]".to_string());
/// assert_eq!(text.len(), 6);
/// assert_eq!(AccumulableText::from("3").parse::<i64>(), Ok(3));
/// assert_eq!(String::from(text.clone()), "[1, 2]");
/// assert_eq!(format!("{text} {text:?}"), "[1, 2] \"[1, 2]\"");
/// ```
#[derive(Clone)]
pub struct AccumulableText(Arc<Lazy>);

struct Lazy {
    text: OnceLock<String>,
    render: Mutex<Option<Render>>,
}

impl AccumulableText {
    /// A text that `render` makes when it is first read.
    pub(crate) fn lazy(render: impl FnOnce() -> String + Send + 'static) -> AccumulableText {
        AccumulableText(Arc::new(Lazy {
            text: OnceLock::new(),
            render: Mutex::new(Some(Box::new(render))),
        }))
    }

    /// The text (made now if it was not yet). An accumulator whose text panics reads as empty;
    /// the panic is logged.
    pub fn as_str(&self) -> &str {
        self.0.text.get_or_init(|| {
            let render = self.0.render.lock().take();
            let Some(render) = render else {
                return String::new();
            };
            catch_unwind(AssertUnwindSafe(render)).unwrap_or_else(|panic| {
                log::error!(
                    target: crate::logging::DAG_SCHEDULER,
                    "Failed to render an accumulator's value: {}",
                    crate::scheduler::task::panic_message(&*panic)
                );
                String::new()
            })
        })
    }
}

impl From<String> for AccumulableText {
    fn from(text: String) -> AccumulableText {
        AccumulableText(Arc::new(Lazy {
            text: OnceLock::from(text),
            render: Mutex::new(None),
        }))
    }
}

impl Deref for AccumulableText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for AccumulableText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for AccumulableText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for AccumulableText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for AccumulableText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for AccumulableText {}

impl PartialEq<str> for AccumulableText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for AccumulableText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for AccumulableText {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<AccumulableText> for str {
    fn eq(&self, other: &AccumulableText) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<AccumulableText> for &str {
    fn eq(&self, other: &AccumulableText) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<AccumulableText> for String {
    fn eq(&self, other: &AccumulableText) -> bool {
        self == other.as_str()
    }
}

impl From<&str> for AccumulableText {
    fn from(text: &str) -> AccumulableText {
        AccumulableText::from(text.to_string())
    }
}

impl From<AccumulableText> for String {
    fn from(text: AccumulableText) -> String {
        text.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The text is made once, on first read, and not before.
    #[test]
    fn renders_once_on_first_read() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let text = AccumulableText::lazy(move || {
            c.fetch_add(1, Ordering::SeqCst);
            "[a, b]".to_string()
        });
        let copy = text.clone();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(text, "[a, b]");
        assert_eq!(copy.as_str(), "[a, b]");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    /// A panicking render reads as empty instead of spreading the panic to the reader.
    #[test]
    fn a_panicking_render_reads_as_empty() {
        let text = AccumulableText::lazy(|| panic!("no text"));
        assert_eq!(text, "");
    }
}
