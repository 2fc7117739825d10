//! Spark's `DoubleRDDFunctions`: sums, statistics and histograms of an `Rdd<f64>`.
//!
//! `sum` is Spark's `fold(0.0)(_ + _)`: each partition is summed from 0 in its task, and the
//! partition sums are added on the driver in partition order. `stats` builds one
//! [`StatCounter`] per partition in its task and merges them on the driver (Chan's merge);
//! `mean`, `variance`, `stdev` and the sample variants read that counter, so each is one job.
//!
//! Histograms follow Spark's rules. With explicit buckets (`histogram_with`), every bucket is
//! open on the right except the last, which holds its upper edge; a value outside the buckets,
//! or NaN, is not counted unless the last edge is NaN (Java's `Arrays.binarySearch` orders NaN
//! above +∞, so a NaN last edge gathers NaN, +∞ and everything above the edge before it).
//! Buckets are not checked for order, as in Spark; fewer than two edges is an error. With a
//! bucket count (`histogram`), one job finds min and max (NaN propagates), an RDD whose min
//! or max is not finite (empty, NaN, ±∞) is refused with Spark's message, the edges are
//! `min + i × (max - min) / count` and then `max`, and values are placed by Spark's O(1) "even
//! buckets" function: `⌊(x - min) / (max - min) × count⌋`, the maximum in the last bucket. When
//! every value is the same, the one bucket is `[v, v]`.

use std::sync::Arc;

use crate::error::Error;
use crate::util::stat_counter::{java_max, java_min, StatCounter};
use crate::{Rdd, Result};

/// Spark's message for a histogram over values without a finite range.
const NO_RANGE: &str = "Histogram on either an empty RDD or RDD containing +/-infinity or NaN";

impl Rdd<f64> {
    fn every_partition(&self) -> Vec<usize> {
        (0..self.num_partitions()).collect()
    }

    /// The sum of the elements (0 for none).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// assert_eq!(sc.parallelize(vec![1.0, 2.0, 3.5], 2).sum().unwrap(), 6.5);
    /// ```
    pub fn sum(&self) -> Result<f64> {
        let sums = self.run_job(self.every_partition(), |_, it| it.fold(0.0, |a, b| a + b))?;
        Ok(sums.into_iter().fold(0.0, |a, b| a + b))
    }

    /// Count, mean, variance, min and max in one job: a [`StatCounter`] per partition, merged.
    /// An RDD of no partitions gives the counter of no values (Spark's `reduce` would fail).
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let s = sc.parallelize(vec![2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 3).stats().unwrap();
    /// assert_eq!((s.count(), s.mean(), s.stdev(), s.max(), s.min()), (8, 5.0, 2.0, 9.0, 2.0));
    /// assert_eq!(s.to_string(), "(count: 8, mean: 5.000000, stdev: 2.000000, max: 9.000000, min: 2.000000)");
    /// ```
    pub fn stats(&self) -> Result<StatCounter> {
        let parts = self.run_job(self.every_partition(), |_, it| StatCounter::of(it))?;
        let mut all = StatCounter::new();
        for p in &parts {
            all.merge(p);
        }
        Ok(all)
    }

    /// The mean of the elements (`stats().mean()`).
    pub fn mean(&self) -> Result<f64> {
        Ok(self.stats()?.mean())
    }

    /// The population variance (`stats().variance()`; NaN for no elements).
    pub fn variance(&self) -> Result<f64> {
        Ok(self.stats()?.variance())
    }

    /// The sample variance, divided by N - 1 (NaN for fewer than two elements).
    pub fn sample_variance(&self) -> Result<f64> {
        Ok(self.stats()?.sample_variance())
    }

    /// The population standard deviation.
    pub fn stdev(&self) -> Result<f64> {
        Ok(self.stats()?.stdev())
    }

    /// The sample standard deviation.
    pub fn sample_stdev(&self) -> Result<f64> {
        Ok(self.stats()?.sample_stdev())
    }

    /// A histogram of `bucket_count` evenly spaced buckets between the minimum and the maximum
    /// (the maximum counted in the last): the bucket edges and the counts. All elements equal
    /// gives one bucket `[v, v]`. An empty RDD, or one with NaN or ±∞, is
    /// `Error::InvalidArgument` with Spark's message; so is a `bucket_count` of 0 on a range
    /// (Spark's edges are then `[max]`: "buckets array must have at least two elements").
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let (edges, counts) = sc.parallelize(vec![1.0, 2.0, 3.0, 4.0], 2).histogram(2).unwrap();
    /// assert_eq!(edges, vec![1.0, 2.5, 4.0]);
    /// assert_eq!(counts, vec![2, 2]);
    /// ```
    pub fn histogram(&self, bucket_count: usize) -> Result<(Vec<f64>, Vec<u64>)> {
        if bucket_count > i32::MAX as usize {
            return Err(Error::InvalidArgument(format!(
                "histogram: bucketCount {bucket_count} is more than Spark's 2147483647 buckets"
            )));
        }
        let ranges = self.run_job(self.every_partition(), |_, it| {
            it.fold((f64::NEG_INFINITY, f64::INFINITY), |(max, min), e| {
                (java_max(max, e), java_min(min, e))
            })
        })?;
        let (max, min) = ranges
            .into_iter()
            .reduce(|(a, b), (c, d)| (java_max(a, c), java_min(b, d)))
            .ok_or_else(|| Error::InvalidArgument(NO_RANGE.to_string()))?;
        if !min.is_finite() || !max.is_finite() {
            return Err(Error::InvalidArgument(NO_RANGE.to_string()));
        }
        let buckets: Vec<f64> = if min != max {
            let span = max - min;
            let steps = bucket_count as f64;
            let mut edges: Vec<f64> = (0..bucket_count)
                .map(|s| min + (s as f64 * span) / steps)
                .collect();
            edges.push(max);
            edges
        } else {
            vec![min, min]
        };
        let counts = self.histogram_of(&buckets, true)?;
        Ok((buckets, counts))
    }

    /// The counts of the elements in `buckets`: `[b0, b1)`, `[b1, b2)`, ..., `[bn-1, bn]`
    /// (Spark's `histogram(buckets)`). Elements outside, and NaN, are not counted, unless the
    /// last edge is NaN. Fewer than two edges is `Error::InvalidArgument`.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let rdd = sc.parallelize(vec![-0.01, 0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 11.0, 11.01], 3);
    /// assert_eq!(rdd.histogram_with(&[0.0, 5.0, 11.0]).unwrap(), vec![4, 3]);
    /// ```
    pub fn histogram_with(&self, buckets: &[f64]) -> Result<Vec<u64>> {
        self.histogram_of(buckets, false)
    }

    /// Spark's `histogram(buckets, evenBuckets)`: `even` selects the O(1) bucket function,
    /// which assumes evenly spaced edges.
    pub(crate) fn histogram_of(&self, buckets: &[f64], even: bool) -> Result<Vec<u64>> {
        if buckets.len() < 2 {
            return Err(Error::InvalidArgument(
                "buckets array must have at least two elements".to_string(),
            ));
        }
        let slots = buckets.len() - 1;
        if self.num_partitions() == 0 {
            return Ok(vec![0; slots]);
        }
        let buckets: Arc<[f64]> = buckets.into();
        let parts = self.run_job(self.every_partition(), move |_, it| {
            let mut counters = vec![0u64; slots];
            for e in it {
                let slot = if even {
                    even_bucket(&buckets, e)
                } else {
                    searched_bucket(&buckets, e)
                };
                if let Some(i) = slot {
                    counters[i] += 1;
                }
            }
            counters
        })?;
        let mut total = vec![0u64; slots];
        for p in parts {
            for (t, c) in total.iter_mut().zip(p) {
                *t += c;
            }
        }
        Ok(total)
    }
}

/// Spark's `fastBucketFunction`: the bucket of `e` among evenly spaced edges, in O(1).
fn even_bucket(buckets: &[f64], e: f64) -> Option<usize> {
    let (min, max) = (buckets[0], buckets[buckets.len() - 1]);
    let count = buckets.len() - 1;
    if e.is_nan() || e < min || e > max {
        return None;
    }
    // The ratio first, for precision; NaN (a range of zero width) becomes bucket 0, as Java's
    // `toInt` makes it; the maximum lands on `count` and belongs to the last bucket.
    let bucket = (((e - min) / (max - min)) * count as f64) as usize;
    Some(bucket.min(count - 1))
}

/// Spark's `basicBucketFunction`: the bucket of `e` by binary search over the edges.
fn searched_bucket(buckets: &[f64], e: f64) -> Option<usize> {
    match java_binary_search(buckets, e) {
        Ok(i) if i < buckets.len() - 1 => Some(i),
        Ok(i) => Some(i - 1),
        // Not an edge: between two edges when the insertion point is inside the array.
        Err(insertion) if insertion > 0 && insertion < buckets.len() => Some(insertion - 1),
        Err(_) => None,
    }
}

/// Java's `Arrays.binarySearch(double[], key)`: `Ok(index)` of a match, else
/// `Err(insertion point)`. Comparisons are `<` and `>`, and values that compare neither way
/// are ordered by their canonical bits as `Double.compare` does (-0 below +0, NaN above all).
fn java_binary_search(a: &[f64], key: f64) -> std::result::Result<usize, usize> {
    let bits = |v: f64| -> i64 {
        let v = if v.is_nan() { f64::NAN } else { v };
        v.to_bits() as i64
    };
    let (mut low, mut high) = (0i64, a.len() as i64 - 1);
    while low <= high {
        let mid = (low + high) / 2;
        let mid_val = a[mid as usize];
        if mid_val < key {
            low = mid + 1;
        } else if mid_val > key {
            high = mid - 1;
        } else {
            let (mid_bits, key_bits) = (bits(mid_val), bits(key));
            if mid_bits == key_bits {
                return Ok(mid as usize);
            } else if mid_bits < key_bits {
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
    }
    Err(low as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Java's binary search on the edges of DoubleRDDSuite, NaN and infinities included.
    #[test]
    fn binary_search_orders_like_double_compare() {
        let b = [0.0, 5.0, 11.0, 12.0, 200.0, f64::NAN];
        assert_eq!(java_binary_search(&b, 5.0), Ok(1));
        assert_eq!(java_binary_search(&b, 6.0), Err(2));
        assert_eq!(java_binary_search(&b, -0.01), Err(0));
        assert_eq!(java_binary_search(&b, f64::NAN), Ok(5));
        assert_eq!(java_binary_search(&b, f64::INFINITY), Err(5));
        assert_eq!(java_binary_search(&[0.0, 1.0], -0.0), Err(0));
        assert_eq!(java_binary_search(&[-0.0, 1.0], 0.0), Err(1));
    }

    /// The even-buckets function: the maximum in the last bucket, outside values and NaN
    /// nowhere, a zero-width range in bucket 0.
    #[test]
    fn even_bucket_rules() {
        let b = [0.0, 5.0, 10.0];
        assert_eq!(even_bucket(&b, 0.0), Some(0));
        assert_eq!(even_bucket(&b, 4.99), Some(0));
        assert_eq!(even_bucket(&b, 5.0), Some(1));
        assert_eq!(even_bucket(&b, 10.0), Some(1));
        assert_eq!(even_bucket(&b, 10.01), None);
        assert_eq!(even_bucket(&b, -0.01), None);
        assert_eq!(even_bucket(&b, f64::NAN), None);
        assert_eq!(even_bucket(&[1.0, 1.0], 1.0), Some(0));
    }

    fn rdd(values: &[f64]) -> (crate::SparkContext, Rdd<f64>) {
        let sc = crate::SparkContext::new(crate::SparkConf::new().set_master("local[2]"))
            .expect("context");
        let r = sc.parallelize(values.to_vec(), 2);
        (sc, r)
    }

    /// Spark: DoubleRDDSuite, the cases that call `histogram(buckets, true)` (the even path is
    /// internal here): WorksOnEmpty, WorksWithOutOfRangeWithOneBucket,
    /// WorksInRangeWithOneBucket, WorksInRangeWithOneBucketExactMatch,
    /// WorksWithOutOfRangeWithTwoBuckets, WorksInRangeWithTwoBuckets,
    /// WorksInRangeWithTwoBucketsAndNaN.
    #[test]
    fn even_path_cases() {
        let cases: [(&[f64], &[f64], &[u64]); 7] = [
            (&[], &[0.0, 10.0], &[0]),
            (&[10.01, -0.01], &[0.0, 10.0], &[0]),
            (&[1.0, 2.0, 3.0, 4.0], &[0.0, 10.0], &[4]),
            (&[1.0, 2.0, 3.0, 4.0], &[1.0, 4.0], &[4]),
            (&[10.01, -0.01], &[0.0, 5.0, 10.0], &[0, 0]),
            (&[1.0, 2.0, 3.0, 5.0, 6.0], &[0.0, 5.0, 10.0], &[3, 2]),
            (
                &[1.0, 2.0, 3.0, 5.0, 6.0, f64::NAN],
                &[0.0, 5.0, 10.0],
                &[3, 2],
            ),
        ];
        for (values, buckets, want) in cases {
            let (sc, r) = rdd(values);
            assert_eq!(r.histogram_of(buckets, true).unwrap(), want, "{values:?}");
            assert_eq!(r.histogram_of(buckets, false).unwrap(), want, "{values:?}");
            sc.stop();
        }
        let (sc, _) = rdd(&[]);
        let empty: Rdd<f64> = sc.empty_rdd();
        assert_eq!(empty.histogram_of(&[0.0, 10.0], true).unwrap(), vec![0]);
        sc.stop();
    }
}
