//! Spark's RandomSamplerSuite, ported: the gaps between kept elements of a sampler and of a
//! plain reference sampler have the same distribution (a Kolmogorov–Smirnov statistic below
//! the suite's `D` for p = 0.1 over 1000 gaps, median of 5 trials), and differ when the
//! fractions differ. The "without iterator", "data types" and "clone" variants have no
//! counterpart here (one sampler interface, no clones: a sampler is built per partition).

use super::poisson::PoissonDistribution;
use super::random::{JavaRandom, Sampler, SamplerKind, XorShiftRandom, ROUNDING_EPSILON};

const SAMPLE_SIZE: usize = 1000;
/// The suite's precomputed KS statistic for p-value 0.1 and 1000 samples.
const D: f64 = 0.054_428_074_761_9;

/// The suite's `rngSeed`: seeds of samplers and references.
fn rng_seed() -> XorShiftRandom {
    XorShiftRandom::new(235_711)
}

/// The kept elements of `0, 1, 2, ...` (repeated when kept more than once).
fn sampled(mut sampler: Sampler) -> impl Iterator<Item = i64> {
    (0i64..).flat_map(move |i| std::iter::repeat_n(i, sampler.sample()))
}

/// The suite's reference Bernoulli sampler: `nextDouble <= f` on a fresh generator.
fn reference(seeds: &mut XorShiftRandom, f: f64) -> impl Iterator<Item = i64> {
    let mut rng = XorShiftRandom::new(seeds.next_long());
    (0i64..).filter(move |_| rng.next_double() <= f)
}

/// The suite's reference sampler with replacement: a Commons Math Poisson(f) count per
/// element, on a fresh seed.
fn reference_wr(seeds: &mut XorShiftRandom, f: f64) -> impl Iterator<Item = i64> {
    let mut rng = PoissonDistribution::new(f, seeds.next_long());
    (0i64..).flat_map(move |i| std::iter::repeat_n(i, rng.sample()))
}

fn gaps(data: impl Iterator<Item = i64>) -> Vec<usize> {
    let v: Vec<i64> = data.take(SAMPLE_SIZE + 1).collect();
    v.windows(2).map(|w| (w[1] - w[0]) as usize).collect()
}

fn cumulative_dist(hist: &[usize]) -> Vec<f64> {
    let n: usize = hist.iter().sum();
    assert!(n > 0);
    let mut acc = 0;
    hist.iter()
        .map(|h| {
            acc += h;
            acc as f64 / n as f64
        })
        .collect()
}

fn cumulants(d1: &[usize], d2: &[usize], ss: usize) -> (Vec<f64>, Vec<f64>) {
    let m = 1 + d1.iter().chain(d2).copied().max().unwrap_or(0);
    let (mut h1, mut h2) = (vec![0; m], vec![0; m]);
    d1.iter().for_each(|v| h1[*v] += 1);
    d2.iter().for_each(|v| h2[*v] += 1);
    assert_eq!(h1.iter().sum::<usize>(), ss);
    assert_eq!(h2.iter().sum::<usize>(), ss);
    (cumulative_dist(&h1), cumulative_dist(&h2))
}

#[allow(non_snake_case)]
fn KSD(c1: &[f64], c2: &[f64]) -> f64 {
    c1.iter()
        .zip(c2)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

/// The median KS statistic of 5 trials; each trial draws fresh gaps from both sources.
fn median_ksd(mut d1: impl FnMut() -> Vec<usize>, mut d2: impl FnMut() -> Vec<usize>) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let (c1, c2) = cumulants(&d1(), &d2(), SAMPLE_SIZE);
            KSD(&c1, &c2)
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

/// The KS statistic of `kind` (seeded once, drawn on over the trials) against `reference`.
fn ksd_against(
    kind: SamplerKind,
    seeds: &mut XorShiftRandom,
    reference_fraction: f64,
    replacement: bool,
) -> f64 {
    let seed = seeds.next_long();
    let mut sampler_gaps = {
        // One sampler for all trials, as the suite's by-name argument reuses it.
        let mut it = sampled(kind.seeded(seed));
        move || gaps(it.by_ref())
    };
    let mut reference_seeds = XorShiftRandom::new(seeds.next_long());
    let mut reference_gaps = move || {
        if replacement {
            gaps(reference_wr(&mut reference_seeds, reference_fraction))
        } else {
            gaps(reference(&mut reference_seeds, reference_fraction))
        }
    };
    median_ksd(&mut sampler_gaps, &mut reference_gaps)
}

/// Spark: RandomSamplerSuite "utilities"
#[test]
fn utilities() {
    let (c1, c2) = cumulants(&[0, 1, 1, 0, 2], &[1, 0, 3, 2, 1], 5);
    assert_eq!(c1, vec![0.4, 0.8, 1.0, 1.0]);
    assert_eq!(c2, vec![0.2, 0.6, 0.8, 1.0]);
    assert!((KSD(&c1, &c2) - 0.2).abs() < 1e-6);
    assert_eq!(KSD(&c2, &c1), KSD(&c1, &c2));
    assert_eq!(gaps([0, 1, 1, 2, 4, 11].into_iter()), vec![1, 0, 1, 2, 7]);
}

/// Spark: RandomSamplerSuite "sanity check medianKSD against references"
#[test]
fn sanity_check_median_ksd_against_references() {
    let mut s = rng_seed();
    let mut s2 = rng_seed();
    let d = median_ksd(
        || gaps(reference(&mut s, 0.5)),
        || gaps(reference(&mut s2, 0.5)),
    );
    // Same seeds, same draws: identical.
    assert_eq!(d, 0.0);
    let mut s = rng_seed();
    let mut t = XorShiftRandom::new(1);
    assert!(
        median_ksd(
            || gaps(reference(&mut s, 0.5)),
            || gaps(reference(&mut t, 0.5))
        ) < D
    );
    assert!(
        median_ksd(
            || gaps(reference(&mut s, 0.4)),
            || gaps(reference(&mut t, 0.5))
        ) > D
    );
    assert!(
        median_ksd(
            || gaps(reference_wr(&mut s, 0.5)),
            || gaps(reference_wr(&mut t, 0.5))
        ) < D
    );
    assert!(
        median_ksd(
            || gaps(reference_wr(&mut s, 0.5)),
            || gaps(reference_wr(&mut t, 0.6))
        ) > D
    );
}

/// Spark: RandomSamplerSuite "bernoulli sampling"
#[test]
fn bernoulli_sampling() {
    let mut seeds = rng_seed();
    for f in [0.5, 0.7, 0.9] {
        assert!(
            ksd_against(SamplerKind::Bernoulli(f), &mut seeds, f, false) < D,
            "{f}"
        );
    }
    assert!(ksd_against(SamplerKind::Bernoulli(0.5), &mut seeds, 0.6, false) > D);
}

/// Spark: RandomSamplerSuite "bernoulli sampling with gap sampling optimization"
#[test]
fn bernoulli_sampling_with_gap_sampling_optimization() {
    let mut seeds = rng_seed();
    for f in [0.01, 0.1, 0.3] {
        assert!(
            ksd_against(SamplerKind::Bernoulli(f), &mut seeds, f, false) < D,
            "{f}"
        );
    }
    assert!(ksd_against(SamplerKind::Bernoulli(0.3), &mut seeds, 0.4, false) > D);
}

fn sample_all(kind: SamplerKind) -> Vec<i32> {
    let mut s = kind.seeded(1);
    (1..=100)
        .flat_map(|x| std::iter::repeat_n(x, s.sample()))
        .collect()
}

/// Spark: RandomSamplerSuite "bernoulli boundary cases"
#[test]
fn bernoulli_boundary_cases() {
    let data: Vec<i32> = (1..=100).collect();
    let eps = ROUNDING_EPSILON / 2.0;
    assert!(sample_all(SamplerKind::Bernoulli(0.0)).is_empty());
    assert_eq!(sample_all(SamplerKind::Bernoulli(1.0)), data);
    assert!(SamplerKind::Bernoulli(-eps).check().is_ok());
    assert!(sample_all(SamplerKind::Bernoulli(-eps)).is_empty());
    assert!(SamplerKind::Bernoulli(1.0 + eps).check().is_ok());
    assert_eq!(sample_all(SamplerKind::Bernoulli(1.0 + eps)), data);
}

fn first_gaps(kind: &SamplerKind, seed: i64) -> Vec<usize> {
    gaps(sampled(kind.seeded(seed)))
}

/// Spark: RandomSamplerSuite "bernoulli set seed" and "replacement set seed"
#[test]
fn set_seed() {
    for kind in [
        SamplerKind::Bernoulli(0.2),
        SamplerKind::Bernoulli(0.8),
        SamplerKind::Poisson(0.2),
        SamplerKind::Poisson(0.8),
    ] {
        let same = median_ksd(|| first_gaps(&kind, 73), || first_gaps(&kind, 73));
        assert_eq!(same, 0.0, "{kind:?}");
        let other = median_ksd(|| first_gaps(&kind, 73), || first_gaps(&kind, 37));
        assert!(other > 0.0 && other < D, "{kind:?}: {other}");
    }
}

/// Spark: RandomSamplerSuite "replacement sampling"
#[test]
fn replacement_sampling() {
    let mut seeds = rng_seed();
    for f in [0.5, 0.7, 0.9] {
        assert!(
            ksd_against(SamplerKind::Poisson(f), &mut seeds, f, true) < D,
            "{f}"
        );
    }
    assert!(ksd_against(SamplerKind::Poisson(0.5), &mut seeds, 0.6, true) > D);
}

/// Spark: RandomSamplerSuite "replacement sampling with gap sampling"
#[test]
fn replacement_sampling_with_gap_sampling() {
    let mut seeds = rng_seed();
    for f in [0.01, 0.1, 0.3] {
        assert!(
            ksd_against(SamplerKind::Poisson(f), &mut seeds, f, true) < D,
            "{f}"
        );
    }
    assert!(ksd_against(SamplerKind::Poisson(0.3), &mut seeds, 0.4, true) > D);
}

/// Spark: RandomSamplerSuite "replacement boundary cases"
#[test]
fn replacement_boundary_cases() {
    assert!(sample_all(SamplerKind::Poisson(0.0)).is_empty());
    assert!(sample_all(SamplerKind::Poisson(-ROUNDING_EPSILON / 2.0)).is_empty());
    // With replacement, a fraction has no upper bound.
    assert!(sample_all(SamplerKind::Poisson(2.0)).len() > 100);
}

/// Spark: RandomSamplerSuite "bernoulli partitioning sampling" (the cell [0.1, 0.2) keeps
/// about a tenth; Spark's complement cell has no use here)
#[test]
fn bernoulli_partitioning_sampling() {
    let mut seeds = rng_seed();
    let cell = SamplerKind::BernoulliCell { lb: 0.1, ub: 0.2 };
    assert!(ksd_against(cell, &mut seeds, 0.1, false) < D);
}

/// Spark: RandomSamplerSuite "bernoulli partitioning boundary cases"
#[test]
fn bernoulli_partitioning_boundary_cases() {
    let data: Vec<i32> = (1..=100).collect();
    let d = ROUNDING_EPSILON / 2.0;
    let cell = |lb: f64, ub: f64| SamplerKind::BernoulliCell { lb, ub };
    assert!(sample_all(cell(0.0, 0.0)).is_empty());
    assert!(sample_all(cell(0.5, 0.5)).is_empty());
    assert!(sample_all(cell(1.0, 1.0)).is_empty());
    assert_eq!(sample_all(cell(0.0, 1.0)), data);
    assert!(cell(-d, 1.0 + d).check().is_ok());
    assert_eq!(sample_all(cell(-d, 1.0 + d)), data);
    assert!(cell(0.5, 0.5 - d).check().is_ok());
    assert!(sample_all(cell(0.5, 0.5 - d)).is_empty());
}

/// Spark: RandomSamplerSuite "bernoulli partitioning data" (adjacent cells of one seed
/// split the data between them, as the suite's cell and its complement do)
#[test]
fn bernoulli_partitioning_data() {
    let seed = rng_seed().next_long();
    let data: Vec<i32> = (1..=100).collect();
    let take = |lb: f64, ub: f64| {
        let mut s = SamplerKind::BernoulliCell { lb, ub }.seeded(seed);
        data.iter()
            .copied()
            .filter(|_| s.sample() > 0)
            .collect::<Vec<i32>>()
    };
    let s1 = take(0.4, 0.6);
    assert!(!s1.is_empty());
    let mut rest = [take(0.0, 0.4), take(0.6, 1.0)].concat();
    assert!(!rest.is_empty());
    rest.extend(s1);
    rest.sort();
    assert_eq!(rest, data);
}
