//! `crossover import`: the configuration a team already runs, read into a scenario.
//!
//! Inputs are recognised by content, one format per module: Kubernetes manifests
//! (`kubernetes.rs`, multi-document YAML as `kubectl`, `helm template` and `kustomize
//! build` print it), Cloud Run / Knative YAML (`knative.rs`), ECS task definitions and
//! services (`ecs.rs`, JSON) and `fly.toml` (`fly.rs`). Each reader fills the same
//! [`model::Imported`]: workloads with their sizes, replicas and autoscalers, and notes on
//! everything read but not mapped. `emit.rs` writes the scenario from it; `shapes.rs` fits
//! sizes to what each provider sells; `traffic.rs` reads `--traffic`.
//!
//! Invariants: nothing read is dropped silently (each field or kind not mapped is a
//! note, printed in the output and on stderr); a malformed input is an [`ImportError`]
//! located at file:line:column (or file and key path, for JSON and TOML values), never a
//! panic; the library reads only the paths it is given and writes nothing.

pub mod ecs;
pub mod emit;
pub mod fly;
pub mod knative;
pub mod kubernetes;
pub mod model;
pub mod names;
pub mod node;
pub mod quantity;
pub mod shapes;
pub mod traffic;
pub mod yaml;

pub use emit::{scenario, Options};
pub use model::Imported;

use node::{Loc, Node, Pos};
use std::collections::HashSet;
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// A malformed input: where, and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportError {
    pub loc: Loc,
    pub message: String,
}

impl ImportError {
    pub fn at(loc: Loc, message: impl Into<String>) -> ImportError {
        ImportError { loc, message: message.into() }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.message)
    }
}

impl std::error::Error for ImportError {}

/// One input file: the name to show, and its text.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// Largest input file read, and largest all the inputs of one import together:
/// manifests are kilobytes; this bounds a mistaken path or folder.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Most objects read in one import (YAML documents, JSON documents and list items, ECS
/// services): a stack's files hold tens to hundreds, and the passes that match objects to
/// one another (autoscalers to workloads, services to task definitions) take time
/// quadratic in their number; a 64 MiB file of small objects holds hundreds of thousands.
pub const MAX_OBJECTS: usize = 10_000;

/// Most values (mappings, lists and scalars) the inputs of one import may hold, counted
/// as they are parsed. A value of the tree takes some fifty to a hundred bytes however
/// short its text: a 64 MiB file of `0,` made gigabytes of them (`[0,0,...]`, in YAML or
/// JSON). The files of a stack hold thousands; [`MAX_OBJECTS`] documents of a few hundred
/// values each is about this.
pub const MAX_VALUES: usize = 2_000_000;

/// Largest TOML input: a `fly.toml` is a few hundred bytes, and the TOML parser builds
/// its own tree of the whole file, with no limit on it, before anything can be counted.
pub const MAX_TOML_BYTES: usize = 1 << 20;

/// The error for the value past [`MAX_VALUES`].
pub(crate) fn too_many_values() -> String {
    format!(
        "more than {MAX_VALUES} values (mappings, lists and scalars) in the inputs: a stack's files hold thousands; import the files of one stack at a time"
    )
}

const EXTENSIONS: &[&str] = &["yaml", "yml", "json", "toml"];

/// The files at `paths`: a file as given, a folder's `.yaml`, `.yml`, `.json` and
/// `.toml` files (recursively, sorted by path, hidden entries left out).
pub fn collect(paths: &[PathBuf]) -> Result<Vec<Source>, ImportError> {
    collect_within(paths, &mut MAX_FILE_BYTES.clone())
}

/// [`collect`], the files' bytes taken from `left`: what the import may still read in
/// all its inputs (at most [`MAX_FILE_BYTES`], see [`take_bytes`]).
pub fn collect_within(paths: &[PathBuf], left: &mut u64) -> Result<Vec<Source>, ImportError> {
    let mut files = Vec::new();
    for p in paths {
        let shown = p.display().to_string();
        let meta =
            std::fs::metadata(p).map_err(|e| ImportError::at(loc(&shown), format!("cannot read: {e}")))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, &mut HashSet::new(), 0)?;
            if found.is_empty() {
                return Err(ImportError::at(
                    loc(&shown),
                    "the folder holds no .yaml, .yml, .json or .toml file",
                ));
            }
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    files
        .iter()
        .map(|f| {
            let shown = f.display().to_string();
            let size = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
            if size > MAX_FILE_BYTES {
                return Err(ImportError::at(
                    loc(&shown),
                    format!("{size} bytes: larger than the {MAX_FILE_BYTES} bytes an import reads"),
                ));
            }
            // Before reading, as far as the size says (a device's says 0), then as read.
            take_bytes(size, &shown, &mut left.clone())?;
            let text = read_file(f, &shown, "")?;
            take_bytes(text.len() as u64, &shown, left)?;
            Ok(Source { name: shown, text })
        })
        .collect()
}

/// Takes `size` bytes of input `shown` from `left`, what the import may still read. Each
/// file may have [`MAX_FILE_BYTES`], and so may all of them together: every input is
/// held in memory while the import reads them, so a folder of a hundred 60 MB files
/// asked for some twelve gigabytes (700 MB for six).
pub fn take_bytes(size: u64, shown: &str, left: &mut u64) -> Result<(), ImportError> {
    if size > *left {
        return Err(ImportError::at(
            loc(shown),
            format!(
                "{size} bytes, with {left} bytes left of the {MAX_FILE_BYTES} an import reads in all: import the files of one stack at a time"
            ),
        ));
    }
    *left -= size;
    Ok(())
}

/// At most [`MAX_FILE_BYTES`] of UTF-8 text from `reader` (a file, `--traffic`'s file,
/// standard input), errors located at `shown` and prefixed by `what` (say `--traffic: `).
/// The read itself stops one byte past the limit: a device or a pipe reports a size of 0
/// whatever it yields, and `/dev/zero` never ends.
pub fn read_text(reader: impl std::io::Read, shown: &str, what: &str) -> Result<String, ImportError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ImportError::at(loc(shown), format!("{what}cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ImportError::at(
            loc(shown),
            format!("{what}more than the {MAX_FILE_BYTES} bytes an import reads"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        ImportError::at(loc(shown), format!("{what}not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
    })
}

/// [`read_text`] of the file at `path`.
pub(crate) fn read_file(path: &Path, shown: &str, what: &str) -> Result<String, ImportError> {
    let file = std::fs::File::open(path)
        .map_err(|e| ImportError::at(loc(shown), format!("{what}cannot read: {e}")))?;
    read_text(file, shown, what)
}

/// `dir`'s files into `out`; `seen` holds the folders walked (resolved), so that a
/// symbolic link to a folder already walked (a link to `.` or to a parent) is not walked
/// again: every file under it read once more per level, or two such links doubling the
/// walk at each of the 32 levels allowed.
fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    seen: &mut HashSet<PathBuf>,
    depth: usize,
) -> Result<(), ImportError> {
    if depth > 32 {
        return Ok(());
    }
    let resolved = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !seen.insert(resolved) {
        return Ok(());
    }
    let shown = dir.display().to_string();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ImportError::at(loc(&shown), format!("cannot read the folder: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out, seen, depth + 1)?;
        } else if p.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e)) {
            out.push(p);
        }
    }
    Ok(())
}

/// The error for the object past [`MAX_OBJECTS`].
fn too_many(file: &str, doc: &Doc) -> ImportError {
    let pos = match doc {
        Doc::Yaml(n) | Doc::Json(n) => n.pos,
        Doc::Fly(_) => Pos::default(),
    };
    ImportError::at(
        Loc { file: file.to_string(), pos },
        format!(
            "more than {MAX_OBJECTS} objects (YAML documents, JSON documents and list items, ECS services) in the inputs: a stack's files hold tens to hundreds; import the files of one stack at a time"
        ),
    )
}

fn loc(file: &str) -> Loc {
    Loc { file: file.to_string(), pos: Pos::default() }
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> Pos {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Pos { line, col }
}

/// The scenario for `imported`, checked by the scenario crate's own validation (files it
/// names looked up from `base_dir`). A candidate platform that cannot run a service as
/// sized (a pod larger than its nodes, a job's parallelism above its pool) is left out
/// and the reason listed; any other problem is a defect of the importer, returned as an
/// error.
pub fn build(imported: &Imported, opts: &Options, base_dir: &Path) -> Result<(String, Vec<String>), String> {
    let mut opts = opts.clone();
    loop {
        let (text, notes) = emit::scenario(imported, &opts)?;
        let err = match crossover_scenario::parse_in(&text, "the imported scenario", &opts.name, base_dir) {
            Ok(_) => return Ok((text, notes)),
            Err(e) => e,
        };
        // The `[traffic]` table is the user's own (`--traffic`), written out as given: a
        // mistake in it is theirs to fix, not a defect of the import.
        if let Some((_, from)) = &opts.traffic {
            let theirs: Vec<String> = err
                .diagnostics
                .iter()
                .filter(|d| {
                    d.key == "traffic" || d.key.starts_with("traffic.") || d.key.starts_with("traffic[")
                })
                .map(|d| match &d.help {
                    Some(help) => format!("`{}`: {} ({help})", d.key, d.message),
                    None => format!("`{}`: {}", d.key, d.message),
                })
                .collect();
            if !theirs.is_empty() {
                return Err(format!("--traffic: {from}: {}", theirs.join("; ")));
            }
        }
        let doc: toml::Table = text.parse().map_err(|e| format!("the imported scenario is not TOML: {e}"))?;
        let names: Vec<String> = doc
            .get("platform")
            .and_then(toml::Value::as_array)
            .map(|a| a.iter().filter_map(|p| p.get("name")?.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let mut dropped = false;
        for d in &err.diagnostics {
            let Some(rest) = d.key.strip_prefix("platform[") else { continue };
            let Some((i, key)) = rest.split_once("].") else { continue };
            let Ok(i) = i.parse::<usize>() else { continue };
            // Only what a platform can hold (`services.NAME.instance...`: a pod larger
            // than its nodes; `services.NAME.max_instances`: fewer instances than a job
            // runs at once): any other refusal is a value the import wrote wrong, and
            // leaving the platform out hid it (a target of 0 left out the very platform
            // the files describe, said only as "not mapped").
            if !matches!(key.split('.').nth(2), Some("instance" | "max_instances")) {
                continue;
            }
            if let Some(name) = names.get(i) {
                if emit::CANDIDATES.contains(&name.as_str()) && !opts.excluded.iter().any(|(x, _)| x == name)
                {
                    opts.excluded.push((name.clone(), format!("{}: {}", d.key, d.message)));
                    dropped = true;
                }
            }
        }
        if !dropped {
            return Err(format!("the imported scenario does not validate (a defect of crossover import; please report it with the input):\n{err}"));
        }
    }
}

/// A parsed document, before it is read.
enum Doc {
    Yaml(Node),
    Json(Node),
    Fly(toml::Table),
}

fn extension(name: &str) -> &str {
    Path::new(name).extension().and_then(|e| e.to_str()).unwrap_or("")
}

/// Parses one file by its content: JSON (starts with `{` or `[`, unless named .yaml),
/// TOML (named .toml, or parses as TOML), otherwise YAML. `values` is what the import may
/// still hold (see [`MAX_VALUES`]).
fn parse(src: &Source, values: &mut usize, out: &mut model::Imported) -> Result<Vec<Doc>, ImportError> {
    let ext = extension(&src.name);
    let first = src.text.trim_start().chars().next();
    let yaml_named = ext == "yaml" || ext == "yml";
    if !yaml_named && matches!(first, Some('{') | Some('[')) {
        let n = node::json(&src.text, values).map_err(|e| {
            // The reader's own refusals (too many values) are data errors; serde_json
            // ends every message with the position, given here by the location.
            let message = match e.classify() {
                serde_json::error::Category::Data => {
                    let text = e.to_string();
                    text.rsplit_once(" at line ").map_or(text.clone(), |(m, _)| m.to_string())
                }
                _ => format!("invalid JSON: {e}"),
            };
            ImportError::at(
                Loc { file: src.name.clone(), pos: Pos { line: e.line(), col: e.column() } },
                message,
            )
        })?;
        return Ok(match n.value {
            node::Value::Seq(items) => items.into_iter().map(Doc::Json).collect(),
            _ => vec![Doc::Json(n)],
        });
    }
    let small = src.text.len() <= MAX_TOML_BYTES;
    if ext == "toml" && !small {
        return Err(ImportError::at(
            loc(&src.name),
            format!(
                "{} bytes of TOML: a fly.toml is a few hundred, and crossover import reads TOML files of at most {MAX_TOML_BYTES} bytes",
                src.text.len()
            ),
        ));
    }
    let toml =
        if ext == "toml" || (!yaml_named && small) { Some(src.text.parse::<toml::Table>()) } else { None };
    if let Some(t) = toml.filter(|t| ext == "toml" || t.is_ok()) {
        let t: toml::Table = t.map_err(|e: toml::de::Error| {
            let pos = e.span().map(|s| line_col(&src.text, s.start)).unwrap_or_default();
            ImportError::at(Loc { file: src.name.clone(), pos }, format!("invalid TOML: {}", e.message()))
        })?;
        if fly::is_fly(&t) {
            return Ok(vec![Doc::Fly(t)]);
        }
        out.notes.skip(&loc(&src.name), "a TOML file that is not a fly.toml (no `app` with [http_service], [[vm]] or [[services]]); skipped");
        return Ok(Vec::new());
    }
    let docs = yaml::load(&src.text, values).map_err(|e| {
        let message =
            if e.message == too_many_values() { e.message } else { format!("invalid YAML: {}", e.message) };
        ImportError::at(Loc { file: src.name.clone(), pos: e.pos }, message)
    })?;
    Ok(docs.into_iter().map(Doc::Yaml).collect())
}

/// Reads every source into workloads and notes. The sources are parsed first (a
/// malformed one stops everything), then read in passes, so that what refers to
/// something else finds it whatever the order of the files: LimitRanges first, then the
/// workloads, then ECS services and the autoscalers that point at them.
pub fn read(sources: &[Source]) -> Result<model::Imported, ImportError> {
    let mut out =
        model::Imported { files: sources.iter().map(|s| s.name.clone()).collect(), ..Default::default() };
    let mut parsed = Vec::new();
    let mut values = MAX_VALUES;
    for src in sources {
        for doc in parse(src, &mut values, &mut out)? {
            if parsed.len() == MAX_OBJECTS {
                return Err(too_many(&src.name, &doc));
            }
            parsed.push((src.name.as_str(), doc));
        }
    }
    let mut limits = kubernetes::LimitDefaults::default();
    for (file, doc) in &parsed {
        if let Doc::Yaml(n) = doc {
            kubernetes::limit_defaults(file, n, &mut limits)?;
        }
    }
    let mut hpas = Vec::new();
    let mut services = Vec::new();
    let mut scaling: Vec<(&str, String, &Node)> = Vec::new();
    for (file, doc) in &parsed {
        match doc {
            Doc::Yaml(n) if knative::is_cloud_run(n) => knative::read(file, n, &mut out)?,
            Doc::Yaml(n) if kubernetes::is_kubernetes(n) => kubernetes::read(file, n, &limits, &mut hpas, &mut out)?,
            Doc::Yaml(n) => out.notes.skip(&Loc { file: file.to_string(), pos: n.pos }, "a YAML document without apiVersion and kind: not a Kubernetes or Cloud Run object; skipped"),
            Doc::Json(n) => match ecs::classify(n) {
                Some(ecs::EcsDoc::TaskDefinition(td)) => ecs::task_definition(file, td, &mut out)?,
                Some(ecs::EcsDoc::Services(list)) => {
                    if services.len() + list.len() > MAX_OBJECTS {
                        return Err(too_many(file, doc));
                    }
                    services.extend(list.into_iter().map(|s| (*file, s.clone())))
                }
                Some(ecs::EcsDoc::Scaling(d)) => {
                    scaling.push((file, d.get("ResourceId").and_then(Node::as_str).unwrap_or("").to_string(), d))
                }
                None => out.notes.skip(&loc(file), "JSON that is neither an ECS task definition (containerDefinitions) nor an ECS service (serviceName); skipped"),
            },
            Doc::Fly(t) => fly::read(file, t, &mut out)?,
        }
    }
    for (file, s) in services {
        ecs::service(file, &s, &mut out)?;
    }
    ecs::drop_served_assumptions(&mut out);
    // Application Auto Scaling: every document of one ResourceId together, in the order
    // each id first appears, the file being that of its first document.
    let mut groups: Vec<(&str, Vec<&Node>)> = Vec::new();
    let mut group_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (file, id, d) in &scaling {
        let g = *group_of.entry(id.as_str()).or_insert_with(|| {
            groups.push((*file, Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(*d);
    }
    for (file, docs) in groups {
        ecs::scaling(file, &docs, &mut out)?;
    }
    kubernetes::link(hpas, &mut out);
    // Each value is checked where it is read, but sums are not: two containers of 1e308
    // cores add up to infinity, which no shape fits (and a NaN made fitting panic).
    for w in &out.workloads {
        for (what, v) in [("CPU", w.cpu), ("memory", w.memory)] {
            if let Some(v) = v.filter(|v| !v.is_finite()) {
                return Err(ImportError::at(
                    w.loc.clone(),
                    format!(
                        "{} {}: its {what} comes to {v}: every size must be a finite number",
                        w.kind, w.name
                    ),
                ));
            }
        }
    }
    Ok(out)
}
