//! Splitting a sweep between machines (`--shard K/N`) and merging the pieces back.
//!
//! The work units are the sweep's (point, replication) pairs in order (point-major);
//! they are split between the N shards by estimated work (expected requests times
//! platforms; see `assignment`), and a shard simulates every platform of its units. A shard file holds what the merge needs to rebuild the unsharded results
//! exactly: the sweep's description (the `--vary` specs, each point's seed, replications
//! and platforms, the SLO) and, per (point, replication, platform), every metric as the
//! bits of its float and the latency histogram in HdrHistogram's V2 encoding (then the
//! shared bill, each service's metrics and, for a stack of several, each service's
//! histogram). Merging
//! pools the same numbers in the same order as a single run, so the merged CSVs are
//! byte-identical to an unsharded run's.
//!
//! The file is text, one record per line, tokens separated by spaces; names and specs are
//! hex-encoded UTF-8 so that any character survives.

use super::{assemble, execute, Job, Plan, PointResult, SweepResult, Vary};
use crate::{Latencies, PlatformSummary, ReplicationMetrics, RunError, ServiceMetrics};
use crossover_engine::{LatencyRecorder, SimDuration};
use crossover_platform::{CostBreakdown, Counters};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use thiserror::Error;

const MAGIC: &str = "crossover-shard 6";

/// Most shards a sweep is split into (`--shard K/N`, and the `shard K N` line a merge
/// reads): merge keeps a slot per shard, and a million is far beyond any job array.
pub const MAX_SHARDS: u32 = 1_000_000;

/// `--shard K/N`: shard K (from 0) of N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl ShardSpec {
    pub fn parse(text: &str) -> Result<ShardSpec, String> {
        let bad = || format!("`{text}` is not K/N (shard K, from 0, of N; e.g. 0/4)");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) =
            (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(format!("`{text}`: K must be between 0 and N-1 (shards are numbered from 0)"));
        }
        if count > MAX_SHARDS {
            return Err(format!("`{text}`: N may be at most {MAX_SHARDS} shards"));
        }
        Ok(ShardSpec { index, count })
    }

    /// The file name a shard writes.
    pub fn file_name(&self) -> String {
        format!("shard-{}-of-{}.txt", self.index, self.count)
    }
}

/// Work of one simulation that is not requests (building the platform, the histogram),
/// in requests: keeps units of idle points from counting as free.
const UNIT_OVERHEAD_REQUESTS: f64 = 1e4;

/// The shard (0..count) of every (point, replication) unit, in unit order, balanced by
/// estimated work: units from the heaviest down each go to the shard with the least
/// work so far (the longest-processing-time rule; ties to the lower index, so the
/// split is a pure function of the plan). Assigning by unit index modulo N made one
/// 8-shard sweep's tasks take 2.0 to 12.5 s.
fn assignment(plan: &Plan, count: u32) -> Vec<u32> {
    let mut units: Vec<(f64, usize)> = Vec::new();
    for p in &plan.points {
        let s = &p.scenario;
        let requests: f64 = s
            .services
            .iter()
            .map(|l| crate::guard::expected_requests(&l.traffic, s.horizon.as_nanos()))
            .sum();
        let work = (requests + UNIT_OVERHEAD_REQUESTS) * s.platforms.len() as f64;
        for _ in 0..s.replications {
            units.push((work, units.len()));
        }
    }
    let mut order: Vec<(f64, usize)> = units.clone();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    // The lightest shard (lowest index among equals) from a heap: a scan of every shard
    // per unit took minutes, and memory for N shards, with --shard 0/1000000000. Every
    // unit has work, so a shard from the (units+1)th on is never the lightest: only the
    // first min(N, units) take part, and the split is the same as among all N.
    let shards = (count as usize).min(units.len());
    let mut lightest: BinaryHeap<Reverse<Load>> = (0..shards).map(|i| Reverse(Load(0.0, i as u32))).collect();
    let mut shard_of = vec![0u32; units.len()];
    for (work, unit) in order {
        let Some(Reverse(Load(load, shard))) = lightest.pop() else { break };
        shard_of[unit] = shard;
        lightest.push(Reverse(Load(load + work, shard)));
    }
    shard_of
}

/// A shard's work so far and its index, ordered by work, then index.
struct Load(f64, u32);

impl Ord for Load {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

impl PartialOrd for Load {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Load {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Load {}

/// The jobs of shard `spec`: its (point, replication) units, each with every platform.
pub fn shard_jobs(plan: &Plan, spec: ShardSpec) -> Vec<Job> {
    let shard_of = assignment(plan, spec.count);
    let mut unit = 0usize;
    let mut jobs = Vec::new();
    for (point, p) in plan.points.iter().enumerate() {
        for replication in 0..p.scenario.replications {
            if shard_of[unit] == spec.index {
                for platform in 0..p.scenario.platforms.len() {
                    jobs.push(Job { point, replication, platform });
                }
            }
            unit += 1;
        }
    }
    jobs
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// The header lines describing the sweep (everything but the shard's own number).
fn description(plan: &Plan, slo_ms: Option<f64>) -> String {
    let mut s = String::new();
    let name = plan.points.first().map_or("", |p| p.scenario.name.as_str());
    let _ = writeln!(s, "scenario {}", hex(name.as_bytes()));
    let _ = writeln!(s, "slo_ms {}", slo_ms.map_or("none".into(), |x| format!("{:016x}", x.to_bits())));
    for d in &plan.dims {
        let _ = writeln!(s, "vary {}", hex(d.to_string().as_bytes()));
    }
    for (i, p) in plan.points.iter().enumerate() {
        let names: Vec<String> = p.scenario.platforms.iter().map(|q| hex(q.name.as_bytes())).collect();
        let _ = writeln!(s, "point {i} {} {} {}", p.scenario.seed, p.scenario.replications, names.join(" "));
        // The stack every platform runs: each service's name and SLO (ns), for the
        // merged summaries' per-service columns.
        let services: Vec<String> = p
            .scenario
            .services
            .iter()
            .map(|v| {
                let slo = v.slo_p99.map_or("none".to_string(), |d| d.as_nanos().to_string());
                format!("{}={slo}", hex(v.name.as_bytes()))
            })
            .collect();
        let _ = writeln!(s, "services {i} {}", services.join(" "));
    }
    s
}

fn cost_tokens(c: &CostBreakdown) -> [String; 14] {
    [
        c.cpu,
        c.memory,
        c.gpu,
        c.idle,
        c.requests,
        c.egress,
        c.stopped,
        c.nodes,
        c.control_plane,
        c.fixed,
        c.load_balancer,
        c.nat,
        c.observability,
        c.people,
    ]
    .map(bits)
}

fn bits(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

/// A float read back from [`bits`].
fn unbits(token: &str) -> Option<f64> {
    u64::from_str_radix(token, 16).ok().map(f64::from_bits)
}

fn parse_cost(t: &[&str]) -> Option<CostBreakdown> {
    let f = |i: usize| unbits(t.get(i)?);
    Some(CostBreakdown {
        cpu: f(0)?,
        memory: f(1)?,
        gpu: f(2)?,
        idle: f(3)?,
        requests: f(4)?,
        egress: f(5)?,
        stopped: f(6)?,
        nodes: f(7)?,
        control_plane: f(8)?,
        fixed: f(9)?,
        load_balancer: f(10)?,
        nat: f(11)?,
        observability: f(12)?,
        people: f(13)?,
        // The commitment line is the record's last token (see `service_tokens`).
        commitment: 0.0,
    })
}

/// One service's metrics as tokens: its cost lines, latencies, counters (spilled
/// last), then instance and queue figures.
fn service_tokens(m: &ServiceMetrics) -> Vec<String> {
    let k = &m.counters;
    let mut t: Vec<String> = cost_tokens(&m.cost).into();
    t.extend([m.p50_ms, m.p90_ms, m.p99_ms, m.p999_ms, m.mean_ms].map(bits));
    t.extend(
        [
            k.arrived,
            k.completed,
            k.rejected,
            k.timed_out,
            k.in_flight,
            k.cold_starts,
            k.cold_start_requests,
            k.queued,
            k.interruptions,
            k.spilled,
        ]
        .map(|x| x.to_string()),
    );
    t.push(bits(m.mean_instances));
    t.push(m.peak_instances.to_string());
    t.extend(
        [m.mean_busy_instances, m.utilization, m.mean_in_system, m.mean_sojourn_secs, m.mean_queue_wait_secs]
            .map(bits),
    );
    t.push(m.pending_pods.to_string());
    t.push(bits(m.mean_pending_secs));
    t.push(k.queue_full.to_string());
    t.push(bits(m.cost.commitment));
    t
}

const SERVICE_TOKENS: usize = 14 + 5 + 10 + 2 + 5 + 2 + 1 + 1;

fn parse_service(t: &[&str]) -> Option<ServiceMetrics> {
    if t.len() != SERVICE_TOKENS {
        return None;
    }
    let f = |i: usize| unbits(t[i]);
    let u = |i: usize| t[i].parse::<u64>().ok();
    Some(ServiceMetrics {
        cost: CostBreakdown { commitment: f(SERVICE_TOKENS - 1)?, ..parse_cost(&t[..14])? },
        p50_ms: f(14)?,
        p90_ms: f(15)?,
        p99_ms: f(16)?,
        p999_ms: f(17)?,
        mean_ms: f(18)?,
        counters: Counters {
            arrived: u(19)?,
            completed: u(20)?,
            rejected: u(21)?,
            timed_out: u(22)?,
            in_flight: u(23)?,
            cold_starts: u(24)?,
            cold_start_requests: u(25)?,
            queued: u(26)?,
            interruptions: u(27)?,
            spilled: u(28)?,
            queue_full: u(38)?,
        },
        mean_instances: f(29)?,
        peak_instances: t[30].parse().ok()?,
        mean_busy_instances: f(31)?,
        utilization: f(32)?,
        mean_in_system: f(33)?,
        mean_sojourn_secs: f(34)?,
        mean_queue_wait_secs: f(35)?,
        pending_pods: u(36)?,
        mean_pending_secs: f(37)?,
        // A worker's backlog and a job's runs are not carried: no sweep file reads them
        // (sweep.csv and its siblings are the stack's figures and each service's p99).
        jobs: crossover_platform::JobStats::default(),
    })
}

/// The stack's metrics as tokens (its services and shared bill apart: see
/// [`record_line`]).
fn metrics_tokens(m: &ReplicationMetrics) -> Vec<String> {
    let c = &m.cost;
    let f = bits;
    let k = &m.counters;
    let mut t = vec![m.replication.to_string()];
    t.extend(
        [
            c.cpu,
            c.memory,
            c.gpu,
            c.idle,
            c.requests,
            c.egress,
            c.stopped,
            c.nodes,
            c.control_plane,
            c.fixed,
            c.load_balancer,
            c.nat,
            c.observability,
            c.people,
            m.p50_ms,
            m.p90_ms,
            m.p99_ms,
            m.p999_ms,
            m.mean_ms,
        ]
        .map(f),
    );
    t.extend(
        [
            k.arrived,
            k.completed,
            k.rejected,
            k.timed_out,
            k.in_flight,
            k.cold_starts,
            k.cold_start_requests,
            k.queued,
            k.interruptions,
        ]
        .map(|x| x.to_string()),
    );
    t.push(f(m.mean_instances));
    t.push(m.peak_instances.to_string());
    t.extend(
        [m.mean_busy_instances, m.utilization, m.mean_in_system, m.mean_sojourn_secs, m.mean_queue_wait_secs]
            .map(f),
    );
    t.push(f(m.mean_nodes));
    t.push(m.peak_nodes.to_string());
    t.push(m.pending_pods.to_string());
    t.push(f(m.mean_pending_secs));
    t.push(k.spilled.to_string());
    t.extend([m.overflow_cost, m.base_p99_ms, m.overflow_p99_ms].map(f));
    t.push(k.queue_full.to_string());
    t.push(f(c.commitment));
    t
}

const METRIC_TOKENS: usize = 1 + 19 + 9 + 2 + 5 + 4 + 4 + 1 + 1;

fn parse_metrics(t: &[&str]) -> Option<ReplicationMetrics> {
    if t.len() != METRIC_TOKENS {
        return None;
    }
    let f = |i: usize| unbits(t[i]);
    let u = |i: usize| t[i].parse::<u64>().ok();
    let cost = CostBreakdown {
        cpu: f(1)?,
        memory: f(2)?,
        gpu: f(3)?,
        idle: f(4)?,
        requests: f(5)?,
        egress: f(6)?,
        stopped: f(7)?,
        nodes: f(8)?,
        control_plane: f(9)?,
        fixed: f(10)?,
        load_balancer: f(11)?,
        nat: f(12)?,
        observability: f(13)?,
        people: f(14)?,
        commitment: f(METRIC_TOKENS - 1)?,
    };
    let counters = Counters {
        arrived: u(20)?,
        completed: u(21)?,
        rejected: u(22)?,
        timed_out: u(23)?,
        in_flight: u(24)?,
        cold_starts: u(25)?,
        cold_start_requests: u(26)?,
        queued: u(27)?,
        interruptions: u(28)?,
        spilled: u(40)?,
        queue_full: u(44)?,
    };
    Some(ReplicationMetrics {
        replication: t[0].parse().ok()?,
        cost,
        p50_ms: f(15)?,
        p90_ms: f(16)?,
        p99_ms: f(17)?,
        p999_ms: f(18)?,
        mean_ms: f(19)?,
        counters,
        mean_instances: f(29)?,
        peak_instances: t[30].parse().ok()?,
        mean_busy_instances: f(31)?,
        utilization: f(32)?,
        mean_in_system: f(33)?,
        mean_sojourn_secs: f(34)?,
        mean_queue_wait_secs: f(35)?,
        mean_nodes: f(36)?,
        peak_nodes: t[37].parse().ok()?,
        pending_pods: u(38)?,
        mean_pending_secs: f(39)?,
        overflow_cost: f(41)?,
        base_p99_ms: f(42)?,
        overflow_p99_ms: f(43)?,
        shared_cost: CostBreakdown::default(),
        services: Vec::new(),
        // Not carried, like a job's figures: no sweep file reads them.
        commitment: None,
    })
}

/// The fingerprint merging checks: the resolved base scenario (`identity`) and the
/// sweep's description.
fn shard_fingerprint(identity: &str, desc: &str) -> u64 {
    fnv1a(format!("{identity}\n{desc}").as_bytes())
}

/// Whether `existing` (a file found where shard `spec` would be written) is that shard,
/// complete: of this sweep (fingerprint and description), this index and count, every
/// record present and valid, its end line in place. Resubmitting a whole job array
/// then re-runs only the shards that failed.
pub fn is_complete(
    plan: &Plan,
    slo_ms: Option<f64>,
    spec: ShardSpec,
    identity: &str,
    existing: &[u8],
) -> bool {
    let Ok(text) = std::str::from_utf8(existing) else { return false };
    let Ok(parsed) = parse_shard("existing shard", text) else { return false };
    let desc = description(plan, slo_ms);
    let mut wanted: Vec<(usize, u32, usize)> =
        shard_jobs(plan, spec).iter().map(|j| (j.point, j.replication, j.platform)).collect();
    let mut found: Vec<(usize, u32, usize)> = parsed.records.iter().map(|r| (r.0, r.1, r.2)).collect();
    wanted.sort_unstable();
    found.sort_unstable();
    parsed.fingerprint == format!("{:016x}", shard_fingerprint(identity, &desc))
        && (parsed.index, parsed.count) == (spec.index, spec.count)
        && parsed.description == desc
        && wanted == found
}

/// Runs shard `spec` of the sweep and returns its file. `identity` is mixed into the
/// fingerprint that merging checks (the resolved base scenario, so that shards of
/// different scenarios are never merged).
pub fn run_shard(
    plan: &Plan,
    slo_ms: Option<f64>,
    spec: ShardSpec,
    threads: Option<usize>,
    identity: &str,
) -> Result<Vec<u8>, RunError> {
    let jobs = shard_jobs(plan, spec);
    let pool = crate::thread_pool(threads, jobs.len()).map_err(RunError::Threads)?;
    let desc = description(plan, slo_ms);
    let fingerprint = shard_fingerprint(identity, &desc);
    let mut out =
        format!("{MAGIC}\nfingerprint {fingerprint:016x}\nshard {} {}\n{desc}", spec.index, spec.count);
    let scenarios: Vec<&crossover_scenario::Scenario> = plan.points.iter().map(|p| &p.scenario).collect();
    execute(&pool, &scenarios, &jobs, |job, metrics, latency| {
        let _ = writeln!(out, "{}", record_line(job, &metrics, &latency));
    })?;
    out.push_str("end\n");
    Ok(out.into_bytes())
}

/// One simulation as a `rec` line of a shard file or a sweep checkpoint: indices, every
/// metric of the stack as exact bits, its latency histogram in HdrHistogram V2 hex,
/// the shared bill, the number of services, each service's metrics and, for a stack
/// of several, each service's histogram.
pub fn record_line(job: Job, metrics: &ReplicationMetrics, latency: &Latencies) -> String {
    let mut t = vec![job.point.to_string(), job.replication.to_string(), job.platform.to_string()];
    t.extend(metrics_tokens(metrics));
    t.push(hex(&latency.stack.to_v2_bytes()));
    t.extend(cost_tokens(&metrics.shared_cost));
    t.push(bits(metrics.shared_cost.commitment));
    t.push(metrics.services.len().to_string());
    for s in &metrics.services {
        t.extend(service_tokens(s));
    }
    t.extend(latency.services.iter().map(|l| hex(&l.to_v2_bytes())));
    format!("rec {}", t.join(" "))
}

/// A `rec` line (without `rec `) read back, its values checked as a replication's.
pub fn parse_record(rest: &str) -> Result<(Job, ReplicationMetrics, Latencies), String> {
    let t: Vec<&str> = rest.split(' ').collect();
    let head = 3 + METRIC_TOKENS + 1 + 15 + 1;
    if t.len() < head {
        return Err("a record has the wrong number of fields".into());
    }
    let services: usize = t[head - 1].parse().map_err(|_| "bad number of services")?;
    let histograms = if services > 1 { services } else { 0 };
    let expected = services.checked_mul(SERVICE_TOKENS).and_then(|n| n.checked_add(head + histograms));
    if services == 0 || expected != Some(t.len()) {
        return Err("a record has the wrong number of fields".into());
    }
    let point = t[0].parse().map_err(|_| "bad point index")?;
    let replication = t[1].parse().map_err(|_| "bad replication index")?;
    let platform = t[2].parse().map_err(|_| "bad platform index")?;
    let mut metrics = parse_metrics(&t[3..3 + METRIC_TOKENS]).ok_or("bad metrics")?;
    metrics.shared_cost = CostBreakdown {
        commitment: unbits(t[head - 2]).ok_or("bad metrics")?,
        ..parse_cost(&t[head - 16..head - 2]).ok_or("bad metrics")?
    };
    let histogram =
        |h: &str| unhex(h).and_then(|b| LatencyRecorder::from_v2_bytes(&b)).ok_or("bad latency histogram");
    let stack = histogram(t[3 + METRIC_TOKENS])?;
    let body = &t[head..];
    metrics.services = body[..services * SERVICE_TOKENS]
        .chunks(SERVICE_TOKENS)
        .map(parse_service)
        .collect::<Option<Vec<_>>>()
        .ok_or("bad service metrics")?;
    if let Some(problem) = crate::resume::metrics_problem(&metrics) {
        return Err(problem);
    }
    let services =
        body[services * SERVICE_TOKENS..].iter().map(|h| histogram(h)).collect::<Result<Vec<_>, _>>()?;
    if metrics.replication != replication {
        return Err("replication indices disagree".into());
    }
    Ok((Job { point, replication, platform }, metrics, Latencies { stack, services }))
}

/// FNV-1a of the resolved base scenario and the sweep's description: what a sweep
/// checkpoint is tied to.
pub fn sweep_fingerprint(plan: &Plan, slo_ms: Option<f64>, identity: &str) -> u64 {
    shard_fingerprint(identity, &description(plan, slo_ms))
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum MergeError {
    #[error("{origin}: not a crossover shard file ({problem})")]
    Malformed { origin: String, problem: String },
    #[error(
        "{origin} belongs to another sweep than {first} (different scenario, --vary, seed or shard count)"
    )]
    Mismatch { origin: String, first: String },
    #[error("shard {index} of {count} is given twice ({a} and {b})")]
    Duplicate { index: u32, count: u32, a: String, b: String },
    #[error("shard(s) {missing} of {count} missing: merge needs every shard")]
    Missing { missing: String, count: u32 },
    #[error("no shard files to merge")]
    Empty,
}

/// One replication of one platform: its metrics and latencies.
type Slot = (ReplicationMetrics, Latencies);

struct Parsed {
    origin: String,
    fingerprint: String,
    index: u32,
    count: u32,
    description: String,
    records: Vec<(usize, u32, usize, ReplicationMetrics, Latencies)>,
}

fn parse_shard(origin: &str, text: &str) -> Result<Parsed, MergeError> {
    let bad = |problem: String| MergeError::Malformed { origin: origin.to_string(), problem };
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err(bad(format!("the first line is not `{MAGIC}`")));
    }
    let fingerprint = lines
        .next()
        .and_then(|l| l.strip_prefix("fingerprint "))
        .ok_or_else(|| bad("no fingerprint".into()))?
        .to_string();
    let (index, count) = lines
        .next()
        .and_then(|l| l.strip_prefix("shard "))
        .and_then(|l| l.split_once(' '))
        .and_then(|(k, n)| Some((k.parse::<u32>().ok()?, n.parse::<u32>().ok()?)))
        .filter(|(k, n)| k < n && *n <= MAX_SHARDS)
        .ok_or_else(|| bad(format!("no valid `shard K N` line (K below N, N at most {MAX_SHARDS})")))?;
    let mut description = String::new();
    let mut records = Vec::new();
    let mut ended = false;
    for (i, line) in lines.enumerate() {
        let at = |what: &str| bad(format!("line {}: {what}", i + 4));
        if line == "end" {
            ended = true;
            break;
        }
        if let Some(rest) = line.strip_prefix("rec ") {
            let (job, metrics, latency) = parse_record(rest).map_err(|e| at(&e))?;
            records.push((job.point, job.replication, job.platform, metrics, latency));
        } else if !records.is_empty() {
            return Err(at("a description line after the records"));
        } else {
            description.push_str(line);
            description.push('\n');
        }
    }
    if !ended {
        return Err(bad("the file is truncated (no `end` line)".into()));
    }
    Ok(Parsed { origin: origin.to_string(), fingerprint, index, count, description, records })
}

/// The sweep a shard set describes.
struct Described {
    scenario: String,
    slo_ms: Option<f64>,
    dims: Vec<Vary>,
    /// Per point: replications and platform names.
    points: Vec<(u32, Vec<String>)>,
    /// Per point: the stack's services, (name, SLO).
    stacks: Vec<Vec<(String, Option<SimDuration>)>>,
}

fn describe(origin: &str, text: &str) -> Result<Described, MergeError> {
    let bad =
        |problem: &str| MergeError::Malformed { origin: origin.to_string(), problem: problem.to_string() };
    let utf8 = |h: &str| unhex(h).and_then(|b| String::from_utf8(b).ok()).ok_or_else(|| bad("bad hex text"));
    let mut d = Described {
        scenario: String::new(),
        slo_ms: None,
        dims: Vec::new(),
        points: Vec::new(),
        stacks: Vec::new(),
    };
    for line in text.lines() {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "scenario" => {
                // The name becomes the merged output folder: refuse what a scenario file
                // would refuse (a `..`, a separator, an escape sequence).
                d.scenario = utf8(rest)?;
                if let Some(problem) = crossover_scenario::names::scenario_name_problem(&d.scenario) {
                    return Err(bad(&format!("the scenario name {problem}")));
                }
            }
            "slo_ms" if rest == "none" => d.slo_ms = None,
            "slo_ms" => d.slo_ms = Some(unbits(rest).ok_or_else(|| bad("bad slo_ms"))?),
            "vary" => d.dims.push(Vary::parse(&utf8(rest)?).map_err(|e| bad(&e.to_string()))?),
            "point" => {
                let t: Vec<&str> = rest.split(' ').collect();
                if t.len() < 3 || t[0].parse::<usize>().ok() != Some(d.points.len()) {
                    return Err(bad("bad point line"));
                }
                let reps = t[2].parse().map_err(|_| bad("bad replication count"))?;
                let names = t[3..].iter().map(|h| utf8(h)).collect::<Result<Vec<_>, _>>()?;
                for name in &names {
                    if let Some(problem) = crossover_scenario::names::platform_name_problem(name) {
                        return Err(bad(&format!("a platform name {problem}")));
                    }
                }
                d.points.push((reps, names));
            }
            "services" => {
                let t: Vec<&str> = rest.split(' ').collect();
                if t.len() < 2 || t[0].parse::<usize>().ok() != Some(d.stacks.len()) {
                    return Err(bad("bad services line"));
                }
                let mut stack = Vec::new();
                for s in &t[1..] {
                    let (name, slo) = s.split_once('=').ok_or_else(|| bad("bad services line"))?;
                    let slo = match slo {
                        "none" => None,
                        ns => Some(SimDuration::from_nanos(ns.parse().map_err(|_| bad("bad service SLO"))?)),
                    };
                    stack.push((utf8(name)?, slo));
                }
                d.stacks.push(stack);
            }
            _ => return Err(bad("unknown description line")),
        }
    }
    if d.points.len() != super::grid_size(&d.dims) || d.stacks.len() != d.points.len() {
        return Err(bad("the points do not match the --vary grid"));
    }
    Ok(d)
}

/// Merges shard files (`(origin, contents)`) into the results of the unsharded sweep.
/// Every shard of the set must be given exactly once.
pub fn merge(files: &[(String, Vec<u8>)]) -> Result<SweepResult, MergeError> {
    let mut parsed = Vec::new();
    for (origin, bytes) in files {
        let text = std::str::from_utf8(bytes).map_err(|_| MergeError::Malformed {
            origin: origin.clone(),
            problem: "not UTF-8 text".into(),
        })?;
        parsed.push(parse_shard(origin, text)?);
    }
    let first = parsed.first().ok_or(MergeError::Empty)?;
    let count = first.count;
    for p in &parsed {
        if p.fingerprint != first.fingerprint || p.count != count || p.description != first.description {
            return Err(MergeError::Mismatch { origin: p.origin.clone(), first: first.origin.clone() });
        }
    }
    let mut seen: Vec<Option<&str>> = vec![None; count as usize];
    for p in &parsed {
        if let Some(a) = seen[p.index as usize] {
            return Err(MergeError::Duplicate {
                index: p.index,
                count,
                a: a.to_string(),
                b: p.origin.clone(),
            });
        }
        seen[p.index as usize] = Some(&p.origin);
    }
    let missing: Vec<usize> = seen.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| i).collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing { missing: spans(&missing), count });
    }
    let d = describe(&first.origin, &first.description)?;
    let first_origin = first.origin.clone();
    // A record per slot, or some are missing: checked before the slots are made, since
    // the description's counts are only numbers in a file (a replication count of 4e9
    // asked for 100 GB).
    let records: usize = parsed.iter().map(|p| p.records.len()).sum();
    let slots_wanted = d
        .points
        .iter()
        .fold(0usize, |n, (reps, names)| n.saturating_add((*reps as usize).saturating_mul(names.len())));
    if slots_wanted > records {
        return Err(MergeError::Malformed {
            origin: first_origin,
            problem: format!(
                "the sweep it describes has {slots_wanted} (point, replication, platform) records, the \
                 shards hold {records}"
            ),
        });
    }
    // Slot every record at (point, replication, platform), then pool in index order.
    let mut slots: Vec<Vec<Vec<Option<Slot>>>> =
        d.points.iter().map(|(reps, names)| (0..*reps).map(|_| vec![None; names.len()]).collect()).collect();
    for p in parsed {
        let origin = p.origin;
        for (point, rep, platform, m, l) in p.records {
            let slot = slots
                .get_mut(point)
                .and_then(|s| s.get_mut(rep as usize))
                .and_then(|s| s.get_mut(platform))
                .ok_or_else(|| MergeError::Malformed {
                    origin: origin.clone(),
                    problem: format!("record ({point}, {rep}, {platform}) is outside the sweep"),
                })?;
            if slot.is_some() {
                return Err(MergeError::Malformed {
                    origin: origin.clone(),
                    problem: format!("record ({point}, {rep}, {platform}) appears twice"),
                });
            }
            *slot = Some((m, l));
        }
    }
    let coords = super::grid(&d.dims);
    let mut points = Vec::with_capacity(slots.len());
    for (((slot, (_, names)), stack), coords) in slots.into_iter().zip(&d.points).zip(&d.stacks).zip(coords) {
        let mut platforms: Vec<PlatformSummary> =
            names.iter().map(|n| PlatformSummary::for_stack(n, stack.clone())).collect();
        for rep in slot {
            for (k, cell) in rep.into_iter().enumerate() {
                let (m, l) = cell.ok_or_else(|| MergeError::Missing {
                    missing: "(a record of a listed shard)".into(),
                    count,
                })?;
                // Every record holds the point's stack: its services' metrics and
                // (for several) their histograms.
                let histograms = if stack.len() > 1 { stack.len() } else { 0 };
                if m.services.len() != stack.len() || l.services.len() != histograms {
                    return Err(MergeError::Malformed {
                        origin: first_origin.clone(),
                        problem: format!(
                            "a record of point {} does not hold its {} service(s)",
                            points.len(),
                            stack.len()
                        ),
                    });
                }
                platforms[k].merge_latencies(&l);
                platforms[k].replications.push(m);
            }
        }
        points.push(PointResult { coords, platforms });
    }
    Ok(assemble(&d.scenario, d.dims, d.slo_ms, points))
}

/// Indices as runs, "0, 3-7, 9", the first 20 of them and a count of the rest: a
/// merge given one shard of a million lists the others briefly.
fn spans(indices: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &i in indices {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == i => *end = i,
            _ => runs.push((i, i)),
        }
    }
    const SHOWN: usize = 20;
    let mut text: Vec<String> = runs
        .iter()
        .take(SHOWN)
        .map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") })
        .collect();
    if runs.len() > SHOWN {
        text.push(format!(
            "and {} more",
            indices.len() - runs[..SHOWN].iter().map(|(a, b)| b - a + 1).sum::<usize>()
        ));
    }
    text.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs() {
        assert_eq!(ShardSpec::parse("0/4"), Ok(ShardSpec { index: 0, count: 4 }));
        assert_eq!(ShardSpec::parse(" 3 / 4 ").map(|s| s.file_name()), Ok("shard-3-of-4.txt".into()));
        for bad in ["4/4", "1/0", "x/2", "1", "-1/2", "1/2/3"] {
            assert!(ShardSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hex_round_trips_and_rejects_junk() {
        assert_eq!(unhex(&hex(b"a b\n\xff")), Some(b"a b\n\xff".to_vec()));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn junk_is_reported_not_a_panic() {
        let files = |t: &str| vec![("f".to_string(), t.as_bytes().to_vec())];
        for text in [
            "",
            "crossover-shard 6",
            "crossover-shard 6\nfingerprint 0\nshard 0 1\n",
            "crossover-shard 6\nfingerprint 0\nshard 2 1\nend\n",
            "crossover-shard 6\nfingerprint 0\nshard 0 1\nrec 1 2 3\nend\n",
            "crossover-shard 6\nfingerprint 0\nshard 0 1\nbogus\nend\n",
            "crossover-shard 6\nfingerprint 0\nshard 0 1\nend\n",
        ] {
            assert!(merge(&files(text)).is_err(), "{text:?}");
        }
        assert_eq!(merge(&[]).err(), Some(MergeError::Empty));
    }

    /// A sweep over `vary` of an hour on one fixed instance, `replications` a point.
    fn one_instance_plan(replications: u32, vary: &str) -> Plan {
        let text = format!(
            "name = \"b\"\n[simulation]\nhorizon = \"1h\"\nreplications = {replications}\n[traffic]\n\
             profile = \"constant\"\nrps = 1.0\n[service]\ncpu = \"1ms\"\n[[platform]]\nname = \"a\"\n\
             autoscaler = {{ kind = \"fixed\", instances = 1 }}\n"
        );
        let build = |o: &[crossover_scenario::Override]| {
            crossover_scenario::parse_with_overrides(&text, "b.toml", "b", o).map_err(|e| e.to_string())
        };
        Plan::new(vec![Vary::parse(vary).unwrap()], build).unwrap()
    }

    /// Units are split by estimated work, not by index: with rates 1, 2, 3 and 1000
    /// on two shards, index modulo 2 paired 1000 with 2; the balanced split gives the
    /// heavy point a shard of its own. Every unit is in exactly one shard.
    #[test]
    fn shards_are_balanced_by_estimated_work() {
        let plan = one_instance_plan(1, "traffic.rps=1,2,3,1000");
        let points = |k| -> Vec<usize> {
            shard_jobs(&plan, ShardSpec { index: k, count: 2 }).iter().map(|j| j.point).collect()
        };
        assert_eq!(points(0), vec![3]);
        assert_eq!(points(1), vec![0, 1, 2]);
        // More shards than units: the extra ones are empty, no unit is lost or doubled.
        let all: Vec<usize> = (0..6)
            .flat_map(|k| shard_jobs(&plan, ShardSpec { index: k, count: 6 }))
            .map(|j| j.point)
            .collect();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3]);
    }

    /// A record's metrics are checked value by value (here a NaN cost) like a checkpoint's.
    #[test]
    fn impossible_metrics_are_refused() {
        let mut m = crate::resume::tests_support::metrics();
        let good = metrics_tokens(&m);
        assert!(parse_metrics(&good.iter().map(String::as_str).collect::<Vec<_>>()).is_some());
        m.cost.cpu = f64::NAN;
        let job = Job { point: 0, replication: 0, platform: 0 };
        let rec = record_line(job, &m, &Latencies::default());
        let text = format!("crossover-shard 6\nfingerprint 0\nshard 0 1\n{rec}\nend\n");
        let e = merge(&[("f".to_string(), text.into_bytes())]).err().unwrap().to_string();
        assert!(e.contains("line 4") && e.contains("`cost.cpu` is NaN"), "{e}");
    }

    /// A stack's record carries its shared bill, every service's metrics and histogram,
    /// bit for bit; one whose services do not add up to the stack is refused.
    #[test]
    fn a_stack_record_round_trips() {
        let mut m = crate::resume::tests_support::two_services();
        // A commitment's fee is carried for the stack, the shared part and each service.
        m.cost.commitment = 3.0;
        m.shared_cost.commitment = 0.5;
        m.services[0].cost.commitment = 1.0;
        m.services[1].cost.commitment = 1.5;
        let mut a = LatencyRecorder::new();
        a.record(SimDuration::from_millis(3));
        let mut b = LatencyRecorder::new();
        b.record(SimDuration::from_millis(70));
        let mut stack = a.clone();
        stack.merge(&b);
        let latency = Latencies { stack, services: vec![a, b] };
        let job = Job { point: 1, replication: 0, platform: 2 };
        let line = record_line(job, &m, &latency);
        let back = parse_record(line.strip_prefix("rec ").unwrap()).unwrap();
        assert_eq!(back, (job, m.clone(), latency.clone()));
        // A service histogram short, or a service's cost that is no longer its share.
        let cut = line.rsplit_once(' ').unwrap().0;
        assert!(parse_record(cut.strip_prefix("rec ").unwrap()).is_err());
        let mut off = m;
        off.services[0].cost.nodes += 1.0;
        let line = record_line(job, &off, &latency);
        let e = parse_record(line.strip_prefix("rec ").unwrap()).unwrap_err();
        assert!(e.contains("cost.nodes add up to 120"), "{e}");
    }

    /// Counts in a shard file or `--shard` are bounded before anything is sized by them:
    /// `--shard 0/4294967295` and a file's `shard 0 4294967295` asked for 34 and 68 GB
    /// (the process aborted), a point's replication count of 4e9 for 100 GB.
    #[test]
    fn absurd_counts_are_refused_not_allocated() {
        assert!(ShardSpec::parse("0/4294967295").unwrap_err().contains("at most 1000000"));
        assert_eq!(ShardSpec::parse("0/1000000"), Ok(ShardSpec { index: 0, count: MAX_SHARDS }));
        let text = "crossover-shard 6\nfingerprint 0\nshard 0 4294967295\nend\n";
        let e = merge(&[("f".to_string(), text.as_bytes().to_vec())]).err().unwrap().to_string();
        assert!(e.contains("no valid `shard K N` line"), "{e}");
        // One point of 4e9 replications on one platform, and no record.
        let text = format!(
            "crossover-shard 6\nfingerprint 0\nshard 0 1\nscenario {}\nslo_ms none\nvary {}\n\
             point 0 1 4294967295 {}\nservices 0 {}=none\nend\n",
            hex(b"s"),
            hex(b"traffic.rps=1"),
            hex(b"a"),
            hex(b"service")
        );
        let e = merge(&[("f".to_string(), text.into_bytes())]).err().unwrap().to_string();
        assert!(
            e.contains("has 4294967295 (point, replication, platform) records, the shards hold 0"),
            "{e}"
        );
    }

    /// The heap picks the shard the scan of every shard picked, so splits are unchanged;
    /// and a million shards split 5,000 units at once (the scan took seconds, 16 s for
    /// --shard 0/1000000000 of 4 units).
    #[test]
    fn many_shards_split_quickly_and_as_before() {
        let plan = one_instance_plan(5, "traffic.rps=0..200:1000");
        let scan = |count: u32| -> Vec<u32> {
            let work: Vec<f64> = plan
                .points
                .iter()
                .flat_map(|p| {
                    let s = &p.scenario;
                    let r = crate::guard::expected_requests(&s.services[0].traffic, s.horizon.as_nanos());
                    std::iter::repeat_n(r + UNIT_OVERHEAD_REQUESTS, s.replications as usize)
                })
                .collect();
            let mut order: Vec<usize> = (0..work.len()).collect();
            order.sort_by(|&a, &b| work[b].total_cmp(&work[a]).then(a.cmp(&b)));
            let mut load = vec![0.0f64; count as usize];
            let mut shard_of = vec![0u32; work.len()];
            for unit in order {
                let k = (0..load.len()).min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b))).unwrap();
                load[k] += work[unit];
                shard_of[unit] = k as u32;
            }
            shard_of
        };
        for count in [1, 2, 7, 64, 4999, 5000, 6000] {
            assert_eq!(assignment(&plan, count), scan(count), "{count} shards");
        }
        let started = std::time::Instant::now();
        let split = assignment(&plan, MAX_SHARDS);
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
        let mut used = split.clone();
        used.sort_unstable();
        assert_eq!(used, (0..5000).collect::<Vec<u32>>());
    }

    #[test]
    fn missing_shards_are_listed_as_runs() {
        assert_eq!(spans(&[2]), "2");
        assert_eq!(spans(&[0, 3, 4, 5, 7]), "0, 3-5, 7");
        let many: Vec<usize> = (0..100).map(|i| i * 2).chain(300..1000).collect();
        assert_eq!(spans(&many).split(", ").count(), 21);
        assert!(spans(&many).ends_with("and 780 more"), "{}", spans(&many));
    }
}
