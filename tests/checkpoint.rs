//! Checkpoints (SPARK_SEMANTICS §3.1, §3.5, §3.6): Spark's CheckpointSuite cases in reliable and
//! local form, compute counts of persist × checkpoint, lineage truncation, and every kind of
//! damage to checkpoint files.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{context, context_with, sorted, Counter};
use sparklet::prelude::*;

fn checkpointing_context(master: &str) -> (SparkContext, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let sc = context(master);
    sc.set_checkpoint_dir(dir.path()).unwrap();
    (sc, dir)
}

/// Spark's `CheckpointSuite.testRDD`: marks `rdd`, runs it, and checks that the result is
/// unchanged, the lineage is cut (one dependency, on the checkpoint RDD) and the partition count
/// is the same.
fn check<T: Data + PartialEq>(rdd: Rdd<T>, reliable: bool) {
    let expected = {
        // The same lineage, computed without checkpointing, is the reference.
        rdd.collect().unwrap()
    };
    let rdd = rdd.map(|x| x); // a fresh RDD: marking must precede its first job
    let parts = rdd.num_partitions();
    if reliable {
        rdd.checkpoint().unwrap();
    } else {
        rdd.local_checkpoint().unwrap();
    }
    assert!(!rdd.is_checkpointed());
    assert_eq!(rdd.collect().unwrap(), expected);
    assert!(rdd.is_checkpointed(), "checkpointed after the first job");
    let deps = rdd.dependencies();
    assert_eq!(deps.len(), 1);
    assert!(!deps[0].is_shuffle());
    let cp_class = if reliable {
        "ReliableCheckpointRDD"
    } else {
        "LocalCheckpointRDD"
    };
    assert!(
        rdd.to_debug_string().contains(cp_class),
        "{}",
        rdd.to_debug_string()
    );
    assert_eq!(rdd.num_partitions(), parts);
    assert_eq!(rdd.get_checkpoint_file().is_some(), reliable);
    assert_eq!(
        rdd.collect().unwrap(),
        expected,
        "read back from the checkpoint"
    );
}

#[test]
fn basic_operations_reliable_and_local() {
    for reliable in [true, false] {
        let (sc, _dir) = checkpointing_context("local[2]");
        let base = sc.parallelize((1..=20).collect::<Vec<i32>>(), 4);
        check(base.map(|x| x * 2), reliable);
        check(base.flat_map(|x| vec![x; (x % 3) as usize]), reliable);
        check(base.filter(|x| x % 2 == 0), reliable);
        check(base.glom(), reliable);
        check(base.map_partitions(|it| vec![it.sum::<i32>()]), reliable);
        check(base.union(&base.map(|x| -x)), reliable);
        let pairs = base.map(|x| (x % 5, x));
        check(
            pairs
                .reduce_by_key(|a, b| a + b)
                .map_partitions(|it| sorted(it.collect::<Vec<_>>())),
            reliable,
        );
        let other = sc.parallelize((0..5).map(|k| (k, k * 100)).collect::<Vec<(i32, i32)>>(), 3);
        check(
            pairs
                .cogroup(&other)
                .map(|(k, (mut v, w))| {
                    v.sort();
                    (k, v, w)
                })
                .map_partitions(|it| sorted(it.collect::<Vec<_>>())),
            reliable,
        );
    }
}

#[test]
fn zero_partition_rdds_can_be_checkpointed() {
    for reliable in [true, false] {
        let (sc, _dir) = checkpointing_context("local[2]");
        let rdd = sc.empty_rdd::<i32>().map(|x| x);
        if reliable {
            rdd.checkpoint().unwrap();
        } else {
            rdd.local_checkpoint().unwrap();
        }
        assert!(!rdd.is_checkpointed());
        assert_eq!(rdd.count().unwrap(), 0);
        assert!(rdd.is_checkpointed());
        assert_eq!(rdd.num_partitions(), 0);
    }
}

#[test]
fn the_partitioner_survives_a_checkpoint() {
    for reliable in [true, false] {
        let (sc, _dir) = checkpointing_context("local[2]");
        let p = Partitioner::hash(3);
        let rdd = sc
            .parallelize(vec![(1, 'a'), (2, 'b'), (3, 'c')], 2)
            .partition_by(p.clone());
        if reliable {
            rdd.checkpoint().unwrap();
        } else {
            rdd.local_checkpoint().unwrap();
        }
        rdd.count().unwrap();
        assert!(rdd.is_checkpointed());
        assert_eq!(rdd.partitioner(), Some(p.clone()));
        // A later reduceByKey with the same partitioner needs no shuffle.
        let r = rdd.reduce_by_key_with(p, |a, b| a.max(b));
        assert!(!r.dependencies()[0].is_shuffle());
    }
}

#[test]
fn checkpoint_without_a_dir_is_refused() {
    let sc = context("local");
    let err = sc.parallelize(vec![1], 1).checkpoint().unwrap_err();
    assert!(matches!(err, Error::CheckpointDirNotSet(_)), "{err:?}");
}

#[test]
fn checkpoint_dir_is_a_new_unique_folder() {
    let dir = tempfile::tempdir().unwrap();
    let a = context("local");
    let b = context("local");
    a.set_checkpoint_dir(dir.path()).unwrap();
    b.set_checkpoint_dir(dir.path()).unwrap();
    let (da, db) = (a.checkpoint_dir().unwrap(), b.checkpoint_dir().unwrap());
    assert_ne!(da, db);
    assert_eq!(da.parent().unwrap(), dir.path());
    assert!(da.is_dir() && db.is_dir());
}

/// How often each partition was computed, and where the second action read from, for the
/// user's four combinations (SPARK_SEMANTICS R5–R8, K6).
#[test]
fn compute_counts_of_persist_and_checkpoint() {
    // (persist, checkpoint) -> computations after the first action, after the second action.
    let cases = [
        ((false, false), 4, 8),
        ((true, false), 4, 4),
        ((false, true), 8, 8),
        ((true, true), 4, 4),
    ];
    for ((persist, checkpoint), after_first, after_second) in cases {
        let (sc, _dir) = checkpointing_context("local[2]");
        let c = Counter::new();
        let cc = c.clone();
        let rdd = sc
            .parallelize((0..40).collect::<Vec<i32>>(), 4)
            .map_partitions(move |it| {
                cc.inc();
                it.map(|x| x + 1).collect::<Vec<_>>()
            });
        if persist {
            rdd.persist(StorageLevel::MEMORY_ONLY).unwrap();
        }
        if checkpoint {
            rdd.checkpoint().unwrap();
        }
        assert_eq!(rdd.count().unwrap(), 40);
        assert_eq!(
            c.get(),
            after_first,
            "persist={persist} checkpoint={checkpoint}: first action"
        );
        assert_eq!(rdd.count().unwrap(), 40);
        assert_eq!(
            c.get(),
            after_second,
            "persist={persist} checkpoint={checkpoint}: second action"
        );
    }
}

#[test]
fn persisted_and_checkpointed_reads_the_checkpoint_after_losing_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let sc = context("local-cluster[2,1,64]");
    sc.set_checkpoint_dir(dir.path()).unwrap();
    let c = Counter::new();
    let cc = c.clone();
    let rdd = sc
        .parallelize((0..10).collect::<Vec<i32>>(), 2)
        .map(move |x| {
            cc.inc();
            x
        });
    rdd.cache().unwrap();
    rdd.checkpoint().unwrap();
    rdd.count().unwrap();
    assert_eq!(c.get(), 10);
    for id in sc.executor_ids() {
        sc.kill_executor(&id).unwrap();
    }
    assert_eq!(rdd.collect().unwrap(), (0..10).collect::<Vec<_>>());
    assert_eq!(
        c.get(),
        10,
        "the cache was lost, the checkpoint was read, not the lineage"
    );
}

#[test]
fn marking_after_the_first_job_has_no_effect() {
    let (sc, _dir) = checkpointing_context("local");
    let rdd = sc.parallelize(vec![1, 2, 3], 1).map(|x| x);
    rdd.count().unwrap();
    rdd.checkpoint().unwrap();
    rdd.count().unwrap();
    assert!(!rdd.is_checkpointed());
}

#[test]
fn recursion_stops_at_the_first_marked_rdd_unless_all_marked_ancestors() {
    for all in [false, true] {
        let (sc, _dir) = checkpointing_context("local");
        if all {
            sc.set_local_property(
                "sparklet.checkpoint.checkpointAllMarkedAncestors",
                Some("true"),
            );
        }
        let rdd1 = sc.parallelize(vec![1, 2, 3], 1).map(|x| x + 1);
        rdd1.checkpoint().unwrap();
        let rdd2 = rdd1.map(|x| x * 2);
        rdd2.checkpoint().unwrap();
        rdd2.count().unwrap();
        assert!(rdd2.is_checkpointed());
        assert_eq!(rdd1.is_checkpointed(), all);
    }
}

#[test]
fn the_old_lineage_is_dropped() {
    let (sc, _dir) = checkpointing_context("local");
    let sentinel = Arc::new(());
    let weak = Arc::downgrade(&sentinel);
    let parent = sc.parallelize(vec![1, 2, 3], 1).map(move |x| {
        let _keep = &sentinel;
        x
    });
    let child = parent.map(|x| x * 10);
    drop(parent);
    child.checkpoint().unwrap();
    assert!(weak.upgrade().is_some());
    child.count().unwrap();
    assert!(
        weak.upgrade().is_none(),
        "the parent and its closure are gone"
    );
    assert_eq!(child.collect().unwrap(), vec![10, 20, 30]);
}

#[test]
fn a_ten_thousand_step_lineage_checkpoints_and_prints_short() {
    let (sc, _dir) = checkpointing_context("local[2]");
    let mut rdd = sc.parallelize((0..100).collect::<Vec<i64>>(), 2);
    for _ in 0..10_000 {
        rdd = rdd.map(|x| x + 1);
    }
    rdd.checkpoint().unwrap();
    assert_eq!(
        rdd.reduce(|a, b| a + b).unwrap(),
        Some((0..100).map(|x| x + 10_000).sum())
    );
    assert!(rdd.is_checkpointed());
    let s = rdd.to_debug_string();
    assert_eq!(s.lines().count(), 2, "{s}");
    assert!(s.lines().nth(1).unwrap().contains("ReliableCheckpointRDD"));
}

#[test]
fn checkpoint_files_are_reread_by_a_new_context() {
    let (sc, _dir) = checkpointing_context("local[2]");
    let p = Partitioner::hash(2);
    let rdd = sc
        .parallelize(
            vec![
                (1, "a".to_string()),
                (2, "b".to_string()),
                (3, "c".to_string()),
            ],
            2,
        )
        .partition_by(p.clone());
    rdd.checkpoint().unwrap();
    let expected = rdd.collect().unwrap();
    let path = rdd.get_checkpoint_file().unwrap();
    assert!(path.ends_with(format!("rdd-{}", rdd.id())));
    sc.stop();
    let sc2 = context("local[2]");
    let back: Rdd<(i32, String)> = sc2.checkpoint_file(&path).unwrap();
    assert_eq!(back.collect().unwrap(), expected);
    assert_eq!(back.partitioner(), Some(p));
}

#[test]
fn cleaning_removes_checkpoint_files_with_the_rdd() {
    let dir = tempfile::tempdir().unwrap();
    let sc = context_with(
        "local",
        &[(
            "sparklet.cleaner.referenceTracking.cleanCheckpoints",
            "true",
        )],
    );
    sc.set_checkpoint_dir(dir.path()).unwrap();
    let rdd = sc.parallelize(vec![1, 2], 1).map(|x| x);
    rdd.checkpoint().unwrap();
    rdd.count().unwrap();
    let path = rdd.get_checkpoint_file().unwrap();
    assert!(path.is_dir());
    drop(rdd);
    assert!(!path.exists());
}

#[test]
fn a_lost_local_checkpoint_block_fails_with_sparks_advice() {
    let sc = context("local-cluster[2,1,64]");
    let rdd = sc.parallelize((0..4).collect::<Vec<i32>>(), 2).map(|x| x);
    rdd.local_checkpoint().unwrap();
    assert_eq!(rdd.storage_level(), StorageLevel::MEMORY_AND_DISK);
    assert_eq!(rdd.first().unwrap(), Some(0));
    assert!(rdd.is_checkpointed());
    // first() computed one partition; the local checkpoint cached the other too.
    assert_eq!(sc.get_rdd_storage_info()[0].num_cached_partitions, 2);
    sc.kill_executor("0").unwrap();
    let err = rdd.collect().unwrap_err();
    let msg = err.to_string();
    // Both blocks lived on executor 0; whichever partition fails first aborts the job.
    let id = rdd.id();
    assert!(
        msg.contains(&format!("Checkpoint block rdd_{id}_0 not found"))
            || msg.contains(&format!("Checkpoint block rdd_{id}_1 not found")),
        "{msg}"
    );
    assert!(
        msg.contains("rdd.checkpoint()") && msg.contains("fault-tolerant"),
        "{msg}"
    );
}

#[test]
fn local_checkpoint_levels_follow_spark() {
    let sc = context("local");
    let a = sc.parallelize(vec![1], 1);
    a.persist(StorageLevel::MEMORY_ONLY_SER).unwrap();
    a.local_checkpoint().unwrap();
    assert_eq!(a.storage_level(), StorageLevel::MEMORY_AND_DISK_SER);
    let b = sc.parallelize(vec![1], 1);
    b.local_checkpoint().unwrap();
    b.persist(StorageLevel::MEMORY_ONLY).unwrap(); // allowed: adapted to use disk
    assert_eq!(b.storage_level(), StorageLevel::MEMORY_AND_DISK);
}

// ---------------------------------------------------------------- damage

/// Checkpoints a 3-partition RDD and returns the context, the checkpoint folder and the data.
fn written() -> (SparkContext, tempfile::TempDir, PathBuf, Vec<(u64, String)>) {
    let (sc, dir) = checkpointing_context("local[2]");
    let rdd = sc.parallelize(
        (0..30u64)
            .map(|i| (i, format!("value {i}")))
            .collect::<Vec<_>>(),
        3,
    );
    let rdd = rdd.map(|x| x);
    rdd.checkpoint().unwrap();
    let data = rdd.collect().unwrap();
    let path = rdd.get_checkpoint_file().unwrap();
    (sc, dir, path, data)
}

fn read_back(sc: &SparkContext, path: &Path) -> sparklet::Result<Vec<(u64, String)>> {
    sc.checkpoint_file::<(u64, String)>(path)?.collect()
}

fn assert_corrupt(result: sparklet::Result<Vec<(u64, String)>>, file: &str) {
    common::corrupt_reason(result, file);
}

#[test]
fn intact_files_read_back() {
    let (sc, _dir, path, data) = written();
    assert_eq!(read_back(&sc, &path).unwrap(), data);
}

#[test]
fn a_truncated_file_is_corrupt() {
    for keep in [0usize, 10, 47, 60, 100] {
        let (sc, _dir, path, _) = written();
        let f = path.join("part-00001");
        let bytes = std::fs::read(&f).unwrap();
        std::fs::write(&f, &bytes[..keep.min(bytes.len() - 1)]).unwrap();
        assert_corrupt(read_back(&sc, &path), "part-00001");
    }
}

#[test]
fn a_flipped_byte_is_corrupt() {
    let (sc, _dir, path, _) = written();
    let f = path.join("part-00002");
    let original = std::fs::read(&f).unwrap();
    for pos in [
        0,
        9,
        13,
        20,
        30,
        41,
        50,
        original.len() / 2,
        original.len() - 1,
    ] {
        let mut bytes = original.clone();
        bytes[pos] ^= 0x40;
        std::fs::write(&f, &bytes).unwrap();
        assert_corrupt(read_back(&sc, &path), "part-00002");
    }
}

#[test]
fn trailing_bytes_are_corrupt() {
    let (sc, _dir, path, _) = written();
    let f = path.join("part-00000");
    let mut bytes = std::fs::read(&f).unwrap();
    bytes.extend_from_slice(b"extra");
    std::fs::write(&f, &bytes).unwrap();
    assert_corrupt(read_back(&sc, &path), "part-00000");
}

#[test]
fn a_missing_part_is_corrupt() {
    let (sc, _dir, path, _) = written();
    std::fs::remove_file(path.join("part-00001")).unwrap();
    assert_corrupt(read_back(&sc, &path), "part-00002");
}

#[test]
fn an_extra_part_is_corrupt() {
    let (sc, _dir, path, _) = written();
    std::fs::copy(path.join("part-00000"), path.join("part-00007")).unwrap();
    assert_corrupt(read_back(&sc, &path), "part-00007");
}

#[test]
fn a_missing_folder_is_corrupt() {
    let (sc, dir) = checkpointing_context("local");
    assert_corrupt(read_back(&sc, &dir.path().join("rdd-99")), "rdd-99");
}

#[test]
fn an_unreadable_partitioner_only_loses_the_partitioner() {
    let (sc, _dir) = checkpointing_context("local[2]");
    let rdd = sc
        .parallelize(vec![(1u64, "a".to_string())], 1)
        .partition_by(Partitioner::hash(2));
    rdd.checkpoint().unwrap();
    let data = rdd.collect().unwrap();
    let path = rdd.get_checkpoint_file().unwrap();
    std::fs::write(path.join("_partitioner"), b"not a partitioner").unwrap();
    let back: Rdd<(u64, String)> = sc.checkpoint_file(&path).unwrap();
    assert_eq!(back.partitioner(), None);
    assert_eq!(back.collect().unwrap(), data);
}

#[test]
fn a_checkpointed_rdd_whose_file_is_damaged_reports_the_file() {
    let (sc, _dir) = checkpointing_context("local[2]");
    let rdd = sc
        .parallelize(
            (0..10u64).map(|i| (i, i.to_string())).collect::<Vec<_>>(),
            2,
        )
        .map(|x| x);
    rdd.checkpoint().unwrap();
    rdd.count().unwrap();
    let f = rdd.get_checkpoint_file().unwrap().join("part-00001");
    let mut bytes = std::fs::read(&f).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&f, &bytes).unwrap();
    assert_corrupt(rdd.collect(), "part-00001");
}
