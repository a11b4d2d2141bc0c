//! Summary statistics across replications: mean and a 95% confidence interval.
//!
//! Replications are independent and identically distributed, so the Student-t interval
//! on their means is the textbook estimator; with few replications the t quantile (not
//! 1.96) matters, so it is tabulated exactly for small sample sizes.

/// Mean with the half-width of its two-sided 95% confidence interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeanCi {
    pub mean: f64,
    /// Half-width of the 95% interval; 0 when fewer than two samples.
    pub half_width: f64,
    pub n: usize,
}

impl MeanCi {
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }
    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }
    pub fn contains(&self, x: f64) -> bool {
        x >= self.low() && x <= self.high()
    }
}

/// 0.975 quantiles of Student's t for 1..=30 degrees of freedom.
const T975: [f64; 30] = [
    12.706_204_736,
    4.302_652_730,
    3.182_446_305,
    2.776_445_105,
    2.570_581_836,
    2.446_911_851,
    2.364_624_252,
    2.306_004_135,
    2.262_157_163,
    2.228_138_852,
    2.200_985_160,
    2.178_812_830,
    2.160_368_656,
    2.144_786_688,
    2.131_449_546,
    2.119_905_299,
    2.109_815_578,
    2.100_922_040,
    2.093_024_054,
    2.085_963_447,
    2.079_613_845,
    2.073_873_068,
    2.068_657_610,
    2.063_898_562,
    2.059_538_553,
    2.055_529_439,
    2.051_830_516,
    2.048_407_142,
    2.045_229_642,
    2.042_272_456,
];

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => T975[df - 1],
        _ => {
            // Cornish-Fisher expansion around the normal quantile; error < 1e-5 for df > 30.
            let z: f64 = 1.959_963_984_540_054;
            let d = df as f64;
            let z3 = z.powi(3);
            let z5 = z.powi(5);
            let z7 = z.powi(7);
            z + (z3 + z) / (4.0 * d)
                + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * d * d)
                + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * d * d * d)
        }
    }
}

/// Sample mean and 95% Student-t confidence half-width. The sum runs in slice order,
/// so the result is bit-identical for the same input order.
pub fn mean_ci95(xs: &[f64]) -> MeanCi {
    let n = xs.len();
    if n == 0 {
        return MeanCi::default();
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return MeanCi { mean, half_width: 0.0, n };
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let half_width = t975(n - 1) * (var / n as f64).sqrt();
    MeanCi { mean, half_width, n }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_known_values() {
        assert!((t975(1) - 12.7062).abs() < 1e-4);
        assert!((t975(9) - 2.2622).abs() < 1e-4);
        assert!((t975(30) - 2.0423).abs() < 1e-4);
        // Published: t(0.975, 40) = 2.0211, t(0.975, 120) = 1.9799.
        assert!((t975(40) - 2.0211).abs() < 1e-4, "{}", t975(40));
        assert!((t975(120) - 1.9799).abs() < 1e-4, "{}", t975(120));
        assert!((t975(1_000_000) - 1.96).abs() < 1e-3);
    }

    #[test]
    fn mean_and_interval_by_hand() {
        // mean 3, sample variance 2.5, se = sqrt(2.5/5), t(4) = 2.776445
        let ci = mean_ci95(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(ci.mean, 3.0);
        assert!((ci.half_width - 2.776_445_105 * (0.5f64).sqrt()).abs() < 1e-9);
        assert!(ci.contains(3.0) && !ci.contains(6.0));
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(mean_ci95(&[]).n, 0);
        let one = mean_ci95(&[7.0]);
        assert_eq!((one.mean, one.half_width), (7.0, 0.0));
    }
}
