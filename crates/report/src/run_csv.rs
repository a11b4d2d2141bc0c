//! `latency.csv` (each platform's pooled latency distribution as quantile points) and
//! `timeline.csv` (the busiest day of one replication, minute by minute): what the
//! latency and timeline charts are drawn from. Schemas in the README.

use crossover_runner::{PlatformTimeline, RunResult};

pub const LATENCY_COLUMNS: &[&str] = &["platform", "quantile", "latency_ms"];
pub const TIMELINE_COLUMNS: &[&str] = &[
    "platform",
    "minute",
    "arrivals",
    "completed",
    "rejected",
    "mean_instances",
    "mean_nodes",
    "max_waiting",
    "p99_ms",
];

/// Quantile levels per decade of the tail: q = 1 - 10^(-k / STEPS).
const STEPS_PER_DECADE: u32 = 50;
/// The deepest tail reported: 1 - 1e-6 (a curve stops earlier when fewer requests make
/// a deeper quantile meaningless).
const MAX_DECADES: u32 = 6;

/// Quantile levels for a distribution of `count` samples: 0, then 1 - 10^(-k/50) down to
/// the level one sample in `count` exceeds (at most six nines).
pub fn quantile_levels(count: u64) -> Vec<f64> {
    if count == 0 {
        return Vec::new();
    }
    let decades = (count as f64).log10().min(MAX_DECADES as f64);
    let last = (decades * STEPS_PER_DECADE as f64).floor() as u32;
    (0..=last).map(|k| 1.0 - 10f64.powf(-(k as f64) / STEPS_PER_DECADE as f64)).collect()
}

pub fn latency_csv(result: &RunResult) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(LATENCY_COLUMNS).expect("writing to memory cannot fail");
    for p in &result.platforms {
        let levels = quantile_levels(p.latency.count());
        for (q, ms) in levels.iter().zip(p.latency.quantiles_ms(&levels)) {
            let row = [p.platform.clone(), format!("{q:.7}"), format!("{ms:.3}")];
            w.write_record(&row).expect("writing to memory cannot fail");
        }
    }
    w.into_inner().expect("flushing to memory cannot fail")
}

const MINUTES_PER_DAY: usize = 1440;

/// The minutes `[start, end)` of the day (00:00 to 24:00 from the start of the horizon)
/// with the most arrivals; the earliest on a tie. A horizon shorter than a day is one
/// (short) day.
pub fn busiest_day(arrivals: &[u64]) -> (usize, usize) {
    let mut best = (0, arrivals.len().min(MINUTES_PER_DAY), 0u64);
    for (d, day) in arrivals.chunks(MINUTES_PER_DAY).enumerate() {
        let n: u64 = day.iter().sum();
        if n > best.2 {
            best = (d * MINUTES_PER_DAY, d * MINUTES_PER_DAY + day.len(), n);
        }
    }
    (best.0, best.1)
}

/// The busiest day of the timelines (every platform sees the same arrivals, so the day
/// is chosen on the first platform's), one row per platform and minute.
pub fn timeline_csv(timelines: &[PlatformTimeline]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(TIMELINE_COLUMNS).expect("writing to memory cannot fail");
    let arrivals: Vec<u64> =
        timelines.first().map(|t| t.minutes.iter().map(|m| m.arrivals).collect()).unwrap_or_default();
    let (start, end) = busiest_day(&arrivals);
    for t in timelines {
        for m in t.minutes.iter().take(end).skip(start) {
            let row = [
                t.platform.clone(),
                m.minute.to_string(),
                m.arrivals.to_string(),
                m.completed.to_string(),
                m.rejected.to_string(),
                format!("{:.4}", m.mean_instances + 0.0),
                format!("{:.4}", m.mean_nodes + 0.0),
                m.max_waiting.to_string(),
                m.p99_ms.map(|v| format!("{v:.3}")).unwrap_or_default(),
            ];
            w.write_record(&row).expect("writing to memory cannot fail");
        }
    }
    w.into_inner().expect("flushing to memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_go_as_deep_as_the_samples_allow() {
        assert!(quantile_levels(0).is_empty());
        assert_eq!(quantile_levels(1), vec![0.0]);
        let l = quantile_levels(1000);
        assert_eq!(l.len(), 151);
        assert!((l[150] - 0.999).abs() < 1e-12);
        assert!(l.windows(2).all(|w| w[0] < w[1]));
        let deep = quantile_levels(u64::MAX);
        assert!((deep.last().unwrap() - (1.0 - 1e-6)).abs() < 1e-12);
    }

    #[test]
    fn the_busiest_day_is_the_one_with_most_arrivals() {
        let mut a = vec![1u64; 3 * 1440 + 100];
        a[1440 + 5] = 1000;
        assert_eq!(busiest_day(&a), (1440, 2880));
        assert_eq!(busiest_day(&[5, 6]), (0, 2));
        assert_eq!(busiest_day(&[]), (0, 0));
        // A partial last day can win.
        let mut b = vec![0u64; 1440 + 10];
        b[1445] = 3;
        assert_eq!(busiest_day(&b), (1440, 1450));
    }
}
