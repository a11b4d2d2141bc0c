//! Errors that point at the file, line, column and key, with the offending line.

use std::fmt;
use toml::de::{DeTable, DeValue};

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Dotted key path, e.g. `platform[1].instance.concurrency` (empty if none applies).
    pub key: String,
    /// 1-based line and column (0 when the location is unknown).
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The source line the error points at.
    pub snippet: String,
}

/// Everything wrong with one scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub origin: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {}", self.origin)?;
            if d.line > 0 {
                write!(f, ":{}:{}", d.line, d.column)?;
            }
            if !d.key.is_empty() {
                write!(f, ": `{}`", d.key)?;
            }
            write!(f, ": {}", d.message)?;
            if d.line > 0 && !d.snippet.is_empty() {
                let gutter = d.line.to_string().len();
                write!(
                    f,
                    "\n{:gutter$} |\n{} | {}\n{:gutter$} | {:>col$}",
                    "",
                    d.line,
                    d.snippet,
                    "",
                    "^",
                    col = d.column
                )?;
            }
        }
        Ok(())
    }
}

/// A step in a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(&'static str),
    /// A key known only at run time (from an error message or a user's file).
    Name(String),
    Index(usize),
}

impl Seg {
    fn key(&self) -> Option<&str> {
        match self {
            Seg::Key(k) => Some(k),
            Seg::Name(k) => Some(k),
            Seg::Index(_) => None,
        }
    }
}

pub fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(_) | Seg::Name(_) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(seg.key().unwrap_or_default());
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Maps byte offsets and key paths of one source to lines and columns.
pub struct Locator<'a> {
    source: &'a str,
    doc: Option<toml::Spanned<DeTable<'a>>>,
}

impl<'a> Locator<'a> {
    pub fn new(source: &'a str) -> Self {
        Locator { source, doc: DeTable::parse(source).ok() }
    }

    /// Line, column (1-based) and text of the line holding byte `offset`.
    pub fn position(&self, offset: usize) -> (usize, usize, String) {
        let offset = offset.min(self.source.len());
        let before = &self.source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = self.source[line_start..offset].chars().count() + 1;
        let text = self.source[line_start..].lines().next().unwrap_or("").to_string();
        (line, column, text)
    }

    /// Byte span of the value at `path`, or of its nearest existing ancestor.
    pub fn span_of(&self, path: &[Seg]) -> Option<std::ops::Range<usize>> {
        self.locate(path, false)
    }

    /// As `span_of`, but with `at_key` the span of the last key itself when it exists.
    fn locate(&self, path: &[Seg], at_key: bool) -> Option<std::ops::Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut span = None;
        let mut table: Option<&DeTable> = Some(doc.get_ref());
        let mut value: Option<&DeValue> = None;
        for seg in path {
            let entry = match (seg.key(), seg, table, value) {
                (Some(k), _, Some(t), _) => {
                    t.iter().find(|(key, _)| key.get_ref().as_ref() == k).map(|(k, v)| (Some(k.span()), v))
                }
                (None, Seg::Index(i), _, Some(DeValue::Array(a))) => a.get(*i).map(|v| (None, v)),
                _ => None,
            };
            let Some((key_span, next)) = entry else { break };
            span = Some(match key_span {
                Some(k) if at_key => k,
                _ => next.span(),
            });
            value = Some(next.get_ref());
            table = match next.get_ref() {
                DeValue::Table(t) => Some(t),
                _ => None,
            };
        }
        span
    }

    pub fn diagnostic(&self, path: &[Seg], message: impl Into<String>) -> Diagnostic {
        self.diagnostic_at(path, message, false)
    }

    /// A diagnostic pointing at the key (for unknown keys) or at the value.
    pub fn diagnostic_at(&self, path: &[Seg], message: impl Into<String>, at_key: bool) -> Diagnostic {
        let (line, column, snippet) = match self.locate(path, at_key) {
            Some(span) => self.position(span.start),
            None => (0, 0, String::new()),
        };
        Diagnostic { key: path_string(path), line, column, message: message.into(), snippet }
    }

    /// A diagnostic from a TOML syntax or type error.
    pub fn from_toml(&self, err: &toml::de::Error) -> Diagnostic {
        let (line, column, snippet) = match err.span() {
            Some(span) => self.position(span.start),
            None => (0, 0, String::new()),
        };
        let message = err.message().trim().to_string();
        let key = err.span().map(|s| self.key_at(s.start)).unwrap_or_default();
        Diagnostic { key, line, column, message, snippet }
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
        self.doc.as_ref().and_then(|d| walk(d.get_ref(), offset, "")).unwrap_or_default()
    }
}
