//! The golden-file half of the differential tests (tests/oracle.rs, tests/oracle_ops.rs): the
//! scenario files of a folder, the Spark output next to each, and the check that sparklet printed
//! the same lines, with a line diff when it did not.

use std::path::{Path, PathBuf};

use super::oracle::diff;

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
    run: &dyn Fn(&str, &str) -> Result<Vec<String>, String>,
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
    run: &dyn Fn(&str, &str) -> Result<Vec<String>, String>,
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
