//! Axis ranges and tick positions computed here rather than by plotters, so that no
//! input can hang or panic a chart.
//!
//! plotters' own tick search asserts on NaN and loops forever on an infinite span or a
//! log range starting at zero, and its linear ticks step by halves on an axis of whole
//! numbers (a sweep over `min_instances`). Every axis of every chart takes its range from
//! [`safe_range`] and its ticks from [`ticks`], which are finite, ordered and bounded in
//! count by construction.

/// Magnitudes beyond this are clamped: a range must keep a finite span (and a log range
/// a finite number of decades) for its ticks to be computable.
const LIMIT: f64 = 1e300;
/// The narrowest log range, and the smallest value a log axis can show.
const LOG_FLOOR: f64 = 1e-300;

/// A drawable axis range from any two numbers: finite, `lo < hi`, never wider than
/// ±[`LIMIT`], positive for a log axis. A NaN end falls back to the other end (or to
/// 0..1); an empty range is widened around its value.
pub fn safe_range(lo: f64, hi: f64, log: bool) -> (f64, f64) {
    let clamp = |v: f64| if v.is_nan() { v } else { v.clamp(-LIMIT, LIMIT) };
    let (mut lo, mut hi) = (clamp(lo), clamp(hi));
    match (lo.is_nan(), hi.is_nan()) {
        (true, true) => (lo, hi) = (0.0, 1.0),
        (true, false) => lo = hi,
        (false, true) => hi = lo,
        _ => {}
    }
    if lo > hi {
        std::mem::swap(&mut lo, &mut hi);
    }
    if log {
        let lo = lo.max(LOG_FLOOR);
        let hi = hi.max(lo);
        // At least a factor of two so the axis has room for a tick.
        if hi / lo < 2.0 {
            // The geometric mean, without the product underflowing near the floor.
            let mid = lo.sqrt() * hi.sqrt();
            let hi = (mid * 1.5).clamp(LOG_FLOOR * 2.25, LIMIT);
            return (hi / 2.25, hi);
        }
        return (lo, hi);
    }
    // A span too small to tell apart from its ends in floating point is widened.
    let scale = lo.abs().max(hi.abs());
    if hi - lo <= scale * 1e-9 || hi - lo < 1e-12 {
        let half = (scale * 0.05).max(0.5);
        let (a, b) = (lo - half, hi + half);
        return (a.max(-LIMIT), b.min(LIMIT));
    }
    (lo, hi)
}

/// Tick positions for an axis `lo..hi` (from [`safe_range`]): at most `max` of them
/// (and at least one where the range allows), on steps of 1, 2 or 5 times a power of
/// ten for a linear axis, on powers of ten (or 1-2-5 within a decade or two) for a log
/// axis. With `integer`, a linear axis steps by whole numbers only (and has no tick when
/// the range holds no whole number).
pub fn ticks(lo: f64, hi: f64, log: bool, integer: bool, max: usize) -> Vec<f64> {
    let max = max.max(2);
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Vec::new();
    }
    if log {
        if lo <= 0.0 {
            return Vec::new();
        }
        return log_ticks(lo, hi, max);
    }
    let span = hi - lo;
    let raw = span / max as f64;
    // The smallest 1-2-5 step giving at most `max` ticks: at most a few tries, since
    // `raw` is finite and positive.
    let mut step = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0, 20.0] {
        if step * m >= raw {
            step *= m;
            break;
        }
    }
    if integer {
        step = step.max(1.0).round();
    }
    let first = (lo / step).ceil();
    let last = (hi / step).floor();
    if !(first.is_finite() && last.is_finite()) || last < first {
        return Vec::new();
    }
    let n = ((last - first) as usize + 1).min(max + 1);
    (0..n).map(|k| (first + k as f64) * step).map(|v| if v == 0.0 { 0.0 } else { v }).collect()
}

fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let (a, b) = (lo.log10(), hi.log10());
    let decades = b - a;
    // Over a few decades, 1-2-5 or 1-3 within each decade reads better than two or
    // three bare powers of ten.
    let mantissas: &[f64] = if decades <= 1.5 {
        &[1.0, 2.0, 5.0]
    } else if decades <= 4.0 {
        &[1.0, 3.0]
    } else {
        &[1.0]
    };
    // Every `every` decades, so the count stays under `max` however wide the range.
    let every = ((decades / max as f64).ceil() as i64).max(1);
    let (first, last) = (a.floor() as i64, b.ceil() as i64);
    let mut out = Vec::new();
    let mut e = first;
    while e <= last && out.len() <= max * 3 {
        if (e - first) % every == 0 {
            for m in mantissas {
                let v = m * 10f64.powi(e as i32);
                if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                    out.push(v);
                }
            }
        }
        e += 1;
    }
    if out.is_empty() {
        // A range inside one decade that holds none of 1, 2, 5: its middle.
        out.push(lo.sqrt() * hi.sqrt());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_numbers_give_a_finite_ordered_range() {
        let cases = [
            (f64::NAN, f64::NAN),
            (f64::NAN, 3.0),
            (5.0, 5.0),
            (0.0, 0.0),
            (1e300, 1e300),
            (-f64::INFINITY, f64::INFINITY),
            (f64::MAX, f64::MIN),
            (1e-320, 1e-320),
            (-5.0, -5.0),
            (1e15, 1e15 + 1.0),
        ];
        for (a, b) in cases {
            for log in [false, true] {
                let (lo, hi) = safe_range(a, b, log);
                assert!(lo.is_finite() && hi.is_finite() && lo < hi, "{a} {b} {log}: {lo} {hi}");
                assert!(hi - lo > 0.0 && (hi - lo).is_finite());
                if log {
                    assert!(lo > 0.0);
                }
                let t = ticks(lo, hi, log, false, 8);
                assert!(t.len() <= 3 * 8 + 3, "{a} {b} {log}: {} ticks", t.len());
                assert!(t.iter().all(|v| v.is_finite()));
            }
        }
    }

    #[test]
    fn linear_ticks_step_by_one_two_or_five() {
        assert_eq!(ticks(0.0, 10.0, false, false, 6), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(-0.12, 3.12, false, false, 10), vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
        assert_eq!(ticks(-0.12, 3.12, false, true, 10), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(ticks(4.9, 5.1, false, true, 10), vec![5.0]);
        assert!(ticks(4.2, 4.8, false, true, 10).is_empty());
    }

    #[test]
    fn log_ticks_are_powers_of_ten_on_a_wide_range() {
        assert_eq!(ticks(5.0, 3e6, true, false, 10), vec![10.0, 100.0, 1e3, 1e4, 1e5, 1e6]);
        assert_eq!(ticks(1.5, 450.0, true, false, 10), vec![3.0, 10.0, 30.0, 100.0, 300.0]);
        let wide = ticks(1e-300, 1e300, true, false, 10);
        assert!(wide.len() <= 11 && wide.len() >= 5, "{}", wide.len());
        assert_eq!(ticks(20.0, 90.0, true, false, 10), vec![20.0, 50.0]);
    }
}
