//! Differential tests against Apache Spark, from golden files.
//!
//! Every `tests/oracle/scenarios/NNN.txt` is a stateful-streaming scenario in the format of
//! `../shared/spark-oracle` (000 is the oracle's own example; the others come from
//! `python3 tests/oracle/generate.py NNN`). Next to it, `NNN.spark.out` is what real Apache Spark
//! 4.3 printed for it (`../shared/spark-oracle/run.sh scenario NNN.txt > NNN.spark.out`). CI has
//! no Spark, so the outputs are committed; these tests run each scenario on sparklet and require
//! the same lines, line for line. Never edit a `.spark.out` by hand: regenerate it with Spark.

mod common;

use std::path::PathBuf;

use common::golden;
use common::oracle::{diff, parse, run, Scenario};

const SUITE: golden::Suite<Scenario> = golden::Suite {
    dir: "tests/oracle/scenarios",
    regenerate: "run the scenario through ../shared/spark-oracle/run.sh",
    parse,
    run,
};

#[test]
fn every_scenario_has_spark_output() {
    golden::assert_every_scenario_has_spark_output(&SUITE.scenarios(), 40);
}

#[test]
fn scenarios_match_spark_on_local() {
    SUITE.check_all(&SUITE.scenarios(), "local[2]");
}

#[test]
fn some_scenarios_match_spark_on_local_cluster() {
    // Every fifth scenario (000 included): a spread of timeouts, partition counts and lengths.
    let files: Vec<PathBuf> = SUITE.scenarios().into_iter().step_by(5).collect();
    SUITE.check_all(&files, "local-cluster[2,1,64]");
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
