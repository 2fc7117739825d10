//! The driver-restart harness of the recovery tests (tests/streaming_recovery.rs,
//! tests/redis_state.rs), after Spark's CheckpointSuite: a program `create(dir, lines)` builds
//! a streaming context checkpointing to `dir` whose output operations push lines; it runs once
//! uninterrupted, and once stopped after some batches and brought back by
//! `StreamingContext::get_or_create` from its checkpoint. Spark re-runs the last batch before
//! the failure, so the two runs' lines are the uninterrupted run's with that batch's twice.

use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

/// What a program's output operations record, in order.
pub type Recorded<L> = Arc<Mutex<Vec<L>>>;

/// A `local[2]` context named `app_name` with a streaming context of one-second batches on the
/// manual clock, checkpointing to `dir`.
pub fn recovery_context(app_name: &str, dir: &Path) -> Result<StreamingContext> {
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name(app_name),
    )?;
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir)?;
    Ok(ssc)
}

/// Records each batch of `stream`, its elements sorted, as the line `<batch> <label> [..]`.
pub fn record_sorted<T: Data + Ord + Debug>(
    stream: &DStream<T>,
    label: &'static str,
    lines: &Recorded<String>,
) {
    let l = lines.clone();
    stream.foreach_rdd(move |rdd, t| {
        let mut v = rdd.collect()?;
        v.sort();
        l.lock()
            .push(format!("{} {label} {v:?}", t.milliseconds() / 1000));
        Ok(())
    });
}

/// Starts `ssc`, runs `batches` batches and stops it (and its context).
pub fn run_and_stop(ssc: &StreamingContext, batches: usize) -> Result<()> {
    ssc.start()?;
    let ran = ssc.run_batches(batches);
    ssc.stop(true, false);
    ran
}

/// The program `create` recovered from (or made in) `dir` by `get_or_create`, started.
pub fn start_from_checkpoint<L>(
    dir: &Path,
    create: &impl Fn(&Path, &Recorded<L>) -> Result<StreamingContext>,
    lines: &Recorded<L>,
) -> StreamingContext {
    let ssc = StreamingContext::get_or_create(dir, || create(dir, lines)).expect("get_or_create");
    ssc.start().expect("start");
    ssc
}

/// The lines of an uninterrupted run of `batches` batches of `create`, in a folder of its own.
pub fn uninterrupted_run<L: Clone>(
    batches: usize,
    create: impl Fn(&Path, &Recorded<L>) -> Result<StreamingContext>,
) -> Vec<L> {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines: Recorded<L> = Arc::default();
    let ssc = create(dir.path(), &lines).expect("create");
    run_and_stop(&ssc, batches).expect("uninterrupted run");
    let out = lines.lock().clone();
    out
}

/// The driver restart: `stop_after` batches of `create` in a fresh folder, a stop, and
/// `get_or_create` from its checkpoint for the remaining `batches - stop_after` and the
/// boundary batch again; returns both runs' lines, in order.
pub fn restarted_run<L: Clone>(
    batches: usize,
    stop_after: usize,
    create: impl Fn(&Path, &Recorded<L>) -> Result<StreamingContext>,
) -> Vec<L> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut out = Vec::new();
    for n in [stop_after, batches - stop_after + 1] {
        let lines: Recorded<L> = Arc::default();
        let ssc = start_from_checkpoint(dir.path(), &create, &lines);
        ssc.run_batches(n).expect("batches");
        ssc.stop(true, false);
        out.extend(lines.lock().iter().cloned());
    }
    out
}

/// What a restart after `stop_after` batches prints when each batch prints `lines_per_batch`
/// lines: the uninterrupted run's lines with the boundary batch's twice.
pub fn with_boundary_batch_twice<L: Clone>(
    clean: &[L],
    stop_after: usize,
    lines_per_batch: usize,
) -> Vec<L> {
    let mut want = clean[..lines_per_batch * stop_after].to_vec();
    want.extend_from_slice(&clean[lines_per_batch * (stop_after - 1)..]);
    want
}
