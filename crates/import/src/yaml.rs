//! YAML (Kubernetes manifests, Cloud Run `service.yaml`) into [`Node`]s with their lines
//! and columns, through `yaml-rust2`.
//!
//! Why `yaml-rust2`: `serde_yaml` is archived (its author marked it unmaintained in 2024);
//! its forks `serde_yaml_ng` and `serde_norway` keep its design, a serde deserialiser over
//! `unsafe-libyaml` (libyaml translated to unsafe Rust), which locates an error but gives
//! the values it returns no position, so a field we cannot map could not be pointed at.
//! `yaml-rust2` is maintained (releases through 2025), pure safe Rust, YAML 1.2, and its
//! parser hands every event with a `Marker` (line and column), from which this module
//! builds a tree whose every node knows where it starts. `saphyr`, by the same maintainers,
//! builds such a tree itself but is at 0.0.x with its API still moving. Multi-document
//! streams (`---`) are what `kubectl`, `helm template` and `kustomize build` print.

use crate::node::{Node, Pos, Value};
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A YAML syntax error: where, and what the parser said.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

/// Deepest nesting accepted: a hostile file of ten thousand `[` must not overflow the stack
/// of whatever walks the tree.
const MAX_DEPTH: usize = 200;

/// Most that aliases may copy, in bytes of tree (see [`weight`]). Each alias is a full copy
/// of what its anchor names, so a few hundred bytes of anchors naming anchors ("billion
/// laughs") would otherwise ask for exponential memory and time. Real manifests alias a
/// few small defaults; this is far above them and far below a machine's memory.
const MAX_ALIAS_BYTES: usize = 16 << 20;

/// Every document of `text`, in order (empty documents left out). `values` is how many
/// more values (mappings, lists, scalars) the import may hold: each node built takes one,
/// and past it the parse stops (see [`crate::MAX_VALUES`]).
///
/// The events are pulled one by one rather than pushed by `Parser::load`, which recurses
/// once per level of nesting: block nesting has no limit in the parser (only flow nesting
/// does), so twenty kilobytes of `? ? ? ...` or `- - - ...` overflowed the stack before
/// [`MAX_DEPTH`] could stop anything. Pulled, the first error ends the parse.
pub fn load(text: &str, values: &mut usize) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder { values: *values, ..Builder::default() };
    let mut parser = Parser::new_from_str(text);
    loop {
        let (ev, mark) = parser
            .next_token()
            .map_err(|e| YamlError { pos: pos(*e.marker()), message: e.info().to_string() })?;
        if ev == Event::StreamEnd {
            break;
        }
        builder.on_event(ev, mark);
        if let Some(e) = builder.error.take() {
            return Err(e);
        }
    }
    *values = builder.values;
    Ok(builder.docs)
}

fn pos(m: Marker) -> Pos {
    // yaml-rust2's lines count from 1 and its columns from 0.
    Pos { line: m.line(), col: m.col() + 1 }
}

/// A container being filled: a sequence, or a mapping with the key awaiting its value.
enum Open {
    Seq(Vec<Node>, Pos, usize),
    /// Entries, the key awaiting its value, where the mapping starts, its anchor, and
    /// where each key was met (a key met twice is an error).
    Map(Vec<(String, Node)>, Option<String>, Pos, usize, HashMap<String, Pos>),
}

#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    stack: Vec<Open>,
    /// Each anchor's node, and its [`weight`].
    anchors: HashMap<usize, (Node, usize)>,
    /// What the anchors and aliases read so far have copied.
    alias_bytes: usize,
    /// How many more nodes may be built.
    values: usize,
    error: Option<YamlError>,
}

/// Roughly the bytes `node` takes: each node, key and scalar text.
fn weight(node: &Node) -> usize {
    std::mem::size_of::<Node>()
        + match &node.value {
            Value::Null => 0,
            Value::Scalar(s) => s.len(),
            Value::Seq(items) => items.iter().map(weight).sum(),
            Value::Map(entries) => {
                entries.iter().map(|(k, v)| std::mem::size_of::<String>() + k.len() + weight(v)).sum()
            }
        }
}

/// The error for copies past [`MAX_ALIAS_BYTES`].
fn copies_too_large(pos: Pos) -> YamlError {
    YamlError {
        pos,
        message: format!(
            "the anchors (`&name`) and aliases (`*name`) up to here copy more than {} MiB of values: each anchor keeps a copy of what it names and each alias is another, and anchors naming aliases multiply them; write the values out or alias less",
            MAX_ALIAS_BYTES >> 20
        ),
    }
}

impl Builder {
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            // The anchor's copy counts as an alias's would: anchors nested in anchors each
            // copy everything under them (a few megabytes under two hundred levels of
            // them asked for gigabytes).
            let w = weight(&node);
            if self.alias_bytes.saturating_add(w) > MAX_ALIAS_BYTES {
                if self.error.is_none() {
                    self.error = Some(copies_too_large(node.pos));
                }
                return;
            }
            self.alias_bytes += w;
            self.anchors.insert(anchor, (node.clone(), w));
        }
        match self.stack.last_mut() {
            // An empty document is left out (it is not kept: a stream of millions of
            // `---` would otherwise hold a node for each).
            None if node.value == Value::Null => {}
            None => self.docs.push(node),
            Some(Open::Seq(items, _, _)) => items.push(node),
            Some(Open::Map(entries, key, start, _, seen)) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => {
                    let k = match node.value {
                        Value::Scalar(s) => s,
                        Value::Null => String::new(),
                        _ => {
                            if self.error.is_none() {
                                self.error = Some(YamlError {
                                    pos: node.pos,
                                    message: "a mapping key must be plain text, not a list or a mapping"
                                        .into(),
                                });
                            }
                            String::new()
                        }
                    };
                    // A block mapping starts where its first key does (the parser marks
                    // the mapping a token later).
                    if entries.is_empty() {
                        *start = node.pos;
                    }
                    // YAML keys are unique ("The content of a mapping node is an unordered
                    // set of key/value node pairs, with the restriction that each of the
                    // keys is unique", YAML 1.2.2, 3.2.1.1); parsers differ on which of
                    // two values they keep, so reading either would be a guess.
                    if let Some(first) = seen.insert(k.clone(), node.pos) {
                        if self.error.is_none() {
                            self.error = Some(YamlError {
                                pos: node.pos,
                                message: format!(
                                    "the key `{k}` appears twice in this mapping (first at line {}, column {}): YAML keys must be unique; keep one",
                                    first.line, first.col
                                ),
                            });
                        }
                    }
                    *key = Some(k);
                }
            },
        }
    }
}

/// A mapping's merge keys (`<<: *defaults`, `<<: [*a, *b]`) applied: the keys of the
/// mappings named, those the mapping does not set itself, the first mapping listed
/// winning ("Merge Key Language-Independent Type for YAML", yaml.org/type/merge.html).
/// YAML 1.2 dropped the type, so the parser leaves `<<` as a key; Kubernetes' YAML
/// reader (go-yaml) applies it, so a request merged in was read as no request at all.
fn merge(entries: Vec<(String, Node)>) -> Result<Vec<(String, Node)>, YamlError> {
    if !entries.iter().any(|(k, _)| k == "<<") {
        return Ok(entries);
    }
    let (merged, mut own): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(k, _)| k == "<<");
    let mut have: std::collections::HashSet<String> = own.iter().map(|(k, _)| k.clone()).collect();
    for (_, value) in merged {
        let pos = value.pos;
        let maps = match value.value {
            Value::Map(_) => vec![value],
            Value::Seq(items) if items.iter().all(|i| matches!(i.value, Value::Map(_))) => items,
            _ => {
                return Err(YamlError {
                    pos,
                    message: "the merge key `<<` takes a mapping or a list of mappings (`<<: *defaults`)"
                        .into(),
                })
            }
        };
        for map in maps {
            if let Value::Map(add) = map.value {
                for (k, v) in add {
                    if have.insert(k.clone()) {
                        own.push((k, v));
                    }
                }
            }
        }
    }
    Ok(own)
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let at = pos(mark);
        if matches!(ev, Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..)) {
            if self.values == 0 {
                self.error = Some(YamlError { pos: at, message: crate::too_many_values() });
                return;
            }
            self.values -= 1;
        }
        if self.stack.len() > MAX_DEPTH {
            self.error =
                Some(YamlError { pos: at, message: format!("nested deeper than {MAX_DEPTH} levels") });
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let null = style == TScalarStyle::Plain
                    && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                let value = if null { Value::Null } else { Value::Scalar(text) };
                self.push(Node::new(value, at), anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Open::Seq(Vec::new(), at, anchor)),
            Event::MappingStart(anchor, _) => {
                self.stack.push(Open::Map(Vec::new(), None, at, anchor, HashMap::new()))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Open::Seq(items, p, a)) => (Node::new(Value::Seq(items), p), a),
                    Some(Open::Map(entries, _, p, a, _)) => match merge(entries) {
                        Ok(entries) => (Node::new(Value::Map(entries), p), a),
                        Err(e) => {
                            self.error = Some(e);
                            return;
                        }
                    },
                    None => return,
                };
                self.push(node, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((_, w)) if self.alias_bytes.saturating_add(*w) > MAX_ALIAS_BYTES => {
                    self.error = Some(copies_too_large(at))
                }
                Some((node, w)) => {
                    self.alias_bytes += *w;
                    let mut node = node.clone();
                    node.pos = at;
                    self.push(node, 0);
                }
                None => {
                    self.error = Some(YamlError { pos: at, message: "an alias to an unknown anchor".into() })
                }
            },
            Event::DocumentEnd => self.anchors.clear(),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Vec<Node>, YamlError> {
        super::load(text, &mut usize::MAX.clone())
    }

    #[test]
    fn documents_keep_their_positions() {
        let docs = load("a: 1\n---\nkind: Deployment\nspec:\n  replicas: 3\n  list: [x, y]\n").unwrap();
        assert_eq!(docs.len(), 2);
        let r = docs[1].path("spec.replicas").unwrap();
        assert_eq!((r.pos.line, r.pos.col, r.as_u64()), (5, 13, Some(3)));
        assert_eq!(docs[1].path("spec.list").unwrap().items().len(), 2);
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = load("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.pos.line >= 2, "{e:?}");
        let e = load("a:\n  - b\n c: d\n").unwrap_err();
        assert!(e.pos.line == 3, "{e:?}");
    }

    #[test]
    fn nulls_aliases_and_quoted_text() {
        let docs = load("a: ~\nb: 'null'\nc: &x {d: 1}\ne: *x\n").unwrap();
        assert!(docs[0].get("a").is_none());
        assert_eq!(docs[0].get("b").unwrap().as_str(), Some("null"));
        assert_eq!(docs[0].path("e.d").unwrap().as_u64(), Some(1));
        assert!(load(&"[".repeat(10_000)).is_err());
    }

    /// Merge keys, as Kubernetes' YAML reader applies them: the mapping's own keys
    /// first, then the first mapping merged (a request merged in was read as none).
    #[test]
    fn merge_keys_are_applied() {
        let text =
            "d: &d {cpu: '1', memory: 1Gi}\ne: &e {cpu: '3', gpu: '1'}\nr:\n  <<: [*d, *e]\n  memory: 2Gi\n";
        let docs = load(text).unwrap();
        let r = docs[0].get("r").unwrap();
        let keys: Vec<&str> = r.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["memory", "cpu", "gpu"]);
        assert_eq!(r.get("cpu").unwrap().as_str(), Some("1"));
        assert_eq!(r.get("memory").unwrap().as_str(), Some("2Gi"));
        let e = load("r:\n  <<: 5\n").unwrap_err();
        assert!(e.message.contains("merge key"), "{e:?}");
        assert_eq!(e.pos.line, 2, "{e:?}");
    }

    /// Block nesting, which the parser does not bound, stops at `MAX_DEPTH` (the
    /// parser's own `load` recursed once per level and overflowed the stack).
    #[test]
    fn deep_block_nesting_is_refused_not_a_stack_overflow() {
        for text in ["? ".repeat(100_000), "- ".repeat(100_000), "a:\n".to_string() + &"- ".repeat(100_000)] {
            let e = load(&text).unwrap_err();
            assert_eq!(e.message, format!("nested deeper than {MAX_DEPTH} levels"), "{e:?}");
            assert_eq!(e.pos.line, 1 + text.starts_with('a') as usize, "{e:?}");
        }
    }
}
