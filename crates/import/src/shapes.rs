//! The nearest shape a provider sells: a service's vCPUs and memory rounded up to what a
//! preset's `limits` table allows (`cpu_values`, `cpu_range`, `memory_by_cpu`,
//! `gib_per_vcpu`, `memory_range_gib`, `fractional_cpu_max_concurrency`), read from the
//! embedded presets, so no provider's sizes are written here twice.
//!
//! Rounding is always up (a smaller instance than the files ask for would change the
//! latency being compared) and each change is said in words for the output's comments.

use toml::{Table, Value};

/// A shape: vCPUs, GiB, and the concurrency the instance takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    pub cpu: f64,
    pub gib: f64,
}

fn nums(v: Option<&Value>) -> Vec<f64> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_float().or_else(|| x.as_integer().map(|i| i as f64))).collect())
        .unwrap_or_default()
}

fn rows(v: Option<&Value>) -> Vec<Vec<f64>> {
    v.and_then(Value::as_array).map(|a| a.iter().map(|r| nums(Some(r))).collect()).unwrap_or_default()
}

/// Rounds up to a multiple of `step` (avoiding 0.30000000000000004).
fn up(x: f64, step: f64) -> f64 {
    ((x / step - 1e-9).ceil() * step * 1e6).round() / 1e6
}

/// The shape nearest `want` that `limits` allows (rounding up), with the concurrency
/// `concurrency` kept when the limits allow it; and what changed, in words.
pub fn fit(limits: &Table, want: Shape, concurrency: u64) -> (Shape, u64, Vec<String>) {
    let mut s = want;
    let mut notes = Vec::new();
    let mut c = concurrency;
    if let Some(max) = limits.get("fractional_cpu_max_concurrency").and_then(Value::as_integer) {
        if s.cpu < 1.0 && c > max as u64 {
            notes.push(format!(
                "{} vCPU rounded up to 1: below one vCPU it takes at most {max} request(s) at once",
                trim(s.cpu)
            ));
            s.cpu = 1.0;
        }
    }
    let values = nums(limits.get("cpu_values"));
    if !values.is_empty() {
        let pick =
            values.iter().copied().find(|v| *v >= s.cpu - 1e-9).unwrap_or(*values.last().unwrap_or(&s.cpu));
        if (pick - s.cpu).abs() > 1e-9 {
            notes.push(format!(
                "{} vCPU {} {} (sold: {})",
                trim(s.cpu),
                if pick > s.cpu { "rounded up to" } else { "capped at" },
                trim(pick),
                values.iter().map(|v| trim(*v)).collect::<Vec<_>>().join(", ")
            ));
        }
        s.cpu = pick;
    }
    let range = nums(limits.get("cpu_range"));
    if range.len() == 2 {
        let v = s.cpu.clamp(range[0], range[1]);
        if (v - s.cpu).abs() > 1e-9 {
            notes.push(format!(
                "{} vCPU {} {} (sold: {} to {})",
                trim(s.cpu),
                if v > s.cpu { "raised to" } else { "capped at" },
                trim(v),
                trim(range[0]),
                trim(range[1])
            ));
            s.cpu = v;
        }
    }
    let ratio = nums(limits.get("gib_per_vcpu"));
    if ratio.len() == 2 {
        // The providers whose limits are a memory ratio (GKE Autopilot, Azure Container
        // Apps) sell CPU in steps of 0.25 vCPU ("Resource requests in Autopilot",
        // cloud.google.com/kubernetes-engine/docs/concepts/autopilot-resource-requests;
        // "Containers in Azure Container Apps", learn.microsoft.com/azure/container-apps/containers).
        let stepped = up(s.cpu, 0.25);
        if (stepped - s.cpu).abs() > 1e-9 {
            notes.push(format!(
                "{} vCPU rounded up to {} (sold in steps of 0.25)",
                trim(s.cpu),
                trim(stepped)
            ));
            s.cpu = stepped;
        }
        // Raise the CPU when the memory needs more than the ratio allows, then fit memory.
        if s.gib / s.cpu > ratio[1] + 1e-9 {
            let cpu = up(s.gib / ratio[1], 0.25);
            let cpu = if range.len() == 2 { cpu.min(range[1]) } else { cpu };
            notes.push(format!(
                "{} vCPU raised to {} for {} GiB (at most {} GiB per vCPU)",
                trim(s.cpu),
                trim(cpu),
                trim(s.gib),
                trim(ratio[1])
            ));
            s.cpu = cpu;
        }
        let lo = s.cpu * ratio[0];
        let hi = s.cpu * ratio[1];
        let g = s.gib.clamp(lo, hi);
        if (g - s.gib).abs() > 1e-9 {
            notes.push(format!(
                "{} GiB {} {} ({} to {} GiB per vCPU)",
                trim(s.gib),
                if g > s.gib { "raised to" } else { "capped at" },
                trim(g),
                trim(ratio[0]),
                trim(ratio[1])
            ));
            s.gib = g;
        }
    }
    let by_cpu = rows(limits.get("memory_by_cpu"));
    if let Some(row) = by_cpu.iter().find(|r| r.len() == 3 && r[0] >= s.cpu - 1e-9).or(by_cpu.last()) {
        if row.len() == 3 {
            let g = s.gib.clamp(row[1], row[2]);
            if (g - s.gib).abs() > 1e-9 {
                notes.push(format!(
                    "{} GiB {} {} (with {} vCPU: {} to {} GiB)",
                    trim(s.gib),
                    if g > s.gib { "raised to" } else { "capped at" },
                    trim(g),
                    trim(s.cpu),
                    trim(row[1]),
                    trim(row[2])
                ));
                s.gib = g;
            }
        }
    }
    let mem = nums(limits.get("memory_range_gib"));
    if mem.len() == 2 {
        let g = s.gib.clamp(mem[0], mem[1]);
        if (g - s.gib).abs() > 1e-9 {
            notes.push(format!(
                "{} GiB {} {}",
                trim(s.gib),
                if g > s.gib { "raised to" } else { "capped at" },
                trim(g)
            ));
            s.gib = g;
        }
    }
    if let Some(max) = limits.get("max_concurrency").and_then(Value::as_integer) {
        if c > max as u64 {
            notes.push(format!("concurrency {c} capped at {max}"));
            c = max as u64;
        }
    }
    (s, c, notes)
}

/// A number as short as it reads: 0.25, 1, 1.5.
pub fn trim(v: f64) -> String {
    let s = format!("{:.4}", v);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(preset: &str) -> Table {
        let p = crossover_scenario::presets::find(preset).unwrap();
        p.platform.get("limits").and_then(Value::as_table).cloned().unwrap_or_default()
    }

    #[test]
    fn fargate_rounds_to_its_task_sizes() {
        let (s, _, notes) = fit(&limits("fargate"), Shape { cpu: 0.1, gib: 0.0625 }, 80);
        assert_eq!(s, Shape { cpu: 0.25, gib: 0.5 });
        assert_eq!(notes.len(), 2, "{notes:?}");
        let (s, _, notes) = fit(&limits("fargate"), Shape { cpu: 1.0, gib: 2.0 }, 80);
        assert_eq!((s, notes.len()), (Shape { cpu: 1.0, gib: 2.0 }, 0));
        let (s, _, _) = fit(&limits("fargate"), Shape { cpu: 0.3, gib: 3.0 }, 80);
        assert_eq!(s, Shape { cpu: 0.5, gib: 3.0 });
    }

    #[test]
    fn cloud_run_needs_a_whole_vcpu_for_concurrency() {
        let (s, c, notes) = fit(&limits("cloud-run"), Shape { cpu: 0.1, gib: 0.0625 }, 80);
        assert_eq!((s, c), (Shape { cpu: 1.0, gib: 0.125 }, 80));
        assert!(notes[0].contains("at most 1 request"), "{notes:?}");
        let (s, _, _) = fit(&limits("cloud-run"), Shape { cpu: 0.1, gib: 0.0625 }, 1);
        assert_eq!(s, Shape { cpu: 0.1, gib: 0.125 });
    }

    #[test]
    fn autopilot_and_container_apps_ratios() {
        let (s, _, _) = fit(&limits("gke-autopilot"), Shape { cpu: 0.1, gib: 0.0625 }, 80);
        assert_eq!(s, Shape { cpu: 0.25, gib: 0.25 });
        let (s, _, _) = fit(&limits("container-apps"), Shape { cpu: 0.1, gib: 3.0 }, 80);
        assert_eq!(s, Shape { cpu: 1.5, gib: 3.0 });
        let (s, _, _) = fit(&limits("container-apps"), Shape { cpu: 0.3, gib: 0.25 }, 80);
        assert_eq!(s, Shape { cpu: 0.5, gib: 1.0 });
        let (s, _, notes) = fit(&Table::new(), Shape { cpu: 0.1, gib: 0.0625 }, 80);
        assert_eq!((s, notes.len()), (Shape { cpu: 0.1, gib: 0.0625 }, 0));
    }
}
