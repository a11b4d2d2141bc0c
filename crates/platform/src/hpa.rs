//! The Kubernetes Horizontal Pod Autoscaler, as `kube-controller-manager` computes it.
//!
//! Follows `pkg/controller/podautoscaler` (kubernetes/kubernetes): the replica calculator
//! (`replica_calculator.go`: the usage ratio over ready pods in whole percent or whole
//! milli-units as `metrics/utilization.go` truncates it, the tolerance, unready pods counted
//! at 0% when scaling up and left out when scaling down, no change of direction), then one
//! of the two normalisations of `horizontal.go`:
//! - without `spec.behavior` (most real HPAs, and KEDA's unless it sets one), the legacy
//!   `normalizeDesiredReplicas`: the highest recommendation of the downscale stabilisation
//!   window, then at most max(2 x current, 4) replicas, then min/max;
//! - with it, `normalizeDesiredReplicasWithBehaviors`: the up and down stabilisation
//!   windows, then the rate policies measured against the replicas at the start of each
//!   policy period, never below the current count when scaling up nor above it when
//!   scaling down.
//!
//! Pure given the inputs and its own small history, so tests replay upstream's cases.

use crossover_engine::{SimDuration, SimTime};
use std::collections::VecDeque;

/// One scaling policy: at most `value` pods, or `value` percent, per `period`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HpaPolicy {
    Pods { value: u32, period: SimDuration },
    Percent { value: u32, period: SimDuration },
}

impl HpaPolicy {
    fn period(&self) -> SimDuration {
        match *self {
            HpaPolicy::Pods { period, .. } | HpaPolicy::Percent { period, .. } => period,
        }
    }
}

/// `selectPolicy`: which of several policies applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HpaSelect {
    /// The policy allowing the largest change (the default).
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// `behavior.scaleUp` or `behavior.scaleDown`: a stabilisation window and policies.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaRules {
    pub stabilization: SimDuration,
    pub policies: Vec<HpaPolicy>,
    pub select: HpaSelect,
}

impl HpaRules {
    /// Kubernetes' default scale-up (`GenerateHPAScaleUpRules`): no window; 100% or 4
    /// pods per 15 s, the larger.
    pub fn default_up() -> Self {
        let period = SimDuration::from_secs(15);
        HpaRules {
            stabilization: SimDuration::ZERO,
            policies: vec![HpaPolicy::Percent { value: 100, period }, HpaPolicy::Pods { value: 4, period }],
            select: HpaSelect::Max,
        }
    }

    /// Kubernetes' default scale-down (`GenerateHPAScaleDownRules`): a 300 s window,
    /// then up to 100% per 15 s.
    pub fn default_down() -> Self {
        HpaRules {
            stabilization: SimDuration::from_secs(300),
            policies: vec![HpaPolicy::Percent { value: 100, period: SimDuration::from_secs(15) }],
            select: HpaSelect::Max,
        }
    }

    fn longest(&self) -> SimDuration {
        self.policies.iter().map(HpaPolicy::period).max().unwrap_or(SimDuration::ZERO).max(self.stabilization)
    }
}

/// `spec.behavior`, both directions (a direction left out takes its default).
#[derive(Clone, Debug, PartialEq)]
pub struct HpaBehavior {
    pub scale_up: HpaRules,
    pub scale_down: HpaRules,
}

/// What the HPA scales on, per pod.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HpaMetric {
    /// Average CPU utilisation as a fraction of the pod's CPU request (a Resource metric).
    /// Upstream holds it in whole percent: the fraction is rounded to one.
    Cpu { target_utilization: f64 },
    /// Requests in the system per pod (a Pods metric, e.g. from the KEDA HTTP add-on).
    Concurrency { target: f64 },
    /// Requests per second per pod (a Pods metric, e.g. from Prometheus).
    RequestsPerSecond { target: f64 },
    /// Messages in a queue, as KEDA's queue scalers report them: an External metric with
    /// an `AverageValue` target of `target` messages per replica (`queueLength`, 5 for
    /// `aws-sqs-queue`), active above `activation` (`activationQueueLength`, 0).
    /// `in_flight` counts messages being processed too (`scaleOnInFlight`, true: the
    /// SQS scaler's ApproximateNumberOfMessages + ApproximateNumberOfMessagesNotVisible).
    QueueLength { target: f64, activation: f64, in_flight: bool },
}

/// KEDA in front of the HPA: it alone moves between 0 and 1 replica.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KedaActivation {
    /// How often KEDA polls its scaler (30 s).
    pub polling: SimDuration,
    /// Time without activity before the last replica goes (300 s).
    pub cooldown: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hpa {
    pub metric: HpaMetric,
    /// `--horizontal-pod-autoscaler-sync-period` (15 s).
    pub sync_period: SimDuration,
    /// `--horizontal-pod-autoscaler-tolerance` (0.1).
    pub tolerance: f64,
    /// The window a metric sample averages over: metrics-server's resolution (15 s).
    pub metric_window: SimDuration,
    /// `spec.behavior`; None takes the legacy normalisation.
    pub behavior: Option<HpaBehavior>,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (300 s): the legacy path's
    /// window.
    pub downscale_stabilization: SimDuration,
    /// Scale to and from zero through KEDA.
    pub keda: Option<KedaActivation>,
}

/// The legacy path's scale-up limit, `calculateScaleUpLimit`: max(2 x current, 4).
pub fn legacy_scale_up_limit(current: u32) -> u32 {
    current.saturating_mul(2).max(4)
}

/// What one sync sees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HpaInput {
    pub now: SimTime,
    /// `spec.replicas`: the count asked for last time, pending pods included.
    pub current: u32,
    /// Ready pods, which have metrics.
    pub ready: u32,
    /// Pods not ready yet: pending a node, or starting.
    pub unready: u32,
    /// The metric summed over ready pods, in the metric's unit (vCPUs busy for CPU,
    /// requests in the system, requests per second).
    pub usage: f64,
    /// One pod's CPU request in vCPUs (what CPU utilisation is a percentage of).
    pub cpu_request: f64,
    pub min: u32,
    pub max: u32,
}

/// A quantity in milli-units as `resource.Quantity.MilliValue()` gives it (rounded up;
/// the small allowance keeps float noise such as 3302.0000000001 from adding one).
fn milli(x: f64) -> i64 {
    ((x * 1000.0) - 1e-6).ceil().clamp(0.0, i64::MAX as f64 / 1e3) as i64
}

/// The usage ratio over `pods` pods carrying `usage` in all, as upstream computes it:
/// for CPU `GetResourceUtilizationRatio` (whole percent of the summed requests, over a
/// whole-percent target), for Pods metrics `GetMetricUsageRatio` (the average in whole
/// milli-units over the target in milli-units).
fn usage_ratio(metric: HpaMetric, usage: f64, pods: u32, cpu_request: f64) -> f64 {
    let pods = i64::from(pods.max(1));
    match metric {
        HpaMetric::Cpu { target_utilization } => {
            let requested = pods * milli(cpu_request).max(1);
            let utilization = milli(usage) * 100 / requested;
            let target = (target_utilization * 100.0).round().max(1.0);
            utilization as f64 / target
        }
        HpaMetric::Concurrency { target }
        | HpaMetric::RequestsPerSecond { target }
        | HpaMetric::QueueLength { target, .. } => {
            let average = milli(usage) / pods;
            average as f64 / milli(target).max(1) as f64
        }
    }
}

/// The replica calculator (`GetResourceReplicas` / `calcPlainMetricReplicas`): the
/// desire before normalisation.
pub fn raw_desired(cfg: &Hpa, i: &HpaInput) -> u32 {
    if let HpaMetric::QueueLength { target, .. } = cfg.metric {
        return external_per_pod(cfg, i, target);
    }
    if i.ready == 0 {
        // "did not receive metrics for targeted pods": the sync fails, no change.
        return i.current;
    }
    let within = |r: f64| (1.0 - cfg.tolerance) <= r && r <= (1.0 + cfg.tolerance);
    let ratio = usage_ratio(cfg.metric, i.usage, i.ready, i.cpu_request);
    if i.unready == 0 || ratio <= 1.0 {
        // Scaling down (or no unready pods) leaves unready pods out altogether.
        if within(ratio) {
            return i.current;
        }
        return ceil(ratio * f64::from(i.ready));
    }
    // Scaling up counts unready pods at 0% usage, which damps the step while they start.
    let pods = i.ready + i.unready;
    let new_ratio = usage_ratio(cfg.metric, i.usage, pods, i.cpu_request);
    if within(new_ratio) || new_ratio < 1.0 {
        // Too small a change, or the unready pods would turn a scale-up into a scale-down.
        return i.current;
    }
    let replicas = ceil(new_ratio * f64::from(pods));
    if replicas < i.current {
        // The extra pods would make a scale-up shrink the fleet.
        return i.current;
    }
    replicas
}

/// An External metric with an `AverageValue` target (`GetExternalPerPodMetricReplicas`):
/// the metric's total over the target times the replicas asked for; outside the
/// tolerance, the total over the target, rounded up. Readiness plays no part.
fn external_per_pod(cfg: &Hpa, i: &HpaInput, target: f64) -> u32 {
    let usage = milli(i.usage) as f64;
    let target = milli(target).max(1) as f64;
    let ratio = usage / (target * f64::from(i.current.max(1)));
    if (1.0 - ratio).abs() <= cfg.tolerance {
        return i.current;
    }
    ceil(usage / target)
}

fn ceil(x: f64) -> u32 {
    // As upstream, `int32(math.Ceil(ratio * pods))` on ratios of whole numbers.
    x.ceil().clamp(0.0, u32::MAX as f64) as u32
}

/// The HPA's memory between syncs: past recommendations and scale events.
#[derive(Clone, Debug, Default)]
pub struct HpaState {
    recommendations: VecDeque<(SimTime, u32)>,
    /// (time, replicas added (+) or removed (-)); kept only with `behavior`.
    events: VecDeque<(SimTime, i64)>,
    /// Last KEDA poll at which the scaler reported activity (KEDA's cooldown).
    last_active: SimTime,
    last_keda_poll: Option<SimTime>,
}

impl HpaState {
    /// One sync: the replicas to ask for. `active` says whether there was traffic since
    /// the last sync; KEDA looks at it only at its polls.
    pub fn desired(&mut self, cfg: &Hpa, i: &HpaInput, active: bool) -> u32 {
        if let Some(keda) = cfg.keda {
            let polled = self.last_keda_poll.is_none_or(|t| i.now >= t + keda.polling);
            if polled {
                self.last_keda_poll = Some(i.now);
                if active {
                    // KEDA refreshes its last active time only at a poll that found the
                    // scaler active (`scale_scaledobjects.go`).
                    self.last_active = i.now;
                }
            }
            if i.current == 0 {
                // Only KEDA leaves zero, at its polls; it scales the workload itself, so
                // the HPA records no event.
                return if polled && active && i.max > 0 { 1 } else { 0 };
            }
            if polled && !active && i.now > self.last_active + keda.cooldown && i.min == 0 {
                return 0;
            }
        } else if i.current == 0 {
            // `spec.replicas == 0`: autoscaling is off until someone scales up.
            return 0;
        }
        let min = i.min.max(1);
        if i.current > i.max {
            // "Current number of replicas above Spec.MaxReplicas": straight to max.
            return self.record(cfg, i.now, i.current, i.max);
        }
        if i.current < min {
            return self.record(cfg, i.now, i.current, min);
        }
        let raw = raw_desired(cfg, i);
        let desired = match &cfg.behavior {
            None => self.normalize_legacy(cfg, i, raw, min),
            Some(b) => {
                self.forget(i.now, cfg);
                self.recommendations.push_back((i.now, raw));
                let stabilized = self.stabilize(i, b, raw);
                self.rate_limit(i, b, stabilized, min)
            }
        };
        self.record(cfg, i.now, i.current, desired)
    }

    /// Upstream's `storeScaleEvent`: only an HPA with `behavior` keeps scale events.
    fn record(&mut self, cfg: &Hpa, now: SimTime, current: u32, desired: u32) -> u32 {
        if desired != current && cfg.behavior.is_some() {
            self.events.push_back((now, i64::from(desired) - i64::from(current)));
        }
        desired
    }

    /// `normalizeDesiredReplicas`: the highest recommendation of the downscale window
    /// (a sample counts unless it is before `now - window`), then the scale-up limit and
    /// min/max (`convertDesiredReplicasWithRules`).
    fn normalize_legacy(&mut self, cfg: &Hpa, i: &HpaInput, raw: u32, min: u32) -> u32 {
        let window = cfg.downscale_stabilization;
        self.recommendations.retain(|&(t, _)| t + window >= i.now);
        let stabilized = self.recommendations.iter().map(|&(_, r)| r).chain([raw]).max().unwrap_or(raw);
        self.recommendations.push_back((i.now, raw));
        let ceiling = i.max.min(legacy_scale_up_limit(i.current));
        if stabilized < min {
            min
        } else if stabilized > ceiling {
            ceiling
        } else {
            stabilized
        }
    }

    fn forget(&mut self, now: SimTime, cfg: &Hpa) {
        let keep = cfg
            .behavior
            .as_ref()
            .map_or(SimDuration::ZERO, |b| b.scale_up.longest().max(b.scale_down.longest()));
        while self.recommendations.front().is_some_and(|&(t, _)| t + keep < now) {
            self.recommendations.pop_front();
        }
        while self.events.front().is_some_and(|&(t, _)| t + keep < now) {
            self.events.pop_front();
        }
    }

    /// Scale up only to the lowest recommendation of the up window, down only to the
    /// highest of the down window (`stabilizeRecommendationWithBehaviors`).
    fn stabilize(&self, i: &HpaInput, b: &HpaBehavior, raw: u32) -> u32 {
        // Kubernetes keeps what is strictly after `now - window`.
        let within = |w: SimDuration| {
            self.recommendations.iter().filter(move |&&(t, _)| t + w > i.now).map(|&(_, r)| r)
        };
        let up = within(b.scale_up.stabilization).chain([raw]).min().unwrap_or(raw);
        let down = within(b.scale_down.stabilization).chain([raw]).max().unwrap_or(raw);
        i.current.max(up).min(down)
    }

    /// Replicas added (`sign` 1) or removed (-1) strictly within the last `period`
    /// (`getReplicasChangePerPeriod`).
    fn changed(&self, now: SimTime, period: SimDuration, sign: i64) -> i64 {
        self.events
            .iter()
            .filter(|&&(t, d)| t + period > now && d.signum() == sign)
            .map(|&(_, d)| d.abs())
            .sum()
    }

    /// `convertDesiredReplicasWithBehaviorRate`: each policy measures from the replicas
    /// at the start of its period; the limit never crosses the current count, so past
    /// events beyond a policy hold the fleet instead of moving it the wrong way.
    fn rate_limit(&self, i: &HpaInput, b: &HpaBehavior, desired: u32, min: u32) -> u32 {
        let current = i64::from(i.current);
        let start = |p: &HpaPolicy| {
            current - self.changed(i.now, p.period(), 1) + self.changed(i.now, p.period(), -1)
        };
        if desired > i.current {
            let proposals = b.scale_up.policies.iter().map(|p| match *p {
                HpaPolicy::Pods { value, .. } => start(p) + i64::from(value),
                // Rounded up so a small percentage still moves a small fleet.
                HpaPolicy::Percent { value, .. } => {
                    (start(p) as f64 * (1.0 + f64::from(value) / 100.0)).ceil() as i64
                }
            });
            let limit = match b.scale_up.select {
                HpaSelect::Max => proposals.max(),
                HpaSelect::Min => proposals.min(),
                HpaSelect::Disabled => Some(current),
            }
            .unwrap_or(current)
            .max(current);
            let ceiling = i64::from(i.max).min(limit);
            (i64::from(desired).min(ceiling)) as u32
        } else if desired < i.current {
            let proposals = b.scale_down.policies.iter().map(|p| match *p {
                HpaPolicy::Pods { value, .. } => start(p) - i64::from(value),
                HpaPolicy::Percent { value, .. } => {
                    (start(p) as f64 * (1.0 - f64::from(value) / 100.0)) as i64
                }
            });
            let limit = match b.scale_down.select {
                HpaSelect::Max => proposals.min(),
                HpaSelect::Min => proposals.max(),
                HpaSelect::Disabled => Some(current),
            }
            .unwrap_or(current)
            .min(current);
            let floor = i64::from(min).max(limit);
            (i64::from(desired).max(floor)) as u32
        } else {
            desired
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Hpa {
        Hpa {
            metric: HpaMetric::Cpu { target_utilization: 0.5 },
            sync_period: SimDuration::from_secs(15),
            tolerance: 0.1,
            metric_window: SimDuration::from_secs(15),
            behavior: Some(HpaBehavior {
                scale_up: HpaRules::default_up(),
                scale_down: HpaRules::default_down(),
            }),
            downscale_stabilization: SimDuration::from_secs(300),
            keda: None,
        }
    }

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    fn input(now: u64, current: u32, ready: u32, unready: u32, usage: f64) -> HpaInput {
        HpaInput { now: at(now), current, ready, unready, usage, cpu_request: 1.0, min: 1, max: 100 }
    }

    #[test]
    fn the_formula_and_its_tolerance() {
        // 4 pods at 0.54 of a vCPU each against 0.5: ratio 1.08, inside the tolerance.
        assert_eq!(raw_desired(&cfg(), &input(0, 4, 4, 0, 2.16)), 4);
        // At 0.56 each: ratio 1.12 -> ceil(4.48) = 5.
        assert_eq!(raw_desired(&cfg(), &input(0, 4, 4, 0, 2.24)), 5);
        // At 0.2 each: ratio 0.4 -> ceil(1.6) = 2.
        assert_eq!(raw_desired(&cfg(), &input(0, 4, 4, 0, 0.8)), 2);
        // No ready pod has metrics: no change.
        assert_eq!(raw_desired(&cfg(), &input(0, 3, 0, 3, 0.0)), 3);
    }

    /// KEDA's queue scaler is an External metric with an AverageValue target: the
    /// replicas are the queue's length over the target, whatever the pods' readiness;
    /// within the tolerance of the replicas asked for, nothing changes. As upstream's
    /// `GetExternalPerPodMetricReplicas` (replica_calculator.go) and KEDA's SQS example
    /// ("30 messages, queueLength 10: 3 pods").
    #[test]
    fn a_queue_length_target_asks_for_the_queue_over_the_target() {
        let queue = Hpa {
            metric: HpaMetric::QueueLength { target: 10.0, activation: 0.0, in_flight: true },
            ..cfg()
        };
        assert_eq!(raw_desired(&queue, &input(0, 1, 1, 0, 30.0)), 3);
        // No pod ready yet: the external metric still counts.
        assert_eq!(raw_desired(&queue, &input(0, 2, 0, 2, 95.0)), 10);
        // 4 replicas for 42 messages: ratio 1.05, within the tolerance.
        assert_eq!(raw_desired(&queue, &input(0, 4, 4, 0, 42.0)), 4);
        // 4 replicas for 35: ratio 0.875, outside it -> ceil(3.5) = 4 still; for 25 -> 3.
        assert_eq!(raw_desired(&queue, &input(0, 4, 4, 0, 25.0)), 3);
        assert_eq!(raw_desired(&queue, &input(0, 4, 4, 0, 0.0)), 0);
    }

    #[test]
    fn unready_pods_count_as_idle_when_scaling_up_and_are_left_out_when_scaling_down() {
        // 2 ready pods at 100% of a 0.5 target (usage 2.0 vCPU: ratio 2) and 2 starting:
        // new ratio 2.0 / (4 x 0.5) = 1.0 -> within tolerance, keep 4.
        assert_eq!(raw_desired(&cfg(), &input(0, 4, 2, 2, 2.0)), 4);
        // With usage 3.0: new ratio 1.5 -> ceil(6) = 6.
        assert_eq!(raw_desired(&cfg(), &input(0, 4, 2, 2, 3.0)), 6);
        // Scaling down ignores the unready: ratio 0.5 over 2 ready -> 1.
        assert_eq!(raw_desired(&cfg(), &input(0, 4, 2, 2, 0.5)), 1);
    }

    /// A hand-worked step: load jumps from 1 to 20 vCPUs of demand on pods whose target
    /// is 0.5 vCPU (ready pods saturate at 1 vCPU each, the CPU request), then drops.
    #[test]
    fn a_step_up_is_rate_limited_and_a_step_down_waits_for_the_window() {
        let c = cfg();
        let mut s = HpaState::default();
        // t=0: 2 ready pods, at 100% of their 1-vCPU request: ratio 2 -> raw 4; up limit
        // max(2 x 2, 2 + 4) = 6, so 4.
        assert_eq!(s.desired(&c, &input(0, 2, 2, 0, 2.0), true), 4);
        // t=15: the 2 new pods are starting (unready): usage 2 over 4 pods x 0.5 = 1.0,
        // inside the tolerance: keep 4.
        assert_eq!(s.desired(&c, &input(15, 4, 2, 2, 2.0), true), 4);
        // t=30: 4 ready and saturated: ratio 2 -> raw 8; limit: the period (15 s) holds
        // no event (t=0 is not after the cutoff 15), start 4 -> max(8, 8) = 8.
        assert_eq!(s.desired(&c, &input(30, 4, 4, 0, 4.0), true), 8);
        // t=45: 8 ready, saturated: raw 16; limit max(16, 12) = 16.
        assert_eq!(s.desired(&c, &input(45, 8, 8, 0, 8.0), true), 16);
        // t=60: 16 ready, 10 vCPUs busy: ratio 1.25 -> raw 20 (limit 32).
        assert_eq!(s.desired(&c, &input(60, 16, 16, 0, 10.0), true), 20);
        // t=75: 20 ready at 10 vCPUs: ratio 1.0: keep.
        assert_eq!(s.desired(&c, &input(75, 20, 20, 0, 10.0), true), 20);
        // The load drops to 2 vCPUs at t=90: raw 4, but the 300 s window still holds 20.
        for t in (90..375).step_by(15) {
            assert_eq!(s.desired(&c, &input(t, 20, 20, 0, 2.0), true), 20, "t={t}");
        }
        // t=375: the window keeps what is strictly after 75, only 4s: down to 4 in one
        // step (100% per 15 s allows it).
        assert_eq!(s.desired(&c, &input(375, 20, 20, 0, 2.0), true), 4);
    }

    #[test]
    fn scale_up_percent_policy_measures_from_the_period_start() {
        let mut c = cfg();
        c.behavior.as_mut().unwrap().scale_up.policies =
            vec![HpaPolicy::Percent { value: 100, period: SimDuration::from_secs(60) }];
        let mut s = HpaState::default();
        // 2 -> at most 4 within any 60 s.
        assert_eq!(s.desired(&c, &input(0, 2, 2, 0, 10.0), true), 4);
        // 15 s later: the period started at 2 replicas (2 added since): limit still 4.
        assert_eq!(s.desired(&c, &input(15, 4, 4, 0, 10.0), true), 4);
        // After 60 s the earlier addition leaves the period: 4 -> 8.
        assert_eq!(s.desired(&c, &input(75, 4, 4, 0, 10.0), true), 8);
    }

    #[test]
    fn keda_wakes_from_zero_at_a_poll_and_sleeps_after_its_cooldown() {
        let mut c = cfg();
        c.keda = Some(KedaActivation {
            polling: SimDuration::from_secs(30),
            cooldown: SimDuration::from_secs(300),
        });
        let mut s = HpaState::default();
        let zero = |t, active: bool, s: &mut HpaState| {
            s.desired(&c, &HpaInput { min: 0, ..input(t, 0, 0, 0, 0.0) }, active)
        };
        assert_eq!(zero(0, false, &mut s), 0);
        // Traffic at t=15 is not a poll (the last was at 0): stay at zero until t=30.
        assert_eq!(zero(15, true, &mut s), 0);
        assert_eq!(zero(30, true, &mut s), 1);
        // One replica, idle from t=30 on: removed at the first poll strictly more than
        // 300 s after (KEDA compares `lastActiveTime + cooldown` with Before(now)).
        let one = |t, s: &mut HpaState| s.desired(&c, &HpaInput { min: 0, ..input(t, 1, 1, 0, 0.0) }, false);
        for t in (45..360).step_by(15) {
            assert_eq!(one(t, &mut s), 1, "t={t}");
        }
        assert_eq!(one(360, &mut s), 0);
    }

    /// A worker's queue through KEDA and the HPA's legacy path, worked by hand: queue
    /// length target 5, polls every 30 s, syncs every 15 s, cooldown 300 s, min 0, max
    /// 20. KEDA alone leaves zero, at a poll that finds the queue above its activation;
    /// the HPA then asks for ceil(queue / 5), at most max(2 x current, 4) a sync; once the
    /// queue is empty, the 5-minute downscale window keeps the highest recommendation,
    /// then the HPA falls to its floor of one and KEDA, 300 s after its last active poll,
    /// takes the last replica away.
    #[test]
    fn a_queue_backlog_through_keda_and_the_hpa_worked_by_hand() {
        let c = Hpa {
            metric: HpaMetric::QueueLength { target: 5.0, activation: 0.0, in_flight: true },
            behavior: None,
            keda: Some(KedaActivation {
                polling: SimDuration::from_secs(30),
                cooldown: SimDuration::from_secs(300),
            }),
            ..cfg()
        };
        let mut s = HpaState::default();
        let mut current = 0;
        // (time, queue length, replicas asked for)
        let trace: [(u64, f64, u32); 14] = [
            (0, 0.0, 0),   // a poll: nothing queued, nothing to do
            (15, 12.0, 0), // not a poll (the last was at 0): stays at zero
            (30, 12.0, 1), // a poll finds 12 > 0: KEDA activates one replica
            (45, 12.0, 3), // ceil(12 / 5) = 3, within max(2 x 1, 4)
            (60, 40.0, 6), // ceil(40 / 5) = 8, limited to 2 x 3 = 6
            (75, 40.0, 8), // 8, within 12
            (90, 41.0, 8), // 41 / (5 x 8) = 1.025: within the tolerance; KEDA's last active poll
            (105, 0.0, 8), // empty: 0 recommended, but the window holds 8
            (300, 0.0, 8), // a poll, inactive, but not 300 s after t = 90
            (390, 0.0, 8), // t = 90's 8 is exactly 300 s old: it still counts
            (405, 0.0, 1), // only zeros in the window: the HPA's floor of one
            (420, 0.0, 0), // a poll more than 300 s after the last active one: KEDA to zero
            (435, 7.0, 0), // not a poll: zero waits for KEDA
            (450, 7.0, 1), // a poll finds the queue: one replica again
        ];
        for (t, queue, want) in trace {
            let active = queue > 0.0;
            let i = HpaInput { min: 0, max: 20, ..input(t, current, current, 0, queue) };
            current = s.desired(&c, &i, active);
            assert_eq!(current, want, "t = {t} s, queue {queue}");
        }
    }

    // ---- Ported from kubernetes/kubernetes pkg/controller/podautoscaler ----
    // Upstream commit 003e86297d18a8538c9da3619871393f9703bf70 (horizontal_test.go) and the
    // replica_calculator_test.go / metrics/utilization.go of the same era. The tests are
    // rewritten here from the cases' inputs and expectations; upstream's own harness
    // (fake clients, time.Now()) has no counterpart.

    /// `generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilization)`:
    /// the pods policy first, then the percent one, each only when non-zero; select Max.
    fn g(pods: u32, pods_period: u64, percent: u32, percent_period: u64, stab: u64) -> HpaRules {
        let mut policies = Vec::new();
        if pods != 0 {
            policies.push(HpaPolicy::Pods { value: pods, period: SimDuration::from_secs(pods_period) });
        }
        if percent != 0 {
            policies
                .push(HpaPolicy::Percent { value: percent, period: SimDuration::from_secs(percent_period) });
        }
        HpaRules { stabilization: SimDuration::from_secs(stab), policies, select: HpaSelect::Max }
    }

    const NOW: u64 = 10_000;

    /// `generateEventsUniformDistribution(raw, period)`: event i sits at
    /// period - segment x (i + 1) + segment / 2 seconds before now.
    fn uniform(raw: &[i64], period: u64, sign: i64) -> Vec<(SimTime, i64)> {
        let segment = period as f64 / raw.len() as f64;
        raw.iter()
            .enumerate()
            .map(|(i, &d)| {
                let age = period as f64 - segment * (i + 1) as f64 + segment / 2.0;
                (SimTime(SimTime::ZERO.0 + NOW * 1_000_000_000 - (age * 1e9) as u64), sign * d)
            })
            .collect()
    }

    struct RulesCase {
        name: &'static str,
        current: u32,
        desired: u32,
        min: u32,
        max: u32,
        up: Option<HpaRules>,
        down: Option<HpaRules>,
        up_events: Vec<(SimTime, i64)>,
        down_events: Vec<(SimTime, i64)>,
        expected: u32,
    }

    fn rules_case(
        name: &'static str,
        current: u32,
        desired: u32,
        min: u32,
        max: u32,
        expected: u32,
    ) -> RulesCase {
        RulesCase {
            name,
            current,
            desired,
            min,
            max,
            up: None,
            down: None,
            up_events: vec![],
            down_events: vec![],
            expected,
        }
    }

    /// `TestScalingWithRules`: `convertDesiredReplicasWithBehaviorRate` alone.
    #[test]
    fn upstream_scaling_with_rules() {
        let u159 = || uniform(&[1, 5, 9], 120, 1);
        let d159 = || uniform(&[1, 5, 9], 120, -1);
        let cases = vec![
            rules_case("prenormalized desired replicas within range", 5, 7, 3, 8, 7),
            rules_case("prenormalized desired replicas < minReplicas", 3, 1, 2, 8, 2),
            rules_case("prenormalized desired replicas within range when minReplicas is 0", 1, 0, 0, 10, 0),
            rules_case("maxReplicas is the limit because maxReplicas < scaleUpLimit", 20, 1000, 1, 10, 10),
            rules_case("desired replica count is more than the maximum replica count", 100, 1000, 100, 150, 150),
            RulesCase {
                up: Some(g(0, 0, 1, 60, 0)),
                ..rules_case("scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", 3, 1000, 1, 2000, 4)
            },
            // Marked `testThis` (skipped) upstream; its expectation holds all the same.
            RulesCase {
                down: Some(g(20, 60, 0, 0, 0)),
                ..rules_case("scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies", 1000, 3, 3, 2000, 980)
            },
            rules_case("scaleUp with default behavior", 10, 50, 1, 1000, 20),
            RulesCase { up: Some(g(100, 60, 100, 60, 0)), ..rules_case("scaleUp with pods policy larger than percent policy", 10, 500, 1, 1000, 110) },
            RulesCase { up: Some(g(2, 60, 100, 60, 0)), ..rules_case("scaleUp with percent policy larger than pods policy", 10, 500, 1, 1000, 20) },
            RulesCase { up: Some(g(100, 60, 0, 0, 0)), ..rules_case("scaleUp with spec MaxReplicas limitation with large pod policy", 10, 50, 1, 1000, 50) },
            RulesCase { up: Some(g(10000, 60, 0, 0, 0)), ..rules_case("scaleUp with spec MaxReplicas limitation with large percent policy", 10, 50, 1, 1000, 50) },
            RulesCase { up: Some(g(30, 60, 0, 0, 0)), ..rules_case("scaleUp with pod policy limitation", 10, 50, 1, 1000, 40) },
            RulesCase { up: Some(g(0, 0, 200, 60, 0)), ..rules_case("scaleUp with percent policy limitation", 10, 50, 1, 1000, 30) },
            RulesCase { down: Some(g(20, 60, 1, 60, 300)), ..rules_case("scaleDown with percent policy larger than pod policy", 100, 2, 1, 1000, 80) },
            RulesCase { down: Some(g(2, 60, 1, 60, 300)), ..rules_case("scaleDown with pod policy larger than percent policy", 100, 2, 1, 1000, 98) },
            RulesCase { down: Some(g(100, 60, 0, 0, 300)), ..rules_case("scaleDown with spec MinReplicas=nil limitation with large pod policy", 10, 0, 1, 1000, 1) },
            RulesCase { down: Some(g(100, 60, 0, 0, 300)), ..rules_case("scaleDown with spec MinReplicas limitation with large pod policy", 10, 0, 1, 1000, 1) },
            RulesCase { down: Some(g(0, 0, 100, 60, 300)), ..rules_case("scaleDown with spec MinReplicas limitation with large percent policy", 10, 2, 5, 1000, 5) },
            RulesCase { down: Some(g(5, 60, 0, 0, 300)), ..rules_case("scaleDown with pod policy limitation", 10, 2, 1, 1000, 5) },
            RulesCase { down: Some(g(0, 0, 50, 60, 300)), ..rules_case("scaleDown with percent policy limitation", 10, 5, 1, 1000, 5) },
            RulesCase {
                up: Some(g(300, 60, 0, 0, 0)),
                up_events: u159(),
                ..rules_case("scaleUp with spec MaxReplicas limitation with large pod policy and events", 100, 500, 1, 200, 200)
            },
            RulesCase {
                up: Some(g(0, 0, 10000, 60, 0)),
                up_events: u159(),
                ..rules_case("scaleUp with spec MaxReplicas limitation with large percent policy and events", 100, 500, 1, 200, 200)
            },
            RulesCase {
                up: Some(g(5, 120, 0, 0, 0)),
                up_events: u159(),
                ..rules_case("scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events", 100, 500, 1, 1000, 100)
            },
            RulesCase { up: Some(g(150, 120, 0, 0, 0)), up_events: u159(), ..rules_case("scaleUp with pod policy and previous scale up events", 100, 500, 1, 1000, 235) },
            RulesCase { up: Some(g(0, 0, 200, 120, 0)), up_events: u159(), ..rules_case("scaleUp with percent policy and previous scale up events", 100, 500, 1, 1000, 255) },
            RulesCase {
                up: Some(g(0, 0, 300, 300, 0)),
                up_events: uniform(&[4], 120, 1),
                down_events: uniform(&[2], 120, -1),
                ..rules_case("scaleUp with percent policy and previous scale up and down events", 6, 24, 1, 1000, 16)
            },
            RulesCase { down_events: d159(), ..rules_case("scaleDown with default policy and previous events", 10, 5, 1, 1000, 5) },
            RulesCase {
                down: Some(g(115, 120, 0, 0, 300)),
                down_events: d159(),
                ..rules_case("scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events", 100, 0, 1, 1000, 1)
            },
            RulesCase {
                down: Some(g(130, 120, 0, 0, 300)),
                down_events: d159(),
                ..rules_case("scaleDown with spec MinReplicas limitation with large pod policy and previous events", 100, 0, 5, 1000, 5)
            },
            RulesCase {
                down: Some(g(0, 0, 100, 120, 300)),
                down_events: d159(),
                ..rules_case("scaleDown with spec MinReplicas limitation with large percent policy and previous events", 100, 2, 5, 1000, 5)
            },
            RulesCase { down: Some(g(5, 120, 0, 0, 300)), down_events: d159(), ..rules_case("scaleDown with pod policy limitation and previous events", 100, 2, 1, 1000, 100) },
            RulesCase {
                down: Some(g(0, 0, 50, 120, 300)),
                down_events: uniform(&[2, 4, 6], 120, -1),
                ..rules_case("scaleDown with percent policy limitation and previous events", 100, 0, 1, 1000, 56)
            },
            RulesCase {
                down: Some(g(0, 0, 50, 180, 0)),
                up_events: uniform(&[2], 120, 1),
                down_events: uniform(&[4], 120, -1),
                ..rules_case("scaleDown with percent policy and previous scale up and down events", 10, 1, 1, 1000, 6)
            },
            RulesCase {
                down: Some(g(0, 0, 10, 120, 300)),
                down_events: uniform(&[10, 10, 10], 120, -1),
                ..rules_case("scaleDown with previous events preventing further scale down", 100, 0, 1, 1000, 100)
            },
            RulesCase {
                down: Some(g(0, 0, 1000, 120, 300)),
                down_events: uniform(&[10, 10, 10], 120, -1),
                ..rules_case("scaleDown with with previous events still allowing more scale down", 10, 5, 1, 1000, 5)
            },
            RulesCase {
                up: Some(g(1000, 60, 0, 0, 0)),
                up_events: uniform(&[8, 12, 9, 11], 120, 1),
                ..rules_case("check 'outdated' flag for events for one behavior for up", 100, 200, 1, 1000, 200)
            },
            RulesCase {
                up: Some(g(1000, 120, 100, 60, 0)),
                up_events: uniform(&[8, 12, 9, 11], 120, 1),
                ..rules_case("check that events were not marked 'outdated' for two different policies in the behavior for up", 100, 200, 1, 1000, 200)
            },
            RulesCase {
                up: Some(g(1000, 30, 100, 60, 0)),
                up_events: uniform(&[8, 12, 9, 11], 120, 1),
                ..rules_case("check that events were marked 'outdated' for two different policies in the behavior for up", 100, 200, 1, 1000, 200)
            },
            RulesCase {
                down: Some(g(1000, 60, 0, 0, 300)),
                down_events: uniform(&[8, 12, 9, 11], 120, -1),
                ..rules_case("check 'outdated' flag for events for one behavior for down", 100, 5, 1, 1000, 5)
            },
            RulesCase {
                down: Some(g(1000, 120, 100, 60, 300)),
                down_events: uniform(&[8, 12, 9, 11], 120, -1),
                ..rules_case("check that events were not marked 'outdated' for two different policies in the behavior for down", 100, 5, 1, 1000, 5)
            },
            RulesCase {
                down: Some(g(1000, 30, 100, 60, 300)),
                down_events: uniform(&[8, 12, 9, 11], 120, -1),
                ..rules_case("check that events were marked 'outdated' for two different policies in the behavior for down", 100, 5, 1, 1000, 5)
            },
        ];
        assert_eq!(cases.len(), 42);
        for c in cases {
            let b = HpaBehavior {
                scale_up: c.up.unwrap_or_else(HpaRules::default_up),
                scale_down: c.down.unwrap_or_else(HpaRules::default_down),
            };
            let mut events: Vec<_> = c.up_events.into_iter().chain(c.down_events).collect();
            events.sort_by_key(|&(t, _)| t);
            let state = HpaState { events: events.into(), ..HpaState::default() };
            let i = HpaInput { min: c.min, max: c.max, ..input(NOW, c.current, c.current, 0, 0.0) };
            assert_eq!(state.rate_limit(&i, &b, c.desired, c.min), c.expected, "{}", c.name);
        }
    }

    /// `TestCalculateScaleUpLimitWithScalingRules` / `...ScaleDownLimitWithBehaviors`:
    /// `selectPolicy: Min` takes the policy that changes least.
    #[test]
    fn upstream_select_policy_min_and_disabled() {
        let p = SimDuration::from_secs(60);
        let min_rules = HpaRules {
            stabilization: SimDuration::from_secs(300),
            policies: vec![
                HpaPolicy::Pods { value: 2, period: p },
                HpaPolicy::Percent { value: 50, period: p },
            ],
            select: HpaSelect::Min,
        };
        let b = HpaBehavior { scale_up: min_rules.clone(), scale_down: min_rules.clone() };
        let s = HpaState::default();
        // Up from 1: pods 3, percent ceil(1.5) = 2; Min -> 2.
        assert_eq!(s.rate_limit(&input(NOW, 1, 1, 0, 0.0), &b, 100, 1), 2);
        // Down from 5: pods 3, percent trunc(2.5) = 2; Min on the way down keeps the higher, 3.
        assert_eq!(s.rate_limit(&input(NOW, 5, 5, 0, 0.0), &b, 1, 1), 3);
        let off = HpaRules { select: HpaSelect::Disabled, ..min_rules };
        let b = HpaBehavior { scale_up: off.clone(), scale_down: off };
        assert_eq!(s.rate_limit(&input(NOW, 5, 5, 0, 0.0), &b, 100, 1), 5);
        assert_eq!(s.rate_limit(&input(NOW, 5, 5, 0, 0.0), &b, 1, 1), 5);
    }

    fn recs(list: &[(u32, u64)]) -> HpaState {
        HpaState {
            recommendations: list.iter().map(|&(r, age)| (at(NOW - age), r)).collect(),
            ..HpaState::default()
        }
    }

    /// `TestNormalizeDesiredReplicasWithBehavior`: the two stabilisation windows (an unset
    /// window is 0 s in that test).
    #[test]
    fn upstream_stabilization_with_behavior() {
        let w = |up: u64, down: u64| HpaBehavior {
            scale_up: HpaRules { stabilization: SimDuration::from_secs(up), ..HpaRules::default_up() },
            scale_down: HpaRules { stabilization: SimDuration::from_secs(down), ..HpaRules::default_down() },
        };
        let m = 60;
        #[rustfmt::skip]
        /// (name, recommendations as (replicas, seconds ago), ...): upstream's columns.
        type Recommendations<'a> = &'a [(u32, u64)];
        let cases: &[(&str, Recommendations, u32, u32, u64, u64, u32)] = &[
            ("empty recommendations for scaling down", &[], 100, 5, 0, 0, 5),
            ("simple scale down stabilization", &[(4, 2 * m), (5, m)], 100, 3, 0, 180, 5),
            ("simple scale up stabilization", &[(4, 2 * m), (5, m)], 1, 7, 300, 0, 4),
            ("no scale down stabilization", &[(1, 2 * m), (2, m)], 100, 3, 300, 0, 3),
            ("no scale up stabilization", &[(4, 2 * m), (5, m)], 1, 3, 0, 300, 3),
            (
                "no scale down stabilization, reuse recommendation element",
                &[(10, 10 * m), (9, 9 * m)],
                100,
                3,
                0,
                0,
                3,
            ),
            (
                "no scale up stabilization, reuse recommendation element",
                &[(10, 10 * m), (9, 9 * m)],
                1,
                100,
                0,
                0,
                100,
            ),
            (
                "scale down stabilization, reuse one of obsolete recommendation element",
                &[(10, 10 * m), (4, m), (5, 2 * m), (9, 9 * m)],
                100,
                3,
                0,
                180,
                5,
            ),
            (
                "scale up stabilization, reuse one of obsolete recommendation element",
                &[(10, 100 * m), (6, m), (5, 2 * m), (9, 3 * m)],
                1,
                100,
                300,
                0,
                5,
            ),
            (
                "scale up and down stabilization, do not scale up when prenormalized rec goes down",
                &[(2, 100 * m), (3, 3 * m)],
                2,
                1,
                300,
                300,
                2,
            ),
            (
                "scale up and down stabilization, do not scale down when prenormalized rec goes up",
                &[(2, 100 * m), (1, 3 * m)],
                2,
                3,
                300,
                300,
                2,
            ),
        ];
        for &(name, list, current, desired, up, down, expected) in cases {
            let s = recs(list);
            assert_eq!(
                s.stabilize(&input(NOW, current, current, 0, 0.0), &w(up, down), desired),
                expected,
                "{name}"
            );
        }
    }

    fn legacy_cfg() -> Hpa {
        Hpa { behavior: None, metric: HpaMetric::Cpu { target_utilization: 1.0 }, ..cfg() }
    }

    /// `TestNormalizeDesiredReplicas` (`stabilizeRecommendation`, a 5-minute window) and
    /// `TestConvertDesiredReplicasWithRules` with production's scale-up factor of 2
    /// (upstream's test file raises it to 8).
    #[test]
    fn upstream_legacy_normalisation() {
        let c = legacy_cfg();
        let m = 60;
        #[rustfmt::skip]
        type Recommendations<'a> = &'a [(u32, u64)];
        let cases: &[(&str, Recommendations, u32, u32)] = &[
            ("empty log", &[], 5, 5),
            ("stabilize", &[(4, 2 * m), (5, m)], 3, 5),
            ("no stabilize", &[(1, 2 * m), (2, m)], 3, 3),
            ("no stabilize - old recommendations", &[(10, 10 * m), (9, 9 * m)], 3, 3),
            ("stabilize - old recommendations", &[(10, 10 * m), (4, m), (5, 2 * m), (9, 9 * m)], 3, 5),
        ];
        for &(name, list, raw, expected) in cases {
            let mut s = recs(list);
            // Current 10 and max 100 keep the limits out of the way.
            let i = HpaInput { max: 100, ..input(NOW, 10, 10, 0, 0.0) };
            assert_eq!(s.normalize_legacy(&c, &i, raw, 1), expected, "{name}");
        }
        // A recommendation exactly at the window's edge still counts (only Before the
        // cutoff is old).
        let mut s = recs(&[(9, 300)]);
        assert_eq!(s.normalize_legacy(&c, &input(NOW, 10, 10, 0, 0.0), 3, 1), 9);
        // convertDesiredReplicasWithRules.
        #[rustfmt::skip]
        let limits: &[(u32, u32, u32, u32, u32)] = &[
            (5, 7, 3, 8, 7), (3, 1, 2, 8, 2), (20, 1000, 1, 10, 10), (3, 1000, 1, 2000, 6),
        ];
        for &(current, desired, min, max, expected) in limits {
            let mut s = HpaState::default();
            let i = HpaInput { max, ..input(NOW, current, current, 0, 0.0) };
            assert_eq!(s.normalize_legacy(&c, &i, desired, min), expected, "{current} -> {desired}");
        }
        assert_eq!([1, 2, 3, 10].map(legacy_scale_up_limit), [4, 4, 6, 20]);
    }

    /// The hand-worked step: without `behavior`, a saturated fleet of 1, 2, 3
    /// pods asks for 4, 4, 6 (max(2 x current, 4)); the v2 defaults would give 5, 6, 7.
    #[test]
    fn legacy_and_v2_defaults_differ_on_a_burst() {
        for (current, legacy, v2) in [(1, 4, 5), (2, 4, 6), (3, 6, 7)] {
            // Each pod at 100% of a 1-vCPU request against a 10% target: raw 10 x current.
            let i = HpaInput { usage: f64::from(current), ..input(0, current, current, 0, 0.0) };
            let mut c = legacy_cfg();
            c.metric = HpaMetric::Cpu { target_utilization: 0.1 };
            assert_eq!(HpaState::default().desired(&c, &i, true), legacy, "legacy from {current}");
            c.behavior = cfg().behavior;
            assert_eq!(HpaState::default().desired(&c, &i, true), v2, "v2 from {current}");
        }
    }

    /// A legacy HPA keeps no scale events, and scales down as soon as the window's highest
    /// recommendation allows, with no rate policy.
    #[test]
    fn legacy_scales_down_to_the_window_maximum_at_once() {
        let c = legacy_cfg();
        let mut s = HpaState::default();
        // 10 pods at 100% of their request against a 100% target: keep 10.
        assert_eq!(s.desired(&c, &input(0, 10, 10, 0, 10.0), true), 10);
        // Load falls to 2 vCPUs: raw 2, but the window holds 10 until it passes.
        for t in (15..=300).step_by(15) {
            assert_eq!(s.desired(&c, &input(t, 10, 10, 0, 2.0), true), 10, "t={t}");
        }
        // At 315 s the recommendation of t=0 is older than the window: all the way to 2.
        assert_eq!(s.desired(&c, &input(315, 10, 10, 0, 2.0), true), 2);
        assert!(s.events.is_empty());
    }

    /// CPU utilisation in whole percent, as `GetResourceUtilizationRatio` truncates it.
    fn cpu_case(
        current: u32,
        ready: u32,
        unready: u32,
        usage_milli: u64,
        request: f64,
        target_pct: u32,
    ) -> u32 {
        let mut c = cfg();
        c.metric = HpaMetric::Cpu { target_utilization: f64::from(target_pct) / 100.0 };
        let i = HpaInput {
            usage: usage_milli as f64 / 1000.0,
            cpu_request: request,
            ..input(0, current, ready, unready, 0.0)
        };
        raw_desired(&c, &i)
    }

    /// replica_calculator_test.go, the CPU cases that map onto crossover (uniform requests,
    /// no missing or superfluous metrics). Each upstream pod has two containers, so its
    /// request and usage are twice the listed figures.
    #[test]
    fn upstream_replica_calculator_cpu() {
        // TestReplicaCalcScaleUp: 3 pods at 300/500/700m x 2 of 2 vCPU, target 30% -> 5.
        assert_eq!(cpu_case(3, 3, 0, 3000, 2.0, 30), 5);
        // TestReplicaCalcScaleUpUnreadyLessScale (and HotCpuLessScale): pod 0 unready -> 4.
        assert_eq!(cpu_case(3, 2, 1, 2400, 2.0, 30), 4);
        // TestReplicaCalcScaleUpUnreadyNoScale (and HotCpuNoScale): the unready pods would
        // turn it into a scale-down -> 3.
        assert_eq!(cpu_case(3, 1, 2, 800, 2.0, 30), 3);
        // TestReplicaCalcScaleUpIgnoresFailedPods / IgnoresDeletionPods: 2 live pods -> 4.
        assert_eq!(cpu_case(2, 2, 0, 2400, 2.0, 30), 4);
        // TestReplicaCalcScaleDown: utilisation 28% of a 50% target -> 3.
        assert_eq!(cpu_case(5, 5, 0, 2800, 2.0, 50), 3);
        // TestReplicaCalcScaleDownExcludeUnreadyPods / IgnoreHotCpuPods -> 2.
        assert_eq!(cpu_case(5, 3, 2, 1800, 2.0, 50), 2);
        // TestReplicaCalcScaleDownExcludeUnscheduledPods: 1 running, 4 pending -> 1.
        assert_eq!(cpu_case(5, 1, 4, 200, 2.0, 50), 1);
        // TestReplicaCalcTolerance: 102% of a 100% target -> 3.
        assert_eq!(cpu_case(3, 3, 0, 6120, 2.0, 100), 3);
        // The case: 3,302m over 3 x 1,000m at 100% truncates to 110%: inside the
        // tolerance, keep 3 (the exact ratio 1.1007 would ask for 4).
        assert_eq!(cpu_case(3, 3, 0, 3302, 1.0, 100), 3);
        assert_eq!(cpu_case(3, 3, 0, 3330, 1.0, 100), 4);
    }

    /// replica_calculator_test.go, the Pods-metric cases ("CM"): the average in whole
    /// milli-units over the target in milli-units.
    #[test]
    fn upstream_replica_calculator_pods_metric() {
        let pods = |current: u32, ready: u32, sum: f64, target: f64| {
            let mut c = cfg();
            c.metric = HpaMetric::Concurrency { target };
            raw_desired(&c, &HpaInput { usage: sum, ..input(0, current, ready, 0, 0.0) })
        };
        // TestReplicaCalcScaleUpCM: 20/10/30 against 15 -> 4.
        assert_eq!(pods(3, 3, 60.0, 15.0), 4);
        // TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale: readiness is not looked at for
        // Pods metrics: 50/10/30 against 15 -> 6.
        assert_eq!(pods(3, 3, 90.0, 15.0), 6);
        // TestReplicaCalcScaleUpCMExternal (as a pod metric): 8.6 against 4.4 -> 2.
        assert_eq!(pods(1, 1, 8.6, 4.4), 2);
        // TestReplicaCalcScaleDownCM: 5 x 12 against 20 -> 3.
        assert_eq!(pods(5, 5, 60.0, 20.0), 3);
        // TestReplicaCalcToleranceCM: average 20.666 truncated to 20666m against 20 -> 3.
        assert_eq!(pods(3, 3, 62.0, 20.0), 3);
    }

    /// Mutation guard: without the `max(current)` clamp a "scale up" after a burst of
    /// recorded events shrinks the fleet (100 -> 90), and without the `min(current)` one a
    /// "scale down" grows it (100 -> 117).
    #[test]
    fn rate_limits_never_move_the_fleet_the_wrong_way() {
        let b = HpaBehavior { scale_up: g(5, 120, 0, 0, 0), scale_down: g(0, 0, 10, 120, 300) };
        let up = HpaState { events: uniform(&[1, 5, 9], 120, 1).into(), ..HpaState::default() };
        let i = input(NOW, 100, 100, 0, 0.0);
        assert_eq!(up.rate_limit(&i, &b, 500, 1), 100);
        let down = HpaState { events: uniform(&[10, 10, 10], 120, -1).into(), ..HpaState::default() };
        assert_eq!(down.rate_limit(&i, &b, 0, 1), 100);
    }

    /// KEDA (kedacore/keda pkg/scaling/executor/scale_scaledobjects.go): the last active
    /// time moves only at a poll that finds the scaler active, and the last replica goes
    /// only strictly after it plus the cooldown.
    #[test]
    fn keda_last_active_moves_only_at_active_polls() {
        let mut c = cfg();
        c.keda = Some(KedaActivation {
            polling: SimDuration::from_secs(30),
            cooldown: SimDuration::from_secs(300),
        });
        let mut s = HpaState::default();
        let one = |t, active: bool, s: &mut HpaState| {
            s.desired(&c, &HpaInput { min: 0, ..input(t, 1, 1, 0, 0.0) }, active)
        };
        // Polls at 0, 30, 60, ...: active at the poll of 0 only; the traffic seen at the
        // syncs of 15 and 45 falls between polls and does not count.
        assert_eq!(one(0, true, &mut s), 1);
        assert_eq!(one(15, true, &mut s), 1);
        assert_eq!(one(30, false, &mut s), 1);
        assert_eq!(one(45, true, &mut s), 1);
        for t in (60..=300).step_by(15) {
            assert_eq!(one(t, false, &mut s), 1, "t={t}");
        }
        // 300 s after the last active poll (t=0) is not yet past the cooldown; the next
        // poll (330) is.
        assert_eq!(one(315, false, &mut s), 1);
        assert_eq!(one(330, false, &mut s), 0);
    }
}
