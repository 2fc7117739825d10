//! The bulk path for records that are pairs of fixed-width numbers (`(u64, u64)`, `(i32, f64)`,
//! ...): their bincode encoding (fixed-width integers, little endian) is the two numbers'
//! little-endian bytes one after the other, so they are written and read as bytes directly,
//! without a serde call per field. The bytes are exactly bincode's: a buffer written here
//! decodes with [`super::decode_seq_into`] and the other way round (see the tests).
//!
//! Which pairs take it is decided by type (`TypeId`) once per buffer or chunk, never per
//! record: [`with_pair`] calls a [`PairFn`] with the concrete key and value types when the
//! record type `(K, V)` is one of them, and the caller downcasts its buffers to those types.
//! Keys are the 32- and 64-bit integers (the ones [`FixedKey`] also orders as unsigned numbers
//! for a radix sort); values are those and `f32` / `f64`.
//!
//! Layering: a leaf of `serializer`; no I/O.

use std::any::TypeId;

/// A number whose bincode encoding is its `WIDTH` little-endian bytes.
pub(crate) trait FixedLe: Copy + Send + Sync + 'static {
    /// Bytes per value.
    const WIDTH: usize;
    /// Appends the value's bytes.
    fn put(self, out: &mut Vec<u8>);
    /// The value of exactly `WIDTH` bytes.
    fn get(bytes: &[u8]) -> Self;
}

/// A fixed-width key type whose order is that of the unsigned number [`FixedKey::radix`]
/// maps it to (signed numbers: the sign bit flipped).
pub(crate) trait FixedKey: FixedLe + Ord {
    /// The unsigned number of the key, in the key's order.
    fn radix(self) -> u64;
}

macro_rules! fixed_le {
    ($($t:ty),*) => {
        $(
            impl FixedLe for $t {
                const WIDTH: usize = std::mem::size_of::<$t>();
                #[inline(always)]
                fn put(self, out: &mut Vec<u8>) {
                    out.extend_from_slice(&self.to_le_bytes());
                }
                #[inline(always)]
                fn get(bytes: &[u8]) -> Self {
                    let mut b = [0u8; std::mem::size_of::<$t>()];
                    b.copy_from_slice(bytes);
                    <$t>::from_le_bytes(b)
                }
            }
        )*
    };
}
fixed_le!(u32, u64, i32, i64, f32, f64);

impl FixedKey for u32 {
    #[inline(always)]
    fn radix(self) -> u64 {
        u64::from(self)
    }
}
impl FixedKey for u64 {
    #[inline(always)]
    fn radix(self) -> u64 {
        self
    }
}
impl FixedKey for i32 {
    #[inline(always)]
    fn radix(self) -> u64 {
        (i64::from(self) as u64) ^ (1 << 63)
    }
}
impl FixedKey for i64 {
    #[inline(always)]
    fn radix(self) -> u64 {
        (self as u64) ^ (1 << 63)
    }
}

/// Work done on a buffer of `(A, B)` pairs once their concrete types are known.
pub(crate) trait PairFn {
    type Out;
    fn call<A: FixedKey, B: FixedLe>(self) -> Self::Out;
}

/// Calls `f` with the concrete types when `(K, V)` is a pair of a [`FixedKey`] and a
/// [`FixedLe`] type; `None` for any other record type.
pub(crate) fn with_pair<K: 'static, V: 'static, F: PairFn>(f: F) -> Option<F::Out> {
    macro_rules! key {
        ($($a:ty),*) => {
            $(
                if TypeId::of::<K>() == TypeId::of::<$a>() {
                    return with_value::<$a, V, F>(f);
                }
            )*
        };
    }
    key!(u64, i64, u32, i32);
    None
}

fn with_value<A: FixedKey, V: 'static, F: PairFn>(f: F) -> Option<F::Out> {
    macro_rules! value {
        ($($b:ty),*) => {
            $(
                if TypeId::of::<V>() == TypeId::of::<$b>() {
                    return Some(f.call::<A, $b>());
                }
            )*
        };
    }
    value!(u64, i64, u32, i32, f64, f32);
    None
}

/// Appends one pair's bytes (bincode's encoding of the tuple).
#[inline(always)]
pub(crate) fn put_pair<A: FixedLe, B: FixedLe>(out: &mut Vec<u8>, a: A, b: B) {
    a.put(out);
    b.put(out);
}

/// The records of one [`super::serialize_seq`] buffer of `(A, B)` pairs: its count and the
/// bytes of exactly that many records. Bytes too short for the count fail as bincode's
/// decoder would (truncated); bytes past the last record are ignored, as the decoder allows.
pub(crate) fn pair_records<A: FixedLe, B: FixedLe>(bytes: &[u8]) -> super::Result<&[u8]> {
    if bytes.len() < 8 {
        return Err(super::no_count(bytes.len()));
    }
    let (head, rest) = bytes.split_at(8);
    let count = u64::from_le_bytes(head.try_into().expect("split_at(8) gives 8 bytes"));
    let width = (A::WIDTH + B::WIDTH) as u64;
    let whole = (rest.len() as u64) / width;
    if count > whole {
        // bincode's decoder, bounded by the bytes left, refuses the first cut record so.
        return Err(
            super::SerializerError::decode(Box::new(bincode::ErrorKind::SizeLimit))
                .at(format_args!("value {whole} of {count}")),
        );
    }
    Ok(&rest[..(count * width) as usize])
}

/// Decodes one record of `(A, B)` from its `A::WIDTH + B::WIDTH` bytes.
#[inline(always)]
pub(crate) fn get_pair<A: FixedLe, B: FixedLe>(record: &[u8]) -> (A, B) {
    let (a, b) = record.split_at(A::WIDTH);
    (A::get(a), B::get(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serializer::{decode_seq_into, SeqWriter};

    struct RoundTrip;

    impl PairFn for RoundTrip {
        type Out = ();
        fn call<A: FixedKey, B: FixedLe>(self) {}
    }

    fn same_bytes<K, V>(records: Vec<(K, V)>)
    where
        K: FixedKey + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
        V: FixedLe + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug + PartialEq,
    {
        assert!(with_pair::<K, V, _>(RoundTrip).is_some());
        let mut bincode = SeqWriter::new();
        let mut fixed = SeqWriter::new();
        for &(k, v) in &records {
            bincode.push(&(k, v)).unwrap();
            fixed.push_fixed_pair(k, v);
        }
        let (bincode, fixed) = (bincode.finish(), fixed.finish());
        assert_eq!(bincode, fixed);
        let body = pair_records::<K, V>(&fixed).unwrap();
        let back: Vec<(K, V)> = body
            .chunks_exact(K::WIDTH + V::WIDTH)
            .map(get_pair::<K, V>)
            .collect();
        let mut decoded = Vec::new();
        decode_seq_into::<(K, V)>(&fixed, &mut decoded).unwrap();
        assert_eq!(back, decoded);
        assert_eq!(back, records);
        // A cut buffer fails as bincode's decoder does.
        let cut = &fixed[..fixed.len() - 1];
        let err = pair_records::<K, V>(cut).unwrap_err();
        let bincode_err = decode_seq_into::<(K, V)>(cut, &mut Vec::new()).unwrap_err();
        assert!(err.is_decode() && err.is_truncated(), "{err:?}");
        assert_eq!(err.to_string(), bincode_err.to_string());
    }

    #[test]
    fn pairs_of_fixed_width_numbers_encode_as_bincode_does() {
        same_bytes(vec![(0u64, u64::MAX), (1 << 40, 7), (u64::MAX, 0)]);
        same_bytes(vec![(-1i64, -2i64), (i64::MIN, i64::MAX)]);
        same_bytes(vec![(3u32, 1.5f64), (u32::MAX, f64::NEG_INFINITY)]);
        same_bytes(vec![(-3i32, -0.25f32), (i32::MIN, f32::MAX)]);
        same_bytes(vec![(9u64, -9i32), (0, i32::MIN)]);
        same_bytes(vec![(5i64, 6u32)]);
        assert!(pair_records::<u64, u64>(&[0; 3]).is_err());
        // Other record types do not take the path.
        assert!(with_pair::<u8, u64, _>(RoundTrip).is_none());
        assert!(with_pair::<u64, String, _>(RoundTrip).is_none());
        assert!(with_pair::<f64, u64, _>(RoundTrip).is_none());
    }

    #[test]
    fn radix_numbers_order_as_the_keys() {
        let i: Vec<i64> = vec![i64::MIN, -5, -1, 0, 1, 7, i64::MAX];
        assert!(i.windows(2).all(|w| w[0].radix() < w[1].radix()));
        let i: Vec<i32> = vec![i32::MIN, -5, -1, 0, 1, 7, i32::MAX];
        assert!(i.windows(2).all(|w| w[0].radix() < w[1].radix()));
        assert!(3u32.radix() < u32::MAX.radix());
    }
}
