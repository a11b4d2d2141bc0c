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

/// A JSON text as a [`Node`] (positions unknown: serde_json gives values none), built
/// as it is parsed rather than through `serde_json::Value`, which took a copy of the
/// whole tree at some hundred bytes a value. `values` is how many more values the
/// import may hold (see [`crate::MAX_VALUES`]); past it the parse stops.
pub fn json(text: &str, values: &mut usize) -> Result<Node, serde_json::Error> {
    use serde::de::DeserializeSeed as _;
    let mut de = serde_json::Deserializer::from_str(text);
    let node = JsonSeed { values }.deserialize(&mut de)?;
    de.end()?;
    Ok(node)
}

/// Builds one JSON value, taking one from the budget for it.
struct JsonSeed<'a> {
    values: &'a mut usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for JsonSeed<'_> {
    type Value = Node;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        if *self.values == 0 {
            return Err(serde::de::Error::custom(crate::too_many_values()));
        }
        *self.values -= 1;
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for JsonSeed<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::new(Value::Null, Pos::default()))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::new(Value::Scalar(v.to_string()), Pos::default()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::new(Value::Scalar(v.to_string()), Pos::default()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::new(Value::Scalar(v.to_string()), Pos::default()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        // As serde_json writes it (`1e300`, not three hundred digits).
        let text = serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string());
        Ok(Node::new(Value::Scalar(text), Pos::default()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::new(Value::Scalar(v.to_string()), Pos::default()))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::new(Value::Scalar(v), Pos::default()))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(n) = seq.next_element_seed(JsonSeed { values: &mut *self.values })? {
            items.push(n);
        }
        Ok(Node::new(Value::Seq(items), Pos::default()))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            // RFC 8259: "The names within an object SHOULD be unique", and readers differ
            // on which of two values they keep (serde_json's map kept the last).
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key {key:?} appears twice in this object: keep one"
                )));
            }
            let value = map.next_value_seed(JsonSeed { values: &mut *self.values })?;
            entries.push((key, value));
        }
        Ok(Node::new(Value::Map(entries), Pos::default()))
    }
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
