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
//!
//! Pairs of fixed-width numbers (`(u64, u64)`, ...) have a bulk path in [`fixed`] that writes
//! and reads bincode's bytes for them directly (the shuffle of `sort_by_key` uses it); the
//! bytes are the same either way.
//!
//! Every function fails with a [`SerializerError`]: bincode's message, whether it was encoding
//! or decoding, and whether a length ran past the bytes given. The serializer does not know
//! what the bytes are, so callers add that: a checkpoint reader turns it into
//! [`Error::CorruptCheckpoint`] naming the file, a shuffle read into a failed task, the block
//! manager into a lost block. Where there is nothing to add, `?` converts it into [`Error`].

use std::fmt;

use bincode::Options;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Error;

pub(crate) mod fixed;

/// Why the serializer refused a value or a buffer. Its `Display` is bincode's message (after
/// the position in a sequence, for [`deserialize_seq`] and [`seq_iter`]), so a caller writes
/// `format!("... failed: {e}")` and adds its own context.
///
/// ```
/// use sparklet::serializer;
/// let mut bytes = serializer::serialize(&"hello".to_string()).unwrap();
/// bytes[..8].copy_from_slice(&(1u64 << 40).to_le_bytes()); // a lying length prefix
/// let err = serializer::deserialize_bounded::<String>(&bytes).unwrap_err();
/// assert!(err.is_decode() && err.is_truncated());
/// let err: sparklet::Error = err.into();
/// assert!(matches!(err, sparklet::Error::Internal(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializerError {
    message: String,
    decode: bool,
    truncated: bool,
}

impl SerializerError {
    fn encode(e: bincode::Error) -> SerializerError {
        SerializerError::new(e, false)
    }

    fn decode(e: bincode::Error) -> SerializerError {
        SerializerError::new(e, true)
    }

    fn new(e: bincode::Error, decode: bool) -> SerializerError {
        let (truncated, message) = match &*e {
            bincode::ErrorKind::SizeLimit => (true, e.to_string()),
            // A slice reader refuses a length past its end with an empty message.
            bincode::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                let text = io.to_string();
                let text = if text.is_empty() {
                    "unexpected end of the bytes".to_string()
                } else {
                    text
                };
                (true, format!("io error: {text}"))
            }
            _ => (false, e.to_string()),
        };
        SerializerError {
            message,
            decode,
            truncated,
        }
    }

    /// The same error, its message prefixed with where it happened (`value 3 of 10`).
    fn at(mut self, context: impl fmt::Display) -> SerializerError {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Whether bytes failed to decode (else a value failed to encode).
    pub fn is_decode(&self) -> bool {
        self.decode
    }

    /// Whether decoding stopped because a value ran past the bytes given: a cut buffer, or a
    /// corrupt or hostile length prefix refused before allocating for it.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The message, without any context a caller adds.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SerializerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SerializerError {}

/// Where a caller has no better context: a value that does not encode is the caller's
/// ([`Error::InvalidArgument`]); bytes that do not decode came from this process (shuffle,
/// cache), so that is a broken invariant ([`Error::Internal`]). Readers of files map to
/// [`Error::CorruptCheckpoint`] themselves.
impl From<SerializerError> for Error {
    fn from(e: SerializerError) -> Error {
        if e.decode {
            Error::Internal(format!("cannot deserialize: {e}"))
        } else {
            Error::InvalidArgument(format!("cannot serialize: {e}"))
        }
    }
}

/// A [`serialize_seq`] buffer too short to hold its count.
fn no_count(len: usize) -> SerializerError {
    SerializerError {
        message: format!("sequence of {len} bytes has no count"),
        decode: true,
        truncated: true,
    }
}

/// The result of every function of this module.
pub type Result<T> = std::result::Result<T, SerializerError>;

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
pub fn serialize<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    options().serialize(value).map_err(SerializerError::encode)
}

/// Serializes one value onto the end of `out`.
pub fn serialize_into<W: std::io::Write, T: Serialize + ?Sized>(out: W, value: &T) -> Result<()> {
    options()
        .serialize_into(out, value)
        .map_err(SerializerError::encode)
}

/// The number of bytes [`serialize`] would produce.
pub fn serialized_size<T: Serialize + ?Sized>(value: &T) -> Result<u64> {
    options()
        .serialized_size(value)
        .map_err(SerializerError::encode)
}

/// Deserializes one value from bytes that came from this process (shuffle, cache).
pub fn deserialize<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    deserialize_bounded(bytes)
}

/// Deserializes one value, refusing any length prefix larger than the bytes left.
pub fn deserialize_bounded<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    options()
        .with_limit(bytes.len() as u64)
        .deserialize(bytes)
        .map_err(SerializerError::decode)
}

/// Reads one value from a reader, reading at most `limit` bytes for it.
pub fn deserialize_from<R: std::io::Read, T: DeserializeOwned>(reader: R, limit: u64) -> Result<T> {
    options()
        .with_limit(limit)
        .deserialize_from(reader)
        .map_err(SerializerError::decode)
}

/// Serializes a sequence of values into one buffer: a `u64` count, then the values.
pub fn serialize_seq<'a, T: Serialize + 'a>(
    values: impl ExactSizeIterator<Item = &'a T>,
) -> Result<Vec<u8>> {
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
pub fn deserialize_seq<T: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>> {
    if bytes.len() < 8 {
        return Err(no_count(bytes.len()));
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
            .map_err(|e| SerializerError::decode(e).at(format_args!("value {i} of {count}")))?;
        out.push(v);
    }
    Ok(out)
}

/// Decodes every value of a [`serialize_seq`] buffer onto the end of `out`, with one decoder
/// over the whole buffer (the batch form of [`seq_iter`], for a reader that keeps every value:
/// no per-value decoder set-up, and one reservation up front). The count is checked against
/// the bytes present as in [`deserialize_seq`]; on an error, the values decoded before it stay
/// in `out`.
pub fn decode_seq_into<T: DeserializeOwned>(bytes: &[u8], out: &mut Vec<T>) -> Result<()> {
    if bytes.len() < 8 {
        return Err(no_count(bytes.len()));
    }
    let (head, rest) = bytes.split_at(8);
    let count = u64::from_le_bytes(head.try_into().expect("split_at(8) gives 8 bytes"));
    // Every value takes at least one byte unless it is zero-sized; never reserve past that.
    out.reserve(count.min(rest.len() as u64) as usize);
    let limit = rest.len() as u64;
    let mut de = bincode::Deserializer::from_slice(rest, options().with_limit(limit));
    for i in 0..count {
        let v = T::deserialize(&mut de)
            .map_err(|e| SerializerError::decode(e).at(format_args!("value {i} of {count}")))?;
        out.push(v);
    }
    Ok(())
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

    /// An empty sequence with room for `bytes` bytes of values (no regrowth until then).
    pub fn with_capacity(bytes: usize) -> SeqWriter {
        let mut buf = Vec::with_capacity(bytes.saturating_add(8));
        buf.extend_from_slice(&[0; 8]);
        SeqWriter { buf, count: 0 }
    }

    /// A writer into `buf`'s memory (its contents are dropped): a buffer kept from a cleaned
    /// shuffle, whose pages are already mapped.
    pub(crate) fn reusing(mut buf: Vec<u8>) -> SeqWriter {
        buf.clear();
        buf.extend_from_slice(&[0; 8]);
        SeqWriter { buf, count: 0 }
    }

    /// Appends one value.
    pub fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        serialize_into(&mut self.buf, value)?;
        self.count += 1;
        Ok(())
    }

    /// Appends one pair of fixed-width numbers: the same bytes as [`SeqWriter::push`] of the
    /// tuple, written directly (see [`fixed`]).
    #[inline(always)]
    pub(crate) fn push_fixed_pair<A: fixed::FixedLe, B: fixed::FixedLe>(&mut self, a: A, b: B) {
        fixed::put_pair(&mut self.buf, a, b);
        self.count += 1;
    }

    /// The number of values pushed.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The number of values in a finished sequence (0 for bytes too short to be one).
    pub(crate) fn count_of(bytes: &[u8]) -> u64 {
        bytes
            .get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_le_bytes)
    }

    /// The finished bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf[..8].copy_from_slice(&self.count.to_le_bytes());
        self.buf
    }
}

/// Reads the values of a [`serialize_seq`] buffer one at a time, without materialising them.
pub fn seq_iter<T: DeserializeOwned>(bytes: &[u8]) -> Result<impl Iterator<Item = Result<T>> + '_> {
    if bytes.len() < 8 {
        return Err(no_count(bytes.len()));
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
            .map_err(|e| SerializerError::decode(e).at(format_args!("value {i} of {count}")));
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
        let err = deserialize_bounded::<String>(&bytes).unwrap_err();
        assert!(err.is_decode() && err.is_truncated(), "{err:?}");
    }

    #[test]
    fn errors_keep_the_position_and_convert_into_the_crate_error() {
        let bytes = serialize_seq([1u32, 2, 3].iter()).unwrap();
        let err = deserialize_seq::<u32>(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(err.to_string().starts_with("value 2 of 3: "), "{err}");
        assert!(err.is_decode() && err.is_truncated(), "{err:?}");
        let mut out = Vec::new();
        let err = decode_seq_into::<u32>(&bytes[..bytes.len() - 1], &mut out).unwrap_err();
        assert!(err.to_string().starts_with("value 2 of 3: "), "{err}");
        assert!(err.is_decode() && err.is_truncated(), "{err:?}");
        assert_eq!(out, vec![1, 2]);
        decode_seq_into::<u32>(&bytes, &mut out).unwrap();
        assert_eq!(out, vec![1, 2, 1, 2, 3]);
        let err = seq_iter::<u32>(&bytes[..3]).err().expect("no count");
        assert_eq!(err.to_string(), "sequence of 3 bytes has no count");
        assert!(matches!(Error::from(err), Error::Internal(_)));
        let err = deserialize_bounded::<bool>(&[2]).unwrap_err();
        assert!(err.is_decode() && !err.is_truncated(), "{err:?}");
        // bincode cannot encode a sequence whose length it is not told.
        struct NoLength;
        impl Serialize for NoLength {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                s.serialize_seq(None)?.end()
            }
        }
        let err = serialize(&NoLength).unwrap_err();
        assert!(!err.is_decode(), "{err:?}");
        assert!(matches!(Error::from(err), Error::InvalidArgument(_)));
    }
}
