//! Autoscaler decisions: each kind turns windowed metrics into a desired instance count.
//!
//! The simulation keeps cumulative integrals (request-nanoseconds in the system, CPU
//! work done, arrivals) and snapshots them at every tick, so any window average is an
//! exact difference of two snapshots. The decision functions here are pure given the
//! history and their own small state, which is what lets tests replay hand-worked
//! traces (Knative's KPA, AWS target tracking, KEDA behind the HPA).

use crate::spec::{ConcurrencyScaling, KedaHttp, TargetTracking, TrackedMetric};
use crossover_engine::{SimDuration, SimTime};
use std::collections::VecDeque;

/// Cumulative counters at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub at: SimTime,
    /// Integral of requests in the system (queued or in service), request-nanoseconds.
    pub in_system_area: u128,
    /// vCPU-nanoseconds of CPU work done.
    pub cpu_work_ns: f64,
    pub arrivals: u64,
}

/// Recent snapshots, enough to cover the longest window an autoscaler looks at.
#[derive(Clone, Debug, Default)]
pub struct MetricHistory {
    snaps: VecDeque<Snapshot>,
    keep: SimDuration,
}

impl MetricHistory {
    pub fn new(longest_window: SimDuration) -> Self {
        MetricHistory { snaps: VecDeque::new(), keep: longest_window }
    }

    pub fn push(&mut self, s: Snapshot) {
        self.snaps.push_back(s);
        // Keep one snapshot at or before the start of the longest window.
        while self.snaps.len() > 2 && self.snaps[1].at.0 + self.keep.as_nanos() <= s.at.0 {
            self.snaps.pop_front();
        }
    }

    /// The oldest snapshot no older than `window`, and the newest; None without a span.
    fn span(&self, window: SimDuration) -> Option<(&Snapshot, &Snapshot, f64)> {
        let last = self.snaps.back()?;
        let start = last.at.0.saturating_sub(window.as_nanos());
        let first = self.snaps.iter().find(|s| s.at.0 >= start)?;
        let dt = (last.at.0 - first.at.0) as f64;
        (dt > 0.0).then_some((first, last, dt))
    }

    /// Average number of requests in the system over the window.
    pub fn avg_concurrency(&self, window: SimDuration) -> f64 {
        self.span(window).map_or(0.0, |(a, b, dt)| (b.in_system_area - a.in_system_area) as f64 / dt)
    }

    /// Average vCPUs busy over the window.
    pub fn cpu_in_use(&self, window: SimDuration) -> f64 {
        self.span(window).map_or(0.0, |(a, b, dt)| (b.cpu_work_ns - a.cpu_work_ns) / dt)
    }

    /// Arrivals in the window.
    pub fn arrivals(&self, window: SimDuration) -> u64 {
        self.span(window).map_or(0, |(a, b, _)| b.arrivals - a.arrivals)
    }

    /// Arrivals per second over the window.
    pub fn arrival_rate(&self, window: SimDuration) -> f64 {
        self.span(window).map_or(0.0, |(a, b, dt)| (b.arrivals - a.arrivals) as f64 / (dt / 1e9))
    }
}

/// What a tick knows about the fleet.
#[derive(Clone, Copy, Debug)]
pub struct Fleet {
    pub now: SimTime,
    /// Instances ready to serve (not starting, not draining).
    pub ready: u32,
    /// The count the autoscaler asked for last time.
    pub desired: u32,
    pub concurrency: u32,
    pub vcpu: f64,
}

fn ceil_div(x: f64, per: f64) -> u32 {
    if per <= 0.0 || x <= 0.0 {
        0
    } else {
        (x / per - 1e-9).ceil().clamp(0.0, u32::MAX as f64) as u32
    }
}

/// Knative KPA state: panic mode and the pods it ratchets up to.
#[derive(Clone, Debug, Default)]
pub struct KpaState {
    /// When the panic window last saw the surge (`panicTime`); None outside panic.
    panic_time: Option<SimTime>,
    max_panic_pods: u32,
}

impl KpaState {
    pub fn in_panic(&self) -> bool {
        self.panic_time.is_some()
    }

    /// Knative `autoscaler.go` Scale(): desired pods from the stable and panic windows,
    /// bounded by the scale rates; in panic the desire never decreases. With a CPU
    /// target, Cloud Run's CPU driver is computed alike and the larger wins.
    pub fn desired(&mut self, cfg: &ConcurrencyScaling, h: &MetricHistory, f: Fleet) -> u32 {
        let ready = f.ready.max(1) as f64;
        let target = cfg.target_concurrency * f.concurrency as f64;
        let want = |window| {
            let by_concurrency = ceil_div(h.avg_concurrency(window), target);
            let by_cpu = if cfg.target_cpu > 0.0 {
                ceil_div(h.cpu_in_use(window), f.vcpu * cfg.target_cpu)
            } else {
                0
            };
            by_concurrency.max(by_cpu)
        };
        let max_up = (cfg.max_scale_up_rate * ready).ceil() as u32;
        let max_down = (ready / cfg.max_scale_down_rate).floor() as u32;
        let stable = want(cfg.stable_window).clamp(max_down, max_up.max(max_down));
        let panic_uncapped = want(cfg.panic_window);
        let panic = panic_uncapped.clamp(max_down, max_up.max(max_down));
        // Upstream compares the panic window's desire before the rate caps
        // (`dppc / readyPodsCount >= PanicThreshold`).
        if panic_uncapped as f64 / ready >= cfg.panic_threshold {
            // Enter panic, or extend it: it lasts a stable window past the last trigger.
            self.panic_time = Some(f.now);
        } else if self.panic_time.is_some_and(|t| t + cfg.stable_window < f.now) {
            // Un-panic only strictly after the stable window (`Add(StableWindow).Before(now)`).
            self.panic_time = None;
            self.max_panic_pods = 0;
        }
        if self.in_panic() {
            self.max_panic_pods = self.max_panic_pods.max(stable).max(panic);
            self.max_panic_pods
        } else {
            stable
        }
    }
}

/// AWS target tracking: CloudWatch alarms on one-minute datapoints.
#[derive(Clone, Debug, Default)]
pub struct TargetTrackingState {
    high: u32,
    low: u32,
    last_out: Option<(SimTime, u32)>,
    last_in: Option<SimTime>,
}

impl TargetTrackingState {
    /// One datapoint per period. Scale out (proportionally) after `datapoints_out`
    /// consecutive breaches, in after `datapoints_in`, respecting cooldowns: during a
    /// scale-out cooldown only a larger scale-out proceeds; scale-in waits for both.
    pub fn desired(&mut self, cfg: &TargetTracking, h: &MetricHistory, f: Fleet) -> u32 {
        if f.ready == 0 {
            // No running task, no datapoint: target tracking does not act on missing data.
            return f.desired;
        }
        let ready = f.ready as f64;
        let value = match cfg.metric {
            TrackedMetric::Cpu => h.cpu_in_use(cfg.period) / (f.vcpu * ready),
            TrackedMetric::RequestsPerTarget => h.arrivals(cfg.period) as f64 / ready,
        };
        if value > cfg.target {
            self.high += 1;
            self.low = 0;
        } else if value < cfg.target * (1.0 - cfg.scale_in_margin) {
            self.low += 1;
            self.high = 0;
        } else {
            self.high = 0;
            self.low = 0;
        }
        let proposed = ceil_div(ready * value, cfg.target).max(1);
        let cooled = |t: Option<SimTime>, cooldown: SimDuration| t.is_none_or(|t| f.now >= t + cooldown);
        if self.high >= cfg.datapoints_out && proposed > f.desired {
            let larger = self.last_out.is_some_and(|(_, d)| proposed > d);
            if cooled(self.last_out.map(|(t, _)| t), cfg.scale_out_cooldown) || larger {
                self.last_out = Some((f.now, proposed));
                return proposed;
            }
        }
        if self.low >= cfg.datapoints_in
            && proposed < f.desired
            && cooled(self.last_in, cfg.scale_in_cooldown)
            && cooled(self.last_out.map(|(t, _)| t), cfg.scale_out_cooldown)
        {
            self.last_in = Some(f.now);
            return proposed;
        }
        f.desired
    }
}

/// KEDA's HTTP scaler feeding the HPA (Azure Container Apps).
#[derive(Clone, Debug, Default)]
pub struct KedaState {
    recent: VecDeque<(SimTime, u32)>,
    last_request: Option<SimTime>,
}

impl KedaState {
    /// desired = ceil(rate / target); the HPA scales down only to the highest desire of
    /// the stabilisation window, and up by at most the documented step (from zero to one,
    /// then to at most max(4, 2 x current): 1, 4, 8, 16, ...); KEDA takes the last replica
    /// away after `cooldown` without requests. Azure's "Set scaling rules in Azure
    /// Container Apps" (learn.microsoft.com/azure/container-apps/scale-app, Scale
    /// behavior, 2025-06-26): "Scale app to min(maxReplicaCount, desiredReplicas,
    /// max(4, 2*currentReplicaCount))".
    pub fn desired(&mut self, cfg: &KedaHttp, h: &MetricHistory, f: Fleet) -> u32 {
        let arrivals = h.arrivals(cfg.polling);
        if arrivals > 0 {
            self.last_request = Some(f.now);
        }
        let raw = ceil_div(h.arrival_rate(cfg.polling), cfg.target_per_replica);
        self.recent.push_back((f.now, raw));
        while self.recent.front().is_some_and(|&(t, _)| t + cfg.stabilization < f.now) {
            self.recent.pop_front();
        }
        let stabilized = self.recent.iter().map(|&(_, d)| d).max().unwrap_or(0);
        let active = self.last_request.is_some_and(|t| f.now < t + cfg.cooldown);
        if !active {
            return 0;
        }
        let step = if f.desired == 0 { 1 } else { f.desired.saturating_mul(2).max(4) };
        stabilized.max(1).min(step.max(f.desired))
    }

    pub fn saw_request(&mut self, now: SimTime) {
        self.last_request = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    /// A history where `conc` requests were in the system during each `step` seconds.
    fn history(steps: &[(u64, f64, f64, u64)]) -> MetricHistory {
        // (seconds since previous, avg concurrency, avg vCPUs busy, arrivals) per step
        let mut h = MetricHistory::new(SimDuration::from_secs(3600));
        let mut s = Snapshot::default();
        h.push(s);
        for &(dt, conc, cpu, arrivals) in steps {
            s.at = SimTime(s.at.0 + dt * S);
            s.in_system_area += (conc * (dt * S) as f64) as u128;
            s.cpu_work_ns += cpu * (dt * S) as f64;
            s.arrivals += arrivals;
            h.push(s);
        }
        h
    }

    fn kpa() -> ConcurrencyScaling {
        ConcurrencyScaling {
            target_concurrency: 0.7,
            target_cpu: 0.0,
            tick: SimDuration::from_secs(2),
            stable_window: SimDuration::from_secs(60),
            panic_window: SimDuration::from_secs(6),
            panic_threshold: 2.0,
            max_scale_up_rate: 1000.0,
            max_scale_down_rate: 2.0,
            idle_retention: SimDuration::ZERO,
        }
    }

    fn fleet(now_s: u64, ready: u32, desired: u32) -> Fleet {
        Fleet { now: SimTime(now_s * S), ready, desired, concurrency: 100, vcpu: 1.0 }
    }

    #[test]
    fn kpa_stable_desire_is_average_concurrency_over_target() {
        // 60 s at 700 concurrent requests, target 70 per pod: 10 pods.
        let h = history(&[(60, 700.0, 0.0, 0)]);
        let mut st = KpaState::default();
        assert_eq!(st.desired(&kpa(), &h, fleet(60, 10, 10)), 10);
        assert!(!st.in_panic());
    }

    #[test]
    fn kpa_panics_on_a_burst_and_never_scales_down_in_panic() {
        // 54 s at 70 (1 pod), then 6 s at 1400 (a burst): the panic window wants 20 pods,
        // 20x the single ready pod, so panic: desired = max(stable, panic) = 20.
        let h = history(&[(54, 70.0, 0.0, 0), (6, 1400.0, 0.0, 0)]);
        let mut st = KpaState::default();
        let d = st.desired(&kpa(), &h, fleet(60, 1, 1));
        assert_eq!(d, 20);
        assert!(st.in_panic());
        // The burst ends; the panic window is quiet but panic holds for 60 s: still 20.
        let h2 = history(&[(54, 70.0, 0.0, 0), (6, 1400.0, 0.0, 0), (10, 0.0, 0.0, 0)]);
        assert_eq!(st.desired(&kpa(), &h2, fleet(70, 20, 20)), 20);
        // After the stable window without a trigger, panic ends and the stable desire,
        // bounded by max-scale-down-rate 2 (at most halving), takes over.
        let h3 = history(&[(54, 70.0, 0.0, 0), (6, 1400.0, 0.0, 0), (61, 0.0, 0.0, 0)]);
        assert_eq!(st.desired(&kpa(), &h3, fleet(121, 20, 20)), 10);
    }

    // ---- Ported from knative/serving pkg/autoscaler/scaling/autoscaler_test.go ----
    // (snapshot 98e5ef90aa7033797aa0a61ef97f3ff7e49a3944). Upstream's fixture: panic
    // threshold 2, scale rates 10 both ways, a 60 s stable window; the tests feed the
    // observed stable and panic concurrency directly, here a history whose 60 s and 6 s
    // averages are exactly those values.

    fn knative(target: f64) -> ConcurrencyScaling {
        ConcurrencyScaling {
            target_concurrency: target,
            max_scale_up_rate: 10.0,
            max_scale_down_rate: 10.0,
            ..kpa()
        }
    }

    /// One Scale() call at `now_s` seeing `stable` over 60 s and `panic` over the last 6 s.
    fn scale(
        st: &mut KpaState,
        cfg: &ConcurrencyScaling,
        now_s: u64,
        ready: u32,
        stable: f64,
        panic: f64,
    ) -> u32 {
        let before = (60.0 * stable - 6.0 * panic) / 54.0;
        assert!(before >= 0.0, "a history cannot give stable {stable} and panic {panic}");
        let mut h = MetricHistory::new(SimDuration::from_secs(3600));
        let start = SimTime((now_s - 60) * S);
        let mut snap = Snapshot { at: start, ..Snapshot::default() };
        h.push(snap);
        snap.at = SimTime(start.0 + 54 * S);
        snap.in_system_area = (before * (54 * S) as f64) as u128;
        h.push(snap);
        snap.at = SimTime(now_s * S);
        snap.in_system_area += (panic * (6 * S) as f64) as u128;
        h.push(snap);
        // Concurrency 1 per instance makes `target_concurrency` the per-pod target.
        st.desired(
            cfg,
            &h,
            Fleet { now: SimTime(now_s * S), ready, desired: ready, concurrency: 1, vcpu: 1.0 },
        )
    }

    #[test]
    fn upstream_unpanic_after_slow_increase() {
        let (c, mut st, t0) = (knative(1.0), KpaState::default(), 1000);
        assert_eq!(scale(&mut st, &c, t0, 10, 11.0, 25.0), 25);
        assert_eq!(st.panic_time, Some(SimTime(t0 * S)));
        // 41 / 40 is under the threshold, and t0 + 60 s is not yet past: still panicking.
        assert_eq!(scale(&mut st, &c, t0 + 30, 40, 30.0, 41.0), 41);
        assert_eq!(st.panic_time, Some(SimTime(t0 * S)));
        assert_eq!(scale(&mut st, &c, t0 + 62, 55, 50.0, 56.0), 50);
        assert!(!st.in_panic());
    }

    #[test]
    fn upstream_extend_panic_window() {
        let (c, mut st, t0) = (knative(1.0), KpaState::default(), 1000);
        assert_eq!(scale(&mut st, &c, t0, 10, 11.0, 25.0), 25);
        assert_eq!(scale(&mut st, &c, t0 + 30, 40, 30.0, 80.0), 80);
        assert_eq!(st.panic_time, Some(SimTime((t0 + 30) * S)));
    }

    #[test]
    fn upstream_panic_mode_exponential_track_and_stabilize() {
        let (c, mut st, t0) = (knative(1.0), KpaState::default(), 1000);
        assert_eq!(scale(&mut st, &c, t0, 1, 6.0, 6.0), 6);
        assert_eq!(scale(&mut st, &c, t0 + 1, 6, 36.0, 36.0), 36);
        assert_eq!(scale(&mut st, &c, t0 + 2, 36, 216.0, 216.0), 216);
        assert_eq!(scale(&mut st, &c, t0 + 2, 216, 1296.0, 1296.0), 1296);
        assert_eq!(scale(&mut st, &c, t0 + 3, 1296, 1296.0, 1296.0), 1296);
    }

    /// Also the strict un-panic: exactly a stable window after the trigger is still panic.
    #[test]
    fn upstream_panic_then_unpanic_scale_down() {
        let (c, mut st, t0) = (knative(10.0), KpaState::default(), 1000);
        assert_eq!(scale(&mut st, &c, t0, 1, 100.0, 100.0), 10);
        assert_eq!(scale(&mut st, &c, t0, 10, 100.0, 1000.0), 100);
        assert_eq!(scale(&mut st, &c, t0 + 30, 10, 1.0, 1.0), 100);
        assert_eq!(scale(&mut st, &c, t0 + 60, 10, 1.0, 1.0), 100, "un-panics one tick early");
        assert_eq!(scale(&mut st, &c, t0 + 61, 10, 1.0, 1.0), 1);
    }

    #[test]
    fn upstream_rate_limits() {
        let c = knative(10.0);
        assert_eq!(scale(&mut KpaState::default(), &c, 1000, 1, 1000.0, 1001.0), 10);
        assert_eq!(scale(&mut KpaState::default(), &c, 1000, 10, 1000.0, 1001.0), 100);
        assert_eq!(scale(&mut KpaState::default(), &c, 1000, 100, 1.0, 1.0), 10);
        assert_eq!(scale(&mut KpaState::default(), &c, 1000, 10, 1.0, 1.0), 1);
    }

    /// Panic is entered on the panic window's desire before the scale-up cap: at a
    /// 1.5x cap, 10 ready pods wanting 30 are capped at 15 (1.5x, under the threshold of
    /// 2) yet panic, so the next, quieter tick keeps 15.
    #[test]
    fn panic_threshold_compares_the_uncapped_desire() {
        let c = ConcurrencyScaling { max_scale_up_rate: 1.5, ..knative(1.0) };
        let mut st = KpaState::default();
        assert_eq!(scale(&mut st, &c, 1000, 10, 10.0, 30.0), 15);
        assert!(st.in_panic());
        assert_eq!(scale(&mut st, &c, 1002, 15, 10.0, 10.0), 15);
    }

    #[test]
    fn cloud_run_cpu_driver_wins_when_cpu_bound() {
        // Low concurrency (6 in flight, target 0.6 x 80 = 48 -> 1) but 3 vCPUs busy on
        // 1-vCPU instances with a 60% CPU target -> ceil(3 / 0.6) = 5.
        let cfg = ConcurrencyScaling { target_concurrency: 0.6, target_cpu: 0.6, ..kpa() };
        let h = history(&[(60, 6.0, 3.0, 0)]);
        let f = Fleet { concurrency: 80, ..fleet(60, 5, 5) };
        assert_eq!(KpaState::default().desired(&cfg, &h, f), 5);
    }

    fn ecs() -> TargetTracking {
        TargetTracking {
            metric: TrackedMetric::Cpu,
            target: 0.5,
            period: SimDuration::from_secs(60),
            datapoints_out: 3,
            datapoints_in: 15,
            scale_out_cooldown: SimDuration::from_secs(300),
            scale_in_cooldown: SimDuration::from_secs(300),
            scale_in_margin: 0.1,
        }
    }

    /// AWS scales in "more gradually": only datapoints more than 10% below the target
    /// count. Twenty tasks at 46% CPU against 50% (8% below) would ask for
    /// ceil(20 x 0.92) = 19, but never scale in; at 40% (20% below) they go to 16 after
    /// 15 minutes. Without the margin the 46% fleet loses a task.
    #[test]
    fn target_tracking_scales_in_only_well_below_the_target() {
        let run = |cfg: &TargetTracking, utilisation: f64| {
            let mut st = TargetTrackingState::default();
            let mut steps = Vec::new();
            let mut desired = 20;
            for minute in 1..=16u64 {
                steps.push((60, 0.0, 20.0 * utilisation, 0));
                desired = st.desired(cfg, &history(&steps), fleet(60 * minute, 20, desired));
            }
            desired
        };
        assert_eq!(run(&ecs(), 0.46), 20);
        assert_eq!(run(&ecs(), 0.40), 16);
        assert_eq!(run(&TargetTracking { scale_in_margin: 0.0, ..ecs() }, 0.46), 19);
    }

    #[test]
    fn target_tracking_needs_three_breaching_minutes() {
        // 2 tasks at 100% CPU (2 vCPUs busy) against a 50% target.
        let mut st = TargetTrackingState::default();
        let mut steps = Vec::new();
        let mut desired = 2;
        for minute in 1..=3 {
            steps.push((60, 0.0, 2.0, 0));
            let h = history(&steps);
            desired = st.desired(&ecs(), &h, fleet(60 * minute, 2, desired));
            if minute < 3 {
                assert_eq!(desired, 2, "minute {minute}: not yet");
            }
        }
        // Third datapoint: proportional, ceil(2 x 1.0 / 0.5) = 4.
        assert_eq!(desired, 4);
    }

    #[test]
    fn target_tracking_scales_in_after_fifteen_low_minutes_only() {
        let mut st = TargetTrackingState::default();
        let mut steps = Vec::new();
        let mut desired = 4;
        for minute in 1..=15u64 {
            // 4 tasks, 0.4 vCPU busy in total: 10% against 50%.
            steps.push((60, 0.0, 0.4, 0));
            let h = history(&steps);
            desired = st.desired(&ecs(), &h, fleet(60 * minute, 4, desired));
            if minute < 15 {
                assert_eq!(desired, 4, "minute {minute}");
            }
        }
        assert_eq!(desired, 1, "ceil(4 x 0.1 / 0.5) = 1");
    }

    /// Azure Container Apps' HTTP scaling as documented: 10 requests/s per replica,
    /// evaluated every 15 s, 300 s scale-down stabilisation and cooldown.
    fn aca() -> KedaHttp {
        KedaHttp {
            target_per_replica: 10.0,
            polling: SimDuration::from_secs(15),
            stabilization: SimDuration::from_secs(300),
            cooldown: SimDuration::from_secs(300),
        }
    }

    #[test]
    fn keda_stabilises_scale_down_and_cools_down_to_zero() {
        let cfg = aca();
        let mut st = KedaState::default();
        // 15 s at 45 requests/s -> ceil(4.5) = 5 replicas, but one step from 1 goes to 4.
        let mut steps = vec![(15, 0.0, 0.0, 675)];
        assert_eq!(st.desired(&cfg, &history(&steps), fleet(15, 1, 1)), 4);
        steps.push((15, 0.0, 0.0, 675));
        assert_eq!(st.desired(&cfg, &history(&steps), fleet(30, 4, 4)), 5);
        // Traffic drops to 5/s: raw desire 1, but the 300 s window still holds 5.
        steps.push((15, 0.0, 0.0, 75));
        assert_eq!(st.desired(&cfg, &history(&steps), fleet(45, 5, 5)), 5);
        // Nothing for 301 s: stabilisation has forgotten the 5; after the cooldown, zero.
        let mut t = 45;
        let mut d = 5;
        while t < 30 + 330 {
            steps.push((15, 0.0, 0.0, 0));
            t += 15;
            d = st.desired(&cfg, &history(&steps), fleet(t, d, d));
        }
        assert_eq!(d, 0);
    }

    /// Azure's documented scale-up step (scale-app, "Scale behavior"): 1, 4, 8, 16, ...
    /// up to what the metric asks, here 100 replicas' worth of traffic.
    #[test]
    fn container_apps_scale_up_in_documented_steps() {
        let cfg = aca();
        let mut st = KedaState::default();
        st.saw_request(SimTime::ZERO);
        let mut steps = Vec::new();
        let mut d = 0;
        let mut seen = Vec::new();
        for i in 1..=8u64 {
            steps.push((15, 0.0, 0.0, 15_000));
            d = st.desired(&cfg, &history(&steps), fleet(15 * i, d, d));
            seen.push(d);
        }
        assert_eq!(seen, vec![1, 4, 8, 16, 32, 64, 100, 100]);
    }
}
