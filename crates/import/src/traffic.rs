//! `--traffic FILE`: the whole stack's traffic, which no deployment file holds. Either a
//! TOML file with a `[traffic]` table (any profile of the scenario format), or a
//! recording: the Azure Functions per-minute layout (a `HashFunction` column) becomes
//! `profile = "trace"`, any other CSV or log `profile = "timestamps"` (times read as
//! the scenario reference describes). The recording is named by a path relative to the
//! scenario's folder when it lies under it, else by its absolute path.

use crate::node::{Loc, Pos};
use crate::{line_col, ImportError};
use std::path::{Path, PathBuf};

/// The `[traffic]` table `file` gives, and a phrase saying where it came from;
/// `scenario_dir` is the folder the scenario will be written to.
pub fn table(file: &Path, scenario_dir: &Path) -> Result<(toml::Table, String), ImportError> {
    let shown = file.display().to_string();
    let at = |pos: Pos| Loc { file: shown.clone(), pos };
    let text = crate::read_file(file, &shown, "--traffic: ")?;
    let is_toml = file.extension().is_some_and(|e| e == "toml") || text.trim_start().starts_with('[');
    if is_toml && !text.trim_start().starts_with("HashOwner") {
        // As an input's: the TOML parser builds a tree of the whole file before anything
        // can be counted (30 MB took 4.7 GB and 17 s).
        if text.len() > crate::MAX_TOML_BYTES {
            return Err(ImportError::at(
                at(Pos::default()),
                format!(
                    "--traffic: {} bytes of TOML: a [traffic] table is a few lines, and crossover import reads TOML files of at most {} bytes (a recording goes in a CSV or log file)",
                    text.len(),
                    crate::MAX_TOML_BYTES
                ),
            ));
        }
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let pos = e.span().map(|s| line_col(&text, s.start)).unwrap_or_default();
            ImportError::at(at(pos), format!("--traffic: invalid TOML: {}", e.message()))
        })?;
        let t = doc.get("traffic").and_then(toml::Value::as_table).cloned().ok_or_else(|| {
            ImportError::at(
                at(Pos::default()),
                "--traffic: the file has no [traffic] table (give a TOML file with one, or a trace)",
            )
        })?;
        return Ok((t, format!("the [traffic] table of {shown}")));
    }
    let header = text.lines().next().unwrap_or("");
    let path = relative(file, scenario_dir);
    let mut t = toml::Table::new();
    let mut inner = toml::Table::new();
    inner.insert("file".into(), toml::Value::String(path));
    if header.split(',').any(|c| c.trim() == "HashFunction") {
        t.insert("profile".into(), "trace".into());
        t.insert("trace".into(), toml::Value::Table(inner));
        Ok((t, format!("the per-minute trace {shown} (Azure Functions layout)")))
    } else {
        t.insert("profile".into(), "timestamps".into());
        t.insert("timestamps".into(), toml::Value::Table(inner));
        Ok((t, format!("the requests recorded in {shown}")))
    }
}

/// `file` as the scenario in `dir` should name it.
fn relative(file: &Path, dir: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (f, d): (PathBuf, PathBuf) = (abs(file), abs(dir));
    match f.strip_prefix(&d) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => f.display().to_string(),
    }
}
