//! Accumulators and the task's context (Spark's AccumulatorSuite, AccumulatorV2Suite and the
//! getter cases of TaskContextSuite): updates in an action count once per partition, in a
//! transformation once per computation; a task sees its own copy and its own context.
//!
//! Spark's internal-metric cases ("internal accumulators in a stage", ...) are ported with a
//! named accumulator of the program's: sparklet's task metrics are not accumulators, but the
//! merge, the stage's accumulables and the task-end updates follow the same path.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use common::{context, context_with, sorted};
use sparklet::prelude::*;
use sparklet::{AccumulableInfo, AccumulatorV2, TaskContext};

/// A set accumulator, as Spark's suites build one from a `mutable.Set`.
#[derive(Clone, Default)]
struct SetAccumulator(BTreeSet<i64>);

impl AccumulatorV2 for SetAccumulator {
    type In = i64;
    type Out = BTreeSet<i64>;
    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
    fn copy(&self) -> Self {
        self.clone()
    }
    fn reset(&mut self) {
        self.0.clear();
    }
    fn add(&mut self, v: i64) {
        self.0.insert(v);
    }
    fn merge(&mut self, other: &Self) {
        self.0.extend(other.0.iter().copied());
    }
    fn value(&self) -> BTreeSet<i64> {
        self.0.clone()
    }
}

/// Stage and task infos of completed stages and tasks (Spark's `SaveInfoListener`).
#[derive(Clone, Default)]
struct SaveInfoListener {
    stages: Arc<Mutex<Vec<Vec<AccumulableInfo>>>>,
    tasks: Arc<Mutex<Vec<(bool, Vec<AccumulableInfo>)>>>,
}

impl SaveInfoListener {
    fn attach(sc: &SparkContext) -> SaveInfoListener {
        let l = SaveInfoListener::default();
        let me = l.clone();
        sc.add_spark_listener(move |e| match e {
            SparkListenerEvent::StageCompleted { info, .. } => {
                me.stages.lock().unwrap().push(info.accumulables.clone())
            }
            SparkListenerEvent::TaskEnd {
                reason,
                accumulables,
                ..
            } => me
                .tasks
                .lock()
                .unwrap()
                .push((matches!(reason, TaskEndKind::Success), accumulables.clone())),
            _ => {}
        });
        l
    }

    fn stage_value(&self, stage: usize, name: &str) -> i64 {
        let stages = self.stages.lock().unwrap();
        find(&stages[stage], name).value.parse().unwrap()
    }
}

fn find<'a>(accums: &'a [AccumulableInfo], name: &str) -> &'a AccumulableInfo {
    accums
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("accumulator '{name}' not found in {accums:?}"))
}

/// AccumulatorSuite: "basic accumulation"
#[test]
fn basic_accumulation() {
    let sc = context("local");
    let acc = sc.long_accumulator("acc");
    let d = sc.parallelize((1..=20).collect::<Vec<i64>>(), 2);
    let a = acc.clone();
    d.foreach(move |x| a.add(x)).unwrap();
    assert_eq!(acc.value(), 210);

    let long_acc = sc.long_accumulator("longAcc");
    let max_int = i64::from(i32::MAX);
    let a = long_acc.clone();
    d.foreach(move |x| a.add(max_int + x)).unwrap();
    assert_eq!(long_acc.value(), 210 + max_int * 20);
}

/// AccumulatorSuite: "add value to collection accumulators" (a user's set accumulator,
/// single and multi-threaded)
#[test]
fn add_value_to_collection_accumulators() {
    let max_i = 1000i64;
    for threads in [1, 10] {
        let sc = context(&format!("local[{threads}]"));
        let acc = sc.register(SetAccumulator::default(), "set");
        let a = acc.clone();
        sc.parallelize((1..=max_i).collect::<Vec<_>>(), 4)
            .foreach(move |x| a.add(x))
            .unwrap();
        assert_eq!(acc.value(), (1..=max_i).collect::<BTreeSet<_>>());
        sc.stop();
    }
}

/// AccumulatorSuite: "collection accumulators" (set, buffer and map flavours: a user's set,
/// Spark's `CollectionAccumulator` as the buffer, and a collection of pairs as the map)
#[test]
fn collection_accumulators() {
    let max_i = 1000i64;
    for threads in [1, 10] {
        let sc = context(&format!("local[{threads}]"));
        let set_acc = sc.register(SetAccumulator::default(), "set");
        let buffer_acc = sc.collection_accumulator::<i64>("buffer");
        let map_acc = sc.collection_accumulator::<(i64, String)>("map");
        let (s, b, m) = (set_acc.clone(), buffer_acc.clone(), map_acc.clone());
        let d: Vec<i64> = (1..=max_i).chain(1..=max_i).collect();
        sc.parallelize(d, 5)
            .foreach(move |x| {
                s.add(x);
                b.add(x);
                m.add((x, x.to_string()));
            })
            .unwrap();
        assert_eq!(set_acc.value().len(), max_i as usize);
        assert_eq!(buffer_acc.value().len(), 2 * max_i as usize);
        let map: std::collections::BTreeMap<i64, String> = map_acc.value().into_iter().collect();
        assert_eq!(map.len(), max_i as usize);
        let buffer: BTreeSet<i64> = buffer_acc.value().into_iter().collect();
        for i in 1..=max_i {
            assert!(set_acc.value().contains(&i) && buffer.contains(&i));
            assert_eq!(map[&i], i.to_string());
        }
        sc.stop();
    }
}

/// AccumulatorSuite: "localValue readable in tasks" (in AccumulatorV2 `value` in a task is
/// the task's own copy: each task sees only what it added itself)
#[test]
fn local_value_readable_in_tasks() {
    let max_i = 1000i64;
    for threads in [1, 10] {
        let sc = context(&format!("local[{threads}]"));
        let acc = sc.register(SetAccumulator::default(), "set");
        let grouped: Vec<Vec<i64>> = (1..=max_i / 20)
            .map(|x| (20 * (x - 1)..=20 * x).collect())
            .collect();
        let a = acc.clone();
        let seen = sc
            .parallelize(grouped.clone(), grouped.len())
            .map(move |group| {
                for x in &group {
                    a.add(*x);
                }
                a.value() == group.iter().copied().collect::<BTreeSet<_>>()
            })
            .collect()
            .unwrap();
        assert!(seen.iter().all(|&own| own), "a task saw others' updates");
        assert_eq!(acc.value(), (0..=max_i).collect::<BTreeSet<_>>());
        sc.stop();
    }
}

/// AccumulatorSuite: "garbage collection" (no registry keeps an accumulator alive: once the
/// program and its jobs let go of it, it is gone)
#[test]
fn garbage_collection() {
    let sc = context("local");
    let acc = sc.long_accumulator("gc");
    let a = acc.clone();
    sc.parallelize(vec![1i64, 2, 3], 2)
        .foreach(move |x| a.add(x))
        .unwrap();
    assert_eq!(acc.value(), 6);
    // Ids stay unique within the context after the old one is gone.
    let id = acc.id();
    drop(acc);
    assert_ne!(sc.long_accumulator("next").id(), id);
}

/// AccumulatorSuite: "internal accumulators in a stage"
#[test]
fn accumulators_in_a_stage() {
    let sc = context("local");
    let listener = SaveInfoListener::attach(&sc);
    let num_partitions = 10;
    let acc = sc.long_accumulator("test");
    let a = acc.clone();
    sc.parallelize((1..=100).collect::<Vec<i32>>(), num_partitions)
        .map_partitions(move |it| {
            a.add(1);
            it
        })
        .count()
        .unwrap();
    assert_eq!(listener.stages.lock().unwrap().len(), 1);
    assert_eq!(listener.stage_value(0, "test"), num_partitions as i64);
    let tasks = listener.tasks.lock().unwrap().clone();
    assert_eq!(tasks.len(), num_partitions);
    let values: Vec<i64> = tasks
        .iter()
        .map(|(_, accums)| {
            let a = find(accums, "test");
            assert_eq!(a.update.as_deref(), Some("1"));
            a.value.parse().unwrap()
        })
        .collect();
    // Each task's end shows the driver's value so far: 1, 2, ..., numPartitions.
    assert_eq!(
        sorted(values),
        (1..=num_partitions as i64).collect::<Vec<_>>()
    );
}

/// AccumulatorSuite: "internal accumulators in multiple stages"
#[test]
fn accumulators_in_multiple_stages() {
    let sc = context("local");
    let listener = SaveInfoListener::attach(&sc);
    let num_partitions = 10;
    let (a1, a2, a3) = (
        sc.long_accumulator("first"),
        sc.long_accumulator("second"),
        sc.long_accumulator("third"),
    );
    let (b1, b2, b3) = (a1.clone(), a2.clone(), a3.clone());
    sc.parallelize((1..=100).collect::<Vec<i32>>(), num_partitions)
        .map(|i| (i, i))
        .map_partitions(move |it| {
            b1.add(1);
            it
        })
        .reduce_by_key(|x, y| x + y)
        .map_partitions(move |it| {
            b2.add(10);
            it
        })
        .repartition(num_partitions * 2)
        .map_partitions(move |it| {
            b3.add(100);
            it
        })
        .count()
        .unwrap();
    assert_eq!(listener.stages.lock().unwrap().len(), 3);
    assert_eq!(listener.stage_value(0, "first"), num_partitions as i64);
    assert_eq!(
        listener.stage_value(1, "second"),
        num_partitions as i64 * 10
    );
    assert_eq!(
        listener.stage_value(2, "third"),
        num_partitions as i64 * 2 * 100
    );
    assert_eq!(a3.value(), 2000);
}

/// Fails the first attempt of the partitions `fail` picks after adding 1 (Spark's
/// `testInternalAccumulatorsWithFailedTasks`).
fn accumulators_with_failed_tasks(fail: fn(usize) -> bool) {
    let num_partitions = 10;
    let failed = (0..num_partitions).filter(|&i| fail(i)).count();
    // One core, two attempts a task.
    let sc = context("local[1,2]");
    let listener = SaveInfoListener::attach(&sc);
    let acc = sc.long_accumulator("test");
    let a = acc.clone();
    sc.parallelize((1..=100).collect::<Vec<i32>>(), num_partitions)
        .map_partitions_with_index(move |i, it| {
            let ctx = TaskContext::get().expect("in a task");
            a.add(1);
            if fail(i) && ctx.attempt_number() == 0 {
                panic!("Failing a task intentionally.");
            }
            it
        })
        .count()
        .unwrap();
    assert_eq!(listener.stages.lock().unwrap().len(), 1);
    // Failed attempts' updates are not counted.
    assert_eq!(listener.stage_value(0, "test"), num_partitions as i64);
    assert_eq!(acc.value(), num_partitions as i64);
    let tasks = listener.tasks.lock().unwrap().clone();
    assert_eq!(tasks.len(), num_partitions + failed);
    let mut values = Vec::new();
    for (succeeded, accums) in tasks {
        if succeeded {
            let a = find(&accums, "test");
            assert_eq!(a.update.as_deref(), Some("1"));
            values.push(a.value.parse::<i64>().unwrap());
        } else {
            assert!(accums.is_empty(), "a failed task reported {accums:?}");
        }
    }
    assert_eq!(
        sorted(values),
        (1..=num_partitions as i64).collect::<Vec<_>>()
    );
}

/// AccumulatorSuite: "internal accumulators in fully resubmitted stages"
#[test]
fn accumulators_in_fully_resubmitted_stages() {
    accumulators_with_failed_tasks(|_| true);
}

/// AccumulatorSuite: "internal accumulators in partially resubmitted stages"
#[test]
fn accumulators_in_partially_resubmitted_stages() {
    accumulators_with_failed_tasks(|i| i % 2 == 0);
}

/// AccumulatorV2Suite: "ListAccumulator isZero/add/merge/setValue" (Spark 2's
/// `listAccumulator`, now `collectionAccumulator`)
#[test]
fn list_accumulator_is_zero_add_merge() {
    let max_i = 1000;
    for threads in [1, 10] {
        let sc = context(&format!("local[{threads}]"));
        let acc = sc.collection_accumulator::<f64>("list");
        assert!(acc.is_zero());
        let d: Vec<f64> = (1..=max_i).chain(1..=max_i).map(f64::from).collect();
        let a = acc.clone();
        sc.parallelize(d, 4).foreach(move |x| a.add(x)).unwrap();
        let v = acc.value();
        assert_eq!(v.len(), 2 * max_i as usize);
        for i in 1..=max_i {
            assert!(v.contains(&f64::from(i)));
        }
        sc.stop();
    }
}

/// Spark's `DAGScheduler.handleTaskCompletion`: a result task's updates are merged once per
/// partition, so an action's accumulator ignores retried attempts.
#[test]
fn an_action_counts_each_partition_once_under_injected_failures() {
    let sc = context_with(
        "local-cluster[2,1,64]",
        &[("sparklet.faults.taskFailureRate", "0.5")],
    );
    let acc = sc.long_accumulator("seen");
    let a = acc.clone();
    sc.parallelize((0..1000).collect::<Vec<i64>>(), 16)
        .foreach(move |_| a.add(1))
        .unwrap();
    assert_eq!(acc.value(), 1000);
    assert_eq!(acc.count(), 1000);
}

/// Spark's rule for transformations: a map stage's updates count each time its partitions
/// are computed (here two jobs over the same shuffle-free lineage without a cache).
#[test]
fn a_transformation_counts_again_when_recomputed() {
    let sc = context("local[2]");
    let acc = sc.long_accumulator("mapped");
    let a = acc.clone();
    let mapped = sc
        .parallelize((0..100).collect::<Vec<i64>>(), 4)
        .map(move |x| {
            a.add(1);
            x
        });
    assert_eq!(mapped.count().unwrap(), 100);
    assert_eq!(mapped.collect().unwrap().len(), 100);
    assert_eq!(acc.value(), 200);
    // Cached, a third action reads the blocks and adds nothing... after the one run that
    // fills the cache.
    mapped.cache().unwrap();
    mapped.count().unwrap();
    mapped.count().unwrap();
    assert_eq!(acc.value(), 300);
}

/// The driver's view: adds outside a task go to the driver's value; `Display` is Spark's
/// `toString`; a `DoubleAccumulator` sums.
#[test]
fn driver_side_adds_and_display() {
    let sc = context("local");
    let d = sc.double_accumulator("d");
    d.add(1.5);
    let d2 = d.clone();
    sc.parallelize(vec![1.0, 2.0], 2)
        .foreach(move |x| d2.add(x))
        .unwrap();
    assert_eq!((d.value(), d.count(), d.avg()), (4.5, 3, 1.5));
    assert_eq!(
        d.to_string(),
        format!(
            "DoubleAccumulator(id: {}, name: Some(d), value: 4.5)",
            d.id()
        )
    );
    assert_eq!(d.name(), Some("d"));
    d.reset();
    assert!(d.is_zero());
}

/// Named accumulators in the event log: Task Info and Stage Info "Accumulables" in Spark 4.3's
/// shape (ID, Name, Update, Value as strings, Internal, Count Failed Values).
#[test]
fn event_log_carries_accumulables() {
    let logs = tempfile::tempdir().unwrap();
    let logs_dir = logs.path().display().to_string();
    let sc = context_with(
        "local",
        &[
            ("sparklet.eventLog.enabled", "true"),
            ("sparklet.eventLog.dir", logs_dir.as_str()),
        ],
    );
    let acc = sc.long_accumulator("records");
    let a = acc.clone();
    sc.parallelize(vec![1i64, 2, 3], 1)
        .foreach(move |x| a.add(x))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("r.html");
    sc.write_report(&page).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("<td>records</td><td>6</td>"),
        "the report lists the accumulator"
    );
    let id = acc.id();
    let task = format!(
        r#""Accumulables":[{{"ID":{id},"Name":"records","Update":"6","Value":"6","Internal":false,"Count Failed Values":false}}]"#
    );
    let stage = format!(
        r#""Accumulables":[{{"ID":{id},"Name":"records","Value":"6","Internal":false,"Count Failed Values":false}}]"#
    );
    sc.stop();
    let text = std::fs::read_to_string(logs.path().join(sc.app_id())).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("SparkListenerTaskEnd") && l.contains(&task)),
        "{lines:#?}"
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("SparkListenerStageCompleted") && l.contains(&stage)));
}

/// TaskContextSuite: "TaskContext.attemptNumber should return attempt number, not task id
/// (SPARK-4014)"
#[test]
fn attempt_number_is_the_attempt_not_the_task_id() {
    let sc = context("local[1,2]");
    // The first attempt of each task fails; the retries see attempt number 1.
    let attempts = sc
        .parallelize(vec![0, 1], 2)
        .map(|_| {
            let ctx = TaskContext::get().unwrap();
            if ctx.attempt_number() == 0 {
                panic!("first attempt fails");
            }
            ctx.attempt_number()
        })
        .collect()
        .unwrap();
    assert_eq!(attempts, vec![1, 1]);
}

/// TaskContextSuite: "TaskContext.stageAttemptNumber getter"
#[test]
fn stage_attempt_number_getter() {
    let sc = context("local[2]");
    // A stage's first attempt is 0; a map stage re-run after a lost output is attempt 1.
    let attempts = sc
        .parallelize(vec![1, 2, 3, 4], 2)
        .map(|_| TaskContext::get().unwrap().stage_attempt_number())
        .collect()
        .unwrap();
    assert_eq!(attempts, vec![0, 0, 0, 0]);

    // An executor is killed right after the map stage completes (the scheduler's 11th
    // event): its map outputs are lost, and the lost partitions run again as attempt 1 of the
    // map stage. A collection accumulator in the map records what each computation saw: a
    // transformation's updates count again when its partition is recomputed.
    let sc = context_with(
        "local-cluster[2,1,64]",
        &[("sparklet.faults.killExecutorAtStep", "11")],
    );
    let seen = sc.collection_accumulator::<(u32, usize)>("seen");
    let s = seen.clone();
    let sums = sc
        .parallelize((0..8).collect::<Vec<i32>>(), 4)
        .map(move |x| {
            let ctx = TaskContext::get().unwrap();
            s.add((ctx.stage_attempt_number(), ctx.partition_id()));
            (x % 2, x)
        })
        .reduce_by_key(|a, b| a + b)
        .collect()
        .unwrap();
    assert_eq!(sorted(sums), vec![(0, 12), (1, 16)]);
    let seen = seen.value();
    let first: Vec<usize> = sorted(seen.iter().filter(|s| s.0 == 0).map(|s| s.1).collect());
    let rerun: Vec<usize> = sorted(seen.iter().filter(|s| s.0 == 1).map(|s| s.1).collect());
    assert_eq!(first, vec![0, 0, 1, 1, 2, 2, 3, 3]);
    assert!(
        !rerun.is_empty(),
        "the lost map partitions ran again as attempt 1"
    );
    assert!(seen.iter().all(|s| s.0 <= 1));
}

/// TaskContextSuite: "partition id" and "TaskContext.get" getters: partition, stage and
/// executor as the scheduler launched the task; task attempt ids unique; nothing on the driver
/// or left on an executor thread after its task.
#[test]
fn task_context_getters_and_lifetime() {
    let sc = context("local-cluster[2,1,64]");
    let log = EventLog::attach(&sc);
    let seen = sc
        .parallelize((0..6).collect::<Vec<i32>>(), 3)
        .map_partitions_with_index(|i, it| {
            let ctx = TaskContext::get().unwrap();
            assert_eq!(ctx.partition_id(), i);
            let row = (
                ctx.stage_id(),
                ctx.partition_id(),
                ctx.task_attempt_id(),
                ctx.executor_id().to_string(),
            );
            it.map(move |_| row.clone()).collect::<Vec<_>>()
        })
        .collect()
        .unwrap();
    assert!(
        TaskContext::get().is_none(),
        "no task context on the driver"
    );
    let starts: Vec<(usize, usize, u64, String)> = log
        .events()
        .into_iter()
        .filter_map(|e| match e {
            SparkListenerEvent::TaskStart {
                stage_id,
                partition,
                task_id,
                executor_id,
                ..
            } => Some((stage_id, partition, task_id, executor_id)),
            _ => None,
        })
        .collect();
    let mut rows: Vec<_> = seen.clone();
    rows.dedup();
    assert_eq!(sorted(rows), sorted(starts));
    // A later job's tasks on the same threads get their own contexts, never the old ones.
    let ids: BTreeSet<u64> = sc
        .parallelize((0..6).collect::<Vec<i32>>(), 3)
        .map(|_| TaskContext::get().unwrap().task_attempt_id())
        .collect()
        .unwrap()
        .into_iter()
        .collect();
    assert!(ids.iter().all(|id| !seen.iter().any(|r| r.2 == *id)));
}

/// Ids are per context: a task touching accumulators of two contexts that share an id keeps
/// their copies apart.
#[test]
fn accumulators_of_two_contexts_never_mix() {
    let sc = context("local[2]");
    let other = context("local");
    let mine = sc.long_accumulator("mine");
    let theirs = other.long_accumulator("theirs");
    assert_eq!(mine.id(), theirs.id());
    let (m, t) = (mine.clone(), theirs.clone());
    sc.parallelize(vec![1i64, 2, 3], 2)
        .foreach(move |x| {
            m.add(x);
            t.add(100 * x);
        })
        .unwrap();
    assert_eq!((mine.value(), theirs.value()), (6, 600));
}
