//! Spark's `StatCounter` (org.apache.spark.util): count, mean, variance, min and max of a set
//! of numbers, computed in one pass and mergeable, the result of `Rdd<f64>::stats()`.
//!
//! Values are added with Welford's update (`merge_value`); two counters are merged with Chan's
//! formula (`merge`), which is how `stats()` combines its per-partition counters. As in Spark,
//! the merged mean is computed from the larger side when one side has more than ten times the
//! other's count (for precision), min and max propagate NaN (Java's `Math.min`/`max`), the
//! variance of no values is NaN and the sample variance of fewer than two is NaN. `Display` is
//! Spark's `toString`: `(count: N, mean: M, stdev: S, max: X, min: Y)` with each number as
//! Java's `%f` writes it (six decimals, `NaN`, `Infinity`). A leaf module: it uses no other
//! part of the crate.

use std::fmt;

/// The count, mean, variance, min and max of a set of numbers (Spark's `StatCounter`).
///
/// ```
/// use sparklet::prelude::*;
/// let mut s = StatCounter::new();
/// for v in [1.0, 2.0, 3.0, 4.0] {
///     s.merge_value(v);
/// }
/// assert_eq!((s.count(), s.mean(), s.sum(), s.max(), s.min()), (4, 2.5, 10.0, 4.0, 1.0));
/// assert_eq!(s.variance(), 1.25);
/// assert_eq!(
///     s.to_string(),
///     "(count: 4, mean: 2.500000, stdev: 1.118034, max: 4.000000, min: 1.000000)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StatCounter {
    /// How many values.
    n: u64,
    /// Their running mean.
    mu: f64,
    /// The running sum of squared distances from the mean.
    m2: f64,
    max_value: f64,
    min_value: f64,
}

impl Default for StatCounter {
    fn default() -> Self {
        StatCounter::new()
    }
}

impl StatCounter {
    /// A counter of no values (mean 0, max -∞, min +∞, as Spark's).
    pub fn new() -> StatCounter {
        StatCounter {
            n: 0,
            mu: 0.0,
            m2: 0.0,
            max_value: f64::NEG_INFINITY,
            min_value: f64::INFINITY,
        }
    }

    /// A counter of `values` (Spark's `StatCounter(values)`).
    pub fn of(values: impl IntoIterator<Item = f64>) -> StatCounter {
        let mut s = StatCounter::new();
        s.merge_values(values);
        s
    }

    /// Adds one value (Welford's update).
    pub fn merge_value(&mut self, value: f64) -> &mut StatCounter {
        let delta = value - self.mu;
        self.n += 1;
        self.mu += delta / self.n as f64;
        self.m2 += delta * (value - self.mu);
        self.max_value = java_max(self.max_value, value);
        self.min_value = java_min(self.min_value, value);
        self
    }

    /// Adds every value of `values` (Spark's `merge(values)`).
    pub fn merge_values(&mut self, values: impl IntoIterator<Item = f64>) -> &mut StatCounter {
        for v in values {
            self.merge_value(v);
        }
        self
    }

    /// Adds the values another counter counted (Chan's merge, Spark's `merge(StatCounter)`).
    pub fn merge(&mut self, other: &StatCounter) -> &mut StatCounter {
        if self.n == 0 {
            *self = other.clone();
        } else if other.n != 0 {
            let (n, m) = (self.n, other.n);
            let total = (n + m) as f64;
            let delta = other.mu - self.mu;
            self.mu = if m.saturating_mul(10) < n {
                self.mu + (delta * m as f64) / total
            } else if n.saturating_mul(10) < m {
                other.mu - (delta * n as f64) / total
            } else {
                (self.mu * n as f64 + other.mu * m as f64) / total
            };
            self.m2 += other.m2 + (delta * delta * n as f64 * m as f64) / total;
            self.n += m;
            self.max_value = java_max(self.max_value, other.max_value);
            self.min_value = java_min(self.min_value, other.min_value);
        }
        self
    }

    /// How many values.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Their mean (0 for no values, as Spark's).
    pub fn mean(&self) -> f64 {
        self.mu
    }

    /// Their sum (`count × mean`, as Spark computes it).
    pub fn sum(&self) -> f64 {
        self.n as f64 * self.mu
    }

    /// The largest value (-∞ for none; NaN once a NaN was added).
    pub fn max(&self) -> f64 {
        self.max_value
    }

    /// The smallest value (+∞ for none; NaN once a NaN was added).
    pub fn min(&self) -> f64 {
        self.min_value
    }

    /// The population variance (divided by N; NaN for no values).
    pub fn variance(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.m2 / self.n as f64
        }
    }

    /// The sample variance (divided by N - 1; NaN for fewer than two values).
    pub fn sample_variance(&self) -> f64 {
        if self.n <= 1 {
            f64::NAN
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }

    /// The population standard deviation.
    pub fn stdev(&self) -> f64 {
        self.variance().sqrt()
    }

    /// The sample standard deviation.
    pub fn sample_stdev(&self) -> f64 {
        self.sample_variance().sqrt()
    }
}

impl fmt::Display for StatCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "(count: {}, mean: {}, stdev: {}, max: {}, min: {})",
            self.n,
            java_fixed(self.mean()),
            java_fixed(self.stdev()),
            java_fixed(self.max()),
            java_fixed(self.min())
        )
    }
}

/// Java's `Math.max`: NaN if either is NaN, and +0 above -0.
pub(crate) fn java_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a > b {
        a
    } else if b > a || a.is_sign_negative() {
        b
    } else {
        a
    }
}

/// Java's `Math.min`: NaN if either is NaN, and -0 below +0.
pub(crate) fn java_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a < b {
        a
    } else if b < a || b.is_sign_negative() {
        b
    } else {
        a
    }
}

/// The digits of decimals Java's `%f` shows.
const PRECISION: i64 = 6;

/// `v` as Java's `String.format("%f", v)` writes it: six decimals, rounded half up from the
/// value's shortest decimal digits (as Java's `FormattedFloatingDecimal` does), the sign kept
/// for negative values that round to zero; `NaN`, `Infinity`, `-Infinity`.
fn java_fixed(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    // The shortest digits d1 d2 ... dn and exponent e of |v| = d1.d2...dn × 10^e.
    let sci = format!("{:e}", v.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    // |v| × 10^PRECISION = 0.d1...dn × 10^keep: keep the first `keep` digits, round on the next.
    let keep = exponent + 1 + PRECISION;
    let mut scaled: Vec<u8> = if keep <= 0 {
        let round_up = keep == 0 && digits.first().is_some_and(|&d| d >= 5);
        vec![u8::from(round_up)]
    } else {
        let keep = keep as usize;
        let mut kept: Vec<u8> = digits.iter().copied().take(keep).collect();
        kept.resize(keep, 0);
        if digits.get(keep).is_some_and(|&d| d >= 5) {
            round_up(&mut kept);
        }
        kept
    };
    let width = PRECISION as usize + 1;
    if scaled.len() < width {
        let mut padded = vec![0; width - scaled.len()];
        padded.append(&mut scaled);
        scaled = padded;
    }
    let text: String = scaled.iter().map(|d| char::from(b'0' + d)).collect();
    let (int_part, frac_part) = text.split_at(text.len() - PRECISION as usize);
    format!("{sign}{int_part}.{frac_part}")
}

/// Adds one to a decimal digit string, carrying (a carry out of the first digit prepends 1).
fn round_up(digits: &mut Vec<u8>) {
    for d in digits.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return;
        }
    }
    digits.insert(0, 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Java's `%f` on values whose output was taken from Java 17 (`String.format("%f", v)`).
    #[test]
    fn java_fixed_matches_javas_percent_f() {
        let cases = [
            (0.0, "0.000000"),
            (-0.0, "-0.000000"),
            (2.5, "2.500000"),
            (1.118033988749895, "1.118034"),
            (1e-7, "0.000000"),
            (5e-7, "0.000001"),
            (-4e-7, "-0.000000"),
            (0.9999995, "1.000000"),
            (999999.9999996, "1000000.000000"),
            (1e20, "100000000000000000000.000000"),
            (123456.789, "123456.789000"),
            (1.0000005, "1.000001"),
            (2.5e-7, "0.000000"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (v, want) in cases {
            assert_eq!(java_fixed(v), want, "{v:e}");
        }
    }

    /// Math.max/min as Java: NaN wins, signed zeros ordered.
    #[test]
    fn java_min_max() {
        assert!(java_max(1.0, f64::NAN).is_nan());
        assert!(java_min(f64::NAN, 1.0).is_nan());
        assert!(java_max(-0.0, 0.0).is_sign_positive());
        assert!(java_max(0.0, -0.0).is_sign_positive());
        assert!(java_min(0.0, -0.0).is_sign_negative());
        assert!(java_min(-0.0, 0.0).is_sign_negative());
        assert_eq!(java_max(2.0, 3.0), 3.0);
        assert_eq!(java_min(2.0, 3.0), 2.0);
    }

    /// Merging counters of parts equals counting the whole, in every size regime of the mean
    /// formula (one side more than ten times the other, and balanced).
    #[test]
    fn merge_equals_counting_everything() {
        let values: Vec<f64> = (0..200).map(|i| (i as f64 * 0.37).sin() * 100.0).collect();
        let whole = StatCounter::of(values.iter().copied());
        for split in [0, 1, 5, 100, 195, 200] {
            let mut left = StatCounter::of(values[..split].iter().copied());
            left.merge(&StatCounter::of(values[split..].iter().copied()));
            assert_eq!(left.count(), whole.count());
            assert!((left.mean() - whole.mean()).abs() < 1e-9, "split {split}");
            assert!(
                (left.variance() - whole.variance()).abs() < 1e-6,
                "split {split}"
            );
            assert_eq!((left.max(), left.min()), (whole.max(), whole.min()));
        }
    }

    /// Spark's values for no values and one value.
    #[test]
    fn empty_and_single() {
        let empty = StatCounter::new();
        assert_eq!((empty.count(), empty.mean(), empty.sum()), (0, 0.0, 0.0));
        assert!(empty.variance().is_nan() && empty.sample_variance().is_nan());
        assert_eq!(
            (empty.max(), empty.min()),
            (f64::NEG_INFINITY, f64::INFINITY)
        );
        assert_eq!(
            empty.to_string(),
            "(count: 0, mean: 0.000000, stdev: NaN, max: -Infinity, min: Infinity)"
        );
        let one = StatCounter::of([3.0]);
        assert_eq!((one.variance(), one.stdev()), (0.0, 0.0));
        assert!(one.sample_variance().is_nan() && one.sample_stdev().is_nan());
        let mut merged = StatCounter::new();
        merged.merge(&one);
        assert_eq!(merged, one);
    }
}
