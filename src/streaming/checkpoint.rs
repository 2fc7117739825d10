//! Streaming metadata checkpoints and recovery (Spark's `Checkpoint`, `CheckpointWriter`,
//! `CheckpointReader`, `DStreamCheckpointData`).
//!
//! After each batch's jobs are generated, and again after they complete, the context writes a
//! metadata checkpoint `checkpoint-<batch ms>` (the second write of a batch goes to
//! `checkpoint-<ms>.bk`, as in Spark) into its checkpoint folder: the batch time, the zero
//! time, the batch duration, the pending batch, for every stream the folders of its
//! checkpointed RDDs by batch time, and what input streams need to replay batches. Files are
//! framed and checksummed like RDD checkpoint files and written atomically; the newest 10 are
//! kept.
//!
//! `StreamingContext::get_or_create(dir, create)` reads the newest readable checkpoint (newest
//! first; a damaged one is skipped with a warning, and if none is readable that is
//! `Error::CorruptCheckpoint`), calls `create` to rebuild the graph — Rust cannot deserialize
//! closures, so the program builds the same streams again, and they are matched by creation
//! order — then restores each stream's checkpointed RDDs from their folders and resumes at the
//! checkpoint's batch, which runs again (Spark's at-least-once boundary re-run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::checkpoint::file::{read_blob_file, write_blob_file};
use crate::error::{Error, Result};
use crate::serializer;
use crate::streaming::dstream::StreamId;
use crate::streaming::time::{Duration, Time};

/// How many metadata checkpoint files are kept.
const KEEP: usize = 10;

/// What a metadata checkpoint holds (Spark's `Checkpoint`).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Checkpoint {
    pub(crate) checkpoint_time: Time,
    pub(crate) zero_time: Time,
    pub(crate) batch_duration: Duration,
    pub(crate) pending_times: Vec<Time>,
    /// Stream id → (batch time → checkpoint folder of that batch's RDD).
    pub(crate) stream_files: BTreeMap<StreamId, Vec<(Time, PathBuf)>>,
    /// Input stream id → the input's own state (e.g. which queued batches each time took).
    pub(crate) input_states: BTreeMap<StreamId, Vec<u8>>,
    /// Every stream of the graph that wrote it, by id: what `start()` checks the rebuilt graph
    /// against before restoring anything.
    pub(crate) streams: Vec<StreamRecord>,
}

/// What a metadata checkpoint records of one stream of the graph.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct StreamRecord {
    pub(crate) id: StreamId,
    /// Spark's class name (`MappedDStream`, `StateDStream`, ...).
    pub(crate) class_name: String,
    /// The Rust type name of the stream's elements.
    pub(crate) element_type: String,
}

impl std::fmt::Display for StreamRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stream {} ({} of {})",
            self.id, self.class_name, self.element_type
        )
    }
}

/// Checks that the rebuilt graph's streams are the checkpoint's, stream by stream: an error
/// naming the first stream that differs (the program must build the same streams, in the same
/// order, as the one that wrote the checkpoint).
pub(crate) fn check_graph_matches(
    dir: &Path,
    written: &[StreamRecord],
    rebuilt: &[StreamRecord],
) -> Result<()> {
    let mismatch = |what: String| {
        Err(Error::IllegalState(format!(
            "The DStream graph does not match the checkpoint in {}: {what}. Recovery needs \
             create() to build the same streams, in the same order, as the program that wrote \
             the checkpoint",
            dir.display()
        )))
    };
    for (i, w) in written.iter().enumerate() {
        match rebuilt.get(i) {
            Some(r) if r == w => {}
            Some(r) => return mismatch(format!("{r} was {w} when the checkpoint was written")),
            None => return mismatch(format!("{w} of the checkpoint is missing")),
        }
    }
    if let Some(extra) = rebuilt.get(written.len()) {
        return mismatch(format!("{extra} is not in the checkpoint"));
    }
    Ok(())
}

/// `checkpoint-<ms>` or `checkpoint-<ms>.bk`: the time and whether it is the backup name.
fn parse_name(name: &str) -> Option<(u64, bool)> {
    let rest = name.strip_prefix("checkpoint-")?;
    let (digits, bk) = match rest.strip_suffix(".bk") {
        Some(d) => (d, true),
        None => (rest, false),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, bk))
}

/// The metadata checkpoint files of a folder, newest first (Spark's `getCheckpointFiles`:
/// files only, matched on the file name; for one time the `.bk` file is the newer).
pub(crate) fn checkpoint_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(key) = parse_name(&name) {
            if entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                files.push((key, entry.path()));
            }
        }
    }
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    Ok(files.into_iter().map(|(_, p)| p).collect())
}

/// Writes a metadata checkpoint for `checkpoint.checkpoint_time` (to the `.bk` name when the
/// plain one exists), then keeps only the newest files.
pub(crate) fn write(dir: &Path, checkpoint: &Checkpoint) -> Result<PathBuf> {
    let bytes = serializer::serialize(checkpoint)
        .map_err(|e| Error::IllegalState(format!("cannot serialize checkpoint: {e}")))?;
    let name = format!("checkpoint-{}", checkpoint.checkpoint_time.milliseconds());
    let mut path = dir.join(&name);
    if path.exists() {
        path = dir.join(format!("{name}.bk"));
    }
    write_blob_file(&path, &bytes)?;
    for old in checkpoint_files(dir)?.into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(old);
    }
    Ok(path)
}

/// Reads the newest readable metadata checkpoint of `dir`: `Ok(None)` when there is none, an
/// error naming the newest file when every one is damaged.
pub(crate) fn read_latest(dir: &Path) -> Result<Option<Checkpoint>> {
    let files = checkpoint_files(dir)?;
    let mut first_error = None;
    for f in &files {
        let read = read_blob_file(f).and_then(|bytes| {
            serializer::deserialize_bounded::<Checkpoint>(&bytes)
                .map_err(|e| Error::corrupt(f, e.to_string()))
        });
        match read {
            Ok(c) => return Ok(Some(c)),
            Err(e) => {
                log::warn!(
                    target: crate::logging::CHECKPOINT_READER,
                    "Error reading checkpoint from file {}: {e}",
                    f.display()
                );
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(ms: u64) -> Checkpoint {
        Checkpoint {
            checkpoint_time: Time::new(ms),
            batch_duration: Duration::seconds(1),
            ..Default::default()
        }
    }

    #[test]
    fn names_and_order_follow_spark() {
        assert_eq!(parse_name("checkpoint-1000"), Some((1000, false)));
        assert_eq!(parse_name("checkpoint-1000.bk"), Some((1000, true)));
        assert_eq!(parse_name("checkpoint-x"), None);
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &checkpoint(1000)).unwrap();
        write(dir.path(), &checkpoint(1000)).unwrap();
        write(dir.path(), &checkpoint(2000)).unwrap();
        std::fs::create_dir(dir.path().join("checkpoint-9000")).unwrap(); // a folder is ignored
        let names: Vec<String> = checkpoint_files(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
            .collect();
        assert_eq!(
            names,
            vec!["checkpoint-2000", "checkpoint-1000.bk", "checkpoint-1000"]
        );
        assert_eq!(
            read_latest(dir.path()).unwrap().unwrap().checkpoint_time,
            Time::new(2000)
        );
    }

    #[test]
    fn a_damaged_newest_file_falls_back_and_all_damaged_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &checkpoint(1000)).unwrap();
        let newest = write(dir.path(), &checkpoint(2000)).unwrap();
        std::fs::write(&newest, b"garbage").unwrap();
        assert_eq!(
            read_latest(dir.path()).unwrap().unwrap().checkpoint_time,
            Time::new(1000)
        );
        std::fs::write(dir.path().join("checkpoint-1000"), b"more garbage").unwrap();
        match read_latest(dir.path()) {
            Err(Error::CorruptCheckpoint { path, .. }) => {
                assert!(path.ends_with("checkpoint-2000"))
            }
            other => panic!("{other:?}"),
        }
        assert!(read_latest(&dir.path().join("missing")).unwrap().is_none());
    }

    #[test]
    fn only_the_newest_ten_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for i in 1..=15 {
            write(dir.path(), &checkpoint(i * 1000)).unwrap();
        }
        assert_eq!(checkpoint_files(dir.path()).unwrap().len(), KEEP);
    }
}
