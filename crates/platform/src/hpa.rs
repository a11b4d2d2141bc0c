//! The Kubernetes Horizontal Pod Autoscaler, as `kube-controller-manager` computes it.
//!
//! Follows `pkg/controller/podautoscaler`: the replica calculator (usage ratio over
//! ready pods, the tolerance, unready and pending pods counted as 0% when scaling up and
//! left out when scaling down) and `normalizeDesiredReplicasWithBehaviors` (the
//! stabilisation windows, then the rate policies measured against the replicas at the
//! start of each policy period, then min/max). Pure given the inputs and its own small
//! history, so tests replay hand-worked traces.

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

/// `behavior.scaleUp` or `behavior.scaleDown`: a stabilisation window and policies, of
/// which the most permissive applies (`selectPolicy: Max`, the default).
#[derive(Clone, Debug, PartialEq)]
pub struct HpaRules {
    pub stabilization: SimDuration,
    pub policies: Vec<HpaPolicy>,
}

impl HpaRules {
    /// Kubernetes' default scale-up: no window; 100% or 4 pods per 15 s, the larger.
    pub fn default_up() -> Self {
        let period = SimDuration::from_secs(15);
        HpaRules {
            stabilization: SimDuration::ZERO,
            policies: vec![HpaPolicy::Percent { value: 100, period }, HpaPolicy::Pods { value: 4, period }],
        }
    }

    /// Kubernetes' default scale-down: a 300 s window, then up to 100% per 15 s.
    pub fn default_down() -> Self {
        HpaRules {
            stabilization: SimDuration::from_secs(300),
            policies: vec![HpaPolicy::Percent { value: 100, period: SimDuration::from_secs(15) }],
        }
    }

    fn longest(&self) -> SimDuration {
        self.policies.iter().map(HpaPolicy::period).max().unwrap_or(SimDuration::ZERO).max(self.stabilization)
    }
}

/// What the HPA scales on, per pod.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HpaMetric {
    /// Average CPU utilisation as a fraction of the pod's CPU request (a Resource metric).
    Cpu { target_utilization: f64 },
    /// Requests in the system per pod (a Pods metric, e.g. from the KEDA HTTP add-on).
    Concurrency { target: f64 },
    /// Requests per second per pod (a Pods metric, e.g. from Prometheus).
    RequestsPerSecond { target: f64 },
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
    pub scale_up: HpaRules,
    pub scale_down: HpaRules,
    /// Scale to and from zero through KEDA.
    pub keda: Option<KedaActivation>,
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
    /// The metric summed over ready pods, in the target's unit (vCPUs busy for CPU,
    /// requests in the system, requests per second).
    pub usage: f64,
    /// What one pod is meant to carry in the same unit (target utilisation x CPU
    /// request for CPU).
    pub target_per_pod: f64,
    pub min: u32,
    pub max: u32,
}

/// The replica calculator: the desire before stabilisation and rate limits.
pub fn raw_desired(tolerance: f64, i: &HpaInput) -> u32 {
    if i.ready == 0 || i.target_per_pod <= 0.0 {
        // "did not receive metrics for any ready pods": no change.
        return i.current;
    }
    let ratio = i.usage / (i.ready as f64 * i.target_per_pod);
    if i.unready == 0 || ratio < 1.0 {
        // Scaling down leaves unready pods out altogether.
        if (ratio - 1.0).abs() <= tolerance {
            return i.current;
        }
        return ceil(ratio * i.ready as f64);
    }
    // Scaling up counts unready pods at 0% usage, which damps the step while they start.
    let pods = (i.ready + i.unready) as f64;
    let new_ratio = i.usage / (pods * i.target_per_pod);
    if new_ratio <= 1.0 || (new_ratio - 1.0).abs() <= tolerance {
        return i.current;
    }
    ceil(new_ratio * pods).max(i.current)
}

fn ceil(x: f64) -> u32 {
    // Guard float noise such as 2.0000000000000004 pods.
    (x - 1e-9).ceil().clamp(0.0, u32::MAX as f64) as u32
}

/// The HPA's memory between syncs: past recommendations and scale events.
#[derive(Clone, Debug, Default)]
pub struct HpaState {
    recommendations: VecDeque<(SimTime, u32)>,
    /// (time, replicas added (+) or removed (-)).
    events: VecDeque<(SimTime, i64)>,
    /// Last time there was traffic (KEDA's cooldown).
    last_active: SimTime,
    last_keda_poll: Option<SimTime>,
}

impl HpaState {
    /// One sync: the replicas to ask for. `active` says whether there was traffic since
    /// the last sync (KEDA's activation and cooldown look at it).
    pub fn desired(&mut self, cfg: &Hpa, i: &HpaInput, active: bool) -> u32 {
        if active {
            self.last_active = i.now;
        }
        if let Some(keda) = cfg.keda {
            let polled = self.last_keda_poll.is_none_or(|t| i.now >= t + keda.polling);
            if polled {
                self.last_keda_poll = Some(i.now);
            }
            if i.current == 0 {
                // Only KEDA leaves zero, at its polls.
                let wake = polled && active && i.max > 0;
                return self.record(i.now, 0, if wake { 1 } else { 0 });
            }
            if polled && !active && i.now.since(self.last_active) >= keda.cooldown && i.min == 0 {
                return self.record(i.now, i.current, 0);
            }
        } else if i.current == 0 {
            // The HPA is off at zero replicas without KEDA.
            return 0;
        }
        let min = i.min.max(1);
        let raw = raw_desired(cfg.tolerance, i);
        self.forget(i.now, cfg);
        self.recommendations.push_back((i.now, raw));
        let stabilized = self.stabilize(i, cfg, raw);
        let limited = self.rate_limit(i, cfg, stabilized, min);
        self.record(i.now, i.current, limited)
    }

    fn record(&mut self, now: SimTime, current: u32, desired: u32) -> u32 {
        if desired != current {
            self.events.push_back((now, desired as i64 - current as i64));
        }
        desired
    }

    fn forget(&mut self, now: SimTime, cfg: &Hpa) {
        let keep = cfg.scale_up.longest().max(cfg.scale_down.longest());
        while self.recommendations.front().is_some_and(|&(t, _)| t + keep < now) {
            self.recommendations.pop_front();
        }
        while self.events.front().is_some_and(|&(t, _)| t + keep < now) {
            self.events.pop_front();
        }
    }

    /// Scale up only to the lowest recommendation of the up window, down only to the
    /// highest of the down window.
    fn stabilize(&self, i: &HpaInput, cfg: &Hpa, raw: u32) -> u32 {
        // Kubernetes keeps what is strictly after `now - window`.
        let within = |w: SimDuration| {
            self.recommendations.iter().filter(move |&&(t, _)| t + w > i.now).map(|&(_, r)| r)
        };
        let up = within(cfg.scale_up.stabilization).chain([raw]).min().unwrap_or(raw);
        let down = within(cfg.scale_down.stabilization).chain([raw]).max().unwrap_or(raw);
        i.current.max(up).min(down)
    }

    /// The rate policies: each measures from the replicas at the start of its period.
    fn rate_limit(&self, i: &HpaInput, cfg: &Hpa, desired: u32, min: u32) -> u32 {
        let current = i.current as i64;
        let changed = |period: SimDuration, sign: i64| -> i64 {
            self.events
                .iter()
                .filter(|&&(t, d)| t + period > i.now && d.signum() == sign)
                .map(|&(_, d)| d.abs())
                .sum()
        };
        if desired > i.current {
            let limit = cfg
                .scale_up
                .policies
                .iter()
                .map(|p| {
                    let start = current - changed(p.period(), 1) + changed(p.period(), -1);
                    match *p {
                        HpaPolicy::Pods { value, .. } => start + value as i64,
                        HpaPolicy::Percent { value, .. } => {
                            (start as f64 * (1.0 + value as f64 / 100.0) - 1e-9).ceil() as i64
                        }
                    }
                })
                .max()
                .unwrap_or(current)
                .min(i.max as i64);
            (desired as i64).min(limit).max(min as i64).min(i.max as i64) as u32
        } else if desired < i.current {
            let limit = cfg
                .scale_down
                .policies
                .iter()
                .map(|p| {
                    let start = current + changed(p.period(), -1) - changed(p.period(), 1);
                    match *p {
                        HpaPolicy::Pods { value, .. } => start - value as i64,
                        HpaPolicy::Percent { value, .. } => {
                            (start as f64 * (1.0 - value as f64 / 100.0)).floor() as i64
                        }
                    }
                })
                .min()
                .unwrap_or(current)
                .max(min as i64);
            (desired as i64).max(limit).max(min as i64).min(i.max as i64) as u32
        } else {
            desired.clamp(min, i.max)
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
            scale_up: HpaRules::default_up(),
            scale_down: HpaRules::default_down(),
            keda: None,
        }
    }

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    fn input(now: u64, current: u32, ready: u32, unready: u32, usage: f64) -> HpaInput {
        HpaInput { now: at(now), current, ready, unready, usage, target_per_pod: 0.5, min: 1, max: 100 }
    }

    #[test]
    fn the_formula_and_its_tolerance() {
        // 4 pods at 0.54 of a vCPU each against 0.5: ratio 1.08, inside the tolerance.
        assert_eq!(raw_desired(0.1, &input(0, 4, 4, 0, 2.16)), 4);
        // At 0.56 each: ratio 1.12 -> ceil(4.48) = 5.
        assert_eq!(raw_desired(0.1, &input(0, 4, 4, 0, 2.24)), 5);
        // At 0.2 each: ratio 0.4 -> ceil(1.6) = 2.
        assert_eq!(raw_desired(0.1, &input(0, 4, 4, 0, 0.8)), 2);
        // No ready pod has metrics: no change.
        assert_eq!(raw_desired(0.1, &input(0, 3, 0, 3, 0.0)), 3);
    }

    #[test]
    fn unready_pods_count_as_idle_when_scaling_up_and_are_left_out_when_scaling_down() {
        // 2 ready pods at 100% of a 0.5 target (usage 2.0 vCPU: ratio 2) and 2 starting:
        // new ratio 2.0 / (4 x 0.5) = 1.0 -> within tolerance, keep 4.
        assert_eq!(raw_desired(0.1, &input(0, 4, 2, 2, 2.0)), 4);
        // With usage 3.0: new ratio 1.5 -> ceil(6) = 6.
        assert_eq!(raw_desired(0.1, &input(0, 4, 2, 2, 3.0)), 6);
        // Scaling down ignores the unready: ratio 0.5 over 2 ready -> 1.
        assert_eq!(raw_desired(0.1, &input(0, 4, 2, 2, 0.5)), 1);
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
        c.scale_up.policies = vec![HpaPolicy::Percent { value: 100, period: SimDuration::from_secs(60) }];
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
        // One replica, idle from t=30 on: removed at the first poll 300 s after.
        let one = |t, s: &mut HpaState| s.desired(&c, &HpaInput { min: 0, ..input(t, 1, 1, 0, 0.0) }, false);
        for t in (45..330).step_by(15) {
            assert_eq!(one(t, &mut s), 1, "t={t}");
        }
        assert_eq!(one(330, &mut s), 0);
    }
}
