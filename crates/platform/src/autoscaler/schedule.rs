//! Scheduled scaling (Application Auto Scaling scheduled actions): a desired count for
//! each hour of weekdays and of weekends, applied on the hour. Day 0 of a simulation is
//! a Monday.

use crossover_engine::{SimDuration, SimTime};

/// Scheduled actions apply on the hour.
pub(crate) const PERIOD: SimDuration = SimDuration::from_hours(1);

/// The count for the hour `now` falls in.
pub(crate) fn desired(weekday: &[u32; 24], weekend: &[u32; 24], now: SimTime) -> u32 {
    let hours = now.0 / PERIOD.as_nanos();
    let (day, hour) = (hours / 24, (hours % 24) as usize);
    if day % 7 >= 5 {
        weekend[hour]
    } else {
        weekday[hour]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hour_and_the_day_of_the_week_pick_the_count() {
        let weekday: [u32; 24] = std::array::from_fn(|h| h as u32);
        let weekend = [100; 24];
        let at = |day: u64, hour: u64, min: u64| SimTime(((day * 24 + hour) * 60 + min) * 60_000_000_000);
        assert_eq!(desired(&weekday, &weekend, at(0, 0, 0)), 0);
        assert_eq!(desired(&weekday, &weekend, at(2, 13, 59)), 13);
        // Days 5 and 6 are the weekend; day 7 is a Monday again.
        assert_eq!(desired(&weekday, &weekend, at(5, 9, 0)), 100);
        assert_eq!(desired(&weekday, &weekend, at(6, 23, 30)), 100);
        assert_eq!(desired(&weekday, &weekend, at(7, 9, 0)), 9);
    }
}
