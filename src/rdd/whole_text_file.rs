//! `WholeTextFileRDD` (Spark's `SparkContext.wholeTextFiles`): one `(path, content)` record per
//! file of a folder, the path as Hadoop shows a local file (`file:/abs/dir/name`).
//!
//! Splits follow `WholeTextFileInputFormat` on a local file system: the visible files (Hadoop
//! skips names starting with `_` or `.`; sub-folders are skipped here) are taken in name order
//! and packed, as `CombineFileInputFormat` packs the blocks of one node, into splits of at
//! least `maxSplitSize = ceil(total bytes / max(minPartitions, 1))` bytes: a split closes as
//! soon as it reaches that size, and what is left forms the last split. A folder of empty
//! files (`maxSplitSize` 0) is one split. A file is read whole by one task and decoded as
//! UTF-8 (invalid bytes replaced, as Hadoop's `Text.toString`).
//!
//! Layering: the RDD layer only.

use std::any::Any;
use std::path::{Path, PathBuf};

use crate::context::SparkContext;
use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::rdd::io::file_uri;
use crate::rdd::{part_iter, ComputeResult, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};

pub(crate) struct WholeTextFileRdd {
    core: RddCore,
    /// The files of each split, in order.
    splits: Vec<Vec<PathBuf>>,
}

impl WholeTextFileRdd {
    pub(crate) fn new(sc: &SparkContext, path: &Path, min_partitions: usize) -> Result<Self> {
        let files = list_files(path)?;
        let mut sized = Vec::with_capacity(files.len());
        for f in files {
            let len = std::fs::metadata(&f).map_err(|e| Error::io(&f, e))?.len();
            sized.push((f, len));
        }
        let total: u64 = sized.iter().map(|(_, len)| len).sum();
        let max_split = total.div_ceil(min_partitions.max(1) as u64);
        let mut core = RddCore::new(sc, "wholeTextFiles");
        *core.name.get_mut() = Some(path.display().to_string());
        Ok(WholeTextFileRdd {
            core,
            splits: pack(sized, max_split),
        })
    }
}

/// `CombineFileInputFormat`'s packing on one node: close a split once it holds `max_split`
/// bytes (never, for a `max_split` of 0); the rest is the last split.
fn pack(files: Vec<(PathBuf, u64)>, max_split: u64) -> Vec<Vec<PathBuf>> {
    let mut splits = Vec::new();
    let (mut current, mut size) = (Vec::new(), 0u64);
    for (f, len) in files {
        current.push(f);
        size += len;
        if max_split != 0 && size >= max_split {
            splits.push(std::mem::take(&mut current));
            size = 0;
        }
    }
    if !current.is_empty() {
        splits.push(current);
    }
    splits
}

/// The file itself, or the visible files of a folder in name order; a missing path is
/// Hadoop's "Input path does not exist".
fn list_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::io_context(
            path,
            &format!("Input path does not exist: {}", file_uri(path)),
            e,
        )
    })?;
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
        let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        if kind.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

impl RddBase for WholeTextFileRdd {
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
        "WholeTextFileRDD"
    }
}

impl TypedRdd<(String, String)> for WholeTextFileRdd {
    fn compute(&self, split: usize, _ctx: &TaskContext) -> ComputeResult<(String, String)> {
        let files = self.splits[split].clone();
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            let bytes = std::fs::read(&f).map_err(|e| TaskError::Cause(Error::io(&f, e)))?;
            out.push((file_uri(&f), String::from_utf8_lossy(&bytes).into_owned()));
        }
        Ok(part_iter(out.into_iter()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(splits: Vec<Vec<PathBuf>>) -> Vec<Vec<String>> {
        splits
            .into_iter()
            .map(|s| s.into_iter().map(|p| p.display().to_string()).collect())
            .collect()
    }

    #[test]
    fn packs_files_as_combine_file_input_format() {
        let f = |n: &str, len| (PathBuf::from(n), len);
        let files = vec![f("a", 5), f("b", 5), f("c", 5), f("d", 1)];
        // 16 bytes, 2 partitions: splits of at least 8 bytes.
        assert_eq!(
            names(pack(files.clone(), 8)),
            vec![vec!["a", "b"], vec!["c", "d"]]
        );
        assert_eq!(
            names(pack(files.clone(), 5)),
            vec![vec!["a"], vec!["b"], vec!["c"], vec!["d"]]
        );
        assert_eq!(names(pack(files, 0)), vec![vec!["a", "b", "c", "d"]]);
        assert!(pack(Vec::new(), 3).is_empty());
    }
}
