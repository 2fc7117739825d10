//! Differential tests against Apache Spark, from golden files.
//!
//! Every `tests/oracle/scenarios/NNN.txt` is a stateful-streaming scenario in the format of
//! `../shared/spark-oracle` (000 is the oracle's own example; the others come from
//! `python3 tests/oracle/generate.py NNN`). Next to it, `NNN.spark.out` is what real Apache Spark
//! 4.3 printed for it (`../shared/spark-oracle/run.sh scenario NNN.txt > NNN.spark.out`). CI has
//! no Spark, so the outputs are committed; these tests run each scenario on sparklet and require
//! the same lines, line for line. Never edit a `.spark.out` by hand: regenerate it with Spark.

mod common;

use std::path::{Path, PathBuf};

use common::oracle::{diff, parse, run};

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/scenarios")
}

/// The scenario files, in name order.
fn scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
        .expect("tests/oracle/scenarios")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

fn expected_path(scenario: &Path) -> PathBuf {
    scenario.with_extension("spark.out")
}

/// Runs one scenario on `master`; returns a report of the mismatch, if any.
fn check(scenario: &Path, master: &str) -> Option<String> {
    let name = scenario.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(scenario).expect("scenario");
    let expected_file = expected_path(scenario);
    let Ok(expected) = std::fs::read_to_string(&expected_file) else {
        return Some(format!(
            "{name}: no {} (run the scenario through ../shared/spark-oracle/run.sh)",
            expected_file.display()
        ));
    };
    let expected: Vec<String> = expected.lines().map(str::to_string).collect();
    let parsed = match parse(&text) {
        Ok(s) => s,
        Err(e) => return Some(format!("{name}: cannot parse: {e}")),
    };
    let actual = match run(&parsed, master) {
        Ok(lines) => lines,
        Err(e) => return Some(format!("{name} on {master}: sparklet failed: {e}")),
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

fn check_all(files: &[PathBuf], master: &str) {
    let failures: Vec<String> = files.iter().filter_map(|f| check(f, master)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ from Apache Spark on {master}:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_scenario_has_spark_output() {
    let files = scenarios();
    assert!(
        files.len() >= 40,
        "expected at least 40 scenarios, found {}",
        files.len()
    );
    for f in &files {
        assert!(
            expected_path(f).exists(),
            "{} has no Spark output next to it",
            f.display()
        );
    }
}

#[test]
fn scenarios_match_spark_on_local() {
    check_all(&scenarios(), "local[2]");
}

#[test]
fn some_scenarios_match_spark_on_local_cluster() {
    // Every fifth scenario (000 included): a spread of timeouts, partition counts and lengths.
    let files: Vec<PathBuf> = scenarios().into_iter().step_by(5).collect();
    check_all(&files, "local-cluster[2,1,64]");
}

#[test]
fn diff_shows_changed_lines() {
    let e: Vec<String> = ["1 OUT a:U:1", "1 SNAP (a,1)", "1 UPD (a,1)"]
        .map(String::from)
        .to_vec();
    let mut a = e.clone();
    a[1] = "1 SNAP (a,2)".to_string();
    let d = diff(&e, &a);
    assert!(d.contains("- 1 SNAP (a,1)\n+ 1 SNAP (a,2)\n"), "{d}");
    assert!(diff(&e, &e).lines().count() == 2);
}
