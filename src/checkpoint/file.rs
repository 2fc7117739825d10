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

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender};
use std::thread::JoinHandle;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::serializer;
use crate::xxh64::{read_u64, xxh64, Xxh64};

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

/// Writes one partition to `dir/part-NNNNN` and returns that path (Spark's
/// `writePartitionToCheckpointFile`).
///
/// The values are streamed once through a buffer into `dir/.part-NNNNN-attempt-A` (created new;
/// no fsync), which is then moved to the final name without ever replacing it: if `part-NNNNN`
/// already exists, another attempt won, its file is kept and this attempt's temp file deleted.
/// On any error the temp file is deleted and [`Error::Io`] names the path at fault.
///
/// `num_partitions` is the RDD's partition count, stored in the header with `index`.
///
/// ```
/// use sparklet::checkpoint::file::{read_partition, write_partition};
/// let dir = tempfile::tempdir().unwrap();
/// let path = write_partition(dir.path(), 3, 4, 0, ["a", "b"].into_iter()).unwrap();
/// assert!(path.ends_with("part-00003"));
/// assert_eq!(read_partition::<String>(&path).unwrap(), ["a", "b"]);
/// ```
pub fn write_partition<T: Serialize>(
    dir: &Path,
    index: usize,
    num_partitions: usize,
    attempt: u32,
    values: impl Iterator<Item = T>,
) -> Result<PathBuf> {
    let final_path = dir.join(part_file_name(index));
    let temp_path = dir.join(temp_file_name(index, attempt));
    let place = Place {
        index: index as u64,
        num_partitions: num_partitions as u64,
    };
    write_framed(&temp_path, place, values)?;
    publish(&temp_path, &final_path, attempt)?;
    Ok(final_path)
}

/// Reads and fully verifies one checkpoint file (Spark's `readCheckpointFile`).
///
/// Nothing is returned unless every check of the module docs passes; any damage (missing,
/// truncated, flipped bytes, trailing bytes, another serializer, another element type) is
/// [`Error::CorruptCheckpoint`] naming `path`. The file is streamed through a
/// [`PartitionReader`]: only the decoded values are held, never the file's bytes.
pub fn read_partition<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    PartitionReader::<T>::open(path)?.read_all()
}

/// Where a part file belongs: its partition index and the RDD's partition count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place {
    index: u64,
    num_partitions: u64,
}

/// A file must be exactly the header plus the payload the header announces.
fn check_length(path: &Path, header: &Header, file_len: u64) -> Result<()> {
    let expected_len = header.payload_len.checked_add(HEADER_LEN as u64);
    if expected_len == Some(file_len) {
        return Ok(());
    }
    let present = file_len.saturating_sub(HEADER_LEN as u64);
    let reason = if present < header.payload_len {
        format!(
            "truncated: header says {} payload bytes, only {present} present",
            header.payload_len
        )
    } else {
        format!(
            "{} unexpected bytes after the {}-byte payload",
            present - header.payload_len,
            header.payload_len
        )
    };
    Err(Error::corrupt(path, reason))
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

/// A streaming reader of one checkpoint file: yields its elements one at a time in constant
/// memory.
///
/// `open` checks everything but the payload (header, sizes). The payload checksum is verified as
/// the last element is decoded: if it fails, that element is replaced by the error, so a caller
/// that reads to the end never keeps a value from a damaged file without seeing an `Err`. After
/// an `Err` the iterator ends.
pub struct PartitionReader<T> {
    path: PathBuf,
    input: PayloadReader,
    count: u64,
    decoded: u64,
    payload_checksum: u64,
    place: Place,
    done: bool,
    _elements: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> PartitionReader<T> {
    /// Opens `path` and checks its header and size against the module's format.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::corrupt(path, "checkpoint file does not exist"),
            _ => Error::io(path, e),
        })?;
        Self::open_file(path, file, true)
    }

    /// The checks of `open` on an open file; `count_as_t` also bounds the count for `T`.
    fn open_file(path: &Path, mut file: File, count_as_t: bool) -> Result<Self> {
        let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut raw = [0u8; HEADER_LEN];
        let present = usize::try_from(file_len).map_or(HEADER_LEN, |n| n.min(HEADER_LEN));
        file.read_exact(&mut raw[..present])
            .map_err(|e| read_error(path, e))?;
        // Magic and version first, so that an older, shorter header is named as such.
        Header::check_magic_and_version(&raw[..present])
            .map_err(|reason| Error::corrupt(path, reason))?;
        if present < HEADER_LEN {
            let reason =
                format!("truncated: {file_len} bytes, less than the {HEADER_LEN}-byte header");
            return Err(Error::corrupt(path, reason));
        }
        let header = Header::decode(&raw).map_err(|reason| Error::corrupt(path, reason))?;
        check_length(path, &header, file_len)?;
        if count_as_t {
            check_count::<T>(path, &header)?;
        }
        Ok(PartitionReader {
            path: path.to_path_buf(),
            input: PayloadReader::new(file, header.payload_len),
            count: header.count,
            decoded: 0,
            payload_checksum: header.payload_checksum,
            place: header.place,
            done: false,
            _elements: PhantomData,
        })
    }

    /// Checks the header of `path` (not the payload) and returns the RDD's partition count it
    /// records.
    pub fn open_header(path: &Path) -> Result<u64> {
        let file = File::open(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::corrupt(path, "checkpoint file does not exist"),
            _ => Error::io(path, e),
        })?;
        Ok(Self::open_file(path, file, false)?.place.num_partitions)
    }

    /// The element count the header announces.
    pub fn element_count(&self) -> u64 {
        self.count
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that this file is partition `index` of an RDD of `num_partitions` partitions, as
    /// its header says: a part deleted, duplicated or swapped in a folder fails here.
    pub fn check_place(&self, index: usize, num_partitions: usize) -> Result<()> {
        let expected = Place {
            index: index as u64,
            num_partitions: num_partitions as u64,
        };
        if self.place == expected {
            return Ok(());
        }
        let reason = format!(
            "Invalid checkpoint file: its header says it is partition {} of {}, but it is read \
             as partition {index} of {num_partitions} (a part file was deleted, duplicated, \
             renamed or copied from another checkpoint)",
            self.place.index, self.place.num_partitions
        );
        Err(Error::corrupt(&self.path, reason))
    }

    /// The RDD's partition count, as the header says.
    pub fn num_partitions(&self) -> u64 {
        self.place.num_partitions
    }

    /// Decodes every element; the first error ends the read.
    pub fn read_all(self) -> Result<Vec<T>> {
        // The count is bounded by the payload's bytes (see `check_count`).
        let capacity = usize::try_from(self.count.min(self.input.unread())).unwrap_or(0);
        let mut out = Vec::with_capacity(capacity);
        for value in self {
            out.push(value?);
        }
        Ok(out)
    }

    /// The end-of-file checks: no bytes left over, payload checksum.
    fn finish(&mut self) -> Result<()> {
        let leftover = self.input.unread();
        self.verify_checksum()?;
        if leftover > 0 {
            let reason = format!(
                "{leftover} payload bytes left after the last of {} elements",
                self.count
            );
            return Err(Error::corrupt(&self.path, reason));
        }
        Ok(())
    }

    /// Hashes whatever is left of the payload and compares with the header.
    fn verify_checksum(&mut self) -> Result<()> {
        self.input.drain().map_err(|e| read_error(&self.path, e))?;
        let computed = self.input.hasher.digest();
        if computed != self.payload_checksum {
            let reason = format!(
                "payload checksum mismatch (header {:016x}, computed {computed:016x}): \
                 the file is damaged",
                self.payload_checksum
            );
            return Err(Error::corrupt(&self.path, reason));
        }
        Ok(())
    }

    /// Explains an element that would not decode: damage if the checksum fails, else the file
    /// holds something other than `T` (or the writer's encoding disagrees with this build's).
    fn decode_failure(&mut self, message: String) -> Error {
        if let Err(damaged) = self.verify_checksum() {
            return damaged;
        }
        let reason = format!(
            "element {} of {} does not decode as {}: {message}",
            self.decoded,
            self.count,
            std::any::type_name::<T>()
        );
        Error::corrupt(&self.path, reason)
    }
}

impl<T: DeserializeOwned> Iterator for PartitionReader<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.done {
            return None;
        }
        if self.decoded == self.count {
            self.done = true;
            return self.finish().err().map(Err);
        }
        let limit = self.input.unread();
        match serializer::deserialize_from(&mut self.input, limit) {
            Ok(value) => {
                self.decoded += 1;
                if self.decoded == self.count {
                    self.done = true;
                    if let Err(e) = self.finish() {
                        return Some(Err(e));
                    }
                }
                Some(Ok(value))
            }
            Err(message) => {
                self.done = true;
                Some(Err(self.decode_failure(message)))
            }
        }
    }
}

/// A count the payload cannot hold is corrupt: each element of a type that is not zero-sized
/// takes at least one byte; zero-sized elements are capped at [`MAX_ZERO_SIZED_ELEMENTS`].
fn check_count<T>(path: &Path, header: &Header) -> Result<()> {
    let reason = if std::mem::size_of::<T>() == 0 {
        (header.count > MAX_ZERO_SIZED_ELEMENTS).then(|| {
            format!(
                "header says {} elements of the zero-sized {}, more than the \
                 {MAX_ZERO_SIZED_ELEMENTS} a partition may hold",
                header.count,
                std::any::type_name::<T>()
            )
        })
    } else {
        (header.count > header.payload_len).then(|| {
            format!(
                "header says {} elements, but the payload has only {} bytes: the payload \
                 does not decode as {}",
                header.count,
                header.payload_len,
                std::any::type_name::<T>()
            )
        })
    };
    reason.map_or(Ok(()), |r| Err(Error::corrupt(path, r)))
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
    fn check_magic_and_version(raw: &[u8]) -> std::result::Result<(), String> {
        if raw.len() >= 8 && raw[0..8] != MAGIC {
            return Err(format!(
                "not a sparklet checkpoint file (magic bytes {:02x?})",
                &raw[0..8]
            ));
        }
        let Some(version) = raw.get(8..12) else {
            return Ok(());
        };
        let version = u32::from_le_bytes([version[0], version[1], version[2], version[3]]);
        if version == 1 {
            return Err(format!(
                "checkpoint format version 1 (written by an older sparklet, without partition \
                 index and count) is no longer read; this build reads version {FORMAT_VERSION}: \
                 delete the checkpoint and let it be written again"
            ));
        }
        if version != FORMAT_VERSION {
            return Err(format!(
                "unsupported checkpoint format version {version} \
                 (this build reads version {FORMAT_VERSION})"
            ));
        }
        Ok(())
    }

    /// Checks magic, version, header checksum and serializer, in that order.
    fn decode(raw: &[u8; HEADER_LEN]) -> std::result::Result<Header, String> {
        let u32_at =
            |at: usize| u32::from_le_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]]);
        let u64_at = |at: usize| read_u64(&raw[at..at + 8]);
        Header::check_magic_and_version(raw)?;
        let (stored, computed) = (u64_at(56), xxh64(&raw[0..56], 0));
        if stored != computed {
            return Err(format!(
                "header checksum mismatch (stored {stored:016x}, computed {computed:016x})"
            ));
        }
        let serializer_id = u32_at(12);
        if serializer_id != serializer::SERIALIZER_ID {
            return Err(format!(
                "written with serializer {serializer_id}, this build reads serializer {}",
                serializer::SERIALIZER_ID
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

/// Streams values into a new file at `path` in the module's format. On error the file is
/// removed; on success it stays at `path` for the caller to publish.
fn write_framed<T: Serialize>(
    path: &Path,
    place: Place,
    values: impl Iterator<Item = T>,
) -> Result<()> {
    // `create_new`: an existing temp file belongs to someone else and must not be deleted.
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let mut guard = TempFile::new(path);
    let mut out = PayloadWriter::new(file);
    let mut count = 0u64;
    for value in values {
        serializer::serialize_into(&mut out.buf, &value).map_err(|message| Error::Io {
            path: path.to_path_buf(),
            message: format!("cannot serialize element {count}: {message}"),
        })?;
        count += 1;
        if out.buf.len() - out.hashed >= HASH_STEP {
            out.hash_new_bytes();
            if out.buf.len() >= IO_BUF {
                out.flush().map_err(|e| Error::io(path, e))?;
            }
        }
    }
    out.hash_new_bytes();
    // What is written must be readable: see `check_count`.
    let unreadable = if std::mem::size_of::<T>() == 0 {
        count > MAX_ZERO_SIZED_ELEMENTS
    } else {
        count > out.payload_len
    };
    if unreadable {
        return Err(Error::InvalidArgument(format!(
            "cannot checkpoint {count} elements of {} in {} bytes: elements must serialize to \
             at least one byte each (at most {MAX_ZERO_SIZED_ELEMENTS} zero-sized ones)",
            std::any::type_name::<T>(),
            out.payload_len
        )));
    }
    out.finish(count, place).map_err(|e| Error::io(path, e))?;
    guard.disarm();
    Ok(())
}

/// Gives the complete temp file its final name unless that name is taken (then the other
/// attempt's file is kept). A hard link is the atomic "rename unless the target exists"; on
/// filesystems without links, an existence check and a rename stand in.
fn publish(temp: &Path, final_path: &Path, attempt: u32) -> Result<()> {
    let mut guard = TempFile::new(temp);
    match fs::hard_link(temp, final_path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(_) if final_path.exists() => Ok(()),
        Err(_) => match fs::rename(temp, final_path) {
            Ok(()) => {
                guard.disarm();
                Ok(())
            }
            Err(_) if final_path.exists() => Ok(()),
            Err(e) => Err(Error::Io {
                path: final_path.to_path_buf(),
                message: format!(
                    "Checkpoint failed: failed to save output of task attempt {attempt}: {e}"
                ),
            }),
        },
    }
}

/// Deletes a temp file when dropped unless disarmed: on errors and on panics of user code.
struct TempFile<'a> {
    path: &'a Path,
    armed: bool,
}

impl<'a> TempFile<'a> {
    fn new(path: &'a Path) -> Self {
        TempFile { path, armed: true }
    }

    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(self.path);
        }
    }
}

/// The write side: a buffer whose first [`HEADER_LEN`] bytes are a placeholder for the header,
/// hashed in [`HASH_STEP`]s as it fills and handed to the [`Sink`] a megabyte at a time.
struct PayloadWriter {
    sink: Sink,
    buf: Vec<u8>,
    /// `buf[..hashed]` is hashed or is the header placeholder (first buffer only).
    hashed: usize,
    payload_len: u64,
    hasher: Xxh64,
}

impl PayloadWriter {
    fn new(file: File) -> Self {
        let mut buf = Vec::with_capacity(IO_BUF + IO_BUF / 4);
        buf.resize(HEADER_LEN, 0);
        PayloadWriter {
            sink: Sink::new(file),
            buf,
            hashed: HEADER_LEN,
            payload_len: 0,
            hasher: Xxh64::new(0),
        }
    }

    /// Hashes what was serialized since the last call, while it is still in cache.
    fn hash_new_bytes(&mut self) {
        let fresh = &self.buf[self.hashed..];
        self.hasher.update(fresh);
        self.payload_len += fresh.len() as u64;
        self.hashed = self.buf.len();
    }

    /// Hands the full buffer to the sink and continues in an empty one.
    fn flush(&mut self) -> io::Result<()> {
        self.hash_new_bytes();
        self.sink.write(&mut self.buf)?;
        self.hashed = 0;
        Ok(())
    }

    fn finish(mut self, count: u64, place: Place) -> io::Result<()> {
        self.hash_new_bytes();
        let mut file = self.sink.close(std::mem::take(&mut self.buf))?;
        let header = Header {
            serializer_id: serializer::SERIALIZER_ID,
            count,
            payload_len: self.payload_len,
            payload_checksum: self.hasher.digest(),
            place,
        };
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header.encode())
    }
}

/// Capacity of a write buffer: one [`IO_BUF`] plus room for the element that crosses it.
const WRITE_BUF_CAP: usize = IO_BUF + IO_BUF / 4;

/// Where full buffers go. The first is written directly; from the second on, a helper thread
/// writes them, so that the kernel's copy of one buffer overlaps serializing the next (a
/// partition that fits in one buffer never starts a thread). At most three buffers exist: one
/// filling, one queued, one being written.
struct Sink {
    /// The file while it is written directly.
    file: Option<File>,
    /// The helper thread once started (it then owns the file).
    thread: Option<WriterThread>,
}

struct WriterThread {
    full: SyncSender<Vec<u8>>,
    empty: Receiver<Vec<u8>>,
    handle: JoinHandle<io::Result<File>>,
}

impl Sink {
    fn new(file: File) -> Self {
        Sink {
            file: Some(file),
            thread: None,
        }
    }

    /// Writes `buf` (or queues it for the helper) and leaves an empty buffer in its place.
    fn write(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        if let Some(mut file) = self.file.take() {
            file.write_all(buf)?;
            buf.clear();
            self.thread = Some(WriterThread::spawn(file)?);
            return Ok(());
        }
        let Some(thread) = &self.thread else {
            return Err(io::Error::other("checkpoint file already closed"));
        };
        let next = (thread.empty.try_recv().ok())
            .filter(|b| b.capacity() <= 2 * WRITE_BUF_CAP)
            .unwrap_or_else(|| Vec::with_capacity(WRITE_BUF_CAP));
        if thread.full.send(std::mem::replace(buf, next)).is_ok() {
            return Ok(());
        }
        // The helper stops early only when a write failed: report that failure.
        match self.thread.take().map(WriterThread::join) {
            Some(Err(e)) => Err(e),
            _ => Err(io::Error::other("checkpoint writer thread stopped early")),
        }
    }

    /// Writes the last bytes, waits for the helper and returns the file.
    fn close(&mut self, last: Vec<u8>) -> io::Result<File> {
        if let Some(mut file) = self.file.take() {
            file.write_all(&last)?;
            return Ok(file);
        }
        let Some(thread) = self.thread.take() else {
            return Err(io::Error::other("checkpoint file already closed"));
        };
        let sent = thread.full.send(last).is_ok();
        let file = thread.join()?;
        if sent {
            Ok(file)
        } else {
            Err(io::Error::other("checkpoint writer thread stopped early"))
        }
    }
}

impl Drop for Sink {
    /// On an error or a panic, waits for the helper so that no write outlives the temp file.
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl WriterThread {
    fn spawn(mut file: File) -> io::Result<WriterThread> {
        let (full, queued) = std::sync::mpsc::sync_channel::<Vec<u8>>(1);
        let (recycle, empty) = std::sync::mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("checkpoint-writer".into())
            .spawn(move || {
                for mut buf in queued {
                    file.write_all(&buf)?;
                    buf.clear();
                    let _ = recycle.send(buf);
                }
                Ok(file)
            })?;
        Ok(WriterThread {
            full,
            empty,
            handle,
        })
    }

    /// Closes the queue and waits for the helper to write what is queued.
    fn join(self) -> io::Result<File> {
        drop(self.full);
        self.handle
            .join()
            .map_err(|_| io::Error::other("checkpoint writer thread panicked"))?
    }
}

/// The read side: a buffered reader over exactly the payload that hashes each buffer as it is
/// filled, so the checksum costs one pass over data already in cache.
struct PayloadReader {
    file: File,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    /// Payload bytes not yet pulled from the file.
    left: u64,
    hasher: Xxh64,
}

impl PayloadReader {
    fn new(file: File, payload_len: u64) -> Self {
        let size = usize::try_from(payload_len).map_or(IO_BUF, |n| n.clamp(1, IO_BUF));
        let buf = vec![0u8; size].into_boxed_slice();
        PayloadReader {
            file,
            buf,
            pos: 0,
            filled: 0,
            left: payload_len,
            hasher: Xxh64::new(0),
        }
    }

    /// Payload bytes not yet handed to the decoder.
    fn unread(&self) -> u64 {
        self.left + (self.filled - self.pos) as u64
    }

    /// Called with the buffer consumed: reads and hashes the next chunk (none at the end).
    fn refill(&mut self) -> io::Result<()> {
        let want = usize::try_from(self.left).map_or(self.buf.len(), |n| n.min(self.buf.len()));
        self.file.read_exact(&mut self.buf[..want])?;
        self.hasher.update(&self.buf[..want]);
        self.left -= want as u64;
        self.pos = 0;
        self.filled = want;
        Ok(())
    }

    /// Reads and hashes the rest of the payload without decoding it.
    fn drain(&mut self) -> io::Result<()> {
        while self.left > 0 {
            self.refill()?;
        }
        self.pos = self.filled;
        Ok(())
    }
}

impl Read for PayloadReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.filled {
            self.refill()?;
        }
        let n = out.len().min(self.filled - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }

    fn read_exact(&mut self, mut out: &mut [u8]) -> io::Result<()> {
        if out.len() <= self.filled - self.pos {
            out.copy_from_slice(&self.buf[self.pos..self.pos + out.len()]);
            self.pos += out.len();
            return Ok(());
        }
        while !out.is_empty() {
            let n = self.read(out)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "end of payload",
                ));
            }
            out = &mut out[n..];
        }
        Ok(())
    }
}

/// A read error: running out of bytes is a truncated file, anything else is I/O.
fn read_error(path: &Path, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => {
            Error::corrupt(path, "truncated while reading (file shrank?)")
        }
        _ => Error::io(path, e),
    }
}

#[cfg(test)]
mod tests;
