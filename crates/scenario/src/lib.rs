//! Scenario files: the TOML schema, parsing with locations, validation and resolution.
//!
//! A scenario is text in, a validated [`Scenario`] (or every error found, each with its
//! file, line, column and key) out. Nothing here runs a simulation or writes a file.

pub mod diagnostics;
pub mod presets;
pub mod resolve;
pub mod schema;
mod suggest;
mod traffic;
pub mod units;

pub use diagnostics::{Diagnostic, ScenarioError};
pub use resolve::Scenario;
pub use schema::ScenarioFile;

use diagnostics::{Locator, Seg};
use schema::PlatformSection;
use serde::Deserialize;
use std::path::Path;
use toml::{Table, Value};

/// The scenario `crossover run` uses when given no file.
pub const DEFAULT_SCENARIO: &str = include_str!("../../../scenarios/default.toml");
pub const DEFAULT_SCENARIO_NAME: &str = "scenarios/default.toml";

/// Parses and validates scenario text. `origin` names it in messages; `default_name`
/// names the scenario if the file does not. Files it names (traces) are looked up
/// from the current directory.
pub fn parse(source: &str, origin: &str, default_name: &str) -> Result<Scenario, ScenarioError> {
    parse_in(source, origin, default_name, Path::new("."))
}

/// As [`parse`], with files the scenario names looked up from `base_dir`.
pub fn parse_in(
    source: &str,
    origin: &str,
    default_name: &str,
    base_dir: &Path,
) -> Result<Scenario, ScenarioError> {
    let loc = Locator::new(source);
    let fail = |diagnostics| ScenarioError { origin: origin.to_string(), diagnostics };
    let doc: Table = toml::from_str(source).map_err(|e| fail(vec![loc.from_toml(&e)]))?;
    let file = deserialize(doc, &loc).map_err(fail)?;
    resolve::resolve(file, &loc, default_name, base_dir).map_err(fail)
}

/// Deserialises the document, each `[[platform]]` entry on its own after its preset is
/// merged in, collecting the errors of every part.
fn deserialize(mut doc: Table, loc: &Locator) -> Result<ScenarioFile, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let entries = doc.remove("platform");
    let file =
        ScenarioFile::deserialize(Value::Table(doc)).map_err(|e| errors.push(value_error(&e, &[], loc))).ok();
    let mut platforms = Vec::new();
    match entries {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                let base = vec![Seg::Key("platform"), Seg::Index(i)];
                let Value::Table(entry) = item else {
                    errors.push(loc.diagnostic(&base, "each platform must be a table: write [[platform]]"));
                    continue;
                };
                let merged = match presets::expand(entry) {
                    Ok(m) => m,
                    Err((key, msg)) => {
                        errors.push(loc.diagnostic(&[base, vec![Seg::Key(key)]].concat(), msg));
                        continue;
                    }
                };
                match PlatformSection::deserialize(Value::Table(merged)) {
                    Ok(p) => platforms.push(p),
                    Err(e) => errors.push(value_error(&e, &base, loc)),
                }
            }
        }
        Some(_) => errors
            .push(loc.diagnostic(&[Seg::Key("platform")], "must be a list of tables: write [[platform]]")),
    }
    match file {
        Some(mut f) if errors.is_empty() => {
            f.platforms = platforms;
            Ok(f)
        }
        _ => Err(errors),
    }
}

/// Locates a deserialisation error from its key path (toml reports "in `a.b`" and, for
/// an unknown key, its name), since values merged from presets have no source position.
fn value_error(e: &toml::de::Error, base: &[Seg], loc: &Locator) -> Diagnostic {
    let display = e.to_string();
    let message = e.message().trim().to_string();
    let mut path = base.to_vec();
    if let Some(inner) = display.lines().rev().find_map(|l| l.trim().strip_prefix("in `")?.strip_suffix('`'))
    {
        for part in inner.split('.') {
            match part.split_once('[') {
                Some((name, idx)) => {
                    path.push(Seg::Name(name.to_string()));
                    if let Ok(i) = idx.trim_end_matches(']').parse() {
                        path.push(Seg::Index(i));
                    }
                }
                None => path.push(Seg::Name(part.to_string())),
            }
        }
    }
    let unknown =
        message.strip_prefix("unknown field `").and_then(|r| r.split_once('`')).map(|(k, _)| k.to_string());
    match unknown {
        Some(key) => {
            path.push(Seg::Name(key.clone()));
            let expected: Vec<&str> = message.split('`').skip(3).step_by(2).collect();
            let mut msg = format!("unknown key `{key}`");
            if let Some(best) = suggest::closest(&key, &expected) {
                msg.push_str(&format!(": did you mean `{best}`?"));
            }
            if !expected.is_empty() {
                msg.push_str(&format!(" (allowed here: {})", expected.join(", ")));
            }
            loc.diagnostic_at(&path, msg, true)
        }
        None => loc.diagnostic(&path, message),
    }
}

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let origin = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        origin: origin.clone(),
        diagnostics: vec![Diagnostic {
            key: String::new(),
            line: 0,
            column: 0,
            message: format!("cannot read the file: {e}"),
            snippet: String::new(),
        }],
    })?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("scenario");
    // Paths inside a scenario are relative to the scenario file.
    let base_dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parse_in(&source, &origin, stem, base_dir)
}

/// The default scenario, parsed.
pub fn default_scenario() -> Scenario {
    parse(DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME, "default")
        .expect("the embedded default scenario is valid (checked by tests)")
}

impl Scenario {
    /// The resolved scenario as TOML, with the tool version: enough to reproduce the run.
    pub fn resolved_toml(&self, tool_version: &str) -> String {
        let body = toml::to_string_pretty(&self.file).expect("a resolved scenario always serialises");
        format!(
            "# Resolved scenario: every default filled in. Written by crossover {tool_version}.\n\
             # Re-running this file with the same seed reproduces the results byte for byte.\n\n{body}"
        )
    }
}
