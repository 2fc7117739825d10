//! The fault soak, fast mode: a few hundred seeded runs of word count + join + mapWithState on
//! `local-cluster[3,1,64]`, each with one executor killed at a seeded moment (any scheduler
//! step, or right after an executor's N-th task). Every run must give the fault-free answer:
//! no abort, no wrong value, no hang. `cargo run --release --example fault_soak -- 2000` is the
//! long mode.
//!
//! Spark's counterpart is DAGSchedulerSuite's fetch-failure cases ("late fetch failures don't
//! cause multiple concurrent attempts for the same map stage", "ignore late map task
//! completions", "Fail the job if a barrier ResultTask failed" family), run here as a property
//! over kill moments instead of hand-built event orders.

#[path = "common/fault_soak.rs"]
mod program;

/// Seeds per CI run (the example runs thousands).
const RUNS: u64 = 600;

#[test]
fn one_executor_kill_at_any_moment_never_aborts_or_changes_the_answer() {
    let steps = program::fault_free_steps();
    assert!(steps > 50, "the program posts {steps} events");
    let mut bad = Vec::new();
    for seed in 0..RUNS {
        let outcome = program::run_seed(seed, steps);
        if outcome != program::Outcome::Ok {
            bad.push((seed, outcome));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {RUNS} runs failed: {bad:#?}",
        bad.len()
    );
}
