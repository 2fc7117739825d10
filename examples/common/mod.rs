//! Helpers shared by the ports of Spark's example programs: `java.util.Random` (so that seeded
//! programs draw Spark's numbers) and Java's `Double.toString` (so that they print Spark's text).
#![allow(dead_code)]

/// `java.util.Random`: the 48-bit linear congruential generator of the Java platform, as
/// specified in its Javadoc (the same seed gives the same numbers as Spark's programs draw).
pub struct JavaRandom {
    seed: u64,
    next_gaussian: Option<f64>,
}

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const MASK: u64 = (1 << 48) - 1;

impl JavaRandom {
    /// `new Random(seed)`.
    pub fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            seed: (seed as u64 ^ MULTIPLIER) & MASK,
            next_gaussian: None,
        }
    }

    /// `new Random()`: seeded from the clock (and `salt`, e.g. a partition index).
    pub fn unseeded(salt: u64) -> JavaRandom {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        JavaRandom::new((nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) as i64)
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(MULTIPLIER).wrapping_add(0xB)) & MASK;
        (self.seed >> (48 - bits)) as i64 as i32
    }

    /// `nextInt()`.
    pub fn next_int(&mut self) -> i32 {
        self.next(32)
    }

    /// `nextInt(bound)` for a positive bound.
    pub fn next_int_bounded(&mut self, bound: i32) -> i32 {
        assert!(bound > 0, "bound must be positive");
        if bound & -bound == bound {
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let val = bits % bound;
            if bits.wrapping_sub(val).wrapping_add(bound - 1) >= 0 {
                return val;
            }
        }
    }

    /// `nextDouble()`.
    pub fn next_double(&mut self) -> f64 {
        let hi = i64::from(self.next(26)) << 27;
        let lo = i64::from(self.next(27));
        (hi + lo) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `nextGaussian()` (the polar method, a pair at a time).
    pub fn next_gaussian(&mut self) -> f64 {
        if let Some(g) = self.next_gaussian.take() {
            return g;
        }
        loop {
            let v1 = 2.0 * self.next_double() - 1.0;
            let v2 = 2.0 * self.next_double() - 1.0;
            let s = v1 * v1 + v2 * v2;
            if s < 1.0 && s != 0.0 {
                let multiplier = (-2.0 * s.ln() / s).sqrt();
                self.next_gaussian = Some(v2 * multiplier);
                return v1 * multiplier;
            }
        }
    }

    /// `nextBytes(bytes)`.
    pub fn next_bytes(&mut self, bytes: &mut [u8]) {
        let mut i = 0;
        while i < bytes.len() {
            let mut rnd = self.next_int();
            let n = (bytes.len() - i).min(4);
            for _ in 0..n {
                bytes[i] = rnd as u8;
                rnd >>= 8;
                i += 1;
            }
        }
    }
}

/// Java's `Double.toString`: plain digits with at least one decimal in `[1e-3, 1e7)`, else
/// `1.0E7` notation (Rust's shortest round-trip digits, as Java 19+ prints).
pub fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let with_decimal = |s: String| if s.contains('.') { s } else { format!("{s}.0") };
    let m = v.abs();
    if m == 0.0 || (1e-3..1e7).contains(&m) {
        return with_decimal(format!("{v}"));
    }
    let sci = format!("{v:e}");
    match sci.split_once('e') {
        Some((mantissa, exp)) => format!("{}E{exp}", with_decimal(mantissa.to_string())),
        None => with_decimal(format!("{v}")),
    }
}

/// Breeze's `DenseVector.toString`: `DenseVector(1.0, 2.5)`.
pub fn dense_vector(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| java_double(*x)).collect();
    format!("DenseVector({})", parts.join(", "))
}

/// The master of an example: `sparklet.master` from the environment's `MASTER`, else
/// `local[2]` (Spark's examples take theirs from `spark-submit`).
pub fn master() -> String {
    std::env::var("MASTER").unwrap_or_else(|_| "local[2]".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_random_matches_the_jdk() {
        // new java.util.Random(42).nextInt() == -1170105035 on every JDK.
        assert_eq!(JavaRandom::new(42).next_int(), -1170105035);
    }
}
