//! Spark's `ConsoleProgressBar`: the progress of running stages on standard error.
//!
//! ```text
//! [Stage 3:====>                 (12 + 2) / 40][Stage 4:>                  (0 + 2) / 40]
//! ```
//!
//! How it works here, as in Spark:
//!
//! - **What is shown**: every stage attempt that has been running for more than
//!   [`FIRST_DELAY_MS`] (500 ms), lowest stage id first, at most three on one line. Each gets
//!   an equal share of the terminal's width (`COLUMNS`, default 80): the header
//!   `[Stage N:`, then a bar, then `(completed + active) / total]`. The bar is
//!   `width * completed / total` `=` signs, one `>`, and spaces; when the share is too narrow
//!   for a bar, only header and tail are written.
//! - **When**: a timer refreshes the line every [`UPDATE_PERIOD_MS`] (200 ms), starting
//!   500 ms after the context starts. The line is written (`\r` + line + `\r`, so that log
//!   lines overwrite it) only when it changed, or once a minute (an idle ssh session is kept
//!   alive). When a job ends the line is cleared (`\r`, spaces across the width, `\r`) and
//!   nothing is shown for the next 500 ms, so the bar never mixes with a job's output.
//! - **Where the numbers come from**: Spark polls its status store; here the bar is a
//!   listener on the context's event stream. Submitted stages, task starts and ends feed a
//!   [`ConsoleProgressBar`] (a state machine with no I/O and no clock of its own: times are
//!   passed in, so tests check Spark's exact text on fake widths and times).
//! - **Threads**: the state is owned by one thread (`refresh progress`) that receives the
//!   events through a channel and writes to standard error; the listener only sends, so a
//!   task never waits for the bar, and no lock is held while writing. A job's end is handed
//!   over with a reply: the listener (and so the job's caller, who waits for its listeners)
//!   continues once the line is cleared, for at most one second. The thread ends when the
//!   context stops.
//!
//! Departure: Spark's status store counts a stage's tasks by attempt the same way, but the
//! bar here counts a task as *completed* only when it succeeded (Spark's `numCompleteTasks`),
//! and an active task ends with its `TaskEnd` however it ended (failed, lost with its
//! executor, ignored).
//!
//! Layers: reads listener events only (never RDDs or the scheduler's state).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::scheduler::listener::{Listener, ListenerBus, SparkListenerEvent, TaskEndKind};

/// Spark's `UPDATE_PERIOD`: the line is refreshed this often (ms).
pub const UPDATE_PERIOD_MS: u64 = 200;
/// Spark's `FIRST_DELAY`: a stage is shown once it has run longer than this (ms), and nothing
/// is shown this long after a job ended.
pub const FIRST_DELAY_MS: u64 = 500;
/// At most this many stages share the line.
pub const MAX_STAGES_SHOWN: usize = 3;
/// The terminal width when `COLUMNS` is unset or not a number.
pub const DEFAULT_WIDTH: usize = 80;
/// The line is rewritten at least this often even when it did not change (ms).
const KEEP_ALIVE_MS: u64 = 60_000;

/// One running stage attempt as the bar sees it (the fields of Spark's `StageData` it reads).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageProgress {
    /// The stage.
    pub stage_id: usize,
    /// The attempt (stages of equal id are ordered by it).
    pub attempt: u32,
    /// Tasks of this attempt.
    pub num_tasks: usize,
    /// Tasks that succeeded.
    pub num_complete_tasks: usize,
    /// Tasks running now.
    pub num_active_tasks: usize,
    /// When the attempt was submitted (ms, on the caller's clock).
    pub submission_time_ms: u64,
}

/// The progress line for `stages` at `now_ms` on a terminal `width` columns wide (Spark's
/// `refresh` filter and `show` text), or `None` when no stage has run longer than
/// [`FIRST_DELAY_MS`].
///
/// ```
/// use sparklet::ui::console_progress_bar::{render, StageProgress};
/// let stage = StageProgress {
///     stage_id: 3,
///     attempt: 0,
///     num_tasks: 40,
///     num_complete_tasks: 12,
///     num_active_tasks: 2,
///     submission_time_ms: 0,
/// };
/// // 40 columns: "[Stage 3:" (9) and "(12 + 2) / 40]" (14) leave a bar of 17; 17 * 12 / 40 = 5.
/// assert_eq!(
///     render(&[stage.clone()], 1_000, 40).unwrap(),
///     "[Stage 3:=====>           (12 + 2) / 40]"
/// );
/// // Not yet shown: it has run for only 500 ms.
/// assert_eq!(render(&[stage], 500, 40), None);
/// ```
pub fn render(stages: &[StageProgress], now_ms: u64, width: usize) -> Option<String> {
    let mut shown: Vec<&StageProgress> = stages
        .iter()
        .filter(|s| now_ms.saturating_sub(s.submission_time_ms) > FIRST_DELAY_MS)
        .collect();
    if shown.is_empty() {
        return None;
    }
    shown.sort_by_key(|s| (s.stage_id, s.attempt));
    shown.truncate(MAX_STAGES_SHOWN);
    let share = width / shown.len();
    let mut line = String::new();
    for s in shown {
        let header = format!("[Stage {}:", s.stage_id);
        let tail = format!(
            "({} + {}) / {}]",
            s.num_complete_tasks, s.num_active_tasks, s.num_tasks
        );
        let w = share.saturating_sub(header.len() + tail.len());
        // A stage of no tasks never runs long enough to be shown; guard the division anyway.
        let percent = (w * s.num_complete_tasks)
            .checked_div(s.num_tasks)
            .unwrap_or(0);
        line.push_str(&header);
        line.extend((0..w).map(|i| match i.cmp(&percent) {
            std::cmp::Ordering::Less => '=',
            std::cmp::Ordering::Equal => '>',
            std::cmp::Ordering::Greater => ' ',
        }));
        line.push_str(&tail);
    }
    Some(line)
}

/// Spark's `ConsoleProgressBar` as a state machine without I/O: it is told of stages and
/// tasks, and [`refresh`](Self::refresh) and [`finish_all`](Self::finish_all) return the exact
/// text to write to standard error (if any). Times are ms on any clock the caller keeps.
///
/// ```
/// use sparklet::ui::console_progress_bar::ConsoleProgressBar;
/// let mut bar = ConsoleProgressBar::new(40);
/// bar.stage_submitted(0, 0, 2, 0);
/// bar.task_started(0, 0);
/// assert_eq!(bar.refresh(400), None); // running for less than 500 ms
/// // "[Stage 0:" (9) and "(0 + 1) / 2]" (12) leave a bar of 19: the arrow and 18 spaces.
/// assert_eq!(
///     bar.refresh(600).unwrap(),
///     format!("\r[Stage 0:>{}(0 + 1) / 2]\r", " ".repeat(18))
/// );
/// assert_eq!(bar.refresh(800), None); // unchanged
/// assert_eq!(bar.finish_all(900).unwrap(), format!("\r{}\r", " ".repeat(40)));
/// ```
#[derive(Clone, Debug)]
pub struct ConsoleProgressBar {
    width: usize,
    stages: BTreeMap<(usize, u32), StageProgress>,
    last_finish_ms: Option<u64>,
    last_update_ms: Option<u64>,
    last_bar: String,
}

impl ConsoleProgressBar {
    /// A bar for a terminal `width` columns wide, with no stage running.
    pub fn new(width: usize) -> ConsoleProgressBar {
        ConsoleProgressBar {
            width,
            stages: BTreeMap::new(),
            last_finish_ms: None,
            last_update_ms: None,
            last_bar: String::new(),
        }
    }

    /// The terminal width: `COLUMNS` when it is a number, else [`DEFAULT_WIDTH`] (Spark fails
    /// on a `COLUMNS` that is not a number; a progress bar is not worth an error here).
    pub fn terminal_width() -> usize {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .unwrap_or(DEFAULT_WIDTH)
    }

    /// A stage attempt of `num_tasks` tasks was submitted at `now_ms`.
    pub fn stage_submitted(
        &mut self,
        stage_id: usize,
        attempt: u32,
        num_tasks: usize,
        now_ms: u64,
    ) {
        self.stages.insert(
            (stage_id, attempt),
            StageProgress {
                stage_id,
                attempt,
                num_tasks,
                num_complete_tasks: 0,
                num_active_tasks: 0,
                submission_time_ms: now_ms,
            },
        );
    }

    /// A task of the stage attempt started.
    pub fn task_started(&mut self, stage_id: usize, attempt: u32) {
        if let Some(s) = self.stages.get_mut(&(stage_id, attempt)) {
            s.num_active_tasks += 1;
        }
    }

    /// A task of the stage attempt ended; `succeeded` counts it as completed.
    pub fn task_ended(&mut self, stage_id: usize, attempt: u32, succeeded: bool) {
        if let Some(s) = self.stages.get_mut(&(stage_id, attempt)) {
            s.num_active_tasks = s.num_active_tasks.saturating_sub(1);
            if succeeded {
                s.num_complete_tasks += 1;
            }
        }
    }

    /// The stage attempt completed (or failed): it is no longer shown.
    pub fn stage_completed(&mut self, stage_id: usize, attempt: u32) {
        self.stages.remove(&(stage_id, attempt));
    }

    /// The running stage attempts, by stage id.
    pub fn active_stages(&self) -> Vec<StageProgress> {
        self.stages.values().cloned().collect()
    }

    /// Feeds one listener event; returns true when it ended a job (the caller then calls
    /// [`finish_all`](Self::finish_all)).
    pub(crate) fn on_event(&mut self, event: &SparkListenerEvent, now_ms: u64) -> bool {
        match event {
            SparkListenerEvent::StageSubmitted {
                stage_id,
                attempt,
                num_tasks,
                ..
            } => self.stage_submitted(*stage_id, *attempt, *num_tasks, now_ms),
            SparkListenerEvent::StageCompleted {
                stage_id, attempt, ..
            } => self.stage_completed(*stage_id, *attempt),
            SparkListenerEvent::TaskStart {
                stage_id,
                stage_attempt,
                ..
            } => self.task_started(*stage_id, *stage_attempt),
            SparkListenerEvent::TaskEnd {
                stage_id,
                stage_attempt,
                reason,
                ..
            } => self.task_ended(
                *stage_id,
                *stage_attempt,
                matches!(reason, TaskEndKind::Success),
            ),
            SparkListenerEvent::JobEnd { .. } => return true,
            _ => {}
        }
        false
    }

    /// Spark's `refresh` at `now_ms`: the text to write, if any. Nothing within 500 ms of the
    /// last job's end; otherwise the line of the stages running longer than 500 ms, written
    /// only when it changed or a minute after it was last written.
    pub fn refresh(&mut self, now_ms: u64) -> Option<String> {
        if self
            .last_finish_ms
            .is_some_and(|f| now_ms.saturating_sub(f) < FIRST_DELAY_MS)
        {
            return None;
        }
        let stages: Vec<StageProgress> = self.stages.values().cloned().collect();
        let bar = render(&stages, now_ms, self.width)?;
        let stale = self
            .last_update_ms
            .is_none_or(|u| now_ms.saturating_sub(u) > KEEP_ALIVE_MS);
        let out = if bar != self.last_bar || stale {
            self.last_update_ms = Some(now_ms);
            Some(format!("\r{bar}\r"))
        } else {
            None
        };
        self.last_bar = bar;
        out
    }

    /// Spark's `finishAll` at `now_ms` (a job ended): the text that clears a shown line, if
    /// one is shown; nothing is shown for the next 500 ms.
    pub fn finish_all(&mut self, now_ms: u64) -> Option<String> {
        let out = (!self.last_bar.is_empty()).then(|| format!("\r{}\r", " ".repeat(self.width)));
        self.last_bar.clear();
        self.last_finish_ms = Some(now_ms);
        out
    }
}

/// What the listener hands the bar's thread.
enum Message {
    /// An event (boxed: events are large, the other messages small).
    Event(Box<SparkListenerEvent>, u64),
    /// A job ended: clear the line, then reply.
    FinishAll(u64, mpsc::Sender<()>),
    Stop,
}

/// A [`ConsoleProgressBar`] running for a context: a listener on its bus and the
/// `refresh progress` thread that owns the bar and writes to standard error.
pub(crate) struct ProgressBarThread {
    tx: mpsc::Sender<Message>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl ProgressBarThread {
    /// Starts the thread, writing to standard error, and registers the listener on `bus`.
    pub(crate) fn start(bus: &ListenerBus, width: usize) -> std::io::Result<ProgressBarThread> {
        ProgressBarThread::start_with(|l| bus.add(l), width, Box::new(write_stderr))
    }

    /// Starts the thread writing through `out`, and hands its listener to `register`.
    fn start_with(
        register: impl FnOnce(Listener),
        width: usize,
        out: Box<dyn FnMut(&str) + Send>,
    ) -> std::io::Result<ProgressBarThread> {
        let (tx, rx) = mpsc::channel();
        let epoch = Instant::now();
        let thread = std::thread::Builder::new()
            .name("refresh progress".into())
            .spawn(move || run(ConsoleProgressBar::new(width), epoch, rx, out))?;
        let listener_tx = tx.clone();
        register(std::sync::Arc::new(move |event: &SparkListenerEvent| {
            let now = ms_since(epoch);
            let tx = &listener_tx;
            if matches!(event, SparkListenerEvent::JobEnd { .. }) {
                let (reply, cleared) = mpsc::channel();
                if tx.send(Message::FinishAll(now, reply)).is_ok() {
                    let _ = cleared.recv_timeout(Duration::from_secs(1));
                }
            } else if is_progress_event(event) {
                let _ = tx.send(Message::Event(Box::new(event.clone()), now));
            }
        }));
        Ok(ProgressBarThread {
            tx,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Ends the thread (the context stops); the listener then sends nowhere.
    pub(crate) fn stop(&self) {
        let _ = self.tx.send(Message::Stop);
        let handle = self.thread.lock().take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

/// The events the bar reads (others are not sent to its thread).
fn is_progress_event(event: &SparkListenerEvent) -> bool {
    matches!(
        event,
        SparkListenerEvent::StageSubmitted { .. }
            | SparkListenerEvent::StageCompleted { .. }
            | SparkListenerEvent::TaskStart { .. }
            | SparkListenerEvent::TaskEnd { .. }
    )
}

fn ms_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The `refresh progress` thread: events as they come, a refresh at each tick (the first
/// 500 ms after the start, then every 200 ms), until stopped.
fn run(
    mut bar: ConsoleProgressBar,
    epoch: Instant,
    rx: mpsc::Receiver<Message>,
    mut out: Box<dyn FnMut(&str) + Send>,
) {
    let mut next_tick = epoch + Duration::from_millis(FIRST_DELAY_MS);
    loop {
        let wait = next_tick.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(Message::Event(event, now)) => {
                bar.on_event(&event, now);
            }
            Ok(Message::FinishAll(now, reply)) => {
                if let Some(text) = bar.finish_all(now) {
                    out(&text);
                }
                let _ = reply.send(());
            }
            Ok(Message::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Some(text) = bar.refresh(ms_since(epoch)) {
                    out(&text);
                }
                // Fixed rate, as Spark's timer; a late tick is not made up for.
                next_tick += Duration::from_millis(UPDATE_PERIOD_MS);
                let now = Instant::now();
                if next_tick < now {
                    next_tick = now + Duration::from_millis(UPDATE_PERIOD_MS);
                }
            }
        }
    }
}

fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventLog, SparkConf, SparkContext};

    /// The bar fed with a real job's events: every stage it saw submitted has completed, and
    /// part-way through the map stage was running with its tasks counted.
    #[test]
    fn follows_a_real_jobs_events() {
        let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
        let log = EventLog::attach(&sc);
        let pairs = sc.parallelize((0..20).map(|i| (i % 3, i)).collect::<Vec<_>>(), 4);
        pairs.reduce_by_key(|a, b| a + b).collect().unwrap();
        let events = log.events();
        let mut bar = ConsoleProgressBar::new(80);
        let mut saw_map_stage_done = false;
        let mut ended_jobs = 0;
        for e in &events {
            if bar.on_event(e, 0) {
                ended_jobs += 1;
            }
            if let SparkListenerEvent::StageCompleted { stage_id: 0, .. } = e {
                saw_map_stage_done = true;
            }
            if let SparkListenerEvent::TaskEnd { stage_id: 0, .. } = e {
                if !saw_map_stage_done {
                    let s = &bar.active_stages()[0];
                    assert_eq!((s.stage_id, s.num_tasks), (0, 4));
                    assert!(s.num_complete_tasks + s.num_active_tasks <= 4);
                }
            }
        }
        assert!(saw_map_stage_done);
        assert_eq!(ended_jobs, 1);
        assert!(bar.active_stages().is_empty());
        sc.stop();
    }

    /// The thread ends when stopped: its receiver is gone once `stop` returns.
    #[test]
    fn thread_ends_on_stop() {
        let bus = ListenerBus::default();
        let bar = ProgressBarThread::start(&bus, 80).unwrap();
        bar.stop();
        assert!(bar.thread.lock().is_none());
        assert!(bar.tx.send(Message::Stop).is_err());
    }

    /// End to end, on a real job: the bar's thread shows the running stage once it has run
    /// 500 ms (a task waits until the line is written), and the line is cleared before the
    /// job's caller wakes.
    #[test]
    fn shows_a_slow_stage_and_clears_it_before_the_job_returns() {
        use parking_lot::Condvar;
        use std::sync::Arc;
        let written: Arc<(Mutex<String>, Condvar)> = Arc::default();
        let sink = written.clone();
        let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
        let listeners = sc.clone();
        let bar = ProgressBarThread::start_with(
            move |l| listeners.add_spark_listener(move |e| l(e)),
            60,
            Box::new(move |text: &str| {
                sink.0.lock().push_str(text);
                sink.1.notify_all();
            }),
        )
        .unwrap();
        let seen = written.clone();
        let n = sc
            .parallelize(vec![0, 1], 2)
            .map(move |x: i32| {
                if x == 0 {
                    // Wait (at most 30 s) until the bar shows this stage.
                    let deadline = Instant::now() + Duration::from_secs(30);
                    let mut text = seen.0.lock();
                    while !text.contains("[Stage 0:") && Instant::now() < deadline {
                        seen.1.wait_until(&mut text, deadline);
                    }
                }
                x
            })
            .count()
            .unwrap();
        assert_eq!(n, 2);
        let text = written.0.lock().clone();
        let clear = format!("\r{}\r", " ".repeat(60));
        assert!(text.ends_with(&clear), "{text:?}");
        let first = text
            .split('\r')
            .find(|l| l.starts_with("[Stage 0:"))
            .unwrap();
        assert_eq!(first.len(), 60, "{first:?}");
        assert!(first.ends_with(") / 2]"), "{first:?}");
        bar.stop();
        sc.stop();
    }

    /// With the bar on, jobs run and end (each job end is handed to the bar's thread and
    /// answered), and the context stops its bar.
    #[test]
    fn jobs_run_with_the_bar_on() {
        let sc = SparkContext::new(
            SparkConf::new()
                .set_master("local[2]")
                .set(super::super::SHOW_CONSOLE_PROGRESS, "true"),
        )
        .unwrap();
        for _ in 0..3 {
            assert_eq!(sc.parallelize(vec![1, 2, 3], 2).count().unwrap(), 3);
        }
        sc.stop();
    }
}
