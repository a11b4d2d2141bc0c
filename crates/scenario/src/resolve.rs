//! From the file as written to the model the simulator runs, with validation.
//!
//! Validation collects every problem in a file rather than stopping at the first, and
//! names the key of each. Defaults that depend on other keys (idle prices, business
//! hours) are written back into the file struct so the resolved copy shows them.

use crate::diagnostics::{Diagnostic, Locator, Seg};
use crate::schema::*;
use crossover_engine::SimDuration;
use crossover_platform::{AutoscalerSpec, FreeTier, InstanceSpec, PlatformSpec, Rates, RouterSpec, Tariff};
use crossover_workload::{DailyProfile, Demand, Dist, Traffic};

/// Shortest and longest horizons accepted.
pub const MIN_HORIZON: SimDuration = SimDuration::from_minutes(1);
pub const MAX_HORIZON: SimDuration = SimDuration::from_hours(31 * 24);
pub const MAX_REPLICATIONS: u32 = 10_000;
/// A rate beyond this would be billions of requests a day per platform and replication.
pub const MAX_RPS: f64 = 1e6;
pub const MAX_INSTANCES: u32 = 100_000;
pub const MAX_CONCURRENCY: u32 = 10_000;
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
    pub traffic: Traffic,
    pub demand: Demand,
    pub platforms: Vec<PlatformSpec>,
    /// The file with every default filled in (for `scenario.resolved.toml`).
    pub file: ScenarioFile,
}

struct Checker<'a> {
    loc: &'a Locator<'a>,
    errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, path: &[Seg], message: impl Into<String>) {
        self.errors.push(self.loc.diagnostic(path, message));
    }

    /// A finite number within [lo, hi].
    fn range(&mut self, path: &[Seg], value: f64, lo: f64, hi: f64) -> f64 {
        if !value.is_finite() || value < lo || value > hi {
            self.error(path, format!("must be between {lo} and {hi}, got {value}"));
        }
        value
    }

    fn dist(&mut self, path: &[Seg], field: &DistField) -> Dist {
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
) -> Result<Scenario, Vec<Diagnostic>> {
    let mut c = Checker { loc, errors: Vec::new() };
    if file.name.trim().is_empty() {
        file.name = default_name.to_string();
    }
    if !file.name.chars().all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
        || file.name.starts_with('.')
    {
        c.error(
            &[Seg::Key("name")],
            format!("\"{}\" cannot name an output folder: use letters, digits, '-', '_' and '.'", file.name),
        );
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

    let traffic = resolve_traffic(&mut file.traffic, &mut c);
    let svc = |k| [Seg::Key("service"), Seg::Key(k)];
    let demand =
        Demand { cpu: c.dist(&svc("cpu"), &file.service.cpu), io: c.dist(&svc("io"), &file.service.io) };

    if file.platforms.is_empty() {
        c.error(&[Seg::Key("platform")], "no [[platform]] to simulate: add at least one");
    }
    let mut platforms = Vec::with_capacity(file.platforms.len());
    for (i, p) in file.platforms.iter_mut().enumerate() {
        let spec = resolve_platform(i, p, &mut c);
        if platforms.iter().any(|q: &PlatformSpec| q.name == spec.name) {
            c.error(
                &[Seg::Key("platform"), Seg::Index(i), Seg::Key("name")],
                format!("platform name \"{}\" is used twice; names must be unique", spec.name),
            );
        }
        platforms.push(spec);
    }

    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(Scenario {
        name: file.name.clone(),
        horizon: file.simulation.horizon.0,
        replications: file.simulation.replications,
        seed: file.simulation.seed,
        traffic,
        demand,
        platforms,
        file,
    })
}

fn resolve_traffic(t: &mut TrafficSection, c: &mut Checker) -> Traffic {
    let tp = |k| [Seg::Key("traffic"), Seg::Key(k)];
    let weekend_factor = c.range(&tp("weekend_factor"), t.weekend_factor, 0.0, 1e3);
    let daily = match t.profile {
        ProfileKind::Constant => {
            for (key, given) in [
                ("trough_rps", t.trough_rps.is_some()),
                ("peak_rps", t.peak_rps.is_some()),
                ("peak_hour", t.peak_hour.is_some()),
                ("business_hours", t.business_hours.is_some()),
            ] {
                if given {
                    c.error(
                        &tp(key),
                        "applies to profile = \"diurnal\" only; this profile is \"constant\" (use rps)",
                    );
                }
            }
            let rps = match t.rps {
                Some(rps) => c.range(&tp("rps"), rps, 0.0, MAX_RPS),
                None => {
                    c.error(&tp("profile"), "profile = \"constant\" needs `rps` (requests per second)");
                    0.0
                }
            };
            DailyProfile::Constant { rps }
        }
        ProfileKind::Diurnal => {
            if t.rps.is_some() {
                c.error(
                    &tp("rps"),
                    "applies to profile = \"constant\" only; a diurnal profile takes trough_rps and peak_rps",
                );
            }
            let need = |c: &mut Checker, key: &'static str, v: Option<f64>| match v {
                Some(v) => c.range(&tp(key), v, 0.0, MAX_RPS),
                None => {
                    c.error(&tp("profile"), format!("profile = \"diurnal\" needs `{key}`"));
                    0.0
                }
            };
            let trough_rps = need(c, "trough_rps", t.trough_rps);
            let peak_rps = need(c, "peak_rps", t.peak_rps);
            if peak_rps < trough_rps {
                c.error(&tp("peak_rps"), format!("must be >= trough_rps ({trough_rps}), got {peak_rps}"));
            }
            let peak_hour = *t.peak_hour.get_or_insert(14.0);
            let [open_hour, close_hour] = *t.business_hours.get_or_insert([8.0, 20.0]);
            c.range(&tp("peak_hour"), peak_hour, 0.0, 24.0);
            c.range(&tp("business_hours"), open_hour, 0.0, 24.0);
            c.range(&tp("business_hours"), close_hour, 0.0, 24.0);
            let after = |from: f64, to: f64| (to - from).rem_euclid(24.0);
            let rise = after(open_hour, peak_hour);
            let window = after(open_hour, close_hour);
            if open_hour == close_hour || rise <= 0.0 || rise >= window {
                c.error(
                    &tp("peak_hour"),
                    format!(
                    "must lie strictly inside business_hours [{open_hour}, {close_hour}], got {peak_hour}"
                ),
                );
            }
            DailyProfile::Diurnal { trough_rps, peak_rps, peak_hour, open_hour, close_hour }
        }
    };
    Traffic { daily, weekend_factor }
}

fn resolve_platform(i: usize, p: &mut PlatformSection, c: &mut Checker) -> PlatformSpec {
    let base = [Seg::Key("platform"), Seg::Index(i)];
    let at = |keys: &[&'static str]| -> Vec<Seg> {
        base.iter().cloned().chain(keys.iter().map(|k| Seg::Key(k))).collect()
    };
    if p.name.trim().is_empty() {
        c.error(&at(&["name"]), "must not be empty");
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
    let cold_start = c.dist(&at(&["instance", "cold_start"]), &inst.cold_start);
    let instance =
        InstanceSpec { vcpu: inst.cpu, memory_gib: inst.memory.0, concurrency: inst.concurrency, cold_start };

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
    let router = match p.router {
        RouterSection::CentralQueue { timeout } => {
            if timeout.0 == SimDuration::ZERO {
                c.error(&at(&["router", "timeout"]), "must be a positive duration, got 0s");
            }
            RouterSpec::CentralQueue { queue_timeout: timeout.0 }
        }
    };

    let b = &mut p.billing;
    let price = |c: &mut Checker, key: &'static str, v: f64| c.range(&at(&["billing", key]), v, 0.0, 1e6);
    let active = Rates {
        vcpu_second: price(c, "vcpu_second", b.vcpu_second),
        gib_second: price(c, "gib_second", b.gib_second),
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
    };
    for (name, usd) in &b.fixed_monthly {
        if !usd.is_finite() || *usd < 0.0 {
            c.error(&at(&["billing", "fixed_monthly"]), format!("fee \"{name}\" must be >= 0, got {usd}"));
        }
    }
    let tariff = Tariff {
        active,
        idle,
        per_million_requests: price(c, "per_million_requests", b.per_million_requests),
        rounding: b.rounding.0,
        minimum_per_start: b.minimum_per_start.0,
        free_tier: FreeTier {
            vcpu_seconds: c.range(&at(&["billing", "free_vcpu_seconds"]), b.free_vcpu_seconds, 0.0, 1e15),
            gib_seconds: c.range(&at(&["billing", "free_gib_seconds"]), b.free_gib_seconds, 0.0, 1e15),
            requests: c.range(&at(&["billing", "free_requests"]), b.free_requests, 0.0, 1e15),
        },
        fixed_monthly: b.fixed_monthly.iter().map(|(k, v)| (k.clone(), *v)).collect(),
    };

    PlatformSpec {
        name: p.name.clone(),
        instance,
        router,
        autoscaler,
        min_instances: p.min_instances,
        max_instances: p.max_instances,
        request_timeout: p.request_timeout.0,
        tariff,
    }
}
