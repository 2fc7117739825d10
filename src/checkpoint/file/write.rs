//! The write side of checkpoint files: one pass through a buffer, a helper thread for big
//! partitions, the header written last, and the rename that only the first attempt wins.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender};
use std::thread::JoinHandle;

use serde::Serialize;

use super::MAX_ZERO_SIZED_ELEMENTS;
use super::{part_file_name, temp_file_name, Header, Place, HASH_STEP, HEADER_LEN, IO_BUF};
use crate::error::{Error, Result};
use crate::serializer;
use crate::xxh64::Xxh64;

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

/// Streams values into a new file at `path` in the module's format. On error the file is
/// removed; on success it stays at `path` for the caller to publish.
pub(super) fn write_framed<T: Serialize>(
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
        serializer::serialize_into(&mut out.buf, &value).map_err(|message| {
            Error::io_message(path, format!("cannot serialize element {count}: {message}"))
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
            Err(e) => Err(Error::io_context(
                final_path,
                &format!("Checkpoint failed: failed to save output of task attempt {attempt}"),
                e,
            )),
        },
    }
}

/// Deletes a temp file when dropped unless disarmed: on errors and on panics of user code.
pub(super) struct TempFile<'a> {
    path: &'a Path,
    armed: bool,
}

impl<'a> TempFile<'a> {
    pub(super) fn new(path: &'a Path) -> Self {
        TempFile { path, armed: true }
    }

    pub(super) fn disarm(&mut self) {
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
