//! Spark's `SparkKMeans` example: k-means of the points of a file (one point per line,
//! coordinates separated by spaces), starting from `takeSample(false, K, 42)`. With no
//! arguments it clusters Spark's `data/mllib/kmeans_data.txt` with K = 2 and convergeDist 0.001.
//!
//! ```sh
//! cargo run --release --example spark_kmeans [file K convergeDist]
//! ```

#[path = "common/mod.rs"]
mod common;

use common::{dense_vector, java_double};
use sparklet::prelude::*;

/// Spark's `data/mllib/kmeans_data.txt`.
const KMEANS_DATA: &str =
    "0.0 0.0 0.0\n0.1 0.1 0.1\n0.2 0.2 0.2\n9.0 9.0 9.0\n9.1 9.1 9.1\n9.2 9.2 9.2\n";

fn show_warning() {
    eprintln!(
        "WARN: This is a naive implementation of KMeans Clustering and is given as an example!\n\
         Please use org.apache.spark.ml.clustering.KMeans\n\
         for more conventional use.\n"
    );
}

fn parse_vector(line: &str) -> Vec<f64> {
    line.split(' ').filter_map(|x| x.parse().ok()).collect()
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn closest_point(p: &[f64], centers: &[Vec<f64>]) -> usize {
    let mut best_index = 0;
    let mut closest = f64::INFINITY;
    for (i, c) in centers.iter().enumerate() {
        let temp_dist = squared_distance(p, c);
        if temp_dist < closest {
            closest = temp_dist;
            best_index = i;
        }
    }
    best_index
}

fn main() -> sparklet::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    show_warning();
    let temp = tempfile::tempdir().map_err(|e| Error::io("temp dir", e))?;
    let (file, k, converge_dist) = match args.as_slice() {
        [file, k, dist, ..] => (
            std::path::PathBuf::from(file),
            k.parse().unwrap_or(2),
            dist.parse().unwrap_or(0.001),
        ),
        _ => {
            let f = temp.path().join("kmeans_data.txt");
            std::fs::write(&f, KMEANS_DATA).map_err(|e| Error::io(&f, e))?;
            (f, 2usize, 0.001f64)
        }
    };

    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("SparkKMeans");
    let spark = SparkContext::new(conf)?;
    let lines = spark.text_file(&file, 2)?;
    let data = lines.map(|l| parse_vector(&l)).cache()?;

    let mut k_points = data.take_sample(false, k, 42)?;
    let mut temp_dist = 1.0;
    while temp_dist > converge_dist {
        let centers = k_points.clone();
        let closest = data.map(move |p| (closest_point(&p, &centers), (p, 1u64)));
        let point_stats = closest.reduce_by_key(|(x1, y1), (x2, y2)| {
            (x1.iter().zip(&x2).map(|(a, b)| a + b).collect(), y1 + y2)
        });
        let new_points = point_stats
            .map_values(|(sum, n)| {
                sum.iter()
                    .map(|x| x * (1.0 / n as f64))
                    .collect::<Vec<f64>>()
            })
            .collect_as_map()?;
        temp_dist = 0.0;
        for (i, point) in k_points.iter().enumerate() {
            if let Some(new_point) = new_points.get(&i) {
                temp_dist += squared_distance(point, new_point);
            }
        }
        for (i, p) in new_points {
            k_points[i] = p;
        }
        println!("Finished iteration (delta = {})", java_double(temp_dist));
    }

    println!("Final centers:");
    for p in &k_points {
        println!("{}", dense_vector(p));
    }
    spark.stop();
    Ok(())
}
