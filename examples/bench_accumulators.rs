//! Accumulator cost: a `foreach` over N elements in 8 partitions on `local[2]` with no
//! accumulator, with one `LongAccumulator` added per element, with two (long and double), and
//! with a `CollectionAccumulator` collecting every element; and the per-task cost of a named
//! accumulator's merge with 8k tasks of one element. Each row is the best of 3 runs.
//!
//! ```sh
//! cargo run --release --example bench_accumulators [elements]
//! ```

use std::time::Instant;

use sparklet::prelude::*;

fn best_of_3(mut run: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        run()?;
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(best)
}

fn main() -> Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let n: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("bench_accumulators"),
    )?;
    let rdd = sc.parallelize((0..n).collect::<Vec<i64>>(), 8).cache()?;
    rdd.count()?;
    println!("| case | elements | time (ms) | ns/element |");
    println!("| --- | ---: | ---: | ---: |");
    let row = |case: &str, elements: i64, secs: f64| {
        println!(
            "| {case} | {elements} | {:.1} | {:.1} |",
            secs * 1e3,
            secs * 1e9 / elements as f64
        )
    };

    row(
        "no accumulator",
        n,
        best_of_3(|| {
            rdd.foreach(|x| {
                std::hint::black_box(x);
            })
        })?,
    );

    let long = sc.long_accumulator("long");
    let l = long.clone();
    row(
        "one LongAccumulator",
        n,
        best_of_3(|| {
            let l = l.clone();
            rdd.foreach(move |x| l.add(x))
        })?,
    );

    let double = sc.double_accumulator("double");
    let (l, d) = (long.clone(), double.clone());
    row(
        "LongAccumulator + DoubleAccumulator",
        n,
        best_of_3(|| {
            let (l, d) = (l.clone(), d.clone());
            rdd.foreach(move |x| {
                l.add(x);
                d.add(x as f64);
            })
        })?,
    );

    let items = sc.collection_accumulator::<i64>("items");
    let c = items.clone();
    row(
        "CollectionAccumulator",
        n,
        best_of_3(|| {
            c.reset();
            let c = c.clone();
            rdd.foreach(move |x| c.add(x))
        })?,
    );
    assert_eq!(items.value().len() as i64, n);

    // Per task: 8k one-element tasks, with and without a named accumulator to merge.
    let tasks = 8_000usize;
    let small = sc.parallelize((0..tasks as i64).collect::<Vec<_>>(), tasks);
    let plain = best_of_3(|| {
        small.foreach(|x| {
            std::hint::black_box(x);
        })
    })?;
    let per_task = sc.long_accumulator("per-task");
    let p = per_task.clone();
    let merged = best_of_3(|| {
        let p = p.clone();
        small.foreach(move |x| p.add(x))
    })?;
    println!();
    println!("| {tasks} one-element tasks | time (ms) | µs/task |");
    println!("| --- | ---: | ---: |");
    for (case, secs) in [
        ("no accumulator", plain),
        ("one named LongAccumulator", merged),
    ] {
        println!(
            "| {case} | {:.1} | {:.2} |",
            secs * 1e3,
            secs * 1e6 / tasks as f64
        );
    }
    sc.stop();
    Ok(())
}
