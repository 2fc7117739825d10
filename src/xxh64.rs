//! XXH64 (Yann Collet's xxHash, 64-bit), one-shot and streaming: the checksum of checkpoint
//! files and of disk blocks (and XXH3-128, a fingerprint), from the `xxhash-rust` crate (see DESIGN.md, Dependencies). This
//! module is the one place that names the crate, so the checksum can be swapped in one file.
//! A leaf module: it uses no other layer.

pub(crate) use xxhash_rust::xxh64::{xxh64, Xxh64};

/// XXH3's 128-bit hash: a fingerprint of a byte string where a collision must be out of
/// reach (the Redis snapshot's record of fields already returned keeps 16 bytes per field
/// instead of the field).
pub(crate) use xxhash_rust::xxh3::xxh3_128;

/// The little-endian `u64` at the start of `b` (the stored form of a checksum).
pub(crate) fn read_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}
