//! Simulated time as integer nanoseconds.
//!
//! Integer time makes event ordering exact and reproducible on every machine; 64 bits
//! of nanoseconds cover 584 years, far beyond any horizon the scenario layer accepts.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant: nanoseconds since the start of the horizon (Monday 00:00 local time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

pub const NANOS_PER_MICRO: u64 = 1_000;
pub const NANOS_PER_MILLI: u64 = 1_000_000;
pub const NANOS_PER_SEC: u64 = 1_000_000_000;
pub const NANOS_PER_MINUTE: u64 = 60 * NANOS_PER_SEC;
pub const NANOS_PER_HOUR: u64 = 60 * NANOS_PER_MINUTE;
pub const NANOS_PER_DAY: u64 = 24 * NANOS_PER_HOUR;
pub const NANOS_PER_WEEK: u64 = 7 * NANOS_PER_DAY;

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// Time elapsed since `earlier`; zero if `earlier` is later (never underflows).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    pub const fn from_nanos(n: u64) -> Self {
        SimDuration(n)
    }
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us * NANOS_PER_MICRO)
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * NANOS_PER_MILLI)
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * NANOS_PER_SEC)
    }
    pub const fn from_minutes(m: u64) -> Self {
        SimDuration(m * NANOS_PER_MINUTE)
    }
    pub const fn from_hours(h: u64) -> Self {
        SimDuration(h * NANOS_PER_HOUR)
    }

    /// Converts seconds to the nearest nanosecond; negative and NaN become zero and
    /// values beyond the representable range saturate.
    pub fn from_secs_f64(s: f64) -> Self {
        SimDuration::from_nanos_f64(s * NANOS_PER_SEC as f64)
    }

    /// Rounds a nanosecond count to the nearest integer, saturating.
    pub fn from_nanos_f64(ns: f64) -> Self {
        if ns.is_nan() || ns <= 0.0 {
            SimDuration(0)
        } else if ns >= u64::MAX as f64 {
            SimDuration(u64::MAX)
        } else {
            // `ns.round()` (half away from zero) without the libm call the baseline
            // x86-64 target makes for it: the truncation and the fraction left are exact.
            let t = ns as u64;
            SimDuration(if ns - t as f64 >= 0.5 { t + 1 } else { t })
        }
    }

    pub fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    pub fn as_micros(self) -> u64 {
        self.0 / NANOS_PER_MICRO
    }

    /// Rounds up to a whole number of `granularity` (identity for a zero granularity).
    pub fn round_up_to(self, granularity: SimDuration) -> SimDuration {
        if granularity.0 == 0 {
            return self;
        }
        SimDuration(self.0.div_ceil(granularity.0).saturating_mul(granularity.0))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl AddAssign for SimDuration {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub for SimDuration {
    type Output = SimDuration;
    fn sub(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(d.0))
    }
}

impl fmt::Display for SimDuration {
    /// Prints the largest unit that divides the value exactly, so that a value parsed
    /// from "250ms" prints back as "250ms".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 7] = [
            (NANOS_PER_DAY, "d"),
            (NANOS_PER_HOUR, "h"),
            (NANOS_PER_MINUTE, "m"),
            (NANOS_PER_SEC, "s"),
            (NANOS_PER_MILLI, "ms"),
            (NANOS_PER_MICRO, "us"),
            (1, "ns"),
        ];
        if self.0 == 0 {
            return write!(f, "0s");
        }
        for (unit, name) in UNITS {
            if self.0.is_multiple_of(unit) {
                return write!(f, "{}{}", self.0 / unit, name);
            }
        }
        unreachable!("every integer is a multiple of 1 ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips_the_largest_exact_unit() {
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimDuration::from_secs(300).to_string(), "5m");
        assert_eq!(SimDuration::from_hours(48).to_string(), "2d");
        assert_eq!(SimDuration::from_nanos(1_500).to_string(), "1500ns");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
    }

    #[test]
    fn rounding_up_to_a_granularity() {
        let g = SimDuration::from_millis(100);
        assert_eq!(SimDuration::from_millis(1).round_up_to(g), g);
        assert_eq!(SimDuration::from_millis(100).round_up_to(g), g);
        assert_eq!(SimDuration::from_millis(101).round_up_to(g).as_nanos(), 200 * NANOS_PER_MILLI);
        assert_eq!(SimDuration::ZERO.round_up_to(g), SimDuration::ZERO);
        assert_eq!(SimDuration::from_millis(7).round_up_to(SimDuration::ZERO), SimDuration::from_millis(7));
    }

    #[test]
    fn float_conversion_rounds_half_away_from_zero_as_round_does() {
        let cases =
            [0.49999999999999994, 0.5, 1.5, 2.5, 1e-300, 4503599627370495.5, 9007199254740993.0, 1.8e19];
        for ns in cases.into_iter().chain((1..5000).map(|i| i as f64 * 0.1 + 1e-7 * i as f64)) {
            assert_eq!(SimDuration::from_nanos_f64(ns).0, ns.round() as u64, "{ns}");
        }
    }

    #[test]
    fn float_conversion_saturates_and_clamps() {
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1e30), SimDuration::MAX);
        assert_eq!(SimDuration::from_secs_f64(0.25).as_nanos(), 250 * NANOS_PER_MILLI);
        assert_eq!(SimTime(5).since(SimTime(9)), SimDuration::ZERO);
    }
}
