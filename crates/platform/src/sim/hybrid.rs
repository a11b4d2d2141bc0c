//! A hybrid platform: the baseline stack, and an overflow stack on each platform its
//! services spill to, fed only the requests they spill.
//!
//! One loop advances all the stacks, always handling the earliest of their next events
//! (the baseline's first on a tie, so a request spilled at time t meets the overflow
//! platform as it was at t). An overflow stack holds the services that spill to its
//! platform, under that platform's spec for each, and draws from its own streams only:
//! a baseline that never saturates is exactly the baseline alone.

use super::outcome::{mean_secs, merge_minutes, Outcome, Parts, ServiceOutcome};
use super::{Run, ServiceLoad, Stack, Totals, STOP_CHECK_EVENTS};
use crate::spec::PlatformSpec;
use crossover_engine::SimTime;
use std::sync::atomic::{AtomicBool, Ordering};

/// Simulates `base` with the overflow platforms its services spill to.
pub(crate) fn simulate<'a>(
    mut base: Stack<'a>,
    parts: &[(&'a PlatformSpec, &'a ServiceLoad)],
    run: &Run,
    timeline: bool,
    stop: &AtomicBool,
) -> Option<Outcome> {
    // One overflow stack per platform spilled to, in the order services name them, each
    // holding the services that spill there under that platform's spec for them.
    let mut targets: Vec<Vec<(&PlatformSpec, &ServiceLoad)>> = Vec::new();
    for (spec, load) in parts {
        let Some(spill) = &spec.spill else { continue };
        match targets.iter_mut().find(|t| t[0].0.name == spill.to.name) {
            Some(t) => t.push((&*spill.to, *load)),
            None => targets.push(vec![(&*spill.to, *load)]),
        }
    }
    let mut overflows: Vec<Stack> = targets.iter().map(|t| Stack::new(t, run, timeline, false)).collect();
    base.spill_to = parts
        .iter()
        .map(|(spec, load)| {
            let spill = spec.spill.as_ref()?;
            let o = targets.iter().position(|t| t[0].0.name == spill.to.name)?;
            let j = targets[o].iter().position(|(_, l)| l.name == load.name)?;
            Some((o as u32, j as u32))
        })
        .collect();
    let peak = run_all(&mut base, &mut overflows, stop)?;
    Some(hybrid_outcome(base, overflows, peak))
}

/// The shared loop: always the earliest event of all the stacks, the baseline's first
/// on a tie, then the overflow stacks' in order. Returns the peak of instances alive in
/// all of them at once, or `None`, leaving them mid-horizon, if `stop` was set.
fn run_all<'a>(base: &mut Stack<'a>, overflows: &mut [Stack<'a>], stop: &AtomicBool) -> Option<u32> {
    base.start();
    for o in overflows.iter_mut() {
        o.start();
    }
    let alive =
        |base: &Stack, overflows: &[Stack]| base.sh.alive + overflows.iter().map(|o| o.sh.alive).sum::<u32>();
    let mut peak = alive(base, overflows);
    let mut handled = 0u64;
    loop {
        handled += 1;
        if handled.is_multiple_of(STOP_CHECK_EVENTS) && stop.load(Ordering::Relaxed) {
            return None;
        }
        let mut next: Option<(SimTime, Option<usize>)> = base.next_event_time().map(|t| (t, None));
        for (i, o) in overflows.iter_mut().enumerate() {
            if let Some(t) = o.next_event_time() {
                if next.is_none_or(|(n, _)| t < n) {
                    next = Some((t, Some(i)));
                }
            }
        }
        match next {
            None => break,
            Some((_, Some(i))) => overflows[i].step(&mut []),
            Some((_, None)) => {
                base.step(overflows);
                let arrived = base.arrived();
                for o in overflows.iter_mut() {
                    o.gateway_arrived = arrived;
                }
            }
        }
        peak = peak.max(alive(base, overflows));
    }
    base.end();
    for o in overflows.iter_mut() {
        o.end();
    }
    Some(peak)
}

/// Sums a hybrid's stacks into one outcome (exactly, from their raw totals) and keeps
/// the baseline's part and the overflow platforms' (summed, as one part); each service
/// adds its baseline and overflow parts.
fn hybrid_outcome(base: Stack, overflows: Vec<Stack>, peak: u32) -> Outcome {
    let (mut b, base_totals) = base.finish();
    let mut sums = Totals::default();
    base_totals.iter().for_each(|t| sums.add(t));
    b.counters.arrived -= b.counters.spilled;
    for s in &mut b.services {
        s.counters.arrived -= s.counters.spilled;
    }
    let mut services: Vec<ServiceOutcome> = b.services.clone();
    let mut o: Option<Outcome> = None;
    for stack in overflows {
        let (part, totals) = stack.finish();
        totals.iter().for_each(|t| sums.add(t));
        for (j, s) in part.services.iter().enumerate() {
            let i = b
                .services
                .iter()
                .position(|m| m.name == s.name)
                .expect("an overflow service is a baseline's");
            services[i] = services[i].plus(s, &base_totals[i], &totals[j]);
        }
        o = Some(match o {
            None => part,
            Some(prev) => prev.and(part),
        });
    }
    let o = o.expect("a hybrid spills to some platform");
    // The overflow stacks spill nothing, so the sum's `spilled` is the baseline's.
    let mut counters = b.counters;
    counters.add(&o.counters);
    let mut latency = b.latency.clone();
    latency.merge(&o.latency);
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
        mean_sojourn_secs: mean_secs(sums.sojourn_ns, sums.departed),
        mean_queue_wait_secs: mean_secs(sums.queue_wait_ns, sums.dispatched),
        timeline: merge_minutes(&b.timeline, &o.timeline),
        mean_nodes: b.mean_nodes + o.mean_nodes,
        peak_nodes: b.peak_nodes + o.peak_nodes,
        pending_pods: sums.pending_pods,
        mean_pending_secs: mean_secs(sums.pending_wait_ns, sums.pending_pods),
        services,
        shared_cost: b.shared_cost.plus(&o.shared_cost),
        commitment: match (b.commitment, o.commitment) {
            (Some(x), Some(y)) => Some(x.plus(&y)),
            (x, y) => x.or(y),
        },
        eligible_hours: crate::commitment::add_hours(&b.eligible_hours, &o.eligible_hours),
        parts: Some(Box::new(Parts { base: b, overflow: o })),
    }
}
