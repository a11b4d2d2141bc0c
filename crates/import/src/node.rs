//! The one tree every format is read into: YAML, JSON and TOML alike become [`Node`]s
//! (mappings in file order, sequences, scalars kept as their text), each with the line
//! and column where it starts when the format gives one. The readers of each format then
//! ask the same questions of it, and every message can point at its source.

use std::fmt;

/// Where a node starts: 1-based line and column; line 0 when the format gave none (JSON
/// and TOML values are located by their key path instead).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    /// A scalar's text: numbers and booleans are interpreted where they are asked for.
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// A file's name and a position in it, printed `file:line:column` (or `file` alone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub file: String,
    pub pos: Pos,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.pos.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.pos.line, self.pos.col)
        }
    }
}

impl Node {
    pub fn new(value: Value, pos: Pos) -> Node {
        Node { value, pos }
    }

    /// The value at `key` of a mapping (`None` for a missing key or a null value).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => {
                entries.iter().find(|(k, _)| k == key).map(|(_, v)| v).filter(|v| v.value != Value::Null)
            }
            _ => None,
        }
    }

    /// The value at a dotted path of mapping keys (`spec.template.spec`).
    pub fn path(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self, |n, k| n.get(k))
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.as_str().and_then(|s| s.trim().parse::<f64>().ok()).filter(|v| v.is_finite())
    }

    /// A whole number that is not negative.
    pub fn as_u64(&self) -> Option<u64> {
        let v = self.as_f64()?;
        (v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64).then_some(v as u64)
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.as_str()?.trim() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }

    /// What kind of value this is, for messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing",
            Value::Scalar(_) => "a value",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A JSON value as a [`Node`] (positions unknown: serde_json's values carry none).
pub fn from_json(v: &serde_json::Value) -> Node {
    let value = match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Scalar(b.to_string()),
        serde_json::Value::Number(n) => Value::Scalar(n.to_string()),
        serde_json::Value::String(s) => Value::Scalar(s.clone()),
        serde_json::Value::Array(a) => Value::Seq(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) => {
            Value::Map(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    };
    Node::new(value, Pos::default())
}

/// A TOML value as a [`Node`] (positions unknown; keys in the table's order).
pub fn from_toml(v: &toml::Value) -> Node {
    let value = match v {
        toml::Value::String(s) => Value::Scalar(s.clone()),
        toml::Value::Integer(i) => Value::Scalar(i.to_string()),
        toml::Value::Float(f) => Value::Scalar(f.to_string()),
        toml::Value::Boolean(b) => Value::Scalar(b.to_string()),
        toml::Value::Datetime(d) => Value::Scalar(d.to_string()),
        toml::Value::Array(a) => Value::Seq(a.iter().map(from_toml).collect()),
        toml::Value::Table(t) => Value::Map(t.iter().map(|(k, v)| (k.clone(), from_toml(v))).collect()),
    };
    Node::new(value, Pos::default())
}
