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

use common::golden;
use common::oracle_ops::{parse, run, Scenario, PLAIN, WINDOWED};

const SUITE: golden::Suite<Scenario> = golden::Suite {
    dir: "tests/oracle/ops/scenarios",
    regenerate: "run tests/oracle/ops/run.sh goldens on it",
    parse,
    run,
};

#[test]
fn every_scenario_has_spark_output() {
    golden::assert_every_scenario_has_spark_output(&SUITE.scenarios(), 38);
}

#[test]
fn scenarios_cover_every_operation() {
    // Each operation appears in some scenario, and each windowed one with a slide > 1 batch.
    let parsed: Vec<_> = SUITE
        .scenarios()
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
    SUITE.check_all(&SUITE.scenarios(), "local[2]");
}

#[test]
fn scenarios_match_spark_on_local_cluster() {
    SUITE.check_all(&SUITE.scenarios(), "local-cluster[3,1,64]");
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
