//! Recorded traffic: per-minute invocation counts in the Azure Functions trace formats,
//! request timestamps, and measured duration percentiles.
//!
//! Parsing is pure (a reader in, typed values or a located error out); opening the files
//! is the scenario layer's job. Every error carries the 1-based line and column (in
//! characters) of the offending field, so a user can jump straight to it in a file with
//! 1,440 columns. The parsed trace is held once behind an `Arc`: traffic is cloned into
//! every simulation, and the trace is the only thing whose size grows with its length.
//!
//! Files are read streaming, a line (or CSV record) at a time, never whole: what stays in
//! memory is what the parsed trace needs (per-minute counts for the Azure and per-interval
//! formats, one distribution per chosen function for durations), except for recorded
//! timestamps, which are kept because each one is replayed. A line longer than
//! [`MAX_LINE_BYTES`] is refused where it starts, so no line (a file without newlines)
//! is held whole either; reading stops at the first bad line.

use crate::demand::DemandPart;
use crate::dist::Dist;
use crossover_engine::time::{NANOS_PER_MINUTE, NANOS_PER_SEC};
use crossover_engine::SimDuration;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{BufRead, Read, Seek, SeekFrom};
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
    #[error("`{field}`: {text} is above {limit}")]
    AboveLimit { field: String, text: String, limit: &'static str },
    #[error("percentiles of function {function}: {message}")]
    BadPercentiles { function: String, message: String },
    #[error("no function with hash {}", .missing.join(", "))]
    UnknownFunctions { missing: Vec<String> },
    #[error("no data rows after the header")]
    NoRows,
    #[error("one row gives no interval: a series needs at least two times")]
    OneRow,
    #[error("this time is also on line {first_line}: each time may appear once")]
    RepeatedTime { first_line: usize },
    #[error("the series spans {days} days; at most 366 are read (is time_format right?)")]
    TooLong { days: usize },
    #[error("the header has two `{name}` columns: rename or remove one")]
    DuplicateColumn { name: String },
    #[error("byte 0x{byte:02x} is not UTF-8 text: a trace must be a CSV or text log saved as UTF-8")]
    NotUtf8 { byte: u8 },
    #[error("this line is longer than {limit} bytes: no trace line is that long (is it the right file?)")]
    LineTooLong { limit: usize },
    #[error("cannot read the file: {message}")]
    Unreadable { message: String },
    #[error("`{field}`: \"{text}\" is not a time in the {format} format (seconds, epoch-s, epoch-ms, epoch-us or rfc3339 such as 2026-03-02T14:05:09Z; set time_format)")]
    BadTime { field: String, text: String, format: &'static str },
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

    /// A non-negative number no larger than `max` (`limit` says what that is, for the
    /// message): a trace is refused where it is read, not after it has made the traffic
    /// absurd.
    fn number_at_most(
        &self,
        i: usize,
        header: &[String],
        max: f64,
        limit: &'static str,
    ) -> Result<f64, TraceError> {
        let v = self.number(i, header)?;
        if v > max {
            let problem =
                TraceProblem::AboveLimit { field: header[i].clone(), text: self.get(i).to_string(), limit };
            return Err(self.error_at(i, problem));
        }
        Ok(v)
    }
}

/// Invocations in one minute: the scenario format's highest rate, 1e6 requests/s.
const MAX_PER_MINUTE: f64 = 60.0 * 1e6;
/// A day's invocations of one function at that rate.
const MAX_PER_DAY: f64 = 86_400.0 * 1e6;
/// A duration in milliseconds: the format's longest, ten years.
const MAX_DURATION_MS: f64 = 10.0 * 365.0 * 86_400.0 * 1e3;
/// The same in nanoseconds, for a recorded request's duration (a 1e300-second one was
/// replayed as 584 years).
const MAX_DURATION_NANOS: u64 = 10 * 365 * 86_400 * NANOS_PER_SEC;

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

/// The longest line (or CSV record) read: a row of the Azure trace's 1,440 minutes is
/// about 10 KB, a log line a few hundred bytes. A longer one is refused where it starts
/// rather than held whole (a file with no newline would otherwise be one line).
pub const MAX_LINE_BYTES: usize = 1 << 20;

const BYTE_ORDER_MARK: &[u8] = b"\xef\xbb\xbf";

/// A UTF-8 byte-order mark at the start of `input` is skipped.
fn skip_byte_order_mark<R: BufRead>(input: &mut R) -> Result<(), TraceError> {
    let start = input.fill_buf().map_err(|e| unreadable(1, &e))?;
    if start.starts_with(BYTE_ORDER_MARK) {
        input.consume(BYTE_ORDER_MARK.len());
    }
    Ok(())
}

fn unreadable(line: usize, e: &std::io::Error) -> TraceError {
    TraceError { line, column: 1, problem: TraceProblem::Unreadable { message: e.to_string() } }
}

/// Where `bytes` stop being UTF-8 (the 1-based line is the caller's): the column of the
/// first bad byte, in characters.
fn not_utf8(line: usize, bytes: &[u8]) -> TraceError {
    let at = std::str::from_utf8(bytes).err().map_or(bytes.len(), |e| e.valid_up_to());
    let column = String::from_utf8_lossy(&bytes[..at]).chars().count() + 1;
    let problem = TraceProblem::NotUtf8 { byte: bytes.get(at).copied().unwrap_or(0) };
    TraceError { line, column, problem }
}

/// Lines read one at a time into one buffer: non-blank lines with their 1-based numbers,
/// `\n` or `\r\n` ends removed, a byte-order mark skipped, each checked for UTF-8 and
/// bounded by [`MAX_LINE_BYTES`].
struct Lines<R> {
    input: R,
    buf: Vec<u8>,
    line_no: usize,
    started: bool,
}

impl<R: BufRead> Lines<R> {
    fn new(input: R) -> Self {
        Lines { input, buf: Vec::new(), line_no: 0, started: false }
    }

    /// The next non-blank line, or `None` at the end of the input.
    fn next_line(&mut self) -> Result<Option<(usize, &str)>, TraceError> {
        if !self.started {
            self.started = true;
            skip_byte_order_mark(&mut self.input)?;
        }
        loop {
            self.buf.clear();
            let limit = MAX_LINE_BYTES as u64 + 1;
            let read = (&mut self.input)
                .take(limit)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| unreadable(self.line_no + 1, &e))?;
            if read == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
                if self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                }
            } else if self.buf.len() > MAX_LINE_BYTES {
                let problem = TraceProblem::LineTooLong { limit: MAX_LINE_BYTES };
                return Err(TraceError { line: self.line_no, column: 1, problem });
            }
            match std::str::from_utf8(&self.buf) {
                Err(_) => return Err(not_utf8(self.line_no, &self.buf)),
                Ok(text) if text.trim().is_empty() => continue,
                Ok(_) => break,
            }
        }
        let text = std::str::from_utf8(&self.buf).map_err(|_| not_utf8(self.line_no, &self.buf))?;
        Ok(Some((self.line_no, text)))
    }
}

fn header_of(row: &Row) -> Vec<String> {
    row.fields.iter().map(|(_, f)| f.trim().to_string()).collect()
}

/// The functions asked for that the file does not have.
fn check_selection(wanted: &[String], found: &BTreeSet<String>) -> Result<(), TraceError> {
    let missing: Vec<String> = wanted.iter().filter(|w| !found.contains(w.as_str())).cloned().collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(TraceError { line: 0, column: 0, problem: TraceProblem::UnknownFunctions { missing } })
    }
}

/// [`read_minute_counts`] of a text in memory.
pub fn parse_minute_counts(text: &str, functions: &[String]) -> Result<MinuteTrace, TraceError> {
    read_minute_counts(text.as_bytes(), functions)
}

/// Parses per-minute invocation counts in either Azure layout (recognised by the first
/// header column), summing the rows whose function hash is in `functions`, or every
/// row if it is empty. Every row is checked, chosen or not. Read a line at a time: only
/// the header and the per-minute sums are kept.
pub fn read_minute_counts<R: BufRead>(input: R, functions: &[String]) -> Result<MinuteTrace, TraceError> {
    let mut rows = Lines::new(input);
    let Some((line_no, first)) = rows.next_line()? else {
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
    // Only the functions asked for are remembered (to say which the file lacks).
    let mut found = BTreeSet::new();
    let mut counts = vec![0.0; header.len() - fixed.len()];
    let mut summed = 0;
    let mut any_row = false;
    while let Some((line_no, text)) = rows.next_line()? {
        any_row = true;
        let row = Row::new(line_no, text);
        row.check_width(&header)?;
        let hash = row.get(format.function_column());
        let chosen = wanted.is_empty() || wanted.contains(hash);
        if chosen {
            summed += 1;
            if !wanted.is_empty() && !found.contains(hash) {
                found.insert(hash.to_string());
            }
        }
        for (k, count) in counts.iter_mut().enumerate() {
            let v = row.number_at_most(
                fixed.len() + k,
                &header,
                MAX_PER_MINUTE,
                "60,000,000 a minute (1e6 requests/s)",
            )?;
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

/// How the times of a timestamp column are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeFormat {
    /// Decided from the first data row: RFC 3339 if it looks like a date, else by the
    /// number's size (below 1e8: seconds from the start; then epoch seconds, up to 1e11;
    /// milliseconds, up to 1e14; microseconds, up to 1e17).
    #[default]
    Auto,
    /// Seconds from the start of the horizon.
    Seconds,
    /// Seconds since 1970-01-01 00:00 UTC.
    EpochSeconds,
    EpochMillis,
    EpochMicros,
    /// `2026-03-02T14:05:09.250Z`, `2026-03-02 14:05:09+01:00`.
    Rfc3339,
}

impl TimeFormat {
    pub fn name(self) -> &'static str {
        match self {
            TimeFormat::Auto => "auto",
            TimeFormat::Seconds => "seconds",
            TimeFormat::EpochSeconds => "epoch-s",
            TimeFormat::EpochMillis => "epoch-ms",
            TimeFormat::EpochMicros => "epoch-us",
            TimeFormat::Rfc3339 => "rfc3339",
        }
    }

    /// Clock times (epoch, dates) rather than offsets from the start of the horizon.
    pub fn is_absolute(self) -> bool {
        !matches!(self, TimeFormat::Seconds | TimeFormat::Auto)
    }

    /// Guessed from one field, as [`TimeFormat::Auto`] says.
    fn detect(text: &str) -> TimeFormat {
        if text.len() >= 10 && text.as_bytes()[4] == b'-' {
            return TimeFormat::Rfc3339;
        }
        match text.parse::<f64>() {
            Ok(v) if v < 1e8 => TimeFormat::Seconds,
            Ok(v) if v < 1e11 => TimeFormat::EpochSeconds,
            Ok(v) if v < 1e14 => TimeFormat::EpochMillis,
            Ok(_) => TimeFormat::EpochMicros,
            Err(_) => TimeFormat::Seconds,
        }
    }
}

/// Where the times are and how they are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampColumns {
    /// The header of the time column (compared ignoring case).
    pub time: String,
    /// The header of the optional duration column (seconds).
    pub duration: String,
    pub format: TimeFormat,
}

impl Default for TimestampColumns {
    fn default() -> Self {
        TimestampColumns { time: "timestamp".into(), duration: "duration".into(), format: TimeFormat::Auto }
    }
}

/// The bytes a CSV reader has taken from its input since the record being looked at
/// began: the raw line of a record as written (quotes and all), to count an error's
/// column on, without holding the file. What is kept is one record plus the csv crate's
/// read-ahead; a record longer than [`MAX_LINE_BYTES`] stops the reading.
struct Recent<R> {
    input: R,
    kept: Vec<u8>,
    /// Where in `kept` the record looked at begins (what is before it is forgotten, and
    /// dropped from the buffer now and then rather than at every record).
    start: usize,
    /// Offset of `kept[start]` in the input, and its 1-based line.
    from: u64,
    from_line: u64,
    /// The line at which a record grew too long, once one did.
    too_long: Option<u64>,
}

impl<R: Read> Read for Recent<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let current = &self.kept[self.start..];
        if current.len() > 2 * MAX_LINE_BYTES {
            let line = self.from_line + current.iter().filter(|&&b| b == b'\n').count() as u64;
            self.too_long = Some(line);
            return Err(std::io::Error::other("a record is too long"));
        }
        let n = self.input.read(buf)?;
        self.kept.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl<R> Recent<R> {
    /// Forgets what comes before `at`, the start of the record now looked at.
    fn forget_before(&mut self, at: &csv::Position) {
        let drop = (at.byte().saturating_sub(self.from) as usize).min(self.kept.len() - self.start);
        self.from_line = at.line();
        self.start += drop;
        self.from += drop as u64;
        // Moving the rest to the front at every record copied the read-ahead each time.
        if self.start >= 16 << 10 && self.start * 2 >= self.kept.len() {
            self.kept.drain(..self.start);
            self.start = 0;
        }
    }

    /// The raw bytes of the line starting at byte `at`.
    fn line_bytes(&self, at: u64) -> &[u8] {
        let begin = self.start + (at.saturating_sub(self.from) as usize).min(self.kept.len() - self.start);
        let rest = &self.kept[begin..];
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = &rest[..end];
        line.strip_suffix(b"\r").unwrap_or(line)
    }

    /// The text of the line starting at byte `at`, for the columns of errors.
    fn line_at(&self, at: u64) -> Cow<'_, str> {
        String::from_utf8_lossy(self.line_bytes(at))
    }
}

/// CSV records read one at a time from a stream (`has_headers(false)`, flexible widths):
/// the csv crate over a [`Recent`], so that every error keeps its line and column.
struct Records<R: Read> {
    reader: csv::Reader<Recent<R>>,
    record: csv::StringRecord,
}

impl<R: BufRead> Records<R> {
    fn new(mut input: R) -> Result<Self, TraceError> {
        skip_byte_order_mark(&mut input)?;
        let recent = Recent { input, kept: Vec::new(), start: 0, from: 0, from_line: 1, too_long: None };
        let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(recent);
        Ok(Records { reader, record: csv::StringRecord::new() })
    }

    /// The next record and its position, or `None` at the end.
    fn next_record(&mut self) -> Result<Option<csv::Position>, TraceError> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let pos = self.record.position().cloned().unwrap_or_else(csv::Position::new);
                self.reader.get_mut().forget_before(&pos);
                Ok(Some(pos))
            }
            Err(e) => Err(self.error(e)),
        }
    }

    /// The raw text of the line the record at `pos` starts on.
    fn raw(&self, pos: &csv::Position) -> Cow<'_, str> {
        self.reader.get_ref().line_at(pos.byte())
    }

    /// A record the csv crate could not read, at its line.
    fn error(&self, e: csv::Error) -> TraceError {
        let recent = self.reader.get_ref();
        let line = e.position().map_or(0, |p| p.line());
        match e.kind() {
            csv::ErrorKind::Utf8 { pos: Some(pos), .. } => {
                not_utf8(pos.line() as usize, recent.line_bytes(pos.byte()))
            }
            csv::ErrorKind::Io(_) if recent.too_long.is_some() => {
                located(recent.too_long.unwrap_or(0), 1, TraceProblem::LineTooLong { limit: MAX_LINE_BYTES })
            }
            csv::ErrorKind::Io(io) => unreadable(line.max(recent.from_line) as usize, io),
            _ => located(line, 1, TraceProblem::NotANumber { field: "CSV".into(), text: e.to_string() }),
        }
    }
}

/// An error at a line (as the csv crate counts them) and column.
fn located(line: u64, column: usize, problem: TraceProblem) -> TraceError {
    TraceError { line: line as usize, column, problem }
}

/// A CSV record has the header's columns: a short one is blamed past its end, a long one
/// at its first extra field.
fn check_width(
    record: &csv::StringRecord,
    header: &[String],
    line: u64,
    raw: &str,
) -> Result<(), TraceError> {
    if record.len() < header.len() {
        let problem = TraceProblem::MissingColumn {
            name: header[record.len()].clone(),
            expected: header.len(),
            found: record.len(),
        };
        return Err(located(line, raw.chars().count() + 1, problem));
    }
    if record.len() > header.len() {
        let problem = TraceProblem::ExtraColumn { expected: header.len(), found: record.len() };
        return Err(located(line, field_column(raw, header.len()), problem));
    }
    Ok(())
}

/// 1-based character column where field `index` of a raw CSV line starts (quotes
/// respected), or just past the line's end.
fn field_column(raw: &str, index: usize) -> usize {
    let (mut field, mut quoted) = (0, false);
    for (col, c) in raw.chars().enumerate() {
        if field == index {
            return col + 1;
        }
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => field += 1,
            _ => {}
        }
    }
    raw.chars().count() + 1
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// RFC 3339 (`T` or a space between date and time, `Z` or an offset) to nanoseconds
/// since the epoch; `None` if it is not one, or before 1970.
fn rfc3339_nanos(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let days_in_month = [
        31,
        if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo)
        || d < 1
        || d > days_in_month[(mo - 1) as usize]
        || h > 23
        || mi > 59
        || se > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos: i64 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        for (k, c) in frac.bytes().take(digits.min(9)).enumerate() {
            nanos += i64::from(c - b'0') * 10i64.pow(8 - k as u32);
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && matches!(rest.as_bytes()[0], b'+' | b'-') && rest.as_bytes()[3] == b':' => {
            let oh = rest[1..3].parse::<i64>().ok()?;
            let om = rest[4..6].parse::<i64>().ok()?;
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset;
    u64::try_from(secs).ok()?.checked_mul(NANOS_PER_SEC)?.checked_add(nanos as u64)
}

/// A non-negative decimal number in `unit_nanos` nanoseconds per unit, exactly (to
/// the nanosecond); `None` if it is not a plain decimal.
fn decimal_nanos(text: &str, unit_nanos: u64) -> Option<u64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    let mut nanos = int.parse::<u64>().ok()?.checked_mul(unit_nanos)?;
    let mut scale = unit_nanos;
    for b in frac.bytes() {
        scale /= 10;
        if scale == 0 {
            break;
        }
        nanos = nanos.checked_add(u64::from(b - b'0') * scale)?;
    }
    Some(nanos)
}

/// One time field in `format` (not `Auto`) to nanoseconds: from the start of the horizon
/// for seconds, since the epoch for clock times.
fn time_nanos(field: &str, format: TimeFormat, name: &str) -> Result<u64, TraceProblem> {
    let bad = || TraceProblem::BadTime { field: name.into(), text: field.into(), format: format.name() };
    match format {
        TimeFormat::Auto | TimeFormat::Seconds => seconds_to_nanos(field).map_err(|kind| match kind {
            SecondsError::Negative => negative(name, field),
            SecondsError::TooLarge => TraceProblem::TooLarge { field: name.into(), text: field.into() },
            SecondsError::NotANumber => not_a_number(name, field),
        }),
        TimeFormat::EpochSeconds => decimal_nanos(field, NANOS_PER_SEC).ok_or_else(bad),
        TimeFormat::EpochMillis => decimal_nanos(field, 1_000_000).ok_or_else(bad),
        TimeFormat::EpochMicros => decimal_nanos(field, 1_000).ok_or_else(bad),
        TimeFormat::Rfc3339 => rfc3339_nanos(field).ok_or_else(bad),
    }
}

/// [`read_timestamps`] of a text in memory.
pub fn parse_timestamps_with(
    text: &str,
    duration_as: DemandPart,
    columns: &TimestampColumns,
) -> Result<RecordedArrivals, TraceError> {
    read_timestamps(text.as_bytes(), duration_as, columns)
}

/// Parses a CSV of request timestamps: a header naming the time column (`timestamp`
/// unless `columns` says otherwise) and optionally a duration column (seconds); other
/// columns are ignored, so an exported log can be used as it is. Quoted fields, CRLF
/// line ends and a byte-order mark are read as CSV has them. Clock times (epoch seconds,
/// milliseconds or microseconds, RFC 3339) start the horizon at 00:00 UTC of the first
/// request's day, so time of day is kept.
///
/// Read a record at a time, but every time (and duration) is kept: each recorded
/// request is replayed as it arrived, so the parsed trace is the list itself (16 bytes
/// a request; the file's other columns are not kept).
pub fn read_timestamps<R: BufRead>(
    input: R,
    duration_as: DemandPart,
    columns: &TimestampColumns,
) -> Result<RecordedArrivals, TraceError> {
    let mut records = Records::new(input)?;
    let Some(head_pos) = records.next_record()? else {
        return Err(located(1, 1, TraceProblem::Empty));
    };
    let header: Vec<String> = records.record.iter().map(|h| h.trim().to_string()).collect();
    let matching = |name: &str| -> Vec<usize> {
        header.iter().enumerate().filter(|(_, h)| h.eq_ignore_ascii_case(name)).map(|(i, _)| i).collect()
    };
    let times = matching(&columns.time);
    let Some(&ts) = times.first() else {
        return Err(located(
            head_pos.line(),
            1,
            TraceProblem::MissingHeaderColumn { name: columns.time.clone() },
        ));
    };
    for name in [&columns.time, &columns.duration] {
        if let [_, second, ..] = matching(name)[..] {
            let column = field_column(&records.raw(&head_pos), second);
            return Err(located(
                head_pos.line(),
                column,
                TraceProblem::DuplicateColumn { name: name.clone() },
            ));
        }
    }
    let dur = matching(&columns.duration).first().copied();
    let mut format = columns.format;
    let mut requests = Vec::new();
    let mut last_line = head_pos.line();
    while let Some(pos) = records.next_record()? {
        last_line = pos.line();
        let record = &records.record;
        let at = |i: usize, problem: TraceProblem| {
            located(pos.line(), field_column(&records.raw(&pos), i), problem)
        };
        if record.len() != header.len() {
            check_width(record, &header, pos.line(), &records.raw(&pos))?;
        }
        let field = record[ts].trim();
        if format == TimeFormat::Auto {
            format = TimeFormat::detect(field);
        }
        let time = time_nanos(field, format, &header[ts]).map_err(|p| at(ts, p))?;
        let duration = match dur {
            Some(d) => {
                let text = record[d].trim();
                let nanos = seconds_to_nanos(text).map_err(|kind| {
                    at(
                        d,
                        match kind {
                            SecondsError::Negative => negative(&header[d], text),
                            SecondsError::TooLarge => {
                                TraceProblem::TooLarge { field: header[d].clone(), text: text.into() }
                            }
                            SecondsError::NotANumber => not_a_number(&header[d], text),
                        },
                    )
                })?;
                if nanos > MAX_DURATION_NANOS {
                    let problem = TraceProblem::AboveLimit {
                        field: header[d].clone(),
                        text: text.into(),
                        limit: "ten years in seconds",
                    };
                    return Err(at(d, problem));
                }
                Some(nanos)
            }
            None => None,
        };
        requests.push((time, duration));
    }
    if requests.is_empty() {
        return Err(located(last_line + 1, 1, TraceProblem::NoRows));
    }
    if format.is_absolute() {
        // Clock times: the horizon starts at 00:00 UTC of the first request's day.
        let first = requests.iter().map(|r| r.0).min().unwrap_or(0);
        let origin = first - first % crossover_engine::time::NANOS_PER_DAY;
        for r in &mut requests {
            r.0 -= origin;
        }
    }
    Ok(RecordedArrivals::new(requests, duration_as))
}

/// [`parse_timestamps_with`] the default columns (`timestamp`, `duration`) and times
/// detected as [`TimeFormat::Auto`] does.
pub fn parse_timestamps(text: &str, duration_as: DemandPart) -> Result<RecordedArrivals, TraceError> {
    parse_timestamps_with(text, duration_as, &TimestampColumns::default())
}

/// Web server and load balancer logs read as request timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessLog {
    /// The NCSA combined (or common) format of nginx and Apache:
    /// `host - user [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 2326 ...`.
    Combined,
    /// An AWS Application Load Balancer access log: `type time elb client target
    /// request_processing_time target_processing_time response_processing_time ...`.
    Alb,
}

/// Parses an access log, one request a line: the arrival time (nginx and Apache log when
/// the request arrived; an ALB logs when it responded, so the three processing times are
/// taken off) and, for an ALB, the target's processing time as the duration when every
/// line has one. Times start the horizon at 00:00 UTC of the first request's day.
pub fn parse_access_log(
    text: &str,
    kind: AccessLog,
    duration_as: DemandPart,
) -> Result<RecordedArrivals, TraceError> {
    read_access_log(text.as_bytes(), kind, duration_as)
}

/// [`parse_access_log`] read a line at a time (the arrival times are kept, as for
/// [`read_timestamps`]).
pub fn read_access_log<R: BufRead>(
    input: R,
    kind: AccessLog,
    duration_as: DemandPart,
) -> Result<RecordedArrivals, TraceError> {
    let mut lines = Lines::new(input);
    let mut requests = Vec::new();
    while let Some((line_no, line)) = lines.next_line()? {
        let at = |byte: usize, problem: TraceProblem| TraceError {
            line: line_no,
            column: line[..byte.min(line.len())].chars().count() + 1,
            problem,
        };
        let request = match kind {
            AccessLog::Combined => {
                let bad = |byte: usize, text: &str| {
                    at(
                        byte,
                        TraceProblem::BadTime {
                            field: "[time]".into(),
                            text: text.into(),
                            format: "combined",
                        },
                    )
                };
                let (Some(open), Some(close)) = (line.find('['), line.find(']')) else {
                    return Err(bad(0, line.chars().take(40).collect::<String>().as_str()));
                };
                let stamp = line.get(open + 1..close).unwrap_or("");
                (clf_nanos(stamp).ok_or_else(|| bad(open + 1, stamp))?, None)
            }
            AccessLog::Alb => {
                let mut fields = Vec::new();
                let mut offset = 0;
                for f in line.split(' ') {
                    fields.push((offset, f));
                    offset += f.len() + 1;
                }
                if fields.len() < 8 {
                    return Err(at(
                        line.len(),
                        TraceProblem::MissingColumn {
                            name: "response_processing_time".into(),
                            expected: 8,
                            found: fields.len(),
                        },
                    ));
                }
                let (t_at, t) = fields[1];
                let time = rfc3339_nanos(t).ok_or_else(|| {
                    at(
                        t_at,
                        TraceProblem::BadTime { field: "time".into(), text: t.into(), format: "rfc3339" },
                    )
                })?;
                let mut seconds = [0.0; 3];
                for (k, name) in
                    ["request_processing_time", "target_processing_time", "response_processing_time"]
                        .iter()
                        .enumerate()
                {
                    let (f_at, f) = fields[5 + k];
                    // -1 is the ALB's "none" (no target reached, or the client went away).
                    seconds[k] = match f.parse::<f64>() {
                        Ok(v) if v > MAX_DURATION_MS / 1e3 => {
                            let problem = TraceProblem::AboveLimit {
                                field: name.to_string(),
                                text: f.into(),
                                limit: "ten years in seconds",
                            };
                            return Err(at(f_at, problem));
                        }
                        Ok(v) if v.is_finite() && v >= -1.0 => v,
                        _ => return Err(at(f_at, not_a_number(name, f))),
                    };
                }
                let taken: f64 = seconds.iter().filter(|&&s| s > 0.0).sum();
                let arrival = time.saturating_sub((taken * NANOS_PER_SEC as f64).round() as u64);
                let duration =
                    (seconds[1] >= 0.0).then(|| (seconds[1] * NANOS_PER_SEC as f64).round() as u64);
                (arrival, duration)
            }
        };
        requests.push(request);
    }
    if requests.is_empty() {
        return Err(TraceError { line: 1, column: 1, problem: TraceProblem::NoRows });
    }
    let first = requests.iter().map(|r| r.0).min().unwrap_or(0);
    let origin = first - first % crossover_engine::time::NANOS_PER_DAY;
    for r in &mut requests {
        r.0 -= origin;
    }
    Ok(RecordedArrivals::new(requests, duration_as))
}

/// `10/Oct/2026:13:55:36 -0700` (the common log format's time) to nanoseconds since the
/// epoch.
fn clf_nanos(stamp: &str) -> Option<u64> {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (date, zone) = stamp.split_once(' ')?;
    let mut parts = date.splitn(4, [':', '/']);
    let day: i64 = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == name)? as i64 + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let clock = parts.next()?;
    // Reuse the RFC 3339 reader for the range checks: the same instant, written its way.
    let sign = zone.get(..1)?;
    let (zh, zm) = (zone.get(1..3)?, zone.get(3..5)?);
    if zone.len() != 5 || !matches!(sign, "+" | "-") {
        return None;
    }
    rfc3339_nanos(&format!("{year:04}-{month:02}-{day:02}T{clock}{sign}{zh}:{zm}"))
}

/// What the value column of a per-interval series holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SeriesValue {
    /// Requests counted in the interval (CloudWatch `Sum` of a request count, Datadog's
    /// `.as_count()`).
    #[default]
    Count,
    /// Requests per second over the interval (a Prometheus `rate()` query).
    Rate,
}

/// The columns of a per-interval series and how they are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesColumns {
    pub time: String,
    pub value: String,
    pub holds: SeriesValue,
    pub format: TimeFormat,
}

impl Default for SeriesColumns {
    fn default() -> Self {
        SeriesColumns {
            time: "time".into(),
            value: "value".into(),
            holds: SeriesValue::Count,
            format: TimeFormat::Auto,
        }
    }
}

/// The longest series read, in minutes: a year, far beyond the 31-day horizon, so a
/// series is never cut, and a mistaken unit (microseconds read as seconds) is caught.
pub const MAX_SERIES_MINUTES: usize = 366 * 1440;

/// The highest rate a series may hold, in requests per second: the scenario format's.
const MAX_SERIES_RATE: f64 = 1e6;

/// [`read_series`] of a text in memory.
pub fn parse_series(text: &str, columns: &SeriesColumns) -> Result<Vec<f64>, TraceError> {
    read_series(std::io::Cursor::new(text.as_bytes()), columns)
}

/// Parses a per-interval series (a time column and a count or rate column, at any
/// interval, as Prometheus range queries, Datadog and CloudWatch export them) into
/// requests per minute. Each row holds until the next row's time (the last row for the
/// interval before it), so irregular intervals and gaps are spread evenly; rows may come
/// in any order, but a time may appear once. Clock times start at 00:00 UTC of the first
/// row's day; seconds count from the start of the horizon.
///
/// Rows in time order (as exports write them) are spread into their minutes as they
/// are read: only the per-minute counts and the row before are kept. Rows out of order
/// must be sorted first, which needs all of them (24 bytes a row): the input is then
/// read again from its start, keeping the rows. The counts are the same either way, bit
/// for bit.
pub fn read_series<R: BufRead + Seek>(mut input: R, columns: &SeriesColumns) -> Result<Vec<f64>, TraceError> {
    if let Some(counts) = series_in_order(&mut input, columns)? {
        return Ok(counts);
    }
    input.seek(SeekFrom::Start(0)).map_err(|e| unreadable(1, &e))?;
    series_sorted(input, columns)
}

/// One row of a series: its time, value, line and the column of its time.
#[derive(Clone, Copy)]
struct SeriesRow {
    time: u64,
    value: f64,
    line: u64,
    column: u32,
}

/// The rows of a series one at a time, checked: the header's two columns found once,
/// each row's time (in the format given or detected from the first row) and value.
struct SeriesRows<R: Read> {
    records: Records<R>,
    holds: SeriesValue,
    header: Vec<String>,
    time: usize,
    value: usize,
    format: TimeFormat,
    last_line: u64,
}

impl<R: BufRead> SeriesRows<R> {
    fn new(input: R, columns: &SeriesColumns) -> Result<Self, TraceError> {
        let mut records = Records::new(input)?;
        let Some(head_pos) = records.next_record()? else {
            return Err(located(1, 1, TraceProblem::Empty));
        };
        let header: Vec<String> = records.record.iter().map(|h| h.trim().to_string()).collect();
        let find = |name: &String| -> Result<usize, TraceError> {
            let all: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(_, h)| h.eq_ignore_ascii_case(name))
                .map(|(i, _)| i)
                .collect();
            match all[..] {
                [] => {
                    Err(located(head_pos.line(), 1, TraceProblem::MissingHeaderColumn { name: name.clone() }))
                }
                [one] => Ok(one),
                [_, second, ..] => Err(located(
                    head_pos.line(),
                    field_column(&records.raw(&head_pos), second),
                    TraceProblem::DuplicateColumn { name: name.clone() },
                )),
            }
        };
        let (time, value) = (find(&columns.time)?, find(&columns.value)?);
        let last_line = head_pos.line();
        Ok(SeriesRows {
            records,
            holds: columns.holds,
            header,
            time,
            value,
            format: columns.format,
            last_line,
        })
    }

    fn next_row(&mut self) -> Result<Option<SeriesRow>, TraceError> {
        let Some(pos) = self.records.next_record()? else {
            return Ok(None);
        };
        self.last_line = pos.line();
        let (record, header, (tc, vc)) = (&self.records.record, &self.header, (self.time, self.value));
        let raw = || self.records.raw(&pos);
        let at = |i: usize, problem: TraceProblem| located(pos.line(), field_column(&raw(), i), problem);
        if record.len() != header.len() {
            check_width(record, header, pos.line(), &raw())?;
        }
        let field = record[tc].trim();
        if self.format == TimeFormat::Auto {
            self.format = TimeFormat::detect(field);
        }
        let time = time_nanos(field, self.format, &header[tc]).map_err(|p| at(tc, p))?;
        let text = record[vc].trim();
        let value = match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => v,
            Ok(v) if v < 0.0 => return Err(at(vc, negative(&header[vc], text))),
            _ => return Err(at(vc, not_a_number(&header[vc], text))),
        };
        // No interval can hold more: a value of 1e300 passed and only the resource guard
        // stopped the run ("inf T requests").
        let (most, limit) = match self.holds {
            SeriesValue::Rate => (MAX_SERIES_RATE, "1e6 requests/s (the scenario format's highest rate)"),
            SeriesValue::Count => (
                MAX_SERIES_RATE * 60.0 * MAX_SERIES_MINUTES as f64,
                "3.16e13, a year's requests at 1e6 requests/s",
            ),
        };
        if value > most {
            let problem = TraceProblem::AboveLimit { field: header[vc].clone(), text: text.into(), limit };
            return Err(at(vc, problem));
        }
        let column = if tc == 0 { 1 } else { field_column(&raw(), tc) as u32 };
        Ok(Some(SeriesRow { time, value, line: pos.line(), column }))
    }

    /// Where clock times start: 00:00 UTC of the earliest row's day.
    fn origin(&self, earliest: u64) -> u64 {
        if self.format.is_absolute() {
            earliest - earliest % crossover_engine::time::NANOS_PER_DAY
        } else {
            0
        }
    }
}

/// Requests per minute, a row's interval at a time.
struct Spread {
    holds: SeriesValue,
    counts: Vec<f64>,
    /// The header of the value column, for errors.
    value: String,
}

impl Spread {
    /// Spreads a row's requests evenly over the minutes of [start, stop) (nanoseconds
    /// from the origin); a series may span [`MAX_SERIES_MINUTES`].
    /// `line` is the row's, `stop_line` the one whose time ends its interval.
    fn add(
        &mut self,
        value: f64,
        start: u64,
        stop: u64,
        line: u64,
        stop_line: u64,
    ) -> Result<(), TraceError> {
        let minutes = stop.div_ceil(NANOS_PER_MINUTE) as usize;
        if minutes > MAX_SERIES_MINUTES {
            return Err(located(stop_line, 1, TraceProblem::TooLong { days: minutes / 1440 }));
        }
        if self.counts.len() < minutes {
            self.counts.resize(minutes, 0.0);
        }
        let seconds = (stop - start) as f64 / NANOS_PER_SEC as f64;
        let rate = match self.holds {
            SeriesValue::Count => value / seconds,
            SeriesValue::Rate => value,
        };
        if rate > MAX_SERIES_RATE {
            let problem = TraceProblem::AboveLimit {
                field: self.value.clone(),
                text: format!("{value} over {seconds} s"),
                limit: "1e6 requests/s (the scenario format's highest rate)",
            };
            return Err(located(line, 1, problem));
        }
        let mut t = start;
        while t < stop {
            let minute = t / NANOS_PER_MINUTE;
            let next = ((minute + 1) * NANOS_PER_MINUTE).min(stop);
            self.counts[minute as usize] += rate * (next - t) as f64 / NANOS_PER_SEC as f64;
            t = next;
        }
        Ok(())
    }
}

/// A series whose rows come in time order, spread as it is read; `None` at the first
/// row earlier than the one before it.
fn series_in_order<R: BufRead>(input: R, columns: &SeriesColumns) -> Result<Option<Vec<f64>>, TraceError> {
    let mut rows = SeriesRows::new(input, columns)?;
    let mut spread =
        Spread { holds: columns.holds, counts: Vec::new(), value: rows.header[rows.value].clone() };
    let Some(first) = rows.next_row()? else {
        return Err(located(rows.last_line + 1, 1, TraceProblem::NoRows));
    };
    let origin = rows.origin(first.time);
    let (mut before, mut interval) = (first, None);
    while let Some(row) = rows.next_row()? {
        if row.time < before.time {
            return Ok(None);
        }
        if row.time == before.time {
            let problem = TraceProblem::RepeatedTime { first_line: before.line as usize };
            return Err(located(row.line, row.column as usize, problem));
        }
        spread.add(before.value, before.time - origin, row.time - origin, before.line, row.line)?;
        interval = Some(row.time - before.time);
        before = row;
    }
    let Some(interval) = interval else {
        return Err(located(first.line, 1, TraceProblem::OneRow));
    };
    let start = before.time - origin;
    spread.add(before.value, start, start + interval, before.line, before.line)?;
    Ok(Some(spread.counts))
}

/// A series in any order: every row kept, sorted, then spread.
fn series_sorted<R: BufRead>(input: R, columns: &SeriesColumns) -> Result<Vec<f64>, TraceError> {
    let mut reader = SeriesRows::new(input, columns)?;
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        rows.push(row);
    }
    match rows.len() {
        0 => return Err(located(reader.last_line + 1, 1, TraceProblem::NoRows)),
        1 => return Err(located(rows[0].line, 1, TraceProblem::OneRow)),
        _ => {}
    }
    rows.sort_by_key(|r| r.time);
    if let Some(w) = rows.windows(2).find(|w| w[0].time == w[1].time) {
        let (first, again) = if w[0].line < w[1].line { (w[0], w[1]) } else { (w[1], w[0]) };
        let problem = TraceProblem::RepeatedTime { first_line: first.line as usize };
        return Err(located(again.line, again.column as usize, problem));
    }
    let origin = reader.origin(rows[0].time);
    let (last, before_last) = (rows[rows.len() - 1], rows[rows.len() - 2]);
    // Saturating: two times 500 years apart (epoch seconds out of order) overflowed here.
    let end = (last.time - origin).saturating_add(last.time - before_last.time);
    let minutes = end.div_ceil(NANOS_PER_MINUTE) as usize;
    if minutes > MAX_SERIES_MINUTES {
        return Err(located(last.line, 1, TraceProblem::TooLong { days: minutes / 1440 }));
    }
    let value = reader.header[reader.value].clone();
    let mut spread = Spread { holds: columns.holds, counts: vec![0.0; minutes], value };
    for (k, row) in rows.iter().enumerate() {
        let stop = rows.get(k + 1).map_or(end, |next| next.time - origin);
        spread.add(row.value, row.time - origin, stop, row.line, row.line)?;
    }
    Ok(spread.counts)
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
    read_duration_percentiles(text.as_bytes(), functions)
}

/// [`parse_duration_percentiles`] read a line at a time: one distribution per chosen
/// function is kept.
pub fn read_duration_percentiles<R: BufRead>(input: R, functions: &[String]) -> Result<Dist, TraceError> {
    let mut rows = Lines::new(input);
    let Some((line_no, first)) = rows.next_line()? else {
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
    while let Some((line_no, text)) = rows.next_line()? {
        any_row = true;
        last_line = line_no;
        let row = Row::new(line_no, text);
        row.check_width(&header)?;
        let hash = row.get(hash_col);
        let count =
            row.number_at_most(count_col, &header, MAX_PER_DAY, "86,400,000,000 a day (1e6 requests/s)")?;
        let mut values = Vec::with_capacity(pct_cols.len());
        for &c in &pct_cols {
            values
                .push(row.number_at_most(c, &header, MAX_DURATION_MS, "ten years in milliseconds")? / 1000.0);
        }
        if !(wanted.is_empty() || wanted.contains(hash)) {
            continue;
        }
        if !wanted.is_empty() && !found.contains(hash) {
            found.insert(hash.to_string());
        }
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

    /// Numbers no real trace holds are refused where they stand: a minute's count above
    /// the format's 1e6 requests/s, a duration percentile above ten years.
    #[test]
    fn absurd_counts_and_durations_are_refused_at_their_column() {
        let e = err("HashFunction,HashApp,HashOwner,minute_1,minute_2\nf1,a,o,1,1e308\n");
        assert_eq!((e.line, e.column), (2, 10));
        assert!(matches!(e.problem, TraceProblem::AboveLimit { .. }), "{e:?}");
        assert_eq!(
            parse_minute_counts("HashFunction,HashApp,HashOwner,minute_1\nf1,a,o,60000000\n", &all())
                .unwrap()
                .counts,
            vec![6e7]
        );
        let header = "HashFunction,HashApp,HashOwner,Count,percentile_Average_0,percentile_Average_1,\
            percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n";
        let e =
            parse_duration_percentiles(&format!("{header}f,a,o,10,1,2,3,4,5,6,1e308\n"), &all()).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(matches!(e.problem, TraceProblem::AboveLimit { .. }), "{e:?}");
        let e =
            parse_duration_percentiles(&format!("{header}f,a,o,1e300,1,2,3,4,5,6,7\n"), &all()).unwrap_err();
        assert!(matches!(e.problem, TraceProblem::AboveLimit { .. }), "{e:?}");
        assert!(parse_duration_percentiles(&format!("{header}f,a,o,10,1,2,3,4,5,6,7\n"), &all()).is_ok());
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

    /// A recorded duration beyond ten years (the scenario format's longest) is refused
    /// at its column, in a CSV log and in an ALB log, instead of being replayed.
    #[test]
    fn absurd_recorded_durations_are_refused_at_their_column() {
        let e = parse_timestamps("timestamp,duration\n1,0.1\n2,1e10\n", DemandPart::Cpu).unwrap_err();
        assert_eq!((e.line, e.column), (3, 3));
        assert!(matches!(e.problem, TraceProblem::AboveLimit { .. }), "{e}");
        assert!(parse_timestamps("timestamp,duration\n1,315000000\n", DemandPart::Cpu).is_ok());
        let alb =
            "https 2026-03-02T00:00:01.5Z app/lb/1 1.2.3.4:5 10.0.0.1:80 0.000 1e300 0.000 200 200 0 57\n";
        let e = parse_access_log(alb, AccessLog::Alb, DemandPart::Io).unwrap_err();
        assert_eq!((e.line, e.column), (1, 67));
        assert!(matches!(e.problem, TraceProblem::AboveLimit { .. }), "{e}");
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

    /// The same four requests as seconds from the start, epoch milliseconds, epoch
    /// microseconds and RFC 3339 (two time zones): identical arrivals.
    #[test]
    fn clock_time_formats_replay_to_the_same_arrivals_as_seconds() {
        let seconds = "timestamp\n0.25\n3600\n50000.5\n86399.999\n";
        // 2023-11-14 00:00:00 UTC is 1699920000 s after the epoch.
        let ms = "timestamp\n1699920000250\n1699923600000\n1699970000500\n1700006399999\n";
        let us = "timestamp\n1699920000250000\n1699923600000000\n1699970000500000\n1700006399999000\n";
        let rfc = "timestamp\n2023-11-14T00:00:00.25Z\n2023-11-14T02:00:00+01:00\n\
                   2023-11-14 13:53:20.5Z\n2023-11-14T23:59:59.999z\n";
        let want = parse_timestamps(seconds, DemandPart::Cpu).unwrap();
        assert_eq!(want.times(), &[250_000_000, 3_600_000_000_000, 50_000_500_000_000, 86_399_999_000_000]);
        for text in [ms, us, rfc] {
            assert_eq!(parse_timestamps(text, DemandPart::Cpu).unwrap().times(), want.times(), "{text}");
        }
        // Said rather than detected, and a column of another name.
        let named =
            TimestampColumns { time: "ts".into(), format: TimeFormat::EpochMillis, ..Default::default() };
        let r = parse_timestamps_with(&ms.replace("timestamp", "ts"), DemandPart::Cpu, &named).unwrap();
        assert_eq!(r.times(), want.times());
        let e = parse_timestamps_with("ts\n2023-11-14T00:00:00Z\n", DemandPart::Cpu, &named).unwrap_err();
        assert_eq!((e.line, e.column), (2, 1));
        assert!(matches!(e.problem, TraceProblem::BadTime { format: "epoch-ms", .. }), "{e}");
        // A date that does not exist is not a time.
        let e = parse_timestamps("timestamp\n2023-02-29T00:00:00Z\n", DemandPart::Cpu).unwrap_err();
        assert!(matches!(e.problem, TraceProblem::BadTime { .. }), "{e}");
    }

    #[test]
    fn timestamps_are_read_as_csv() {
        // Quoted header and fields, CRLF, a byte-order mark, a comma inside quotes.
        let text = "\u{feff}\"path\",\"timestamp\",\"duration\"\r\n\"/a,b\",\"1.5\",0.25\r\n/c,2,0.5\r\n";
        let r = parse_timestamps(text, DemandPart::Cpu).unwrap();
        assert_eq!(r.times(), &[1_500_000_000, 2_000_000_000]);
        assert_eq!(r.duration(1), Some(SimDuration::from_millis(500)));
        // Errors keep their line and column, quotes counted as written.
        let e = parse_timestamps("\"path\",timestamp\n\"/a,b\",x\n", DemandPart::Cpu).unwrap_err();
        assert_eq!((e.line, e.column), (2, 8), "{e}");
        // A header alone, and a duplicate time column, are refused.
        let e = parse_timestamps("timestamp,duration\n", DemandPart::Cpu).unwrap_err();
        assert_eq!(e.problem, TraceProblem::NoRows);
        let e = parse_timestamps("timestamp,Timestamp\n1,2\n", DemandPart::Cpu).unwrap_err();
        assert_eq!(
            (e.line, e.column, e.problem.clone()),
            (1, 11, TraceProblem::DuplicateColumn { name: "timestamp".into() })
        );
    }

    #[test]
    fn a_series_becomes_requests_per_minute_at_any_interval() {
        // Five-minute counts (CloudWatch): each spread over its five minutes.
        let five = "time,value\n0,300\n300,600\n600,0\n";
        let c = parse_series(five, &SeriesColumns::default()).unwrap();
        assert_eq!(c.len(), 15, "the last row holds for the interval before it");
        assert_eq!(&c[..6], &[60.0, 60.0, 60.0, 60.0, 60.0, 120.0]);
        assert!(c[10..].iter().all(|&x| x == 0.0));
        // 15-second rates (Prometheus rate()), epoch seconds, quoted, named columns, any order.
        let cols = SeriesColumns {
            time: "Timestamp".into(),
            value: "rps".into(),
            holds: SeriesValue::Rate,
            format: TimeFormat::Auto,
        };
        let prom =
            "\"Timestamp\",\"rps\"\r\n1772409630,4\r\n1772409600,2\r\n1772409615,2\r\n1772409645,4\r\n";
        let c = parse_series(prom, &cols).unwrap();
        // 00:00:00-00:01:00 UTC: 15 s at 2, 15 s at 2, 15 s at 4, 15 s at 4 = 180 requests.
        assert_eq!(c, vec![180.0]);
        // RFC 3339 gives the same as epoch seconds.
        let rfc = "Timestamp,rps\n2026-03-02T00:00:00Z,2\n2026-03-02T00:00:15Z,2\n2026-03-02T00:00:30Z,4\n2026-03-02T00:00:45Z,4\n";
        assert_eq!(parse_series(rfc, &cols).unwrap(), c);
    }

    #[test]
    fn a_malformed_series_is_located() {
        let d = SeriesColumns::default();
        let e = parse_series("time,value\n0,1\n60,x\n", &d).unwrap_err();
        assert_eq!((e.line, e.column), (3, 4));
        let e = parse_series("time,value\n0,1\n", &d).unwrap_err();
        assert_eq!(e.problem, TraceProblem::OneRow);
        let e = parse_series("time,value\n", &d).unwrap_err();
        assert_eq!(e.problem, TraceProblem::NoRows);
        let e = parse_series("time,value\n0,1\n60,2\n0,3\n", &d).unwrap_err();
        assert_eq!((e.line, e.column, e.problem), (4, 1, TraceProblem::RepeatedTime { first_line: 2 }));
        let e = parse_series("time,count\n0,1\n", &d).unwrap_err();
        assert_eq!(e.problem, TraceProblem::MissingHeaderColumn { name: "value".into() });
        let e = parse_series("time,value,Value\n0,1,1\n", &d).unwrap_err();
        assert_eq!((e.line, e.column), (1, 12));
        // Epoch seconds said to be seconds from the start would span 56 years.
        let us = SeriesColumns { format: TimeFormat::Seconds, ..Default::default() };
        let e = parse_series("time,value\n0,1\n1772409600,1\n", &us).unwrap_err();
        assert!(matches!(e.problem, TraceProblem::TooLong { .. }), "{e}");
        // Values no series holds: at their column when the value alone is absurd, at
        // the row when its count over its interval is above 1e6 requests/s.
        let e = parse_series("time,value\n0,1e300\n60,1\n", &d).unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
        assert!(matches!(e.problem, TraceProblem::AboveLimit { .. }), "{e}");
        let rate = SeriesColumns { holds: SeriesValue::Rate, ..Default::default() };
        let e = parse_series("time,value\n0,1\n60,2e6\n", &rate).unwrap_err();
        assert_eq!((e.line, e.column), (3, 4));
        let e = parse_series("time,value\n0,1\n1,2e6\n2,1\n", &d).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let unsorted = parse_series("time,value\n2,1\n1,2e6\n0,1\n", &d).unwrap_err();
        assert_eq!((unsorted.line, &unsorted.problem), (3, &e.problem));
        assert!(e.to_string().contains("2000000 over 1 s is above 1e6 requests/s"), "{e}");
        assert!(parse_series("time,value\n0,6e7\n60,1\n", &d).is_ok(), "1e6 requests/s is allowed");
        // Times 540 years apart, out of order: too long, not an overflow.
        for text in ["time,value\n17000000000,1\n0,1\n", "time,value\n0,1\n17000000000,1\n"] {
            let e = parse_series(text, &d).unwrap_err();
            assert!(matches!(e.problem, TraceProblem::TooLong { .. }), "{e}");
        }
    }

    #[test]
    fn access_logs_give_arrival_times() {
        let nginx = "10.0.0.1 - - [02/Mar/2026:00:00:01 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"curl\"\n\
                     10.0.0.2 - bob [02/Mar/2026:02:00:02 +0100] \"POST /x HTTP/1.1\" 201 7 \"-\" \"curl\"\n";
        let r = parse_access_log(nginx, AccessLog::Combined, DemandPart::Cpu).unwrap();
        assert_eq!(r.times(), &[1_000_000_000, 3_602_000_000_000]);
        assert!(!r.has_durations());
        let e = parse_access_log(
            "x - - [02/Mar/2026:25:00:00 +0000] \"GET /\"\n",
            AccessLog::Combined,
            DemandPart::Cpu,
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (1, 8));
        // An ALB logs when it responded: the arrival is that less the processing times.
        let alb = "https 2026-03-02T00:00:01.500000Z app/lb/1 1.2.3.4:5 10.0.0.1:80 0.000 0.250 0.000 200 200 0 57 \"GET https://x:443/ HTTP/1.1\" \"curl\" - -\n\
                   https 2026-03-02T00:00:03.000000Z app/lb/1 1.2.3.4:6 10.0.0.1:80 0.001 0.499 0.000 200 200 0 57 \"GET https://x:443/ HTTP/1.1\" \"curl\" - -\n";
        let r = parse_access_log(alb, AccessLog::Alb, DemandPart::Io).unwrap();
        assert_eq!(r.times(), &[1_250_000_000, 2_500_000_000]);
        assert_eq!(r.duration(1), Some(SimDuration::from_millis(499)));
        let e =
            parse_access_log("https 2026-03-02T00:00:01Z lb c t 0 x 0\n", AccessLog::Alb, DemandPart::Cpu)
                .unwrap_err();
        assert_eq!((e.line, e.column), (1, 37));
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

    /// A file that never ends: `head`, then `line` again and again. It counts the bytes
    /// taken from it, and cannot seek.
    struct Endless {
        head: Vec<u8>,
        line: Vec<u8>,
        at: usize,
        taken: std::rc::Rc<std::cell::Cell<usize>>,
    }

    impl Endless {
        fn new(head: &str, line: &str) -> (std::io::BufReader<Self>, std::rc::Rc<std::cell::Cell<usize>>) {
            let taken = std::rc::Rc::new(std::cell::Cell::new(0));
            let reader = Endless { head: head.into(), line: line.into(), at: 0, taken: taken.clone() };
            (std::io::BufReader::new(reader), taken)
        }
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let mut n = 0;
            while n < buf.len() {
                let byte = if self.at < self.head.len() {
                    self.head[self.at]
                } else {
                    self.line[(self.at - self.head.len()) % self.line.len()]
                };
                buf[n] = byte;
                self.at += 1;
                n += 1;
            }
            self.taken.set(self.taken.get() + n);
            Ok(n)
        }
    }

    impl Seek for Endless {
        fn seek(&mut self, _: SeekFrom) -> std::io::Result<u64> {
            Err(std::io::Error::other("an endless file cannot seek"))
        }
    }

    /// Every reader stops at the first bad line of a file that never ends: a parser that
    /// read the file whole first would never return. It takes what it has read ahead,
    /// a few buffers, not the file.
    #[test]
    fn every_reader_stops_at_the_first_bad_line_of_an_endless_file() {
        let check = |e: TraceError, taken: usize, line: usize| {
            assert_eq!(e.line, line, "{e}");
            assert!(taken < 64 << 10, "{taken} bytes read to find a bad line {line}");
        };
        let (r, taken) =
            Endless::new("HashFunction,HashApp,HashOwner,minute_1\nf,a,o,1\nf,a,o,x\n", "f,a,o,1\n");
        check(read_minute_counts(r, &[]).unwrap_err(), taken.get(), 3);
        let (r, taken) = Endless::new("timestamp,duration\n1,0.1\n2,-1\n", "3,0.1\n");
        check(read_timestamps(r, DemandPart::Cpu, &TimestampColumns::default()).unwrap_err(), taken.get(), 3);
        let (r, taken) = Endless::new("time,value\n0,1\n60,x\n", "120,1\n");
        check(read_series(r, &SeriesColumns::default()).unwrap_err(), taken.get(), 3);
        let (r, taken) = Endless::new(
            "x - - [02/Mar/2026:00:00:01 +0000] \"GET /\"\nx - - [02/Mar/2026:25:00:00 +0000] \"GET /\"\n",
            "x - - [02/Mar/2026:00:00:01 +0000] \"GET /\"\n",
        );
        check(read_access_log(r, AccessLog::Combined, DemandPart::Cpu).unwrap_err(), taken.get(), 2);
        let header = "HashFunction,HashApp,HashOwner,Count,percentile_Average_0,percentile_Average_1,\
            percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n";
        let (r, taken) =
            Endless::new(&format!("{header}f,a,o,10,1,2,3,4,5,6,-7\n"), "f,a,o,10,1,2,3,4,5,6,7\n");
        check(read_duration_percentiles(r, &[]).unwrap_err(), taken.get(), 2);
    }

    /// A line that never ends (a file with no newline, a device read by mistake) is
    /// refused once it passes MAX_LINE_BYTES, not held whole, in both kinds of reader.
    #[test]
    fn a_line_that_never_ends_is_refused_where_it_starts() {
        let too_long = |e: TraceError, taken: usize, line: usize| {
            assert_eq!(
                (e.line, e.problem.clone()),
                (line, TraceProblem::LineTooLong { limit: MAX_LINE_BYTES })
            );
            assert!(taken < 3 * MAX_LINE_BYTES, "{taken} bytes read");
        };
        let (r, taken) = Endless::new("HashFunction,HashApp,HashOwner,minute_1\nf,a,o,1\n", "0");
        too_long(read_minute_counts(r, &[]).unwrap_err(), taken.get(), 3);
        let (r, taken) = Endless::new("timestamp\n1\n", "0");
        too_long(
            read_timestamps(r, DemandPart::Cpu, &TimestampColumns::default()).unwrap_err(),
            taken.get(),
            3,
        );
        let (r, taken) = Endless::new("", "\0");
        too_long(read_series(r, &SeriesColumns::default()).unwrap_err(), taken.get(), 1);
        let (r, taken) = Endless::new("", "\0");
        too_long(read_access_log(r, AccessLog::Alb, DemandPart::Cpu).unwrap_err(), taken.get(), 1);
        // A long line below the bound is read.
        let wide = format!("timestamp,note\n1,{}\n", "x".repeat(100_000));
        assert_eq!(parse_timestamps(&wide, DemandPart::Cpu).unwrap().len(), 1);
    }

    /// Bytes that are not UTF-8 are located at their line and column, in every reader.
    #[test]
    fn bytes_that_are_not_utf8_are_located() {
        let check = |e: TraceError, at: (usize, usize)| {
            assert_eq!(
                (e.line, e.column, e.problem.clone()),
                (at.0, at.1, TraceProblem::NotUtf8 { byte: 0xe9 })
            );
            assert!(e.to_string().contains("byte 0xe9 is not UTF-8 text"), "{e}");
        };
        let latin1 =
            |text: &str| -> Vec<u8> { text.bytes().map(|b| if b == b'~' { 0xe9 } else { b }).collect() };
        let minutes = latin1("HashFunction,HashApp,HashOwner,minute_1\nf,a~,o,1\n");
        check(read_minute_counts(&minutes[..], &[]).unwrap_err(), (2, 4));
        let stamps = latin1("timestamp,path\n1,/\n2,/caf~\n");
        check(
            read_timestamps(&stamps[..], DemandPart::Cpu, &TimestampColumns::default()).unwrap_err(),
            (3, 7),
        );
        let series = latin1("time,value\n0,1\n60,1~\n");
        check(read_series(std::io::Cursor::new(series), &SeriesColumns::default()).unwrap_err(), (3, 5));
        let log = latin1("x - - [02/Mar/2026:00:00:01 +0000] \"GET /~\"\n");
        check(read_access_log(&log[..], AccessLog::Combined, DemandPart::Cpu).unwrap_err(), (1, 42));
    }

    /// A series in time order is spread as it is read, never sought back; the same rows
    /// in any other order are sorted and give the same counts, bit for bit.
    #[test]
    fn a_series_in_any_order_gives_the_counts_of_the_same_series_in_order() {
        let rows: Vec<String> =
            (0..500u64).map(|k| format!("{},{}.{}\n", k * 7 + k % 3, k % 17, k % 7)).collect();
        let in_order = format!("time,value\n{}", rows.concat());
        // Read in order from a file that cannot seek: the rows were never needed twice.
        struct NoSeek<'a>(&'a [u8]);
        impl Read for NoSeek<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.0.read(buf)
            }
        }
        impl Seek for NoSeek<'_> {
            fn seek(&mut self, _: SeekFrom) -> std::io::Result<u64> {
                Err(std::io::Error::other("cannot seek"))
            }
        }
        let r = std::io::BufReader::new(NoSeek(in_order.as_bytes()));
        let streamed = read_series(r, &SeriesColumns::default()).unwrap();
        let mut shuffled = rows.clone();
        shuffled.reverse();
        shuffled.swap(3, 300);
        let sorted =
            parse_series(&format!("time,value\n{}", shuffled.concat()), &SeriesColumns::default()).unwrap();
        assert_eq!(streamed.len(), sorted.len());
        assert!(streamed.iter().zip(&sorted).all(|(a, b)| a.to_bits() == b.to_bits()));
        let rate = SeriesColumns { holds: SeriesValue::Rate, ..Default::default() };
        let a = parse_series(&in_order, &rate).unwrap();
        let b = parse_series(&format!("time,value\n{}", shuffled.concat()), &rate).unwrap();
        assert!(a.iter().zip(&b).all(|(a, b)| a.to_bits() == b.to_bits()) && a.len() == b.len());
        // A repeated time in order is found where it is read.
        let e = parse_series("time,value\n0,1\n60,2\n60,3\n120,1\n", &SeriesColumns::default()).unwrap_err();
        assert_eq!((e.line, e.column, e.problem), (4, 1, TraceProblem::RepeatedTime { first_line: 3 }));
    }
}
