//! Writing RDDs to files and reading object files back: Spark's `saveAsTextFile`,
//! `saveAsObjectFile` and `SparkContext.objectFile`, with Hadoop's `FileOutputCommitter`
//! protocol between the tasks and the output folder.
//!
//! # The commit protocol (Hadoop's `FileOutputCommitter`, algorithm 1)
//!
//! 1. *Set up the job* (driver): an existing output path is refused, as Hadoop's
//!    `FileOutputFormat.checkOutputSpecs` does ("Output directory file:/... already exists",
//!    `Error::InvalidArgument`); then `out/_temporary/0/_temporary/` is created.
//! 2. *Write* (task attempt A of partition p): into its own folder
//!    `out/_temporary/0/_temporary/attempt_p_A/`. The folder is made with `create_dir`, not
//!    `create_dir_all`, so an attempt still running after the job ended cannot bring
//!    `_temporary` back.
//! 3. *Commit the task*: the attempt's file is renamed to `out/_temporary/0/task_p-part-NNNNN`.
//!    A rename replaces atomically, so when two attempts of one task both finish (a retry after
//!    an executor was lost), one complete copy is left, never two and never a mixed one; a
//!    failed attempt never commits, and its folder is removed.
//! 4. *Commit the job* (driver, after every task succeeded): each committed file is renamed to
//!    `out/part-NNNNN`, `_temporary` is removed and an empty `_SUCCESS` written. A failed job
//!    removes `_temporary` (Hadoop's `abortJob`) and leaves no part files.
//!
//! Text files hold one element per line, as Scala's `toString` shows it
//! ([`crate::scala_string`]). Object files hold the elements in batches of 10 (Spark's
//! `grouped(10)`), each batch one element of a checkpoint-format part file
//! ([`crate::checkpoint::file`], through [`crate::serializer`]): where Spark writes a Hadoop
//! SequenceFile of Java-serialized arrays, the file here carries its partition place and
//! checksums, so a damaged object file fails the job as [`Error::CorruptCheckpoint`] naming
//! the file, before any of its elements is used. `object_file` makes one partition per part
//! file (Spark splits SequenceFiles at sync marks to reach `minPartitions`; these files have
//! none, so `min_partitions` cannot add partitions).
//!
//! Layering: the RDD layer, the checkpoint file format, the serializer; no scheduler types.

use std::any::Any;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::checkpoint::file;
use crate::context::SparkContext;
use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::rdd::{part_iter, BoxIter, ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::Rdd;

/// Spark's batch size of `saveAsObjectFile` (`iter.grouped(10)`).
pub(crate) const OBJECT_BATCH: usize = 10;

impl<T: Data> Rdd<T> {
    /// Writes the RDD as text (Spark's `saveAsTextFile`): `path/part-NNNNN` per partition,
    /// one element per line as Scala's `toString` shows it, then `path/_SUCCESS`. Each task
    /// writes through a temporary file that is renamed when the task commits, so a retried task
    /// leaves exactly one copy. An existing `path` is `Error::InvalidArgument`, as Spark's
    /// `FileAlreadyExistsException`.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let dir = tempfile::tempdir().unwrap();
    /// let out = dir.path().join("out");
    /// sc.parallelize(vec![(1, 2.5), (2, 1e7)], 2).save_as_text_file(&out).unwrap();
    /// assert_eq!(std::fs::read_to_string(out.join("part-00001")).unwrap(), "(2,1.0E7)\n");
    /// assert!(out.join("_SUCCESS").exists());
    /// assert!(matches!(sc.parallelize(vec![1], 1).save_as_text_file(&out), Err(Error::InvalidArgument(_))));
    /// ```
    pub fn save_as_text_file(&self, path: impl AsRef<Path>) -> Result<()> {
        save_with_commit(self, path.as_ref(), write_text_part::<T>)
    }

    /// Writes the RDD as object files (Spark's `saveAsObjectFile`): the elements in batches of
    /// 10, serialized, one `part-NNNNN` per partition, then `_SUCCESS`; read back with
    /// [`SparkContext::object_file`]. An existing `path` is `Error::InvalidArgument`.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let dir = tempfile::tempdir().unwrap();
    /// let out = dir.path().join("objects");
    /// sc.parallelize((1..=25).collect::<Vec<u32>>(), 2).save_as_object_file(&out).unwrap();
    /// let back = sc.object_file::<u32>(&out, 1).unwrap();
    /// assert_eq!(back.collect().unwrap(), (1..=25).collect::<Vec<u32>>());
    /// ```
    pub fn save_as_object_file(&self, path: impl AsRef<Path>) -> Result<()> {
        save_with_commit(self, path.as_ref(), write_object_part::<T>)
    }
}

/// A local path as Hadoop's `Path.toString` shows a qualified local file: `file:/abs/path`.
pub(crate) fn file_uri(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file:{}", abs.display())
}

/// How a task writes its partition into its attempt folder; returns the file written.
type PartWriter<T> = fn(&Path, &TaskContext, usize, BoxIter<T>) -> Result<PathBuf>;

/// Runs the job that writes `rdd` under `out` through the commit protocol of the module doc.
fn save_with_commit<T: Data>(rdd: &Rdd<T>, out: &Path, write: PartWriter<T>) -> Result<()> {
    rdd.context().check_running()?;
    if out.exists() {
        return Err(Error::InvalidArgument(format!(
            "Output directory {} already exists",
            file_uri(out)
        )));
    }
    let job_temp = out.join("_temporary").join("0");
    let attempts = job_temp.join("_temporary");
    std::fs::create_dir_all(&attempts).map_err(|e| Error::io(&attempts, e))?;
    let num_partitions = rdd.num_partitions();
    let (task_temp, task_attempts) = (job_temp.clone(), attempts.clone());
    let written =
        rdd.context()
            .run_job_with_context(&rdd.rdd, rdd.all_partitions(), move |ctx, values| {
                run_task(
                    &task_temp,
                    &task_attempts,
                    ctx,
                    num_partitions,
                    values,
                    write,
                )
                .map_err(TaskError::Cause)
            });
    let temporary = out.join("_temporary");
    let committed = written.and_then(|_| commit_job(out, &job_temp, num_partitions));
    // Hadoop's cleanupJob / abortJob: the temporary folder goes either way.
    let cleaned = std::fs::remove_dir_all(&temporary).map_err(|e| Error::io(&temporary, e));
    committed?;
    cleaned?;
    crate::checkpoint::do_checkpoint(&rdd.base())?;
    let success = out.join("_SUCCESS");
    std::fs::write(&success, b"").map_err(|e| Error::io(&success, e))
}

/// One task attempt: write into its own folder, then commit by renaming into the job's
/// temporary folder. A failed attempt removes its folder and commits nothing.
fn run_task<T: Data>(
    job_temp: &Path,
    attempts: &Path,
    ctx: &TaskContext,
    num_partitions: usize,
    values: BoxIter<T>,
    write: PartWriter<T>,
) -> Result<()> {
    let p = ctx.partition_id;
    let attempt_dir = attempt_folder(attempts, p, ctx.attempt_number)?;
    let result = write(&attempt_dir, ctx, num_partitions, values).and_then(|file| {
        let committed = job_temp.join(committed_name(p));
        std::fs::rename(&file, &committed).map_err(|e| Error::io(&committed, e))
    });
    // Best effort: a leftover attempt folder is removed with `_temporary` by the job.
    let _ = std::fs::remove_dir_all(&attempt_dir);
    result
}

/// Makes this attempt's own folder, `attempt_<p>_<attempt>[_<k>]`: a folder of the same name
/// can only belong to an attempt of a resubmitted stage that is still running (its task
/// numbers attempts again from 0), so the next free suffix is taken. `create_dir`, never
/// `create_dir_all`: once the job removed `_temporary`, a late attempt fails here.
fn attempt_folder(attempts: &Path, p: usize, attempt: u32) -> Result<PathBuf> {
    for k in 0..1000u32 {
        let name = match k {
            0 => format!("attempt_{p}_{attempt}"),
            k => format!("attempt_{p}_{attempt}_{k}"),
        };
        let dir = attempts.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&dir, e)),
        }
    }
    Err(Error::io_message(
        attempts,
        format!("no free attempt folder for partition {p}, attempt {attempt}"),
    ))
}

/// The name of partition p's committed file in the job's temporary folder.
fn committed_name(p: usize) -> String {
    format!("task_{p}-{}", file::part_file_name(p))
}

/// Hadoop's `commitJob`: every committed task file moves to its final name.
fn commit_job(out: &Path, job_temp: &Path, num_partitions: usize) -> Result<()> {
    for p in 0..num_partitions {
        let from = job_temp.join(committed_name(p));
        let to = out.join(file::part_file_name(p));
        std::fs::rename(&from, &to).map_err(|e| Error::io(&from, e))?;
    }
    Ok(())
}

/// A text part: one element per line, Scala's `toString`.
fn write_text_part<T: Data>(
    dir: &Path,
    ctx: &TaskContext,
    _num_partitions: usize,
    values: BoxIter<T>,
) -> Result<PathBuf> {
    let path = dir.join(file::part_file_name(ctx.partition_id));
    let f = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
    for v in values {
        let line = crate::scala_string::scala_string(&v).unwrap_or_else(|| format!("{v:?}"));
        w.write_all(line.as_bytes())
            .and_then(|()| w.write_all(b"\n"))
            .map_err(|e| Error::io(&path, e))?;
    }
    w.flush().map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// An object part: batches of [`OBJECT_BATCH`] elements in the checkpoint file format.
fn write_object_part<T: Data>(
    dir: &Path,
    ctx: &TaskContext,
    num_partitions: usize,
    mut values: BoxIter<T>,
) -> Result<PathBuf> {
    let batches = std::iter::from_fn(move || {
        let batch: Vec<T> = values.by_ref().take(OBJECT_BATCH).collect();
        (!batch.is_empty()).then_some(batch)
    });
    file::write_partition(
        dir,
        ctx.partition_id,
        num_partitions,
        ctx.attempt_number,
        batches,
    )
}

/// The RDD under `sc.object_file`: partition i reads `part-i` (batches of elements), checked
/// whole before its first element is returned. Spark reads a SequenceFile through a
/// `HadoopRDD` named after its path; so is this one.
pub(crate) struct ObjectFileRdd<T> {
    core: RddCore,
    dir: PathBuf,
    parts: usize,
    _t: std::marker::PhantomData<fn() -> T>,
}

/// Opens a folder written by `save_as_object_file`: a missing folder is Spark's "Input path
/// does not exist" (`Error::Io`); the part files must run from `part-00000` without gaps
/// and the first must record as many partitions as there are files
/// (`Error::CorruptCheckpoint` naming the file otherwise).
pub(crate) fn object_file<T: Data>(sc: &SparkContext, dir: &Path) -> Result<Rdd<T>> {
    if !dir.exists() {
        return Err(Error::io_message(
            dir,
            format!("Input path does not exist: {}", file_uri(dir)),
        ));
    }
    let files = file::list_part_files(dir)?;
    if let Some(first) = files.first() {
        let written = file::PartitionReader::<()>::open_header(first)?;
        if written != files.len() as u64 {
            return Err(Error::corrupt(
                first,
                format!(
                    "object file of {written} partitions, but the folder holds {} part files",
                    files.len()
                ),
            ));
        }
    }
    let mut core = RddCore::new(sc, "objectFile");
    *core.name.get_mut() = Some(file_uri(dir));
    let rdd: Rdd<Vec<T>> = Rdd::from_arc(Arc::new(ObjectFileRdd::<Vec<T>> {
        core,
        dir: dir.to_path_buf(),
        parts: files.len(),
        _t: std::marker::PhantomData,
    }));
    Ok(rdd.flat_map_named_batches())
}

impl<T: Data> Rdd<Vec<T>> {
    /// Spark's `flatMap(deserialize[Array[T]])` of `objectFile`.
    fn flat_map_named_batches(&self) -> Rdd<T> {
        self.map_partitions_named(
            "objectFile",
            false,
            Arc::new(|_, it| part_iter(it.flatten())),
        )
    }
}

impl<T: Data> RddBase for ObjectFileRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.parts
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

impl<T: Data> TypedRdd<T> for ObjectFileRdd<T> {
    fn compute(&self, split: usize, _ctx: &TaskContext) -> ComputeResult<T> {
        let path = self.dir.join(file::part_file_name(split));
        let read = file::PartitionReader::<T>::open(&path)
            .and_then(|reader| reader.check_place(split, self.parts).map(|()| reader))
            .and_then(file::PartitionReader::read_all);
        Ok(part_iter(read.map_err(TaskError::Cause)?.into_iter()))
    }
}
