//! The golden-file half of the differential tests (tests/oracle.rs, tests/oracle_ops.rs): the
//! scenario files of a folder, the Spark output next to each, and the check that sparklet printed
//! the same lines, with a line diff when it did not; and what both runners share: the `k=v`
//! pairs of a scenario line, the streaming context a scenario runs on, and its output lines
//! (items sorted as strings, pairs printed as Scala prints tuples).

use std::path::{Path, PathBuf};

use sparklet::prelude::*;
use sparklet::streaming::{Duration, StreamingContext};

use super::oracle::diff;

/// The `k=v` words of a scenario line as (key, value) pairs.
pub fn pairs<'a>(words: impl IntoIterator<Item = &'a str>) -> Result<Vec<(String, i32)>> {
    words
        .into_iter()
        .map(|w| {
            let (k, v) = w
                .split_once('=')
                .ok_or_else(|| Error::InvalidArgument(format!("expected k=v, got '{w}'")))?;
            let v = v
                .parse::<i32>()
                .map_err(|_| Error::InvalidArgument(format!("bad value in '{w}'")))?;
            Ok((k.to_string(), v))
        })
        .collect()
}

/// Items sorted as strings, one space between them (as the Java oracles print a batch's items).
pub fn sorted_line(mut items: Vec<String>) -> String {
    items.sort();
    items.join(" ")
}

/// A pair as Scala prints a tuple: `(k,v)`.
pub fn pair<K: std::fmt::Display, V: std::fmt::Display>(kv: &(K, V)) -> String {
    format!("({},{})", kv.0, kv.1)
}

/// What a scenario runs on, as the Java oracles set it up: a context on `master` with
/// `partitions` as its default parallelism, a streaming context of one-second batches on a
/// manual clock, checkpointing to a fresh folder (kept alive by the returned guard).
pub fn streaming_context(
    master: &str,
    app_name: &str,
    partitions: usize,
) -> Result<(SparkContext, StreamingContext, tempfile::TempDir)> {
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master(master)
            .set_app_name(app_name)
            .set("sparklet.default.parallelism", &partitions.to_string()),
    )?;
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path())?;
    Ok((sc, ssc, dir))
}

/// Parses a scenario's text with `parse` and runs it on `master` with `run`; an error says
/// which of the two failed.
pub fn parse_and_run<S>(
    text: &str,
    master: &str,
    parse: impl Fn(&str) -> Result<S>,
    run: impl Fn(&S, &str) -> Result<Vec<String>>,
) -> std::result::Result<Vec<String>, String> {
    let parsed = parse(text).map_err(|e| format!("cannot parse: {e}"))?;
    run(&parsed, master).map_err(|e| format!("sparklet failed: {e}"))
}

/// One golden-file suite (tests/oracle.rs, tests/oracle_ops.rs): its folder of scenarios, how to
/// make a missing Spark output, and its scenario parser and runner.
pub struct Suite<S> {
    /// The scenarios' folder, relative to the crate.
    pub dir: &'static str,
    /// How to make a scenario's Spark output (said when one is missing).
    pub regenerate: &'static str,
    /// Reads a scenario's text.
    pub parse: fn(&str) -> Result<S>,
    /// Runs a parsed scenario on a master; returns its output lines.
    pub run: fn(&S, &str) -> Result<Vec<String>>,
}

impl<S> Suite<S> {
    /// The suite's scenario files, in name order.
    pub fn scenarios(&self) -> Vec<PathBuf> {
        scenarios(self.dir)
    }

    /// Parses and runs one scenario's text on `master`.
    pub fn run_text(&self, text: &str, master: &str) -> std::result::Result<Vec<String>, String> {
        parse_and_run(text, master, self.parse, self.run)
    }

    /// [`check_all`] with the suite's runner.
    pub fn check_all(&self, files: &[PathBuf], master: &str) {
        check_all(files, master, self.regenerate, &|text, master| {
            self.run_text(text, master)
        });
    }
}

/// The `*.txt` scenario files of `dir` (relative to the crate), in name order.
pub fn scenarios(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

/// What Spark printed for `scenario`.
pub fn expected_path(scenario: &Path) -> PathBuf {
    scenario.with_extension("spark.out")
}

/// Runs one scenario through `run(text, master)` and compares it with Spark's lines; returns
/// a report of the mismatch, if any. `regenerate` says how to make a missing Spark output.
pub fn check(
    scenario: &Path,
    master: &str,
    regenerate: &str,
    run: &dyn Fn(&str, &str) -> std::result::Result<Vec<String>, String>,
) -> Option<String> {
    let name = scenario.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(scenario).expect("scenario");
    let expected_file = expected_path(scenario);
    let Ok(expected) = std::fs::read_to_string(&expected_file) else {
        return Some(format!(
            "{name}: no {} ({regenerate})",
            expected_file.display()
        ));
    };
    let expected: Vec<String> = expected.lines().map(str::to_string).collect();
    let actual = match run(&text, master) {
        Ok(lines) => lines,
        Err(e) => return Some(format!("{name} on {master}: {e}")),
    };
    if actual == expected {
        return None;
    }
    Some(format!(
        "{name} on {master} differs from Apache Spark\nscenario:\n{}\n{}",
        text.trim_end(),
        diff(&expected, &actual)
    ))
}

/// [`check`] on every file; fails the test with every mismatch.
pub fn check_all(
    files: &[PathBuf],
    master: &str,
    regenerate: &str,
    run: &dyn Fn(&str, &str) -> std::result::Result<Vec<String>, String>,
) {
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| check(f, master, regenerate, run))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ from Apache Spark on {master}:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// Fails unless there are at least `min` scenarios, each with Spark's output next to it.
pub fn assert_every_scenario_has_spark_output(files: &[PathBuf], min: usize) {
    assert!(
        files.len() >= min,
        "expected at least {min} scenarios, found {}",
        files.len()
    );
    for f in files {
        assert!(
            expected_path(f).exists(),
            "{} has no Spark output next to it",
            f.display()
        );
    }
}
