//! Spark's `SparkTC` example: the transitive closure of a random graph of 200 edges on 100
//! vertices (drawn from `Random(42)` as Spark draws them), by joining paths with edges until no
//! new path appears.
//!
//! ```sh
//! cargo run --release --example spark_tc [slices]
//! ```

#[path = "common/mod.rs"]
mod common;

use std::collections::HashSet;

use common::JavaRandom;
use sparklet::prelude::*;

const NUM_EDGES: usize = 200;
const NUM_VERTICES: i32 = 100;

fn generate_graph(rand: &mut JavaRandom) -> Vec<(i32, i32)> {
    let mut edges = HashSet::new();
    let mut order = Vec::new();
    while edges.len() < NUM_EDGES {
        let from = rand.next_int_bounded(NUM_VERTICES);
        let to = rand.next_int_bounded(NUM_VERTICES);
        if from != to && edges.insert((from, to)) {
            order.push((from, to));
        }
    }
    order
}

fn main() -> sparklet::Result<()> {
    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("SparkTC");
    let spark = SparkContext::new(conf)?;
    let slices = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2);
    let mut rand = JavaRandom::new(42);
    let mut tc = spark
        .parallelize(generate_graph(&mut rand), slices)
        .cache()?;

    // Linear transitive closure: each round grows paths by one edge, by joining the graph's
    // edges with the already-discovered paths. E.g. join the path (y, z) from the TC with the
    // edge (x, y) from the graph to obtain the path (x, z).

    // Because join() joins on keys, the edges are stored in reversed order.
    let edges = tc.map(|(a, b)| (b, a));

    // This join is iterated until a fixed point is reached.
    let mut next_count = tc.count()?;
    loop {
        let old_count = next_count;
        // Perform the join, obtaining an RDD of (y, (z, x)) pairs, then project the result to
        // obtain the new (x, z) paths. (Spark's `distinct()` keeps the union's partition count,
        // which doubles every round; `distinct_with(slices)` keeps it at `slices`, so the
        // rounds do not grow into tens of thousands of tasks. The closure is the same.)
        tc = tc
            .union(&tc.join(&edges).map(|(_, (z, x))| (x, z)))
            .distinct_with(slices)
            .cache()?;
        next_count = tc.count()?;
        if next_count == old_count {
            break;
        }
    }
    println!("TC has {} edges.", tc.count()?);
    spark.stop();
    Ok(())
}
