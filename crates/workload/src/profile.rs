//! The intended arrival rate lambda(t): a daily profile times a weekly pattern.
//!
//! Besides the rate itself, every component can bound its maximum over an interval
//! exactly; the thinning generator relies on that bound being a true upper bound.

use crossover_engine::time::{NANOS_PER_DAY, NANOS_PER_HOUR};
use crossover_engine::SimTime;
use std::f64::consts::PI;

/// The shape of one day, in requests per second.
#[derive(Clone, Debug, PartialEq)]
pub enum DailyProfile {
    /// The same rate all day.
    Constant { rps: f64 },
    /// Trough outside business hours; inside them the rate rises along a half cosine
    /// from the trough at `open_hour` to `peak_rps` at `peak_hour`, then falls back to
    /// the trough at `close_hour`. Hours are local time in [0, 24); a window may wrap
    /// past midnight (open 18, close 2).
    Diurnal { trough_rps: f64, peak_rps: f64, peak_hour: f64, open_hour: f64, close_hour: f64 },
}

/// The full rate model: daily profile times a weekend factor (the horizon starts on
/// Monday 00:00 local time, so days 5 and 6 of each week are the weekend).
#[derive(Clone, Debug, PartialEq)]
pub struct Traffic {
    pub daily: DailyProfile,
    /// Multiplier applied on Saturday and Sunday (1 = no weekly pattern).
    pub weekend_factor: f64,
}

/// Hours elapsed going forward from `from` to `to` on a 24-hour clock.
fn hours_after(from: f64, to: f64) -> f64 {
    (to - from).rem_euclid(24.0)
}

impl DailyProfile {
    /// Rate at `hour` of the day, in requests per second.
    pub fn rate_at_hour(&self, hour: f64) -> f64 {
        match *self {
            DailyProfile::Constant { rps } => rps,
            DailyProfile::Diurnal { trough_rps, peak_rps, peak_hour, open_hour, close_hour } => {
                let x = hours_after(open_hour, hour);
                let rise = hours_after(open_hour, peak_hour);
                let window = hours_after(open_hour, close_hour);
                let shape = if x >= window {
                    0.0
                } else if x <= rise {
                    0.5 * (1.0 - (PI * x / rise).cos())
                } else {
                    0.5 * (1.0 + (PI * (x - rise) / (window - rise)).cos())
                };
                trough_rps + (peak_rps - trough_rps) * shape
            }
        }
    }

    /// Exact maximum of the rate over hours [a, b] of one day (0 <= a <= b <= 24). The
    /// diurnal shape is monotone between open, peak and close, so the maximum is at an
    /// end of the interval or at the peak if the peak lies inside it.
    pub fn max_over_hours(&self, a: f64, b: f64) -> f64 {
        let ends = self.rate_at_hour(a).max(self.rate_at_hour(b));
        match *self {
            DailyProfile::Constant { rps } => rps,
            DailyProfile::Diurnal { peak_rps, peak_hour, .. } => {
                if peak_hour >= a && peak_hour <= b {
                    peak_rps.max(ends)
                } else {
                    ends
                }
            }
        }
    }

    pub fn peak_rps(&self) -> f64 {
        match *self {
            DailyProfile::Constant { rps } => rps,
            DailyProfile::Diurnal { trough_rps, peak_rps, .. } => trough_rps.max(peak_rps),
        }
    }
}

fn split_day(t: SimTime) -> (u64, f64) {
    let day = t.0 / NANOS_PER_DAY;
    let hour = (t.0 % NANOS_PER_DAY) as f64 / NANOS_PER_HOUR as f64;
    (day, hour)
}

impl Traffic {
    pub fn constant(rps: f64) -> Self {
        Traffic { daily: DailyProfile::Constant { rps }, weekend_factor: 1.0 }
    }

    fn day_factor(&self, day: u64) -> f64 {
        if day % 7 >= 5 {
            self.weekend_factor
        } else {
            1.0
        }
    }

    /// lambda(t) in requests per second.
    pub fn rate(&self, t: SimTime) -> f64 {
        let (day, hour) = split_day(t);
        self.daily.rate_at_hour(hour) * self.day_factor(day)
    }

    /// An upper bound (exact maximum) of lambda over [a, b); `b` may be the first instant
    /// of the next day, which still belongs to the interval's day.
    pub fn max_rate_over(&self, a: SimTime, b: SimTime) -> f64 {
        let (day, ha) = split_day(a);
        let end_day = (b.0.saturating_sub(1)) / NANOS_PER_DAY;
        if end_day != day {
            // Spans midnight: take the max of both days' parts.
            let midnight = SimTime((day + 1) * NANOS_PER_DAY);
            return self.max_rate_over(a, midnight).max(self.max_rate_over(midnight, b));
        }
        let hb = (b.0 - day * NANOS_PER_DAY) as f64 / NANOS_PER_HOUR as f64;
        self.daily.max_over_hours(ha, hb) * self.day_factor(day)
    }

    /// Expected arrivals over [a, b]: the integral of lambda, by composite Simpson on
    /// one-second steps (error far below a single request for these smooth profiles).
    pub fn expected_arrivals(&self, a: SimTime, b: SimTime) -> f64 {
        let step = 1_000_000_000u64;
        let mut total = 0.0;
        let mut t = a.0;
        while t < b.0 {
            let e = (t + step).min(b.0);
            let m = t + (e - t) / 2;
            let w = (e - t) as f64 / 1e9;
            total +=
                w / 6.0 * (self.rate(SimTime(t)) + 4.0 * self.rate(SimTime(m)) + self.rate(SimTime(e - 1)));
            t = e;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b2b() -> DailyProfile {
        DailyProfile::Diurnal {
            trough_rps: 2.0,
            peak_rps: 40.0,
            peak_hour: 14.0,
            open_hour: 8.0,
            close_hour: 20.0,
        }
    }

    #[test]
    fn diurnal_shape_hits_trough_and_peak() {
        let p = b2b();
        assert_eq!(p.rate_at_hour(3.0), 2.0);
        assert_eq!(p.rate_at_hour(8.0), 2.0);
        assert!((p.rate_at_hour(14.0) - 40.0).abs() < 1e-9);
        assert!((p.rate_at_hour(11.0) - 21.0).abs() < 1e-9, "halfway up the cosine");
        assert_eq!(p.rate_at_hour(20.0), 2.0);
        assert_eq!(p.rate_at_hour(23.9), 2.0);
    }

    #[test]
    fn window_may_wrap_past_midnight() {
        let p = DailyProfile::Diurnal {
            trough_rps: 1.0,
            peak_rps: 9.0,
            peak_hour: 22.0,
            open_hour: 18.0,
            close_hour: 2.0,
        };
        assert!((p.rate_at_hour(22.0) - 9.0).abs() < 1e-9);
        assert!(p.rate_at_hour(1.0) > 1.0);
        assert_eq!(p.rate_at_hour(3.0), 1.0);
        assert_eq!(p.rate_at_hour(12.0), 1.0);
    }

    #[test]
    fn max_over_is_an_upper_bound_on_a_fine_grid() {
        let t = Traffic { daily: b2b(), weekend_factor: 0.3 };
        let minute = 60_000_000_000u64;
        for m in 0..(7 * 24 * 60) {
            let a = SimTime(m * minute);
            let b = SimTime((m + 1) * minute);
            let bound = t.max_rate_over(a, b);
            for k in 0..12 {
                let x = SimTime(a.0 + k * minute / 12);
                assert!(t.rate(x) <= bound + 1e-12, "minute {m}");
            }
        }
    }

    #[test]
    fn weekend_factor_applies_to_saturday_and_sunday() {
        let t = Traffic { daily: DailyProfile::Constant { rps: 10.0 }, weekend_factor: 0.25 };
        let day = |d: u64| SimTime(d * NANOS_PER_DAY + NANOS_PER_HOUR);
        assert_eq!(t.rate(day(4)), 10.0);
        assert_eq!(t.rate(day(5)), 2.5);
        assert_eq!(t.rate(day(6)), 2.5);
        assert_eq!(t.rate(day(7)), 10.0);
    }

    #[test]
    fn expected_arrivals_of_a_constant_rate() {
        let t = Traffic::constant(4.0);
        let e = t.expected_arrivals(SimTime(0), SimTime(3600 * 1_000_000_000));
        assert!((e - 14_400.0).abs() < 1e-6);
    }
}
