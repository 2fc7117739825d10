//! Spark Streaming's BasicOperationsSuite and WindowOperationsSuite scenarios on the manual
//! clock, compared batch by batch.

mod common;

use common::{context, run_stream, sorted};
use sparklet::streaming::*;

fn batches(ranges: &[std::ops::RangeInclusive<i32>]) -> Vec<Vec<i32>> {
    ranges.iter().map(|r| r.clone().collect()).collect()
}

#[test]
fn map() {
    let sc = context("local[2]");
    let out = run_stream(&sc, batches(&[1..=4, 5..=8, 9..=12]), 3, |s| {
        s.map(|x| x.to_string())
    });
    let want: Vec<Vec<String>> = batches(&[1..=4, 5..=8, 9..=12])
        .iter()
        .map(|b| b.iter().map(|x| x.to_string()).collect())
        .collect();
    assert_eq!(out, want);
}

#[test]
fn flat_map() {
    let sc = context("local[2]");
    let out = run_stream(&sc, batches(&[1..=4, 5..=8, 9..=12]), 3, |s| {
        s.flat_map(|x| vec![x, x * 2])
    });
    let want: Vec<Vec<i32>> = batches(&[1..=4, 5..=8, 9..=12])
        .iter()
        .map(|b| b.iter().flat_map(|&x| vec![x, x * 2]).collect())
        .collect();
    assert_eq!(out, want);
}

#[test]
fn filter() {
    let sc = context("local[2]");
    let out = run_stream(&sc, batches(&[1..=4, 5..=8, 9..=12]), 3, |s| {
        s.filter(|x| x % 2 == 0)
    });
    assert_eq!(out, vec![vec![2, 4], vec![6, 8], vec![10, 12]]);
}

#[test]
fn reduce_by_key() {
    let sc = context("local[2]");
    let input = vec![vec!["a", "a", "b"], vec!["", ""], vec![]];
    let input: Vec<Vec<String>> = input
        .into_iter()
        .map(|b| b.into_iter().map(String::from).collect())
        .collect();
    let out = run_stream(&sc, input, 3, |s| {
        s.map(|x| (x, 1)).reduce_by_key(|a, b| a + b)
    });
    let out: Vec<Vec<(String, i32)>> = out.into_iter().map(sorted).collect();
    assert_eq!(
        out,
        vec![
            vec![("a".into(), 2), ("b".into(), 1)],
            vec![("".into(), 2)],
            vec![]
        ]
    );
}

#[test]
fn count_emits_one_element_per_batch() {
    let sc = context("local[2]");
    let out = run_stream(&sc, vec![vec![1, 2, 3], vec![], vec![4]], 4, |s| s.count());
    assert_eq!(out, vec![vec![3], vec![0], vec![1], vec![0]]);
}

#[test]
fn window_basic() {
    let sc = context("local[2]");
    let input: Vec<Vec<i32>> = (1..=6).map(|i| vec![i]).collect();
    let out = run_stream(&sc, input, 6, |s| {
        s.window(Duration::seconds(2), Duration::seconds(1))
    });
    let out: Vec<Vec<i32>> = out.into_iter().map(sorted).collect();
    assert_eq!(
        out,
        vec![
            vec![1],
            vec![1, 2],
            vec![2, 3],
            vec![3, 4],
            vec![4, 5],
            vec![5, 6]
        ]
    );
}

#[test]
fn reduce_by_key_and_window_basic() {
    let sc = context("local[2]");
    let input = vec![
        vec![("a".to_string(), 1)],
        vec![("a".to_string(), 3)],
        vec![],
        vec![],
    ];
    let out = run_stream(&sc, input, 4, |s| {
        s.reduce_by_key_and_window(|a, b| a + b, Duration::seconds(2), Duration::seconds(1))
    });
    assert_eq!(
        out,
        vec![
            vec![("a".to_string(), 1)],
            vec![("a".to_string(), 4)],
            vec![("a".to_string(), 3)],
            vec![]
        ]
    );
}

#[test]
fn print_and_union_and_transform() {
    let sc = context("local[2]");
    let out = run_stream(&sc, vec![vec![1, 2], vec![3]], 2, |s| {
        s.print(1);
        let doubled = s.transform(|rdd, t| {
            let ms = t.milliseconds() as i32;
            rdd.map(move |x| x * 100 + ms / 1000)
        });
        s.union(&doubled)
    });
    assert_eq!(
        out.into_iter().map(sorted).collect::<Vec<_>>(),
        vec![vec![1, 2, 101, 201], vec![3, 302]]
    );
}

// ------------------------------------------------------------------- file input stream
// (InputStreamsSuite's "file input stream" scenarios, on the manual clock.)

/// A manual-clock context reading `dir` with `text_file_stream`, and each batch's lines.
fn file_stream(
    sc: &sparklet::prelude::SparkContext,
    dir: &std::path::Path,
) -> (
    StreamingContext,
    DStream<String>,
    std::sync::Arc<parking_lot::Mutex<Vec<Vec<String>>>>,
) {
    let ssc = StreamingContext::with_manual_clock(sc, Duration::seconds(1));
    let lines = ssc.text_file_stream(dir);
    let seen = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
    let s = seen.clone();
    lines.foreach_rdd(move |rdd, _| {
        s.lock().push(rdd.collect()?);
        Ok(())
    });
    (ssc, lines, seen)
}

#[test]
fn text_file_stream_reads_each_new_file_once() {
    let sc = context("local[2]");
    let dir = tempfile::tempdir().expect("tempdir");
    let write =
        |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    write("existing.txt", "old\n");
    let (ssc, lines, seen) = file_stream(&sc, dir.path());
    ssc.start().expect("start");
    // Files already there at start are not new (Spark's newFilesOnly).
    ssc.run_batches(1).expect("batch 1");

    write("a.txt", "a1\na2\n");
    ssc.run_batches(1).expect("batch 2");

    // Hidden files, `_` files and sub-folders are not read.
    write("b.txt", "b1\n");
    write(".hidden", "no\n");
    write("_COPYING_", "no\n");
    std::fs::create_dir(dir.path().join("sub")).expect("sub-folder");
    std::fs::write(dir.path().join("sub").join("c.txt"), "no\n").expect("write");
    ssc.run_batches(1).expect("batch 3");

    // Nothing new: an empty batch; a file is read once.
    ssc.run_batches(1).expect("batch 4");

    // Several new files: one batch, in file name order.
    write("d.txt", "d1\nd2\n");
    write("c.txt", "c1\n");
    ssc.run_batches(1).expect("batch 5");

    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        *seen.lock(),
        vec![
            vec![],
            strings(&["a1", "a2"]),
            strings(&["b1"]),
            vec![],
            strings(&["c1", "d1", "d2"]),
        ]
    );
    // Spark remembers a file stream's batches for at least a minute.
    assert_eq!(lines.remember_duration(), Some(Duration::seconds(60)));
    assert_eq!(lines.generated_rdd_times().len(), 5);
    ssc.stop(true, false);
}

#[test]
fn text_file_stream_reports_a_missing_folder() {
    let sc = context("local[2]");
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("incoming");
    let (ssc, _, seen) = file_stream(&sc, &dir);
    ssc.start().expect("start");
    match ssc.run_batches(1) {
        Err(sparklet::prelude::Error::Io { path, .. }) => assert_eq!(path, dir),
        other => panic!("expected an I/O error naming the folder, got {other:?}"),
    }
    // The batch ran, empty; once the folder exists its files are read.
    std::fs::create_dir(&dir).expect("folder");
    std::fs::write(dir.join("x.txt"), "x\n").expect("write");
    ssc.run_batches(1).expect("batch 2");
    assert_eq!(*seen.lock(), vec![vec![], vec!["x".to_string()]]);
    ssc.stop(true, false);
}
