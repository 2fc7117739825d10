//! Spark's word count: lines → words → (word, 1) → reduceByKey, with the lineage printed.
//!
//! Run: `cargo run --release --example word_count`

use sparklet::prelude::*;

fn main() -> Result<()> {
    // Spark's console: warnings and errors unless RUST_LOG says otherwise (RUST_LOG=sparklet=info
    // shows the scheduler's jobs, stages and tasks).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("word_count"),
    )?;
    let text = [
        "to be or not to be that is the question",
        "whether tis nobler in the mind to suffer",
        "the slings and arrows of outrageous fortune",
        "or to take arms against a sea of troubles",
    ];
    let lines = sc.parallelize(text.iter().map(|s| s.to_string()).collect(), 2);
    let counts = lines
        .flat_map(|line| {
            line.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .map(|word| (word, 1u32))
        .reduce_by_key(|a, b| a + b);

    let mut result = counts.collect()?;
    result.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!("word counts ({} distinct words):", result.len());
    for (word, n) in result.iter().take(10) {
        println!("  {word:<12} {n}");
    }
    println!("\nlineage (toDebugString):\n{}", counts.to_debug_string());
    sc.stop();
    Ok(())
}
