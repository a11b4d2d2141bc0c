//! One service of a stack on one platform: its router, its fleet of instances (their
//! life cycles, draining, Spot notices), its autoscaler's ticks and reconciliation, and
//! its meters.
//!
//! A service owns its state; what it shares with the other services of the stack (the
//! event queue, the node pool, the timeline) is handed to it as `Shared` at every call,
//! so two services never reach into each other. Pending events per service are bounded
//! by the model, not by the traffic: one next arrival, at most one event per instance
//! (its start, its next completion, its idle expiry or its interruption), one
//! queue-timeout timer and one autoscaler tick. Nothing is stored per request beyond
//! the requests currently queued or in service, so memory is flat in the horizon.

use super::nodes::Nodes;
use super::outcome::{mean_secs, Counters, Finished, JobStats, ServiceOutcome, Totals};
use super::{CronJob, Event, Run, ServiceLoad, Shared, Work};
use crate::autoscaler::{fly, Autoscaler, Fleet, MetricHistory, Snapshot, Tick, TickInput};
use crate::billing::{BilledTime, CostBreakdown, IdleBilling, Meters, Tariff};
use crate::instance::{Instance, Life};
use crate::spec::{AutoscalerSpec, BalancePolicy, PlatformSpec, RouterSpec};
use crossover_engine::{IndexedHeap, LatencyRecorder, RngStream, SimDuration, SimTime, Streams};
use crossover_workload::{Arrivals, Demand, RequestDemand, DEMAND_STREAM};
use std::collections::VecDeque;

/// Bits of the availability key below the load: the creation order's.
const SEQ_BITS: u32 = 44;

/// Orders available instances for the central queue: least loaded, then newest (then
/// the lower slot, the heap's tie-break). One word, the load above the creation order
/// counted down, so the heap compares one integer: a listed instance's load is below
/// its concurrency (at most 10,000 < 2^20), and a service starts fewer than 2^44
/// instances (at a million a second, half a year of them).
#[inline]
fn availability_key(inst: &Instance) -> u64 {
    const SEQ_MASK: u64 = (1 << SEQ_BITS) - 1;
    debug_assert!(inst.load() < 1 << (64 - SEQ_BITS) && inst.created_seq <= SEQ_MASK);
    ((inst.load() as u64) << SEQ_BITS) | (SEQ_MASK - (inst.created_seq & SEQ_MASK))
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

/// One service of the stack on this platform: its router, its fleet of instances, its
/// autoscaler's state and its meters. What it shares with the other services (the
/// event queue, the node pool, the timeline) comes in as `Shared` at every call.
pub(crate) struct Service<'a> {
    /// Its index in the stack (events name it).
    pub index: u32,
    pub name: &'a str,
    pub spec: &'a PlatformSpec,
    idle_meter: IdleMeter,
    /// The router is a central queue (which keeps the available set). A worker's and a
    /// scheduled job's durable queue is one too: instances pull from it.
    central_queue: bool,
    /// Jobs wait in a durable queue: never refused, never timed out.
    durable: bool,
    /// A request served later than this is timed out (never, for jobs).
    timeout: SimDuration,
    /// A scheduled job's runs, for a cron service.
    cron: Option<CronRuns<'a>>,
    /// Jobs waiting (not in service) integrated over time, and the most at once.
    backlog_area: u128,
    peak_backlog: u64,
    /// Fly: stopped machines are metered (their root filesystems are billed).
    meters_stopped: bool,
    demand: &'a Demand,
    response_gb: f64,
    pub now: SimTime,
    pub arrivals: Arrivals,
    demand_rng: RngStream,
    cold_start_rng: RngStream,
    platform_rng: RngStream,
    pub instances: Vec<Instance>,
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
    available: IndexedHeap<u64>,
    /// Requests waiting for any instance (the central queue, or a load balancer with no
    /// ready target).
    queue: VecDeque<Queued>,
    queue_timer_armed: bool,
    round_robin: usize,
    /// The routable slots in slot order, for random balancing: rebuilt only when an
    /// instance became or stopped being routable (`routable_stale`), not per request.
    routable_slots: Vec<u32>,
    routable_stale: bool,
    autoscaler: Autoscaler<'a>,
    history: MetricHistory,
    /// Ticks may be skipped while the service is quiet (`quiet_until`): set in a stack
    /// without a node pool, where every event that can change what a tick sees is the
    /// service's own.
    skips_quiet_ticks: bool,
    /// The first tick skipped since the last handled: the skipped ticks' snapshots are
    /// taken at the next tick handled.
    quiet_since: Option<SimTime>,
    /// When the next arrival is due (`MAX`: none).
    next_arrival: SimTime,
    /// The end of the run: a recurrence of quiet ticks ends there at the latest.
    horizon: SimTime,
    /// Ticks handled, for the tests that check quiet ones were skipped.
    #[cfg(test)]
    pub ticks: u64,
    desired: u32,
    next_seq: u64,
    pub alive: u32,
    pub starting: u32,
    pub busy: u32,
    pub draining: u32,
    pub in_system: u64,
    last_change: SimTime,
    pub alive_area: u128,
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
    pub counters: Counters,
    latency: LatencyRecorder,
    meters: Meters,
    /// Requests in service on some instance (the rest of `in_system` waits).
    pub serving: u64,
    /// The node each pod slot is on (`NO_NODE` if pending or serverless), and since when.
    pub node_of: Vec<u32>,
    placed_at: Vec<SimTime>,
    /// Its pods' share of the node bill so far (OpenCost allocation, unscaled USD).
    allocated_usd: f64,
    pending_pods: u64,
    pending_wait_ns: u128,
    /// Instance timers are keyed `slot * stride + index + offset` (see `timer_id`).
    stride: u32,
    offset: u32,
}

/// A scheduled job's state: the run in progress and what the runs came to.
struct CronRuns<'a> {
    job: &'a CronJob,
    /// The run in progress started then.
    running_since: Option<SimTime>,
    /// Where the next run is looked for (the clock, in ns).
    next_from: u64,
    stats: JobStats,
    makespans: LatencyRecorder,
}

/// A pod not placed on any node.
pub(crate) const NO_NODE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Queued {
    pub arrival: SimTime,
    pub demand: RequestDemand,
}

impl<'a> Service<'a> {
    /// Service `index` of `services` in a replication: its streams are keyed by its name.
    pub fn new(index: u32, services: u32, spec: &'a PlatformSpec, load: &'a ServiceLoad, run: &Run) -> Self {
        let streams = Streams::scoped(run.seed, run.replication, &load.name);
        let key = |purpose: &str| streams.key(purpose);
        let arrivals = Arrivals::new(load.traffic.clone(), streams, run.horizon);
        let (autoscaler, longest_window) = Autoscaler::new(&spec.autoscaler);
        let durable = !matches!(load.work, Work::Http);
        let cron = match &load.work {
            Work::Cron(job) => Some(CronRuns {
                job,
                running_since: None,
                next_from: 0,
                stats: JobStats::default(),
                makespans: LatencyRecorder::new(),
            }),
            Work::Http | Work::Worker => None,
        };
        Service {
            index,
            name: &load.name,
            spec,
            idle_meter: IdleMeter::of(&spec.tariff),
            central_queue: durable || matches!(spec.router, RouterSpec::CentralQueue { .. }),
            durable,
            timeout: if durable { SimDuration::MAX } else { spec.request_timeout },
            cron,
            backlog_area: 0,
            peak_backlog: 0,
            meters_stopped: matches!(spec.autoscaler, AutoscalerSpec::FlyProxy(_)),
            demand: &load.demand,
            response_gb: load.response_gb,
            now: SimTime::ZERO,
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
            autoscaler,
            history: MetricHistory::new(longest_window),
            skips_quiet_ticks: false,
            quiet_since: None,
            next_arrival: SimTime::MAX,
            horizon: run.horizon,
            #[cfg(test)]
            ticks: 0,
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
            node_of: Vec::new(),
            placed_at: Vec::new(),
            allocated_usd: 0.0,
            pending_pods: 0,
            pending_wait_ns: 0,
            // One service keys its timers by slot, as a lone fleet always did; in a stack
            // the first `services` ids are the services' arrival timers.
            stride: services,
            offset: u32::from(services > 1),
        }
    }

    /// The id of `slot`'s timer in the shared event queue.
    fn timer_id(&self, slot: u32) -> u32 {
        (slot + self.offset) * self.stride + self.index
    }

    /// Brings the clock to `now`, integrating the time averages first.
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        debug_assert!(now >= self.now, "the clock never goes backwards");
        self.now = now;
        self.accumulate_areas();
    }

    fn tick_period(&self) -> Option<SimDuration> {
        self.autoscaler.tick_period()
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
        if self.durable {
            self.backlog_area += (self.in_system - self.serving) as u128 * dt;
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

    /// A request arrives: drawn, the next arrival scheduled, and routed, unless the
    /// service spills and is saturated: then it is returned, for the overflow platform.
    pub fn on_arrival(&mut self, sh: &mut Shared<'a>) -> Option<Queued> {
        if self.cron.is_some() {
            self.on_cron_run(sh);
            return None;
        }
        self.counters.arrived += 1;
        // A replayed request's recorded duration belongs to this arrival: read it before
        // asking for the next one.
        let demand = self.demand.draw_recorded(&mut self.demand_rng, self.arrivals.recorded_demand());
        self.schedule_arrival(sh);
        let request = Queued { arrival: self.now, demand };
        if let Some(spill) = &self.spec.spill {
            if self.saturated(spill.threshold) {
                self.counters.spilled += 1;
                return Some(request);
            }
        }
        self.accept(sh, request);
        None
    }

    /// Schedules the next arrival, if the horizon holds one: the queue's stream for a
    /// lone service, the service's arrival timer in a stack.
    pub fn schedule_arrival(&mut self, sh: &mut Shared<'a>) {
        let next = match &mut self.cron {
            Some(cron) => {
                let t = cron.job.schedule.next_at_or_after(cron.next_from).map(SimTime);
                cron.next_from = t.map_or(u64::MAX, |t| t.0.saturating_add(1));
                t
            }
            None => self.arrivals.next_arrival(),
        };
        self.next_arrival = next.unwrap_or(SimTime::MAX);
        if let Some(t) = next {
            let event = Event::Arrival { service: self.index };
            if self.stride == 1 {
                sh.events.schedule_stream(t, event);
            } else {
                sh.events.set_timer(self.index, t, event);
            }
        }
    }

    /// A request enters this fleet: counted in system, seen by KEDA, routed.
    fn accept(&mut self, sh: &mut Shared<'a>, request: Queued) {
        self.in_system += 1;
        self.autoscaler.saw_request(self.now);
        self.route(sh, request);
        if self.durable {
            self.peak_backlog = self.peak_backlog.max(self.in_system - self.serving);
        }
    }

    /// A scheduled run is due: its tasks are enqueued and instances started for them,
    /// unless the previous run still goes (then this one is skipped).
    fn on_cron_run(&mut self, sh: &mut Shared<'a>) {
        let cron = self.cron.as_mut().expect("a cron service");
        if cron.running_since.is_some() {
            cron.stats.skipped_runs += 1;
        } else {
            cron.stats.runs += 1;
            cron.running_since = Some(self.now);
            for _ in 0..cron.job.tasks {
                let demand = self.demand.draw(&mut self.demand_rng);
                self.counters.arrived += 1;
                self.in_system += 1;
                self.queue.push_back(Queued { arrival: self.now, demand });
            }
            self.peak_backlog = self.peak_backlog.max(self.in_system - self.serving);
            self.start_tasks(sh);
        }
        self.schedule_arrival(sh);
    }

    /// Starts an instance for each task no instance is starting for, while fewer than
    /// `parallelism` are alive (a Job's pods, one task each).
    fn start_tasks(&mut self, sh: &mut Shared<'a>) {
        let Some(cron) = &self.cron else { return };
        let most = cron.job.parallelism.min(self.spec.max_instances);
        while self.alive < most && (self.starting as usize) < self.queue.len() {
            self.start_instance(sh, true);
        }
    }

    /// A task of the run ended (done, or lost with its instance): the run finishes with
    /// its last task; until then the next tasks get instances.
    fn on_task_ended(&mut self, sh: &mut Shared<'a>) {
        if self.in_system > 0 {
            return self.start_tasks(sh);
        }
        let now = self.now;
        let cron = self.cron.as_mut().expect("a cron service");
        if let Some(since) = cron.running_since.take() {
            let makespan = now.since(since);
            cron.stats.finished_runs += 1;
            cron.makespans.record(makespan);
            if cron.job.deadline.is_some_and(|d| makespan > d) {
                cron.stats.missed_deadlines += 1;
            }
        }
    }

    /// Whether the hybrid gateway sends a new request elsewhere: the requests outstanding
    /// at ready instances (and waiting for one) reach `threshold` times their concurrency
    /// slots, or no instance is ready.
    pub fn saturated(&mut self, threshold: f64) -> bool {
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
    pub fn take_spilled(&mut self, sh: &mut Shared<'a>, now: SimTime, request: Queued) {
        self.advance(now);
        self.counters.arrived += 1;
        self.accept(sh, request);
    }

    fn route(&mut self, sh: &mut Shared<'a>, request: Queued) {
        match self.spec.router {
            // Instances pull jobs from a durable queue, whatever fronts the platform's
            // HTTP services.
            RouterSpec::LoadBalancer { policy, .. } if !self.durable => {
                self.route_balanced(sh, request, policy)
            }
            RouterSpec::CentralQueue { .. } | RouterSpec::LoadBalancer { .. } => {
                self.route_central(sh, request)
            }
        }
    }

    fn route_central(&mut self, sh: &mut Shared<'a>, request: Queued) {
        if let Some((_, slot)) = self.available.first() {
            return self.dispatch(sh, slot, request);
        }
        if self.scales_per_request() && self.alive < self.instance_cap() {
            // Lambda: the request waits for the execution environment it caused to start,
            // not for whichever instance frees first.
            let slot = self.start_instance(sh, true);
            return self.bind(sh, slot, request);
        }
        self.enqueue(sh, request);
        self.scale_on_demand(sh);
    }

    fn route_balanced(&mut self, sh: &mut Shared<'a>, request: Queued, policy: BalancePolicy) {
        if let Autoscaler::FlyProxy(fly) = self.autoscaler {
            // fly-proxy: start a stopped machine when every running one is over its soft
            // limit, and send the request to it.
            let pick = self.pick_balanced(BalancePolicy::LeastOutstanding);
            let least = pick.map(|s| self.outstanding(s));
            if fly::starts_another(least, fly.soft_limit) && self.alive < self.spec.max_instances {
                let slot = self.start_instance(sh, true);
                return self.bind(sh, slot, request);
            }
            return match pick {
                Some(slot) => self.assign(sh, slot, request),
                None => self.enqueue(sh, request),
            };
        }
        match self.pick_balanced(policy) {
            Some(slot) => self.assign(sh, slot, request),
            None => {
                self.enqueue(sh, request);
                self.scale_on_demand(sh);
            }
        }
    }

    fn outstanding(&self, slot: u32) -> usize {
        self.instances[slot as usize].load() + self.local[slot as usize].len()
    }

    pub fn routable(&self, slot: usize) -> bool {
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
    fn assign(&mut self, sh: &mut Shared<'a>, slot: u32, request: Queued) {
        if self.instances[slot as usize].load() < self.spec.instance.concurrency as usize {
            self.dispatch(sh, slot, request);
        } else {
            self.local[slot as usize].push_back(request);
        }
    }

    fn enqueue(&mut self, sh: &mut Shared<'a>, request: Queued) {
        if self.durable {
            // A durable queue keeps every job until an instance takes it.
            self.queue.push_back(request);
            return;
        }
        if self.queue_timeout() == SimDuration::ZERO {
            // A load balancer with no healthy target answers 503 at once.
            self.counters.rejected += 1;
            self.depart(request.arrival);
            return;
        }
        if self.queue.len() >= self.max_queue() as usize {
            // The router's queue is full: refused at once (503), so that an overload
            // cannot grow it without bound.
            self.counters.rejected += 1;
            self.counters.queue_full += 1;
            self.depart(request.arrival);
            return;
        }
        self.queue.push_back(request);
        self.arm_queue_timer(sh);
    }

    fn scales_per_request(&self) -> bool {
        self.autoscaler.starts_per_request()
    }

    /// Requests waiting for capacity start instances at once (Cloud Run's on-demand
    /// scaling, the Knative activator's poke, the KEDA interceptor's activation):
    /// enough starting instances to take every queued request.
    fn scale_on_demand(&mut self, sh: &mut Shared<'a>) {
        let Some(per_instance) = self.autoscaler.on_demand(self.alive, self.spec.instance.concurrency) else {
            return;
        };
        while self.alive < self.spec.max_instances
            && (self.starting as usize).saturating_mul(per_instance) < self.queue.len()
        {
            self.start_instance(sh, true);
            self.desired = self.desired.max(self.alive);
        }
    }

    /// Reserves a starting instance for the request that started it.
    fn bind(&mut self, sh: &mut Shared<'a>, slot: u32, request: Queued) {
        if self.instances[slot as usize].life == Life::Ready {
            // Zero cold start: it is ready at once.
            self.dispatch(sh, slot, request);
        } else {
            self.bound[slot as usize] = Some(request);
        }
    }

    fn queue_timeout(&self) -> SimDuration {
        match self.spec.router {
            RouterSpec::CentralQueue { queue_timeout, .. }
            | RouterSpec::LoadBalancer { queue_timeout, .. } => queue_timeout,
        }
    }

    fn max_queue(&self) -> u32 {
        match self.spec.router {
            RouterSpec::CentralQueue { max_queue, .. } | RouterSpec::LoadBalancer { max_queue, .. } => {
                max_queue
            }
        }
    }

    fn arm_queue_timer(&mut self, sh: &mut Shared<'a>) {
        if !self.queue_timer_armed {
            if let Some(head) = self.queue.front() {
                sh.events.schedule(
                    head.arrival + self.queue_timeout(),
                    Event::QueueTimeout { service: self.index },
                );
                self.queue_timer_armed = true;
            }
        }
    }

    pub fn on_queue_timeout(&mut self, sh: &mut Shared<'a>) {
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
        self.arm_queue_timer(sh);
    }

    /// A request leaves the system (served, timed out or rejected).
    fn depart(&mut self, arrival: SimTime) {
        self.in_system -= 1;
        self.departed += 1;
        self.sojourn_ns += self.now.since(arrival).as_nanos() as u128;
    }

    // ---- instance life cycle ----

    pub fn start_instance(&mut self, sh: &mut Shared<'a>, cold: bool) -> u32 {
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                let spec = &self.spec.instance;
                self.instances.push(Instance::new(spec.vcpu, spec.concurrency));
                self.pending_at.push(SimTime::MAX);
                self.bound.push(None);
                self.local.push(VecDeque::new());
                self.node_of.push(NO_NODE);
                self.placed_at.push(SimTime::ZERO);
                (self.instances.len() - 1) as u32
            }
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.alive += 1;
        self.peak_alive = self.peak_alive.max(self.alive);
        sh.alive += 1;
        sh.peak_alive = sh.peak_alive.max(sh.alive);
        if let Some(nodes) = &mut sh.nodes {
            match nodes.choose(self.index) {
                Some(node) => self.put_on(nodes, slot, node),
                None => {
                    // No node has room: the pod is Pending until one does.
                    self.instances[slot as usize].begin_pending(seq, self.now);
                    self.routable_stale = true;
                    self.pending_at[slot as usize] = SimTime::MAX;
                    self.starting += 1;
                    nodes.pod_pending(&mut sh.events, self.index, slot, self.now);
                    return slot;
                }
            }
        }
        self.launch(sh, slot, seq, cold, false);
        slot
    }

    /// Places pod `slot` on `node`.
    fn put_on(&mut self, nodes: &mut Nodes<'a>, slot: u32, node: u32) {
        nodes.cluster.place(node, self.index as usize, self.now);
        self.node_of[slot as usize] = node;
        self.placed_at[slot as usize] = self.now;
    }

    /// A pending pod found room on `node`: placed, and its life begins (cold).
    pub fn place_pending(&mut self, sh: &mut Shared<'a>, slot: u32, node: u32) {
        let nodes = sh.nodes.as_mut().expect("only a node pool has pending pods");
        self.put_on(nodes, slot, node);
        let inst = &self.instances[slot as usize];
        // A pending pod's life began when it was created (`begin_pending`).
        self.pending_pods += 1;
        self.pending_wait_ns += self.now.since(inst.started_at).as_nanos() as u128;
        let seq = inst.created_seq;
        self.launch(sh, slot, seq, true, true);
    }

    /// Begins an instance's life now: its cold start, or ready at once.
    fn launch(&mut self, sh: &mut Shared<'a>, slot: u32, seq: u64, cold: bool, was_pending: bool) {
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
            self.reschedule(sh, slot);
        } else {
            if was_pending {
                self.starting -= 1;
            }
            self.become_ready(sh, slot);
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

    fn become_ready(&mut self, sh: &mut Shared<'a>, slot: u32) {
        let inst = &mut self.instances[slot as usize];
        if inst.life == Life::Starting {
            self.starting -= 1;
        }
        inst.life = Life::Ready;
        self.routable_stale = true;
        self.relist(slot);
        if let Some(request) = self.bound[slot as usize].take() {
            self.dispatch(sh, slot, request);
        }
        self.take_waiting(sh, slot);
        if self.cron.is_some() && self.instances[slot as usize].is_idle() {
            // A task's instance with no task left to run exits at once.
            return self.stop_instance(sh, slot);
        }
        // A load balancer that held requests for lack of targets now spreads them.
        if !self.central_queue {
            while let Some(request) = self.queue.pop_front() {
                self.counters.queued += 1;
                self.route(sh, request);
            }
        }
        let inst = &mut self.instances[slot as usize];
        if inst.is_idle() {
            // The start-up period (billed as active) ends; idling begins.
            inst.end_busy_period(self.now, self.spec.tariff.rounding);
            if inst.draining {
                return self.stop_instance(sh, slot);
            }
        }
        self.reschedule(sh, slot);
    }

    /// Gives `slot` the requests waiting for it: its own queue first, then the central
    /// queue, while it has room. Inlined for its first test: the usual case, at every
    /// completion, is that nothing waits, and a call for that costs more than the test.
    #[inline(always)]
    fn take_waiting(&mut self, sh: &mut Shared<'a>, slot: u32) {
        if self.queue.is_empty() && self.local[slot as usize].is_empty() {
            return;
        }
        self.dispatch_waiting(sh, slot);
    }

    /// `take_waiting` when something waits.
    fn dispatch_waiting(&mut self, sh: &mut Shared<'a>, slot: u32) {
        let concurrency = self.spec.instance.concurrency as usize;
        while self.instances[slot as usize].load() < concurrency {
            if let Some(request) = self.local[slot as usize].pop_front() {
                self.dispatch(sh, slot, request);
            } else if self.central_queue && !self.instances[slot as usize].draining {
                let Some(request) = self.queue.pop_front() else { break };
                self.counters.queued += 1;
                self.dispatch(sh, slot, request);
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

    fn dispatch(&mut self, sh: &mut Shared<'a>, slot: u32, request: Queued) {
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
        self.reschedule(sh, slot);
    }

    pub fn on_instance_event(&mut self, sh: &mut Shared<'a>, slot: u32) {
        self.pending_at[slot as usize] = SimTime::MAX;
        let inst = &self.instances[slot as usize];
        if self.now >= inst.interrupt_at {
            return self.on_interruption(sh, slot);
        }
        match inst.life {
            Life::Starting => self.become_ready(sh, slot),
            Life::Ready if !inst.is_idle() => self.on_completions(sh, slot),
            Life::Ready => self.on_idle_expiry(sh, slot),
            Life::Pending | Life::Stopped => {}
        }
    }

    fn on_completions(&mut self, sh: &mut Shared<'a>, slot: u32) {
        let now = self.now;
        let timeout = self.timeout;
        let inst = &mut self.instances[slot as usize];
        inst.advance(now);
        let mut finished = 0u64;
        let (counters, latency, sojourn) = (&mut self.counters, &mut self.latency, &mut self.sojourn_ns);
        let mut minute = sh.timeline.as_mut().map(|tl| &mut tl.latency);
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
        if finished > 0 && self.cron.is_some() {
            // One task per instance: it exits, and the run moves on.
            self.stop_instance(sh, slot);
            return self.on_task_ended(sh);
        }
        // Waiting requests first: a slot that takes one at once is not listed as free in
        // between (each dispatch relists it).
        self.take_waiting(sh, slot);
        if finished > 0 {
            // Only a finished request frees a slot: a CPU phase ending into I/O leaves the
            // load, and so the available set, as it was.
            self.relist(slot);
        }
        let inst = &mut self.instances[slot as usize];
        if inst.is_idle() {
            inst.end_busy_period(now, self.spec.tariff.rounding);
            if inst.draining {
                return self.stop_instance(sh, slot);
            }
        }
        self.reschedule(sh, slot);
    }

    /// How long an idle instance waits before it may be stopped, if that is decided per
    /// instance rather than at autoscaler ticks.
    fn idle_expiry(&self) -> Option<SimDuration> {
        self.autoscaler.idle_expiry()
    }

    /// Instances that must stay: `min_instances`, and the autoscaler's desire (not with
    /// per-request scaling, whose instances live by their keep-alive).
    fn floor(&self) -> u32 {
        if !self.autoscaler.starts_per_request() {
            self.desired.max(self.spec.min_instances)
        } else {
            self.spec.min_instances
        }
    }

    fn on_idle_expiry(&mut self, sh: &mut Shared<'a>, slot: u32) {
        if self.alive - self.draining > self.floor() {
            self.stop_instance(sh, slot);
        }
    }

    /// Spot: at the notice the instance stops taking requests and a replacement starts
    /// (cold); when the warning is over, whatever still runs on it is lost.
    fn on_interruption(&mut self, sh: &mut Shared<'a>, slot: u32) {
        if !self.instances[slot as usize].noticed {
            let warning = self.spec.interruptions.as_ref().map_or(SimDuration::ZERO, |i| i.warning);
            self.counters.interruptions += 1;
            let inst = &mut self.instances[slot as usize];
            // Its next completion is computed from now (below): the clock must be now's.
            inst.advance(self.now);
            inst.noticed = true;
            inst.interrupt_at = self.now + warning;
            self.drain(sh, slot);
            if !self.scales_per_request() {
                self.start_instance(sh, true);
            }
            let inst = &self.instances[slot as usize];
            if inst.life == Life::Ready && inst.is_idle() {
                return self.stop_instance(sh, slot);
            }
            return self.reschedule(sh, slot);
        }
        self.kill(sh, slot);
    }

    /// Stops `slot` at once (its machine is gone): whatever runs or waits on it is lost.
    pub fn kill(&mut self, sh: &mut Shared<'a>, slot: u32) {
        let inst = &mut self.instances[slot as usize];
        // The CPU work done up to its last event counts, deferred CPU-phase ends included.
        inst.catch_up(self.now);
        if !inst.is_idle() {
            self.busy -= 1;
        }
        let mut lost = inst.evict();
        self.serving -= lost.len() as u64;
        lost.extend(self.local[slot as usize].drain(..).map(|q| q.arrival));
        lost.extend(self.bound[slot as usize].take().map(|q| q.arrival));
        let lost_any = !lost.is_empty();
        for arrival in lost {
            self.counters.rejected += 1;
            self.depart(arrival);
        }
        self.stop_instance(sh, slot);
        if lost_any && self.cron.is_some() {
            self.on_task_ended(sh);
        }
    }

    /// Stops routing to `slot`; it stops when its last request finishes.
    pub fn drain(&mut self, sh: &mut Shared<'a>, slot: u32) {
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
            self.route(sh, request);
        }
    }

    /// Computes the slot's next event and schedules it if it changed.
    fn reschedule(&mut self, sh: &mut Shared<'a>, slot: u32) {
        let inst = &self.instances[slot as usize];
        let next = match inst.life {
            Life::Starting => Some(inst.ready_at),
            Life::Ready if !inst.is_idle() => self.instances[slot as usize].next_completion(self.now),
            // Looked up only here: most reschedules are of busy instances.
            Life::Ready => self.idle_expiry().map(|d| inst.idle_since + d),
            Life::Pending | Life::Stopped => None,
        };
        let next = next.unwrap_or(SimTime::MAX).min(self.instances[slot as usize].interrupt_at);
        if next != self.pending_at[slot as usize] {
            let inst = &mut self.instances[slot as usize];
            inst.generation = inst.generation.wrapping_add(1);
            self.pending_at[slot as usize] = next;
            // The slot's timer moves rather than leaving a stale event behind.
            if next != SimTime::MAX {
                let generation = inst.generation;
                let service = self.index;
                sh.events.set_timer(self.timer_id(slot), next, Event::Instance { service, slot, generation });
            } else {
                sh.events.cancel_timer(self.timer_id(slot));
            }
        }
    }

    pub fn stop_instance(&mut self, sh: &mut Shared<'a>, slot: u32) {
        self.unlist(slot);
        let was_pending = self.instances[slot as usize].life == Life::Pending;
        if was_pending {
            // Never ran: nothing to meter.
            if let Some(nodes) = &mut sh.nodes {
                nodes.forget_pending(self.index, slot);
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
        sh.events.cancel_timer(self.timer_id(slot));
        self.alive -= 1;
        sh.alive -= 1;
        self.free_slots.push(slot);
        let node = std::mem::replace(&mut self.node_of[slot as usize], NO_NODE);
        if node != NO_NODE {
            self.release_from_node(sh, slot, node);
        }
    }

    /// Pod `slot` left `node`: its share of the node bill is counted, the node goes if it
    /// was being deleted and is now empty, and pending pods may take the room.
    fn release_from_node(&mut self, sh: &mut Shared<'a>, slot: u32, node: u32) {
        let nodes = sh.nodes.as_mut().expect("a pod on a node has a node pool");
        let (usd, emptied) =
            nodes.cluster.release(node, self.index as usize, self.placed_at[slot as usize], self.now);
        self.allocated_usd += usd;
        if emptied {
            nodes.cluster.remove(node, self.now);
        }
        self.place_own_pending(sh);
    }

    /// Places this service's pending pods, oldest first, while they fit. A pending pod
    /// of another service that fits and is older stops it: the stack places that one
    /// (and what follows) once the current event is handled, so pods are placed in
    /// the order they went pending. A lone service places every pending pod here, at
    /// once.
    pub fn place_own_pending(&mut self, sh: &mut Shared<'a>) {
        loop {
            let Some(nodes) = &mut sh.nodes else { return };
            let Some((slot, node)) = nodes.next_placement(self.index) else { return };
            self.place_pending(sh, slot, node);
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
            waiting: self.in_system - self.serving,
            cpu_work_ns: cpu,
            // Spilled requests never reached this fleet's instances or their metrics.
            arrivals: self.counters.arrived - self.counters.spilled,
        }
    }

    pub fn on_tick(&mut self, sh: &mut Shared<'a>) {
        let period = self.tick_period().expect("only a service whose autoscaler ticks has ticks");
        #[cfg(test)]
        {
            self.ticks += 1;
        }
        if let Some(from) = self.quiet_since.take() {
            // The ticks passed over while the service was quiet take their snapshots.
            self.history.push_quiet(from, period, self.now);
        }
        let snapshot = self.snapshot();
        self.history.push(snapshot);
        let fleet = self.fleet();
        let (min, max) = (self.spec.min_instances, self.spec.max_instances);
        let input = TickInput { fleet, unready: self.starting, in_system: self.in_system, min, max };
        let mut answered = None;
        match self.autoscaler.tick(&self.history, &input) {
            Some(Tick::Desired(d)) => {
                answered = Some(d);
                self.desired = d.clamp(min, max);
                self.reconcile(sh);
            }
            Some(Tick::Autostop { soft_limit }) => self.fly_autostop(sh, soft_limit),
            Some(Tick::Concurrency) => self.start_for_waiting(sh),
            None => {}
        }
        self.schedule_tick(sh, period, answered);
    }

    /// What a tick knows about the fleet now.
    fn fleet(&self) -> Fleet {
        Fleet {
            now: self.now,
            ready: self.alive - self.starting - self.draining,
            desired: self.desired,
            concurrency: self.spec.instance.concurrency,
            vcpu: self.spec.instance.vcpu,
        }
    }

    /// Schedules the next tick; or, if the service is quiet and the ticks ahead would
    /// only take their snapshots, leaves them to the event queue as a recurrence passed
    /// over until the first that may do more, or the first from the service's next event
    /// on (or the horizon's): each takes its place and its sequence number as if
    /// handled, so every other event pops exactly where it would. A service at 0.1
    /// requests a second has five ticks a request.
    fn schedule_tick(&mut self, sh: &mut Shared<'a>, period: SimDuration, answered: Option<u32>) {
        let next = self.now + period;
        let event = Event::Tick { service: self.index };
        match answered.and_then(|d| self.quiet_until(d, period)) {
            Some(until) if until > next => {
                self.quiet_since = Some(next);
                let until = until.min(self.horizon);
                sh.events.schedule_recurrence(self.index, next, period.as_nanos(), until, event);
            }
            Some(_) | None => sh.events.schedule(next, event),
        }
    }

    /// While the service is quiet (nothing in the system, no instance starting or
    /// draining, no queue timer), what a tick sees changes only at an event of its own:
    /// its next arrival or an instance's timer (an idle instance's expiry). Returns the
    /// first tick after now that may do more than take its snapshot: the first before
    /// that event at which the decision (`answered` now) may differ, or else that
    /// event's time. None if not quiet, or if that event comes before the next tick
    /// (at a request a tick or more, looking ahead would cost more than it saves).
    fn quiet_until(&self, answered: u32, period: SimDuration) -> Option<SimTime> {
        if !self.skips_quiet_ticks
            || self.in_system != 0
            || self.starting != 0
            || self.draining != 0
            || self.queue_timer_armed
        {
            return None;
        }
        let own = self.pending_at.iter().fold(self.next_arrival, |t, &at| t.min(at));
        if own <= self.now + period {
            return None;
        }
        let due = self.autoscaler.quiet_until(&self.history, self.fleet(), answered, period, own)?;
        Some(due.min(own))
    }

    /// Lets the service skip its quiet ticks (see `skips_quiet_ticks`).
    pub fn let_skip_quiet_ticks(&mut self) {
        self.skips_quiet_ticks = true;
    }

    /// Instances alive at most now: `max_instances`, or less while an SQS mapping's
    /// concurrency ramps.
    fn instance_cap(&self) -> u32 {
        self.autoscaler.instance_cap().map_or(self.spec.max_instances, |cap| cap.min(self.spec.max_instances))
    }

    /// Per-request scaling whose limit rose: each waiting job, oldest first, starts the
    /// instance it will run on, while the limit allows.
    fn start_for_waiting(&mut self, sh: &mut Shared<'a>) {
        while self.alive < self.instance_cap() {
            let Some(job) = self.queue.pop_front() else { return };
            self.counters.queued += 1;
            let slot = self.start_instance(sh, true);
            self.bind(sh, slot, job);
        }
    }

    /// Moves the fleet towards `desired`: starts instances, or stops the excess (idle
    /// ones past their retention first; tick-driven scalers drain busy ones too).
    fn reconcile(&mut self, sh: &mut Shared<'a>) {
        let serving = self.alive - self.draining;
        if self.desired > serving {
            for _ in serving..self.desired {
                self.start_instance(sh, true);
            }
            return;
        }
        let mut excess = serving - self.desired;
        if excess == 0 {
            return;
        }
        if self.autoscaler.removes_unready_first() {
            // A ReplicaSet deletes unscheduled pods first, then pods not ready, newest
            // first (controller.ActivePods ordering).
            excess -= self.stop_unready(sh, excess);
            if excess == 0 {
                return;
            }
        }
        let retention = self.autoscaler.retention();
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
            self.stop_instance(sh, slot);
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
            self.drain(sh, slot);
        }
    }

    /// Stops up to `n` pods that are not ready (pending ones, then starting ones), newest
    /// first; returns how many.
    fn stop_unready(&mut self, sh: &mut Shared<'a>, n: u32) -> u32 {
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
            self.stop_instance(sh, slot);
        }
        stopped as u32
    }

    /// fly-proxy autostop: at most one machine per pass, only if there is excess
    /// capacity: more running machines than those over soft limit plus one.
    fn fly_autostop(&mut self, sh: &mut Shared<'a>, soft_limit: u32) {
        let running: Vec<u32> =
            (0..self.instances.len() as u32).filter(|&s| self.routable(s as usize)).collect();
        let n = running.len() as u32;
        if n <= self.spec.min_instances {
            return;
        }
        let over = running.iter().filter(|&&s| self.outstanding(s) >= soft_limit as usize).count() as u32;
        let idle = running.iter().copied().find(|&s| self.outstanding(s) == 0);
        if let (true, Some(slot)) = (fly::excess(n, over, idle.is_some()) >= 1, idle) {
            self.stop_instance(sh, slot);
        }
    }

    // ---- start, end and what it all came to ----

    /// Time zero: the initial instances, the first arrival and the first tick.
    pub fn start(&mut self, sh: &mut Shared<'a>, takes_arrivals: bool) {
        for _ in 0..self.spec.initial_instances() {
            self.start_instance(sh, false);
        }
        if takes_arrivals {
            self.schedule_arrival(sh);
        }
        if let Some(period) = self.tick_period() {
            let first = self.snapshot();
            self.history.push(first);
            sh.events.schedule(SimTime::ZERO + period, Event::Tick { service: self.index });
        }
    }

    /// Requests waiting (queued, not in service).
    pub fn waiting(&self) -> u64 {
        self.in_system - self.serving
    }

    /// Its instances' usage so far at the tariff's on-demand rates, from the
    /// time-averages (areas brought to the last `advance`): the shape of a
    /// commitment's hours, not a bill (lives are rounded and billed when they end, and
    /// time spent starting is left out where idle time is billed apart).
    pub fn on_demand_spend(&self) -> f64 {
        let i = &self.spec.instance;
        let t = &self.spec.tariff;
        let per_ns = |r: &crate::billing::Rates| {
            (i.vcpu * r.vcpu_second + i.memory_gib * r.gib_second + f64::from(i.gpus) * r.gpu_second) / 1e9
        };
        let (active, idle) = (per_ns(&t.active), per_ns(&t.idle));
        match self.idle_meter {
            IdleMeter::Lifetime => self.alive_area as f64 * active,
            IdleMeter::All | IdleMeter::MinInstances | IdleMeter::AtMinReplicas => {
                (self.busy_area + self.idle_at_active_area) as f64 * active
                    + self.idle_billed_area as f64 * idle
            }
        }
    }

    /// Meters every instance life still open at the horizon, and its pods' node shares.
    pub fn close_lives(&mut self, nodes: Option<&Nodes<'a>>) {
        for slot in 0..self.instances.len() as u32 {
            if !matches!(self.instances[slot as usize].life, Life::Stopped | Life::Pending) {
                self.close_life(slot);
                let node = self.node_of[slot as usize];
                if let (Some(nodes), true) = (nodes, node != NO_NODE) {
                    let on = self.now.since(self.placed_at[slot as usize]);
                    self.allocated_usd += nodes.cluster.pod_cost(node as usize, self.index as usize, on);
                }
            }
        }
    }

    /// What this service did, its cost left to the stack (which prices every service's
    /// meters together).
    pub fn finish(mut self, horizon: SimTime) -> Finished {
        self.counters.in_flight = self.in_system;
        // A run's counts and makespans (none for a worker or an HTTP service); a run still
        // going past its deadline at the horizon has missed it too.
        let mut jobs = self.cron.as_ref().map_or(JobStats::default(), |cron| {
            let late =
                cron.running_since.is_some_and(|s| cron.job.deadline.is_some_and(|d| horizon.since(s) > d));
            JobStats {
                missed_deadlines: cron.stats.missed_deadlines + u64::from(late),
                makespan_p50_secs: cron.makespans.quantile_ms(0.5) / 1e3,
                makespan_p99_secs: cron.makespans.quantile_ms(0.99) / 1e3,
                ..cron.stats
            }
        });
        jobs.peak_backlog = self.peak_backlog;
        jobs.mean_backlog = self.backlog_area as f64 / horizon.0.max(1) as f64;
        let horizon_ns = horizon.0.max(1) as f64;
        self.meters.idle_seconds += self.idle_billed_area as f64 / 1e9;
        self.meters.idle_at_active_rate_seconds += self.idle_at_active_area as f64 / 1e9;
        self.meters.stopped_seconds += self.stopped_area as f64 / 1e9;
        Finished {
            outcome: ServiceOutcome {
                name: self.name.to_string(),
                counters: self.counters,
                latency: self.latency,
                cost: CostBreakdown::default(),
                mean_instances: self.alive_area as f64 / horizon_ns,
                peak_instances: self.peak_alive,
                mean_busy_instances: self.busy_area as f64 / horizon_ns,
                utilization: if self.vcpu_alive_area > 0.0 {
                    self.cpu_work_closed / self.vcpu_alive_area
                } else {
                    0.0
                },
                mean_in_system: self.in_system_area as f64 / horizon_ns,
                mean_sojourn_secs: mean_secs(self.sojourn_ns, self.departed),
                mean_queue_wait_secs: mean_secs(self.queue_wait_ns, self.dispatched),
                pending_pods: self.pending_pods,
                mean_pending_secs: mean_secs(self.pending_wait_ns, self.pending_pods),
                jobs,
            },
            meters: self.meters,
            allocated_usd: self.allocated_usd,
            totals: Totals {
                sojourn_ns: self.sojourn_ns,
                departed: self.departed,
                queue_wait_ns: self.queue_wait_ns,
                dispatched: self.dispatched,
                cpu_work: self.cpu_work_closed,
                vcpu_area: self.vcpu_alive_area,
                pending_wait_ns: self.pending_wait_ns,
                pending_pods: self.pending_pods,
                alive_area: self.alive_area,
                busy_area: self.busy_area,
                in_system_area: self.in_system_area,
            },
        }
    }

    /// Debug builds (and so the tests) recount the fleet after every event: the running
    /// counters the metering relies on must match the instances.
    #[cfg(debug_assertions)]
    pub fn check_counts(&mut self, after: Event) {
        let live = || self.instances.iter().filter(|i| i.life != Life::Stopped);
        let alive = live().count() as u32;
        let starting = live().filter(|i| matches!(i.life, Life::Starting | Life::Pending)).count() as u32;
        let busy = live().filter(|i| i.life == Life::Ready && !i.is_idle()).count() as u32;
        let draining = live().filter(|i| i.draining).count() as u32;
        assert_eq!(
            (alive, starting, busy, draining),
            (self.alive, self.starting, self.busy, self.draining),
            "{}: fleet counts (alive, starting, busy, draining) drifted after {after:?} at {:?}",
            self.name,
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
}
