//! The ops oracle's runner: reads a two-stream scenario (tests/oracle/ops/README.md: `partitions
//! N`, `op NAME [W S]`, one `batch A-pairs | B-pairs` line a batch), runs it on sparklet exactly
//! as `tests/oracle/ops/SparkOpsOracle.java` runs it on Apache Spark (two one-at-a-time queue
//! streams, a manual clock, a checkpoint folder, every operation through the public API), and
//! prints the same lines: `<batch> <NAME>[ W S] <items sorted as strings>`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

use super::golden::{pair, pairs, sorted_line, streaming_context};

/// The operations that take no window.
pub const PLAIN: &[&str] = &[
    "JOIN",
    "LOJ",
    "ROJ",
    "FOJ",
    "COGROUP",
    "UNION",
    "TRANSFORMWITH",
    "REDUCE",
    "COUNTBYVALUE",
    "COUNT",
    "GLOM",
    "REPARTITION",
    "FLATMAPVALUES",
    "COMBINEBYKEY",
    "REDUCEBYKEYWITH",
];

/// The operations that take a window and a slide (in batches).
pub const WINDOWED: &[&str] = &[
    "WINDOW",
    "COUNTBYWINDOW",
    "REDUCEBYWINDOW",
    "REDUCEBYWINDOWINV",
    "COUNTBYVALUEANDWINDOW",
    "REDUCEBYKEYANDWINDOW",
    "REDUCEBYKEYANDWINDOWINV",
    "REDUCEBYKEYANDWINDOWINVF",
    "GROUPBYKEYANDWINDOW",
    "WINDOWJOIN",
];

/// One operation: its name and, for a windowed one, window and slide in batches (0 otherwise).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub name: String,
    pub window: u64,
    pub slide: u64,
}

impl Op {
    /// The operation as its output lines name it: `NAME` or `NAME W S`.
    pub fn label(&self) -> String {
        if self.window == 0 {
            self.name.clone()
        } else {
            format!("{} {} {}", self.name, self.window, self.slide)
        }
    }
}

type Batch = Vec<(String, i32)>;

/// A parsed scenario.
#[derive(Clone, Debug, Default)]
pub struct Scenario {
    pub partitions: usize,
    pub ops: Vec<Op>,
    pub a: Vec<Batch>,
    pub b: Vec<Batch>,
}

/// Parses the ops oracle's scenario format.
pub fn parse(text: &str) -> Result<Scenario> {
    let mut s = Scenario {
        partitions: 2,
        ..Scenario::default()
    };
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        let bad = || Error::InvalidArgument(format!("bad line: {line}"));
        let number = |i: usize| -> Result<u64> {
            words
                .get(i)
                .and_then(|w| w.parse::<u64>().ok())
                .ok_or_else(bad)
        };
        match words[0] {
            "partitions" => s.partitions = number(1)? as usize,
            "op" => {
                let name = *words.get(1).ok_or_else(bad)?;
                let op = if PLAIN.contains(&name) && words.len() == 2 {
                    Op {
                        name: name.into(),
                        window: 0,
                        slide: 0,
                    }
                } else if WINDOWED.contains(&name) && words.len() == 4 {
                    Op {
                        name: name.into(),
                        window: number(2)?,
                        slide: number(3)?,
                    }
                } else {
                    return Err(bad());
                };
                s.ops.push(op);
            }
            "batch" => {
                let rest = &t["batch".len()..];
                let (a, b) = rest.split_once('|').unwrap_or((rest, ""));
                s.a.push(pairs(a.split_whitespace())?);
                s.b.push(pairs(b.split_whitespace())?);
            }
            _ => return Err(Error::InvalidArgument(format!("unknown line: {line}"))),
        }
    }
    Ok(s)
}

/// Scala's `Option` as printed: `Some(x)` or `None`.
fn opt<T: std::fmt::Display>(o: &Option<T>) -> String {
    match o {
        Some(x) => format!("Some({x})"),
        None => "None".to_string(),
    }
}

/// A list of values sorted as integers: `[1,2,10]`.
fn ints(xs: &[i32]) -> String {
    let mut xs = xs.to_vec();
    xs.sort();
    let items: Vec<String> = xs.iter().map(|x| x.to_string()).collect();
    format!("[{}]", items.join(","))
}

type Lines = Arc<Mutex<BTreeMap<(u64, usize), String>>>;

/// Registers the output operation of op `index`: at each batch, `label` and the RDD's items,
/// formatted by `format` and sorted as strings.
fn record<T: Data>(
    stream: &DStream<T>,
    index: usize,
    label: String,
    format: impl Fn(&T) -> String + Send + Sync + 'static,
    lines: &Lines,
) {
    let lines = lines.clone();
    stream.foreach_rdd(move |rdd, t| {
        let items: Vec<String> = rdd.collect()?.iter().map(&format).collect();
        let line = format!("{label} {}", sorted_line(items))
            .trim_end()
            .to_string();
        let previous = lines.lock().insert((t.milliseconds(), index), line);
        assert!(previous.is_none(), "two outputs for {label} at {t:?}");
        Ok(())
    });
}

/// Wires op `index` of the scenario onto streams `a` and `b`.
fn wire(
    ssc: &StreamingContext,
    op: &Op,
    index: usize,
    a: &DStream<(String, i32)>,
    b: &DStream<(String, i32)>,
    partitions: usize,
    lines: &Lines,
) {
    let l = op.label();
    let w = Duration::seconds(op.window);
    let s = Duration::seconds(op.slide);
    match op.name.as_str() {
        "JOIN" => record(
            &a.join(b),
            index,
            l,
            |(k, (v, x))| format!("({k},({v},{x}))"),
            lines,
        ),
        "LOJ" => record(
            &a.left_outer_join(b),
            index,
            l,
            |(k, (v, x))| format!("({k},({v},{}))", opt(x)),
            lines,
        ),
        "ROJ" => record(
            &a.right_outer_join(b),
            index,
            l,
            |(k, (v, x))| format!("({k},({},{x}))", opt(v)),
            lines,
        ),
        "FOJ" => record(
            &a.full_outer_join(b),
            index,
            l,
            |(k, (v, x))| format!("({k},({},{}))", opt(v), opt(x)),
            lines,
        ),
        "COGROUP" => record(
            &a.cogroup(b),
            index,
            l,
            |(k, (vs, xs))| format!("({k},({},{}))", ints(vs), ints(xs)),
            lines,
        ),
        "UNION" => {
            let u = ssc.union(&[a.clone(), b.clone(), a.map_values(|v| v * 10)]);
            record(&u, index, l, pair, lines)
        }
        "TRANSFORMWITH" => {
            let t = a.transform_with(b, |x, y, t| {
                let bump = 100 * (t.milliseconds() / 1000) as i32;
                x.subtract_by_key(y).map_values(move |v| v + bump)
            });
            record(&t, index, l, pair, lines)
        }
        "REDUCE" => record(
            &a.map(|(_, v)| v).reduce(|x, y| x + y),
            index,
            l,
            |v| v.to_string(),
            lines,
        ),
        "COUNTBYVALUE" => record(
            &a.count_by_value(),
            index,
            l,
            |((k, v), n)| format!("(({k},{v}),{n})"),
            lines,
        ),
        "COUNT" => record(&a.count(), index, l, |n| n.to_string(), lines),
        "GLOM" => record(
            &a.glom(),
            index,
            l,
            |part| {
                let items: Vec<String> = part.iter().map(pair).collect();
                format!("[{}]", items.join(","))
            },
            lines,
        ),
        "REPARTITION" => record(&a.repartition(3), index, l, pair, lines),
        "FLATMAPVALUES" => record(
            &a.flat_map_values(|v| vec![v; (v % 3) as usize]),
            index,
            l,
            pair,
            lines,
        ),
        "COMBINEBYKEY" => record(
            &a.combine_by_key(
                |v| (v, 1),
                |(s, n), v| (s + v, n + 1),
                |(s, n), (t, m)| (s + t, n + m),
                Partitioner::hash(partitions),
            ),
            index,
            l,
            |(k, (s, n))| format!("({k},({s},{n}))"),
            lines,
        ),
        "REDUCEBYKEYWITH" => record(
            &a.reduce_by_key_with(Partitioner::hash(3), |x, y| x + y),
            index,
            l,
            pair,
            lines,
        ),
        "WINDOW" => record(&a.window(w, s), index, l, pair, lines),
        "COUNTBYWINDOW" => record(&a.count_by_window(w, s), index, l, |n| n.to_string(), lines),
        "REDUCEBYWINDOW" => record(
            &a.map(|(_, v)| v).reduce_by_window(|x, y| x + y, w, s),
            index,
            l,
            |v| v.to_string(),
            lines,
        ),
        "REDUCEBYWINDOWINV" => record(
            &a.map(|(_, v)| v)
                .reduce_by_window_inv(|x, y| x + y, |x, y| x - y, w, s),
            index,
            l,
            |v| v.to_string(),
            lines,
        ),
        "COUNTBYVALUEANDWINDOW" => record(
            &a.count_by_value_and_window(w, s),
            index,
            l,
            |((k, v), n)| format!("(({k},{v}),{n})"),
            lines,
        ),
        "REDUCEBYKEYANDWINDOW" => record(
            &a.reduce_by_key_and_window(|x, y| x + y, w, s),
            index,
            l,
            pair,
            lines,
        ),
        "REDUCEBYKEYANDWINDOWINV" => record(
            &a.reduce_by_key_and_window_inv(|x, y| x + y, |x, y| x - y, w, s),
            index,
            l,
            pair,
            lines,
        ),
        // The API has no filterFunc argument (Spark's filter is internal here, used by
        // count_by_value_and_window): the filter after the stream prints the same items, since
        // the scenarios' values are positive, so a key is at 0 exactly when nothing of it is
        // left in the window.
        "REDUCEBYKEYANDWINDOWINVF" => record(
            &a.reduce_by_key_and_window_inv(|x, y| x + y, |x, y| x - y, w, s)
                .filter(|(_, v)| *v != 0),
            index,
            l,
            pair,
            lines,
        ),
        "GROUPBYKEYANDWINDOW" => record(
            &a.group_by_key_and_window(w, s),
            index,
            l,
            |(k, vs)| format!("({k},{})", ints(vs)),
            lines,
        ),
        "WINDOWJOIN" => record(
            &a.window(w, s).join(&b.window(w, s)),
            index,
            l,
            |(k, (v, x))| format!("({k},({v},{x}))"),
            lines,
        ),
        other => unreachable!("parse() admits no operation {other}"),
    }
}

/// Runs a scenario on `master` and returns the oracle's lines.
pub fn run(scenario: &Scenario, master: &str) -> Result<Vec<String>> {
    let (_sc, ssc, _dir) = streaming_context(master, "ops-oracle", scenario.partitions)?;
    let a = ssc.queue_stream(scenario.a.clone(), true);
    let b = ssc.queue_stream(scenario.b.clone(), true);
    // As in the Java oracle: a job at every batch.
    a.foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    let lines: Lines = Arc::default();
    for (i, op) in scenario.ops.iter().enumerate() {
        wire(&ssc, op, i, &a, &b, scenario.partitions, &lines);
    }
    ssc.start()?;
    let ran = ssc.run_batches(scenario.a.len());
    ssc.stop(true, false);
    ran?;
    let out = lines
        .lock()
        .iter()
        .map(|((t, _), line)| format!("{} {line}", t / 1000))
        .collect();
    Ok(out)
}
