//! The one serializer of sparklet (Spark's `Serializer` / `JavaSerializer` / `KryoSerializer`).
//!
//! Everything that crosses a boundary as bytes goes through this module: shuffle blocks,
//! serialized cache levels (`*_SER`), disk blocks, checkpoint files and streaming metadata. It is
//! bincode 1.3 behind serde today (bincode 3.x is an empty crate that does not compile); swapping
//! the format means changing this file only. [`SERIALIZER_ID`] is written into every checkpoint
//! header so that a file written by another serializer is refused instead of misread.
//!
//! Decoding never trusts a length it reads: [`deserialize_bounded`] refuses to read past the
//! bytes it was given, so a corrupt length prefix fails instead of allocating gigabytes.

use bincode::Options;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Identifies the wire format in file headers (`1` = bincode 1.3, fixed-width little endian).
pub const SERIALIZER_ID: u32 = 1;

/// The bincode configuration every call in this module shares: little endian, fixed-width
/// integers (the layout `bincode::serialize` uses), trailing bytes allowed so that a stream of
/// values can be read one at a time.
fn options() -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes()
}

/// Serializes one value.
pub fn serialize<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    options().serialize(value).map_err(|e| e.to_string())
}

/// Serializes one value onto the end of `out`.
pub fn serialize_into<W: std::io::Write, T: Serialize + ?Sized>(
    out: W,
    value: &T,
) -> Result<(), String> {
    options()
        .serialize_into(out, value)
        .map_err(|e| e.to_string())
}

/// The number of bytes [`serialize`] would produce.
pub fn serialized_size<T: Serialize + ?Sized>(value: &T) -> Result<u64, String> {
    options().serialized_size(value).map_err(|e| e.to_string())
}

/// Deserializes one value from bytes that came from this process (shuffle, cache).
pub fn deserialize<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    deserialize_bounded(bytes)
}

/// Deserializes one value, refusing any length prefix larger than the bytes left.
pub fn deserialize_bounded<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    options()
        .with_limit(bytes.len() as u64)
        .deserialize(bytes)
        .map_err(|e| e.to_string())
}

/// Reads one value from a reader, reading at most `limit` bytes for it.
pub fn deserialize_from<R: std::io::Read, T: DeserializeOwned>(
    reader: R,
    limit: u64,
) -> Result<T, String> {
    options()
        .with_limit(limit)
        .deserialize_from(reader)
        .map_err(|e| e.to_string())
}

/// Serializes a sequence of values into one buffer: a `u64` count, then the values.
pub fn serialize_seq<'a, T: Serialize + 'a>(
    values: impl ExactSizeIterator<Item = &'a T>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let count = values.len() as u64;
    out.extend_from_slice(&count.to_le_bytes());
    for v in values {
        serialize_into(&mut out, v)?;
    }
    Ok(out)
}

/// Reads back what [`serialize_seq`] wrote. The count is checked against the bytes present, so
/// a corrupt count cannot make it allocate more than the buffer could hold.
pub fn deserialize_seq<T: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>, String> {
    if bytes.len() < 8 {
        return Err(format!("sequence of {} bytes has no count", bytes.len()));
    }
    let (head, mut rest) = bytes.split_at(8);
    let count = u64::from_le_bytes(head.try_into().expect("split_at(8) gives 8 bytes"));
    // Every value takes at least one byte unless it is zero-sized; never pre-allocate past that.
    let mut out = Vec::with_capacity(count.min(rest.len() as u64) as usize);
    for i in 0..count {
        let limit = rest.len() as u64;
        let v: T = options()
            .with_limit(limit)
            .deserialize_from(&mut rest)
            .map_err(|e| format!("value {i} of {count}: {e}"))?;
        out.push(v);
    }
    Ok(out)
}

/// Writes a sequence of values into one buffer in the [`serialize_seq`] layout, one value at a
/// time, when the count is not known up front.
pub struct SeqWriter {
    buf: Vec<u8>,
    count: u64,
}

impl Default for SeqWriter {
    fn default() -> Self {
        SeqWriter::new()
    }
}

impl SeqWriter {
    /// An empty sequence.
    pub fn new() -> SeqWriter {
        SeqWriter {
            buf: vec![0; 8],
            count: 0,
        }
    }

    /// Appends one value.
    pub fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), String> {
        serialize_into(&mut self.buf, value)?;
        self.count += 1;
        Ok(())
    }

    /// The number of values pushed.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The finished bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf[..8].copy_from_slice(&self.count.to_le_bytes());
        self.buf
    }
}

/// Reads the values of a [`serialize_seq`] buffer one at a time, without materialising them.
pub fn seq_iter<T: DeserializeOwned>(
    bytes: &[u8],
) -> Result<impl Iterator<Item = Result<T, String>> + '_, String> {
    if bytes.len() < 8 {
        return Err(format!("sequence of {} bytes has no count", bytes.len()));
    }
    let (head, mut rest) = bytes.split_at(8);
    let count = u64::from_le_bytes(head.try_into().expect("split_at(8) gives 8 bytes"));
    let mut failed = false;
    Ok((0..count).map_while(move |i| {
        if failed {
            return None;
        }
        let limit = rest.len() as u64;
        let r = options()
            .with_limit(limit)
            .deserialize_from(&mut rest)
            .map_err(|e| format!("value {i} of {count}: {e}"));
        failed = r.is_err();
        Some(r)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_sequence() {
        let v = vec![(1u64, "a".to_string()), (2, "bb".to_string())];
        let bytes = serialize_seq(v.iter()).unwrap();
        let back: Vec<(u64, String)> = deserialize_seq(&bytes).unwrap();
        assert_eq!(v, back);
    }

    #[test]
    fn corrupt_count_fails_without_huge_allocation() {
        let mut bytes = serialize_seq([1u32, 2, 3].iter()).unwrap();
        bytes[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(deserialize_seq::<u32>(&bytes).is_err());
    }

    #[test]
    fn corrupt_string_length_is_refused() {
        let mut bytes = serialize(&"hello".to_string()).unwrap();
        bytes[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(deserialize_bounded::<String>(&bytes).is_err());
    }
}
