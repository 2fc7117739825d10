//! `HadoopRDD` for text files: byte-range splits of the input files, read line by line with
//! Hadoop's `LineRecordReader` rule, giving `(byte offset, line)` records.
//!
//! Splits follow `FileInputFormat.getSplits`: a goal size of `total / min_partitions`, capped
//! by a 32 MiB block size, with the last split of a file allowed to be 10% larger (SPLIT_SLOP).
//! A line belongs to the split in which it *starts*, counting a line that starts exactly at a
//! split's end as that split's: a split other than the first skips the partial line at its
//! start, and every split reads past its end to finish its last line.

use std::any::Any;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::context::SparkContext;
use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::rdd::{part_iter, ComputeResult, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};

const BLOCK_SIZE: u64 = 32 << 20;
const SPLIT_SLOP: f64 = 1.1;

#[derive(Clone, Debug)]
struct FileSplit {
    path: PathBuf,
    start: u64,
    length: u64,
}

pub(crate) struct HadoopRdd {
    core: RddCore,
    splits: Vec<FileSplit>,
}

impl HadoopRdd {
    pub(crate) fn new(sc: &SparkContext, path: &Path, min_partitions: usize) -> Result<Self> {
        let files = input_files(path)?;
        let mut sizes = Vec::with_capacity(files.len());
        for f in &files {
            let len = std::fs::metadata(f).map_err(|e| Error::io(f, e))?.len();
            sizes.push(len);
        }
        let total: u64 = sizes.iter().sum();
        let goal = total / min_partitions.max(1) as u64;
        let split_size = goal.clamp(1, BLOCK_SIZE);
        let mut splits = Vec::new();
        for (f, &len) in files.iter().zip(&sizes) {
            let mut remaining = len;
            while remaining as f64 / split_size as f64 > SPLIT_SLOP {
                splits.push(FileSplit {
                    path: f.clone(),
                    start: len - remaining,
                    length: split_size,
                });
                remaining -= split_size;
            }
            if remaining != 0 || len == 0 {
                splits.push(FileSplit {
                    path: f.clone(),
                    start: len - remaining,
                    length: remaining,
                });
            }
        }
        // Spark names a HadoopRDD after its path: "<path> HadoopRDD[0] at textFile".
        let mut core = RddCore::new(sc, "textFile");
        *core.name.get_mut() = Some(path.display().to_string());
        Ok(HadoopRdd { core, splits })
    }
}

/// The file, or the visible files of a folder in name order (Hadoop skips `_` and `.` files).
fn input_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::io_context(path, "Input path does not exist", e))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| Error::io(path, e))? {
        let entry = entry.map_err(|e| Error::io(path, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if entry
            .file_type()
            .map_err(|e| Error::io(entry.path(), e))?
            .is_file()
        {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Reads the lines that start in `(start, start + length]` (or `[0, length]` for the first).
fn read_split(split: &FileSplit) -> std::io::Result<Vec<(u64, String)>> {
    let file = std::fs::File::open(&split.path)?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let end = split.start + split.length;
    let mut pos = split.start;
    reader.seek(SeekFrom::Start(split.start))?;
    let mut buf = Vec::new();
    if split.start != 0 {
        // Skip the rest of the line that began in the previous split.
        pos += reader.read_until(b'\n', &mut buf)? as u64;
    }
    let mut lines = Vec::new();
    while pos <= end {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        let offset = pos;
        pos += n as u64;
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        lines.push((offset, String::from_utf8_lossy(&buf).into_owned()));
    }
    Ok(lines)
}

impl RddBase for HadoopRdd {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.splits.len()
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(())
    }
    fn class_name(&self) -> &'static str {
        "HadoopRDD"
    }
}

impl TypedRdd<(u64, String)> for HadoopRdd {
    fn compute(&self, split: usize, _ctx: &TaskContext) -> ComputeResult<(u64, String)> {
        let s = &self.splits[split];
        let lines = read_split(s).map_err(|e| TaskError::Cause(Error::io(&s.path, e)))?;
        Ok(part_iter(lines.into_iter()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of_all_splits(content: &str, parts: usize) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        std::fs::write(&path, content).unwrap();
        let len = content.len() as u64;
        let size = (len / parts as u64).max(1);
        let mut out = Vec::new();
        let mut start = 0;
        while start < len {
            let length = size.min(len - start);
            let split = FileSplit {
                path: path.clone(),
                start,
                length,
            };
            out.extend(read_split(&split).unwrap().into_iter().map(|(_, l)| l));
            start += length;
        }
        out
    }

    #[test]
    fn every_line_is_read_exactly_once_whatever_the_splits() {
        let content = "alpha\nbeta\r\n\ngamma delta\nepsilon";
        let expected: Vec<String> = ["alpha", "beta", "", "gamma delta", "epsilon"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for parts in 1..=content.len() {
            assert_eq!(
                lines_of_all_splits(content, parts),
                expected,
                "{parts} splits"
            );
        }
    }
}
