//! The reduce-side sort of a `ShuffledRDD` with a key ordering (`sort_by_key`,
//! `repartition_and_sort_within_partitions`): a stable sort of one partition's records by key.
//!
//! For keys of a primitive integer type (and `bool`, `char`), whose order is that of an
//! unsigned number they map to, the records are first distributed by the high bits of that
//! number into up to 2048 buckets (one pass to count, one to move, both in map order), and each
//! bucket is then sorted on its own, in cache: its records' `(number, position)` pairs are
//! distributed by a second digit and the records put in that order (see `sort_bucket`). This is
//! the idea of Spark's `RadixSort` over key prefixes in `UnsafeInMemorySorter`. Every other key
//! type takes the plain stable `sort_by` on the key.
//!
//! Both paths are stable: records of equal keys stay in the order they were fetched (map
//! order), ascending or descending.
//!
//! Layering: a leaf helper of `rdd::shuffled`; no I/O, no user code.

use std::any::{Any, TypeId};

use crate::serializer::fixed::{get_pair, pair_records, with_pair, FixedKey, FixedLe, PairFn};
use crate::serializer::SerializerError;

/// The sorted records, as runs to be read one after the other.
pub(crate) type SortedRuns<R> = Vec<Vec<R>>;

/// At most this many bits of the key pick a bucket (2048 buckets: the counters and the open
/// bucket ends stay in the first-level caches and TLB).
const MAX_BUCKET_BITS: u32 = 11;

/// Below this many records, one comparison sort is as fast as distributing first.
const MIN_DISTRIBUTE: usize = 4096;

/// Records per bucket aimed for (a bucket of them sorts in cache).
const TARGET_BUCKET: usize = 1024;

/// A key type whose order is that of the unsigned number [`RadixKey::number`] maps it to
/// (one-to-one).
trait RadixKey: Ord + 'static {
    fn number(&self) -> u64;
}

macro_rules! radix_key {
    ($($t:ty => $to_u64:expr),* $(,)?) => {
        $(
            impl RadixKey for $t {
                #[inline(always)]
                fn number(&self) -> u64 {
                    let to_u64: fn($t) -> u64 = $to_u64;
                    to_u64(*self)
                }
            }
        )*
        /// Sorts `records` through [`distribute_and_sort`] when `K` is a [`RadixKey`] type;
        /// gives them back otherwise.
        fn by_number<K: Ord + 'static, C: 'static>(
            records: Vec<(K, C)>,
            ascending: bool,
        ) -> Result<SortedRuns<(K, C)>, Vec<(K, C)>> {
            $(
                if TypeId::of::<K>() == TypeId::of::<$t>() {
                    // The type test above makes both downcasts succeed: one move of the
                    // vector's header each way, no per-record dynamic call.
                    let typed = match as_type::<_, Vec<($t, C)>>(records) {
                        Ok(typed) => typed,
                        Err(records) => return Err(records),
                    };
                    let runs = distribute_and_sort(typed, ascending, <$t>::number);
                    return Ok(as_type::<_, SortedRuns<(K, C)>>(runs)
                        .unwrap_or_else(|_| unreachable!("the type test above")));
                }
            )*
            Err(records)
        }
    };
}
// Signed numbers: flipping the sign bit maps their order onto the unsigned order.
radix_key!(
    u64 => |v| v,
    u32 => |v| v as u64,
    u16 => |v| v as u64,
    u8 => |v| v as u64,
    usize => |v| v as u64,
    i64 => |v| (v as u64) ^ (1 << 63),
    i32 => |v| (v as i64 as u64) ^ (1 << 63),
    i16 => |v| (v as i64 as u64) ^ (1 << 63),
    i8 => |v| (v as i64 as u64) ^ (1 << 63),
    isize => |v| (v as i64 as u64) ^ (1 << 63),
    bool => |v| v as u64,
    char => |v| v as u64,
);

/// `value` as type `U` when `T` is `U` (a move, no copy), else `value` back.
fn as_type<T: 'static, U: 'static>(value: T) -> Result<U, T> {
    let boxed: Box<dyn Any> = Box::new(value);
    match boxed.downcast::<U>() {
        Ok(u) => Ok(*u),
        Err(boxed) => match boxed.downcast::<T>() {
            Ok(t) => Err(*t),
            Err(_) => unreachable!("a box holds the type it was made of"),
        },
    }
}

/// Sorts `records` by key, ascending or descending, stably.
pub(crate) fn sort_records<K: Ord + 'static, C: 'static>(
    records: Vec<(K, C)>,
    ascending: bool,
) -> SortedRuns<(K, C)> {
    match by_number(records, ascending) {
        Ok(runs) => runs,
        Err(mut records) => {
            sort_run(&mut records, ascending);
            vec![records]
        }
    }
}

/// Sorts the records of fetched shuffle blocks (each a `serialize_seq` buffer of `(K, C)`)
/// straight from their bytes, when the records are pairs of fixed-width numbers
/// (`serializer::fixed`): the keys are read from the bytes to size the buckets, and each
/// record is decoded into its bucket, so no vector of all the records is built first. The
/// result is [`sort_records`]' over the blocks' records in order. `None` for other record
/// types (the caller decodes and calls [`sort_records`]).
pub(crate) fn sort_fixed_blocks<K: Ord + 'static, C: 'static>(
    blocks: &[&[u8]],
    ascending: bool,
) -> Option<Result<SortedRuns<(K, C)>, SerializerError>> {
    let sorted = with_pair::<K, C, _>(SortBlocks { blocks, ascending })?;
    Some(
        sorted.map(|runs| match runs.downcast::<SortedRuns<(K, C)>>() {
            Ok(runs) => *runs,
            Err(_) => unreachable!("with_pair called with the types of (K, C)"),
        }),
    )
}

/// [`sort_fixed_blocks`] once the pair's types are known; the runs come back type-erased.
struct SortBlocks<'a> {
    blocks: &'a [&'a [u8]],
    ascending: bool,
}

impl PairFn for SortBlocks<'_> {
    type Out = Result<Box<dyn Any>, SerializerError>;

    fn call<A: FixedKey, B: FixedLe>(self) -> Self::Out {
        let runs = sort_pair_blocks::<A, B>(self.blocks, self.ascending)?;
        Ok(Box::new(runs))
    }
}

fn sort_pair_blocks<A: FixedKey, B: FixedLe>(
    blocks: &[&[u8]],
    ascending: bool,
) -> Result<SortedRuns<(A, B)>, SerializerError> {
    let width = A::WIDTH + B::WIDTH;
    let bodies = blocks
        .iter()
        .map(|b| pair_records::<A, B>(b))
        .collect::<Result<Vec<&[u8]>, _>>()?;
    let n: usize = bodies.iter().map(|b| b.len() / width).sum();
    let number = |r: &[u8]| A::get(&r[..A::WIDTH]).radix();
    let decode_all = || {
        let mut all = Vec::with_capacity(n);
        for b in &bodies {
            all.extend(b.chunks_exact(width).map(get_pair::<A, B>));
        }
        all
    };
    if n < MIN_DISTRIBUTE {
        let mut all = decode_all();
        sort_run(&mut all, ascending);
        return Ok(vec![all]);
    }
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for b in &bodies {
        for r in b.chunks_exact(width) {
            let x = number(r);
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    let Some(layout) = Layout::of(n, lo, hi) else {
        return Ok(vec![decode_all()]);
    };
    let mut counts = vec![0usize; layout.buckets];
    for b in &bodies {
        for r in b.chunks_exact(width) {
            counts[layout.bucket(number(r))] += 1;
        }
    }
    let mut buckets: SortedRuns<(A, B)> = counts.iter().map(|&c| Vec::with_capacity(c)).collect();
    for b in &bodies {
        for r in b.chunks_exact(width) {
            let (a, b) = get_pair::<A, B>(r);
            buckets[layout.bucket(a.radix())].push((a, b));
        }
    }
    Ok(sort_buckets(
        buckets,
        &counts,
        ascending,
        &layout,
        |k: &A| k.radix(),
    ))
}

/// The stable comparison sort of one run by key.
fn sort_run<K: Ord, C>(run: &mut [(K, C)], ascending: bool) {
    if ascending {
        run.sort_by(|a, b| a.0.cmp(&b.0));
    } else {
        run.sort_by(|a, b| b.0.cmp(&a.0));
    }
}

/// The first level's buckets: numbers from `lo` on, by their bits from `shift` up.
struct Layout {
    lo: u64,
    shift: u32,
    buckets: usize,
}

impl Layout {
    /// The buckets for `n` records whose numbers span `lo..=hi`; `None` when they are all one.
    fn of(n: usize, lo: u64, hi: u64) -> Option<Layout> {
        let span = hi - lo;
        if span == 0 {
            return None;
        }
        let wanted = (n / TARGET_BUCKET).max(2);
        let bucket_bits = (usize::BITS - (wanted - 1).leading_zeros()).min(MAX_BUCKET_BITS);
        let span_bits = u64::BITS - span.leading_zeros();
        let shift = span_bits.saturating_sub(bucket_bits);
        Some(Layout {
            lo,
            shift,
            buckets: (span >> shift) as usize + 1,
        })
    }

    #[inline(always)]
    fn bucket(&self, x: u64) -> usize {
        ((x - self.lo) >> self.shift) as usize
    }
}

/// Distributes the records into buckets by the high bits of `number(key)` (which must order
/// as the keys do and be one-to-one), then sorts each bucket by the bits below (see
/// [`sort_bucket`]); descending reads the buckets backwards.
fn distribute_and_sort<K: Ord, C>(
    mut records: Vec<(K, C)>,
    ascending: bool,
    number: impl Fn(&K) -> u64,
) -> SortedRuns<(K, C)> {
    if records.len() < MIN_DISTRIBUTE {
        sort_run(&mut records, ascending);
        return vec![records];
    }
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for (k, _) in &records {
        let x = number(k);
        lo = lo.min(x);
        hi = hi.max(x);
    }
    let Some(layout) = Layout::of(records.len(), lo, hi) else {
        // One key: already in map order, which is the stable order either way.
        return vec![records];
    };
    let mut counts = vec![0usize; layout.buckets];
    for (k, _) in &records {
        counts[layout.bucket(number(k))] += 1;
    }
    let mut buckets: SortedRuns<(K, C)> = counts.iter().map(|&c| Vec::with_capacity(c)).collect();
    for r in records {
        buckets[layout.bucket(number(&r.0))].push(r);
    }
    sort_buckets(buckets, &counts, ascending, &layout, number)
}

/// The second level of [`distribute_and_sort`]: each bucket sorted by the bits below the
/// layout's shift; descending reads the buckets backwards.
fn sort_buckets<K: Ord, C>(
    mut buckets: SortedRuns<(K, C)>,
    counts: &[usize],
    ascending: bool,
    layout: &Layout,
    number: impl Fn(&K) -> u64,
) -> SortedRuns<(K, C)> {
    // One scratch for all buckets: the largest bucket's (number, position) pairs, twice.
    let largest = counts.iter().copied().max().unwrap_or(0);
    if u32::try_from(largest).is_err() {
        // Positions would not fit the pairs: sort the crowded buckets by comparison.
        for b in &mut buckets {
            sort_run(b, ascending);
        }
        if !ascending {
            buckets.reverse();
        }
        return buckets;
    }
    let mut scratch = BucketScratch::with_capacity(largest);
    for b in &mut buckets {
        sort_bucket(b, ascending, layout.lo, layout.shift, &number, &mut scratch);
    }
    if !ascending {
        buckets.reverse();
    }
    buckets
}

/// Below this many records a bucket is sorted by insertion.
const INSERTION_MAX: usize = 24;

/// The reusable memory of [`sort_bucket`]: the bucket's `(number, position)` pairs and the
/// buffer they are distributed into.
struct BucketScratch {
    keys: Vec<(u64, u32)>,
    moved: Vec<(u64, u32)>,
    counts: Vec<u32>,
    next: Vec<u32>,
}

impl BucketScratch {
    fn with_capacity(records: usize) -> BucketScratch {
        BucketScratch {
            keys: Vec::with_capacity(records),
            moved: Vec::with_capacity(records),
            counts: Vec::new(),
            next: Vec::new(),
        }
    }
}

/// Sorts one bucket, whose numbers all share the bits above `shift` (relative to `lo`),
/// stably by number: the records' `(number, position)` pairs are distributed once more by
/// the next bits (a stable counting sort, as the first level), each small group is finished
/// by insertion sort, and the records are then put in that order by following the
/// permutation's cycles with swaps. The pairs are small and plain, and a bucket fits in cache,
/// so none of this touches main memory; an ascending order is the stable order because the
/// position breaks every tie, and a descending one reverses the number only.
fn sort_bucket<K, C>(
    bucket: &mut [(K, C)],
    ascending: bool,
    lo: u64,
    shift: u32,
    number: &impl Fn(&K) -> u64,
    scratch: &mut BucketScratch,
) {
    let n = bucket.len();
    if n < 2 || shift == 0 {
        // Every number here is the same: map order is the stable order.
        return;
    }
    // Within the bucket only the low `shift` bits differ; descending flips them, so that an
    // ascending sort of the flipped numbers is the descending order with ties kept in place.
    let low_mask = if shift >= 64 {
        u64::MAX
    } else {
        (1u64 << shift) - 1
    };
    let keys = &mut scratch.keys;
    keys.clear();
    keys.extend(bucket.iter().enumerate().map(|(i, (k, _))| {
        let low = (number(k) - lo) & low_mask;
        (if ascending { low } else { low_mask - low }, i as u32)
    }));
    if n <= INSERTION_MAX {
        insertion_sort(keys);
    } else {
        // The next digit: enough bits for groups of a few records, at most 11.
        let want = (n / 4).max(2);
        let digit_bits = (usize::BITS - (want - 1).leading_zeros())
            .min(MAX_BUCKET_BITS)
            .min(shift);
        let digit_shift = shift - digit_bits;
        let digit = |x: u64| (x >> digit_shift) as usize;
        let counts = &mut scratch.counts;
        counts.clear();
        counts.resize((1usize << digit_bits) + 1, 0);
        for &(x, _) in keys.iter() {
            counts[digit(x) + 1] += 1;
        }
        for d in 1..counts.len() {
            counts[d] += counts[d - 1];
        }
        let moved = &mut scratch.moved;
        moved.clear();
        moved.resize(n, (0, 0));
        let next = &mut scratch.next;
        next.clear();
        next.extend_from_slice(counts);
        for &(x, i) in keys.iter() {
            let slot = &mut next[digit(x)];
            moved[*slot as usize] = (x, i);
            *slot += 1;
        }
        if digit_shift > 0 {
            for d in 0..counts.len() - 1 {
                let group = &mut moved[counts[d] as usize..counts[d + 1] as usize];
                if group.len() <= INSERTION_MAX {
                    insertion_sort(group);
                } else {
                    // A crowded group (keys clustered below the digit): the pairs are
                    // distinct, so the unstable sort gives the stable order.
                    group.sort_unstable();
                }
            }
        }
        std::mem::swap(keys, moved);
    }
    permute(bucket, keys);
}

/// Stable insertion sort of `(number, position)` pairs by number (ties are in position order
/// already and never swap).
fn insertion_sort(v: &mut [(u64, u32)]) {
    for i in 1..v.len() {
        let item = v[i];
        let mut j = i;
        while j > 0 && v[j - 1].0 > item.0 {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = item;
    }
}

/// Reorders `bucket` so that its `i`-th record is the one that was at `order[i].1`, by
/// following each cycle of the permutation with swaps; `order` is used up as the marks.
fn permute<R>(bucket: &mut [R], order: &mut [(u64, u32)]) {
    for start in 0..bucket.len() {
        let mut j = start;
        loop {
            let k = order[j].1 as usize;
            order[j].1 = j as u32;
            if k == start || k == j {
                break;
            }
            bucket.swap(j, k);
            j = k;
        }
    }
}

/// Whether `runs` read in order are sorted by key (for tests).
#[cfg(test)]
fn is_sorted_by_key<K: Ord, C>(runs: &SortedRuns<(K, C)>, ascending: bool) -> bool {
    let want = if ascending {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Less
    };
    let keys: Vec<&K> = runs.iter().flatten().map(|r| &r.0).collect();
    keys.windows(2).all(|w| w[0].cmp(w[1]) != want)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// The reference: one stable sort by key.
    fn reference<K: Ord + Clone, C: Clone>(records: &[(K, C)], ascending: bool) -> Vec<(K, C)> {
        let mut v = records.to_vec();
        sort_run(&mut v, ascending);
        v
    }

    fn check<K: Ord + Clone + std::fmt::Debug + 'static>(keys: Vec<K>) {
        // The value is the record's position: stability shows in the output.
        let records: Vec<(K, usize)> = keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
        for ascending in [true, false] {
            let runs = sort_records(records.clone(), ascending);
            assert!(is_sorted_by_key(&runs, ascending));
            let got: Vec<(K, usize)> = runs.into_iter().flatten().collect();
            assert_eq!(got, reference(&records, ascending), "ascending {ascending}");
        }
    }

    #[test]
    fn bucketed_sort_is_the_stable_sort_for_integer_keys() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        check((0..20_000).map(|_| next()).collect::<Vec<u64>>());
        // Many duplicates (stability matters), a narrow span, signed keys around zero.
        check((0..20_000).map(|_| next() % 37).collect::<Vec<u64>>());
        check(
            (0..20_000)
                .map(|_| (next() % 1000) as i32 - 500)
                .collect::<Vec<i32>>(),
        );
        check((0..20_000).map(|_| next() as i64).collect::<Vec<i64>>());
        check(
            (0..10_000)
                .map(|i| if i % 2 == 0 { i64::MIN } else { i64::MAX })
                .collect::<Vec<i64>>(),
        );
        check((0..10_000).map(|_| next() % 3 == 0).collect::<Vec<bool>>());
        check(vec![7u8; 9000]);
        check((0..5000).map(|_| (next() % 200) as u8).collect::<Vec<u8>>());
        // Small inputs take the plain sort.
        check(vec![3u32, 1, 2, 1]);
        check(Vec::<u16>::new());
    }

    #[test]
    fn clustered_and_duplicated_keys_keep_the_stable_order() {
        let mut next = xorshift(7);
        // Nearly every key in the first bucket (one far outlier): crowded groups below the
        // second digit.
        let mut keys: Vec<u64> = (0..30_000).map(|_| next() % 3000).collect();
        keys.push(u64::MAX);
        check(keys);
        // Keys far apart in the high bits but equal in the low ones, and long runs of
        // duplicates within buckets.
        check(
            (0..40_000)
                .map(|_| (next() % 64) << 40)
                .collect::<Vec<u64>>(),
        );
        check(
            (0..40_000)
                .map(|_| next() % 10_000 * 7)
                .collect::<Vec<u64>>(),
        );
        // Already sorted and reversed inputs.
        check((0..30_000u64).collect::<Vec<u64>>());
        check((0..30_000i64).rev().collect::<Vec<i64>>());
    }

    /// `records` cut into `parts` shuffle blocks, as a map side writes them (bincode).
    fn blocks_of<K: serde::Serialize, C: serde::Serialize>(
        records: &[(K, C)],
        parts: usize,
    ) -> Vec<Vec<u8>> {
        let per = records.len().div_ceil(parts.max(1)).max(1);
        let mut blocks: Vec<Vec<u8>> = records
            .chunks(per)
            .map(|c| crate::serializer::serialize_seq(c.iter()).unwrap())
            .collect();
        // An empty map output's block too.
        blocks.push(crate::serializer::serialize_seq(std::iter::empty::<&(K, C)>()).unwrap());
        blocks
    }

    fn check_blocks<K, C>(records: Vec<(K, C)>)
    where
        K: Ord + Clone + std::fmt::Debug + serde::Serialize + 'static,
        C: Clone + PartialEq + std::fmt::Debug + serde::Serialize + 'static,
    {
        for parts in [1, 3] {
            let blocks = blocks_of(&records, parts);
            let bytes: Vec<&[u8]> = blocks.iter().map(Vec::as_slice).collect();
            for ascending in [true, false] {
                let runs = sort_fixed_blocks::<K, C>(&bytes, ascending)
                    .expect("a fixed-width pair")
                    .unwrap();
                let got: Vec<(K, C)> = runs.into_iter().flatten().collect();
                let want: Vec<(K, C)> = sort_records(records.clone(), ascending)
                    .into_iter()
                    .flatten()
                    .collect();
                assert_eq!(got, want, "ascending {ascending}, {parts} blocks");
            }
        }
    }

    #[test]
    fn fixed_width_pairs_sort_straight_from_the_shuffle_bytes() {
        let mut next = xorshift(0x5eed);
        // The value is the position: stability shows.
        check_blocks((0..20_000u64).map(|i| (next(), i)).collect::<Vec<_>>());
        check_blocks((0..20_000u64).map(|i| (next() % 50, i)).collect::<Vec<_>>());
        check_blocks(
            (0..9000)
                .map(|i| ((next() % 2000) as i32 - 1000, f64::from(i)))
                .collect::<Vec<(i32, f64)>>(),
        );
        check_blocks(
            (0..9000)
                .map(|i| (next() as i64, i as u32))
                .collect::<Vec<(i64, u32)>>(),
        );
        check_blocks((0..9000).map(|i| (7u32, i as i64)).collect::<Vec<_>>());
        check_blocks((0..100u64).rev().map(|i| (i % 7, i)).collect::<Vec<_>>());
        check_blocks(Vec::<(u64, u64)>::new());
        // Other record types are left to the caller.
        assert!(sort_fixed_blocks::<u64, String>(&[], true).is_none());
        assert!(sort_fixed_blocks::<u8, u64>(&[], true).is_none());
        // A cut block fails the read, as decoding it would.
        let blocks = blocks_of(&[(1u64, 2u64), (3, 4)], 1);
        let cut = &blocks[0][..blocks[0].len() - 3];
        let err = sort_fixed_blocks::<u64, u64>(&[cut], true)
            .expect("a fixed-width pair")
            .unwrap_err();
        assert!(err.is_decode() && err.is_truncated(), "{err:?}");
    }

    #[test]
    fn other_key_types_take_the_plain_stable_sort() {
        let mut next = xorshift(42);
        check(
            (0..6000)
                .map(|_| format!("k{}", next() % 500))
                .collect::<Vec<String>>(),
        );
        check(
            (0..6000)
                .map(|_| (next() % 5, next() % 3))
                .collect::<Vec<(u64, u64)>>(),
        );
    }
}
