//! Partitioners: which reduce partition a key goes to (Spark's `Partitioner`,
//! `HashPartitioner`, `RangePartitioner`, and a user's own partitioner).
//!
//! Spark's `HashPartitioner` takes `key.hashCode` modulo the partition count (made non-negative).
//! Rust's `std` hashers are seeded at random, which would send a key to a different partition
//! in every process; here every hash that decides a partition goes through [`StableHasher`], a
//! seedless 64-bit hasher, so the same key lands in the same partition in every run and every
//! process. The same hasher backs the hash maps of shuffles and state maps
//! ([`StableBuildHasher`]), which makes their iteration order (and so Spark-visible output
//! order) repeatable.
//!
//! A [`Partitioner`] has no key type, as Spark's does not (`getPartition(key: Any)`): a
//! `RangePartitioner` or custom partitioner keeps its typed bounds or function behind
//! `dyn Any` and checks the key's type on each call. A shuffle asks through the checked
//! [`Partitioner::partition_for`] and fails its task with a message naming both types when a
//! key is of another type than the partitioner's (Spark fails the same task with a
//! `ClassCastException`).
//!
//! Only a hash partitioner can be written to a checkpoint's `_partitioner` file: the bounds of
//! a range partitioner and the function of a custom one cannot be decoded without their key
//! type, so serializing them is an error (the checkpoint then keeps the partitioner in memory
//! only, as Spark does when writing `_partitioner` fails).

mod range;
pub(crate) use range::range_partition;

use std::any::{Any, TypeId};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

/// Decides the partition of each key of a pair RDD. Equality is Spark's: two hash partitioners
/// are equal when they have the same number of partitions; two range partitioners when their
/// bounds and direction are; two custom partitioners when their names and counts are.
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
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Partitioner {
    kind: PartitionerKind,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum PartitionerKind {
    /// Spark's `HashPartitioner(partitions)`.
    Hash { partitions: usize },
    /// Spark's `RangePartitioner`: sorted upper bounds of all partitions but the last.
    Range(Arc<range::RangeBounds>),
    /// A user's partitioner (Spark's subclass of `Partitioner`).
    Custom(Arc<CustomPartitioner>),
}

/// The function of [`Partitioner::custom`], with its key type erased.
struct CustomPartitioner {
    name: String,
    partitions: usize,
    key_type: TypeId,
    key_type_name: &'static str,
    f: Box<dyn Fn(&dyn Any) -> Option<usize> + Send + Sync>,
}

impl PartialEq for CustomPartitioner {
    fn eq(&self, other: &CustomPartitioner) -> bool {
        self.name == other.name && self.partitions == other.partitions
    }
}
impl Eq for CustomPartitioner {}
impl Hash for CustomPartitioner {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.name.hash(h);
        self.partitions.hash(h);
    }
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

    /// A user's partitioner: `f(key)` is the partition of `key`, in `0..num_partitions`.
    /// Two custom partitioners are equal when their names and partition counts are (so an RDD
    /// partitioned by one is not shuffled again for the other). A key of another type than
    /// `K`, or an index `f` returns out of range, fails the task that meets it.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let even_odd = Partitioner::custom("EvenOdd", 2, |k: &i32| (k.rem_euclid(2)) as usize);
    /// assert_eq!(even_odd, Partitioner::custom("EvenOdd", 2, |_: &i32| 0));
    /// let parts = sc
    ///     .parallelize(vec![(1, 'a'), (2, 'b'), (3, 'c')], 2)
    ///     .partition_by(even_odd)
    ///     .glom()
    ///     .collect()
    ///     .unwrap();
    /// assert_eq!(parts, vec![vec![(2, 'b')], vec![(1, 'a'), (3, 'c')]]);
    /// ```
    pub fn custom<K: 'static>(
        name: &str,
        num_partitions: usize,
        f: impl Fn(&K) -> usize + Send + Sync + 'static,
    ) -> Partitioner {
        Partitioner {
            kind: PartitionerKind::Custom(Arc::new(CustomPartitioner {
                name: name.to_string(),
                partitions: num_partitions,
                key_type: TypeId::of::<K>(),
                key_type_name: std::any::type_name::<K>(),
                f: Box::new(move |key| key.downcast_ref::<K>().map(&f)),
            })),
        }
    }

    /// The number of partitions keys are spread over (for a range partitioner, one more than
    /// its bounds, as Spark's).
    pub fn num_partitions(&self) -> usize {
        match &self.kind {
            PartitionerKind::Hash { partitions } => *partitions,
            PartitionerKind::Range(r) => r.num_partitions(),
            PartitionerKind::Custom(c) => c.partitions,
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
    /// which never receives a key). A range or custom partitioner given a key of another type
    /// than its own, or a custom function's index out of range, gives 0 here; shuffles and
    /// `lookup` use [`Partitioner::partition_for`], which reports those as errors.
    pub fn get_partition<K: Hash + 'static>(&self, key: &K) -> usize {
        self.partition_for(key).unwrap_or(0)
    }

    /// [`Partitioner::get_partition`], or why the key cannot be partitioned: a key of another
    /// type than a range or custom partitioner's, or a custom function's index out of range.
    pub fn partition_for<K: Hash + 'static>(&self, key: &K) -> Result<usize, String> {
        match &self.kind {
            PartitionerKind::Hash { partitions } => {
                if *partitions == 0 {
                    return Ok(0);
                }
                Ok((stable_hash(key) % *partitions as u64) as usize)
            }
            _ => self.partition_for_any(key),
        }
    }

    /// The partition of a key of a type that need not be `Hash` (the keys of `sort_by_key`),
    /// for a range or custom partitioner; a hash partitioner cannot partition such keys.
    pub(crate) fn partition_for_any<K: 'static>(&self, key: &K) -> Result<usize, String> {
        let any: &dyn Any = key;
        match &self.kind {
            PartitionerKind::Hash { .. } => Err(format!(
                "{self} cannot partition keys of type {} here: they are not known to be Hash",
                std::any::type_name::<K>()
            )),
            PartitionerKind::Range(r) => r
                .partition(any)
                .ok_or_else(|| wrong_key_type(self, r.key_type_name(), std::any::type_name::<K>())),
            PartitionerKind::Custom(c) => {
                if c.key_type != TypeId::of::<K>() {
                    return Err(wrong_key_type(
                        self,
                        c.key_type_name,
                        std::any::type_name::<K>(),
                    ));
                }
                match (c.f)(any) {
                    Some(p) if p < c.partitions => Ok(p),
                    Some(p) => Err(format!(
                        "{self} returned partition {p} for a key, outside 0..{} (a custom \
                         partitioner must return an index below its partition count)",
                        c.partitions
                    )),
                    None => Err(wrong_key_type(
                        self,
                        c.key_type_name,
                        std::any::type_name::<K>(),
                    )),
                }
            }
        }
    }

    /// A range partitioner's bounds of key type `K` and its direction, for a caller that places
    /// many keys with `range_partition` (the answers of
    /// [`Partitioner::partition_for_any`] without a dynamic call per key); `None` for any other
    /// partitioner or key type.
    pub(crate) fn typed_range<K: 'static>(&self) -> Option<(&[K], bool)> {
        match &self.kind {
            PartitionerKind::Range(r) => r.bounds::<K>().map(|b| (b, r.ascending())),
            _ => None,
        }
    }

    /// Spark's `rangeBounds` of a range partitioner whose keys are `K` (`None` for any other
    /// partitioner or key type).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let rdd = sc.parallelize((1..=100).map(|x| (x, ())).collect(), 4);
    /// let p = Partitioner::range(4, &rdd, true).unwrap();
    /// let bounds = p.range_bounds::<i32>().unwrap();
    /// assert_eq!(p.num_partitions(), bounds.len() + 1);
    /// assert!(bounds.windows(2).all(|w| w[0] < w[1]));
    /// ```
    pub fn range_bounds<K: Clone + 'static>(&self) -> Option<Vec<K>> {
        match &self.kind {
            PartitionerKind::Range(r) => r.bounds::<K>().map(<[K]>::to_vec),
            _ => None,
        }
    }
}

fn wrong_key_type(p: &Partitioner, want: &str, got: &str) -> String {
    format!("{p} partitions keys of type {want}, but was given a key of type {got}")
}

impl std::fmt::Display for Partitioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            PartitionerKind::Hash { partitions } => write!(f, "HashPartitioner({partitions})"),
            PartitionerKind::Range(r) => write!(
                f,
                "RangePartitioner({}, {})",
                r.num_partitions(),
                if r.ascending() {
                    "ascending"
                } else {
                    "descending"
                }
            ),
            PartitionerKind::Custom(c) => write!(f, "{}({})", c.name, c.partitions),
        }
    }
}

impl std::fmt::Debug for Partitioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// The `_partitioner` file form: only a hash partitioner has one (the layout is the one the
/// first release wrote, so its files still read).
#[derive(serde::Serialize, serde::Deserialize)]
struct PartitionerRepr {
    kind: ReprKind,
}

#[derive(serde::Serialize, serde::Deserialize)]
enum ReprKind {
    Hash { partitions: usize },
}

impl serde::Serialize for Partitioner {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.kind {
            PartitionerKind::Hash { partitions } => PartitionerRepr {
                kind: ReprKind::Hash {
                    partitions: *partitions,
                },
            }
            .serialize(s),
            _ => Err(serde::ser::Error::custom(format!(
                "{self} cannot be serialized: its bounds or function need their key type to be \
                 read back (only HashPartitioner is written to `_partitioner`)"
            ))),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Partitioner {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Partitioner, D::Error> {
        let repr = PartitionerRepr::deserialize(d)?;
        match repr.kind {
            ReprKind::Hash { partitions } => Ok(Partitioner::hash(partitions)),
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
    fn only_hash_partitioners_serialize_and_their_layout_is_the_first_releases() {
        let bytes = crate::serializer::serialize(&Partitioner::hash(8)).unwrap();
        // `kind: Hash { partitions: 8 }`: variant 0 as u32, then the count as u64.
        assert_eq!(bytes, [0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0]);
        let back: Partitioner = crate::serializer::deserialize(&bytes).unwrap();
        assert_eq!(back, Partitioner::hash(8));
        let range = Partitioner::from_bounds(vec![1, 5], true).unwrap();
        let err = crate::serializer::serialize(&range).unwrap_err();
        assert!(
            err.to_string().contains("RangePartitioner(3, ascending)"),
            "{err}"
        );
        let custom = Partitioner::custom("Mine", 2, |_: &u8| 0);
        assert!(crate::serializer::serialize(&custom).is_err());
    }

    #[test]
    fn custom_partitioners_check_the_key_type_and_the_index() {
        let p = Partitioner::custom("Mod3", 3, |k: &u32| (*k % 3) as usize);
        assert_eq!(p.partition_for(&7u32), Ok(1));
        let err = p.partition_for(&7i64).unwrap_err();
        assert!(
            err.contains("Mod3(3)") && err.contains("u32") && err.contains("i64"),
            "{err}"
        );
        assert_eq!(p.get_partition(&7i64), 0);
        let bad = Partitioner::custom("Bad", 2, |_: &u32| 9);
        assert!(bad
            .partition_for(&1u32)
            .unwrap_err()
            .contains("outside 0..2"));
    }

    #[test]
    fn zero_partitions_never_divides_by_zero() {
        assert_eq!(Partitioner::hash(0).get_partition(&42), 0);
    }
}
