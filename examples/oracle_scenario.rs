//! Runs a scenario in the format of ../shared/spark-oracle on sparklet and prints the lines the
//! oracle prints for Apache Spark, so the two can be compared with `diff`:
//!
//! ```sh
//! cargo run --release --example oracle_scenario -- ../shared/spark-oracle/example-scenario.txt
//! ```

// The runner and the helpers it shares with the ops oracle's runner.
#[path = "../tests/common/golden.rs"]
#[allow(dead_code)]
mod golden;
#[path = "../tests/common/oracle.rs"]
mod oracle;

fn main() {
    // Spark's console: warnings and errors unless RUST_LOG says otherwise (RUST_LOG=sparklet=info
    // shows the scheduler's jobs, stages and tasks).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: oracle_scenario SCENARIO_FILE [MASTER]");
        std::process::exit(2);
    };
    let master = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "local[2]".to_string());
    let result = std::fs::read_to_string(&path)
        .map_err(|e| sparklet::Error::io(&path, e))
        .and_then(|text| oracle::parse(&text))
        .and_then(|scenario| oracle::run(&scenario, &master));
    match result {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
