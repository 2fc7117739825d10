//! The fault soak, long mode: RUNS seeded runs (default 2000) of word count + join +
//! mapWithState on `local-cluster[3,1,64]`, each with one executor killed at a seeded moment
//! (see `tests/common/fault_soak.rs`; one seed in three kills from a driver thread at a
//! seeded wall-clock moment, as `sc.kill_executor` from a user thread would). Prints runs /
//! aborted / wrong / hung and the time, and the first failing seeds with their kill and error,
//! so a failure can be run again.
//!
//! ```sh
//! cargo run --release --example fault_soak -- 2000
//! cargo run --release --example fault_soak -- 100 5000   # 100 runs from seed 5000
//! ```

#[path = "../tests/common/fault_soak.rs"]
mod program;

use std::time::Instant;

use program::Outcome;

fn main() {
    // Errors only unless RUST_LOG says otherwise: every kill would log lost tasks and blocks.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("error")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let first: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0);
    let steps = program::fault_free_steps();
    // A fault-free run's length bounds the driver-thread kill moments.
    let t = Instant::now();
    let _ = program::fault_free_steps();
    let micros = t.elapsed().as_micros() as u64;
    let start = Instant::now();
    let (mut aborted, mut wrong, mut hung) = (0, 0, 0);
    let mut failures = Vec::new();
    for seed in first..first + runs {
        let outcome = program::run_seed_with(seed, program::kill_for_long(seed, steps, micros));
        match &outcome {
            Outcome::Ok => continue,
            Outcome::Aborted(_) => aborted += 1,
            Outcome::Wrong(_) => wrong += 1,
            Outcome::Hung => hung += 1,
        }
        if failures.len() < 10 {
            failures.push((seed, outcome));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("fault soak: word count + join + mapWithState, local-cluster[3,1,64], one kill a run");
    println!(
        "(kill moments: {steps} scheduler steps of a fault-free run, after an executor's N-th task, \
         or from a driver thread within {micros} µs of start)"
    );
    println!();
    println!("| runs | aborted | wrong | hung | time (s) | ms/run |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| {runs} | {aborted} | {wrong} | {hung} | {secs:.1} | {:.1} |",
        secs * 1000.0 / runs.max(1) as f64
    );
    for (seed, outcome) in failures {
        println!("seed {seed}: {outcome:?}");
    }
}
