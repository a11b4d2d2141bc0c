//! One platform, one replication: the event loop.
//!
//! Pending events are bounded by the model, not by the traffic: one next arrival, at
//! most one event per instance (its start, its next completion or its idle expiry) and
//! one queue-timeout timer. Superseded instance events are left in the heap and
//! recognised by their stale generation. Nothing is stored per request beyond the
//! requests currently queued or in service, so memory is flat in the horizon.

use crate::billing::{BilledTime, CostBreakdown, Meters};
use crate::instance::{Instance, Life};
use crate::spec::{AutoscalerSpec, PlatformSpec, RouterSpec};
use crossover_engine::rng::purpose_id;
use crossover_engine::{EventQueue, LatencyRecorder, RngStream, SimDuration, SimTime, StreamKey};
use crossover_workload::{Arrivals, Demand, RequestDemand, Traffic, DEMAND_STREAM};
use std::collections::{BTreeSet, VecDeque};

/// Everything a replication of one platform depends on; `simulate` is a pure function
/// of it.
pub struct SimInput<'a> {
    pub platform: &'a PlatformSpec,
    pub traffic: &'a Traffic,
    pub demand: &'a Demand,
    pub horizon: SimDuration,
    pub seed: u64,
    pub replication: u64,
}

/// Request and instance counts. Conservation: `arrived = completed + rejected +
/// timed_out + in_flight`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub arrived: u64,
    /// Served within the request timeout.
    pub completed: u64,
    /// Gave up waiting in the router's queue (HTTP 429).
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
}

impl Counters {
    pub fn is_conserved(&self) -> bool {
        self.arrived == self.completed + self.rejected + self.timed_out + self.in_flight
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
    /// Mean wait in the router's queue over requests that reached an instance.
    pub mean_queue_wait_secs: f64,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival,
    Instance { slot: u32, generation: u32 },
    QueueTimeout,
}

#[derive(Clone, Copy, Debug)]
struct Queued {
    arrival: SimTime,
    demand: RequestDemand,
}

/// Orders available instances: least loaded, then newest.
fn availability_key(inst: &Instance, slot: u32) -> (u32, u64, u32) {
    (inst.active.len() as u32, u64::MAX - inst.created_seq, slot)
}

/// Simulates one platform over one replication.
pub fn simulate(input: &SimInput) -> Outcome {
    let mut sim = Sim::new(input);
    sim.run();
    sim.finish()
}

struct Sim<'a> {
    spec: &'a PlatformSpec,
    demand: &'a Demand,
    horizon: SimTime,
    now: SimTime,
    events: EventQueue<Event>,
    arrivals: Arrivals,
    demand_rng: RngStream,
    cold_start_rng: RngStream,
    instances: Vec<Instance>,
    /// Pending event time of each instance slot (`SimTime::MAX` if none).
    pending_at: Vec<SimTime>,
    free_slots: Vec<u32>,
    /// Ready instances with a free concurrency slot, least loaded first and, among equally
    /// loaded ones, most recently created first: (active requests, !created_seq, slot).
    /// With concurrency 1 this is Lambda's reuse of the newest idle instance; with more,
    /// load spreads evenly instead of piling onto one instance.
    available: BTreeSet<(u32, u64, u32)>,
    queue: VecDeque<Queued>,
    queue_timer_armed: bool,
    next_seq: u64,
    alive: u32,
    starting: u32,
    busy: u32,
    in_system: u64,
    last_change: SimTime,
    alive_area: u128,
    busy_area: u128,
    in_system_area: u128,
    vcpu_alive_area: f64,
    cpu_work_ns: f64,
    sojourn_ns: u128,
    departed: u64,
    queue_wait_ns: u128,
    dispatched: u64,
    peak_alive: u32,
    counters: Counters,
    latency: LatencyRecorder,
    meters: Meters,
}

impl<'a> Sim<'a> {
    fn new(input: &SimInput<'a>) -> Self {
        let key = |purpose: &str| StreamKey::new(input.seed, input.replication, purpose_id(purpose));
        let horizon = SimTime(input.horizon.as_nanos());
        let arrivals = Arrivals::new(input.traffic.clone(), input.seed, input.replication, horizon);
        let platform_stream = format!("platform/{}/cold-start", input.platform.name);
        Sim {
            spec: input.platform,
            demand: input.demand,
            horizon,
            now: SimTime::ZERO,
            events: EventQueue::with_capacity(1024),
            arrivals,
            demand_rng: RngStream::new(key(DEMAND_STREAM)),
            cold_start_rng: RngStream::new(key(&platform_stream)),
            instances: Vec::new(),
            pending_at: Vec::new(),
            free_slots: Vec::new(),
            available: BTreeSet::new(),
            queue: VecDeque::new(),
            queue_timer_armed: false,
            next_seq: 0,
            alive: 0,
            starting: 0,
            busy: 0,
            in_system: 0,
            last_change: SimTime::ZERO,
            alive_area: 0,
            busy_area: 0,
            in_system_area: 0,
            vcpu_alive_area: 0.0,
            cpu_work_ns: 0.0,
            sojourn_ns: 0,
            departed: 0,
            queue_wait_ns: 0,
            dispatched: 0,
            peak_alive: 0,
            counters: Counters::default(),
            latency: LatencyRecorder::new(),
            meters: Meters::default(),
        }
    }

    fn run(&mut self) {
        for _ in 0..self.spec.initial_instances() {
            self.start_instance(false);
        }
        if let Some(t) = self.arrivals.next_arrival() {
            self.events.schedule(t, Event::Arrival);
        }
        while let Some((t, event)) = self.events.pop() {
            if t >= self.horizon {
                break;
            }
            debug_assert!(t >= self.now, "the clock never goes backwards");
            self.now = t;
            self.accumulate_areas();
            match event {
                Event::Arrival => self.on_arrival(),
                Event::Instance { slot, generation } => {
                    if self.instances[slot as usize].generation == generation {
                        self.on_instance_event(slot);
                    }
                }
                Event::QueueTimeout => self.on_queue_timeout(),
            }
        }
        self.now = self.horizon;
        self.accumulate_areas();
    }

    /// Integrates the time-average counters up to `now`; called before any change.
    fn accumulate_areas(&mut self) {
        let dt = self.now.since(self.last_change).as_nanos();
        if dt > 0 {
            self.alive_area += self.alive as u128 * dt as u128;
            self.busy_area += self.busy as u128 * dt as u128;
            self.in_system_area += self.in_system as u128 * dt as u128;
            self.last_change = self.now;
        }
    }

    fn on_arrival(&mut self) {
        self.counters.arrived += 1;
        self.in_system += 1;
        // A replayed request's recorded duration belongs to this arrival: read it before
        // asking for the next one.
        let demand = self.demand.draw_recorded(&mut self.demand_rng, self.arrivals.recorded_demand());
        if let Some(t) = self.arrivals.next_arrival() {
            self.events.schedule(t, Event::Arrival);
        }
        let request = Queued { arrival: self.now, demand };
        match self.available.first() {
            Some(&(_, _, slot)) => self.dispatch(slot, request),
            None => {
                self.queue.push_back(request);
                self.arm_queue_timer();
                self.scale_for_queue();
            }
        }
    }

    /// Reactive scale-out when requests wait for capacity.
    fn scale_for_queue(&mut self) {
        if let AutoscalerSpec::PerRequest { .. } = self.spec.autoscaler {
            while (self.starting as usize) < self.queue.len() && self.alive < self.spec.max_instances {
                self.start_instance(true);
            }
        }
    }

    fn queue_timeout(&self) -> SimDuration {
        match self.spec.router {
            RouterSpec::CentralQueue { queue_timeout } => queue_timeout,
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

    fn start_instance(&mut self, cold: bool) {
        let spec = &self.spec.instance;
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.instances.push(Instance::new(spec.vcpu, spec.concurrency));
                self.pending_at.push(SimTime::MAX);
                (self.instances.len() - 1) as u32
            }
        };
        let ready_at = if cold {
            self.counters.cold_starts += 1;
            self.now + spec.cold_start.sample(&mut self.cold_start_rng)
        } else {
            self.now
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.instances[slot as usize].begin_life(seq, self.now, ready_at);
        self.pending_at[slot as usize] = SimTime::MAX;
        self.meters.instance_starts += 1;
        self.alive += 1;
        self.peak_alive = self.peak_alive.max(self.alive);
        if ready_at > self.now {
            self.starting += 1;
            self.reschedule(slot);
        } else {
            self.become_ready(slot);
        }
    }

    fn become_ready(&mut self, slot: u32) {
        let inst = &mut self.instances[slot as usize];
        if inst.life == Life::Starting {
            self.starting -= 1;
        }
        inst.life = Life::Ready;
        self.relist(slot);
        self.fill_from_queue(slot);
        let inst = &mut self.instances[slot as usize];
        if inst.is_idle() {
            // The start-up period (billed as active) ends; idling begins.
            inst.end_busy_period(self.now, self.spec.tariff.rounding);
        }
        self.reschedule(slot);
    }

    /// Takes `slot` out of the available set before its load changes.
    fn unlist(&mut self, slot: u32) {
        let inst = &self.instances[slot as usize];
        if inst.life == Life::Ready && inst.active.len() < self.spec.instance.concurrency as usize {
            self.available.remove(&availability_key(inst, slot));
        }
    }

    /// Puts `slot` back in the available set if it is ready and has room.
    fn relist(&mut self, slot: u32) {
        let inst = &self.instances[slot as usize];
        if inst.life == Life::Ready && inst.active.len() < self.spec.instance.concurrency as usize {
            self.available.insert(availability_key(inst, slot));
        }
    }

    /// Gives queued requests to `slot` while it has room.
    fn fill_from_queue(&mut self, slot: u32) {
        let concurrency = self.spec.instance.concurrency as usize;
        while self.instances[slot as usize].active.len() < concurrency {
            let Some(request) = self.queue.pop_front() else { break };
            self.counters.queued += 1;
            self.dispatch(slot, request);
        }
    }

    fn dispatch(&mut self, slot: u32, request: Queued) {
        self.unlist(slot);
        let now = self.now;
        let concurrency = self.spec.instance.concurrency as usize;
        let inst = &mut self.instances[slot as usize];
        debug_assert!(inst.life == Life::Ready && inst.active.len() < concurrency);
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
        self.relist(slot);
        self.dispatched += 1;
        self.queue_wait_ns += now.since(request.arrival).as_nanos() as u128;
        self.meters.requests += 1;
        self.reschedule(slot);
    }

    fn on_instance_event(&mut self, slot: u32) {
        self.pending_at[slot as usize] = SimTime::MAX;
        let inst = &self.instances[slot as usize];
        match inst.life {
            Life::Starting => self.become_ready(slot),
            Life::Ready if !inst.is_idle() => self.on_completions(slot),
            Life::Ready => self.on_idle_expiry(slot),
            Life::Stopped => {}
        }
    }

    fn on_completions(&mut self, slot: u32) {
        let now = self.now;
        let timeout = self.spec.request_timeout;
        self.unlist(slot);
        let inst = &mut self.instances[slot as usize];
        inst.advance(now);
        let mut finished = 0u64;
        let (counters, latency, sojourn) = (&mut self.counters, &mut self.latency, &mut self.sojourn_ns);
        inst.settle(now, |arrival| {
            let l = now.since(arrival);
            *sojourn += l.as_nanos() as u128;
            finished += 1;
            if l > timeout {
                counters.timed_out += 1;
            } else {
                counters.completed += 1;
                latency.record(l);
            }
        });
        self.in_system -= finished;
        self.departed += finished;
        self.relist(slot);
        self.fill_from_queue(slot);
        let inst = &mut self.instances[slot as usize];
        if inst.is_idle() {
            self.busy -= 1;
            inst.end_busy_period(now, self.spec.tariff.rounding);
        }
        self.reschedule(slot);
    }

    fn on_idle_expiry(&mut self, slot: u32) {
        if self.alive > self.spec.min_instances {
            self.stop_instance(slot);
        }
    }

    /// Computes the slot's next event and schedules it if it changed.
    fn reschedule(&mut self, slot: u32) {
        let inst = &self.instances[slot as usize];
        let next = match inst.life {
            Life::Starting => Some(inst.ready_at),
            Life::Ready if !inst.is_idle() => inst.next_completion(self.now),
            Life::Ready => match self.spec.autoscaler {
                AutoscalerSpec::PerRequest { keep_alive } => Some(inst.idle_since + keep_alive),
                AutoscalerSpec::Fixed { .. } => None,
            },
            Life::Stopped => None,
        };
        let next = next.unwrap_or(SimTime::MAX);
        if next != self.pending_at[slot as usize] {
            let inst = &mut self.instances[slot as usize];
            inst.generation = inst.generation.wrapping_add(1);
            self.pending_at[slot as usize] = next;
            if next != SimTime::MAX {
                let generation = inst.generation;
                self.events.schedule(next, Event::Instance { slot, generation });
            }
        }
    }

    fn stop_instance(&mut self, slot: u32) {
        self.unlist(slot);
        self.close_life(slot);
        let inst = &mut self.instances[slot as usize];
        inst.life = Life::Stopped;
        inst.generation = inst.generation.wrapping_add(1);
        self.pending_at[slot as usize] = SimTime::MAX;
        self.alive -= 1;
        self.free_slots.push(slot);
    }

    /// Meters an instance's life up to `now` (at a stop or the end of the horizon).
    fn close_life(&mut self, slot: u32) {
        let now = self.now;
        let tariff = &self.spec.tariff;
        let inst = &mut self.instances[slot as usize];
        inst.advance(now);
        inst.end_busy_period(now, tariff.rounding);
        let lifetime = now.since(inst.started_at);
        let billed = BilledTime::for_life(lifetime, inst.raw_active, inst.rounded_active, tariff);
        self.meters.add_life(billed, self.spec.instance.vcpu, self.spec.instance.memory_gib);
        self.cpu_work_ns += inst.cpu_work_ns;
        self.vcpu_alive_area += lifetime.as_nanos() as f64 * self.spec.instance.vcpu;
    }

    fn finish(mut self) -> Outcome {
        for slot in 0..self.instances.len() as u32 {
            if self.instances[slot as usize].life != Life::Stopped {
                self.close_life(slot);
            }
        }
        self.counters.in_flight = self.in_system;
        let horizon_ns = self.horizon.0.max(1) as f64;
        let horizon = SimDuration::from_nanos(self.horizon.0);
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
                self.cpu_work_ns / self.vcpu_alive_area
            } else {
                0.0
            },
            mean_in_system: self.in_system_area as f64 / horizon_ns,
            mean_sojourn_secs: per(self.sojourn_ns, self.departed),
            mean_queue_wait_secs: per(self.queue_wait_ns, self.dispatched),
        }
    }
}
