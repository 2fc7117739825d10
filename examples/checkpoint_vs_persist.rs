//! Persist or checkpoint? The same RDD four ways, with every computation of every partition
//! counted, to see where each action reads its data from and what survives losing executors.
//!
//! For each of {nothing, persist, checkpoint, persist + checkpoint}, on a fresh
//! `local-cluster[3,1,64]` context (3 executors, 1 task slot each, 64 MiB of block memory each)
//! with a checkpoint folder in a temporary directory:
//!
//! 1. build `parallelize(0..6000, 6).map_partitions_with_index(..)`, whose closure adds one to
//!    its partition's counter (an `Arc<AtomicUsize>` per partition) each time the partition is
//!    computed from lineage; mark it as the scenario says (`persist(MEMORY_ONLY)`,
//!    `checkpoint()`, both);
//! 2. action 1 (`count()`), then action 2 (`collect()`), printing the counters after each;
//! 3. kill two of the three executors (`sc.kill_executor`; each is replaced by a new, empty
//!    executor, as a cluster manager would), then action 3 (`collect()`), counters again.
//!
//! Where an action read its data from is derived, not written down: a partition whose counter
//! grew was computed from lineage; one whose counter did not grow was read from the cache if the
//! RDD had that many partitions cached before the action (`sc.get_rdd_storage_info()`), else from
//! the checkpoint files (`is_checkpointed()`). Every action's result is checked against the
//! plain computation. Which blocks survive the kills depends on where the tasks ran (an
//! executor that finishes first takes the next task), so the persist rows vary between runs.
//! The lineage (`to_debug_string`) is printed before action 1 and after
//! action 2.
//!
//! The rules at work (SPARK_SEMANTICS.md): R5–R7 (`iterator` asks the cache first, then the
//! checkpoint, then `compute`), R8 (persist + checkpoint: the checkpoint job reads the cache; a
//! lost block is re-read from the checkpoint), K6 (the checkpoint is written by a second job that
//! recomputes an unpersisted RDD) and K13 (persist what you checkpoint).
//!
//! Run: `cargo run --release --example checkpoint_vs_persist`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sparklet::prelude::*;

const PARTITIONS: usize = 6;
const ELEMENTS: u64 = 6000;

/// The four ways to run the same RDD.
#[derive(Clone, Copy)]
struct Scenario {
    name: &'static str,
    persist: bool,
    checkpoint: bool,
}

const SCENARIOS: [Scenario; 4] = [
    Scenario {
        name: "nothing",
        persist: false,
        checkpoint: false,
    },
    Scenario {
        name: "persist",
        persist: true,
        checkpoint: false,
    },
    Scenario {
        name: "checkpoint",
        persist: false,
        checkpoint: true,
    },
    Scenario {
        name: "persist + checkpoint",
        persist: true,
        checkpoint: true,
    },
];

/// Per-partition computation counters, shared with the closure that runs on executors.
#[derive(Clone)]
struct Counters(Arc<Vec<AtomicUsize>>);

impl Counters {
    fn new(n: usize) -> Counters {
        Counters(Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect()))
    }

    fn snapshot(&self) -> Vec<usize> {
        self.0.iter().map(|c| c.load(Ordering::SeqCst)).collect()
    }
}

/// What happened to the partitions during one action, derived from the counters and the
/// storage facts observed before it.
struct Reads {
    lineage: usize,
    cache: usize,
    checkpoint: usize,
}

impl Reads {
    /// Partitions whose counter grew were computed from lineage; of the others, as many as were
    /// cached before the action came from the cache, the rest from the checkpoint files.
    fn derive(
        before: &[usize],
        after: &[usize],
        cached_before: usize,
        checkpointed: bool,
    ) -> Reads {
        let lineage = before.iter().zip(after).filter(|(b, a)| a > b).count();
        let not_computed = before.len() - lineage;
        let cache = cached_before.min(not_computed);
        let rest = not_computed - cache;
        assert!(
            rest == 0 || checkpointed,
            "{rest} partitions were neither computed, cached nor checkpointed"
        );
        Reads {
            lineage,
            cache,
            checkpoint: rest,
        }
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (n, what) in [
            (self.lineage, "lineage"),
            (self.cache, "cache"),
            (self.checkpoint, "checkpoint"),
        ] {
            if n == PARTITIONS {
                return format!("all from {what}");
            }
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        parts.join(", ")
    }
}

/// Everything printed about one scenario.
struct Outcome {
    scenario: Scenario,
    after: [Vec<usize>; 3],
    reads: [Reads; 2],
    checkpointed: [bool; 2],
    cached_after_kill: usize,
    lineage_before: String,
    lineage_after: String,
    /// The HTML report of the scenario's application (`sc.write_report`).
    report: std::path::PathBuf,
}

/// Prints a Markdown table with columns as wide as their widest cell.
fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(header.iter().map(|h| h.to_string()).collect());
    line(widths.iter().map(|w| "-".repeat(*w)).collect());
    for row in rows {
        line(row.clone());
    }
}

/// "1 partition", "3 partitions".
fn partitions(n: usize) -> String {
    format!("{n} partition{}", if n == 1 { "" } else { "s" })
}

fn counts(v: &[usize]) -> String {
    v.iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn cached_partitions(sc: &SparkContext, rdd_id: usize) -> usize {
    sc.get_rdd_storage_info()
        .into_iter()
        .find(|i| i.id == rdd_id)
        .map_or(0, |i| i.num_cached_partitions)
}

fn run(scenario: Scenario) -> Result<Outcome> {
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local-cluster[3,1,64]")
            .set_app_name("checkpoint_vs_persist"),
    )?;
    sc.set_checkpoint_dir(dir.path())?;

    let counters = Counters::new(PARTITIONS);
    let c = counters.clone();
    let rdd = sc
        .parallelize((0..ELEMENTS).collect(), PARTITIONS)
        .map_partitions_with_index(move |index, values| {
            c.0[index].fetch_add(1, Ordering::SeqCst);
            values.map(|x| x * x)
        })
        .set_name("squares");
    if scenario.persist {
        rdd.persist(StorageLevel::MEMORY_ONLY)?;
    }
    if scenario.checkpoint {
        rdd.checkpoint()?; // before the first job (K4)
    }
    let expected: Vec<u64> = (0..ELEMENTS).map(|x| x * x).collect();
    let lineage_before = rdd.to_debug_string();

    let zero = counters.snapshot();
    assert_eq!(rdd.count()? as u64, ELEMENTS);
    let after1 = counters.snapshot();

    let cached = cached_partitions(&sc, rdd.id());
    let checkpointed = rdd.is_checkpointed();
    assert_eq!(rdd.collect()?, expected);
    let after2 = counters.snapshot();
    let reads2 = Reads::derive(&after1, &after2, cached, checkpointed);
    let lineage_after = rdd.to_debug_string();

    for id in sc.executor_ids().into_iter().take(2) {
        sc.kill_executor(&id)?;
    }
    let cached_after_kill = cached_partitions(&sc, rdd.id());
    let checkpointed3 = rdd.is_checkpointed();
    assert_eq!(rdd.collect()?, expected);
    let after3 = counters.snapshot();
    let reads3 = Reads::derive(&after2, &after3, cached_after_kill, checkpointed3);
    assert!(zero.iter().all(|&c| c == 0));
    let report = std::env::temp_dir().join("sparklet-reports").join(format!(
        "checkpoint_vs_persist-{}.html",
        scenario.name.replace(' ', "")
    ));
    sc.write_report(&report)?;
    sc.stop();

    Ok(Outcome {
        scenario,
        after: [after1, after2, after3],
        reads: [reads2, reads3],
        checkpointed: [checkpointed, checkpointed3],
        cached_after_kill,
        lineage_before,
        lineage_after,
        report,
    })
}

fn main() -> Result<()> {
    // Spark's console: warnings and errors unless RUST_LOG says otherwise (RUST_LOG=sparklet=info
    // shows the scheduler's jobs, stages and tasks).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let outcomes = SCENARIOS
        .iter()
        .map(|s| run(*s))
        .collect::<Result<Vec<_>>>()?;

    println!(
        "An RDD of {PARTITIONS} partitions on local-cluster[3,1,64]; each number is how many \
         times that partition has been computed from its lineage so far (partitions 0..5)."
    );
    println!();
    let header = [
        "scenario",
        "after action 1",
        "is_checkpointed()",
        "after action 2",
        "action 2 read from",
        "kill 2 of 3 executors, then action 3",
        "action 3 read from",
    ];
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            vec![
                o.scenario.name.to_string(),
                counts(&o.after[0]),
                o.checkpointed[0].to_string(),
                counts(&o.after[1]),
                o.reads[0].describe(),
                counts(&o.after[2]),
                o.reads[1].describe(),
            ]
        })
        .collect();
    print_table(&header, &rows);
    println!();
    println!("What each row shows:");
    for o in &outcomes {
        println!("  {}:", o.scenario.name);
        for line in explain(o) {
            println!("    - {line}");
        }
    }
    println!();
    println!("Lineage (toDebugString) before action 1 and after action 2.");
    println!(
        "As in Spark, the [level] on every line is the level of the RDD the string was asked of; \
         only a line followed by CachedPartitions is actually cached."
    );
    for o in &outcomes {
        println!("  {}, before:", o.scenario.name);
        for line in o.lineage_before.lines() {
            println!("      {line}");
        }
        println!("  {}, after:", o.scenario.name);
        for line in o.lineage_after.lines() {
            println!("      {line}");
        }
    }
    println!();
    println!("HTML reports (jobs, stage DAGs, storage, the killed executors):");
    for o in &outcomes {
        println!("  {}: {}", o.scenario.name, o.report.display());
    }
    Ok(())
}

/// Teaching notes for one row, built from what was observed.
fn explain(o: &Outcome) -> Vec<String> {
    let computed = |v: &[usize]| v.iter().sum::<usize>();
    let (a1, a2, a3) = (
        computed(&o.after[0]),
        computed(&o.after[1]),
        computed(&o.after[2]),
    );
    let mut notes = Vec::new();
    if a1 > PARTITIONS {
        notes.push(format!(
            "action 1 made {a1} computations for {PARTITIONS} partitions: the checkpoint is \
             written by a second job after the action, and with nothing cached that job \
             recomputes the lineage (K6; hence K13: persist what you checkpoint)"
        ));
    } else if o.scenario.checkpoint {
        notes.push(format!(
            "action 1 made {a1} computations for {PARTITIONS} partitions: the checkpoint job \
             read the cached blocks instead of recomputing them (R8)"
        ));
    } else {
        notes.push(format!(
            "action 1 made {a1} computations for {PARTITIONS} partitions"
        ));
    }
    notes.push(match (o.reads[0].lineage, o.checkpointed[0]) {
        (n, _) if n > 0 => format!(
            "action 2 recomputed {}: without persist or checkpoint, every action \
             runs the lineage again (R5, R7)",
            partitions(n)
        ),
        (_, true) if o.reads[0].cache == PARTITIONS => "action 2 read the cache: iterator asks \
             the block manager first, even for a checkpointed RDD (R5, R8)"
            .to_string(),
        (_, true) => "action 2 read the checkpoint files: the lineage is cut, the RDD's only \
             parent is now the ReliableCheckpointRDD (R7, K8)"
            .to_string(),
        (_, false) => "action 2 read the cache (R5, R6)".to_string(),
    });
    let lost = PARTITIONS.saturating_sub(o.cached_after_kill);
    let cached_note = if o.scenario.persist {
        format!(
            "killing 2 executors lost their blocks: {} of {PARTITIONS} partitions stayed cached",
            o.cached_after_kill
        )
    } else {
        "killing 2 executors lost no data: nothing was cached".to_string()
    };
    notes.push(cached_note);
    let r = &o.reads[1];
    let mut third = format!("action 3 ({} new computations): ", a3 - a2);
    let mut what = Vec::new();
    if r.cache > 0 {
        what.push(format!(
            "{} partitions from surviving cached blocks",
            r.cache
        ));
    }
    if r.checkpoint > 0 {
        what.push(format!(
            "{} re-read from the checkpoint files, not the lineage (K11{})",
            partitions(r.checkpoint),
            if o.scenario.persist { ", R8" } else { "" }
        ));
    }
    if r.lineage > 0 {
        what.push(format!(
            "{} recomputed from lineage{}",
            partitions(r.lineage),
            if o.scenario.persist && lost > 0 {
                " (lost blocks; persist keeps the lineage to rebuild them)"
            } else {
                ""
            }
        ));
    }
    third.push_str(&what.join("; "));
    notes.push(third);
    notes
}
