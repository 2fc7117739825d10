//! Reliable checkpoint files: how one partition of a checkpointed RDD sits on disk (the file side
//! of Spark's `ReliableCheckpointRDD` and its companion object).
//!
//! A checkpoint directory `<checkpoint dir>/<uuid>/rdd-<id>/` holds one file per partition,
//! `part-00000`, `part-00001`, … (`part-%05d`, wider past 99999), plus an optional
//! `_partitioner`. A task writes its partition to `.part-NNNNN-attempt-A` and then moves it to
//! `part-NNNNN`; if that name is already taken, another attempt of the same task won, and the
//! existing file is kept (Spark's rule). Files whose names start with `.` are never read.
//!
//! # Format (version 2)
//!
//! All integers are little endian.
//!
//! | offset | size | field |
//! |-------:|-----:|-------|
//! | 0      | 8    | magic bytes `89 53 50 4B 43 4B 50 54` (`\x89SPKCKPT`) |
//! | 8      | 4    | format version, `u32` = 2 |
//! | 12     | 4    | `serializer::SERIALIZER_ID` of the writer, `u32` |
//! | 16     | 8    | element count, `u64` |
//! | 24     | 8    | payload length in bytes, `u64` |
//! | 32     | 8    | payload checksum: XXH64 (seed 0) of the payload, `u64` |
//! | 40     | 8    | partition index of this part, `u64` |
//! | 48     | 8    | partition count of the checkpointed RDD, `u64` |
//! | 56     | 8    | header checksum: XXH64 (seed 0) of bytes 0..56, `u64` |
//! | 64     | payload length | the elements, each encoded by `crate::serializer`, back to back |
//!
//! Version 2 added the partition index and count, so that a part deleted, duplicated or swapped
//! in a checkpoint folder is found (each file is valid on its own; only its place is wrong).
//! Spark's part files carry no such fields. Version 1 files are refused with a message saying
//! to recompute the checkpoint.
//!
//! The writer serializes elements into a 1 MiB buffer, hashes the fresh bytes every 32 KiB while
//! they are in cache, and hands each full buffer to a `checkpoint-writer` helper thread (started
//! only once a partition outgrows one buffer) so that the kernel's copy overlaps serializing the
//! next; it writes the header last, seeking back to offset 0. A file is thus written in one pass,
//! without fsync, and only renamed into place once complete. The reader hashes each 1 MiB it
//! reads and decodes from the same buffer. `_partitioner` uses the same framing with exactly one
//! element, the partitioner's serialized bytes as a `Vec<u8>`.
//!
//! # Invariants
//!
//! - **A file is accepted only if every check passes**, in this order: it exists; it holds at
//!   least a header; magic; version; header checksum; serializer id; file length is exactly
//!   64 + payload length (so truncation and trailing bytes are found from the file's size alone,
//!   before any payload is read); then, while decoding, exactly `count` elements fill exactly the
//!   payload, whose checksum matches (an element that fails to decode is reported as damage if
//!   the checksum fails, else as "does not decode as T"). A reader of a checkpoint RDD also
//!   checks the partition index and count against the file's place. Any failure is
//!   [`Error::CorruptCheckpoint`] naming the file; only other I/O failures (permissions, EIO) are
//!   [`Error::Io`].
//! - **Nothing is allocated from an untrusted length beyond the bytes present**: the file's size
//!   comes from its metadata, never from reading it whole; each element is decoded with a limit
//!   of the payload bytes not yet read, and the result vector's capacity is capped by the
//!   payload length.
//! - **Work is bounded by the bytes present**: a count larger than the payload's bytes is refused
//!   before decoding (every element of a non-zero-sized type takes at least one byte, which the
//!   writer checks too); zero-sized elements are capped at [`MAX_ZERO_SIZED_ELEMENTS`].
//! - **No input makes this module panic**, whatever the bytes (tested by property tests).
//! - **Only complete files ever carry a final name**: the temp file this call created is deleted
//!   on every error (and on a panic of the values iterator), and a final file is never replaced.
//!
//! # Layout of the module
//!
//! Split by direction: `write.rs` is the streaming writer and the attempt race, `read.rs` the
//! streaming [`PartitionReader`] that every read goes through; this file holds the format
//! (names, header) and the folder-level files (part listing, `_partitioner`, blob files).

mod read;
mod write;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::serializer;
use crate::xxh64::{read_u64, xxh64};

#[cfg(test)]
use crate::xxh64::Xxh64;
pub use read::{read_partition, PartitionReader};
#[cfg(test)]
use serde::de::DeserializeOwned;
#[cfg(test)]
use std::fs::OpenOptions;
pub use write::write_partition;
use write::{write_framed, TempFile};

/// The first eight bytes of every checkpoint file.
pub const MAGIC: [u8; 8] = *b"\x89SPKCKPT";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 2;
/// Length of the fixed header that precedes the payload.
pub const HEADER_LEN: usize = 64;
/// A partition of zero-sized elements (`()`) may hold at most this many: their count is the only
/// thing on disk, and a corrupt count must not make a reader loop for hours.
pub const MAX_ZERO_SIZED_ELEMENTS: u64 = 1 << 32;
/// Name of the file holding the RDD's partitioner (Spark's `checkpointPartitionerFileName`).
pub const PARTITIONER_FILE_NAME: &str = "_partitioner";

/// Size of the write and read buffers.
const IO_BUF: usize = 1 << 20;
/// The writer hashes fresh bytes in steps of this size, while they are still in the L1/L2 cache.
const HASH_STEP: usize = 1 << 15;

/// `part-%05d`: the checkpoint file name of partition `index` (Spark's `checkpointFileName`).
///
/// ```
/// use sparklet::checkpoint::file::part_file_name;
/// assert_eq!(part_file_name(7), "part-00007");
/// assert_eq!(part_file_name(123456), "part-123456");
/// ```
pub fn part_file_name(index: usize) -> String {
    format!("part-{index:05}")
}

/// `.part-%05d-attempt-<n>`: where attempt `attempt` of partition `index` writes before renaming.
pub fn temp_file_name(index: usize, attempt: u32) -> String {
    format!(".{}-attempt-{attempt}", part_file_name(index))
}

/// Where a part file belongs: its partition index and the RDD's partition count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place {
    index: u64,
    num_partitions: u64,
}

/// Writes the serialized partitioner to `dir/_partitioner` (same framing, one element), via a
/// temp file so that a reader never sees half of it. Spark treats this write as best effort: the
/// caller may ignore the error.
pub fn write_partitioner_file(dir: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let final_path = dir.join(PARTITIONER_FILE_NAME);
    write_blob_file(&final_path, bytes)?;
    Ok(final_path)
}

/// Writes `bytes` as a framed one-element file at `path`, atomically (a temp file renamed into
/// place), replacing what was there. Used for `_partitioner` and streaming metadata
/// checkpoints, which only the driver writes.
pub fn write_blob_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let temp_path = path.with_file_name(format!(".{name}-tmp"));
    // Only the driver writes these files: a temp file left by a crashed earlier write is stale.
    let _ = fs::remove_file(&temp_path);
    let place = Place {
        index: 0,
        num_partitions: 1,
    };
    write_framed(&temp_path, place, std::iter::once(bytes))?;
    let mut guard = TempFile::new(&temp_path);
    fs::rename(&temp_path, path).map_err(|e| Error::io(path, e))?;
    guard.disarm();
    Ok(())
}

/// Reads what [`write_blob_file`] wrote; any damage is `Error::CorruptCheckpoint` naming `path`.
pub fn read_blob_file(path: &Path) -> Result<Vec<u8>> {
    let mut elements = read_partition::<Vec<u8>>(path)?;
    match (elements.len(), elements.pop()) {
        (1, Some(bytes)) => Ok(bytes),
        (n, _) => Err(Error::corrupt(
            path,
            format!("expected exactly one element, found {n}"),
        )),
    }
}

/// Reads `dir/_partitioner`: `Ok(None)` if there is none, an error if it is damaged. Spark
/// downgrades a damaged partitioner file to "no partitioner" (with a warning): so should the
/// caller.
///
/// ```
/// use sparklet::checkpoint::file::{read_partitioner_file, write_partitioner_file};
/// let dir = tempfile::tempdir().unwrap();
/// assert_eq!(read_partitioner_file(dir.path()).unwrap(), None);
/// write_partitioner_file(dir.path(), b"hash:4").unwrap();
/// assert_eq!(read_partitioner_file(dir.path()).unwrap(), Some(b"hash:4".to_vec()));
/// ```
pub fn read_partitioner_file(dir: &Path) -> Result<Option<Vec<u8>>> {
    let path = dir.join(PARTITIONER_FILE_NAME);
    match fs::metadata(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
        Ok(_) => {}
    }
    read_blob_file(&path).map(Some)
}

/// The part files of a checkpoint directory, in partition order (Spark's
/// `ReliableCheckpointRDD.getPartitions`).
///
/// Files named `part-*` are sorted by their numeric suffix, and the i-th must be exactly
/// `part-%05d` of i; a gap, a duplicate or a suffix that is not a number is
/// [`Error::CorruptCheckpoint`] naming that file ("Invalid checkpoint file"). A missing
/// directory is [`Error::CorruptCheckpoint`] too. Temp files (`.part-…`) and `_partitioner` are
/// not part files; a directory without part files has 0 partitions.
///
/// ```
/// use sparklet::checkpoint::file::{list_part_files, write_partition};
/// let dir = tempfile::tempdir().unwrap();
/// assert!(list_part_files(dir.path()).unwrap().is_empty());
/// write_partition(dir.path(), 0, 2, 0, [1u8].into_iter()).unwrap();
/// write_partition(dir.path(), 1, 2, 0, [2u8].into_iter()).unwrap();
/// assert_eq!(list_part_files(dir.path()).unwrap().len(), 2);
/// ```
pub fn list_part_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::corrupt(dir, "Checkpoint directory does not exist"));
        }
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut parts = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let Some(suffix) = name.strip_prefix("part-") else {
            continue;
        };
        let number = Some(suffix)
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<usize>().ok());
        match number {
            Some(n) => parts.push((n, name, path)),
            None => {
                let reason = format!("Invalid checkpoint file: {name} has no partition number");
                return Err(Error::corrupt(path, reason));
            }
        }
    }
    parts.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let total = parts.len();
    let mut files = Vec::with_capacity(total);
    for (i, (_, name, path)) in parts.into_iter().enumerate() {
        let expected = part_file_name(i);
        if name != expected {
            let reason = format!(
                "Invalid checkpoint file: file {i} of {total} should be {expected} \
                 (part files are numbered from part-00000 without gaps or duplicates)"
            );
            return Err(Error::corrupt(path, reason));
        }
        files.push(path);
    }
    Ok(files)
}

/// The fixed header of the table in the module docs.
struct Header {
    serializer_id: u32,
    count: u64,
    payload_len: u64,
    payload_checksum: u64,
    place: Place,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut raw = [0u8; HEADER_LEN];
        raw[0..8].copy_from_slice(&MAGIC);
        raw[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        raw[12..16].copy_from_slice(&self.serializer_id.to_le_bytes());
        raw[16..24].copy_from_slice(&self.count.to_le_bytes());
        raw[24..32].copy_from_slice(&self.payload_len.to_le_bytes());
        raw[32..40].copy_from_slice(&self.payload_checksum.to_le_bytes());
        raw[40..48].copy_from_slice(&self.place.index.to_le_bytes());
        raw[48..56].copy_from_slice(&self.place.num_partitions.to_le_bytes());
        let header_checksum = xxh64(&raw[0..56], 0);
        raw[56..64].copy_from_slice(&header_checksum.to_le_bytes());
        raw
    }

    /// Checks the magic bytes and the version in what is present of a header (a file shorter
    /// than them is left to the length check).
    fn check_magic_and_version(path: &Path, raw: &[u8]) -> Result<()> {
        if raw.len() >= 8 && raw[0..8] != MAGIC {
            return Err(Error::corrupt(
                path,
                format!(
                    "not a sparklet checkpoint file (magic bytes {:02x?})",
                    &raw[0..8]
                ),
            ));
        }
        let Some(version) = raw.get(8..12) else {
            return Ok(());
        };
        let version = u32::from_le_bytes([version[0], version[1], version[2], version[3]]);
        if version == 1 {
            return Err(Error::corrupt(
                path,
                format!(
                    "checkpoint format version 1 (written by an older sparklet, without partition \
                 index and count) is no longer read; this build reads version {FORMAT_VERSION}: \
                 delete the checkpoint and let it be written again"
                ),
            ));
        }
        if version != FORMAT_VERSION {
            return Err(Error::corrupt(
                path,
                format!(
                    "unsupported checkpoint format version {version} \
                 (this build reads version {FORMAT_VERSION})"
                ),
            ));
        }
        Ok(())
    }

    /// Checks magic, version, header checksum and serializer, in that order; any failure is
    /// [`Error::CorruptCheckpoint`] naming `path`.
    fn decode(path: &Path, raw: &[u8; HEADER_LEN]) -> Result<Header> {
        let u32_at =
            |at: usize| u32::from_le_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]]);
        let u64_at = |at: usize| read_u64(&raw[at..at + 8]);
        Header::check_magic_and_version(path, raw)?;
        let (stored, computed) = (u64_at(56), xxh64(&raw[0..56], 0));
        if stored != computed {
            return Err(Error::corrupt(
                path,
                format!(
                    "header checksum mismatch (stored {stored:016x}, computed {computed:016x})"
                ),
            ));
        }
        let serializer_id = u32_at(12);
        if serializer_id != serializer::SERIALIZER_ID {
            return Err(Error::corrupt(
                path,
                format!(
                    "written with serializer {serializer_id}, this build reads serializer {}",
                    serializer::SERIALIZER_ID
                ),
            ));
        }
        Ok(Header {
            serializer_id,
            count: u64_at(16),
            payload_len: u64_at(24),
            payload_checksum: u64_at(32),
            place: Place {
                index: u64_at(40),
                num_partitions: u64_at(48),
            },
        })
    }
}

#[cfg(test)]
mod tests;
