//! One platform, one replication: the event loop.
//!
//! Pending events are bounded by the model, not by the traffic: one next arrival, at
//! most one event per instance (its start, its next completion, its idle expiry or its
//! interruption), one queue-timeout timer and one autoscaler tick. Superseded instance
//! events are left in the heap and recognised by their stale generation. Nothing is
//! stored per request beyond the requests currently queued or in service, so memory is
//! flat in the horizon.

use crate::autoscale::{Fleet, KedaState, KpaState, MetricHistory, Snapshot, TargetTrackingState};
use crate::billing::{BilledTime, CostBreakdown, IdleBilling, Meters, Tariff};
use crate::cluster::{
    cheapest_holding, karpenter_launches, nodes_for, Cluster, Consolidation, NodeLife, Replacement,
};
use crate::expander::{self, ScaleUpOption};
use crate::hpa::{HpaInput, HpaMetric, HpaState};
use crate::instance::{Instance, Life};
use crate::spec::{
    AutoscalerSpec, BalancePolicy, ClusterAutoscaler, Karpenter, NodeAutoscaler, NodePool, PlatformSpec,
    RouterSpec, StackSpec,
};
use crate::timeline::{Cumulative, MinuteStats, TimelineRecorder, MINUTE};
use crossover_engine::{EventQueue, IndexedHeap, LatencyRecorder, RngStream, SimDuration, SimTime, Streams};
use crossover_workload::{Arrivals, Demand, RequestDemand, Traffic, DEMAND_STREAM};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};

/// One service of a stack: its name (which keys its random streams), what arrives and
/// what each request needs.
#[derive(Clone, Debug)]
pub struct ServiceLoad {
    pub name: String,
    pub traffic: Traffic,
    pub demand: Demand,
    /// Response size per request in GB, for egress charges.
    pub response_gb: f64,
    /// The p99 latency this service must meet, if stated (results judge by it; the
    /// simulation does not use it).
    pub slo_p99: Option<SimDuration>,
}

/// Everything a replication of one platform depends on; `simulate` is a pure function
/// of it.
pub struct SimInput<'a> {
    pub platform: &'a StackSpec,
    /// The stack's services, in the order of `platform.services`.
    pub services: &'a [ServiceLoad],
    pub horizon: SimDuration,
    pub seed: u64,
    pub replication: u64,
    /// Keep a per-minute timeline (one replication of a run, for charts).
    pub timeline: bool,
}

/// One service on one platform: what a fleet is built from.
struct ServiceInput<'a> {
    platform: &'a PlatformSpec,
    name: &'a str,
    traffic: &'a Traffic,
    demand: &'a Demand,
    horizon: SimDuration,
    seed: u64,
    replication: u64,
    response_gb: f64,
    timeline: bool,
}

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
}

/// The two fleets of a hybrid platform. `base.counters.arrived` counts the requests the
/// baseline kept, so each part is conserved on its own.
#[derive(Clone, Debug)]
pub struct Parts {
    pub base: Outcome,
    pub overflow: Outcome,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival,
    Instance {
        slot: u32,
        generation: u32,
    },
    QueueTimeout,
    Tick,
    /// A timeline minute ends.
    Minute,
    /// A node finishes provisioning.
    Node {
        slot: u32,
        generation: u32,
    },
    /// The node autoscaler's periodic loop (Cluster Autoscaler scan, Karpenter
    /// consolidation).
    NodeScan,
    /// Karpenter's batch window may have closed.
    NodeBatch,
    /// Spot: a node's reclaim notice, then (same event again) its termination.
    NodeReclaim {
        slot: u32,
        generation: u32,
    },
}

/// A pod not placed on any node.
const NO_NODE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Queued {
    pub arrival: SimTime,
    pub demand: RequestDemand,
}

/// The autoscaler's own state, by kind.
enum Scaler {
    Static,
    Kpa(KpaState),
    TargetTracking(TargetTrackingState),
    Keda(KedaState),
    Fly,
    Hpa(HpaState),
}

/// Events handled between two looks at a stop flag: one relaxed load per 4,096 events
/// costs nothing measurable, and even a slow event mix sees a stop within milliseconds.
const STOP_CHECK_EVENTS: u64 = 4096;

/// Simulates one platform over one replication.
pub fn simulate(input: &SimInput) -> Outcome {
    simulate_unless(input, &AtomicBool::new(false)).expect("a stop flag nobody sets never stops a simulation")
}

/// [`simulate`], given up (`None`) once `stop` is set: a simulation of hours must not
/// keep an interrupted run alive. A finished simulation is exactly [`simulate`]'s.
pub fn simulate_unless(input: &SimInput, stop: &AtomicBool) -> Option<Outcome> {
    assert_eq!(input.services.len(), 1, "stacks of several services are simulated by the stack loop");
    let load = &input.services[0];
    let service = ServiceInput {
        platform: &input.platform.services[0],
        name: &load.name,
        traffic: &load.traffic,
        demand: &load.demand,
        horizon: input.horizon,
        seed: input.seed,
        replication: input.replication,
        response_gb: load.response_gb,
        timeline: input.timeline,
    };
    let mut out = simulate_service(&service, stop)?;
    out.services = vec![ServiceOutcome {
        name: load.name.clone(),
        counters: out.counters,
        latency: out.latency.clone(),
        cost: out.cost,
        mean_instances: out.mean_instances,
        peak_instances: out.peak_instances,
        mean_busy_instances: out.mean_busy_instances,
        utilization: out.utilization,
        mean_in_system: out.mean_in_system,
        mean_sojourn_secs: out.mean_sojourn_secs,
        mean_queue_wait_secs: out.mean_queue_wait_secs,
        pending_pods: out.pending_pods,
        mean_pending_secs: out.mean_pending_secs,
    }];
    Some(out)
}

fn simulate_service(input: &ServiceInput, stop: &AtomicBool) -> Option<Outcome> {
    let mut sim = Sim::new(input);
    let Some(spill) = &input.platform.spill else {
        if !sim.run(None, stop) {
            return None;
        }
        sim.close_lives();
        return Some(sim.outcome());
    };
    // The overflow fleet is a whole platform of its own, fed only what spills: one event
    // loop advances both fleets, so a request spills on the baseline's state at the
    // very instant it arrives.
    let overflow_input = ServiceInput { platform: &spill.to, ..*input };
    let mut overflow = Sim::new(&overflow_input);
    overflow.takes_arrivals = false;
    if !sim.run(Some(&mut overflow), stop) {
        return None;
    }
    Some(hybrid_outcome(sim, overflow))
}

/// Sums a hybrid's two fleets into one outcome (exactly, from their raw totals) and
/// keeps each part.
fn hybrid_outcome(mut base: Sim, mut overflow: Sim) -> Outcome {
    base.close_lives();
    overflow.close_lives();
    let per = |sum: u128, n: u64| if n == 0 { 0.0 } else { sum as f64 / n as f64 / 1e9 };
    let sojourn = per(base.sojourn_ns + overflow.sojourn_ns, base.departed + overflow.departed);
    let queue_wait = per(base.queue_wait_ns + overflow.queue_wait_ns, base.dispatched + overflow.dispatched);
    let cpu_work = base.cpu_work_closed + overflow.cpu_work_closed;
    let vcpu_area = base.vcpu_alive_area + overflow.vcpu_alive_area;
    let pending =
        (base.pending_wait_ns + overflow.pending_wait_ns, base.pending_pods + overflow.pending_pods);
    let peak = base.hybrid_peak;
    let mut b = base.outcome();
    let o = overflow.outcome();
    b.counters.arrived -= b.counters.spilled;
    // The overflow fleet spills nothing, so the sum's `spilled` is the baseline's.
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
        utilization: if vcpu_area > 0.0 { cpu_work / vcpu_area } else { 0.0 },
        mean_in_system: b.mean_in_system + o.mean_in_system,
        mean_sojourn_secs: sojourn,
        mean_queue_wait_secs: queue_wait,
        timeline: merge_minutes(&b.timeline, &o.timeline),
        mean_nodes: b.mean_nodes + o.mean_nodes,
        peak_nodes: b.peak_nodes + o.peak_nodes,
        pending_pods: pending.1,
        mean_pending_secs: per(pending.0, pending.1),
        parts: Some(Box::new(Parts { base: b, overflow: o })),
        services: Vec::new(),
        shared_cost: CostBreakdown::default(),
    }
}

/// A hybrid's minute: the baseline's arrivals (every request reaches it first), the
/// two fleets' counts and instances summed, and the larger of the two p99s, which
/// bounds the pooled p99 from above (each part has at most 1% of its requests above
/// it, so the pool has too). Both fleets keep the same day, chosen on the gateway's
/// arrivals; should an arrival exactly on a day boundary make them differ, the
/// baseline's day is shown alone.
fn merge_minutes(base: &[MinuteStats], overflow: &[MinuteStats]) -> Vec<MinuteStats> {
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

/// Orders available instances for the central queue: least loaded, then newest (then
/// the lower slot, the heap's tie-break).
fn availability_key(inst: &Instance) -> (u32, u64) {
    (inst.load() as u32, u64::MAX - inst.created_seq)
}

/// Which idle-instance area the tariff bills, decided once: `accumulate_areas` runs at
/// every event.
#[derive(Clone, Copy)]
enum IdleMeter {
    /// The tariff bills whole lifetimes: idle time needs no area of its own.
    Lifetime,
    All,
    MinInstances,
    AtMinReplicas,
}

impl IdleMeter {
    fn of(tariff: &Tariff) -> Self {
        if tariff.bills_lifetime() {
            return IdleMeter::Lifetime;
        }
        match tariff.idle_billing {
            IdleBilling::All => IdleMeter::All,
            IdleBilling::MinInstances => IdleMeter::MinInstances,
            IdleBilling::AtMinReplicas => IdleMeter::AtMinReplicas,
        }
    }
}

struct Sim<'a> {
    spec: &'a PlatformSpec,
    idle_meter: IdleMeter,
    /// The router is a central queue (which keeps the available set).
    central_queue: bool,
    /// Fly: stopped machines are metered (their root filesystems are billed).
    meters_stopped: bool,
    demand: &'a Demand,
    response_gb: f64,
    horizon: SimTime,
    now: SimTime,
    events: EventQueue<Event>,
    arrivals: Arrivals,
    demand_rng: RngStream,
    cold_start_rng: RngStream,
    platform_rng: RngStream,
    instances: Vec<Instance>,
    /// Pending event time of each instance slot (`SimTime::MAX` if none).
    pending_at: Vec<SimTime>,
    /// The request a starting instance is reserved for (per-request scaling, Fly).
    bound: Vec<Option<Queued>>,
    /// Requests waiting inside an instance (load-balancer routing).
    local: Vec<VecDeque<Queued>>,
    free_slots: Vec<u32>,
    /// Central queue: ready instances with a free concurrency slot, least loaded first
    /// and, among equally loaded ones, most recently created first. With concurrency 1
    /// this is Lambda's reuse of the newest idle instance; with more, load spreads.
    available: IndexedHeap<(u32, u64)>,
    /// Requests waiting for any instance (the central queue, or a load balancer with no
    /// ready target).
    queue: VecDeque<Queued>,
    queue_timer_armed: bool,
    round_robin: usize,
    /// The routable slots in slot order, for random balancing: rebuilt only when an
    /// instance became or stopped being routable (`routable_stale`), not per request.
    routable_slots: Vec<u32>,
    routable_stale: bool,
    scaler: Scaler,
    history: MetricHistory,
    desired: u32,
    next_seq: u64,
    alive: u32,
    starting: u32,
    busy: u32,
    draining: u32,
    in_system: u64,
    last_change: SimTime,
    alive_area: u128,
    busy_area: u128,
    in_system_area: u128,
    idle_billed_area: u128,
    idle_at_active_area: u128,
    stopped_area: u128,
    vcpu_alive_area: f64,
    cpu_work_closed: f64,
    sojourn_ns: u128,
    departed: u64,
    queue_wait_ns: u128,
    dispatched: u64,
    peak_alive: u32,
    counters: Counters,
    latency: LatencyRecorder,
    meters: Meters,
    /// Requests in service on some instance (the rest of `in_system` waits).
    serving: u64,
    node_area: u128,
    timeline: Option<Box<TimelineRecorder>>,
    /// Kubernetes nodes, if the platform has a node pool.
    cluster: Option<Cluster<'a>>,
    /// The node each pod slot is on (`NO_NODE` if pending or serverless).
    node_of: Vec<u32>,
    node_rng: RngStream,
    /// Spot node reclaims, apart from `node_rng` so that on-demand pools draw the same.
    reclaim_rng: RngStream,
    /// The Cluster Autoscaler expander's tie-breaks, apart so that other draws stay put.
    expander_rng: RngStream,
    pending_pods: u64,
    pending_wait_ns: u128,
    /// False for a hybrid's overflow fleet: its requests come from the baseline.
    takes_arrivals: bool,
    /// A hybrid's peak of instances alive in both fleets at once.
    hybrid_peak: u32,
    /// An overflow fleet: requests that reached the hybrid's gateway so far (the
    /// baseline's arrivals), for its timeline.
    gateway_arrived: u64,
}

impl<'a> Sim<'a> {
    fn new(input: &ServiceInput<'a>) -> Self {
        let streams = Streams::scoped(input.seed, input.replication, input.name);
        let key = |purpose: &str| streams.key(purpose);
        let horizon = SimTime(input.horizon.as_nanos());
        let spec = input.platform;
        let streams = Streams::scoped(input.seed, input.replication, input.name);
        let arrivals = Arrivals::new(input.traffic.clone(), streams, horizon);
        let (scaler, longest_window) = match &spec.autoscaler {
            AutoscalerSpec::Fixed { .. } | AutoscalerSpec::PerRequest { .. } => {
                (Scaler::Static, SimDuration::ZERO)
            }
            AutoscalerSpec::Concurrency(c) => (Scaler::Kpa(KpaState::default()), c.stable_window),
            AutoscalerSpec::TargetTracking(t) => {
                (Scaler::TargetTracking(TargetTrackingState::default()), t.period)
            }
            AutoscalerSpec::KedaHttp(k) => (Scaler::Keda(KedaState::default()), k.polling),
            AutoscalerSpec::FlyProxy(_) => (Scaler::Fly, SimDuration::ZERO),
            AutoscalerSpec::Schedule { .. } => (Scaler::Static, SimDuration::ZERO),
            AutoscalerSpec::Hpa(h) => (Scaler::Hpa(HpaState::default()), h.metric_window.max(h.sync_period)),
        };
        Sim {
            spec,
            idle_meter: IdleMeter::of(&spec.tariff),
            central_queue: matches!(spec.router, RouterSpec::CentralQueue { .. }),
            meters_stopped: matches!(spec.autoscaler, AutoscalerSpec::FlyProxy(_)),
            demand: input.demand,
            response_gb: input.response_gb,
            horizon,
            now: SimTime::ZERO,
            events: EventQueue::with_capacity(1024),
            arrivals,
            demand_rng: RngStream::new(key(DEMAND_STREAM)),
            cold_start_rng: RngStream::new(key(&format!("platform/{}/cold-start", spec.name))),
            platform_rng: RngStream::new(key(&format!("platform/{}/internal", spec.name))),
            instances: Vec::new(),
            pending_at: Vec::new(),
            bound: Vec::new(),
            local: Vec::new(),
            free_slots: Vec::new(),
            available: IndexedHeap::new(),
            queue: VecDeque::new(),
            queue_timer_armed: false,
            round_robin: 0,
            routable_slots: Vec::new(),
            routable_stale: true,
            scaler,
            history: MetricHistory::new(longest_window),
            desired: spec.initial_instances(),
            next_seq: 0,
            alive: 0,
            starting: 0,
            busy: 0,
            draining: 0,
            in_system: 0,
            last_change: SimTime::ZERO,
            alive_area: 0,
            busy_area: 0,
            in_system_area: 0,
            idle_billed_area: 0,
            idle_at_active_area: 0,
            stopped_area: 0,
            vcpu_alive_area: 0.0,
            cpu_work_closed: 0.0,
            sojourn_ns: 0,
            departed: 0,
            queue_wait_ns: 0,
            dispatched: 0,
            peak_alive: 0,
            counters: Counters::default(),
            latency: LatencyRecorder::new(),
            meters: Meters {
                vcpu: spec.instance.vcpu,
                memory_gib: spec.instance.memory_gib,
                gpus: spec.instance.gpus,
                ..Meters::default()
            },
            serving: 0,
            node_area: 0,
            timeline: input.timeline.then(Box::default),
            cluster: spec.nodes.as_ref().map(|pool| Cluster::new(pool, &spec.instance, input.horizon)),
            node_of: Vec::new(),
            node_rng: RngStream::new(key(&format!("platform/{}/nodes", spec.name))),
            reclaim_rng: RngStream::new(key(&format!("platform/{}/node-reclaims", spec.name))),
            expander_rng: RngStream::new(key(&format!("platform/{}/expander", spec.name))),
            pending_pods: 0,
            pending_wait_ns: 0,
            takes_arrivals: true,
            hybrid_peak: 0,
            gateway_arrived: 0,
        }
    }

    fn tick_period(&self) -> Option<SimDuration> {
        match &self.spec.autoscaler {
            AutoscalerSpec::Fixed { .. } | AutoscalerSpec::PerRequest { .. } => None,
            AutoscalerSpec::Concurrency(c) => Some(c.tick),
            AutoscalerSpec::TargetTracking(t) => Some(t.period),
            AutoscalerSpec::KedaHttp(k) => Some(k.polling),
            AutoscalerSpec::FlyProxy(f) => Some(f.check_period),
            AutoscalerSpec::Schedule { .. } => Some(SimDuration::from_hours(1)),
            AutoscalerSpec::Hpa(h) => Some(h.sync_period),
        }
    }

    /// Runs the horizon; a hybrid's baseline also advances its overflow fleet, always
    /// handling the earlier of the two fleets' next events (the baseline's first on a
    /// tie, so a request spilled at time t meets the overflow fleet as it was at t).
    /// Returns false, leaving the fleets mid-horizon, if `stop` was set.
    fn run(&mut self, mut overflow: Option<&mut Sim<'a>>, stop: &AtomicBool) -> bool {
        self.start();
        let mut handled = 0u64;
        let mut stopped = || {
            handled += 1;
            handled.is_multiple_of(STOP_CHECK_EVENTS) && stop.load(Ordering::Relaxed)
        };
        let Some(other) = overflow.as_deref_mut() else {
            while let Some((t, event)) = self.events.pop() {
                if t >= self.horizon {
                    break;
                }
                self.handle(t, event, None);
                if stopped() {
                    return false;
                }
            }
            self.end();
            return true;
        };
        other.start();
        self.hybrid_peak = self.alive + other.alive;
        loop {
            if stopped() {
                return false;
            }
            let mine = self.next_event_time();
            let theirs = overflow.as_deref_mut().and_then(Sim::next_event_time);
            let other = overflow.as_deref_mut().expect("a hybrid has an overflow fleet");
            match (mine, theirs) {
                (None, None) => break,
                (Some(a), Some(b)) if b < a => other.step(None),
                (None, Some(_)) => other.step(None),
                _ => {
                    self.step(Some(&mut *other));
                    other.gateway_arrived = self.counters.arrived;
                }
            }
            self.hybrid_peak = self.hybrid_peak.max(self.alive + other.alive);
        }
        self.end();
        if let Some(other) = overflow {
            other.end();
        }
        true
    }

    /// Time zero: nodes, initial instances, the first arrival, tick and minute.
    fn start(&mut self) {
        self.start_nodes();
        for _ in 0..self.spec.initial_instances() {
            self.start_instance(false);
        }
        if self.takes_arrivals {
            if let Some(t) = self.arrivals.next_arrival() {
                self.events.schedule_stream(t, Event::Arrival);
            }
        }
        if let Some(period) = self.tick_period() {
            let first = self.snapshot();
            self.history.push(first);
            self.events.schedule(SimTime::ZERO + period, Event::Tick);
        }
        if self.timeline.is_some() {
            self.events.schedule(SimTime::ZERO + MINUTE, Event::Minute);
        }
    }

    /// When the next event before the horizon is due, if any.
    fn next_event_time(&mut self) -> Option<SimTime> {
        self.events.peek_time().filter(|&t| t < self.horizon)
    }

    /// Handles the next event (the caller knows there is one before the horizon).
    fn step(&mut self, overflow: Option<&mut Sim<'a>>) {
        if let Some((t, event)) = self.events.pop() {
            self.handle(t, event, overflow);
        }
    }

    fn handle(&mut self, t: SimTime, event: Event, overflow: Option<&mut Sim<'a>>) {
        debug_assert!(t >= self.now, "the clock never goes backwards");
        self.now = t;
        self.accumulate_areas();
        match event {
            Event::Arrival => self.on_arrival(overflow),
            Event::Instance { slot, generation } => {
                if self.instances[slot as usize].generation == generation {
                    self.on_instance_event(slot);
                }
            }
            Event::QueueTimeout => self.on_queue_timeout(),
            Event::Tick => self.on_tick(),
            Event::Minute => self.on_minute(),
            Event::Node { slot, generation } => self.on_node_ready(slot, generation),
            Event::NodeScan => self.on_node_scan(),
            Event::NodeBatch => self.on_node_batch(),
            Event::NodeReclaim { slot, generation } => self.on_node_reclaim(slot, generation),
        }
        self.after_event(event);
    }

    fn after_event(&mut self, _event: Event) {
        if let Some(tl) = &mut self.timeline {
            tl.max_waiting = tl.max_waiting.max(self.in_system - self.serving);
        }
        #[cfg(debug_assertions)]
        self.check_counts(_event);
    }

    /// The horizon: areas integrated to its end, the last (partial) minute closed.
    fn end(&mut self) {
        self.now = self.horizon;
        self.accumulate_areas();
        if self.timeline.as_ref().is_some_and(|tl| self.horizon.0 > tl.closed() * MINUTE.as_nanos()) {
            self.on_minute();
        }
    }

    fn cumulative(&self) -> Cumulative {
        Cumulative {
            // An overflow fleet's timeline counts the gateway's arrivals, so that both
            // fleets of a hybrid keep the same busiest day.
            arrived: if self.takes_arrivals { self.counters.arrived } else { self.gateway_arrived },
            completed: self.counters.completed,
            rejected: self.counters.rejected,
            alive_area: self.alive_area,
            node_area: self.node_area,
        }
    }

    /// Closes a timeline minute (or the horizon's last, partial one).
    fn on_minute(&mut self) {
        let now = self.cumulative();
        let waiting = self.in_system - self.serving;
        let Some(tl) = &mut self.timeline else { return };
        let start = tl.closed() * MINUTE.as_nanos();
        tl.close(now, SimDuration::from_nanos(self.now.0 - start), waiting);
        let next = self.now + MINUTE;
        if next < self.horizon {
            self.events.schedule(next, Event::Minute);
        }
    }

    /// Debug builds (and so the tests) recount the fleet after every event: the running
    /// counters the metering relies on must match the instances.
    #[cfg(debug_assertions)]
    fn check_counts(&self, after: Event) {
        let live = || self.instances.iter().filter(|i| i.life != Life::Stopped);
        let alive = live().count() as u32;
        let starting = live().filter(|i| matches!(i.life, Life::Starting | Life::Pending)).count() as u32;
        let busy = live().filter(|i| i.life == Life::Ready && !i.is_idle()).count() as u32;
        let draining = live().filter(|i| i.draining).count() as u32;
        assert_eq!(
            (alive, starting, busy, draining),
            (self.alive, self.starting, self.busy, self.draining),
            "fleet counts (alive, starting, busy, draining) drifted after {after:?} at {:?}",
            self.now
        );
        if !self.routable_stale {
            let routable: Vec<u32> =
                (0..self.instances.len() as u32).filter(|&s| self.routable(s as usize)).collect();
            assert_eq!(self.routable_slots, routable, "routable slots after {after:?}");
        }
        // The central queue's available set holds exactly the listed instances.
        for slot in 0..self.instances.len() as u32 {
            assert_eq!(self.available.contains(slot), self.listed(slot), "slot {slot} after {after:?}");
        }
    }

    /// Integrates the time-average counters up to `now`; called before any change.
    fn accumulate_areas(&mut self) {
        let dt = self.now.since(self.last_change).as_nanos() as u128;
        if dt == 0 {
            return;
        }
        self.alive_area += self.alive as u128 * dt;
        self.busy_area += self.busy as u128 * dt;
        self.in_system_area += self.in_system as u128 * dt;
        if let Some(cluster) = &self.cluster {
            self.node_area += cluster.alive as u128 * dt;
        }
        let idle = || self.alive - self.busy - self.starting;
        match self.idle_meter {
            IdleMeter::Lifetime => {}
            IdleMeter::All => self.idle_billed_area += idle() as u128 * dt,
            IdleMeter::MinInstances => {
                let kept = self.spec.min_instances.saturating_sub(self.busy + self.starting);
                self.idle_billed_area += idle().min(kept) as u128 * dt;
            }
            IdleMeter::AtMinReplicas => {
                let min = self.spec.min_instances;
                if min > 0 && self.alive == min {
                    self.idle_billed_area += idle() as u128 * dt;
                } else {
                    self.idle_at_active_area += idle() as u128 * dt;
                }
            }
        }
        if self.meters_stopped {
            self.stopped_area += (self.spec.max_instances - self.alive) as u128 * dt;
        }
        self.last_change = self.now;
    }

    // ---- arrivals and routing ----

    fn on_arrival(&mut self, overflow: Option<&mut Sim<'a>>) {
        self.counters.arrived += 1;
        // A replayed request's recorded duration belongs to this arrival: read it before
        // asking for the next one.
        let demand = self.demand.draw_recorded(&mut self.demand_rng, self.arrivals.recorded_demand());
        if let Some(t) = self.arrivals.next_arrival() {
            self.events.schedule_stream(t, Event::Arrival);
        }
        let request = Queued { arrival: self.now, demand };
        if let (Some(other), Some(spill)) = (overflow, &self.spec.spill) {
            if self.saturated(spill.threshold) {
                self.counters.spilled += 1;
                return other.take_spilled(self.now, request);
            }
        }
        self.accept(request);
    }

    /// A request enters this fleet: counted in system, seen by KEDA, routed.
    fn accept(&mut self, request: Queued) {
        self.in_system += 1;
        if let Scaler::Keda(k) = &mut self.scaler {
            k.saw_request(self.now);
        }
        self.route(request);
    }

    /// Whether the hybrid gateway sends a new request elsewhere: the requests outstanding
    /// at ready instances (and waiting for one) reach `threshold` times their concurrency
    /// slots, or no instance is ready.
    fn saturated(&mut self, threshold: f64) -> bool {
        let ready = self.routable_slots().len() as u64;
        let slots = ready * self.spec.instance.concurrency as u64;
        let load = self.queue.len() as u64
            + self.routable_slots.iter().map(|&s| self.outstanding(s) as u64).sum::<u64>();
        slots == 0 || load as f64 >= threshold * slots as f64
    }

    /// The routable slots in slot order, rebuilt only if an instance became or stopped
    /// being routable since the last call.
    fn routable_slots(&mut self) -> &[u32] {
        if self.routable_stale {
            self.routable_slots.clear();
            for s in 0..self.instances.len() {
                if self.routable(s) {
                    self.routable_slots.push(s as u32);
                }
            }
            self.routable_stale = false;
        }
        &self.routable_slots
    }

    /// An overflow fleet receives a request its baseline spilled at `now` (no event of
    /// its own is due before then: the shared loop ran them).
    fn take_spilled(&mut self, now: SimTime, request: Queued) {
        debug_assert!(now >= self.now, "the clock never goes backwards");
        self.now = now;
        self.accumulate_areas();
        self.counters.arrived += 1;
        self.accept(request);
        self.after_event(Event::Arrival);
    }

    fn route(&mut self, request: Queued) {
        match self.spec.router {
            RouterSpec::CentralQueue { .. } => self.route_central(request),
            RouterSpec::LoadBalancer { policy, .. } => self.route_balanced(request, policy),
        }
    }

    fn route_central(&mut self, request: Queued) {
        if let Some((_, slot)) = self.available.first() {
            return self.dispatch(slot, request);
        }
        if self.scales_per_request() && self.alive < self.spec.max_instances {
            // Lambda: the request waits for the execution environment it caused to start,
            // not for whichever instance frees first.
            let slot = self.start_instance(true);
            return self.bind(slot, request);
        }
        self.enqueue(request);
        self.scale_on_demand();
    }

    fn route_balanced(&mut self, request: Queued, policy: BalancePolicy) {
        if let AutoscalerSpec::FlyProxy(fly) = &self.spec.autoscaler {
            // fly-proxy: start a stopped machine when every running one is over its soft
            // limit, and send the request to it.
            let soft = fly.soft_limit as usize;
            let pick = self.pick_balanced(BalancePolicy::LeastOutstanding);
            let all_over = pick.is_none_or(|s| self.outstanding(s) >= soft);
            if all_over && self.alive < self.spec.max_instances {
                let slot = self.start_instance(true);
                return self.bind(slot, request);
            }
            return match pick {
                Some(slot) => self.assign(slot, request),
                None => self.enqueue(request),
            };
        }
        match self.pick_balanced(policy) {
            Some(slot) => self.assign(slot, request),
            None => {
                self.enqueue(request);
                self.scale_on_demand();
            }
        }
    }

    fn outstanding(&self, slot: u32) -> usize {
        self.instances[slot as usize].load() + self.local[slot as usize].len()
    }

    fn routable(&self, slot: usize) -> bool {
        let inst = &self.instances[slot];
        inst.life == Life::Ready && !inst.draining
    }

    /// A ready, non-draining instance chosen by the balancing policy.
    fn pick_balanced(&mut self, policy: BalancePolicy) -> Option<u32> {
        let n = self.instances.len();
        if n == 0 {
            return None;
        }
        match policy {
            BalancePolicy::RoundRobin => {
                for k in 1..=n {
                    let slot = (self.round_robin + k) % n;
                    if self.routable(slot) {
                        self.round_robin = slot;
                        return Some(slot as u32);
                    }
                }
                None
            }
            BalancePolicy::LeastOutstanding => {
                // Ties rotate, starting after the last pick, so equal instances share load.
                let mut best: Option<(usize, u32)> = None;
                for k in 1..=n {
                    let slot = (self.round_robin + k) % n;
                    if self.routable(slot) {
                        let load = self.outstanding(slot as u32);
                        if best.is_none_or(|(b, _)| load < b) {
                            best = Some((load, slot as u32));
                        }
                    }
                }
                let slot = best?.1;
                self.round_robin = slot as usize;
                Some(slot)
            }
            BalancePolicy::Random => {
                let ready = self.routable_slots().len();
                if ready == 0 {
                    return None;
                }
                let k = (self.platform_rng.open01() * ready as f64) as usize;
                Some(self.routable_slots[k.min(ready - 1)])
            }
        }
    }

    /// Load-balancer assignment: serve now if a slot is free, else queue in the instance.
    fn assign(&mut self, slot: u32, request: Queued) {
        if self.instances[slot as usize].load() < self.spec.instance.concurrency as usize {
            self.dispatch(slot, request);
        } else {
            self.local[slot as usize].push_back(request);
        }
    }

    fn enqueue(&mut self, request: Queued) {
        if self.queue_timeout() == SimDuration::ZERO {
            // A load balancer with no healthy target answers 503 at once.
            self.counters.rejected += 1;
            self.depart(request.arrival);
            return;
        }
        self.queue.push_back(request);
        self.arm_queue_timer();
    }

    fn scales_per_request(&self) -> bool {
        matches!(self.spec.autoscaler, AutoscalerSpec::PerRequest { .. })
    }

    /// Requests waiting for capacity start instances at once (Cloud Run's on-demand
    /// scaling, the Knative activator's poke, the KEDA interceptor's activation):
    /// enough starting instances to take every queued request.
    fn scale_on_demand(&mut self) {
        let per_instance = match self.spec.autoscaler {
            AutoscalerSpec::Concurrency(_) => self.spec.instance.concurrency as usize,
            // KEDA activates from zero only; the HPA does the rest at its ticks.
            AutoscalerSpec::KedaHttp(_) if self.alive == 0 => usize::MAX,
            _ => return,
        };
        while self.alive < self.spec.max_instances
            && (self.starting as usize).saturating_mul(per_instance) < self.queue.len()
        {
            self.start_instance(true);
            self.desired = self.desired.max(self.alive);
        }
    }

    /// Reserves a starting instance for the request that started it.
    fn bind(&mut self, slot: u32, request: Queued) {
        if self.instances[slot as usize].life == Life::Ready {
            // Zero cold start: it is ready at once.
            self.dispatch(slot, request);
        } else {
            self.bound[slot as usize] = Some(request);
        }
    }

    fn queue_timeout(&self) -> SimDuration {
        match self.spec.router {
            RouterSpec::CentralQueue { queue_timeout } | RouterSpec::LoadBalancer { queue_timeout, .. } => {
                queue_timeout
            }
        }
    }

    fn arm_queue_timer(&mut self) {
        if !self.queue_timer_armed {
            if let Some(head) = self.queue.front() {
                self.events.schedule(head.arrival + self.queue_timeout(), Event::QueueTimeout);
                self.queue_timer_armed = true;
            }
        }
    }

    fn on_queue_timeout(&mut self) {
        self.queue_timer_armed = false;
        let timeout = self.queue_timeout();
        while let Some(head) = self.queue.front() {
            if head.arrival + timeout > self.now {
                break;
            }
            let arrival = head.arrival;
            self.queue.pop_front();
            self.counters.rejected += 1;
            self.depart(arrival);
        }
        self.arm_queue_timer();
    }

    /// A request leaves the system (served, timed out or rejected).
    fn depart(&mut self, arrival: SimTime) {
        self.in_system -= 1;
        self.departed += 1;
        self.sojourn_ns += self.now.since(arrival).as_nanos() as u128;
    }

    // ---- instance life cycle ----

    fn start_instance(&mut self, cold: bool) -> u32 {
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                let spec = &self.spec.instance;
                self.instances.push(Instance::new(spec.vcpu, spec.concurrency));
                self.pending_at.push(SimTime::MAX);
                self.bound.push(None);
                self.local.push(VecDeque::new());
                self.node_of.push(NO_NODE);
                (self.instances.len() - 1) as u32
            }
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.alive += 1;
        self.peak_alive = self.peak_alive.max(self.alive);
        if let (Some(cluster), Some(pool)) = (&mut self.cluster, &self.spec.nodes) {
            match cluster.choose(pool.placement) {
                Some(node) => {
                    cluster.place(node, self.now);
                    self.node_of[slot as usize] = node;
                }
                None => {
                    // No node has room: the pod is Pending until one does.
                    self.instances[slot as usize].begin_pending(seq, self.now);
                    self.routable_stale = true;
                    self.pending_at[slot as usize] = SimTime::MAX;
                    self.starting += 1;
                    cluster.pending.push_back(slot);
                    self.on_pod_pending();
                    return slot;
                }
            }
        }
        self.launch(slot, seq, cold, false);
        slot
    }

    /// Begins an instance's life now: its cold start, or ready at once.
    fn launch(&mut self, slot: u32, seq: u64, cold: bool, was_pending: bool) {
        let ready_at = if cold {
            self.counters.cold_starts += 1;
            self.now + self.draw_cold_start()
        } else {
            self.now
        };
        let notice_at = match &self.spec.interruptions {
            Some(i) if i.rate_per_hour > 0.0 => {
                self.now + SimDuration::from_secs_f64(self.platform_rng.exponential(3600.0 / i.rate_per_hour))
            }
            _ => SimTime::MAX,
        };
        self.instances[slot as usize].begin_life(seq, self.now, ready_at, notice_at);
        self.routable_stale = true;
        self.pending_at[slot as usize] = SimTime::MAX;
        self.meters.instance_starts += 1;
        if ready_at > self.now {
            if !was_pending {
                self.starting += 1;
            }
            self.reschedule(slot);
        } else {
            if was_pending {
                self.starting -= 1;
            }
            self.become_ready(slot);
        }
    }

    fn draw_cold_start(&mut self) -> SimDuration {
        let c = &self.spec.startup;
        let init = c.init.sample_secs(&mut self.cold_start_rng) * c.cpu_boost;
        let health = if c.health_check_interval > SimDuration::ZERO {
            self.cold_start_rng.open01() * c.health_check_interval.as_secs_f64()
        } else {
            0.0
        };
        c.fixed + c.pull_time() + SimDuration::from_secs_f64(init + health)
    }

    fn become_ready(&mut self, slot: u32) {
        let inst = &mut self.instances[slot as usize];
        if inst.life == Life::Starting {
            self.starting -= 1;
        }
        inst.life = Life::Ready;
        self.routable_stale = true;
        self.relist(slot);
        if let Some(request) = self.bound[slot as usize].take() {
            self.dispatch(slot, request);
        }
        self.take_waiting(slot);
        // A load balancer that held requests for lack of targets now spreads them.
        if matches!(self.spec.router, RouterSpec::LoadBalancer { .. }) {
            while let Some(request) = self.queue.pop_front() {
                self.counters.queued += 1;
                self.route(request);
            }
        }
        let inst = &mut self.instances[slot as usize];
        if inst.is_idle() {
            // The start-up period (billed as active) ends; idling begins.
            inst.end_busy_period(self.now, self.spec.tariff.rounding);
            if inst.draining {
                return self.stop_instance(slot);
            }
        }
        self.reschedule(slot);
    }

    /// Gives `slot` the requests waiting for it: its own queue first, then the central
    /// queue, while it has room.
    fn take_waiting(&mut self, slot: u32) {
        if self.queue.is_empty() && self.local[slot as usize].is_empty() {
            // The usual case, at every completion: nothing waits.
            return;
        }
        let concurrency = self.spec.instance.concurrency as usize;
        while self.instances[slot as usize].load() < concurrency {
            if let Some(request) = self.local[slot as usize].pop_front() {
                self.dispatch(slot, request);
            } else if matches!(self.spec.router, RouterSpec::CentralQueue { .. })
                && !self.instances[slot as usize].draining
            {
                let Some(request) = self.queue.pop_front() else { break };
                self.counters.queued += 1;
                self.dispatch(slot, request);
            } else {
                break;
            }
        }
    }

    /// Takes `slot` out of the central queue's available set before its load changes.
    fn unlist(&mut self, slot: u32) {
        if self.listed(slot) {
            self.available.remove(slot);
        }
    }

    /// Puts `slot` in the available set, at its current load, if it is ready, not
    /// draining and has room, and takes it out otherwise. A load change needs only this
    /// (one move in the heap), not an `unlist` before it.
    fn relist(&mut self, slot: u32) {
        if !self.central_queue {
            // A load balancer routes without the available set: nothing is ever in it.
            return;
        }
        if self.listed(slot) {
            let key = availability_key(&self.instances[slot as usize]);
            self.available.set(slot, key);
        } else {
            self.available.remove(slot);
        }
    }

    fn listed(&self, slot: u32) -> bool {
        let inst = &self.instances[slot as usize];
        self.central_queue
            && inst.life == Life::Ready
            && !inst.draining
            && inst.load() < self.spec.instance.concurrency as usize
    }

    fn dispatch(&mut self, slot: u32, request: Queued) {
        let now = self.now;
        let inst = &mut self.instances[slot as usize];
        debug_assert!(inst.life == Life::Ready);
        inst.advance(now);
        if inst.is_idle() {
            self.busy += 1;
            if inst.busy_since.is_none() {
                inst.busy_since = Some(now);
            }
        }
        if inst.ready_at > request.arrival {
            self.counters.cold_start_requests += 1;
        }
        inst.admit(now, request.arrival, request.demand.cpu, request.demand.io);
        self.serving += 1;
        self.relist(slot);
        self.dispatched += 1;
        self.queue_wait_ns += now.since(request.arrival).as_nanos() as u128;
        self.meters.requests += 1;
        self.meters.egress_gb += self.response_gb;
        self.reschedule(slot);
    }

    fn on_instance_event(&mut self, slot: u32) {
        self.pending_at[slot as usize] = SimTime::MAX;
        let inst = &self.instances[slot as usize];
        if self.now >= inst.interrupt_at {
            return self.on_interruption(slot);
        }
        match inst.life {
            Life::Starting => self.become_ready(slot),
            Life::Ready if !inst.is_idle() => self.on_completions(slot),
            Life::Ready => self.on_idle_expiry(slot),
            Life::Pending | Life::Stopped => {}
        }
    }

    fn on_completions(&mut self, slot: u32) {
        let now = self.now;
        let timeout = self.spec.request_timeout;
        let inst = &mut self.instances[slot as usize];
        inst.advance(now);
        let mut finished = 0u64;
        let (counters, latency, sojourn) = (&mut self.counters, &mut self.latency, &mut self.sojourn_ns);
        let mut minute = self.timeline.as_mut().map(|tl| &mut tl.latency);
        inst.settle(now, |arrival| {
            let l = now.since(arrival);
            *sojourn += l.as_nanos() as u128;
            finished += 1;
            if l > timeout {
                counters.timed_out += 1;
            } else {
                counters.completed += 1;
                latency.record(l);
                if let Some(m) = &mut minute {
                    m.record(l);
                }
            }
        });
        self.in_system -= finished;
        self.serving -= finished;
        self.departed += finished;
        if self.instances[slot as usize].is_idle() {
            // Emptied: not busy, though queued work may refill it at this same instant
            // (then its billed busy period simply continues).
            self.busy -= 1;
        }
        if finished > 0 {
            // Only a finished request frees a slot: a CPU phase ending into I/O leaves the
            // load, and so the available set, as it was.
            self.relist(slot);
        }
        self.take_waiting(slot);
        let inst = &mut self.instances[slot as usize];
        if inst.is_idle() {
            inst.end_busy_period(now, self.spec.tariff.rounding);
            if inst.draining {
                return self.stop_instance(slot);
            }
        }
        self.reschedule(slot);
    }

    /// How long an idle instance waits before it may be stopped, if that is decided per
    /// instance rather than at autoscaler ticks.
    fn idle_expiry(&self) -> Option<SimDuration> {
        match &self.spec.autoscaler {
            AutoscalerSpec::PerRequest { keep_alive } => Some(*keep_alive),
            AutoscalerSpec::Concurrency(c) => Some(c.idle_retention),
            _ => None,
        }
    }

    /// Instances that must stay: `min_instances`, and the autoscaler's desire.
    fn floor(&self) -> u32 {
        match self.spec.autoscaler {
            AutoscalerSpec::PerRequest { .. } => self.spec.min_instances,
            _ => self.desired.max(self.spec.min_instances),
        }
    }

    fn on_idle_expiry(&mut self, slot: u32) {
        if self.alive - self.draining > self.floor() {
            self.stop_instance(slot);
        }
    }

    /// Spot: at the notice the instance stops taking requests and a replacement starts
    /// (cold); when the warning is over, whatever still runs on it is lost.
    fn on_interruption(&mut self, slot: u32) {
        if !self.instances[slot as usize].noticed {
            let warning = self.spec.interruptions.as_ref().map_or(SimDuration::ZERO, |i| i.warning);
            self.counters.interruptions += 1;
            let inst = &mut self.instances[slot as usize];
            inst.noticed = true;
            inst.interrupt_at = self.now + warning;
            self.drain(slot);
            if !self.scales_per_request() {
                self.start_instance(true);
            }
            let inst = &self.instances[slot as usize];
            if inst.life == Life::Ready && inst.is_idle() {
                return self.stop_instance(slot);
            }
            return self.reschedule(slot);
        }
        self.kill(slot);
    }

    /// Stops `slot` at once (its machine is gone): whatever runs or waits on it is lost.
    fn kill(&mut self, slot: u32) {
        let inst = &mut self.instances[slot as usize];
        if !inst.is_idle() {
            self.busy -= 1;
        }
        let mut lost = inst.evict();
        self.serving -= lost.len() as u64;
        lost.extend(self.local[slot as usize].drain(..).map(|q| q.arrival));
        lost.extend(self.bound[slot as usize].take().map(|q| q.arrival));
        for arrival in lost {
            self.counters.rejected += 1;
            self.depart(arrival);
        }
        self.stop_instance(slot);
    }

    /// Stops routing to `slot`; it stops when its last request finishes.
    fn drain(&mut self, slot: u32) {
        if self.instances[slot as usize].draining {
            return;
        }
        self.unlist(slot);
        self.instances[slot as usize].draining = true;
        self.routable_stale = true;
        self.draining += 1;
        // Requests queued inside it go back to the load balancer.
        let waiting: Vec<Queued> = self.local[slot as usize].drain(..).collect();
        for request in waiting {
            self.route(request);
        }
    }

    /// Computes the slot's next event and schedules it if it changed.
    fn reschedule(&mut self, slot: u32) {
        let inst = &self.instances[slot as usize];
        let next = match inst.life {
            Life::Starting => Some(inst.ready_at),
            Life::Ready if !inst.is_idle() => inst.next_completion(self.now),
            Life::Ready => self.idle_expiry().map(|d| inst.idle_since + d),
            Life::Pending | Life::Stopped => None,
        };
        let next = next.unwrap_or(SimTime::MAX).min(inst.interrupt_at);
        if next != self.pending_at[slot as usize] {
            let inst = &mut self.instances[slot as usize];
            inst.generation = inst.generation.wrapping_add(1);
            self.pending_at[slot as usize] = next;
            // The slot's timer moves rather than leaving a stale event behind.
            if next != SimTime::MAX {
                let generation = inst.generation;
                self.events.set_timer(slot, next, Event::Instance { slot, generation });
            } else {
                self.events.cancel_timer(slot);
            }
        }
    }

    fn stop_instance(&mut self, slot: u32) {
        self.unlist(slot);
        let was_pending = self.instances[slot as usize].life == Life::Pending;
        if was_pending {
            // Never ran: nothing to meter.
            if let Some(cluster) = &mut self.cluster {
                cluster.pending.retain(|&s| s != slot);
            }
        } else {
            self.close_life(slot);
        }
        let inst = &mut self.instances[slot as usize];
        if matches!(inst.life, Life::Starting | Life::Pending) {
            self.starting -= 1;
        }
        if inst.draining {
            self.draining -= 1;
        }
        inst.life = Life::Stopped;
        inst.draining = false;
        self.routable_stale = true;
        inst.generation = inst.generation.wrapping_add(1);
        self.pending_at[slot as usize] = SimTime::MAX;
        self.events.cancel_timer(slot);
        self.alive -= 1;
        self.free_slots.push(slot);
        let node = std::mem::replace(&mut self.node_of[slot as usize], NO_NODE);
        if node != NO_NODE {
            self.release_from_node(node);
        }
    }

    /// Meters an instance's life up to `now` (at a stop or the end of the horizon).
    fn close_life(&mut self, slot: u32) {
        let now = self.now;
        let tariff = &self.spec.tariff;
        let inst = &mut self.instances[slot as usize];
        inst.advance(now);
        inst.end_busy_period(now, tariff.rounding);
        let lifetime = now.since(inst.started_at);
        let billed = if tariff.bills_lifetime() {
            BilledTime::for_life(lifetime, inst.raw_active, inst.rounded_active, tariff)
        } else {
            // Idle time is metered for the fleet (accumulate_areas), by the idle rule.
            let active = inst.rounded_active.max(tariff.minimum_per_start);
            BilledTime { active, idle: SimDuration::ZERO }
        };
        self.meters.add_life(billed);
        self.cpu_work_closed += inst.cpu_work_ns;
        self.vcpu_alive_area += lifetime.as_nanos() as f64 * self.spec.instance.vcpu;
    }

    // ---- Kubernetes nodes ----

    fn pool(&self) -> &'a NodePool {
        self.spec.nodes.as_ref().expect("node methods run only with a node pool")
    }

    /// The nodes there at time zero: the pool's minimum, or enough for the initial pods.
    fn start_nodes(&mut self) {
        let Some(pool) = &self.spec.nodes else { return };
        let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
        let pods = self.spec.initial_instances();
        // Karpenter would have launched its claims for the pods already running; further
        // nodes up to the pool's minimum are of the type one pod would get.
        let machines: Vec<usize> = match &pool.autoscaler {
            NodeAutoscaler::Karpenter(_) => {
                let capacity: Vec<u32> = (0..pool.machines.len()).map(|m| cluster.capacity(m)).collect();
                let mut launches = karpenter_launches(&pool.machines, &capacity, pods);
                let spare = cheapest_holding(&pool.machines, &capacity, 1).unwrap_or(0);
                launches.resize(launches.len().max(pool.min_nodes as usize), spare);
                launches
            }
            _ => vec![0; pool.min_nodes.max(nodes_for(pods, cluster.capacity(0))) as usize],
        };
        let first: Vec<u32> = machines
            .into_iter()
            .take(pool.max_nodes as usize)
            .map(|m| cluster.add_node(m, SimTime::ZERO, true))
            .collect();
        for node in first {
            self.schedule_reclaim(node);
        }
        let scan = match &pool.autoscaler {
            NodeAutoscaler::Fixed => None,
            NodeAutoscaler::ClusterAutoscaler(ca) => Some(ca.scan_interval),
            NodeAutoscaler::Karpenter(k) => Some(k.scan_interval),
        };
        if let Some(scan) = scan {
            self.events.schedule(SimTime::ZERO + scan, Event::NodeScan);
        }
    }

    /// A pod found no room. Karpenter opens (or extends) its batch window; the Cluster
    /// Autoscaler will see it at its next scan.
    fn on_pod_pending(&mut self) {
        let NodeAutoscaler::Karpenter(k) = &self.pool().autoscaler else { return };
        let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
        match &mut cluster.batch {
            Some((_, last)) => *last = self.now,
            None => {
                cluster.batch = Some((self.now, self.now));
                self.events.schedule(self.now + k.batch_idle, Event::NodeBatch);
            }
        }
    }

    /// A pod left `node`: room for pending pods, or the end of a node being deleted.
    fn release_from_node(&mut self, node: u32) {
        let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
        if cluster.release(node, self.now) {
            cluster.remove(node, self.now);
        }
        self.place_pending();
    }

    /// Places pending pods, oldest first, while some node has room.
    fn place_pending(&mut self) {
        let placement = self.pool().placement;
        loop {
            let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
            if cluster.pending.is_empty() {
                return;
            }
            let Some(node) = cluster.choose(placement) else { return };
            let slot = cluster.pending.pop_front().expect("not empty");
            cluster.place(node, self.now);
            self.node_of[slot as usize] = node;
            let inst = &self.instances[slot as usize];
            // A pending pod's life began when it was created (`begin_pending`).
            self.pending_pods += 1;
            self.pending_wait_ns += self.now.since(inst.started_at).as_nanos() as u128;
            let seq = inst.created_seq;
            self.launch(slot, seq, true, true);
        }
    }

    /// Asks for a node of machine type `m`; it is Ready after the provisioning time.
    fn provision_node(&mut self, m: usize) -> u32 {
        let provisioning = match &self.pool().autoscaler {
            NodeAutoscaler::ClusterAutoscaler(ca) => &ca.provisioning,
            NodeAutoscaler::Karpenter(k) => &k.provisioning,
            NodeAutoscaler::Fixed => unreachable!("a fixed pool provisions no nodes"),
        };
        let delay = SimDuration::from_secs_f64(provisioning.sample_secs(&mut self.node_rng));
        let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
        let slot = cluster.add_node(m, self.now, false);
        let generation = cluster.nodes[slot as usize].generation;
        cluster.last_scale_up = Some(self.now);
        self.events.schedule(self.now + delay, Event::Node { slot, generation });
        self.schedule_reclaim(slot);
        slot
    }

    /// Spot: draws when the provider will reclaim a new node (exponential, at the pool's
    /// rate per node-hour from its launch).
    fn schedule_reclaim(&mut self, slot: u32) {
        let Some(i) = self.pool().interruptions.as_ref().filter(|i| i.rate_per_hour > 0.0) else { return };
        let after = SimDuration::from_secs_f64(self.reclaim_rng.exponential(3600.0 / i.rate_per_hour));
        let generation =
            self.cluster.as_ref().expect("a node pool has a cluster").nodes[slot as usize].generation;
        self.events.schedule(self.now + after, Event::NodeReclaim { slot, generation });
    }

    /// Spot reclaim of a node. At the notice a node still provisioning is simply gone; a
    /// Ready one is cordoned and drained like a scale-down (each pod replaced elsewhere,
    /// finishing what it holds); when the warning ends the node is terminated and the
    /// requests still on it are lost.
    fn on_node_reclaim(&mut self, slot: u32, generation: u32) {
        let warning = self.pool().interruptions.as_ref().map_or(SimDuration::ZERO, |i| i.warning);
        let now = self.now;
        let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
        let node = &mut cluster.nodes[slot as usize];
        if node.generation != generation || node.life == NodeLife::Gone {
            return;
        }
        if node.reclaimed {
            // The last pod to go takes the node with it (it is being deleted).
            for pod in self.pods_on(slot) {
                self.kill(pod);
            }
            return;
        }
        node.reclaimed = true;
        self.counters.interruptions += 1;
        match node.life {
            NodeLife::Provisioning => {
                self.end_replacement(slot, false);
                let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
                return cluster.remove(slot, now);
            }
            NodeLife::Ready => self.delete_node(slot),
            NodeLife::Deleting | NodeLife::Gone => {}
        }
        let node = &self.cluster.as_ref().expect("a node pool has a cluster").nodes[slot as usize];
        if node.generation == generation && node.life != NodeLife::Gone {
            self.events.schedule(now + warning, Event::NodeReclaim { slot, generation });
        }
    }

    fn on_node_ready(&mut self, slot: u32, generation: u32) {
        let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
        let node = &mut cluster.nodes[slot as usize];
        if node.generation != generation || node.life != NodeLife::Provisioning {
            return;
        }
        node.life = NodeLife::Ready;
        node.changed_at = self.now;
        self.end_replacement(slot, true);
        self.place_pending();
    }

    fn on_node_scan(&mut self) {
        let pool = self.pool();
        let period = match &pool.autoscaler {
            NodeAutoscaler::ClusterAutoscaler(ca) => {
                self.cluster_autoscaler_scan(ca);
                ca.scan_interval
            }
            NodeAutoscaler::Karpenter(k) => self.karpenter_disrupt(k),
            NodeAutoscaler::Fixed => return,
        };
        self.events.schedule(self.now + period, Event::NodeScan);
    }

    /// One Cluster Autoscaler loop (`core/static_autoscaler.go` RunOnce): nodes for
    /// pending pods (bin-packed onto the nodes already on their way first), and a loop that
    /// scaled up ends there. Otherwise every node's unneeded timer is brought up to date
    /// (also during the cooldown after a scale-up, which blocks only the deletion: a node
    /// goes at max(delay_after_add, unneeded_time)); then, out of cooldown and with no pod
    /// pending, the empty nodes unneeded long enough go together, up to
    /// `max_scale_down_parallelism`, and at most one node with pods is drained.
    fn cluster_autoscaler_scan(&mut self, ca: &ClusterAutoscaler) {
        let pool = self.pool();
        let now = self.now;
        let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
        let pending = cluster.pending.len() as u32;
        if pending > 0 {
            let uncovered = pending.saturating_sub(cluster.upcoming_room());
            let room = pool.max_nodes.saturating_sub(cluster.alive);
            // Every machine type that holds a pod is a node group to expand.
            let options: Vec<ScaleUpOption> = (0..pool.machines.len())
                .filter(|&m| cluster.capacity(m) > 0)
                .map(|m| {
                    let nodes = nodes_for(uncovered, cluster.capacity(m)).min(room);
                    ScaleUpOption { machine: m, nodes, pods: uncovered.min(nodes * cluster.capacity(m)) }
                })
                .filter(|o| o.nodes > 0)
                .collect();
            let size = cluster.serving_nodes();
            let chosen = expander::choose(
                ca.expander,
                &options,
                &pool.machines,
                &self.spec.instance,
                size,
                &mut self.expander_rng,
            );
            if let Some(o) = chosen {
                for _ in 0..o.nodes {
                    self.provision_node(o.machine);
                }
                return;
            }
        }
        let cooldown = cluster.last_scale_up.is_some_and(|t| now < t + ca.delay_after_add);
        let mut ripe = Vec::new();
        for n in 0..cluster.nodes.len() {
            if cluster.nodes[n].life != NodeLife::Ready {
                continue;
            }
            let pods = cluster.nodes[n].pods;
            let unneeded = cluster.utilization(n, &self.spec.instance) < ca.utilization_threshold
                && cluster.room_elsewhere(n) >= pods
                && cluster.serving_nodes() > pool.min_nodes;
            let node = &mut cluster.nodes[n];
            if !unneeded {
                node.unneeded_since = None;
                continue;
            }
            let since = *node.unneeded_since.get_or_insert(now);
            if now >= since + ca.unneeded_time {
                ripe.push(n);
            }
        }
        if cooldown || pending > 0 {
            return;
        }
        let mut deleted: Vec<usize> = Vec::new();
        let mut serving = cluster.serving_nodes();
        for &n in &ripe {
            if cluster.nodes[n].pods == 0
                && deleted.len() < ca.max_scale_down_parallelism as usize
                && serving > pool.min_nodes
            {
                deleted.push(n);
                serving -= 1;
            }
        }
        // One node with pods, whose pods fit on what stays (the room was counted per node).
        let drained = ripe.iter().copied().find(|&n| {
            let mut outside = deleted.clone();
            outside.push(n);
            cluster.nodes[n].pods > 0
                && deleted.len() < ca.max_scale_down_parallelism as usize
                && serving > pool.min_nodes
                && cluster.room_outside(&outside) >= cluster.nodes[n].pods
        });
        for n in deleted.into_iter().chain(drained) {
            self.delete_node(n as u32);
        }
    }

    /// Karpenter's disruption loop (kubernetes-sigs/karpenter `pkg/controllers/disruption`),
    /// over nodes whose pods have been unchanged for `consolidate_after`: one decision per
    /// loop, emptiness first (empty nodes go together), else one consolidation (see
    /// `Cluster::consolidation`), all within the NodePool's disruption budget. A decision
    /// waits `validation` (15 s) and is carried out only if the loop then decides the same;
    /// the next loop comes `scan_interval` after that. Returns the time to the next loop.
    fn karpenter_disrupt(&mut self, k: &Karpenter) -> SimDuration {
        let command = self.disruption_command(k);
        let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
        let validated = cluster.validating.take();
        let Some(command) = command else { return k.scan_interval };
        if k.validation > SimDuration::ZERO && validated.as_ref() != Some(&command) {
            // A new decision (or one that changed while it waited): wait, then look again.
            cluster.validating = Some(command);
            return k.validation;
        }
        match command.launch {
            None => {
                for n in command.nodes {
                    self.delete_node(n);
                }
            }
            Some(m) => {
                for &n in &command.nodes {
                    cluster.nodes[n as usize].cordoned = true;
                }
                let node = self.provision_node(m);
                let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
                let generation = cluster.nodes[node as usize].generation;
                cluster.replacing = Some(Replacement { node, generation, old: command.nodes });
            }
        }
        k.scan_interval
    }

    /// What the disruption loop would do now, if anything.
    fn disruption_command(&self, k: &Karpenter) -> Option<Consolidation> {
        let pool = self.pool();
        let now = self.now;
        let cluster = self.cluster.as_ref().expect("a node pool has a cluster");
        if !cluster.pending.is_empty() || cluster.replacing.is_some() {
            return None;
        }
        let mut allowed = cluster.allowed_disruptions(k.budget_percent) as usize;
        let settled = |n: usize| {
            let node = &cluster.nodes[n];
            node.life == NodeLife::Ready && !node.cordoned && now >= node.changed_at + k.consolidate_after
        };
        let spare = cluster.serving_nodes().saturating_sub(pool.min_nodes) as usize;
        let empty: Vec<u32> = (0..cluster.nodes.len())
            .filter(|&n| settled(n) && cluster.nodes[n].pods == 0)
            .take(allowed.min(spare))
            .map(|n| n as u32)
            .collect();
        if !empty.is_empty() {
            return Some(Consolidation { launch: None, nodes: empty });
        }
        let mut candidates: Vec<usize> = (0..cluster.nodes.len()).filter(|&n| settled(n)).collect();
        candidates.sort_by_key(|&n| (cluster.nodes[n].pods, n));
        allowed = allowed.min(candidates.len());
        candidates.truncate(allowed);
        let plan = cluster.consolidation(&candidates)?;
        let after = cluster.serving_nodes() + u32::from(plan.launch.is_some()) - plan.nodes.len() as u32;
        if after < pool.min_nodes || (plan.launch.is_some() && cluster.alive >= pool.max_nodes) {
            return None;
        }
        Some(plan)
    }

    /// A consolidation's replacement node is Ready: the nodes it replaces are drained
    /// (their pods' replacements go to it); or it never came (reclaimed while
    /// provisioning): they are uncordoned.
    fn end_replacement(&mut self, node: u32, ready: bool) {
        let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
        let Some(r) = cluster
            .replacing
            .take_if(|r| r.node == node && r.generation == cluster.nodes[node as usize].generation)
        else {
            return;
        };
        for old in r.old {
            let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
            cluster.nodes[old as usize].cordoned = false;
            if ready && cluster.nodes[old as usize].life == NodeLife::Ready {
                self.delete_node(old);
            }
        }
    }

    /// Karpenter's batch: once no pod has gone pending for `batch_idle` (or the window
    /// has lasted `batch_max`), launch the cheapest nodes for the pods still uncovered.
    fn on_node_batch(&mut self) {
        let NodeAutoscaler::Karpenter(k) = &self.pool().autoscaler else { return };
        let pool = self.pool();
        let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
        let Some((opened, last)) = cluster.batch else { return };
        let deadline = (last + k.batch_idle).min(opened + k.batch_max);
        if self.now < deadline {
            self.events.schedule(deadline, Event::NodeBatch);
            return;
        }
        cluster.batch = None;
        let uncovered = (cluster.pending.len() as u32).saturating_sub(cluster.upcoming_room());
        let capacity: Vec<u32> = (0..pool.machines.len()).map(|m| cluster.capacity(m)).collect();
        let room = pool.max_nodes.saturating_sub(cluster.alive) as usize;
        for m in karpenter_launches(&pool.machines, &capacity, uncovered).into_iter().take(room) {
            self.provision_node(m);
        }
    }

    /// The pods placed on node `n` (starting, ready or draining).
    fn pods_on(&self, n: u32) -> Vec<u32> {
        (0..self.instances.len() as u32)
            .filter(|&s| self.node_of[s as usize] == n && self.instances[s as usize].life != Life::Stopped)
            .collect()
    }

    /// Drains a node: its pods get replacements elsewhere (a ReplicaSet recreates an
    /// evicted pod at once) and finish what they hold; the node goes with its last pod.
    fn delete_node(&mut self, n: u32) {
        let cluster = self.cluster.as_mut().expect("a node pool has a cluster");
        cluster.nodes[n as usize].life = NodeLife::Deleting;
        if cluster.nodes[n as usize].pods == 0 {
            cluster.remove(n, self.now);
            return;
        }
        for slot in self.pods_on(n) {
            if self.instances[slot as usize].draining {
                continue;
            }
            self.drain(slot);
            self.start_instance(true);
            let inst = &self.instances[slot as usize];
            if inst.life == Life::Ready && inst.is_idle() {
                self.stop_instance(slot);
            }
        }
    }

    // ---- autoscaler ticks ----

    fn snapshot(&mut self) -> Snapshot {
        let now = self.now;
        let mut cpu = self.cpu_work_closed;
        for inst in self.instances.iter_mut().filter(|i| i.life != Life::Stopped) {
            inst.advance(now);
            cpu += inst.cpu_work_ns;
        }
        Snapshot {
            at: now,
            in_system_area: self.in_system_area,
            cpu_work_ns: cpu,
            // Spilled requests never reached this fleet's instances or their metrics.
            arrivals: self.counters.arrived - self.counters.spilled,
        }
    }

    fn on_tick(&mut self) {
        let snapshot = self.snapshot();
        self.history.push(snapshot);
        let fleet = Fleet {
            now: self.now,
            ready: self.alive - self.starting - self.draining,
            desired: self.desired,
            concurrency: self.spec.instance.concurrency,
            vcpu: self.spec.instance.vcpu,
        };
        let (min, max) = (self.spec.min_instances, self.spec.max_instances);
        let desired = match (&mut self.scaler, &self.spec.autoscaler) {
            (Scaler::Kpa(s), AutoscalerSpec::Concurrency(c)) => Some(s.desired(c, &self.history, fleet)),
            (Scaler::TargetTracking(s), AutoscalerSpec::TargetTracking(t)) => {
                Some(s.desired(t, &self.history, fleet))
            }
            (Scaler::Keda(s), AutoscalerSpec::KedaHttp(k)) => Some(s.desired(k, &self.history, fleet)),
            (Scaler::Fly, AutoscalerSpec::FlyProxy(f)) => {
                let soft = f.soft_limit;
                self.fly_autostop(soft);
                None
            }
            (Scaler::Hpa(s), AutoscalerSpec::Hpa(h)) => {
                let window = h.metric_window;
                let usage = match h.metric {
                    HpaMetric::Cpu { .. } => self.history.cpu_in_use(window),
                    HpaMetric::Concurrency { .. } => self.history.avg_concurrency(window),
                    HpaMetric::RequestsPerSecond { .. } => self.history.arrival_rate(window),
                };
                let active = self.history.arrivals(h.sync_period) > 0 || self.in_system > 0;
                let input = HpaInput {
                    now: self.now,
                    current: self.desired,
                    ready: fleet.ready,
                    unready: self.starting,
                    usage,
                    cpu_request: self.spec.instance.vcpu,
                    min,
                    max,
                };
                Some(s.desired(h, &input, active))
            }
            (_, AutoscalerSpec::Schedule { weekday, weekend }) => {
                let hours = self.now.0 / SimDuration::from_hours(1).as_nanos();
                let (day, hour) = (hours / 24, (hours % 24) as usize);
                Some(if day % 7 >= 5 { weekend[hour] } else { weekday[hour] })
            }
            _ => None,
        };
        if let Some(d) = desired {
            self.desired = d.clamp(min, max);
            self.reconcile();
        }
        if let Some(period) = self.tick_period() {
            self.events.schedule(self.now + period, Event::Tick);
        }
    }

    /// Moves the fleet towards `desired`: starts instances, or stops the excess (idle
    /// ones past their retention first; tick-driven scalers drain busy ones too).
    fn reconcile(&mut self) {
        let serving = self.alive - self.draining;
        if self.desired > serving {
            for _ in serving..self.desired {
                self.start_instance(true);
            }
            return;
        }
        let mut excess = serving - self.desired;
        if excess == 0 {
            return;
        }
        if matches!(self.spec.autoscaler, AutoscalerSpec::Hpa(_)) {
            // A ReplicaSet deletes unscheduled pods first, then pods not ready, newest
            // first (controller.ActivePods ordering).
            excess -= self.stop_unready(excess);
            if excess == 0 {
                return;
            }
        }
        let retention = match &self.spec.autoscaler {
            AutoscalerSpec::Concurrency(c) => Some(c.idle_retention),
            _ => None,
        };
        // Idle instances, longest idle first.
        let mut idle: Vec<(SimTime, u32)> = (0..self.instances.len() as u32)
            .filter(|&s| {
                let i = &self.instances[s as usize];
                i.life == Life::Ready && !i.draining && i.is_idle() && self.local[s as usize].is_empty()
            })
            .map(|s| (self.instances[s as usize].idle_since, s))
            .collect();
        idle.sort_unstable();
        for (since, slot) in idle {
            if excess == 0 {
                return;
            }
            if retention.is_some_and(|r| since + r > self.now) {
                continue;
            }
            self.stop_instance(slot);
            excess -= 1;
        }
        if retention.is_some() {
            // Knative and Cloud Run never take a pod away from under its requests.
            return;
        }
        // Drain the least-loaded busy instances for the rest.
        let mut busy: Vec<(usize, u32)> = (0..self.instances.len() as u32)
            .filter(|&s| self.routable(s as usize))
            .map(|s| (self.outstanding(s), s))
            .collect();
        busy.sort_unstable();
        for (_, slot) in busy.into_iter().take(excess as usize) {
            self.drain(slot);
        }
    }

    /// Stops up to `n` pods that are not ready (pending ones, then starting ones), newest
    /// first; returns how many.
    fn stop_unready(&mut self, n: u32) -> u32 {
        let mut victims: Vec<(bool, u64, u32)> = (0..self.instances.len() as u32)
            .filter_map(|s| {
                let i = &self.instances[s as usize];
                let unready = matches!(i.life, Life::Pending | Life::Starting) && !i.draining;
                unready.then_some((i.life == Life::Starting, u64::MAX - i.created_seq, s))
            })
            .collect();
        victims.sort_unstable();
        let stopped = victims.len().min(n as usize);
        for &(_, _, slot) in &victims[..stopped] {
            self.stop_instance(slot);
        }
        stopped as u32
    }

    /// fly-proxy autostop: at most one machine per pass, only if there is excess
    /// capacity: more running machines than those over soft limit plus one.
    fn fly_autostop(&mut self, soft_limit: u32) {
        let running: Vec<u32> =
            (0..self.instances.len() as u32).filter(|&s| self.routable(s as usize)).collect();
        let n = running.len() as u32;
        if n <= self.spec.min_instances {
            return;
        }
        let over = running.iter().filter(|&&s| self.outstanding(s) >= soft_limit as usize).count() as u32;
        let idle = running.iter().copied().find(|&s| self.outstanding(s) == 0);
        let excess = if n == 1 { u32::from(idle.is_some()) } else { n.saturating_sub(over + 1) };
        if excess >= 1 {
            if let Some(slot) = idle {
                self.stop_instance(slot);
            }
        }
    }

    /// Meters every life still open at the horizon (instances and nodes).
    fn close_lives(&mut self) {
        for slot in 0..self.instances.len() as u32 {
            if !matches!(self.instances[slot as usize].life, Life::Stopped | Life::Pending) {
                self.close_life(slot);
            }
        }
        if let Some(cluster) = &mut self.cluster {
            cluster.close(self.now);
            self.meters.node_usd = cluster.node_usd;
            self.meters.node_seconds = cluster.node_seconds;
        }
    }

    fn outcome(mut self) -> Outcome {
        self.counters.in_flight = self.in_system;
        let horizon_ns = self.horizon.0.max(1) as f64;
        let horizon = SimDuration::from_nanos(self.horizon.0);
        self.meters.idle_seconds += self.idle_billed_area as f64 / 1e9;
        self.meters.idle_at_active_rate_seconds += self.idle_at_active_area as f64 / 1e9;
        self.meters.stopped_seconds += self.stopped_area as f64 / 1e9;
        let per = |sum: u128, n: u64| if n == 0 { 0.0 } else { sum as f64 / n as f64 / 1e9 };
        Outcome {
            cost: CostBreakdown::price(&self.meters, &self.spec.tariff, horizon),
            counters: self.counters,
            latency: self.latency,
            meters: self.meters,
            mean_instances: self.alive_area as f64 / horizon_ns,
            peak_instances: self.peak_alive,
            mean_busy_instances: self.busy_area as f64 / horizon_ns,
            utilization: if self.vcpu_alive_area > 0.0 {
                self.cpu_work_closed / self.vcpu_alive_area
            } else {
                0.0
            },
            mean_in_system: self.in_system_area as f64 / horizon_ns,
            mean_sojourn_secs: per(self.sojourn_ns, self.departed),
            mean_queue_wait_secs: per(self.queue_wait_ns, self.dispatched),
            timeline: self.timeline.map(|tl| tl.minutes).unwrap_or_default(),
            mean_nodes: self.node_area as f64 / horizon_ns,
            peak_nodes: self.cluster.as_ref().map_or(0, |c| c.peak),
            pending_pods: self.pending_pods,
            mean_pending_secs: per(self.pending_wait_ns, self.pending_pods),
            parts: None,
            services: Vec::new(),
            shared_cost: CostBreakdown::default(),
        }
    }
}
