//! The event log scenario, shared by `tests/event_log.rs` and `examples/event_log_demo.rs`:
//! on `local-cluster[2,1,64]` with the event log on (block updates included), a word count
//! with a shuffle whose result is cached and checkpointed, counted twice (the second job skips
//! its map stage), an executor killed (its cached blocks lost) and the count run again, an
//! unpersist, then 12 batches of a stream with mapWithState and updateStateByKey on the manual
//! clock (the state streams checkpoint at batch 10).
#![allow(dead_code)]

use std::path::Path;

use sparklet::prelude::*;
use sparklet::streaming::*;

/// Batches the streaming part runs.
pub const BATCHES: usize = 12;

/// Runs the scenario, writing the log into `log_dir` (checkpoints into `work_dir`); returns
/// the application id (the log's file name).
pub fn run(log_dir: &Path, work_dir: &Path) -> Result<String> {
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local-cluster[2,1,64]")
            .set_app_name("event_log_demo")
            .set("sparklet.eventLog.enabled", "true")
            .set("sparklet.eventLog.dir", &log_dir.display().to_string())
            .set("sparklet.eventLog.logBlockUpdates.enabled", "true"),
    )?;
    let app_id = sc.app_id();
    sc.set_checkpoint_dir(work_dir.join("rdd-checkpoints"))?;
    let lines: Vec<String> = (0..200)
        .map(|i| format!("w{} w{} w{}", i % 7, i % 11, i % 13))
        .collect();
    let counts = sc
        .parallelize(lines, 4)
        .flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>())
        .map(|w| (w, 1u32))
        .reduce_by_key(|a, b| a + b)
        .set_name("word counts");
    counts.cache()?;
    counts.checkpoint()?;
    assert_eq!(counts.count()?, 13);
    assert_eq!(counts.count()?, 13);
    let victim = sc.executor_ids()[0].clone();
    sc.kill_executor(&victim)?;
    let doubled = counts.map_values(|c| c * 2).cache()?;
    assert_eq!(doubled.values().reduce(|a, b| a + b)?, Some(1200));
    doubled.unpersist(true);

    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(work_dir.join("stream-checkpoints"))?;
    let batches: Vec<Vec<(u32, u32)>> = (0..BATCHES as u32)
        .map(|b| (0..20).map(|i| (b * 5 + i, 1)).collect())
        .collect();
    let pairs = ssc.queue_stream(batches, true);
    let totals = pairs.map_with_state(StateSpec::function(
        |_k: &u32, v: Option<u32>, st: &mut State<u32>| {
            let n = v.unwrap_or(0) + st.get_option().copied().unwrap_or(0);
            st.update(n);
            n
        },
    ));
    totals.foreach_rdd(|rdd, _| rdd.count().map(drop));
    let sums = pairs.update_state_by_key(|vs: &[u32], st: Option<u32>| {
        Some(st.unwrap_or(0) + vs.iter().sum::<u32>())
    });
    sums.foreach_rdd(|rdd, _| rdd.count().map(drop));
    ssc.start()?;
    ssc.run_batches(BATCHES)?;
    ssc.stop(false, false);
    sc.stop();
    Ok(app_id)
}
