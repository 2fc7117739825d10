//! Spark's `RangePartitioner`: sorted bounds sampled from the RDD, so that a sort's partitions
//! hold roughly equal ranges of keys.
//!
//! Building one runs a job, as in Spark (so `sort_by_key` runs a job when it is called, not
//! when its result is computed):
//!
//! 1. **Sketch.** Each partition of the keys reservoir-samples up to
//!    `ceil(3 × sampleSize / partitions)` keys (`sampleSize = min(20 × numPartitions, 10⁶)`)
//!    and counts its keys, seeded by its index and the keys RDD's id.
//! 2. **Re-sample** the partitions holding many more keys than the average (those whose share
//!    of the sample, `fraction × n`, exceeds the per-partition size): a second job over just
//!    those partitions keeps each key with probability `fraction` (Bernoulli, seeded per
//!    partition), so a skewed partition is represented by as many keys as its size asks.
//! 3. **Weighted bounds** (Spark's `determineBounds`): every candidate key weighs how many keys
//!    it stands for (`n / sampled` of its partition, or `1 / fraction` when re-sampled); the
//!    sorted candidates are cut into `numPartitions` runs of equal weight, skipping duplicates,
//!    so there may be fewer bounds than asked for.
//!
//! `getPartition` walks the bounds linearly up to 128 of them and binary-searches above, as
//! Spark does; a descending partitioner numbers the ranges from the other end.
//!
//! Departures: the random generator is a splitmix64 seeded as Spark seeds its
//! `XORShiftRandom` (`byteswap32` of the same values), so samples are as repeatable as Spark's
//! but not the same keys; the re-sampling job runs over the imbalanced partitions of the keys
//! RDD directly instead of through a `PartitionPruningRDD` and `sample` (the same tasks).
//!
//! Layering: uses the RDD handle's job API; the scheduler never sees the key type.

use std::any::{Any, TypeId};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::rdd::Data;
use crate::{Partitioner, Rdd};

/// The bounds of a range partitioner, with their key type erased.
pub(super) struct RangeBounds {
    ascending: bool,
    len: usize,
    key_type: TypeId,
    key_type_name: &'static str,
    /// The serialized bounds: Spark's `rangeBounds.sameElements` as byte equality.
    encoded: Vec<u8>,
    /// The `Vec<K>` of bounds.
    bounds: Box<dyn Any + Send + Sync>,
    /// `find::<K>`: the range of a key before the direction is applied.
    find: fn(&dyn Any, &dyn Any) -> Option<usize>,
}

impl PartialEq for RangeBounds {
    fn eq(&self, other: &RangeBounds) -> bool {
        self.ascending == other.ascending
            && self.key_type == other.key_type
            && self.encoded == other.encoded
    }
}
impl Eq for RangeBounds {}
impl Hash for RangeBounds {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.encoded.hash(h);
        self.ascending.hash(h);
    }
}

impl RangeBounds {
    pub(super) fn num_partitions(&self) -> usize {
        self.len + 1
    }
    pub(super) fn ascending(&self) -> bool {
        self.ascending
    }
    pub(super) fn key_type_name(&self) -> &'static str {
        self.key_type_name
    }
    pub(super) fn bounds<K: 'static>(&self) -> Option<&[K]> {
        self.bounds.downcast_ref::<Vec<K>>().map(Vec::as_slice)
    }
    /// Spark's `getPartition`; `None` for a key of another type.
    pub(super) fn partition(&self, key: &dyn Any) -> Option<usize> {
        let range = (self.find)(&*self.bounds, key)?;
        Some(if self.ascending {
            range
        } else {
            self.len - range
        })
    }
}

/// Above this many bounds, `getPartition` binary-searches (Spark's threshold).
const LINEAR_SEARCH_MAX: usize = 128;

fn find<K: Ord + 'static>(bounds: &dyn Any, key: &dyn Any) -> Option<usize> {
    let bounds = bounds.downcast_ref::<Vec<K>>()?;
    let key = key.downcast_ref::<K>()?;
    Some(find_range(bounds, key))
}

/// The range of `key` among sorted, distinct `bounds`, before the direction is applied.
#[inline]
fn find_range<K: Ord>(bounds: &[K], key: &K) -> usize {
    if bounds.len() <= LINEAR_SEARCH_MAX {
        bounds.iter().take_while(|b| key > *b).count()
    } else {
        // The first bound not below the key: the match when there is one (bounds are
        // distinct), else the insertion point, as Spark's binary search gives.
        bounds.partition_point(|b| b < key)
    }
}

/// Spark's `getPartition` on typed bounds: the same answer as [`RangeBounds::partition`],
/// for a caller that places many keys of one type (no dynamic call per key).
#[inline]
pub(crate) fn range_partition<K: Ord>(bounds: &[K], ascending: bool, key: &K) -> usize {
    let range = find_range(bounds, key);
    if ascending {
        range
    } else {
        bounds.len() - range
    }
}

impl Partitioner {
    /// Spark's `RangePartitioner(partitions, rdd, ascending)`: samples the keys of `rdd` (one
    /// job, and a second when some partitions are much larger than the rest) and cuts them
    /// into up to `num_partitions` ranges of roughly equal size. It may have fewer partitions
    /// than asked for (one for an empty RDD), as Spark's.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let rdd = sc.parallelize((0..1000).map(|x| (x, x)).collect(), 4);
    /// let p = Partitioner::range(4, &rdd, true).unwrap();
    /// assert_eq!(p.num_partitions(), 4);
    /// assert!(p.get_partition(&0) <= p.get_partition(&500));
    /// assert_eq!(p.get_partition(&999), 3);
    /// let empty = sc.parallelize(Vec::<(i32, i32)>::new(), 2);
    /// assert_eq!(Partitioner::range(2, &empty, true).unwrap().num_partitions(), 1);
    /// ```
    pub fn range<K: Data + Ord, V: Data>(
        num_partitions: usize,
        rdd: &Rdd<(K, V)>,
        ascending: bool,
    ) -> Result<Partitioner> {
        let bounds = if num_partitions <= 1 {
            Vec::new()
        } else {
            sample_bounds(num_partitions, rdd)?
        };
        Partitioner::from_bounds(bounds, ascending)
    }

    /// A range partitioner with these sorted, distinct bounds.
    pub(crate) fn from_bounds<K: Data + Ord>(bounds: Vec<K>, ascending: bool) -> Result<Self> {
        let encoded = crate::serializer::serialize(&bounds).map_err(|e| {
            Error::InvalidArgument(format!("RangePartitioner: cannot encode its bounds: {e}"))
        })?;
        Ok(Partitioner {
            kind: super::PartitionerKind::Range(Arc::new(RangeBounds {
                ascending,
                len: bounds.len(),
                key_type: TypeId::of::<K>(),
                key_type_name: std::any::type_name::<K>(),
                encoded,
                bounds: Box::new(bounds),
                find: find::<K>,
            })),
        })
    }
}

/// Steps 1 to 3 of the module doc for `partitions` (at least 2) ranges.
fn sample_bounds<K: Data + Ord, V: Data>(partitions: usize, rdd: &Rdd<(K, V)>) -> Result<Vec<K>> {
    let sample_size = (20.0 * partitions as f64).min(1e6);
    let parent_parts = rdd.num_partitions();
    let per_partition = if parent_parts == 0 {
        usize::MAX
    } else {
        (3.0 * sample_size / parent_parts as f64).ceil() as usize
    };
    let keys = rdd.map_named("map", |(k, _)| k);
    let (num_items, sketched) = sketch(&keys, per_partition)?;
    if num_items == 0 {
        return Ok(Vec::new());
    }
    let fraction = (sample_size / num_items.max(1) as f64).min(1.0);
    let mut candidates: Vec<(K, f32)> = Vec::new();
    let mut imbalanced = Vec::new();
    for (idx, n, sample) in sketched {
        if fraction * n as f64 > per_partition as f64 {
            imbalanced.push(idx);
        } else {
            // The weight is one over the sampling probability.
            let weight = (n as f64 / sample.len() as f64) as f32;
            candidates.extend(sample.into_iter().map(|k| (k, weight)));
        }
    }
    if !imbalanced.is_empty() {
        let seed = byteswap32((rdd.id() as i32).wrapping_neg().wrapping_sub(1));
        let resampled = keys.run_job(imbalanced, move |idx, it| {
            let mut rng = SplitMix64::new(u64::from(seed) ^ ((idx as u64) << 32));
            it.filter(|_| rng.next_f64() < fraction).collect::<Vec<K>>()
        })?;
        let weight = (1.0 / fraction) as f32;
        candidates.extend(resampled.into_iter().flatten().map(|k| (k, weight)));
    }
    Ok(determine_bounds(candidates, partitions))
}

/// Spark's `RangePartitioner.sketch`: per partition, its index, its number of keys and a
/// reservoir sample of at most `per_partition` of them; and the total number of keys.
pub(crate) fn sketch<K: Data>(
    keys: &Rdd<K>,
    per_partition: usize,
) -> Result<(u64, Vec<(usize, u64, Vec<K>)>)> {
    let shift = keys.id() as i32;
    // Every key is read: in chunks, one dynamic call per chunk.
    let sketched = keys.run_job_chunked((0..keys.num_partitions()).collect(), move |idx, it| {
        let seed = byteswap32((idx as i32) ^ shift.wrapping_shl(16));
        let (sample, n) = reservoir_sample_and_count(it, per_partition, seed);
        (idx, n, sample)
    })?;
    let total = sketched.iter().map(|(_, n, _)| n).sum();
    Ok((total, sketched))
}

/// Spark's `SamplingUtils.reservoirSampleAndCount`: the first `k` items, then item `l` (from
/// 1) replaces a random slot with probability `k / l`; and the number of items.
fn reservoir_sample_and_count<T>(
    mut input: impl Iterator<Item = T>,
    k: usize,
    seed: u32,
) -> (Vec<T>, u64) {
    let mut reservoir: Vec<T> = input.by_ref().take(k).collect();
    if reservoir.len() < k {
        let n = reservoir.len() as u64;
        return (reservoir, n);
    }
    let mut l = reservoir.len() as u64;
    let mut rng = SplitMix64::new(u64::from(seed));
    for item in input {
        l += 1;
        let slot = (rng.next_f64() * l as f64) as u64;
        if slot < k as u64 {
            reservoir[slot as usize] = item;
        }
    }
    (reservoir, l)
}

/// Spark's `RangePartitioner.determineBounds`: cuts the weighted candidates, in key order,
/// into `partitions` runs of equal weight; each run's last key is a bound, duplicates skipped.
pub(crate) fn determine_bounds<K: Ord>(mut candidates: Vec<(K, f32)>, partitions: usize) -> Vec<K> {
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    let sum_weights: f64 = candidates.iter().map(|(_, w)| f64::from(*w)).sum();
    let step = sum_weights / partitions as f64;
    let mut cum_weight = 0.0;
    let mut target = step;
    let mut bounds: Vec<K> = Vec::new();
    for (key, weight) in candidates {
        if bounds.len() >= partitions.saturating_sub(1) {
            break;
        }
        cum_weight += f64::from(weight);
        if cum_weight > target && bounds.last().is_none_or(|prev| key > *prev) {
            bounds.push(key);
            target += step;
        }
    }
    bounds
}

/// Spark's `byteswap32`: a cheap integer hash used to derive seeds.
fn byteswap32(v: i32) -> u32 {
    let hc = (v as u32).wrapping_mul(0x9e37_75cd);
    hc.swap_bytes().wrapping_mul(0x9e37_75cd)
}

/// A small seeded generator (splitmix64) for sampling.
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SparkConf, SparkContext};

    fn sc() -> SparkContext {
        SparkContext::new(SparkConf::new().set_master("local[2]")).expect("context")
    }

    /// Spark: PartitioningSuite "RangPartitioner.sketch"
    #[test]
    fn sketch_counts_every_partition_and_samples_at_most_the_size() {
        let sc = sc();
        let rdd = sc
            .parallelize((0..20u64).collect(), 20)
            .flat_map(|i| {
                let mut rng = SplitMix64::new(i);
                (0..i)
                    .map(move |_| rng.next_f64().to_bits())
                    .collect::<Vec<_>>()
            })
            .cache()
            .unwrap();
        let (count, sketched) = sketch(&rdd, 10).unwrap();
        assert_eq!(count, rdd.count().unwrap() as u64);
        assert_eq!(sketched.len(), 20);
        for (idx, n, sample) in sketched {
            assert_eq!(n, idx as u64);
            assert_eq!(sample.len() as u64, n.min(10));
        }
    }

    /// Spark: PartitioningSuite "RangePartitioner.determineBounds" (Spark's doubles ×10 as
    /// integers: Rust's `f64` is not `Ord`).
    #[test]
    fn determine_bounds_weighs_candidates() {
        assert!(determine_bounds(Vec::<(i32, f32)>::new(), 10).is_empty());
        let candidates = vec![
            (7, 2.0),
            (1, 1.0),
            (4, 1.0),
            (3, 1.0),
            (2, 1.0),
            (5, 1.0),
            (10, 3.0),
        ];
        assert_eq!(determine_bounds(candidates, 3), vec![4, 7]);
    }

    #[test]
    fn determine_bounds_skips_duplicates() {
        let candidates = (0..100).map(|_| (1, 1.0)).collect();
        assert_eq!(determine_bounds(candidates, 4), vec![1]);
    }

    #[test]
    fn reservoir_keeps_everything_below_its_size_and_counts_all() {
        let (s, n) = reservoir_sample_and_count(0..5, 10, 1);
        assert_eq!((s, n), (vec![0, 1, 2, 3, 4], 5));
        let (s, n) = reservoir_sample_and_count(0..10_000, 10, 1);
        assert_eq!((s.len(), n), (10, 10_000));
        assert!(
            s.iter().any(|&x| x >= 10),
            "later items replace early ones: {s:?}"
        );
        assert_eq!(reservoir_sample_and_count(0..10_000, 10, 1).0, s, "seeded");
    }

    #[test]
    fn binary_search_above_128_bounds_agrees_with_the_linear_walk() {
        let bounds: Vec<i32> = (0..300).map(|i| i * 10).collect();
        let small: Vec<i32> = (0..100).map(|i| i * 10).collect();
        for key in -5..3010 {
            let linear = bounds.iter().take_while(|b| key > **b).count();
            assert_eq!(find::<i32>(&bounds, &key), Some(linear), "key {key}");
            let linear = small.iter().take_while(|b| key > **b).count();
            assert_eq!(find::<i32>(&small, &key), Some(linear), "key {key}");
        }
        assert_eq!(find::<i32>(&bounds, &"x"), None);
    }

    #[test]
    fn descending_numbers_ranges_from_the_end() {
        let p = Partitioner::from_bounds(vec![10, 20], false).unwrap();
        assert_eq!(p.num_partitions(), 3);
        assert_eq!(
            [5, 10, 15, 20, 25].map(|k| p.get_partition(&k)),
            [2, 2, 1, 1, 0]
        );
        let err = p.partition_for(&"key").unwrap_err();
        assert!(err.contains("i32") && err.contains("&str"), "{err}");
    }

    #[test]
    fn byteswap32_is_spark_s() {
        // Spark's formula: reverseBytes(v * 0x9e3775cd) * 0x9e3775cd, on 32-bit ints.
        assert_eq!(byteswap32(0), 0);
        assert_eq!(byteswap32(1), 0x903a_bf86);
        assert_eq!(byteswap32(-5), 0x2f7a_23c8);
    }
}
