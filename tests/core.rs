//! The RDD core: Spark's basic scenarios (word count, union, cogroup, join, groupByKey), the
//! scheduler's stage reuse and retries, and bad masters.

mod common;

use common::{context, context_with, sorted, Counter};
use sparklet::prelude::*;

fn words(sc: &SparkContext) -> Rdd<String> {
    sc.parallelize(
        vec![
            "the quick brown fox".to_string(),
            "the lazy dog".into(),
            "the fox".into(),
        ],
        2,
    )
    .flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>())
}

#[test]
fn word_count_gives_sparks_answer() {
    for master in ["local", "local[2]", "local-cluster[2,2,64]"] {
        let sc = context(master);
        let counts = words(&sc).map(|w| (w, 1)).reduce_by_key(|a, b| a + b);
        let got = sorted(counts.collect().unwrap());
        let want: Vec<(String, i32)> = vec![
            ("brown".into(), 1),
            ("dog".into(), 1),
            ("fox".into(), 2),
            ("lazy".into(), 1),
            ("quick".into(), 1),
            ("the".into(), 3),
        ];
        assert_eq!(got, want, "{master}");
        sc.stop();
    }
}

#[test]
fn union_keeps_partitions_in_order() {
    let sc = context("local[2]");
    let a = sc.parallelize(vec![1, 2, 3], 2);
    let b = sc.parallelize(vec![4, 5], 1);
    let u = a.union(&b);
    assert_eq!(u.num_partitions(), 3);
    assert_eq!(u.collect().unwrap(), vec![1, 2, 3, 4, 5]);
    assert_eq!(
        u.glom().collect().unwrap(),
        vec![vec![1], vec![2, 3], vec![4, 5]]
    );
    // Union of RDDs with the same partitioner keeps it (PartitionerAwareUnionRDD).
    let p = Partitioner::hash(2);
    let x = sc
        .parallelize(vec![(1, 'a'), (2, 'b')], 2)
        .partition_by(p.clone());
    let y = sc.parallelize(vec![(1, 'c')], 1).partition_by(p.clone());
    let xy = x.union(&y);
    assert_eq!(xy.partitioner(), Some(p));
    assert_eq!(xy.num_partitions(), 2);
    assert_eq!(
        sorted(xy.collect().unwrap()),
        vec![(1, 'a'), (1, 'c'), (2, 'b')]
    );
}

#[test]
fn cogroup_and_join_like_spark() {
    // Spark's PairRDDFunctionsSuite "join" and "cogroup" data.
    let sc = context("local[2]");
    let rdd1 = sc.parallelize(vec![(1, 1), (1, 2), (2, 1), (3, 1)], 2);
    let rdd2 = sc.parallelize(vec![(1, 'x'), (2, 'y'), (2, 'z'), (4, 'w')], 2);
    let joined = sorted(rdd1.join(&rdd2).collect().unwrap());
    assert_eq!(
        joined,
        vec![(1, (1, 'x')), (1, (2, 'x')), (2, (1, 'y')), (2, (1, 'z'))]
    );
    let mut cg: Vec<(i32, (Vec<i32>, Vec<char>))> = rdd1.cogroup(&rdd2).collect().unwrap();
    for (_, (a, b)) in cg.iter_mut() {
        a.sort();
        b.sort();
    }
    cg.sort();
    assert_eq!(
        cg,
        vec![
            (1, (vec![1, 2], vec!['x'])),
            (2, (vec![1], vec!['y', 'z'])),
            (3, (vec![1], vec![])),
            (4, (vec![], vec!['w'])),
        ]
    );
}

#[test]
fn group_by_key_keeps_map_order_of_values() {
    let sc = context("local[2]");
    let pairs = sc.parallelize(vec![(1, 1), (1, 2), (1, 3), (2, 1)], 2);
    let groups = sorted(pairs.group_by_key().collect().unwrap());
    // Values arrive in map-index order: partition 0 holds (1,1),(1,2), partition 1 (1,3),(2,1).
    assert_eq!(groups, vec![(1, vec![1, 2, 3]), (2, vec![1])]);
}

#[test]
fn partition_by_an_equal_partitioner_is_a_no_op() {
    let sc = context("local[2]");
    let p = Partitioner::hash(3);
    let a = sc
        .parallelize(vec![(1, 1), (2, 2)], 2)
        .partition_by(p.clone());
    let b = a.partition_by(Partitioner::hash(3));
    assert_eq!(a.id(), b.id());
    // reduceByKey on an RDD already partitioned by the same partitioner does not shuffle.
    let r = a.reduce_by_key_with(p, |x, y| x + y);
    assert!(!r.dependencies()[0].is_shuffle());
}

#[test]
fn second_job_skips_the_map_stage() {
    let sc = context("local[2]");
    let log = EventLog::attach(&sc);
    let counts = words(&sc).map(|w| (w, 1)).reduce_by_key(|a, b| a + b);
    counts.count().unwrap();
    counts.collect().unwrap();
    let jobs = log.jobs();
    assert_eq!(jobs.len(), 2);
    assert_eq!(log.submitted_stages(jobs[0]).len(), 2);
    assert_eq!(log.skipped_stages(jobs[0]).len(), 0);
    assert_eq!(log.submitted_stages(jobs[1]).len(), 1);
    assert_eq!(log.skipped_stages(jobs[1]).len(), 1);
}

#[test]
fn a_panicking_closure_aborts_after_max_failures_and_the_context_survives() {
    let sc = context_with("local[2]", &[("sparklet.task.maxFailures", "3")]);
    let log = EventLog::attach(&sc);
    let attempts = Counter::new();
    let a = attempts.clone();
    let err = sc
        .parallelize((0..10).collect::<Vec<i32>>(), 2)
        .map(move |x| {
            if x == 7 {
                a.inc();
                panic!("boom on {x}");
            }
            x
        })
        .collect()
        .unwrap_err();
    match &err {
        Error::JobAborted(msg) => {
            assert!(msg.contains("boom on 7"), "{msg}");
            assert!(msg.contains("failed 3 times"), "{msg}");
        }
        other => panic!("expected JobAborted, got {other:?}"),
    }
    assert_eq!(attempts.get(), 3);
    let failures = log
        .task_ends()
        .into_iter()
        .filter(|(_, p, _, _, r)| *p == 1 && matches!(r, TaskEndKind::ExceptionFailure(_)))
        .count();
    assert_eq!(failures, 3);
    // The context keeps working.
    assert_eq!(sc.parallelize(vec![1, 2, 3], 2).count().unwrap(), 3);
}

#[test]
fn bad_masters_are_invalid_arguments() {
    for bad in [
        "locl[2]",
        "local[0]",
        "local-cluster[2]",
        "spark://host:7077",
        "local[two]",
    ] {
        let err = SparkContext::new(SparkConf::new().set_master(bad)).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{bad}: {err:?}");
    }
}

#[test]
fn actions_like_spark() {
    let sc = context("local[2]");
    let rdd = sc.parallelize((1..=10).collect::<Vec<i32>>(), 3);
    assert_eq!(rdd.count().unwrap(), 10);
    assert_eq!(rdd.reduce(|a, b| a + b).unwrap(), Some(55));
    assert_eq!(rdd.take(4).unwrap(), vec![1, 2, 3, 4]);
    assert_eq!(rdd.take(0).unwrap(), Vec::<i32>::new());
    assert_eq!(rdd.take(100).unwrap().len(), 10);
    assert_eq!(rdd.first().unwrap(), Some(1));
    assert_eq!(sc.empty_rdd::<i32>().reduce(|a, b| a + b).unwrap(), None);
    assert_eq!(sc.empty_rdd::<i32>().first().unwrap(), None);
    let seen = Counter::new();
    let s = seen.clone();
    rdd.foreach(move |_| s.inc()).unwrap();
    assert_eq!(seen.get(), 10);
    let m = sc
        .parallelize(vec![(1, 'a'), (2, 'b'), (1, 'c')], 2)
        .collect_as_map()
        .unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m[&1], 'c');
}

#[test]
fn take_scans_partitions_incrementally() {
    let sc = context("local[2]");
    let log = EventLog::attach(&sc);
    // 8 partitions, only the last holds data: 1, then 4, then the remaining 3 partitions.
    let rdd = sc
        .parallelize((0..8).collect::<Vec<i32>>(), 8)
        .filter(|x| *x == 7);
    assert_eq!(rdd.take(1).unwrap(), vec![7]);
    let tasks_per_job: Vec<usize> = log
        .events()
        .iter()
        .filter_map(|e| match e {
            SparkListenerEvent::StageSubmitted { num_tasks, .. } => Some(*num_tasks),
            _ => None,
        })
        .collect();
    assert_eq!(tasks_per_job, vec![1, 4, 3]);
}

#[test]
fn zero_slices_is_an_invalid_argument_at_the_action() {
    let sc = context("local");
    let rdd = sc.parallelize(vec![1, 2], 0);
    assert!(matches!(rdd.count(), Err(Error::InvalidArgument(_))));
}

#[test]
fn stopped_context_refuses_jobs() {
    let sc = context("local");
    let rdd = sc.parallelize(vec![1], 1);
    sc.stop();
    assert!(matches!(rdd.count(), Err(Error::IllegalState(_))));
}

#[test]
fn text_file_reads_every_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    let lines: Vec<String> = (0..1000).map(|i| format!("line {i}")).collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    let sc = context("local[2]");
    for parts in [1, 3, 7] {
        let rdd = sc.text_file(&path, parts).unwrap();
        assert!(rdd.num_partitions() >= parts);
        assert_eq!(rdd.collect().unwrap(), lines);
    }
    assert!(matches!(
        sc.text_file(dir.path().join("missing"), 2),
        Err(Error::Io { .. })
    ));
}

#[test]
fn debug_string_in_sparks_layout() {
    let sc = context("local[2]");
    let pairs = sc
        .parallelize(vec!["a b".to_string()], 2)
        .flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>());
    let counts = pairs.map(|w| (w, 1)).reduce_by_key(|a, b| a + b);
    let expected = format!(
        "(2) ShuffledRDD[{c}] at reduceByKey []\n \
         +-(2) MapPartitionsRDD[{m}] at map []\n    \
         |  MapPartitionsRDD[{f}] at flatMap []\n    \
         |  ParallelCollectionRDD[{p}] at parallelize []",
        c = counts.id(),
        m = counts.id() - 1,
        f = counts.id() - 2,
        p = counts.id() - 3
    );
    assert_eq!(counts.to_debug_string(), expected);
}

#[test]
fn closures_need_not_be_clone() {
    // API.md's closures are only `Fn + Send + Sync + 'static`: one that owns a non-Clone value works.
    let sc = context("local[2]");
    let not_clone = std::sync::Mutex::new(0);
    let sums = sc
        .parallelize(vec![(1, 1), (1, 2), (2, 5)], 2)
        .reduce_by_key(move |a, b| {
            let _ = &not_clone;
            a + b
        });
    assert_eq!(sorted(sums.collect().unwrap()), vec![(1, 3), (2, 5)]);
}
