//! Files in and out (issue 11): `save_as_text_file`, `save_as_object_file` / `object_file`,
//! `whole_text_files` (Spark's FileSuite, WholeTextFileRecordReaderSuite and
//! WholeTextFileRDDSuite cases that apply), and the task-commit protocol under retries.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{context, context_with, corrupt_reason, sorted};
use sparklet::prelude::*;

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Spark: FileSuite "text files".
#[test]
fn text_files() {
    let sc = context("local");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    sc.parallelize(vec![1, 2, 3, 4], 1)
        .save_as_text_file(&out)
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join("part-00000")).unwrap(),
        "1\n2\n3\n4\n"
    );
    assert_eq!(names(&out), vec!["_SUCCESS", "part-00000"]);
    assert_eq!(
        sc.text_file(&out, 1).unwrap().collect().unwrap(),
        vec!["1", "2", "3", "4"]
    );
}

/// Spark: saveAsTextFile writes each element's Scala `toString`, one part file per partition
/// (FileSuite "Get input files via old Hadoop API" writes 2 parts of 4 numbers).
#[test]
fn text_files_are_one_part_per_partition_in_scala_strings() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    let pairs = sc.parallelize(
        vec![(1, "a".to_string()), (2, "b".into()), (3, "c".into())],
        3,
    );
    pairs
        .map(|(k, v)| (k, Some(v), 1.5f64))
        .save_as_text_file(&out)
        .unwrap();
    assert_eq!(
        names(&out),
        vec!["_SUCCESS", "part-00000", "part-00001", "part-00002"]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("part-00002")).unwrap(),
        "(3,Some(c),1.5)\n"
    );
    let empty = dir.path().join("empty");
    sc.parallelize(Vec::<i32>::new(), 2)
        .save_as_text_file(&empty)
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(empty.join("part-00001")).unwrap(),
        ""
    );
}

/// Spark: FileSuite "prevent user from overwriting the empty directory (old Hadoop API)".
#[test]
fn prevent_user_from_overwriting_the_empty_directory() {
    let sc = context("local");
    let dir = tempfile::tempdir().unwrap();
    let rdd = sc.parallelize(
        vec![(1, "a".to_string()), (1, "a".into()), (2, "b".into())],
        1,
    );
    let err = rdd.save_as_text_file(dir.path()).unwrap_err();
    let want = format!(
        "Output directory file:{} already exists",
        dir.path().display()
    );
    assert!(
        matches!(&err, Error::InvalidArgument(m) if *m == want),
        "{err}"
    );
    assert!(names(dir.path()).is_empty(), "nothing was written");
}

/// Spark: FileSuite "prevent user from overwriting the non-empty directory (old Hadoop API)".
#[test]
fn prevent_user_from_overwriting_the_non_empty_directory() {
    let sc = context("local");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    let rdd = sc.parallelize(vec![(1, "a".to_string()), (2, "b".into())], 1);
    rdd.save_as_text_file(&out).unwrap();
    assert!(out.join("part-00000").exists());
    assert!(matches!(
        rdd.save_as_text_file(&out),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        rdd.save_as_object_file(&out),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(
        std::fs::read_to_string(out.join("part-00000")).unwrap(),
        "(1,a)\n(2,b)\n"
    );
}

/// Spark: FileSuite "object files of ints".
#[test]
fn object_files_of_ints() {
    let sc = context("local");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    sc.parallelize(vec![1, 2, 3, 4], 1)
        .save_as_object_file(&out)
        .unwrap();
    let back = sc.object_file::<i32>(&out, 1).unwrap();
    assert_eq!(back.collect().unwrap(), vec![1, 2, 3, 4]);
}

/// Spark: FileSuite "object files of complex types".
#[test]
fn object_files_of_complex_types() {
    let sc = context("local");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    sc.parallelize(vec![1, 2, 3], 1)
        .map(|x| (x, "a".repeat(x)))
        .save_as_object_file(&out)
        .unwrap();
    let back = sc.object_file::<(usize, String)>(&out, 1).unwrap();
    assert_eq!(
        back.collect().unwrap(),
        vec![(1, "a".into()), (2, "aa".into()), (3, "aaa".into())]
    );
}

/// Spark's saveAsObjectFile batches of 10: one partition per part file, every element back in
/// order, over several partitions and partial batches.
#[test]
fn object_files_keep_partitions_and_order_across_batches() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    let data: Vec<u64> = (0..95).collect();
    sc.parallelize(data.clone(), 4)
        .save_as_object_file(&out)
        .unwrap();
    assert_eq!(
        names(&out),
        vec![
            "_SUCCESS",
            "part-00000",
            "part-00001",
            "part-00002",
            "part-00003"
        ]
    );
    let back = sc.object_file::<u64>(&out, 1).unwrap();
    assert_eq!(back.num_partitions(), 4);
    assert_eq!(back.collect().unwrap(), data);
    assert_eq!(
        back.glom().collect().unwrap()[3],
        (71..95).collect::<Vec<u64>>()
    );
}

/// A damaged object file fails the job as `CorruptCheckpoint` naming the file (our decision:
/// object files use the checked checkpoint format); a missing folder is Spark's "Input path
/// does not exist".
#[test]
fn damaged_or_missing_object_files_are_named() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    sc.parallelize((0..50).collect::<Vec<i32>>(), 2)
        .save_as_object_file(&out)
        .unwrap();
    let part = out.join("part-00001");
    let mut bytes = std::fs::read(&part).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0xff;
    std::fs::write(&part, bytes).unwrap();
    let rdd = sc.object_file::<i32>(&out, 1).unwrap();
    corrupt_reason(rdd.collect(), "part-00001");

    let missing = dir.path().join("missing");
    match sc.object_file::<i32>(&missing, 1) {
        Err(Error::Io { message, .. }) => {
            assert!(message.contains("Input path does not exist"), "{message}")
        }
        other => panic!("expected Io, got {other:?}"),
    }
    // Elements of another type do not decode: named too.
    let as_strings = sc
        .object_file::<String>(dir.path().join("output"), 1)
        .unwrap();
    assert!(as_strings.collect().is_err());
}

/// Spark: FileSuite "file caching".
#[test]
fn file_caching() {
    let sc = context("local");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    std::fs::write(&input, "Hello world!\nWhat's up?\nGoodbye\n").unwrap();
    let rdd = sc.text_file(&input, 1).unwrap().cache().unwrap();
    for _ in 0..3 {
        assert_eq!(rdd.count().unwrap(), 3);
    }
}

/// A task whose first attempt fails halfway through its partition (after writing some lines)
/// is retried; the output holds exactly one complete copy of each partition and no
/// `_temporary` (Hadoop's task commit).
#[test]
fn a_retried_task_leaves_one_part_file() {
    let sc = context("local[2,4]");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    let failed = Arc::new(AtomicBool::new(false));
    let f = failed.clone();
    let rdd = sc
        .parallelize((0..40).collect::<Vec<i32>>(), 4)
        .map(move |x| {
            if x == 25 && !f.swap(true, Ordering::SeqCst) {
                panic!("first attempt of the task fails after writing 5 lines");
            }
            x
        });
    rdd.save_as_text_file(&out).unwrap();
    assert!(failed.load(Ordering::SeqCst), "the failure happened");
    assert_eq!(
        names(&out),
        vec![
            "_SUCCESS",
            "part-00000",
            "part-00001",
            "part-00002",
            "part-00003"
        ]
    );
    let want: String = (20..30).map(|x| format!("{x}\n")).collect();
    assert_eq!(
        std::fs::read_to_string(out.join("part-00002")).unwrap(),
        want
    );
    let all = sc.text_file(&out, 1).unwrap().collect().unwrap();
    assert_eq!(all.len(), 40);
}

/// Injected task failures (sparklet.faults.taskFailureRate) and an executor killed after its
/// first task (sparklet.faults.killExecutorAfterTasks) never leave a second copy or a missing
/// part: every element exactly once.
#[test]
fn faults_during_a_save_leave_exactly_one_copy() {
    for settings in [
        vec![
            ("sparklet.faults.taskFailureRate", "0.5"),
            ("sparklet.faults.seed", "3"),
        ],
        vec![("sparklet.faults.killExecutorAfterTasks", "1")],
    ] {
        let sc = context_with("local-cluster[3,1,64]", &settings);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        sc.parallelize((0..60).collect::<Vec<i32>>(), 6)
            .save_as_text_file(&out)
            .unwrap();
        assert_eq!(names(&out).len(), 7, "{settings:?}: {:?}", names(&out));
        let lines = sc.text_file(&out, 1).unwrap().collect().unwrap();
        let nums: Vec<i32> = lines.iter().map(|l| l.parse().unwrap()).collect();
        assert_eq!(sorted(nums), (0..60).collect::<Vec<_>>(), "{settings:?}");
        let objects = dir.path().join("objects");
        sc.parallelize((0..60).collect::<Vec<i32>>(), 6)
            .save_as_object_file(&objects)
            .unwrap();
        let back = sc
            .object_file::<i32>(&objects, 1)
            .unwrap()
            .collect()
            .unwrap();
        assert_eq!(back, (0..60).collect::<Vec<_>>(), "{settings:?}");
    }
}

/// A job that fails (a task fails every attempt) removes `_temporary` and leaves no part
/// files and no `_SUCCESS` (Hadoop's abortJob).
#[test]
fn a_failed_save_leaves_no_parts() {
    let sc = context("local[2,2]");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    let rdd = sc.parallelize((0..10).collect::<Vec<i32>>(), 2).map(|x| {
        if x == 7 {
            panic!("always fails");
        }
        x
    });
    assert!(matches!(
        rdd.save_as_text_file(&out),
        Err(Error::JobAborted(_))
    ));
    assert!(names(&out).is_empty(), "{:?}", names(&out));
}

/// Spark: WholeTextFileRecordReaderSuite "Correctness of WholeTextFileRecordReader.": every
/// file once, named `file:/...`, with its whole content.
#[test]
fn correctness_of_whole_text_file_record_reader() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("part-00000", "Spark is easy to use.\n"),
        (
            "part-00001",
            "Spark is a fast and general engine.\nIt runs on clusters.\n",
        ),
        ("part-00002", "Spark runs everywhere\n"),
    ];
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content.repeat(100)).unwrap();
    }
    std::fs::write(dir.path().join("_hidden"), "not read").unwrap();
    std::fs::write(dir.path().join(".hidden"), "not read").unwrap();
    let rdd = sc.whole_text_files(dir.path(), 3).unwrap();
    let mut got = rdd.collect().unwrap();
    got.sort();
    assert_eq!(got.len(), 3);
    for ((path, content), (name, want)) in got.iter().zip(files) {
        assert_eq!(*path, format!("file:{}/{name}", dir.path().display()));
        assert_eq!(*content, want.repeat(100));
    }
}

/// Spark: WholeTextFileInputFormat.setMinPartitions: splits of at least
/// `ceil(total / minPartitions)` bytes, files packed in order.
#[test]
fn whole_text_files_split_as_spark_packs_them() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().unwrap();
    for i in 0..8 {
        std::fs::write(dir.path().join(format!("f{i}")), "0123456789").unwrap();
    }
    for (min, parts) in [(1, 1), (2, 2), (4, 4), (8, 8), (3, 3), (100, 8)] {
        let rdd = sc.whole_text_files(dir.path(), min).unwrap();
        assert_eq!(rdd.num_partitions(), parts, "min_partitions {min}");
        assert_eq!(rdd.count().unwrap(), 8);
    }
    let rdd = sc.whole_text_files(dir.path(), 2).unwrap();
    assert!(
        rdd.to_debug_string().contains("WholeTextFileRDD["),
        "{}",
        rdd.to_debug_string()
    );
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        sc.whole_text_files(empty.path(), 2)
            .unwrap()
            .count()
            .unwrap(),
        0
    );
    assert!(matches!(
        sc.whole_text_files(empty.path().join("none"), 2),
        Err(Error::Io { .. })
    ));
}

/// Spark: WholeTextFileRDDSuite "Test text file of size <...>" (adapted: a file bigger than
/// the split goal is read whole by one task).
#[test]
fn whole_text_files_read_big_files_whole() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().unwrap();
    let big = "x".repeat(1 << 20) + "\nend";
    std::fs::write(dir.path().join("big"), &big).unwrap();
    std::fs::write(dir.path().join("small"), "s").unwrap();
    let got = sc
        .whole_text_files(dir.path(), 4)
        .unwrap()
        .collect()
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].1, big);
    assert_eq!(got[1].1, "s");
}
