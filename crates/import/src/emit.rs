//! The scenario written from what was imported: a commented TOML file with one
//! `[[service]]` per workload, the platforms the files describe (their settings as
//! `[platform.services.NAME]` overrides) and the candidate platforms (each service's size
//! fitted to what the provider sells), then everything not mapped, as comments.
//!
//! The text is written by hand rather than serialised so that every value can carry the
//! comment saying where it came from; a test parses and validates every output.

use crate::model::{Hpa, HpaMetric, Imported, Job, Origin, Rules, Scaling, Workload};
use crate::shapes::{self, trim, Shape};
use crossover_scenario::resolve::MAX_SERVICES;
use std::fmt::Write as _;
use toml::Value;

/// Platforms every import is compared on, after the ones the files describe: the
/// serverless presets, then the Kubernetes ones.
pub const CANDIDATES: &[&str] = &[
    "cloud-run",
    "fargate",
    "container-apps",
    "fly-machines",
    "lambda",
    "gke-autopilot",
    "gke-standard",
    "eks",
    "k8s-self-managed",
];

/// The presets running a family's own files as they are, in the order listed.
const KUBERNETES: &[&str] = &["gke-autopilot", "gke-standard", "eks", "k8s-self-managed"];

/// How the scenario is to be written.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The scenario's `name`.
    pub name: String,
    /// A `[traffic]` table for the whole stack (`--traffic`), and where it came from;
    /// `None`: the default profile, marked as assumed.
    pub traffic: Option<(toml::Table, String)>,
    /// `--share NAME=FRACTION`, by the name in the files or in the scenario.
    pub shares: Vec<(String, f64)>,
    /// Presets left out, with the reason (a service the provider cannot run as sized).
    pub excluded: Vec<(String, String)>,
}

/// The scenario's text, and the lines to print on stderr (assumptions, renames, what was
/// not mapped); or a usage error (a `--share` naming no service, shares over 1).
pub fn scenario(imported: &Imported, opts: &Options) -> Result<(String, Vec<String>), String> {
    // Workloads that become services (HTTP, workers, scheduled jobs), and batch work the
    // format cannot express (listed as not mapped, with the reason).
    let mut http = Vec::new();
    let mut jobs = Vec::new();
    for w in &imported.workloads {
        match job_entry(w) {
            None => http.push(w),
            Some(JobOut::Service) => http.push(w),
            Some(JobOut::NotMapped { block, reason }) => jobs.push((w, block, reason)),
        }
    }
    if http.is_empty() {
        return Err(format!(
            "no service to write: {} (a scenario needs at least one workload it can simulate: a Deployment, StatefulSet, CronJob, KEDA-scaled worker, Cloud Run service, ECS service or task definition, or fly.toml app)",
            if imported.workloads.is_empty() {
                "the inputs hold no workload".to_string()
            } else {
                format!(
                    "the {} workload(s) read are jobs crossover cannot run: {}",
                    imported.workloads.len(),
                    jobs.iter().map(|(w, _, why)| format!("{} {}: {}", w.kind, w.name, why.split("; written above").next().unwrap_or(why))).collect::<Vec<_>>().join("; ")
                )
            }
        ));
    }
    // The scenario format's own bound, checked here so that the user hears which workload
    // is one too many (the scenario's validation would blame the import), and before
    // naming them (each duplicate name is tried against those taken).
    if http.len() > MAX_SERVICES {
        let w = http[MAX_SERVICES];
        return Err(format!(
            "{}: {} {}: {} workloads to write as services, and a scenario holds at most {MAX_SERVICES}: import the files of one stack at a time",
            w.loc,
            w.kind,
            w.name,
            http.len()
        ));
    }
    let originals: Vec<String> = http.iter().map(|w| w.name.clone()).collect();
    let (names, renames) = crate::names::assign(&originals);
    // Traffic is shared between the services that take it: HTTP services and workers.
    let fed: Vec<usize> = (0..http.len()).filter(|i| !is_cron(http[*i])).collect();
    for (who, _) in &opts.shares {
        if let Some(i) =
            (0..http.len()).find(|i| is_cron(http[*i]) && (&names[*i] == who || &originals[*i] == who))
        {
            return Err(format!(
                "--share {who}: {} is a scheduled job: it runs on its schedule and takes no traffic",
                names[i]
            ));
        }
    }
    let fed_shares = shares(
        &fed.iter().map(|i| originals[*i].clone()).collect::<Vec<_>>(),
        &fed.iter().map(|i| names[*i].clone()).collect::<Vec<_>>(),
        &opts.shares,
    )?;
    let mut shares = vec![None; http.len()];
    for (i, share) in fed.iter().zip(fed_shares) {
        shares[*i] = Some(share);
    }
    let workers = http.iter().any(|w| w.job.as_ref().is_some_and(|j| j.kind == "worker"));
    let crons = http.iter().any(|w| is_cron(w));
    let default = default_scenario();
    let mut out = String::new();
    let mut stderr = Vec::new();

    // ---- Header -----------------------------------------------------------------------
    let _ = writeln!(out, "# Imported by `crossover import` from:");
    for f in &imported.files {
        let _ = writeln!(out, "#   {}", comment(f));
    }
    out.push_str(
        "#\n# One [[service]] per workload. Each [[platform]] runs every service. The first platforms\n\
         # are the ones the files describe, with their sizes, replica counts and autoscalers as\n\
         # [platform.services.NAME] tables; the others are candidates, each service's size rounded\n\
         # up to the nearest shape the provider sells (said where it had to round).\n",
    );
    if !renames.is_empty() {
        out.push_str(
            "#\n# Names changed (service names are lower-case letters, digits and '-', unique, not `all`):\n",
        );
        for r in &renames {
            let _ = writeln!(out, "#   {}", comment(r));
            stderr.push(format!("renamed: {r}"));
        }
    }
    if !imported.notes.assumed.is_empty() {
        out.push_str("#\n# Assumed where the files say nothing:\n");
        for a in &imported.notes.assumed {
            let _ = writeln!(out, "#   {}", comment(a));
            stderr.push(format!("assumed: {a}"));
        }
    }
    if !imported.load_balancers.is_empty() {
        let _ = writeln!(
            out,
            "#\n# Load balancers the files create ({}); each preset bills its own:",
            imported.load_balancers.len()
        );
        for lb in &imported.load_balancers {
            let _ = writeln!(out, "#   {}", comment(lb));
        }
    }
    // Scheduled jobs alone take no traffic: the scenario then has no [traffic] at all.
    let fed_any = !fed.is_empty();
    if !fed_any && opts.traffic.is_some() {
        return Err("--traffic: every service read is a scheduled job, which runs on its schedule and takes no traffic".into());
    }
    let traffic_note = match &opts.traffic {
        Some((_, from)) => format!("the traffic is {from}, split between the services by `traffic.share`"),
        None if !fed_any => "none: every service is a scheduled job, run on its schedule".to_string(),
        None => TRAFFIC_WARNING.to_string(),
    };
    let _ = writeln!(out, "#\n# TRAFFIC: {}", wrap(&traffic_note, "#   "));
    if workers {
        let _ = writeln!(out, "# WORKERS: {}", wrap(WORKER_WARNING, "#   "));
    }
    let _ = writeln!(out, "# WORK PER REQUEST: {}", wrap(DEMAND_WARNING, "#   "));
    if crons {
        let _ = writeln!(out, "# SCHEDULED JOBS: {}", wrap(CRON_WARNING, "#   "));
    }
    if opts.traffic.is_none() && fed_any {
        stderr.push(format!("warning: {TRAFFIC_WARNING}"));
    }
    if workers {
        stderr.push(format!("warning: {WORKER_WARNING}"));
    }
    stderr.push(format!("warning: {DEMAND_WARNING}"));
    if crons {
        stderr.push(format!("warning: {CRON_WARNING}"));
    }

    // ---- Top level ----------------------------------------------------------------------
    let _ = writeln!(out, "\nname = {}", quote(&opts.name));
    let _ = writeln!(
        out,
        "description = {}",
        quote(&format!("Imported from {} file(s): {} service(s)", imported.files.len(), http.len()))
    );
    let assumed =
        if opts.traffic.is_none() && fed_any { "[\"traffic\", \"demand\"]" } else { "[\"demand\"]" };
    let _ =
        writeln!(out, "assumed = {assumed}   # what the files do not say: every run's report warns of it");
    out.push_str("\n[simulation]\nhorizon = \"7d\"\nreplications = 3\nseed = 1\n\n");
    match &opts.traffic {
        Some((t, from)) => {
            let _ = writeln!(out, "# The stack's traffic: {}.", comment(from));
            out.push_str(&table_text("traffic", t));
        }
        None if !fed_any => {}
        None => {
            out.push_str(
                "# ASSUMED: crossover's default profile (a B2B business day), for the whole stack.\n",
            );
            let t = default.get("traffic").and_then(Value::as_table).cloned().unwrap_or_default();
            out.push_str(&table_text("traffic", &t));
        }
    }

    // ---- Services -----------------------------------------------------------------------
    let svc = default.get("service").and_then(Value::as_table).cloned().unwrap_or_default();
    for ((w, name), share) in http.iter().zip(&names).zip(&shares) {
        let _ = writeln!(
            out,
            "\n# {} {} ({}){}",
            w.kind,
            comment(&w.name),
            w.loc,
            w.image.as_ref().map(|i| format!("; image {}", comment(i))).unwrap_or_default()
        );
        out.push_str("[[service]]\n");
        let _ = writeln!(out, "name = {}", quote(name));
        match &w.job {
            None => {
                for key in ["cpu", "io", "response_size"] {
                    if let Some(v) = svc.get(key) {
                        let _ = writeln!(out, "{key} = {v}   # ASSUMED: the default scenario's");
                    }
                }
            }
            Some(job) => {
                out.push_str(&job_keys(job));
                let what = if job.kind == "worker" { "per job" } else { "per task" };
                for key in ["cpu", "io"] {
                    if let Some(v) = svc.get(key) {
                        let _ = writeln!(out, "{key} = {v}   # ASSUMED: the default scenario's, {what}");
                    }
                }
            }
        }
        if let Some(share) = share {
            let unit = if w.job.is_some() {
                "   # jobs per second: this share of the stack's [traffic]"
            } else {
                ""
            };
            let _ = writeln!(out, "traffic = {{ share = {} }}{unit}", float(*share));
        }
    }

    // ---- Platforms ----------------------------------------------------------------------
    let mut platforms = platform_list(&http);
    platforms.retain(|p| !opts.excluded.iter().any(|(x, _)| x == p));
    let families: Vec<&Origin> = http.iter().map(|w| &w.origin).collect();
    let mut candidates = false;
    out.push_str("\n# ---- Where the files say the services run now -------------------------------------\n");
    for preset in &platforms {
        let described = families.iter().any(|o| runs_as_is(o, preset));
        if !described && !candidates {
            candidates = true;
            out.push_str(
                "\n# ---- Candidates: each service's size on the nearest shape the provider sells -------\n",
            );
        }
        let p = crossover_scenario::presets::find(preset).ok_or_else(|| format!("no preset {preset}"))?;
        let _ = writeln!(out, "\n# {}", comment(&p.title));
        let _ = writeln!(out, "[[platform]]\nname = {}\npreset = {}", quote(preset), quote(preset));
        for (w, name) in http.iter().zip(&names) {
            let lines = service_overrides(w, preset, &p.platform);
            if !lines.is_empty() {
                let _ = writeln!(out, "[platform.services.{name}]");
                for l in lines {
                    let _ = writeln!(out, "{l}");
                }
            }
        }
    }

    // ---- Jobs and what was not mapped ---------------------------------------------------
    let mut not_mapped = imported.notes.not_mapped.clone();
    for (p, why) in &opts.excluded {
        not_mapped.push(format!("platform {p} left out: {why}"));
    }
    let mut job_blocks = String::new();
    for (w, block, reason) in &jobs {
        job_blocks.push_str(block);
        not_mapped.push(format!("{}: {} {}: {reason}", w.loc, w.kind, w.name));
    }
    if !job_blocks.is_empty() {
        out.push_str(
            "\n# ---- Jobs run when started, not simulated (see NOT MAPPED below) ----------------------\n",
        );
        out.push_str(&job_blocks);
    }
    if !not_mapped.is_empty() {
        let _ = writeln!(
            out,
            "\n# ---- NOT MAPPED: read from the files, with no place in this scenario ({}) ----",
            not_mapped.len()
        );
        for n in &not_mapped {
            let _ = writeln!(out, "#   {}", comment(n));
            stderr.push(format!("not mapped: {n}"));
        }
    }
    Ok((out, stderr))
}

/// The smallest instance the format takes (`instance.cpu` 0.01 .. 1024).
const MIN_CPU: f64 = 0.01;
/// The largest instance count the format takes (`max_instances`).
const MAX_COUNT: u64 = 100_000;
/// The longest duration written: a year (the format's limit is ten).
const MAX_SECS: f64 = 365.0 * 86_400.0;
/// The range of the format's autoscaler targets other than CPU (requests per second, in
/// flight, per target).
const METRIC_MIN: f64 = 1e-6;
const METRIC_MAX: f64 = 1e9;
/// The most tasks a scheduled run may have (the format's `tasks` and `parallelism`).
const MAX_TASKS: u64 = 10_000;

/// The warning the scenario carries, and every run's report repeats, without `--traffic`.
pub const TRAFFIC_WARNING: &str = "not in these files: the scenario uses crossover's default profile (1 to 25 requests/s on a business day), split equally between the services unless --share says otherwise; the costs and latencies are those of that assumed traffic, not of yours. Give the real traffic with `crossover import --traffic FILE` or edit [traffic]";

/// The work per request is not in the files either.
pub const DEMAND_WARNING: &str = "not in these files: every service gets the default scenario's CPU and I/O time per request (lognormal, p50 20 ms and 15 ms); set each service's `cpu` and `io` from your traces or APM";

/// A worker's traffic, which no manifest holds either.
pub const WORKER_WARNING: &str = "a worker's jobs per second are not in these files either: each worker takes its share of the stack's [traffic] as jobs per second (equal shares unless --share says otherwise); set each worker's `traffic` to its queue's arrival rate";

/// A scheduled job's task duration is not in the files.
pub const CRON_WARNING: &str = "how long a scheduled job's task runs is not in these files: each task gets the default scenario's CPU and I/O time, so its makespan and cost per run are those of a tiny task; set each job's `cpu` and `io` to one task's work";

/// What a workload that serves no HTTP requests becomes: a service of the scenario (a
/// queue worker, a scheduled job), or batch work the format cannot express, written
/// commented out with the reason it is not mapped.
enum JobOut {
    Service,
    NotMapped { block: String, reason: String },
}

/// `None` for an HTTP service.
fn job_entry(w: &Workload) -> Option<JobOut> {
    let job = w.job.as_ref()?;
    if job.kind == "worker" {
        return Some(JobOut::Service);
    }
    let reason = match (&job.schedule, job.kind) {
        (Some(s), _) => match crossover_workload::cron::CronSchedule::parse(s, 0) {
            Ok(c) if c.next_at_or_after(0).is_some() => return Some(JobOut::Service),
            Ok(_) => format!(
                "schedule {}: never runs (no such day in the ten years crossover's calendar holds); written above, commented out",
                quote(s)
            ),
            Err(e) => format!(
                "schedule {}: column {} of the expression: {} (crossover reads standard five-field cron); written above, commented out",
                quote(s),
                e.column,
                e.message
            ),
        },
        (None, _) if w.kind == "Job" => "a Job runs once, when it is created: crossover's scheduled jobs (kind = \"cron\") run on a schedule, and a one-off run is not modelled; written above, commented out (give it a `schedule` to simulate it as a scheduled job)".to_string(),
        (None, _) => "a job run when started (by hand or by a scheduler whose trigger is not in the file): crossover's scheduled jobs (kind = \"cron\") need a schedule; written above, commented out (give it a `schedule` to simulate it as a scheduled job)".to_string(),
    };
    Some(JobOut::NotMapped { block: commented(&job_text(w, job)), reason })
}

fn is_cron(w: &Workload) -> bool {
    w.job.as_ref().is_some_and(|j| j.kind != "worker")
}

/// The keys of a worker's or a scheduled job's `[[service]]` entry after its name.
fn job_keys(job: &Job) -> String {
    let mut t = String::new();
    if job.kind == "worker" {
        let _ = writeln!(
            t,
            "kind = \"worker\"   # started by KEDA's {} trigger",
            comment(job.trigger.as_deref().unwrap_or("queue"))
        );
        return t;
    }
    t.push_str("kind = \"cron\"\n");
    if let Some(s) = &job.schedule {
        let _ = writeln!(t, "schedule = {}", quote(s));
    }
    match job.time_zone.as_deref() {
        Some(z) => match crate::kubernetes::zone_offset(z) {
            Some(h) => {
                let _ = writeln!(t, "utc_offset = {h}   # spec.timeZone {}", quote(z));
            }
            None => {
                let _ = writeln!(t, "utc_offset = 0   # spec.timeZone {} is not mapped (see NOT MAPPED): the schedule is read in UTC", quote(z));
            }
        },
        None => {
            let _ = writeln!(
                t,
                "utc_offset = 0   # no spec.timeZone: the kube-controller-manager's zone, taken as UTC"
            );
        }
    }
    // No completions with a parallelism: a work-queue Job, one task per pod.
    let work_queue = job.tasks.is_none() && job.parallelism.is_some_and(|p| p > 1);
    let tasks = if work_queue { job.parallelism } else { job.tasks }.unwrap_or(1).clamp(1, MAX_TASKS);
    let _ = writeln!(
        t,
        "tasks = {tasks}   # {}",
        match job.tasks {
            Some(n) if n != tasks => format!("completions {n}, within crossover's 1 to {MAX_TASKS}"),
            Some(_) => "completions".to_string(),
            None if work_queue => "no completions: a work-queue Job, one task per pod".to_string(),
            None => "no completions: one".to_string(),
        }
    );
    let par = job.parallelism.unwrap_or(1).clamp(1, MAX_TASKS);
    let _ = writeln!(
        t,
        "parallelism = {par}   # {}",
        match job.parallelism {
            Some(n) if n != par => format!("parallelism {n}, within crossover's 1 to {MAX_TASKS}"),
            Some(_) => "parallelism".to_string(),
            None => "no parallelism: one".to_string(),
        }
    );
    if let Some(d) = job.deadline_s.filter(|d| *d > 0.0) {
        let _ = writeln!(t, "deadline = {}   # activeDeadlineSeconds", quote(&secs(d.min(MAX_SECS))));
    }
    t
}

/// A job as a `[[service]]` entry, for the commented-out block of batch work.
fn job_text(w: &Workload, job: &Job) -> String {
    let (names, _) = crate::names::assign(std::slice::from_ref(&w.name));
    let mut t = format!(
        "\n# {} {} ({})\n[[service]]\nname = {}\nkind = {}\n",
        w.kind,
        comment(&w.name),
        w.loc,
        quote(&names[0]),
        quote(if job.kind == "worker" { "worker" } else { "cron" })
    );
    match &job.schedule {
        Some(s) => {
            let _ = writeln!(t, "schedule = {}", quote(s));
        }
        None if job.kind == "batch" => {
            let _ = writeln!(
                t,
                "# no schedule in the file: it runs when started (a scheduler's trigger is not in it)"
            );
        }
        None => {}
    }
    if let Some(n) = job.tasks {
        let _ = writeln!(t, "tasks = {n}");
    }
    if let Some(n) = job.parallelism {
        let _ = writeln!(t, "parallelism = {n}");
    }
    if let Some(d) = job.deadline_s {
        let _ = writeln!(t, "deadline = {}", quote(&secs(d)));
    }
    if let Some(tr) = &job.trigger {
        let _ = writeln!(t, "# started by a {} queue", comment(tr));
    }
    if let (Some(c), Some(m)) = (w.cpu, w.memory) {
        let _ = writeln!(t, "# each task: {} vCPU, {}", trim(c), bytes(m));
    }
    t
}

fn commented(text: &str) -> String {
    text.lines()
        .map(|l| if l.is_empty() || l.starts_with('#') { format!("{l}\n") } else { format!("# {l}\n") })
        .collect()
}

/// Whether a service from family `origin` runs on preset `preset` as its files describe.
fn runs_as_is(origin: &Origin, preset: &str) -> bool {
    match origin {
        Origin::Kubernetes => KUBERNETES.contains(&preset),
        Origin::CloudRun { .. } => preset == "cloud-run" || preset == "cloud-run-instance",
        Origin::Ecs { .. } => preset.starts_with("fargate"),
        Origin::Fly => preset == "fly-machines",
    }
}

/// The preset a family's files describe.
fn current(origin: &Origin) -> Vec<&'static str> {
    match origin {
        Origin::Kubernetes => KUBERNETES.to_vec(),
        Origin::CloudRun { instance_billing: true } => vec!["cloud-run-instance"],
        Origin::CloudRun { instance_billing: false } => vec!["cloud-run"],
        Origin::Ecs { spot: true, .. } => vec!["fargate-spot"],
        Origin::Ecs { arm: true, .. } => vec!["fargate-arm"],
        Origin::Ecs { .. } => vec!["fargate"],
        Origin::Fly => vec!["fly-machines"],
    }
}

/// The platforms: those the files describe (in the order first met), then the candidates.
fn platform_list(http: &[&Workload]) -> Vec<&'static str> {
    let mut list: Vec<&'static str> = Vec::new();
    for w in http {
        for p in current(&w.origin) {
            if !list.contains(&p) {
                list.push(p);
            }
        }
    }
    for p in CANDIDATES {
        if !list.contains(p) {
            list.push(p);
        }
    }
    list
}

/// The `[platform.services.NAME]` lines for one service on one preset.
fn service_overrides(w: &Workload, preset: &str, platform: &toml::Table) -> Vec<String> {
    let mut lines = Vec::new();
    let as_is = runs_as_is(&w.origin, preset);
    let inst = platform.get("instance").and_then(Value::as_table);
    let preset_conc = inst.and_then(|i| i.get("concurrency")).and_then(Value::as_integer).unwrap_or(1) as u64;
    let conc = if as_is { w.concurrency.unwrap_or(preset_conc) } else { preset_conc }.clamp(1, 10_000);
    let limits = platform.get("limits").and_then(Value::as_table).cloned().unwrap_or_default();
    let mut instance = Vec::new();
    let mut why = Vec::new();
    let p_cpu = inst
        .and_then(|i| i.get("cpu"))
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .unwrap_or(1.0);
    let p_gib = inst
        .and_then(|i| i.get("memory"))
        .and_then(Value::as_str)
        .and_then(|m| crossover_scenario::units::parse_size_gib(m).ok())
        .unwrap_or(0.5);
    if w.cpu.is_some() || w.memory.is_some() {
        // Within the format's ranges (instance.cpu 0.01 .. 1024, memory 1 MiB .. 24 TiB): a
        // request of 1m or 1Ki is a valid quantity but no instance crossover simulates.
        let c = w.cpu.unwrap_or(p_cpu).clamp(MIN_CPU, 1024.0);
        let gib = w.memory.map_or(p_gib, |m| m / 1073741824.0).clamp(1.0 / 1024.0, 24576.0);
        if w.cpu.is_some_and(|x| x < MIN_CPU) {
            why.push(format!(
                "{} vCPU raised to crossover's smallest instance, {MIN_CPU}",
                trim(w.cpu.unwrap_or(0.0))
            ));
        }
        if preset == "lambda" {
            // Lambda sells memory; CPU comes with it, one vCPU at 1,769 MB (AWS Lambda
            // Developer Guide, "Configure Lambda function memory": "At 1,769 MB, a function
            // has the equivalent of one vCPU"), memory 128 MB to 10,240 MB.
            let mib = (c * 1769.0).max(gib * 1024.0).clamp(128.0, 10240.0).ceil();
            instance.push(format!("cpu = {}", float(round6(mib / 1769.0))));
            instance.push(format!("memory = \"{mib}MiB\""));
            why.push(format!(
                "Lambda sells memory, with one vCPU per 1,769 MB: {} vCPU and {} become a {mib} MB function",
                trim(c),
                bytes(gib * 1073741824.0)
            ));
        } else {
            let want = Shape { cpu: c, gib };
            let (s, c2, notes) = shapes::fit(&limits, want, conc);
            instance.push(format!("cpu = {}", float(round6(s.cpu))));
            let exact = (s.gib - want.gib).abs() < 1e-12
                && w.memory.is_some_and(|m| (m / 1073741824.0 - gib).abs() < 1e-12);
            instance.push(format!(
                "memory = {}",
                quote(&if exact { bytes(w.memory.unwrap_or(0.0)) } else { mib(s.gib) })
            ));
            if (as_is && w.concurrency.is_some()) || c2 != conc {
                instance.push(format!("concurrency = {c2}"));
            }
            why.extend(notes);
        }
    } else if as_is && w.concurrency.is_some() {
        instance.push(format!("concurrency = {}", conc.clamp(1, 10_000)));
    }
    if !instance.is_empty() {
        let comment =
            if why.is_empty() { String::new() } else { format!("   # rounded: {}", why.join("; ")) };
        lines.push(format!("instance = {{ {} }}{comment}", instance.join(", ")));
    }
    if !as_is {
        return lines;
    }
    if let Some(s) = w.startup_s.filter(|s| *s > 0.0) {
        if matches!(w.origin, Origin::Kubernetes) {
            lines.push(format!(
                "startup = {{ fixed = {} }}   # readiness probe initialDelaySeconds",
                quote(&secs(s.min(MAX_SECS)))
            ));
        }
    }
    // The preset's pool. A count the files run above it (a Deployment of 300 replicas, a
    // preset's 200) gets room for it, as a Job's parallelism does below: the scenario's
    // validation refused it and the platform the files describe was left out.
    let pool = platform.get("max_instances").and_then(Value::as_integer).unwrap_or(0).max(0) as u64;
    let room = |n: u64, what: &str, lines: &mut Vec<String>| {
        if n > pool {
            lines.push(format!("max_instances = {n}   # {what}: room for it (the preset's pool is {pool})"));
        }
    };
    let fixed = |n: u64, lines: &mut Vec<String>| {
        let n = n.clamp(1, MAX_COUNT);
        lines.push(format!("autoscaler = {{ kind = \"fixed\", instances = {n} }}"));
        lines.push(format!("min_instances = {n}"));
        room(n, "the files' count", lines);
    };
    match &w.scaling {
        Some(Scaling::Fixed(n)) => fixed(*n, &mut lines),
        None => {
            if let Some(r) = w.replicas {
                fixed(r, &mut lines);
            }
        }
        Some(Scaling::Hpa(h)) => lines.extend(hpa_lines(h)),
        Some(Scaling::Knative { min, max, target }) => {
            if let Some(t) = target {
                let frac = (t / conc.max(1) as f64).clamp(0.01, 1.0);
                lines.push(format!("autoscaler = {{ target_concurrency = {} }}   # autoscaling.knative.dev/target {} of {conc}", float(round6(frac)), trim(*t)));
            }
            let min = (*min).min(MAX_COUNT);
            lines.push(format!("min_instances = {min}"));
            match max {
                Some(m) => lines.push(format!("max_instances = {}", (*m).clamp(min.max(1), MAX_COUNT))),
                None => room(min, "minScale", &mut lines),
            }
            if let Some(t) = w.timeout_s.filter(|t| *t > 0.0) {
                lines.push(format!("request_timeout = {}", quote(&secs(t.min(MAX_SECS)))));
            }
            if w.cpu_boost == Some(false) {
                lines.push(
                    "startup = { cpu_boost = 1.0 }   # run.googleapis.com/startup-cpu-boost: false".into(),
                );
            }
        }
        Some(Scaling::TargetTracking { min, max, metric, target, out_cooldown, in_cooldown }) => {
            // Within the format's ranges: a CPU utilisation of 1% to 100%, requests per
            // target of 1e-6 to 1e9; said where it had to bring the file's value in.
            let (lo, hi) = if *metric == "cpu" { (0.01, 1.0) } else { (METRIC_MIN, METRIC_MAX) };
            let t = target.clamp(lo, hi);
            let mut parts = vec![format!(
                "kind = \"target-tracking\", metric = \"{metric}\", target = {}",
                float(round6(t))
            )];
            if let Some(c) = out_cooldown {
                parts.push(format!("scale_out_cooldown = {}", quote(&secs(c.min(MAX_SECS)))));
            }
            if let Some(c) = in_cooldown {
                parts.push(format!("scale_in_cooldown = {}", quote(&secs(c.min(MAX_SECS)))));
            }
            let note = if t == *target {
                String::new()
            } else if *metric == "cpu" {
                format!("   # a CPU target of {}% is taken as {}%", shown(target * 100.0), shown(t * 100.0))
            } else {
                format!(
                    "   # a target of {} is taken as {}, within crossover's {METRIC_MIN} to {METRIC_MAX}",
                    shown(*target),
                    shown(t)
                )
            };
            lines.push(format!("autoscaler = {{ {} }}{note}", parts.join(", ")));
            let min = (*min).clamp(1, MAX_COUNT);
            lines.push(format!("min_instances = {min}"));
            lines.push(format!("max_instances = {}", (*max).clamp(min, MAX_COUNT)));
        }
        Some(Scaling::Fly { min_running, soft, auto_stop, .. }) => {
            let soft = soft.map(|s| format!(", soft_limit = {s}")).unwrap_or_default();
            lines.push(format!("autoscaler = {{ kind = \"fly-proxy\"{soft} }}"));
            if *auto_stop {
                let pool = platform.get("max_instances").and_then(Value::as_integer).unwrap_or(10) as u64;
                lines.push(format!("min_instances = {}", (*min_running).min(pool)));
            } else {
                let pool = platform.get("max_instances").and_then(Value::as_integer).unwrap_or(10);
                lines.push(format!("min_instances = {pool}   # auto_stop_machines off: every machine of the pool stays started"));
            }
        }
    }
    if let Some(job) = w.job.as_ref().filter(|j| j.kind == "cron") {
        // The files' own platform runs as many pods at once as the Job says.
        let at_once = job.parallelism.unwrap_or(1).min(job.tasks.unwrap_or(u64::MAX)).clamp(1, MAX_TASKS);
        if at_once > pool && !lines.iter().any(|l| l.starts_with("max_instances")) {
            lines.push(format!(
                "max_instances = {at_once}   # the Job's parallelism: room for every pod it runs at once"
            ));
        }
    }
    lines
}

fn hpa_lines(h: &Hpa) -> Vec<String> {
    let mut parts = vec!["kind = \"hpa\"".to_string()];
    let mut notes = Vec::new();
    match &h.metric {
        Some(HpaMetric::Cpu(t)) => {
            let v = t.clamp(0.01, 1.0);
            if (v - t).abs() > 1e-9 {
                notes.push(format!("a CPU target of {}% is taken as {}% (crossover's pods never use more than their request)", trim(t * 100.0), trim(v * 100.0)));
            }
            parts.push(format!("metric = \"cpu\", target = {}", float(round6(v))));
        }
        Some(HpaMetric::Rps(t)) | Some(HpaMetric::Concurrency(t)) => {
            let metric = if matches!(h.metric, Some(HpaMetric::Rps(_))) { "rps" } else { "concurrency" };
            let v = t.clamp(METRIC_MIN, METRIC_MAX);
            if v != *t {
                notes.push(format!(
                    "a target of {} is taken as {}, within crossover's {METRIC_MIN} to {METRIC_MAX}",
                    shown(*t),
                    shown(v)
                ));
            }
            parts.push(format!("metric = \"{metric}\", target = {}", float(v)))
        }
        Some(HpaMetric::Queue { target, .. }) => {
            parts.push(format!("metric = \"queue\", target = {}", float(round6(target.clamp(1e-3, 1e9)))))
        }
        None => {
            parts.push("metric = \"cpu\", target = 0.6".into());
            notes.push("no metric crossover models: the presets' 60% CPU target".into());
        }
    }
    for (key, r) in [("scale_up", &h.scale_up), ("scale_down", &h.scale_down)] {
        if let Some(r) = r {
            parts.push(format!("{key} = {{ {} }}", rules(r).join(", ")));
        }
    }
    let queue = match &h.metric {
        Some(HpaMetric::Queue { activation, in_flight, .. }) => Some((*activation, *in_flight)),
        _ => None,
    };
    if let Some((polling, cooldown)) = h.keda {
        let mut keda = vec![
            format!("polling = {}", quote(&secs(polling.min(MAX_SECS)))),
            format!("cooldown = {}", quote(&secs(cooldown.min(MAX_SECS)))),
        ];
        if let Some((activation, in_flight)) = queue {
            if let Some(a) = activation {
                keda.push(format!("activation = {}", float(round6(a.min(1e9)))));
            }
            if let Some(f) = in_flight {
                keda.push(format!("in_flight = {f}"));
            }
        }
        parts.push(format!("keda = {{ {} }}", keda.join(", ")));
    }
    if h.keda.is_some() && h.min == 0 && queue.is_none() {
        notes.push("KEDA may scale to zero pods: requests that arrive then fail until a poll wakes one (the files hold no HTTP add-on to hold them)".into());
    }
    let comment = if notes.is_empty() { String::new() } else { format!("   # {}", notes.join("; ")) };
    // Within the format's range (max_instances at most 100,000), as the other autoscalers.
    let min = if h.keda.is_some() { h.min } else { h.min.max(1) }.min(MAX_COUNT);
    vec![
        format!("autoscaler = {{ {} }}{comment}", parts.join(", ")),
        format!("min_instances = {min}"),
        format!("max_instances = {}", h.max.max(min).clamp(1, MAX_COUNT)),
    ]
}

fn rules(r: &Rules) -> Vec<String> {
    let mut p = Vec::new();
    if let Some(s) = r.stabilization_s {
        p.push(format!("stabilization = {}", quote(&secs(s.min(MAX_SECS)))));
    }
    let clamp = |x: Option<(u64, f64)>, hi: u64| x.map(|(n, per)| (n.clamp(1, hi), per.clamp(1.0, MAX_SECS)));
    let r = &Rules { pods: clamp(r.pods, MAX_COUNT), percent: clamp(r.percent, 10_000), ..r.clone() };
    let periods: Vec<f64> = [r.pods, r.percent].iter().flatten().map(|x| x.1).collect();
    let shared = periods.windows(2).all(|w| w[0] == w[1]);
    if let Some((n, per)) = r.pods {
        p.push(format!("pods = {n}"));
        if !shared {
            p.push(format!("pods_period = {}", quote(&secs(per))));
        }
    }
    if let Some((n, per)) = r.percent {
        p.push(format!("percent = {n}"));
        if !shared {
            p.push(format!("percent_period = {}", quote(&secs(per))));
        }
    }
    if shared {
        if let Some(per) = periods.first() {
            p.push(format!("period = {}", quote(&secs(*per))));
        }
    }
    if let Some(s) = &r.select {
        p.push(format!("select = {}", quote(&s.to_ascii_lowercase())));
    }
    p
}

/// The services' shares: those given, the rest split what is left equally.
fn shares(originals: &[String], names: &[String], given: &[(String, f64)]) -> Result<Vec<f64>, String> {
    let mut out = vec![None; names.len()];
    for (who, share) in given {
        let i = names
            .iter()
            .position(|n| n == who)
            .or_else(|| originals.iter().position(|n| n == who))
            .ok_or_else(|| {
                format!(
                    "--share {who}={share}: no service is named {who:?}; the services are {}",
                    names.join(", ")
                )
            })?;
        if !(share.is_finite() && *share > 0.0 && *share <= 1.0) {
            return Err(format!(
                "--share {who}={share}: a share is a fraction of the stack's traffic, above 0 and at most 1"
            ));
        }
        if let Some(first) = out[i] {
            return Err(format!(
                "--share {who}={share}: {} already has a share ({first}); give each service one",
                names[i]
            ));
        }
        out[i] = Some(*share);
    }
    let given_sum: f64 = out.iter().flatten().sum();
    let rest = out.iter().filter(|s| s.is_none()).count();
    if given_sum > 1.0 + 1e-9 {
        return Err(format!(
            "--share: the shares given add up to {}: each is a fraction of the stack's traffic, and together they are at most 1",
            trim(given_sum)
        ));
    }
    if rest > 0 && given_sum >= 1.0 - 1e-9 {
        return Err(format!("--share: the shares given add up to {}, leaving nothing for the {rest} other service(s); give every service a share or leave room", trim(given_sum)));
    }
    let each = if rest > 0 { (1.0 - given_sum) / rest as f64 } else { 0.0 };
    Ok(out.into_iter().map(|s| s.unwrap_or(round6(each))).collect())
}

fn default_scenario() -> toml::Table {
    toml::from_str(crossover_scenario::DEFAULT_SCENARIO).unwrap_or_default()
}

/// `[name]` and its keys, scalars first then sub-tables inline.
fn table_text(name: &str, t: &toml::Table) -> String {
    let mut s = format!("[{name}]\n");
    for (k, v) in t {
        let _ = writeln!(s, "{} = {v}", key(k));
    }
    s
}

fn key(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        k.to_string()
    } else {
        quote(k)
    }
}

/// A TOML basic string.
pub fn quote(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// Text for a comment: one line, no control characters.
fn comment(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A long comment wrapped onto lines starting with `prefix`.
fn wrap(text: &str, prefix: &str) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        if line > 0 && line + word.len() > 76 {
            let _ = write!(out, "\n{prefix}");
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

/// A number for a comment: as [`trim`] writes it, or in exponent form when that would
/// show hundreds of digits or none.
fn shown(v: f64) -> String {
    if v == 0.0 || (1e-3..1e9).contains(&v.abs()) {
        trim(v)
    } else {
        format!("{v:e}")
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// A TOML float (always with a point or exponent).
fn float(v: f64) -> String {
    format!("{v:?}")
}

/// Seconds as a duration string: `300s`, `0.5s`.
fn secs(s: f64) -> String {
    format!("{}s", trim(s))
}

/// GiB as whole MiB, rounded up (`1GiB`, `615MiB`): a fitted shape's memory.
fn mib(gib: f64) -> String {
    let m = (gib * 1024.0 - 1e-6).ceil().max(1.0) as u64;
    if m.is_multiple_of(1024) {
        format!("{}GiB", m / 1024)
    } else {
        format!("{m}MiB")
    }
}

/// Bytes as the shortest exact size string: `64MiB`, `1GiB`, `1000000000B`.
pub fn bytes(b: f64) -> String {
    let b = b.round().max(1.0) as u64;
    for (unit, f) in
        [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KiB", 1 << 10)]
    {
        if b.is_multiple_of(f) {
            return format!("{}{unit}", b / f);
        }
    }
    format!("{b}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_back() {
        assert_eq!(bytes(64.0 * 1048576.0), "64MiB");
        assert_eq!(bytes(1e9), "1GB");
        assert_eq!(bytes(1.5 * 1073741824.0), "1536MiB");
        assert_eq!(bytes(123.0), "123B");
        assert_eq!(secs(300.0), "300s");
        assert_eq!(secs(0.5), "0.5s");
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(0.25), "0.25");
    }

    #[test]
    fn shares_default_to_an_equal_split_of_what_is_left() {
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(shares(&names, &names, &[]).unwrap(), vec![0.333333; 3]);
        assert_eq!(shares(&names, &names, &[("a".into(), 0.5)]).unwrap(), vec![0.5, 0.25, 0.25]);
        assert!(shares(&names, &names, &[("x".into(), 0.5)]).unwrap_err().contains("no service is named"));
        assert!(shares(&names, &names, &[("a".into(), 1.0)]).unwrap_err().contains("leaving nothing"));
        assert!(shares(&names, &names, &[("a".into(), 1.5)]).is_err());
    }

    /// Every service given a share, adding up to more than the stack's traffic, was
    /// accepted (0.8 and 0.8: 160% of it); a service named twice kept the last share.
    #[test]
    fn shares_add_up_to_at_most_one_and_each_service_has_one() {
        let names: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let over = shares(&names, &names, &[("a".into(), 0.8), ("b".into(), 0.8)]).unwrap_err();
        assert!(over.contains("add up to 1.6"), "{over}");
        let twice = shares(&names, &names, &[("a".into(), 0.5), ("a".into(), 0.7)]).unwrap_err();
        assert!(twice.contains("a already has a share (0.5)"), "{twice}");
        assert_eq!(
            shares(&names, &names, &[("a".into(), 0.25), ("b".into(), 0.75)]).unwrap(),
            vec![0.25, 0.75]
        );
    }
}
