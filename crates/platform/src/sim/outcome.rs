//! What a simulation returns: counts, latencies, fleet averages and the bill, for the
//! stack and for each of its services, and how they are put together (a stack's cost
//! split between its services, a hybrid's two fleets summed).

use crate::billing::{CostBreakdown, Meters, Tariff, HOURS_PER_MONTH};
use crate::commitment::{self, Committed, Hour};
use crate::timeline::MinuteStats;
use crossover_engine::{LatencyRecorder, SimDuration, SimTime};

/// Request and instance counts. Conservation: `arrived = completed + rejected +
/// timed_out + in_flight`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub arrived: u64,
    /// Served within the request timeout.
    pub completed: u64,
    /// Failed without a response: gave up waiting in the router's queue (HTTP 429/503),
    /// or lost when a Spot instance was reclaimed under it.
    pub rejected: u64,
    /// Served, but later than the request timeout.
    pub timed_out: u64,
    /// Still queued or in service when the horizon ended.
    pub in_flight: u64,
    /// Instances that started cold during the horizon (pre-warmed ones excluded).
    pub cold_starts: u64,
    /// Requests that waited for an instance to finish starting.
    pub cold_start_requests: u64,
    /// Requests that waited in the router's queue before reaching an instance.
    pub queued: u64,
    /// Spot interruptions.
    pub interruptions: u64,
    /// Hybrid: requests the baseline handed to its overflow platform (they are counted
    /// as completed, rejected, ... by the part that served them).
    pub spilled: u64,
    /// Refused at once because the router's queue was full (`max_queue`); counted in
    /// `rejected` as well.
    pub queue_full: u64,
}

impl Counters {
    pub fn is_conserved(&self) -> bool {
        self.arrived == self.completed + self.rejected + self.timed_out + self.in_flight
    }

    /// Adds `other` count by count (replications into a total, a hybrid's two fleets).
    pub fn add(&mut self, other: &Counters) {
        self.arrived += other.arrived;
        self.completed += other.completed;
        self.rejected += other.rejected;
        self.timed_out += other.timed_out;
        self.in_flight += other.in_flight;
        self.cold_starts += other.cold_starts;
        self.cold_start_requests += other.cold_start_requests;
        self.queued += other.queued;
        self.interruptions += other.interruptions;
        self.spilled += other.spilled;
        self.queue_full += other.queue_full;
    }
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub counters: Counters,
    /// End-to-end latency (queueing + cold-start wait + service) of completed requests.
    pub latency: LatencyRecorder,
    pub meters: Meters,
    pub cost: CostBreakdown,
    /// Time-average of instances alive (starting, busy or idle).
    pub mean_instances: f64,
    pub peak_instances: u32,
    /// Time-average of instances serving at least one request.
    pub mean_busy_instances: f64,
    /// CPU work done / vCPU capacity alive.
    pub utilization: f64,
    /// Time-average number of requests in the system (queued or in service): L.
    pub mean_in_system: f64,
    /// Mean time in system of requests that left (served, timed out or rejected): W.
    pub mean_sojourn_secs: f64,
    /// Mean wait before reaching an instance, over requests that reached one.
    pub mean_queue_wait_secs: f64,
    /// Per-minute record of the busiest day (the most arrivals, the earliest among
    /// equals), if `SimInput::timeline` asked for one.
    pub timeline: Vec<MinuteStats>,
    /// Time-average of Kubernetes nodes alive (0 without a node pool).
    pub mean_nodes: f64,
    pub peak_nodes: u32,
    /// Pods that waited for a node, and their mean wait from pending to placed.
    pub pending_pods: u64,
    pub mean_pending_secs: f64,
    /// Hybrid: each fleet on its own. The outcome's own figures are their sums (the
    /// latency histogram their merge); `meters` are the baseline's.
    pub parts: Option<Box<Parts>>,
    /// Each service of the stack, in stack order.
    pub services: Vec<ServiceOutcome>,
    /// What the platform bills once rather than per service: the nodes' cost no pod's
    /// requests account for (the cluster's idle share), the control plane, fixed fees,
    /// load balancer, NAT, observability and people. `cost` is this plus every
    /// service's `cost`, line by line.
    pub shared_cost: CostBreakdown,
    /// The platform's commitment, if it has one: its level and what it came to, in USD
    /// per month.
    pub commitment: Option<Committed>,
    /// With a commitment: each hour's eligible usage at on-demand prices from the
    /// time-averages (the shape a commitment is priced over; see
    /// [`commitment::apply`]). Empty without one.
    pub eligible_hours: Vec<Hour>,
}

/// One service of a stack on one platform.
#[derive(Clone, Debug)]
pub struct ServiceOutcome {
    pub name: String,
    pub counters: Counters,
    pub latency: LatencyRecorder,
    /// Its allocated share of the bill: its own usage on serverless (after its share of
    /// a free tier counted once for the stack), its pods' requests priced at their
    /// nodes' rates on a cluster (OpenCost's allocation).
    pub cost: CostBreakdown,
    pub mean_instances: f64,
    pub peak_instances: u32,
    pub mean_busy_instances: f64,
    pub utilization: f64,
    pub mean_in_system: f64,
    pub mean_sojourn_secs: f64,
    pub mean_queue_wait_secs: f64,
    pub pending_pods: u64,
    pub mean_pending_secs: f64,
    /// A worker's backlog and a scheduled job's runs (zero for an HTTP service).
    pub jobs: JobStats,
}

/// What a worker's queue and a scheduled job's runs came to in one replication.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct JobStats {
    /// Jobs waiting (enqueued, not yet taken by an instance): the most at once, and the
    /// time average over the horizon.
    pub peak_backlog: u64,
    pub mean_backlog: f64,
    /// Scheduled runs started, and those skipped because the previous run was still
    /// going (`concurrencyPolicy: Forbid`).
    pub runs: u64,
    pub skipped_runs: u64,
    /// Runs that finished later than the deadline, or were still going past it at the
    /// horizon.
    pub missed_deadlines: u64,
    /// Runs finished within the horizon, and their makespan (start to the last task
    /// done): median and 99th percentile, in seconds (0 without a finished run).
    pub finished_runs: u64,
    pub makespan_p50_secs: f64,
    pub makespan_p99_secs: f64,
}

/// The two fleets of a hybrid platform. `base.counters.arrived` counts the requests the
/// baseline kept, so each part is conserved on its own.
#[derive(Clone, Debug)]
pub struct Parts {
    pub base: Outcome,
    pub overflow: Outcome,
}

/// A hybrid's minute: the baseline's arrivals (every request reaches it first), the
/// two fleets' counts and instances summed, and the larger of the two p99s, which
/// bounds the pooled p99 from above (each part has at most 1% of its requests above
/// it, so the pool has too). Both fleets keep the same day, chosen on the gateway's
/// arrivals; should an arrival exactly on a day boundary make them differ, the
/// baseline's day is shown alone.
pub(crate) fn merge_minutes(base: &[MinuteStats], overflow: &[MinuteStats]) -> Vec<MinuteStats> {
    if base.first().map(|m| m.minute) != overflow.first().map(|m| m.minute) || base.len() != overflow.len() {
        return base.to_vec();
    }
    base.iter()
        .zip(overflow)
        .map(|(b, o)| MinuteStats {
            minute: b.minute,
            arrivals: b.arrivals,
            completed: b.completed + o.completed,
            rejected: b.rejected + o.rejected,
            mean_instances: b.mean_instances + o.mean_instances,
            mean_nodes: b.mean_nodes + o.mean_nodes,
            max_waiting: b.max_waiting + o.max_waiting,
            p99_ms: match (b.p99_ms, o.p99_ms) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            },
        })
        .collect()
}

/// The node pool's meters at the horizon.
pub(crate) struct NodeMeters {
    /// The nodes' bill over the horizon, and their cost before rounding, minimums and
    /// caps (what the pods' allocations are a share of).
    pub usd: f64,
    pub raw_usd: f64,
    pub seconds: f64,
    /// Nodes alive integrated over time (ns).
    pub area: u128,
    pub peak: u32,
}

/// The tariffs a stack is priced by: the platform's (what it bills once) and each
/// service's (its usage rates).
pub(crate) struct Prices<'t> {
    pub shared: &'t Tariff,
    pub services: &'t [&'t Tariff],
}

/// Adds a stack's services up: the bill priced once for all of them (see
/// `CostBreakdown::price_stack`), each service's share of it, and the platform's
/// shared part (fixed fees, and the node cost no pod's requests account for).
pub(crate) fn stack_outcome(
    finished: Vec<Finished>,
    nodes: Option<NodeMeters>,
    prices: Prices,
    horizon: SimTime,
    peak_alive: u32,
    timeline: Vec<MinuteStats>,
    hours: Option<Vec<Hour>>,
) -> (Outcome, Vec<Totals>) {
    let length = SimDuration::from_nanos(horizon.0);
    let horizon_ns = horizon.0.max(1) as f64;
    let meters: Vec<Meters> = finished.iter().map(|f| f.meters).collect();
    let (mut cost, shares) = CostBreakdown::price_stack_by(&meters, prices.services, prices.shared, length);
    let scale = HOURS_PER_MONTH * 3600.0 / length.as_secs_f64().max(1e-9);
    // The stack's meters: the first service's shape and every service's counts (a lone
    // service's are exactly its own).
    let mut total_meters = meters[0];
    for m in &meters[1..] {
        total_meters.active_seconds += m.active_seconds;
        total_meters.idle_seconds += m.idle_seconds;
        total_meters.idle_at_active_rate_seconds += m.idle_at_active_rate_seconds;
        total_meters.stopped_seconds += m.stopped_seconds;
        total_meters.requests += m.requests;
        total_meters.egress_gb += m.egress_gb;
        total_meters.instance_starts += m.instance_starts;
    }
    // Each pod is allocated its requests' share of its node's price; the allocations
    // are scaled by what the nodes were billed against what they cost unrounded.
    let billed_share = nodes.as_ref().map_or(0.0, |n| if n.raw_usd > 0.0 { n.usd / n.raw_usd } else { 0.0 });
    if let Some(n) = &nodes {
        total_meters.node_usd = n.usd;
        total_meters.node_seconds = n.seconds;
        cost.nodes = n.usd * scale;
    }
    let mut totals = Totals::default();
    let mut counters = Counters::default();
    let mut latency = LatencyRecorder::new();
    let mut allocated_nodes = 0.0;
    let mut services = Vec::with_capacity(finished.len());
    let mut raw = Vec::with_capacity(finished.len());
    for (f, share) in finished.into_iter().zip(shares) {
        totals.add(&f.totals);
        counters.add(&f.outcome.counters);
        latency.merge(&f.outcome.latency);
        let nodes_usd = f.allocated_usd * billed_share * scale;
        allocated_nodes += nodes_usd;
        services.push(ServiceOutcome { cost: CostBreakdown { nodes: nodes_usd, ..share }, ..f.outcome });
        raw.push(f.totals);
    }
    let mut shared_cost = shared_lines(&cost);
    shared_cost.nodes = cost.nodes - allocated_nodes;
    let eligible_hours = hours.unwrap_or_default();
    let commitment = prices.shared.commitment.as_ref().map(|c| {
        let mut parts: Vec<&mut CostBreakdown> = services.iter_mut().map(|s| &mut s.cost).collect();
        parts.push(&mut shared_cost);
        commitment::apply(c, &eligible_hours, length, &mut cost, &mut parts)
    });
    let outcome = Outcome {
        counters,
        latency,
        meters: total_meters,
        cost,
        mean_instances: totals.alive_area as f64 / horizon_ns,
        peak_instances: peak_alive,
        mean_busy_instances: totals.busy_area as f64 / horizon_ns,
        utilization: if totals.vcpu_area > 0.0 { totals.cpu_work / totals.vcpu_area } else { 0.0 },
        mean_in_system: totals.in_system_area as f64 / horizon_ns,
        mean_sojourn_secs: mean_secs(totals.sojourn_ns, totals.departed),
        mean_queue_wait_secs: mean_secs(totals.queue_wait_ns, totals.dispatched),
        timeline,
        mean_nodes: nodes.as_ref().map_or(0.0, |n| n.area as f64 / horizon_ns),
        peak_nodes: nodes.as_ref().map_or(0, |n| n.peak),
        pending_pods: totals.pending_pods,
        mean_pending_secs: mean_secs(totals.pending_wait_ns, totals.pending_pods),
        parts: None,
        services,
        shared_cost,
        commitment,
        eligible_hours,
    };
    (outcome, raw)
}

/// The mean in seconds of `n` durations summing to `sum` ns (0 without any).
pub(crate) fn mean_secs(sum: u128, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        sum as f64 / n as f64 / 1e9
    }
}

/// The bill's shared part: what the platform charges once, not per service.
fn shared_lines(c: &CostBreakdown) -> CostBreakdown {
    CostBreakdown {
        control_plane: c.control_plane,
        fixed: c.fixed,
        load_balancer: c.load_balancer,
        nat: c.nat,
        observability: c.observability,
        people: c.people,
        ..CostBreakdown::default()
    }
}

impl ServiceOutcome {
    /// A hybrid's service: the part its baseline kept and the part its overflow platform
    /// served, added from their raw sums.
    pub(crate) fn plus(&self, o: &ServiceOutcome, mine: &Totals, theirs: &Totals) -> ServiceOutcome {
        let mut counters = self.counters;
        counters.add(&o.counters);
        let mut latency = self.latency.clone();
        latency.merge(&o.latency);
        let cpu_work = mine.cpu_work + theirs.cpu_work;
        let vcpu_area = mine.vcpu_area + theirs.vcpu_area;
        ServiceOutcome {
            name: self.name.clone(),
            counters,
            latency,
            cost: self.cost.plus(&o.cost),
            mean_instances: self.mean_instances + o.mean_instances,
            peak_instances: self.peak_instances + o.peak_instances,
            mean_busy_instances: self.mean_busy_instances + o.mean_busy_instances,
            utilization: if vcpu_area > 0.0 { cpu_work / vcpu_area } else { 0.0 },
            mean_in_system: self.mean_in_system + o.mean_in_system,
            mean_sojourn_secs: mean_secs(
                mine.sojourn_ns + theirs.sojourn_ns,
                mine.departed + theirs.departed,
            ),
            mean_queue_wait_secs: mean_secs(
                mine.queue_wait_ns + theirs.queue_wait_ns,
                mine.dispatched + theirs.dispatched,
            ),
            pending_pods: self.pending_pods + o.pending_pods,
            mean_pending_secs: mean_secs(
                mine.pending_wait_ns + theirs.pending_wait_ns,
                mine.pending_pods + theirs.pending_pods,
            ),
            // Only HTTP services spill: jobs never leave their own queue.
            jobs: self.jobs,
        }
    }
}

impl Outcome {
    /// Two overflow platforms' outcomes as one part: counts, bills and time averages
    /// added, latencies merged, each one's services kept. Means of per-request times are
    /// weighted by the requests each part served, utilisation by its instances.
    pub(crate) fn and(self, o: Outcome) -> Outcome {
        let weighted = |a: f64, na: u64, b: f64, nb: u64| {
            if na + nb == 0 {
                0.0
            } else {
                (a * na as f64 + b * nb as f64) / (na + nb) as f64
            }
        };
        let departed = |c: &Counters| c.completed + c.rejected + c.timed_out;
        let served = |c: &Counters| c.completed + c.timed_out;
        let mut counters = self.counters;
        counters.add(&o.counters);
        let mut latency = self.latency;
        latency.merge(&o.latency);
        let mut services = self.services;
        services.extend(o.services);
        Outcome {
            counters,
            latency,
            meters: self.meters,
            cost: self.cost.plus(&o.cost),
            mean_instances: self.mean_instances + o.mean_instances,
            peak_instances: self.peak_instances + o.peak_instances,
            mean_busy_instances: self.mean_busy_instances + o.mean_busy_instances,
            utilization: if self.mean_instances + o.mean_instances > 0.0 {
                (self.utilization * self.mean_instances + o.utilization * o.mean_instances)
                    / (self.mean_instances + o.mean_instances)
            } else {
                0.0
            },
            mean_in_system: self.mean_in_system + o.mean_in_system,
            mean_sojourn_secs: weighted(
                self.mean_sojourn_secs,
                departed(&self.counters),
                o.mean_sojourn_secs,
                departed(&o.counters),
            ),
            mean_queue_wait_secs: weighted(
                self.mean_queue_wait_secs,
                served(&self.counters),
                o.mean_queue_wait_secs,
                served(&o.counters),
            ),
            timeline: merge_minutes(&self.timeline, &o.timeline),
            mean_nodes: self.mean_nodes + o.mean_nodes,
            peak_nodes: self.peak_nodes + o.peak_nodes,
            pending_pods: self.pending_pods + o.pending_pods,
            mean_pending_secs: weighted(
                self.mean_pending_secs,
                self.pending_pods,
                o.mean_pending_secs,
                o.pending_pods,
            ),
            parts: None,
            services,
            shared_cost: self.shared_cost.plus(&o.shared_cost),
            commitment: match (self.commitment, o.commitment) {
                (Some(a), Some(b)) => Some(a.plus(&b)),
                (a, b) => a.or(b),
            },
            eligible_hours: commitment::add_hours(&self.eligible_hours, &o.eligible_hours),
        }
    }
}

/// A service's raw sums at the horizon, from which a stack's (or a hybrid's) figures
/// are computed exactly rather than averaged from averages.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Totals {
    pub sojourn_ns: u128,
    pub departed: u64,
    pub queue_wait_ns: u128,
    pub dispatched: u64,
    pub cpu_work: f64,
    pub vcpu_area: f64,
    pub pending_wait_ns: u128,
    pub pending_pods: u64,
    pub alive_area: u128,
    pub busy_area: u128,
    pub in_system_area: u128,
}

impl Totals {
    pub fn add(&mut self, o: &Totals) {
        self.sojourn_ns += o.sojourn_ns;
        self.departed += o.departed;
        self.queue_wait_ns += o.queue_wait_ns;
        self.dispatched += o.dispatched;
        self.cpu_work += o.cpu_work;
        self.vcpu_area += o.vcpu_area;
        self.pending_wait_ns += o.pending_wait_ns;
        self.pending_pods += o.pending_pods;
        self.alive_area += o.alive_area;
        self.busy_area += o.busy_area;
        self.in_system_area += o.in_system_area;
    }
}

/// One service at the horizon.
pub(crate) struct Finished {
    pub outcome: ServiceOutcome,
    pub meters: Meters,
    pub allocated_usd: f64,
    pub totals: Totals,
}
