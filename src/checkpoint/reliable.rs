//! Reliable checkpoints (Spark's `ReliableRDDCheckpointData` and `ReliableCheckpointRDD`): an
//! RDD's partitions written as files `part-NNNNN` (format in [`super::file`]) under
//! `<checkpoint dir>/rdd-<id>`, plus `_partitioner` when the RDD has one.
//!
//! Writing is a separate job over the RDD; each task streams its partition into
//! `.part-NNNNN-attempt-A` and renames it. Reading is a `ReliableCheckpointRDD` whose partition
//! i is file `part-i`: it has no parents, so after a checkpoint no executor loss can send a
//! task back to the old lineage.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use crate::checkpoint::file;
use crate::checkpoint::CheckpointWriter;
use crate::context::SparkContext;
use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::partitioner::Partitioner;
use crate::rdd::{num_partitions, part_iter, ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{TaskContext, TaskError};
use crate::serializer;

/// Writes one RDD's reliable checkpoint.
pub(crate) struct ReliableWriter<T: Data> {
    rdd: Weak<dyn TypedRdd<T>>,
    dir: PathBuf,
}

impl<T: Data> ReliableWriter<T> {
    pub(crate) fn new(rdd: Weak<dyn TypedRdd<T>>, dir: PathBuf) -> Self {
        ReliableWriter { rdd, dir }
    }
}

impl<T: Data> CheckpointWriter for ReliableWriter<T> {
    /// Spark's `writeRDDToCheckpointDirectory`.
    fn write(&self) -> Result<(Arc<dyn RddBase>, Arc<dyn Any + Send + Sync>)> {
        let rdd = self
            .rdd
            .upgrade()
            .ok_or_else(|| Error::IllegalState("the RDD to checkpoint is gone".into()))?;
        let sc = rdd.core().sc.clone();
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io_context(&self.dir, "Failed to create checkpoint path", e))?;
        let dir = self.dir.clone();
        let parts = num_partitions(&*rdd);
        let partitions = (0..parts).collect();
        sc.run_job_with_context(&rdd, partitions, move |ctx, values| {
            file::write_partition(&dir, ctx.partition_id, parts, ctx.attempt_number, values)
                .map_err(TaskError::Cause)
        })?;
        let partitioner = rdd.partitioner();
        if let Some(p) = &partitioner {
            // Best effort, as in Spark: a missing `_partitioner` only loses the partitioner.
            let written = serializer::serialize(p)
                .map_err(|e| Error::corrupt(&self.dir, e.to_string()))
                .and_then(|bytes| file::write_partitioner_file(&self.dir, &bytes));
            if let Err(e) = written {
                log::warn!(
                    target: crate::logging::RELIABLE_CHECKPOINT_RDD,
                    "Error writing partitioner: {e}"
                );
            }
        }
        let cp = ReliableCheckpointRdd::<T>::open(&sc, &self.dir, partitioner)?;
        let (original, written) = (num_partitions(&*rdd), num_partitions(&cp));
        if original != written {
            return Err(Error::corrupt(
                &self.dir,
                format!(
                    "Checkpoint RDD has a different number of partitions from original RDD. \
                     Original RDD [ID: {}, num of partitions: {original}]; Checkpoint RDD \
                     [ID: {}, num of partitions: {written}].",
                    rdd.core().id,
                    cp.core().id
                ),
            ));
        }
        log::info!(
            target: crate::logging::RELIABLE_RDD_CHECKPOINT_DATA,
            "Done checkpointing RDD {} to {}, new parent is RDD {}",
            rdd.core().id,
            self.dir.display(),
            cp.core().id
        );
        let typed: Arc<dyn TypedRdd<T>> = Arc::new(cp);
        Ok((typed.clone(), Arc::new(typed)))
    }
}

/// Spark's `ReliableCheckpointRDD`: partition i is the file `part-i` of a checkpoint folder.
pub(crate) struct ReliableCheckpointRdd<T> {
    core: RddCore,
    dir: PathBuf,
    parts: usize,
    partitioner: Option<Partitioner>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Data> ReliableCheckpointRdd<T> {
    /// Opens a checkpoint folder: the part files must be `part-00000 .. part-<n-1>` with no
    /// gap, and the first must say (in its header) that the RDD had n partitions; each task
    /// checks its own file's index and count again. The partitioner is the one given, else
    /// read from `_partitioner` (an unreadable one, or one of another partition count, only
    /// loses the partitioner, with a warning, as in Spark).
    pub(crate) fn open(
        sc: &SparkContext,
        dir: &Path,
        partitioner: Option<Partitioner>,
    ) -> Result<Self> {
        let files = file::list_part_files(dir)?;
        let parts = files.len();
        if let Some(first) = files.first() {
            let written = file::PartitionReader::<()>::open_header(first)?;
            if written != parts as u64 {
                let reason = format!(
                    "Invalid checkpoint file: the checkpointed RDD had {written} partitions, the \
                     folder holds {parts} part files (a part file was deleted or added)"
                );
                return Err(Error::corrupt(first, reason));
            }
        }
        let partitioner = partitioner
            .or_else(|| read_partitioner(dir))
            .filter(|p| partitioner_fits(dir, p, parts));
        Ok(ReliableCheckpointRdd {
            core: RddCore::new(sc, "checkpoint"),
            dir: dir.to_path_buf(),
            parts,
            partitioner,
            _t: std::marker::PhantomData,
        })
    }
}

/// A `_partitioner` of another partition count than the checkpoint's is not this RDD's: trusting
/// it would let a join skip its shuffle and pair the wrong partitions.
fn partitioner_fits(dir: &Path, p: &Partitioner, parts: usize) -> bool {
    let fits = p.num_partitions() == parts;
    if !fits {
        log::warn!(
            target: crate::logging::RELIABLE_CHECKPOINT_RDD,
            "Ignoring the partitioner in {}: it has {} partitions, the checkpoint {parts}",
            dir.join(file::PARTITIONER_FILE_NAME).display(),
            p.num_partitions()
        );
    }
    fits
}

fn read_partitioner(dir: &Path) -> Option<Partitioner> {
    match file::read_partitioner_file(dir) {
        Ok(Some(bytes)) => match serializer::deserialize_bounded::<Partitioner>(&bytes) {
            Ok(p) => Some(p),
            Err(e) => {
                log::warn!(
                    target: crate::logging::RELIABLE_CHECKPOINT_RDD,
                    "Error reading partitioner from {}: {e}",
                    dir.display()
                );
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            log::warn!(
                target: crate::logging::RELIABLE_CHECKPOINT_RDD,
                "Error reading partitioner: {e}"
            );
            None
        }
    }
}

impl<T: Data> RddBase for ReliableCheckpointRdd<T> {
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
    fn partitioner(&self) -> Option<Partitioner> {
        self.partitioner.clone()
    }
    fn class_name(&self) -> &'static str {
        "ReliableCheckpointRDD"
    }
}

impl<T: Data> TypedRdd<T> for ReliableCheckpointRdd<T> {
    fn compute(&self, split: usize, _ctx: &TaskContext) -> ComputeResult<T> {
        // The file is checked whole (header, place, length, checksum, every element decodes)
        // before a value is returned, streamed through a fixed buffer: only the values are
        // held. Any failure, a value that does not decode as T included, fails the task with
        // `CorruptCheckpoint` naming the file; nothing panics.
        let path = self.dir.join(file::part_file_name(split));
        let read = file::PartitionReader::<T>::open(&path)
            .and_then(|reader| reader.check_place(split, self.parts).map(|()| reader))
            .and_then(file::PartitionReader::read_all);
        Ok(part_iter(read.map_err(TaskError::Cause)?.into_iter()))
    }
}
