//! Scenario files: the TOML schema, parsing with locations, overrides, validation and
//! resolution.
//!
//! A scenario is text in, a validated [`Scenario`] (or every error found, each with its
//! file, line, column and key) out. Nothing here runs a simulation, prints or writes a
//! file.
//!
//! The pipeline, in [`parse_with_overrides`]: TOML syntax (every syntax error), then the
//! overrides on the raw document, then the presets merged under each platform entry and
//! each service's `[platform.services.NAME]` tables merged over the entry's, then the
//! structure check (unknown keys, kinds, value
//! types, missing keys; `structure`), then deserialisation into the schema structs, then
//! validation and resolution (`resolve`). Each stage reports everything it finds.

pub mod diagnostics;
pub mod names;
pub mod overrides;
pub mod presets;
mod probe;
pub mod resolve;
pub mod schema;
mod structure;
pub mod suggest;
mod traffic;
pub mod units;

pub use diagnostics::{Diagnostic, ScenarioError};
pub use overrides::{Override, OverrideError};
pub use resolve::{Scenario, Stage};
pub use schema::ScenarioFile;
pub use structure::key_paths as schema_key_paths;

use crossover_engine::DEFAULT_SCOPE;
use diagnostics::{Locator, Seg};
use serde::Deserialize;
use std::path::Path;
use thiserror::Error;
use toml::Value;

/// The scenario `crossover run` uses when given no file.
pub const DEFAULT_SCENARIO: &str = include_str!("../../../scenarios/default.toml");
pub const DEFAULT_SCENARIO_NAME: &str = "scenarios/default.toml";

/// The commented scenario `crossover init` writes: a starting point to edit.
pub const STARTER_SCENARIO: &str = TEMPLATES[0].1;

/// The templates `crossover init --template NAME` writes (the first is the default), each
/// built from presets and shipped in scenarios/ as `template-NAME.toml`.
pub const TEMPLATES: [(&str, &str); 3] = [
    ("api", include_str!("../../../scenarios/template-api.toml")),
    ("stack", include_str!("../../../scenarios/template-stack.toml")),
    ("gpu", include_str!("../../../scenarios/template-gpu.toml")),
];

/// Parses and validates scenario text. `origin` names it in messages; `default_name`
/// names the scenario if the file does not. Files it names (traces) are looked up
/// from the current directory.
pub fn parse(source: &str, origin: &str, default_name: &str) -> Result<Scenario, ScenarioError> {
    parse_with_overrides(source, origin, default_name, &[])
}

/// As [`parse`], with files the scenario names (traces) looked up from `base_dir`.
pub fn parse_in(
    source: &str,
    origin: &str,
    default_name: &str,
    base_dir: &Path,
) -> Result<Scenario, ScenarioError> {
    parse_with_overrides_in(source, origin, default_name, &[], base_dir)
}

/// Parses scenario text, applies `overrides` in order (later ones win), then validates.
/// Every problem found is returned, located in the file or at the override that caused it.
pub fn parse_with_overrides(
    source: &str,
    origin: &str,
    default_name: &str,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    parse_with_overrides_in(source, origin, default_name, overrides, Path::new("."))
}

/// The whole pipeline: syntax, overrides, presets merged under each `[[platform]]`,
/// every table checked against the schema, deserialisation, validation.
pub fn parse_with_overrides_in(
    source: &str,
    origin: &str,
    default_name: &str,
    overrides: &[Override],
    base_dir: &Path,
) -> Result<Scenario, ScenarioError> {
    let fail = |diagnostics| ScenarioError { origin: origin.to_string(), diagnostics };
    let mut loc = Locator::new(source);
    let syntax: Vec<Diagnostic> = loc.syntax_errors().into_iter().map(mixed_service_forms).collect();
    if !syntax.is_empty() {
        // The recovered document may be missing whole tables: checking it further would
        // only report echoes of the syntax errors.
        return Err(fail(syntax));
    }
    let mut doc: toml::Table = toml::from_str(source).map_err(|e| fail(vec![loc.from_toml(&e)]))?;

    let mut errors = Vec::new();
    for o in overrides {
        match overrides::apply(&mut doc, o) {
            Ok(path) => loc.set_by(path, o.label.clone()),
            Err(misfit) => errors.push(Diagnostic {
                set_by: Some(o.label.clone()),
                ..Diagnostic::unplaced(o.path.clone(), misfit.message).with_help(misfit.help)
            }),
        }
    }

    // After the overrides, so that `--set platform.api.preset=fargate` switches presets.
    let expanded = expand_presets(&mut doc);
    errors.extend(expanded.errors.iter().map(|(path, msg)| loc.diagnostic(path, msg)));

    // After the presets, so that a service's table merges over the platform's as merged.
    let inherited = expand_service_overrides(&mut doc);

    let report = structure::check(&mut doc);
    errors.extend(
        report
            .findings
            .iter()
            // What a service's table inherited from its platform is the platform's, and
            // reported there.
            .filter(|f| !inherited.iter().any(|p| is_under(&diagnostics::path_string(&f.path), p)))
            .map(|f| loc.diagnostic_at(&f.path, f.part, &f.message).with_help(f.help.clone())),
    );
    for (array, in_file) in report.renumbered.iter().cloned() {
        loc.renumber(array, in_file);
    }
    if let Some(kept) = expanded.kept {
        // Recorded after the structure check's renumbering, which applies first.
        loc.renumber(vec![Seg::Key("platform")], kept);
    }
    match ScenarioFile::deserialize(toml::Value::Table(doc)) {
        Ok(file) => match resolve::resolve(file, &loc, default_name, base_dir) {
            Ok(scenario) if errors.is_empty() => return Ok(scenario),
            Ok(_) => {}
            Err(found) => errors.extend(found.into_iter().filter(|d| !report.masks(&d.key))),
        },
        // The structure check removed what it reported; anything else is reported as is.
        Err(e) if errors.is_empty() => errors.push(loc.from_toml(&e)),
        Err(_) => {}
    }
    // File order, then what came from the command line.
    errors.sort_by_key(|d| (d.set_by.is_some(), d.line, d.column));
    Err(fail(errors))
}

/// What merging presets did to the `[[platform]]` array.
struct Expanded {
    /// Entries whose preset or runtime is unknown: the key concerned and the message.
    errors: Vec<(Vec<Seg>, String)>,
    /// When such entries were removed: each remaining entry's index in the file.
    kept: Option<Vec<usize>>,
}

/// Merges each `[[platform]]` entry's preset under it. Entries whose preset or runtime
/// is unknown are reported and removed.
fn expand_presets(doc: &mut toml::Table) -> Expanded {
    let mut errors = Vec::new();
    let Some(Value::Array(items)) = doc.get_mut("platform") else { return Expanded { errors, kept: None } };
    let mut kept = Vec::new();
    let mut expanded = Vec::new();
    for (i, item) in std::mem::take(items).into_iter().enumerate() {
        let Value::Table(entry) = item else {
            // Not a table: left for the structure check to report.
            kept.push(i);
            expanded.push(item);
            continue;
        };
        match presets::expand(entry) {
            Ok(merged) => {
                kept.push(i);
                expanded.push(Value::Table(merged));
            }
            Err((key, msg)) => errors.push((vec![Seg::Key("platform"), Seg::Index(i), Seg::Key(key)], msg)),
        }
    }
    let renumbered = kept.iter().enumerate().any(|(j, &i)| i != j).then_some(kept);
    *items = expanded;
    Expanded { errors, kept: renumbered }
}

/// Whether the key path `key` is `prefix` or lies under it.
fn is_under(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// The keys a service may set per platform, in `[platform.services.NAME]`, that are
/// tables: merged over the platform's table of the same key.
const PER_SERVICE_TABLES: [&str; 6] = ["instance", "autoscaler", "router", "startup", "spill", "billing"];

/// The services whose kind has platform defaults (`worker`, `cron`): (name, the
/// platform key of their defaults). A service without a valid name or kind is left to
/// the checks that report it.
fn kinds_with_defaults(doc: &toml::Table) -> Vec<(String, &'static str)> {
    let entries: Vec<&toml::Table> = match doc.get("service") {
        Some(Value::Table(one)) => vec![one],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_table).collect(),
        _ => Vec::new(),
    };
    let single = matches!(doc.get("service"), Some(Value::Table(_)));
    entries
        .into_iter()
        .filter_map(|t| {
            let key = match t.get("kind").and_then(Value::as_str)? {
                "worker" => "worker",
                "cron" => "cron",
                _ => return None,
            };
            let name = match t.get("name") {
                Some(Value::String(n)) => n.clone(),
                None if single => DEFAULT_SCOPE.to_string(),
                _ => return None,
            };
            Some((name, key))
        })
        .collect()
}

/// Completes each `[platform.services.NAME]` table: a table it sets (`instance = { cpu =
/// 2 }`) is merged over the platform's own, key by key, as an entry is merged over its
/// preset (and, as there, a table of another `kind` replaces the platform's whole). The
/// schema then sees complete tables, and resolution gives each service the platform's
/// values for whatever it does not set. Returns the key paths that came from the
/// platform, whose problems are the platform entry's own.
fn expand_service_overrides(doc: &mut toml::Table) -> Vec<String> {
    let mut inherited = Vec::new();
    let kinds = kinds_with_defaults(doc);
    let Some(Value::Array(items)) = doc.get_mut("platform") else { return inherited };
    for (i, item) in items.iter_mut().enumerate() {
        let Value::Table(entry) = item else { continue };
        // A worker or a scheduled job starts from the platform's defaults for its kind
        // (`[platform.worker]`, `[platform.cron]`), under its own overrides.
        let mut services = match entry.remove("services") {
            Some(Value::Table(services)) => services,
            // Not a table (`services = 5`): put back for the structure check to refuse.
            Some(other) => {
                entry.insert("services".into(), other);
                continue;
            }
            None => toml::Table::new(),
        };
        for (name, key) in &kinds {
            let Some(Value::Table(defaults)) = entry.get(*key) else { continue };
            let mut merged = defaults.clone();
            let at = diagnostics::path_string(&[
                Seg::Key("platform"),
                Seg::Index(i),
                Seg::Key("services"),
                Seg::Name(name.clone()),
            ]);
            match services.get(name) {
                Some(Value::Table(mine)) => {
                    from_base(defaults, mine, &at, &mut inherited);
                    presets::merge(&mut merged, mine);
                }
                Some(_) => continue,
                None => inherited.push(at),
            }
            services.insert(name.clone(), Value::Table(merged));
        }
        if services.is_empty() {
            continue;
        }
        for (name, over) in services.iter_mut() {
            let Value::Table(over) = over else { continue };
            for key in PER_SERVICE_TABLES {
                let (Some(Value::Table(base)), Some(Value::Table(mine))) =
                    (entry.get(key), over.get_mut(key))
                else {
                    continue;
                };
                if !presets::same_kind(base, mine) {
                    continue;
                }
                let at = diagnostics::path_string(&[
                    Seg::Key("platform"),
                    Seg::Index(i),
                    Seg::Key("services"),
                    Seg::Name(name.clone()),
                    Seg::Key(key),
                ]);
                from_base(base, mine, &at, &mut inherited);
                let mut merged = base.clone();
                presets::merge(&mut merged, mine);
                *mine = merged;
            }
        }
        entry.insert("services".into(), Value::Table(services));
    }
    inherited
}

/// The key paths under `at` that merging `over` onto `base` takes from `base`.
fn from_base(base: &toml::Table, over: &toml::Table, at: &str, out: &mut Vec<String>) {
    for (key, value) in base {
        let here = format!("{at}.{key}");
        match (value, over.get(key)) {
            (_, None) => out.push(here),
            (Value::Table(b), Some(Value::Table(o))) if presets::same_kind(b, o) => {
                from_base(b, o, &here, out)
            }
            _ => {}
        }
    }
}

/// A TOML "duplicate key" at `[service]` or `[[service]]` is the two ways of writing
/// services mixed: say so, since the parser cannot.
fn mixed_service_forms(mut d: Diagnostic) -> Diagnostic {
    let header = d.snippet.trim_start();
    let service_header = header.starts_with("[[service]]") || header.starts_with("[service]");
    if service_header
        && d.message.contains("duplicate key")
        && (d.key == "service" || d.key.starts_with("service["))
    {
        d.message =
            "`[service]` and `[[service]]` cannot both appear: a scenario describes one service in a \
                     [service] table, or a stack of named services in [[service]] entries"
                .into();
        d.help = Some("for a stack, write every service as [[service]] with a `name`".into());
    }
    d
}

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with_overrides(path, &[])
}

/// Reads a scenario file, applies `overrides`, and validates it. The scenario's name
/// defaults to the file name without its extension.
pub fn load_with_overrides(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let origin = path.display().to_string();
    let source = read_source(path)?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("scenario");
    // Paths inside a scenario are relative to the scenario file.
    let base_dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parse_with_overrides_in(&source, &origin, stem, overrides, base_dir)
}

/// The largest scenario file read. The shipped ones are under 40 KB; a path to a
/// device that never ends (the zero device, a named pipe fed for ever) was read until
/// memory ran out.
pub const MAX_SCENARIO_BYTES: u64 = 64 << 20;

/// A scenario file's text: at most [`MAX_SCENARIO_BYTES`] of UTF-8 (a pipe or process
/// substitution is read like a file).
pub fn read_source(path: &Path) -> Result<String, ScenarioError> {
    use std::io::Read;
    let origin = path.display().to_string();
    let fail = |message: String| ScenarioError::single(origin.clone(), Diagnostic::unplaced("", message));
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SCENARIO_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| fail(format!("cannot read the file: {e}")))?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(fail(format!(
            "longer than {} MiB: a scenario file is a few KB of TOML (is this the right file?)",
            MAX_SCENARIO_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| ScenarioError::single(origin.clone(), not_utf8(&e)))
}

/// Where a file stops being UTF-8: the line and column of the first bad byte (the text
/// before it is valid), so that the message points at it like any other error.
fn not_utf8(e: &std::string::FromUtf8Error) -> Diagnostic {
    let bytes = e.as_bytes();
    let at = e.utf8_error().valid_up_to();
    let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = bytes[at..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| at + i);
    Diagnostic {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
        snippet: String::from_utf8_lossy(&bytes[line_start..line_end]).into_owned(),
        width: 1,
        ..Diagnostic::unplaced(
            "",
            format!(
                "byte 0x{:02x} is not UTF-8 text: save the file as UTF-8",
                bytes.get(at).copied().unwrap_or(0)
            ),
        )
    }
}

/// The default scenario, parsed.
pub fn default_scenario() -> Scenario {
    parse(DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME, "default")
        .expect("the embedded default scenario is valid (checked by tests)")
}

/// `--platform NAME` named a platform the scenario does not have.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("no platform named \"{name}\" in scenario \"{scenario}\"; its platforms are: {}", available.join(", "))]
pub struct UnknownPlatform {
    pub name: String,
    pub scenario: String,
    pub available: Vec<String>,
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

    /// The scenario of a placement: `assignment[s]` is the index of the platform that runs
    /// service `s`. Each platform that runs some service keeps its entry with
    /// `only_services` naming them (and only their `[platform.services.NAME]` tables);
    /// platforms that run none are left out. The scenario is named `name`. Its resolved
    /// copy, run with `crossover run`, simulates exactly what this scenario does.
    pub fn placed(&self, assignment: &[usize], name: &str) -> Scenario {
        let mut out = self.clone();
        out.name = name.to_string();
        out.file.name = name.to_string();
        let mut platforms = Vec::new();
        let mut entries = Vec::new();
        for (p, (stack, entry)) in self.platforms.iter().zip(&self.file.platforms).enumerate() {
            let indices: Vec<usize> =
                (0..self.services.len()).filter(|&s| assignment.get(s) == Some(&p)).collect();
            if indices.is_empty() {
                continue;
            }
            let names: Vec<String> = indices.iter().map(|&s| self.services[s].name.clone()).collect();
            let mut entry = entry.clone();
            entry.services.retain(|k, _| names.contains(k));
            entry.only_services = (names.len() < self.services.len()).then_some(names);
            let stack = stack.only(&indices);
            platforms.push(match entry.only_services {
                Some(_) => stack,
                None => crossover_platform::StackSpec { only: None, ..stack },
            });
            entries.push(entry);
        }
        out.platforms = platforms;
        out.file.platforms = entries;
        out
    }

    /// The scenario at stage `i` (`[[stage]]`): only the stage's services, each with its
    /// traffic scaled; each platform keeps the stage's services it runs (`only_services`
    /// narrowed to them) and is left out when it runs none. A service's random streams
    /// are keyed by its name, so it draws the same at every stage that has it. The
    /// scenario is named `<name>-<stage>` and has no stages of its own.
    pub fn stage(&self, i: usize) -> Scenario {
        let stage = &self.stages[i];
        let mut out = self.clone();
        out.name = format!("{}-{}", self.name, stage.name);
        out.file.name = out.name.clone();
        out.stages = Vec::new();
        out.file.stages = Vec::new();
        let kept = &stage.services;
        out.services = kept
            .iter()
            .zip(&stage.traffic)
            .map(|(&s, t)| crossover_platform::ServiceLoad { traffic: t.clone(), ..self.services[s].clone() })
            .collect();
        // The file says the same: each kept service's traffic with the stage's share.
        let mut sections: Vec<schema::ServiceSection> =
            kept.iter().map(|&s| self.file.service.as_slice()[s].clone()).collect();
        for section in &mut sections {
            if section.kind == schema::ServiceKind::Cron {
                continue;
            }
            let share = section.traffic.as_ref().and_then(|t| t.share).unwrap_or(1.0) * stage.scale;
            match &mut section.traffic {
                Some(t) => t.share = Some(share),
                None => {
                    let mut table = toml::Table::new();
                    table.insert("share".into(), Value::Float(share));
                    section.traffic = schema::TrafficSection::deserialize(Value::Table(table)).ok();
                }
            }
        }
        out.file.service = match &self.file.service {
            schema::Services::One(_) if sections.len() == 1 => {
                schema::Services::One(Box::new(sections.pop().expect("one service")))
            }
            _ => schema::Services::Stack(sections),
        };
        let names: Vec<String> = out.services.iter().map(|s| s.name.clone()).collect();
        let mut platforms = Vec::new();
        let mut entries = Vec::new();
        for (stack, entry) in self.platforms.iter().zip(&self.file.platforms) {
            let runs: Vec<usize> = kept.iter().copied().filter(|&s| stack.runs(s)).collect();
            if runs.is_empty() {
                continue;
            }
            let narrowed = stack.only(&runs);
            // Renumbered to the stage's services.
            let only: Vec<usize> =
                runs.iter().map(|s| kept.iter().position(|k| k == s).unwrap_or(0)).collect();
            let all = only.len() == kept.len();
            let mut entry = entry.clone();
            let runs_names: Vec<String> = only.iter().map(|&k| names[k].clone()).collect();
            entry.services.retain(|k, _| runs_names.contains(k));
            entry.only_services = (!all).then_some(runs_names);
            platforms.push(crossover_platform::StackSpec { only: (!all).then_some(only), ..narrowed });
            entries.push(entry);
        }
        out.platforms = platforms;
        out.file.platforms = entries;
        out
    }

    /// Keeps only the named platforms, in the scenario's order (so the resolved copy lists
    /// exactly what ran). Every platform draws its own random streams, so a subset gives
    /// each of its platforms the same results as the full run.
    pub fn select_platforms(&mut self, names: &[String]) -> Result<(), UnknownPlatform> {
        if let Some(missing) = names.iter().find(|n| !self.platforms.iter().any(|p| &p.name == *n)) {
            return Err(UnknownPlatform {
                name: missing.clone(),
                scenario: self.name.clone(),
                available: self.platforms.iter().map(|p| p.name.clone()).collect(),
            });
        }
        let keep = |name: &str| names.iter().any(|n| n == name);
        self.platforms.retain(|p| keep(&p.name));
        self.file.platforms.retain(|p| keep(&p.name));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the whole pipeline on `source`; a panic fails the test, errors are fine.
    fn survives(source: &str, overrides: &[Override]) {
        let _ = parse_with_overrides(source, "fuzz.toml", "fuzz", overrides).map_err(|e| e.to_string());
    }

    /// Nothing panics on any input: every truncation of the scenarios, every line left out,
    /// and thousands of random edits (a fixed xorshift stream, so failures reproduce).
    /// A stack with every kind of per-service key, for the fuzzing below.
    const STACK: &str = r#"[traffic]
profile = "diurnal"
trough_rps = 1.0
peak_rps = 9.0
[[service]]
name = "api"
cpu = { dist = "lognormal", p50 = "20ms", p99 = "250ms" }
slo_p99 = "500ms"
traffic = { share = 0.5 }
[[service]]
name = "admin"
cpu = "40ms"
[service.traffic]
profile = "constant"
rps = 0.2
[[platform]]
name = "eks"
preset = "eks"
[platform.services.api]
instance = { cpu = 2, memory = "4GiB" }
autoscaler = { target = 0.5 }
min_instances = 2
[[platform]]
name = "run"
preset = "cloud-run"
spill = { to = "eks" }
[platform.services.admin]
router = { kind = "load-balancer" }
spill = { to = "eks", threshold = 2.0 }
"#;

    #[test]
    fn no_input_panics() {
        let sources = [DEFAULT_SCENARIO, TEMPLATES[0].1, TEMPLATES[1].1, TEMPLATES[2].1, STACK];
        for src in sources {
            for end in (0..=src.len()).filter(|i| src.is_char_boundary(*i)) {
                survives(&src[..end], &[]);
            }
            let lines: Vec<&str> = src.lines().collect();
            for skip in 0..lines.len() {
                let without: Vec<&str> =
                    lines.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, l)| *l).collect();
                survives(&without.join("\n"), &[]);
            }
        }
        let pieces = [
            "",
            "0",
            "-1",
            "1e308",
            "nan",
            "inf",
            "\"\"",
            "\"0s\"",
            "\"-5s\"",
            "\"1e300d\"",
            "[]",
            "{}",
            "[[x]]",
            "\"é\"",
            "true",
            "{ kind = \"fixed\" }",
            "{ dist = \"lognormal\" }",
            "=",
            "[",
            "\"",
            "4294967296",
            "9223372036854775807",
            "\"µs\"",
            "\"0.0000001ns\"",
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        for _ in 0..3000 {
            let src = sources[next(sources.len())];
            let mut at = next(src.len());
            while !src.is_char_boundary(at) {
                at -= 1;
            }
            let cut = (at + next(20)).min(src.len());
            let cut = (cut..=src.len()).find(|i| src.is_char_boundary(*i)).unwrap_or(src.len());
            let edited = format!("{}{}{}", &src[..at], pieces[next(pieces.len())], &src[cut..]);
            survives(&edited, &[]);
        }
        let paths = [
            "simulation.horizon",
            "platform[0].instance",
            "platform.per-request.autoscaler.kind",
            "platform[7].x",
            "service.cpu.p50",
            "traffic.business_hours[5]",
            "name.x",
            "platform",
            "\"a.b\".c",
            "service.io",
        ];
        for path in paths {
            for piece in pieces {
                if let Ok(o) = Override::new(path, overrides::typed_value(piece), "--set") {
                    survives(DEFAULT_SCENARIO, &[o]);
                }
            }
        }
        let stack_paths = [
            "service.api.cpu",
            "service[1].traffic",
            "service.admin.traffic.share",
            "service",
            "service[5].name",
            "platform.eks.services",
            "platform.eks.services.api",
            "platform.run.services.admin.spill.to",
            "platform[1].services.api.autoscaler.kind",
            "traffic",
        ];
        for path in stack_paths {
            for piece in pieces {
                if let Ok(o) = Override::new(path, overrides::typed_value(piece), "--set") {
                    survives(STACK, &[o]);
                }
            }
        }
        // Several services on many platforms are refused before they are built.
        let many = format!("{STACK}{}", "[[platform]]\nname = \"x\"\npreset = \"lambda\"\n".repeat(5001));
        let e = parse(&many, "many.toml", "many").unwrap_err();
        assert!(e.diagnostics.iter().any(|d| d.message.contains("at most 10000")), "{e}");
    }
}
