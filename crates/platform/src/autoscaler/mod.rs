//! The autoscalers: one seam, one file per kind.
//!
//! `Autoscaler` is the autoscaler of one service at run time: its spec and its own
//! state, by kind. The service asks it the few questions that differ between kinds
//! (how often it ticks, how long an idle instance may wait, whether a request that
//! finds no capacity starts an instance, what the fleet should be at a tick); every
//! question is one exhaustive `match`, so a new kind that forgets one does not compile.
//! The decisions themselves are pure functions of a `MetricHistory` and the kind's
//! state, each in its own file with its upstream's cases as tests: `kpa.rs` (Knative),
//! `target_tracking.rs` (AWS), `keda.rs` (KEDA HTTP), `fly.rs` (fly-proxy),
//! `schedule.rs` (scheduled actions), `sqs_poller.rs` (Lambda's SQS event source
//! mapping); the HPA's is `crate::hpa`.
//!
//! Adding a kind: its spec in `spec.rs` (`AutoscalerSpec`), its file here with its state
//! and decision, one arm in each `match` below, its keys in the scenario schema and
//! docs/scenario.md.

pub(crate) mod fly;
mod keda;
mod kpa;
pub(crate) mod metrics;
mod schedule;
mod sqs_poller;
mod target_tracking;

pub(crate) use metrics::{Fleet, MetricHistory, Snapshot};

use crate::hpa::{HpaInput, HpaMetric, HpaState};
use crate::spec::{AutoscalerSpec, ConcurrencyScaling, FlyProxy, KedaHttp, SqsPoller, TargetTracking};
use crate::Hpa;
use crossover_engine::{SimDuration, SimTime};
use keda::KedaState;
use kpa::KpaState;
use sqs_poller::SqsPollerState;
use target_tracking::TargetTrackingState;

/// One service's autoscaler: its spec and state.
pub(crate) enum Autoscaler<'a> {
    /// A fixed count, replaced if interrupted.
    Fixed,
    /// Lambda: one instance per request in flight, kept `keep_alive` when idle.
    PerRequest {
        keep_alive: SimDuration,
    },
    Kpa(&'a ConcurrencyScaling, KpaState),
    TargetTracking(&'a TargetTracking, TargetTrackingState),
    KedaHttp(&'a KedaHttp, KedaState),
    FlyProxy(&'a FlyProxy),
    Schedule {
        weekday: &'a [u32; 24],
        weekend: &'a [u32; 24],
    },
    Hpa(&'a Hpa, HpaState),
    SqsPoller(&'a SqsPoller, SqsPollerState),
}

/// What a tick decided.
pub(crate) enum Tick {
    /// Move the fleet to this many instances (within min and max).
    Desired(u32),
    /// fly-proxy: stop at most one excess machine.
    Autostop { soft_limit: u32 },
    /// The SQS mapping's concurrency changed: jobs waiting may start instances.
    Concurrency,
}

/// What a tick knows beyond the metric history.
pub(crate) struct TickInput {
    pub fleet: Fleet,
    /// Pods not ready (starting or pending).
    pub unready: u32,
    /// Requests in the system now (a queue's visible and in-flight messages).
    pub in_system: u64,
    pub min: u32,
    pub max: u32,
}

impl<'a> Autoscaler<'a> {
    /// The autoscaler of `spec`, and the longest window it looks back over.
    pub fn new(spec: &'a AutoscalerSpec) -> (Self, SimDuration) {
        match spec {
            AutoscalerSpec::Fixed { .. } => (Autoscaler::Fixed, SimDuration::ZERO),
            AutoscalerSpec::PerRequest { keep_alive } => {
                (Autoscaler::PerRequest { keep_alive: *keep_alive }, SimDuration::ZERO)
            }
            AutoscalerSpec::Concurrency(c) => (Autoscaler::Kpa(c, KpaState::default()), c.stable_window),
            AutoscalerSpec::TargetTracking(t) => {
                (Autoscaler::TargetTracking(t, TargetTrackingState::default()), t.period)
            }
            AutoscalerSpec::KedaHttp(k) => (Autoscaler::KedaHttp(k, KedaState::default()), k.polling),
            AutoscalerSpec::FlyProxy(f) => (Autoscaler::FlyProxy(f), SimDuration::ZERO),
            AutoscalerSpec::Schedule { weekday, weekend } => {
                (Autoscaler::Schedule { weekday, weekend }, SimDuration::ZERO)
            }
            AutoscalerSpec::Hpa(h) => {
                (Autoscaler::Hpa(h, HpaState::default()), h.metric_window.max(h.sync_period))
            }
            AutoscalerSpec::SqsPoller(p) => {
                (Autoscaler::SqsPoller(p, SqsPollerState::new(p)), SimDuration::ZERO)
            }
        }
    }

    /// Instances alive at most now, if this kind limits them below `max_instances`
    /// (the SQS mapping's concurrency).
    pub fn instance_cap(&self) -> Option<u32> {
        match self {
            Autoscaler::SqsPoller(_, s) => Some(s.cap()),
            Autoscaler::Fixed
            | Autoscaler::PerRequest { .. }
            | Autoscaler::Kpa(..)
            | Autoscaler::TargetTracking(..)
            | Autoscaler::KedaHttp(..)
            | Autoscaler::FlyProxy(_)
            | Autoscaler::Schedule { .. }
            | Autoscaler::Hpa(..) => None,
        }
    }

    /// How often it ticks, if it does.
    pub fn tick_period(&self) -> Option<SimDuration> {
        match self {
            Autoscaler::Fixed | Autoscaler::PerRequest { .. } => None,
            Autoscaler::Kpa(c, _) => Some(c.tick),
            Autoscaler::TargetTracking(t, _) => Some(t.period),
            Autoscaler::KedaHttp(k, _) => Some(k.polling),
            Autoscaler::FlyProxy(f) => Some(f.check_period),
            Autoscaler::Schedule { .. } => Some(schedule::PERIOD),
            Autoscaler::Hpa(h, _) => Some(h.sync_period),
            Autoscaler::SqsPoller(..) => Some(sqs_poller::PERIOD),
        }
    }

    /// With nothing entering the service and its fleet as it is, the first tick after
    /// `fleet.now` and before `limit` (ticks every `period`) whose decision may differ
    /// from `answered`, this tick's (`SimTime::MAX` if none will): every tick before it
    /// decides the same and only takes its snapshot, so the service may skip them (the
    /// KPA's idle retention, the other thing its ticks act on, ends at each instance's
    /// own `idle_expiry` timer, which `limit` comes before). None where that is not
    /// worked out: every kind but the KPA, whose ticks every 2 s dominate a quiet
    /// service's cost.
    pub fn quiet_until(
        &self,
        history: &MetricHistory,
        fleet: Fleet,
        answered: u32,
        period: SimDuration,
        limit: SimTime,
    ) -> Option<SimTime> {
        match self {
            Autoscaler::Kpa(c, s) => s.quiet_until(c, history, fleet, answered, period, limit),
            Autoscaler::Fixed
            | Autoscaler::PerRequest { .. }
            | Autoscaler::TargetTracking(..)
            | Autoscaler::KedaHttp(..)
            | Autoscaler::FlyProxy(_)
            | Autoscaler::Schedule { .. }
            | Autoscaler::Hpa(..)
            | Autoscaler::SqsPoller(..) => None,
        }
    }

    /// How long an idle instance waits before it may be stopped, if that is decided per
    /// instance rather than at ticks.
    pub fn idle_expiry(&self) -> Option<SimDuration> {
        match self {
            Autoscaler::PerRequest { keep_alive } => Some(*keep_alive),
            Autoscaler::SqsPoller(p, _) => Some(p.keep_alive),
            Autoscaler::Kpa(c, _) => Some(c.idle_retention),
            Autoscaler::Fixed
            | Autoscaler::TargetTracking(..)
            | Autoscaler::KedaHttp(..)
            | Autoscaler::FlyProxy(_)
            | Autoscaler::Schedule { .. }
            | Autoscaler::Hpa(..) => None,
        }
    }

    /// A request that finds no instance starts one for itself and waits for it (Lambda).
    pub fn starts_per_request(&self) -> bool {
        match self {
            Autoscaler::PerRequest { .. } | Autoscaler::SqsPoller(..) => true,
            Autoscaler::Fixed
            | Autoscaler::Kpa(..)
            | Autoscaler::TargetTracking(..)
            | Autoscaler::KedaHttp(..)
            | Autoscaler::FlyProxy(_)
            | Autoscaler::Schedule { .. }
            | Autoscaler::Hpa(..) => false,
        }
    }

    /// Requests waiting for capacity start instances at once (Cloud Run's on-demand
    /// scaling, the Knative activator's poke, the KEDA interceptor's activation): how
    /// many queued requests one starting instance covers, if this kind does it with
    /// `alive` instances.
    pub fn on_demand(&self, alive: u32, concurrency: u32) -> Option<usize> {
        match self {
            Autoscaler::Kpa(..) => Some(concurrency as usize),
            // KEDA activates from zero only; the HPA does the rest at its ticks.
            Autoscaler::KedaHttp(..) if alive == 0 => Some(usize::MAX),
            Autoscaler::KedaHttp(..)
            | Autoscaler::Fixed
            | Autoscaler::PerRequest { .. }
            | Autoscaler::TargetTracking(..)
            | Autoscaler::FlyProxy(_)
            | Autoscaler::Schedule { .. }
            | Autoscaler::Hpa(..)
            | Autoscaler::SqsPoller(..) => None,
        }
    }

    /// How long an idle instance above the desired count is kept before reconciliation
    /// may stop it; such kinds never stop a busy instance (Knative, Cloud Run).
    pub fn retention(&self) -> Option<SimDuration> {
        match self {
            Autoscaler::Kpa(c, _) => Some(c.idle_retention),
            Autoscaler::Fixed
            | Autoscaler::PerRequest { .. }
            | Autoscaler::TargetTracking(..)
            | Autoscaler::KedaHttp(..)
            | Autoscaler::FlyProxy(_)
            | Autoscaler::Schedule { .. }
            | Autoscaler::Hpa(..)
            | Autoscaler::SqsPoller(..) => None,
        }
    }

    /// A scale-down removes pods that are not ready first, newest first (a Kubernetes
    /// ReplicaSet's `controller.ActivePods` ordering).
    pub fn removes_unready_first(&self) -> bool {
        match self {
            Autoscaler::Hpa(..) => true,
            Autoscaler::Fixed
            | Autoscaler::PerRequest { .. }
            | Autoscaler::Kpa(..)
            | Autoscaler::TargetTracking(..)
            | Autoscaler::KedaHttp(..)
            | Autoscaler::FlyProxy(_)
            | Autoscaler::Schedule { .. }
            | Autoscaler::SqsPoller(..) => false,
        }
    }

    /// KEDA's interceptor saw a request (its cooldown counts from the last one).
    pub fn saw_request(&mut self, now: SimTime) {
        if let Autoscaler::KedaHttp(_, k) = self {
            k.saw_request(now);
        }
    }

    /// The decision at a tick, if this kind makes one.
    pub fn tick(&mut self, history: &MetricHistory, input: &TickInput) -> Option<Tick> {
        let fleet = input.fleet;
        match self {
            Autoscaler::Fixed | Autoscaler::PerRequest { .. } => None,
            Autoscaler::Kpa(c, s) => Some(Tick::Desired(s.desired(c, history, fleet))),
            Autoscaler::TargetTracking(t, s) => Some(Tick::Desired(s.desired(t, history, fleet))),
            Autoscaler::KedaHttp(k, s) => Some(Tick::Desired(s.desired(k, history, fleet))),
            Autoscaler::FlyProxy(f) => Some(Tick::Autostop { soft_limit: f.soft_limit }),
            Autoscaler::SqsPoller(p, s) => {
                s.minute(p, history.waiting(), input.max);
                Some(Tick::Concurrency)
            }
            Autoscaler::Schedule { weekday, weekend } => {
                Some(Tick::Desired(schedule::desired(weekday, weekend, fleet.now)))
            }
            Autoscaler::Hpa(h, s) => {
                let window = h.metric_window;
                // The snapshot just taken holds the queue's visible messages.
                let queue =
                    |in_flight: bool| if in_flight { input.in_system } else { history.waiting() } as f64;
                let usage = match h.metric {
                    HpaMetric::Cpu { .. } => history.cpu_in_use(window),
                    HpaMetric::Concurrency { .. } => history.avg_concurrency(window),
                    HpaMetric::RequestsPerSecond { .. } => history.arrival_rate(window),
                    // KEDA reads the queue's length when the HPA asks.
                    HpaMetric::QueueLength { in_flight, .. } => queue(in_flight),
                };
                let active = match h.metric {
                    HpaMetric::QueueLength { activation, in_flight, .. } => queue(in_flight) > activation,
                    HpaMetric::Cpu { .. }
                    | HpaMetric::Concurrency { .. }
                    | HpaMetric::RequestsPerSecond { .. } => {
                        history.arrivals(h.sync_period) > 0 || input.in_system > 0
                    }
                };
                let hpa = HpaInput {
                    now: fleet.now,
                    current: fleet.desired,
                    ready: fleet.ready,
                    unready: input.unready,
                    usage,
                    cpu_request: fleet.vcpu,
                    min: input.min,
                    max: input.max,
                };
                Some(Tick::Desired(s.desired(h, &hpa, active)))
            }
        }
    }
}
