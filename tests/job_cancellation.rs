//! Job groups, cancellation and async actions: Spark's JobCancellationSuite, ported with
//! semaphores and latches in place of Spark's sleeps (a task blocks on a latch the test opens
//! after it cancelled; every wait is bounded, so a regression fails instead of hanging).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use sparklet::prelude::*;

use common::context;

/// How long any wait of these tests may take before the test fails.
const BOUND: Duration = Duration::from_secs(30);

/// Spark's `java.util.concurrent.Semaphore`, with bounded waits.
#[derive(Clone, Default)]
struct Semaphore(Arc<(Mutex<usize>, Condvar)>);

impl Semaphore {
    fn release(&self, n: usize) {
        *self.0 .0.lock() += n;
        self.0 .1.notify_all();
    }
    fn acquire(&self, n: usize) {
        let mut permits = self.0 .0.lock();
        while *permits < n {
            if self.0 .1.wait_for(&mut permits, BOUND).timed_out() {
                panic!("semaphore: waited too long for {n} permits");
            }
        }
        *permits -= n;
    }
}

/// A latch every waiter passes once it is opened (a task's stand-in for Spark's
/// `Thread.sleep`: it holds its task until the test has cancelled).
#[derive(Clone, Default)]
struct Latch(Arc<(Mutex<bool>, Condvar)>);

impl Latch {
    fn open(&self) {
        *self.0 .0.lock() = true;
        self.0 .1.notify_all();
    }
    fn wait(&self) {
        let mut open = self.0 .0.lock();
        while !*open {
            if self.0 .1.wait_for(&mut open, BOUND).timed_out() {
                panic!("latch: never opened");
            }
        }
    }
}

/// A listener that releases `sem` once per task start.
fn release_on_task_start(sc: &SparkContext, sem: &Semaphore) {
    let sem = sem.clone();
    sc.add_spark_listener(move |e| {
        if matches!(e, SparkListenerEvent::TaskStart { .. }) {
            sem.release(1);
        }
    });
}

/// A context on `master` whose every task start releases a permit of the returned semaphore,
/// and a latch for its tasks to wait on: the setup of most cases here.
fn held_context(master: &str) -> (SparkContext, Semaphore, Latch) {
    let sc = context(master);
    let sem = Semaphore::default();
    release_on_task_start(&sc, &sem);
    (sc, sem, Latch::default())
}

/// A listener that sends what `pick` takes of each event to the returned channel (which the
/// test reads with bounded waits).
fn forward_events<T: Send + 'static>(
    sc: &SparkContext,
    pick: impl Fn(&SparkListenerEvent) -> Option<T> + Send + Sync + 'static,
) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    sc.add_spark_listener(move |e| {
        if let Some(v) = pick(e) {
            let _ = tx.lock().send(v);
        }
    });
    rx
}

/// Runs `action` on a thread of its own in job group `group` (Spark's `sc.setJobGroup` on the
/// thread that submits the job).
fn in_job_group<T: Send + 'static>(
    sc: &SparkContext,
    group: &'static str,
    description: &'static str,
    interrupt_on_cancel: bool,
    action: impl FnOnce() -> Result<T> + Send + 'static,
) -> JoinHandle<Result<T>> {
    let sc = sc.clone();
    std::thread::spawn(move || {
        sc.set_job_group(group, description, interrupt_on_cancel);
        action()
    })
}

/// Fails unless the context still runs a job of `n` elements in 2 partitions.
fn assert_still_runs_jobs(sc: &SparkContext, n: i32) {
    assert_eq!(
        sc.parallelize((1..=n).collect::<Vec<i32>>(), 2)
            .count()
            .unwrap(),
        n as usize
    );
}

/// The message of an `Error::JobCancelled`; fails the test on anything else.
fn cancelled<T: std::fmt::Debug>(result: Result<T>) -> String {
    match result {
        Err(Error::JobCancelled(msg)) => {
            assert!(msg.contains("cancelled"), "{msg}");
            msg
        }
        other => panic!("expected JobCancelled, got {other:?}"),
    }
}

/// An RDD of 1..=10000 in 2 partitions whose tasks wait for `latch` at their first element.
fn held_rdd(sc: &SparkContext, latch: &Latch) -> Rdd<i32> {
    let latch = latch.clone();
    sc.parallelize((1..=10000).collect::<Vec<i32>>(), 2)
        .map(move |i| {
            latch.wait();
            i
        })
}

/// Spark's `testCount`: cancel a `countAsync` before and after its tasks started.
fn test_count(sc: &SparkContext) {
    // Cancel before launching any tasks (the cancel follows the job into the event loop).
    let latch = Latch::default();
    let f = held_rdd(sc, &latch).count_async();
    f.cancel();
    cancelled(f.get());
    latch.open();

    // Cancel after some tasks have been launched.
    let sem = Semaphore::default();
    release_on_task_start(sc, &sem);
    let latch = Latch::default();
    let f = Arc::new(held_rdd(sc, &latch).count_async());
    let f2 = f.clone();
    let canceller = std::thread::spawn(move || {
        sem.acquire(1);
        f2.cancel();
    });
    canceller.join().unwrap();
    let f = Arc::try_unwrap(f).expect("the canceller let go");
    cancelled(f.get());
    latch.open();
}

/// Spark's `testTake` (with `take` in a job group on another thread: sparklet has no
/// `takeAsync`): cancelled after its first job's task started.
fn test_take(sc: &SparkContext) {
    let sem = Semaphore::default();
    release_on_task_start(sc, &sem);
    let latch = Latch::default();
    let rdd = held_rdd(sc, &latch);
    let taker = in_job_group(sc, "take", "a take to be cancelled", false, move || {
        rdd.take(5000)
    });
    sem.acquire(1);
    sc.cancel_job_group("take");
    cancelled(taker.join().unwrap());
    latch.open();
}

/// JobCancellationSuite: "local mode, FIFO scheduler"
#[test]
fn local_mode_fifo_scheduler() {
    let sc = context("local[2]");
    test_count(&sc);
    test_take(&sc);
    // Make sure we can still launch tasks.
    assert_still_runs_jobs(&sc, 10);
}

/// JobCancellationSuite: "cluster mode, FIFO scheduler"
#[test]
fn cluster_mode_fifo_scheduler() {
    let sc = context("local-cluster[2,1,1024]");
    test_count(&sc);
    test_take(&sc);
    assert_still_runs_jobs(&sc, 10);
}

/// JobCancellationSuite: "do not put partially executed partitions into cache"
#[test]
fn do_not_put_partially_executed_partitions_into_cache() {
    let sc = context("local");
    let started = Semaphore::default();
    let cancelled_sem = Semaphore::default();
    let (s, c) = (started.clone(), cancelled_sem.clone());
    // Runs 1 to 10, then blocks until the task is killed.
    let rdd = sc
        .parallelize((1..=1000).collect::<Vec<i32>>(), 2)
        .map(move |x| {
            if x > 10 {
                s.release(1);
                c.acquire(1);
            }
            x
        })
        .cache()
        .unwrap();
    let rdd1 = rdd.map(|x| x);
    let sc2 = sc.clone();
    let canceller = std::thread::spawn(move || {
        started.acquire(1);
        sc2.cancel_all_jobs();
        cancelled_sem.release(100_000);
    });
    cancelled(rdd1.count());
    canceller.join().unwrap();
    // If a partial block were cached, this count would be less than 1000.
    assert_eq!(rdd.count().unwrap(), 1000);
}

/// JobCancellationSuite: "job group"
#[test]
fn job_group() {
    let (sc, sem, latch) = held_context("local[2]");
    let rdd = held_rdd(&sc, &latch);
    // jobA is the one to be cancelled.
    let job_a = in_job_group(
        &sc,
        "jobA",
        "this is a job to be cancelled",
        false,
        move || rdd.count(),
    );
    // Block until both tasks of job A have started and cancel job A.
    sem.acquire(2);
    sc.clear_job_group();
    let job_b = sc
        .parallelize((1..=100).collect::<Vec<i32>>(), 2)
        .count_async();
    sc.cancel_job_group("jobA");
    let msg = cancelled(job_a.join().unwrap());
    assert_eq!(msg, "Job 0 cancelled part of cancelled job group jobA");
    latch.open();
    // Once A is cancelled, job B finishes.
    assert_eq!(job_b.get().unwrap(), 100);
}

/// JobCancellationSuite: "job group with interruption" (no thread interrupt in Rust: the
/// tasks stop at their next record once the latch standing in for `Thread.sleep` opens; the
/// property travels with the job)
#[test]
fn job_group_with_interruption() {
    let (sc, sem, latch) = held_context("local[2]");
    let log = EventLog::attach(&sc);
    let rdd = held_rdd(&sc, &latch);
    let job_a = in_job_group(
        &sc,
        "jobA",
        "this is a job to be cancelled",
        true,
        move || rdd.count(),
    );
    sem.acquire(2);
    sc.clear_job_group();
    let job_b = sc
        .parallelize((1..=100).collect::<Vec<i32>>(), 2)
        .count_async();
    sc.cancel_job_group("jobA");
    cancelled(job_a.join().unwrap());
    latch.open();
    assert_eq!(job_b.get().unwrap(), 100);
    let props = log
        .events()
        .into_iter()
        .find_map(|e| match e {
            SparkListenerEvent::JobStart {
                job_id: 0,
                properties,
                ..
            } => Some(properties),
            _ => None,
        })
        .expect("job 0 started");
    let expected: Vec<(String, String)> = [
        ("spark.job.description", "this is a job to be cancelled"),
        ("spark.job.interruptOnCancel", "true"),
        ("spark.jobGroup.id", "jobA"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(*props, expected);
}

/// JobCancellationSuite: "two jobs sharing the same stage"
#[test]
fn two_jobs_sharing_the_same_stage() {
    let sc = context("local[2]");
    let sem1 = Semaphore::default();
    release_on_task_start(&sc, &sem1);
    let shared = Semaphore::default();
    let s = shared.clone();
    let rdd = sc
        .parallelize((1..=10).collect::<Vec<i32>>(), 2)
        .map(move |i| {
            s.acquire(1);
            (i, i)
        })
        .reduce_by_key(|a, b| a + b);
    let f1 = rdd.collect_async();
    let f2 = rdd.count_async();
    // Kill one of the actions.
    sem1.acquire(1);
    f1.cancel();
    shared.release(10);
    // f1 fails as cancelled, but f2 is not affected.
    cancelled(f1.get());
    assert_eq!(f2.get().unwrap(), 10);
}

/// JobCancellationSuite: "interruptible iterator of shuffle reader"
#[test]
fn interruptible_iterator_of_shuffle_reader() {
    let sc = context("local[2]");
    let num_elements = 10000;
    let task_started = Semaphore::default();
    let task_cancelled = Semaphore::default();
    let task_completed = Semaphore::default();
    let counter = Arc::new(AtomicUsize::new(0));
    let (tc, done) = (task_cancelled.clone(), task_completed.clone());
    sc.add_spark_listener(move |e| match e {
        // Release the blocked records once the cancelled stage is reported finished.
        SparkListenerEvent::StageCompleted { stage_id: 1, .. } => tc.release(num_elements),
        SparkListenerEvent::TaskEnd { stage_id: 1, .. } => done.release(1),
        _ => {}
    });
    // Only the interruptible iterator can stop the task.
    sc.set_local_property("spark.job.interruptOnCancel", Some("false"));
    let (started, blocked, count) = (
        task_started.clone(),
        task_cancelled.clone(),
        counter.clone(),
    );
    let f = sc
        .parallelize((1..=num_elements).collect::<Vec<usize>>(), 2)
        .map(|i| (i, i))
        .repartition_and_sort_within_partitions(Partitioner::hash(1))
        .map_partitions(move |iter| {
            started.release(1);
            iter
        })
        .foreach_async(move |_| {
            blocked.acquire(1);
            count.fetch_add(1, Ordering::SeqCst);
        });
    task_started.acquire(1);
    f.cancel();
    cancelled(f.get());
    // The reduce task ended, and most of its records were never processed.
    task_completed.acquire(1);
    assert!(counter.load(Ordering::SeqCst) < num_elements);
}

/// JobCancellationSuite: "cancel job by id" (SparkContext.cancelJob; Spark's message with an
/// empty reason) and the listener side: a JobEnd that failed, killed tasks as TaskKilled.
#[test]
fn cancel_job_by_id() {
    let sc = context("local[2]");
    let log = EventLog::attach(&sc);
    let job_rx = forward_events(&sc, |e| {
        matches!(e, SparkListenerEvent::TaskStart { .. }).then_some(())
    });
    let end_rx = forward_events(&sc, |e| match e {
        SparkListenerEvent::TaskEnd { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    let latch = Latch::default();
    let f = held_rdd(&sc, &latch).count_async();
    let id = f.job_ids()[0];
    job_rx.recv_timeout(BOUND).expect("a task started");
    sc.cancel_job(id);
    assert_eq!(cancelled(f.get()), format!("Job {id} cancelled "));
    latch.open();
    for _ in 0..2 {
        let reason = end_rx.recv_timeout(BOUND).expect("a task ended");
        assert_eq!(
            reason,
            TaskEndKind::TaskKilled(format!("Stage cancelled: Job {id} cancelled "))
        );
    }
    let end = log.events().into_iter().find_map(|e| match e {
        SparkListenerEvent::JobEnd {
            job_id,
            succeeded,
            failure,
            ..
        } if job_id == id => Some((succeeded, failure)),
        _ => None,
    });
    assert_eq!(end, Some((false, Some(format!("Job {id} cancelled ")))));
    // The context keeps running jobs, and a cancel of a finished job does nothing.
    sc.cancel_job(id);
    assert_eq!(sc.parallelize(vec![1, 2, 3], 2).count().unwrap(), 3);
}

/// JobCancellationSuite: "cancel stage" (SparkContext.cancelStage): every job using the stage
/// fails "because Stage S was cancelled".
#[test]
fn cancel_stage() {
    let sc = context("local[2]");
    let rx = forward_events(&sc, |e| match e {
        SparkListenerEvent::TaskStart { stage_id, .. } => Some(*stage_id),
        _ => None,
    });
    let latch = Latch::default();
    let rdd = held_rdd(&sc, &latch)
        .map(|i| (i % 10, i))
        .reduce_by_key(|a, b| a + b);
    let f = rdd.count_async();
    let stage = rx.recv_timeout(BOUND).expect("a map task started");
    sc.cancel_stage(stage);
    let id = f.job_ids()[0];
    assert_eq!(
        cancelled(f.get()),
        format!("Job {id} cancelled because Stage {stage} was cancelled")
    );
    latch.open();
    assert_eq!(rdd.count().unwrap(), 10);
}

/// JobCancellationSuite: "cancel all jobs" (SparkContext.cancelAllJobs): both running jobs
/// fail "as part of cancellation of all jobs".
#[test]
fn cancel_all_jobs() {
    let (sc, sem, latch) = held_context("local[2]");
    let l = latch.clone();
    let one = |n: usize| {
        let l = l.clone();
        sc.parallelize(vec![n], 1)
            .map(move |x| {
                l.wait();
                x
            })
            .count_async()
    };
    let (f0, f1) = (one(0), one(1));
    sem.acquire(2);
    sc.cancel_all_jobs();
    assert_eq!(
        cancelled(f0.get()),
        "Job 0 cancelled as part of cancellation of all jobs"
    );
    assert_eq!(
        cancelled(f1.get()),
        "Job 1 cancelled as part of cancellation of all jobs"
    );
    latch.open();
    assert_still_runs_jobs(&sc, 2);
}

/// JobCancellationSuite: "cancel FutureAction" after its job finished: the result stands;
/// `is_done` sees the end without waiting.
#[test]
fn cancel_future_action_after_it_finished() {
    let sc = context("local[2]");
    let rx = forward_events(&sc, |e| {
        matches!(e, SparkListenerEvent::JobEnd { job_id: 0, .. }).then_some(())
    });
    let latch = Latch::default();
    let l = latch.clone();
    let f = sc
        .parallelize((0..100).collect::<Vec<i32>>(), 2)
        .map(move |i| {
            l.wait();
            i
        })
        .collect_async();
    assert!(!f.is_done(), "its tasks wait for the latch");
    latch.open();
    rx.recv_timeout(BOUND).expect("job 0 ended");
    // A later job's end orders after job 0's reply was sent.
    assert_eq!(sc.parallelize(vec![1], 1).count().unwrap(), 1);
    assert!(f.is_done());
    f.cancel();
    assert_eq!(f.job_ids(), vec![0]);
    assert_eq!(f.get().unwrap(), (0..100).collect::<Vec<i32>>());
}

/// The acceptance: cancelling a job group from another thread while its tasks run
/// returns `Error::JobCancelled`, leaves no partition of the cancelled job cached, and the
/// context keeps running other jobs.
#[test]
fn cancelling_a_group_from_another_thread_leaves_nothing_cached() {
    let (sc, sem, latch) = held_context("local-cluster[2,1,1024]");
    let killed_rx = forward_events(&sc, |e| {
        matches!(
            e,
            SparkListenerEvent::TaskEnd {
                reason: TaskEndKind::TaskKilled(_),
                ..
            }
        )
        .then_some(())
    });
    let l = latch.clone();
    let cached = sc
        .parallelize((0..10_000).collect::<Vec<u64>>(), 4)
        .map(move |x| {
            if x % 2500 == 100 {
                l.wait(); // a quarter of the way into each partition
            }
            x * 2
        })
        .cache()
        .unwrap();
    let job = cached.clone();
    let worker = in_job_group(&sc, "g", "to be cancelled", false, move || {
        job.map(|x| x + 1).count()
    });
    sem.acquire(2);
    let sc3 = sc.clone();
    std::thread::spawn(move || sc3.cancel_job_group("g"))
        .join()
        .unwrap();
    assert_eq!(
        cancelled(worker.join().unwrap()),
        "Job 0 cancelled part of cancelled job group g"
    );
    latch.open();
    for _ in 0..2 {
        killed_rx.recv_timeout(BOUND).expect("a killed task ended");
    }
    let info = sc
        .get_rdd_storage_info()
        .into_iter()
        .find(|i| i.id == cached.id());
    assert!(
        info.as_ref().is_none_or(|i| i.num_cached_partitions == 0),
        "{info:?}"
    );
    // Other jobs run, and the cached RDD computes whole partitions.
    assert_eq!(cached.count().unwrap(), 10_000);
    assert_eq!(
        cached.map(|x| x / 2).collect().unwrap(),
        (0..10_000).collect::<Vec<u64>>()
    );
}

/// JobCancellationSuite, event log side (Spark's `JsonProtocol`): a cancelled job's JobStart
/// carries the group as a property, its killed tasks end with `{"Reason":"TaskKilled",...}`
/// and `"Killed":true`, and its JobEnd is `JobFailed` with the cancel message.
#[test]
fn the_event_log_shows_the_group_the_killed_tasks_and_the_failed_job() {
    let dir = tempfile::tempdir().unwrap();
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("cancel event log")
            .set("sparklet.eventLog.enabled", "true")
            .set("sparklet.eventLog.dir", &dir.path().display().to_string()),
    )
    .unwrap();
    let sem = Semaphore::default();
    release_on_task_start(&sc, &sem);
    let latch = Latch::default();
    let killed_rx = forward_events(&sc, |e| {
        matches!(e, SparkListenerEvent::TaskEnd { .. }).then_some(())
    });
    let rdd = held_rdd(&sc, &latch);
    let worker = in_job_group(&sc, "g", "nightly", false, move || rdd.count());
    sem.acquire(2);
    sc.cancel_job_group("g");
    cancelled(worker.join().unwrap());
    latch.open();
    for _ in 0..2 {
        killed_rx.recv_timeout(BOUND).expect("a killed task ended");
    }
    let app_id = sc.app_id();
    sc.stop();
    let text = std::fs::read_to_string(dir.path().join(&app_id)).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |name: &str| -> Vec<&serde_json::Value> {
        lines.iter().filter(|v| v["Event"] == name).collect()
    };
    let start = of("SparkListenerJobStart")[0];
    assert_eq!(start["Properties"]["spark.jobGroup.id"], "g");
    assert_eq!(start["Properties"]["spark.job.description"], "nightly");
    let message = "Job 0 cancelled part of cancelled job group g";
    let ends = of("SparkListenerTaskEnd");
    assert_eq!(ends.len(), 2);
    for end in ends {
        assert_eq!(
            end["Task End Reason"],
            serde_json::json!({
                "Reason": "TaskKilled",
                "Kill Reason": format!("Stage cancelled: {message}"),
                "Accumulator Updates": [],
            })
        );
        assert_eq!(end["Task Info"]["Killed"], true);
        assert_eq!(end["Task Info"]["Failed"], false);
    }
    let job_end = of("SparkListenerJobEnd")[0];
    assert_eq!(job_end["Job Result"]["Result"], "JobFailed");
    assert_eq!(job_end["Job Result"]["Exception"]["Message"], message);
    let stage_done = of("SparkListenerStageCompleted")[0];
    assert_eq!(stage_done["Stage Info"]["Failure Reason"], message);
}
