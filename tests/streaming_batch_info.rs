//! What sparklet's `SparkletStreamingBatchCompleted` line says of each batch: its input records
//! (Spark's `BatchInfo.numRecords` from the `InputInfoTracker`) and each stateful stream's
//! state size. Every test runs on the manual clock and reads the event log after the context
//! stopped; the socket test waits on the receiver's counters (bounded polling, as
//! `tests/streaming_socket.rs`), never on time.

mod common;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use common::socket::{accept, listener, records, wait_until};
use parking_lot::Mutex;
use serde_json::Value;
use sparklet::prelude::*;
use sparklet::streaming::*;

/// A context writing its event log into `dir`.
fn logged_context(dir: &Path) -> SparkContext {
    SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("batch info test")
            .set("sparklet.eventLog.enabled", "true")
            .set("sparklet.eventLog.dir", &dir.display().to_string()),
    )
    .unwrap()
}

/// Stops `sc` and returns the batch lines of its event log, in order.
fn stop_and_read_batches(sc: &SparkContext, dir: &Path) -> Vec<Value> {
    let app_id = sc.app_id();
    sc.stop();
    let text = std::fs::read_to_string(dir.join(app_id)).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["Event"] == "SparkletStreamingBatchCompleted")
        .collect()
}

fn num_records(batches: &[Value]) -> Vec<u64> {
    batches
        .iter()
        .map(|b| b["Num Records"].as_u64().unwrap())
        .collect()
}

/// Each batch's `(stream class, keys)` list.
fn state_of(batch: &Value) -> Vec<(String, u64)> {
    batch["State"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["Stream"].as_str().unwrap().to_string(),
                s["Keys"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Spark: InputStreamsSuite "socket input stream" (the progress listener's received records
/// equal the lines sent): each batch's `Num Records` is the records of the blocks allocated to
/// it — 2, then 0 for a batch with nothing sent, then 3.
#[test]
fn a_socket_batch_counts_the_records_received_for_it() {
    let logs = tempfile::tempdir().unwrap();
    let sc = logged_context(logs.path());
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let (server, port) = listener();
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    lines.foreach_rdd(move |rdd, _| {
        s.lock().push(rdd.count()? as u64);
        Ok(())
    });
    ssc.start().unwrap();
    let mut peer = accept(&server);
    peer.write_all(b"a b\nc\n").unwrap();
    wait_until("2 lines are received", || records(&lines) == 2);
    ssc.run_batches(1).unwrap();
    ssc.run_batches(1).unwrap();
    peer.write_all(b"d\ne\nf g\n").unwrap();
    wait_until("5 lines are received", || records(&lines) == 5);
    ssc.run_batches(1).unwrap();
    ssc.stop(false, false);
    let batches = stop_and_read_batches(&sc, logs.path());
    assert_eq!(num_records(&batches), vec![2, 0, 3]);
    assert_eq!(*seen.lock(), vec![2, 0, 3]);
    // The per-stream list (Spark's `streamIdToInputInfo`) names the socket stream.
    let id = batches[0]["Input"][0]["Stream Id"].clone();
    for (b, n) in batches.iter().zip([2, 0, 3]) {
        assert_eq!(
            b["Input"],
            serde_json::json!([{"Stream Id": id, "Stream": "SocketInputDStream", "Num Records": n}])
        );
    }
    assert_eq!(num_records(&batches).iter().sum::<u64>(), records(&lines));
}

/// Spark: InputStreamsSuite "queue input stream - oneAtATime = true": a queue stream reports
/// no input info (Spark's `QueueInputDStream`), so its batches count 0 records however many
/// it holds.
#[test]
fn queue_stream_batches_count_no_records_as_in_spark() {
    let logs = tempfile::tempdir().unwrap();
    let sc = logged_context(logs.path());
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let counted = Arc::new(Mutex::new(Vec::new()));
    let c = counted.clone();
    ssc.queue_stream(vec![vec![1, 2, 3], vec![4], vec![]], true)
        .foreach_rdd(move |rdd, _| {
            c.lock().push(rdd.count()?);
            Ok(())
        });
    ssc.start().unwrap();
    ssc.run_batches(3).unwrap();
    ssc.stop(false, false);
    let batches = stop_and_read_batches(&sc, logs.path());
    assert_eq!(*counted.lock(), vec![3, 1, 0]);
    assert_eq!(num_records(&batches), vec![0, 0, 0]);
    for b in &batches {
        assert_eq!(b["Input"], serde_json::json!([]));
    }
}

/// Spark: MapWithStateSuite "mapWithState - basic operations with simple API" and
/// BasicOperationsSuite "updateStateByKey" (the state after each batch), as sizes: both state
/// streams of one context appear in every batch's `State`, each with exactly the keys its
/// state holds after the batch (checked against the states' own counts), without a job of
/// its own — including batches where `updateStateByKey` removes keys and one with no data.
#[test]
fn both_state_streams_report_their_exact_sizes_each_batch() {
    let logs = tempfile::tempdir().unwrap();
    let checkpoints = tempfile::tempdir().unwrap();
    let sc = logged_context(logs.path());
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(checkpoints.path()).unwrap();
    let words = |w: &str| w.split(' ').map(str::to_string).collect::<Vec<String>>();
    let input = vec![
        words("a b c a"),
        words("d e"),
        Vec::new(),
        words("a f g h i"),
        words("x"),
    ];
    let pairs = ssc.queue_stream(input, true).map(|w| (w, 1u64));
    let mapped = pairs.map_with_state(StateSpec::function(
        |w: &String, one: Option<u64>, state: &mut State<u64>| {
            let n = one.unwrap_or(0) + state.get_option().copied().unwrap_or(0);
            state.update(n);
            (w.clone(), n)
        },
    ));
    // A key lives two batches after it was last seen (updateStateByKey removes it then).
    let updated = pairs.update_state_by_key(|ones: &[u64], age: Option<u64>| {
        if ones.is_empty() {
            let age = age.unwrap_or(0) + 1;
            (age < 2).then_some(age)
        } else {
            Some(0)
        }
    });
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let s = sizes.clone();
    mapped.state_snapshots().foreach_rdd(move |rdd, _| {
        s.lock()
            .push(("InternalMapWithStateDStream", rdd.count()? as u64));
        Ok(())
    });
    let s = sizes.clone();
    updated.foreach_rdd(move |rdd, _| {
        s.lock().push(("StateDStream", rdd.count()? as u64));
        Ok(())
    });
    ssc.start().unwrap();
    ssc.run_batches(5).unwrap();
    ssc.stop(false, false);
    let batches = stop_and_read_batches(&sc, logs.path());
    assert_eq!(batches.len(), 5);
    let counted: Vec<(String, u64)> = sizes
        .lock()
        .iter()
        .map(|(s, n)| (s.to_string(), *n))
        .collect();
    let logged: Vec<(String, u64)> = batches.iter().flat_map(state_of).collect();
    assert_eq!(logged, counted);
    // mapWithState keeps every word; updateStateByKey drops a word two batches after it was
    // last seen.
    let by = |name: &str| -> Vec<u64> {
        logged
            .iter()
            .filter(|(s, _)| s == name)
            .map(|(_, n)| *n)
            .collect()
    };
    assert_eq!(by("InternalMapWithStateDStream"), vec![3, 5, 5, 9, 10]);
    assert_eq!(by("StateDStream"), vec![3, 5, 2, 5, 6]);
}

/// Sparklet's own rule (no Spark case: Spark's streaming UI shows no state size): a state
/// size is exact or absent. When the batch's outputs read only some partitions of the state
/// (`take(1)` stops after the first), the stream is left out of `State` instead of reporting
/// the keys of the partitions read; the next batch, which reads them all, reports it again.
#[test]
fn a_partly_computed_state_is_left_out_not_undercounted() {
    let logs = tempfile::tempdir().unwrap();
    let checkpoints = tempfile::tempdir().unwrap();
    let sc = logged_context(logs.path());
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(checkpoints.path()).unwrap();
    let p = Partitioner::hash(2);
    let first: Vec<u32> = (0..100)
        .filter(|k| p.get_partition(k) == 0)
        .take(2)
        .collect();
    let second: Vec<u32> = (0..100)
        .filter(|k| p.get_partition(k) == 1)
        .take(1)
        .collect();
    let keys: Vec<u32> = first.iter().chain(&second).copied().collect();
    let pairs = ssc
        .queue_stream(vec![keys.clone(), keys], true)
        .map(|k| (k, 1u64));
    let state = pairs.update_state_by_key_with(
        |ones: &[u64], n: Option<u64>| Some(n.unwrap_or(0) + ones.len() as u64),
        p,
        None,
    );
    let batch = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let b = batch.clone();
    state.foreach_rdd(move |rdd, _| {
        // The first batch reads one partition, the second every partition.
        if b.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            assert_eq!(rdd.take(1)?.len(), 1);
        } else {
            assert_eq!(rdd.count()?, 3);
        }
        Ok(())
    });
    ssc.start().unwrap();
    ssc.run_batches(2).unwrap();
    ssc.stop(false, false);
    let batches = stop_and_read_batches(&sc, logs.path());
    assert_eq!(state_of(&batches[0]), vec![]);
    assert_eq!(state_of(&batches[1]), vec![("StateDStream".to_string(), 3)]);
}

/// Spark: InputStreamsSuite "file input stream - newFilesOnly = true" (the batch info side):
/// Spark's `FileInputDStream` reports its files with 0 records, so a batch that reads a new
/// file's lines still counts 0 records, and the stream is listed in `Input` with 0.
#[test]
fn file_stream_batches_count_zero_records_as_in_spark() {
    let logs = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let sc = logged_context(logs.path());
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let lines = ssc.text_file_stream(folder.path());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    lines.foreach_rdd(move |rdd, _| {
        s.lock().push(rdd.count()?);
        Ok(())
    });
    ssc.start().unwrap();
    std::fs::write(folder.path().join("a.txt"), "a1\na2\n").unwrap();
    ssc.run_batches(1).unwrap();
    ssc.stop(false, false);
    let batches = stop_and_read_batches(&sc, logs.path());
    assert_eq!(*seen.lock(), vec![2]);
    assert_eq!(num_records(&batches), vec![0]);
    assert_eq!(batches[0]["Input"][0]["Stream"], "FileInputDStream");
    assert_eq!(batches[0]["Input"][0]["Num Records"], 0);
}
