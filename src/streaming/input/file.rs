//! `FileInputDStream` (Spark's `textFileStream`): each batch, the new files of a folder.
//!
//! At every batch the folder is listed and the files that are *new* for that batch become its
//! RDD: the union of one `text_file` RDD per file (Spark's `UnionRDD` of `newAPIHadoopFile`s),
//! in file name order; with no new file the batch is an empty RDD. Each file is read once.
//!
//! A file is new for the batch at `t` when:
//!
//! 1. it is a regular file whose name starts with neither `.` nor `_` (hidden files, and
//!    Hadoop's `_SUCCESS`-style markers; sub-folders are not entered);
//! 2. it was not already in the folder when the context started (Spark's `newFilesOnly`);
//! 3. its modification time is after the trailing edge of the *remember window*: `now - R`,
//!    where `R` is at least one minute, rounded up to whole batches (Spark's
//!    `MIN_REMEMBER_DURATION` and `calculateNumBatchesToRemember`);
//! 4. with the system clock, its modification time is not after `t` (Spark defers such a file
//!    to a later batch);
//! 5. it was not selected by an earlier batch. The selected files are remembered until their
//!    modification time leaves the remember window, after which rule 3 ignores them anyway, so
//!    the memory held stays bounded.
//!
//! Files should appear in the folder whole (written elsewhere, then moved in), as Spark asks:
//! a file still being written may be read half-written, and is not read again.
//!
//! A folder that cannot be listed (missing, unreadable) makes the batch empty, as Spark's
//! warning does, and the error is reported by the next call that returns a `Result`
//! (`run_batches`, `await_termination_or_timeout`).
//!
//! # Departures from Spark
//!
//! * **"Now" under the manual clock.** Spark compares modification times, which are wall times,
//!   with the batch time. With [`StreamingContext::with_manual_clock`] batch times start at 0,
//!   so "now" in rules 3 and 4 is the wall time of the listing instead: rule 4 then only defers
//!   files stamped in the future, and rule 3 ignores files modified more than `R` of wall time
//!   before the listing. With the system clock, "now" is the batch time, as in Spark.
//! * **Existing files** are those listed when the context starts (rule 2), where Spark ignores
//!   every file modified before the stream was created. A file system stamps files with a
//!   coarser clock than the one programs read, so a file written just after start could look
//!   older than the start: the listing makes "written after start" exact. A file moved in with
//!   an old modification time is therefore read if it is within the remember window.
//!
//! [`StreamingContext::with_manual_clock`]: crate::streaming::StreamingContext::with_manual_clock

use std::any::Any;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::streaming::clock::{Clock, SystemClock};
use crate::streaming::dstream::{DStreamBase, DStreamCore, TypedDStream};
use crate::streaming::env::StreamingEnv;
use crate::streaming::graph::InputDStream;
use crate::streaming::time::{Duration, DurationMillis, Time};
use crate::Rdd;

/// Spark's `FileInputDStream.MIN_REMEMBER_DURATION`: files are remembered at least this long.
pub(crate) const MIN_REMEMBER_DURATION: Duration = Duration::minutes(1);

pub(crate) struct FileInputDStream {
    core: DStreamCore,
    directory: PathBuf,
    slide: Duration,
    /// `R`: whole batches covering at least [`MIN_REMEMBER_DURATION`].
    duration_to_remember: Duration,
    /// True with the system clock: batch times are wall times and bound modification times.
    batch_time_is_wall_time: bool,
    files: Mutex<SelectedFiles>,
}

/// What the stream remembers of the files it has seen.
#[derive(Default)]
struct SelectedFiles {
    /// Files already selected, or present at start: path → modification time (ms).
    seen: HashMap<PathBuf, u64>,
    /// The trailing edge of the remember window at the last listing; it never moves back, even
    /// if the wall clock does, so a forgotten file is never selected again.
    ignore_threshold: u64,
}

impl FileInputDStream {
    pub(crate) fn new(
        ssc: &Arc<StreamingEnv>,
        directory: &Path,
        batch_time_is_wall_time: bool,
    ) -> FileInputDStream {
        let slide = ssc.batch_duration;
        let batches = MIN_REMEMBER_DURATION.milliseconds_ceil_div(slide);
        let duration_to_remember = slide * batches;
        let core = DStreamCore::new(ssc, false);
        // Spark's constructor calls `remember(durationToRemember)`.
        *core.remember_duration.lock() = Some(duration_to_remember);
        FileInputDStream {
            core,
            directory: directory.to_path_buf(),
            slide,
            duration_to_remember,
            batch_time_is_wall_time,
            files: Mutex::new(SelectedFiles::default()),
        }
    }

    /// Spark's `findNewFiles`: the files new for the batch whose "now" is `now` (ms), sorted.
    fn find_new_files(&self, now: u64) -> Result<Vec<PathBuf>> {
        let listing = list_visible_files(&self.directory)?;
        let mut files = self.files.lock();
        let threshold = files
            .ignore_threshold
            .max(now.saturating_sub(self.duration_to_remember.milliseconds()));
        files.ignore_threshold = threshold;
        files.seen.retain(|_, modified| *modified > threshold);
        let mut new_files = Vec::new();
        for (path, modified) in listing {
            // `<=` as in Spark (SPARK-4518): a file at the threshold may already be forgotten.
            if modified <= threshold || modified > now || files.seen.contains_key(&path) {
                continue;
            }
            files.seen.insert(path.clone(), modified);
            new_files.push(path);
        }
        new_files.sort();
        Ok(new_files)
    }

    /// Spark's `filesToRDD`: the union of one text file RDD per file. A file that cannot be
    /// read is left out and reported.
    fn files_to_rdd(&self, files: Vec<PathBuf>) -> Result<Rdd<String>> {
        let sc = &self.core.sc;
        let mut rdds = Vec::with_capacity(files.len());
        for file in files {
            match sc.text_file(&file, 1) {
                Ok(rdd) => {
                    if rdd.num_partitions() == 0 {
                        log::warn!(
                            target: crate::logging::FILE_INPUT_DSTREAM,
                            "File {} has no data in it. Files should be moved into the \
                                 monitored folder once written whole.",
                            file.display()
                        );
                    }
                    rdds.push(rdd);
                }
                Err(e) => self.report(e)?,
            }
        }
        Ok(crate::rdd::handle::union_all(sc, rdds))
    }

    /// Warns and records `e` for the next `Result`-returning call of the context.
    fn report(&self, e: Error) -> Result<()> {
        log::warn!(target: crate::logging::FILE_INPUT_DSTREAM, "Error finding new files: {e}");
        self.core.ssc()?.report(e);
        Ok(())
    }
}

/// The visible regular files of `dir` with their modification times (ms since the epoch).
/// Entries that vanish while being listed are skipped.
fn list_visible_files(dir: &Path) -> Result<Vec<(PathBuf, u64)>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io_context(dir, "cannot list the folder of a file stream", e))?;
    let mut files = Vec::new();
    for entry in entries {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let modified = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        files.push((path, modified));
    }
    Ok(files)
}

impl DStreamBase for FileInputDStream {
    fn core(&self) -> &DStreamCore {
        &self.core
    }
    fn slide_duration(&self) -> Duration {
        self.slide
    }
    fn dependencies(&self) -> Vec<Arc<dyn DStreamBase>> {
        Vec::new()
    }
    fn class_name(&self) -> &'static str {
        "FileInputDStream"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl InputDStream for FileInputDStream {
    /// Records the files already in the folder: they are not new (rule 2). A folder that cannot
    /// be listed now is reported by the first batch instead.
    fn start(&self) -> Result<()> {
        if let Ok(existing) = list_visible_files(&self.directory) {
            self.files.lock().seen.extend(existing);
        }
        Ok(())
    }
}

impl TypedDStream<String> for FileInputDStream {
    fn compute(&self, time: Time) -> Result<Option<Rdd<String>>> {
        let now = if self.batch_time_is_wall_time {
            time.milliseconds()
        } else {
            SystemClock.time_ms()
        };
        let files = match self.find_new_files(now) {
            Ok(files) => files,
            Err(e) => {
                self.report(e)?;
                Vec::new()
            }
        };
        // Spark's `FileInputDStream` reports the batch's files with 0 records (its metadata
        // has only the files). A second computation of the same batch keeps the first report.
        let info = crate::streaming::input_info::StreamInputInfo {
            input_stream_id: self.core.id,
            num_records: 0,
        };
        let _ = self.core.ssc()?.input_info_tracker.report_info(time, info);
        Ok(Some(self.files_to_rdd(files)?))
    }
}
