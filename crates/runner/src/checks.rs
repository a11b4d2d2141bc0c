//! Self-checks run on every replication: a result that fails one is a bug in the model,
//! never a number to report. Each runs on the stack's totals and on every service of
//! the stack on its own.
//!
//! - Conservation: arrived = completed + rejected + timed out + in flight at the end.
//! - The split: the services' requests add up to the stack's, count by count, and the
//!   shared bill plus every service's allocated cost is the stack's bill, line by line
//!   (within rounding), so that `services.csv` accounts for the whole of `summary.csv`.
//! - Little's law, L = lambda W, as the identity it is over a finite horizon T: the area
//!   under the number in system is the sojourns of the requests that left plus the time
//!   the ones still in flight have spent so far, so with lambda = arrived / T
//!   `L - lambda W` lies in `[-in_flight x W / T, in_flight]`. A relative 1% (and an
//!   absolute 1e-9 for rounding) is allowed on top, so the check cannot fire on a valid
//!   run, yet catches requests whose time is counted in one place and not the other.

use crate::{ReplicationMetrics, RunError};
use crossover_engine::SimDuration;
use crossover_platform::{CostBreakdown, Counters, ServiceLoad};
use std::fmt;

/// A replication whose bookkeeping does not add up: a bug, never a result.
#[derive(Debug, Clone, PartialEq)]
pub struct ConservationError {
    /// Boxed strings keep the error small enough to return by value.
    pub platform: Box<str>,
    pub replication: u32,
    /// The service whose counters these are; `None` for the stack's totals.
    pub service: Option<Box<str>>,
    pub counters: Box<Counters>,
}

/// `platform "NAME"`, or `platform "NAME" service "S"`: what a message is about.
fn subject(platform: &str, service: Option<&str>) -> String {
    match service {
        Some(s) => format!("platform \"{platform}\" service \"{s}\""),
        None => format!("platform \"{platform}\""),
    }
}

impl fmt::Display for ConservationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counters;
        write!(
            f,
            "internal error: {} replication {} does not conserve requests: \
             arrived {} != completed {} + rejected {} + timed out {} + in flight {}",
            subject(&self.platform, self.service.as_deref()),
            self.replication,
            c.arrived,
            c.completed,
            c.rejected,
            c.timed_out,
            c.in_flight
        )
    }
}

impl std::error::Error for ConservationError {}

/// A replication whose time-average number in system is not what its arrivals and
/// sojourns imply.
#[derive(Debug, Clone, PartialEq)]
pub struct LittleError {
    pub platform: String,
    pub replication: u32,
    /// The service checked; `None` for the stack's totals.
    pub service: Option<String>,
    /// Time-average number in system.
    pub l: f64,
    /// Arrival rate times mean sojourn.
    pub lambda_w: f64,
    /// The allowed interval of `l - lambda_w`.
    pub allowed: (f64, f64),
}

impl fmt::Display for LittleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal error: {} replication {} breaks Little's law: mean in system {} vs \
             arrival rate x mean time in system {} (difference {}, allowed {} to {})",
            subject(&self.platform, self.service.as_deref()),
            self.replication,
            self.l,
            self.lambda_w,
            self.l - self.lambda_w,
            self.allowed.0,
            self.allowed.1
        )
    }
}

impl std::error::Error for LittleError {}

/// A replication whose services do not add up to its stack: a bug, never a result.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitError {
    pub platform: String,
    pub replication: u32,
    /// What does not add up: a counter (`arrived`), a cost line (`cost.nodes`) or the
    /// number of services.
    pub what: String,
    /// The stack's value and the sum over its parts.
    pub stack: f64,
    pub parts: f64,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal error: platform \"{}\" replication {}: the services' {} add up to {} but the stack's is {}",
            self.platform, self.replication, self.what, self.parts, self.stack
        )
    }
}

impl std::error::Error for SplitError {}

/// Every check on one replication of `platform`, whose stack runs `services`.
pub fn replication(
    platform: &str,
    services: &[ServiceLoad],
    m: &ReplicationMetrics,
    horizon: SimDuration,
) -> Result<(), RunError> {
    conservation(platform, services, m).map_err(RunError::Conservation)?;
    split(platform, services.len(), m).map_err(RunError::Split)?;
    littles_law(platform, services, m, horizon).map_err(RunError::Little)
}

/// The service's name for messages (its index if the metrics hold more services than
/// the scenario names, which [`split`] reports).
fn service_name(services: &[ServiceLoad], i: usize) -> String {
    services.get(i).map_or_else(|| format!("#{i}"), |s| s.name.clone())
}

/// Conservation of the stack's counters and of every service's.
pub fn conservation(
    platform: &str,
    services: &[ServiceLoad],
    m: &ReplicationMetrics,
) -> Result<(), ConservationError> {
    let whole = std::iter::once((None, &m.counters));
    let each =
        m.services.iter().enumerate().map(|(i, s)| (Some(service_name(services, i).into()), &s.counters));
    for (service, counters) in whole.chain(each) {
        if !counters.is_conserved() {
            return Err(ConservationError {
                platform: platform.into(),
                replication: m.replication,
                service,
                counters: Box::new(*counters),
            });
        }
    }
    Ok(())
}

/// The stack's `services` services are all there and add up to it: their conserved
/// counters exactly, their allocated costs plus the shared bill to the stack's bill,
/// line by line, within rounding.
pub fn split(platform: &str, services: usize, m: &ReplicationMetrics) -> Result<(), SplitError> {
    let error = |what: &str, stack: f64, parts: f64| SplitError {
        platform: platform.into(),
        replication: m.replication,
        what: what.into(),
        stack,
        parts,
    };
    if m.services.len() != services {
        return Err(error("number of services", services as f64, m.services.len() as f64));
    }
    let counts: [(&str, Count); 5] = [
        ("arrived", |c| c.arrived),
        ("completed", |c| c.completed),
        ("rejected", |c| c.rejected),
        ("timed_out", |c| c.timed_out),
        ("in_flight", |c| c.in_flight),
    ];
    for (what, f) in counts {
        let parts: u64 = m.services.iter().map(|s| f(&s.counters)).sum();
        if parts != f(&m.counters) {
            return Err(error(what, f(&m.counters) as f64, parts as f64));
        }
    }
    for (what, f) in cost_lines() {
        let stack = f(&m.cost);
        let parts = f(&m.shared_cost) + m.services.iter().map(|s| f(&s.cost)).sum::<f64>();
        // Float sums of a few terms: a relative 1e-9 is far above rounding and far
        // below a cent. Written so that NaN fails.
        let within = (stack - parts).abs() <= 1e-9 * stack.abs().max(parts.abs()) + 1e-9;
        if !within {
            return Err(error(what, stack, parts));
        }
    }
    Ok(())
}

/// A counter of [`Counters`], and a line of a bill.
type Count = fn(&Counters) -> u64;
type Line = fn(&CostBreakdown) -> f64;

/// Every line of a bill, by name.
fn cost_lines() -> [(&'static str, Line); 14] {
    [
        ("cost.cpu", |c| c.cpu),
        ("cost.memory", |c| c.memory),
        ("cost.gpu", |c| c.gpu),
        ("cost.idle", |c| c.idle),
        ("cost.requests", |c| c.requests),
        ("cost.egress", |c| c.egress),
        ("cost.stopped", |c| c.stopped),
        ("cost.nodes", |c| c.nodes),
        ("cost.control_plane", |c| c.control_plane),
        ("cost.fixed", |c| c.fixed),
        ("cost.load_balancer", |c| c.load_balancer),
        ("cost.nat", |c| c.nat),
        ("cost.observability", |c| c.observability),
        ("cost.people", |c| c.people),
    ]
}

/// Little's law over `horizon` (see the module documentation), for the stack and for
/// every service.
pub fn littles_law(
    platform: &str,
    services: &[ServiceLoad],
    m: &ReplicationMetrics,
    horizon: SimDuration,
) -> Result<(), LittleError> {
    let whole = std::iter::once((None, m.mean_in_system, m.mean_sojourn_secs, &m.counters));
    let each =
        m.services.iter().enumerate().map(|(i, s)| {
            (Some(service_name(services, i)), s.mean_in_system, s.mean_sojourn_secs, &s.counters)
        });
    for (service, l, w, counters) in whole.chain(each) {
        little(l, w, counters, horizon).map_err(|(lambda_w, allowed)| LittleError {
            platform: platform.into(),
            replication: m.replication,
            service,
            l,
            lambda_w,
            allowed,
        })?;
    }
    Ok(())
}

/// Little's law for one set of figures; on failure, lambda W and the allowed interval.
fn little(l: f64, w: f64, c: &Counters, horizon: SimDuration) -> Result<(), (f64, (f64, f64))> {
    let t = horizon.as_secs_f64();
    let lambda_w = c.arrived as f64 / t * w;
    let in_flight = c.in_flight as f64;
    let slack = 0.01 * l.abs().max(lambda_w.abs()) + 1e-9;
    let allowed = (-in_flight * w / t - slack, in_flight + slack);
    let d = l - lambda_w;
    // Written so that NaN fails.
    if d >= allowed.0 && d <= allowed.1 {
        Ok(())
    } else {
        Err((lambda_w, allowed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServiceMetrics;

    fn service(counters: Counters, l: f64, w: f64, cost: CostBreakdown) -> ServiceMetrics {
        ServiceMetrics {
            cost,
            p50_ms: 0.0,
            p90_ms: 0.0,
            p99_ms: 0.0,
            p999_ms: 0.0,
            mean_ms: 0.0,
            counters,
            mean_instances: 0.0,
            peak_instances: 0,
            mean_busy_instances: 0.0,
            utilization: 0.0,
            mean_in_system: l,
            mean_sojourn_secs: w,
            mean_queue_wait_secs: 0.0,
            pending_pods: 0,
            mean_pending_secs: 0.0,
            jobs: crossover_platform::JobStats::default(),
        }
    }

    /// A one-service replication: the service is the whole stack.
    fn metrics(arrived: u64, in_flight: u64, l: f64, w: f64) -> ReplicationMetrics {
        let counters = Counters { arrived, completed: arrived - in_flight, in_flight, ..Counters::default() };
        ReplicationMetrics {
            replication: 3,
            cost: CostBreakdown::default(),
            p50_ms: 0.0,
            p90_ms: 0.0,
            p99_ms: 0.0,
            p999_ms: 0.0,
            mean_ms: 0.0,
            counters,
            mean_instances: 0.0,
            peak_instances: 0,
            mean_busy_instances: 0.0,
            utilization: 0.0,
            mean_in_system: l,
            mean_sojourn_secs: w,
            mean_queue_wait_secs: 0.0,
            mean_nodes: 0.0,
            peak_nodes: 0,
            pending_pods: 0,
            mean_pending_secs: 0.0,
            overflow_cost: 0.0,
            base_p99_ms: 0.0,
            overflow_p99_ms: 0.0,
            shared_cost: CostBreakdown::default(),
            services: vec![service(counters, l, w, CostBreakdown::default())],
            commitment: None,
        }
    }

    /// Two services, `api` (3600 requests an hour of 1 s: L = 1) and `worker` (1800 of
    /// 2 s: L = 1), on a cluster: each pays its pods' requests, the stack also pays the
    /// nodes' idle capacity and the control plane.
    fn stack() -> (Vec<ServiceLoad>, ReplicationMetrics) {
        let loads = vec![crate::test_support::load("api", None), crate::test_support::load("worker", None)];
        let done = |n| Counters { arrived: n, completed: n, ..Counters::default() };
        let api_cost = CostBreakdown { nodes: 60.0, ..CostBreakdown::default() };
        let worker_cost = CostBreakdown { nodes: 30.0, ..CostBreakdown::default() };
        let shared =
            CostBreakdown { nodes: 29.0, control_plane: 73.0, people: 100.0, ..CostBreakdown::default() };
        let mut m = metrics(5400, 0, 2.0, 4.0 / 3.0);
        m.cost =
            CostBreakdown { nodes: 119.0, control_plane: 73.0, people: 100.0, ..CostBreakdown::default() };
        m.shared_cost = shared;
        m.services =
            vec![service(done(3600), 1.0, 1.0, api_cost), service(done(1800), 1.0, 2.0, worker_cost)];
        (loads, m)
    }

    const HOUR: SimDuration = SimDuration::from_hours(1);

    fn little1(m: &ReplicationMetrics) -> Result<(), LittleError> {
        littles_law("p", &[], m, HOUR)
    }

    #[test]
    fn an_exact_run_passes() {
        // 3600 arrivals in an hour, 2 s each: L = 2.
        assert_eq!(little1(&metrics(3600, 0, 2.0, 2.0)), Ok(()));
        assert_eq!(little1(&metrics(0, 0, 0.0, 0.0)), Ok(()));
        // Within 1%.
        assert_eq!(little1(&metrics(3600, 0, 2.015, 2.0)), Ok(()));
        let (loads, m) = stack();
        assert!(replication("eks", &loads, &m, HOUR).is_ok());
    }

    #[test]
    fn requests_in_flight_widen_the_interval() {
        // 10 requests still in system at the end add up to 10 to L and nothing to W.
        assert_eq!(little1(&metrics(3610, 10, 12.0, 2.0)), Ok(()));
        assert!(little1(&metrics(3610, 10, 12.5, 2.0)).is_err());
    }

    #[test]
    fn a_violation_names_platform_and_replication() {
        let e = littles_law("api", &[], &metrics(3600, 0, 3.0, 2.0), HOUR).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("platform \"api\" replication 3") && text.contains("Little"), "{text}");
        assert!(little1(&metrics(3600, 0, f64::NAN, 2.0)).is_err());
        assert!(little1(&metrics(3600, 0, 1.0, 2.0)).is_err());
    }

    #[test]
    fn conservation_names_platform_and_replication() {
        let mut m = metrics(10, 0, 0.0, 0.0);
        assert_eq!(conservation("api", &[], &m), Ok(()));
        m.counters.completed = 9;
        let e = conservation("api", &[], &m).unwrap_err();
        assert!(e.to_string().contains("platform \"api\" replication 3 does not conserve"), "{e}");
    }

    /// A service that loses a request is caught and named, though the stack's totals
    /// (kept apart) still add up.
    #[test]
    fn a_service_that_loses_a_request_is_named() {
        let (loads, mut m) = stack();
        m.services[1].counters.completed -= 1;
        assert!(m.counters.is_conserved());
        let Err(RunError::Conservation(e)) = replication("eks", &loads, &m, HOUR) else {
            panic!("a broken service counter passed")
        };
        assert_eq!(e.service.as_deref(), Some("worker"));
        let text = e.to_string();
        assert!(
            text.contains("platform \"eks\" service \"worker\" replication 3 does not conserve"),
            "{text}"
        );
    }

    /// Little's law holds for the stack (L = 2 = 5400/3600 x 4/3) yet not for a service
    /// whose time in system was counted in one place only.
    #[test]
    fn a_service_breaking_littles_law_is_named() {
        let (loads, mut m) = stack();
        m.services[0].mean_in_system = 1.5;
        assert!(littles_law("eks", &[], &metrics(5400, 0, 2.0, 4.0 / 3.0), HOUR).is_ok());
        let Err(RunError::Little(e)) = replication("eks", &loads, &m, HOUR) else {
            panic!("a service breaking Little's law passed")
        };
        assert_eq!(e.service.as_deref(), Some("api"));
        assert!(e.to_string().contains("service \"api\""), "{e}");
    }

    /// The services must account for the whole stack: every request and every dollar.
    #[test]
    fn services_that_do_not_add_up_to_the_stack_are_caught() {
        let (loads, m) = stack();
        // Each service conserved, but one request of the stack belongs to none.
        let mut lost = m.clone();
        lost.services[0].counters.arrived -= 1;
        lost.services[0].counters.completed -= 1;
        let Err(RunError::Split(e)) = replication("eks", &loads, &lost, HOUR) else { panic!("passed") };
        assert_eq!((e.what.as_str(), e.stack, e.parts), ("arrived", 5400.0, 5399.0));
        // A dollar of nodes billed to no one.
        let mut unbilled = m.clone();
        unbilled.shared_cost.nodes -= 1.0;
        let e = split("eks", 2, &unbilled).unwrap_err();
        assert_eq!(e.what, "cost.nodes");
        assert!(
            e.to_string().contains("the services' cost.nodes add up to 118 but the stack's is 119"),
            "{e}"
        );
        // A NaN never adds up.
        let mut nan = m.clone();
        nan.services[1].cost.cpu = f64::NAN;
        assert!(split("eks", 2, &nan).is_err());
        // A service missing from the metrics.
        let mut short = m;
        short.services.pop();
        assert_eq!(split("eks", 2, &short).unwrap_err().what, "number of services");
    }
}
