//! Broadcast variables (Spark's BroadcastSuite, and issue 12's acceptance): values fetched once
//! per executor through the block managers, lost with a killed executor, unpersisted,
//! destroyed. Fetches are counted through events: an executor that fetches stores every
//! piece, so each `BlockUpdated` of `broadcast_<id>_piece0` on an executor is one fetch.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{context, context_with, sorted};
use sparklet::prelude::*;

/// Executor → how many times it fetched broadcast `id` (stored its piece 0).
fn fetches(log: &EventLog, id: u64) -> BTreeMap<String, usize> {
    let piece0 = format!("broadcast_{id}_piece0");
    let mut out = BTreeMap::new();
    for e in log.events() {
        if let SparkListenerEvent::BlockUpdated {
            block_id,
            executor_id,
            storage_level,
            ..
        } = e
        {
            if block_id == piece0 && executor_id != "driver" && storage_level.is_valid() {
                *out.entry(executor_id).or_insert(0) += 1;
            }
        }
    }
    out
}

/// The block managers holding `block` ("driver" first).
fn holders(sc: &SparkContext, block: &str) -> Vec<String> {
    sc.get_block_status(block)
        .unwrap()
        .into_iter()
        .map(|(e, _)| e)
        .collect()
}

fn list() -> Vec<i32> {
    vec![1, 2, 3, 4]
}

/// BroadcastSuite: "Using TorrentBroadcast locally"
#[test]
fn using_torrent_broadcast_locally() {
    let sc = context("local");
    let broadcast = sc.broadcast(list());
    let b = broadcast.clone();
    let results = sc
        .parallelize(vec![1, 2], 1)
        .map(move |x| (x, b.value().iter().sum::<i32>()));
    assert_eq!(sorted(results.collect().unwrap()), vec![(1, 10), (2, 10)]);
}

/// BroadcastSuite: "Accessing TorrentBroadcast variables from multiple threads"
#[test]
fn accessing_torrent_broadcast_variables_from_multiple_threads() {
    let sc = context("local[10]");
    let broadcast = sc.broadcast(list());
    let b = broadcast.clone();
    let results = sc
        .parallelize((1..=10).collect(), 10)
        .map(move |x| (x, b.value().iter().sum::<i32>()));
    let want: Vec<(i32, i32)> = (1..=10).map(|x| (x, 10)).collect();
    assert_eq!(sorted(results.collect().unwrap()), want);
}

/// BroadcastSuite: "Accessing TorrentBroadcast variables in a local cluster (encryption = off)"
/// (Kryo and compression have no counterpart; the cluster's executors are threads here)
#[test]
fn accessing_torrent_broadcast_variables_in_a_local_cluster() {
    let num_workers = 4;
    let sc = context("local-cluster[4,1,1024]");
    let log = EventLog::attach(&sc);
    let broadcast = sc.broadcast(list());
    let b = broadcast.clone();
    let results = sc
        .parallelize((1..=num_workers).collect(), num_workers as usize)
        .map(move |x| (x, b.value().iter().sum::<i32>()));
    let want: Vec<(i32, i32)> = (1..=num_workers).map(|x| (x, 10)).collect();
    assert_eq!(sorted(results.collect().unwrap()), want);
    // Each executor that ran a task fetched the value once.
    assert!(fetches(&log, broadcast.id()).values().all(|&n| n == 1));
}

/// BroadcastSuite: "TorrentBroadcast's blockifyObject and unblockifyObject are inverses"
/// (Snappy compression has no counterpart; the serializer is sparklet's one)
#[test]
fn blockify_object_and_unblockify_object_are_inverses() {
    use sparklet::broadcast::{blockify_object, unblockify_object};
    let block_size = 1024;
    // A seeded generator (Spark's `new Random(42)`): any fixed sequence of sizes and bytes.
    let mut state: u64 = 42;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _trial in 1..=100 {
        let size = 1 + (next() % (1024 * 10)) as usize;
        let data: Vec<u8> = (0..size).map(|_| next() as u8).collect();
        let blocks = blockify_object(&data, block_size).unwrap();
        assert!(blocks.iter().all(|b| b.len() <= block_size));
        let unblockified: Vec<u8> = unblockify_object(&blocks).unwrap();
        assert_eq!(unblockified, data);
    }
}

/// BroadcastSuite: "Test Lazy Broadcast variables with TorrentBroadcast": a broadcast that no
/// task uses is never fetched.
#[test]
fn lazy_broadcast_variables_with_torrent_broadcast() {
    let num_workers = 2;
    let sc = context("local-cluster[2,1,1024]");
    let log = EventLog::attach(&sc);
    let broadcast = sc.broadcast(vec![1, 2, 3, 4]);
    let id = broadcast.id();
    let _keep = broadcast.clone();
    let results = sc
        .parallelize((1..=num_workers as i32).collect::<Vec<i32>>(), num_workers)
        .map(move |x| (x, _keep.id() == u64::MAX))
        .collect()
        .unwrap();
    assert_eq!(results, vec![(1, false), (2, false)]);
    assert_eq!(holders(&sc, &format!("broadcast_{id}")), vec!["driver"]);
    assert!(fetches(&log, id).is_empty());
}

/// Spark's `testUnpersistBroadcast`: create (blocks on the driver only), use on every executor
/// (blocks on the driver and each executor), unpersist or destroy (blocks gone from the
/// executors, and from the driver when destroyed), then use again or fail.
fn test_unpersist_torrent_broadcast(distributed: bool, remove_from_driver: bool) {
    let num_executors = if distributed { 2 } else { 0 };
    let sc = if distributed {
        context("local-cluster[2,1,1024]")
    } else {
        context("local")
    };
    let list = list();
    let broadcast = sc.broadcast(list.clone());
    let value_block = format!("broadcast_{}", broadcast.id());
    let piece0 = format!("broadcast_{}_piece0", broadcast.id());

    // afterCreation
    assert_eq!(holders(&sc, &value_block), vec!["driver"]);
    assert_eq!(holders(&sc, &piece0), vec!["driver"]);

    let partitions = 10;
    let sum: i32 = list.iter().sum();
    let run = |b: &Broadcast<Vec<i32>>| {
        let b = b.clone();
        sc.parallelize((1..=partitions).collect::<Vec<i32>>(), partitions as usize)
            .map(move |x| (x, b.value().iter().sum::<i32>()))
            .collect()
            .unwrap()
    };
    let want: Vec<(i32, i32)> = (1..=partitions).map(|x| (x, sum)).collect();
    assert_eq!(sorted(run(&broadcast)), want);

    // afterUsingBroadcast
    assert_eq!(holders(&sc, &value_block).len(), num_executors + 1);
    assert_eq!(holders(&sc, &piece0).len(), num_executors + 1);

    if remove_from_driver {
        broadcast.destroy().unwrap();
    } else {
        broadcast.unpersist(true).unwrap();
    }

    // afterUnpersist
    let expected = if remove_from_driver { 0 } else { 1 };
    assert_eq!(holders(&sc, &value_block).len(), expected);
    assert_eq!(holders(&sc, &piece0).len(), expected);

    if remove_from_driver {
        assert!(matches!(broadcast.try_value(), Err(Error::IllegalState(_))));
        assert!(matches!(
            broadcast.unpersist(true),
            Err(Error::IllegalState(_))
        ));
        assert!(matches!(broadcast.destroy(), Err(Error::IllegalState(_))));
    } else {
        assert_eq!(sorted(run(&broadcast)), want);
    }
}

/// BroadcastSuite: "Unpersisting TorrentBroadcast on executors only in local mode"
#[test]
fn unpersisting_torrent_broadcast_on_executors_only_in_local_mode() {
    test_unpersist_torrent_broadcast(false, false);
}

/// BroadcastSuite: "Unpersisting TorrentBroadcast on executors and driver in local mode"
#[test]
fn unpersisting_torrent_broadcast_on_executors_and_driver_in_local_mode() {
    test_unpersist_torrent_broadcast(false, true);
}

/// BroadcastSuite: "Unpersisting TorrentBroadcast on executors only in distributed mode"
#[test]
fn unpersisting_torrent_broadcast_on_executors_only_in_distributed_mode() {
    test_unpersist_torrent_broadcast(true, false);
}

/// BroadcastSuite: "Unpersisting TorrentBroadcast on executors and driver in distributed mode"
#[test]
fn unpersisting_torrent_broadcast_on_executors_and_driver_in_distributed_mode() {
    test_unpersist_torrent_broadcast(true, true);
}

/// BroadcastSuite: "Using broadcast after destroy prints callsite"
#[test]
fn using_broadcast_after_destroy_prints_callsite() {
    let sc = context("local");
    let broadcast = sc.broadcast(vec![1, 2, 3, 4]);
    broadcast.destroy().unwrap();
    let thrown = broadcast.try_value().unwrap_err();
    let message = thrown.to_string();
    assert!(message.contains("broadcast.rs"), "{message}");
    assert!(
        message.contains(&format!(
            "Attempted to use Broadcast({}) after it was destroyed (destroy at broadcast.rs:",
            broadcast.id()
        )),
        "{message}"
    );
    // `value()` panics with the same message (in a task, the task fails with it).
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        broadcast.value().len();
    }))
    .unwrap_err();
    let text = panicked
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(text.contains("after it was destroyed"), "{text}");
}

/// BroadcastSuite: "Using broadcast after destroy prints callsite", in a task: the job fails
/// with Spark's message after the task's retries.
#[test]
fn a_destroyed_broadcast_fails_the_task_that_uses_it() {
    let sc = context("local-cluster[2,1,64]");
    let broadcast = sc.broadcast(vec![1, 2, 3, 4]);
    broadcast.destroy().unwrap();
    let b = broadcast.clone();
    let err = sc
        .parallelize(vec![1, 2], 2)
        .map(move |x| x + b.value()[0])
        .collect()
        .unwrap_err();
    assert!(matches!(err, Error::JobAborted(_)), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("after it was destroyed (destroy at broadcast.rs:"),
        "{message}"
    );
}

/// BroadcastSuite: "Broadcast variables cannot be created after SparkContext is stopped
/// (SPARK-5065)"
#[test]
fn broadcast_variables_cannot_be_created_after_spark_context_is_stopped() {
    let sc = context("local");
    sc.stop();
    let thrown = sc.try_broadcast(vec![1, 2, 3]).unwrap_err();
    assert!(matches!(thrown, Error::IllegalState(_)), "{thrown}");
    assert!(thrown.to_string().to_lowercase().contains("stopped"));
    // `broadcast` cannot return the error: its handle carries it.
    let b = sc.broadcast(vec![1, 2, 3]);
    let err = b.try_value().unwrap_err();
    assert!(err.to_string().to_lowercase().contains("stopped"), "{err}");
}

// BroadcastSuite: "Forbid broadcasting RDD directly" is the `compile_fail` doctest of
// `SparkContext::broadcast`: an `Rdd` is not `Data`, so broadcasting one does not compile.

/// BroadcastSuite: "Cache broadcast to disk (encryption = off)": with no block memory the
/// driver's value and pieces go to disk, and the value is still read.
#[test]
fn cache_broadcast_to_disk() {
    let sc = context_with("local", &[("sparklet.executor.memory", "16")]);
    let broadcast = sc.broadcast(list());
    assert_eq!(broadcast.value().iter().sum::<i32>(), 10);
    for block in [
        format!("broadcast_{}", broadcast.id()),
        format!("broadcast_{}_piece0", broadcast.id()),
    ] {
        let status = sc.get_block_status(&block).unwrap();
        assert_eq!(status.len(), 1, "{block}");
        let (holder, s) = &status[0];
        assert_eq!(holder, "driver");
        assert!(
            s.storage_level.use_disk() && !s.storage_level.use_memory(),
            "{s:?}"
        );
        assert!(s.disk_size > 0 && s.memory_size == 0, "{s:?}");
    }
}

/// BroadcastSuite: "Cache broadcast to disk", on executors: an executor whose block memory
/// cannot hold the value keeps it on disk, and its tasks still read it.
#[test]
fn cache_broadcast_to_disk_on_executors() {
    let sc = context_with("local-cluster[2,1,1]", &[("sparklet.driver.memory", "16")]);
    let value: Vec<u64> = (0..200_000).collect(); // 1.6 MB, more than 1 MiB of block memory
    let broadcast = sc.broadcast(value);
    let b = broadcast.clone();
    let sums = sc
        .parallelize((0..6).collect::<Vec<usize>>(), 6)
        .map(move |i| b.value()[i * 1000])
        .collect()
        .unwrap();
    assert_eq!(sums, vec![0, 1000, 2000, 3000, 4000, 5000]);
    let status = sc
        .get_block_status(&format!("broadcast_{}", broadcast.id()))
        .unwrap();
    assert_eq!(status.len(), 3, "{status:?}");
    for (_, s) in &status {
        assert!(s.storage_level.use_disk() && s.disk_size > 0, "{s:?}");
    }
}

/// Pointer identity of a task's view of the value (Spark's `System.identityHashCode`).
fn instances(sc: &SparkContext, broadcast: &Broadcast<Vec<i32>>) -> BTreeSet<usize> {
    let b = broadcast.clone();
    sc.parallelize((1..=10).collect::<Vec<i32>>(), 10)
        .map(move |_| b.value() as *const Vec<i32> as usize)
        .collect()
        .unwrap()
        .into_iter()
        .collect()
}

/// BroadcastSuite: "One broadcast value instance per executor"
#[test]
fn one_broadcast_value_instance_per_executor() {
    let sc = context("local[4]");
    let broadcast = sc.broadcast(list());
    assert_eq!(instances(&sc, &broadcast).len(), 1);
    // On a cluster: one instance per executor.
    let sc = context("local-cluster[2,2,64]");
    let broadcast = sc.broadcast(list());
    assert_eq!(instances(&sc, &broadcast).len(), 2);
}

/// BroadcastSuite: "One broadcast value instance per executor when memory is constrained"
#[test]
fn one_broadcast_value_instance_per_executor_when_memory_is_constrained() {
    let sc = context_with("local[4]", &[("sparklet.executor.memory", "16")]);
    let broadcast = sc.broadcast(list());
    assert_eq!(instances(&sc, &broadcast).len(), 1);
    let sc = context_with("local-cluster[2,2,1]", &[("sparklet.driver.memory", "16")]);
    let broadcast = sc.broadcast(list());
    assert_eq!(instances(&sc, &broadcast).len(), 2);
}

/// Issue 12 acceptance: a broadcast of a 100 MB value used by 200 tasks on
/// `local-cluster[3,1,64]` is fetched once per executor, and after an executor is killed its
/// replacement fetches it again (the others do not).
#[test]
fn a_100_mb_broadcast_is_fetched_once_per_executor_and_again_by_a_replacement() {
    let sc = context("local-cluster[3,1,64]");
    let log = EventLog::attach(&sc);
    // 100 strings of 1 MiB (strings serialize as one copy each, fast in debug builds too).
    let value: Vec<String> = (0..100u8)
        .map(|i| char::from(b'a' + i % 26).to_string().repeat(1 << 20))
        .collect();
    let broadcast = sc.broadcast(value);
    let id = broadcast.id();
    let use_it = |b: &Broadcast<Vec<String>>| {
        let b = b.clone();
        sc.parallelize((0..200usize).collect(), 200)
            .map(move |i| b.value()[i % 100].len())
            .collect()
            .unwrap()
    };
    assert!(use_it(&broadcast).iter().all(|&n| n == 1 << 20));
    let once: BTreeMap<String, usize> = [("0", 1), ("1", 1), ("2", 1)]
        .into_iter()
        .map(|(e, n)| (e.to_string(), n))
        .collect();
    assert_eq!(fetches(&log, id), once);
    // 25 pieces of 4 MiB (and the 8-byte length of the vector, and each string's).
    let pieces = sc
        .get_block_status(&format!("broadcast_{id}_piece25"))
        .unwrap();
    assert_eq!(
        pieces.len(),
        4,
        "the last piece is on the driver and each executor"
    );

    sc.kill_executor("1").unwrap();
    assert!(use_it(&broadcast).iter().all(|&n| n == 1 << 20));
    let mut again = once.clone();
    again.insert("3".to_string(), 1);
    assert_eq!(fetches(&log, id), again);
    assert!(!holders(&sc, &format!("broadcast_{id}")).contains(&"1".to_string()));
}

/// Issue 12: an executor killed while a job uses the broadcast (fault injection) loses its
/// copy; the replacement fetches once, and no executor fetches twice.
#[test]
fn an_executor_killed_mid_job_is_replaced_and_its_replacement_fetches_once() {
    let sc = context_with(
        "local-cluster[3,1,64]",
        &[("sparklet.faults.killExecutorAfterTasks", "5")],
    );
    let log = EventLog::attach(&sc);
    let broadcast = sc.broadcast((0..10_000u32).collect::<Vec<u32>>());
    let b = broadcast.clone();
    let out = sc
        .parallelize((0..60u32).collect(), 60)
        .map(move |i| b.value()[i as usize * 100])
        .collect()
        .unwrap();
    assert_eq!(out, (0..60u32).map(|i| i * 100).collect::<Vec<_>>());
    let per_executor = fetches(&log, broadcast.id());
    assert!(per_executor.values().all(|&n| n == 1), "{per_executor:?}");
    let removed: Vec<String> = log
        .events()
        .into_iter()
        .filter_map(|e| match e {
            SparkListenerEvent::ExecutorRemoved { executor_id, .. } => Some(executor_id),
            _ => None,
        })
        .collect();
    assert_eq!(removed.len(), 1);
    assert!(per_executor.contains_key(&removed[0]));
}

/// Issue 12: one thread per executor fetches; the others wait for it (four task slots, one
/// fetch).
#[test]
fn tasks_of_one_executor_share_one_fetch() {
    let sc = context("local-cluster[1,4,64]");
    let log = EventLog::attach(&sc);
    let broadcast = sc.broadcast((0..1000u64).collect::<Vec<u64>>());
    let b = broadcast.clone();
    let total: u64 = sc
        .parallelize((0..16u64).collect(), 16)
        .map(move |i| b.value()[i as usize])
        .collect()
        .unwrap()
        .into_iter()
        .sum();
    assert_eq!(total, (0..16u64).sum::<u64>());
    assert_eq!(fetches(&log, broadcast.id()).get("0"), Some(&1));
}

/// Issue 12: `unpersist` drops the executors' copies, and the next use fetches again.
#[test]
fn an_unpersisted_broadcast_is_fetched_again() {
    let sc = context("local-cluster[2,1,64]");
    let log = EventLog::attach(&sc);
    let broadcast = sc.broadcast(list());
    let b = broadcast.clone();
    let job = sc
        .parallelize(vec![0usize, 1, 2, 3], 4)
        .map(move |i| b.value()[i]);
    assert_eq!(job.collect().unwrap(), list());
    assert_eq!(fetches(&log, broadcast.id()).values().sum::<usize>(), 2);
    broadcast.unpersist(false).unwrap();
    assert_eq!(
        holders(&sc, &format!("broadcast_{}", broadcast.id())),
        vec!["driver"]
    );
    assert_eq!(job.collect().unwrap(), list());
    let twice: Vec<usize> = fetches(&log, broadcast.id()).into_values().collect();
    assert_eq!(twice, vec![2, 2]);
}

/// Issue 12: pieces are fetched from the driver or from an executor that has them: after
/// use, every executor is a holder the master knows.
#[test]
fn fetched_pieces_are_offered_by_the_executors_that_hold_them() {
    let sc = context_with(
        "local-cluster[3,1,64]",
        &[("sparklet.broadcast.blockSize", "1k")],
    );
    let broadcast = sc.broadcast((0..10_000u32).collect::<Vec<u32>>());
    let b = broadcast.clone();
    sc.parallelize((0..6u32).collect(), 6)
        .map(move |i| b.value()[i as usize])
        .count()
        .unwrap();
    // 40,008 bytes in pieces of 1 KiB: 40 pieces, each on the driver and all three executors.
    for n in [0, 20, 39] {
        let block = format!("broadcast_{}_piece{n}", broadcast.id());
        assert_eq!(
            holders(&sc, &block),
            vec!["driver", "0", "1", "2"],
            "{block}"
        );
    }
    assert!(holders(&sc, &format!("broadcast_{}_piece40", broadcast.id())).is_empty());
}

/// Issue 12: a broadcast used in a map whose RDD is checkpointed (the checkpoint job
/// recomputes the partitions) and persisted, across executor kills.
#[test]
fn broadcasts_work_through_checkpoints_and_recomputation() {
    let sc = context("local-cluster[2,1,64]");
    let dir = tempfile::tempdir().unwrap();
    sc.set_checkpoint_dir(dir.path()).unwrap();
    let offsets = sc.broadcast(vec![100, 200, 300]);
    let b = offsets.clone();
    let rdd = sc
        .parallelize((0..30).collect::<Vec<i32>>(), 6)
        .map(move |x| x + b.value()[(x % 3) as usize]);
    rdd.checkpoint().unwrap();
    let want: Vec<i32> = (0..30)
        .map(|x| x + [100, 200, 300][(x % 3) as usize])
        .collect();
    assert_eq!(rdd.collect().unwrap(), want);
    assert!(rdd.is_checkpointed());
    let b = offsets.clone();
    let cached = sc
        .parallelize((0..30).collect::<Vec<i32>>(), 6)
        .map(move |x| x * b.value()[0])
        .cache()
        .unwrap();
    assert_eq!(cached.count().unwrap(), 30);
    sc.kill_executor("0").unwrap();
    let want: Vec<i32> = (0..30).map(|x| x * 100).collect();
    assert_eq!(cached.collect().unwrap(), want);
}

/// Issue 12: the event log names broadcast pieces as Spark's does, with Spark's storage level
/// fields (stored: memory, serialized, 1x; removed: the same with replication 0).
#[test]
fn the_event_log_shows_broadcast_blocks_as_spark_does() {
    let dir = tempfile::tempdir().unwrap();
    let sc = context_with(
        "local-cluster[1,1,64]",
        &[
            ("sparklet.eventLog.enabled", "true"),
            ("sparklet.eventLog.dir", dir.path().to_str().unwrap()),
            ("sparklet.eventLog.logBlockUpdates.enabled", "true"),
        ],
    );
    let broadcast = sc.broadcast(list());
    let b = broadcast.clone();
    sc.parallelize(vec![0usize], 1)
        .map(move |i| b.value()[i])
        .count()
        .unwrap();
    broadcast.destroy().unwrap();
    sc.stop();
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(file).unwrap();
    let piece_lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| {
            v["Event"] == "SparkListenerBlockUpdated"
                && v["Block Updated Info"]["Block ID"] == "broadcast_0_piece0"
        })
        .collect();
    let summary: Vec<(String, u64, bool)> = piece_lines
        .iter()
        .map(|v| {
            let info = &v["Block Updated Info"];
            let level = &info["Storage Level"];
            assert_eq!(level["Use Disk"], false);
            assert_eq!(level["Use Memory"], true);
            assert_eq!(level["Deserialized"], false);
            assert!(info["Memory Size"].as_u64().unwrap() > 0);
            (
                info["Block Manager ID"]["Executor ID"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                level["Replication"].as_u64().unwrap(),
                true,
            )
        })
        .collect();
    // Stored on the driver, fetched by executor 0, then removed from both by `destroy`.
    assert_eq!(
        summary,
        vec![
            ("driver".to_string(), 1, true),
            ("0".to_string(), 1, true),
            ("0".to_string(), 0, true),
            ("driver".to_string(), 0, true),
        ]
    );
    // The value's own block is never reported (Spark's `tellMaster = false`).
    assert!(!text.contains("\"broadcast_0\""));
}

/// Issue 12: `sc.stop()` cleans the driver's broadcast blocks; dropping the last handle
/// removes a broadcast's blocks everywhere (Spark's ContextCleaner).
#[test]
fn stop_and_dropping_the_last_handle_clean_broadcast_blocks() {
    let sc = context("local-cluster[2,1,64]");
    let kept = sc.broadcast(list());
    let dropped = sc.broadcast(list());
    let (k, d) = (kept.clone(), dropped.clone());
    sc.parallelize(vec![0usize, 1], 2)
        .map(move |i| k.value()[i] + d.value()[i])
        .count()
        .unwrap();
    let dropped_block = format!("broadcast_{}_piece0", dropped.id());
    assert_eq!(holders(&sc, &dropped_block).len(), 3);
    drop(dropped);
    assert!(holders(&sc, &dropped_block).is_empty());
    let kept_block = format!("broadcast_{}_piece0", kept.id());
    assert_eq!(holders(&sc, &kept_block).len(), 3);
    sc.stop();
    assert!(holders(&sc, &kept_block).is_empty());
    // The driver's copy stays readable on the driver (Spark's `_value`).
    assert_eq!(kept.value(), &list());
}

/// Bad settings are refused when the context starts, as Spark's typed config.
#[test]
fn bad_broadcast_settings_are_refused() {
    for (key, value) in [
        ("sparklet.broadcast.blockSize", "0"),
        ("sparklet.broadcast.blockSize", "big"),
        ("sparklet.broadcast.checksum", "yes"),
        ("sparklet.driver.memory", "lots"),
    ] {
        let conf = SparkConf::new().set_master("local").set(key, value);
        let err = SparkContext::new(conf).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument(_)),
            "{key}={value}: {err}"
        );
        assert!(err.to_string().contains(key), "{err}");
    }
    let sc = context("local");
    assert!(matches!(
        sc.get_block_status("no_such_block"),
        Err(Error::InvalidArgument(_))
    ));
}
