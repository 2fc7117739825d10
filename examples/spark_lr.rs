//! Spark's `SparkLR` example: logistic regression by gradient descent over cached points,
//! drawn from `java.util.Random(42)` as Spark draws them.
//!
//! ```sh
//! cargo run --release --example spark_lr [slices]
//! ```

#[path = "common/mod.rs"]
mod common;

use common::{dense_vector, JavaRandom};
use serde::{Deserialize, Serialize};
use sparklet::prelude::*;

const N: usize = 10_000; // number of data points
const D: usize = 10; // number of dimensions
const R: f64 = 0.7; // scaling factor
const ITERATIONS: usize = 5;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct DataPoint {
    x: Vec<f64>,
    y: f64,
}

fn generate_data(rand: &mut JavaRandom) -> Vec<DataPoint> {
    (0..N)
        .map(|i| {
            let y = if i % 2 == 0 { -1.0 } else { 1.0 };
            let x = (0..D).map(|_| rand.next_gaussian() + y * R).collect();
            DataPoint { x, y }
        })
        .collect()
}

fn show_warning() {
    eprintln!(
        "WARN: This is a naive implementation of Logistic Regression and is given as an example!\n\
         Please use org.apache.spark.ml.classification.LogisticRegression\n\
         for more conventional use.\n"
    );
}

fn main() -> sparklet::Result<()> {
    show_warning();
    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("SparkLR");
    let sc = SparkContext::new(conf)?;
    let num_slices = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2);
    let mut rand = JavaRandom::new(42);
    let points = sc
        .parallelize(generate_data(&mut rand), num_slices)
        .cache()?;

    // Initialize w to a random value.
    let mut w: Vec<f64> = (0..D).map(|_| 2.0 * rand.next_double() - 1.0).collect();
    println!("Initial w: {}", dense_vector(&w));

    for i in 1..=ITERATIONS {
        println!("On iteration {i}");
        let wb = w.clone();
        let gradient = points
            .map(move |p| {
                let dot: f64 = wb.iter().zip(&p.x).map(|(a, b)| a * b).sum();
                let scale = (1.0 / (1.0 + (-p.y * dot).exp()) - 1.0) * p.y;
                p.x.iter().map(|x| x * scale).collect::<Vec<f64>>()
            })
            .reduce(|a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect())?
            .unwrap_or_else(|| vec![0.0; D]);
        for (wi, g) in w.iter_mut().zip(&gradient) {
            *wi -= g;
        }
    }
    println!("Final w: {}", dense_vector(&w));
    sc.stop();
    Ok(())
}
