//! Presets: parsing the embedded preset files and merging one under a user's entry.
//!
//! A `[[platform]]` entry with `preset = "cloud-run"` starts from the preset's
//! `[platform]` table; a `runtime = "go"` picks one of the preset's cold-start profiles;
//! the entry's own keys override either, key by key (tables merge recursively). A table
//! whose `kind` (an autoscaler, a router) or `dist` (a distribution) differs from the
//! preset's replaces it whole, since its other keys belong to the other kind.

use crossover_platform::presets::{PresetFile, PRESETS};
use std::collections::BTreeMap;
use toml::{Table, Value};

#[derive(Clone, Debug)]
pub struct Preset {
    pub name: &'static str,
    pub title: String,
    pub billing_model: String,
    pub as_of: String,
    /// Source of each value, by dotted key path (a path also covers the keys below it).
    pub sources: BTreeMap<String, String>,
    /// Cold-start profiles by runtime name: tables merged over `platform`.
    pub runtimes: BTreeMap<String, Table>,
    pub platform: Table,
}

fn text(t: &Table, key: &str) -> String {
    t.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

impl Preset {
    /// Parses an embedded preset file. The files ship with the binary and a test parses
    /// and validates each, so a malformed one is a build defect, not a user error.
    fn parse(file: &PresetFile) -> Preset {
        let doc: Table = toml::from_str(file.toml)
            .unwrap_or_else(|e| panic!("embedded preset {} is not valid TOML: {e}", file.name));
        let meta = doc.get("preset").and_then(Value::as_table).cloned().unwrap_or_default();
        let strings = |key: &str| -> BTreeMap<String, String> {
            meta.get(key)
                .and_then(Value::as_table)
                .map(|t| {
                    t.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect()
                })
                .unwrap_or_default()
        };
        let runtimes = meta
            .get("runtimes")
            .and_then(Value::as_table)
            .map(|t| t.iter().filter_map(|(k, v)| Some((k.clone(), v.as_table()?.clone()))).collect())
            .unwrap_or_default();
        Preset {
            name: file.name,
            title: text(&meta, "title"),
            billing_model: text(&meta, "billing_model"),
            as_of: text(&meta, "as_of"),
            sources: strings("sources"),
            runtimes,
            platform: doc.get("platform").and_then(Value::as_table).cloned().unwrap_or_default(),
        }
    }

    /// The source that covers `path` (its own, or the nearest ancestor's).
    pub fn source_of(&self, path: &str) -> Option<&str> {
        let mut p = path;
        loop {
            if let Some(s) = self.sources.get(p) {
                return Some(s);
            }
            p = &p[..p.rfind('.')?];
        }
    }
}

pub fn all() -> Vec<Preset> {
    PRESETS.iter().map(Preset::parse).collect()
}

pub fn find(name: &str) -> Option<Preset> {
    crossover_platform::presets::find(name).map(Preset::parse)
}

pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}

/// Whether `over` describes the same kind of thing as `base`, so their keys can mix.
pub(crate) fn same_kind(base: &Table, over: &Table) -> bool {
    ["kind", "dist"].iter().all(|tag| over.get(*tag).is_none() || base.get(*tag) == over.get(*tag))
}

/// Merges `over` into `base`, key by key.
pub fn merge(base: &mut Table, over: &Table) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(Value::Table(b)), Value::Table(o)) if same_kind(b, o) => merge(b, o),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// What went wrong expanding an entry: the key it concerns and the message.
pub type ExpandError = (&'static str, String);

/// The entry with its preset (and runtime profile) underneath, or it unchanged.
pub fn expand(entry: Table) -> Result<Table, ExpandError> {
    let preset_name = match entry.get("preset") {
        None => {
            if entry.contains_key("runtime") {
                return Err((
                    "runtime",
                    "a runtime profile comes from a preset: add `preset = \"...\"`".into(),
                ));
            }
            return Ok(entry);
        }
        Some(Value::String(name)) => name.clone(),
        Some(_) => return Err(("preset", "must be a preset name (a string)".into())),
    };
    let Some(preset) = find(&preset_name) else {
        return Err(("preset", unknown("preset", &preset_name, &names())));
    };
    let mut merged = preset.platform.clone();
    match entry.get("runtime") {
        None => {}
        Some(Value::String(rt)) => match preset.runtimes.get(rt) {
            Some(profile) => merge(&mut merged, profile),
            None => {
                let known: Vec<&str> = preset.runtimes.keys().map(String::as_str).collect();
                let msg = unknown("runtime", rt, &known);
                return Err(("runtime", msg.replacen(" (", &format!(" for preset \"{preset_name}\" ("), 1)));
            }
        },
        Some(_) => return Err(("runtime", "must be a runtime name (a string)".into())),
    }
    merge(&mut merged, &entry);
    Ok(merged)
}

fn unknown(what: &str, name: &str, known: &[&str]) -> String {
    let mut msg = format!("unknown {what} \"{name}\"");
    if let Some(best) = crate::suggest::did_you_mean(name, known.iter().copied()) {
        msg.push_str(&format!(" (did you mean \"{best}\"?)"));
    }
    if known.is_empty() {
        msg.push_str("; this preset has none");
    } else {
        msg.push_str(&format!("; known: {}", known.join(", ")));
    }
    msg
}

/// `crossover presets`: one line per preset with its key prices and as-of date.
pub fn listing() -> String {
    let rows: Vec<[String; 6]> = all()
        .iter()
        .map(|p| {
            let billing = p.platform.get("billing").and_then(Value::as_table);
            let price = |key: &str| billing.and_then(|b| b.get(key)).and_then(Value::as_float).unwrap_or(0.0);
            let per_million = billing.and_then(|b| b.get("per_million_requests")).and_then(Value::as_float);
            // Node pools bill machines, not pod seconds: show the first machine's price.
            let node = p
                .platform
                .get("nodes")
                .and_then(|n| n.get("machines"))
                .and_then(Value::as_array)
                .and_then(|m| m.first())
                .and_then(|m| Some((m.get("name")?.as_str()?, m.get("hourly")?.as_float()?)))
                .filter(|&(_, hourly)| hourly > 0.0);
            let per_hour = |key: &str, digits: usize| match node {
                Some(_) => "-".to_string(),
                None => format!("{:.digits$}", price(key) * 3600.0),
            };
            let title = match node {
                Some((name, hourly)) => format!("{} [{name} ${hourly}/node-h]", p.title),
                None => p.title.clone(),
            };
            [
                p.name.to_string(),
                per_hour("vcpu_second", 4),
                per_hour("gib_second", 5),
                per_million.map_or("-".into(), |x| format!("{x:.2}")),
                p.as_of.clone(),
                title,
            ]
        })
        .collect();
    let header = ["preset", "$/vCPU-h", "$/GiB-h", "$/M req", "as of", "platform"];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut s = format!("{:<w0$}", cells[0], w0 = widths[0]);
        for (i, cell) in cells.iter().enumerate().skip(1).take(4) {
            s.push_str(&format!("  {:>w$}", cell, w = widths[i]));
        }
        s.push_str(&format!("  {}", cells[5]));
        s + "\n"
    };
    let mut out = line(header);
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]));
    }
    out.push_str("active prices; `crossover presets NAME` shows every value with its source\n");
    out
}

/// `crossover presets NAME`: every value of the preset with the source it comes from.
pub fn describe(name: &str) -> Result<String, String> {
    let p = find(name).ok_or_else(|| unknown("preset", name, &names()))?;
    let mut out = format!("# {}\n# billing: {}\n# prices as of {}\n", p.title, p.billing_model, p.as_of);
    let mut leaves = Vec::new();
    flatten(&p.platform, "", &mut leaves);
    let width = leaves.iter().map(|(k, v)| k.len() + v.len() + 3).max().unwrap_or(0).min(70);
    out.push_str(&format!("preset = \"{}\"\n", p.name));
    for (key, value) in leaves {
        let assignment = format!("{key} = {value}");
        match p.source_of(&key) {
            Some(src) => out.push_str(&format!("{assignment:<width$}  # {src}\n")),
            None => out.push_str(&format!("{assignment}\n")),
        }
    }
    if !p.runtimes.is_empty() {
        let names: Vec<&str> = p.runtimes.keys().map(String::as_str).collect();
        out.push_str(&format!("# runtime profiles (runtime = \"...\"): {}\n", names.join(", ")));
    }
    Ok(out)
}

/// Leaf values by dotted path (arrays and distribution tables kept whole).
fn flatten(t: &Table, prefix: &str, out: &mut Vec<(String, String)>) {
    for (k, v) in t {
        let bare = k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let key = if bare { k.clone() } else { format!("\"{k}\"") };
        let path = if prefix.is_empty() { key } else { format!("{prefix}.{key}") };
        match v {
            Value::Table(inner) if !inner.contains_key("dist") => flatten(inner, &path, out),
            _ => out.push((path, v.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn the_listing_shows_pod_prices_or_node_prices() {
        let listing = listing();
        let row =
            |name: &str| listing.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap().to_string();
        assert!(row("gke-autopilot").contains("0.0445"), "{}", row("gke-autopilot"));
        let eks = row("eks");
        assert!(eks.contains("[m7g.xlarge $0.1632/node-h]") && !eks.contains("0.0000"), "{eks}");
        assert!(
            row("cloud-run").contains("0.0864") || row("cloud-run").contains("0.086"),
            "{}",
            row("cloud-run")
        );
    }

    #[test]
    fn user_keys_override_preset_keys_deeply() {
        let mut base = table("a = 1\n[t]\nx = 1\ny = 2\n");
        merge(&mut base, &table("[t]\ny = 3\nz = 4\n"));
        assert_eq!(base, table("a = 1\n[t]\nx = 1\ny = 3\nz = 4\n"));
    }

    #[test]
    fn a_table_of_another_kind_replaces_the_preset_table() {
        let mut base = table("autoscaler = { kind = \"concurrency\", tick = \"2s\" }");
        merge(&mut base, &table("autoscaler = { kind = \"fixed\", instances = 2 }"));
        assert_eq!(base, table("autoscaler = { kind = \"fixed\", instances = 2 }"));
    }

    #[test]
    fn every_embedded_preset_parses_with_title_date_and_sources() {
        for p in all() {
            assert!(!p.title.is_empty() && !p.as_of.is_empty(), "{}", p.name);
            assert!(p.sources.len() >= 5, "{} cites too little", p.name);
            // A source is something a reader can look up: never a file the project's
            // authors had beside the repository.
            for (key, source) in &p.sources {
                let mut words = source.split(|c: char| !c.is_alphanumeric());
                assert!(
                    !words.any(|w| w == "PF")
                        && !source.contains("platform-facts")
                        && !source.contains("shared/"),
                    "{}: {key} cites a file the reader does not have: {source}",
                    p.name
                );
            }
            assert!(p.platform.contains_key("autoscaler"), "{}", p.name);
            // Every billing price cites a source.
            if let Some(Value::Table(b)) = p.platform.get("billing") {
                for key in b.keys() {
                    let path = format!("billing.{key}");
                    assert!(p.source_of(&path).is_some(), "{}: no source for {path}", p.name);
                }
            }
        }
    }

    #[test]
    fn a_distribution_of_another_kind_replaces_the_preset_one() {
        let mut base = table("cold_start = { dist = \"lognormal\", p50 = \"1s\", p99 = \"3s\" }");
        merge(&mut base, &table("cold_start = { dist = \"exponential\", mean = \"1s\" }"));
        assert_eq!(base, table("cold_start = { dist = \"exponential\", mean = \"1s\" }"));
        let mut same = table("cold_start = { dist = \"lognormal\", p50 = \"1s\", p99 = \"3s\" }");
        merge(&mut same, &table("cold_start = { p99 = \"5s\" }"));
        assert_eq!(same, table("cold_start = { dist = \"lognormal\", p50 = \"1s\", p99 = \"5s\" }"));
    }

    #[test]
    fn unknown_preset_and_runtime_suggest() {
        let e = expand(table("preset = \"clod-run\"")).unwrap_err();
        assert_eq!(e.0, "preset");
        assert!(e.1.contains("did you mean \"cloud-run\""), "{}", e.1);
        let e = expand(table("preset = \"cloud-run\"\nruntime = \"pyton\"")).unwrap_err();
        assert!(e.1.contains("did you mean \"python\""), "{}", e.1);
    }

    #[test]
    fn runtime_profile_sits_between_preset_and_entry() {
        let m = expand(table("preset = \"cloud-run\"\nruntime = \"go\"\n[instance]\ncpu = 2\n")).unwrap();
        let inst = m["instance"].as_table().unwrap();
        assert_eq!(inst["cpu"].as_integer(), Some(2));
        assert_eq!(inst["concurrency"].as_integer(), Some(80), "kept from the preset");
        assert_eq!(inst["cold_start"]["p50"].as_str(), Some("528ms"), "from the go profile");
    }
}
