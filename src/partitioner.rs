//! Partitioners: which reduce partition a key goes to (Spark's `Partitioner`,
//! `HashPartitioner`).
//!
//! Spark's `HashPartitioner` takes `key.hashCode` modulo the partition count (made non-negative).
//! Rust's `std` hashers are seeded at random, which would send a key to a different partition
//! in every process; here every hash that decides a partition goes through [`StableHasher`], a
//! seedless 64-bit hasher, so the same key lands in the same partition in every run and every
//! process. The same hasher backs the hash maps of shuffles and state maps
//! ([`StableBuildHasher`]), which makes their iteration order (and so Spark-visible output
//! order) repeatable.

use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Decides the partition of each key of a pair RDD. Equality is Spark's: two hash partitioners
/// are equal when they have the same number of partitions.
///
/// ```
/// use sparklet::prelude::*;
/// let p = Partitioner::hash(4);
/// assert_eq!(p.num_partitions(), 4);
/// assert_eq!(p, Partitioner::hash(4));
/// assert_ne!(p, Partitioner::hash(5));
/// // Stable: the same key always goes to the same partition.
/// assert_eq!(p.get_partition(&"spark"), p.get_partition(&"spark"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Partitioner {
    kind: PartitionerKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
enum PartitionerKind {
    /// Spark's `HashPartitioner(partitions)`.
    Hash { partitions: usize },
}

impl Partitioner {
    /// Spark's `HashPartitioner`: `stable_hash(key) mod num_partitions`.
    pub fn hash(num_partitions: usize) -> Partitioner {
        Partitioner {
            kind: PartitionerKind::Hash {
                partitions: num_partitions,
            },
        }
    }

    /// The number of partitions keys are spread over.
    pub fn num_partitions(&self) -> usize {
        match self.kind {
            PartitionerKind::Hash { partitions } => partitions,
        }
    }

    /// Refuses to shuffle `parent_partitions` partitions of `parent` into this partitioner
    /// when it has no partitions: every record would be dropped. (Spark allows
    /// `HashPartitioner(0)` and fails the first map task that sees a key with `/ by zero`;
    /// here the job is refused before it runs. A parent of no partitions shuffles to nothing.)
    pub(crate) fn check_can_hold(
        &self,
        op: &str,
        parent: &str,
        parent_partitions: usize,
    ) -> crate::error::Result<()> {
        if self.num_partitions() == 0 && parent_partitions > 0 {
            return Err(crate::error::Error::InvalidArgument(format!(
                "{op}: cannot shuffle the {parent_partitions} partitions of {parent} into \
                 {self}: zero partitions can hold no data (use a partitioner of 1 or more \
                 partitions)"
            )));
        }
        Ok(())
    }

    /// The partition of `key`, in `0..num_partitions()` (0 for a zero-partition partitioner,
    /// which never receives a key).
    pub fn get_partition<K: Hash + ?Sized>(&self, key: &K) -> usize {
        match self.kind {
            PartitionerKind::Hash { partitions } => {
                if partitions == 0 {
                    return 0;
                }
                (stable_hash(key) % partitions as u64) as usize
            }
        }
    }
}

impl std::fmt::Display for Partitioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            PartitionerKind::Hash { partitions } => write!(f, "HashPartitioner({partitions})"),
        }
    }
}

/// The hash of `key` under [`StableHasher`].
pub(crate) fn stable_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut h = StableHasher::default();
    key.hash(&mut h);
    h.finish()
}

/// A seedless, fast, non-cryptographic 64-bit hasher (the FxHash mixing step with a murmur3
/// finaliser). Deterministic across runs and processes of the same build target.
#[derive(Default, Clone, Copy)]
pub struct StableHasher {
    state: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl StableHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for StableHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("chunks_exact(8)")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.add(tail_word(rest) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // murmur3's fmix64, so that low bits depend on every input bit.
        let mut k = self.state;
        k ^= k >> 33;
        k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
        k ^= k >> 33;
        k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        k ^ (k >> 33)
    }
}

/// The 1 to 7 bytes of `rest` as a little-endian `u64` padded with zeros, read with two
/// overlapping loads instead of a copy into a stack buffer: the copy cost a failed
/// store-to-load forward on every hash of a short string, which made lookups of `String` keys
/// in a [`StableHashMap`] several times slower than with std's SipHash.
#[inline]
fn tail_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    let u32_at = |i: usize| {
        u64::from(u32::from_le_bytes([
            rest[i],
            rest[i + 1],
            rest[i + 2],
            rest[i + 3],
        ]))
    };
    let u16_at = |i: usize| u64::from(u16::from_le_bytes([rest[i], rest[i + 1]]));
    if n >= 4 {
        // Bytes 0..4, then bytes 4..n (the top of the last four bytes, shifted down).
        u32_at(0) | ((u32_at(n - 4) >> (8 * (8 - n))) << 32)
    } else if n >= 2 {
        u16_at(0) | ((u16_at(n - 2) >> (8 * (4 - n))) << 16)
    } else {
        u64::from(rest[0])
    }
}

/// `BuildHasher` for maps whose iteration order must be the same in every run.
pub type StableBuildHasher = BuildHasherDefault<StableHasher>;

/// A `HashMap` with [`StableHasher`].
pub type StableHashMap<K, V> = std::collections::HashMap<K, V, StableBuildHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_do_not_change_between_builds() {
        // If these change, data written by an older build lands in other partitions.
        assert_eq!(stable_hash(&0u64), stable_hash(&0u64));
        let p = Partitioner::hash(7);
        let spread: Vec<usize> = (0..1000u64).map(|k| p.get_partition(&k)).collect();
        for part in 0..7 {
            let n = spread.iter().filter(|&&x| x == part).count();
            assert!(n > 100, "partition {part} got {n} of 1000 keys");
        }
    }

    #[test]
    fn hashes_are_pinned() {
        // Values of the first release: a change moves keys to other partitions.
        assert_eq!(stable_hash(&42i32), 0x2558_5839_4b61_ab76);
        assert_eq!(stable_hash("spark"), 0xd24e_57f3_c1c1_1281);
        assert_eq!(stable_hash("w12345"), 0xd971_5337_3488_fc63);
        assert_eq!(
            stable_hash("the quick brown fox jumps"),
            0xba16_cdb4_70c1_a28a
        );
        assert_eq!(stable_hash(&(7u8, "ab".to_string())), 0x771f_2e34_400c_1a8f);
        // Every tail length (0 to 7 bytes after the 8-byte words).
        let alphabet = "abcdefghijklmnopqrst";
        let pinned: [u64; 20] = [
            0xb1e6473724cbac6f,
            0x60e9d34dc01ef8ed,
            0x40c8f2e26658e056,
            0x48ccc8101e8db5aa,
            0x03187e60625c859c,
            0xa9205847746af185,
            0x7859bb8bbedecd8b,
            0x648f13221502c29b,
            0x7782401f45a5d441,
            0x49881e5f8b3acab5,
            0x2fbdfdf80dab5cc4,
            0xba611c93bd3edae7,
            0x9d0b4fa36a1ef9a1,
            0xca4f28a24b9a7d80,
            0x368907cdf1431ca1,
            0x5108bd16e0b7b3a1,
            0xe159104aa21343e1,
            0xf0d8c17fcf70389d,
            0x039a6500afecf5eb,
            0xb66d6100aa436c7d,
        ];
        for (n, want) in pinned.iter().enumerate() {
            assert_eq!(stable_hash(&alphabet[..n]), *want, "length {n}");
        }
    }

    #[test]
    fn tail_word_is_the_zero_padded_little_endian_word() {
        let bytes = [0x01, 0x82, 0x43, 0xf4, 0x05, 0x96, 0x27];
        for n in 1..=7 {
            let mut buf = [0u8; 8];
            buf[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(
                tail_word(&bytes[..n]),
                u64::from_le_bytes(buf),
                "length {n}"
            );
        }
    }

    #[test]
    fn strings_spread_and_differ() {
        let p = Partitioner::hash(4);
        let mut counts = [0; 4];
        for i in 0..4000 {
            counts[p.get_partition(&format!("word{i}"))] += 1;
        }
        assert!(counts.iter().all(|&c| c > 800), "{counts:?}");
        assert_ne!(stable_hash("ab"), stable_hash("ba"));
    }

    #[test]
    fn aligned_keys_spread_over_low_bits() {
        // Multiples of 1024 must not pile into the same hash-table buckets.
        let low: std::collections::HashSet<u64> = (0..1024u64)
            .map(|i| stable_hash(&(i << 10)) & 1023)
            .collect();
        assert!(low.len() > 600, "{} distinct buckets", low.len());
    }

    #[test]
    fn zero_partitions_never_divides_by_zero() {
        assert_eq!(Partitioner::hash(0).get_partition(&42), 0);
    }
}
