//! Scenario files: the TOML schema, parsing with locations, validation and resolution.
//!
//! A scenario is text in, a validated [`Scenario`] (or every error found, each with its
//! file, line, column and key) out. Nothing here runs a simulation or writes a file.

pub mod diagnostics;
pub mod resolve;
pub mod schema;
mod traffic;
pub mod units;

pub use diagnostics::{Diagnostic, ScenarioError};
pub use resolve::Scenario;
pub use schema::ScenarioFile;

use diagnostics::Locator;
use std::path::Path;

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
    let file: ScenarioFile = toml::from_str(source).map_err(|e| fail(vec![loc.from_toml(&e)]))?;
    resolve::resolve(file, &loc, default_name, base_dir).map_err(fail)
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
