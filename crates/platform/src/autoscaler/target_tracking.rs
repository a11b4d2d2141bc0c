//! AWS Application Auto Scaling target tracking (ECS services): CloudWatch alarms on
//! one-minute datapoints, three above the target to scale out, fifteen well below it to
//! scale in, with cooldowns.

use super::metrics::{ceil_div, Fleet, MetricHistory};
use crate::spec::{TargetTracking, TrackedMetric};
use crossover_engine::{SimDuration, SimTime};

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
            // SQS publishes its queue depth once a minute: the datapoint is the newest.
            TrackedMetric::BacklogPerTask => h.waiting() as f64 / ready,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscaler::metrics::testing::*;

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
}
