//! Checkpoints: the completed part of an interrupted run, as text, tied to its scenario.
//!
//! A checkpoint holds a fingerprint of the resolved scenario (so a different scenario,
//! seed, replication count or platform selection cannot resume from it), and per
//! platform the merged latency histogram of its completed replications (HdrHistogram
//! V2, hex; and each service's, when the stack has several) and each completed
//! replication's metrics, its services' included, floats as their exact bits. A resumed
//! run therefore produces byte-identical results to an uninterrupted one.
//!
//! ```text
//! crossover-checkpoint 4
//! scenario 9f0c1d2e3a4b5c6d
//! replications 8
//! platforms 2
//! services 2
//! latency 0 1c849303...
//! latency 1 1c849303...
//! service-latency 0 0 1c849303...
//! service-latency 0 1 1c849303...
//! service-latency 1 0 1c849303...
//! service-latency 1 1 1c849303...
//! job 0 0 cost.cpu=3fe0000000000000 ... service.1.counters.arrived=617 ...
//! end
//! ```
//!
//! Format 2 (before stacks) had no `services` line and no per-service metrics; such a
//! checkpoint is refused by name, as is anything else.

use crate::{Latencies, Partial, PartialPlatform, ReplicationMetrics, RunResult, ServiceMetrics};
use crossover_engine::LatencyRecorder;
use crossover_platform::{Committed, CostBreakdown, Counters, JobStats};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use thiserror::Error;

/// The checkpoint's file name inside an output folder.
pub const FILE_NAME: &str = "checkpoint.txt";

const MAGIC: &str = "crossover-checkpoint 4";
/// What every version of the format starts with.
const MAGIC_PREFIX: &str = "crossover-checkpoint ";
/// The last line: a file without it was cut short.
const END: &str = "end";

/// FNV-1a (64 bit) of the resolved scenario text: stable across platforms and builds.
pub fn fingerprint(resolved_scenario: &str) -> u64 {
    resolved_scenario
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

#[derive(Clone, Debug, Error, PartialEq)]
pub enum CheckpointError {
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error(
        "it was made for a different scenario (or different --set, -n, --seed, --platform or \
         tool version); delete it, or run without --resume"
    )]
    OtherScenario,
}

/// Every job of a finished run, as a checkpoint holds them: resuming from it runs nothing
/// and gives the same result (a batch keeps these until it ends).
pub fn completed(result: &RunResult) -> Partial {
    let platforms = result
        .platforms
        .iter()
        .map(|p| PartialPlatform {
            platform: p.platform.clone(),
            replications: p.replications.clone(),
            latency: p.latencies(),
        })
        .collect();
    Partial { platforms }
}

/// Renders `partial` of a run of the scenario with `fingerprint` and `replications`,
/// whose stacks have `services` services.
pub fn to_text(partial: &Partial, fingerprint: u64, replications: u32, services: usize) -> String {
    to_text_stacks(partial, fingerprint, replications, &vec![services; partial.platforms.len()])
}

/// [`to_text`] for stacks whose platforms run different numbers of services
/// (`only_services`): `services[i]` is platform i's. The `services` line holds one count
/// when they are all equal (as [`to_text`] writes it), else one per platform, separated
/// by commas.
pub fn to_text_stacks(partial: &Partial, fingerprint: u64, replications: u32, services: &[usize]) -> String {
    let counts = match services.split_first() {
        Some((first, rest)) if rest.iter().all(|n| n == first) => first.to_string(),
        _ => services.iter().map(usize::to_string).collect::<Vec<_>>().join(","),
    };
    let mut out = format!(
        "{MAGIC}\nscenario {fingerprint:016x}\nreplications {replications}\nplatforms {}\nservices {counts}\n",
        partial.platforms.len()
    );
    for (i, p) in partial.platforms.iter().enumerate() {
        let _ = writeln!(out, "latency {i} {}", hex(&p.latency.stack.to_v2_bytes()));
    }
    for (i, p) in partial.platforms.iter().enumerate() {
        let services = services.get(i).copied().unwrap_or(1);
        if services > 1 {
            for j in 0..services {
                // A platform with no completed job has no service histograms yet.
                let empty = LatencyRecorder::new();
                let l = p.latency.services.get(j).unwrap_or(&empty);
                let _ = writeln!(out, "service-latency {i} {j} {}", hex(&l.to_v2_bytes()));
            }
        }
    }
    let value = |out: &mut String, key: &str, value: Field| {
        let _ = match value {
            Field::F(x) => write!(out, " {key}={:016x}", x.to_bits()),
            Field::U(x) => write!(out, " {key}={x}"),
        };
    };
    for (i, p) in partial.platforms.iter().enumerate() {
        for m in &p.replications {
            let _ = write!(out, "job {} {i}", m.replication);
            for (key, v) in fields(m) {
                value(&mut out, key, v);
            }
            for (j, s) in m.services.iter().enumerate() {
                for (key, v) in service_fields(s) {
                    value(&mut out, &format!("service.{j}.{key}"), v);
                }
            }
            out.push('\n');
        }
    }
    out.push_str(END);
    out.push('\n');
    out
}

/// Reads a checkpoint for a run of the scenario with `fingerprint`, `replications` and
/// these `platforms` (names, in order). The number of services per stack is the
/// file's own (`services`); [`Partial::services`] tells it, for the caller to compare
/// with the scenario's.
pub fn parse(
    text: &str,
    fingerprint: u64,
    replications: u32,
    platforms: &[String],
) -> Result<Partial, CheckpointError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let bad = |line: usize, message: &str| CheckpointError::Malformed { line, message: message.into() };
    let mut header = |name: &str| -> Result<(usize, String), CheckpointError> {
        let (n, l) = lines.next().ok_or_else(|| bad(0, &format!("ends before `{name}`")))?;
        if name == MAGIC {
            return match l.strip_prefix(MAGIC_PREFIX) {
                _ if l == MAGIC => Ok((n, String::new())),
                Some(version) => Err(bad(
                    n,
                    &format!(
                        "a checkpoint in format {} (another version of crossover); this version reads \
                         format {}: delete it, or run without --resume",
                        version.trim(),
                        &MAGIC[MAGIC_PREFIX.len()..]
                    ),
                )),
                None => Err(bad(n, "not a crossover checkpoint")),
            };
        }
        let value = l.strip_prefix(name).and_then(|r| r.strip_prefix(' '));
        value.map(|v| (n, v.to_string())).ok_or_else(|| bad(n, &format!("expected `{name} ...`")))
    };
    header(MAGIC)?;
    let (n, scenario) = header("scenario")?;
    if u64::from_str_radix(&scenario, 16).map_err(|_| bad(n, "bad scenario fingerprint"))? != fingerprint {
        return Err(CheckpointError::OtherScenario);
    }
    let (n, reps) = header("replications")?;
    let (m, count) = header("platforms")?;
    if reps.parse() != Ok(replications) || count.parse() != Ok(platforms.len()) {
        return Err(bad(n.max(m), "replication or platform count differs from the scenario's"));
    }
    let (n, services) = header("services")?;
    let mut counts = Vec::new();
    for word in services.split(',') {
        match word.parse() {
            Ok(k) if (1..=MAX_SERVICES).contains(&k) => counts.push(k),
            _ => return Err(bad(n, &format!("the number of services must be 1 to {MAX_SERVICES}"))),
        }
    }
    let counts: Vec<usize> = match counts.as_slice() {
        [one] => vec![*one; platforms.len()],
        all if all.len() == platforms.len() => counts,
        _ => return Err(bad(n, "expected one number of services, or one per platform")),
    };
    let mut out: Vec<PartialPlatform> = platforms
        .iter()
        .map(|name| PartialPlatform {
            platform: name.clone(),
            replications: Vec::new(),
            latency: Latencies::default(),
        })
        .collect();
    let histogram = |n: usize, hex: &str| -> Result<LatencyRecorder, CheckpointError> {
        let bytes = unhex(hex).ok_or_else(|| bad(n, "bad hexadecimal"))?;
        LatencyRecorder::from_v2_bytes(&bytes).ok_or_else(|| bad(n, "not a latency histogram"))
    };
    for (i, p) in out.iter_mut().enumerate() {
        let (n, rest) = header("latency")?;
        let (index, bytes) = rest.split_once(' ').ok_or_else(|| bad(n, "expected `latency INDEX HEX`"))?;
        if index.parse() != Ok(i) {
            return Err(bad(n, &format!("expected the latency of platform {i}")));
        }
        p.latency.stack = histogram(n, bytes)?;
    }
    // A stack of one service keeps no histogram of its own for it: it is the stack's.
    for (i, p) in out.iter_mut().enumerate() {
        let services = counts[i];
        if services > 1 {
            for j in 0..services {
                let (n, rest) = header("service-latency")?;
                let mut words = rest.splitn(3, ' ');
                let (Some(pi), Some(sj), Some(bytes)) = (words.next(), words.next(), words.next()) else {
                    return Err(bad(n, "expected `service-latency PLATFORM SERVICE HEX`"));
                };
                if pi.parse() != Ok(i) || sj.parse() != Ok(j) {
                    return Err(bad(n, &format!("expected the latency of platform {i}'s service {j}")));
                }
                p.latency.services.push(histogram(n, bytes)?);
            }
        }
    }
    let mut seen = BTreeMap::new();
    let mut ended = false;
    for (n, line) in lines {
        if ended {
            return Err(bad(n, "text after the end line"));
        }
        if line == END {
            ended = true;
            continue;
        }
        let mut words = line.split(' ');
        let (Some("job"), Some(rep), Some(platform)) = (words.next(), words.next(), words.next()) else {
            return Err(bad(n, "expected `job REPLICATION PLATFORM KEY=VALUE ...`"));
        };
        let (Ok(rep), Ok(platform)) = (rep.parse::<u32>(), platform.parse::<usize>()) else {
            return Err(bad(n, "bad replication or platform index"));
        };
        if rep >= replications || platform >= platforms.len() || seen.insert((rep, platform), ()).is_some() {
            return Err(bad(n, "replication or platform out of range, or repeated"));
        }
        let values: BTreeMap<&str, &str> = words.filter_map(|w| w.split_once('=')).collect();
        let m = metrics(rep, counts[platform], &values)
            .map_err(|key| bad(n, &format!("missing or bad `{key}`")))?;
        if let Some(problem) = metrics_problem(&m) {
            return Err(bad(n, &problem));
        }
        out[platform].replications.push(m);
    }
    if !ended {
        return Err(bad(text.lines().count(), "the file is cut short (no end line)"));
    }
    for p in &mut out {
        p.replications.sort_by_key(|m| m.replication);
    }
    Ok(Partial { platforms: out })
}

/// The most services a checkpoint's stacks may have (far more than any stack; it bounds
/// what a damaged count makes the reader expect).
pub const MAX_SERVICES: usize = 10_000;

impl Partial {
    /// Services per stack, as the checkpoint's metrics hold them (`None` with no job).
    pub fn services(&self) -> Option<usize> {
        self.platforms.iter().flat_map(|p| &p.replications).map(|m| m.services.len()).next()
    }

    /// The first platform whose jobs hold another number of services than `expected`
    /// (one count per platform): (its index, the jobs' count).
    pub fn services_differ(&self, expected: &[usize]) -> Option<(usize, usize)> {
        self.platforms.iter().enumerate().find_map(|(i, p)| {
            let want = expected.get(i).copied().unwrap_or(0);
            p.replications.iter().map(|m| m.services.len()).find(|&n| n != want).map(|n| (i, n))
        })
    }
}

enum Field {
    F(f64),
    U(u64),
}

/// The largest value a saved metric may hold. No replication produces more (the
/// resource guard stops runs near 1e10 requests; latencies end at 24 h), and bounded
/// values cannot overflow when replications are summed.
pub const MAX_SAVED: f64 = 1e15;

/// Why metrics read back from a file (a checkpoint, a shard) cannot be a replication's,
/// or `None`: every float finite, non-negative and at most [`MAX_SAVED`], every count
/// at most that too, and the counters conserved (`arrived = completed + rejected +
/// timed_out + in_flight`, no more spilled than arrived, no more refused by a full
/// queue than rejected). A file edited or damaged
/// into a NaN cost or a wrapped counter is refused instead of reaching the results.
pub fn metrics_problem(m: &ReplicationMetrics) -> Option<String> {
    let stack = fields(m).into_iter().map(|(key, v)| (key.to_string(), v));
    let services = m.services.iter().enumerate().flat_map(|(j, s)| {
        service_fields(s).into_iter().map(move |(key, v)| (format!("service.{j}.{key}"), v))
    });
    for (key, value) in stack.chain(services) {
        match value {
            Field::F(x) if !(x.is_finite() && (0.0..=MAX_SAVED).contains(&x)) => {
                return Some(format!("`{key}` is {x}; a replication's values are finite, 0 to {MAX_SAVED:e}"))
            }
            Field::U(x) if x as f64 > MAX_SAVED => {
                return Some(format!("`{key}` is {x}; at most {MAX_SAVED:e}"))
            }
            _ => {}
        }
    }
    let whole = std::iter::once((String::new(), &m.counters));
    let each = m.services.iter().enumerate().map(|(j, s)| (format!("service {j}'s "), &s.counters));
    for (whose, c) in whole.chain(each) {
        let left = [c.completed, c.rejected, c.timed_out, c.in_flight]
            .iter()
            .try_fold(0u64, |a, b| a.checked_add(*b));
        if left != Some(c.arrived) {
            return Some(format!(
                "{whose}counters are not conserved: arrived {} but completed {} + rejected {} + timed out {} \
                 + in flight {}",
                c.arrived, c.completed, c.rejected, c.timed_out, c.in_flight
            ));
        }
        // A hybrid's spilled requests are among its arrivals (the baseline saw each first).
        if c.spilled > c.arrived {
            return Some(format!(
                "{whose}`counters.spilled` ({}) exceeds `counters.arrived` ({})",
                c.spilled, c.arrived
            ));
        }
        // A request refused by a full queue is counted among the rejected too.
        if c.queue_full > c.rejected {
            return Some(format!(
                "{whose}`counters.queue_full` ({}) exceeds `counters.rejected` ({}), which counts them",
                c.queue_full, c.rejected
            ));
        }
    }
    // Every replication has at least one service, and they add up to the stack.
    if m.services.is_empty() {
        return Some("no service metrics".into());
    }
    crate::checks::split("", m.services.len(), m)
        .err()
        .map(|e| format!("the services' {} add up to {} but the stack's is {}", e.what, e.parts, e.stack))
}

/// Every field of the metrics but its services' ([`service_fields`]), by name.
/// Destructured whole, so a field added to the metrics, counters or costs does not
/// compile until it is saved here too.
fn fields(m: &ReplicationMetrics) -> Vec<(&'static str, Field)> {
    let ReplicationMetrics {
        replication: _,
        cost,
        p50_ms,
        p90_ms,
        p99_ms,
        p999_ms,
        mean_ms,
        counters,
        mean_instances,
        peak_instances,
        mean_busy_instances,
        utilization,
        mean_in_system,
        mean_sojourn_secs,
        mean_queue_wait_secs,
        mean_nodes,
        peak_nodes,
        pending_pods,
        mean_pending_secs,
        overflow_cost,
        base_p99_ms,
        overflow_p99_ms,
        shared_cost,
        services: _,
        commitment,
    } = m;
    use Field::{F, U};
    let mut out = cost_fields(cost, COST_KEYS);
    out.extend([
        ("p50_ms", F(*p50_ms)),
        ("p90_ms", F(*p90_ms)),
        ("p99_ms", F(*p99_ms)),
        ("p999_ms", F(*p999_ms)),
        ("mean_ms", F(*mean_ms)),
    ]);
    out.extend(counter_fields(counters));
    out.extend([
        ("mean_instances", F(*mean_instances)),
        ("peak_instances", U(u64::from(*peak_instances))),
        ("mean_busy_instances", F(*mean_busy_instances)),
        ("utilization", F(*utilization)),
        ("mean_in_system", F(*mean_in_system)),
        ("mean_sojourn_secs", F(*mean_sojourn_secs)),
        ("mean_queue_wait_secs", F(*mean_queue_wait_secs)),
        ("mean_nodes", F(*mean_nodes)),
        ("peak_nodes", U(u64::from(*peak_nodes))),
        ("pending_pods", U(*pending_pods)),
        ("mean_pending_secs", F(*mean_pending_secs)),
        ("overflow_cost", F(*overflow_cost)),
        ("base_p99_ms", F(*base_p99_ms)),
        ("overflow_p99_ms", F(*overflow_p99_ms)),
    ]);
    out.extend(cost_fields(shared_cost, SHARED_COST_KEYS));
    if let Some(c) = commitment {
        out.extend(commitment_fields(c));
    }
    out
}

/// A commitment's figures, written only for a platform that has one. Destructured
/// whole, like [`fields`].
fn commitment_fields(c: &Committed) -> [(&'static str, Field); 6] {
    let Committed { level, eligible, fee, covered, uncovered, utilisation } = *c;
    use Field::F;
    [
        ("commitment.level", F(level)),
        ("commitment.eligible", F(eligible)),
        ("commitment.fee", F(fee)),
        ("commitment.covered", F(covered)),
        ("commitment.uncovered", F(uncovered)),
        ("commitment.utilisation", F(utilisation)),
    ]
}

const COST_KEYS: [&str; 15] = [
    "cost.cpu",
    "cost.memory",
    "cost.gpu",
    "cost.idle",
    "cost.requests",
    "cost.egress",
    "cost.stopped",
    "cost.nodes",
    "cost.control_plane",
    "cost.fixed",
    "cost.load_balancer",
    "cost.nat",
    "cost.observability",
    "cost.people",
    "cost.commitment",
];

const SHARED_COST_KEYS: [&str; 15] = [
    "shared_cost.cpu",
    "shared_cost.memory",
    "shared_cost.gpu",
    "shared_cost.idle",
    "shared_cost.requests",
    "shared_cost.egress",
    "shared_cost.stopped",
    "shared_cost.nodes",
    "shared_cost.control_plane",
    "shared_cost.fixed",
    "shared_cost.load_balancer",
    "shared_cost.nat",
    "shared_cost.observability",
    "shared_cost.people",
    "shared_cost.commitment",
];

/// A bill's lines under `keys` (in [`COST_KEYS`] order). Destructured whole, so a new
/// line does not compile until it is saved. The commitment line is written only when a
/// commitment was paid, so a checkpoint without one reads as it always did.
fn cost_fields(c: &CostBreakdown, keys: [&'static str; 15]) -> Vec<(&'static str, Field)> {
    let CostBreakdown {
        cpu,
        memory,
        gpu,
        idle,
        requests,
        egress,
        stopped,
        nodes,
        control_plane,
        fixed,
        load_balancer,
        nat,
        observability,
        people,
        commitment,
    } = *c;
    let values = [
        cpu,
        memory,
        gpu,
        idle,
        requests,
        egress,
        stopped,
        nodes,
        control_plane,
        fixed,
        load_balancer,
        nat,
        observability,
        people,
    ];
    let mut out: Vec<_> = keys.into_iter().zip(values.map(Field::F)).collect();
    if commitment != 0.0 {
        out.push((keys[14], Field::F(commitment)));
    }
    out
}

/// A bill read back from `get(key)` for each of `keys` (in [`COST_KEYS`] order); the
/// commitment line only if `has` it.
fn cost_from<E>(
    keys: [&'static str; 15],
    get: impl Fn(&'static str) -> Result<f64, E>,
    has: impl Fn(&'static str) -> bool,
) -> Result<CostBreakdown, E> {
    Ok(CostBreakdown {
        cpu: get(keys[0])?,
        memory: get(keys[1])?,
        gpu: get(keys[2])?,
        idle: get(keys[3])?,
        requests: get(keys[4])?,
        egress: get(keys[5])?,
        stopped: get(keys[6])?,
        nodes: get(keys[7])?,
        control_plane: get(keys[8])?,
        fixed: get(keys[9])?,
        load_balancer: get(keys[10])?,
        nat: get(keys[11])?,
        observability: get(keys[12])?,
        people: get(keys[13])?,
        commitment: if has(keys[14]) { get(keys[14])? } else { 0.0 },
    })
}

/// Every field of one service's metrics, by name (saved as `service.J.NAME`).
/// Destructured whole, like [`fields`].
fn service_fields(s: &ServiceMetrics) -> Vec<(&'static str, Field)> {
    let ServiceMetrics {
        cost,
        p50_ms,
        p90_ms,
        p99_ms,
        p999_ms,
        mean_ms,
        counters,
        mean_instances,
        peak_instances,
        mean_busy_instances,
        utilization,
        mean_in_system,
        mean_sojourn_secs,
        mean_queue_wait_secs,
        pending_pods,
        mean_pending_secs,
        jobs,
    } = s;
    use Field::{F, U};
    let mut out = cost_fields(cost, COST_KEYS);
    out.extend([
        ("p50_ms", F(*p50_ms)),
        ("p90_ms", F(*p90_ms)),
        ("p99_ms", F(*p99_ms)),
        ("p999_ms", F(*p999_ms)),
        ("mean_ms", F(*mean_ms)),
    ]);
    out.extend(counter_fields(counters));
    out.extend([
        ("mean_instances", F(*mean_instances)),
        ("peak_instances", U(u64::from(*peak_instances))),
        ("mean_busy_instances", F(*mean_busy_instances)),
        ("utilization", F(*utilization)),
        ("mean_in_system", F(*mean_in_system)),
        ("mean_sojourn_secs", F(*mean_sojourn_secs)),
        ("mean_queue_wait_secs", F(*mean_queue_wait_secs)),
        ("pending_pods", U(*pending_pods)),
        ("mean_pending_secs", F(*mean_pending_secs)),
    ]);
    // Only a worker or a scheduled job has any: an HTTP service's lines stay as they were
    // (and a checkpoint written before workers existed reads as it did).
    if *jobs != JobStats::default() {
        out.extend(job_fields(jobs));
    }
    out
}

/// A worker's or a scheduled job's figures by name. Destructured whole.
fn job_fields(j: &JobStats) -> [(&'static str, Field); 8] {
    let JobStats {
        peak_backlog,
        mean_backlog,
        runs,
        skipped_runs,
        missed_deadlines,
        finished_runs,
        makespan_p50_secs,
        makespan_p99_secs,
    } = *j;
    use Field::{F, U};
    [
        ("jobs.peak_backlog", U(peak_backlog)),
        ("jobs.mean_backlog", F(mean_backlog)),
        ("jobs.runs", U(runs)),
        ("jobs.skipped_runs", U(skipped_runs)),
        ("jobs.missed_deadlines", U(missed_deadlines)),
        ("jobs.finished_runs", U(finished_runs)),
        ("jobs.makespan_p50_secs", F(makespan_p50_secs)),
        ("jobs.makespan_p99_secs", F(makespan_p99_secs)),
    ]
}

/// Counters by name. Destructured whole.
fn counter_fields(c: &Counters) -> [(&'static str, Field); 11] {
    let Counters {
        arrived,
        completed,
        rejected,
        timed_out,
        in_flight,
        cold_starts,
        cold_start_requests,
        queued,
        interruptions,
        spilled,
        queue_full,
    } = *c;
    use Field::U;
    [
        ("counters.arrived", U(arrived)),
        ("counters.completed", U(completed)),
        ("counters.rejected", U(rejected)),
        ("counters.timed_out", U(timed_out)),
        ("counters.in_flight", U(in_flight)),
        ("counters.cold_starts", U(cold_starts)),
        ("counters.cold_start_requests", U(cold_start_requests)),
        ("counters.queued", U(queued)),
        ("counters.interruptions", U(interruptions)),
        ("counters.spilled", U(spilled)),
        ("counters.queue_full", U(queue_full)),
    ]
}

/// Counters read back from `get(key)`.
fn counters_from<E>(get: impl Fn(&'static str) -> Result<u64, E>) -> Result<Counters, E> {
    Ok(Counters {
        arrived: get("counters.arrived")?,
        completed: get("counters.completed")?,
        rejected: get("counters.rejected")?,
        timed_out: get("counters.timed_out")?,
        in_flight: get("counters.in_flight")?,
        cold_starts: get("counters.cold_starts")?,
        cold_start_requests: get("counters.cold_start_requests")?,
        queued: get("counters.queued")?,
        interruptions: get("counters.interruptions")?,
        spilled: get("counters.spilled")?,
        queue_full: get("counters.queue_full")?,
    })
}

/// The metrics of `replication`, with `services` services, from `key=value` words; the
/// missing or bad key on error.
fn metrics(
    replication: u32,
    services: usize,
    v: &BTreeMap<&str, &str>,
) -> Result<ReplicationMetrics, String> {
    let f = |key: &str| -> Result<f64, String> {
        let bits = v.get(key).filter(|x| x.len() == 16).and_then(|x| u64::from_str_radix(x, 16).ok());
        bits.map(f64::from_bits).ok_or_else(|| key.to_string())
    };
    let u = |key: &str| -> Result<u64, String> {
        v.get(key).and_then(|x| x.parse().ok()).ok_or_else(|| key.to_string())
    };
    let u32_ = |key: &str| -> Result<u32, String> { u(key)?.try_into().map_err(|_| key.to_string()) };
    let mut service_metrics = Vec::with_capacity(services);
    for j in 0..services {
        let key = |k: &str| format!("service.{j}.{k}");
        let sf = |k: &str| f(&key(k));
        let su = |k: &str| u(&key(k));
        service_metrics.push(ServiceMetrics {
            cost: cost_from(COST_KEYS, sf, |k| v.contains_key(key(k).as_str()))?,
            p50_ms: sf("p50_ms")?,
            p90_ms: sf("p90_ms")?,
            p99_ms: sf("p99_ms")?,
            p999_ms: sf("p999_ms")?,
            mean_ms: sf("mean_ms")?,
            counters: counters_from(su)?,
            mean_instances: sf("mean_instances")?,
            peak_instances: u32_(&key("peak_instances"))?,
            mean_busy_instances: sf("mean_busy_instances")?,
            utilization: sf("utilization")?,
            mean_in_system: sf("mean_in_system")?,
            mean_sojourn_secs: sf("mean_sojourn_secs")?,
            mean_queue_wait_secs: sf("mean_queue_wait_secs")?,
            pending_pods: su("pending_pods")?,
            mean_pending_secs: sf("mean_pending_secs")?,
            jobs: if v.contains_key(key("jobs.runs").as_str()) {
                JobStats {
                    peak_backlog: su("jobs.peak_backlog")?,
                    mean_backlog: sf("jobs.mean_backlog")?,
                    runs: su("jobs.runs")?,
                    skipped_runs: su("jobs.skipped_runs")?,
                    missed_deadlines: su("jobs.missed_deadlines")?,
                    finished_runs: su("jobs.finished_runs")?,
                    makespan_p50_secs: sf("jobs.makespan_p50_secs")?,
                    makespan_p99_secs: sf("jobs.makespan_p99_secs")?,
                }
            } else {
                JobStats::default()
            },
        });
    }
    let m = ReplicationMetrics {
        replication,
        cost: cost_from(COST_KEYS, f, |k| v.contains_key(k))?,
        p50_ms: f("p50_ms")?,
        p90_ms: f("p90_ms")?,
        p99_ms: f("p99_ms")?,
        p999_ms: f("p999_ms")?,
        mean_ms: f("mean_ms")?,
        counters: counters_from(u)?,
        mean_instances: f("mean_instances")?,
        peak_instances: u32_("peak_instances")?,
        mean_busy_instances: f("mean_busy_instances")?,
        utilization: f("utilization")?,
        mean_in_system: f("mean_in_system")?,
        mean_sojourn_secs: f("mean_sojourn_secs")?,
        mean_queue_wait_secs: f("mean_queue_wait_secs")?,
        mean_nodes: f("mean_nodes")?,
        peak_nodes: u32_("peak_nodes")?,
        pending_pods: u("pending_pods")?,
        mean_pending_secs: f("mean_pending_secs")?,
        overflow_cost: f("overflow_cost")?,
        base_p99_ms: f("base_p99_ms")?,
        overflow_p99_ms: f("overflow_p99_ms")?,
        shared_cost: cost_from(SHARED_COST_KEYS, f, |k| v.contains_key(k))?,
        services: service_metrics,
        commitment: if v.contains_key("commitment.level") {
            Some(Committed {
                level: f("commitment.level")?,
                eligible: f("commitment.eligible")?,
                fee: f("commitment.fee")?,
                covered: f("commitment.covered")?,
                uncovered: f("commitment.uncovered")?,
                utilisation: f("commitment.utilisation")?,
            })
        } else {
            None
        },
    };
    // Every key written is read: nothing extra, nothing repeated.
    let expected = fields(&m).len() + m.services.iter().map(|s| service_fields(s).len()).sum::<usize>();
    if v.len() != expected {
        return Err("(unknown key)".into());
    }
    Ok(m)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

/// One replication's valid metrics, for other modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// The service of a one-service stack: the stack's own figures.
    pub fn whole(m: &ReplicationMetrics) -> ServiceMetrics {
        ServiceMetrics {
            cost: m.cost,
            p50_ms: m.p50_ms,
            p90_ms: m.p90_ms,
            p99_ms: m.p99_ms,
            p999_ms: m.p999_ms,
            mean_ms: m.mean_ms,
            counters: m.counters,
            mean_instances: m.mean_instances,
            peak_instances: m.peak_instances,
            mean_busy_instances: m.mean_busy_instances,
            utilization: m.utilization,
            mean_in_system: m.mean_in_system,
            mean_sojourn_secs: m.mean_sojourn_secs,
            mean_queue_wait_secs: m.mean_queue_wait_secs,
            pending_pods: m.pending_pods,
            mean_pending_secs: m.mean_pending_secs,
            jobs: JobStats::default(),
        }
    }

    pub fn metrics() -> ReplicationMetrics {
        let mut m = ReplicationMetrics {
            replication: 0,
            cost: CostBreakdown { cpu: 1.5, ..CostBreakdown::default() },
            p50_ms: 1.0,
            p90_ms: 2.0,
            p99_ms: 3.0,
            p999_ms: 4.0,
            mean_ms: 1.5,
            counters: Counters { arrived: 5, completed: 5, ..Counters::default() },
            mean_instances: 1.0,
            peak_instances: 1,
            mean_busy_instances: 0.5,
            utilization: 0.1,
            mean_in_system: 0.01,
            mean_sojourn_secs: 0.002,
            mean_queue_wait_secs: 0.0,
            mean_nodes: 0.0,
            peak_nodes: 0,
            pending_pods: 0,
            mean_pending_secs: 0.0,
            overflow_cost: 0.0,
            base_p99_ms: 3.0,
            overflow_p99_ms: 0.0,
            shared_cost: CostBreakdown::default(),
            services: Vec::new(),
            commitment: None,
        };
        m.services = vec![whole(&m)];
        m
    }

    /// [`metrics`] split between two services, `api` and `worker`, with a shared bill.
    pub fn two_services() -> ReplicationMetrics {
        let mut m = metrics();
        m.cost = CostBreakdown { cpu: 1.5, nodes: 119.0, control_plane: 73.0, ..CostBreakdown::default() };
        m.shared_cost = CostBreakdown { nodes: 29.0, control_plane: 73.0, ..CostBreakdown::default() };
        let mut api = whole(&m);
        api.cost = CostBreakdown { cpu: 1.0, nodes: 60.0, ..CostBreakdown::default() };
        api.counters = Counters { arrived: 3, completed: 3, ..Counters::default() };
        api.p99_ms = 2.5;
        let mut worker = whole(&m);
        worker.cost = CostBreakdown { cpu: 0.5, nodes: 30.0, ..CostBreakdown::default() };
        worker.counters = Counters { arrived: 2, completed: 2, ..Counters::default() };
        worker.p99_ms = 7.25;
        m.services = vec![api, worker];
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossover_engine::SimDuration;

    fn histogram(step: u64) -> LatencyRecorder {
        let mut latency = LatencyRecorder::new();
        for i in 1..500u64 {
            latency.record(SimDuration::from_micros(i * step));
        }
        latency
    }

    /// A one-service stack's checkpoint: two platforms, three replications cut short.
    fn partial() -> Partial {
        let m = |replication| {
            let mut m = ReplicationMetrics {
                replication,
                cost: CostBreakdown {
                    cpu: 0.1 + replication as f64,
                    fixed: 73.0,
                    // Replication 2 paid a commitment; the others had none.
                    commitment: if replication == 2 { 0.3 } else { 0.0 },
                    ..CostBreakdown::default()
                },
                p50_ms: 1.0 / 3.0,
                p90_ms: 2.5,
                p99_ms: 9.75,
                p999_ms: 12.0,
                mean_ms: std::f64::consts::PI,
                counters: Counters {
                    arrived: 10,
                    completed: 7,
                    rejected: 1,
                    timed_out: 1,
                    in_flight: 1,
                    spilled: 3,
                    ..Counters::default()
                },
                mean_instances: 1.25,
                peak_instances: 4,
                mean_busy_instances: 0.5,
                utilization: 0.1,
                mean_in_system: 0.01,
                mean_sojourn_secs: 0.2,
                mean_queue_wait_secs: 0.0,
                mean_nodes: 2.5,
                peak_nodes: 3,
                pending_pods: 7,
                mean_pending_secs: 41.5,
                overflow_cost: 12.5,
                base_p99_ms: 9.5,
                overflow_p99_ms: 0.1 + replication as f64,
                shared_cost: CostBreakdown { fixed: 73.0, ..CostBreakdown::default() },
                services: Vec::new(),
                commitment: (replication == 2).then_some(Committed {
                    level: 0.125,
                    eligible: 2.1,
                    fee: 0.3,
                    covered: 0.4,
                    uncovered: 1.7,
                    utilisation: 1.0 / 3.0,
                }),
            };
            let mut service = tests_support::whole(&m);
            service.cost.fixed = 0.0;
            m.services = vec![service];
            m
        };
        Partial {
            platforms: vec![
                PartialPlatform {
                    platform: "a".into(),
                    replications: vec![m(0), m(2)],
                    latency: Latencies { stack: histogram(997), services: Vec::new() },
                },
                PartialPlatform {
                    platform: "b".into(),
                    replications: vec![m(1)],
                    latency: Latencies::default(),
                },
            ],
        }
    }

    /// A two-service stack's checkpoint, each service with its own histogram.
    fn stack_partial() -> Partial {
        let m = |replication| ReplicationMetrics { replication, ..tests_support::two_services() };
        let latency = Latencies { stack: histogram(997), services: vec![histogram(13), histogram(4001)] };
        Partial {
            platforms: vec![
                PartialPlatform { platform: "a".into(), replications: vec![m(0), m(2)], latency },
                PartialPlatform { platform: "b".into(), replications: vec![], latency: Latencies::default() },
            ],
        }
    }

    fn names() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    #[test]
    fn round_trips_exactly() {
        let p = partial();
        let text = to_text(&p, 42, 3, 1);
        assert!(!text.contains("service-latency"), "one service keeps no histogram of its own");
        assert_eq!(text.matches("commitment.level=").count(), 1, "only where there is one");
        assert_eq!(parse(&text, 42, 3, &names()), Ok(p));
    }

    /// Every service's metrics and histogram come back bit for bit; a platform with no
    /// completed job comes back with empty histograms (what merging nothing gives).
    #[test]
    fn a_stack_round_trips_exactly() {
        let p = stack_partial();
        let text = to_text(&p, 42, 3, 2);
        assert!(text.contains("\nservices 2\n") && text.contains("service.1.counters.arrived=2"), "{text}");
        let back = parse(&text, 42, 3, &names()).unwrap();
        assert_eq!(back.platforms[0], p.platforms[0]);
        assert_eq!(back.platforms[1].latency.services, vec![LatencyRecorder::new(); 2]);
        assert_eq!(back.services(), Some(2));
        assert_eq!(back.platforms[0].replications[1].services[1].p99_ms, 7.25);
        // Read as a one-service checkpoint, its job lines have keys it does not expect.
        let as_one = text.replace("\nservices 2\n", "\nservices 1\n");
        assert!(parse(&as_one, 42, 3, &names()).is_err());
    }

    #[test]
    fn another_scenario_is_refused() {
        let text = to_text(&partial(), 42, 3, 1);
        assert_eq!(parse(&text, 43, 3, &names()), Err(CheckpointError::OtherScenario));
        assert!(matches!(parse(&text, 42, 4, &names()), Err(CheckpointError::Malformed { line: 4, .. })));
    }

    /// A checkpoint of an older format (before `queue_full`, or before stacks) says so,
    /// rather than naming a missing key.
    #[test]
    fn an_older_format_is_refused_by_name() {
        let old =
            to_text(&partial(), 42, 3, 1).replacen("crossover-checkpoint 4", "crossover-checkpoint 3", 1);
        let e = parse(&old, 42, 3, &names()).unwrap_err().to_string();
        assert!(e.starts_with("line 1: a checkpoint in format 3") && e.contains("reads format 4"), "{e}");
        assert!(e.contains("delete it"), "{e}");
        let e = parse("something else\n", 42, 3, &names()).unwrap_err().to_string();
        assert!(e.contains("not a crossover checkpoint"), "{e}");
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        for (text, services) in [(to_text(&partial(), 42, 3, 1), 1), (to_text(&stack_partial(), 42, 3, 2), 2)]
        {
            for cut in 0..text.len() - 1 {
                assert!(parse(&text[..cut], 42, 3, &names()).is_err(), "{services} service(s), cut at {cut}");
            }
        }
        let text = to_text(&partial(), 42, 3, 1);
        let edited = text.replace("counters.arrived=10", "counters.arrived=x");
        let e = parse(&edited, 42, 3, &names()).unwrap_err();
        assert!(e.to_string().contains("counters.arrived"), "{e}");
        let doubled = format!("{text}{}", text.lines().nth_back(1).unwrap());
        assert!(parse(&doubled, 42, 3, &names()).is_err());
        let repeated = text.replace("\nend\n", &format!("\n{}\nend\n", text.lines().nth_back(1).unwrap()));
        assert!(parse(&repeated, 42, 3, &names()).unwrap_err().to_string().contains("repeated"));
        assert!(parse("", 42, 3, &names()).is_err());
        for count in ["0", "x", "10001"] {
            let bad = text.replace("\nservices 1\n", &format!("\nservices {count}\n"));
            let e = parse(&bad, 42, 3, &names()).unwrap_err().to_string();
            assert!(e.contains("line 5: the number of services"), "{count}: {e}");
        }
    }

    /// Values no replication produces are refused value by value, as a scenario's are:
    /// a NaN cost reached summary.csv, and a wrapped `arrived` made completed > requests.
    #[test]
    fn impossible_values_are_refused() {
        let text = to_text(&partial(), 42, 3, 1);
        let nan = format!("cost.cpu={:016x}", f64::NAN.to_bits());
        let cpu = format!("cost.cpu={:016x}", 0.1f64.to_bits());
        let negative = format!("cost.cpu={:016x}", (-1.0f64).to_bits());
        for (from, to, says) in [
            (cpu.as_str(), nan.as_str(), "`cost.cpu` is NaN"),
            (cpu.as_str(), negative.as_str(), "`cost.cpu` is -1"),
            ("counters.arrived=10", "counters.arrived=18446744073709551615", "at most 1e15"),
            ("counters.arrived=10", "counters.arrived=9", "not conserved"),
            ("counters.spilled=3", "counters.spilled=11", "`counters.spilled` (11) exceeds"),
            ("counters.queue_full=0", "counters.queue_full=2", "`counters.queue_full` (2) exceeds"),
        ] {
            let edited = text.replacen(from, to, 1);
            assert_ne!(edited, text, "{from}");
            let e = parse(&edited, 42, 3, &names()).unwrap_err().to_string();
            assert!(e.contains(says) && e.starts_with("line "), "{to}: {e}");
        }
    }

    /// A service's figures are checked like the stack's, and the services must add up
    /// to the stack: requests and dollars.
    #[test]
    fn impossible_service_values_are_refused() {
        let text = to_text(&stack_partial(), 42, 3, 2);
        let half = format!("service.1.cost.cpu={:016x}", 0.5f64.to_bits());
        let nan = format!("service.1.cost.cpu={:016x}", f64::NAN.to_bits());
        let more = format!("service.1.cost.cpu={:016x}", 0.75f64.to_bits());
        for (from, to, says) in [
            (half.as_str(), nan.as_str(), "`service.1.cost.cpu` is NaN"),
            (
                "service.0.counters.completed=3",
                "service.0.counters.completed=2",
                "service 0's counters are not conserved",
            ),
            (half.as_str(), more.as_str(), "the services' cost.cpu add up to 1.75 but the stack's is 1.5"),
        ] {
            let edited = text.replacen(from, to, 1);
            assert_ne!(edited, text, "{from}");
            let e = parse(&edited, 42, 3, &names()).unwrap_err().to_string();
            assert!(e.contains(says) && e.starts_with("line "), "{to}: {e}");
        }
        // One request moved between services: each conserved, the stack too, but the
        // services' arrivals no longer add up.
        let moved = text
            .replacen("service.0.counters.arrived=3", "service.0.counters.arrived=4", 1)
            .replacen("service.0.counters.completed=3", "service.0.counters.completed=4", 1);
        let e = parse(&moved, 42, 3, &names()).unwrap_err().to_string();
        assert!(e.contains("the services' arrived add up to 6 but the stack's is 5"), "{e}");
    }

    #[test]
    fn the_fingerprint_is_pinned() {
        assert_eq!(fingerprint(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fingerprint("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
