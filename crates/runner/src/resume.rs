//! Checkpoints: the completed part of an interrupted run, as text, tied to its scenario.
//!
//! A checkpoint holds a fingerprint of the resolved scenario (so a different scenario,
//! seed, replication count or platform selection cannot resume from it), and per
//! platform the merged latency histogram of its completed replications (HdrHistogram
//! V2, hex) and each completed replication's metrics, floats as their exact bits. A
//! resumed run therefore produces byte-identical results to an uninterrupted one.
//!
//! ```text
//! crossover-checkpoint 2
//! scenario 9f0c1d2e3a4b5c6d
//! replications 8
//! platforms 2
//! latency 0 1c849303...
//! latency 1 1c849303...
//! job 0 0 cost.cpu=3fe0000000000000 ... counters.arrived=1234 ...
//! end
//! ```

use crate::{Partial, PartialPlatform, ReplicationMetrics, RunResult};
use crossover_engine::LatencyRecorder;
use crossover_platform::{CostBreakdown, Counters};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use thiserror::Error;

/// The checkpoint's file name inside an output folder.
pub const FILE_NAME: &str = "checkpoint.txt";

const MAGIC: &str = "crossover-checkpoint 2";
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
            latency: p.latency.clone(),
        })
        .collect();
    Partial { platforms }
}

/// Renders `partial` of a run of the scenario with `fingerprint` and `replications`.
pub fn to_text(partial: &Partial, fingerprint: u64, replications: u32) -> String {
    let mut out = format!(
        "{MAGIC}\nscenario {fingerprint:016x}\nreplications {replications}\nplatforms {}\n",
        partial.platforms.len()
    );
    for (i, p) in partial.platforms.iter().enumerate() {
        let _ = writeln!(out, "latency {i} {}", hex(&p.latency.to_v2_bytes()));
    }
    for (i, p) in partial.platforms.iter().enumerate() {
        for m in &p.replications {
            let _ = write!(out, "job {} {i}", m.replication);
            for (key, value) in fields(m) {
                let _ = match value {
                    Field::F(x) => write!(out, " {key}={:016x}", x.to_bits()),
                    Field::U(x) => write!(out, " {key}={x}"),
                };
            }
            out.push('\n');
        }
    }
    out.push_str(END);
    out.push('\n');
    out
}

/// Reads a checkpoint for a run of the scenario with `fingerprint`, `replications` and
/// these `platforms` (names, in order).
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
            return if l == MAGIC {
                Ok((n, String::new()))
            } else {
                Err(bad(n, "not a crossover checkpoint"))
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
    let mut out: Vec<PartialPlatform> = platforms
        .iter()
        .map(|name| PartialPlatform {
            platform: name.clone(),
            replications: Vec::new(),
            latency: LatencyRecorder::new(),
        })
        .collect();
    for (i, p) in out.iter_mut().enumerate() {
        let (n, rest) = header("latency")?;
        let (index, bytes) = rest.split_once(' ').ok_or_else(|| bad(n, "expected `latency INDEX HEX`"))?;
        if index.parse() != Ok(i) {
            return Err(bad(n, &format!("expected the latency of platform {i}")));
        }
        let bytes = unhex(bytes).ok_or_else(|| bad(n, "bad hexadecimal"))?;
        p.latency =
            LatencyRecorder::from_v2_bytes(&bytes).ok_or_else(|| bad(n, "not a latency histogram"))?;
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
        let m = metrics(rep, &values).map_err(|key| bad(n, &format!("missing or bad `{key}`")))?;
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
/// timed_out + in_flight`, no more spilled than arrived). A file edited or damaged
/// into a NaN cost or a wrapped counter is refused instead of reaching the results.
pub fn metrics_problem(m: &ReplicationMetrics) -> Option<String> {
    for (key, value) in fields(m) {
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
    let c = &m.counters;
    let left =
        [c.completed, c.rejected, c.timed_out, c.in_flight].iter().try_fold(0u64, |a, b| a.checked_add(*b));
    if left != Some(c.arrived) {
        return Some(format!(
            "the counters are not conserved: arrived {} but completed {} + rejected {} + timed out {} + in \
             flight {}",
            c.arrived, c.completed, c.rejected, c.timed_out, c.in_flight
        ));
    }
    // A hybrid's spilled requests are among its arrivals (the baseline saw each first).
    if c.spilled > c.arrived {
        return Some(format!(
            "`counters.spilled` ({}) exceeds `counters.arrived` ({})",
            c.spilled, c.arrived
        ));
    }
    None
}

/// Every field of the metrics, by name. Destructured whole, so a field added to the
/// metrics, counters or costs does not compile until it is saved here too.
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
    } = m;
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
    } = cost;
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
    } = counters;
    use Field::{F, U};
    vec![
        ("cost.cpu", F(*cpu)),
        ("cost.memory", F(*memory)),
        ("cost.gpu", F(*gpu)),
        ("cost.idle", F(*idle)),
        ("cost.requests", F(*requests)),
        ("cost.egress", F(*egress)),
        ("cost.stopped", F(*stopped)),
        ("cost.nodes", F(*nodes)),
        ("cost.control_plane", F(*control_plane)),
        ("cost.fixed", F(*fixed)),
        ("cost.load_balancer", F(*load_balancer)),
        ("cost.nat", F(*nat)),
        ("cost.observability", F(*observability)),
        ("cost.people", F(*people)),
        ("p50_ms", F(*p50_ms)),
        ("p90_ms", F(*p90_ms)),
        ("p99_ms", F(*p99_ms)),
        ("p999_ms", F(*p999_ms)),
        ("mean_ms", F(*mean_ms)),
        ("counters.arrived", U(*arrived)),
        ("counters.completed", U(*completed)),
        ("counters.rejected", U(*rejected)),
        ("counters.timed_out", U(*timed_out)),
        ("counters.in_flight", U(*in_flight)),
        ("counters.cold_starts", U(*cold_starts)),
        ("counters.cold_start_requests", U(*cold_start_requests)),
        ("counters.queued", U(*queued)),
        ("counters.interruptions", U(*interruptions)),
        ("counters.spilled", U(*spilled)),
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
    ]
}

/// The metrics of `replication` from `key=value` words; the missing or bad key on error.
fn metrics(replication: u32, v: &BTreeMap<&str, &str>) -> Result<ReplicationMetrics, &'static str> {
    let f = |key: &'static str| -> Result<f64, &'static str> {
        let bits = v.get(key).filter(|x| x.len() == 16).and_then(|x| u64::from_str_radix(x, 16).ok());
        bits.map(f64::from_bits).ok_or(key)
    };
    let u = |key: &'static str| -> Result<u64, &'static str> {
        v.get(key).and_then(|x| x.parse().ok()).ok_or(key)
    };
    let m = ReplicationMetrics {
        replication,
        cost: CostBreakdown {
            cpu: f("cost.cpu")?,
            memory: f("cost.memory")?,
            gpu: f("cost.gpu")?,
            idle: f("cost.idle")?,
            requests: f("cost.requests")?,
            egress: f("cost.egress")?,
            stopped: f("cost.stopped")?,
            nodes: f("cost.nodes")?,
            control_plane: f("cost.control_plane")?,
            fixed: f("cost.fixed")?,
            load_balancer: f("cost.load_balancer")?,
            nat: f("cost.nat")?,
            observability: f("cost.observability")?,
            people: f("cost.people")?,
        },
        p50_ms: f("p50_ms")?,
        p90_ms: f("p90_ms")?,
        p99_ms: f("p99_ms")?,
        p999_ms: f("p999_ms")?,
        mean_ms: f("mean_ms")?,
        counters: Counters {
            arrived: u("counters.arrived")?,
            completed: u("counters.completed")?,
            rejected: u("counters.rejected")?,
            timed_out: u("counters.timed_out")?,
            in_flight: u("counters.in_flight")?,
            cold_starts: u("counters.cold_starts")?,
            cold_start_requests: u("counters.cold_start_requests")?,
            queued: u("counters.queued")?,
            interruptions: u("counters.interruptions")?,
            spilled: u("counters.spilled")?,
        },
        mean_instances: f("mean_instances")?,
        peak_instances: u("peak_instances")?.try_into().map_err(|_| "peak_instances")?,
        mean_busy_instances: f("mean_busy_instances")?,
        utilization: f("utilization")?,
        mean_in_system: f("mean_in_system")?,
        mean_sojourn_secs: f("mean_sojourn_secs")?,
        mean_queue_wait_secs: f("mean_queue_wait_secs")?,
        mean_nodes: f("mean_nodes")?,
        peak_nodes: u("peak_nodes")?.try_into().map_err(|_| "peak_nodes")?,
        pending_pods: u("pending_pods")?,
        mean_pending_secs: f("mean_pending_secs")?,
        overflow_cost: f("overflow_cost")?,
        base_p99_ms: f("base_p99_ms")?,
        overflow_p99_ms: f("overflow_p99_ms")?,
    };
    // Every key written is read: nothing extra, nothing repeated.
    if v.len() != fields(&m).len() {
        return Err("(unknown key)");
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

    pub fn metrics() -> ReplicationMetrics {
        ReplicationMetrics {
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossover_engine::SimDuration;

    fn partial() -> Partial {
        let mut latency = LatencyRecorder::new();
        for i in 1..500u64 {
            latency.record(SimDuration::from_micros(i * 997));
        }
        let m = |replication| ReplicationMetrics {
            replication,
            cost: CostBreakdown { cpu: 0.1 + replication as f64, fixed: 73.0, ..CostBreakdown::default() },
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
        };
        Partial {
            platforms: vec![
                PartialPlatform { platform: "a".into(), replications: vec![m(0), m(2)], latency },
                PartialPlatform {
                    platform: "b".into(),
                    replications: vec![m(1)],
                    latency: LatencyRecorder::new(),
                },
            ],
        }
    }

    fn names() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    #[test]
    fn round_trips_exactly() {
        let p = partial();
        let text = to_text(&p, 42, 3);
        assert_eq!(parse(&text, 42, 3, &names()), Ok(p));
    }

    #[test]
    fn another_scenario_is_refused() {
        let text = to_text(&partial(), 42, 3);
        assert_eq!(parse(&text, 43, 3, &names()), Err(CheckpointError::OtherScenario));
        assert!(matches!(parse(&text, 42, 4, &names()), Err(CheckpointError::Malformed { line: 4, .. })));
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let text = to_text(&partial(), 42, 3);
        for cut in 0..text.len() - 1 {
            assert!(parse(&text[..cut], 42, 3, &names()).is_err(), "cut at {cut}");
        }
        let edited = text.replace("counters.arrived=10", "counters.arrived=x");
        let e = parse(&edited, 42, 3, &names()).unwrap_err();
        assert!(e.to_string().contains("counters.arrived"), "{e}");
        let doubled = format!("{text}{}", text.lines().nth_back(1).unwrap());
        assert!(parse(&doubled, 42, 3, &names()).is_err());
        let repeated = text.replace("\nend\n", &format!("\n{}\nend\n", text.lines().nth_back(1).unwrap()));
        assert!(parse(&repeated, 42, 3, &names()).unwrap_err().to_string().contains("repeated"));
        assert!(parse("", 42, 3, &names()).is_err());
    }

    /// Values no replication produces are refused value by value, as a scenario's are:
    /// a NaN cost reached summary.csv, and a wrapped `arrived` made completed > requests.
    #[test]
    fn impossible_values_are_refused() {
        let text = to_text(&partial(), 42, 3);
        let nan = format!("cost.cpu={:016x}", f64::NAN.to_bits());
        let cpu = format!("cost.cpu={:016x}", 0.1f64.to_bits());
        let negative = format!("cost.cpu={:016x}", (-1.0f64).to_bits());
        for (from, to, says) in [
            (cpu.as_str(), nan.as_str(), "`cost.cpu` is NaN"),
            (cpu.as_str(), negative.as_str(), "`cost.cpu` is -1"),
            ("counters.arrived=10", "counters.arrived=18446744073709551615", "at most 1e15"),
            ("counters.arrived=10", "counters.arrived=9", "not conserved"),
            ("counters.spilled=3", "counters.spilled=11", "`counters.spilled` (11) exceeds"),
        ] {
            let edited = text.replacen(from, to, 1);
            assert_ne!(edited, text, "{from}");
            let e = parse(&edited, 42, 3, &names()).unwrap_err().to_string();
            assert!(e.contains(says) && e.starts_with("line "), "{to}: {e}");
        }
    }

    #[test]
    fn the_fingerprint_is_pinned() {
        assert_eq!(fingerprint(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fingerprint("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
