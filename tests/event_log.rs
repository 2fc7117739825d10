//! Spark's event log (`sparklet.eventLog.*`): every line parses as JSON, each event type has
//! Spark 4.3's field names (checked against a real Spark 4.3 log, `tests/fixtures`), the file
//! is `<appId>.inprogress` until the context stops, and bad settings are refused.

#[path = "common/event_log_program.rs"]
mod program;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sparklet::prelude::*;

const FIXTURE: &str = include_str!("fixtures/spark-4.3-eventlog.json");

/// Objects whose keys are data (properties, URLs), not field names.
const FREE_FORM: [&str; 10] = [
    "Properties",
    "Spark Properties",
    "Hadoop Properties",
    "System Properties",
    "Metrics Properties",
    "Classpath Entries",
    "Log Urls",
    "Attributes",
    "Resources",
    "Executor Resource Requests",
];

/// Keys Spark writes only when they have a value (a failed stage's reason, a failed job's
/// exception): allowed beyond the fixture's, which has no failure.
const OPTIONAL: [&str; 2] = ["Failure Reason", "Exception"];

fn parse_lines(text: &str) -> Vec<Value> {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            assert!(
                line.starts_with(r#"{"Event":""#),
                "line {}: \"Event\" must come first, compact: {line}",
                i + 1
            );
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}: {line}", i + 1))
        })
        .collect()
}

fn event_name(v: &Value) -> &str {
    v["Event"].as_str().expect("an Event name")
}

/// Compares the key sets of `ours` and `spark` at every level (`path` names the level in
/// failures); arrays compare their first elements when both have one.
fn same_shape(path: &str, ours: &Value, spark: &Value, diffs: &mut Vec<String>) {
    match (ours, spark) {
        (Value::Object(a), Value::Object(b)) => {
            let ka: BTreeSet<&str> = a.keys().map(String::as_str).collect();
            let kb: BTreeSet<&str> = b.keys().map(String::as_str).collect();
            for k in ka.difference(&kb) {
                if !OPTIONAL.contains(k) {
                    diffs.push(format!("{path}: extra key {k:?}"));
                }
            }
            for k in kb.difference(&ka) {
                diffs.push(format!("{path}: missing key {k:?}"));
            }
            for k in ka.intersection(&kb) {
                if FREE_FORM.contains(k) {
                    continue;
                }
                // Task end reasons of different kinds have different fields.
                if *k == "Task End Reason" && a[*k]["Reason"] != b[*k]["Reason"] {
                    continue;
                }
                same_shape(&format!("{path}.{k}"), &a[*k], &b[*k], diffs);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                same_shape(&format!("{path}[0]"), x, y, diffs);
            }
        }
        (a, b) => {
            let kind = |v: &Value| match v {
                Value::Null => "null",
                Value::Bool(_) => "bool",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            if kind(a) != kind(b) {
                diffs.push(format!("{path}: {} where Spark has {}", kind(a), kind(b)));
            }
        }
    }
}

/// Runs the shared scenario; returns the log's path and its parsed lines.
fn scenario_log(dirs: &tempfile::TempDir) -> (PathBuf, Vec<Value>) {
    let logs = dirs.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let app_id = program::run(&logs, dirs.path()).unwrap();
    let path = logs.join(&app_id);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, parse_lines(&text))
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Spark: JsonProtocolSuite "SparkListenerEvent" (each event's JSON form), checked against
/// a real Spark 4.3 log: a word count with a shuffle, a cached and checkpointed RDD, a killed
/// executor and a stateful stream; every event type the fixture has, with the same keys at
/// every level.
#[test]
fn every_event_has_sparks_field_names() {
    let dirs = tempfile::tempdir().unwrap();
    let (_, ours) = scenario_log(&dirs);
    let spark = parse_lines(FIXTURE);
    let mut spark_by_type: BTreeMap<&str, &Value> = BTreeMap::new();
    for e in &spark {
        spark_by_type.entry(event_name(e)).or_insert(e);
    }
    let mut diffs = Vec::new();
    let mut checked = BTreeSet::new();
    for e in &ours {
        let name = event_name(e);
        if let Some(s) = spark_by_type.get(name) {
            checked.insert(name.to_string());
            same_shape(name, e, s, &mut diffs);
        }
    }
    diffs.sort();
    diffs.dedup();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    let expected: BTreeSet<String> = spark_by_type.keys().map(|k| k.to_string()).collect();
    assert_eq!(
        checked, expected,
        "every event type of Spark's log is written"
    );
}

/// Spark: JsonProtocolSuite "SparkListenerEvent" for the events the fixture lacks (Spark's
/// `JsonProtocol` field lists), and the Task End Reasons of a lost executor.
#[test]
fn events_beyond_the_fixture_have_sparks_fields() {
    let dirs = tempfile::tempdir().unwrap();
    let (_, ours) = scenario_log(&dirs);
    let find = |name: &str| -> &Value {
        ours.iter()
            .find(|e| event_name(e) == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let removed = find("SparkListenerExecutorRemoved");
    assert_eq!(
        keys(removed),
        set(&["Event", "Timestamp", "Executor ID", "Removed Reason"])
    );
    assert!(removed["Removed Reason"]
        .as_str()
        .unwrap()
        .contains("killed by kill_executor"));
    assert_eq!(
        keys(find("SparkListenerBlockManagerRemoved")),
        set(&["Event", "Block Manager ID", "Timestamp"])
    );
    assert_eq!(
        keys(find("SparkListenerUnpersistRDD")),
        set(&["Event", "RDD ID"])
    );
    // The killed executor's replacement is announced, with its block manager.
    let added: Vec<&str> = ours
        .iter()
        .filter(|e| event_name(e) == "SparkListenerExecutorAdded")
        .map(|e| e["Executor ID"].as_str().unwrap())
        .collect();
    assert_eq!(added, ["0", "1", "2"]);
}

/// Spark: EventLoggingListenerSuite "End-to-end event logging": the log tells the story of the
/// application (jobs, stages, tasks with their metrics, cached blocks, the application's end).
#[test]
fn the_log_records_jobs_tasks_metrics_and_blocks() {
    let dirs = tempfile::tempdir().unwrap();
    let (_, ours) = scenario_log(&dirs);
    let names: Vec<&str> = ours.iter().map(event_name).collect();
    assert_eq!(names[0], "SparkListenerLogStart");
    assert_eq!(names.last(), Some(&"SparkListenerApplicationEnd"));
    let count = |n: &str| names.iter().filter(|&&x| x == n).count();
    assert_eq!(count("SparkListenerJobStart"), count("SparkListenerJobEnd"));
    assert_eq!(
        count("SparkListenerTaskStart"),
        count("SparkListenerTaskEnd")
    );
    assert_eq!(
        count("SparkListenerStageSubmitted"),
        count("SparkListenerStageCompleted")
    );
    // The first job: a shuffle map stage of 4 tasks writing records, read by 4 reduce tasks.
    let ends: Vec<&Value> = ours
        .iter()
        .filter(|e| event_name(e) == "SparkListenerTaskEnd" && e["Stage ID"] == 0)
        .collect();
    assert_eq!(ends.len(), 4);
    let written: u64 = ends
        .iter()
        .map(|e| {
            e["Task Metrics"]["Shuffle Write Metrics"]["Shuffle Records Written"]
                .as_u64()
                .unwrap()
        })
        .sum();
    let read: u64 = ours
        .iter()
        .filter(|e| event_name(e) == "SparkListenerTaskEnd" && e["Stage ID"] == 1)
        .map(|e| {
            e["Task Metrics"]["Shuffle Read Metrics"]["Total Records Read"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert!(
        written > 0 && written == read,
        "written {written}, read {read}"
    );
    assert!(ends.iter().all(|e| e["Task Type"] == "ShuffleMapTask"));
    // The job start lists its stages with their RDDs; the cached RDD shows its level.
    let job0 = ours
        .iter()
        .find(|e| event_name(e) == "SparkListenerJobStart")
        .unwrap();
    assert_eq!(job0["Stage IDs"], serde_json::json!([0, 1]));
    let rdds = &job0["Stage Infos"][1]["RDD Info"];
    assert_eq!(rdds[0]["Name"], "word counts");
    assert_eq!(rdds[0]["Storage Level"]["Use Memory"], true);
    assert_eq!(rdds[0]["Callsite"], "reduceByKey");
    assert_eq!(job0["Stage Infos"][1]["Parent IDs"], serde_json::json!([0]));
    // Cached blocks of the word counts RDD were reported (logBlockUpdates is on).
    let rdd_id = rdds[0]["RDD ID"].as_u64().unwrap();
    let blocks: BTreeSet<&str> = ours
        .iter()
        .filter(|e| event_name(e) == "SparkListenerBlockUpdated")
        .map(|e| e["Block Updated Info"]["Block ID"].as_str().unwrap())
        .filter(|b| b.starts_with(&format!("rdd_{rdd_id}_")))
        .collect();
    assert_eq!(blocks.len(), 4);
    // The checkpointed RDD's later job reads the ReliableCheckpointRDD.
    assert!(ours.iter().any(|e| {
        event_name(e) == "SparkListenerStageSubmitted"
            && e["Stage Info"]["RDD Info"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["Name"] == "ReliableCheckpointRDD")
    }));
}

/// sparklet's streaming batches: one `SparkletStreamingBatchCompleted` a batch, in exactly the
/// shape the report reads, with each state stream's key count and the checkpoint batch.
#[test]
fn streaming_batches_are_logged_with_their_state_sizes() {
    let dirs = tempfile::tempdir().unwrap();
    let (_, ours) = scenario_log(&dirs);
    let batches: Vec<&Value> = ours
        .iter()
        .filter(|e| event_name(e) == "SparkletStreamingBatchCompleted")
        .collect();
    assert_eq!(batches.len(), program::BATCHES);
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    for (i, b) in batches.iter().enumerate() {
        assert_eq!(
            keys(b),
            set(&[
                "Event",
                "Batch Time",
                "Submission Time",
                "Processing Start Time",
                "Processing End Time",
                "Num Records",
                "Input",
                "Checkpoint",
                "Output Operations",
                "State"
            ])
        );
        let time = 1000 * (i as u64 + 1);
        assert_eq!(b["Batch Time"], time);
        assert_eq!(b["Output Operations"], 2);
        // Both state streams checkpoint every 10 s.
        assert_eq!(b["Checkpoint"], time == 10_000, "batch {time}");
        // After batch i the keys are 0 .. 5i + 20, in both streams.
        let state: Vec<(String, u64)> = b["State"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                assert_eq!(keys(s), set(&["Stream Id", "Stream", "Keys"]));
                (
                    s["Stream"].as_str().unwrap().to_string(),
                    s["Keys"].as_u64().unwrap(),
                )
            })
            .collect();
        let keys_now = 5 * i as u64 + 20;
        assert_eq!(
            state,
            [
                ("InternalMapWithStateDStream".to_string(), keys_now),
                ("StateDStream".to_string(), keys_now)
            ],
            "batch {time}"
        );
    }
}

fn logged_context(dir: &Path, settings: &[(&str, &str)]) -> Result<SparkContext> {
    let mut conf = SparkConf::new()
        .set_master("local[2]")
        .set_app_name("event log test")
        .set("sparklet.eventLog.enabled", "true")
        .set("sparklet.eventLog.dir", &dir.display().to_string());
    for (k, v) in settings {
        conf = conf.set(k, v);
    }
    SparkContext::new(conf)
}

/// Spark: SingleEventLogFileWriterSuite "initialize, write, stop - with all codecs": the log is
/// `<appId>.inprogress` while the application runs (flushed at each job end), and `<appId>`
/// once it stopped; the app id is Spark's `local-<millis>`.
#[test]
fn the_file_is_inprogress_until_the_context_stops() {
    let dir = tempfile::tempdir().unwrap();
    let sc = logged_context(dir.path(), &[]).unwrap();
    let app_id = sc.app_id();
    let millis = app_id.strip_prefix("local-").expect("local-<millis>");
    assert!(millis.parse::<u64>().is_ok(), "{app_id}");
    assert_eq!(sc.parallelize(vec![1, 2, 3], 2).count().unwrap(), 3);
    let inprogress = dir.path().join(format!("{app_id}.inprogress"));
    let done = dir.path().join(&app_id);
    assert!(inprogress.is_file() && !done.exists());
    let text = std::fs::read_to_string(&inprogress).unwrap();
    let names: Vec<String> = parse_lines(&text)
        .iter()
        .map(|e| event_name(e).to_string())
        .collect();
    assert_eq!(
        names.last().map(String::as_str),
        Some("SparkListenerJobEnd")
    );
    sc.stop();
    assert!(!inprogress.exists() && done.is_file());
    let text = std::fs::read_to_string(&done).unwrap();
    let lines = parse_lines(&text);
    assert_eq!(
        event_name(&lines[lines.len() - 1]),
        "SparkListenerApplicationEnd"
    );
    let start = lines
        .iter()
        .find(|e| event_name(e) == "SparkListenerApplicationStart")
        .unwrap();
    assert_eq!(start["App ID"], app_id.as_str());
    assert_eq!(start["App Name"], "event log test");
}

/// Spark: EventLoggingListener `logBlockUpdates`: BlockUpdated lines only with
/// `spark.eventLog.logBlockUpdates.enabled` (here `sparklet.eventLog.logBlockUpdates.enabled`).
#[test]
fn block_updates_are_written_only_when_asked() {
    for (setting, expected) in [("false", false), ("true", true)] {
        let dir = tempfile::tempdir().unwrap();
        let sc = logged_context(
            dir.path(),
            &[("sparklet.eventLog.logBlockUpdates.enabled", setting)],
        )
        .unwrap();
        let app_id = sc.app_id();
        let rdd = sc
            .parallelize((0..10).collect::<Vec<i32>>(), 2)
            .cache()
            .unwrap();
        assert_eq!(rdd.count().unwrap(), 10);
        sc.stop();
        let text = std::fs::read_to_string(dir.path().join(app_id)).unwrap();
        let updates: Vec<Value> = parse_lines(&text)
            .into_iter()
            .filter(|e| event_name(e) == "SparkListenerBlockUpdated")
            .collect();
        assert_eq!(!updates.is_empty(), expected, "logBlockUpdates={setting}");
        if expected {
            let ids: BTreeSet<&str> = updates
                .iter()
                .map(|e| e["Block Updated Info"]["Block ID"].as_str().unwrap())
                .collect();
            assert_eq!(ids.len(), 2, "{ids:?}");
        }
    }
}

/// Spark: EventLogFileWriter.requireLogBaseDirAsDirectory: a missing folder is refused when
/// the context starts, naming it ("Log directory ... does not exist.").
#[test]
fn a_missing_log_folder_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let err = logged_context(&missing, &[]).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(
        text.contains(&format!(
            "Log directory {} does not exist.",
            missing.display()
        )),
        "{text}"
    );
    // A file is not a folder.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = logged_context(&file, &[]).unwrap_err();
    assert!(err.to_string().contains("is not a directory"), "{err}");
}

/// Spark's typed config (`ConfigBuilder.booleanConf`): the event log switches must be booleans.
#[test]
fn event_log_switches_must_be_booleans() {
    let dir = tempfile::tempdir().unwrap();
    for key in [
        "sparklet.eventLog.enabled",
        "sparklet.eventLog.logBlockUpdates.enabled",
    ] {
        let conf = SparkConf::new()
            .set_master("local")
            .set("sparklet.eventLog.dir", &dir.path().display().to_string())
            .set(key, "yes");
        let err = SparkContext::new(conf).unwrap_err();
        assert!(
            err.to_string().contains("should be boolean"),
            "{key}: {err}"
        );
    }
    // Disabled (the default), no file is written.
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local")
            .set("sparklet.eventLog.dir", &dir.path().display().to_string()),
    )
    .unwrap();
    assert_eq!(sc.parallelize(vec![1], 1).count().unwrap(), 1);
    sc.stop();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
