//! Knative's KPA as Cloud Run uses it: desired pods from the average concurrency (and
//! CPU) over the stable window, with a panic mode on the short window (knative/serving
//! `pkg/autoscaler/scaling/autoscaler.go`). Tested on the panic cases of upstream's
//! `autoscaler_test.go`.

use super::metrics::{ceil_div, Fleet, MetricHistory};
use crate::instance::ceil_to_u64;
use crate::spec::ConcurrencyScaling;
use crossover_engine::{SimDuration, SimTime};

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
        let cap = rate_cap(cfg, ready);
        let want = |window| {
            let (concurrency, cpu) = h.concurrency_and_cpu(window);
            want(cfg, f, concurrency, cpu)
        };
        let stable = cap(want(cfg.stable_window));
        let panic_uncapped = want(cfg.panic_window);
        let panic = cap(panic_uncapped);
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

    /// The first tick after `f.now` and before `limit` (ticks every `period`) at which
    /// `desired` could answer other than `answered`, its answer now, if nothing enters
    /// the service and its fleet stays as it is; `SimTime::MAX` if none will. Out of
    /// panic the answer is the stable window's desire, and with no new load the
    /// window's averages only fall, so the desire does too, and is worked out as
    /// `desired` will work it out. The panic window cannot trigger, for the same
    /// reason. None in panic, whose ratchet and expiry follow the clock.
    pub fn quiet_until(
        &self,
        cfg: &ConcurrencyScaling,
        h: &MetricHistory,
        f: Fleet,
        answered: u32,
        period: SimDuration,
        limit: SimTime,
    ) -> Option<SimTime> {
        if self.in_panic() {
            return None;
        }
        let cap = rate_cap(cfg, f.ready.max(1) as f64);
        h.first_quiet_change(cfg.stable_window, period, limit, |concurrency, cpu| {
            cap(want(cfg, f, concurrency, cpu)) != answered
        })
    }
}

/// A window's desire: by concurrency, or by CPU where Cloud Run's CPU target is set,
/// whichever is larger.
fn want(cfg: &ConcurrencyScaling, f: Fleet, concurrency: f64, cpu: f64) -> u32 {
    let by_concurrency = ceil_div(concurrency, cfg.target_concurrency * f.concurrency as f64);
    let by_cpu = if cfg.target_cpu > 0.0 { ceil_div(cpu, f.vcpu * cfg.target_cpu) } else { 0 };
    by_concurrency.max(by_cpu)
}

/// A desire bounded by the scale rates, from the ready pods.
fn rate_cap(cfg: &ConcurrencyScaling, ready: f64) -> impl Fn(u32) -> u32 {
    // `.ceil() as u32` and `.floor() as u32` without their libm calls (at every tick):
    // a saturating cast truncates, which is the floor for all but negative quotients,
    // and those both casts take to 0.
    let max_up = ceil_to_u64(cfg.max_scale_up_rate * ready).min(u64::from(u32::MAX)) as u32;
    let max_down = (ready / cfg.max_scale_down_rate) as u32;
    move |desire| desire.clamp(max_down, max_up.max(max_down))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscaler::metrics::testing::*;
    use crate::autoscaler::Snapshot;
    use crossover_engine::SimDuration;

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

    /// The scale-rate bounds round as `f64::ceil` and `f64::floor` cast to u32 do: on
    /// exact integers, either side of them, the u32 range's edge, and non-finite or
    /// negative products.
    #[test]
    fn rate_bounds_round_as_ceil_and_floor() {
        let mut xs = vec![0.0, -0.0, -0.5, -1.0, -1.5, 0.5, 1.0, 2.5, 1e-300, f64::NAN, f64::INFINITY];
        xs.extend([f64::NEG_INFINITY, u32::MAX as f64, u32::MAX as f64 + 0.5, 4294967296.0, 1e30]);
        for k in 0..2000 {
            let x = f64::from(k) / 8.0;
            xs.extend([x, x.next_up(), x.next_down()]);
        }
        for x in xs {
            assert_eq!(ceil_to_u64(x).min(u64::from(u32::MAX)) as u32, x.ceil() as u32, "ceil {x}");
            assert_eq!(x as u32, x.floor() as u32, "floor {x}");
        }
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

    /// The first quiet tick whose desire differs is where `desired`, asked at every tick
    /// with the quiet snapshots taken, first answers otherwise: load that falls away
    /// over minutes, by concurrency and by CPU, through the scale-down cap, from one to
    /// hundreds of ready pods; in panic there is no answer.
    #[test]
    fn quiet_until_is_the_first_tick_desired_answers_otherwise() {
        let mut next = xorshift(0x5851_F42D_4C95_7F2D);
        let (mut found, mut never, mut panics) = (0, 0, 0);
        for case in 0..500 {
            let cfg = ConcurrencyScaling {
                target_concurrency: 0.6,
                target_cpu: if case % 2 == 0 { 0.6 } else { 0.0 },
                max_scale_down_rate: [2.0, 1.0, 10.0][case % 3],
                ..kpa()
            };
            let period = cfg.tick;
            let ready = [1, 2, 7, 300][next(4) as usize];
            let f = |at: SimTime| Fleet { now: at, ready, desired: ready, concurrency: 80, vcpu: 1.0 };
            // A window of ticks of load (some of them idle), then a few quiet ones.
            let busy = 31 + next(40);
            let quiet = next(40);
            let mut steps = Vec::new();
            for k in 0..busy + quiet {
                let load = if k < busy && next(3) > 0 { (next(4000) as f64) / 10.0 } else { 0.0 };
                steps.push((2, load, load * next(100) as f64 / 100.0, 0));
            }
            let h = history(&steps);
            let now = h.newest().unwrap().at;
            let mut st = KpaState::default();
            let answered = st.desired(&cfg, &h, f(now));
            let limit = [SimTime::MAX, now + SimDuration::from_secs(1 + next(100))][case % 2];
            let got = st.quiet_until(&cfg, &h, f(now), answered, period, limit);
            if st.in_panic() {
                assert_eq!(got, None, "case {case}");
                panics += 1;
                continue;
            }
            // Every tick from now on, until one answers otherwise.
            let newest = *h.newest().unwrap();
            let mut each = h.clone();
            let mut expected = SimTime::MAX;
            let mut t = now;
            while t <= now + cfg.stable_window + period + period {
                t += period;
                if t.0 >= limit.0.div_ceil(period.as_nanos()).saturating_mul(period.as_nanos()) {
                    break;
                }
                each.push(Snapshot { at: t, ..newest });
                if st.clone().desired(&cfg, &each, f(t)) != answered {
                    expected = t;
                    break;
                }
            }
            assert_eq!(got, Some(expected), "case {case}: ready {ready}, answered {answered}");
            if expected == SimTime::MAX {
                never += 1;
            } else {
                found += 1;
            }
        }
        // The cases reach every outcome.
        assert!(found > 100 && never > 10 && panics > 10, "{found} {never} {panics}");
    }
}
