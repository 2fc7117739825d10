//! Bad arguments and settings that used to lose data or wrap silently (issue 16, defect 4):
//! each is now an `InvalidArgument` naming the cause.

mod common;

use common::{context, context_with};
use sparklet::prelude::*;
use sparklet::streaming::*;

fn invalid(err: Error, needles: &[&str]) {
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    let text = err.to_string();
    for n in needles {
        assert!(text.contains(n), "'{n}' not in: {text}");
    }
}

/// A shuffle into `HashPartitioner(0)` used to drop every record and return `Ok([])`. Spark
/// allows the partitioner (its `HashPartitioner` only refuses a negative count) and fails the
/// map task with `ArithmeticException: / by zero` once a key arrives; here the job is refused
/// at submission, before anything runs. An empty parent with no partitions still shuffles to
/// nothing, as in Spark.
#[test]
fn a_shuffle_into_zero_partitions_is_refused() {
    let sc = context("local[2]");
    let pairs = sc.parallelize(vec![(1, 'a'), (2, 'b')], 2);
    let p0 = Partitioner::hash(0);
    for err in [
        pairs.partition_by(p0.clone()).collect().unwrap_err(),
        pairs
            .reduce_by_key_with(p0.clone(), |a, _| a)
            .collect()
            .unwrap_err(),
    ] {
        invalid(err, &["HashPartitioner(0)", "2 partitions"]);
    }
    let nothing: Rdd<(i32, char)> = sc.empty_rdd();
    assert_eq!(nothing.num_partitions(), 0);
    assert_eq!(nothing.partition_by(p0).collect().unwrap(), vec![]);
    sc.stop();
}

/// RDDs of two contexts combined used to give a wrong value or a shuffle error about missing
/// outputs; now every job over such a lineage is refused, naming both contexts. (Spark allows
/// one active SparkContext per JVM, so it has no such case.)
#[test]
fn rdds_of_two_contexts_cannot_be_combined() {
    let a = context_with("local[2]", &[("sparklet.app.name", "left")]);
    let b = context_with("local[2]", &[("sparklet.app.name", "right")]);
    let x = a.parallelize(vec![(1, 10), (2, 20)], 2);
    let y = b.parallelize(vec![(1, 100), (2, 200)], 2);
    let xs = a.parallelize(vec![1, 2], 1);
    let ys = b.parallelize(vec![3, 4], 1);
    let errors = vec![
        x.join(&y).collect().map(drop).unwrap_err(),
        y.join(&x).collect().map(drop).unwrap_err(),
        x.cogroup(&y).count().map(drop).unwrap_err(),
        xs.union(&ys).collect().map(drop).unwrap_err(),
        // Both sides partitioned alike: the partitioner-aware union.
        x.partition_by(Partitioner::hash(2))
            .union(&y.partition_by(Partitioner::hash(2)))
            .collect()
            .map(drop)
            .unwrap_err(),
    ];
    for err in errors {
        invalid(err, &["SparkContext", "'left'", "'right'"]);
    }
    // Each context on its own is fine.
    assert_eq!(x.join(&x).count().unwrap(), 2);
    assert_eq!(ys.union(&ys).count().unwrap(), 4);
    a.stop();
    b.stop();
}

/// `sparklet.streaming.unpersist=maybe` used to mean the default; Spark's `getBoolean`
/// refuses it ("should be boolean, but was"). Here the context refuses it when it starts.
#[test]
fn a_garbage_boolean_is_refused() {
    let conf = SparkConf::new()
        .set_master("local[2]")
        .set(UNPERSIST, "maybe");
    invalid(
        SparkContext::new(conf).unwrap_err(),
        &[UNPERSIST, "maybe", "boolean"],
    );
    let conf = SparkConf::new()
        .set_master("local[2]")
        .set("sparklet.cleaner.referenceTracking.cleanCheckpoints", "yes");
    invalid(
        SparkContext::new(conf).unwrap_err(),
        &["cleanCheckpoints", "yes"],
    );
    // Case and spaces as Spark's toBoolean allows.
    let conf = SparkConf::new()
        .set_master("local[2]")
        .set(UNPERSIST, " FALSE ");
    SparkContext::new(conf).unwrap().stop();
}

/// `sparklet.task.maxFailures=4294967296` used to wrap to 0 attempts. Spark's key is an `Int`
/// ("should be int, but was"), at least 1. The same for the `F` of `local[N,F]`.
#[test]
fn task_max_failures_out_of_range_is_refused() {
    for bad in ["4294967296", "2147483648", "0", "-1", "many"] {
        let conf = SparkConf::new()
            .set_master("local[2]")
            .set("sparklet.task.maxFailures", bad);
        invalid(
            SparkContext::new(conf).unwrap_err(),
            &["sparklet.task.maxFailures", bad],
        );
    }
    let conf = SparkConf::new().set_master("local[2,4294967296]");
    invalid(SparkContext::new(conf).unwrap_err(), &["4294967296"]);
    let conf = SparkConf::new()
        .set_master("local[2]")
        .set("sparklet.task.maxFailures", "2147483647");
    SparkContext::new(conf).unwrap().stop();
}

/// Other numeric settings: zero where zero means nothing, and values too big for their type.
#[test]
fn other_numeric_settings_out_of_range_are_refused() {
    let cases = [
        ("sparklet.default.parallelism", "0"),
        ("sparklet.default.parallelism", "99999999999999999999"),
        ("sparklet.executor.memory", "99999999999t"),
    ];
    for (key, value) in cases {
        let conf = SparkConf::new().set_master("local[2]").set(key, value);
        invalid(SparkContext::new(conf).unwrap_err(), &[key, value]);
    }
    // Thread counts no machine can start (reserving them used to abort the process).
    for master in ["local[100000000000]", "local-cluster[100000,100000,64]"] {
        let conf = SparkConf::new().set_master(master);
        invalid(
            SparkContext::new(conf).unwrap_err(),
            &[master, "task threads"],
        );
    }
    let conf = SparkConf::new().set_master("local-cluster[2,1,99999999999999999]");
    invalid(SparkContext::new(conf).unwrap_err(), &["99999999999999999"]);
    // A duration too long for milliseconds in a u64.
    let sc = context_with(
        "local[2]",
        &[(
            "sparklet.streaming.receiver.restartDelay",
            "99999999999999999h",
        )],
    );
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let lines = ssc.socket_text_stream("127.0.0.1", 9);
    lines.foreach_rdd(|_, _| Ok(()));
    invalid(
        ssc.start().unwrap_err(),
        &["restartDelay", "99999999999999999h"],
    );
    sc.stop();
}
