//! One platform, one replication: the event loop of a stack.
//!
//! A stack is the services deployed together on the platform. The loop is small: pop
//! the next event, hand it to the part that owns it (a service, or the node pool they
//! share), then place pending pods if room appeared for another service's pod. Each
//! service (`service.rs`) owns its router, fleet, autoscaler and meters; the node pool
//! (`nodes.rs`) owns the nodes and the pods waiting for them; what they share (the
//! event queue, the node pool, the timeline, the stack's instance count) is `Shared`.
//! A hybrid (`hybrid.rs`) is two stacks in one loop: the services that spill, and the
//! overflow platform that takes what they spill. `outcome.rs` adds the services up and
//! splits the bill between them.
//!
//! Pending events are bounded by the model, not by the traffic: per service one next
//! arrival, at most one event per instance, one queue-timeout timer and one autoscaler
//! tick; per node pool one event per node and the autoscaler's loop. A lone service
//! keeps its arrivals in the queue's stream and keys its instance timers by slot, so
//! it runs exactly as a single fleet always did.

mod hybrid;
mod nodes;
mod outcome;
mod service;
#[cfg(test)]
mod tests;

pub use outcome::{Counters, JobStats, Outcome, Parts, ServiceOutcome};

use crate::billing::Tariff;
use crate::commitment::Hour;
use crate::spec::{PlatformSpec, StackSpec};
use crate::timeline::{Cumulative, TimelineRecorder, MINUTE};
use crossover_engine::{EventQueue, SimDuration, SimTime, Streams};
use crossover_workload::{CronSchedule, Demand, Traffic};
use nodes::Nodes;
use outcome::{Finished, Totals};
use service::{Queued, Service};
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
    pub work: Work,
}

/// What kind of work a service does.
#[derive(Clone, Debug, PartialEq)]
pub enum Work {
    /// Requests and responses: a client waits, and the router may refuse a request or
    /// let it time out.
    Http,
    /// Background jobs in a durable queue (SQS, Pub/Sub, a Redis list): its `traffic`
    /// is jobs enqueued per second; each instance pulls up to its concurrency. A job is
    /// never refused or timed out (visibility timeouts and retries are left out); its
    /// latency is from enqueue to done.
    Worker,
    /// A scheduled job (a CronJob, Cloud Run Job, scheduled task).
    Cron(CronJob),
}

impl Work {
    /// Its name in the scenario format and the results: `http`, `worker`, `cron`.
    pub fn kind(&self) -> &'static str {
        match self {
            Work::Http => "http",
            Work::Worker => "worker",
            Work::Cron(_) => "cron",
        }
    }
}

/// A scheduled job: at each run `tasks` tasks, each on an instance of its own (a Job's
/// pod, a Cloud Run Job task, a Fargate task), at most `parallelism` at once. A run due
/// while the previous one still runs is skipped (Kubernetes' `concurrencyPolicy:
/// Forbid`).
#[derive(Clone, Debug, PartialEq)]
pub struct CronJob {
    pub schedule: CronSchedule,
    pub tasks: u32,
    pub parallelism: u32,
    /// A run not finished this long after it started counts as missed.
    pub deadline: Option<SimDuration>,
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

/// The replication a stack runs in.
pub(crate) struct Run {
    pub seed: u64,
    pub replication: u64,
    pub horizon: SimTime,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    Arrival {
        service: u32,
    },
    Instance {
        service: u32,
        slot: u32,
        generation: u32,
    },
    QueueTimeout {
        service: u32,
    },
    Tick {
        service: u32,
    },
    /// A timeline minute ends.
    Minute,
    /// An hour of a platform with a commitment ends.
    Hour,
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

/// What the services of a stack share.
pub(crate) struct Shared<'a> {
    pub events: EventQueue<Event>,
    /// The node pool, if the platform has one.
    pub nodes: Option<Nodes<'a>>,
    pub timeline: Option<Box<TimelineRecorder>>,
    pub now: SimTime,
    /// Instances alive in all services, and its peak.
    pub alive: u32,
    pub peak_alive: u32,
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
    assert_eq!(
        input.platform.services.len(),
        input.services.len(),
        "a stack's platform has one spec per service"
    );
    let run =
        Run { seed: input.seed, replication: input.replication, horizon: SimTime(input.horizon.as_nanos()) };
    let parts: Vec<(&PlatformSpec, &ServiceLoad)> =
        input.platform.services.iter().zip(input.services).collect();
    let mut base = Stack::new(&parts, &run, input.timeline, true);
    if !input.platform.is_hybrid() {
        base.let_skip_quiet_ticks();
        if !base.run(stop) {
            return None;
        }
        return Some(base.finish().0);
    }
    hybrid::simulate(base, &parts, &run, input.timeline, stop)
}

/// The services of one platform in one replication, and what they share.
pub(crate) struct Stack<'a> {
    sh: Shared<'a>,
    services: Vec<Service<'a>>,
    tariff: &'a Tariff,
    horizon: SimTime,
    /// False for a hybrid's overflow stack: its requests come from the baseline.
    takes_arrivals: bool,
    /// An overflow stack: requests that reached the hybrid's gateway so far (the
    /// baseline's arrivals), for its timeline.
    gateway_arrived: u64,
    /// A hybrid's baseline: where each service's spilled requests go, as (overflow
    /// stack, its service), found once rather than by name per request.
    spill_to: Vec<Option<(u32, u32)>>,
    /// Eligible spend by the hour, kept only when the platform has a commitment.
    hourly: Option<HourlySpend>,
}

/// Eligible on-demand spend of each hour closed so far: a commitment's hours.
#[derive(Default)]
struct HourlySpend {
    hours: Vec<Hour>,
    /// Spend up to the last hour closed.
    last: f64,
}

const HOUR: SimDuration = SimDuration::from_hours(1);

impl<'a> Stack<'a> {
    /// A stack of `services` (each a spec and its load); the platform's shared parts
    /// (tariff, node pool) are the first spec's, which every spec holds alike.
    pub fn new(
        services: &[(&'a PlatformSpec, &'a ServiceLoad)],
        run: &Run,
        timeline: bool,
        takes_arrivals: bool,
    ) -> Self {
        let shared = services[0].0;
        let n = services.len() as u32;
        let pods: Vec<_> = services.iter().map(|(spec, _)| spec.instance.clone()).collect();
        let horizon = SimDuration::from_nanos(run.horizon.0);
        let streams = Streams::new(run.seed, run.replication);
        Stack {
            sh: Shared {
                events: EventQueue::with_capacity(1024),
                nodes: shared
                    .nodes
                    .as_ref()
                    .map(|pool| Nodes::new(pool, &pods, &shared.name, streams, horizon)),
                timeline: timeline.then(Box::default),
                now: SimTime::ZERO,
                alive: 0,
                peak_alive: 0,
            },
            services: services
                .iter()
                .enumerate()
                .map(|(i, (spec, load))| Service::new(i as u32, n, spec, load, run))
                .collect(),
            tariff: &shared.tariff,
            horizon: run.horizon,
            takes_arrivals,
            gateway_arrived: 0,
            spill_to: Vec::new(),
            hourly: shared.tariff.commitment.is_some().then(HourlySpend::default),
        }
    }

    /// Without a node pool the services may skip their quiet ticks: every event that
    /// changes what a service's autoscaler sees is then its own (a node pool's events
    /// start and stop pods, and a hybrid's stacks take spilled requests, outside them).
    fn let_skip_quiet_ticks(&mut self) {
        if self.sh.nodes.is_none() {
            self.services.iter_mut().for_each(Service::let_skip_quiet_ticks);
        }
    }

    /// Runs the horizon. Returns false, leaving the stack mid-horizon, if `stop` was set.
    fn run(&mut self, stop: &AtomicBool) -> bool {
        self.start();
        let mut handled = 0u64;
        while let Some((t, event)) = self.sh.events.pop() {
            if t >= self.horizon {
                break;
            }
            self.handle(t, event, &mut []);
            handled += 1;
            if handled.is_multiple_of(STOP_CHECK_EVENTS) && stop.load(Ordering::Relaxed) {
                return false;
            }
        }
        self.end();
        true
    }

    /// Time zero: nodes, each service's initial instances, first arrival and tick, and
    /// the first timeline minute.
    fn start(&mut self) {
        nodes::start_nodes(&mut self.sh, &self.services);
        for service in &mut self.services {
            service.start(&mut self.sh, self.takes_arrivals);
        }
        if self.sh.timeline.is_some() {
            self.sh.events.schedule(SimTime::ZERO + MINUTE, Event::Minute);
        }
        if self.hourly.is_some() && SimTime::ZERO + HOUR < self.horizon {
            self.sh.events.schedule(SimTime::ZERO + HOUR, Event::Hour);
        }
    }

    /// When the next event before the horizon is due, if any.
    fn next_event_time(&mut self) -> Option<SimTime> {
        self.sh.events.peek_time().filter(|&t| t < self.horizon)
    }

    /// Handles the next event (the caller knows there is one before the horizon).
    fn step(&mut self, overflow: &mut [Stack<'a>]) {
        if let Some((t, event)) = self.sh.events.pop() {
            self.handle(t, event, overflow);
        }
    }

    fn handle(&mut self, t: SimTime, event: Event, overflow: &mut [Stack<'a>]) {
        debug_assert!(t >= self.sh.now, "the clock never goes backwards");
        self.sh.now = t;
        let sh = &mut self.sh;
        match event {
            Event::Arrival { service } => {
                let s = &mut self.services[service as usize];
                s.advance(t);
                if let Some(request) = s.on_arrival(sh) {
                    let (o, j) =
                        self.spill_to[service as usize].expect("a service that spills has an overflow");
                    overflow[o as usize].take_spilled(j as usize, t, request);
                }
            }
            Event::Instance { service, slot, generation } => {
                let s = &mut self.services[service as usize];
                s.advance(t);
                if s.instances[slot as usize].generation == generation {
                    s.on_instance_event(sh, slot);
                }
            }
            Event::QueueTimeout { service } => {
                let s = &mut self.services[service as usize];
                s.advance(t);
                s.on_queue_timeout(sh);
            }
            Event::Tick { service } => {
                let s = &mut self.services[service as usize];
                s.advance(t);
                s.on_tick(sh);
            }
            Event::Minute => {
                self.advance_all(t);
                self.on_minute();
            }
            Event::Hour => {
                self.advance_all(t);
                self.close_hour();
                if t + HOUR < self.horizon {
                    self.sh.events.schedule(t + HOUR, Event::Hour);
                }
            }
            Event::Node { slot, generation } => {
                self.advance_all(t);
                nodes::on_node_ready(&mut self.sh, &mut self.services, slot, generation);
            }
            Event::NodeScan => {
                self.advance_all(t);
                nodes::on_node_scan(&mut self.sh, &mut self.services);
            }
            Event::NodeBatch => {
                self.advance_all(t);
                nodes::on_node_batch(&mut self.sh);
            }
            Event::NodeReclaim { slot, generation } => {
                self.advance_all(t);
                nodes::on_node_reclaim(&mut self.sh, &mut self.services, slot, generation);
            }
        }
        self.after_event(event);
    }

    /// An overflow stack's service `i` receives a request its baseline spilled at `now`
    /// (no event of its own is due before then: the shared loop ran them).
    fn take_spilled(&mut self, i: usize, now: SimTime, request: Queued) {
        self.sh.now = now;
        self.services[i].take_spilled(&mut self.sh, now, request);
        self.after_event(Event::Arrival { service: i as u32 });
    }

    fn advance_all(&mut self, t: SimTime) {
        for s in &mut self.services {
            s.advance(t);
        }
    }

    fn after_event(&mut self, _event: Event) {
        if self.sh.nodes.as_ref().is_some_and(|n| n.placement_due) {
            let now = self.sh.now;
            self.advance_all(now);
            nodes::place_all_pending(&mut self.sh, &mut self.services);
        }
        if let Some(tl) = &mut self.sh.timeline {
            // After every event: a lone service's count without the iterator's cost.
            let waiting = match self.services.as_slice() {
                [one] => one.waiting(),
                all => all.iter().map(Service::waiting).sum::<u64>(),
            };
            tl.max_waiting = tl.max_waiting.max(waiting);
        }
        #[cfg(debug_assertions)]
        for s in &mut self.services {
            s.check_counts(_event);
        }
    }

    /// The horizon: areas integrated to its end, the last (partial) minute closed.
    fn end(&mut self) {
        self.sh.now = self.horizon;
        self.advance_all(self.horizon);
        if self.sh.timeline.as_ref().is_some_and(|tl| self.horizon.0 > tl.closed() * MINUTE.as_nanos()) {
            self.on_minute();
        }
        if self.hourly.as_ref().is_some_and(|h| self.horizon.0 > h.hours.len() as u64 * HOUR.as_nanos()) {
            self.close_hour();
        }
    }

    /// Closes the hour that ends now (or the horizon's last, partial hour): its
    /// eligible spend is the difference of two running totals.
    fn close_hour(&mut self) {
        let now = self.sh.now;
        let nodes = self.sh.nodes.as_ref().map_or(0.0, |n| n.cluster.raw_usd_to(now));
        let spend = nodes + self.services.iter().map(Service::on_demand_spend).sum::<f64>();
        let Some(h) = &mut self.hourly else { return };
        let start = h.hours.len() as u64 * HOUR.as_nanos();
        let length = (now.0 - start) as f64 / HOUR.as_nanos() as f64;
        h.hours.push(Hour { length, on_demand: spend - h.last });
        h.last = spend;
    }

    /// Requests that arrived at the stack's services.
    fn arrived(&self) -> u64 {
        self.services.iter().map(|s| s.counters.arrived).sum()
    }

    fn cumulative(&mut self) -> Cumulative {
        let now = self.sh.now;
        let mut c = Cumulative {
            // An overflow stack's timeline counts the gateway's arrivals, so that both
            // stacks of a hybrid keep the same busiest day.
            arrived: if self.takes_arrivals { self.arrived() } else { self.gateway_arrived },
            completed: 0,
            rejected: 0,
            alive_area: 0,
            node_area: 0,
        };
        for s in &self.services {
            c.completed += s.counters.completed;
            c.rejected += s.counters.rejected;
            c.alive_area += s.alive_area;
        }
        if let Some(nodes) = &mut self.sh.nodes {
            nodes.cluster.integrate(now);
            c.node_area = nodes.cluster.alive_area;
        }
        c
    }

    /// Closes a timeline minute (or the horizon's last, partial one).
    fn on_minute(&mut self) {
        let now = self.cumulative();
        let waiting = self.services.iter().map(Service::waiting).sum::<u64>();
        let at = self.sh.now;
        let Some(tl) = &mut self.sh.timeline else { return };
        let start = tl.closed() * MINUTE.as_nanos();
        tl.close(now, SimDuration::from_nanos(at.0 - start), waiting);
        let next = at + MINUTE;
        if next < self.horizon {
            self.sh.events.schedule(next, Event::Minute);
        }
    }

    /// Meters every life still open at the horizon and adds the services up; also
    /// returns each service's raw sums (a hybrid adds two stacks from them).
    fn finish(mut self) -> (Outcome, Vec<Totals>) {
        let now = self.sh.now;
        for s in &mut self.services {
            s.close_lives(self.sh.nodes.as_ref());
        }
        let node_meters = self.sh.nodes.as_mut().map(|nodes| {
            nodes.cluster.close(now);
            let c = &nodes.cluster;
            outcome::NodeMeters {
                usd: c.node_usd,
                raw_usd: c.node_raw_usd,
                seconds: c.node_seconds,
                area: c.alive_area,
                peak: c.peak,
            }
        });
        let tariffs: Vec<&Tariff> = self.services.iter().map(|s| &s.spec.tariff).collect();
        let finished: Vec<Finished> = self.services.into_iter().map(|s| s.finish(self.horizon)).collect();
        let timeline = self.sh.timeline.map(|tl| tl.minutes).unwrap_or_default();
        let prices = outcome::Prices { shared: self.tariff, services: &tariffs };
        let hours = self.hourly.map(|h| h.hours);
        outcome::stack_outcome(
            finished,
            node_meters,
            prices,
            self.horizon,
            self.sh.peak_alive,
            timeline,
            hours,
        )
    }
}
