//! updateStateByKey versus mapWithState as the state grows: every batch brings 2,000 records,
//! half of them new keys, so the state grows by 1,000 keys a batch. updateStateByKey cogroups
//! each batch with the whole previous state (every key visited every batch), mapWithState
//! touches only the batch's keys: its batch time stays flat while the other's grows with the
//! state. Prints a table of per-batch times.
//!
//! ```sh
//! cargo run --release --example state_operators
//! ```

use std::time::Instant;

use sparklet::prelude::*;
use sparklet::streaming::*;

const BATCHES: usize = 40;
const PER_BATCH: u64 = 2_000;

fn input() -> Vec<Vec<(u64, u64)>> {
    (0..BATCHES as u64)
        .map(|b| {
            (0..PER_BATCH)
                .map(|i| {
                    if i % 2 == 0 {
                        (b * PER_BATCH + i, 1)
                    } else {
                        ((i * 7919) % (b * PER_BATCH / 2 + 1), 1)
                    }
                })
                .collect()
        })
        .collect()
}

fn run(op: &str) -> Result<(Vec<f64>, Vec<usize>)> {
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("state_operators")
            .set("sparklet.default.parallelism", "4"),
    )?;
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path())?;
    let pairs = ssc.queue_stream(input(), true);
    let sizes = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
    let s = sizes.clone();
    if op == "mapWithState" {
        let mapped = pairs.map_with_state(StateSpec::function(
            |_k: &u64, v: Option<u64>, st: &mut State<u64>| {
                let n = v.unwrap_or(0) + st.get_option().copied().unwrap_or(0);
                st.update(n);
                n
            },
        ));
        mapped.foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
        mapped.state_snapshots().count().foreach_rdd(move |rdd, _| {
            s.lock().extend(rdd.collect()?);
            Ok(())
        });
    } else {
        let state = pairs.update_state_by_key(|vs: &[u64], st: Option<u64>| {
            Some(st.unwrap_or(0) + vs.iter().sum::<u64>())
        });
        state.foreach_rdd(move |rdd, _| {
            s.lock().push(rdd.count()?);
            Ok(())
        });
    }
    ssc.start()?;
    let mut times = Vec::new();
    for _ in 0..BATCHES {
        let t0 = Instant::now();
        ssc.run_batches(1)?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    ssc.stop(true, false);
    let sizes = sizes.lock().clone();
    Ok((times, sizes))
}

fn main() -> Result<()> {
    // Spark's console: warnings and errors unless RUST_LOG says otherwise (RUST_LOG=sparklet=info
    // shows the scheduler's jobs, stages and tasks).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let (mws, sizes) = run("mapWithState")?;
    let (usbk, _) = run("updateStateByKey")?;
    println!(
        "{:>6} {:>12} {:>22} {:>18}",
        "batch", "state keys", "updateStateByKey (ms)", "mapWithState (ms)"
    );
    for i in (0..BATCHES).step_by(3) {
        println!(
            "{:>6} {:>12} {:>22.2} {:>18.2}",
            i + 1,
            sizes.get(i).copied().unwrap_or(0),
            usbk[i],
            mws[i]
        );
    }
    println!("\n(the snapshot count in the mapWithState run is part of its measured time; checkpoint batches are 10, 20, 30, 40)");
    Ok(())
}
