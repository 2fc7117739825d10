//! Spark's `DFSReadWriteTest` example: a word count of a local file, the file written out with
//! `save_as_text_file` and read back with `text_file`, and the two counts compared. With no
//! arguments it writes its own input file and uses a temporary folder as the "DFS".
//!
//! ```sh
//! cargo run --release --example dfs_read_write_test [localFile dfsDir]
//! ```

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;

use sparklet::prelude::*;

fn print_usage() {
    println!(
        "DFS Read-Write Test\n\nUsage: localFile dfsDir\n\nlocalFile - (string) local file to use \
         in test\ndfsDir - (string) DFS directory for read/write tests\n"
    );
}

fn run_local_word_count(lines: &[String]) -> usize {
    lines
        .iter()
        .flat_map(|l| l.split(' '))
        .flat_map(|w| w.split('\t'))
        .filter(|w| !w.is_empty())
        .count()
}

fn main() -> sparklet::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let temp = tempfile::tempdir().map_err(|e| Error::io("temp dir", e))?;
    let (local_file, dfs_dir) = match args.as_slice() {
        [file, dir] => (PathBuf::from(file), PathBuf::from(dir)),
        [] => {
            let file = temp.path().join("input.txt");
            let text = "Spark is a unified analytics engine\tfor large-scale data processing\n\
                        It provides high-level APIs in Scala Java and Python\n\n\
                        and an optimized engine that supports general execution graphs\n";
            std::fs::write(&file, text).map_err(|e| Error::io(&file, e))?;
            (file, temp.path().to_path_buf())
        }
        _ => {
            print_usage();
            std::process::exit(1);
        }
    };
    if !local_file.is_file() {
        eprintln!("Given path ({}) is not a file.\n", local_file.display());
        print_usage();
        std::process::exit(1);
    }
    if !dfs_dir.is_dir() {
        eprintln!("Given path ({}) is not a directory.\n", dfs_dir.display());
        print_usage();
        std::process::exit(1);
    }

    println!("Performing local word count");
    let contents = std::fs::read_to_string(&local_file).map_err(|e| Error::io(&local_file, e))?;
    let file_contents: Vec<String> = contents.lines().map(str::to_string).collect();
    let local_word_count = run_local_word_count(&file_contents);

    println!("Creating SparkConf");
    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("DFS Read Write Test");

    println!("Creating SparkContext");
    let sc = SparkContext::new(conf)?;

    println!("Writing local file to DFS");
    let dfs_filename = dfs_dir.join("dfs_read_write_test");
    let parallelism = sc.default_parallelism();
    sc.parallelize(file_contents, parallelism)
        .save_as_text_file(&dfs_filename)?;

    println!("Reading file from DFS and running Word Count");
    let read_file_rdd = sc.text_file(&dfs_filename, 2)?;
    let dfs_word_count: u64 = read_file_rdd
        .flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>())
        .flat_map(|w| w.split('\t').map(str::to_string).collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .map(|w| (w, 1))
        .count_by_key()?
        .values()
        .sum();

    sc.stop();

    if local_word_count as u64 == dfs_word_count {
        println!(
            "Success! Local Word Count {local_word_count} and DFS Word Count {dfs_word_count} agree."
        );
    } else {
        println!(
            "Failure! Local Word Count {local_word_count} and DFS Word Count {dfs_word_count} \
             disagree."
        );
    }
    Ok(())
}
