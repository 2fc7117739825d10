//! The Poisson draws of Spark's `PoissonSampler` above a fraction of 0.4: Apache Commons
//! Math 3's `PoissonDistribution.sample()` on its `Well19937c` generator, which Spark reseeds
//! with the partition's seed (`reseedRandomGenerator`). Reproduced bit for bit for means
//! below Commons Math's pivot of 40 (the multiplication method); a larger mean is drawn as a
//! sum of Poisson draws of means below 40 (the same distribution; Commons Math switches to
//! another algorithm there, so the values differ from Spark's).

/// Commons Math's `Well19937c`: a WELL generator of 624 32-bit words with Matsumoto–Kurita
/// tempering.
pub(crate) struct Well19937c {
    v: Box<[u32; R]>,
    index: usize,
}

const R: usize = 624;
const M1: usize = 70;
const M2: usize = 179;
const M3: usize = 449;

impl Well19937c {
    /// `new Well19937c(); setSeed(seed)`: the seed's two halves, then Knuth's recurrence
    /// (`AbstractWell.setSeed(int[])`).
    pub(crate) fn new(seed: i64) -> Well19937c {
        let mut v = Box::new([0u32; R]);
        v[0] = ((seed as u64) >> 32) as u32;
        v[1] = seed as u32;
        for i in 2..R {
            // Java's `l >> 30` on a long that holds a sign-extended int.
            let l = i64::from(v[i - 2] as i32);
            let x = 1_812_433_253i64
                .wrapping_mul(l ^ (l >> 30))
                .wrapping_add(i as i64);
            v[i] = (x & 0xFFFF_FFFF) as u32;
        }
        Well19937c { v, index: 0 }
    }

    /// `Well19937c.next(bits)`.
    fn next_bits(&mut self, bits: u32) -> u32 {
        let i = self.index;
        let rm1 = (i + R - 1) % R;
        let rm2 = (i + R - 2) % R;
        let v0 = self.v[i];
        let vm1 = self.v[(i + M1) % R];
        let vm2 = self.v[(i + M2) % R];
        let vm3 = self.v[(i + M3) % R];
        let z0 = (0x8000_0000 & self.v[rm1]) ^ (0x7FFF_FFFF & self.v[rm2]);
        let z1 = (v0 ^ (v0 << 25)) ^ (vm1 ^ (vm1 >> 27));
        let z2 = (vm2 >> 9) ^ (vm3 ^ (vm3 >> 1));
        let z3 = z1 ^ z2;
        let mut z4 = z0 ^ (z1 ^ (z1 << 9)) ^ (z2 ^ (z2 << 21)) ^ (z3 ^ (z3 >> 21));
        self.v[i] = z3;
        self.v[rm1] = z4;
        self.v[rm2] &= 0x8000_0000;
        self.index = rm1;
        z4 ^= (z4 << 7) & 0xe46e_1700;
        z4 ^= (z4 << 15) & 0x9b86_8000;
        z4 >> (32 - bits)
    }

    /// `BitsStreamGenerator.nextDouble()`: 52 random bits.
    fn next_double(&mut self) -> f64 {
        let high = u64::from(self.next_bits(26)) << 26;
        let low = u64::from(self.next_bits(26));
        (high | low) as f64 * (1.0 / (1u64 << 52) as f64)
    }
}

/// Commons Math's `PoissonDistribution(mean)` with its generator.
pub(crate) struct PoissonDistribution {
    mean: f64,
    random: Well19937c,
}

/// Commons Math's pivot between its two algorithms.
const PIVOT: f64 = 40.0;

impl PoissonDistribution {
    pub(crate) fn new(mean: f64, seed: i64) -> PoissonDistribution {
        PoissonDistribution {
            mean,
            random: Well19937c::new(seed),
        }
    }

    /// `sample()`: a Poisson(mean) count.
    pub(crate) fn sample(&mut self) -> usize {
        let mut left = self.mean;
        let mut total = 0;
        while left >= PIVOT {
            total += self.below_pivot(PIVOT / 2.0);
            left -= PIVOT / 2.0;
        }
        total + self.below_pivot(left)
    }

    /// `nextPoisson` for a mean below the pivot: multiply uniforms until below `exp(-mean)`.
    fn below_pivot(&mut self, mean: f64) -> usize {
        let p = (-mean).exp();
        let mut n = 0usize;
        let mut r = 1.0;
        while (n as f64) < 1000.0 * mean {
            r *= self.random.next_double();
            if r >= p {
                n += 1;
            } else {
                return n;
            }
        }
        n
    }
}
