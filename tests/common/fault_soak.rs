//! The fault soak program, shared by `tests/fault_soak.rs` (a few hundred seeds in CI) and
//! `examples/fault_soak.rs` (thousands): a word count, a join with a static RDD and a
//! mapWithState running total, streamed over a queue on the manual clock on
//! `local-cluster[3,1,64]`, with one executor killed at a moment chosen by the seed.
//!
//! The moment is seeded, so a failing seed can be run again: most seeds kill right after the
//! scheduler's N-th listener event (`sparklet.faults.killExecutorAtStep`, N uniform over the
//! events of a fault-free run: between any two scheduler steps, such as a map stage's
//! completion and its children's submission, or a fetch failure and the resubmission); the
//! others kill from an executor thread right after its N-th task
//! (`sparklet.faults.killExecutorAfterTasks`), racing with the scheduler. The answer must be the
//! fault-free one, computed here without sparklet.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::{mpsc, Arc};
use std::time::Duration as StdDuration;

use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

/// Batches per run.
pub const BATCHES: usize = 4;
const WORDS_PER_BATCH: usize = 40;
/// Words w0..w13 appear; the dictionary knows w0..w11, so the join drops two.
const VOCABULARY: u64 = 14;
const KNOWN: u64 = 12;

/// How one seeded run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The fault-free answer.
    Ok,
    /// A job failed.
    Aborted(String),
    /// Another answer.
    Wrong(String),
    /// No answer within the guard's time.
    Hung,
}

/// Where one seed kills.
#[derive(Debug, Clone, Copy)]
pub enum Kill {
    /// After the scheduler's N-th listener event (from 1).
    AtStep(usize),
    /// From an executor thread after its N-th task.
    AfterTasks(usize),
    /// From another driver thread, as a user's `sc.kill_executor` would, after a seeded wait of
    /// this many microseconds from `start()` (the long mode only: the moment is wall-clock time,
    /// so it races with everything and cannot be replayed exactly).
    FromDriver(u64),
}

fn mix(seed: u64, salt: u64) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (seed, salt).hash(&mut h);
    h.finish()
}

/// The kill of `seed`, for a program whose fault-free run posts `steps` listener events.
pub fn kill_for(seed: u64, steps: usize) -> Kill {
    if mix(seed, 1) % 4 == 0 {
        Kill::AfterTasks(1 + (mix(seed, 2) % 12) as usize)
    } else {
        Kill::AtStep(1 + (mix(seed, 3) % steps.max(1) as u64) as usize)
    }
}

/// The kill of `seed` in the long mode: one seed in three kills from a driver thread at a
/// seeded wall-clock moment within the run (`micros`, about a run's length); the others as
/// [`kill_for`].
pub fn kill_for_long(seed: u64, steps: usize, micros: u64) -> Kill {
    if mix(seed, 4) % 3 == 0 {
        Kill::FromDriver(mix(seed, 5) % micros.max(1))
    } else {
        kill_for(seed, steps)
    }
}

/// The input batches of `seed`.
pub fn input(seed: u64) -> Vec<Vec<String>> {
    (0..BATCHES as u64)
        .map(|b| {
            (0..WORDS_PER_BATCH as u64)
                .map(|i| format!("w{}", mix(seed, 100 + b * 1000 + i) % VOCABULARY))
                .collect()
        })
        .collect()
}

/// The dictionary joined with each batch's counts: (word, its length class).
fn dictionary() -> Vec<(String, u32)> {
    (0..KNOWN)
        .map(|i| (format!("w{i}"), (i % 3) as u32))
        .collect()
}

/// Each batch's state snapshot without sparklet: running count per known word, plus the class.
pub fn expected(input: &[Vec<String>]) -> Vec<Vec<(String, (u64, u32))>> {
    let dict: BTreeMap<String, u32> = dictionary().into_iter().collect();
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    input
        .iter()
        .map(|batch| {
            for w in batch {
                if dict.contains_key(w) {
                    *totals.entry(w.clone()).or_default() += 1;
                }
            }
            totals
                .iter()
                .map(|(w, n)| (w.clone(), (*n, dict[w])))
                .collect()
        })
        .collect()
}

/// Runs the program once; returns each batch's sorted state snapshot and the number of listener
/// events posted.
pub fn program(
    settings: &[(&str, String)],
    input: Vec<Vec<String>>,
    driver_kill: Option<(u64, u64)>,
) -> Result<(Vec<Vec<(String, (u64, u32))>>, usize)> {
    let mut conf = SparkConf::new()
        .set_master("local-cluster[3,1,64]")
        .set_app_name("fault_soak");
    for (k, v) in settings {
        conf = conf.set(k, v);
    }
    let sc = SparkContext::new(conf)?;
    let log = EventLog::attach(&sc);
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path())?;
    let dict = sc.parallelize(dictionary(), 3);
    let counts = ssc
        .queue_stream(input, true)
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b);
    let joined = counts.transform(move |rdd, _| rdd.join(&dict));
    let state = joined.map_with_state(StateSpec::function(
        |_w: &String, v: Option<(u64, u32)>, s: &mut State<(u64, u32)>| {
            let (n, class) = v.unwrap_or((0, 0));
            let before = s.get_option().map_or(0, |(m, _)| *m);
            s.update((before + n, class));
            before + n
        },
    ));
    let snapshots: Arc<Mutex<Vec<Vec<(String, (u64, u32))>>>> = Arc::default();
    let out = snapshots.clone();
    state.state_snapshots().foreach_rdd(move |rdd, _| {
        let mut v = rdd.collect()?;
        v.sort();
        out.lock().push(v);
        Ok(())
    });
    ssc.start()?;
    let killer = driver_kill.map(|(micros, seed)| {
        let sc = sc.clone();
        std::thread::spawn(move || {
            std::thread::sleep(StdDuration::from_micros(micros));
            let live = sc.executor_ids();
            if !live.is_empty() {
                let victim = &live[(mix(seed, 6) % live.len() as u64) as usize];
                let _ = sc.kill_executor(victim);
            }
        })
    });
    let run = ssc.run_batches(BATCHES);
    if let Some(k) = killer {
        let _ = k.join();
    }
    ssc.stop(false, false);
    if run.is_err() && std::env::var_os("FAULT_SOAK_TRACE").is_some() {
        for e in log.events() {
            eprintln!("{e:?}");
        }
    }
    run?;
    // The scheduler's steps: events posted from elsewhere (block updates, unpersists, batch
    // ends) are not steps `killExecutorAtStep` counts.
    let steps = log
        .events()
        .iter()
        .filter(|e| {
            !matches!(
                e,
                SparkListenerEvent::BlockUpdated { .. }
                    | SparkListenerEvent::BlockLost { .. }
                    | SparkListenerEvent::UnpersistRdd { .. }
                    | SparkListenerEvent::StreamingBatchCompleted { .. }
            )
        })
        .count();
    sc.stop();
    let got = snapshots.lock().clone();
    Ok((got, steps))
}

/// The listener events of a fault-free run (the range of `Kill::AtStep`).
pub fn fault_free_steps() -> usize {
    program(&[], input(0), None).map_or(1, |(_, steps)| steps)
}

/// Runs `seed` with its kill, on a thread, and judges the answer.
pub fn run_seed(seed: u64, steps: usize) -> Outcome {
    run_seed_with(seed, kill_for(seed, steps))
}

/// Runs `seed` with the given kill, on a thread, and judges the answer.
pub fn run_seed_with(seed: u64, kill: Kill) -> Outcome {
    let mut settings = vec![("sparklet.faults.seed", seed.to_string())];
    match kill {
        Kill::AtStep(n) => settings.push(("sparklet.faults.killExecutorAtStep", n.to_string())),
        Kill::AfterTasks(n) => {
            settings.push(("sparklet.faults.killExecutorAfterTasks", n.to_string()))
        }
        Kill::FromDriver(_) => {}
    }
    let driver_kill = match kill {
        Kill::FromDriver(micros) => Some((micros, seed)),
        _ => None,
    };
    let data = input(seed);
    let want = expected(&data);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let settings: Vec<(&str, String)> = settings.into_iter().collect();
        let _ = tx.send(program(&settings, data, driver_kill));
    });
    match rx.recv_timeout(StdDuration::from_secs(60)) {
        Err(_) => Outcome::Hung,
        Ok(Err(e)) => Outcome::Aborted(format!("{kill:?}: {e}")),
        Ok(Ok((got, _))) if got == want => Outcome::Ok,
        Ok(Ok((got, _))) => Outcome::Wrong(format!("{kill:?}: got {got:?}, want {want:?}")),
    }
}
