//! Differential tests of the stream joins, unions and windows against Apache Spark, from golden
//! files (tests/oracle/ops/README.md).
//!
//! Every `tests/oracle/ops/scenarios/*.txt` is a two-stream scenario: `NNN.txt` from
//! `python3 tests/oracle/ops/generate.py NNN`, `edge-*.txt` written by hand. Next to it,
//! `*.spark.out` is what real Apache Spark 4.3 printed for it
//! (`tests/oracle/ops/run.sh goldens FILE`, `tests/oracle/ops/SparkOpsOracle.java`). CI has no
//! Spark, so the outputs are committed; these tests run each scenario on sparklet (the runner is
//! `tests/common/oracle_ops.rs`) and require the same lines, line for line, with a diff on
//! failure. Never edit a `.spark.out` by hand: regenerate it with Spark.

mod common;

use std::path::{Path, PathBuf};

use common::oracle::diff;
use common::oracle_ops::{parse, run, PLAIN, WINDOWED};

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/ops/scenarios")
}

/// The scenario files, in name order.
fn scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
        .expect("tests/oracle/ops/scenarios")
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
            "{name}: no {} (run tests/oracle/ops/run.sh goldens on it)",
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
        files.len() >= 38,
        "expected at least 38 scenarios, found {}",
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
fn scenarios_cover_every_operation() {
    // Each operation appears in some scenario, and each windowed one with a slide > 1 batch.
    let parsed: Vec<_> = scenarios()
        .iter()
        .map(|f| parse(&std::fs::read_to_string(f).unwrap()).unwrap())
        .collect();
    for name in PLAIN.iter().chain(WINDOWED) {
        assert!(
            parsed.iter().any(|s| s.ops.iter().any(|o| o.name == *name)),
            "no scenario runs {name}"
        );
    }
    for name in WINDOWED {
        assert!(
            parsed
                .iter()
                .any(|s| s.ops.iter().any(|o| o.name == *name && o.slide > 1)),
            "no scenario runs {name} with a slide of more than one batch"
        );
    }
}

#[test]
fn scenarios_match_spark_on_local() {
    check_all(&scenarios(), "local[2]");
}

#[test]
fn scenarios_match_spark_on_local_cluster() {
    check_all(&scenarios(), "local-cluster[3,1,64]");
}

#[test]
fn parse_reads_both_streams_and_ops() {
    let s =
        parse("partitions 3\nop JOIN\nop WINDOW 3 2\nbatch a=1 b=2 | a=3\nbatch\nbatch | c=4\n")
            .unwrap();
    assert_eq!(s.partitions, 3);
    let labels: Vec<String> = s.ops.iter().map(|o| o.label()).collect();
    assert_eq!(labels, ["JOIN", "WINDOW 3 2"]);
    assert_eq!(s.a.len(), 3);
    assert_eq!(s.a[0], [("a".to_string(), 1), ("b".to_string(), 2)]);
    assert_eq!(s.b[0], [("a".to_string(), 3)]);
    assert!(s.a[2].is_empty() && s.b[1].is_empty());
    assert_eq!(s.b[2], [("c".to_string(), 4)]);
    assert!(parse("op WINDOW 3\n").is_err());
    assert!(parse("op JOIN 1 1\n").is_err());
    assert!(parse("batch a=x\n").is_err());
}
