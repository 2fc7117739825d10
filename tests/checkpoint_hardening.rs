//! Checkpoint parts that pass their checksums but lie (issue 16, defects 5 and 6): payloads
//! that do not decode as the element type, part sets with a file deleted, duplicated or
//! swapped, and a `_partitioner` naming another partition count. Spark has no such suite (its
//! `ReliableCheckpointRDD` trusts the files it lists); these close that gap.

mod common;

use std::path::{Path, PathBuf};

use common::{context, within_guard};
use sparklet::prelude::*;

fn checkpointed<T: Data>(_sc: &SparkContext, rdd: Rdd<T>) -> PathBuf {
    rdd.checkpoint().unwrap();
    rdd.count().unwrap();
    rdd.get_checkpoint_file().unwrap()
}

fn setup() -> (SparkContext, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let sc = context("local[2]");
    sc.set_checkpoint_dir(dir.path()).unwrap();
    (sc, dir)
}

/// A CorruptCheckpoint naming `file`, whose message is not a caught panic.
fn assert_corrupt<T: std::fmt::Debug>(result: sparklet::Result<T>, file: &str) -> String {
    let reason = common::corrupt_reason(result, file);
    assert!(!reason.contains("panic"), "{reason}");
    reason
}

#[test]
fn a_part_of_another_element_type_is_corrupt_not_a_panic() {
    let (sc, _dir) = setup();
    // u64 values read as strings: the first is taken as a huge length, the second as a short
    // string of bytes that are not UTF-8.
    let huge = checkpointed(&sc, sc.parallelize(vec![u64::MAX / 2, 7], 1));
    assert_corrupt(
        sc.checkpoint_file::<String>(&huge).unwrap().collect(),
        "part-00000",
    );
    let invalid_utf8 = checkpointed(&sc, sc.parallelize(vec![(2u64, 0xfffeu16)], 1));
    assert_corrupt(
        sc.checkpoint_file::<String>(&invalid_utf8)
            .unwrap()
            .collect(),
        "part-00000",
    );
    // One u64 read as pairs of u64: the count says one element, the bytes hold half of one.
    let short = checkpointed(&sc, sc.parallelize(vec![1u64], 1));
    assert_corrupt(
        sc.checkpoint_file::<(u64, u64)>(&short).unwrap().collect(),
        "part-00000",
    );
}

#[test]
fn a_part_of_strings_read_as_units_is_refused_at_once() {
    let (sc, _dir) = setup();
    let path = checkpointed(&sc, sc.parallelize(vec!["a".to_string()], 1));
    let sc2 = sc.clone();
    let result = within_guard("reading the checkpoint", move || {
        sc2.checkpoint_file::<()>(&path).unwrap().count()
    });
    assert_corrupt(result, "part-00000");
}

/// The checkpoint folder of ten pairs in three partitions.
fn three_parts(sc: &SparkContext) -> PathBuf {
    checkpointed(
        sc,
        sc.parallelize((0..10u64).map(|i| (i, i * 10)).collect::<Vec<_>>(), 3),
    )
}

fn read(sc: &SparkContext, path: &Path) -> sparklet::Result<Vec<(u64, u64)>> {
    sc.checkpoint_file::<(u64, u64)>(path)?.collect()
}

#[test]
fn a_deleted_last_part_is_refused() {
    let (sc, _dir) = setup();
    let path = three_parts(&sc);
    std::fs::remove_file(path.join("part-00002")).unwrap();
    assert_corrupt(read(&sc, &path), "part-0000");
}

#[test]
fn a_duplicated_part_is_refused() {
    let (sc, _dir) = setup();
    let path = three_parts(&sc);
    std::fs::copy(path.join("part-00001"), path.join("part-00003")).unwrap();
    assert_corrupt(read(&sc, &path), "part-0000");
}

#[test]
fn swapped_parts_are_refused() {
    let (sc, _dir) = setup();
    let path = three_parts(&sc);
    std::fs::rename(path.join("part-00000"), path.join("tmp")).unwrap();
    std::fs::rename(path.join("part-00001"), path.join("part-00000")).unwrap();
    std::fs::rename(path.join("tmp"), path.join("part-00001")).unwrap();
    assert_corrupt(read(&sc, &path), "part-0000");
}

#[test]
fn a_partitioner_file_of_another_partition_count_is_not_trusted() {
    let (sc, _dir) = setup();
    let keyed = |n| {
        sc.parallelize((0..10u64).map(|i| (i, i)).collect::<Vec<_>>(), 2)
            .partition_by(Partitioner::hash(n))
    };
    let four = checkpointed(&sc, keyed(4));
    let two = checkpointed(&sc, keyed(2));
    std::fs::copy(two.join("_partitioner"), four.join("_partitioner")).unwrap();
    let back: Rdd<(u64, u64)> = sc.checkpoint_file(&four).unwrap();
    assert_ne!(back.partitioner(), Some(Partitioner::hash(2)));
    let joined = back.join(&keyed(2)).collect().unwrap();
    assert_eq!(joined.len(), 10, "{joined:?}");
}
