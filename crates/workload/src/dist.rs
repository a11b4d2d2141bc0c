//! Probability distributions for durations (CPU work, I/O wait, cold starts), in seconds.
//!
//! Engineers describe latencies by percentiles, so the log-normal is parameterised by
//! (p50, p99) as well as by (mean, cv); the conversion lives here, once.

use crossover_engine::{RngStream, SimDuration};
use rand_distr::{Distribution, StandardNormal};
use thiserror::Error;

/// z such that Phi(z) = 0.99.
pub const Z99: f64 = 2.326_347_874_040_841;

#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always the same value.
    Constant { value: f64 },
    /// Exponential with the given mean.
    Exponential { mean: f64 },
    /// exp(N(mu, sigma^2)).
    LogNormal { mu: f64, sigma: f64 },
}

#[derive(Debug, Error, PartialEq)]
pub enum DistError {
    #[error("{what} must be a finite number >= 0, got {value}")]
    Negative { what: &'static str, value: f64 },
    #[error("{what} must be > 0, got {value}")]
    NotPositive { what: &'static str, value: f64 },
    #[error("p99 ({p99}) must be >= p50 ({p50})")]
    P99BelowP50 { p50: f64, p99: f64 },
}

fn non_negative(what: &'static str, value: f64) -> Result<f64, DistError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(DistError::Negative { what, value })
    }
}

fn positive(what: &'static str, value: f64) -> Result<f64, DistError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(DistError::NotPositive { what, value })
    }
}

impl Dist {
    pub fn constant(value: f64) -> Result<Dist, DistError> {
        Ok(Dist::Constant { value: non_negative("value", value)? })
    }

    pub fn exponential(mean: f64) -> Result<Dist, DistError> {
        Ok(Dist::Exponential { mean: positive("mean", mean)? })
    }

    /// Log-normal with the given median and 99th percentile. p99 == p50 is a constant.
    pub fn lognormal_p50_p99(p50: f64, p99: f64) -> Result<Dist, DistError> {
        positive("p50", p50)?;
        positive("p99", p99)?;
        if p99 < p50 {
            return Err(DistError::P99BelowP50 { p50, p99 });
        }
        Ok(Dist::LogNormal { mu: p50.ln(), sigma: (p99.ln() - p50.ln()) / Z99 })
    }

    /// Log-normal with the given mean and coefficient of variation.
    pub fn lognormal_mean_cv(mean: f64, cv: f64) -> Result<Dist, DistError> {
        positive("mean", mean)?;
        non_negative("cv", cv)?;
        let sigma2 = (1.0 + cv * cv).ln();
        Ok(Dist::LogNormal { mu: mean.ln() - sigma2 / 2.0, sigma: sigma2.sqrt() })
    }

    pub fn zero() -> Dist {
        Dist::Constant { value: 0.0 }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, Dist::Constant { value } if *value == 0.0)
    }

    /// The distribution's mean in seconds.
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Exponential { mean } => mean,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
        }
    }

    /// Draws one value in seconds.
    #[inline]
    pub fn sample_secs(&self, rng: &mut RngStream) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Exponential { mean } => rng.exponential(mean),
            Dist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
        }
    }

    /// Draws one duration (rounded to the nanosecond).
    #[inline]
    pub fn sample(&self, rng: &mut RngStream) -> SimDuration {
        match *self {
            // No draw consumed: a constant never perturbs the stream.
            Dist::Constant { value } => SimDuration::from_secs_f64(value),
            _ => SimDuration::from_secs_f64(self.sample_secs(rng)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossover_engine::StreamKey;

    fn draws(d: &Dist, n: usize) -> Vec<f64> {
        let mut rng = RngStream::new(StreamKey::new(11, 0, 3));
        let mut v: Vec<f64> = (0..n).map(|_| d.sample_secs(&mut rng)).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    /// Empirical quantile q of n sorted draws lies within the binomial 99.9% band.
    fn assert_quantile(sorted: &[f64], q: f64, expected: f64) {
        let n = sorted.len() as f64;
        let sd = (q * (1.0 - q) / n).sqrt();
        let lo = sorted[((q - 3.3 * sd) * n) as usize];
        let hi = sorted[((q + 3.3 * sd) * n).min(n - 1.0) as usize];
        assert!(lo <= expected && expected <= hi, "q{q}: expected {expected} in [{lo}, {hi}]");
    }

    #[test]
    fn lognormal_from_percentiles_hits_them() {
        let d = Dist::lognormal_p50_p99(0.020, 0.250).unwrap();
        let v = draws(&d, 200_000);
        assert_quantile(&v, 0.50, 0.020);
        assert_quantile(&v, 0.99, 0.250);
    }

    #[test]
    fn lognormal_from_mean_cv_has_that_mean() {
        let d = Dist::lognormal_mean_cv(2.0, 0.5).unwrap();
        assert!((d.mean() - 2.0).abs() < 1e-12);
        let v = draws(&d, 200_000);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        // sd of the mean = cv * mean / sqrt(n)
        assert!((mean - 2.0).abs() < 4.0 * 1.0 / (200_000f64).sqrt(), "{mean}");
    }

    #[test]
    fn exponential_median_is_mean_ln2() {
        let d = Dist::exponential(0.5).unwrap();
        assert_quantile(&draws(&d, 200_000), 0.5, 0.5 * std::f64::consts::LN_2);
    }

    #[test]
    fn invalid_parameters_are_errors() {
        assert_eq!(Dist::lognormal_p50_p99(0.2, 0.1), Err(DistError::P99BelowP50 { p50: 0.2, p99: 0.1 }));
        assert!(Dist::exponential(0.0).is_err());
        assert!(Dist::exponential(f64::NAN).is_err());
        assert!(Dist::constant(-1.0).is_err());
        assert!(Dist::lognormal_mean_cv(1.0, -0.1).is_err());
    }

    #[test]
    fn equal_percentiles_degenerate_to_a_constant() {
        let d = Dist::lognormal_p50_p99(0.1, 0.1).unwrap();
        let v = draws(&d, 10);
        assert!(v.iter().all(|x| (x - 0.1).abs() < 1e-12));
    }
}
