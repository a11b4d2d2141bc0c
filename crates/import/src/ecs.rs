//! Amazon ECS task definitions and services (JSON, as `aws ecs register-task-definition
//! --cli-input-json`, `describe-task-definition`, `create-service` and `describe-services`
//! take or print them).
//!
//! Task size (Amazon ECS Developer Guide, "Amazon ECS task definition parameters for
//! Fargate", docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html
//! and task_definition_parameters.html): task-level `cpu` is in CPU units (1024 = 1 vCPU)
//! or written `"1 vCPU"`; `memory` in MiB or written `"2 GB"`. Without task-level sizes
//! (EC2 launch type) the containers' `cpu` and `memory` / `memoryReservation` add up.
//! `runtimePlatform.cpuArchitecture: ARM64` is Graviton. A service's `desiredCount` is its
//! task count; `capacityProviderStrategy` entries `FARGATE` / `FARGATE_SPOT` with a weight
//! say whether tasks run on Spot. Scaling policies live in Application Auto Scaling, not
//! in these files: a service is imported with its fixed `desiredCount`.

use crate::model::{Imported, Origin, Scaling, Workload};
use crate::node::{Loc, Node, Pos};
use crate::quantity::usable_size;
use crate::ImportError;

/// What an ECS JSON document holds.
pub enum EcsDoc<'a> {
    TaskDefinition(&'a Node),
    Services(Vec<&'a Node>),
    /// Application Auto Scaling for ECS: `register-scalable-target` or `put-scaling-policy`
    /// input (ServiceNamespace `ecs`).
    Scaling(&'a Node),
}

/// Recognises a task definition or service(s), also inside the CLI's wrappers.
pub fn classify(doc: &Node) -> Option<EcsDoc<'_>> {
    if doc.get("ServiceNamespace").and_then(Node::as_str) == Some("ecs") && doc.get("ResourceId").is_some() {
        return Some(EcsDoc::Scaling(doc));
    }
    if doc.get("containerDefinitions").is_some() {
        return Some(EcsDoc::TaskDefinition(doc));
    }
    if let Some(td) = doc.get("taskDefinition").filter(|t| t.get("containerDefinitions").is_some()) {
        return Some(EcsDoc::TaskDefinition(td));
    }
    if doc.get("serviceName").is_some() {
        return Some(EcsDoc::Services(vec![doc]));
    }
    if let Some(s) = doc.get("service").filter(|s| s.get("serviceName").is_some()) {
        return Some(EcsDoc::Services(vec![s]));
    }
    let list: Vec<&Node> = doc
        .get("services")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter(|s| s.get("serviceName").is_some())
        .collect();
    (!list.is_empty()).then_some(EcsDoc::Services(list))
}

fn loc(file: &str) -> Loc {
    Loc { file: file.to_string(), pos: Pos::default() }
}

/// `"256"`, `256`, `"1 vCPU"`, `"0.25 vcpu"` in vCPUs.
fn task_cpu(text: &str) -> Option<f64> {
    let t = text.trim().to_ascii_lowercase();
    if let Some(v) = t.strip_suffix("vcpu") {
        return v.trim().parse::<f64>().ok().filter(usable_size);
    }
    t.parse::<f64>().ok().filter(usable_size).map(|units| units / 1024.0)
}

/// `"512"` (MiB), `"2 GB"`, `"2GB"` in bytes (ECS's GB is GiB: "2 GB" is 2048 MiB).
fn task_memory(text: &str) -> Option<f64> {
    let t = text.trim().to_ascii_lowercase();
    if let Some(v) = t.strip_suffix("gb") {
        return v.trim().parse::<f64>().ok().map(|g| g * 1024.0 * 1048576.0).filter(usable_size);
    }
    t.trim_end_matches("mb").trim().parse::<f64>().ok().map(|m| m * 1048576.0).filter(usable_size)
}

pub(crate) fn task_definition(file: &str, td: &Node, out: &mut Imported) -> Result<(), ImportError> {
    let family = td.get("family").and_then(Node::as_str).unwrap_or("task").to_string();
    let arm = td.path("runtimePlatform.cpuArchitecture").and_then(Node::as_str) == Some("ARM64");
    let mut w = Workload::new(&family, "ECS task definition", loc(file), Origin::Ecs { spot: false, arm });
    let bad = |key: &str, v: &Node| {
        ImportError::at(loc(file), format!("task definition {family}: `{key}` = {:?} is not a size ECS accepts (CPU units such as \"256\" or \"1 vCPU\"; MiB such as \"512\" or \"2 GB\")", v.as_str().unwrap_or(v.kind())))
    };
    w.cpu = match td.get("cpu") {
        Some(v) => Some(task_cpu(v.as_str().unwrap_or("")).ok_or_else(|| bad("cpu", v))?),
        None => None,
    };
    w.memory = match td.get("memory") {
        Some(v) => Some(task_memory(v.as_str().unwrap_or("")).ok_or_else(|| bad("memory", v))?),
        None => None,
    };
    let list = td.get("containerDefinitions");
    let containers = list.map(Node::items).unwrap_or_default();
    if containers.is_empty() {
        let what = match list {
            Some(n) if matches!(n.value, crate::node::Value::Seq(_)) => "an empty list",
            Some(n) => n.kind(),
            None => "missing",
        };
        return Err(ImportError::at(
            loc(file),
            format!("task definition {family}: `containerDefinitions` is {what}: ECS requires a list of at least one container"),
        ));
    }
    let (mut cpu, mut mem) = (0.0, 0.0);
    let mut grace = None::<f64>;
    for (i, c) in containers.iter().enumerate() {
        // A container's CPU units and MiB: a number at least 0 where given (ECS's are
        // integers); a negative one took from the others' sum, text was passed over.
        let units = |key: &str| -> Result<f64, ImportError> {
            match c.get(key) {
                None => Ok(0.0),
                Some(n) => n.as_f64().filter(|v| *v >= 0.0).ok_or_else(|| {
                    ImportError::at(
                        loc(file),
                        format!(
                            "task definition {family}: containerDefinitions[{i}].{key}: expected a number at least 0 ({}), found {:?}",
                            if key == "cpu" { "CPU units, 1024 to a vCPU" } else { "MiB" },
                            n.as_str().unwrap_or(n.kind())
                        ),
                    )
                }),
            }
        };
        cpu += units("cpu")? / 1024.0;
        let reservation = units("memoryReservation")?;
        mem += if c.get("memory").is_some() { units("memory")? } else { reservation } * 1048576.0;
        if w.image.is_none() {
            w.image = c.get("image").and_then(Node::as_str).map(str::to_string);
        }
        if let Some(s) = c.path("healthCheck.startPeriod").and_then(Node::as_f64) {
            grace = Some(grace.unwrap_or(0.0).max(s));
        }
        for key in [
            "portMappings",
            "essential",
            "environment",
            "secrets",
            "logConfiguration",
            "mountPoints",
            "command",
            "entryPoint",
        ] {
            if c.get(key).is_some() {
                out.notes.skip(&loc(file), format!("task definition {family}: containerDefinitions[{i}].{key}: read, with no bearing on cost or latency"));
            }
        }
    }
    if w.cpu.is_none() && cpu > 0.0 {
        w.cpu = Some(cpu);
    }
    if w.memory.is_none() && mem > 0.0 {
        w.memory = Some(mem);
    }
    w.startup_s = grace;
    for key in
        ["volumes", "placementConstraints", "ephemeralStorage", "proxyConfiguration", "inferenceAccelerators"]
    {
        if td.get(key).is_some() {
            out.notes.skip(&loc(file), format!("task definition {family}: `{key}` is not modelled"));
        }
    }
    out.notes.assume(&loc(file), format!("task definition {family}{ONE_TASK}"));
    w.replicas = Some(1);
    w.scaling = Some(Scaling::Fixed(1));
    out.workloads.push(w);
    Ok(())
}

/// The end of the assumption a task definition without a service gets.
const ONE_TASK: &str = ": one task, until an ECS service in the inputs says how many";

/// Drops the "one task" assumption of every task definition a service was read for: once,
/// after all services, as each service scanning every note took time quadratic in the
/// input.
pub(crate) fn drop_served_assumptions(out: &mut Imported) {
    let served = std::mem::take(&mut out.served_families);
    if served.is_empty() {
        return;
    }
    const TD: &str = "task definition ";
    out.notes.assumed.retain(|n| {
        let Some(head) = n.strip_suffix(ONE_TASK) else { return true };
        // The note is "LOC: task definition FAMILY" + ONE_TASK (FAMILY may hold anything).
        !head.match_indices(TD).any(|(i, _)| served.contains(&head[i + TD.len()..]))
    });
}

/// An ECS service: sets its task definition's count and capacity, or is noted.
pub(crate) fn service(file: &str, s: &Node, out: &mut Imported) -> Result<(), ImportError> {
    let name = s.get("serviceName").and_then(Node::as_str).unwrap_or("service").to_string();
    let td = s.get("taskDefinition").and_then(Node::as_str).unwrap_or("");
    // "family:revision" or an ARN ending in "task-definition/family:revision".
    let family = td.rsplit('/').next().unwrap_or(td).split(':').next().unwrap_or("").to_string();
    let desired = match s.get("desiredCount") {
        Some(n) => n.as_u64().ok_or_else(|| {
            ImportError::at(loc(file), format!("service {name}: desiredCount must be a whole number"))
        })?,
        None => 1,
    };
    let spot = s.get("capacityProviderStrategy").map(Node::items).unwrap_or_default().iter().any(|p| {
        p.get("capacityProvider").and_then(Node::as_str) == Some("FARGATE_SPOT")
            && p.get("weight").and_then(Node::as_f64).unwrap_or(0.0) > 0.0
    });
    let mixed = s.get("capacityProviderStrategy").map(Node::items).unwrap_or_default().len() > 1;
    if mixed {
        out.notes.skip(&loc(file), format!("service {name}: a capacity provider strategy mixing FARGATE and FARGATE_SPOT is imported as {} only", if spot { "FARGATE_SPOT" } else { "FARGATE" }));
    }
    match out.workloads.iter_mut().find(|w| matches!(w.origin, Origin::Ecs { .. }) && w.name == family) {
        Some(w) => {
            w.name = name.clone();
            w.kind = "ECS service".into();
            w.loc = loc(file);
            w.replicas = Some(desired);
            w.scaling = Some(Scaling::Fixed(desired.max(1)));
            if let Origin::Ecs { arm, .. } = w.origin {
                w.origin = Origin::Ecs { spot, arm };
            }
            out.served_families.insert(family.clone());
        }
        None => out.notes.skip(
            &loc(file),
            format!("service {name}: its task definition {family:?} is not in the inputs; skipped"),
        ),
    }
    if s.get("loadBalancers").map(Node::items).is_some_and(|l| !l.is_empty()) {
        out.load_balancers.push(format!("{file}: service {name} (loadBalancers)"));
    }
    for key in ["deploymentConfiguration", "networkConfiguration", "placementStrategy", "serviceRegistries"] {
        if s.get(key).is_some() {
            out.notes.skip(&loc(file), format!("service {name}: `{key}` is not modelled"));
        }
    }
    Ok(())
}

/// Application Auto Scaling documents for one ECS service, merged: the scalable target
/// (`MinCapacity`, `MaxCapacity`) and the target tracking policy
/// (`TargetTrackingScalingPolicyConfiguration`: `TargetValue`, the predefined metric,
/// `ScaleOutCooldown`, `ScaleInCooldown`), as the Application Auto Scaling API Reference
/// names them (RegisterScalableTarget, PutScalingPolicy,
/// docs.aws.amazon.com/autoscaling/application/APIReference/). `ResourceId` is
/// `service/CLUSTER/SERVICE`. Predefined metrics: `ECSServiceAverageCPUUtilization`
/// (percent) and `ALBRequestCountPerTarget` (requests per target per minute).
pub(crate) fn scaling(file: &str, docs: &[&Node], out: &mut Imported) -> Result<(), ImportError> {
    let Some(first) = docs.first() else { return Ok(()) };
    let rid = first.get("ResourceId").and_then(Node::as_str).unwrap_or("");
    let service = rid.rsplit('/').next().unwrap_or(rid).to_string();
    let (mut min, mut max) = (None, None);
    let mut policy = None;
    let shown = |n: &Node| n.as_str().map_or_else(|| n.kind().to_string(), |s| format!("{s:?}"));
    let whole = |d: &Node, key: &str| -> Result<Option<u64>, ImportError> {
        d.get(key)
            .map(|n| {
                n.as_u64().ok_or_else(|| {
                    ImportError::at(
                        loc(file),
                        format!(
                            "{rid}: {key}: expected a whole number from 0 to {}, found {}",
                            u32::MAX,
                            shown(n)
                        ),
                    )
                })
            })
            .transpose()
    };
    for d in docs {
        min = min.or(whole(d, "MinCapacity")?);
        max = max.or(whole(d, "MaxCapacity")?);
        if let Some(c) = d.get("TargetTrackingScalingPolicyConfiguration") {
            let at = "TargetTrackingScalingPolicyConfiguration";
            let n = c
                .get("TargetValue")
                .ok_or_else(|| ImportError::at(loc(file), format!("{rid}: {at} has no TargetValue")))?;
            let target = n.as_f64().filter(|v| *v > 0.0).ok_or_else(|| {
                ImportError::at(
                    loc(file),
                    format!("{rid}: {at}.TargetValue: expected a number above 0, found {}", shown(n)),
                )
            })?;
            let cooldown = |key: &str| -> Result<Option<f64>, ImportError> {
                c.get(key)
                    .map(|n| {
                        n.as_f64().filter(|v| *v >= 0.0).ok_or_else(|| {
                            ImportError::at(
                                loc(file),
                                format!(
                                    "{rid}: {at}.{key}: expected a number of seconds, at least 0, found {}",
                                    shown(n)
                                ),
                            )
                        })
                    })
                    .transpose()
            };
            let (out_cooldown, in_cooldown) = (cooldown("ScaleOutCooldown")?, cooldown("ScaleInCooldown")?);
            let kind = c
                .path("PredefinedMetricSpecification.PredefinedMetricType")
                .and_then(Node::as_str)
                .unwrap_or("a customized metric");
            let metric = match kind {
                "ECSServiceAverageCPUUtilization" => Some(("cpu", target / 100.0)),
                "ALBRequestCountPerTarget" => Some(("requests-per-target", target)),
                _ => None,
            };
            match metric {
                Some(m) if policy.is_none() => policy = Some((m, out_cooldown, in_cooldown)),
                _ => out.notes.skip(&loc(file), format!("{rid}: target tracking on {kind} is not modelled (CPU utilisation and requests per target are; one policy is kept)")),
            }
        }
    }
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            return Err(ImportError::at(
            loc(file),
            format!("{rid}: MinCapacity {lo} is above MaxCapacity {hi}: the minimum must be at most the maximum"),
        ));
        }
    }
    let Some(w) =
        out.workloads.iter_mut().find(|w| matches!(w.origin, Origin::Ecs { .. }) && w.name == service)
    else {
        out.notes.skip(
            &loc(file),
            format!("{rid}: scales ECS service {service:?}, which is not in the inputs; skipped"),
        );
        return Ok(());
    };
    let Some(((metric, target), out_cooldown, in_cooldown)) = policy else {
        out.notes.skip(&loc(file), format!("{rid}: a scalable target without a target tracking policy crossover models: the service keeps its desiredCount"));
        return Ok(());
    };
    let desired = w.replicas.unwrap_or(1);
    w.scaling = Some(Scaling::TargetTracking {
        min: min.unwrap_or(desired).max(1),
        max: max.unwrap_or(desired).max(1),
        metric,
        target,
        out_cooldown,
        in_cooldown,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_sizes_in_both_notations() {
        assert_eq!(task_cpu("256"), Some(0.25));
        assert_eq!(task_cpu("1 vCPU"), Some(1.0));
        assert_eq!(task_cpu("x"), None);
        assert_eq!(task_memory("512"), Some(512.0 * 1048576.0));
        assert_eq!(task_memory("2 GB"), Some(2048.0 * 1048576.0));
        assert_eq!(task_memory("0"), None);
    }
}
