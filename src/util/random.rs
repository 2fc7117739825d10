//! Spark's random number generators and samplers (`org.apache.spark.util.random`):
//! `XORShiftRandom`, `java.util.Random` (which Spark's RDD methods use for seeds and shuffles),
//! `BernoulliSampler`, `PoissonSampler`, `BernoulliCellSampler`, and `SamplingUtils`.
//!
//! The generators reproduce the JVM's bit streams exactly: Java's 48-bit linear congruential
//! `Random` and Spark's `XORShiftRandom`, whose seed is first scrambled by Scala's
//! `MurmurHash3.bytesHash` of the seed's eight big-endian bytes. `nextInt(bound)`,
//! `nextDouble` and `nextLong` are `java.util.Random`'s own derivations from `next(bits)`, so a
//! sample with a given seed picks the same elements as Spark's (pinned below against Spark 4.3).
//!
//! `PoissonSampler` above a fraction of 0.4 draws from Apache Commons Math's
//! `PoissonDistribution` as Spark does (`util::poisson`, exact below a fraction of 40); up to
//! 0.4 it takes Spark's gap-sampling path on the `XORShiftRandom`.

use crate::util::poisson::PoissonDistribution;

/// `java.util.Random`'s derived draws, on top of a source of `next(bits)`.
pub(crate) trait JavaRandom {
    /// `Random.next(bits)`: the next `bits` random bits as an `int`.
    fn next_bits(&mut self, bits: u32) -> i32;

    /// `Random.nextInt()`.
    fn next_int(&mut self) -> i32 {
        self.next_bits(32)
    }

    /// `Random.nextInt(bound)`, `bound > 0`: uniform in `0..bound`, without modulo bias.
    fn next_int_bounded(&mut self, bound: i32) -> i32 {
        debug_assert!(bound > 0);
        let mut r = self.next_bits(31);
        let m = bound - 1;
        if bound & m == 0 {
            return ((i64::from(bound) * i64::from(r)) >> 31) as i32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return r;
            }
            u = self.next_bits(31);
        }
    }

    /// `Random.nextLong()`.
    fn next_long(&mut self) -> i64 {
        let hi = i64::from(self.next_bits(32));
        let lo = i64::from(self.next_bits(32));
        (hi << 32).wrapping_add(lo)
    }

    /// `Random.nextDouble()`: uniform in `[0, 1)` with 53 random bits.
    fn next_double(&mut self) -> f64 {
        let hi = i64::from(self.next_bits(26));
        let lo = i64::from(self.next_bits(27));
        ((hi << 27) + lo) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// `java.util.Random`: the 48-bit linear congruential generator.
pub(crate) struct JdkRandom {
    seed: i64,
}

const LCG_MULTIPLIER: i64 = 0x5_DEEC_E66D;
const LCG_MASK: i64 = (1 << 48) - 1;

impl JdkRandom {
    /// `new Random(seed)`.
    pub(crate) fn new(seed: i64) -> JdkRandom {
        JdkRandom {
            seed: (seed ^ LCG_MULTIPLIER) & LCG_MASK,
        }
    }
}

impl JavaRandom for JdkRandom {
    fn next_bits(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(LCG_MULTIPLIER).wrapping_add(0xB)) & LCG_MASK;
        ((self.seed as u64) >> (48 - bits)) as i32
    }
}

/// Spark's `XORShiftRandom`: Marsaglia's xorshift (21, 35, 4) over a 64-bit state, seeded
/// through `hashSeed`.
pub(crate) struct XorShiftRandom {
    seed: i64,
}

impl XorShiftRandom {
    /// `new XORShiftRandom(seed)`.
    pub(crate) fn new(seed: i64) -> XorShiftRandom {
        XorShiftRandom {
            seed: hash_seed(seed),
        }
    }
}

impl JavaRandom for XorShiftRandom {
    fn next_bits(&mut self, bits: u32) -> i32 {
        let mut s = self.seed ^ (self.seed << 21);
        s ^= ((s as u64) >> 35) as i64;
        s ^= s << 4;
        self.seed = s;
        (s & ((1i64 << bits) - 1)) as i32
    }
}

/// `XORShiftRandom.hashSeed`: Scala's `MurmurHash3.bytesHash` of the seed's big-endian bytes,
/// low word with `arraySeed`, high word seeded by the low word.
fn hash_seed(seed: i64) -> i64 {
    const ARRAY_SEED: i32 = 0x3c07_4a61;
    let bytes = seed.to_be_bytes();
    let low = murmur3_bytes_hash(&bytes, ARRAY_SEED);
    let high = murmur3_bytes_hash(&bytes, low);
    (i64::from(high) << 32) | (i64::from(low) & 0xFFFF_FFFF)
}

/// Scala's `MurmurHash3.bytesHash(data, seed)` (32-bit MurmurHash3, little-endian words).
fn murmur3_bytes_hash(data: &[u8], seed: i32) -> i32 {
    fn mix_last(h: i32, k: i32) -> i32 {
        let k = k.wrapping_mul(0xcc9e_2d51_u32 as i32).rotate_left(15);
        h ^ k.wrapping_mul(0x1b87_3593)
    }
    fn mix(h: i32, k: i32) -> i32 {
        mix_last(h, k)
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64_u32 as i32)
    }
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        h = mix(h, i32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut k = 0i32;
        for (i, b) in rest.iter().enumerate() {
            k ^= i32::from(*b) << (8 * i);
        }
        h = mix_last(h, k);
    }
    // finalizeHash: avalanche(h ^ length).
    let mut h = (h ^ data.len() as i32) as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h as i32
}

/// `RandomSampler.rngEpsilon`: the smallest uniform draw gap sampling takes a log of.
const RNG_EPSILON: f64 = 5e-11;
/// `RandomSampler.roundingEpsilon`: the slack allowed on fraction and bound checks.
pub(crate) const ROUNDING_EPSILON: f64 = 1e-6;
/// `RandomSampler.defaultMaxGapSamplingFraction`: below it, gap sampling is used.
const MAX_GAP_SAMPLING_FRACTION: f64 = 0.4;

/// Spark's `RandomSampler` family: how many times (0, 1, or more with replacement) each
/// element of a partition is kept. A sampler is built fresh and seeded for every computation
/// of a partition, so a recomputed partition samples the same elements.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SamplerKind {
    /// `BernoulliSampler(fraction)`: each element kept with probability `fraction`.
    Bernoulli(f64),
    /// `PoissonSampler(fraction)`: each element kept a Poisson(`fraction`) number of times.
    Poisson(f64),
    /// `BernoulliCellSampler(lb, ub)`: an element is kept when its uniform draw falls in
    /// `[lb, ub)` (randomSplit: the cells of one seed partition the elements).
    BernoulliCell { lb: f64, ub: f64 },
}

impl SamplerKind {
    /// The sampler's constructor checks (Spark's `require`s), as Spark's messages.
    // Negated comparisons, so that NaN fails every check as it fails Scala's `require`.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    pub(crate) fn check(&self) -> Result<(), String> {
        let eps = ROUNDING_EPSILON;
        match *self {
            SamplerKind::Bernoulli(f) => {
                if !(f >= -eps && f <= 1.0 + eps) {
                    return Err(format!(
                        "Sampling fraction ({}) must be on interval [0, 1]",
                        jd(f)
                    ));
                }
            }
            SamplerKind::Poisson(f) => {
                if !(f >= -eps) {
                    return Err(format!("Sampling fraction ({}) must be >= 0", jd(f)));
                }
            }
            SamplerKind::BernoulliCell { lb, ub } => {
                if !(lb <= ub + eps) {
                    return Err(format!(
                        "Lower bound ({}) must be <= upper bound ({})",
                        jd(lb),
                        jd(ub)
                    ));
                }
                if !(lb >= -eps) {
                    return Err(format!("Lower bound ({}) must be >= 0.0", jd(lb)));
                }
                if !(ub <= 1.0 + eps) {
                    return Err(format!("Upper bound ({}) must be <= 1.0", jd(ub)));
                }
            }
        }
        Ok(())
    }

    /// A sampler seeded with `seed` (Spark's `sampler.clone; setSeed(seed)`).
    pub(crate) fn seeded(&self, seed: i64) -> Sampler {
        let poisson = match *self {
            SamplerKind::Poisson(f) => Some(PoissonDistribution::new(
                if f > 0.0 { f } else { 1.0 },
                seed,
            )),
            _ => None,
        };
        Sampler {
            kind: self.clone(),
            rng: XorShiftRandom::new(seed),
            gap: None,
            poisson,
        }
    }
}

/// A double as Scala's string interpolation prints it (`1.0`, not `1`).
pub(crate) fn jd(v: f64) -> String {
    crate::scala_string::scala_string(&v).unwrap_or_else(|| v.to_string())
}

/// A seeded sampler over one partition.
pub(crate) struct Sampler {
    kind: SamplerKind,
    rng: XorShiftRandom,
    /// Spark's lazily built `GapSampling` / `GapSamplingReplacement`: elements still to skip.
    gap: Option<i64>,
    /// `PoissonSampler`'s `PoissonDistribution`, seeded with the same seed.
    poisson: Option<PoissonDistribution>,
}

impl Sampler {
    /// How many copies of the next element to keep.
    pub(crate) fn sample(&mut self) -> usize {
        match self.kind {
            SamplerKind::Bernoulli(f) => {
                if f <= 0.0 {
                    0
                } else if f >= 1.0 {
                    1
                } else if f <= MAX_GAP_SAMPLING_FRACTION {
                    self.gap_sample(f)
                } else {
                    usize::from(self.rng.next_double() <= f)
                }
            }
            SamplerKind::Poisson(f) => {
                if f <= 0.0 {
                    0
                } else if f <= MAX_GAP_SAMPLING_FRACTION {
                    self.gap_sample_replacement(f)
                } else {
                    self.poisson.as_mut().map_or(0, PoissonDistribution::sample)
                }
            }
            SamplerKind::BernoulliCell { lb, ub } => {
                if ub - lb <= 0.0 {
                    0
                } else {
                    let x = self.rng.next_double();
                    usize::from(x >= lb && x < ub)
                }
            }
        }
    }

    /// Spark's `GapSampling.sample`: the number of elements to skip is drawn from the geometric
    /// distribution, once at construction and after every kept element.
    fn gap_sample(&mut self, f: f64) -> usize {
        let lnq = (-f).ln_1p();
        let skip = match self.gap {
            Some(skip) => skip,
            None => self.gap_advance(lnq),
        };
        if skip > 0 {
            self.gap = Some(skip - 1);
            0
        } else {
            self.gap = Some(self.gap_advance(lnq));
            1
        }
    }

    fn gap_advance(&mut self, denominator: f64) -> i64 {
        let u = self.rng.next_double().max(RNG_EPSILON);
        // Scala's Double.toInt: truncation, saturating at Int's range.
        (u.ln() / denominator).clamp(i32::MIN as f64, i32::MAX as f64) as i64
    }

    /// Spark's `GapSamplingReplacement.sample`: a gap drawn from the exponential distribution,
    /// then a Poisson count of at least 1 for the element at its end.
    fn gap_sample_replacement(&mut self, f: f64) -> usize {
        let skip = match self.gap {
            Some(skip) => skip,
            None => self.gap_advance(-f),
        };
        if skip > 0 {
            self.gap = Some(skip - 1);
            return 0;
        }
        let q = (-f).exp();
        let mut pp = q + (1.0 - q) * self.rng.next_double();
        let mut r = 1;
        pp *= self.rng.next_double();
        while pp > q {
            r += 1;
            pp *= self.rng.next_double();
        }
        self.gap = Some(self.gap_advance(-f));
        r
    }
}

/// Spark's `SamplingUtils.computeFractionForSampleSize`: a sampling rate that yields at least
/// `sample_size` of `total` elements with probability above 99.99%.
pub(crate) fn compute_fraction_for_sample_size(
    sample_size: usize,
    total: u64,
    with_replacement: bool,
) -> f64 {
    let s = sample_size as f64;
    let n = total as f64;
    if with_replacement {
        // PoissonBounds.getUpperBound(s) / total.
        let num_std = if s < 6.0 {
            12.0
        } else if s < 16.0 {
            9.0
        } else {
            6.0
        };
        (s + num_std * s.sqrt()).max(1e-10) / n
    } else {
        // BinomialBounds.getUpperBound(1e-4, total, s / total).
        let fraction = s / n;
        let delta: f64 = 1e-4;
        let gamma = -delta.ln() / n;
        (fraction + gamma + (gamma * gamma + 2.0 * gamma * fraction).sqrt()).clamp(1e-10, 1.0)
    }
}

/// Spark's `Utils.randomizeInPlace`: a Fisher–Yates shuffle drawing from `rand`.
pub(crate) fn randomize_in_place<T>(values: &mut [T], rand: &mut impl JavaRandom) {
    for i in (1..values.len()).rev() {
        let j = rand.next_int_bounded((i + 1) as i32) as usize;
        values.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values printed by Spark 4.3 (`new XORShiftRandom(42)`, `new java.util.Random(42)`).
    #[test]
    fn generators_match_the_jvm() {
        let mut x = XorShiftRandom::new(42);
        assert_eq!(x.next_int(), 444_206_279);
        assert_eq!(x.next_int_bounded(10), 3);
        assert_eq!(x.next_double(), 0.509_601_884_244_648_1);
        assert_eq!(x.next_long(), -7_830_491_269_241_310_776);
        let bounded: Vec<(i32, i32)> = (0..4)
            .map(|i| {
                let mut y = XorShiftRandom::new(i);
                (y.next_int_bounded(7), y.next_int_bounded(2))
            })
            .collect();
        assert_eq!(bounded, vec![(2, 1), (5, 1), (1, 0), (6, 1)]);
        let mut j = JdkRandom::new(42);
        assert_eq!(j.next_long(), -5_025_562_857_975_149_833);
        assert_eq!(j.next_int(), -1_360_544_799);
        assert_eq!(j.next_double(), 0.047_939_305_137_387_644);
    }

    /// Spark: RandomSamplerSuite "bernoulli sampling" (the fraction of kept elements is near
    /// the rate, for gap sampling and for plain draws).
    #[test]
    fn bernoulli_keeps_about_the_fraction() {
        for f in [0.01, 0.1, 0.3, 0.5, 0.9] {
            let mut s = SamplerKind::Bernoulli(f).seeded(7);
            let n = 100_000;
            let kept: usize = (0..n).map(|_| s.sample()).sum();
            let rate = kept as f64 / n as f64;
            assert!((rate - f).abs() < 0.01, "fraction {f}: kept {rate}");
        }
    }

    /// Spark: RandomSamplerSuite "poisson sampling" (the mean count is the fraction).
    #[test]
    fn poisson_mean_is_the_fraction() {
        for f in [0.05, 0.3, 0.7, 2.0] {
            let mut s = SamplerKind::Poisson(f).seeded(11);
            let n = 100_000;
            let kept: usize = (0..n).map(|_| s.sample()).sum();
            let mean = kept as f64 / n as f64;
            assert!(
                (mean - f).abs() < 0.03 * f.max(1.0),
                "fraction {f}: mean {mean}"
            );
        }
    }

    /// Spark: RandomSamplerSuite "bernoulli partitioning sampling" (cells of one seed partition
    /// the elements: each element falls in exactly one cell).
    #[test]
    fn bernoulli_cells_partition_the_elements() {
        let bounds = [0.0, 0.2, 0.5, 1.0];
        let mut cells: Vec<Sampler> = bounds
            .windows(2)
            .map(|w| SamplerKind::BernoulliCell { lb: w[0], ub: w[1] }.seeded(3))
            .collect();
        for _ in 0..10_000 {
            let total: usize = cells.iter_mut().map(Sampler::sample).sum();
            assert_eq!(total, 1);
        }
    }

    /// Spark: RandomSamplerSuite "bernoulli boundary cases", "poisson boundary cases".
    #[test]
    fn boundary_fractions() {
        let mut none = SamplerKind::Bernoulli(0.0).seeded(1);
        let mut all = SamplerKind::Bernoulli(1.0).seeded(1);
        let mut zero = SamplerKind::Poisson(0.0).seeded(1);
        for _ in 0..100 {
            assert_eq!(none.sample(), 0);
            assert_eq!(all.sample(), 1);
            assert_eq!(zero.sample(), 0);
        }
        assert!(SamplerKind::Bernoulli(1.5).check().is_err());
        assert_eq!(
            SamplerKind::Bernoulli(-0.5).check().unwrap_err(),
            "Sampling fraction (-0.5) must be on interval [0, 1]"
        );
        assert_eq!(
            SamplerKind::Poisson(-1.0).check().unwrap_err(),
            "Sampling fraction (-1.0) must be >= 0"
        );
        assert!(SamplerKind::Poisson(5.0).check().is_ok());
        assert_eq!(
            SamplerKind::BernoulliCell { lb: 0.6, ub: 0.4 }
                .check()
                .unwrap_err(),
            "Lower bound (0.6) must be <= upper bound (0.4)"
        );
    }

    /// Spark: SamplingUtilsSuite "computeFraction" (a sample drawn at the computed fraction
    /// is large enough).
    #[test]
    fn computed_fraction_is_large_enough() {
        let f = compute_fraction_for_sample_size(10, 1000, false);
        assert!(f > 0.01 && f < 0.1, "{f}");
        let f = compute_fraction_for_sample_size(10, 1000, true);
        assert!(f > 0.01 && f < 0.1, "{f}");
        assert_eq!(compute_fraction_for_sample_size(1000, 1000, false), 1.0);
    }

    #[test]
    fn randomize_in_place_is_a_permutation() {
        let mut v: Vec<u32> = (0..50).collect();
        randomize_in_place(&mut v, &mut JdkRandom::new(5));
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(v, sorted);
    }
}
