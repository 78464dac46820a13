//! The generator's random numbers: PCG-64 (`oorandom`), one independent stream per
//! purpose (officer, persons, ...) derived from the seed, so that adding officers or
//! changing one officer's draws never shifts another's.

/// A seeded random stream.
pub struct Rng(oorandom::Rand64);

impl Rng {
    /// The stream `stream` of seed `seed`.
    pub fn stream(seed: u64, stream: u64) -> Rng {
        // SplitMix-style mixing so that nearby seeds and streams are unrelated.
        let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(oorandom::Rand64::new(((z as u128) << 64) | stream as u128))
    }

    /// Uniform in [0, n); 0 when n is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.0.rand_range(0..n)
        }
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0.rand_float()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A standard normal draw (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let a: Vec<u64> = (0..5).map(|_| Rng::stream(7, 1).below(1000)).collect();
        let mut r = Rng::stream(7, 1);
        let b: Vec<u64> = (0..5).map(|_| r.below(1000)).collect();
        assert!(
            a.iter().all(|x| *x == a[0]),
            "a fresh stream starts the same"
        );
        assert_eq!(b[0], a[0]);
        let mut r2 = Rng::stream(7, 2);
        let c: Vec<u64> = (0..5).map(|_| r2.below(1000)).collect();
        assert_ne!(b, c);
    }

    #[test]
    fn normal_has_mean_zero_and_unit_variance() {
        let mut r = Rng::stream(1, 1);
        let xs: Vec<f64> = (0..20_000).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }
}
