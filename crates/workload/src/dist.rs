//! Probability distributions for durations (CPU work, I/O wait, cold starts, burst
//! lengths), in seconds, and for unitless factors.
//!
//! Engineers describe latencies by percentiles, so the log-normal is parameterised by
//! (p50, p99) as well as by (mean, cv), and measured percentiles can be used as they are
//! (an empirical distribution); the conversions live here, once. Every distribution
//! samples from the stream it is given and nothing else, so a replication stays a pure
//! function of its seed. Large tables (empirical points, mixture components) sit behind
//! an `Arc` because the demand model is cloned into every simulation.

use crossover_engine::{RngStream, SimDuration};
use rand_distr::{Distribution, StandardNormal};
use std::sync::Arc;
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
    /// Uniform on [min, max].
    Uniform { min: f64, max: f64 },
    /// Triangular on [min, max] with its peak at `mode`: what a range with a typical
    /// value ("60-180 s, usually 100 s") says and no more.
    Triangular { min: f64, mode: f64, max: f64 },
    /// Gamma with shape k and scale theta (mean k theta, cv 1 / sqrt(k)).
    Gamma { shape: f64, scale: f64 },
    /// Pareto (type I): P(X > x) = (scale / x)^alpha for x >= scale; alpha > 1 so the
    /// mean is finite.
    Pareto { scale: f64, alpha: f64 },
    /// Piecewise-linear inverse CDF through measured percentiles.
    Empirical(Arc<Empirical>),
    /// One of several distributions, chosen at random with fixed weights.
    Mixture(Arc<Mixture>),
}

/// Percentile points (probability, value): probabilities strictly increase from 0 to 1
/// and values never decrease, so the inverse CDF is the line through them.
#[derive(Clone, Debug, PartialEq)]
pub struct Empirical {
    probs: Vec<f64>,
    values: Vec<f64>,
}

/// Components with cumulative weights normalised so that the last is exactly 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Mixture {
    cumulative: Vec<f64>,
    /// A guide table (Chen and Asau, 1974): entry j is the first component whose
    /// cumulative weight is above j / n, for n entries, one per component. A draw starts
    /// there and steps to its component, one or two steps on average whatever the
    /// weights, instead of a binary search: with a component per Azure function, a
    /// thousand of them, the search's ten dependent loads were a tenth of a run.
    guide: Vec<u32>,
    components: Vec<Dist>,
}

#[derive(Debug, Error, PartialEq)]
pub enum DistError {
    #[error("{what} must be a finite number >= 0, got {value}")]
    Negative { what: &'static str, value: f64 },
    #[error("{what} must be > 0, got {value}")]
    NotPositive { what: &'static str, value: f64 },
    #[error("p99 ({p99}) must be >= p50 ({p50})")]
    P99BelowP50 { p50: f64, p99: f64 },
    #[error("max ({max}) must be >= min ({min})")]
    MaxBelowMin { min: f64, max: f64 },
    #[error("mode ({mode}) must lie between min ({min}) and max ({max})")]
    ModeOutside { min: f64, mode: f64, max: f64 },
    #[error("alpha must be > 1 so that the mean is finite, got {alpha}")]
    AlphaTooSmall { alpha: f64 },
    #[error("{0}")]
    Percentiles(String),
    #[error("{0}")]
    Weights(String),
    #[error("{0}")]
    Parameters(String),
}

/// Inverse CDF of the triangular distribution.
fn triangular_quantile(min: f64, mode: f64, max: f64, u: f64) -> f64 {
    let width = max - min;
    if width <= 0.0 {
        return min;
    }
    let split = (mode - min) / width;
    if u < split {
        min + (u * width * (mode - min)).sqrt()
    } else {
        max - ((1.0 - u) * width * (max - mode)).sqrt()
    }
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

    pub fn uniform(min: f64, max: f64) -> Result<Dist, DistError> {
        non_negative("min", min)?;
        non_negative("max", max)?;
        if max < min {
            return Err(DistError::MaxBelowMin { min, max });
        }
        Ok(Dist::Uniform { min, max })
    }

    pub fn triangular(min: f64, mode: f64, max: f64) -> Result<Dist, DistError> {
        non_negative("min", min)?;
        non_negative("mode", mode)?;
        non_negative("max", max)?;
        if mode < min || max < mode {
            return Err(DistError::ModeOutside { min, mode, max });
        }
        Ok(Dist::Triangular { min, mode, max })
    }

    /// Gamma with the given mean and coefficient of variation (cv > 0; a cv of 0 is a
    /// constant, say so with `constant`).
    pub fn gamma_mean_cv(mean: f64, cv: f64) -> Result<Dist, DistError> {
        positive("mean", mean)?;
        positive("cv", cv)?;
        let (shape, scale) = (1.0 / (cv * cv), mean * cv * cv);
        // A cv so large or small that the shape or scale over- or underflows would draw
        // only zeros: refused rather than simulated.
        if !(shape.is_finite() && shape > 0.0 && scale.is_finite() && scale > 0.0) {
            return Err(DistError::Parameters(format!(
                "cv {cv} with mean {mean} gives no usable gamma (shape {shape:e}, scale {scale:e})"
            )));
        }
        Ok(Dist::Gamma { shape, scale })
    }

    /// Pareto with minimum `scale` and tail index `alpha` (> 1).
    pub fn pareto(scale: f64, alpha: f64) -> Result<Dist, DistError> {
        positive("min", scale)?;
        positive("alpha", alpha)?;
        if alpha <= 1.0 {
            return Err(DistError::AlphaTooSmall { alpha });
        }
        Ok(Dist::Pareto { scale, alpha })
    }

    /// Empirical distribution through (probability, value) points; probabilities in
    /// [0, 1], strictly increasing, from 0 to 1; values non-decreasing and >= 0.
    pub fn empirical(probs: &[f64], values: &[f64]) -> Result<Dist, DistError> {
        let fail = |m: String| Err(DistError::Percentiles(m));
        if probs.len() != values.len() {
            return fail(format!(
                "{} percentiles but {} values: give one value per percentile",
                probs.len(),
                values.len()
            ));
        }
        if probs.len() < 2 {
            return fail("give at least two percentiles (the 0th and the 100th)".into());
        }
        if probs[0] != 0.0 || probs[probs.len() - 1] != 1.0 {
            return fail("percentiles must start at 0 and end at 100".into());
        }
        for w in probs.windows(2) {
            // Written so that a NaN also fails.
            if w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater) {
                return fail(format!(
                    "percentiles must strictly increase, got {} then {}",
                    w[0] * 100.0,
                    w[1] * 100.0
                ));
            }
        }
        for &v in values {
            non_negative("value", v)?;
        }
        for (i, w) in values.windows(2).enumerate() {
            if w[1] < w[0] {
                return fail(format!(
                    "values must not decrease: the {}th percentile ({}) is below the {}th ({})",
                    probs[i + 1] * 100.0,
                    w[1],
                    probs[i] * 100.0,
                    w[0]
                ));
            }
        }
        Ok(Dist::Empirical(Arc::new(Empirical { probs: probs.to_vec(), values: values.to_vec() })))
    }

    /// A mixture: component i is drawn with probability weights[i] / sum(weights).
    pub fn mixture(weights: &[f64], components: Vec<Dist>) -> Result<Dist, DistError> {
        let fail = |m: String| Err(DistError::Weights(m));
        if weights.len() != components.len() {
            return fail(format!(
                "{} weights but {} components: give one weight per component",
                weights.len(),
                components.len()
            ));
        }
        if components.is_empty() {
            return fail("a mixture needs at least one component".into());
        }
        let mut total = 0.0;
        let mut cumulative = Vec::with_capacity(weights.len());
        for &w in weights {
            total += non_negative("weight", w)?;
            cumulative.push(total);
        }
        if total.is_infinite() {
            return fail(format!(
                "the weights add up beyond the largest number ({:e}): they are relative, scale them down",
                f64::MAX
            ));
        }
        if total <= 0.0 || total.is_nan() {
            return fail("the weights must not all be zero".into());
        }
        for c in &mut cumulative {
            *c /= total;
        }
        // Rounding must not leave a sliver above the last cumulative weight.
        *cumulative.last_mut().expect("not empty") = 1.0;
        let n = cumulative.len() as f64;
        let guide = (0..cumulative.len())
            .map(|j| cumulative.partition_point(|&c| c <= j as f64 / n) as u32)
            .collect();
        Ok(Dist::Mixture(Arc::new(Mixture { cumulative, guide, components })))
    }

    pub fn zero() -> Dist {
        Dist::Constant { value: 0.0 }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, Dist::Constant { value } if *value == 0.0)
    }

    /// The distribution's mean in seconds.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::Exponential { mean } => *mean,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::Pareto { scale, alpha } => alpha * scale / (alpha - 1.0),
            Dist::Empirical(e) => e.mean(),
            Dist::Mixture(m) => m.mean(),
        }
    }

    /// Draws one value in seconds.
    #[inline]
    pub fn sample_secs(&self, rng: &mut RngStream) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::Exponential { mean } => rng.exponential(*mean),
            Dist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Dist::Uniform { min, max } => min + (max - min) * rng.open01(),
            Dist::Triangular { min, mode, max } => triangular_quantile(*min, *mode, *max, rng.open01()),
            // The parameters were checked by the constructors, so `new` cannot fail; the
            // mean is a harmless fallback should someone build the variant by hand.
            Dist::Gamma { shape, scale } => match rand_distr::Gamma::new(*shape, *scale) {
                Ok(g) => g.sample(rng),
                Err(_) => self.mean(),
            },
            Dist::Pareto { scale, alpha } => match rand_distr::Pareto::new(*scale, *alpha) {
                Ok(p) => p.sample(rng),
                Err(_) => self.mean(),
            },
            Dist::Empirical(e) => e.quantile(rng.open01()),
            Dist::Mixture(m) => m.sample_secs(rng),
        }
    }

    /// Draws one duration (rounded to the nanosecond).
    #[inline]
    pub fn sample(&self, rng: &mut RngStream) -> SimDuration {
        match self {
            // No draw consumed: a constant never perturbs the stream.
            Dist::Constant { value } => SimDuration::from_secs_f64(*value),
            _ => SimDuration::from_secs_f64(self.sample_secs(rng)),
        }
    }
}

impl Empirical {
    /// The inverse CDF at probability `u` in [0, 1].
    pub fn quantile(&self, u: f64) -> f64 {
        let i = self.probs.partition_point(|&p| p <= u).clamp(1, self.probs.len() - 1);
        let (p0, p1) = (self.probs[i - 1], self.probs[i]);
        let (v0, v1) = (self.values[i - 1], self.values[i]);
        v0 + (v1 - v0) * ((u - p0) / (p1 - p0)).clamp(0.0, 1.0)
    }

    /// The mean is the integral of the inverse CDF: trapezoids between the points.
    pub fn mean(&self) -> f64 {
        let p = &self.probs;
        let v = &self.values;
        (1..p.len()).map(|i| (p[i] - p[i - 1]) * (v[i] + v[i - 1]) / 2.0).sum()
    }

    pub fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.probs.iter().copied().zip(self.values.iter().copied())
    }
}

impl Mixture {
    /// Draws one value in seconds: a component, then a value of it. Kept out of line:
    /// inlined, its search loops made every other distribution's draw dearer.
    #[inline(never)]
    fn sample_secs(&self, rng: &mut RngStream) -> f64 {
        let u = rng.open01();
        self.component(u).sample_secs(rng)
    }

    /// The component chosen by a uniform draw `u` in (0, 1): the first whose cumulative
    /// weight is above `u`.
    #[inline]
    fn component(&self, u: f64) -> &Dist {
        let n = self.cumulative.len();
        let mut i = self.guide[((u * n as f64) as usize).min(n - 1)] as usize;
        // The guide's entry is that first component, or one just before it, unless the
        // product above rounded up across an entry: step back then forward, which from
        // any start ends where a binary search does (the weights are in order).
        while i > 0 && self.cumulative[i - 1] > u {
            i -= 1;
        }
        while i < n && self.cumulative[i] <= u {
            i += 1;
        }
        &self.components[i.min(n - 1)]
    }

    /// Probability of component i.
    pub fn weight(&self, i: usize) -> f64 {
        self.cumulative[i] - if i == 0 { 0.0 } else { self.cumulative[i - 1] }
    }

    pub fn components(&self) -> &[Dist] {
        &self.components
    }

    pub fn mean(&self) -> f64 {
        self.components.iter().enumerate().map(|(i, d)| self.weight(i) * d.mean()).sum()
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

    fn mean_of(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }

    /// The sample mean lies within 4 standard errors of the theoretical mean.
    fn assert_mean(v: &[f64], mean: f64, sd: f64) {
        let m = mean_of(v);
        let tol = 4.0 * sd / (v.len() as f64).sqrt();
        assert!((m - mean).abs() < tol, "mean {m}, expected {mean} +- {tol}");
    }

    /// The share of draws at or below `x` is within 4 binomial standard errors of `p`.
    fn assert_cdf(sorted: &[f64], x: f64, p: f64) {
        let n = sorted.len() as f64;
        let share = sorted.partition_point(|&v| v <= x) as f64 / n;
        let tol = 4.0 * (p * (1.0 - p) / n).sqrt();
        assert!((share - p).abs() < tol, "F({x}) = {share}, expected {p} +- {tol}");
    }

    #[test]
    fn triangular_matches_its_cdf_and_mean() {
        // F(x) = (x - a)^2 / ((b - a)(c - a)) left of the mode.
        assert!(
            (triangular_quantile(60.0, 100.0, 180.0, 0.1) - (60.0 + (0.1f64 * 120.0 * 40.0).sqrt())).abs()
                < 1e-12
        );
        assert_eq!(triangular_quantile(60.0, 100.0, 180.0, 40.0 / 120.0), 100.0);
        assert_eq!(triangular_quantile(60.0, 100.0, 180.0, 1.0), 180.0);
        let d = Dist::triangular(60.0, 100.0, 180.0).unwrap();
        let mut rng = RngStream::new(crossover_engine::StreamKey::new(7, 0, 1));
        let n = 200_000;
        let mean = (0..n).map(|_| d.sample_secs(&mut rng)).sum::<f64>() / n as f64;
        // sd = sqrt((a²+b²+c²-ab-ac-bc)/18) = 24.94; 4.5 standard errors.
        assert!((mean - 340.0 / 3.0).abs() < 4.5 * 24.94 / (n as f64).sqrt(), "{mean}");
        assert!(matches!(Dist::triangular(60.0, 200.0, 180.0), Err(DistError::ModeOutside { .. })));
    }

    #[test]
    fn uniform_mean_and_quartile() {
        let d = Dist::uniform(0.010, 0.030).unwrap();
        let v = draws(&d, 200_000);
        assert_mean(&v, 0.020, 0.020 / 12f64.sqrt());
        assert_quantile(&v, 0.25, 0.015);
        assert!(v[0] >= 0.010 && v[v.len() - 1] <= 0.030);
    }

    #[test]
    fn gamma_mean_and_cdf_match_theory() {
        // cv 0.5 is shape 4, scale mean/4: an Erlang-4, whose CDF has a closed form.
        let d = Dist::gamma_mean_cv(0.2, 0.5).unwrap();
        assert_eq!(d, Dist::Gamma { shape: 4.0, scale: 0.05 });
        let v = draws(&d, 200_000);
        assert_mean(&v, 0.2, 0.1);
        let erlang4_cdf = |x: f64| {
            let y = x / 0.05;
            1.0 - (-y).exp() * (1.0 + y + y * y / 2.0 + y * y * y / 6.0)
        };
        for x in [0.05, 0.1, 0.2, 0.4] {
            assert_cdf(&v, x, erlang4_cdf(x));
        }
    }

    #[test]
    fn pareto_quantiles_and_mean() {
        let d = Dist::pareto(0.010, 3.0).unwrap();
        assert!((d.mean() - 0.015).abs() < 1e-15);
        let v = draws(&d, 400_000);
        let q = |p: f64| 0.010 * (1.0 - p).powf(-1.0 / 3.0);
        for p in [0.5, 0.9, 0.99] {
            assert_quantile(&v, p, q(p));
        }
        // Variance alpha xm^2 / ((alpha-1)^2 (alpha-2)) = 7.5e-5 for these parameters.
        assert_mean(&v, 0.015, 7.5e-5f64.sqrt());
        assert!(v[0] >= 0.010);
    }

    #[test]
    fn empirical_percentiles_interpolate_linearly() {
        let d = Dist::empirical(&[0.0, 0.5, 0.9, 1.0], &[0.001, 0.020, 0.100, 1.0]).unwrap();
        let v = draws(&d, 200_000);
        assert_quantile(&v, 0.50, 0.020);
        assert_quantile(&v, 0.90, 0.100);
        // Halfway between the 50th and the 90th percentile point.
        assert_quantile(&v, 0.70, 0.060);
        // Mean: 0.5 * 0.0105 + 0.4 * 0.06 + 0.1 * 0.55 = 0.08425.
        assert!((d.mean() - 0.08425).abs() < 1e-12);
        let sd = {
            let m = mean_of(&v);
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
        };
        assert_mean(&v, 0.08425, sd);
        assert!(v[0] >= 0.001 && v[v.len() - 1] <= 1.0);
    }

    #[test]
    fn mixture_weights_are_respected() {
        let fast = Dist::uniform(0.0, 1.0).unwrap();
        let slow = Dist::uniform(10.0, 11.0).unwrap();
        let d = Dist::mixture(&[95.0, 5.0], vec![fast, slow]).unwrap();
        assert!((d.mean() - (0.95 * 0.5 + 0.05 * 10.5)).abs() < 1e-12);
        let v = draws(&d, 200_000);
        // Supports are disjoint, so the share above 5 is the slow component's share.
        assert_cdf(&v, 5.0, 0.95);
        let slow_share: Vec<f64> = v.iter().copied().filter(|&x| x > 5.0).collect();
        assert_mean(&slow_share, 10.5, 1.0 / 12f64.sqrt());
    }

    /// The guide table picks the component a binary search over the cumulative weights
    /// picks, for weights as skewed as the Azure sample's counts (one function with
    /// most of the calls, runs of zeros, a long tail of ones), at every cumulative
    /// weight, the floats either side of it, the guide's own bucket edges and a spread
    /// of draws.
    #[test]
    fn the_guide_table_finds_the_binary_search_component() {
        let mut skewed = vec![1_000_000.0, 0.0, 0.0, 3.0];
        skewed.extend((0..300).map(|i| if i % 7 == 0 { 0.0 } else { 1.0 + (i % 5) as f64 }));
        skewed.extend([5e5, 1e-9, 0.0, 2.0]);
        // Equal weights put cumulative weights on the guide's bucket edges, where a draw
        // just below an edge can round up into the next bucket.
        for weights in [skewed, vec![1.0; 3], vec![1.0; 10], vec![1.0; 49], vec![2.0, 1.0, 0.0, 1.0, 2.0]] {
            let n = weights.len();
            let d =
                Dist::mixture(&weights, (0..n).map(|i| Dist::constant(i as f64).unwrap()).collect()).unwrap();
            let Dist::Mixture(m) = &d else { panic!("a mixture") };
            let search = |u: f64| m.cumulative.partition_point(|&c| c <= u).min(n - 1) as f64;
            let mut probes: Vec<f64> = (1..20_000).map(|k| k as f64 / 20_000.0).collect();
            for &c in &m.cumulative {
                probes.extend([c, c.next_down(), c.next_up()]);
            }
            probes.extend((0..=n).flat_map(|j| {
                let edge = j as f64 / n as f64;
                [edge, edge.next_down(), edge.next_up()]
            }));
            for u in probes.into_iter().filter(|u| *u > 0.0 && *u < 1.0) {
                assert_eq!(m.component(u).mean(), search(u), "{n} components, u = {u:e}");
            }
        }
    }

    #[test]
    fn zero_weight_components_are_never_drawn() {
        let d = Dist::mixture(
            &[0.0, 1.0, 0.0],
            vec![Dist::zero(), Dist::uniform(1.0, 2.0).unwrap(), Dist::zero()],
        )
        .unwrap();
        assert!(draws(&d, 10_000).iter().all(|&x| x >= 1.0));
    }

    #[test]
    fn invalid_new_distributions_are_errors() {
        assert!(matches!(Dist::uniform(2.0, 1.0), Err(DistError::MaxBelowMin { .. })));
        assert!(Dist::gamma_mean_cv(1.0, 0.0).is_err());
        assert_eq!(Dist::pareto(1.0, 1.0), Err(DistError::AlphaTooSmall { alpha: 1.0 }));
        assert!(Dist::empirical(&[0.0, 1.0], &[1.0]).is_err());
        assert!(Dist::empirical(&[0.1, 1.0], &[1.0, 2.0]).is_err(), "must start at 0");
        assert!(Dist::empirical(&[0.0, 0.5, 0.5, 1.0], &[1.0, 2.0, 3.0, 4.0]).is_err());
        assert!(Dist::empirical(&[0.0, 0.5, 1.0], &[1.0, 0.5, 4.0]).is_err(), "decreasing");
        assert!(Dist::mixture(&[0.0], vec![Dist::zero()]).is_err());
        assert!(Dist::mixture(&[1.0, -1.0], vec![Dist::zero(), Dist::zero()]).is_err());
        assert!(Dist::mixture(&[1.0], vec![]).is_err());
    }
}
