//! The differential runner: reads a scenario in the format of ../shared/spark-oracle (`timeout N`,
//! `partitions N`, `initial k=v ...`, one `batch k=v ...` line a batch), runs it on sparklet
//! exactly as `SparkOracle.java` runs it on Apache Spark (mapWithState with the same mapping
//! function and its state snapshots, and updateStateByKey over the same input), and prints the
//! same lines: `<batch> OUT ...`, `<batch> SNAP ...`, `<batch> UPD ...`, each list sorted as
//! strings, pairs printed as Scala prints tuples: `(k,v)`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

use super::golden::{pair, pairs, sorted_line, streaming_context};

/// A parsed scenario.
#[derive(Clone, Debug, Default)]
pub struct Scenario {
    pub timeout_batches: u64,
    pub partitions: usize,
    pub initial: Vec<(String, i32)>,
    pub batches: Vec<Vec<(String, i32)>>,
}

/// Parses the oracle's scenario format.
pub fn parse(text: &str) -> Result<Scenario> {
    let mut s = Scenario {
        partitions: 2,
        ..Scenario::default()
    };
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = words.first() else { continue };
        if first.starts_with('#') {
            continue;
        }
        let number = |i: usize| -> Result<u64> {
            words
                .get(i)
                .and_then(|w| w.parse::<u64>().ok())
                .ok_or_else(|| Error::InvalidArgument(format!("bad line: {line}")))
        };
        match *first {
            "timeout" => s.timeout_batches = number(1)?,
            "partitions" => s.partitions = number(1)? as usize,
            "initial" => s.initial = pairs(words[1..].iter().copied())?,
            "batch" => s.batches.push(pairs(words[1..].iter().copied())?),
            _ => return Err(Error::InvalidArgument(format!("unknown line: {line}"))),
        }
    }
    Ok(s)
}

/// The oracle's mapping function (SparkOracle.java).
fn mapping(key: &String, value: Option<i32>, state: &mut State<i32>) -> String {
    if state.is_timing_out() {
        return format!(
            "{key}:T:{}",
            state.get_option().copied().unwrap_or_default()
        );
    }
    let Some(v) = value else {
        return format!("{key}:N");
    };
    if v < 0 {
        if state.exists() {
            state.remove();
            return format!("{key}:R");
        }
        return format!("{key}:R-");
    }
    let next = v + state.get_option().copied().unwrap_or(0);
    state.update(next);
    format!("{key}:U:{next}")
}

/// Runs a scenario on `master` and returns the oracle's lines.
pub fn run(scenario: &Scenario, master: &str) -> Result<Vec<String>> {
    run_with_store(scenario, master, StateStore::in_memory())
}

/// [`run`] with mapWithState's state in `store`.
pub fn run_with_store(scenario: &Scenario, master: &str, store: StateStore) -> Result<Vec<String>> {
    let (sc, ssc, _dir) = streaming_context(master, "oracle", scenario.partitions)?;
    let input = ssc.queue_stream(scenario.batches.clone(), true);
    let mut spec = StateSpec::function(mapping)
        .num_partitions(scenario.partitions)
        .state_store(store);
    if scenario.timeout_batches > 0 {
        spec = spec.timeout(Duration::seconds(scenario.timeout_batches));
    }
    if !scenario.initial.is_empty() {
        spec = spec.initial_state(sc.parallelize(scenario.initial.clone(), scenario.partitions));
    }
    let mapped = input.map_with_state(spec);
    let updated = input.update_state_by_key_with(
        |vs: &[i32], s: Option<i32>| {
            let mut sum = s.unwrap_or(0);
            for &v in vs {
                if v < 0 {
                    return None;
                }
                sum += v;
            }
            Some(sum)
        },
        Partitioner::hash(scenario.partitions),
        None,
    );
    let lines: Arc<Mutex<BTreeMap<(u64, u8), String>>> = Arc::default();
    let l = lines.clone();
    mapped.foreach_rdd(move |rdd, t| {
        l.lock().insert(
            (t.milliseconds(), 0),
            format!("OUT {}", sorted_line(rdd.collect()?)),
        );
        Ok(())
    });
    let l = lines.clone();
    mapped.state_snapshots().foreach_rdd(move |rdd, t| {
        let items = rdd.collect()?.iter().map(pair).collect();
        l.lock().insert(
            (t.milliseconds(), 1),
            format!("SNAP {}", sorted_line(items)),
        );
        Ok(())
    });
    let l = lines.clone();
    updated.foreach_rdd(move |rdd, t| {
        let items = rdd.collect()?.iter().map(pair).collect();
        l.lock()
            .insert((t.milliseconds(), 2), format!("UPD {}", sorted_line(items)));
        Ok(())
    });
    ssc.start()?;
    ssc.run_batches(scenario.batches.len())?;
    ssc.stop(true, false);
    let out = lines
        .lock()
        .iter()
        .map(|((t, _), line)| format!("{} {}", t / 1000, line.trim_end()))
        .collect();
    Ok(out)
}

/// A line diff (longest common subsequence): `-` lines are Spark's, `+` lines are ours, with one
/// line of context around each change.
pub fn diff(expected: &[String], actual: &[String]) -> String {
    let (n, m) = (expected.len(), actual.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            ops.push((' ', &expected[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', &expected[i]));
            i += 1;
        } else {
            ops.push(('+', &actual[j]));
            j += 1;
        }
    }
    let changed = |k: usize| ops.get(k).is_some_and(|(c, _)| *c != ' ');
    let mut out = String::from("--- Apache Spark (.spark.out)\n+++ sparklet\n");
    let mut skipped = false;
    for (k, (c, line)) in ops.iter().enumerate() {
        if changed(k) || (k > 0 && changed(k - 1)) || changed(k + 1) {
            if skipped {
                out.push_str("  ...\n");
                skipped = false;
            }
            out.push_str(&format!("{c} {line}\n"));
        } else {
            skipped = true;
        }
    }
    out
}
