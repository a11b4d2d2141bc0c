//! A per-minute record of one replication's busiest day, for the timeline chart.
//!
//! Kept only when asked for (one replication of a run), so the hot loop pays one branch
//! per completion otherwise. A minute is closed by its own tick event, which is the only
//! way the time-averages stay exact without splitting every area at minute boundaries.
//! Only the busiest day so far and the day in progress are held (the chart shows the
//! busiest day), so memory does not grow with the horizon: a 30-day horizon would
//! otherwise hold 43,200 minutes per platform.

use crossover_engine::{SimDuration, WindowQuantiles};

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
    /// The busiest day so far: the day (1,440 minutes from the start of the horizon, the
    /// last one possibly partial) with the most arrivals, the earliest among equals.
    /// The day in progress is written here as soon as it has more arrivals than the
    /// best before it (it can only gain more), else into `current`.
    pub minutes: Vec<MinuteStats>,
    pub latency: WindowQuantiles,
    pub max_waiting: u64,
    last: Cumulative,
    /// The day in progress, while it is not (yet) the busiest.
    current: Vec<MinuteStats>,
    /// Minutes closed since the start of the horizon.
    closed: u32,
    best_arrivals: u64,
    current_arrivals: u64,
    /// The day in progress is the one in `minutes`.
    current_is_best: bool,
}

/// Minutes in a day.
const DAY: u32 = 1440;

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
    /// Minutes closed since the start of the horizon.
    pub fn closed(&self) -> u64 {
        u64::from(self.closed)
    }

    /// Closes the minute that ends now (or the horizon's last, partial minute).
    pub fn close(&mut self, now: Cumulative, length: SimDuration, waiting_now: u64) {
        let ns = length.as_nanos().max(1) as f64;
        let completed = self.latency.count();
        let stats = MinuteStats {
            minute: self.closed,
            arrivals: now.arrived - self.last.arrived,
            completed: now.completed - self.last.completed,
            rejected: now.rejected - self.last.rejected,
            mean_instances: (now.alive_area - self.last.alive_area) as f64 / ns,
            mean_nodes: (now.node_area - self.last.node_area) as f64 / ns,
            max_waiting: self.max_waiting,
            p99_ms: (completed > 0).then(|| self.latency.quantile_ms(0.99)),
        };
        if self.closed.is_multiple_of(DAY) {
            // A day begins. The first is the busiest until another has more arrivals.
            self.current.clear();
            self.current_arrivals = 0;
            self.current_is_best = self.closed == 0;
        }
        self.closed += 1;
        self.current_arrivals += stats.arrivals;
        if self.current_is_best {
            self.minutes.push(stats);
            self.best_arrivals = self.current_arrivals;
        } else {
            self.current.push(stats);
            if self.current_arrivals > self.best_arrivals {
                std::mem::swap(&mut self.minutes, &mut self.current);
                self.best_arrivals = self.current_arrivals;
                self.current_is_best = true;
            }
        }
        self.last = now;
        self.latency.reset();
        self.max_waiting = waiting_now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Closes one minute per entry of `arrivals` and returns the minutes kept.
    fn record(arrivals: &[u64]) -> Vec<MinuteStats> {
        let mut tl = TimelineRecorder::default();
        let mut now = Cumulative::default();
        for &a in arrivals {
            now.arrived += a;
            tl.close(now, MINUTE, 0);
        }
        assert_eq!(tl.closed(), arrivals.len() as u64);
        tl.minutes
    }

    /// The day the report would choose from every minute: the first with the most.
    fn busiest(arrivals: &[u64]) -> std::ops::Range<usize> {
        let day = DAY as usize;
        let mut best = (0..arrivals.len().min(day), 0);
        for (d, chunk) in arrivals.chunks(day).enumerate() {
            let n: u64 = chunk.iter().sum();
            if n > best.1 {
                best = (d * day..d * day + chunk.len(), n);
            }
        }
        best.0
    }

    #[test]
    fn keeps_the_busiest_day_as_the_whole_record_would_choose_it() {
        let day = DAY as usize;
        let mut cases: Vec<Vec<u64>> = vec![
            vec![],
            vec![0; 3 * day],     // nothing at all: the first day
            vec![1; 3 * day + 7], // ties: the first day
            (0..3 * day as u64 + 100).map(|m| m % 17).collect(),
        ];
        let mut later = vec![1u64; 4 * day];
        later[2 * day + 5] = 50; // day 2
        cases.push(later);
        let mut partial = vec![1u64; 2 * day + 10];
        partial[2 * day + 3] = 5000; // the partial last day
        cases.push(partial);
        let mut overtaken = vec![2u64; 3 * day];
        overtaken[day..2 * day].iter_mut().for_each(|a| *a = 3); // day 1 passes day 0 midway
        overtaken[2 * day + day / 2] = 10_000; // and day 2 passes day 1
        cases.push(overtaken);
        for arrivals in &cases {
            let kept = record(arrivals);
            let range = busiest(arrivals);
            let minutes: Vec<u32> = kept.iter().map(|m| m.minute).collect();
            assert_eq!(minutes, range.clone().map(|m| m as u32).collect::<Vec<_>>());
            let counts: Vec<u64> = kept.iter().map(|m| m.arrivals).collect();
            assert_eq!(counts, arrivals[range].to_vec());
        }
    }
}
