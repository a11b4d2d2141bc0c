//! Cron schedules: when a scheduled job runs.
//!
//! The standard five fields (minute, hour, day of month, month, day of week) as cron(8)
//! and the Kubernetes CronJob controller read them (`robfig/cron`'s standard parser):
//! `*`, a value, a range `a-b`, a step `*/n` or `a-b/n` or `a/n` (from `a` to the
//! field's end), comma lists, month and weekday names (`jan`, `mon`; case-insensitive),
//! Sunday as 0 or 7, and the macros `@yearly` (`@annually`), `@monthly`, `@weekly`,
//! `@daily` (`@midnight`) and `@hourly`. When both the day of month and the day of week
//! are restricted, a day matching either runs (cron's rule).
//!
//! Times are local: the simulation clock starts at Monday 00:00 and the schedule's
//! local time is the clock plus `utc_offset_minutes`. The day-of-month and month fields
//! need a calendar: local day 0 is taken to be Monday 1 January 2024 (a leap year whose
//! first day is a Monday, so weekdays agree with the traffic's weekly pattern).

use crossover_engine::time::{NANOS_PER_DAY, NANOS_PER_MINUTE};
use std::fmt;

/// A parsed cron expression with its time zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronSchedule {
    /// Bit i set: minute i (0..60), hour i (0..24), day i (1..32), month i (1..13),
    /// weekday i (0..7, Sunday 0).
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// Both day fields restricted: a day matching either runs.
    either_day: bool,
    pub utc_offset_minutes: i32,
    /// The expression as written (for messages and the resolved scenario).
    pub text: String,
}

/// A malformed expression: the 1-based column (in characters) where the problem starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field { name: "minute", min: 0, max: 59, names: &[] },
    Field { name: "hour", min: 0, max: 23, names: &[] },
    Field { name: "day of month", min: 1, max: 31, names: &[] },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    },
    // 7 is Sunday too; names count from Sunday = 0.
    Field { name: "day of week", min: 0, max: 7, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

impl CronSchedule {
    /// Parses `text` (five fields or a macro), local time `utc_offset_minutes` from the
    /// simulation clock.
    pub fn parse(text: &str, utc_offset_minutes: i32) -> Result<CronSchedule, CronError> {
        let trimmed = text.trim();
        let expanded = match trimmed.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *".to_string(),
            "@monthly" => "0 0 1 * *".to_string(),
            "@weekly" => "0 0 * * 0".to_string(),
            "@daily" | "@midnight" => "0 0 * * *".to_string(),
            "@hourly" => "0 * * * *".to_string(),
            other if other.starts_with('@') => {
                return Err(CronError {
                    column: 1,
                    message: format!(
                        "unknown macro \"{trimmed}\" (allowed: @yearly, @annually, @monthly, @weekly, \
                         @daily, @midnight, @hourly)"
                    ),
                })
            }
            _ => String::new(),
        };
        let (source, macro_used) =
            if expanded.is_empty() { (text, false) } else { (expanded.as_str(), true) };
        // Fields with their 1-based starting column in `text`.
        let mut fields = Vec::new();
        let mut start = None;
        for (i, c) in source.char_indices().chain(std::iter::once((source.len(), ' '))) {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    let column = if macro_used { 1 } else { source[..s].chars().count() + 1 };
                    fields.push((&source[s..i], column));
                    start = None;
                }
                _ => {}
            }
        }
        if fields.len() != 5 {
            return Err(CronError {
                column: fields.get(5).map_or(1, |f| f.1),
                message: format!(
                    "a schedule has five fields (minute hour day-of-month month day-of-week), found {}",
                    fields.len()
                ),
            });
        }
        let mut bits = [0u64; 5];
        for (k, (field, column)) in fields.iter().enumerate() {
            bits[k] = parse_field(field, *column, &FIELDS[k])?;
        }
        // Sunday may be written 7.
        let weekdays = ((bits[4] | (bits[4] >> 7)) & 0x7f) as u8;
        let restricted = |f: &str| !f.starts_with('*');
        Ok(CronSchedule {
            minutes: bits[0],
            hours: bits[1] as u32,
            days: bits[2] as u32,
            months: bits[3] as u16,
            weekdays,
            either_day: restricted(fields[2].0) && restricted(fields[4].0),
            utc_offset_minutes,
            text: text.to_string(),
        })
    }

    /// The first run at or after `t` (nanoseconds on the simulation clock), if any within
    /// ten years (an expression such as `0 0 30 2 *` never runs).
    pub fn next_at_or_after(&self, t: u64) -> Option<u64> {
        let offset = self.utc_offset_minutes as i64 * NANOS_PER_MINUTE as i64;
        let local = t as i64 + offset;
        // Round up to a whole minute.
        let minute = local.div_euclid(NANOS_PER_MINUTE as i64)
            + i64::from(local.rem_euclid(NANOS_PER_MINUTE as i64) != 0);
        let minutes_per_day = (NANOS_PER_DAY / NANOS_PER_MINUTE) as i64;
        let first = minute.div_euclid(minutes_per_day);
        let mut from = minute.rem_euclid(minutes_per_day);
        // Ten years of days at most: an expression such as `0 0 30 2 *` never runs.
        for day in first..first + 3660 {
            if self.runs_on(day) {
                if let Some(m) = self.first_minute_from(from as u32) {
                    let local_ns = (day * minutes_per_day + m as i64) * NANOS_PER_MINUTE as i64;
                    // At or after `t` by construction, so never before the clock starts.
                    return Some((local_ns - offset) as u64);
                }
            }
            from = 0;
        }
        None
    }

    /// The first minute of a day at or after `from` whose hour and minute match.
    fn first_minute_from(&self, from: u32) -> Option<u32> {
        (from..24 * 60).find(|m| self.hours >> (m / 60) & 1 == 1 && self.minutes >> (m % 60) & 1 == 1)
    }

    /// Whether local day `day` (0 = Monday 1 January 2024) matches the day fields.
    fn runs_on(&self, day: i64) -> bool {
        let (_, month, dom) = civil_from_days(day + DAYS_TO_2024);
        if self.months >> month & 1 == 0 {
            return false;
        }
        // Day 0 is a Monday; Sunday is 0.
        let weekday = (day + 1).rem_euclid(7) as u32;
        let by_dom = self.days >> dom & 1 == 1;
        let by_dow = self.weekdays >> weekday & 1 == 1;
        if self.either_day {
            by_dom || by_dow
        } else {
            by_dom && by_dow
        }
    }
}

/// Days from 1970-01-01 to 2024-01-01.
const DAYS_TO_2024: i64 = 19_723;

/// (year, month 1..=12, day 1..=31) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, public domain).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn parse_field(text: &str, column: usize, f: &Field) -> Result<u64, CronError> {
    let mut bits = 0u64;
    let mut offset = 0;
    for part in text.split(',') {
        let col = column + text[..offset].chars().count();
        offset += part.len() + 1;
        bits |= parse_part(part, col, f)?;
    }
    Ok(bits)
}

fn parse_part(part: &str, column: usize, f: &Field) -> Result<u64, CronError> {
    let err = |message: String| CronError { column, message };
    if part.is_empty() {
        return Err(err(format!("empty {} value (a comma with nothing beside it)", f.name)));
    }
    let (range, step) = match part.split_once('/') {
        Some((r, s)) => {
            let step: u32 = s.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                err(format!("step \"{s}\" in the {} field must be a whole number of 1 or more", f.name))
            })?;
            (r, Some(step))
        }
        None => (part, None),
    };
    let (lo, hi) = if range == "*" {
        (f.min, f.max)
    } else if let Some((a, b)) = range.split_once('-') {
        let (lo, hi) = (value(a, column, f)?, value(b, column, f)?);
        if lo > hi {
            return Err(err(format!("range {range} in the {} field runs backwards", f.name)));
        }
        (lo, hi)
    } else {
        let v = value(range, column, f)?;
        // `a/n` runs from a to the field's end.
        (v, if step.is_some() { f.max } else { v })
    };
    let mut bits = 0u64;
    let mut v = lo;
    while v <= hi {
        bits |= 1 << v;
        v += step.unwrap_or(1);
    }
    Ok(bits)
}

fn value(text: &str, column: usize, f: &Field) -> Result<u32, CronError> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = f.names.iter().position(|n| *n == lower) {
        // Months are named from 1 (jan), weekdays from 0 (sun).
        return Ok(i as u32 + f.min);
    }
    let names =
        if f.names.is_empty() { String::new() } else { format!(" or a name ({})", f.names.join(", ")) };
    let v: u32 = text.parse().map_err(|_| CronError {
        column,
        message: format!("\"{text}\" is not a {} (allowed: {}-{}{names})", f.name, f.min, f.max),
    })?;
    if v < f.min || v > f.max {
        return Err(CronError {
            column,
            message: format!("{v} is out of range for the {} field (allowed: {}-{})", f.name, f.min, f.max),
        });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossover_engine::time::NANOS_PER_HOUR;

    const MIN: u64 = NANOS_PER_MINUTE;
    const HOUR: u64 = NANOS_PER_HOUR;
    const DAY: u64 = NANOS_PER_DAY;

    fn runs(expr: &str, offset_min: i32, horizon: u64) -> Vec<u64> {
        let s = CronSchedule::parse(expr, offset_min).unwrap();
        let mut out = Vec::new();
        let mut t = 0;
        while let Some(next) = s.next_at_or_after(t) {
            if next >= horizon {
                break;
            }
            out.push(next);
            t = next + 1;
        }
        out
    }

    #[test]
    fn a_daily_schedule_runs_once_a_day_at_its_local_time() {
        let r = runs("0 2 * * *", 0, 7 * DAY);
        assert_eq!(r, (0..7).map(|d| d * DAY + 2 * HOUR).collect::<Vec<_>>());
        // At UTC+2, 02:00 local is 00:00 on the clock.
        let r = runs("0 2 * * *", 120, 7 * DAY);
        assert_eq!(r, (0..7).map(|d| d * DAY).collect::<Vec<_>>());
        // At UTC-5, 02:00 local is 07:00 on the clock.
        let r = runs("0 2 * * *", -300, 7 * DAY);
        assert_eq!(r, (0..7).map(|d| d * DAY + 7 * HOUR).collect::<Vec<_>>());
    }

    #[test]
    fn steps_ranges_lists_and_names() {
        assert_eq!(runs("*/15 * * * *", 0, HOUR), vec![0, 15 * MIN, 30 * MIN, 45 * MIN]);
        assert_eq!(runs("5-20/5 0 * * *", 0, DAY), vec![5 * MIN, 10 * MIN, 15 * MIN, 20 * MIN]);
        assert_eq!(runs("50/5 0 * * *", 0, DAY), vec![50 * MIN, 55 * MIN]);
        assert_eq!(runs("0 9,17 * * *", 0, DAY), vec![9 * HOUR, 17 * HOUR]);
        // Day 0 is a Monday: weekdays only skip Saturday (day 5) and Sunday (day 6).
        let weekdays = runs("0 9 * * mon-fri", 0, 7 * DAY);
        assert_eq!(weekdays, (0..5).map(|d| d * DAY + 9 * HOUR).collect::<Vec<_>>());
        assert_eq!(runs("0 0 * * 0", 0, 7 * DAY), vec![6 * DAY]);
        assert_eq!(runs("0 0 * * 7", 0, 7 * DAY), vec![6 * DAY], "7 is Sunday too");
        assert_eq!(runs("@weekly", 0, 14 * DAY), vec![6 * DAY, 13 * DAY]);
        assert_eq!(runs("@hourly", 0, 3 * HOUR), vec![0, HOUR, 2 * HOUR]);
    }

    #[test]
    fn the_calendar_starts_on_monday_1_january_2024() {
        // The 1st of each month in a leap year: Jan 1 = day 0, Feb 1 = 31, Mar 1 = 60.
        assert_eq!(runs("@monthly", 0, 100 * DAY), vec![0, 31 * DAY, 60 * DAY, 91 * DAY]);
        assert_eq!(runs("0 0 29 feb *", 0, 400 * DAY), vec![59 * DAY]);
        // Day of month or day of week, when both are restricted: the 3rd (a Wednesday)
        // and every Friday in the first two weeks.
        assert_eq!(runs("0 0 3 * fri", 0, 14 * DAY), vec![2 * DAY, 4 * DAY, 11 * DAY]);
        // Never: the 30th of February.
        assert_eq!(CronSchedule::parse("0 0 30 2 *", 0).unwrap().next_at_or_after(0), None);
    }

    #[test]
    fn a_run_is_at_or_after_the_time_asked_on_a_whole_minute() {
        let s = CronSchedule::parse("* * * * *", 0).unwrap();
        assert_eq!(s.next_at_or_after(0), Some(0));
        assert_eq!(s.next_at_or_after(1), Some(MIN));
        assert_eq!(s.next_at_or_after(MIN), Some(MIN));
        // Local time ahead of the clock by 30 s is not possible (whole minutes), but a
        // negative offset puts the first local minute before the clock's start.
        let s = CronSchedule::parse("0 * * * *", -30).unwrap();
        assert_eq!(s.next_at_or_after(0), Some(30 * MIN));
    }

    #[test]
    fn malformed_expressions_are_refused_with_their_column() {
        let e = |s: &str| CronSchedule::parse(s, 0).unwrap_err();
        assert_eq!(e("0 2 * *").column, 1);
        assert!(e("0 2 * *").message.contains("five fields"));
        assert_eq!(e("0 2 * * * *").column, 11);
        let bad = e("0 25 * * *");
        assert_eq!(bad.column, 3);
        assert!(bad.message.contains("hour") && bad.message.contains("0-23"), "{bad}");
        assert_eq!(e("0 2 * * mon-xyz").column, 9);
        assert_eq!(e("0 2 * 13 *").column, 7);
        assert_eq!(e("*/0 * * * *").column, 1);
        assert_eq!(e("0 5-2 * * *").column, 3);
        assert_eq!(e("0,,5 2 * * *").column, 3);
        assert_eq!(e("0 2 0 * *").column, 5, "days of the month start at 1");
        assert!(e("@fortnightly").message.contains("@daily"));
        assert!(e("").message.contains("five fields"));
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(DAYS_TO_2024), (2024, 1, 1));
        assert_eq!(civil_from_days(DAYS_TO_2024 + 59), (2024, 2, 29));
        assert_eq!(civil_from_days(DAYS_TO_2024 + 366), (2025, 1, 1));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }
}
