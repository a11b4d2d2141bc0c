//! Where two curves cross along one swept dimension, with a 95% interval.
//!
//! The input is, at each swept value, one sample per replication of a difference:
//! platform A's monthly cost minus platform B's (under one cost model), or a platform's
//! p99 minus the SLO. Replication r at every value and for every platform uses the same
//! random streams (common random numbers), so sample r of one value and sample r of the
//! next are comparable: each replication traces a curve of its own.
//!
//! The crossing is where the mean difference, interpolated linearly between the two
//! neighbouring values (in the value, or in its logarithm on a log scale), is zero. Its
//! 95% interval comes from the replications by the delta method: each replication's own
//! difference at the crossing (interpolated between its values at the two neighbours)
//! gives a Student-t interval of the mean difference there, and dividing its half-width
//! by the slope of the mean difference turns it into an interval of the position. With
//! common random numbers between platforms, the noise both platforms share cancels in
//! the difference, so the interval is narrow. The slope's own uncertainty is left out
//! (it is measured over the grid segment, where it is well determined); where the curves
//! barely diverge the interval reaches the edge of the sweep. The interval reflects the
//! noise, not the interpolation: without `--refine` a curved cost between two distant
//! grid values can put the crossing outside it (the bracket columns say how far apart
//! the neighbours are).

use crossover_engine::stats::t975;

/// One sign change of the mean difference between two neighbouring swept values.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Index of the lower neighbour among the swept values.
    pub lower: usize,
    /// Mean difference at the lower neighbour is >= 0 (so A is the larger below).
    pub positive_below: bool,
}

/// The sign changes of the mean of `samples[i]` along `i`; a zero counts as positive,
/// so identical curves never cross.
pub fn sign_changes(samples: &[Vec<f64>]) -> Vec<Segment> {
    let means: Vec<f64> = samples.iter().map(|s| mean(s)).collect();
    means
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w.iter().all(|m| m.is_finite()) && (w[0] >= 0.0) != (w[1] >= 0.0))
        .map(|(i, w)| Segment { lower: i, positive_below: w[0] >= 0.0 })
        .collect()
}

/// A crossing located between two swept values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Located {
    pub x: f64,
    /// The 95% interval, clamped to `limits`; `None` with fewer than two replications.
    pub ci: Option<(f64, f64)>,
    /// Replications used (those both neighbours have).
    pub replications: usize,
}

/// The mean (NaN when empty).
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Locates the zero of the mean difference between coordinates `u0` and `u1` (the values
/// or their logarithms) where the samples are `a` and `b`; `to_x` maps a coordinate back
/// to a value and `limits` (in values) bounds the interval. `slope` is the mean
/// difference's change per unit of coordinate, measured over the grid segment the
/// crossing was found in (after refinement `u0 .. u1` is too narrow to measure it: the
/// few requests between two nearly equal rates are mostly noise).
pub fn locate(
    u0: f64,
    u1: f64,
    a: &[f64],
    b: &[f64],
    slope: f64,
    to_x: impl Fn(f64) -> f64,
    limits: (f64, f64),
) -> Located {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (m0, m1) = (mean(a), mean(b));
    let dm = m1 - m0;
    // The mean crosses zero at w* in [0, 1] (the signs differ, so dm != 0).
    let w_star = if dm == 0.0 { 0.0 } else { (-m0 / dm).clamp(0.0, 1.0) };
    let u_star = u0 + w_star * (u1 - u0);
    let clamp = |x: f64| x.clamp(limits.0, limits.1);
    let x = clamp(to_x(u_star));
    if n < 2 {
        return Located { x, ci: None, replications: n };
    }
    // Each replication's difference at the crossing, interpolated between its own
    // values at the two neighbours: its 95% half-width, divided by the slope, is the
    // half-width of the crossing's position (delta method).
    let level: Vec<f64> = a.iter().zip(b).map(|(p, q)| (1.0 - w_star) * p + w_star * q).collect();
    let ml = mean(&level);
    let sd = (level.iter().map(|v| (v - ml) * (v - ml)).sum::<f64>() / (n - 1) as f64).sqrt();
    let h = t975(n - 1) * sd / (n as f64).sqrt();
    let du = if slope != 0.0 && slope.is_finite() { h / slope.abs() } else { f64::INFINITY };
    let ends = [to_x(u_star - du), to_x(u_star + du)].map(|x| if x.is_nan() { limits.0 } else { clamp(x) });
    let ci = (ends[0].min(ends[1]).min(x), ends[0].max(ends[1]).max(x));
    Located { x, ci: Some(ci), replications: n }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_changes_are_found_and_ties_are_not_crossings() {
        let s = |v: &[f64]| v.iter().map(|x| vec![*x]).collect::<Vec<_>>();
        assert_eq!(
            sign_changes(&s(&[3.0, 1.0, -1.0, -2.0, 4.0])),
            vec![Segment { lower: 1, positive_below: true }, Segment { lower: 3, positive_below: false }]
        );
        assert!(sign_changes(&s(&[0.0, 0.0, 0.0])).is_empty());
        assert_eq!(sign_changes(&s(&[0.0, -1.0])), vec![Segment { lower: 0, positive_below: true }]);
        assert!(sign_changes(&s(&[1.0])).is_empty());
    }

    #[test]
    fn a_deterministic_line_crosses_where_it_should_with_a_point_interval() {
        // diff = 2 - x at x = 1 and x = 3 in every replication: zero at 2, no noise.
        let l = locate(1.0, 3.0, &[1.0, 1.0, 1.0], &[-1.0, -1.0, -1.0], -1.0, |u| u, (0.0, 10.0));
        assert!((l.x - 2.0).abs() < 1e-12);
        let (lo, hi) = l.ci.unwrap();
        assert!((lo - 2.0).abs() < 1e-9 && (hi - 2.0).abs() < 1e-9, "{lo} {hi}");
    }

    #[test]
    fn log_coordinates_interpolate_in_the_logarithm() {
        let l = locate(10f64.ln(), 1000f64.ln(), &[1.0, 1.0], &[-1.0, -1.0], -0.4, f64::exp, (10.0, 1000.0));
        assert!((l.x - 100.0).abs() < 1e-9, "{}", l.x);
    }

    #[test]
    fn the_interval_holds_the_crossing_and_grows_with_the_noise() {
        // Each replication is the line 2 - x shifted by its own offset (the level noise
        // that common random numbers between platforms cancel in a cost difference).
        let offsets = [0.3, -0.2, 0.1, -0.4, 0.2, 0.0, -0.1, 0.1];
        let with = |scale: f64| {
            let a: Vec<f64> = offsets.iter().map(|e| 1.0 + scale * e).collect();
            let b: Vec<f64> = offsets.iter().map(|e| -1.0 + scale * e).collect();
            locate(1.0, 3.0, &a, &b, -1.0, |u| u, (0.0, 10.0))
        };
        let width = |l: Located| l.ci.map(|(lo, hi)| hi - lo).unwrap();
        let (big, small) = (with(1.0), with(0.5));
        for l in [big, small] {
            let (lo, hi) = l.ci.unwrap();
            assert!(lo <= l.x && l.x <= hi && lo < hi, "{l:?}");
        }
        // The mean offset is 0, so the crossing stays at 2; the interval is the level's
        // t-interval divided by the slope (1 per unit): t(7) * sd / sqrt(8).
        assert!((big.x - 2.0).abs() < 1e-12);
        let sd = (offsets.iter().map(|e| e * e).sum::<f64>() / 7.0).sqrt();
        let expected = 2.0 * t975(7) * sd / 8f64.sqrt();
        assert!((width(big) - expected).abs() < 0.02 * expected, "{} vs {expected}", width(big));
        assert!((width(small) - expected / 2.0).abs() < 0.02 * expected, "{}", width(small));
    }

    #[test]
    fn an_unsloped_difference_reaches_the_edges() {
        // Means 0.01 and -0.01 with large noise: the interval is the whole sweep.
        let a = [5.01, -4.99, 5.01, -4.99];
        let b = [4.99, -5.01, -5.01, 4.99];
        let l = locate(0.0, 1.0, &a, &b, -0.02, |u| u, (-3.0, 7.0));
        assert_eq!(l.ci, Some((-3.0, 7.0)));
        let one = locate(0.0, 1.0, &[1.0], &[-1.0], -2.0, |u| u, (0.0, 1.0));
        assert_eq!((one.ci, one.replications), (None, 1));
    }
}
