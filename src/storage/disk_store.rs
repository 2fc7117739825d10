//! An executor's disk store (Spark's `DiskStore` and `DiskBlockManager`): one file per block in
//! the executor's own temporary folder, removed with the executor.
//!
//! A block file is an 8-byte XXH64 (seed 0, little endian) of the block's bytes, then the bytes.
//! A block whose checksum does not match (a bit flipped on disk) reads as an error, which the
//! block manager treats as a lost block: dropped, reported and recomputed, never wrong data.
//! Spark's `DiskStore` has no checksum (only its shuffle files do, since 3.2); we add one.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::storage::block_manager::BlockId;
use crate::xxh64::{read_u64, xxh64};

/// Length of the checksum in front of a block's bytes.
const CHECKSUM_LEN: usize = 8;

/// Blocks as files under one folder.
pub(crate) struct DiskStore {
    dir: tempfile::TempDir,
}

impl DiskStore {
    /// A store in a new folder `sparklet-executor-<id>-*` under `parent` (or the system's
    /// temporary folder).
    pub(crate) fn new(executor_id: &str, parent: Option<&Path>) -> Result<DiskStore> {
        let mut builder = tempfile::Builder::new();
        let prefix = format!("sparklet-executor-{executor_id}-");
        builder.prefix(&prefix);
        let dir = match parent {
            Some(p) => {
                std::fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
                builder.tempdir_in(p).map_err(|e| Error::io(p, e))?
            }
            None => builder
                .tempdir()
                .map_err(|e| Error::io(std::env::temp_dir(), e))?,
        };
        Ok(DiskStore { dir })
    }

    pub(crate) fn path(&self, id: BlockId) -> PathBuf {
        self.dir.path().join(id.to_string())
    }

    /// Writes a block (to a temporary name, then renamed, so a half-written block never exists).
    pub(crate) fn put(&self, id: BlockId, bytes: &[u8]) -> Result<()> {
        let path = self.path(id);
        let tmp = self.dir.path().join(format!(".{id}.tmp"));
        let checksum = xxh64(bytes, 0).to_le_bytes();
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            use std::io::Write;
            f.write_all(&checksum)?;
            f.write_all(bytes)
        });
        written.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(&tmp, e)
        })?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(&path, e)
        })
    }

    /// Reads a block's bytes, or `Ok(None)` when there is no such block; a block that fails
    /// its checksum is an error naming the file.
    pub(crate) fn get(&self, id: BlockId) -> Result<Option<Vec<u8>>> {
        let path = self.path(id);
        match std::fs::read(&path) {
            Ok(mut b) => {
                if b.len() < CHECKSUM_LEN {
                    return Err(Error::corrupt(
                        &path,
                        "block file shorter than its checksum",
                    ));
                }
                let (stored, computed) =
                    (read_u64(&b[..CHECKSUM_LEN]), xxh64(&b[CHECKSUM_LEN..], 0));
                if stored != computed {
                    let reason = format!(
                        "block checksum mismatch (stored {stored:016x}, computed {computed:016x})"
                    );
                    return Err(Error::corrupt(&path, reason));
                }
                b.drain(..CHECKSUM_LEN);
                Ok(Some(b))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    pub(crate) fn size_of(&self, id: BlockId) -> Option<u64> {
        std::fs::metadata(self.path(id)).ok().map(|m| m.len())
    }

    pub(crate) fn remove(&self, id: BlockId) {
        let _ = std::fs::remove_file(self.path(id));
    }

    /// Every block held on disk.
    pub(crate) fn ids(&self) -> Vec<BlockId> {
        let Ok(entries) = std::fs::read_dir(self.dir.path()) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| BlockId::parse(&e.file_name().to_string_lossy()))
            .collect()
    }

    pub(crate) fn clear(&self) {
        for id in self.ids() {
            self.remove(id);
        }
    }
}
