//! Kubernetes manifests: Deployment, StatefulSet, HorizontalPodAutoscaler (`autoscaling/v2`
//! and `v1`), KEDA ScaledObject and ScaledJob, CronJob, LimitRange, Service (type
//! LoadBalancer) and Ingress. Other kinds are listed as skipped.
//!
//! Facts used, from the Kubernetes documentation (kubernetes.io/docs):
//! - `spec.replicas` defaults to 1 ("Deployments", concepts/workloads/controllers/deployment:
//!   ".spec.replicas is an optional field that specifies the number of desired Pods. It
//!   defaults to 1").
//! - A pod's request is the sum of its app containers' (and restartable init, "sidecar",
//!   containers'), or the largest init container's if that is larger ("Init Containers",
//!   concepts/workloads/pods/init-containers, "Resource sharing within containers": "the
//!   Pod's effective request/limit for a resource is the higher of: the sum of all app
//!   containers request/limit for a resource; the effective init request/limit").
//! - A container with a limit and no request gets the limit as its request ("Resource
//!   Management for Pods and Containers", concepts/configuration/manage-resources-containers:
//!   "If you specify a limit for a resource, but do not specify any request, and no
//!   admission-time mechanism has applied a default request for that resource, then
//!   Kubernetes copies the limit you specified and uses it as the requested value").
//!   With neither, a LimitRange's `defaultRequest` (or `default`) applies ("Limit Ranges",
//!   concepts/policy/limit-range); without one the pod requests nothing.
//! - HPA: `minReplicas` defaults to 1; `behavior` as in "Horizontal Pod Autoscaling",
//!   tasks/run-application/horizontal-pod-autoscale (`stabilizationWindowSeconds`,
//!   policies of type `Pods` / `Percent` with `periodSeconds`, `selectPolicy`).
//! - KEDA ScaledObject defaults (keda.sh/docs/latest/reference/scaledobject-spec/):
//!   `pollingInterval` 30 s, `cooldownPeriod` 300 s, `minReplicaCount` 0,
//!   `maxReplicaCount` 100.

use crate::model::{Hpa, HpaMetric, Imported, Job, Origin, Rules, Scaling, Workload};
use crate::node::{Loc, Node};
use crate::{quantity, ImportError};

/// Pod-spec and container keys read elsewhere or with no bearing on cost or latency:
/// they are summed up in one line per workload rather than listed one by one.
const INERT_POD_KEYS: &[&str] = &[
    "containers",
    "initContainers",
    "serviceAccountName",
    "serviceAccount",
    "securityContext",
    "volumes",
    "restartPolicy",
    "terminationGracePeriodSeconds",
    "dnsPolicy",
    "dnsConfig",
    "automountServiceAccountToken",
    "imagePullSecrets",
    "enableServiceLinks",
    "hostname",
    "subdomain",
    "schedulerName",
    "priorityClassName",
    "shareProcessNamespace",
];
const INERT_CONTAINER_KEYS: &[&str] = &[
    "name",
    "image",
    "resources",
    "readinessProbe",
    "ports",
    "env",
    "envFrom",
    "securityContext",
    "volumeMounts",
    "livenessProbe",
    "imagePullPolicy",
    "command",
    "args",
    "workingDir",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "startupProbe",
    "lifecycle",
    "restartPolicy",
    "stdin",
    "tty",
];

/// A container's or pod's requests, in vCPUs and bytes.
#[derive(Clone, Copy, Default)]
struct Requests {
    cpu: Option<f64>,
    memory: Option<f64>,
}

/// LimitRange defaults for containers, from any LimitRange in the inputs.
#[derive(Default)]
pub(crate) struct LimitDefaults {
    cpu: Option<f64>,
    memory: Option<f64>,
    loc: Option<Loc>,
}

/// Whether a document is a Kubernetes object (has `apiVersion` and `kind`).
pub fn is_kubernetes(doc: &Node) -> bool {
    doc.get("apiVersion").is_some() && doc.get("kind").is_some()
}

fn at(file: &str, node: &Node) -> Loc {
    Loc { file: file.to_string(), pos: node.pos }
}

fn name_of(doc: &Node) -> String {
    doc.path("metadata.name").and_then(Node::as_str).unwrap_or("unnamed").to_string()
}

/// A quantity at `node`, or a located error.
fn qty(file: &str, node: &Node, what: &str) -> Result<f64, ImportError> {
    let text = node.as_str().ok_or_else(|| {
        ImportError::at(at(file, node), format!("{what}: expected a quantity, found {}", node.kind()))
    })?;
    quantity::parse(text).map_err(|e| ImportError::at(at(file, node), format!("{what}: {e}")))
}

fn count(file: &str, node: &Node, what: &str) -> Result<u64, ImportError> {
    node.as_u64().ok_or_else(|| {
        ImportError::at(
            at(file, node),
            format!("{what}: expected a whole number from 0 to {}, found {}", u32::MAX, found(node)),
        )
    })
}

/// What `node` holds, for messages: a value quoted, else its kind (`a list`).
fn found(node: &Node) -> String {
    node.as_str().map_or_else(|| node.kind().to_string(), |s| format!("{s:?}"))
}

/// An autoscaler's `min` and `max`, refused when the minimum is above the maximum (as
/// Kubernetes' validation and KEDA's webhook refuse them): which one the user meant is
/// not for the import to guess.
fn bounds(
    file: &str,
    who: &str,
    spec: &Node,
    keys: [&str; 2],
    min: u64,
    max: u64,
) -> Result<(), ImportError> {
    if min <= max {
        return Ok(());
    }
    let node = spec.get(keys[0]).or(spec.get(keys[1])).unwrap_or(spec);
    Err(ImportError::at(
        at(file, node),
        format!(
            "{who}: {} {min} is above {} {max}: the minimum must be at most the maximum",
            keys[0], keys[1]
        ),
    ))
}

/// A metric target (requests per second or in flight, per pod): a quantity above 0, as
/// Kubernetes' validation requires of `value` and `averageValue`.
fn metric_target(file: &str, node: &Node) -> Result<f64, ImportError> {
    let v = qty(file, node, "target")?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(ImportError::at(
            at(file, node),
            format!("target: {}: must be above 0 (Kubernetes refuses a target of 0)", found(node)),
        ))
    }
}

fn seconds(file: &str, node: &Node, what: &str) -> Result<f64, ImportError> {
    node.as_f64().filter(|v| *v >= 0.0).ok_or_else(|| {
        ImportError::at(
            at(file, node),
            format!("{what}: expected a number of seconds, at least 0, found {}", found(node)),
        )
    })
}

/// Collects LimitRange defaults (a first pass, so a LimitRange anywhere in the inputs
/// applies to every workload, as it does in its namespace).
pub(crate) fn limit_defaults(file: &str, doc: &Node, out: &mut LimitDefaults) -> Result<(), ImportError> {
    if doc.get("kind").and_then(Node::as_str) != Some("LimitRange") {
        return Ok(());
    }
    for limit in doc.path("spec.limits").map(Node::items).unwrap_or_default() {
        if limit.get("type").and_then(Node::as_str) != Some("Container") {
            continue;
        }
        for table in ["defaultRequest", "default"] {
            if let Some(t) = limit.get(table) {
                if let (None, Some(c)) = (out.cpu, t.get("cpu")) {
                    out.cpu = Some(qty(file, c, "LimitRange cpu")?);
                }
                if let (None, Some(m)) = (out.memory, t.get("memory")) {
                    out.memory = Some(qty(file, m, "LimitRange memory")?);
                }
                out.loc.get_or_insert_with(|| at(file, limit));
            }
        }
    }
    Ok(())
}

/// One container's requests (a limit standing in for a missing request).
fn container_requests(
    file: &str,
    c: &Node,
    limits: &LimitDefaults,
    w: &mut Workload,
    out: &mut Imported,
) -> Result<Requests, ImportError> {
    let cname = c.get("name").and_then(Node::as_str).unwrap_or("?");
    let mut r = Requests::default();
    for (res, slot) in [("cpu", &mut r.cpu), ("memory", &mut r.memory)] {
        let req = c.path(&format!("resources.requests.{res}"));
        let lim = c.path(&format!("resources.limits.{res}"));
        *slot = match (req, lim) {
            (Some(q), _) => Some(qty(file, q, &format!("container {cname}: resources.requests.{res}"))?),
            (None, Some(l)) => {
                let v = qty(file, l, &format!("container {cname}: resources.limits.{res}"))?;
                out.notes.assume(&at(file, l), format!("{} {}: container {cname} has a {res} limit and no request; Kubernetes uses the limit as the request", w.kind, w.name));
                Some(v)
            }
            (None, None) => {
                let d = if res == "cpu" { limits.cpu } else { limits.memory };
                if let (Some(_), Some(loc)) = (d, &limits.loc) {
                    out.notes.assume(&at(file, c), format!("{} {}: container {cname} requests no {res}; the LimitRange at {loc} gives it its default", w.kind, w.name));
                }
                d
            }
        };
    }
    for (res, q) in c.path("resources.limits").map(Node::entries).unwrap_or_default() {
        if res != "cpu" && res != "memory" {
            out.notes.skip(
                &at(file, q),
                format!(
                    "{} {}: container {cname}: resources.limits.{res} ({}) is not modelled",
                    w.kind,
                    w.name,
                    q.as_str().unwrap_or("?")
                ),
            );
        }
    }
    if let Some(delay) = c.path("readinessProbe.initialDelaySeconds") {
        let d = seconds(file, delay, "readinessProbe.initialDelaySeconds")?;
        w.startup_s = Some(w.startup_s.unwrap_or(0.0).max(d));
    }
    if w.image.is_none() {
        w.image = c.get("image").and_then(Node::as_str).map(str::to_string);
    }
    for (key, v) in c.entries() {
        if !INERT_CONTAINER_KEYS.contains(&key.as_str()) {
            out.notes.skip(
                &at(file, v),
                format!("{} {}: container {cname}: `{key}` is not modelled", w.kind, w.name),
            );
        }
    }
    Ok(r)
}

/// A pod template's requests and the notes about it, into `w`.
fn pod(
    file: &str,
    spec: &Node,
    limits: &LimitDefaults,
    w: &mut Workload,
    out: &mut Imported,
) -> Result<(), ImportError> {
    let mut sum = Requests::default();
    let add = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    };
    let containers = spec.get("containers").map(Node::items).unwrap_or_default();
    if containers.is_empty() {
        return Err(ImportError::at(
            at(file, spec),
            format!("{} {}: the pod template has no containers", w.kind, w.name),
        ));
    }
    let mut init_max = Requests::default();
    for c in containers {
        let r = container_requests(file, c, limits, w, out)?;
        sum = Requests { cpu: add(sum.cpu, r.cpu), memory: add(sum.memory, r.memory) };
    }
    for c in spec.get("initContainers").map(Node::items).unwrap_or_default() {
        let r = container_requests(file, c, limits, w, out)?;
        if c.get("restartPolicy").and_then(Node::as_str) == Some("Always") {
            sum = Requests { cpu: add(sum.cpu, r.cpu), memory: add(sum.memory, r.memory) };
        } else {
            let hi = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            init_max = Requests { cpu: hi(init_max.cpu, r.cpu), memory: hi(init_max.memory, r.memory) };
        }
    }
    let effective = |s: Option<f64>, i: Option<f64>| match (s, i) {
        (Some(s), Some(i)) => Some(s.max(i)),
        (s, i) => s.or(i),
    };
    w.cpu = effective(sum.cpu, init_max.cpu);
    w.memory = effective(sum.memory, init_max.memory);
    for (res, v) in [("cpu", w.cpu), ("memory", w.memory)] {
        if v.is_none() {
            out.notes.assume(&w.loc, format!(
                "{} {}: no container requests {res} and no LimitRange gives a default: Kubernetes would schedule it as requesting nothing (BestEffort); crossover gives it the {res} of each platform preset's default pod",
                w.kind, w.name
            ));
        }
    }
    for (key, v) in spec.entries() {
        if !INERT_POD_KEYS.contains(&key.as_str()) {
            out.notes.skip(&at(file, v), format!("{} {}: pod spec `{key}` is not modelled (placement and scheduling constraints are not simulated)", w.kind, w.name));
        }
    }
    let mut inert: Vec<&str> = spec
        .entries()
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| *k != "containers" && *k != "initContainers")
        .collect();
    for c in containers.iter().chain(spec.get("initContainers").map(Node::items).unwrap_or_default()) {
        inert.extend(
            c.entries()
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| !["name", "image", "resources", "readinessProbe"].contains(k)),
        );
    }
    inert.sort_unstable();
    inert.dedup();
    if !inert.is_empty() {
        out.notes.skip(
            &w.loc,
            format!("{} {}: read, with no bearing on cost or latency: {}", w.kind, w.name, inert.join(", ")),
        );
    }
    Ok(())
}

/// Reads one document; returns whether it was a kind this module handles.
pub(crate) fn read(
    file: &str,
    doc: &Node,
    limits: &LimitDefaults,
    hpas: &mut Vec<(String, Hpa)>,
    out: &mut Imported,
) -> Result<(), ImportError> {
    let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
    let api = doc.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    let name = name_of(doc);
    let loc = at(file, doc);
    match kind {
        "Deployment" | "StatefulSet" => {
            let mut w = Workload::new(&name, kind, loc.clone(), Origin::Kubernetes);
            let spec = doc
                .get("spec")
                .ok_or_else(|| ImportError::at(loc.clone(), format!("{kind} {name} has no spec")))?;
            w.replicas = Some(match spec.get("replicas") {
                Some(r) => match count(file, r, "spec.replicas")? {
                    0 => {
                        out.notes.assume(&at(file, r), format!("{kind} {name}: replicas 0 (scaled to zero); imported with one replica, the least a platform runs"));
                        1
                    }
                    n => n,
                },
                None => {
                    out.notes
                        .assume(&loc, format!("{kind} {name}: no spec.replicas; Kubernetes' default, 1"));
                    1
                }
            });
            let pspec = spec.path("template.spec").ok_or_else(|| {
                ImportError::at(loc.clone(), format!("{kind} {name} has no spec.template.spec"))
            })?;
            pod(file, pspec, limits, &mut w, out)?;
            for key in ["strategy", "updateStrategy", "volumeClaimTemplates", "podManagementPolicy"] {
                if let Some(v) = spec.get(key) {
                    out.notes.skip(&at(file, v), format!("{kind} {name}: spec.{key} is not modelled"));
                }
            }
            out.workloads.push(w);
        }
        "HorizontalPodAutoscaler" => {
            let spec = doc.get("spec").ok_or_else(|| {
                ImportError::at(loc.clone(), format!("HorizontalPodAutoscaler {name} has no spec"))
            })?;
            let target = spec.path("scaleTargetRef.name").and_then(Node::as_str).unwrap_or("").to_string();
            let min =
                spec.get("minReplicas").map(|n| count(file, n, "minReplicas")).transpose()?.unwrap_or(1);
            let max =
                spec.get("maxReplicas").map(|n| count(file, n, "maxReplicas")).transpose()?.ok_or_else(
                    || {
                        ImportError::at(
                            loc.clone(),
                            format!("HorizontalPodAutoscaler {name} has no spec.maxReplicas"),
                        )
                    },
                )?;
            bounds(
                file,
                &format!("HorizontalPodAutoscaler {name}"),
                spec,
                ["minReplicas", "maxReplicas"],
                min,
                max,
            )?;
            let mut hpa = Hpa {
                min,
                max,
                metric: None,
                scale_up: None,
                scale_down: None,
                keda: None,
                loc: loc.clone(),
            };
            if api.ends_with("/v1") {
                // autoscaling/v1: CPU only; without a target the controller's default is 80%
                // (kubernetes/api autoscaling/v1 types.go: "If not specified the default
                // autoscaling policy will be used", 80%).
                let pct = spec
                    .get("targetCPUUtilizationPercentage")
                    .map(|n| count(file, n, "targetCPUUtilizationPercentage"))
                    .transpose()?;
                if pct.is_none() {
                    out.notes.assume(&loc, format!("HorizontalPodAutoscaler {name}: no targetCPUUtilizationPercentage; the default 80%"));
                }
                hpa.metric = Some(HpaMetric::Cpu(pct.unwrap_or(80) as f64 / 100.0));
            } else {
                hpa.metric = metrics(file, &name, spec.get("metrics"), out)?;
                if spec.get("metrics").is_none() {
                    out.notes.assume(&loc, format!("HorizontalPodAutoscaler {name}: no metrics; Kubernetes' default, 80% CPU utilisation"));
                    hpa.metric = Some(HpaMetric::Cpu(0.8));
                }
                if let Some(b) = spec.get("behavior") {
                    (hpa.scale_up, hpa.scale_down) = behavior(file, b)?;
                }
            }
            hpas.push((target, hpa));
        }
        "ScaledObject" => {
            let spec = doc
                .get("spec")
                .ok_or_else(|| ImportError::at(loc.clone(), format!("ScaledObject {name} has no spec")))?;
            let target = spec.path("scaleTargetRef.name").and_then(Node::as_str).unwrap_or("").to_string();
            let num = |key: &str, default: u64| -> Result<u64, ImportError> {
                spec.get(key).map(|n| count(file, n, key)).transpose().map(|v| v.unwrap_or(default))
            };
            let min = num("minReplicaCount", 0)?;
            let max = num("maxReplicaCount", 100)?;
            bounds(
                file,
                &format!("ScaledObject {name}"),
                spec,
                ["minReplicaCount", "maxReplicaCount"],
                min,
                max,
            )?;
            let polling = polling(file, spec)?;
            let cooldown = num("cooldownPeriod", 300)? as f64;
            let mut hpa = Hpa {
                min,
                max,
                metric: None,
                scale_up: None,
                scale_down: None,
                keda: Some((polling, cooldown)),
                loc: loc.clone(),
            };
            if let Some(b) = spec.path("advanced.horizontalPodAutoscalerConfig.behavior") {
                (hpa.scale_up, hpa.scale_down) = behavior(file, b)?;
            }
            let triggers = spec.get("triggers").map(Node::items).unwrap_or_default();
            // A queue trigger makes the deployment a worker, scaled on that queue: the
            // first one is followed, every other trigger listed.
            let queue =
                triggers.iter().find(|t| is_queue(t.get("type").and_then(Node::as_str).unwrap_or("")));
            for t in triggers {
                let ty = t.get("type").and_then(Node::as_str).unwrap_or("?");
                let value = t.path("metadata.value").and_then(Node::as_f64);
                if let Some(q) = queue {
                    if std::ptr::eq(t, q) {
                        hpa.metric = Some(queue_metric(file, &format!("ScaledObject {name}"), t, out)?);
                    } else {
                        out.notes.skip(&at(file, t), format!("ScaledObject {name}: trigger `{ty}` is not modelled (a worker scales on one queue: the first queue trigger's)"));
                    }
                    continue;
                }
                if let (Some(n), "cpu", None) = (t.path("metadata.value"), ty, value.filter(|v| *v > 0.0)) {
                    return Err(ImportError::at(
                        at(file, n),
                        format!("ScaledObject {name}: trigger cpu: metadata.value: expected a utilisation in percent above 0, found {}", found(n)),
                    ));
                }
                match (ty, value) {
                    ("cpu", Some(v)) if hpa.metric.is_none() => hpa.metric = Some(HpaMetric::Cpu(v / 100.0)),
                    _ => out.notes.skip(&at(file, t), format!("ScaledObject {name}: trigger `{ty}` is not modelled (crossover's HPA scales on CPU, requests per second, requests in flight or a queue's length)")),
                }
            }
            if let Some(q) = queue {
                // A queue-driven deployment is a worker: find it and make it one.
                let ty = q.get("type").and_then(Node::as_str).unwrap_or("queue").to_string();
                hpas.push((target.clone(), hpa));
                out.workloads.iter_mut().filter(|w| w.name == target).for_each(|w| w.job = Some(worker(&ty)));
                pending_workers(out).push((target, ty));
            } else {
                hpas.push((target, hpa));
            }
        }
        "ScaledJob" => {
            // KEDA starts one Job per message (or per `parallelism` messages); crossover
            // has no such kind, so it is imported as a worker whose pods pull one message
            // at a time and stay up between messages until KEDA's cooldown: said in a note.
            let spec = doc
                .get("spec")
                .ok_or_else(|| ImportError::at(loc.clone(), format!("ScaledJob {name} has no spec")))?;
            let mut w = Workload::new(&name, kind, loc.clone(), Origin::Kubernetes);
            if let Some(p) = spec.path("jobTargetRef.template.spec") {
                pod(file, p, limits, &mut w, out)?;
            }
            let triggers = spec.get("triggers").map(Node::items).unwrap_or_default();
            let queue =
                triggers.iter().find(|t| is_queue(t.get("type").and_then(Node::as_str).unwrap_or("")));
            let Some(q) = queue else {
                out.notes.skip(&loc, format!("ScaledJob {name}: no queue trigger (KEDA's queue scalers: rabbitmq, aws-sqs-queue, kafka, ...): nothing crossover can start its Jobs from; skipped"));
                return Ok(());
            };
            for t in triggers {
                if !std::ptr::eq(t, q) {
                    let ty = t.get("type").and_then(Node::as_str).unwrap_or("?");
                    out.notes.skip(&at(file, t), format!("ScaledJob {name}: trigger `{ty}` is not modelled (a worker scales on one queue: the first queue trigger's)"));
                }
            }
            let ty = q.get("type").and_then(Node::as_str).unwrap_or("queue").to_string();
            let num = |key: &str, default: u64| -> Result<u64, ImportError> {
                spec.get(key).map(|n| count(file, n, key)).transpose().map(|v| v.unwrap_or(default))
            };
            let (min, max) = (num("minReplicaCount", 0)?, num("maxReplicaCount", 100)?);
            bounds(
                file,
                &format!("ScaledJob {name}"),
                spec,
                ["minReplicaCount", "maxReplicaCount"],
                min,
                max,
            )?;
            let hpa = Hpa {
                min,
                max,
                metric: Some(queue_metric(file, &format!("ScaledJob {name}"), q, out)?),
                scale_up: None,
                scale_down: None,
                keda: Some((polling(file, spec)?, 300.0)),
                loc: loc.clone(),
            };
            w.scaling = Some(Scaling::Hpa(Box::new(hpa)));
            w.concurrency = Some(1);
            out.notes.skip(&loc, format!("ScaledJob {name}: one Kubernetes Job per message is not modelled: imported as a worker whose pods take one message at a time and stay up between messages until KEDA's cooldown (300 s, a ScaledObject's default; a ScaledJob's Jobs exit when done), so each message's pod start is not paid and idle pod time is counted"));
            for key in [
                "jobTargetRef.parallelism",
                "jobTargetRef.completions",
                "jobTargetRef.activeDeadlineSeconds",
                "jobTargetRef.backoffLimit",
                "scalingStrategy",
                "successfulJobsHistoryLimit",
                "failedJobsHistoryLimit",
                "rollout",
            ] {
                if let Some(v) = spec.path(key) {
                    out.notes.skip(&at(file, v), format!("ScaledJob {name}: spec.{key} is not modelled (its Jobs are imported as a worker's pods)"));
                }
            }
            w.job = Some(worker(&ty));
            out.workloads.push(w);
        }
        "CronJob" | "Job" => {
            if kind == "CronJob" && doc.path("spec.suspend").and_then(Node::as_bool) == Some(true) {
                out.notes.skip(
                    &loc,
                    format!("CronJob {name}: spec.suspend is true (no run is scheduled); skipped"),
                );
                return Ok(());
            }
            let mut w = Workload::new(&name, kind, loc.clone(), Origin::Kubernetes);
            let jspec = if kind == "CronJob" { doc.path("spec.jobTemplate.spec") } else { doc.get("spec") };
            let jspec = jspec
                .ok_or_else(|| ImportError::at(loc.clone(), format!("{kind} {name} has no job spec")))?;
            if let Some(p) = jspec.path("template.spec") {
                pod(file, p, limits, &mut w, out)?;
            }
            let tasks = jspec.get("completions").map(|n| count(file, n, "completions")).transpose()?;
            let parallelism = jspec.get("parallelism").map(|n| count(file, n, "parallelism")).transpose()?;
            if let (None, Some(p)) = (tasks, parallelism.filter(|p| *p > 1)) {
                // Kubernetes "Jobs", "Parallel execution for Jobs": no completions with a
                // parallelism is a work-queue Job, its pods sharing a queue until one succeeds.
                out.notes.assume(&at(file, jspec), format!("{kind} {name}: parallelism {p} and no completions (a work-queue Job, done when one pod succeeds): imported as {p} tasks, one per pod"));
            }
            for (key, v) in jspec.entries() {
                if !["template", "completions", "parallelism", "activeDeadlineSeconds"]
                    .contains(&key.as_str())
                {
                    out.notes.skip(
                        &at(file, v),
                        format!(
                            "{kind} {name}: job spec `{key}` is not modelled (a task runs once and succeeds)"
                        ),
                    );
                }
            }
            let mut time_zone = None;
            if kind == "CronJob" {
                let spec = doc.get("spec").unwrap_or(doc);
                for (key, v) in spec.entries() {
                    match key.as_str() {
                        "schedule" | "jobTemplate" | "suspend" => {}
                        "timeZone" => {
                            time_zone = v.as_str().map(str::to_string);
                            if let Some(z) = &time_zone {
                                if zone_offset(z).is_none() {
                                    out.notes.skip(&at(file, v), format!("CronJob {name}: spec.timeZone {z:?} is not mapped (only UTC and the fixed-offset Etc/GMT zones are; a zone with daylight saving time has no one offset): the schedule is read in UTC"));
                                }
                            }
                        }
                        "concurrencyPolicy" => match v.as_str() {
                            Some("Forbid") => {}
                            other => out.notes.skip(&at(file, v), format!("CronJob {name}: concurrencyPolicy {} is not modelled: crossover runs Forbid (a run due while the previous one still goes is skipped)", other.unwrap_or("?"))),
                        },
                        "successfulJobsHistoryLimit" | "failedJobsHistoryLimit" => out.notes.skip(&at(file, v), format!("CronJob {name}: spec.{key}: with no bearing on cost or latency")),
                        _ => out.notes.skip(&at(file, v), format!("CronJob {name}: spec.{key} is not modelled")),
                    }
                }
                if spec.get("concurrencyPolicy").is_none() {
                    out.notes.skip(&loc, format!("CronJob {name}: no concurrencyPolicy (Kubernetes' default, Allow, lets runs overlap): crossover runs Forbid (a run due while the previous one still goes is skipped)"));
                }
            }
            let mut schedule = doc.path("spec.schedule").and_then(Node::as_str).map(str::to_string);
            if let Some(s) = schedule.as_mut().filter(|s| s.split_whitespace().any(|f| f == "?")) {
                // "CronJob", schedule syntax: "A question mark (?) in the schedule has the
                // same meaning as an asterisk *".
                *s = s
                    .split_whitespace()
                    .map(|f| if f == "?" { "*" } else { f })
                    .collect::<Vec<_>>()
                    .join(" ");
                out.notes.assume(
                    &loc,
                    format!(
                        "CronJob {name}: `?` in the schedule means `*` (Kubernetes' CronJob syntax): {s:?}"
                    ),
                );
            }
            w.job = Some(Job {
                kind: if kind == "CronJob" { "cron" } else { "batch" },
                schedule,
                time_zone,
                tasks,
                parallelism,
                deadline_s: jspec
                    .get("activeDeadlineSeconds")
                    .map(|n| seconds(file, n, "activeDeadlineSeconds"))
                    .transpose()?,
                trigger: None,
            });
            out.workloads.push(w);
        }
        "Service" => match doc.path("spec.type").and_then(Node::as_str) {
            Some("LoadBalancer") => {
                out.load_balancers.push(format!("{loc}: Service {name} (type LoadBalancer)"))
            }
            t => out.notes.skip(
                &loc,
                format!(
                    "Service {name} (type {}): in-cluster networking costs nothing here",
                    t.unwrap_or("ClusterIP")
                ),
            ),
        },
        "Ingress" => out.load_balancers.push(format!("{loc}: Ingress {name}")),
        "LimitRange" => {}
        _ => out.notes.skip(&loc, format!("{kind} {name} ({api}): kind not modelled, skipped")),
    }
    Ok(())
}

/// A CronJob's `spec.timeZone` as hours east of UTC, for the zones that have a fixed
/// offset: UTC and its aliases, and `Etc/GMT+N` / `Etc/GMT-N` (whose sign is inverted:
/// "Etc/GMT+5" is five hours behind UTC, the IANA tz database's POSIX convention). Zones
/// with daylight saving time (America/New_York...) have none: `None`.
pub fn zone_offset(zone: &str) -> Option<f64> {
    const UTC: &[&str] = &[
        "UTC",
        "Etc/UTC",
        "Etc/UCT",
        "UCT",
        "GMT",
        "Etc/GMT",
        "Etc/GMT0",
        "Etc/GMT+0",
        "Etc/GMT-0",
        "GMT0",
        "GMT+0",
        "GMT-0",
        "Etc/Greenwich",
        "Greenwich",
        "Etc/Universal",
        "Universal",
        "Etc/Zulu",
        "Zulu",
    ];
    if UTC.contains(&zone) {
        return Some(0.0);
    }
    let rest = zone.strip_prefix("Etc/GMT")?;
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => (-1.0, &rest[1..]),
        b'-' => (1.0, &rest[1..]),
        _ => return None,
    };
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: f64 = digits.parse().ok()?;
    let hours = sign * h;
    // The tz database has Etc/GMT+1 .. +12 and Etc/GMT-1 .. -14.
    (-12.0..=14.0).contains(&hours).then_some(hours)
}

/// A KEDA `pollingInterval` in seconds (30 when absent): at least 1, a poll every 0 s
/// being no interval.
fn polling(file: &str, spec: &Node) -> Result<f64, ImportError> {
    match spec.get("pollingInterval") {
        None => Ok(30.0),
        Some(n) => match n.as_u64() {
            Some(v) if v >= 1 => Ok(v as f64),
            _ => Err(ImportError::at(
                at(file, n),
                format!(
                    "pollingInterval: expected a whole number of seconds from 1 to {}, found {}",
                    u32::MAX,
                    found(n)
                ),
            )),
        },
    }
}

/// Queue-length triggers: what makes a KEDA-scaled deployment a worker (keda.sh scalers).
fn is_queue(ty: &str) -> bool {
    [
        "rabbitmq",
        "aws-sqs-queue",
        "kafka",
        "azure-servicebus",
        "azure-queue",
        "gcp-pubsub",
        "redis",
        "redis-streams",
        "nats-jetstream",
        "stan",
        "activemq",
        "artemis-queue",
        "ibmmq",
        "pulsar",
        "aws-kinesis-stream",
        "azure-eventhub",
    ]
    .iter()
    .any(|q| ty.starts_with(q))
}

/// Each queue scaler's target key (messages per replica), its activation key, and KEDA's
/// default target where the scaler's page gives one (keda.sh/docs/latest/scalers/: "AWS
/// SQS Queue" queueLength 5, "Azure Storage Queue" queueLength 5, "Azure Service Bus"
/// messageCount 5, "Redis Lists" listLength 5, "Apache Kafka" lagThreshold 10).
const QUEUE_KEYS: &[(&str, &str, &str, Option<f64>)] = &[
    ("aws-sqs-queue", "queueLength", "activationQueueLength", Some(5.0)),
    ("azure-queue", "queueLength", "activationQueueLength", Some(5.0)),
    ("azure-servicebus", "messageCount", "activationMessageCount", Some(5.0)),
    ("rabbitmq", "value", "activationValue", None),
    ("redis-streams", "pendingEntriesCount", "activationLagCount", None),
    ("redis", "listLength", "activationListLength", Some(5.0)),
    ("gcp-pubsub", "value", "activationValue", None),
    ("kafka", "lagThreshold", "activationLagThreshold", Some(10.0)),
    ("nats-jetstream", "lagThreshold", "activationLagThreshold", None),
    ("stan", "lagThreshold", "activationLagThreshold", None),
    ("activemq", "targetQueueSize", "activationTargetQueueSize", None),
    ("artemis-queue", "queueLength", "activationQueueLength", None),
    ("ibmmq", "queueDepth", "activationQueueDepth", None),
    ("pulsar", "msgBacklogThreshold", "activationMsgBacklogThreshold", None),
    ("aws-kinesis-stream", "shardCount", "activationShardCount", None),
    ("azure-eventhub", "unprocessedEventThreshold", "activationUnprocessedEventThreshold", None),
];

/// The preset's target when neither the trigger nor KEDA's documentation gives one.
const QUEUE_TARGET: f64 = 5.0;

/// A queue trigger's target and activation: crossover's HPA `metric = "queue"`.
fn queue_metric(file: &str, who: &str, t: &Node, out: &mut Imported) -> Result<HpaMetric, ImportError> {
    let ty = t.get("type").and_then(Node::as_str).unwrap_or("?");
    let (_, key, act_key, default) = QUEUE_KEYS
        .iter()
        .find(|(q, ..)| ty.starts_with(q))
        .copied()
        .unwrap_or((ty, "value", "activationValue", None));
    let number = |k: &str| -> Result<Option<f64>, ImportError> {
        match t.path(&format!("metadata.{k}")) {
            None => Ok(None),
            Some(n) => n.as_f64().filter(|v| v.is_finite() && *v >= 0.0).map(Some).ok_or_else(|| {
                ImportError::at(
                    at(file, n),
                    format!(
                        "{who}: trigger {ty}: metadata.{k}: expected a number, found {:?}",
                        n.as_str().unwrap_or(n.kind())
                    ),
                )
            }),
        }
    };
    let mode = t.path("metadata.mode").and_then(Node::as_str);
    let length_mode = matches!(mode, None | Some("QueueLength") | Some("SubscriptionSize"));
    let target = match number(key)? {
        Some(v) if length_mode && v > 0.0 => v,
        Some(v) => {
            out.notes.skip(&at(file, t), format!("{who}: trigger {ty}: {key} {} in mode {} is not a queue length per replica; the presets' target, {QUEUE_TARGET} messages per replica", crate::shapes::trim(v), mode.unwrap_or("?")));
            QUEUE_TARGET
        }
        None => {
            let v = default.unwrap_or(QUEUE_TARGET);
            let whose = if default.is_some() {
                "KEDA's default for this scaler"
            } else {
                "the presets' target (KEDA's page for this scaler gives it no default)"
            };
            out.notes.assume(
                &at(file, t),
                format!(
                    "{who}: trigger {ty} has no metadata.{key}: {} messages per replica, {whose}",
                    crate::shapes::trim(v)
                ),
            );
            v
        }
    };
    let in_flight = if ty == "aws-sqs-queue" {
        match t.path("metadata.scaleOnInFlight") {
            Some(n) => {
                Some(n.as_bool().or_else(|| n.as_str().and_then(|s| s.parse().ok())).ok_or_else(|| {
                    ImportError::at(
                        at(file, n),
                        format!("{who}: trigger {ty}: metadata.scaleOnInFlight: expected true or false"),
                    )
                })?)
            }
            None => Some(true),
        }
    } else {
        None
    };
    Ok(HpaMetric::Queue { target, activation: number(act_key)?, in_flight })
}

fn worker(trigger: &str) -> Job {
    Job {
        kind: "worker",
        schedule: None,
        time_zone: None,
        tasks: None,
        parallelism: None,
        deadline_s: None,
        trigger: Some(trigger.to_string()),
    }
}

/// Workers whose ScaledObject came before their Deployment: marked when linking.
fn pending_workers(out: &mut Imported) -> &mut Vec<(String, String)> {
    &mut out.pending_workers
}

/// The first metric of an `autoscaling/v2` HPA the project can model; the rest are noted.
fn metrics(
    file: &str,
    name: &str,
    list: Option<&Node>,
    out: &mut Imported,
) -> Result<Option<HpaMetric>, ImportError> {
    let mut chosen = None;
    for m in list.map(Node::items).unwrap_or_default() {
        let ty = m.get("type").and_then(Node::as_str).unwrap_or("?");
        let mapped = match ty {
            "Resource" | "ContainerResource" => {
                let key = if ty == "Resource" { "resource" } else { "containerResource" };
                let res = m.path(&format!("{key}.name")).and_then(Node::as_str).unwrap_or("?");
                let util = m.path(&format!("{key}.target.averageUtilization"));
                match (res, util) {
                    ("cpu", Some(u)) => {
                        Some(HpaMetric::Cpu(count(file, u, "averageUtilization")? as f64 / 100.0))
                    }
                    _ => None,
                }
            }
            "Pods" | "Object" | "External" => {
                let key = ty.to_ascii_lowercase();
                let metric = m.path(&format!("{key}.metric.name")).and_then(Node::as_str).unwrap_or("");
                let target = m
                    .path(&format!("{key}.target.averageValue"))
                    .or_else(|| m.path(&format!("{key}.target.value")));
                let requesty = metric.contains("request") || metric.contains("rps") || metric.contains("qps");
                match target {
                    Some(t)
                        if requesty
                            && (metric.contains("second")
                                || metric.contains("rps")
                                || metric.contains("qps")) =>
                    {
                        Some(HpaMetric::Rps(metric_target(file, t)?))
                    }
                    Some(t)
                        if requesty
                            && (metric.contains("inflight")
                                || metric.contains("in_flight")
                                || metric.contains("concurren")) =>
                    {
                        Some(HpaMetric::Concurrency(metric_target(file, t)?))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        match (mapped, &chosen) {
            (Some(metric), None) => chosen = Some(metric),
            (Some(_), Some(_)) => out.notes.skip(&at(file, m), format!("HorizontalPodAutoscaler {name}: a second metric ({ty}); crossover's HPA follows one, the first that it can model")),
            (None, _) => out.notes.skip(&at(file, m), format!("HorizontalPodAutoscaler {name}: metric of type {ty} is not modelled (CPU utilisation, requests per second and requests in flight are; a queue's length through a KEDA ScaledObject)")),
        }
    }
    Ok(chosen)
}

/// `spec.behavior`'s `scaleUp` and `scaleDown`.
fn behavior(file: &str, b: &Node) -> Result<(Option<Rules>, Option<Rules>), ImportError> {
    let rules = |n: Option<&Node>| -> Result<Option<Rules>, ImportError> {
        let Some(n) = n else { return Ok(None) };
        let mut r = Rules {
            stabilization_s: n
                .get("stabilizationWindowSeconds")
                .map(|s| seconds(file, s, "stabilizationWindowSeconds"))
                .transpose()?,
            select: match n.get("selectPolicy") {
                None => None,
                Some(p) => match p.as_str() {
                    Some(v @ ("Max" | "Min" | "Disabled")) => Some(v.to_string()),
                    _ => {
                        return Err(ImportError::at(
                            at(file, p),
                            format!("selectPolicy: {}: Kubernetes allows Max, Min or Disabled", found(p)),
                        ))
                    }
                },
            },
            ..Rules::default()
        };
        for p in n.get("policies").map(Node::items).unwrap_or_default() {
            let value = p.get("value").map(|v| count(file, v, "policy value")).transpose()?.unwrap_or(0);
            let period = p
                .get("periodSeconds")
                .map(|v| seconds(file, v, "periodSeconds"))
                .transpose()?
                .unwrap_or(15.0);
            match p.get("type").and_then(Node::as_str) {
                Some("Pods") => r.pods = Some((value, period)),
                Some("Percent") => r.percent = Some((value, period)),
                other => {
                    return Err(ImportError::at(
                        at(file, p),
                        format!("policy type {other:?}: Kubernetes allows Pods or Percent"),
                    ))
                }
            }
        }
        Ok(Some(r))
    };
    Ok((rules(b.get("scaleUp"))?, rules(b.get("scaleDown"))?))
}

/// Attaches each HPA or ScaledObject to the workload it scales (by name); one that
/// scales nothing imported is noted.
pub(crate) fn link(hpas: Vec<(String, Hpa)>, out: &mut Imported) {
    for (target, hpa) in hpas {
        match out.workloads.iter_mut().find(|w| w.name == target && w.origin == Origin::Kubernetes) {
            Some(w) => {
                if let Some(Scaling::Hpa(_)) = w.scaling {
                    out.notes.skip(&hpa.loc, format!("a second autoscaler for {target}; the first is kept"));
                } else {
                    w.scaling = Some(Scaling::Hpa(Box::new(hpa)));
                }
            }
            None => {
                out.notes.skip(&hpa.loc, format!("scales `{target}`, which is not in the inputs; skipped"))
            }
        }
    }
    let pending = std::mem::take(&mut out.pending_workers);
    for (target, trigger) in pending {
        for w in out.workloads.iter_mut().filter(|w| w.name == target) {
            w.job.get_or_insert_with(|| worker(&trigger));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_offset_zones_and_only_those() {
        for z in ["UTC", "Etc/UTC", "GMT", "Etc/GMT", "Etc/GMT+0", "Zulu"] {
            assert_eq!(zone_offset(z), Some(0.0), "{z}");
        }
        // The tz database's Etc zones have POSIX signs: Etc/GMT+5 is UTC-5.
        assert_eq!(zone_offset("Etc/GMT+5"), Some(-5.0));
        assert_eq!(zone_offset("Etc/GMT-14"), Some(14.0));
        assert_eq!(zone_offset("Etc/GMT+12"), Some(-12.0));
        for z in
            ["Etc/GMT+13", "Etc/GMT-15", "Etc/GMT+5:30", "Etc/GMT5", "America/New_York", "Europe/Berlin", ""]
        {
            assert_eq!(zone_offset(z), None, "{z}");
        }
    }

    #[test]
    fn every_queue_scaler_has_its_keys() {
        for ty in
            ["aws-sqs-queue", "azure-servicebus", "rabbitmq", "redis", "redis-streams", "gcp-pubsub", "kafka"]
        {
            assert!(is_queue(ty), "{ty}");
            let (q, key, ..) = QUEUE_KEYS.iter().find(|(q, ..)| ty.starts_with(q)).unwrap();
            assert_eq!(*q, ty, "the longest prefix comes first");
            assert!(!key.is_empty());
        }
        assert!(!is_queue("cpu") && !is_queue("prometheus"));
    }
}
