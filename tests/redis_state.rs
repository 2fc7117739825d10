//! mapWithState with its state in a real Redis server (`StateStore::redis`, issue 15). Every
//! test starts its own `redis-server` (tests/common/redis.rs) and stops it.
//!
//! Spark has no external state store; these tests run Spark's own cases (MapWithStateSuite,
//! the differential oracle's scenarios, the executor-death and driver-recovery cases of the
//! in-memory store) with the Redis store and require the in-memory store's results.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::oracle::{parse, run_with_store};
use common::recovery::{
    record_sorted, recovery_context, restarted_run, start_from_checkpoint, uninterrupted_run,
    with_boundary_batch_twice, Recorded,
};
use common::redis::RedisProcess;
use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

fn scenarios() -> Vec<PathBuf> {
    common::golden::scenarios("tests/oracle/scenarios")
}

/// Runs every oracle scenario with the Redis store on `master`, each on its own database.
fn check_all_with_redis(master: &str) {
    let server = RedisProcess::start();
    let files = scenarios();
    assert!(
        files.len() >= 48,
        "expected 48 scenarios, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        let expected: Vec<String> = std::fs::read_to_string(file.with_extension("spark.out"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        let store = StateStore::redis(&server.url((i % 64) as u32)).unwrap();
        match run_with_store(&parse(&text).unwrap(), master, store) {
            Ok(actual) if actual == expected => {}
            Ok(actual) => {
                let at = expected
                    .iter()
                    .zip(&actual)
                    .position(|(e, a)| e != a)
                    .unwrap_or(expected.len().min(actual.len()));
                failures.push(format!(
                    "{name}: line {at}: Spark {:?}, sparklet {:?}",
                    expected.get(at),
                    actual.get(at)
                ));
            }
            Err(e) => failures.push(format!("{name}: failed: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ from Spark with the Redis store on {master}:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// tests/oracle (MapWithStateSuite's semantics vs Apache Spark's printed outputs), all 48
/// scenarios, with the Redis store on local[2].
#[test]
fn every_oracle_scenario_matches_spark_with_redis_on_local() {
    check_all_with_redis("local[2]");
}

/// The same 48 scenarios on local-cluster[3,1,64].
#[test]
fn every_oracle_scenario_matches_spark_with_redis_on_local_cluster() {
    check_all_with_redis("local-cluster[3,1,64]");
}

type Snaps = Arc<Mutex<Vec<Vec<(String, i64)>>>>;

fn counting_spec(store: StateStore) -> StateSpec<String, i64, i64, i64> {
    StateSpec::function(|_k: &String, v: Option<i64>, s: &mut State<i64>| {
        let n = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
        s.update(n);
        n
    })
    .state_store(store)
}

fn word_input() -> Vec<Vec<(String, i64)>> {
    (0..30)
        .map(|b| {
            (0..20)
                .map(|i| (format!("w{}", (b * 7 + i * 3) % 23), 1i64))
                .collect()
        })
        .collect()
}

/// Faults: `None`, kill 2 of 3 executors between batches 12 and 13, or kill them inside batch
/// 12's output operation after its first collect, so that the snapshot job of batch 12
/// computes the lost state partitions of that batch a second time.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    None,
    KillBetweenBatches,
    RecomputeBatch,
}

fn word_state_run(store: StateStore, fault: Fault) -> (Vec<(String, i64)>, usize) {
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local-cluster[3,1,64]")
            .set_app_name("redis-faults"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path()).unwrap();
    let pairs = ssc.queue_stream(word_input(), true);
    let mapped = pairs.map_with_state(counting_spec(store));
    let outs: Arc<Mutex<usize>> = Arc::default();
    let (o, sc2) = (outs.clone(), sc.clone());
    mapped.foreach_rdd(move |rdd, t| {
        *o.lock() += rdd.collect()?.len();
        if fault == Fault::RecomputeBatch && t.milliseconds() == 12_000 {
            let ids = sc2.executor_ids();
            sc2.kill_executor(&ids[0])?;
            sc2.kill_executor(&ids[1])?;
        }
        Ok(())
    });
    let snaps: Snaps = Arc::default();
    let s = snaps.clone();
    mapped.state_snapshots().foreach_rdd(move |rdd, _| {
        let mut v = rdd.collect()?;
        v.sort();
        s.lock().push(v);
        Ok(())
    });
    ssc.start().unwrap();
    ssc.run_batches(12).unwrap();
    if fault == Fault::KillBetweenBatches {
        let ids = sc.executor_ids();
        sc.kill_executor(&ids[0]).unwrap();
        sc.kill_executor(&ids[1]).unwrap();
    }
    ssc.run_batches(18).unwrap();
    ssc.stop(true, false);
    let last = snaps.lock().last().unwrap().clone();
    let outs = *outs.lock();
    (last, outs)
}

/// The in-memory store's "killing two of three executors mid-stream loses no state"
/// (tests/streaming_state.rs), and the same with a batch computed twice on purpose: with the
/// Redis store both end in the fault-free run's state, which is the in-memory store's.
#[test]
fn killing_executors_and_computing_a_batch_twice_leave_the_fault_free_state() {
    let server = RedisProcess::start();
    let in_memory = word_state_run(StateStore::in_memory(), Fault::None);
    assert_eq!(in_memory.0.iter().map(|(_, n)| n).sum::<i64>(), 600);
    for (db, fault) in [
        Fault::None,
        Fault::KillBetweenBatches,
        Fault::RecomputeBatch,
    ]
    .into_iter()
    .enumerate()
    {
        let store = StateStore::redis(&server.url(db as u32)).unwrap();
        let got = word_state_run(store, fault);
        assert_eq!(got, in_memory, "fault {db}");
    }
}

type Lines = Recorded<String>;

/// The recovery program of tests/streaming_recovery.rs, with the Redis store.
fn create(dir: &Path, lines: &Lines, url: &str) -> Result<StreamingContext> {
    let ssc = recovery_context("recovery", dir)?;
    let pairs = ssc.queue_stream(word_input(), true);
    let mapped = pairs.map_with_state(counting_spec(StateStore::redis(url)?));
    record_sorted(&mapped, "OUT", lines);
    record_sorted(&mapped.state_snapshots(), "SNAP", lines);
    Ok(ssc)
}

/// streaming_recovery.rs "recovery equals an uninterrupted run with the boundary batch twice"
/// (Spark's CheckpointSuite "recovery with mapWithState operation"), stopping after batch 15:
/// the restarted driver resumes from the version the metadata checkpoint names.
#[test]
fn a_driver_restart_resumes_from_redis_and_equals_an_uninterrupted_run() {
    let server = RedisProcess::start();
    let (clean_url, url) = (server.url(1), server.url(2));
    let clean = uninterrupted_run(30, |dir, lines| create(dir, lines, &clean_url));
    let stop_after = 15;
    let got = restarted_run(30, stop_after, |dir, lines| create(dir, lines, &url));
    // The boundary batch runs again after the restart: its lines appear twice.
    assert_eq!(got, with_boundary_batch_twice(&clean, stop_after, 2));
}

/// A Redis server that goes away mid-stream aborts the job with an error naming the server
/// (after the task's retries); once it is back with its data, a restarted driver goes on from
/// the last complete version and ends in the uninterrupted run's state.
#[test]
fn losing_the_server_aborts_naming_it_and_the_stream_goes_on_when_it_is_back() {
    let data = tempfile::tempdir().unwrap();
    let mut server = RedisProcess::start_persistent(data.path());
    let url = server.url(0);

    let clean_server = RedisProcess::start();
    let clean_url = clean_server.url(0);
    let clean = uninterrupted_run(20, |dir, lines| create(dir, lines, &clean_url));
    let clean_last = clean.last().unwrap().clone();

    let dir = tempfile::tempdir().unwrap();
    let create_here = |dir: &Path, lines: &Lines| create(dir, lines, &url);
    let run1: Lines = Arc::default();
    let ssc = start_from_checkpoint(dir.path(), &create_here, &run1);
    ssc.run_batches(8).unwrap();
    server.shutdown_save();
    let err = ssc.run_batches(1).unwrap_err();
    ssc.stop(true, false);
    let text = err.to_string();
    assert!(
        matches!(err, Error::JobAborted(_)) && text.contains(&url),
        "expected a job abort naming {url}: {err:?}"
    );

    server.restart();
    let run2: Lines = Arc::default();
    let ssc = start_from_checkpoint(dir.path(), &create_here, &run2);
    ssc.run_batches(12).unwrap();
    ssc.stop(true, false);
    let run2 = run2.lock().clone();
    assert!(
        run2[0].starts_with("9 OUT"),
        "resumes at batch 9: {:?}",
        run2[0]
    );
    assert_eq!(run2.last().unwrap(), &clean_last);
}

/// MapWithStateSuite "mapWithState - state timing out" with the Redis store: timed-out keys are
/// found through the sorted set of update times on checkpoint batches only.
#[test]
fn timeouts_through_the_sorted_set_of_update_times() {
    let server = RedisProcess::start();
    let sc = SparkContext::new(SparkConf::new().set_master("local[2]").set_app_name("to")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path()).unwrap();
    let mut input: Vec<Vec<(String, i32)>> =
        [&["a", "b", "c"][..], &["a", "b"], &["a"], &[], &[], &["a"]]
            .iter()
            .map(|b| b.iter().map(|w| (w.to_string(), 1)).collect())
            .collect();
    input.extend(std::iter::repeat_n(vec![("a".to_string(), 1)], 20));
    let spec =
        StateSpec::function_with_time(|_t, k: &String, v: Option<i32>, s: &mut State<i32>| {
            if v.is_some() {
                s.update(1);
            }
            s.is_timing_out().then(|| k.clone())
        })
        .timeout(Duration::seconds(3))
        .state_store(StateStore::redis(&server.url(0)).unwrap());
    let mapped = ssc.queue_stream(input, true).map_with_state(spec);
    let out: Arc<Mutex<Vec<String>>> = Arc::default();
    let o = out.clone();
    mapped.foreach_rdd(move |rdd, _| {
        o.lock().extend(rdd.collect()?);
        Ok(())
    });
    let snaps: Arc<Mutex<Vec<BTreeSet<(String, i32)>>>> = Arc::default();
    let s = snaps.clone();
    mapped.state_snapshots().foreach_rdd(move |rdd, _| {
        s.lock().push(rdd.collect()?.into_iter().collect());
        Ok(())
    });
    ssc.start().unwrap();
    ssc.run_batches(20).unwrap();
    ssc.stop(true, false);
    let mut timed_out = out.lock().clone();
    timed_out.sort();
    assert_eq!(timed_out, vec!["b".to_string(), "c".to_string()]);
    let snaps = snaps.lock();
    assert_eq!(snaps[8].len(), 3);
    assert_eq!(snaps[9].len(), 1);
    // The update times live in a sorted set: only "a" is left in partition sets.
    let (_, zsets): (u64, Vec<Vec<u8>>) = server.query(
        0,
        redis::cmd("SCAN")
            .arg(0)
            .arg("MATCH")
            .arg("sparklet:to:*:times")
            .arg("COUNT")
            .arg(10_000),
    );
    assert!(!zsets.is_empty(), "the update times are in a sorted set");
}

/// A bad URL is refused naming it; an unreachable server aborts the job naming it.
#[test]
fn a_bad_url_or_a_server_that_is_down_is_a_clear_error() {
    let err = StateStore::redis("not a url").unwrap_err();
    assert!(err.to_string().contains("not a url"), "{err}");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("redis://127.0.0.1:{port}/0");
    let sc =
        SparkContext::new(SparkConf::new().set_master("local[2]").set_app_name("down")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path()).unwrap();
    let input = vec![vec![("a".to_string(), 1i64)]];
    let mapped = ssc
        .queue_stream(input, true)
        .map_with_state(counting_spec(StateStore::redis(&url).unwrap()));
    mapped.foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    ssc.start().unwrap();
    let err = ssc.run_batches(1).unwrap_err();
    ssc.stop(true, false);
    assert!(err.to_string().contains(&url), "{err:?}");
}

/// Issue 15's "state larger than memory", scaled for CI (the full 20M-key run is
/// `examples/state_beyond_memory.rs`): 200k keys arrive over 4 batches, then 2 batches of 10k
/// random updates, on executors with 2m of block memory (the state is about 20 MB in Redis).
/// The last batch's `state_snapshots()`, read a page of `HSCAN` at a time, has every key with
/// the state plain Rust computes (count and an order-free checksum).
#[test]
fn state_larger_than_executor_memory_snapshots_correctly() {
    let server = RedisProcess::start();
    let (keys, load, batches) = (200_000u64, 4u64, 6u64);
    let mut rng = 7u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut input: Vec<Vec<(u64, u64)>> = Vec::new();
    let mut expected = vec![0u64; keys as usize];
    for b in 0..batches {
        let ks: Vec<u64> = if b < load {
            (b * keys / load..(b + 1) * keys / load).collect()
        } else {
            (0..10_000).map(|_| next() % keys).collect()
        };
        for &k in &ks {
            expected[k as usize] += 1;
        }
        input.push(ks.into_iter().map(|k| (k, 1)).collect());
    }
    let mix = |k: u64, s: u64| {
        (k.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ s.wrapping_mul(0xc2b2_ae3d_27d4_eb4f))
            .rotate_left(17)
    };
    let want = expected
        .iter()
        .enumerate()
        .fold((0u64, 0u64), |(c, s), (k, &n)| {
            (c + 1, s.wrapping_add(mix(k as u64, n)))
        });

    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("state_beyond_memory")
            .set("sparklet.executor.memory", "2m"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path()).unwrap();
    let spec = StateSpec::function(|_k: &u64, v: Option<u64>, s: &mut State<u64>| {
        let next = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
        s.update(next);
        next
    })
    .num_partitions(4)
    .state_store(StateStore::redis(&server.url(0)).unwrap());
    let stream = ssc.queue_stream(input, true).map_with_state(spec);
    stream.foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    let last: Arc<Mutex<Option<Rdd<(u64, u64)>>>> = Default::default();
    let keep = last.clone();
    stream.state_snapshots().foreach_rdd(move |rdd, _| {
        *keep.lock() = Some(rdd.clone());
        Ok(())
    });
    ssc.start().unwrap();
    ssc.run_batches(batches as usize).unwrap();
    let snapshot = last.lock().take().expect("a snapshot of the last batch");
    let got = snapshot
        .aggregate(
            (0u64, 0u64),
            move |(c, s), (k, v)| (c + 1, s.wrapping_add(mix(k, v))),
            |(c1, s1), (c2, s2)| (c1 + c2, s1.wrapping_add(s2)),
        )
        .unwrap();
    ssc.stop(true, false);
    assert_eq!(got, want);
}

/// A task that fails in the middle of a batch's partition, while one of its rounds is still
/// on the wire, is retried on the same thread (`local[1,2]`, Spark's "local[N, maxFailures]"
/// of TaskSchedulerImplSuite / MapWithStateSuite's retried tasks): the retry must not read the
/// failed attempt's replies, and the batch's state is applied once.
#[test]
fn a_task_failing_mid_partition_is_retried_on_a_fresh_connection() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static FAILED: AtomicBool = AtomicBool::new(false);
    let server = RedisProcess::start();
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[1,2]")
            .set_app_name("redis-retry"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path()).unwrap();
    // 1,000 distinct keys a batch, one partition: many waves, so a round is in flight when
    // the mapping function panics at the 600th record of batch 3.
    let input: Vec<Vec<(u32, i64)>> = (0..5)
        .map(|b| (0..1000).map(|k| ((k * 7 + b) % 1000, 1i64)).collect())
        .collect();
    let pairs = ssc.queue_stream(input, true);
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s2 = seen.clone();
    let spec = StateSpec::function_with_time(
        move |t: Time, _k: &u32, v: Option<i64>, s: &mut State<i64>| {
            if t.milliseconds() == 3000
                && s2.fetch_add(1, Ordering::SeqCst) == 600
                && !FAILED.swap(true, Ordering::SeqCst)
            {
                panic!("failing the task on purpose");
            }
            let n = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
            s.update(n);
            Some(n)
        },
    )
    .num_partitions(1)
    .state_store(StateStore::redis(&server.url(0)).unwrap());
    let snaps: Arc<Mutex<Vec<(u32, i64)>>> = Arc::default();
    let sn = snaps.clone();
    pairs
        .map_with_state(spec)
        .state_snapshots()
        .foreach_rdd(move |rdd, _| {
            *sn.lock() = rdd.collect()?;
            Ok(())
        });
    ssc.start().unwrap();
    ssc.run_batches(5).unwrap();
    ssc.stop(true, false);
    assert!(FAILED.load(Ordering::SeqCst), "the fault was not injected");
    let mut got = snaps.lock().clone();
    got.sort();
    let want: Vec<(u32, i64)> = (0..1000).map(|k| (k, 5)).collect();
    assert_eq!(got, want);
}
