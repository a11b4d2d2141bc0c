//! Cloud Run `service.yaml` and `job.yaml` (Knative serving's `Service`, Cloud Run's `Job`).
//!
//! Keys as the Cloud Run YAML reference documents them ("Cloud Run YAML Reference",
//! cloud.google.com/run/docs/reference/yaml/v1): `spec.template.spec.containerConcurrency`,
//! `timeoutSeconds`, `containers[].resources.limits` (Cloud Run sizes an instance by its
//! limits), and the revision annotations `autoscaling.knative.dev/minScale` and `maxScale`
//! (Knative also spells them `min-scale`, `max-scale`; knative.dev/docs/serving/autoscaling/
//! scale-bounds), `autoscaling.knative.dev/target`, `run.googleapis.com/cpu-throttling`
//! (`"false"`: CPU always allocated, instance-based billing) and
//! `run.googleapis.com/startup-cpu-boost`. Defaults when a key is absent (Cloud Run docs):
//! concurrency 80, timeout 300 s, 1 vCPU and 512 MiB, min instances 0, max 100.

use crate::model::{Imported, Job, Origin, Scaling, Workload};
use crate::node::{Loc, Node};
use crate::{quantity, ImportError};

/// Whether `doc` is a Knative or Cloud Run object.
pub fn is_cloud_run(doc: &Node) -> bool {
    let api = doc.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    api.starts_with("serving.knative.dev/") || api.starts_with("run.googleapis.com/")
}

const ANNOTATIONS_READ: &[&str] = &[
    "autoscaling.knative.dev/minScale",
    "autoscaling.knative.dev/min-scale",
    "autoscaling.knative.dev/maxScale",
    "autoscaling.knative.dev/max-scale",
    "autoscaling.knative.dev/target",
    "run.googleapis.com/cpu-throttling",
    "run.googleapis.com/startup-cpu-boost",
];

fn at(file: &str, n: &Node) -> Loc {
    Loc { file: file.to_string(), pos: n.pos }
}

fn number(file: &str, n: &Node, what: &str) -> Result<f64, ImportError> {
    n.as_f64().filter(|v| *v >= 0.0).ok_or_else(|| {
        ImportError::at(
            at(file, n),
            format!("{what}: expected a number at least 0, found {:?}", n.as_str().unwrap_or(n.kind())),
        )
    })
}

/// A whole number at least 0 (an instance count, a concurrency).
fn whole(file: &str, n: &Node, what: &str) -> Result<u64, ImportError> {
    n.as_u64().ok_or_else(|| {
        ImportError::at(
            at(file, n),
            format!(
                "{what}: expected a whole number from 0 to {}, found {:?}",
                u32::MAX,
                n.as_str().unwrap_or(n.kind())
            ),
        )
    })
}

/// A container list's size (the first container serves; Cloud Run sidecars add theirs).
fn containers(file: &str, spec: &Node, w: &mut Workload, out: &mut Imported) -> Result<(), ImportError> {
    let list = spec.get("containers").map(Node::items).unwrap_or_default();
    let (mut cpu, mut mem) = (None::<f64>, None::<f64>);
    for c in list {
        let limits = c.path("resources.limits");
        if let Some(q) = limits.and_then(|l| l.get("cpu")) {
            let v = quantity::parse(q.as_str().unwrap_or(""))
                .map_err(|e| ImportError::at(at(file, q), format!("resources.limits.cpu: {e}")))?;
            cpu = Some(cpu.unwrap_or(0.0) + v);
        }
        if let Some(q) = limits.and_then(|l| l.get("memory")) {
            let v = quantity::parse(q.as_str().unwrap_or(""))
                .map_err(|e| ImportError::at(at(file, q), format!("resources.limits.memory: {e}")))?;
            mem = Some(mem.unwrap_or(0.0) + v);
        }
        if w.image.is_none() {
            w.image = c.get("image").and_then(Node::as_str).map(str::to_string);
        }
        if let Some(p) = c.path("startupProbe.initialDelaySeconds") {
            w.startup_s = Some(number(file, p, "startupProbe.initialDelaySeconds")?);
        }
    }
    if cpu.is_none() {
        out.notes.assume(&w.loc, format!("{} {}: no cpu limit; Cloud Run's default, 1 vCPU", w.kind, w.name));
    }
    if mem.is_none() {
        out.notes
            .assume(&w.loc, format!("{} {}: no memory limit; Cloud Run's default, 512 MiB", w.kind, w.name));
    }
    w.cpu = Some(cpu.unwrap_or(1.0));
    w.memory = Some(mem.unwrap_or(512.0 * 1024.0 * 1024.0));
    Ok(())
}

fn other_annotations(file: &str, annotations: Option<&Node>, w: &Workload, out: &mut Imported) {
    for (k, v) in annotations.map(Node::entries).unwrap_or_default() {
        if !ANNOTATIONS_READ.contains(&k.as_str()) {
            out.notes.skip(&at(file, v), format!("{} {}: annotation {k} is not modelled", w.kind, w.name));
        }
    }
}

pub(crate) fn read(file: &str, doc: &Node, out: &mut Imported) -> Result<(), ImportError> {
    let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
    let name = doc.path("metadata.name").and_then(Node::as_str).unwrap_or("unnamed").to_string();
    let loc = at(file, doc);
    let template = doc.path("spec.template");
    match kind {
        "Service" => {
            let template = template.ok_or_else(|| {
                ImportError::at(loc.clone(), format!("Cloud Run service {name} has no spec.template"))
            })?;
            let ann = template.path("metadata.annotations");
            let get = |k: &str| ann.and_then(|a| a.get(k));
            let throttled = get("run.googleapis.com/cpu-throttling")
                .and_then(|n| n.as_bool().or(n.as_str().map(|s| s != "false")));
            let mut w = Workload::new(
                &name,
                "Cloud Run service",
                loc.clone(),
                Origin::CloudRun { instance_billing: throttled == Some(false) },
            );
            let spec = template.get("spec").ok_or_else(|| {
                ImportError::at(
                    at(file, template),
                    format!("Cloud Run service {name} has no spec.template.spec"),
                )
            })?;
            containers(file, spec, &mut w, out)?;
            w.concurrency = Some(match spec.get("containerConcurrency") {
                // 0 means "as many as the system allows" in Knative; Cloud Run caps it at 1000.
                Some(n) => match whole(file, n, "containerConcurrency")? {
                    0 => 1000,
                    c => c,
                },
                None => {
                    out.notes.assume(
                        &loc,
                        format!("Cloud Run service {name}: no containerConcurrency; Cloud Run's default, 80"),
                    );
                    80
                }
            });
            w.timeout_s =
                spec.get("timeoutSeconds").map(|n| number(file, n, "timeoutSeconds")).transpose()?;
            let min = get("autoscaling.knative.dev/minScale")
                .or(get("autoscaling.knative.dev/min-scale"))
                .map(|n| whole(file, n, "minScale"))
                .transpose()?;
            let max_node =
                get("autoscaling.knative.dev/maxScale").or(get("autoscaling.knative.dev/max-scale"));
            let mut max = max_node.map(|n| whole(file, n, "maxScale")).transpose()?;
            if let (Some(0), Some(n)) = (max, max_node) {
                // "max-scale ... Default: 0, which means unlimited" (Knative, "Configuring
                // scale bounds"): no bound of the service's own.
                out.notes.assume(&at(file, n), format!("Cloud Run service {name}: maxScale 0 means no limit (Knative's reading); the preset's max_instances"));
                max = None;
            }
            if let (Some(lo), Some(hi), Some(n)) = (min, max, max_node) {
                if lo > hi {
                    return Err(ImportError::at(
                        at(file, n),
                        format!("Cloud Run service {name}: minScale {lo} is above maxScale {hi}: the minimum must be at most the maximum"),
                    ));
                }
            }
            let target = get("autoscaling.knative.dev/target")
                .map(|n| number(file, n, "autoscaling target"))
                .transpose()?;
            w.cpu_boost = get("run.googleapis.com/startup-cpu-boost").and_then(Node::as_bool);
            w.scaling = Some(Scaling::Knative { min: min.unwrap_or(0), max, target });
            other_annotations(file, ann, &w, out);
            other_annotations(file, doc.path("metadata.annotations"), &w, out);
            for (k, v) in spec.entries() {
                if !["containers", "containerConcurrency", "timeoutSeconds", "serviceAccountName", "volumes"]
                    .contains(&k.as_str())
                {
                    out.notes.skip(
                        &at(file, v),
                        format!("Cloud Run service {name}: spec.template.spec.{k} is not modelled"),
                    );
                }
            }
            if let Some(t) = doc.path("spec.traffic") {
                out.notes.skip(&at(file, t), format!("Cloud Run service {name}: the traffic split between revisions is not modelled: one revision takes it all"));
            }
            out.workloads.push(w);
        }
        "Job" => {
            let mut w = Workload::new(
                &name,
                "Cloud Run job",
                loc.clone(),
                Origin::CloudRun { instance_billing: true },
            );
            let exec = template.and_then(|t| t.get("spec"));
            let task = exec.and_then(|s| s.path("template.spec"));
            if let Some(task) = task {
                containers(file, task, &mut w, out)?;
            }
            w.job = Some(Job {
                kind: "batch",
                schedule: None,
                tasks: exec
                    .and_then(|s| s.get("taskCount"))
                    .map(|n| number(file, n, "taskCount").map(|v| v as u64))
                    .transpose()?,
                parallelism: exec
                    .and_then(|s| s.get("parallelism"))
                    .map(|n| number(file, n, "parallelism").map(|v| v as u64))
                    .transpose()?,
                deadline_s: task
                    .and_then(|s| s.get("timeoutSeconds"))
                    .map(|n| number(file, n, "timeoutSeconds"))
                    .transpose()?,
                time_zone: None,
                trigger: None,
            });
            out.workloads.push(w);
        }
        _ => out.notes.skip(&loc, format!("{kind} {name}: Cloud Run / Knative kind not modelled, skipped")),
    }
    Ok(())
}
