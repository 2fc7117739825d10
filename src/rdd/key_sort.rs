//! The reduce-side sort of a `ShuffledRDD` with a key ordering (`sort_by_key`,
//! `repartition_and_sort_within_partitions`): a stable sort of one partition's records by key.
//!
//! For keys of a primitive integer type (and `bool`, `char`), whose order is that of an
//! unsigned number they map to, the records are first distributed by the high bits of that
//! number into up to 2048 buckets (one pass to count, one to move, both in map order), and each
//! bucket is then sorted by key on its own: a bucket fits in cache where the whole partition
//! does not, and holds about 11 fewer levels of comparison sort. This is the idea of Spark's
//! `RadixSort` over key prefixes in `UnsafeInMemorySorter`, applied to the one digit that pays
//! most. Every other key type takes the plain stable `sort_by` on the key.
//!
//! Both paths are stable: records of equal keys stay in the order they were fetched (map
//! order), ascending or descending.
//!
//! Layering: a leaf helper of `rdd::shuffled`; no I/O, no user code.

use std::any::{Any, TypeId};

/// The sorted records, as runs to be read one after the other.
pub(crate) type SortedRuns<R> = Vec<Vec<R>>;

/// At most this many bits of the key pick a bucket (2048 buckets: the counters and the open
/// bucket ends stay in the first-level caches and TLB).
const MAX_BUCKET_BITS: u32 = 11;

/// Below this many records, one comparison sort is as fast as distributing first.
const MIN_DISTRIBUTE: usize = 4096;

/// Records per bucket aimed for (a bucket of them sorts in cache).
const TARGET_BUCKET: usize = 1024;

/// Sorts `records` by key, ascending or descending, stably.
pub(crate) fn sort_records<K: Ord + 'static, C>(
    records: Vec<(K, C)>,
    ascending: bool,
) -> SortedRuns<(K, C)> {
    macro_rules! by_number {
        ($($t:ty => $to_u64:expr),* $(,)?) => {
            $(
                if TypeId::of::<K>() == TypeId::of::<$t>() {
                    let number = |k: &K| -> u64 {
                        let to_u64: fn($t) -> u64 = $to_u64;
                        // The type test above makes this downcast always succeed.
                        (k as &dyn Any).downcast_ref::<$t>().map_or(0, |v| to_u64(*v))
                    };
                    return distribute_and_sort(records, ascending, number);
                }
            )*
        };
    }
    // Signed numbers: flipping the sign bit maps their order onto the unsigned order.
    by_number!(
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
    let mut records = records;
    sort_run(&mut records, ascending);
    vec![records]
}

/// The stable comparison sort of one run by key.
fn sort_run<K: Ord, C>(run: &mut [(K, C)], ascending: bool) {
    if ascending {
        run.sort_by(|a, b| a.0.cmp(&b.0));
    } else {
        run.sort_by(|a, b| b.0.cmp(&a.0));
    }
}

/// Distributes the records into buckets by the high bits of `number(key)` (which must order
/// as the keys do), then sorts each bucket; descending reads the buckets backwards.
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
    let span = hi - lo;
    if span == 0 {
        // One key: already in map order, which is the stable order either way.
        return vec![records];
    }
    let wanted = (records.len() / TARGET_BUCKET).max(2);
    let bucket_bits = (usize::BITS - (wanted - 1).leading_zeros()).min(MAX_BUCKET_BITS);
    let span_bits = u64::BITS - span.leading_zeros();
    let shift = span_bits.saturating_sub(bucket_bits);
    let bucket_of = |k: &K| ((number(k) - lo) >> shift) as usize;
    let mut counts = vec![0usize; (span >> shift) as usize + 1];
    for (k, _) in &records {
        counts[bucket_of(k)] += 1;
    }
    let mut buckets: SortedRuns<(K, C)> = counts.iter().map(|&c| Vec::with_capacity(c)).collect();
    for r in records {
        buckets[bucket_of(&r.0)].push(r);
    }
    for b in &mut buckets {
        sort_run(b, ascending);
    }
    if !ascending {
        buckets.reverse();
    }
    buckets
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
