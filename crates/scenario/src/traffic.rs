//! Validation of the `[traffic]` section and of trace files named by the scenario.
//!
//! Each profile takes its own keys; a key given for another profile is an error rather
//! than silently ignored, and the defaults of the keys that apply are written back so
//! the resolved scenario shows them. Trace files are read here (paths relative to the
//! scenario file) and parsed, streaming, by the parsers of `crossover_workload::trace`; a
//! malformed trace is reported at the scenario key that names it, with the trace's own
//! path, line and column.

use crate::diagnostics::Seg;
use crate::resolve::{Checker, Num, MAX_RPS};
use crate::schema::*;
use crossover_engine::time::NANOS_PER_MINUTE;
use crossover_engine::{SimDuration, SimTime};
use crossover_workload::trace::{
    read_access_log, read_duration_percentiles, read_minute_counts, read_series, read_timestamps, AccessLog,
    SeriesColumns, SeriesValue, TimeFormat, TimestampColumns,
};
use crossover_workload::{
    Bursts, DailyProfile, DemandPart, Dist, Fluctuations, HourlyShape, MinuteCounts, OnOff, Pattern,
    RecordedArrivals, Source, TraceError, TraceProblem, Traffic, WeeklyPattern,
};
use std::fs::File;
use std::io::BufReader;

/// Largest multiplier accepted anywhere in the traffic (bursts, on/off, weekly).
pub const MAX_FACTOR: f64 = 1e3;
/// Bursts may not start more often than once a minute on average.
pub const MAX_BURSTS_PER_DAY: f64 = 1440.0;
/// On/off sojourns shorter than this would cut the thinning into tiny segments.
pub const MIN_ON_OFF_SOJOURN: SimDuration = SimDuration::from_secs(1);

/// The key `key` of the traffic table at `b` (`traffic`, or a service's `traffic`).
fn tp(b: &[Seg], key: &'static str) -> Vec<Seg> {
    b.iter().cloned().chain([Seg::Key(key)]).collect()
}

fn sub(b: &[Seg], table: &'static str, key: &'static str) -> Vec<Seg> {
    b.iter().cloned().chain([Seg::Key(table), Seg::Key(key)]).collect()
}

/// How the TOML names the table `table` of the traffic at `b`: `[traffic.trace]`,
/// `[service.traffic.trace]` (array indices left out, as a header writes them).
fn header(b: &[Seg], table: &str) -> String {
    let keys: Vec<&str> = b.iter().filter_map(Seg::key).chain([table]).collect();
    format!("[{}]", keys.join("."))
}

const PATTERNS: &[ProfileKind] = &[ProfileKind::Constant, ProfileKind::Diurnal, ProfileKind::Hourly];
const RATES: &[ProfileKind] = &[
    ProfileKind::Constant,
    ProfileKind::Diurnal,
    ProfileKind::Hourly,
    ProfileKind::Trace,
    ProfileKind::Series,
];

/// What each profile takes instead, for messages about misplaced keys.
fn hint(p: ProfileKind) -> &'static str {
    match p {
        ProfileKind::Constant => "use rps",
        ProfileKind::Diurnal => "use trough_rps and peak_rps",
        ProfileKind::Hourly => "use hourly_rps, or hourly_weights with mean_rps or peak_rps",
        ProfileKind::Trace => "use [traffic.trace]",
        ProfileKind::Timestamps => "use [traffic.timestamps]",
        ProfileKind::Series => "use [traffic.series]",
    }
}

fn quoted_list(kinds: &[ProfileKind]) -> String {
    let names: Vec<String> = kinds.iter().map(|k| format!("\"{}\"", k.name())).collect();
    match names.len() {
        1 => names[0].clone(),
        n => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

/// Every key of a traffic table but `profile` and `share`: whether it is given, and the
/// profiles that take it.
fn given_keys(t: &TrafficSection) -> [(&'static str, bool, &'static [ProfileKind]); 18] {
    let peak_ok: &'static [ProfileKind] = if t.hourly_weights.is_some() {
        &[ProfileKind::Diurnal, ProfileKind::Hourly]
    } else {
        &[ProfileKind::Diurnal]
    };
    [
        ("rps", t.rps.is_some(), &[ProfileKind::Constant]),
        ("trough_rps", t.trough_rps.is_some(), &[ProfileKind::Diurnal]),
        ("peak_rps", t.peak_rps.is_some(), peak_ok),
        ("peak_hour", t.peak_hour.is_some(), &[ProfileKind::Diurnal]),
        ("business_hours", t.business_hours.is_some(), &[ProfileKind::Diurnal]),
        ("hourly_rps", t.hourly_rps.is_some(), &[ProfileKind::Hourly]),
        ("hourly_weights", t.hourly_weights.is_some(), &[ProfileKind::Hourly]),
        ("mean_rps", t.mean_rps.is_some(), &[ProfileKind::Hourly]),
        ("hourly_shape", t.hourly_shape.is_some(), &[ProfileKind::Hourly]),
        ("weekend_factor", t.weekend_factor.is_some(), PATTERNS),
        ("weekly_factors", t.weekly_factors.is_some(), PATTERNS),
        ("utc_offset", t.utc_offset.is_some(), PATTERNS),
        ("trace", t.trace.is_some(), &[ProfileKind::Trace]),
        ("timestamps", t.timestamps.is_some(), &[ProfileKind::Timestamps]),
        ("series", t.series.is_some(), &[ProfileKind::Series]),
        ("noise_cv", t.noise_cv != 0.0, RATES),
        ("bursts", t.bursts.is_some(), RATES),
        ("on_off", t.on_off.is_some(), RATES),
    ]
}

/// Reports every key given that the profile does not take.
fn reject_misplaced(t: &TrafficSection, p: ProfileKind, b: &[Seg], c: &mut Checker) {
    for (key, given, allowed) in given_keys(t) {
        if given && !allowed.contains(&p) {
            let message = if key == "peak_rps" && p == ProfileKind::Hourly {
                "with hourly_rps the rates are given already; peak_rps scales hourly_weights".to_string()
            } else if RATES.iter().all(|k| allowed.contains(k)) {
                "recorded timestamps are replayed exactly: bursts and noise do not apply to them".to_string()
            } else {
                format!(
                    "applies to profile = {} only; this profile is \"{}\" ({})",
                    quoted_list(allowed),
                    p.name(),
                    hint(p)
                )
            };
            c.error(&tp(b, key), message);
        }
    }
}

/// Largest `share`: the same bound as every other multiplier of the traffic.
pub const MAX_SHARE: f64 = MAX_FACTOR;
/// The smallest share: a billionth of the highest rate (1e6 requests/s) is a request
/// every 17 minutes; below it a service has no traffic to speak of.
pub const MIN_SHARE: f64 = 1e-9;

/// The top-level `[traffic]` at `b`, with its `share` applied; `None` when it has no
/// profile (reported).
pub(crate) fn resolve_top(
    t: &mut TrafficSection,
    b: &[Seg],
    horizon: SimDuration,
    c: &mut Checker,
) -> Option<Traffic> {
    let Some(p) = t.profile else {
        c.error(&tp(b, "profile"), "missing key `profile` in `traffic`");
        return None;
    };
    let traffic = resolve_traffic(t, p, b, c);
    Some(share(traffic, t.share, &tp(b, "share"), horizon, c))
}

/// What a service's own `traffic` table at `b` says.
pub(crate) enum ServiceTraffic {
    /// Its own traffic (a profile), share applied.
    Own(Box<Traffic>),
    /// The top-level `[traffic]` times this share (`traffic = { share = 0.3 }`).
    Inherited { share: Option<f64> },
}

/// A service's `traffic` table: with a `profile` it is the service's own traffic, any
/// profile `[traffic]` takes; without one it may only set `share`, which then scales
/// the top-level `[traffic]` the service inherits.
pub(crate) fn resolve_service_traffic(
    t: &mut TrafficSection,
    b: &[Seg],
    horizon: SimDuration,
    c: &mut Checker,
) -> ServiceTraffic {
    match t.profile {
        Some(p) => {
            let traffic = resolve_traffic(t, p, b, c);
            ServiceTraffic::Own(Box::new(share(traffic, t.share, &tp(b, "share"), horizon, c)))
        }
        None => {
            for (key, given, _) in given_keys(t) {
                if given {
                    c.error(
                        &tp(b, key),
                        "this `traffic` has no `profile`, so it is the top-level [traffic] scaled by \
                         `share`, and takes no other key: add `profile = ...` to give the service \
                         traffic of its own",
                    );
                }
            }
            ServiceTraffic::Inherited { share: t.share }
        }
    }
}

/// `traffic` with its rate multiplied by `share` (absent: unchanged), checked at `key`.
/// A profile's rates and a trace's or series' per-minute counts are multiplied, so every
/// fluctuation (bursts, noise, on/off) applies on top as before. Recorded timestamps are
/// instants, not a rate: a share up to 1 keeps an evenly spread, deterministic subset of
/// them (request i is kept when floor((i + 1) x share) > floor(i x share), which keeps
/// floor(n x share) of n); above 1 there are no recorded instants to add, so it is an
/// error rather than invented requests.
pub(crate) fn share(
    traffic: Traffic,
    share: Option<f64>,
    key: &[Seg],
    horizon: SimDuration,
    c: &mut Checker,
) -> Traffic {
    let Some(s) = share else { return traffic };
    // A share of 1e-320 passed `> 0` and gave the service no traffic at all.
    if !(MIN_SHARE..=MAX_SHARE).contains(&s) {
        c.error(
            key,
            format!(
                "must be between {MIN_SHARE:e} and {MAX_SHARE}, got {}; it multiplies the rate (a \
                 service with no traffic has no place in the stack)",
                Num(s)
            ),
        );
        return traffic;
    }
    let Traffic { source, fluctuations } = traffic;
    let source = match source {
        Source::Pattern(mut pattern) => {
            pattern.daily = match pattern.daily {
                DailyProfile::Constant { rps } => DailyProfile::Constant { rps: rps * s },
                DailyProfile::Diurnal { trough_rps, peak_rps, peak_hour, open_hour, close_hour } => {
                    DailyProfile::Diurnal {
                        trough_rps: trough_rps * s,
                        peak_rps: peak_rps * s,
                        peak_hour,
                        open_hour,
                        close_hour,
                    }
                }
                DailyProfile::Hourly { rps, shape } => {
                    DailyProfile::Hourly { rps: rps.map(|r| r * s), shape }
                }
            };
            Source::Pattern(pattern)
        }
        Source::MinuteCounts(m) => {
            // Rebuilt from its rates: a minute's rate is its count x scale / 60.
            let rates: Vec<f64> = (0..m.minutes() as u64).map(|i| m.rate(i * NANOS_PER_MINUTE)).collect();
            Source::MinuteCounts(MinuteCounts::new(&rates, 60.0 * s, m.repeat))
        }
        Source::Timestamps(r) if s > 1.0 => {
            c.error(
                key,
                format!(
                    "recorded timestamps are replayed as recorded: a share of {} would need requests \
                     at instants no one recorded; use a share up to 1 (an evenly spread subset of \
                     the requests), or per-minute counts (profile = \"trace\" or \"series\"), whose \
                     rate scales",
                    Num(s)
                ),
            );
            Source::Timestamps(r)
        }
        Source::Timestamps(r) => {
            let kept = (0..r.len())
                .filter(|&i| ((i + 1) as f64 * s).floor() > (i as f64 * s).floor())
                .map(|i| (r.time(i), r.duration(i).map(|d| d.0)))
                .collect();
            Source::Timestamps(RecordedArrivals::new(kept, r.duration_as))
        }
    };
    let scaled = Traffic { source, fluctuations };
    if s > 1.0 {
        let peak = scaled.max_rate_over(SimTime(0), SimTime(horizon.as_nanos()));
        if peak > MAX_RPS {
            c.error(
                key,
                format!(
                    "makes the peak rate {} requests/s; at most {} (the rates' own bound)",
                    Num(peak),
                    Num(MAX_RPS)
                ),
            );
        }
    }
    scaled
}

pub(crate) fn resolve_traffic(t: &mut TrafficSection, p: ProfileKind, b: &[Seg], c: &mut Checker) -> Traffic {
    reject_misplaced(t, p, b, c);
    let source = match p {
        ProfileKind::Constant | ProfileKind::Diurnal | ProfileKind::Hourly => {
            Source::Pattern(resolve_pattern(t, p, b, c))
        }
        ProfileKind::Trace => resolve_trace(t, b, c),
        ProfileKind::Timestamps => resolve_timestamps(t, b, c),
        ProfileKind::Series => resolve_series(t, b, c),
    };
    let fluctuations = resolve_fluctuations(t, b, c);
    Traffic { source, fluctuations }
}

/// A required rate key of the current profile.
fn need_rps(c: &mut Checker, b: &[Seg], p: ProfileKind, key: &'static str, v: Option<f64>) -> f64 {
    match v {
        Some(v) => c.range(&tp(b, key), v, 0.0, MAX_RPS),
        None => {
            c.error(&tp(b, "profile"), format!("profile = \"{}\" needs `{key}`", p.name()));
            0.0
        }
    }
}

fn resolve_pattern(t: &mut TrafficSection, p: ProfileKind, b: &[Seg], c: &mut Checker) -> Pattern {
    let daily = match p {
        ProfileKind::Constant => {
            let rps = match t.rps {
                Some(rps) => c.range(&tp(b, "rps"), rps, 0.0, MAX_RPS),
                None => {
                    c.error(&tp(b, "profile"), "profile = \"constant\" needs `rps` (requests per second)");
                    0.0
                }
            };
            DailyProfile::Constant { rps }
        }
        ProfileKind::Diurnal => resolve_diurnal(t, b, c),
        _ => resolve_hourly(t, b, c),
    };
    Pattern { daily, weekly: resolve_weekly(t, b, c), utc_offset_minutes: resolve_offset(t, b, c) }
}

fn resolve_diurnal(t: &mut TrafficSection, b: &[Seg], c: &mut Checker) -> DailyProfile {
    let trough_rps = need_rps(c, b, ProfileKind::Diurnal, "trough_rps", t.trough_rps);
    let peak_rps = need_rps(c, b, ProfileKind::Diurnal, "peak_rps", t.peak_rps);
    if peak_rps < trough_rps {
        c.error(&tp(b, "peak_rps"), format!("must be >= trough_rps ({trough_rps}), got {peak_rps}"));
    }
    let peak_hour = *t.peak_hour.get_or_insert(14.0);
    let [open_hour, close_hour] = *t.business_hours.get_or_insert([8.0, 20.0]);
    c.range(&tp(b, "peak_hour"), peak_hour, 0.0, 24.0);
    c.range(&tp(b, "business_hours"), open_hour, 0.0, 24.0);
    c.range(&tp(b, "business_hours"), close_hour, 0.0, 24.0);
    let after = |from: f64, to: f64| (to - from).rem_euclid(24.0);
    let rise = after(open_hour, peak_hour);
    // [0, 24] is open all day: a window of 24 hours, not of none.
    let window = if close_hour - open_hour == 24.0 { 24.0 } else { after(open_hour, close_hour) };
    if window == 0.0 {
        // The fault is the window itself, whatever the peak hour.
        c.error(
            &tp(b, "business_hours"),
            format!(
                "opens and closes at the same hour ({open_hour}): give a window such as [8, 20], or [0, 24] \
                 for all day"
            ),
        );
    } else if rise <= 0.0 || rise >= window {
        c.error(
            &tp(b, "peak_hour"),
            format!("must lie strictly inside business_hours [{open_hour}, {close_hour}], got {peak_hour}"),
        );
    }
    DailyProfile::Diurnal { trough_rps, peak_rps, peak_hour, open_hour, close_hour }
}

/// Exactly `n` finite values within [lo, hi], or an error at the key.
fn table<const N: usize>(
    c: &mut Checker,
    b: &[Seg],
    key: &'static str,
    values: &[f64],
    lo: f64,
    hi: f64,
) -> [f64; N] {
    if values.len() != N {
        let what = if N == 24 { "local hours 0 to 23" } else { "Monday to Sunday" };
        c.error(&tp(b, key), format!("needs {N} values ({what}), got {}", values.len()));
        return [0.0; N];
    }
    if let Some(bad) = values.iter().find(|v| !v.is_finite() || **v < lo || **v > hi) {
        c.error(&tp(b, key), format!("every value must be between {lo} and {hi}, got {bad}"));
    }
    std::array::from_fn(|i| values[i])
}

/// The smallest the largest hourly weight may be: far below any weight a person writes,
/// far above where dividing by the sum overflows.
const MIN_TOP_WEIGHT: f64 = 1e-9;

fn resolve_hourly(t: &mut TrafficSection, b: &[Seg], c: &mut Checker) -> DailyProfile {
    let shape = match *t.hourly_shape.get_or_insert(HourlyShapeKind::Step) {
        HourlyShapeKind::Step => HourlyShape::Step,
        HourlyShapeKind::Linear => HourlyShape::Linear,
    };
    let rps = match (&t.hourly_rps, &t.hourly_weights) {
        (Some(rates), None) => {
            if t.mean_rps.is_some() {
                c.error(
                    &tp(b, "mean_rps"),
                    "with hourly_rps the rates are given already; mean_rps scales hourly_weights",
                );
            }
            table::<24>(c, b, "hourly_rps", rates, 0.0, MAX_RPS)
        }
        (None, Some(weights)) => {
            let w = table::<24>(c, b, "hourly_weights", weights, 0.0, 1e12);
            let sum: f64 = w.iter().sum();
            let max = w.iter().copied().fold(0.0, f64::max);
            if sum <= 0.0 && weights.len() == 24 {
                c.error(&tp(b, "hourly_weights"), "the weights must not all be zero");
            } else if max > 0.0 && max < MIN_TOP_WEIGHT {
                // Scaling weights of 1e-320 overflows, and the traffic silently became zero.
                c.error(
                    &tp(b, "hourly_weights"),
                    format!(
                        "the largest weight is {max:e}; weights are relative: scale them so the largest \
                         is at least {MIN_TOP_WEIGHT:e} (e.g. 1 for the busiest hour)"
                    ),
                );
            }
            let scale = match (t.mean_rps, t.peak_rps) {
                (Some(mean), None) => c.range(&tp(b, "mean_rps"), mean, 0.0, MAX_RPS) * 24.0 / sum,
                (None, Some(peak)) => c.range(&tp(b, "peak_rps"), peak, 0.0, MAX_RPS) / max,
                (Some(_), Some(_)) => {
                    c.error(&tp(b, "mean_rps"), "give mean_rps or peak_rps, not both");
                    0.0
                }
                (None, None) => {
                    c.error(
                        &tp(b, "hourly_weights"),
                        "relative weights need a scale: add mean_rps or peak_rps",
                    );
                    0.0
                }
            };
            let scale = if scale.is_finite() { scale } else { 0.0 };
            w.map(|x| x * scale)
        }
        (Some(_), Some(_)) => {
            c.error(&tp(b, "hourly_weights"), "give hourly_rps or hourly_weights, not both");
            [0.0; 24]
        }
        (None, None) => {
            c.error(
                &tp(b, "profile"),
                "profile = \"hourly\" needs `hourly_rps`, or `hourly_weights` with mean_rps or peak_rps",
            );
            [0.0; 24]
        }
    };
    DailyProfile::Hourly { rps, shape }
}

fn resolve_weekly(t: &mut TrafficSection, b: &[Seg], c: &mut Checker) -> WeeklyPattern {
    match &t.weekly_factors {
        Some(factors) => {
            if t.weekend_factor.is_some() {
                c.error(&tp(b, "weekend_factor"), "give weekend_factor or weekly_factors, not both");
            }
            WeeklyPattern { day_factors: table::<7>(c, b, "weekly_factors", factors, 0.0, MAX_FACTOR) }
        }
        None => {
            let f = *t.weekend_factor.get_or_insert(1.0);
            WeeklyPattern::weekend(c.range(&tp(b, "weekend_factor"), f, 0.0, MAX_FACTOR))
        }
    }
}

fn resolve_offset(t: &mut TrafficSection, b: &[Seg], c: &mut Checker) -> i32 {
    let hours = *t.utc_offset.get_or_insert(0.0);
    let hours = c.range(&tp(b, "utc_offset"), hours, -12.0, 14.0);
    let minutes = hours * 60.0;
    if hours.is_finite() && (minutes - minutes.round()).abs() > 1e-6 {
        c.error(
            &tp(b, "utc_offset"),
            format!("must be a whole number of minutes (5.5 or 5.75 are), got {hours} h"),
        );
    }
    if minutes.is_finite() {
        minutes.round() as i32
    } else {
        0
    }
}

/// The largest trace file read. Files are read streaming (a line at a time, never
/// whole), so this bounds the reading time rather than memory: a month of timestamps at
/// a busy service's rate (tens of millions of lines) stays well below it. Anything
/// larger is almost certainly the wrong file.
pub const MAX_TRACE_BYTES: u64 = 2 << 30;

/// Opens a file named in the scenario, relative to the scenario's folder, for reading
/// streaming. Only a regular file of at most [`MAX_TRACE_BYTES`] is opened: a device
/// such as /dev/zero or a FIFO would never end (and a FIFO would block the opening, so
/// the path is looked at first). A missing file is the documented "trace not found"
/// error, which the scenarios that replay a downloadable trace point to in their headers.
fn read(c: &mut Checker, key: &[Seg], file: &str) -> Option<(BufReader<File>, String)> {
    let path = c.base_dir.join(file);
    let shown = path.display().to_string();
    let not_regular =
        || format!("{shown} is not a regular file: a trace must be a file (not a folder, device or pipe)");
    let too_large = |len: u64| {
        format!(
            "{shown} is {len} bytes; a trace may be at most {} GiB (cut it to the period you want to simulate)",
            MAX_TRACE_BYTES >> 30
        )
    };
    let problem = match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => format!(
            "trace not found: {shown} does not exist (a relative path starts at the scenario's \
             folder); get the file as the scenario's header says, or give its path with \
             --set {}=PATH",
            crate::diagnostics::path_string(key)
        ),
        Err(e) => format!("cannot read {shown}: {e}"),
        Ok(m) if !m.is_file() => not_regular(),
        Ok(m) if m.len() > MAX_TRACE_BYTES => too_large(m.len()),
        // Checked again on the file opened: the path may have changed in between.
        Ok(_) => match File::open(&path).and_then(|f| f.metadata().map(|m| (f, m))) {
            Ok((_, m)) if !m.is_file() => not_regular(),
            Ok((_, m)) if m.len() > MAX_TRACE_BYTES => too_large(m.len()),
            Ok((f, _)) => return Some((BufReader::new(f), shown)),
            Err(e) => format!("cannot read {shown}: {e}"),
        },
    };
    c.error(key, problem);
    None
}

/// Reports a trace error: unknown functions at the `functions` key, anything else at
/// the file key with the trace's path, line and column.
fn trace_error(c: &mut Checker, file_key: &[Seg], functions_key: &[Seg], shown: &str, e: TraceError) {
    match e.problem {
        TraceProblem::UnknownFunctions { .. } => c.error(functions_key, format!("{shown}: {}", e.problem)),
        _ if e.line > 0 => c.error(file_key, format!("{shown}:{}:{}: {}", e.line, e.column, e.problem)),
        _ => c.error(file_key, format!("{shown}: {}", e.problem)),
    }
}

fn resolve_trace(t: &mut TrafficSection, b: &[Seg], c: &mut Checker) -> Source {
    let empty = Source::MinuteCounts(MinuteCounts::new(&[], 1.0, false));
    let Some(trace) = &t.trace else {
        c.error(
            &tp(b, "profile"),
            format!("profile = \"trace\" needs a {} table with `file`", header(b, "trace")),
        );
        return empty;
    };
    let scale = c.range(&sub(b, "trace", "scale"), trace.scale, 0.0, 1e6);
    let Some((file, shown)) = read(c, &sub(b, "trace", "file"), &trace.file) else {
        return empty;
    };
    match read_minute_counts(file, &trace.functions) {
        Ok(m) => Source::MinuteCounts(MinuteCounts::new(&m.counts, scale, trace.repeat)),
        Err(e) => {
            trace_error(c, &sub(b, "trace", "file"), &sub(b, "trace", "functions"), &shown, e);
            empty
        }
    }
}

fn resolve_timestamps(t: &mut TrafficSection, b: &[Seg], c: &mut Checker) -> Source {
    let empty = Source::Timestamps(RecordedArrivals::new(Vec::new(), DemandPart::Cpu));
    let Some(ts) = &t.timestamps else {
        c.error(
            &tp(b, "profile"),
            format!("profile = \"timestamps\" needs a {} table with `file`", header(b, "timestamps")),
        );
        return empty;
    };
    let part = match ts.duration_as {
        DemandPartKind::Cpu => DemandPart::Cpu,
        DemandPartKind::Io => DemandPart::Io,
    };
    let key = sub(b, "timestamps", "file");
    let Some((file, shown)) = read(c, &key, &ts.file) else {
        return empty;
    };
    let columns = TimestampColumns {
        time: ts.time_column.clone(),
        duration: ts.duration_column.clone(),
        format: time_format(ts.time_format),
    };
    let parsed = match ts.format {
        LogFormatKind::Csv => read_timestamps(file, part, &columns),
        LogFormatKind::Combined => read_access_log(file, AccessLog::Combined, part),
        LogFormatKind::Alb => read_access_log(file, AccessLog::Alb, part),
    };
    match parsed {
        Ok(r) if ts.rebase => Source::Timestamps(r.rebased()),
        Ok(r) => Source::Timestamps(r),
        Err(e) => {
            trace_error(c, &key, &key, &shown, e);
            empty
        }
    }
}

fn time_format(kind: TimeFormatKind) -> TimeFormat {
    match kind {
        TimeFormatKind::Auto => TimeFormat::Auto,
        TimeFormatKind::Seconds => TimeFormat::Seconds,
        TimeFormatKind::EpochSeconds => TimeFormat::EpochSeconds,
        TimeFormatKind::EpochMillis => TimeFormat::EpochMillis,
        TimeFormatKind::EpochMicros => TimeFormat::EpochMicros,
        TimeFormatKind::Rfc3339 => TimeFormat::Rfc3339,
    }
}

/// A per-interval series, turned into requests per minute and replayed like a trace.
fn resolve_series(t: &mut TrafficSection, b: &[Seg], c: &mut Checker) -> Source {
    let empty = Source::MinuteCounts(MinuteCounts::new(&[], 1.0, false));
    let Some(series) = &t.series else {
        c.error(
            &tp(b, "profile"),
            format!("profile = \"series\" needs a {} table with `file`", header(b, "series")),
        );
        return empty;
    };
    let scale = c.range(&sub(b, "series", "scale"), series.scale, 0.0, 1e6);
    let key = sub(b, "series", "file");
    let Some((file, shown)) = read(c, &key, &series.file) else {
        return empty;
    };
    let columns = SeriesColumns {
        time: series.time_column.clone(),
        value: series.value_column.clone(),
        holds: match series.value {
            SeriesValueKind::Count => SeriesValue::Count,
            SeriesValueKind::Rate => SeriesValue::Rate,
        },
        format: time_format(series.time_format),
    };
    match read_series(file, &columns) {
        Ok(counts) => Source::MinuteCounts(MinuteCounts::new(&counts, scale, series.repeat)),
        Err(e) => {
            trace_error(c, &key, &key, &shown, e);
            empty
        }
    }
}

fn resolve_fluctuations(t: &TrafficSection, b: &[Seg], c: &mut Checker) -> Fluctuations {
    let noise_cv = c.range(&tp(b, "noise_cv"), t.noise_cv, 0.0, 10.0);
    let bursts = t.bursts.as_ref().and_then(|b2| resolve_bursts(b2, b, c));
    let on_off = t.on_off.as_ref().map(|o| {
        let on_factor = c.range(&sub(b, "on_off", "on_factor"), o.on_factor, 0.0, MAX_FACTOR);
        let off_factor = c.range(&sub(b, "on_off", "off_factor"), o.off_factor, 0.0, MAX_FACTOR);
        for (key, d) in [("mean_on", o.mean_on), ("mean_off", o.mean_off)] {
            if d.0 < MIN_ON_OFF_SOJOURN {
                c.error(
                    &sub(b, "on_off", key),
                    format!("must be at least {MIN_ON_OFF_SOJOURN}, got {}", d.0),
                );
            }
        }
        OnOff { on_factor, off_factor, mean_on: o.mean_on.0, mean_off: o.mean_off.0 }
    });
    Fluctuations { bursts, noise_cv, on_off }
}

fn resolve_bursts(bursts: &BurstsSection, b: &[Seg], c: &mut Checker) -> Option<Bursts> {
    let key = |k| sub(b, "bursts", k);
    let per_day = c.range(&key("per_day"), bursts.per_day, 0.0, MAX_BURSTS_PER_DAY);
    let f50 = c.range(&key("factor_p50"), bursts.factor_p50, 0.0, MAX_FACTOR);
    let f99 = c.range(&key("factor_p99"), bursts.factor_p99, 0.0, MAX_FACTOR);
    if f50 <= 0.0 {
        c.error(&key("factor_p50"), "must be > 0");
    }
    if f99 < f50 {
        c.error(&key("factor_p99"), format!("must be >= factor_p50 ({f50}), got {f99}"));
    }
    let (d50, d99) = (bursts.duration_p50.0, bursts.duration_p99.0);
    let longest = SimDuration::from_hours(7 * 24);
    if d50 == SimDuration::ZERO {
        c.error(&key("duration_p50"), "must be positive");
    }
    if d99 < d50 || d99 > longest {
        c.error(
            &key("duration_p99"),
            format!("must be between duration_p50 ({d50}) and {longest}, got {d99}"),
        );
    }
    for (k, ramp) in [("ramp_up", bursts.ramp_up.0), ("ramp_down", bursts.ramp_down.0)] {
        if ramp > SimDuration::from_hours(24) {
            c.error(&key(k), format!("must be at most 1d, got {ramp}"));
        }
    }
    Bursts::from_percentiles(per_day, (f50, f99), (d50, d99), bursts.ramp_up.0, bursts.ramp_down.0).ok()
}

/// A service-time distribution from an Azure Functions `_run.csv` (see
/// `DistTable::AzureDurations`).
pub(crate) fn azure_durations(c: &mut Checker, path: &[Seg], file: &str, functions: &[String]) -> Dist {
    let at = |k: &'static str| -> Vec<Seg> { path.iter().cloned().chain([Seg::Key(k)]).collect() };
    let Some((input, shown)) = read(c, &at("file"), file) else {
        return Dist::zero();
    };
    match read_duration_percentiles(input, functions) {
        Ok(d) => d,
        Err(e) => {
            trace_error(c, &at("file"), &at("functions"), &shown, e);
            Dist::zero()
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{parse, parse_in, Scenario, ScenarioError};
    use crossover_workload::{DailyProfile, Dist, HourlyShape, Source};
    use std::path::{Path, PathBuf};

    const REST: &str = r#"
[service]
cpu = "10ms"

[[platform]]
name = "fixed"
autoscaler = { kind = "fixed", instances = 1 }
"#;

    fn ok(traffic: &str) -> Scenario {
        let text = format!("{traffic}\n{REST}");
        parse(&text, "t.toml", "t").unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
    }

    fn err(traffic: &str) -> ScenarioError {
        parse(&format!("{traffic}\n{REST}"), "t.toml", "t").unwrap_err()
    }

    /// The resolved file parses back to the same traffic.
    fn round_trip(s: &Scenario, base: &Path) {
        let again = parse_in(&s.resolved_toml("test"), "resolved", "t", base).unwrap();
        assert_eq!(again.services[0].traffic, s.services[0].traffic);
        assert_eq!(again.services[0].demand, s.services[0].demand);
    }

    fn pattern(s: &Scenario) -> &crossover_workload::Pattern {
        match &s.services[0].traffic.source {
            Source::Pattern(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn existing_keys_still_work_and_defaults_are_filled() {
        let s = ok("[traffic]\nprofile = \"diurnal\"\ntrough_rps = 1\npeak_rps = 9\nweekend_factor = 0.5");
        let p = pattern(&s);
        assert_eq!(p.weekly.day_factors[5], 0.5);
        assert_eq!(p.utc_offset_minutes, 0);
        let resolved = s.resolved_toml("test");
        for key in ["utc_offset = 0.0", "weekend_factor = 0.5", "noise_cv = 0.0", "peak_hour = 14.0"] {
            assert!(resolved.contains(key), "{key} missing from\n{resolved}");
        }
        round_trip(&s, Path::new("."));
    }

    #[test]
    fn hourly_weights_are_scaled_to_the_mean_or_the_peak() {
        let weights: Vec<String> = (0..24).map(|h| if h >= 18 { "3".into() } else { "1".into() }).collect();
        let w = weights.join(", ");
        let s = ok(&format!("[traffic]\nprofile = \"hourly\"\nhourly_weights = [{w}]\nmean_rps = 15"));
        let DailyProfile::Hourly { rps, shape } = &pattern(&s).daily else { panic!() };
        assert_eq!(*shape, HourlyShape::Step);
        assert!((rps.iter().sum::<f64>() / 24.0 - 15.0).abs() < 1e-9);
        assert!((rps[20] / rps[3] - 3.0).abs() < 1e-12);
        let s = ok(&format!(
            "[traffic]\nprofile = \"hourly\"\nhourly_weights = [{w}]\npeak_rps = 30\nhourly_shape = \"linear\""
        ));
        let DailyProfile::Hourly { rps, shape } = &pattern(&s).daily else { panic!() };
        assert_eq!((rps[20], rps[3], *shape), (30.0, 10.0, HourlyShape::Linear));
        assert!(s.resolved_toml("t").contains("hourly_shape = \"linear\""));
        round_trip(&s, Path::new("."));
    }

    #[test]
    fn a_short_hourly_table_is_located_at_its_key() {
        let e = err("[traffic]\nprofile = \"hourly\"\nhourly_rps = [1, 2, 3]\n");
        let d = &e.diagnostics[0];
        assert_eq!((d.key.as_str(), d.line), ("traffic.hourly_rps", 3));
        assert!(d.message.contains("needs 24 values"), "{}", d.message);
    }

    #[test]
    fn keys_of_other_profiles_are_rejected() {
        let e = err("[traffic]\nprofile = \"constant\"\nrps = 3\nhourly_shape = \"step\"\n");
        assert_eq!(e.diagnostics[0].key, "traffic.hourly_shape");
        assert!(e.diagnostics[0].message.contains("applies to profile = \"hourly\" only"));
        let e = err("[traffic]\nprofile = \"trace\"\nutc_offset = 2\ntrace = { file = \"x.csv\" }\n");
        assert!(e.diagnostics.iter().any(|d| d.key == "traffic.utc_offset"), "{e}");
        let e = err("[traffic]\nprofile = \"diurnal\"\ntrough_rps = 1\npeak_rps = 2\nweekend_factor = 1\nweekly_factors = [1, 1, 1, 1, 1, 1, 1]\n");
        assert_eq!(e.diagnostics[0].key, "traffic.weekend_factor");
        let e = err("[traffic]\nprofile = \"constant\"\nrps = 1\nutc_offset = 5.51\n");
        assert!(e.diagnostics[0].message.contains("whole number of minutes"));
    }

    #[test]
    fn bursts_noise_and_on_off_resolve_with_defaults() {
        let s = ok(r#"[traffic]
profile = "constant"
rps = 10
noise_cv = 0.25
bursts = { per_day = 3 }
on_off = { on_factor = 4, mean_on = "30s", mean_off = "10m" }
"#);
        let f = &s.services[0].traffic.fluctuations;
        assert_eq!(f.noise_cv, 0.25);
        let b = f.bursts.as_ref().unwrap();
        assert_eq!(b.per_day, 3.0);
        assert_eq!(b.factor, Dist::lognormal_p50_p99(3.0, 10.0).unwrap());
        assert_eq!(b.duration, Dist::lognormal_p50_p99(600.0, 3600.0).unwrap());
        assert_eq!(f.on_off.as_ref().unwrap().off_factor, 1.0);
        let resolved = s.resolved_toml("t");
        assert!(
            resolved.contains("[traffic.bursts]") && resolved.contains("ramp_down = \"5m\""),
            "{resolved}"
        );
        round_trip(&s, Path::new("."));
        let e = err("[traffic]\nprofile = \"constant\"\nrps = 1\nbursts = { per_day = 1, factor_p50 = 5, factor_p99 = 2 }\n");
        assert_eq!(e.diagnostics[0].key, "traffic.bursts.factor_p99");
    }

    #[test]
    fn new_distributions_parse_and_round_trip() {
        let text = r#"[traffic]
profile = "constant"
rps = 1
[service]
cpu = { dist = "mixture", weights = [95, 5], components = [
  { dist = "lognormal", p50 = "5ms", p99 = "40ms" },
  { dist = "empirical", percentiles = [0, 50, 100], values = ["1s", "2s", "8s"] },
] }
io = { dist = "gamma", mean = "20ms", cv = 0.5 }
[[platform]]
name = "fixed"
autoscaler = { kind = "fixed", instances = 1 }
instance = { cold_start = { dist = "pareto", min = "200ms", alpha = 2.5 } }
"#;
        let s = parse(text, "t.toml", "t").unwrap();
        let Dist::Mixture(m) = &s.services[0].demand.cpu else { panic!("{:?}", s.services[0].demand.cpu) };
        assert!((m.weight(1) - 0.05).abs() < 1e-12);
        assert!((s.services[0].demand.io.mean() - 0.020).abs() < 1e-12);
        assert!((s.platforms[0].services[0].startup.init.mean() - 0.2 * 2.5 / 1.5).abs() < 1e-12);
        round_trip(&s, Path::new("."));
        let bad = text.replace("[0, 50, 100]", "[0, 50, 90]");
        let e = parse(&bad, "t.toml", "t").unwrap_err();
        assert_eq!(e.diagnostics[0].key, "service.cpu.components[1]");
        assert!(e.diagnostics[0].message.contains("start at 0 and end at 100"), "{e}");
    }

    /// A scratch folder for trace files, unique per test.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("crossover-scenario-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_malformed_trace_is_reported_with_its_file_line_and_column() {
        let dir = scratch("malformed");
        std::fs::write(
            dir.join("bad.csv"),
            "HashFunction,HashApp,HashOwner,minute_1,minute_2\nf,a,o,1,2\nf,a,o,3,-4\n",
        )
        .unwrap();
        let text = format!("[traffic]\nprofile = \"trace\"\ntrace = {{ file = \"bad.csv\" }}\n{REST}");
        let e = parse_in(&text, "s.toml", "s", &dir).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!((d.key.as_str(), d.line), ("traffic.trace.file", 3));
        let shown = dir.join("bad.csv").display().to_string();
        assert!(d.message.starts_with(&format!("{shown}:3:9: `minute_2`: -4 is negative")), "{}", d.message);
        std::fs::write(dir.join("bad.csv"), "HashFunction,HashApp,HashOwner,minute_1\nf,a,o,1\n").unwrap();
        let text = text.replace("\"bad.csv\"", "\"bad.csv\", functions = [\"g\"]");
        let e = parse_in(&text, "s.toml", "s", &dir).unwrap_err();
        assert_eq!(e.diagnostics[0].key, "traffic.trace.functions");
        let e = parse_in(&text.replace("bad.csv", "missing.csv"), "s.toml", "s", &dir).unwrap_err();
        let missing = &e.diagnostics[0].message;
        assert!(
            missing.starts_with("trace not found: ") && missing.contains("--set traffic.trace.file=PATH"),
            "{e}"
        );
        // What can never be a trace is refused before it is read: a folder, and on Unix
        // a device that would never end.
        let e = parse_in(&text.replace("bad.csv", "."), "s.toml", "s", &dir).unwrap_err();
        assert!(e.diagnostics[0].message.contains("is not a regular file"), "{e}");
        if Path::new("/dev/zero").exists() {
            let e = parse_in(&text.replace("bad.csv", "/dev/zero"), "s.toml", "s", &dir).unwrap_err();
            assert!(e.diagnostics[0].message.contains("/dev/zero is not a regular file"), "{e}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn traces_and_timestamps_resolve_relative_to_the_scenario() {
        let dir = scratch("relative");
        std::fs::write(
            dir.join("inv.csv"),
            "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,60,120\no,a,g,http,6,6\n",
        )
        .unwrap();
        std::fs::write(dir.join("log.csv"), "timestamp,duration\n100.5,0.25\n100,0.5\n").unwrap();
        let text = format!(
            "[traffic]\nprofile = \"trace\"\ntrace = {{ file = \"inv.csv\", functions = [\"f\"], scale = 2 }}\n{REST}"
        );
        let s = parse_in(&text, "s.toml", "s", &dir).unwrap();
        let Source::MinuteCounts(m) = &s.services[0].traffic.source else { panic!() };
        assert_eq!((m.rate(0), m.minutes(), m.repeat), (2.0, 2, true));
        round_trip(&s, &dir);
        let text = format!(
            "[traffic]\nprofile = \"timestamps\"\ntimestamps = {{ file = \"log.csv\", duration_as = \"io\", rebase = true }}\n{REST}"
        );
        let s = parse_in(&text, "s.toml", "s", &dir).unwrap();
        let Source::Timestamps(r) = &s.services[0].traffic.source else { panic!() };
        assert_eq!(r.times(), &[0, 500_000_000]);
        assert_eq!(r.duration(0).unwrap().as_secs_f64(), 0.5);
        round_trip(&s, &dir);
        let e = parse_in(
            &text
                .replace("rebase = true", "rebase = true, \n")
                .replace("[traffic]\n", "[traffic]\nnoise_cv = 0.2\n"),
            "s.toml",
            "s",
            &dir,
        )
        .unwrap_err();
        assert_eq!(e.diagnostics[0].key, "traffic.noise_cv");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
