//! Executors that die and tasks that fail (Spark's FetchFailed path, lost blocks, replicas,
//! checkpoints, retries): nothing lost, nothing wrong.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::{context, context_with, sorted, Counter};
use proptest::prelude::*;
use sparklet::prelude::*;

/// (stage, attempt) → partitions run, from StageSubmitted/TaskEnd events.
fn tasks_by_stage_attempt(log: &EventLog) -> BTreeMap<(usize, u32), Vec<usize>> {
    let mut out: BTreeMap<(usize, u32), Vec<usize>> = BTreeMap::new();
    for e in log.events() {
        if let SparkListenerEvent::TaskStart {
            stage_id,
            stage_attempt,
            partition,
            ..
        } = e
        {
            out.entry((stage_id, stage_attempt))
                .or_default()
                .push(partition);
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

#[test]
fn an_executor_dying_between_stages_reruns_only_its_map_partitions() {
    // Kill an executor the moment the map stage completes, before the reduce stage is
    // submitted: the scheduler's 11th event is stage 0's StageCompleted (JobStart,
    // StageSubmitted, 4 TaskStart, 4 TaskEnd), and the kill happens on its thread right after.
    let sc = context_with(
        "local-cluster[2,1,64]",
        &[("sparklet.faults.killExecutorAtStep", "11")],
    );
    let log = EventLog::attach(&sc);
    let words: Vec<String> = (0..400).map(|i| format!("w{}", i % 37)).collect();
    let counts = sc
        .parallelize(words, 4)
        .map(|w| (w, 1))
        .reduce_by_key(|a, b| a + b);
    let got: HashMap<String, i32> = counts.collect_as_map().unwrap();
    assert_eq!(got.len(), 37);
    assert!(got.values().all(|&n| n == 10 || n == 11));
    assert_eq!(got.values().sum::<i32>(), 400);
    let events = log.events();
    assert!(matches!(
        events[10],
        SparkListenerEvent::StageCompleted {
            stage_id: 0,
            attempt: 0,
            failure: None,
            ..
        }
    ));
    let victims: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            SparkListenerEvent::ExecutorRemoved {
                executor_id,
                lost_map_outputs,
                ..
            } if *lost_map_outputs > 0 => Some(executor_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(victims.len(), 1, "one kill, with map outputs lost");

    // Which map partitions ran on the victim in the first attempt.
    let on_victim: Vec<usize> = log
        .task_ends()
        .into_iter()
        .filter(|(stage, _, attempt, exec, _)| *stage == 0 && *attempt == 0 && *exec == victims[0])
        .map(|(_, p, _, _, _)| p)
        .collect();
    assert!(!on_victim.is_empty());
    let attempts = tasks_by_stage_attempt(&log);
    assert_eq!(attempts[&(0, 0)], vec![0, 1, 2, 3]);
    assert_eq!(
        attempts[&(0, 1)],
        sorted(on_victim),
        "only the lost map partitions ran again"
    );
}

#[test]
fn fetch_failures_do_not_count_against_max_failures() {
    // maxFailures 1: any counted failure would abort the job.
    let sc = context_with(
        "local-cluster[2,1,64]",
        &[("sparklet.task.maxFailures", "1")],
    );
    let counts = sc
        .parallelize((0..100).collect::<Vec<i32>>(), 4)
        .map(|x| (x % 7, 1))
        .reduce_by_key(|a, b| a + b);
    counts.count().unwrap();
    sc.kill_executor("0").unwrap();
    sc.kill_executor("1").unwrap();
    // The shuffle outputs are gone: the next job on the shuffled RDD reruns the map stage.
    assert_eq!(sorted(counts.collect().unwrap()).len(), 7);
}

#[test]
fn memory_only_2_survives_one_death_without_recompute() {
    let sc = context("local-cluster[3,1,64]");
    let c = Counter::new();
    let cc = c.clone();
    let rdd = sc
        .parallelize((0..60).collect::<Vec<i32>>(), 6)
        .map(move |x| {
            cc.inc();
            x * 2
        })
        .persist(StorageLevel::MEMORY_ONLY_2)
        .unwrap();
    let first = rdd.collect().unwrap();
    assert_eq!(c.get(), 60);
    sc.kill_executor("0").unwrap();
    assert_eq!(rdd.collect().unwrap(), first);
    assert_eq!(c.get(), 60, "every lost block had a replica");
}

#[test]
fn memory_only_recomputes_exactly_the_lost_partitions() {
    let sc = context("local-cluster[2,1,64]");
    let log = EventLog::attach(&sc);
    let c = Counter::new();
    let cc = c.clone();
    let rdd = sc
        .parallelize((0..8).collect::<Vec<i32>>(), 8)
        .map(move |x| {
            cc.inc();
            x
        })
        .cache()
        .unwrap();
    rdd.count().unwrap();
    let lost = log
        .task_ends()
        .iter()
        .filter(|(_, _, _, exec, _)| exec == "0")
        .count();
    assert!(lost > 0 && lost < 8);
    sc.kill_executor("0").unwrap();
    assert_eq!(rdd.collect().unwrap(), (0..8).collect::<Vec<_>>());
    assert_eq!(c.get(), 8 + lost);
    assert!(log.events().iter().any(|e| matches!(e,
        SparkListenerEvent::ExecutorRemoved { lost_blocks, .. } if *lost_blocks == lost)));
}

#[test]
fn a_checkpointed_rdd_rereads_files_after_deaths() {
    let dir = tempfile::tempdir().unwrap();
    let sc = context("local-cluster[2,1,64]");
    sc.set_checkpoint_dir(dir.path()).unwrap();
    let c = Counter::new();
    let cc = c.clone();
    let rdd = sc
        .parallelize((0..20).collect::<Vec<i32>>(), 4)
        .map(move |x| {
            cc.inc();
            (x % 3, x)
        });
    let reduced = rdd.reduce_by_key(|a, b| a + b);
    reduced.checkpoint().unwrap();
    let expected = sorted(reduced.collect().unwrap());
    let computed = c.get();
    for id in sc.executor_ids() {
        sc.kill_executor(&id).unwrap();
    }
    assert_eq!(sorted(reduced.collect().unwrap()), expected);
    assert_eq!(c.get(), computed, "the old lineage was never touched");
}

#[test]
fn kill_in_local_mode_replaces_the_one_executor() {
    let sc = context("local[2]");
    assert_eq!(sc.executor_ids(), vec!["driver".to_string()]);
    sc.kill_executor("driver").unwrap();
    let ids = sc.executor_ids();
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0], "driver");
    assert_eq!(sc.parallelize(vec![1, 2, 3], 2).count().unwrap(), 3);
    assert!(matches!(
        sc.kill_executor("driver"),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn a_task_whose_executor_dies_mid_run_is_rescheduled() {
    // The executor running partition 0 is killed by the task itself, after computing: its
    // result is dropped and the task runs again elsewhere.
    let sc = context("local-cluster[2,1,64]");
    let killer = sc.clone();
    let runs = Counter::new();
    let r = runs.clone();
    let out = sc
        .parallelize(vec![0, 1], 2)
        .map(move |x| {
            if x == 0 {
                r.inc();
                if r.get() == 1 {
                    killer.kill_executor("0").unwrap();
                }
            }
            x * 10
        })
        .collect()
        .unwrap();
    assert_eq!(out, vec![0, 10]);
    assert_eq!(runs.get(), 2);
}

#[test]
fn a_deterministic_panic_aborts_and_the_context_keeps_working() {
    let sc = context_with(
        "local-cluster[2,1,64]",
        &[("sparklet.faults.taskFailureRate", "0.3")],
    );
    let err = sc.parallelize((0..10).collect::<Vec<i32>>(), 3).map(|x| {
        if x == 5 {
            panic!("always fails on 5");
        }
        x
    });
    let err = err.count().unwrap_err();
    assert!(
        matches!(&err, Error::JobAborted(m) if m.contains("always fails on 5")),
        "{err:?}"
    );
    assert_eq!(
        sc.parallelize((0..10).collect::<Vec<i32>>(), 3)
            .count()
            .unwrap(),
        10
    );
}

fn word_count(sc: &SparkContext, words: &[String], parts: usize) -> Vec<(String, u32)> {
    sorted(
        sc.parallelize(words.to_vec(), parts)
            .map(|w| (w, 1u32))
            .reduce_by_key(|a, b| a + b)
            .collect()
            .unwrap(),
    )
}

fn join(
    sc: &SparkContext,
    left: &[(u8, u32)],
    right: &[(u8, String)],
    parts: usize,
) -> Vec<(u8, (u32, String))> {
    let l = sc.parallelize(left.to_vec(), parts);
    let r = sc.parallelize(right.to_vec(), parts.max(2) - 1);
    sorted(l.join(&r).collect().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// With random task failures and an executor killed mid-job, word count and join give
    /// exactly the fault-free answer.
    #[test]
    fn faults_never_change_a_result(
        seed in 0u64..1_000_000,
        words in prop::collection::vec("[a-e]{1,2}", 1..120),
        left in prop::collection::vec((0u8..10, 0u32..100), 0..40),
        right in prop::collection::vec((0u8..10, "[xyz]{1,3}"), 0..40),
        parts in 1usize..7,
        kill_after in 1usize..6,
    ) {
        let clean = context("local-cluster[3,1,64]");
        let want_wc = word_count(&clean, &words, parts);
        let want_join = join(&clean, &left, &right, parts);
        clean.stop();

        let seed = seed.to_string();
        let kill_after = kill_after.to_string();
        let faulty = context_with("local-cluster[3,1,64]", &[
            ("sparklet.faults.seed", seed.as_str()),
            ("sparklet.faults.taskFailureRate", "0.25"),
            ("sparklet.faults.killExecutorAfterTasks", kill_after.as_str()),
            ("sparklet.faults.maxExecutorKills", "2"),
        ]);
        prop_assert_eq!(word_count(&faulty, &words, parts), want_wc);
        prop_assert_eq!(join(&faulty, &left, &right, parts), want_join);
        faulty.stop();
    }
}
