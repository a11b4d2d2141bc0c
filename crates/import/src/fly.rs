//! Fly.io `fly.toml` app configuration.
//!
//! Keys as Fly documents them ("App configuration (fly.toml)", fly.io/docs/reference/configuration/):
//! `app`; `[http_service]` with `auto_stop_machines` (`"stop"`, `"suspend"`, `"off"`, or the
//! older `true` / `false`), `auto_start_machines`, `min_machines_running` and
//! `[http_service.concurrency]` (`type`, `soft_limit`, `hard_limit`); `[[vm]]` with `size`
//! (`shared-cpu-1x` ...), `memory` (`"1gb"`, `"512mb"` or a number of MB), `cpus`,
//! `cpu_kind`. Presets of `size` ("Machine sizing", fly.io/docs/machines/guides-examples/
//! machine-sizing/): `shared-cpu-Nx` is N shared vCPUs with 256 MB, `performance-Nx` N
//! dedicated vCPUs with 2 GB each. The pool's size (`fly scale count`) is not in the file.

use crate::model::{Imported, Origin, Scaling, Workload};
use crate::node::{Loc, Node, Pos};
use crate::quantity::usable_size;
use crate::ImportError;

pub fn is_fly(doc: &toml::Table) -> bool {
    doc.contains_key("app")
        && (doc.contains_key("http_service")
            || doc.contains_key("vm")
            || doc.contains_key("services")
            || doc.contains_key("build")
            || doc.contains_key("primary_region"))
}

fn loc(file: &str) -> Loc {
    Loc { file: file.to_string(), pos: Pos::default() }
}

/// `"1gb"`, `"512mb"`, `"2GB"`, `1024` (MB) in bytes; Fly's MB and GB are binary.
fn memory(text: &str) -> Option<f64> {
    let t = text.trim().to_ascii_lowercase();
    let (num, factor) = if let Some(v) = t.strip_suffix("gb") {
        (v, 1024.0)
    } else if let Some(v) = t.strip_suffix("mb") {
        (v, 1.0)
    } else {
        (t.as_str(), 1.0)
    };
    num.trim().parse::<f64>().ok().map(|v| v * factor * 1048576.0).filter(usable_size)
}

/// vCPUs and MB of a `size` preset.
fn size(name: &str) -> Option<(f64, f64)> {
    let (family, n) = name.rsplit_once('-')?;
    let n: f64 = n.strip_suffix('x')?.parse().ok().filter(usable_size)?;
    match family {
        "shared-cpu" => Some((n, 256.0)),
        "performance" => Some((n, 2048.0 * n)),
        _ => None,
    }
}

pub(crate) fn read(file: &str, doc: &toml::Table, out: &mut Imported) -> Result<(), ImportError> {
    let node = crate::node::from_toml(&toml::Value::Table(doc.clone()));
    let app = node.get("app").and_then(Node::as_str).unwrap_or("app").to_string();
    let mut w = Workload::new(&app, "fly.toml app", loc(file), Origin::Fly);
    let http = node.get("http_service").or_else(|| node.get("services").and_then(|s| s.items().first()));
    let mut cpu = 1.0;
    let mut mem_mb = 256.0;
    if let Some(vm) = node.get("vm").and_then(|v| v.items().first().or(Some(v))) {
        if let Some(s) = vm.get("size").and_then(Node::as_str) {
            (cpu, mem_mb) = size(s).ok_or_else(|| ImportError::at(loc(file), format!("[[vm]] size = {s:?}: not a Fly size (shared-cpu-1x .. shared-cpu-8x, performance-1x .. performance-16x)")))?;
        }
        if let Some(c) = vm.get("cpus") {
            cpu = c.as_f64().filter(usable_size).ok_or_else(|| {
                ImportError::at(
                    loc(file),
                    format!(
                        "[[vm]] cpus = {:?}: expected a number of vCPUs above 0",
                        c.as_str().unwrap_or(c.kind())
                    ),
                )
            })?;
        }
        if let Some(m) = vm.get("memory").or(vm.get("memory_mb")) {
            mem_mb = memory(m.as_str().unwrap_or("")).ok_or_else(|| {
                ImportError::at(
                    loc(file),
                    format!(
                        "[[vm]] memory = {:?}: expected a size such as \"1gb\" or \"512mb\"",
                        m.as_str().unwrap_or("")
                    ),
                )
            })? / 1048576.0;
        }
    } else {
        out.notes.assume(
            &w.loc,
            format!("fly app {app}: no [[vm]]; Fly's default machine, shared-cpu-1x with 256 MB"),
        );
    }
    w.cpu = Some(cpu);
    w.memory = Some(mem_mb * 1048576.0);
    let Some(http) = http else {
        out.notes.skip(
            &w.loc,
            format!("fly app {app}: no [http_service] or [[services]]: nothing serves requests; skipped"),
        );
        return Ok(());
    };
    let auto_stop = match http.get("auto_stop_machines").and_then(Node::as_str) {
        Some("off") | Some("false") => false,
        Some(_) => true,
        None => {
            out.notes.assume(
                &w.loc,
                format!(
                    "fly app {app}: auto_stop_machines not set; taken as \"stop\" (what fly launch writes)"
                ),
            );
            true
        }
    };
    let auto_start = http.get("auto_start_machines").and_then(Node::as_bool).unwrap_or(true);
    // Whole numbers at least `least`: a count the file gives that cannot be read is
    // refused, not passed over.
    let whole = |n: Option<&Node>, key: &str, least: u64| -> Result<Option<u64>, ImportError> {
        n.map(|n| {
            n.as_u64().filter(|v| *v >= least).ok_or_else(|| {
                ImportError::at(
                    loc(file),
                    format!(
                        "{key} = {:?}: expected a whole number from {least} to {}",
                        n.as_str().unwrap_or(n.kind()),
                        u32::MAX
                    ),
                )
            })
        })
        .transpose()
    };
    let min_running = whole(http.get("min_machines_running"), "min_machines_running", 0)?.unwrap_or(0);
    let conc = http.get("concurrency");
    let soft = whole(conc.and_then(|c| c.get("soft_limit")), "concurrency.soft_limit", 1)?;
    let hard = whole(conc.and_then(|c| c.get("hard_limit")), "concurrency.hard_limit", 1)?;
    if let Some(t) = conc.and_then(|c| c.get("type")).and_then(Node::as_str) {
        if t != "requests" {
            out.notes.skip(
                &w.loc,
                format!(
                    "fly app {app}: concurrency type {t:?} (limits count {t}); crossover counts requests"
                ),
            );
        }
    }
    w.concurrency = hard;
    w.scaling = Some(Scaling::Fly { min_running, soft, auto_stop, auto_start });
    for key in [
        "env",
        "mounts",
        "deploy",
        "checks",
        "statics",
        "metrics",
        "processes",
        "experimental",
        "build",
        "kill_signal",
        "kill_timeout",
        "console_command",
        "swap_size_mb",
        "primary_region",
    ] {
        if node.get(key).is_some() {
            out.notes.skip(&w.loc, format!("fly app {app}: `{key}` is not modelled"));
        }
    }
    out.workloads.push(w);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_memory() {
        assert_eq!(size("shared-cpu-1x"), Some((1.0, 256.0)));
        assert_eq!(size("performance-2x"), Some((2.0, 4096.0)));
        assert_eq!(size("huge"), None);
        assert_eq!(memory("1gb"), Some(1073741824.0));
        assert_eq!(memory("512mb"), Some(512.0 * 1048576.0));
        assert_eq!(memory("2048"), Some(2048.0 * 1048576.0));
    }
}
