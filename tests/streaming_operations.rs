//! Spark Streaming's BasicOperationsSuite on the manual clock, through Spark's
//! `testOperation` (tests/common/streaming.rs): the per-batch operations, the transforms over
//! several streams, the joins and cogroup of two streams, union, and slice.

mod common;

use common::streaming::*;
use sparklet::prelude::*;
use sparklet::streaming::*;

fn ranges(rs: &[std::ops::RangeInclusive<i32>]) -> Vec<Vec<i32>> {
    rs.iter().map(|r| r.clone().collect()).collect()
}

fn s(x: &str) -> String {
    x.to_string()
}

/// The error `start()` gives for the graph `setup` builds.
fn start_error<U: Data>(setup: impl FnOnce(&StreamingContext) -> DStream<U>) -> Error {
    match run_streams(1, setup) {
        Err(e) => e,
        Ok(out) => panic!("expected start() to fail, got outputs {out:?}"),
    }
}

/// BasicOperationsSuite: "map"
#[test]
fn map() {
    let input = ranges(&[1..=4, 5..=8, 9..=12]);
    let expected = input
        .iter()
        .map(|b| b.iter().map(|x| x.to_string()).collect())
        .collect();
    test_operation(input, |r| r.map(|x| x.to_string()), expected, false);
}

/// BasicOperationsSuite: "flatMap"
#[test]
fn flat_map() {
    let input = ranges(&[1..=4, 5..=8, 9..=12]);
    let expected = input
        .iter()
        .map(|b| b.iter().flat_map(|&x| [x, x * 2]).collect())
        .collect();
    test_operation(input, |r| r.flat_map(|x| vec![x, x * 2]), expected, false);
}

/// BasicOperationsSuite: "filter"
#[test]
fn filter() {
    let input = ranges(&[1..=4, 5..=8, 9..=12]);
    let expected = input
        .iter()
        .map(|b| b.iter().copied().filter(|x| x % 2 == 0).collect())
        .collect();
    test_operation(input, |r| r.filter(|x| x % 2 == 0), expected, false);
}

/// BasicOperationsSuite: "glom"
#[test]
fn glom() {
    let input = ranges(&[1..=4, 5..=8, 9..=12]);
    let expected = vec![
        vec![vec![1, 2], vec![3, 4]],
        vec![vec![5, 6], vec![7, 8]],
        vec![vec![9, 10], vec![11, 12]],
    ];
    test_operation(input, |r| r.glom(), expected, false);
}

/// BasicOperationsSuite: "mapPartitions"
#[test]
fn map_partitions() {
    let input = ranges(&[1..=4, 5..=8, 9..=12]);
    let expected = vec![vec![3, 7], vec![11, 15], vec![19, 23]];
    test_operation(
        input,
        |r| r.map_partitions(|it| std::iter::once(it.sum::<i32>())),
        expected,
        true,
    );
}

/// Spark's `runStreamsWithPartitions` for `repartition(n)` over input batches of
/// `input_partitions` partitions: each batch's partitions.
fn repartitioned(input_partitions: usize, n: usize) -> Vec<Vec<Vec<i32>>> {
    let parallelism = input_partitions.to_string();
    let input = ranges(&[1..=100, 101..=200, 201..=300]);
    run_streams_with(
        &[("sparklet.default.parallelism", parallelism.as_str())],
        3,
        |ssc| {
            let source = test_input(ssc, input);
            assert_eq!(
                source.slide_duration(),
                Duration::seconds(BATCH_SECONDS),
                "input"
            );
            source.repartition(n).glom()
        },
    )
    .expect("run")
}

fn check_repartitioned(output: Vec<Vec<Vec<i32>>>, n: usize) {
    assert_eq!(output.len(), 3);
    for (i, batch) in output.into_iter().enumerate() {
        assert_eq!(batch.len(), n, "partitions of batch {}", i + 1);
        let mut all: Vec<i32> = batch.into_iter().flatten().collect();
        all.sort();
        let from = 100 * i as i32 + 1;
        assert_eq!(all, (from..from + 100).collect::<Vec<_>>());
    }
}

/// BasicOperationsSuite: "repartition (more partitions)"
#[test]
fn repartition_more_partitions() {
    check_repartitioned(repartitioned(2, 5), 5);
}

/// BasicOperationsSuite: "repartition (fewer partitions)"
#[test]
fn repartition_fewer_partitions() {
    check_repartitioned(repartitioned(5, 2), 2);
}

fn words_input() -> Vec<Vec<String>> {
    strs(&[&["a", "a", "b"], &["", ""], &[]])
}

/// BasicOperationsSuite: "groupByKey"
#[test]
fn group_by_key() {
    test_operation(
        words_input(),
        |s| s.map(|x| (x, 1)).group_by_key(),
        vec![
            vec![(s("a"), vec![1, 1]), (s("b"), vec![1])],
            vec![(s(""), vec![1, 1])],
            vec![],
        ],
        true,
    );
}

/// BasicOperationsSuite: "reduceByKey"
#[test]
fn reduce_by_key() {
    test_operation(
        words_input(),
        |s| s.map(|x| (x, 1)).reduce_by_key(|a, b| a + b),
        vec![vec![(s("a"), 2), (s("b"), 1)], vec![(s(""), 2)], vec![]],
        true,
    );
}

/// BasicOperationsSuite: "reduce"
#[test]
fn reduce() {
    test_operation(
        ranges(&[1..=4, 5..=8, 9..=12]),
        |s| s.reduce(|a, b| a + b),
        vec![vec![10], vec![26], vec![42]],
        false,
    );
}

/// BasicOperationsSuite: "count"
#[test]
fn count() {
    test_operation(
        vec![vec![], vec![1], vec![1, 2], vec![1, 2, 3], vec![1, 2, 3, 4]],
        |s| s.count(),
        vec![vec![0], vec![1], vec![2], vec![3], vec![4]],
        false,
    );
}

/// BasicOperationsSuite: "countByValue"
#[test]
fn count_by_value() {
    test_operation(
        vec![vec![1], vec![1, 1, 1], vec![1, 2], vec![1, 1, 2, 2]],
        |s| s.count_by_value(),
        vec![
            vec![(1, 1)],
            vec![(1, 3)],
            vec![(1, 1), (2, 1)],
            vec![(2, 2), (1, 2)],
        ],
        true,
    );
}

/// BasicOperationsSuite: "mapValues"
#[test]
fn map_values() {
    test_operation(
        words_input(),
        |s| {
            s.map(|x| (x, 1))
                .reduce_by_key(|a, b| a + b)
                .map_values(|v| v + 10)
        },
        vec![vec![(s("a"), 12), (s("b"), 11)], vec![(s(""), 12)], vec![]],
        true,
    );
}

/// BasicOperationsSuite: "flatMapValues"
#[test]
fn flat_map_values() {
    test_operation(
        words_input(),
        |s| {
            s.map(|x| (x, 1))
                .reduce_by_key(|a, b| a + b)
                .flat_map_values(|x| vec![x, x + 10])
        },
        vec![
            vec![(s("a"), 2), (s("a"), 12), (s("b"), 1), (s("b"), 11)],
            vec![(s(""), 2), (s(""), 12)],
            vec![],
        ],
        true,
    );
}

/// BasicOperationsSuite: "union"
#[test]
fn union() {
    test_operation(
        ranges(&[1..=4, 101..=104, 201..=204]),
        |s| s.union(&s.map(|x| x + 4)),
        ranges(&[1..=8, 101..=108, 201..=208]),
        false,
    );
}

/// BasicOperationsSuite: "StreamingContext.union"
#[test]
fn streaming_context_union() {
    let input = ranges(&[1..=4, 101..=104, 201..=204]);
    let output = run_streams(3, |ssc| {
        let s = test_input(ssc, input);
        ssc.union(&[s.clone(), s.map(|x| x + 4), s.map(|x| x + 8)])
    })
    .expect("run");
    verify_output(&output, &ranges(&[1..=12, 101..=112, 201..=212]), false);
}

/// UnionDStream's `require`s, with Spark's messages: an empty list and different slide
/// durations make `start()` fail.
#[test]
fn streaming_context_union_refuses_what_spark_refuses() {
    match start_error(|ssc| ssc.union::<i32>(&[])) {
        Error::InvalidArgument(m) => assert_eq!(m, "List of DStreams to union is empty"),
        other => panic!("{other:?}"),
    }
    let e = start_error(|ssc| {
        let s = test_input(ssc, vec![vec![1]]);
        let w = s.window(Duration::seconds(2), Duration::seconds(2));
        ssc.union(&[s, w])
    });
    match e {
        Error::InvalidArgument(m) => {
            assert_eq!(m, "Some of the DStreams have different slide durations")
        }
        other => panic!("{other:?}"),
    }
    // A stream of another context.
    let other_sc = common::context("local[1]");
    let other_ssc = StreamingContext::with_manual_clock(&other_sc, Duration::seconds(1));
    let foreign = other_ssc.queue_stream(vec![vec![1]], true);
    match start_error(|ssc| ssc.union(&[test_input(ssc, vec![vec![1]]), foreign])) {
        Error::InvalidArgument(m) => {
            assert_eq!(m, "Some of the DStreams have different contexts")
        }
        other => panic!("{other:?}"),
    }
}

/// BasicOperationsSuite: "transform"
#[test]
fn transform() {
    let input = ranges(&[1..=4, 5..=8, 9..=12]);
    let expected = input
        .iter()
        .map(|b| b.iter().map(|x| x.to_string()).collect())
        .collect();
    test_operation(
        input,
        |r| r.transform(|rdd, _| rdd.map(|x| x.to_string())),
        expected,
        false,
    );
}

fn join_input1() -> Vec<Vec<String>> {
    strs(&[&["a", "b"], &["a", ""], &[""], &[]])
}

fn join_input2() -> Vec<Vec<String>> {
    strs(&[&["a", "b"], &["b", ""], &[], &[""]])
}

type Ones = DStream<(String, i32)>;
type Xs = DStream<(String, String)>;

fn keyed(s1: DStream<String>, s2: DStream<String>) -> (Ones, Xs) {
    (s1.map(|x| (x, 1)), s2.map(|x| (x, s("x"))))
}

/// BasicOperationsSuite: "transformWith"
#[test]
fn transform_with() {
    test_operation2(
        join_input1(),
        join_input2(),
        |s1, s2| {
            let (t1, t2) = keyed(s1, s2);
            t1.transform_with(&t2, |rdd1, rdd2, _| rdd1.join(rdd2))
        },
        vec![
            vec![(s("a"), (1, s("x"))), (s("b"), (1, s("x")))],
            vec![(s(""), (1, s("x")))],
            vec![],
            vec![],
        ],
        true,
    );
}

/// TransformedDStream's `require`: parents of different slide durations make `start()` fail
/// with Spark's message, for transformWith and the joins built on it.
#[test]
fn transform_with_refuses_different_slide_durations() {
    let msg = "Some of the DStreams have different slide durations";
    let e = start_error(|ssc| {
        let s = test_input(ssc, vec![vec![1]]);
        let w = s.window(Duration::seconds(2), Duration::seconds(2));
        s.transform_with(&w, |a, b, _| a.union(b))
    });
    assert!(matches!(&e, Error::InvalidArgument(m) if m == msg), "{e:?}");
    let e = start_error(|ssc| {
        let s = test_input(ssc, vec![vec![(1, 1)]]);
        let w = s.window(Duration::seconds(2), Duration::seconds(2));
        s.join(&w)
    });
    assert!(matches!(&e, Error::InvalidArgument(m) if m == msg), "{e:?}");
}

/// BasicOperationsSuite: "cogroup"
#[test]
fn cogroup() {
    test_operation2(
        strs(&[&["a", "a", "b"], &["a", ""], &[""], &[]]),
        strs(&[&["a", "a", "b"], &["b", ""], &[], &[]]),
        |s1, s2| {
            let (t1, t2) = keyed(s1, s2);
            t1.cogroup(&t2)
        },
        vec![
            vec![
                (s("a"), (vec![1, 1], vec![s("x"), s("x")])),
                (s("b"), (vec![1], vec![s("x")])),
            ],
            vec![
                (s("a"), (vec![1], vec![])),
                (s("b"), (vec![], vec![s("x")])),
                (s(""), (vec![1], vec![s("x")])),
            ],
            vec![(s(""), (vec![1], vec![]))],
            vec![],
        ],
        true,
    );
}

/// BasicOperationsSuite: "join"
#[test]
fn join() {
    test_operation2(
        join_input1(),
        join_input2(),
        |s1, s2| {
            let (t1, t2) = keyed(s1, s2);
            t1.join(&t2)
        },
        vec![
            vec![(s("a"), (1, s("x"))), (s("b"), (1, s("x")))],
            vec![(s(""), (1, s("x")))],
            vec![],
            vec![],
        ],
        true,
    );
}

/// BasicOperationsSuite: "leftOuterJoin"
#[test]
fn left_outer_join() {
    test_operation2(
        join_input1(),
        join_input2(),
        |s1, s2| {
            let (t1, t2) = keyed(s1, s2);
            t1.left_outer_join(&t2)
        },
        vec![
            vec![(s("a"), (1, Some(s("x")))), (s("b"), (1, Some(s("x"))))],
            vec![(s(""), (1, Some(s("x")))), (s("a"), (1, None))],
            vec![(s(""), (1, None))],
            vec![],
        ],
        true,
    );
}

/// BasicOperationsSuite: "rightOuterJoin"
#[test]
fn right_outer_join() {
    test_operation2(
        join_input1(),
        join_input2(),
        |s1, s2| {
            let (t1, t2) = keyed(s1, s2);
            t1.right_outer_join(&t2)
        },
        vec![
            vec![(s("a"), (Some(1), s("x"))), (s("b"), (Some(1), s("x")))],
            vec![(s(""), (Some(1), s("x"))), (s("b"), (None, s("x")))],
            vec![],
            vec![(s(""), (None, s("x")))],
        ],
        true,
    );
}

/// BasicOperationsSuite: "fullOuterJoin"
#[test]
fn full_outer_join() {
    test_operation2(
        join_input1(),
        join_input2(),
        |s1, s2| {
            let (t1, t2) = keyed(s1, s2);
            t1.full_outer_join(&t2)
        },
        vec![
            vec![
                (s("a"), (Some(1), Some(s("x")))),
                (s("b"), (Some(1), Some(s("x")))),
            ],
            vec![
                (s(""), (Some(1), Some(s("x")))),
                (s("a"), (Some(1), None)),
                (s("b"), (None, Some(s("x")))),
            ],
            vec![(s(""), (Some(1), None))],
            vec![(s(""), (None, Some(s("x"))))],
        ],
        true,
    );
}

/// As Spark's PairDStreamFunctions, a join is a TransformedDStream over both streams whose RDD
/// is the RDD join into the default partitioner: cogroup with one partitioner.
#[test]
fn join_is_a_transformed_dstream_over_a_cogroup() {
    let seen = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
    let out = run_streams(1, |ssc| {
        let (t1, t2) = keyed(
            test_input(ssc, join_input1()),
            test_input(ssc, join_input2()),
        );
        let joined = t1.join(&t2);
        assert!(format!("{joined:?}").starts_with("TransformedDStream["));
        let seen = seen.clone();
        joined.transform(move |rdd, _| {
            seen.lock().push((rdd.to_debug_string(), rdd.partitioner()));
            rdd.clone()
        })
    })
    .expect("run");
    assert_eq!(out.len(), 1);
    let seen = seen.lock();
    let (lineage, partitioner) = &seen[0];
    assert!(lineage.contains("CoGroupedRDD"), "{lineage}");
    assert_eq!(*partitioner, Some(Partitioner::hash(2)));
}

/// BasicOperationsSuite: "slice"
#[test]
fn slice() {
    let sc = test_context();
    let dir = tempfile::tempdir().unwrap();
    let ssc = test_streaming_context(&sc, dir.path());
    let stream = ssc.queue_stream(vec![vec![1], vec![2], vec![3], vec![4]], true);
    stream.foreach_rdd(|_, _| Ok(()));
    ssc.start().unwrap();
    ssc.run_batches(2).unwrap();
    let from_slice = |from: u64, to: u64| -> std::collections::BTreeSet<i32> {
        stream
            .slice(Time::new(from), Time::new(to))
            .unwrap()
            .iter()
            .flat_map(|rdd| rdd.collect().unwrap())
            .collect()
    };
    assert_eq!(from_slice(0, 1000), [1].into());
    assert_eq!(from_slice(0, 2000), [1, 2].into());
    assert_eq!(from_slice(1000, 2000), [1, 2].into());
    assert_eq!(from_slice(2000, 4000), [2, 3, 4].into());
    // Times between batch times are moved back to the batch time before them (Spark's
    // `floor`), both ends: 1500 to 1000, 2500 to 2000.
    assert_eq!(from_slice(1500, 2500), [1, 2].into());
    ssc.stop(true, false);
}

/// BasicOperationsSuite: "slice - has not been initialized"
#[test]
fn slice_has_not_been_initialized() {
    let sc = test_context();
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let stream = ssc.queue_stream(vec![vec![1], vec![2], vec![3], vec![4]], true);
    match stream.slice(Time::new(0), Time::new(1000)) {
        Err(e) => assert!(e.to_string().contains("has not been initialized"), "{e}"),
        Ok(rdds) => panic!("expected an error, got {} RDDs", rdds.len()),
    }
}
