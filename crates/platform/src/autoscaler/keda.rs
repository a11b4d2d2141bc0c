//! KEDA's HTTP add-on feeding the HPA, as Azure Container Apps runs it: the request
//! rate per replica over the polling window, a scale-down stabilisation window, and a
//! cooldown before the last replica goes.

use super::metrics::{ceil_div, Fleet, MetricHistory};
use crate::spec::KedaHttp;
use crossover_engine::SimTime;
use std::collections::VecDeque;

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
    use crate::autoscaler::metrics::testing::*;
    use crossover_engine::SimDuration;

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
