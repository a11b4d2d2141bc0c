//! Overrides (`--set key.path=value`): changing any key of a scenario without editing it.
//!
//! An override is applied to the raw TOML document, before the structure check and
//! validation, so a value set on the command line is checked exactly like one in the file
//! (a misspelt path gets the same "did you mean" as a typo in the file) and appears in the
//! resolved scenario. Sweeps reuse the same mechanism to vary any key.
//!
//! Paths are dotted keys (`service.cpu.p50`); `platform.NAME.key` addresses the
//! `[[platform]]` whose `name` is NAME, `platform[1].key` the second one; in a stack,
//! `service.NAME.key` addresses the `[[service]]` named NAME and `service[1].key` the
//! second (a `[service]` table named NAME answers to `service.NAME.key` too, unless NAME
//! is one of its own keys); any array can be
//! indexed (`traffic.business_hours[0]`); a key with a dot in it can be quoted
//! (`billing.fixed_monthly."load balancer"`). The value is read as a TOML value when it is
//! one (`4`, `2.5`, `true`, `"text"`, `[8, 20]`, `{ kind = "fixed", instances = 2 }`) and
//! as a string otherwise (`30ms`, `2GiB`, `per-request`).

use crate::diagnostics::Seg;
use crate::suggest::did_you_mean;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;
use toml::{Table, Value};

/// One `key.path=value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The key path as written.
    pub path: String,
    pub value: Value,
    /// How messages name the override, e.g. `--set simulation.replications=4`.
    pub label: String,
}

/// An override that cannot even be read.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum OverrideError {
    #[error("`{0}` is not key.path=value (e.g. simulation.replications=4)")]
    NoEquals(String),
    #[error("`{path}` is not a key path: {problem}")]
    BadPath { path: String, problem: String },
}

/// An override that does not fit the document it is applied to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Misfit {
    pub message: String,
    pub help: Option<String>,
}

/// One step of a key path as written.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

impl Override {
    /// An override of `path` with `value`; `label` names it in messages.
    pub fn new(path: &str, value: Value, label: impl Into<String>) -> Result<Override, OverrideError> {
        steps(path)?;
        Ok(Override { path: path.trim().to_string(), value, label: label.into() })
    }

    /// Reads `key.path=value`, typing the value (see the module documentation).
    pub fn parse(arg: &str) -> Result<Override, OverrideError> {
        let (path, text) = arg.split_once('=').ok_or_else(|| OverrideError::NoEquals(arg.to_string()))?;
        Override::new(path, typed_value(text.trim()), format!("--set {arg}"))
    }
}

impl FromStr for Override {
    type Err = OverrideError;
    fn from_str(arg: &str) -> Result<Override, OverrideError> {
        Override::parse(arg)
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// The TOML value `text` spells, or else the string itself.
pub fn typed_value(text: &str) -> Value {
    match toml::from_str::<Table>(&format!("v = {text}")) {
        Ok(mut t) if t.len() == 1 => t.remove("v").unwrap_or_else(|| Value::String(text.to_string())),
        _ => Value::String(text.to_string()),
    }
}

/// Splits a key path into keys and indices.
fn steps(path: &str) -> Result<Vec<Step>, OverrideError> {
    let bad = |problem: &str| OverrideError::BadPath { path: path.to_string(), problem: problem.to_string() };
    let mut out = Vec::new();
    let mut rest = path.trim();
    if rest.is_empty() {
        return Err(bad("it is empty"));
    }
    loop {
        // One key: quoted, or bare up to the next '.' or '['.
        let key = if let Some(q @ ('"' | '\'')) = rest.chars().next() {
            let end = rest[1..].find(q).ok_or_else(|| bad("a quote is not closed"))?;
            let key = rest[1..1 + end].to_string();
            rest = &rest[end + 2..];
            key
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = rest[..end].trim().to_string();
            if key.is_empty() || key.contains([']', '"', '\'']) {
                return Err(bad("expected a key such as `simulation.replications`"));
            }
            rest = &rest[end..];
            key
        };
        out.push(Step::Key(key));
        while let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').ok_or_else(|| bad("a `[` is not closed"))?;
            let index = after[..end]
                .trim()
                .parse()
                .map_err(|_| bad("an index must be a whole number, e.g. platform[0]"))?;
            out.push(Step::Index(index));
            rest = &after[end + 1..];
        }
        match rest.strip_prefix('.') {
            Some(next) => rest = next,
            None if rest.is_empty() => return Ok(out),
            None => return Err(bad("expected `.` or `[` between keys")),
        }
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Table(_) => "a table".to_string(),
        Value::Array(_) => "an array".to_string(),
        other => format!("the value {other}"),
    }
}

/// Applies `o` to `doc`, returning the path it set (with platform names turned into
/// indices), for messages about the value.
pub fn apply(doc: &mut Table, o: &Override) -> Result<Vec<Seg>, Misfit> {
    let steps = steps(&o.path).map_err(|e| Misfit { message: e.to_string(), help: None })?;
    let steps = name_platform(doc, steps)?;
    let steps = name_service(doc, steps)?;
    let mut path = Vec::new();
    set(doc, &steps, o.value.clone(), &mut path)?;
    Ok(path)
}

/// Turns `platform.NAME` into `platform[i]`, matching names that contain dots too.
fn name_platform(doc: &Table, steps: Vec<Step>) -> Result<Vec<Step>, Misfit> {
    let (Some(Step::Key(first)), Some(Step::Key(_))) = (steps.first(), steps.get(1)) else {
        return Ok(steps);
    };
    if first != "platform" {
        return Ok(steps);
    }
    let names: Vec<&str> = match doc.get("platform") {
        Some(Value::Array(items)) => {
            items.iter().filter_map(|p| p.get("name").and_then(Value::as_str)).collect()
        }
        _ => Vec::new(),
    };
    // The longest run of keys that spells a platform name, leaving a key to set.
    for end in (2..steps.len()).rev() {
        let words: Option<Vec<&str>> = steps[1..end]
            .iter()
            .map(|s| match s {
                Step::Key(k) => Some(k.as_str()),
                Step::Index(_) => None,
            })
            .collect();
        let Some(words) = words else { continue };
        let name = words.join(".");
        if let Some(i) = names.iter().position(|n| *n == name) {
            let mut out = vec![Step::Key("platform".into()), Step::Index(i)];
            out.extend_from_slice(&steps[end..]);
            return Ok(out);
        }
    }
    let Step::Key(wanted) = &steps[1] else { return Ok(steps) };
    if steps.len() == 2 {
        return Err(Misfit {
            message: format!("`platform.{wanted}` names a platform but no key in it"),
            help: Some(format!("e.g. platform.{wanted}.max_instances=10")),
        });
    }
    let help = match did_you_mean(wanted, names.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None if names.is_empty() => "this scenario has no [[platform]]".to_string(),
        None => format!("platforms: {}", names.join(", ")),
    };
    Err(Misfit { message: format!("no platform named `{wanted}`"), help: Some(help) })
}

/// Turns `service.NAME` into `service[i]` in a stack (`[[service]]`). In the
/// single-service form, `service.NAME.key` is `service.key` when NAME is the service's
/// name and not a key of the table, so that one path reaches a service in either form.
fn name_service(doc: &Table, steps: Vec<Step>) -> Result<Vec<Step>, Misfit> {
    let (Some(Step::Key(first)), Some(Step::Key(wanted))) = (steps.first(), steps.get(1)) else {
        return Ok(steps);
    };
    if first != "service" {
        return Ok(steps);
    }
    match doc.get("service") {
        Some(Value::Array(items)) => {
            let names: Vec<&str> =
                items.iter().filter_map(|s| s.get("name").and_then(Value::as_str)).collect();
            if let Some(i) = items.iter().position(|s| s.get("name").and_then(Value::as_str) == Some(wanted))
            {
                if steps.len() == 2 {
                    return Err(Misfit {
                        message: format!("`service.{wanted}` names a service but no key in it"),
                        help: Some(format!("e.g. service.{wanted}.cpu=30ms")),
                    });
                }
                let mut out = vec![Step::Key("service".into()), Step::Index(i)];
                out.extend_from_slice(&steps[2..]);
                return Ok(out);
            }
            let help = match did_you_mean(wanted, names.iter().copied()) {
                Some(near) => format!("did you mean `service.{near}`?"),
                None if names.is_empty() => "this stack has no named [[service]]".to_string(),
                None => format!("services: {} (or by index: service[0])", names.join(", ")),
            };
            Err(Misfit {
                message: format!(
                    "no service named `{wanted}`: in a stack (`[[service]]`), a service's keys are set \
                     as service.NAME.key"
                ),
                help: Some(help),
            })
        }
        Some(Value::Table(single)) if steps.len() > 2 => {
            let is_key = crate::probe::fields::<crate::schema::ServiceSection>().contains(&wanted.as_str());
            let named = single.get("name").and_then(Value::as_str) == Some(wanted.as_str());
            if named && !is_key {
                let mut out = vec![Step::Key("service".into())];
                out.extend_from_slice(&steps[2..]);
                return Ok(out);
            }
            Ok(steps)
        }
        _ => Ok(steps),
    }
}

fn set(table: &mut Table, steps: &[Step], value: Value, path: &mut Vec<Seg>) -> Result<(), Misfit> {
    let Some((Step::Key(key), rest)) = steps.split_first() else {
        return Err(Misfit { message: "a key path starts with a key".into(), help: None });
    };
    path.push(Seg::Name(key.clone()));
    if rest.is_empty() {
        table.insert(key.clone(), value);
        return Ok(());
    }
    // A table named on the way that does not exist yet is created, as TOML's dotted
    // keys would; the structure check then judges the key like any other.
    let entry = table.entry(key.clone()).or_insert_with(|| Value::Table(Table::new()));
    set_in(entry, rest, value, path)
}

fn set_in(here: &mut Value, steps: &[Step], value: Value, path: &mut Vec<Seg>) -> Result<(), Misfit> {
    let at = crate::diagnostics::path_string(path);
    match (here, &steps[0]) {
        (Value::Table(t), Step::Key(_)) => set(t, steps, value, path),
        (Value::Array(items), Step::Index(i)) => {
            let len = items.len();
            let Some(item) = items.get_mut(*i) else {
                return Err(Misfit {
                    message: format!("`{at}` has {len} entries; there is no [{i}]"),
                    help: (len > 0).then(|| format!("indices start at 0: {at}[0] .. {at}[{}]", len - 1)),
                });
            };
            path.push(Seg::Index(*i));
            if steps.len() == 1 {
                *item = value;
                Ok(())
            } else {
                set_in(item, &steps[1..], value, path)
            }
        }
        (other, Step::Index(i)) => Err(Misfit {
            message: format!("`{at}` is {}, not an array; [{i}] cannot index it", describe(other)),
            help: None,
        }),
        (other, Step::Key(k)) => Err(Misfit {
            message: format!("`{at}` is {}, not a table; it has no key `{k}`", describe(other)),
            help: Some(format!("set `{at}` whole, e.g. --set '{at}={{ ... }}'")),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::path_string;

    fn doc() -> Table {
        toml::from_str(
            r#"
            [service]
            cpu = "20ms"
            [[platform]]
            name = "api"
            [[platform]]
            name = "v1.2"
            "#,
        )
        .unwrap()
    }

    fn set(arg: &str) -> Result<(String, Table), Misfit> {
        let mut d = doc();
        let path = apply(&mut d, &Override::parse(arg).unwrap())?;
        Ok((path_string(&path), d))
    }

    #[test]
    fn values_are_typed() {
        assert_eq!(typed_value("4"), Value::Integer(4));
        assert_eq!(typed_value("2.5"), Value::Float(2.5));
        assert_eq!(typed_value("true"), Value::Boolean(true));
        assert_eq!(typed_value("30ms"), Value::String("30ms".into()));
        assert_eq!(typed_value("\"4\""), Value::String("4".into()));
        assert_eq!(typed_value("per-request"), Value::String("per-request".into()));
        assert!(typed_value("[8, 20]").is_array());
        assert!(typed_value("{ kind = \"fixed\", instances = 2 }").is_table());
        assert_eq!(typed_value("1\nx = 2"), Value::String("1\nx = 2".into()));
    }

    #[test]
    fn paths_are_read() {
        assert!(matches!(Override::parse("a"), Err(OverrideError::NoEquals(_))));
        assert!(Override::parse("=3").is_err());
        assert!(Override::parse("a..b=3").is_err());
        assert!(Override::parse("a[x]=3").is_err());
        let o = Override::parse("billing.fixed_monthly.\"load balancer\"=18").unwrap();
        assert_eq!(o.label, "--set billing.fixed_monthly.\"load balancer\"=18");
    }

    #[test]
    fn keys_are_set_and_tables_created() {
        let (path, d) = set("simulation.replications=4").unwrap();
        assert_eq!(path, "simulation.replications");
        assert_eq!(d["simulation"]["replications"], Value::Integer(4));
    }

    #[test]
    fn platforms_by_name_or_index() {
        let (path, d) = set("platform.api.max_instances=5").unwrap();
        assert_eq!(path, "platform[0].max_instances");
        assert_eq!(d["platform"][0]["max_instances"], Value::Integer(5));
        let (path, _) = set("platform.v1.2.instance.cpu=2").unwrap();
        assert_eq!(path, "platform[1].instance.cpu");
        let (path, _) = set("platform[1].autoscaler.kind=fixed").unwrap();
        assert_eq!(path, "platform[1].autoscaler.kind");
    }

    fn stack() -> Table {
        toml::from_str(
            r#"
            [[service]]
            name = "api"
            cpu = "20ms"
            [[service]]
            name = "admin"
            cpu = "40ms"
            [[platform]]
            name = "eks"
            "#,
        )
        .unwrap()
    }

    fn set_in_stack(arg: &str) -> Result<(String, Table), Misfit> {
        let mut d = stack();
        let path = apply(&mut d, &Override::parse(arg).unwrap())?;
        Ok((path_string(&path), d))
    }

    #[test]
    fn services_by_name_or_index() {
        let (path, d) = set_in_stack("service.admin.cpu=30ms").unwrap();
        assert_eq!(path, "service[1].cpu");
        assert_eq!(d["service"][1]["cpu"], Value::String("30ms".into()));
        let (path, _) = set_in_stack("service[0].io=5ms").unwrap();
        assert_eq!(path, "service[0].io");
        let (path, d) = set_in_stack("service.api.traffic.peak_rps=40").unwrap();
        assert_eq!(path, "service[0].traffic.peak_rps");
        assert_eq!(d["service"][0]["traffic"]["peak_rps"], Value::Integer(40));
        let (path, d) = set_in_stack("platform.eks.services.api.instance.cpu=2").unwrap();
        assert_eq!(path, "platform[0].services.api.instance.cpu");
        assert_eq!(d["platform"][0]["services"]["api"]["instance"]["cpu"], Value::Integer(2));

        let e = set_in_stack("service.apj.cpu=1ms").unwrap_err();
        assert!(e.message.contains("no service named `apj`"), "{e:?}");
        assert_eq!(e.help.as_deref(), Some("did you mean `service.api`?"));
        let e = set_in_stack("service.cpu=1ms").unwrap_err();
        assert!(e.message.contains("service.NAME.key"), "{e:?}");
        let e = set_in_stack("service.api=1ms").unwrap_err();
        assert!(e.message.contains("names a service but no key"), "{e:?}");
    }

    #[test]
    fn a_single_service_answers_to_its_name_and_its_keys() {
        let mut d: Table = toml::from_str("[service]\nname = \"api\"\ncpu = \"20ms\"\n").unwrap();
        let path = apply(&mut d, &Override::parse("service.api.cpu=30ms").unwrap()).unwrap();
        assert_eq!(path_string(&path), "service.cpu");
        let path = apply(&mut d, &Override::parse("service.cpu=40ms").unwrap()).unwrap();
        assert_eq!(path_string(&path), "service.cpu");
        assert_eq!(d["service"]["cpu"], Value::String("40ms".into()));
    }

    #[test]
    fn misfits_explain_themselves() {
        let e = set("platform.apj.max_instances=5").unwrap_err();
        assert_eq!(e.message, "no platform named `apj`");
        assert_eq!(e.help.as_deref(), Some("did you mean `api`?"));
        let e = set("platform[2].max_instances=5").unwrap_err();
        assert!(e.message.contains("has 2 entries"), "{e:?}");
        let e = set("service.cpu.p50=30ms").unwrap_err();
        assert!(e.message.contains("not a table"), "{e:?}");
    }
}
