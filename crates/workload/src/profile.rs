//! The deterministic shape of the arrival rate: a daily profile, a weekly pattern and the
//! users' time zone.
//!
//! Besides the rate itself, every shape can bound its maximum over an interval exactly;
//! the thinning generator relies on that bound being a true upper bound, so each shape
//! is built from pieces whose maxima are at known points (ends of the interval, the
//! peak hour, the hourly knots).

use crossover_engine::time::{NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_MINUTE};
use std::f64::consts::PI;

/// How an hourly table becomes a rate: held flat through each hour, or a line between
/// the middles of consecutive hours (which keeps each day's total and has no jumps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HourlyShape {
    Step,
    Linear,
}

/// The shape of one day, in requests per second, by local hour.
#[derive(Clone, Debug, PartialEq)]
pub enum DailyProfile {
    /// The same rate all day.
    Constant { rps: f64 },
    /// Trough outside business hours; inside them the rate rises along a half cosine
    /// from the trough at `open_hour` to `peak_rps` at `peak_hour`, then falls back to
    /// the trough at `close_hour`. The cosine starts and ends with zero slope, so the
    /// ramps are smooth. Hours are local time in [0, 24); a window may wrap past
    /// midnight (open 18, close 2).
    Diurnal { trough_rps: f64, peak_rps: f64, peak_hour: f64, open_hour: f64, close_hour: f64 },
    /// A table of 24 rates, local hour 0 first.
    Hourly { rps: [f64; 24], shape: HourlyShape },
}

/// Hours elapsed going forward from `from` to `to` on a 24-hour clock.
fn hours_after(from: f64, to: f64) -> f64 {
    (to - from).rem_euclid(24.0)
}

fn hours(ns_of_day: u64) -> f64 {
    ns_of_day as f64 / NANOS_PER_HOUR as f64
}

impl DailyProfile {
    /// Rate at `hour` of the day (in [0, 24)), in requests per second.
    pub fn rate_at_hour(&self, hour: f64) -> f64 {
        match self {
            DailyProfile::Constant { rps } => *rps,
            &DailyProfile::Diurnal { trough_rps, peak_rps, peak_hour, open_hour, close_hour } => {
                let x = hours_after(open_hour, hour);
                let rise = hours_after(open_hour, peak_hour);
                // [0, 24] is open all day: 24 hours, where `hours_after` would give none.
                let window =
                    if close_hour - open_hour == 24.0 { 24.0 } else { hours_after(open_hour, close_hour) };
                let shape = if x >= window {
                    0.0
                } else if x <= rise {
                    0.5 * (1.0 - (PI * x / rise).cos())
                } else {
                    0.5 * (1.0 + (PI * (x - rise) / (window - rise)).cos())
                };
                trough_rps + (peak_rps - trough_rps) * shape
            }
            DailyProfile::Hourly { rps, shape: HourlyShape::Step } => rps[(hour as usize).min(23)],
            DailyProfile::Hourly { rps, shape: HourlyShape::Linear } => {
                // Knot k sits at hour k + 0.5 with value rps[k]; the line wraps at midnight.
                let y = hour - 0.5;
                let k = y.floor();
                let frac = y - k;
                let i = (k as i64).rem_euclid(24) as usize;
                rps[i] * (1.0 - frac) + rps[(i + 1) % 24] * frac
            }
        }
    }

    /// Rate at a time of day given in nanoseconds since local midnight.
    pub fn rate_at(&self, ns_of_day: u64) -> f64 {
        match self {
            // Integer hour index: no float rounding at the hour boundary.
            DailyProfile::Hourly { rps, shape: HourlyShape::Step } => {
                rps[((ns_of_day / NANOS_PER_HOUR) as usize).min(23)]
            }
            _ => self.rate_at_hour(hours(ns_of_day)),
        }
    }

    /// An upper bound of the rate over the times of day [a, b) in nanoseconds since
    /// local midnight (a < b <= one day). It is the exact maximum: the diurnal shape is
    /// monotone between open, peak and close, a linear table between its knots, and a
    /// step table constant within each hour.
    pub fn max_over(&self, a: u64, b: u64) -> f64 {
        let (ha, hb) = (hours(a), hours(b));
        let ends = || self.rate_at(a).max(self.rate_at_hour(hb));
        match self {
            DailyProfile::Constant { rps } => *rps,
            &DailyProfile::Diurnal { peak_rps, peak_hour, .. } => {
                if peak_hour >= ha && peak_hour <= hb {
                    peak_rps.max(ends())
                } else {
                    ends()
                }
            }
            DailyProfile::Hourly { rps, shape: HourlyShape::Step } => {
                let first = (a / NANOS_PER_HOUR) as usize;
                let last = (b.saturating_sub(1).max(a) / NANOS_PER_HOUR) as usize;
                rps[first.min(23)..=last.min(23)].iter().copied().fold(0.0, f64::max)
            }
            DailyProfile::Hourly { rps, shape: HourlyShape::Linear } => {
                let mut m = ends();
                for (k, &v) in rps.iter().enumerate() {
                    let knot = k as f64 + 0.5;
                    if knot >= ha && knot <= hb {
                        m = m.max(v);
                    }
                }
                m
            }
        }
    }

    /// Whether the rate is the same float at every time of day in [a, b) (a < b <= one
    /// day): true of a constant profile, and of a step table within one hour.
    pub fn flat_over(&self, a: u64, b: u64) -> bool {
        match self {
            DailyProfile::Constant { .. } => true,
            DailyProfile::Hourly { shape: HourlyShape::Step, .. } => {
                a / NANOS_PER_HOUR == b.saturating_sub(1).max(a) / NANOS_PER_HOUR
            }
            DailyProfile::Diurnal { .. } | DailyProfile::Hourly { shape: HourlyShape::Linear, .. } => false,
        }
    }

    pub fn peak_rps(&self) -> f64 {
        match self {
            DailyProfile::Constant { rps } => *rps,
            DailyProfile::Diurnal { trough_rps, peak_rps, .. } => trough_rps.max(*peak_rps),
            DailyProfile::Hourly { rps, .. } => rps.iter().copied().fold(0.0, f64::max),
        }
    }
}

/// Multipliers for each day of the week, Monday first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeeklyPattern {
    pub day_factors: [f64; 7],
}

impl WeeklyPattern {
    /// Every day alike.
    pub const FLAT: WeeklyPattern = WeeklyPattern { day_factors: [1.0; 7] };

    /// Weekdays at 1, Saturday and Sunday at `factor`.
    pub fn weekend(factor: f64) -> Self {
        WeeklyPattern { day_factors: [1.0, 1.0, 1.0, 1.0, 1.0, factor, factor] }
    }

    /// The factor of local day `day` (0 = the horizon's first Monday; may be -1 when the
    /// users' clock is behind the simulation clock at the start).
    pub fn factor(&self, day: i64) -> f64 {
        self.day_factors[day.rem_euclid(7) as usize]
    }
}

/// Daily profile x weekly pattern, in the users' local time.
///
/// The simulation clock starts at Monday 00:00 with UTC offset 0; the users live at
/// `utc_offset_minutes` from it, so their local time is the clock plus the offset. With
/// the default offset 0 the horizon starts on Monday 00:00 in the users' time zone.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub daily: DailyProfile,
    pub weekly: WeeklyPattern,
    pub utc_offset_minutes: i32,
}

impl Pattern {
    pub fn new(daily: DailyProfile) -> Self {
        Pattern { daily, weekly: WeeklyPattern::FLAT, utc_offset_minutes: 0 }
    }

    /// Local time in nanoseconds (negative before the users' first midnight).
    fn local(&self, t: u64) -> i64 {
        t as i64 + self.utc_offset_minutes as i64 * NANOS_PER_MINUTE as i64
    }

    /// lambda(t) in requests per second, `t` in nanoseconds on the simulation clock.
    pub fn rate(&self, t: u64) -> f64 {
        let local = self.local(t);
        let day = local.div_euclid(NANOS_PER_DAY as i64);
        let ns_of_day = local.rem_euclid(NANOS_PER_DAY as i64) as u64;
        self.daily.rate_at(ns_of_day) * self.weekly.factor(day)
    }

    /// Whether lambda is the same float at every time in [a, b) on the simulation clock:
    /// within one local day (one weekly factor) on a daily profile flat there.
    pub fn flat_over(&self, a: u64, b: u64) -> bool {
        let day_ns = NANOS_PER_DAY as i64;
        let (la, last) = (self.local(a), self.local(b.saturating_sub(1).max(a)));
        let day = la.div_euclid(day_ns);
        day == last.div_euclid(day_ns)
            && self.daily.flat_over((la - day * day_ns) as u64, (last - day * day_ns) as u64 + 1)
    }

    /// An upper bound (the exact maximum) of lambda over [a, b) on the simulation clock.
    pub fn max_over(&self, a: u64, b: u64) -> f64 {
        let (la, lb) = (self.local(a), self.local(b));
        let day_ns = NANOS_PER_DAY as i64;
        let mut best: f64 = 0.0;
        let mut start = la;
        // One local day at a time: the weekly factor is constant within each.
        while start < lb {
            let day = start.div_euclid(day_ns);
            let end = lb.min((day + 1) * day_ns);
            let (sa, sb) = ((start - day * day_ns) as u64, (end - day * day_ns) as u64);
            best = best.max(self.daily.max_over(sa, sb) * self.weekly.factor(day));
            start = end;
        }
        best
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

    fn table() -> [f64; 24] {
        std::array::from_fn(|h| 1.0 + ((h * 7) % 24) as f64)
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
    fn hourly_step_holds_each_hour() {
        let p = DailyProfile::Hourly { rps: table(), shape: HourlyShape::Step };
        for h in 0..24 {
            assert_eq!(p.rate_at(h * NANOS_PER_HOUR), table()[h as usize]);
            assert_eq!(p.rate_at((h + 1) * NANOS_PER_HOUR - 1), table()[h as usize]);
        }
    }

    #[test]
    fn hourly_linear_passes_through_the_middle_of_each_hour_and_wraps() {
        let t = table();
        let p = DailyProfile::Hourly { rps: t, shape: HourlyShape::Linear };
        for (h, &v) in t.iter().enumerate() {
            assert!((p.rate_at_hour(h as f64 + 0.5) - v).abs() < 1e-12);
        }
        // Midnight is halfway between hour 23's and hour 0's knots.
        assert!((p.rate_at_hour(0.0) - (t[23] + t[0]) / 2.0).abs() < 1e-12);
        assert!((p.rate_at_hour(23.99) - p.rate_at_hour(0.0)).abs() < 0.01 * t[23].max(t[0]));
    }

    /// Every profile, offset and week: the per-minute bound holds at 12 points per minute
    /// (including the last nanosecond of the minute).
    #[test]
    fn max_over_is_an_upper_bound_on_a_fine_grid() {
        let profiles = [
            b2b(),
            DailyProfile::Hourly { rps: table(), shape: HourlyShape::Step },
            DailyProfile::Hourly { rps: table(), shape: HourlyShape::Linear },
        ];
        for daily in profiles {
            for offset in [0, -300, 330] {
                let p = Pattern {
                    daily: daily.clone(),
                    weekly: WeeklyPattern { day_factors: [1.0, 0.9, 1.1, 1.0, 0.8, 0.3, 0.2] },
                    utc_offset_minutes: offset,
                };
                let minute = NANOS_PER_MINUTE;
                for m in 0..(7 * 24 * 60) {
                    let (a, b) = (m * minute, (m + 1) * minute);
                    let bound = p.max_over(a, b);
                    for k in 0..12 {
                        let x = a + k * minute / 12;
                        assert!(p.rate(x) <= bound + 1e-12, "minute {m}, offset {offset}");
                    }
                    assert!(p.rate(b - 1) <= bound + 1e-12, "minute {m} end, offset {offset}");
                }
            }
        }
    }

    #[test]
    fn step_bound_does_not_reach_into_the_next_hour() {
        let mut rps = [1.0; 24];
        rps[9] = 50.0;
        let p = DailyProfile::Hourly { rps, shape: HourlyShape::Step };
        // The last minute of hour 8 is bounded by hour 8 alone.
        assert_eq!(p.max_over(9 * NANOS_PER_HOUR - NANOS_PER_MINUTE, 9 * NANOS_PER_HOUR), 1.0);
        assert_eq!(p.max_over(9 * NANOS_PER_HOUR, 9 * NANOS_PER_HOUR + NANOS_PER_MINUTE), 50.0);
    }

    #[test]
    fn weekend_factor_applies_to_saturday_and_sunday() {
        let p = Pattern {
            daily: DailyProfile::Constant { rps: 10.0 },
            weekly: WeeklyPattern::weekend(0.25),
            utc_offset_minutes: 0,
        };
        let day = |d: u64| d * NANOS_PER_DAY + NANOS_PER_HOUR;
        assert_eq!(p.rate(day(4)), 10.0);
        assert_eq!(p.rate(day(5)), 2.5);
        assert_eq!(p.rate(day(6)), 2.5);
        assert_eq!(p.rate(day(7)), 10.0);
    }

    #[test]
    fn utc_offset_shifts_the_users_day() {
        // Users five hours behind the clock: their 14:00 peak is at 19:00 on the clock,
        // and the clock's first five hours are their Sunday evening.
        let p = Pattern { daily: b2b(), weekly: WeeklyPattern::weekend(0.5), utc_offset_minutes: -300 };
        assert!((p.rate(19 * NANOS_PER_HOUR) - 40.0).abs() < 1e-9);
        assert_eq!(p.rate(2 * NANOS_PER_HOUR), 2.0 * 0.5, "Sunday night, weekend factor");
        assert_eq!(p.rate(6 * NANOS_PER_HOUR), 2.0, "Monday 01:00 local");
        // Saturday starts at 05:00 on the clock's Saturday.
        assert_eq!(p.rate(5 * NANOS_PER_DAY + 4 * NANOS_PER_HOUR), 2.0);
        assert_eq!(p.rate(5 * NANOS_PER_DAY + 6 * NANOS_PER_HOUR), 1.0);
    }
}
