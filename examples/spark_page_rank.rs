//! Spark's `SparkPageRank` example: PageRank of the URLs of a links file ("URL neighbor-URL"
//! per line) by iterated joins. With no file it ranks Spark's `data/mllib/pagerank_data.txt`.
//!
//! ```sh
//! cargo run --release --example spark_page_rank [file] [iterations]
//! ```

#[path = "common/mod.rs"]
mod common;

use common::java_double;
use sparklet::prelude::*;

/// Spark's `data/mllib/pagerank_data.txt`.
const PAGERANK_DATA: &str = "1 2\n1 3\n1 4\n2 1\n3 1\n4 1\n";

fn show_warning() {
    eprintln!(
        "WARN: This is a naive implementation of PageRank and is given as an example!\n\
         Please use the PageRank implementation found in org.apache.spark.graphx.lib.PageRank\n\
         for more conventional use.\n"
    );
}

fn main() -> sparklet::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    show_warning();
    let temp = tempfile::tempdir().map_err(|e| Error::io("temp dir", e))?;
    let file = match args.first() {
        Some(f) => std::path::PathBuf::from(f),
        None => {
            let f = temp.path().join("pagerank_data.txt");
            std::fs::write(&f, PAGERANK_DATA).map_err(|e| Error::io(&f, e))?;
            f
        }
    };
    let iters: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);

    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("SparkPageRank");
    let spark = SparkContext::new(conf)?;
    let lines = spark.text_file(&file, 2)?;
    let links = lines
        .map(|s| {
            let mut parts = s.split_whitespace().map(str::to_string);
            let from = parts.next().unwrap_or_default();
            let to = parts.next().unwrap_or_default();
            (from, to)
        })
        .distinct()
        .group_by_key()
        .cache()?;
    let mut ranks = links.map_values(|_| 1.0f64);

    for _ in 1..=iters {
        let contribs = links.join(&ranks).values().flat_map(|(urls, rank)| {
            let size = urls.len() as f64;
            urls.into_iter()
                .map(move |url| (url, rank / size))
                .collect::<Vec<_>>()
        });
        ranks = contribs
            .reduce_by_key(|a, b| a + b)
            .map_values(|sum| 0.15 + 0.85 * sum);
    }

    for (url, rank) in ranks.collect()? {
        println!("{url} has rank: {}.", java_double(rank));
    }
    spark.stop();
    Ok(())
}
