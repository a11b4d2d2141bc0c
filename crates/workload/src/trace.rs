//! Recorded traffic: per-minute invocation counts in the Azure Functions trace formats,
//! request timestamps, and measured duration percentiles.
//!
//! Parsing is pure (text in, typed values or a located error out); reading the files is
//! the scenario layer's job. Every error carries the 1-based line and column (in
//! characters) of the offending field, so a user can jump straight to it in a file with
//! 1,440 columns. The parsed trace is held once behind an `Arc`: traffic is cloned into
//! every simulation, and the trace is the only thing whose size grows with its length.

use crate::demand::DemandPart;
use crate::dist::Dist;
use crossover_engine::time::{NANOS_PER_MINUTE, NANOS_PER_SEC};
use crossover_engine::SimDuration;
use std::collections::BTreeSet;
use std::sync::Arc;
use thiserror::Error;

/// What is wrong with a trace file, and where (line 0 when no line applies).
#[derive(Clone, Debug, Error, PartialEq)]
pub struct TraceError {
    pub line: usize,
    pub column: usize,
    pub problem: TraceProblem,
}

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "line {}, column {}: {}", self.line, self.column, self.problem)
        } else {
            write!(f, "{}", self.problem)
        }
    }
}

#[derive(Clone, Debug, Error, PartialEq)]
pub enum TraceProblem {
    #[error("the file is empty: expected a header line")]
    Empty,
    #[error(
        "unrecognised header: expected the Azure Functions per-minute format \
         (`HashFunction,HashApp,HashOwner,minute_1,...` or \
         `HashOwner,HashApp,HashFunction,Trigger,1,...`), found `{found}`"
    )]
    UnknownFormat { found: String },
    #[error("header column should be `{expected}`, found `{found}`")]
    UnexpectedHeader { expected: String, found: String },
    #[error("the header has no `{name}` column")]
    MissingHeaderColumn { name: String },
    #[error("missing column `{name}`: the header has {expected} columns, this line {found}")]
    MissingColumn { name: String, expected: usize, found: usize },
    #[error("extra column: the header has {expected} columns, this line {found}")]
    ExtraColumn { expected: usize, found: usize },
    #[error("`{field}`: \"{text}\" is not a number")]
    NotANumber { field: String, text: String },
    #[error("`{field}`: {text} is negative; counts, times and durations must be >= 0")]
    Negative { field: String, text: String },
    #[error("`{field}`: {text} is too large")]
    TooLarge { field: String, text: String },
    #[error("percentiles of function {function}: {message}")]
    BadPercentiles { function: String, message: String },
    #[error("no function with hash {}", .missing.join(", "))]
    UnknownFunctions { missing: Vec<String> },
    #[error("no data rows after the header")]
    NoRows,
}

/// The two layouts of the Azure Functions 2019 invocation trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// `HashFunction,HashApp,HashOwner,minute_1..minute_N` (the sampled `N_inv.csv`).
    Sampled,
    /// `HashOwner,HashApp,HashFunction,Trigger,1..N` (the dataset's own layout).
    Original,
}

impl TraceFormat {
    fn fixed_columns(self) -> &'static [&'static str] {
        match self {
            TraceFormat::Sampled => &["HashFunction", "HashApp", "HashOwner"],
            TraceFormat::Original => &["HashOwner", "HashApp", "HashFunction", "Trigger"],
        }
    }

    fn function_column(self) -> usize {
        match self {
            TraceFormat::Sampled => 0,
            TraceFormat::Original => 2,
        }
    }

    fn minute_name(self, k: usize) -> String {
        match self {
            TraceFormat::Sampled => format!("minute_{k}"),
            TraceFormat::Original => k.to_string(),
        }
    }
}

/// Invocations per minute summed over the chosen functions.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteTrace {
    pub format: TraceFormat,
    pub counts: Vec<f64>,
    /// Rows summed.
    pub functions: usize,
}

impl MinuteTrace {
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }
}

/// One line split into fields, with byte offsets for locating errors.
struct Row<'a> {
    line_no: usize,
    text: &'a str,
    fields: Vec<(usize, &'a str)>,
}

impl<'a> Row<'a> {
    fn new(line_no: usize, text: &'a str) -> Self {
        let mut offset = 0;
        let fields = text
            .split(',')
            .map(|f| {
                let at = offset;
                offset += f.len() + 1;
                (at, f)
            })
            .collect();
        Row { line_no, text, fields }
    }

    /// 1-based character column of byte offset `at`.
    fn column_of(&self, at: usize) -> usize {
        self.text[..at.min(self.text.len())].chars().count() + 1
    }

    fn error_at(&self, field: usize, problem: TraceProblem) -> TraceError {
        let at = self.fields.get(field).map_or(self.text.len(), |f| f.0);
        TraceError { line: self.line_no, column: self.column_of(at), problem }
    }

    fn get(&self, i: usize) -> &'a str {
        self.fields[i].1.trim()
    }

    /// Every data row must have the header's number of fields.
    fn check_width(&self, header: &[String]) -> Result<(), TraceError> {
        let (found, expected) = (self.fields.len(), header.len());
        if found < expected {
            let problem = TraceProblem::MissingColumn { name: header[found].clone(), expected, found };
            return Err(TraceError { line: self.line_no, column: self.text.chars().count() + 1, problem });
        }
        if found > expected {
            return Err(self.error_at(expected, TraceProblem::ExtraColumn { expected, found }));
        }
        Ok(())
    }

    /// A non-negative number (counts, milliseconds).
    fn number(&self, i: usize, header: &[String]) -> Result<f64, TraceError> {
        let text = self.get(i);
        // Whole numbers first: the common case, and exact.
        if let Ok(n) = text.parse::<u64>() {
            return Ok(n as f64);
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
            Ok(v) if v < 0.0 => Err(self.error_at(i, negative(&header[i], text))),
            _ => Err(self.error_at(i, not_a_number(&header[i], text))),
        }
    }

    /// Seconds as written ("12.345678901") to whole nanoseconds.
    fn seconds(&self, i: usize, header: &[String]) -> Result<u64, TraceError> {
        let text = self.get(i);
        let field = &header[i];
        seconds_to_nanos(text).map_err(|kind| {
            self.error_at(
                i,
                match kind {
                    SecondsError::Negative => negative(field, text),
                    SecondsError::TooLarge => {
                        TraceProblem::TooLarge { field: field.clone(), text: text.to_string() }
                    }
                    SecondsError::NotANumber => not_a_number(field, text),
                },
            )
        })
    }
}

fn negative(field: &str, text: &str) -> TraceProblem {
    TraceProblem::Negative { field: field.to_string(), text: text.to_string() }
}

fn not_a_number(field: &str, text: &str) -> TraceProblem {
    TraceProblem::NotANumber { field: field.to_string(), text: text.to_string() }
}

enum SecondsError {
    NotANumber,
    Negative,
    TooLarge,
}

/// Exact decimal seconds to nanoseconds (rounded at the tenth fractional digit), with
/// exponent notation accepted through a float as a fallback.
fn seconds_to_nanos(text: &str) -> Result<u64, SecondsError> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !text.is_empty() && text != "." && digits(int) && digits(frac) {
        let whole: u64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| SecondsError::TooLarge)? };
        let mut nanos: u64 = 0;
        for (k, b) in frac.bytes().take(9).enumerate() {
            nanos += (b - b'0') as u64 * 10u64.pow(8 - k as u32);
        }
        if frac.len() > 9 && frac.as_bytes()[9] >= b'5' {
            nanos += 1;
        }
        return whole
            .checked_mul(NANOS_PER_SEC)
            .and_then(|w| w.checked_add(nanos))
            .ok_or(SecondsError::TooLarge);
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v < 0.0 => Err(SecondsError::Negative),
        Ok(v) if v.is_finite() => {
            let ns = v * NANOS_PER_SEC as f64;
            if ns >= u64::MAX as f64 {
                Err(SecondsError::TooLarge)
            } else {
                Ok(SimDuration::from_nanos_f64(ns).0)
            }
        }
        _ => Err(SecondsError::NotANumber),
    }
}

/// Non-blank lines with their 1-based numbers; a UTF-8 byte-order mark is ignored.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.trim().is_empty())
}

fn header_of(row: &Row) -> Vec<String> {
    row.fields.iter().map(|(_, f)| f.trim().to_string()).collect()
}

/// The functions asked for that the file does not have.
fn check_selection(wanted: &[String], found: &BTreeSet<&str>) -> Result<(), TraceError> {
    let missing: Vec<String> = wanted.iter().filter(|w| !found.contains(w.as_str())).cloned().collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(TraceError { line: 0, column: 0, problem: TraceProblem::UnknownFunctions { missing } })
    }
}

/// Parses per-minute invocation counts in either Azure layout (recognised by the first
/// header column), summing the rows whose function hash is in `functions`, or every
/// row if it is empty. Every row is checked, chosen or not.
pub fn parse_minute_counts(text: &str, functions: &[String]) -> Result<MinuteTrace, TraceError> {
    let mut rows = lines(text);
    let Some((line_no, first)) = rows.next() else {
        return Err(TraceError { line: 1, column: 1, problem: TraceProblem::Empty });
    };
    let head = Row::new(line_no, first);
    let header = header_of(&head);
    let format = match header[0].as_str() {
        "HashFunction" => TraceFormat::Sampled,
        "HashOwner" => TraceFormat::Original,
        _ => {
            let found: String = first.chars().take(60).collect();
            return Err(head.error_at(0, TraceProblem::UnknownFormat { found }));
        }
    };
    let fixed = format.fixed_columns();
    for (i, expected) in fixed.iter().enumerate() {
        let found = header.get(i).map(String::as_str).unwrap_or("");
        if found != *expected {
            let problem =
                TraceProblem::UnexpectedHeader { expected: expected.to_string(), found: found.into() };
            return Err(head.error_at(i, problem));
        }
    }
    if header.len() == fixed.len() {
        return Err(
            head.error_at(fixed.len(), TraceProblem::MissingHeaderColumn { name: format.minute_name(1) })
        );
    }
    for (i, found) in header.iter().enumerate().skip(fixed.len()) {
        let expected = format.minute_name(i - fixed.len() + 1);
        if *found != expected {
            return Err(head.error_at(i, TraceProblem::UnexpectedHeader { expected, found: found.clone() }));
        }
    }

    let wanted: BTreeSet<&str> = functions.iter().map(String::as_str).collect();
    let mut found = BTreeSet::new();
    let mut counts = vec![0.0; header.len() - fixed.len()];
    let mut summed = 0;
    let mut any_row = false;
    for (line_no, text) in rows {
        any_row = true;
        let row = Row::new(line_no, text);
        row.check_width(&header)?;
        let hash = row.get(format.function_column());
        let chosen = wanted.is_empty() || wanted.contains(hash);
        if chosen {
            summed += 1;
            found.insert(hash);
        }
        for (k, count) in counts.iter_mut().enumerate() {
            let v = row.number(fixed.len() + k, &header)?;
            if chosen {
                *count += v;
            }
        }
    }
    if !any_row {
        return Err(TraceError { line: line_no + 1, column: 1, problem: TraceProblem::NoRows });
    }
    check_selection(functions, &found)?;
    Ok(MinuteTrace { format, counts, functions: summed })
}

/// A per-minute trace turned into a rate: each minute's count, times the scale, spread
/// over its 60 seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteCounts {
    rps: Arc<[f64]>,
    /// Start again from the first minute when the trace runs out (a one-day trace over
    /// a week); otherwise the rate is 0 after the trace.
    pub repeat: bool,
}

impl MinuteCounts {
    pub fn new(counts: &[f64], scale: f64, repeat: bool) -> Self {
        MinuteCounts { rps: counts.iter().map(|c| c * scale / 60.0).collect(), repeat }
    }

    pub fn minutes(&self) -> usize {
        self.rps.len()
    }

    /// The rate in the minute holding `t` (nanoseconds).
    #[inline]
    pub fn rate(&self, t: u64) -> f64 {
        let minute = (t / NANOS_PER_MINUTE) as usize;
        let len = self.rps.len();
        if len == 0 {
            0.0
        } else if self.repeat {
            self.rps[minute % len]
        } else {
            self.rps.get(minute).copied().unwrap_or(0.0)
        }
    }
}

/// Requests replayed exactly as recorded: arrival times (sorted) and, when the file has
/// them, each request's duration.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedArrivals {
    times: Arc<[u64]>,
    durations: Option<Arc<[u64]>>,
    /// Which part of the request's demand a recorded duration replaces.
    pub duration_as: DemandPart,
}

impl RecordedArrivals {
    /// From (time, duration) pairs in any order; sorted by time, ties kept in order.
    pub fn new(mut requests: Vec<(u64, Option<u64>)>, duration_as: DemandPart) -> Self {
        requests.sort_by_key(|r| r.0);
        let times = requests.iter().map(|r| r.0).collect();
        let durations = requests
            .iter()
            .all(|r| r.1.is_some())
            .then(|| requests.iter().map(|r| r.1.unwrap_or(0)).collect())
            .filter(|_| !requests.is_empty());
        RecordedArrivals { times, durations, duration_as }
    }

    /// Shifts every time so that the first request arrives at 0 (for logs in epoch
    /// seconds).
    pub fn rebased(self) -> Self {
        let first = self.times.first().copied().unwrap_or(0);
        RecordedArrivals { times: self.times.iter().map(|t| t - first).collect(), ..self }
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Arrival time of request `i` in nanoseconds.
    pub fn time(&self, i: usize) -> u64 {
        self.times[i]
    }

    pub fn times(&self) -> &[u64] {
        &self.times
    }

    pub fn has_durations(&self) -> bool {
        self.durations.is_some()
    }

    pub fn duration(&self, i: usize) -> Option<SimDuration> {
        self.durations.as_ref().map(|d| SimDuration(d[i]))
    }

    /// Requests arriving in [a, b).
    pub fn count_in(&self, a: u64, b: u64) -> u64 {
        (self.times.partition_point(|&t| t < b) - self.times.partition_point(|&t| t < a)) as u64
    }
}

/// Parses a CSV of request timestamps: a header naming a `timestamp` column (seconds
/// from the start of the horizon) and optionally a `duration` column (seconds); other
/// columns are ignored, so an exported log can be used as it is.
pub fn parse_timestamps(text: &str, duration_as: DemandPart) -> Result<RecordedArrivals, TraceError> {
    let mut rows = lines(text);
    let Some((line_no, first)) = rows.next() else {
        return Err(TraceError { line: 1, column: 1, problem: TraceProblem::Empty });
    };
    let head = Row::new(line_no, first);
    let header = header_of(&head);
    let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let Some(ts) = find("timestamp") else {
        return Err(TraceError {
            line: line_no,
            column: 1,
            problem: TraceProblem::MissingHeaderColumn { name: "timestamp".into() },
        });
    };
    let dur = find("duration");
    let mut requests = Vec::new();
    for (line_no, text) in rows {
        let row = Row::new(line_no, text);
        row.check_width(&header)?;
        let at = row.seconds(ts, &header)?;
        let duration = dur.map(|d| row.seconds(d, &header)).transpose()?;
        requests.push((at, duration));
    }
    Ok(RecordedArrivals::new(requests, duration_as))
}

/// The percentile columns of the Azure `_run.csv` / durations files, and their levels.
const DURATION_PERCENTILES: [(&str, f64); 7] = [
    ("percentile_Average_0", 0.0),
    ("percentile_Average_1", 0.01),
    ("percentile_Average_25", 0.25),
    ("percentile_Average_50", 0.50),
    ("percentile_Average_75", 0.75),
    ("percentile_Average_99", 0.99),
    ("percentile_Average_100", 1.0),
];

/// Parses the Azure execution-time percentiles (milliseconds) into a service-time
/// distribution in seconds: for each chosen function (all if `functions` is empty) an
/// empirical distribution through its percentiles, and for several functions their
/// mixture weighted by the `Count` column. Columns are found by name, so both the
/// sampled `N_run.csv` and the original durations layout work.
pub fn parse_duration_percentiles(text: &str, functions: &[String]) -> Result<Dist, TraceError> {
    let mut rows = lines(text);
    let Some((line_no, first)) = rows.next() else {
        return Err(TraceError { line: 1, column: 1, problem: TraceProblem::Empty });
    };
    let head = Row::new(line_no, first);
    let header = header_of(&head);
    let find = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| TraceError {
            line: line_no,
            column: first.chars().count() + 1,
            problem: TraceProblem::MissingHeaderColumn { name: name.to_string() },
        })
    };
    let hash_col = find("HashFunction")?;
    let count_col = find("Count")?;
    let pct_cols = DURATION_PERCENTILES.iter().map(|(name, _)| find(name)).collect::<Result<Vec<_>, _>>()?;
    let probs: Vec<f64> = DURATION_PERCENTILES.iter().map(|p| p.1).collect();

    let wanted: BTreeSet<&str> = functions.iter().map(String::as_str).collect();
    let mut found = BTreeSet::new();
    let (mut weights, mut components) = (Vec::new(), Vec::new());
    let mut any_row = false;
    let mut last_line = line_no;
    for (line_no, text) in rows {
        any_row = true;
        last_line = line_no;
        let row = Row::new(line_no, text);
        row.check_width(&header)?;
        let hash = row.get(hash_col);
        let count = row.number(count_col, &header)?;
        let mut values = Vec::with_capacity(pct_cols.len());
        for &c in &pct_cols {
            values.push(row.number(c, &header)? / 1000.0);
        }
        if !(wanted.is_empty() || wanted.contains(hash)) {
            continue;
        }
        found.insert(hash);
        let dist = Dist::empirical(&probs, &values).map_err(|e| {
            let problem = TraceProblem::BadPercentiles { function: hash.to_string(), message: e.to_string() };
            row.error_at(pct_cols[0], problem)
        })?;
        weights.push(count);
        components.push(dist);
    }
    if !any_row {
        return Err(TraceError { line: last_line + 1, column: 1, problem: TraceProblem::NoRows });
    }
    check_selection(functions, &found)?;
    if components.len() == 1 {
        return Ok(components.pop().expect("one component"));
    }
    Dist::mixture(&weights, components).map_err(|e| TraceError {
        line: 0,
        column: 0,
        problem: TraceProblem::BadPercentiles { function: "(all chosen)".into(), message: e.to_string() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLED: &str = "\
HashFunction,HashApp,HashOwner,minute_1,minute_2,minute_3
f1,a1,o1,10,0,5
f2,a2,o2,1,2,3
f3,a3,o3,100,200,300
";

    const ORIGINAL: &str = "\
HashOwner,HashApp,HashFunction,Trigger,1,2,3
o1,a1,f1,http,10,0,5
o2,a2,f2,timer,1,2,3
";

    fn all() -> Vec<String> {
        Vec::new()
    }

    #[test]
    fn both_formats_sum_every_function() {
        let t = parse_minute_counts(SAMPLED, &all()).unwrap();
        assert_eq!(t.format, TraceFormat::Sampled);
        assert_eq!(t.counts, vec![111.0, 202.0, 308.0]);
        assert_eq!(t.functions, 3);
        let t = parse_minute_counts(ORIGINAL, &all()).unwrap();
        assert_eq!(t.format, TraceFormat::Original);
        assert_eq!(t.counts, vec![11.0, 2.0, 8.0]);
    }

    #[test]
    fn chosen_functions_only() {
        let pick = vec!["f1".to_string(), "f3".to_string()];
        let t = parse_minute_counts(SAMPLED, &pick).unwrap();
        assert_eq!(t.counts, vec![110.0, 200.0, 305.0]);
        assert_eq!(t.functions, 2);
        // The original layout keys functions by its third column.
        let t = parse_minute_counts(ORIGINAL, &["f2".to_string()]).unwrap();
        assert_eq!(t.counts, vec![1.0, 2.0, 3.0]);
        let err = parse_minute_counts(SAMPLED, &["f1".into(), "nope".into()]).unwrap_err();
        assert_eq!(err.problem, TraceProblem::UnknownFunctions { missing: vec!["nope".into()] });
    }

    fn err(text: &str) -> TraceError {
        parse_minute_counts(text, &all()).unwrap_err()
    }

    #[test]
    fn missing_column_is_located_at_the_end_of_the_line() {
        let text = "HashFunction,HashApp,HashOwner,minute_1,minute_2\nf1,a,o,1,2\nf2,a,o,1\n";
        let e = err(text);
        assert_eq!((e.line, e.column), (3, 9));
        assert_eq!(e.problem, TraceProblem::MissingColumn { name: "minute_2".into(), expected: 5, found: 4 });
        assert_eq!(
            e.to_string(),
            "line 3, column 9: missing column `minute_2`: the header has 5 columns, this line 4"
        );
    }

    #[test]
    fn non_numeric_and_negative_counts_are_located() {
        let e = err("HashFunction,HashApp,HashOwner,minute_1,minute_2\nf1,a,o,1,x2\n");
        assert_eq!((e.line, e.column), (2, 10));
        assert_eq!(e.problem, TraceProblem::NotANumber { field: "minute_2".into(), text: "x2".into() });
        let e = err("HashFunction,HashApp,HashOwner,minute_1,minute_2\n\nf1,a,o,-3,2\n");
        assert_eq!((e.line, e.column), (3, 8), "blank lines still count");
        assert_eq!(e.problem, TraceProblem::Negative { field: "minute_1".into(), text: "-3".into() });
        let e = err("HashFunction,HashApp,HashOwner,minute_1\nf1,a,o,\n");
        assert!(matches!(e.problem, TraceProblem::NotANumber { .. }), "empty count");
        let e = err("HashFunction,HashApp,HashOwner,minute_1\nf1,a,o,inf\n");
        assert!(matches!(e.problem, TraceProblem::NotANumber { .. }), "not finite");
    }

    #[test]
    fn malformed_headers_are_rejected() {
        assert_eq!(err("").problem, TraceProblem::Empty);
        assert!(matches!(err("time,count\n1,2\n").problem, TraceProblem::UnknownFormat { .. }));
        let e = err("HashFunction,HashApp,HashOwner,minute_1,minute_3\nf,a,o,1,2\n");
        assert_eq!((e.line, e.column), (1, 41));
        assert_eq!(
            e.problem,
            TraceProblem::UnexpectedHeader { expected: "minute_2".into(), found: "minute_3".into() }
        );
        let e = err("HashFunction,HashApp,HashOwner,minute_1,minute_2\nf,a,o,1,2,3\n");
        assert_eq!((e.line, e.column), (2, 11));
        assert!(matches!(e.problem, TraceProblem::ExtraColumn { .. }));
        assert_eq!(err("HashFunction,HashApp,HashOwner,minute_1\n").problem, TraceProblem::NoRows);
        assert!(matches!(
            err("HashFunction,HashApp,HashOwner\nf,a,o\n").problem,
            TraceProblem::MissingHeaderColumn { .. }
        ));
    }

    #[test]
    fn crlf_and_byte_order_mark_are_accepted() {
        let text = "\u{feff}HashFunction,HashApp,HashOwner,minute_1\r\nf1,a,o,4\r\n";
        assert_eq!(parse_minute_counts(text, &all()).unwrap().counts, vec![4.0]);
    }

    #[test]
    fn minute_counts_scale_and_repeat() {
        let m = MinuteCounts::new(&[60.0, 120.0], 0.5, true);
        assert_eq!(m.rate(0), 0.5);
        assert_eq!(m.rate(NANOS_PER_MINUTE), 1.0);
        assert_eq!(m.rate(2 * NANOS_PER_MINUTE + 5), 0.5, "repeats");
        let once = MinuteCounts::new(&[60.0, 120.0], 1.0, false);
        assert_eq!(once.rate(2 * NANOS_PER_MINUTE), 0.0, "silent after the trace");
    }

    #[test]
    fn timestamps_parse_exactly_and_sort() {
        let text = "timestamp,status,duration\n0.5,200,0.020\n0.000000001,200,1\n12.3456789014,500,0.25\n";
        let r = parse_timestamps(text, DemandPart::Cpu).unwrap();
        assert_eq!(r.times(), &[1, 500_000_000, 12_345_678_901]);
        assert_eq!(r.duration(0), Some(SimDuration::from_secs(1)));
        assert_eq!(r.duration(1), Some(SimDuration::from_millis(20)));
        assert_eq!(r.count_in(0, 1_000_000_000), 2);
        let plain = parse_timestamps("Timestamp\n3\n1e1\n", DemandPart::Io).unwrap();
        assert_eq!(plain.times(), &[3_000_000_000, 10_000_000_000]);
        assert!(!plain.has_durations());
        let rebased =
            parse_timestamps("timestamp\n1700000000.25\n1700000001\n", DemandPart::Cpu).unwrap().rebased();
        assert_eq!(rebased.times(), &[0, 750_000_000]);
    }

    #[test]
    fn malformed_timestamps_are_located() {
        let e = parse_timestamps("timestamp,duration\n1,0.1\n2,-0.1\n", DemandPart::Cpu).unwrap_err();
        assert_eq!((e.line, e.column), (3, 3));
        assert!(matches!(e.problem, TraceProblem::Negative { .. }));
        let e = parse_timestamps("timestamp,duration\n1,0.1\nsoon,0.1\n", DemandPart::Cpu).unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
        let e = parse_timestamps("time,duration\n1,2\n", DemandPart::Cpu).unwrap_err();
        assert_eq!(e.problem, TraceProblem::MissingHeaderColumn { name: "timestamp".into() });
        let e = parse_timestamps("timestamp,duration\n1\n", DemandPart::Cpu).unwrap_err();
        assert_eq!((e.line, e.column), (2, 2));
    }

    const RUN: &str = "\
HashFunction,HashApp,HashOwner,Count,Average,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100
fast,a,o,900,10,1,100,1,2,5,10,15,50,100
slow,a,o,100,1000,500,3000,500,510,800,1000,1200,2500,3000
";

    #[test]
    fn duration_percentiles_become_a_count_weighted_mixture() {
        let d = parse_duration_percentiles(RUN, &all()).unwrap();
        let Dist::Mixture(m) = &d else { panic!("{d:?}") };
        assert!((m.weight(0) - 0.9).abs() < 1e-12);
        let fast = parse_duration_percentiles(RUN, &["fast".into()]).unwrap();
        let Dist::Empirical(e) = &fast else { panic!("{fast:?}") };
        let points: Vec<_> = e.points().collect();
        assert_eq!(points[3], (0.5, 0.010));
        assert_eq!(points[6], (1.0, 0.100));
        let bad = RUN.replace("1,2,5,10,15,50,100", "1,2,5,10,15,5,100");
        let e = parse_duration_percentiles(&bad, &all()).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(matches!(e.problem, TraceProblem::BadPercentiles { .. }), "{e}");
        let e = parse_duration_percentiles("HashFunction,Count\nf,1\n", &all()).unwrap_err();
        assert_eq!(e.problem, TraceProblem::MissingHeaderColumn { name: "percentile_Average_0".into() });
    }
}
