//! Errors that point at the file, line, column and key, with the offending line underlined
//! and, where one exists, a hint of what is allowed ("did you mean `max_instances`?").
//!
//! Problems are found on key paths (`platform[1].autoscaler.keep_alive`); the [`Locator`]
//! turns a path into a place: a span of the source file, found through toml's spanned
//! `DeTable`, or the command-line override (`--set ...`) the value came from.

use std::fmt;
use toml::de::{DeTable, DeValue};

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Dotted key path, e.g. `platform[1].instance.concurrency` (empty if none applies).
    pub key: String,
    /// 1-based line and column (0 when the location is unknown or not in the file).
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The source line the error points at.
    pub snippet: String,
    /// How many characters from `column` the problem spans (for the underline).
    pub width: usize,
    /// What would be accepted instead, e.g. "did you mean `max_instances`?".
    pub help: Option<String>,
    /// The command-line override the offending value came from, e.g.
    /// `--set simulation.replications=0`, when it did not come from the file.
    pub set_by: Option<String>,
}

impl Diagnostic {
    /// A problem with no place in the file (an unreadable file, a missing table).
    pub fn unplaced(key: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            key: key.into(),
            line: 0,
            column: 0,
            message: message.into(),
            snippet: String::new(),
            width: 0,
            help: None,
            set_by: None,
        }
    }

    pub fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
}

/// Everything wrong with one scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub origin: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioError {
    /// A failure with a single diagnostic.
    pub fn single(origin: impl Into<String>, diagnostic: Diagnostic) -> Self {
        ScenarioError { origin: origin.into(), diagnostics: vec![diagnostic] }
    }
}

impl std::error::Error for ScenarioError {}

/// Diagnostics printed of one file: beyond these, a count. A file of 50,000 unknown
/// keys printed 18 MB; the first hundred say what is wrong.
pub const MAX_SHOWN: usize = 100;

/// Characters of a source line shown around the column a diagnostic points at.
const SNIPPET_CHARS: usize = 120;

/// The part of `line` shown for a diagnostic at (0-based, in characters) `column`, and
/// the column within it: the whole line when short, else a window with `...` marks.
fn window(line: &str, column: usize) -> (String, usize) {
    let n = line.chars().count();
    if n <= SNIPPET_CHARS {
        return (line.to_string(), column);
    }
    let start = column.saturating_sub(SNIPPET_CHARS / 3).min(n.saturating_sub(SNIPPET_CHARS));
    let mut shown: String = line.chars().skip(start).take(SNIPPET_CHARS).collect();
    let mut at = column - start.min(column);
    if start > 0 {
        shown.insert_str(0, "...");
        at += 3;
    }
    if start + SNIPPET_CHARS < n {
        shown.push_str("...");
    }
    (shown, at)
}

impl fmt::Display for ScenarioError {
    /// rustc-style: `error: file:line:column: `key`: message`, then the line with the
    /// problem underlined, then `= help: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().take(MAX_SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {}", self.origin)?;
            if let Some(set_by) = &d.set_by {
                write!(f, " ({set_by})")?;
            } else if d.line > 0 {
                write!(f, ":{}:{}", d.line, d.column)?;
            }
            if !d.key.is_empty() {
                write!(f, ": `{}`", d.key)?;
            }
            write!(f, ": {}", d.message)?;
            let gutter = " ".repeat(d.line.to_string().len());
            if d.set_by.is_none() && d.line > 0 && !d.snippet.is_empty() {
                // Padded by hand (a `{:pad$}` width above 65,535 panics) and cut to a
                // window around the column: a line may be megabytes long.
                let (shown, column) = window(&d.snippet, d.column.saturating_sub(1));
                write!(
                    f,
                    "\n{gutter} |\n{} | {shown}\n{gutter} | {}{}",
                    d.line,
                    " ".repeat(column),
                    "^".repeat(d.width.clamp(1, SNIPPET_CHARS)),
                )?;
            }
            if let Some(help) = &d.help {
                write!(f, "\n{gutter} = help: {help}")?;
            }
        }
        if let Some(more) = self.diagnostics.len().checked_sub(MAX_SHOWN).filter(|&m| m > 0) {
            write!(f, "\nerror: {}: ... and {more} more error(s) not shown; fix these first", self.origin)?;
        }
        Ok(())
    }
}

/// The line (1-based) and text of the header or key with the most dotted parts, counting
/// dots outside quotes: where a "recursion limit" comes from.
fn deepest_key_line(source: &str) -> Option<(usize, String)> {
    let depth = |line: &str| {
        let key = line.trim_start().trim_start_matches('[');
        let (mut parts, mut quote) = (1, None);
        for ch in key.chars() {
            match (quote, ch) {
                (None, '"' | '\'') => quote = Some(ch),
                (Some(q), c) if c == q => quote = None,
                (None, '.') => parts += 1,
                (None, '=' | ']' | '#') => break,
                _ => {}
            }
        }
        parts
    };
    let (i, line) = source.lines().enumerate().max_by_key(|&(i, l)| (depth(l), std::cmp::Reverse(i)))?;
    Some((i + 1, line.to_string()))
}

/// A step in a key path.
#[derive(Clone, Debug, Eq)]
pub enum Seg {
    /// A key named in code (validation).
    Key(&'static str),
    /// A key found in a document (structure checks, overrides).
    Name(String),
    Index(usize),
}

impl Seg {
    /// The key this step names, if it is a key.
    pub fn key(&self) -> Option<&str> {
        match self {
            Seg::Key(k) => Some(k),
            Seg::Name(k) => Some(k),
            Seg::Index(_) => None,
        }
    }
}

/// `Key("a")` and `Name("a")` are the same step.
impl PartialEq for Seg {
    fn eq(&self, other: &Seg) -> bool {
        match (self, other) {
            (Seg::Index(a), Seg::Index(b)) => a == b,
            _ => self.key().is_some() && self.key() == other.key(),
        }
    }
}

pub fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg.key() {
            Some(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            None => {
                if let Seg::Index(i) = seg {
                    s.push_str(&format!("[{i}]"));
                }
            }
        }
    }
    s
}

/// Which part of an entry a diagnostic points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The key (`max_instancs = 3` points at `max_instancs`): for unknown keys.
    Key,
    /// The value: for wrong types and impossible values.
    Value,
}

/// Maps byte offsets and key paths of one source to lines and columns, and key paths
/// set on the command line to the override that set them.
pub struct Locator<'a> {
    source: &'a str,
    doc: toml::Spanned<DeTable<'a>>,
    syntax: Vec<toml::de::Error>,
    /// Paths set by overrides, with how to name each override; later ones win.
    overridden: Vec<(Vec<Seg>, String)>,
    /// Arrays whose elements were renumbered after some were removed: for each, the
    /// index in the file of every remaining element.
    renumbered: Vec<(Vec<Seg>, Vec<usize>)>,
    /// Byte offset of the start of every line (the first is 0).
    line_starts: Vec<usize>,
}

impl<'a> Locator<'a> {
    /// Parses `source` (recovering from syntax errors, which [`Locator::syntax_errors`]
    /// returns, every one of them).
    pub fn new(source: &'a str) -> Self {
        let (doc, syntax) = DeTable::parse_recoverable(source);
        let line_starts = std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Locator { source, doc, syntax, overridden: Vec::new(), renumbered: Vec::new(), line_starts }
    }

    /// Every TOML syntax error in the source, in file order.
    pub fn syntax_errors(&self) -> Vec<Diagnostic> {
        let mut found: Vec<Diagnostic> = self.syntax.iter().map(|e| self.from_toml(e)).collect();
        found.sort_by_key(|d| (d.line, d.column));
        found
    }

    /// Records that the value at `path` (and everything under it) came from an override.
    pub fn set_by(&mut self, path: Vec<Seg>, label: String) {
        self.overridden.push((path, label));
    }

    /// Records that the elements of the array at `array` were renumbered: element `j`
    /// now is element `in_file[j]` of the file.
    pub fn renumber(&mut self, array: Vec<Seg>, in_file: Vec<usize>) {
        self.renumbered.push((array, in_file));
    }

    /// `path` with renumbered array indices turned back into the file's.
    fn as_in_file(&self, path: &[Seg]) -> Vec<Seg> {
        let mut path = path.to_vec();
        for (array, in_file) in &self.renumbered {
            let n = array.len();
            if path.len() > n && path[..n] == array[..] {
                if let Seg::Index(j) = path[n] {
                    path[n] = Seg::Index(in_file.get(j).copied().unwrap_or(j));
                }
            }
        }
        path
    }

    /// Line, column (1-based) and text of the line holding byte `offset`.
    pub fn position(&self, offset: usize) -> (usize, usize, String) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        // A binary search in the line starts: counting newlines from the top for each
        // diagnostic made a file of many errors quadratic (50k unknown keys: 20 s).
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self.line_starts[line - 1];
        let column = self.source[line_start..offset].chars().count() + 1;
        let text = self.source[line_start..].lines().next().unwrap_or("").to_string();
        (line, column, text)
    }

    /// The entry at `path` (key span, value span, and whether it is `path` itself), or the
    /// nearest existing ancestor's.
    fn entry_of(&self, path: &[Seg]) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>, bool)> {
        let mut found = None;
        let mut depth = 0;
        let mut table: Option<&DeTable> = Some(self.doc.get_ref());
        let mut value: Option<&DeValue> = None;
        for seg in path {
            let next = match (seg, table, value) {
                (Seg::Index(i), _, Some(DeValue::Array(a))) => a.get(*i).map(|v| (v.span(), v)),
                // A map lookup, not a scan: one scan per diagnostic made a file of many
                // unknown keys quadratic.
                (seg, Some(t), _) => {
                    seg.key().and_then(|k| t.get_key_value(k)).map(|(key, v)| (key.span(), v))
                }
                _ => None,
            };
            let Some((key_span, next)) = next else { break };
            depth += 1;
            found = Some((key_span, next.span(), depth == path.len()));
            value = Some(next.get_ref());
            table = match next.get_ref() {
                DeValue::Table(t) => Some(t),
                _ => None,
            };
        }
        found
    }

    /// Byte span of the value at `path`, or of its nearest existing ancestor.
    pub fn span_of(&self, path: &[Seg]) -> Option<std::ops::Range<usize>> {
        self.entry_of(path).map(|(_, value, _)| value)
    }

    /// The override that set `path` or one of its ancestors, if any (the last one wins).
    fn override_of(&self, path: &[Seg]) -> Option<&str> {
        self.overridden
            .iter()
            .rev()
            .find(|(set, _)| path.len() >= set.len() && path[..set.len()] == set[..])
            .map(|(_, label)| label.as_str())
    }

    /// The override that set the value at `path` (or one of its ancestors), named as
    /// messages name it; `None` for a value the file has.
    pub fn overridden_by(&self, path: &[Seg]) -> Option<&str> {
        self.override_of(&self.as_in_file(path))
    }

    /// The value the file itself (before any override) has at `path` (file indices).
    fn file_value(&self, path: &[Seg]) -> Option<&DeValue<'a>> {
        let (first, rest) = path.split_first()?;
        let mut value = self.doc.get_ref().get(first.key()?)?.get_ref();
        for seg in rest {
            value = match (seg, value) {
                (Seg::Index(i), DeValue::Array(a)) => a.get(*i)?.get_ref(),
                (seg, DeValue::Table(t)) => t.get(seg.key()?)?.get_ref(),
                _ => return None,
            };
        }
        Some(value)
    }

    /// The override that renamed, or replaced, the entry the file names `name` in the
    /// array of tables `array` (`platform`, `service`; or the single `[service]` table):
    /// a reference the file makes to `name` (a spill's `to`, a
    /// `[platform.services.NAME]` table) is broken by that override, not by the file.
    pub fn renamed_by(&self, array: &'static str, name: &str) -> Option<&str> {
        let entries: Vec<Vec<Seg>> = match self.file_value(&[Seg::Key(array)])? {
            DeValue::Array(items) => (0..items.len()).map(|k| vec![Seg::Key(array), Seg::Index(k)]).collect(),
            DeValue::Table(_) => vec![vec![Seg::Key(array)]],
            _ => return None,
        };
        entries.into_iter().find_map(|entry| {
            let at = [entry, vec![Seg::Key("name")]].concat();
            let named = matches!(self.file_value(&at), Some(DeValue::String(s)) if s == name);
            if named {
                self.override_of(&at)
            } else {
                None
            }
        })
    }

    /// A diagnostic pointing at the value at `path`.
    pub fn diagnostic(&self, path: &[Seg], message: impl Into<String>) -> Diagnostic {
        self.diagnostic_at(path, Part::Value, message)
    }

    /// A diagnostic pointing at the key or the value at `path` (or at the override that
    /// set it).
    pub fn diagnostic_at(&self, path: &[Seg], part: Part, message: impl Into<String>) -> Diagnostic {
        let path = &self.as_in_file(path);
        let mut d = Diagnostic::unplaced(path_string(path), message);
        if let Some(label) = self.override_of(path) {
            d.set_by = Some(label.to_string());
            return d;
        }
        let entry = self.entry_of(path);
        if !entry.as_ref().is_some_and(|e| e.2) {
            // Not in the file, but an override created the first of its keys the file
            // lacks (`--set platform.eks.services.apii.min_instances=1` made
            // `services.apii`; `--set platform[0].router.max_queue=5` made a `router`
            // with no `kind`): that override is where it came from.
            let depth = (1..=path.len()).rev().find(|&k| self.file_value(&path[..k]).is_some()).unwrap_or(0);
            let first_missing = &path[..(depth + 1).min(path.len())];
            if let Some((_, label)) = self.overridden.iter().rev().find(|(set, _)| {
                set.len() >= first_missing.len() && set[..first_missing.len()] == *first_missing
            }) {
                d.set_by = Some(label.clone());
                return d;
            }
        }
        if let Some((key, value, exact)) = entry {
            // A key deeper than what the file has (a default, a missing key) points at
            // the nearest table the file does have.
            let span = if exact && part == Part::Key { key } else { value };
            self.place(&mut d, span);
        }
        d
    }

    fn place(&self, d: &mut Diagnostic, span: std::ops::Range<usize>) {
        let (line, column, snippet) = self.position(span.start);
        let on_line = snippet.chars().count().saturating_sub(column - 1);
        let len = self.source.get(span.clone()).map_or(1, |s| s.chars().count());
        d.line = line;
        d.column = column;
        d.snippet = snippet;
        d.width = len.min(on_line).max(1);
    }

    /// A diagnostic from a TOML syntax or type error.
    pub fn from_toml(&self, err: &toml::de::Error) -> Diagnostic {
        let key = err
            .span()
            .map(|s| {
                Some(self.key_at(s.start))
                    .filter(|k| !k.is_empty())
                    .unwrap_or_else(|| self.key_written_at(s.start))
            })
            .unwrap_or_default();
        let mut d = Diagnostic::unplaced(key, err.message().trim().replace('\n', "; "));
        if let Some(span) = err.span() {
            self.place(&mut d, span);
        } else if let Some((line, snippet)) =
            deepest_key_line(self.source).filter(|_| d.message.contains("recursion"))
        {
            // The parser's depth limit comes without a place: point at the line that
            // nests deepest.
            d.message.push_str(": tables nest too deep here (scenario keys are a few levels deep)");
            d.line = line;
            d.column = 1;
            d.width = snippet.chars().count();
            d.snippet = snippet;
        }
        d
    }

    /// The key a line of text sets, read from the text itself, for syntax errors, which
    /// leave no parsed entry to look up: the last `[table]` or `[[array]]` header before
    /// `offset` (counting array elements) and the key at the start of the line, if any.
    fn key_written_at(&self, offset: usize) -> String {
        let (line, _, text) = self.position(offset);
        let mut table = String::new();
        let mut seen: Vec<String> = Vec::new();
        for header in self.source.lines().take(line).map(str::trim) {
            if let Some(name) = header.strip_prefix("[[") {
                let name = name.split("]]").next().unwrap_or(name).trim().to_string();
                let index = seen.iter().filter(|s| **s == name).count();
                seen.push(name.clone());
                table = format!("{name}[{index}]");
            } else if let Some(name) = header.strip_prefix('[') {
                table = name.split(']').next().unwrap_or(name).trim().to_string();
            }
        }
        let key = text
            .split_once('=')
            .map(|(k, _)| k.trim())
            .filter(|k| !k.is_empty() && !k.starts_with(['[', '#']) && !k.contains(char::is_whitespace))
            .unwrap_or_default();
        match (table.is_empty(), key.is_empty()) {
            (_, true) => table,
            (true, false) => key.to_string(),
            (false, false) => format!("{table}.{key}"),
        }
    }

    /// The dotted path of the innermost key whose entry spans `offset` (best effort).
    /// Tables are searched whatever their span, because a `[section]` or `[[array]]`
    /// item's span covers only its header line.
    fn key_at(&self, offset: usize) -> String {
        fn covers(span: std::ops::Range<usize>, offset: usize) -> bool {
            span.start <= offset && offset < span.end
        }
        fn walk(t: &DeTable, offset: usize, prefix: &str) -> Option<String> {
            for (k, v) in t.iter() {
                let key = k.get_ref().as_ref();
                let here = if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
                match v.get_ref() {
                    DeValue::Table(inner) => {
                        if let Some(found) = walk(inner, offset, &here) {
                            return Some(found);
                        }
                    }
                    DeValue::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            let indexed = format!("{here}[{i}]");
                            if let DeValue::Table(inner) = item.get_ref() {
                                if let Some(found) = walk(inner, offset, &indexed) {
                                    return Some(found);
                                }
                            }
                            if covers(item.span(), offset) {
                                return Some(indexed);
                            }
                        }
                    }
                    _ => {}
                }
                if covers(k.span().start..v.span().end.max(k.span().end), offset) {
                    return Some(here);
                }
            }
            None
        }
        walk(self.doc.get_ref(), offset, "").unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "[simulation]\nseed = 3\n[[platform]]\nname = \"a\"\nmax_instances = 4\n";

    #[test]
    fn keys_and_values_are_located() {
        let loc = Locator::new(SRC);
        let path = [Seg::Key("platform"), Seg::Index(0), Seg::Name("max_instances".into())];
        let v = loc.diagnostic(&path, "bad");
        assert_eq!((v.line, v.column, v.width), (5, 17, 1));
        assert_eq!(v.key, "platform[0].max_instances");
        let k = loc.diagnostic_at(&path, Part::Key, "bad");
        assert_eq!((k.line, k.column, k.width), (5, 1, 13));
    }

    #[test]
    fn a_missing_key_points_at_its_table() {
        let loc = Locator::new(SRC);
        let d = loc.diagnostic_at(&[Seg::Key("simulation"), Seg::Key("horizon")], Part::Key, "missing");
        assert_eq!((d.line, d.column), (1, 1));
    }

    #[test]
    fn overridden_paths_name_the_override() {
        let mut loc = Locator::new(SRC);
        loc.set_by(vec![Seg::Key("simulation")], "--set simulation={}".into());
        let d = loc.diagnostic(&[Seg::Key("simulation"), Seg::Name("seed".into())], "bad");
        assert_eq!(d.set_by.as_deref(), Some("--set simulation={}"));
        assert_eq!(d.line, 0);
    }

    #[test]
    fn every_syntax_error_is_reported() {
        let loc = Locator::new("a = \nb = 1\nc = [1,\nd = \"x\"\n");
        assert!(loc.syntax_errors().len() >= 2, "{:?}", loc.syntax_errors());
    }

    #[test]
    fn display_underlines_and_helps() {
        let loc = Locator::new(SRC);
        let path = [Seg::Key("platform"), Seg::Index(0), Seg::Name("max_instances".into())];
        let d = loc.diagnostic_at(&path, Part::Key, "unknown key").with_help(Some("did you mean?".into()));
        let text = ScenarioError { origin: "f.toml".into(), diagnostics: vec![d] }.to_string();
        assert_eq!(
            text,
            "error: f.toml:5:1: `platform[0].max_instances`: unknown key\n  |\n5 | max_instances = 4\n  | \
             ^^^^^^^^^^^^^\n  = help: did you mean?"
        );
    }
}
