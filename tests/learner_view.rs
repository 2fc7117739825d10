//! What a learner sees of a run: Spark's console progress bar (its exact text on fake widths and
//! times), `sparklet.logLineage`, and the scheduler's log lines.
//!
//! The `log` crate allows one logger per process, so this binary installs a small capturing
//! logger once, and the tests that read log records take `serial()` so that only one context
//! runs while they read (the scheduler logs from its own threads, not the test's).

mod common;

use std::sync::{Mutex, MutexGuard, OnceLock};

use sparklet::prelude::*;
use sparklet::ui::console_progress_bar::{render, ConsoleProgressBar, StageProgress};

// ---------------------------------------------------------------- the capturing logger

struct Captured {
    target: String,
    level: log::Level,
    message: String,
}

struct Capture {
    records: Mutex<Vec<Captured>>,
}

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target().starts_with("sparklet")
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            self.records.lock().unwrap().push(Captured {
                target: record.target().to_string(),
                level: record.level(),
                message: record.args().to_string(),
            });
        }
    }
    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let c: &'static Capture = Box::leak(Box::new(Capture {
            records: Mutex::new(Vec::new()),
        }));
        log::set_logger(c).expect("the only logger of this test binary");
        log::set_max_level(log::LevelFilter::Info);
        c
    })
}

/// Runs one log-reading test at a time, with the records cleared.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    capture().records.lock().unwrap().clear();
    guard
}

/// The messages logged under `target` so far, in order.
fn messages(target: &str) -> Vec<String> {
    capture()
        .records
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.target == target)
        .map(|r| r.message.clone())
        .collect()
}

/// Replaces the number before " ms" (a duration) with `_`, so lines compare exactly.
fn without_durations(line: &str) -> String {
    let Some(end) = line.rfind(" ms") else {
        return line.to_string();
    };
    let start = line[..end]
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| i + 1);
    format!("{}_{}", &line[..start], &line[end..])
}

const SPARK_CONTEXT: &str = "sparklet::SparkContext";
const DAG_SCHEDULER: &str = "sparklet::scheduler::DAGScheduler";
const TASK_SET_MANAGER: &str = "sparklet::scheduler::TaskSetManager";

// ---------------------------------------------------------------- logLineage

/// Spark: SparkContext.runJob with `spark.logLineage` ("RDD's recursive dependencies:" and the
/// final RDD's toDebugString at info, before the job; no Spark suite case).
#[test]
fn log_lineage_logs_each_jobs_debug_string() {
    let _serial = serial();
    let sc = common::context_with("local[2]", &[("sparklet.logLineage", "true")]);
    let counts = sc
        .parallelize(
            vec![
                ("a".to_string(), 1),
                ("b".to_string(), 2),
                ("a".to_string(), 3),
            ],
            2,
        )
        .map(|(k, v)| (k, v * 10))
        .reduce_by_key(|a, b| a + b);
    let expected = format!(
        "RDD's recursive dependencies:\n{}",
        counts.to_debug_string()
    );
    assert!(expected.contains("ShuffledRDD"), "{expected}");
    counts.collect().unwrap();
    counts.count().unwrap();
    let lineage: Vec<String> = messages(SPARK_CONTEXT)
        .into_iter()
        .filter(|m| m.starts_with("RDD's recursive dependencies:"))
        .collect();
    assert_eq!(lineage, vec![expected.clone(), expected]);
    let level = capture()
        .records
        .lock()
        .unwrap()
        .iter()
        .find(|r| r.target == SPARK_CONTEXT)
        .map(|r| r.level);
    assert_eq!(level, Some(log::Level::Info));
    sc.stop();
}

/// Spark: `spark.logLineage` defaults to false: no lineage is logged.
#[test]
fn log_lineage_is_off_by_default() {
    let _serial = serial();
    let sc = common::context("local[2]");
    sc.parallelize(vec![1, 2, 3], 2).count().unwrap();
    assert!(messages(SPARK_CONTEXT).is_empty());
    sc.stop();
}

/// Spark: ConfigEntry booleans ("should be boolean, but was") for `spark.logLineage` and
/// `spark.ui.showConsoleProgress`.
#[test]
fn learner_view_switches_must_be_booleans() {
    for key in ["sparklet.logLineage", "sparklet.ui.showConsoleProgress"] {
        let err = SparkContext::new(
            SparkConf::new()
                .set_master("local[1]")
                .set(key, "sometimes"),
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("{key} should be boolean, but was sometimes")),
            "{err}"
        );
    }
}

// ---------------------------------------------------------------- the scheduler's lines

/// Spark: the DAGScheduler's info lines of a job with a shuffle (as Spark's console shows
/// them), then of a second job whose map stage is skipped ("Missing parents: List()").
#[test]
fn scheduler_logs_jobs_and_stages_as_spark() {
    let _serial = serial();
    let sc = common::context("local[2]");
    let counts = sc
        .parallelize(vec![(1, 1), (2, 2), (1, 3), (3, 4)], 2)
        .reduce_by_key(|a, b| a + b);
    counts.collect().unwrap();
    counts.collect().unwrap();
    let lines: Vec<String> = messages(DAG_SCHEDULER)
        .iter()
        .map(|l| without_durations(l))
        .collect();
    let expected = [
        "Got job 0 (reduceByKey) with 2 output partitions",
        "Final stage: ResultStage 1 (reduceByKey)",
        "Parents of final stage: List(ShuffleMapStage 0)",
        "Missing parents: List(ShuffleMapStage 0)",
        "Missing parents found for ResultStage 1: List(ShuffleMapStage 0)",
        "Submitting ShuffleMapStage 0 (ParallelCollectionRDD[0] at parallelize), which has no \
         missing parents",
        "Submitting 2 missing tasks from ShuffleMapStage 0 (ParallelCollectionRDD[0] at \
         parallelize) (first 15 tasks are for partitions Vector(0, 1))",
        "ShuffleMapStage 0 (parallelize) finished in _ ms",
        "Submitting ResultStage 1 (ShuffledRDD[1] at reduceByKey), which has no missing parents",
        "Submitting 2 missing tasks from ResultStage 1 (ShuffledRDD[1] at reduceByKey) (first 15 \
         tasks are for partitions Vector(0, 1))",
        "ResultStage 1 (reduceByKey) finished in _ ms",
        "Job 0 finished: reduceByKey, took _ ms",
        "Got job 1 (reduceByKey) with 2 output partitions",
        "Final stage: ResultStage 3 (reduceByKey)",
        "Parents of final stage: List(ShuffleMapStage 2)",
        "Missing parents: List()",
        "Submitting ResultStage 3 (ShuffledRDD[1] at reduceByKey), which has no missing parents",
        "Submitting 2 missing tasks from ResultStage 3 (ShuffledRDD[1] at reduceByKey) (first 15 \
         tasks are for partitions Vector(0, 1))",
        "ResultStage 3 (reduceByKey) finished in _ ms",
        "Job 1 finished: reduceByKey, took _ ms",
    ];
    assert_eq!(lines, expected);
    sc.stop();
}

/// Spark: TaskSetManager's "Starting task" / "Finished task ... (n/N)" lines, and "Lost task"
/// at warn then the error when a task failed its last attempt.
#[test]
fn task_set_manager_logs_tasks_as_spark() {
    let _serial = serial();
    let sc = common::context("local[1,2]");
    sc.parallelize(vec![1, 2, 3, 4], 2).count().unwrap();
    let mut lines: Vec<String> = messages(TASK_SET_MANAGER)
        .iter()
        .map(|l| without_durations(l))
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "Finished task 0.0 in stage 0.0 (TID 0) in _ ms (executor driver) (1/2)",
            "Finished task 1.0 in stage 0.0 (TID 1) in _ ms (executor driver) (2/2)",
            "Starting task 0.0 in stage 0.0 (TID 0) (executor driver, partition 0)",
            "Starting task 1.0 in stage 0.0 (TID 1) (executor driver, partition 1)",
        ]
    );
    capture().records.lock().unwrap().clear();
    let failed = sc
        .parallelize(vec![1, 2], 1)
        .map(|x: i32| -> i32 { panic!("bad record {x}") })
        .count();
    assert!(failed.is_err());
    let records = capture().records.lock().unwrap();
    let lost: Vec<&Captured> = records
        .iter()
        .filter(|r| r.target == TASK_SET_MANAGER && r.message.starts_with("Lost task"))
        .collect();
    assert_eq!(lost.len(), 2, "two attempts (local[1,2])");
    assert!(lost.iter().all(|r| r.level == log::Level::Warn));
    assert!(
        lost[0]
            .message
            .starts_with("Lost task 0.0 in stage 1.0 (TID 2) (executor driver): "),
        "{}",
        lost[0].message
    );
    assert!(
        lost[0].message.contains("bad record 1"),
        "{}",
        lost[0].message
    );
    let aborting: Vec<&Captured> = records
        .iter()
        .filter(|r| r.level == log::Level::Error)
        .collect();
    assert_eq!(aborting.len(), 1);
    assert_eq!(
        aborting[0].message,
        "Task 0 in stage 1.0 failed 2 times; aborting job"
    );
    drop(records);
    sc.stop();
}

/// Spark: ReliableRDDCheckpointData's "Done checkpointing RDD ... new parent is RDD ..." and
/// the block manager's "stored as values in memory" / "Found block ... locally".
#[test]
fn checkpoint_and_block_lines() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let sc = common::context("local[2]");
    sc.set_checkpoint_dir(dir.path()).unwrap();
    let rdd = sc
        .parallelize((0..10).collect::<Vec<i32>>(), 2)
        .map(|x| x + 1);
    rdd.cache().unwrap();
    rdd.checkpoint().unwrap();
    rdd.count().unwrap();
    let file = rdd.get_checkpoint_file().expect("checkpointed");
    let done: Vec<String> = messages("sparklet::rdd::ReliableRDDCheckpointData");
    assert_eq!(done.len(), 1, "{done:?}");
    let prefix = format!(
        "Done checkpointing RDD {} to {}, new parent is RDD ",
        rdd.id(),
        file.display()
    );
    let parent = done[0].strip_prefix(&prefix).expect("Spark's line");
    assert!(
        rdd.to_debug_string()
            .contains(&format!("ReliableCheckpointRDD[{parent}]")),
        "{}",
        rdd.to_debug_string()
    );
    let stored = messages("sparklet::storage::memory::MemoryStore");
    for split in 0..2 {
        let block = format!("Block rdd_{}_{split} stored as values in memory", rdd.id());
        assert!(stored.iter().any(|m| m.starts_with(&block)), "{stored:?}");
    }
    // The checkpoint job read the cached blocks.
    let found = messages("sparklet::storage::BlockManager");
    assert!(
        found.contains(&format!("Found block rdd_{}_0 locally", rdd.id())),
        "{found:?}"
    );
    sc.stop();
}

// ---------------------------------------------------------------- ConsoleProgressBar

fn stage(id: usize, tasks: usize, complete: usize, active: usize) -> StageProgress {
    StageProgress {
        stage_id: id,
        attempt: 0,
        num_tasks: tasks,
        num_complete_tasks: complete,
        num_active_tasks: active,
        submission_time_ms: 0,
    }
}

/// Spark's bar for one stage: `[Stage N:` + `width * completed / total` '=' + '>' + spaces
/// + `(completed + active) / total]`, filling the terminal's width exactly.
#[test]
fn progress_bar_one_stage_fills_the_width() {
    // 80 columns: "[Stage 3:" is 9, "(12 + 2) / 40]" is 14, so the bar is 57 wide and
    // 57 * 12 / 40 = 17 of it is done.
    let line = render(&[stage(3, 40, 12, 2)], 1_000, 80).unwrap();
    let expected = format!(
        "[Stage 3:{}>{}(12 + 2) / 40]",
        "=".repeat(17),
        " ".repeat(39)
    );
    assert_eq!(line, expected);
    assert_eq!(line.len(), 80);
    // Nothing done: the arrow first. Everything done: no arrow.
    assert_eq!(
        render(&[stage(0, 4, 0, 2)], 1_000, 30).unwrap(),
        format!("[Stage 0:>{}(0 + 2) / 4]", " ".repeat(8))
    );
    assert_eq!(
        render(&[stage(0, 4, 4, 0)], 1_000, 30).unwrap(),
        format!("[Stage 0:{}(4 + 0) / 4]", "=".repeat(9))
    );
}

/// Spark's `show`: up to three stages share the width equally (width / number shown), lowest
/// stage id first; a fourth waits.
#[test]
fn progress_bar_three_stages_share_the_line() {
    let stages = [
        stage(7, 10, 0, 1),
        stage(2, 10, 5, 1),
        stage(4, 100, 50, 3),
        stage(1, 8, 8, 0),
    ];
    // Shown: stages 1, 2, 4 (by id), 80 / 3 = 26 columns each.
    let line = render(&stages, 1_000, 80).unwrap();
    // Stage 1: header 9 + "(8 + 0) / 8]" 12 → bar 5, all done.
    // Stage 2: header 9 + "(5 + 1) / 10]" 13 → bar 4, 4 * 5 / 10 = 2.
    // Stage 4: header 9 + "(50 + 3) / 100]" 15 → bar 2, 2 * 50 / 100 = 1.
    assert_eq!(
        line,
        "[Stage 1:=====(8 + 0) / 8][Stage 2:==> (5 + 1) / 10][Stage 4:=>(50 + 3) / 100]"
    );
    assert_eq!(line.len(), 78);
    assert!(!line.contains("Stage 7"));
}

/// Spark's `show` when a stage's share is too narrow for a bar: header and tail only.
#[test]
fn progress_bar_too_narrow_for_a_bar() {
    assert_eq!(
        render(&[stage(12, 300, 7, 4)], 1_000, 20).unwrap(),
        "[Stage 12:(7 + 4) / 300]"
    );
    assert_eq!(
        render(&[stage(0, 2, 1, 1), stage(1, 2, 0, 2)], 1_000, 0).unwrap(),
        "[Stage 0:(1 + 1) / 2][Stage 1:(0 + 2) / 2]"
    );
}

/// Spark's `refresh`: only stages running for more than 500 ms (strictly) are shown.
#[test]
fn progress_bar_waits_for_the_first_delay() {
    let mut late = stage(5, 10, 0, 1);
    late.submission_time_ms = 800;
    let early = stage(1, 10, 3, 1);
    assert_eq!(render(std::slice::from_ref(&early), 500, 40), None);
    assert_eq!(
        render(&[early.clone(), late.clone()], 501, 40).unwrap(),
        render(std::slice::from_ref(&early), 501, 40).unwrap()
    );
    assert_eq!(render(&[late.clone()], 1_300, 40), None);
    assert!(render(&[early, late], 1_301, 40)
        .unwrap()
        .contains("[Stage 5:"));
}

/// Spark's `refresh`/`show`/`finishAll` as written to the terminal: `\r` + line + `\r` when the
/// line changed (or a minute passed), nothing when it did not; a job's end clears a shown line
/// with spaces across the width, and nothing shows for the next 500 ms.
#[test]
fn progress_bar_writes_only_changes_and_clears_at_job_end() {
    let mut bar = ConsoleProgressBar::new(40);
    assert_eq!(bar.finish_all(0), None, "nothing shown, nothing to clear");
    bar.stage_submitted(0, 0, 4, 1_000);
    bar.task_started(0, 0);
    bar.task_started(0, 0);
    assert_eq!(bar.refresh(1_500), None, "the stage ran only 500 ms");
    let first = bar.refresh(1_600).unwrap();
    assert_eq!(
        first,
        format!("\r[Stage 0:>{}(0 + 2) / 4]\r", " ".repeat(18))
    );
    assert_eq!(bar.refresh(1_800), None, "unchanged");
    bar.task_ended(0, 0, true);
    bar.task_started(0, 0);
    bar.task_ended(0, 0, false); // failed: not completed, no longer active
    assert_eq!(
        bar.refresh(2_000).unwrap(),
        format!("\r[Stage 0:====>{}(1 + 1) / 4]\r", " ".repeat(14))
    );
    assert_eq!(
        bar.refresh(62_000),
        None,
        "a minute has not passed since the last write"
    );
    assert!(bar.refresh(62_001).is_some(), "rewritten after a minute");
    bar.stage_completed(0, 0);
    assert_eq!(
        bar.refresh(62_100),
        None,
        "no stage runs: the last line stays"
    );
    // A stage of another job keeps running across this job's end.
    bar.stage_submitted(1, 0, 4, 62_000);
    assert_eq!(
        bar.finish_all(62_300).unwrap(),
        format!("\r{}\r", " ".repeat(40))
    );
    assert_eq!(bar.finish_all(62_301), None, "already cleared");
    assert_eq!(
        bar.refresh(62_799),
        None,
        "within 500 ms of the last job end"
    );
    assert_eq!(
        bar.refresh(62_801).unwrap(),
        format!("\r[Stage 1:>{}(0 + 0) / 4]\r", " ".repeat(18))
    );
}

/// Spark's `TerminalWidth`: `COLUMNS` when set (here: when it is a number), else 80.
#[test]
fn progress_bar_width_from_columns() {
    let _serial = serial();
    let saved = std::env::var("COLUMNS").ok();
    std::env::set_var("COLUMNS", "132");
    assert_eq!(ConsoleProgressBar::terminal_width(), 132);
    std::env::set_var("COLUMNS", "wide");
    assert_eq!(ConsoleProgressBar::terminal_width(), 80);
    std::env::remove_var("COLUMNS");
    assert_eq!(ConsoleProgressBar::terminal_width(), 80);
    if let Some(c) = saved {
        std::env::set_var("COLUMNS", c);
    }
}

/// The bar is off when asked (`sparklet.ui.showConsoleProgress=false`) and jobs run as usual
/// with it on.
#[test]
fn progress_bar_switch() {
    let _serial = serial(); // its scheduler lines must not reach another test's records
    for on in ["true", "false"] {
        let sc = common::context_with("local[2]", &[("sparklet.ui.showConsoleProgress", on)]);
        assert_eq!(
            sc.parallelize((0..100).collect::<Vec<i32>>(), 4)
                .count()
                .unwrap(),
            100
        );
        sc.stop();
    }
}
