//! From the file as written to the model the simulator runs, with validation.
//!
//! Validation collects every problem in a file rather than stopping at the first, and
//! names the key of each. Defaults that depend on other keys (idle prices, business
//! hours) are written back into the file struct so the resolved copy shows them. The
//! traffic section has its own module, `traffic`.

use crate::diagnostics::{Diagnostic, Locator, Seg};
use crate::schema::*;
use crate::traffic::ServiceTraffic;
use crossover_engine::{SimDuration, DEFAULT_SCOPE};
use crossover_platform::{
    AutoscalerSpec, BalancePolicy, ColdStart, ConcurrencyScaling, FlyProxy, FreeTier, IdleBilling,
    InstanceSpec, Interruptions, KedaHttp, Overhead, People, PlatformSpec, Rates, RouterSpec, ServiceLoad,
    Spill, StackSpec, TargetTracking, Tariff, TrackedMetric,
};
use crossover_platform::{
    ClusterAutoscaler, Expander, Hpa, HpaBehavior, HpaMetric, HpaPolicy, HpaRules, HpaSelect, Karpenter,
    KedaActivation, MachineType, NodeAutoscaler, NodeBilling, NodePool, Placement,
};
use crossover_platform::{Commitment, CommitmentLevel, CronJob, SqsPoller, Term, Work};
use crossover_workload::{CronSchedule, Demand, Dist, Traffic};
use std::path::Path;

/// Shortest and longest horizons accepted.
pub const MIN_HORIZON: SimDuration = SimDuration::from_minutes(1);
pub const MAX_HORIZON: SimDuration = SimDuration::from_hours(31 * 24);
pub const MAX_REPLICATIONS: u32 = 10_000;
/// A rate beyond this would be billions of requests a day per platform and replication.
pub const MAX_RPS: f64 = 1e6;
pub const MAX_INSTANCES: u32 = 100_000;
pub const MAX_CONCURRENCY: u32 = 10_000;
/// The longest router queue accepted: a queue is memory the simulation holds.
pub const MAX_QUEUE: u32 = 10_000_000;
/// A generic platform's instance limits: a hundredth of a vCPU (the smallest share a
/// container scheduler grants usefully) up to the largest machines sold, 1 MiB up to
/// 24 TiB of memory. Presets narrow these to what each provider allows.
pub const MIN_VCPU: f64 = 0.01;
pub const MAX_VCPU: f64 = 1024.0;
pub const MIN_MEMORY_GIB: f64 = 1.0 / 1024.0;
pub const MAX_MEMORY_GIB: f64 = 24.0 * 1024.0;

/// A scenario ready to simulate.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub horizon: SimDuration,
    pub replications: u32,
    pub seed: u64,
    /// `simulation.slo_p99`: the p99 latency the service must meet, if stated.
    pub slo_p99: Option<SimDuration>,
    /// The services of the stack every platform runs, in the file's order (one,
    /// named "service", for the single-service form).
    pub services: Vec<ServiceLoad>,
    pub platforms: Vec<StackSpec>,
    /// The file with every default filled in (for `scenario.resolved.toml`).
    pub file: ScenarioFile,
    /// The file's `[[stage]]` entries, checked (see [`Scenario::stage`]).
    pub stages: Vec<Stage>,
}

/// A stage of the stack (`[[stage]]`), resolved.
#[derive(Clone, Debug)]
pub struct Stage {
    pub name: String,
    pub scale: f64,
    /// The services at this stage (indices in the scenario, in its order).
    pub services: Vec<usize>,
    /// Each of those services' traffic multiplied by `scale` (checked like a `share`).
    pub traffic: Vec<Traffic>,
}

impl Scenario {
    /// The services `platform` (one of `platforms`) runs, in stack order: every service,
    /// or those its `only_services` names. Borrowed when it runs them all; a copy
    /// otherwise (traces are shared behind an `Arc`, so a copy is small).
    pub fn loads(&self, platform: &StackSpec) -> std::borrow::Cow<'_, [ServiceLoad]> {
        match &platform.only {
            None => std::borrow::Cow::Borrowed(&self.services),
            Some(indices) => {
                std::borrow::Cow::Owned(indices.iter().map(|&i| self.services[i].clone()).collect())
            }
        }
    }

    /// Whether some platform runs only some of the services (`only_services`).
    pub fn has_partial_platforms(&self) -> bool {
        self.platforms.iter().any(|p| p.only.is_some())
    }
}

pub(crate) struct Checker<'a> {
    loc: &'a Locator<'a>,
    errors: Vec<Diagnostic>,
    /// Where files named in the scenario (traces) are looked up: the scenario's folder.
    pub(crate) base_dir: &'a Path,
}

/// A number for a message: as written for ordinary magnitudes, in exponent form for
/// extreme ones (1e300 printed in full is 301 digits).
pub(crate) struct Num(pub f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0.abs();
        if a != 0.0 && a.is_finite() && !(1e-6..1e15).contains(&a) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl Checker<'_> {
    pub(crate) fn error(&mut self, path: &[Seg], message: impl Into<String>) {
        self.errors.push(self.loc.diagnostic(path, message));
    }

    /// An error at `path` caused by the override `label` (when there is one) rather
    /// than by the file: it names the override, not the file's line.
    fn error_caused_by(&mut self, path: &[Seg], label: Option<String>, message: impl Into<String>) {
        let mut d = self.loc.diagnostic(path, message);
        if let Some(label) = label {
            d = Diagnostic { set_by: Some(label), ..Diagnostic::unplaced(d.key, d.message) };
        }
        self.errors.push(d);
    }

    /// Of two entries with one name, the one to blame: the later, unless only the
    /// earlier's name was set by an override (then the file's later entry is innocent).
    fn blame_duplicate(&self, earlier: Vec<Seg>, later: Vec<Seg>) -> Vec<Seg> {
        match (self.loc.overridden_by(&earlier), self.loc.overridden_by(&later)) {
            (Some(_), None) => earlier,
            _ => later,
        }
    }

    /// A finite number within [lo, hi].
    pub(crate) fn range(&mut self, path: &[Seg], value: f64, lo: f64, hi: f64) -> f64 {
        if !value.is_finite() || value < lo || value > hi {
            self.error(path, format!("must be between {lo} and {hi}, got {}", Num(value)));
        }
        value
    }

    pub(crate) fn dist(&mut self, path: &[Seg], field: &DistField) -> Dist {
        if !self.dist_parameters_ok(path, field) {
            return Dist::zero();
        }
        let secs = |d: &crate::units::Duration| d.0.as_secs_f64();
        let result = match field {
            DistField::Constant(d) => Dist::constant(secs(d)),
            DistField::Table(DistTable::Constant { value }) => Dist::constant(secs(value)),
            DistField::Table(DistTable::Exponential { mean }) => Dist::exponential(secs(mean)),
            DistField::Table(DistTable::Lognormal { p50, p99, mean, cv }) => match (p50, p99, mean, cv) {
                (Some(p50), Some(p99), None, None) => Dist::lognormal_p50_p99(secs(p50), secs(p99)),
                (None, None, Some(mean), Some(cv)) => Dist::lognormal_mean_cv(secs(mean), *cv),
                _ => {
                    self.error(path, "a lognormal takes either p50 and p99, or mean and cv");
                    return Dist::zero();
                }
            },
            DistField::Table(DistTable::Uniform { min, max }) => Dist::uniform(secs(min), secs(max)),
            DistField::Table(DistTable::Triangular { min, mode, max }) => {
                Dist::triangular(secs(min), secs(mode), secs(max))
            }
            DistField::Table(DistTable::Gamma { mean, cv }) => Dist::gamma_mean_cv(secs(mean), *cv),
            DistField::Table(DistTable::Pareto { min, alpha }) => Dist::pareto(secs(min), *alpha),
            DistField::Table(DistTable::Empirical { percentiles, values }) => {
                let probs: Vec<f64> = percentiles.iter().map(|p| p / 100.0).collect();
                Dist::empirical(&probs, &values.iter().map(secs).collect::<Vec<_>>())
            }
            DistField::Table(DistTable::Mixture { weights, components }) => {
                let parts = components
                    .iter()
                    .enumerate()
                    .map(|(i, comp)| {
                        let at: Vec<Seg> =
                            path.iter().cloned().chain([Seg::Key("components"), Seg::Index(i)]).collect();
                        self.dist(&at, comp)
                    })
                    .collect();
                Dist::mixture(weights, parts)
            }
            DistField::Table(DistTable::AzureDurations { file, functions }) => {
                return crate::traffic::azure_durations(self, path, file, functions);
            }
        };
        result.unwrap_or_else(|e| {
            self.error(path, e.to_string());
            Dist::zero()
        })
    }
}

impl Checker<'_> {
    /// Checks a distribution's parameters as durations, so that messages show them in
    /// the units they were written in and point at the parameter itself.
    fn dist_parameters_ok(&mut self, path: &[Seg], field: &DistField) -> bool {
        let at = |key: &'static str| -> Vec<Seg> { path.iter().cloned().chain([Seg::Key(key)]).collect() };
        let before = self.errors.len();
        let positive = |c: &mut Self, key: &'static str, d: &crate::units::Duration| {
            if d.0 == SimDuration::ZERO {
                c.error(&at(key), format!("{key} must be a positive duration, got {}", d.0));
            }
        };
        match field {
            DistField::Table(DistTable::Exponential { mean }) => positive(self, "mean", mean),
            DistField::Table(DistTable::Lognormal { p50: Some(p50), p99: Some(p99), .. }) => {
                positive(self, "p50", p50);
                if p99 < p50 {
                    self.error(&at("p99"), format!("p99 ({}) must be >= p50 ({})", p99.0, p50.0));
                }
            }
            DistField::Table(DistTable::Lognormal { mean: Some(mean), cv, .. }) => {
                positive(self, "mean", mean);
                if let Some(cv) = cv {
                    self.range(&at("cv"), *cv, 0.0, 100.0);
                }
            }
            DistField::Table(DistTable::Gamma { mean, cv }) => {
                positive(self, "mean", mean);
                // The shape is 1/cv^2: cv 1e-160 made it infinite and cv 1e300 zero, and
                // every duration came out near 0. 0.001..100 spans shapes 1e-4..1e6.
                self.range(&at("cv"), *cv, 0.001, 100.0);
            }
            _ => {}
        }
        self.errors.len() == before
    }

    /// A memory size in GiB within [lo, hi], reported in the units people write.
    fn size_range(&mut self, path: &[Seg], gib: f64, lo: f64, hi: f64) {
        use crate::units::Size;
        if !gib.is_finite() || gib < lo || gib > hi {
            self.error(path, format!("must be between {} and {}, got {}", Size(lo), Size(hi), Size(gib)));
        }
    }
}

/// Validates a deserialised file and builds the scenario; `default_name` is used when the
/// file has no `name`.
pub fn resolve(
    mut file: ScenarioFile,
    loc: &Locator,
    default_name: &str,
    base_dir: &Path,
) -> Result<Scenario, Vec<Diagnostic>> {
    let mut c = Checker { loc, errors: Vec::new(), base_dir };
    let from_file_name = file.name.trim().is_empty();
    if from_file_name {
        file.name = default_name.to_string();
    }
    if let Some(problem) = crate::names::scenario_name_problem(&file.name) {
        // Without a `name` key the error would blame a key that is not there.
        let problem = if from_file_name {
            format!(
                "{problem} (the scenario has no `name`, so it is named after its file: add `name = \"...\"`)"
            )
        } else {
            problem
        };
        c.error(&[Seg::Key("name")], problem);
    }

    let sim = &file.simulation;
    let sp = |k| [Seg::Key("simulation"), Seg::Key(k)];
    if sim.horizon.0 < MIN_HORIZON || sim.horizon.0 > MAX_HORIZON {
        c.error(
            &sp("horizon"),
            format!("must be between {MIN_HORIZON} and {MAX_HORIZON}, got {}", sim.horizon.0),
        );
    }
    if sim.replications == 0 || sim.replications > MAX_REPLICATIONS {
        c.error(
            &sp("replications"),
            format!("must be between 1 and {MAX_REPLICATIONS}, got {}", sim.replications),
        );
    }

    if let Some(slo) = sim.slo_p99 {
        if slo.0 == SimDuration::ZERO {
            c.error(&sp("slo_p99"), "must be longer than 0s");
        }
    }

    let horizon = file.simulation.horizon.0;
    let slo_p99 = file.simulation.slo_p99.map(|d| d.0);
    let services = resolve_services(&mut file, horizon, slo_p99, &mut c);

    if file.platforms.is_empty() {
        c.error(&[Seg::Key("platform")], "no [[platform]] to simulate: add at least one");
    }
    let names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
    let deployments = names.len().saturating_mul(file.platforms.len());
    if names.len() > 1 && deployments > MAX_DEPLOYMENTS {
        // Every platform holds a spec per service: refused before building them all.
        c.error(
            &[Seg::Key("service")],
            format!(
                "{} services on {} platforms are {deployments} deployments to resolve and simulate; at \
                 most {MAX_DEPLOYMENTS}: split the scenario",
                names.len(),
                file.platforms.len()
            ),
        );
        return Err(c.errors);
    }
    let mut specs: Vec<Vec<PlatformSpec>> = Vec::with_capacity(file.platforms.len());
    let name_at = |i: usize| vec![Seg::Key("platform"), Seg::Index(i), Seg::Key("name")];
    for i in 0..file.platforms.len() {
        let per_service = resolve_stack(i, &mut file.platforms[i], &services, &mut c);
        let same = |q: &Vec<PlatformSpec>| q.first().map(|q| &q.name) == per_service.first().map(|q| &q.name);
        if let Some(j) = specs.iter().position(same) {
            let blamed = c.blame_duplicate(name_at(j), name_at(i));
            c.error(
                &blamed,
                format!("platform name \"{}\" is used twice; names must be unique", file.platforms[i].name),
            );
        }
        specs.push(per_service);
    }
    link_spills(&file, &names, &mut specs, &mut c);

    let mut platforms = Vec::with_capacity(specs.len());
    // With no service (reported above) there is no stack to build.
    for (i, per_service) in specs.into_iter().enumerate().filter(|_| !names.is_empty()) {
        let name = file.platforms[i].name.clone();
        let only = only_services(i, &file.platforms[i], &names, &mut c);
        match StackSpec::new(name, per_service) {
            Ok(stack) => platforms.push(match only {
                Some(indices) => stack.only(&indices),
                None => stack,
            }),
            // Only the keys a service may override differ between its specs: this would
            // be a defect here, but it is reported, not a panic.
            Err(e) => c.error(&[Seg::Key("platform"), Seg::Index(i)], e),
        }
    }

    let stages = resolve_stages(&file, &services, horizon, &mut c);

    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(Scenario {
        name: file.name.clone(),
        horizon,
        replications: file.simulation.replications,
        seed: file.simulation.seed,
        slo_p99,
        services,
        platforms,
        file,
        stages,
    })
}

/// The `[[stage]]` entries: unique names, a scale that is a valid `share`, and the
/// services each names.
fn resolve_stages(
    file: &ScenarioFile,
    services: &[ServiceLoad],
    horizon: SimDuration,
    c: &mut Checker,
) -> Vec<Stage> {
    let names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
    let mut out: Vec<Stage> = Vec::with_capacity(file.stages.len());
    for (i, st) in file.stages.iter().enumerate() {
        let key = |k: &'static str| vec![Seg::Key("stage"), Seg::Index(i), Seg::Key(k)];
        if let Some(problem) = crate::names::scenario_name_problem(&st.name) {
            c.error(&key("name"), problem);
        } else if out.iter().any(|o| o.name == st.name) || file.stages[..i].iter().any(|o| o.name == st.name)
        {
            c.error(
                &key("name"),
                format!(
                    "stage name \"{}\" is used twice; names must be unique",
                    crate::names::terminal_safe(&st.name)
                ),
            );
        }
        let indices = match &st.services {
            None => (0..services.len()).collect(),
            Some(list) => named_services(list, &key("services"), &names, c).unwrap_or_default(),
        };
        use crate::traffic::{MAX_SHARE, MIN_SHARE};
        if !(MIN_SHARE..=MAX_SHARE).contains(&st.scale) {
            c.error(
                &key("scale"),
                format!(
                    "must be between {MIN_SHARE:e} and {MAX_SHARE}, got {}; it multiplies every service's traffic",
                    Num(st.scale)
                ),
            );
            continue;
        }
        let errors = c.errors.len();
        let traffic: Vec<Traffic> = indices
            .iter()
            .map(|&s| {
                crate::traffic::share(services[s].traffic.clone(), Some(st.scale), &key("scale"), horizon, c)
            })
            .collect();
        // One message per stage is enough: every service's would repeat it.
        c.errors.truncate(errors + usize::from(c.errors.len() > errors));
        out.push(Stage { name: st.name.clone(), scale: st.scale, services: indices, traffic });
    }
    out
}

/// The indices of the services a platform entry's `only_services` names (in the file's
/// order), or `None` without the key. Each name must be a service of the file, once; the
/// list may not be empty.
fn only_services(i: usize, p: &PlatformSection, services: &[String], c: &mut Checker) -> Option<Vec<usize>> {
    let list = p.only_services.as_ref()?;
    let key = vec![Seg::Key("platform"), Seg::Index(i), Seg::Key("only_services")];
    named_services(list, &key, services, c)
}

/// The indices of the services `list` (at `key`) names, in the file's order: each a
/// service of the file, once, and at least one. `None` when the list is empty.
fn named_services(list: &[String], key: &[Seg], services: &[String], c: &mut Checker) -> Option<Vec<usize>> {
    if list.is_empty() {
        c.error(
            key,
            format!(
                "names no service: list at least one of {}, or remove the key for all of them",
                crate::suggest::one_of(&services.iter().map(String::as_str).collect::<Vec<_>>())
            ),
        );
        return None;
    }
    let mut indices = Vec::with_capacity(list.len());
    for (j, name) in list.iter().enumerate() {
        let at = key.iter().cloned().chain([Seg::Index(j)]).collect::<Vec<_>>();
        match services.iter().position(|s| s == name) {
            Some(k) if indices.contains(&k) => c.error(
                &at,
                format!("\"{}\" is listed twice; name each service once", crate::names::terminal_safe(name)),
            ),
            Some(k) => indices.push(k),
            None => {
                let hint = match crate::suggest::did_you_mean(name, services.iter().map(String::as_str)) {
                    Some(near) => format!(" (did you mean \"{near}\"?)"),
                    None => String::new(),
                };
                c.error(
                    &at,
                    format!(
                        "no service is named \"{}\"{hint}: name the file's services, {}",
                        crate::names::terminal_safe(name),
                        crate::suggest::one_of(&services.iter().map(String::as_str).collect::<Vec<_>>())
                    ),
                );
            }
        }
    }
    indices.sort_unstable();
    Some(indices)
}

/// Most services a stack may have: far more than any real stack deploys together, and a
/// bound on the work each simulation does per service.
pub const MAX_SERVICES: usize = 100;

/// Most (service, platform) pairs a stack may have: each is a resolved spec held in
/// memory and a fleet in every simulation (100 services on 100 platforms).
pub const MAX_DEPLOYMENTS: usize = 10_000;

/// Most tasks a scheduled run may have (a Cloud Run Job's limit, 10,000 tasks).
pub const MAX_TASKS: u32 = 10_000;

/// What kind of work a service does, its cron keys checked: they belong to `kind =
/// "cron"` alone.
fn resolve_work(
    s: &ServiceSection,
    top_offset: Option<f64>,
    at: &dyn Fn(&'static str) -> Vec<Seg>,
    c: &mut Checker,
) -> Work {
    let cron_keys = [
        ("schedule", s.schedule.is_some()),
        ("tasks", s.tasks.is_some()),
        ("parallelism", s.parallelism.is_some()),
        ("deadline", s.deadline.is_some()),
        ("utc_offset", s.utc_offset.is_some()),
    ];
    match s.kind {
        ServiceKind::Http | ServiceKind::Worker => {
            for (key, set) in cron_keys {
                if set {
                    c.error(&at(key), format!("`{key}` is a scheduled job's: it needs kind = \"cron\""));
                }
            }
            if s.kind == ServiceKind::Worker {
                Work::Worker
            } else {
                Work::Http
            }
        }
        ServiceKind::Cron => {
            let hours = s.utc_offset.or(top_offset).unwrap_or(0.0);
            let offset_path = if s.utc_offset.is_some() { at("utc_offset") } else { at("kind") };
            let hours = c.range(&offset_path, hours, -12.0, 14.0);
            let minutes = if hours.is_finite() { (hours * 60.0).round() as i32 } else { 0 };
            if hours.is_finite() && (hours * 60.0 - f64::from(minutes)).abs() > 1e-6 {
                c.error(
                    &offset_path,
                    format!("must be a whole number of minutes (5.5 or 5.75 are), got {hours} h"),
                );
            }
            let schedule = match &s.schedule {
                None => {
                    c.error(&at("kind"), "a cron service needs a `schedule` (e.g. schedule = \"0 2 * * *\")");
                    CronSchedule::parse("@daily", minutes).expect("a valid macro")
                }
                Some(text) => match CronSchedule::parse(text, minutes) {
                    Ok(schedule) => {
                        if schedule.next_at_or_after(0).is_none() {
                            c.error(
                                &at("schedule"),
                                format!("\"{text}\" never runs (no such day in ten years)"),
                            );
                        }
                        schedule
                    }
                    Err(e) => {
                        c.error(
                            &at("schedule"),
                            format!("column {} of the expression: {}", e.column, e.message),
                        );
                        CronSchedule::parse("@daily", minutes).expect("a valid macro")
                    }
                },
            };
            let tasks = s.tasks.unwrap_or(1);
            if tasks == 0 || tasks > MAX_TASKS {
                c.error(&at("tasks"), format!("must be between 1 and {MAX_TASKS}, got {tasks}"));
            }
            let parallelism = s.parallelism.unwrap_or(1);
            if parallelism == 0 || parallelism > MAX_TASKS {
                c.error(&at("parallelism"), format!("must be between 1 and {MAX_TASKS}, got {parallelism}"));
            }
            let deadline = s.deadline.map(|d| d.0);
            if deadline == Some(SimDuration::ZERO) {
                c.error(&at("deadline"), "must be longer than 0s");
            }
            Work::Cron(CronJob { schedule, tasks: tasks.max(1), parallelism: parallelism.max(1), deadline })
        }
    }
}

/// The key path of service `i`: `service` in the single-service form, `service[i]` in a
/// stack.
fn service_path(file: &ScenarioFile, i: usize) -> Vec<Seg> {
    match file.service.is_stack() {
        true => vec![Seg::Key("service"), Seg::Index(i)],
        false => vec![Seg::Key("service")],
    }
}

/// Every service's load: its name, demand, response size, SLO and traffic (its own, or
/// the top-level `[traffic]`, either times its `share`).
fn resolve_services(
    file: &mut ScenarioFile,
    horizon: SimDuration,
    slo_p99: Option<SimDuration>,
    c: &mut Checker,
) -> Vec<ServiceLoad> {
    let count = file.service.as_slice().len();
    if file.service.is_stack() && count == 0 {
        c.error(&[Seg::Key("service")], "the stack has no service: add at least one [[service]]");
    }
    if count > MAX_SERVICES {
        c.error(
            &[Seg::Key("service")],
            format!("a stack may have at most {MAX_SERVICES} services, got {count}"),
        );
        return Vec::new();
    }
    let top_path = [Seg::Key("traffic")];
    let top = file.traffic.as_mut().and_then(|t| crate::traffic::resolve_top(t, &top_path, horizon, c));
    let mut inherits = false;
    let mut loads: Vec<ServiceLoad> = Vec::with_capacity(count);
    let is_stack = file.service.is_stack();
    for i in 0..count {
        let base = service_path(file, i);
        let at = |k: &'static str| -> Vec<Seg> { base.iter().cloned().chain([Seg::Key(k)]).collect() };
        let all = file.service.as_slice();
        let earlier = (0..i).find(|&k| all[k].name.is_some() && all[k].name == all[i].name);
        let earlier_name = earlier.map(|k| [service_path(file, k), vec![Seg::Key("name")]].concat());
        let s = &mut file.service.as_mut_slice()[i];
        let name = match &s.name {
            Some(name) => {
                if let Some(problem) = crate::names::service_name_problem(name) {
                    c.error(&at("name"), problem);
                } else if let Some(earlier) = earlier_name.filter(|_| loads.iter().any(|l| &l.name == name)) {
                    let blamed = c.blame_duplicate(earlier, at("name"));
                    c.error(&blamed, format!("service name \"{name}\" is used twice; names must be unique"));
                }
                name.clone()
            }
            None if is_stack => {
                c.error(
                    &at("name"),
                    "missing key `name`: every [[service]] of a stack is named (e.g. name = \"api\")",
                );
                format!("service-{i}")
            }
            None => DEFAULT_SCOPE.to_string(),
        };
        if !is_stack {
            // The single-service form writes its default name back: the resolved file
            // says which name keys the service's random streams.
            s.name.get_or_insert_with(|| name.clone());
        }
        let demand = Demand { cpu: c.dist(&at("cpu"), &s.cpu), io: c.dist(&at("io"), &s.io) };
        let own_slo = s.slo_p99.map(|d| d.0);
        if own_slo == Some(SimDuration::ZERO) {
            c.error(&at("slo_p99"), "must be longer than 0s");
        }
        let top_offset = file.traffic.as_ref().and_then(|t| t.utc_offset);
        let s = &mut file.service.as_mut_slice()[i];
        let work = resolve_work(s, top_offset, &at, c);
        if matches!(work, Work::Cron(_)) {
            // A scheduled job's work comes from its schedule, not from traffic.
            if s.traffic.is_some() {
                c.error(
                    &at("traffic"),
                    "a cron service runs on its `schedule` (with `tasks` per run): remove its `traffic`",
                );
            }
            loads.push(ServiceLoad {
                name,
                traffic: Traffic::constant(0.0),
                demand,
                response_gb: s.response_size.0 * (1u64 << 30) as f64 / 1e9,
                slo_p99: own_slo.or(slo_p99),
                work,
            });
            continue;
        }
        let traffic_path = at("traffic");
        let traffic = match s.traffic.as_mut() {
            Some(t) => match crate::traffic::resolve_service_traffic(t, &traffic_path, horizon, c) {
                ServiceTraffic::Own(traffic) => Some(*traffic),
                ServiceTraffic::Inherited { share } => {
                    inherits = true;
                    let share_path: Vec<Seg> =
                        traffic_path.iter().cloned().chain([Seg::Key("share")]).collect();
                    top.clone().map(|t| crate::traffic::share(t, share, &share_path, horizon, c))
                }
            },
            None => {
                inherits = true;
                top.clone()
            }
        };
        let traffic = match traffic {
            Some(t) => t,
            None => {
                // Reported once the missing [traffic] is known to be needed (below), or
                // already (a top-level [traffic] that does not resolve).
                if file.traffic.is_none() {
                    if is_stack {
                        c.error(
                            &at("name"),
                            format!(
                                "service \"{name}\" has no `traffic` of its own and there is no top-level \
                                 [traffic] to inherit: give it a [service.traffic] table, or add [traffic]"
                            ),
                        );
                    } else {
                        c.error(&[Seg::Key("traffic")], "missing key `traffic`");
                    }
                }
                Traffic::constant(0.0)
            }
        };
        loads.push(ServiceLoad {
            name,
            traffic,
            demand,
            response_gb: s.response_size.0 * (1u64 << 30) as f64 / 1e9,
            slo_p99: own_slo.or(slo_p99),
            work,
        });
    }
    if file.traffic.is_some() && !inherits && count > 0 {
        c.error(
            &top_path,
            "no service uses the top-level [traffic]: every service has a `traffic` with its own \
             `profile`; remove [traffic], or leave out a service's profile to inherit it",
        );
    }
    loads
}

/// The specs of platform `i`, one per service in `services` order: the platform entry,
/// with each service's `[platform.services.NAME]` keys in place of the platform's.
/// Problems of the entry itself are reported at the entry's keys; those of a service's
/// keys at `platform[i].services.NAME.KEY`. A problem a service inherits unchanged from
/// the entry is reported once, at the entry.
fn resolve_stack(
    i: usize,
    p: &mut PlatformSection,
    loads: &[ServiceLoad],
    c: &mut Checker,
) -> Vec<PlatformSpec> {
    let names: Vec<String> = loads.iter().map(|l| l.name.clone()).collect();
    let mut specs = resolve_stack_specs(i, p, &names, c);
    // A service the platform does not run (`only_services`) asks nothing of it.
    let runs = |name: &str| p.only_services.as_ref().is_none_or(|only| only.iter().any(|n| n == name));
    let running: Vec<bool> = loads.iter().map(|l| runs(&l.name)).collect();
    for ((spec, load), runs) in specs.iter_mut().zip(loads).zip(running) {
        if runs {
            fit_to_work(i, p, spec, load, c);
        }
    }
    // A kind's defaults matter only to services of that kind: without one, the resolved
    // file leaves them out (as it was before workers and jobs).
    if !loads.iter().any(|l| l.work == Work::Worker) {
        p.worker = None;
    }
    if !loads.iter().any(|l| matches!(l.work, Work::Cron(_))) {
        p.cron = None;
    }
    specs
}

/// A worker's or a scheduled job's spec, checked and completed for its kind of work:
/// what the platform cannot do with it is refused, with the reason.
fn fit_to_work(i: usize, p: &PlatformSection, spec: &mut PlatformSpec, load: &ServiceLoad, c: &mut Checker) {
    let kind = match load.work {
        Work::Http => {
            if matches!(spec.autoscaler, AutoscalerSpec::SqsPoller(_)) {
                let mut path = vec![Seg::Key("platform"), Seg::Index(i)];
                if p.services.contains_key(&load.name) {
                    path.extend([Seg::Key("services"), Seg::Name(load.name.clone())]);
                }
                path.push(Seg::Key("autoscaler"));
                c.error(
                    &path,
                    format!(
                        "`sqs-poller` reads a queue, and \"{}\" is an HTTP service: give it kind = \"worker\", or \
                         per-request scaling",
                        load.name
                    ),
                );
            }
            return;
        }
        Work::Worker => "worker",
        Work::Cron(_) => "cron",
    };
    let own = p.services.contains_key(&load.name);
    let at = |key: &'static str| -> Vec<Seg> {
        let mut path = vec![Seg::Key("platform"), Seg::Index(i)];
        if own {
            path.extend([Seg::Key("services"), Seg::Name(load.name.clone())]);
        }
        path.push(Seg::Key(key));
        path
    };
    if spec.spill.is_some() {
        c.error(&at("spill"), format!("a {kind} takes no HTTP requests, so it has nothing to spill"));
    }
    if let Some(limit) = p.limits.as_ref().and_then(|l| l.max_duration) {
        // CPU work runs at most one vCPU fast per job (fractions throttle it).
        let mean = load.demand.cpu.mean() / spec.instance.vcpu.min(1.0) + load.demand.io.mean();
        if mean > limit.0.as_secs_f64() {
            c.error(
                &at("instance"),
                format!(
                    "a {kind} task takes {mean:.0} s on average here, longer than the {} s this platform lets \
                     one run (limits.max_duration): split the work or choose another platform",
                    limit.0.as_secs_f64()
                ),
            );
        }
    }
    match &load.work {
        Work::Http => {}
        Work::Worker => {
            let http_only = match &spec.autoscaler {
                AutoscalerSpec::FlyProxy(_) => Some(
                    "fly-proxy starts and stops machines on HTTP requests, and a worker receives none \
                     (Fly's autostop does not apply to non-HTTP work): run it on always-on machines, \
                     autoscaler = { kind = \"fixed\" }",
                ),
                AutoscalerSpec::KedaHttp(_) => Some(
                    "the KEDA HTTP scaler counts HTTP requests, and a worker receives none: scale on the \
                     queue (an hpa with metric = \"queue\" and keda)",
                ),
                AutoscalerSpec::TargetTracking(t) if t.metric == TrackedMetric::RequestsPerTarget => Some(
                    "ALBRequestCountPerTarget counts load-balancer requests, and a worker receives none: \
                     track metric = \"backlog-per-task\"",
                ),
                AutoscalerSpec::Fixed { .. }
                | AutoscalerSpec::PerRequest { .. }
                | AutoscalerSpec::Concurrency(_)
                | AutoscalerSpec::TargetTracking(_)
                | AutoscalerSpec::Schedule { .. }
                | AutoscalerSpec::Hpa(_)
                | AutoscalerSpec::SqsPoller(_) => None,
            };
            if let Some(why) = http_only {
                c.error(&at("autoscaler"), why.to_string());
            }
        }
        Work::Cron(job) => {
            if p.cron.is_none() {
                c.error(
                    &[Seg::Key("platform"), Seg::Index(i), Seg::Key("name")],
                    format!(
                        "service \"{}\" is a scheduled job, and this platform has no scheduler ([platform.cron] \
                         absent): add `cron = {{}}` to the entry if it can run one, or leave the job to another \
                         platform",
                        load.name
                    ),
                );
            }
            // The job controller starts one instance per task: no autoscaler, no
            // instance kept, one task at a time on each.
            spec.autoscaler = AutoscalerSpec::Fixed { instances: 0 };
            spec.min_instances = 0;
            spec.instance.concurrency = 1;
            if spec.max_instances < job.parallelism.min(job.tasks) {
                c.error(
                    &at("max_instances"),
                    format!(
                        "{} instances at most here, fewer than the job's parallelism ({}): lower \
                         `parallelism` or raise max_instances",
                        spec.max_instances, job.parallelism
                    ),
                );
            }
        }
    }
}

fn resolve_stack_specs(
    i: usize,
    p: &mut PlatformSection,
    services: &[String],
    c: &mut Checker,
) -> Vec<PlatformSpec> {
    let base: Vec<Seg> = vec![Seg::Key("platform"), Seg::Index(i)];
    let own = resolve_platform(
        &|keys| base.iter().cloned().chain(keys.iter().map(|k| Seg::Key(k))).collect(),
        p,
        c,
    );
    // With no services (a stack refused as a whole, reported already) no name is known.
    for name in p.services.keys().filter(|_| !services.is_empty()) {
        if !services.contains(name) {
            let path = [Seg::Key("platform"), Seg::Index(i), Seg::Key("services"), Seg::Name(name.clone())];
            let hint = match crate::suggest::did_you_mean(name, services.iter().map(String::as_str)) {
                Some(near) => format!(" (did you mean \"{near}\"?)"),
                None => String::new(),
            };
            let renamed = c.loc.renamed_by("service", name).map(str::to_string);
            c.error_caused_by(
                &path,
                renamed,
                format!(
                    "no service is named \"{}\"{hint}: name one of the file's services, {}",
                    crate::names::terminal_safe(name),
                    crate::suggest::one_of(&services.iter().map(String::as_str).collect::<Vec<_>>())
                ),
            );
        }
    }
    let mut specs = Vec::with_capacity(services.len());
    for name in services {
        let Some(overrides) = p.services.get(name).cloned() else {
            specs.push(own.clone());
            continue;
        };
        let set = overrides.keys();
        let mut section = overrides.apply(p);
        let service_base: Vec<Seg> =
            vec![Seg::Key("platform"), Seg::Index(i), Seg::Key("services"), Seg::Name(name.clone())];
        let at = |keys: &[&'static str]| -> Vec<Seg> {
            let prefix = if keys.first().is_some_and(|k| set.contains(k)) { &service_base } else { &base };
            prefix.iter().cloned().chain(keys.iter().map(|k| Seg::Key(k))).collect()
        };
        let before = c.errors.len();
        let spec = resolve_platform(&at, &mut section, c);
        // An inherited problem is the entry's own, reported there already.
        let mut found = c.errors.split_off(before);
        found.retain(|d| !c.errors.iter().any(|e| e.key == d.key && e.message == d.message));
        // What remains at one of the entry's keys comes from the service's keys meeting
        // the entry's (an HPA set for the service over the entry's min_instances = 0): it
        // is the service's problem, shown at its table.
        let entry_key = crate::diagnostics::path_string(&base);
        for d in &mut found {
            let Some(tail) = d.key.strip_prefix(&entry_key).and_then(|t| t.strip_prefix('.')) else {
                continue;
            };
            if tail.contains('[') || tail.starts_with("services.") {
                continue;
            }
            let mut path = service_base.clone();
            path.extend(tail.split('.').map(|k| Seg::Name(k.to_string())));
            *d = c.loc.diagnostic(&path, format!("with this service's keys, {}", d.message));
        }
        c.errors.extend(found);
        if set.contains(&"billing") && !spec.tariff.same_account(&own.tariff) {
            let mut path = service_base.clone();
            path.push(Seg::Key("billing"));
            c.error(
                &path,
                "free tiers, fixed fees, the control plane, overhead and people are billed once for the \
                 platform: a service may set only its usage rates (vcpu_second, gib_second, gpu_second, \
                 their idle rates, idle_billing, per_million_requests, egress_per_gb, stopped_per_month, \
                 rounding, minimum_per_start)",
            );
        }
        // Defaults filled while resolving (a schedule's weekend) go back to the service's
        // table, so the resolved file shows them.
        if let Some(o) = p.services.get_mut(name) {
            if o.autoscaler.is_some() {
                o.autoscaler = Some(section.autoscaler.clone());
            }
        }
        specs.push(spec);
    }
    specs
}

/// One platform entry as one service runs on it; `at` places a key of the entry (the
/// entry's own, or the service's override of it).
fn resolve_platform(
    at: &dyn Fn(&[&'static str]) -> Vec<Seg>,
    p: &mut PlatformSection,
    c: &mut Checker,
) -> PlatformSpec {
    if let Some(problem) = crate::names::platform_name_problem(&p.name) {
        c.error(&at(&["name"]), problem);
    }
    let inst = &p.instance;
    if !inst.cpu.is_finite() || inst.cpu < MIN_VCPU || inst.cpu > MAX_VCPU {
        c.error(
            &at(&["instance", "cpu"]),
            format!("must be between {MIN_VCPU} and {MAX_VCPU} vCPUs, got {}", inst.cpu),
        );
    }
    c.size_range(&at(&["instance", "memory"]), inst.memory.0, MIN_MEMORY_GIB, MAX_MEMORY_GIB);
    if inst.concurrency == 0 || inst.concurrency > MAX_CONCURRENCY {
        c.error(
            &at(&["instance", "concurrency"]),
            format!("must be between 1 and {MAX_CONCURRENCY}, got {}", inst.concurrency),
        );
    }
    if inst.gpus > 16 {
        c.error(&at(&["instance", "gpus"]), format!("must be between 0 and 16, got {}", inst.gpus));
    }
    if let Some(limits) = &p.limits {
        check_limits(limits, inst, at, c);
    }
    let init = c.dist(&at(&["instance", "cold_start"]), &inst.cold_start);
    let st = &p.startup;
    let startup = ColdStart {
        fixed: st.fixed.0,
        image_mb: inst.image_size.0 * (1u64 << 30) as f64 / 1e6,
        pull_mb_per_s: c.range(&at(&["startup", "pull_mb_per_s"]), st.pull_mb_per_s, 0.0, 1e6),
        init,
        cpu_boost: c.range(&at(&["startup", "cpu_boost"]), st.cpu_boost, 0.01, 1.0),
        health_check_interval: st.health_check_interval.0,
    };
    let instance = InstanceSpec {
        vcpu: inst.cpu,
        memory_gib: inst.memory.0,
        gpus: inst.gpus,
        concurrency: inst.concurrency,
    };

    let positive = |c: &mut Checker, keys: &[&'static str], d: &crate::units::Duration| {
        if d.0 == SimDuration::ZERO {
            c.error(&at(keys), "must be positive");
        }
        d.0
    };
    let autoscaler = match &p.autoscaler {
        AutoscalerSection::Fixed { instances } => {
            if *instances == 0 || *instances > MAX_INSTANCES {
                c.error(
                    &at(&["autoscaler", "instances"]),
                    format!("must be between 1 and {MAX_INSTANCES}, got {instances}"),
                );
            }
            AutoscalerSpec::Fixed { instances: *instances }
        }
        AutoscalerSection::PerRequest { keep_alive } => {
            if keep_alive.0 == SimDuration::ZERO {
                c.error(&at(&["autoscaler", "keep_alive"]), "must be a positive duration, got 0s");
            }
            AutoscalerSpec::PerRequest { keep_alive: keep_alive.0 }
        }
        AutoscalerSection::SqsPoller { keep_alive, initial, per_minute } => {
            if keep_alive.0 == SimDuration::ZERO {
                c.error(&at(&["autoscaler", "keep_alive"]), "must be a positive duration, got 0s");
            }
            for (key, n) in [("initial", initial), ("per_minute", per_minute)] {
                if *n == 0 || *n > 100_000 {
                    c.error(&at(&["autoscaler", key]), format!("must be between 1 and 100000, got {n}"));
                }
            }
            AutoscalerSpec::SqsPoller(SqsPoller {
                keep_alive: keep_alive.0,
                initial: *initial,
                per_minute: *per_minute,
            })
        }
        AutoscalerSection::Concurrency {
            target_concurrency,
            target_cpu,
            tick,
            stable_window,
            panic_window,
            panic_threshold,
            max_scale_up_rate,
            max_scale_down_rate,
            idle_retention,
        } => {
            let a = |k| at(&["autoscaler", k]);
            c.range(&a("target_concurrency"), *target_concurrency, 0.01, 1.0);
            c.range(&a("target_cpu"), *target_cpu, 0.0, 1.0);
            c.range(&a("panic_threshold"), *panic_threshold, 1.0, 100.0);
            c.range(&a("max_scale_up_rate"), *max_scale_up_rate, 1.0, 1e6);
            c.range(&a("max_scale_down_rate"), *max_scale_down_rate, 1.0, 1e6);
            let stable = positive(c, &["autoscaler", "stable_window"], stable_window);
            let panic = positive(c, &["autoscaler", "panic_window"], panic_window);
            if panic > stable {
                c.error(&a("panic_window"), format!("must not exceed stable_window ({stable}), got {panic}"));
            }
            AutoscalerSpec::Concurrency(ConcurrencyScaling {
                target_concurrency: *target_concurrency,
                target_cpu: *target_cpu,
                tick: positive(c, &["autoscaler", "tick"], tick),
                stable_window: stable,
                panic_window: panic,
                panic_threshold: *panic_threshold,
                max_scale_up_rate: *max_scale_up_rate,
                max_scale_down_rate: *max_scale_down_rate,
                idle_retention: idle_retention.0,
            })
        }
        AutoscalerSection::TargetTracking {
            metric,
            target,
            period,
            datapoints_out,
            datapoints_in,
            scale_out_cooldown,
            scale_in_cooldown,
            scale_in_margin,
        } => {
            let metric = match metric {
                TrackedMetricName::Cpu => {
                    c.range(&at(&["autoscaler", "target"]), *target, 0.01, 1.0);
                    TrackedMetric::Cpu
                }
                TrackedMetricName::RequestsPerTarget => {
                    c.range(&at(&["autoscaler", "target"]), *target, 1e-6, 1e9);
                    TrackedMetric::RequestsPerTarget
                }
                TrackedMetricName::BacklogPerTask => {
                    c.range(&at(&["autoscaler", "target"]), *target, 1e-6, 1e9);
                    TrackedMetric::BacklogPerTask
                }
            };
            for (key, n) in [("datapoints_out", datapoints_out), ("datapoints_in", datapoints_in)] {
                if *n == 0 || *n > 1000 {
                    c.error(&at(&["autoscaler", key]), format!("must be between 1 and 1000, got {n}"));
                }
            }
            AutoscalerSpec::TargetTracking(TargetTracking {
                metric,
                target: *target,
                period: positive(c, &["autoscaler", "period"], period),
                datapoints_out: *datapoints_out,
                datapoints_in: *datapoints_in,
                scale_out_cooldown: scale_out_cooldown.0,
                scale_in_cooldown: scale_in_cooldown.0,
                scale_in_margin: c.range(
                    &at(&["autoscaler", "scale_in_margin"]),
                    *scale_in_margin,
                    0.0,
                    0.99,
                ),
            })
        }
        AutoscalerSection::KedaHttp { target_per_replica, polling, stabilization, cooldown } => {
            c.range(&at(&["autoscaler", "target_per_replica"]), *target_per_replica, 1e-6, 1e9);
            AutoscalerSpec::KedaHttp(KedaHttp {
                target_per_replica: *target_per_replica,
                polling: positive(c, &["autoscaler", "polling"], polling),
                stabilization: stabilization.0,
                cooldown: positive(c, &["autoscaler", "cooldown"], cooldown),
            })
        }
        AutoscalerSection::Hpa {
            metric,
            target,
            sync_period,
            tolerance,
            metric_window,
            scale_up,
            scale_down,
            downscale_stabilization,
            keda,
        } => {
            let metric = match metric {
                HpaMetricName::Cpu => HpaMetric::Cpu {
                    target_utilization: c.range(&at(&["autoscaler", "target"]), *target, 0.01, 1.0),
                },
                HpaMetricName::Concurrency => HpaMetric::Concurrency {
                    target: c.range(&at(&["autoscaler", "target"]), *target, 1e-6, 1e9),
                },
                HpaMetricName::Rps => HpaMetric::RequestsPerSecond {
                    target: c.range(&at(&["autoscaler", "target"]), *target, 1e-6, 1e9),
                },
                HpaMetricName::Queue => HpaMetric::QueueLength {
                    target: c.range(&at(&["autoscaler", "target"]), *target, 1e-3, 1e9),
                    activation: keda
                        .as_ref()
                        .and_then(|k| k.activation)
                        .map_or(0.0, |a| c.range(&at(&["autoscaler", "keda", "activation"]), a, 0.0, 1e9)),
                    in_flight: keda.as_ref().and_then(|k| k.in_flight).unwrap_or(true),
                },
            };
            if keda.is_none() && p.min_instances == 0 {
                c.error(
                    &at(&["min_instances"]),
                    "the HPA cannot scale from zero replicas: set min_instances to 1 or more, or add \
                     autoscaler.keda to scale to and from zero",
                );
            }
            let rules =
                |c: &mut Checker, key: &'static str, r: &Option<HpaRulesSection>, default: HpaRules| {
                    let Some(r) = r else { return default };
                    let period = positive(c, &["autoscaler", key, "period"], &r.period);
                    let mut policies = Vec::new();
                    if let Some(value) = r.pods {
                        // Upstream's validation: a policy's value must be greater than zero
                        // (`select = "disabled"` is the way to forbid a direction).
                        if value == 0 || value > 10_000 {
                            c.error(
                                &at(&["autoscaler", key, "pods"]),
                                format!("must be between 1 and 10000, got {value}"),
                            );
                        }
                        let period = r
                            .pods_period
                            .as_ref()
                            .map_or(period, |d| positive(c, &["autoscaler", key, "pods_period"], d));
                        policies.push(HpaPolicy::Pods { value, period });
                    }
                    if let Some(value) = r.percent {
                        if value == 0 || value > 10_000 {
                            c.error(
                                &at(&["autoscaler", key, "percent"]),
                                format!("must be between 1 and 10000, got {value}"),
                            );
                        }
                        let period = r
                            .percent_period
                            .as_ref()
                            .map_or(period, |d| positive(c, &["autoscaler", key, "percent_period"], d));
                        policies.push(HpaPolicy::Percent { value, period });
                    }
                    HpaRules {
                        stabilization: r.stabilization.map_or(default.stabilization, |d| d.0),
                        policies: if policies.is_empty() { default.policies } else { policies },
                        select: match r.select {
                            None | Some(HpaSelectName::Max) => HpaSelect::Max,
                            Some(HpaSelectName::Min) => HpaSelect::Min,
                            Some(HpaSelectName::Disabled) => HpaSelect::Disabled,
                        },
                    }
                };
            // Upstream fills a missing direction with its default once `behavior` is set;
            // with no `behavior` at all the controller takes its legacy path.
            let behavior = (scale_up.is_some() || scale_down.is_some()).then(|| HpaBehavior {
                scale_up: rules(c, "scale_up", scale_up, HpaRules::default_up()),
                scale_down: rules(c, "scale_down", scale_down, HpaRules::default_down()),
            });
            if behavior.is_some() && downscale_stabilization.is_some() {
                c.error(
                    &at(&["autoscaler", "downscale_stabilization"]),
                    "applies only to an HPA without `scale_up` / `scale_down` (upstream's legacy \
                     path); with them, set `scale_down.stabilization` instead",
                );
            }
            AutoscalerSpec::Hpa(Hpa {
                metric,
                sync_period: positive(c, &["autoscaler", "sync_period"], sync_period),
                tolerance: c.range(&at(&["autoscaler", "tolerance"]), *tolerance, 0.0, 1.0),
                metric_window: positive(c, &["autoscaler", "metric_window"], metric_window),
                behavior,
                downscale_stabilization: downscale_stabilization.map_or(SimDuration::from_secs(300), |d| d.0),
                keda: keda.as_ref().map(|k| KedaActivation {
                    polling: positive(c, &["autoscaler", "keda", "polling"], &k.polling),
                    cooldown: k.cooldown.0,
                }),
            })
        }
        // Built below, once the table can be completed in place.
        AutoscalerSection::Schedule { .. } => AutoscalerSpec::Fixed { instances: 0 },
        AutoscalerSection::FlyProxy { soft_limit, check_period } => {
            if *soft_limit == 0 {
                c.error(&at(&["autoscaler", "soft_limit"]), "must be at least 1");
            }
            AutoscalerSpec::FlyProxy(FlyProxy {
                soft_limit: *soft_limit,
                check_period: positive(c, &["autoscaler", "check_period"], check_period),
            })
        }
    };
    let autoscaler = match (&mut p.autoscaler, autoscaler) {
        (AutoscalerSection::Schedule { weekday, weekend }, _) => {
            let weekend = weekend.get_or_insert_with(|| weekday.clone());
            let hours = |c: &mut Checker, key: &'static str, v: &[u32]| -> [u32; 24] {
                let mut table = [0u32; 24];
                if v.len() != 24 {
                    c.error(
                        &at(&["autoscaler", key]),
                        format!("needs 24 hourly counts (00:00 to 23:00), got {}", v.len()),
                    );
                }
                for (slot, n) in table.iter_mut().zip(v) {
                    *slot = *n;
                }
                table
            };
            let weekday = hours(c, "weekday", weekday);
            let weekend = hours(c, "weekend", weekend);
            if weekday.iter().chain(&weekend).any(|&n| n > p.max_instances) {
                c.error(
                    &at(&["autoscaler"]),
                    format!("scheduled counts must be <= max_instances ({})", p.max_instances),
                );
            }
            AutoscalerSpec::Schedule { weekday, weekend }
        }
        (_, spec) => spec,
    };
    if p.max_instances == 0 || p.max_instances > MAX_INSTANCES {
        c.error(
            &at(&["max_instances"]),
            format!("must be between 1 and {MAX_INSTANCES}, got {}", p.max_instances),
        );
    }
    if p.min_instances > p.max_instances {
        c.error(
            &at(&["min_instances"]),
            format!("must be <= max_instances ({}), got {}", p.max_instances, p.min_instances),
        );
    }
    if let AutoscalerSection::Fixed { instances } = p.autoscaler {
        if instances > p.max_instances {
            c.error(
                &at(&["autoscaler", "instances"]),
                format!("must be <= max_instances ({}), got {instances}", p.max_instances),
            );
        }
    }
    if p.request_timeout.0 == SimDuration::ZERO {
        c.error(&at(&["request_timeout"]), "must be a positive duration, got 0s");
    }
    if matches!(p.autoscaler, AutoscalerSection::TargetTracking { .. }) && p.min_instances == 0 {
        // With no running instance there is no metric datapoint, so target tracking never
        // starts the first one (AWS: scale from zero needs another trigger).
        c.error(
            &at(&["min_instances"]),
            "target tracking cannot scale out from zero instances (no instance, no metric): \
             set min_instances to 1 or more, or use a schedule",
        );
    }
    let (RouterSection::CentralQueue { max_queue, .. } | RouterSection::LoadBalancer { max_queue, .. }) =
        p.router;
    if !(1..=MAX_QUEUE).contains(&max_queue) {
        c.error(&at(&["router", "max_queue"]), format!("must be between 1 and {MAX_QUEUE}, got {max_queue}"));
    }
    let router = match p.router {
        RouterSection::CentralQueue { timeout, max_queue } => {
            if timeout.0 == SimDuration::ZERO {
                c.error(&at(&["router", "timeout"]), "must be a positive duration, got 0s");
            }
            RouterSpec::CentralQueue { queue_timeout: timeout.0, max_queue }
        }
        RouterSection::LoadBalancer { policy, timeout, max_queue } => RouterSpec::LoadBalancer {
            policy: match policy {
                BalancePolicyName::RoundRobin => BalancePolicy::RoundRobin,
                BalancePolicyName::LeastOutstanding => BalancePolicy::LeastOutstanding,
                BalancePolicyName::Random => BalancePolicy::Random,
            },
            queue_timeout: timeout.0,
            max_queue,
        },
    };
    if matches!(p.autoscaler, AutoscalerSection::FlyProxy { .. })
        && !matches!(p.router, RouterSection::LoadBalancer { .. })
    {
        c.error(
            &at(&["router", "kind"]),
            "the fly-proxy autoscaler routes itself: use router.kind = \"load-balancer\"",
        );
    }
    let interruptions = p.interruptions.as_ref().map(|i| Interruptions {
        rate_per_hour: c.range(&at(&["interruptions", "rate_per_hour"]), i.rate_per_hour, 0.0, 100.0),
        warning: i.warning.0,
    });

    let b = &mut p.billing;
    let price = |c: &mut Checker, key: &'static str, v: f64| c.range(&at(&["billing", key]), v, 0.0, 1e6);
    let active = Rates {
        vcpu_second: price(c, "vcpu_second", b.vcpu_second),
        gib_second: price(c, "gib_second", b.gib_second),
        gpu_second: price(c, "gpu_second", b.gpu_second),
    };
    // Idle prices default to the active ones, which are checked (and reported) above.
    let idle = Rates {
        vcpu_second: match b.idle_vcpu_second {
            Some(v) => price(c, "idle_vcpu_second", v),
            None => *b.idle_vcpu_second.insert(active.vcpu_second),
        },
        gib_second: match b.idle_gib_second {
            Some(v) => price(c, "idle_gib_second", v),
            None => *b.idle_gib_second.insert(active.gib_second),
        },
        gpu_second: match b.idle_gpu_second {
            Some(v) => price(c, "idle_gpu_second", v),
            None => *b.idle_gpu_second.insert(active.gpu_second),
        },
    };
    for (name, usd) in &b.fixed_monthly {
        if !usd.is_finite() || *usd < 0.0 {
            c.error(&at(&["billing", "fixed_monthly"]), format!("fee \"{name}\" must be >= 0, got {usd}"));
        }
    }
    let tariff = Tariff {
        active,
        idle,
        idle_billing: match b.idle_billing {
            IdleBillingName::All => IdleBilling::All,
            IdleBillingName::MinInstances => IdleBilling::MinInstances,
            IdleBillingName::AtMinReplicas => IdleBilling::AtMinReplicas,
        },
        per_million_requests: price(c, "per_million_requests", b.per_million_requests),
        egress_per_gb: price(c, "egress_per_gb", b.egress_per_gb),
        stopped_instance_second: price(c, "stopped_per_month", b.stopped_per_month) / (730.0 * 3600.0),
        rounding: b.rounding.0,
        minimum_per_start: b.minimum_per_start.0,
        free_tier: FreeTier {
            vcpu_seconds: c.range(&at(&["billing", "free_vcpu_seconds"]), b.free_vcpu_seconds, 0.0, 1e15),
            gib_seconds: c.range(&at(&["billing", "free_gib_seconds"]), b.free_gib_seconds, 0.0, 1e15),
            requests: c.range(&at(&["billing", "free_requests"]), b.free_requests, 0.0, 1e15),
        },
        fixed_monthly: b.fixed_monthly.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        control_plane_monthly: price(c, "control_plane_monthly", b.control_plane_monthly),
        control_plane_credit_monthly: price(
            c,
            "control_plane_credit_monthly",
            b.control_plane_credit_monthly,
        ),
        overhead: Overhead {
            load_balancer: price(c, "load_balancer_monthly", b.load_balancer_monthly),
            nat_gateway: price(c, "nat_gateway_monthly", b.nat_gateway_monthly),
            observability: price(c, "observability_monthly", b.observability_monthly),
        },
        people: People {
            fte: c.range(&at(&["billing", "ops_fte"]), b.ops_fte, 0.0, 1000.0),
            loaded_salary_yearly: c.range(
                &at(&["billing", "ops_loaded_salary"]),
                b.ops_loaded_salary,
                0.0,
                1e8,
            ),
        },
        commitment: resolve_commitment(b, &p.name, at, c),
    };

    let nodes = p.nodes.as_ref().map(|n| resolve_nodes(n, &instance, at, c));
    PlatformSpec {
        name: p.name.clone(),
        instance,
        startup,
        router,
        autoscaler,
        interruptions,
        min_instances: p.min_instances,
        max_instances: p.max_instances,
        request_timeout: p.request_timeout.0,
        tariff,
        nodes,
        // Linked to its target once every platform is resolved (`link_spills`).
        spill: None,
    }
}

/// Highest discount a commitment may have: every published programme is below it.
const MAX_DISCOUNT: f64 = 0.9;

/// The platform's commitment, its discount from the platform's `commitments` unless
/// stated.
fn resolve_commitment(
    b: &BillingSection,
    platform: &str,
    at: &dyn Fn(&[&'static str]) -> Vec<Seg>,
    c: &mut Checker,
) -> Option<Commitment> {
    for (kind, rates) in &b.commitments {
        for (term, rate) in [("1y", rates.one_year), ("3y", rates.three_years)] {
            if let Some(d) = rate {
                if !d.is_finite() || !(0.0..=MAX_DISCOUNT).contains(&d) {
                    c.error(
                        &at(&["billing", "commitments"]),
                        format!(
                            "{kind}.{term} must be a discount between 0 and {MAX_DISCOUNT}, got {}",
                            Num(d)
                        ),
                    );
                }
            }
        }
    }
    let s = b.commitment.as_ref()?;
    let Some(term) = Term::parse(&s.term) else {
        c.error(
            &at(&["billing", "commitment", "term"]),
            format!("must be \"1y\" or \"3y\", got \"{}\"", s.term),
        );
        return None;
    };
    let level = match &s.level {
        CommitmentLevelField::Word(w) if w == "auto" => CommitmentLevel::Auto,
        CommitmentLevelField::Word(w) => {
            c.error(
                &at(&["billing", "commitment", "level"]),
                format!("must be \"auto\" or USD per hour (a number >= 0), got \"{w}\""),
            );
            return None;
        }
        CommitmentLevelField::Usd(usd) => {
            CommitmentLevel::PerHour(c.range(&at(&["billing", "commitment", "level"]), *usd, 0.0, 1e6))
        }
    };
    let listed = b.commitments.get(&s.kind);
    let discount = match (s.discount, listed) {
        (Some(d), _) => c.range(&at(&["billing", "commitment", "discount"]), d, 0.0, MAX_DISCOUNT),
        (None, Some(rates)) => {
            let rate = match term {
                Term::OneYear => rates.one_year,
                Term::ThreeYears => rates.three_years,
            };
            match rate {
                Some(d) => d,
                None => {
                    c.error(
                        &at(&["billing", "commitment", "term"]),
                        format!(
                            "{platform} lists no {term} rate for {}: state its `discount` (a fraction off on-demand prices)",
                            s.kind
                        ),
                    );
                    return None;
                }
            }
        }
        (None, None) => {
            let sold: Vec<&str> = b.commitments.keys().map(String::as_str).collect();
            let message = if sold.is_empty() {
                format!(
                    "{platform} lists no commitment programme (none found for it, or it runs on Spot): \
                     name one with its `discount` (a fraction off on-demand prices)"
                )
            } else {
                format!(
                    "{platform} sells {}; another programme needs its `discount` (a fraction off on-demand prices)",
                    sold.join(", ")
                )
            };
            c.error(&at(&["billing", "commitment", "kind"]), message);
            return None;
        }
    };
    Some(Commitment { kind: s.kind.clone(), term, discount, level })
}

/// The spill section service `name` has on `entry`: its own override, or the entry's.
fn spill_of<'a>(entry: &'a PlatformSection, name: &str) -> (Option<&'a SpillSection>, bool) {
    match entry.services.get(name).and_then(|o| o.spill.as_ref()) {
        Some(own) => (Some(own), true),
        None => (entry.spill.as_ref(), false),
    }
}

/// Gives each hybrid platform's spec of each service a copy of the overflow platform's
/// spec of the same service, resolved like any other (so a `--set` on the overflow entry,
/// or on its override for that service, changes the hybrid's overflow too).
fn link_spills(file: &ScenarioFile, services: &[String], specs: &mut [Vec<PlatformSpec>], c: &mut Checker) {
    let names: Vec<&str> = file.platforms.iter().map(|p| p.name.as_str()).collect();
    for (i, entry) in file.platforms.iter().enumerate() {
        for (s, service) in services.iter().enumerate() {
            let (Some(spill), own) = spill_of(entry, service) else { continue };
            let mut base = vec![Seg::Key("platform"), Seg::Index(i)];
            if own {
                base.extend([Seg::Key("services"), Seg::Name(service.clone())]);
            }
            let at = |k: &'static str| -> Vec<Seg> {
                base.iter().cloned().chain([Seg::Key("spill"), Seg::Key(k)]).collect()
            };
            let before = c.errors.len();
            let threshold = c.range(&at("threshold"), spill.threshold, 0.01, 100.0);
            let target = names.iter().position(|n| *n == spill.to);
            match target {
                None => {
                    let others: Vec<&str> =
                        names.iter().enumerate().filter(|&(k, _)| k != i).map(|(_, n)| *n).collect();
                    let hint = match crate::suggest::did_you_mean(&spill.to, others.iter().copied()) {
                        Some(near) => format!(" (did you mean \"{near}\"?)"),
                        None => String::new(),
                    };
                    let renamed = c.loc.renamed_by("platform", &spill.to).map(str::to_string);
                    c.error_caused_by(
                        &at("to"),
                        renamed,
                        format!(
                            "no [[platform]] is named \"{}\"{hint}; the overflow must be another entry of \
                             this file: {}",
                            spill.to,
                            crate::suggest::one_of(&others)
                        ),
                    );
                }
                Some(j) if j == i => {
                    c.error(
                        &at("to"),
                        format!("\"{}\" cannot spill to itself: name another [[platform]]", spill.to),
                    );
                }
                Some(j) if spill_of(&file.platforms[j], service).0.is_some() => {
                    c.error(
                        &at("to"),
                        format!(
                            "\"{}\" spills to another platform itself; an overflow platform must take what \
                             it is given (one level of spill-over)",
                            spill.to
                        ),
                    );
                }
                Some(j) => {
                    if let Some(to) = specs.get(j).and_then(|v| v.get(s)).cloned() {
                        if let Some(spec) = specs.get_mut(i).and_then(|v| v.get_mut(s)) {
                            spec.spill = Some(Spill { to: Box::new(to), threshold });
                        }
                    }
                }
            }
            // Services that share the entry's spill share its problems: reported once.
            let mut found = c.errors.split_off(before);
            found.retain(|d| !c.errors.iter().any(|e| e.key == d.key && e.message == d.message));
            c.errors.extend(found);
        }
    }
}

/// CPU the kubelet reserves on GKE and EKS nodes: 6% of the first core, 1% of the
/// second, 0.5% of the third and fourth, 0.25% of the rest (GKE "plan node sizes";
/// the EKS AMI's bootstrap uses the same table).
pub fn reserved_cpu(vcpu: f64) -> f64 {
    let tier = |from: f64, to: f64| (vcpu.min(to) - from).max(0.0);
    0.06 * tier(0.0, 1.0) + 0.01 * tier(1.0, 2.0) + 0.005 * tier(2.0, 4.0) + 0.0025 * tier(4.0, f64::INFINITY)
}

/// Memory (GiB) reserved on a GKE node: 255 MiB below 1 GiB, else 25% of the first
/// 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112 and 2% above 128;
/// plus the 100 MiB eviction threshold.
pub fn reserved_memory_gke(gib: f64) -> f64 {
    let eviction = 100.0 / 1024.0;
    if gib < 1.0 {
        return 255.0 / 1024.0 + eviction;
    }
    let tier = |from: f64, to: f64| (gib.min(to) - from).max(0.0);
    0.25 * tier(0.0, 4.0)
        + 0.20 * tier(4.0, 8.0)
        + 0.10 * tier(8.0, 16.0)
        + 0.06 * tier(16.0, 128.0)
        + 0.02 * tier(128.0, f64::INFINITY)
        + eviction
}

/// Memory (GiB) reserved on an EKS node: 11 MiB per pod of `max_pods` plus 255 MiB
/// (the EKS AMI's bootstrap), and the 100 MiB eviction threshold.
pub fn reserved_memory_eks(max_pods: u32) -> f64 {
    (11.0 * max_pods as f64 + 255.0 + 100.0) / 1024.0
}

fn resolve_nodes(
    n: &NodesSection,
    pod: &InstanceSpec,
    at: &dyn Fn(&[&'static str]) -> Vec<Seg>,
    c: &mut Checker,
) -> NodePool {
    if n.machines.is_empty() {
        c.error(&at(&["nodes", "machines"]), "needs at least one machine type");
    }
    let ds_cpu = c.range(&at(&["nodes", "daemonsets", "cpu"]), n.daemonsets.cpu, 0.0, 64.0);
    let ds_mem = n.daemonsets.memory.0;
    let machines: Vec<MachineType> = n
        .machines
        .iter()
        .map(|m| {
            let (cpu_reserved, mem_reserved) = match n.reserved {
                ReservedName::Gke => (reserved_cpu(m.cpu), reserved_memory_gke(m.memory.0)),
                ReservedName::Eks => (reserved_cpu(m.cpu), reserved_memory_eks(m.max_pods)),
                ReservedName::None => (0.0, 0.0),
            };
            MachineType {
                name: m.name.clone(),
                vcpu: m.cpu,
                memory_gib: m.memory.0,
                gpus: m.gpus,
                hourly_usd: m.hourly,
                pod_vcpu: (m.cpu - cpu_reserved - ds_cpu).max(0.0),
                pod_memory_gib: (m.memory.0 - mem_reserved - ds_mem).max(0.0),
                daemonset_vcpu: ds_cpu,
                daemonset_memory_gib: ds_mem,
                max_pods: m.max_pods,
            }
        })
        .collect();
    for (i, m) in n.machines.iter().enumerate() {
        let path = |k: &'static str| {
            let mut p = at(&["nodes", "machines"]);
            p.push(Seg::Index(i));
            p.push(Seg::Key(k));
            p
        };
        c.range(&path("cpu"), m.cpu, 0.25, 1024.0);
        c.size_range(&path("memory"), m.memory.0, 0.25, 24_576.0);
        c.range(&path("hourly"), m.hourly, 0.0, 1e4);
        if m.max_pods == 0 || m.max_pods > 1000 {
            c.error(&path("max_pods"), format!("must be between 1 and 1000, got {}", m.max_pods));
        }
    }
    // A pod that fits no machine type would stay pending forever: say so now, with the
    // arithmetic, since it is the trap the article's EKS example falls into.
    if !machines.is_empty() && machines.iter().all(|m| m.pods_per_node(pod) == 0) {
        let sizes: Vec<String> = machines
            .iter()
            .map(|m| {
                format!(
                    "{} has {:.3} vCPU, {:.2} GiB{} for pods after the system reservation and daemonsets",
                    m.name,
                    m.pod_vcpu,
                    m.pod_memory_gib,
                    if pod.gpus > 0 { format!(", {} GPUs", m.gpus) } else { String::new() }
                )
            })
            .collect();
        c.error(
            &at(&["instance"]),
            format!(
                "a pod requesting {} vCPU and {} GiB{} fits on no node: {}; request less or add a larger machine type",
                pod.vcpu,
                pod.memory_gib,
                if pod.gpus > 0 { format!(" and {} GPUs", pod.gpus) } else { String::new() },
                sizes.join("; ")
            ),
        );
    }
    if n.max == 0 || n.max > 10_000 {
        c.error(&at(&["nodes", "max"]), format!("must be between 1 and 10000, got {}", n.max));
    }
    if n.min > n.max {
        c.error(&at(&["nodes", "min"]), format!("must be <= nodes.max ({}), got {}", n.max, n.min));
    }
    let provisioning = |c: &mut Checker, f: &DistField| {
        let mut p = at(&["nodes", "autoscaler"]);
        p.push(Seg::Key("provisioning"));
        c.dist(&p, f)
    };
    let autoscaler = match &n.autoscaler {
        NodeAutoscalerSection::Fixed {} => {
            if n.min == 0 {
                c.error(&at(&["nodes", "min"]), "a fixed node pool needs at least one node: set nodes.min");
            }
            if n.interruptions.as_ref().is_some_and(|i| i.rate_per_hour > 0.0) {
                c.error(
                    &at(&["nodes", "interruptions"]),
                    "a fixed node pool never replaces a reclaimed Spot node: use autoscaler.kind = \
                     \"cluster-autoscaler\" or \"karpenter\"",
                );
            }
            NodeAutoscaler::Fixed
        }
        NodeAutoscalerSection::ClusterAutoscaler {
            scan_interval,
            provisioning: p,
            unneeded_time,
            delay_after_add,
            utilization_threshold,
            max_scale_down_parallelism,
            expander,
        } => NodeAutoscaler::ClusterAutoscaler(ClusterAutoscaler {
            scan_interval: positive_at(c, at(&["nodes", "autoscaler", "scan_interval"]), scan_interval),
            provisioning: provisioning(c, p),
            unneeded_time: unneeded_time.0,
            delay_after_add: delay_after_add.0,
            utilization_threshold: c.range(
                &at(&["nodes", "autoscaler", "utilization_threshold"]),
                *utilization_threshold,
                0.0,
                1.0,
            ),
            max_scale_down_parallelism: {
                if *max_scale_down_parallelism == 0 || *max_scale_down_parallelism > 10_000 {
                    c.error(
                        &at(&["nodes", "autoscaler", "max_scale_down_parallelism"]),
                        format!("must be between 1 and 10000, got {max_scale_down_parallelism}"),
                    );
                }
                *max_scale_down_parallelism
            },
            expander: match expander {
                ExpanderName::LeastWaste => Expander::LeastWaste,
                ExpanderName::MostPods => Expander::MostPods,
                ExpanderName::Price => Expander::Price,
                ExpanderName::Random => Expander::Random,
            },
        }),
        NodeAutoscalerSection::Karpenter {
            batch_idle,
            batch_max,
            provisioning: p,
            consolidate_after,
            scan_interval,
            budget,
            validation,
        } => NodeAutoscaler::Karpenter(Karpenter {
            batch_idle: positive_at(c, at(&["nodes", "autoscaler", "batch_idle"]), batch_idle),
            batch_max: positive_at(c, at(&["nodes", "autoscaler", "batch_max"]), batch_max),
            provisioning: provisioning(c, p),
            consolidate_after: consolidate_after.0,
            scan_interval: positive_at(c, at(&["nodes", "autoscaler", "scan_interval"]), scan_interval),
            budget_percent: {
                if *budget > 100 {
                    c.error(
                        &at(&["nodes", "autoscaler", "budget"]),
                        format!("must be a percentage, 0 .. 100, got {budget}"),
                    );
                }
                *budget
            },
            validation: validation.0,
        }),
    };
    NodePool {
        machines,
        placement: match n.placement {
            PlacementName::FirstFit => Placement::FirstFit,
            PlacementName::LeastAllocated => Placement::LeastAllocated,
            PlacementName::MostAllocated => Placement::MostAllocated,
        },
        autoscaler,
        min_nodes: n.min,
        max_nodes: n.max,
        billing: NodeBilling {
            rounding: n.billing.rounding.0,
            minimum: n.billing.minimum.0,
            monthly_cap_usd: c.range(
                &at(&["nodes", "billing", "monthly_cap"]),
                n.billing.monthly_cap,
                0.0,
                1e6,
            ),
        },
        interruptions: n.interruptions.as_ref().map(|i| Interruptions {
            rate_per_hour: c.range(
                &at(&["nodes", "interruptions", "rate_per_hour"]),
                i.rate_per_hour,
                0.0,
                100.0,
            ),
            warning: i.warning.0,
        }),
    }
}

fn positive_at(c: &mut Checker, path: Vec<Seg>, d: &crate::units::Duration) -> SimDuration {
    if d.0 == SimDuration::ZERO {
        c.error(&path, "must be a positive duration, got 0s");
    }
    d.0
}

/// Checks the instance shape against the shapes the platform accepts.
fn check_limits(
    l: &LimitsSection,
    inst: &InstanceSection,
    at: &dyn Fn(&[&'static str]) -> Vec<Seg>,
    c: &mut Checker,
) {
    let (cpu, mem) = (inst.cpu, inst.memory.0);
    // The limits themselves first, each blamed on its own key: an inverted range was
    // reported against `instance.cpu`, a key the file may never have set.
    let mut sane = |key: &'static str, pair: Option<[f64; 2]>| -> Option<[f64; 2]> {
        let [lo, hi] = pair?;
        if !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && lo <= hi) {
            c.error(
                &at(&["limits", key]),
                format!("must be [low, high] with 0 <= low <= high, got [{lo}, {hi}]"),
            );
            return None;
        }
        Some([lo, hi])
    };
    let cpu_range = sane("cpu_range", l.cpu_range);
    let memory_range_gib = sane("memory_range_gib", l.memory_range_gib);
    let gib_per_vcpu = sane("gib_per_vcpu", l.gib_per_vcpu);
    match &l.cpu_values {
        Some(values) if values.is_empty() => {
            c.error(
                &at(&["limits", "cpu_values"]),
                "lists no vCPU value: give at least one, or leave it out",
            );
        }
        Some(values) if values.iter().any(|v| !(v.is_finite() && *v > 0.0)) => {
            c.error(&at(&["limits", "cpu_values"]), format!("every value must be above 0, got {values:?}"));
        }
        Some(values) if !values.iter().any(|v| (v - cpu).abs() < 1e-9) => {
            c.error(&at(&["instance", "cpu"]), format!("this platform offers {values:?} vCPU, got {cpu}"));
        }
        _ => {}
    }
    if let Some([lo, hi]) = cpu_range {
        if cpu < lo || cpu > hi {
            c.error(&at(&["instance", "cpu"]), format!("this platform allows {lo} to {hi} vCPU, got {cpu}"));
        }
    }
    if let Some([lo, hi]) = memory_range_gib {
        if mem < lo - 1e-9 || mem > hi + 1e-9 {
            c.error(
                &at(&["instance", "memory"]),
                format!("this platform allows {lo} to {hi} GiB, got {mem} GiB"),
            );
        }
    }
    if let Some(&[_, lo, hi]) = l.memory_by_cpu.iter().find(|row| row[0] >= cpu - 1e-9) {
        if mem < lo - 1e-9 || mem > hi + 1e-9 {
            let msg = format!("with {cpu} vCPU this platform allows {lo} to {hi} GiB, got {mem} GiB");
            c.error(&at(&["instance", "memory"]), msg);
        }
    }
    if let Some([lo, hi]) = gib_per_vcpu {
        let ratio = mem / cpu;
        if ratio < lo - 1e-9 || ratio > hi + 1e-9 {
            c.error(
                &at(&["instance", "memory"]),
                format!(
                    "{mem} GiB for {cpu} vCPU is {ratio:.2} GiB per vCPU; this platform allows {lo} to {hi} \
                     ({:.3} to {:.3} GiB for {cpu} vCPU)",
                    lo * cpu,
                    hi * cpu
                ),
            );
        }
    }
    if let Some(max) = l.max_concurrency {
        if inst.concurrency > max {
            let msg = format!("this platform allows at most {max}, got {}", inst.concurrency);
            c.error(&at(&["instance", "concurrency"]), msg);
        }
    }
    if let Some(max) = l.fractional_cpu_max_concurrency {
        if cpu < 1.0 && inst.concurrency > max {
            let msg =
                format!("below 1 vCPU this platform allows concurrency {max}, got {}", inst.concurrency);
            c.error(&at(&["instance", "concurrency"]), msg);
        }
    }
    if let Some([min_cpu, min_mem]) = l.gpu_min_shape {
        if inst.gpus > 0 && (cpu < min_cpu || mem < min_mem) {
            let msg = format!(
                "a GPU instance needs at least {min_cpu} vCPU and {min_mem} GiB, got {cpu} and {mem}"
            );
            c.error(&at(&["instance", "gpus"]), msg);
        }
    }
}
