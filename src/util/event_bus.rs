//! Spark's `ListenerBus[L, E]` and `AsyncEventQueue`: the one event bus behind both the
//! context's listener bus (`scheduler::listener::ListenerBus`, Spark's `LiveListenerBus`) and
//! the streaming context's (`streaming::listener::StreamingListenerBus`).
//!
//! # How it works
//!
//! [`ListenerBus`] holds the listeners and posts one event to all of them (`post_to_all`), in
//! the order they were added. The list is copied first, so no lock is held while listener code
//! runs (a listener may add listeners, run jobs or ask its context anything), and a listener's
//! panic is logged as Spark logs a listener's exception ("Listener ... threw an exception") and
//! skipped: it never stops the bus. How one event reaches one listener is Spark's abstract
//! `doPostEvent`; here it is a function the owner passes in (the context's bus calls the
//! listener closure, the streaming bus picks the `StreamingListener` method of the event).
//!
//! [`AsyncEventQueue`] delivers a bus's events on a named thread of its own, started by the
//! first `post`: events go through a channel and are delivered one after another, in the order
//! they were posted. The queue counts the events posted and the events delivered, so
//! `wait_until_delivered` returns once every event posted before the call has reached every
//! listener (Spark's `waitUntilEmpty`, woken by a condition variable instead of polling). On
//! the dispatch thread itself it returns at once: a listener that runs a job would otherwise
//! wait for events that are delivered only after it returns. The thread holds the queue weakly
//! and ends when the last handle on it is dropped (letting the listeners go), or once it has
//! delivered what was queued after `stop`. If no thread can be spawned, `post` delivers on the
//! caller's thread, still under no lock.
//!
//! # Departures from Spark
//!
//! Spark's `ListenerBus` is a trait whose implementors override `doPostEvent`; here it is a
//! struct that holds that function (the two buses differ in nothing else). Spark's queue is
//! bounded (`spark.scheduler.listenerbus.eventqueue.capacity`, dropping events past it) and is
//! started explicitly; this one is unbounded and starts at its first event. What a stopped bus
//! does with later events is its owner's choice (the streaming bus drops them).
//!
//! Layering: knows no event type; uses only `logging` and the task layer's panic-message
//! helper (the text of a caught panic).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::thread::ThreadId;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

/// Spark's `ListenerBus[L, E]`: listeners of type `L` and the delivery of an event `E` to all
/// of them (see the module doc).
pub(crate) struct ListenerBus<L: ?Sized, E> {
    listeners: Mutex<Vec<Arc<L>>>,
    /// Spark's `doPostEvent`: one event to one listener.
    do_post_event: fn(&L, &E),
    /// The listener's class name in the log line of a panicking listener, where it has one.
    listener_class: Option<&'static str>,
}

impl<L: ?Sized, E> ListenerBus<L, E> {
    /// A bus with no listeners that hands each event to a listener through `do_post_event`.
    pub(crate) fn new(do_post_event: fn(&L, &E), listener_class: Option<&'static str>) -> Self {
        ListenerBus {
            listeners: Mutex::new(Vec::new()),
            do_post_event,
            listener_class,
        }
    }

    /// Spark's `addListener`: `listener` receives every event posted from now on.
    pub(crate) fn add_listener(&self, listener: Arc<L>) {
        self.listeners.lock().push(listener);
    }

    /// Whether no listener was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.listeners.lock().is_empty()
    }

    /// Spark's `postToAll`: `event` to every listener, in the order they were added; the list
    /// is copied first so that no lock is held while listener code runs, and a listener's panic
    /// is logged, not propagated.
    pub(crate) fn post_to_all(&self, event: &E) {
        let listeners: Vec<Arc<L>> = self.listeners.lock().clone();
        for listener in listeners {
            let called = catch_unwind(AssertUnwindSafe(|| (self.do_post_event)(&*listener, event)));
            if let Err(panic) = called {
                let message = crate::scheduler::task::panic_message(&*panic);
                match self.listener_class {
                    Some(class) => log::warn!(
                        target: crate::logging::LIVE_LISTENER_BUS,
                        "Listener {class} threw an exception: {message}"
                    ),
                    None => log::warn!(
                        target: crate::logging::LIVE_LISTENER_BUS,
                        "Listener threw an exception: {message}"
                    ),
                }
            }
        }
    }
}

/// Spark's `AsyncEventQueue`: a [`ListenerBus`] whose events are delivered in order on a
/// thread of its own (see the module doc). Clones share the queue.
pub(crate) struct AsyncEventQueue<L: ?Sized, E> {
    shared: Arc<QueueShared<L, E>>,
}

impl<L: ?Sized, E> Clone for AsyncEventQueue<L, E> {
    fn clone(&self) -> Self {
        AsyncEventQueue {
            shared: self.shared.clone(),
        }
    }
}

struct QueueShared<L: ?Sized, E> {
    bus: ListenerBus<L, E>,
    /// The dispatch thread's name.
    name: &'static str,
    /// The dispatch thread's channel, once started (taken again by `stop`).
    sender: Mutex<Option<mpsc::Sender<E>>>,
    /// Events posted so far.
    posted: AtomicU64,
    /// Events delivered to every listener so far, and its wake-up.
    delivered: Mutex<u64>,
    delivered_cv: Condvar,
    /// The dispatch thread, once started.
    dispatch_thread: OnceLock<ThreadId>,
}

impl<L: ?Sized, E> QueueShared<L, E> {
    fn mark_delivered(&self) {
        *self.delivered.lock() += 1;
        self.delivered_cv.notify_all();
    }
}

impl<L, E> AsyncEventQueue<L, E>
where
    L: ?Sized + Send + Sync + 'static,
    E: Send + 'static,
{
    /// A queue for `bus` whose dispatch thread, started by the first `post`, is named `name`.
    pub(crate) fn new(name: &'static str, bus: ListenerBus<L, E>) -> Self {
        AsyncEventQueue {
            shared: Arc::new(QueueShared {
                bus,
                name,
                sender: Mutex::new(None),
                posted: AtomicU64::new(0),
                delivered: Mutex::new(0),
                delivered_cv: Condvar::new(),
                dispatch_thread: OnceLock::new(),
            }),
        }
    }

    /// The bus's `addListener`.
    pub(crate) fn add_listener(&self, listener: Arc<L>) {
        self.shared.bus.add_listener(listener);
    }

    /// Whether the bus has any listener.
    pub(crate) fn has_listeners(&self) -> bool {
        !self.shared.bus.is_empty()
    }

    /// Queues `event` for the dispatch thread, starting it on the first call.
    pub(crate) fn post(&self, event: E) {
        let mut sender = self.shared.sender.lock();
        if sender.is_none() {
            *sender = self.start();
        }
        match sender.as_ref() {
            Some(tx) => {
                self.shared.posted.fetch_add(1, Ordering::SeqCst);
                if tx.send(event).is_err() {
                    self.shared.mark_delivered();
                }
            }
            // No thread could be started: deliver here (still never under a lock).
            None => {
                drop(sender);
                self.shared.bus.post_to_all(&event);
            }
        }
    }

    /// Starts the dispatch thread. It holds the queue weakly, so it ends (and lets the
    /// listeners go) when the last handle on the queue is dropped.
    fn start(&self) -> Option<mpsc::Sender<E>> {
        let (tx, rx) = mpsc::channel::<E>();
        let shared = Arc::downgrade(&self.shared);
        let handle = std::thread::Builder::new()
            .name(self.shared.name.into())
            .spawn(move || {
                while let Ok(event) = rx.recv() {
                    let Some(shared) = shared.upgrade() else {
                        break;
                    };
                    shared.bus.post_to_all(&event);
                    shared.mark_delivered();
                }
            })
            .ok()?;
        let _ = self.shared.dispatch_thread.set(handle.thread().id());
        Some(tx)
    }

    /// Whether the calling thread is the dispatch thread (a listener is running on it).
    pub(crate) fn is_dispatch_thread(&self) -> bool {
        self.shared.dispatch_thread.get() == Some(&std::thread::current().id())
    }

    /// Waits until every event posted before the call was delivered to every listener, until
    /// `deadline` at the latest when one is given (Spark's `waitUntilEmpty`); returns at once
    /// on the dispatch thread. Returns whether everything was delivered.
    pub(crate) fn wait_until_delivered(&self, deadline: Option<Instant>) -> bool {
        if self.is_dispatch_thread() {
            return true;
        }
        let target = self.shared.posted.load(Ordering::SeqCst);
        let mut delivered = self.shared.delivered.lock();
        while *delivered < target {
            match deadline {
                Some(deadline) => {
                    if self
                        .shared
                        .delivered_cv
                        .wait_until(&mut delivered, deadline)
                        .timed_out()
                    {
                        return *delivered >= target;
                    }
                }
                None => self.shared.delivered_cv.wait(&mut delivered),
            }
        }
        true
    }

    /// Closes the channel: the dispatch thread delivers what was queued, then ends. A later
    /// `post` would start a new thread; an owner that stops for good drops later events itself.
    pub(crate) fn stop(&self) {
        self.shared.sender.lock().take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    type Counter = dyn Fn(&usize) + Send + Sync;

    fn call(listener: &Counter, event: &usize) {
        listener(event)
    }

    fn queue() -> AsyncEventQueue<Counter, usize> {
        AsyncEventQueue::new("event-bus-test", ListenerBus::new(call, None))
    }

    /// SparkListenerSuite: "basic creation and shutdown of LiveListenerBus" (every posted event
    /// reaches the listener, in order, once the queue is drained).
    #[test]
    fn delivers_every_event_in_order() {
        let q = queue();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        q.add_listener(Arc::new(move |e: &usize| s.lock().push(*e)));
        for i in 0..100 {
            q.post(i);
        }
        assert!(q.wait_until_delivered(None));
        assert_eq!(*seen.lock(), (0..100).collect::<Vec<_>>());
    }

    /// SparkListenerSuite: "SparkListener moves on if a listener throws an exception" (a
    /// panicking listener stops neither the bus nor the listeners after it).
    #[test]
    fn a_panicking_listener_is_skipped() {
        let q = queue();
        let count = Arc::new(AtomicUsize::new(0));
        q.add_listener(Arc::new(|_: &usize| panic!("boom")));
        let c = count.clone();
        q.add_listener(Arc::new(move |_: &usize| {
            c.fetch_add(1, Ordering::SeqCst);
        }));
        q.post(1);
        q.post(2);
        assert!(q.wait_until_delivered(None));
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    /// A listener that waits on its own queue returns at once instead of deadlocking.
    #[test]
    fn waiting_on_the_dispatch_thread_returns_at_once() {
        let q = queue();
        let inner = q.clone();
        let (tx, rx) = mpsc::channel();
        q.add_listener(Arc::new(move |_: &usize| {
            let _ = tx.send((inner.is_dispatch_thread(), inner.wait_until_delivered(None)));
        }));
        q.post(0);
        let answer = rx.recv_timeout(std::time::Duration::from_secs(30));
        assert_eq!(answer, Ok((true, true)));
        assert!(!q.is_dispatch_thread());
        // The listener holds the queue: closing the channel lets the thread end.
        q.stop();
    }
}
