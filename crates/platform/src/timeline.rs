//! A per-minute record of one replication, for the timeline chart.
//!
//! Kept only when asked for (one replication of a run), so the hot loop pays one branch
//! per completion otherwise. A minute is closed by its own tick event, which is the only
//! way the time-averages stay exact without splitting every area at minute boundaries.

use crossover_engine::{LatencyRecorder, SimDuration};

/// What happened in one minute of simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteStats {
    /// Minutes from the start of the horizon.
    pub minute: u32,
    pub arrivals: u64,
    pub completed: u64,
    pub rejected: u64,
    /// Time-average of instances (pods) alive during the minute.
    pub mean_instances: f64,
    /// Time-average of nodes alive (0 where there are no node pools).
    pub mean_nodes: f64,
    /// Most requests waiting for an instance (in a router or instance queue) at once.
    pub max_waiting: u64,
    /// p99 latency of the requests completed in the minute; None if none completed.
    pub p99_ms: Option<f64>,
}

/// Cumulative values at the last minute boundary, and the open minute's latencies.
#[derive(Debug, Default)]
pub(crate) struct TimelineRecorder {
    pub minutes: Vec<MinuteStats>,
    pub latency: LatencyRecorder,
    pub max_waiting: u64,
    last: Cumulative,
}

/// Running totals the simulation keeps anyway; a minute is the difference of two.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Cumulative {
    pub arrived: u64,
    pub completed: u64,
    pub rejected: u64,
    pub alive_area: u128,
    pub node_area: u128,
}

pub(crate) const MINUTE: SimDuration = SimDuration::from_secs(60);

impl TimelineRecorder {
    /// Closes the minute that ends now (or the horizon's last, partial minute).
    pub fn close(&mut self, now: Cumulative, length: SimDuration, waiting_now: u64) {
        let ns = length.as_nanos().max(1) as f64;
        let completed = self.latency.count();
        self.minutes.push(MinuteStats {
            minute: self.minutes.len() as u32,
            arrivals: now.arrived - self.last.arrived,
            completed: now.completed - self.last.completed,
            rejected: now.rejected - self.last.rejected,
            mean_instances: (now.alive_area - self.last.alive_area) as f64 / ns,
            mean_nodes: (now.node_area - self.last.node_area) as f64 / ns,
            max_waiting: self.max_waiting,
            p99_ms: (completed > 0).then(|| self.latency.quantile_ms(0.99)),
        });
        self.last = now;
        self.latency.reset();
        self.max_waiting = waiting_now;
    }
}
