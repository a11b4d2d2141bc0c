//! A hybrid platform: the baseline stack, and an overflow stack on another platform fed
//! only the requests the baseline's services spill.
//!
//! One loop advances both stacks, always handling the earlier of their next events (the
//! baseline's first on a tie, so a request spilled at time t meets the overflow
//! platform as it was at t). The overflow stack holds the services that spill, under
//! the overflow platform's spec for each, and draws from its own streams only: a
//! baseline that never saturates is exactly the baseline alone.

use super::outcome::{merge_minutes, Outcome, Parts};
use super::{Run, ServiceLoad, Stack, STOP_CHECK_EVENTS};
use crate::spec::PlatformSpec;
use std::sync::atomic::{AtomicBool, Ordering};

/// Simulates `base` with the overflow platform its services spill to.
pub(crate) fn simulate<'a>(
    mut base: Stack<'a>,
    parts: &[(&'a PlatformSpec, &'a ServiceLoad)],
    run: &Run,
    timeline: bool,
    stop: &AtomicBool,
) -> Option<Outcome> {
    let spilling: Vec<(&PlatformSpec, &ServiceLoad)> = parts
        .iter()
        .filter_map(|(spec, load)| spec.spill.as_ref().map(|spill| (&*spill.to, *load)))
        .collect();
    let mut overflow = Stack::new(&spilling, run, timeline, false);
    let peak = run_pair(&mut base, &mut overflow, stop)?;
    Some(hybrid_outcome(base, overflow, peak))
}

/// The shared loop; returns the peak of instances alive in both stacks at once, or
/// `None`, leaving both mid-horizon, if `stop` was set.
fn run_pair<'a>(base: &mut Stack<'a>, overflow: &mut Stack<'a>, stop: &AtomicBool) -> Option<u32> {
    base.start();
    overflow.start();
    let mut peak = base.sh.alive + overflow.sh.alive;
    let mut handled = 0u64;
    loop {
        handled += 1;
        if handled.is_multiple_of(STOP_CHECK_EVENTS) && stop.load(Ordering::Relaxed) {
            return None;
        }
        match (base.next_event_time(), overflow.next_event_time()) {
            (None, None) => break,
            (Some(a), Some(b)) if b < a => overflow.step(None),
            (None, Some(_)) => overflow.step(None),
            _ => {
                base.step(Some(&mut *overflow));
                overflow.gateway_arrived = base.arrived();
            }
        }
        peak = peak.max(base.sh.alive + overflow.sh.alive);
    }
    base.end();
    overflow.end();
    Some(peak)
}

/// Sums a hybrid's two stacks into one outcome (exactly, from their raw totals) and
/// keeps each part; each service adds its baseline and overflow parts.
fn hybrid_outcome(base: Stack, overflow: Stack, peak: u32) -> Outcome {
    let names: Vec<String> = overflow.services.iter().map(|s| s.name.to_string()).collect();
    let (mut b, base_totals) = base.finish();
    let (o, over_totals) = overflow.finish();
    let mut sums = base_totals.iter().fold(Default::default(), |mut a: super::Totals, t| {
        a.add(t);
        a
    });
    let over_sum = over_totals.iter().fold(Default::default(), |mut a: super::Totals, t| {
        a.add(t);
        a
    });
    sums.add(&over_sum);
    let per = |sum: u128, n: u64| if n == 0 { 0.0 } else { sum as f64 / n as f64 / 1e9 };
    b.counters.arrived -= b.counters.spilled;
    for s in &mut b.services {
        s.counters.arrived -= s.counters.spilled;
    }
    // The overflow stack spills nothing, so the sum's `spilled` is the baseline's.
    let mut counters = b.counters;
    counters.add(&o.counters);
    let mut latency = b.latency.clone();
    latency.merge(&o.latency);
    let services = b
        .services
        .iter()
        .zip(&base_totals)
        .map(|(s, mine)| match names.iter().position(|n| *n == s.name) {
            Some(j) => s.plus(&o.services[j], mine, &over_totals[j]),
            None => s.clone(),
        })
        .collect();
    Outcome {
        counters,
        latency,
        meters: b.meters,
        cost: b.cost.plus(&o.cost),
        mean_instances: b.mean_instances + o.mean_instances,
        peak_instances: peak,
        mean_busy_instances: b.mean_busy_instances + o.mean_busy_instances,
        utilization: if sums.vcpu_area > 0.0 { sums.cpu_work / sums.vcpu_area } else { 0.0 },
        mean_in_system: b.mean_in_system + o.mean_in_system,
        mean_sojourn_secs: per(sums.sojourn_ns, sums.departed),
        mean_queue_wait_secs: per(sums.queue_wait_ns, sums.dispatched),
        timeline: merge_minutes(&b.timeline, &o.timeline),
        mean_nodes: b.mean_nodes + o.mean_nodes,
        peak_nodes: b.peak_nodes + o.peak_nodes,
        pending_pods: sums.pending_pods,
        mean_pending_secs: per(sums.pending_wait_ns, sums.pending_pods),
        services,
        shared_cost: b.shared_cost.plus(&o.shared_cost),
        parts: Some(Box::new(Parts { base: b, overflow: o })),
    }
}
