//! The structure check: the raw document against the schema, before deserialisation.
//!
//! serde stops at the first problem; a file with three typos should cost one edit, not
//! three runs. So every table of the document is checked on its own against the schema
//! type it will become: unknown keys (with the nearest allowed key as a suggestion), a
//! missing or unknown `kind`/`dist` tag, and each value's type, deserialising one key at
//! a time so that each error names its own key. Offending entries are removed as they
//! are found, leaving a document that may still deserialise so that validation can
//! report its own problems in the same pass.
//!
//! The allowed keys come from the serde derives themselves (see `probe`); only the
//! nesting (which key holds which table type) is listed here, in [`child_shape`].

use crate::diagnostics::{path_string, Part, Seg};
use crate::probe;
use crate::schema::*;
use crate::suggest::{did_you_mean, one_of};
use serde::de::DeserializeOwned;
use toml::{Table, Value};

/// One problem, on a key path, before it is given a place in the file.
#[derive(Clone, Debug)]
pub struct Finding {
    pub path: Vec<Seg>,
    pub part: Part,
    pub message: String,
    pub help: Option<String>,
}

/// What the check found, and what validation may no longer judge fairly.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Key paths under which validation errors may only be echoes of a problem already
    /// reported, because an offending value was removed there and a default (or nothing)
    /// took its place. `""` stands for errors about the file as a whole.
    pub masked: Vec<String>,
    /// Key paths at which (but not under which) validation errors may be echoes: a table
    /// whose misspelt key makes the table incomplete ("a lognormal takes p50 and p99").
    pub masked_exactly: Vec<String>,
    /// Arrays of tables from which elements were removed: the array's path, and for each
    /// remaining element its index in the file.
    pub renumbered: Vec<(Vec<Seg>, Vec<usize>)>,
}

impl Report {
    /// Whether a validation error at `key` should be left out as a likely echo.
    pub fn masks(&self, key: &str) -> bool {
        let under =
            |p: &str| key == p || key.starts_with(&format!("{p}.")) || key.starts_with(&format!("{p}["));
        self.masked.iter().any(|m| if m.is_empty() { key.is_empty() } else { under(m) })
            || self.masked_exactly.iter().any(|m| m == key)
    }
}

type Check = fn(Value) -> Result<(), toml::de::Error>;

/// How a table is checked: the keys it allows and the type it deserialises to.
#[derive(Clone, Copy)]
enum Shape {
    /// A plain struct.
    Struct { keys: fn() -> &'static [&'static str], check: Check },
    /// An enum internally tagged by `tag` (`kind = "fixed"`, `dist = "lognormal"`).
    Tagged {
        tag: &'static str,
        variants: fn(&'static str) -> &'static [&'static str],
        keys: fn(&'static str, &str) -> Option<&'static [&'static str]>,
        check: Check,
    },
}

fn check_as<T: DeserializeOwned>(v: Value) -> Result<(), toml::de::Error> {
    T::deserialize(v).map(|_| ())
}

fn plain<T: DeserializeOwned>() -> Shape {
    Shape::Struct { keys: probe::fields::<T>, check: check_as::<T> }
}

fn tagged<T: DeserializeOwned>(tag: &'static str) -> Shape {
    Shape::Tagged {
        tag,
        variants: probe::variants::<T>,
        keys: probe::variant_fields::<T>,
        check: check_as::<T>,
    }
}

/// Which table type the key `key` holds inside the table at `parent` (key names only,
/// array indices dropped). Keys not listed are checked whole, as one value, by serde.
fn child_shape(parent: &[&str], key: &str) -> Option<Shape> {
    Some(match (parent, key) {
        ([], "simulation") => plain::<SimulationSection>(),
        ([], "traffic") => plain::<TrafficSection>(),
        ([], "service") => plain::<ServiceSection>(),
        ([], "platform") => plain::<PlatformSection>(),
        ([], "stage") => plain::<StageSection>(),
        (["service"], "traffic") => plain::<TrafficSection>(),
        (["traffic"] | ["service", "traffic"], "trace") => plain::<TraceSection>(),
        (["traffic"] | ["service", "traffic"], "timestamps") => plain::<TimestampsSection>(),
        (["traffic"] | ["service", "traffic"], "series") => plain::<SeriesSection>(),
        (["traffic"] | ["service", "traffic"], "bursts") => plain::<BurstsSection>(),
        (["traffic"] | ["service", "traffic"], "on_off") => plain::<OnOffSection>(),
        (["service"], "cpu" | "io") => tagged::<DistTable>("dist"),
        (["platform"], "autoscaler") => tagged::<AutoscalerSection>("kind"),
        (["platform"], "instance") => plain::<InstanceSection>(),
        (["platform", "instance"], "cold_start") => tagged::<DistTable>("dist"),
        (["platform"], "startup") => plain::<StartupSection>(),
        (["platform"], "router") => tagged::<RouterSection>("kind"),
        (["platform"], "billing") => plain::<BillingSection>(),
        (["platform"], "interruptions") => plain::<InterruptionsSection>(),
        (["platform"], "limits") => plain::<LimitsSection>(),
        (["platform", "autoscaler"], "scale_up" | "scale_down") => plain::<HpaRulesSection>(),
        (["platform", "autoscaler"], "keda") => plain::<KedaSection>(),
        (["platform"], "nodes") => plain::<NodesSection>(),
        (["platform"], "spill") => plain::<SpillSection>(),
        (["platform", "nodes"], "machines") => plain::<MachineSection>(),
        (["platform", "nodes"], "daemonsets") => plain::<DaemonsetsSection>(),
        (["platform", "nodes"], "autoscaler") => tagged::<NodeAutoscalerSection>("kind"),
        (["platform", "nodes", "autoscaler"], "provisioning") => tagged::<DistTable>("dist"),
        (["platform", "nodes"], "billing") => plain::<NodeBillingSection>(),
        (["platform", "nodes"], "interruptions") => plain::<InterruptionsSection>(),
        (parent, "components") if holds_a_distribution(parent) => tagged::<DistTable>("dist"),
        _ => return None,
    })
}

/// Whether the table at `path` (indices dropped) is a distribution, whose `components`
/// (a mixture's) are distributions in turn.
fn holds_a_distribution(path: &[&str]) -> bool {
    matches!(
        path,
        ["service", "cpu" | "io"]
            | ["platform", "instance", "cold_start"]
            | ["platform", "nodes", "autoscaler", "provisioning"]
    ) || path.last() == Some(&"components")
}

/// The key of a platform entry that holds its per-service overrides, by service name.
/// Each entry is checked as a [`ServiceOverrides`] whose tables are the platform's own
/// (so its key is left out of `generic` paths); `key_paths` lists `platform.services`
/// as one key, since its keys are names.
const SERVICES: &str = "services";

/// The keys of a platform entry holding the defaults of a kind of service
/// (`[platform.worker]`, `[platform.cron]`), each checked as a [`ServiceOverrides`].
const KIND_DEFAULTS: [&str; 2] = ["worker", "cron"];

/// Every key path the schema knows, array indices dropped (`platform.autoscaler.keep_alive`),
/// with the keys of every kind of a tagged table, in schema order. The reference
/// documentation is tested against this list.
pub fn key_paths() -> Vec<String> {
    fn walk(prefix: &mut Vec<&'static str>, shape: Shape, out: &mut Vec<String>) {
        let keys: Vec<&'static str> = match shape {
            Shape::Struct { keys, .. } => keys().to_vec(),
            Shape::Tagged { tag, variants, keys, .. } => {
                let mut all = vec![tag];
                for v in variants(tag) {
                    for k in keys(tag, v).unwrap_or_default() {
                        if !all.contains(k) {
                            all.push(k);
                        }
                    }
                }
                all
            }
        };
        for key in keys {
            prefix.push(key);
            out.push(prefix.join("."));
            // A mixture's components take the keys of the distribution they are in, which
            // are listed already (and a component may be a mixture: the walk would not end).
            let child = child_shape(&prefix[..prefix.len() - 1], key).filter(|_| key != "components");
            if let Some(child) = child {
                walk(prefix, child, out);
            }
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    walk(&mut Vec::new(), plain::<ScenarioFile>(), &mut out);
    out
}

/// Checks the whole document, removing every offending entry from it.
pub fn check(doc: &mut Table) -> Report {
    let mut walk = Walk::default();
    let root = plain::<ScenarioFile>();
    walk.table(&mut Vec::new(), &mut Vec::new(), root, doc);
    walk.report
}

#[derive(Default)]
struct Walk {
    report: Report,
}

/// Whether a checked entry can stay in the document.
#[derive(PartialEq, Eq)]
enum Verdict {
    Keep,
    Remove,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// serde's wording, in the words of the file format.
fn friendly(message: &str) -> String {
    let mut m = message.trim().to_string();
    for (from, to) in [
        ("expected u32", "expected a whole number (0 .. 4294967295)"),
        ("expected u64", "expected a whole number >= 0"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected an array"),
        ("floating point", "float"),
    ] {
        m = m.replace(from, to);
    }
    if let Some(i) = m.find("expected struct ") {
        m.truncate(i);
        m.push_str("expected a table");
    }
    m
}

/// "did you mean" for serde's "unknown variant `diurnl`, expected `constant` or `diurnal`".
fn variant_help(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown variant `")?;
    let (word, expected) = rest.split_once('`')?;
    // Every second piece between backticks is an allowed name.
    let allowed = expected.split('`').skip(1).step_by(2);
    did_you_mean(word, allowed).map(|near| format!("did you mean `{near}`?"))
}

fn with(path: &[Seg], seg: Seg) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(seg);
    p
}

impl Walk {
    fn find(&mut self, path: Vec<Seg>, part: Part, message: String, help: Option<String>) {
        self.report.findings.push(Finding { path, part, message, help });
    }

    /// Records that the value at `entry` was removed for being wrong: the rest of its
    /// table (or, at the top of the file, the entry and the file as a whole) may now
    /// fail validation only because of it.
    fn removed(&mut self, entry: &[Seg]) {
        let masked = match entry {
            [] => vec![String::new()],
            [_] => vec![path_string(entry), String::new()],
            [.., _] => vec![path_string(&entry[..entry.len() - 1])],
        };
        for m in masked {
            if !self.report.masked.contains(&m) {
                self.report.masked.push(m);
            }
        }
    }

    /// The keys the table at `path` allows, or `None` (after reporting why) if its tag
    /// is missing or unknown, which leaves nothing to check it against.
    fn allowed_keys(&mut self, path: &[Seg], shape: Shape, table: &Table) -> Option<Vec<&'static str>> {
        match shape {
            Shape::Struct { keys, .. } => Some(keys().to_vec()),
            Shape::Tagged { tag, variants, keys, .. } => {
                let names = variants(tag);
                let allowed = format!("one of {}", one_of(names));
                let kind = match table.get(tag) {
                    Some(Value::String(kind)) => kind,
                    Some(other) => {
                        let msg = format!("`{tag}` must be a string, {allowed}; got {}", type_name(other));
                        self.find(with(path, Seg::Key(tag)), Part::Value, msg, None);
                        return None;
                    }
                    None => {
                        let msg = format!("missing `{tag}`: {allowed}");
                        self.find(with(path, Seg::Key(tag)), Part::Key, msg, None);
                        return None;
                    }
                };
                match keys(tag, kind) {
                    Some(fields) => Some(std::iter::once(tag).chain(fields.iter().copied()).collect()),
                    None => {
                        let help = did_you_mean(kind, names.iter().copied())
                            .map(|s| format!("did you mean `{tag} = \"{s}\"`?"));
                        let msg = format!("unknown {tag} \"{kind}\": {allowed}");
                        self.find(with(path, Seg::Key(tag)), Part::Value, msg, help);
                        None
                    }
                }
            }
        }
    }

    /// Reports and removes keys the table does not allow. Returns the keys suggested
    /// instead that the table lacks: the ones the user most likely meant to set.
    fn unknown_keys(
        &mut self,
        path: &[Seg],
        shape: Shape,
        table: &mut Table,
        allowed: &[&'static str],
    ) -> Vec<String> {
        let unknown: Vec<String> = table.keys().filter(|k| !allowed.contains(&k.as_str())).cloned().collect();
        // Removed at once: one removal at a time shifts the ordered map each time.
        table.retain(|k, _| allowed.contains(&k));
        let mut meant = Vec::new();
        for key in unknown {
            // Prefer a key the table lacks: `p90` next to `p50` was meant to be `p99`.
            let absent = allowed.iter().copied().filter(|a| !table.contains_key(*a));
            let near = did_you_mean(&key, absent).or_else(|| did_you_mean(&key, allowed.iter().copied()));
            // A misspelt key had no effect, so validation without it stands, except about
            // the key it was meant to be, which now looks missing.
            if let Some(near) = near.filter(|n| !table.contains_key(*n)) {
                let table_key = path_string(path);
                self.report.masked.push(path_string(&with(path, Seg::Key(near))));
                if !table_key.is_empty() {
                    self.report.masked_exactly.push(table_key);
                }
                meant.push(near.to_string());
            }
            let mut message = format!("unknown key `{key}`");
            let mut help = near.map(|s| format!("did you mean `{s}`?"));
            if let Shape::Tagged { tag, variants, keys, .. } = shape {
                let kind = table.get(tag).and_then(Value::as_str).unwrap_or_default();
                let owners: Vec<&str> = variants(tag)
                    .iter()
                    .copied()
                    .filter(|v| keys(tag, v).is_some_and(|f| f.contains(&key.as_str())))
                    .collect();
                if !owners.is_empty() {
                    message = format!(
                        "`{key}` does not apply to {tag} = \"{kind}\" (it belongs to {})",
                        one_of(&owners)
                    );
                }
            }
            if help.is_none() {
                let listed: Vec<&str> = allowed.to_vec();
                help = Some(format!("allowed here: {}", one_of(&listed)));
            }
            self.find(with(path, Seg::Name(key)), Part::Key, message, help);
        }
        meant
    }

    /// Checks the table at `path` (of type `shape`), removing what is wrong inside it.
    /// `generic` is `path` without array indices.
    fn table(
        &mut self,
        path: &mut Vec<Seg>,
        generic: &mut Vec<String>,
        shape: Shape,
        table: &mut Table,
    ) -> Verdict {
        let Some(allowed) = self.allowed_keys(path, shape, table) else {
            return Verdict::Remove;
        };
        // Keys meant by a misspelling are not reported missing as well.
        let mut removed = self.unknown_keys(path, shape, table, &allowed);
        let keys: Vec<String> = table.keys().cloned().collect();
        for key in keys {
            let generic_parent: Vec<&str> = generic.iter().map(String::as_str).collect();
            let child = child_shape(&generic_parent, &key);
            if generic_parent == ["platform"] && key == SERVICES {
                let verdict = match table.get_mut(&key) {
                    Some(Value::Table(services)) => {
                        path.push(Seg::Name(key.clone()));
                        self.service_overrides(path, generic, services);
                        path.pop();
                        Verdict::Keep
                    }
                    Some(other) => {
                        let msg = format!(
                            "expected a table of services by name, such as [platform.services.api], got {}",
                            type_name(other)
                        );
                        self.find(with(path, Seg::Name(key.clone())), Part::Value, msg, None);
                        Verdict::Remove
                    }
                    None => Verdict::Keep,
                };
                if verdict == Verdict::Remove {
                    table.remove(&key);
                    self.removed(&with(path, Seg::Name(key.clone())));
                }
                continue;
            }
            if generic_parent == ["platform"] && KIND_DEFAULTS.contains(&key.as_str()) {
                // A kind's defaults are one service's overrides: its tables are the
                // platform's own.
                if let Some(Value::Table(defaults)) = table.get_mut(&key) {
                    path.push(Seg::Name(key.clone()));
                    let verdict = self.table(path, generic, plain::<ServiceOverrides>(), defaults);
                    path.pop();
                    if verdict == Verdict::Remove {
                        table.remove(&key);
                        self.removed(&with(path, Seg::Name(key.clone())));
                    }
                    continue;
                }
            }
            let verdict = match (child, table.get_mut(&key)) {
                // A mixture's components mix durations and tables, and each answers to a
                // weight by its place: every table is checked where it stands (what is
                // wrong inside it is reported at its own key and taken out), nothing is
                // renumbered, and the durations are left to the type check of the whole.
                (Some(child), Some(Value::Array(items))) if key == "components" => {
                    path.push(Seg::Name(key.clone()));
                    generic.push(key.clone());
                    for (i, item) in items.iter_mut().enumerate() {
                        if let Value::Table(inner) = item {
                            path.push(Seg::Index(i));
                            if self.table(path, generic, child, inner) == Verdict::Remove {
                                self.report.masked.push(path_string(path));
                            }
                            path.pop();
                        }
                    }
                    generic.pop();
                    path.pop();
                    Verdict::Keep
                }
                (Some(child), Some(Value::Table(inner))) => {
                    path.push(Seg::Name(key.clone()));
                    generic.push(key.clone());
                    let v = self.table(path, generic, child, inner);
                    generic.pop();
                    path.pop();
                    v
                }
                // An array holding a table (`[[platform]]` entries, one replaced by
                // `--set platform[0]=5`), or only values that can never be one
                // (numbers, booleans, arrays), is checked element by element, so that a
                // bad element is reported where it is (or at the override that set it),
                // not at the file's first entry. Strings alone are left to the type
                // check of the whole value (mixture components, which may be
                // durations, are handled above).
                (Some(child), Some(Value::Array(items)))
                    if items.iter().any(Value::is_table) || !items.iter().any(Value::is_str) =>
                {
                    path.push(Seg::Name(key.clone()));
                    generic.push(key.clone());
                    let v = self.array_of_tables(path, generic, child, items);
                    generic.pop();
                    path.pop();
                    v
                }
                _ => self.leaf(path, shape, table, &key, child),
            };
            if verdict == Verdict::Remove {
                table.remove(&key);
                self.removed(&with(path, Seg::Name(key.clone())));
                removed.push(key);
            }
        }
        self.whole(path, shape, table, &removed)
    }

    /// Checks the per-service overrides of a platform entry at `path` (its `services`
    /// table): each a table of the keys a platform sets per service. A key the platform
    /// shares among its services (its tariff, its nodes) is named as such, since it is
    /// a platform key, only not one that differs by service.
    fn service_overrides(&mut self, path: &mut Vec<Seg>, generic: &mut Vec<String>, services: &mut Table) {
        let shape = plain::<ServiceOverrides>();
        let per_service = probe::fields::<ServiceOverrides>();
        let platform_keys = probe::fields::<PlatformSection>();
        let names: Vec<String> = services.keys().cloned().collect();
        for name in names {
            path.push(Seg::Name(name.clone()));
            let verdict = match services.get_mut(&name) {
                Some(Value::Table(entry)) => {
                    let shared: Vec<String> = entry
                        .keys()
                        .filter(|k| platform_keys.contains(&k.as_str()) && !per_service.contains(&k.as_str()))
                        .cloned()
                        .collect();
                    for key in shared {
                        entry.remove(&key);
                        self.find(
                            with(path, Seg::Name(key.clone())),
                            Part::Key,
                            format!(
                                "`{key}` is shared by every service of the platform: set it in the \
                                 [[platform]] entry itself"
                            ),
                            Some(format!("set per service: {}", one_of(per_service))),
                        );
                    }
                    self.table(path, generic, shape, entry)
                }
                Some(other) => {
                    let msg = format!(
                        "expected a table of the keys this service overrides, such as {{ min_instances = 2 }}, \
                         got {}",
                        type_name(other)
                    );
                    self.find(path.clone(), Part::Value, msg, None);
                    Verdict::Remove
                }
                None => Verdict::Keep,
            };
            if verdict == Verdict::Remove {
                services.remove(&name);
                self.removed(path);
                let element = path_string(path);
                self.report.masked.push(element);
            }
            path.pop();
        }
    }

    /// Checks each table of an array; a table that cannot be used is removed and the
    /// others renumbered (the report keeps their indices in the file).
    fn array_of_tables(
        &mut self,
        path: &mut Vec<Seg>,
        generic: &mut Vec<String>,
        shape: Shape,
        items: &mut Vec<Value>,
    ) -> Verdict {
        let mut kept = Vec::with_capacity(items.len());
        for (i, item) in items.iter_mut().enumerate() {
            if let Value::Table(inner) = item {
                path.push(Seg::Index(i));
                if self.table(path, generic, shape, inner) == Verdict::Keep {
                    kept.push(i);
                } else {
                    let element = path.clone();
                    self.report.masked.push(path_string(&element));
                }
                path.pop();
            } else {
                // Reported at the element, so that an override that set it
                // (`--set platform[0]=5`) is named rather than the file's array.
                path.push(Seg::Index(i));
                let element = path.clone();
                self.find(
                    element.clone(),
                    Part::Value,
                    format!("expected a table, got {}", type_name(item)),
                    None,
                );
                self.report.masked.push(path_string(&element));
                path.pop();
            }
        }
        // Removed only when every element was refused (and so reported). An array empty
        // in the file is kept for validation to judge: removing it silently dropped
        // `nodes.machines = []` with its whole `nodes` table, and the platform ran
        // without nodes.
        if kept.is_empty() && !items.is_empty() {
            return Verdict::Remove;
        }
        if kept.len() < items.len() {
            let mut i = 0;
            items.retain(|_| {
                i += 1;
                kept.contains(&(i - 1))
            });
            self.report.renumbered.push((path.clone(), kept));
        }
        Verdict::Keep
    }

    /// Checks one value by deserialising its table with only that key (and the tag).
    /// `child` is the table type the value would have if it were a table.
    fn leaf(
        &mut self,
        path: &[Seg],
        shape: Shape,
        table: &Table,
        key: &str,
        child: Option<Shape>,
    ) -> Verdict {
        let Some(value) = table.get(key) else { return Verdict::Keep };
        let mut alone = Table::new();
        let check = match shape {
            Shape::Struct { check, .. } => check,
            Shape::Tagged { tag, check, .. } => {
                if key == tag {
                    return Verdict::Keep;
                }
                if let Some(t) = table.get(tag) {
                    alone.insert(tag.to_string(), t.clone());
                }
                check
            }
        };
        alone.insert(key.to_string(), value.clone());
        match check(Value::Table(alone)) {
            Ok(()) => Verdict::Keep,
            // Other keys are absent on purpose here; missing keys are the whole table's concern.
            Err(e) if e.message().starts_with("missing field") => Verdict::Keep,
            Err(e) => {
                let help = variant_help(e.message());
                let message = match child {
                    // serde would name the Rust enum; say what the file should hold.
                    Some(Shape::Tagged { tag, variants, .. })
                        if e.message().contains("internally tagged") =>
                    {
                        let kinds = variants(tag);
                        format!(
                            "expected a table such as {{ {tag} = \"{}\", ... }} ({tag}: one of {}), got {}",
                            kinds.first().copied().unwrap_or_default(),
                            one_of(kinds),
                            type_name(value)
                        )
                    }
                    _ => friendly(e.message()),
                };
                self.find(with(path, Seg::Name(key.to_string())), Part::Value, message, help);
                Verdict::Remove
            }
        }
    }

    /// Deserialises the whole (pruned) table: what remains is a missing required key.
    fn whole(&mut self, path: &[Seg], shape: Shape, table: &Table, removed: &[String]) -> Verdict {
        let check = match shape {
            Shape::Struct { check, .. } | Shape::Tagged { check, .. } => check,
        };
        let Err(e) = check(Value::Table(table.clone())) else { return Verdict::Keep };
        let message = e.message().trim();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string);
        match missing {
            // A key removed above was required: its problem is already reported.
            Some(field) if removed.contains(&field) => {}
            Some(field) => {
                let what = match path.is_empty() {
                    false => format!("missing key `{field}` in `{}`", path_string(path)),
                    true => format!("missing key `{field}`"),
                };
                self.find(with(path, Seg::Name(field)), Part::Key, what, None);
            }
            None => self.find(path.to_vec(), Part::Value, friendly(message), None),
        }
        Verdict::Remove
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(src: &str) -> Vec<(String, String)> {
        let mut doc: Table = toml::from_str(src).unwrap();
        check(&mut doc)
            .findings
            .into_iter()
            .map(|f| (path_string(&f.path), format!("{} {}", f.message, f.help.unwrap_or_default())))
            .collect()
    }

    const GOOD: &str = r#"
[traffic]
profile = "constant"
rps = 1.0
[service]
cpu = "10ms"
[[platform]]
name = "a"
autoscaler = { kind = "fixed", instances = 1 }
"#;

    #[test]
    fn key_paths_cover_nested_and_tagged_tables() {
        let paths = key_paths();
        for p in ["name", "simulation.horizon", "platform.autoscaler.kind", "platform.autoscaler.keep_alive"]
        {
            assert!(paths.contains(&p.to_string()), "{p}: {paths:?}");
        }
        assert!(paths.contains(&"platform.instance.cold_start.p99".to_string()));
        assert!(paths.contains(&"platform.billing.fixed_monthly".to_string()));
        // A stack's keys: a service's own traffic has [traffic]'s keys; a platform's
        // `services` holds names, so it is one key.
        for p in
            ["service.name", "service.slo_p99", "service.traffic.share", "service.traffic.bursts.per_day"]
        {
            assert!(paths.contains(&p.to_string()), "{p}: {paths:?}");
        }
        assert!(paths.contains(&"platform.services".to_string()));
        assert!(!paths.iter().any(|p| p.starts_with("platform.services.")), "{paths:?}");
        for p in [
            "traffic.bursts.per_day",
            "traffic.trace.file",
            "platform.startup.cpu_boost",
            "platform.limits.cpu_range",
        ] {
            assert!(paths.contains(&p.to_string()), "{p}: {paths:?}");
        }
    }

    #[test]
    fn unknown_keys_inside_nested_tables_are_reported_each_with_a_suggestion() {
        let traffic = "rps = 1.0\n\
                       bursts = { per_dya = 2.0 }\n\
                       on_off = { on_factor = 2.0, mean_on = \"1m\", mean_of = \"1h\" }";
        let src = GOOD.replace("rps = 1.0", traffic)
            + "startup = { fixd = \"1s\", cpu_boost = 0.5 }\n\
               interruptions = { rate_per_hour = 0.1, warnin = \"2m\" }\n\
               limits = { cpu_rang = [0.5, 2.0] }\n";
        let f = findings(&src);
        for (key, near) in [
            ("traffic.bursts.per_dya", "per_day"),
            ("traffic.on_off.mean_of", "mean_off"),
            ("platform[0].startup.fixd", "fixed"),
            ("platform[0].interruptions.warnin", "warning"),
            ("platform[0].limits.cpu_rang", "cpu_range"),
        ] {
            assert!(
                f.iter().any(|(k, m)| k == key && m.contains(&format!("did you mean `{near}`?"))),
                "{key}: {f:?}"
            );
        }
    }

    #[test]
    fn a_good_file_has_no_findings() {
        assert!(findings(GOOD).is_empty());
        // The default scenario's platforms are presets: checked as the pipeline does, after
        // each preset is merged in.
        let mut doc: Table = toml::from_str(crate::DEFAULT_SCENARIO).unwrap();
        if let Some(toml::Value::Array(items)) = doc.get_mut("platform") {
            for item in items.iter_mut() {
                let entry = item.as_table().unwrap().clone();
                *item = toml::Value::Table(crate::presets::expand(entry).unwrap());
            }
        }
        assert!(check(&mut doc).findings.is_empty());
    }

    #[test]
    fn every_unknown_key_is_reported_with_a_suggestion() {
        let src = GOOD.replace("name = \"a\"", "name = \"a\"\nmax_instancs = 3\nrequest_timout = \"1s\"")
            + "[simulation]\nreplicatons = 2\n";
        let f = findings(&src);
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(f.iter().any(|(k, m)| k == "platform[0].max_instancs" && m.contains("`max_instances`")));
        assert!(f.iter().any(|(k, m)| k == "platform[0].request_timout" && m.contains("`request_timeout`")));
        assert!(f.iter().any(|(k, m)| k == "simulation.replicatons" && m.contains("`replications`")));
    }

    #[test]
    fn tagged_tables_check_the_keys_of_their_kind() {
        let src = GOOD.replace("instances = 1 }", "instances = 1, keep_alive = \"1m\" }");
        let f = findings(&src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "platform[0].autoscaler.keep_alive");
        assert!(f[0].1.contains("does not apply to kind = \"fixed\""), "{f:?}");

        let f = findings(&GOOD.replace("\"fixed\"", "\"fixd\""));
        assert_eq!(f[0].0, "platform[0].autoscaler.kind");
        assert!(f[0].1.contains("did you mean `kind = \"fixed\"`?"), "{f:?}");
    }

    #[test]
    fn each_wrong_type_names_its_own_key() {
        let src =
            GOOD.replace("rps = 1.0", "rps = \"fast\"").replace("instances = 1 }", "instances = \"2\" }");
        let f = findings(&src);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f.iter().any(|(k, m)| k == "traffic.rps" && m.contains("expected a number")), "{f:?}");
        assert!(f.iter().any(|(k, m)| k == "platform[0].autoscaler.instances" && m.contains("whole number")));
    }

    #[test]
    fn unknown_enum_values_get_a_suggestion() {
        let f = findings(&GOOD.replace("\"constant\"", "\"constnat\""));
        assert_eq!(f[0].0, "traffic.profile");
        assert!(f[0].1.contains("did you mean `constant`?"), "{f:?}");
    }

    #[test]
    fn missing_required_keys_are_named() {
        let f = findings(&GOOD.replace("name = \"a\"\n", ""));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "platform[0].name");
        let f = findings(&GOOD.replace(", instances = 1", ""));
        assert_eq!(f[0].0, "platform[0].autoscaler.instances");
    }

    #[test]
    fn removed_entries_leave_a_document_that_still_deserialises() {
        let src = GOOD.replace("name = \"a\"", "name = \"a\"\nmax_instancs = 3");
        let mut doc: Table = toml::from_str(&src).unwrap();
        let report = check(&mut doc);
        assert_eq!(report.findings.len(), 1);
        // A misspelt key hides only what is said about the key it was meant to be.
        assert!(report.masks("platform[0].max_instances"));
        assert!(!report.masks("platform[0].min_instances"));
        assert!(check_as::<ScenarioFile>(Value::Table(doc.clone())).is_ok());

        let src = GOOD.replace("rps = 1.0", "rps = \"1\"") + "[[platform]]\nname = \"b\"\nautoscaler = 3\n";
        let mut doc: Table = toml::from_str(&src).unwrap();
        let report = check(&mut doc);
        assert_eq!(report.findings.len(), 2, "{:?}", report.findings);
        assert!(report.masks("traffic.profile"));
        assert!(report.masks("platform[1].name"));
        assert!(!report.masks("platform[0].name"));
        assert!(!report.masks(""));
        assert_eq!(report.renumbered, [(vec![Seg::Key("platform")], vec![0])]);
        assert!(check_as::<ScenarioFile>(Value::Table(doc)).is_ok());
    }
}
