//! The read side of checkpoint files: [`PartitionReader`] checks the header and the file's size
//! (from its metadata) before reading any payload, then streams the payload through one buffer,
//! hashing it as it goes; only the decoded values are ever held.

use std::fs::File;
use std::io::{self, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::{Header, Place, HEADER_LEN, IO_BUF, MAX_ZERO_SIZED_ELEMENTS};
use crate::error::{Error, Result};
use crate::serializer;
use crate::xxh64::Xxh64;

/// Reads and fully verifies one checkpoint file (Spark's `readCheckpointFile`).
///
/// Nothing is returned unless every check of the module docs passes; any damage (missing,
/// truncated, flipped bytes, trailing bytes, another serializer, another element type) is
/// [`Error::CorruptCheckpoint`] naming `path`. The file is streamed through a
/// [`PartitionReader`]: only the decoded values are held, never the file's bytes.
pub fn read_partition<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    PartitionReader::<T>::open(path)?.read_all()
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
        Header::check_magic_and_version(path, &raw[..present])?;
        if present < HEADER_LEN {
            let reason =
                format!("truncated: {file_len} bytes, less than the {HEADER_LEN}-byte header");
            return Err(Error::corrupt(path, reason));
        }
        let header = Header::decode(path, &raw)?;
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
    fn decode_failure(&mut self, message: serializer::SerializerError) -> Error {
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
