//! Driver recovery (SPARK_SEMANTICS D12–D15): metadata checkpoints every batch, and
//! `StreamingContext::get_or_create` rebuilding the graph, restoring each stream's checkpointed
//! RDDs and re-running the boundary batch.

mod common;

use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

type Lines = Arc<Mutex<Vec<String>>>;

fn input() -> Vec<Vec<(String, i64)>> {
    (0..30)
        .map(|b| {
            (0..6)
                .map(|i| (format!("k{}", (b * 5 + i * 7) % 11), 1 + (b + i) as i64 % 3))
                .collect()
        })
        .collect()
}

/// The user's program: a context on the manual clock with mapWithState and updateStateByKey
/// over the same input, each batch's snapshot and state recorded as sorted lines.
fn create(dir: &Path, lines: &Lines) -> Result<StreamingContext> {
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("recovery"),
    )?;
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir)?;
    let pairs = ssc.queue_stream(input(), true);
    let mapped = pairs.map_with_state(StateSpec::function(
        |_k: &String, v: Option<i64>, s: &mut State<i64>| {
            let n = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
            s.update(n);
            n
        },
    ));
    let updated = pairs.update_state_by_key(|vs: &[i64], s: Option<i64>| {
        Some(s.unwrap_or(0) + vs.iter().sum::<i64>())
    });
    let l = lines.clone();
    mapped.state_snapshots().foreach_rdd(move |rdd, t| {
        let mut v = rdd.collect()?;
        v.sort();
        l.lock()
            .push(format!("{} SNAP {v:?}", t.milliseconds() / 1000));
        Ok(())
    });
    let l = lines.clone();
    updated.foreach_rdd(move |rdd, t| {
        let mut v = rdd.collect()?;
        v.sort();
        l.lock()
            .push(format!("{} UPD {v:?}", t.milliseconds() / 1000));
        Ok(())
    });
    Ok(ssc)
}

#[test]
fn recovery_equals_an_uninterrupted_run_with_the_boundary_batch_twice() {
    for stop_after in [4usize, 15, 23] {
        let clean_dir = tempfile::tempdir().unwrap();
        let clean: Lines = Arc::default();
        let ssc = create(clean_dir.path(), &clean).unwrap();
        ssc.start().unwrap();
        ssc.run_batches(30).unwrap();
        ssc.stop(true, false);
        let clean = clean.lock().clone();

        let dir = tempfile::tempdir().unwrap();
        let run1: Lines = Arc::default();
        let ssc =
            StreamingContext::get_or_create(dir.path(), || create(dir.path(), &run1)).unwrap();
        ssc.start().unwrap();
        ssc.run_batches(stop_after).unwrap();
        ssc.stop(true, false);

        let run2: Lines = Arc::default();
        let ssc =
            StreamingContext::get_or_create(dir.path(), || create(dir.path(), &run2)).unwrap();
        ssc.start().unwrap();
        ssc.run_batches(30 - stop_after + 1).unwrap();
        ssc.stop(true, false);

        let mut got = run1.lock().clone();
        got.extend(run2.lock().iter().cloned());
        // Spark re-runs the last batch before the failure: its output appears twice.
        let mut want: Vec<String> = clean[..2 * stop_after].to_vec();
        want.extend(clean[2 * (stop_after - 1)..].iter().cloned());
        assert_eq!(got, want, "stopped after {stop_after} batches");
    }
}

#[test]
fn metadata_is_written_twice_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Lines = Arc::default();
    let ssc = create(dir.path(), &lines).unwrap();
    ssc.start().unwrap();
    ssc.run_batches(3).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("checkpoint-"))
        .collect();
    for t in [1000, 2000, 3000] {
        assert!(names.contains(&format!("checkpoint-{t}")), "{names:?}");
        assert!(names.contains(&format!("checkpoint-{t}.bk")), "{names:?}");
    }
}

#[test]
fn get_or_create_creates_when_there_is_no_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Lines = Arc::default();
    let called = Arc::new(Mutex::new(0));
    let c = called.clone();
    let ssc = StreamingContext::get_or_create(dir.path().join("not-yet"), || {
        *c.lock() += 1;
        create(&dir.path().join("not-yet"), &lines)
    })
    .unwrap();
    assert_eq!(*called.lock(), 1);
    ssc.start().unwrap();
    ssc.run_batches(1).unwrap();
    assert_eq!(lines.lock().len(), 2);
}

#[test]
fn damaged_metadata_checkpoints_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Lines = Arc::default();
    let ssc = create(dir.path(), &lines).unwrap();
    ssc.start().unwrap();
    ssc.run_batches(2).unwrap();
    ssc.stop(true, false);
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("checkpoint-")
        {
            std::fs::write(&p, b"damaged").unwrap();
        }
    }
    let lines2: Lines = Arc::default();
    let err = StreamingContext::get_or_create(dir.path(), || create(dir.path(), &lines2))
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::CorruptCheckpoint { path, .. } if path.to_string_lossy().contains("checkpoint-2000")),
        "{err:?}"
    );
}
