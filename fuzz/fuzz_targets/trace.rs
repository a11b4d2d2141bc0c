//! Trace files through every parser (Azure per-minute counts, request timestamps,
//! Azure duration percentiles) and through what is built from a parsed trace.
//! The first byte picks the parser and the function filter; the rest is the file.
#![no_main]

use crossover_engine::{RngStream, StreamKey};
use crossover_workload::trace::{parse_duration_percentiles, parse_minute_counts, parse_timestamps};
use crossover_workload::{DemandPart, MinuteCounts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let functions: Vec<String> = if selector & 4 == 0 { vec![] } else { vec!["f1".into(), "f2".into()] };
    match selector % 4 {
        0 => {
            if let Ok(trace) = parse_minute_counts(text, &functions) {
                let counts = MinuteCounts::new(&trace.counts, 1.0, selector & 8 != 0);
                let minutes = counts.minutes() as u64 + 2;
                for m in 0..minutes.min(10_000) {
                    let r = counts.rate(m * 60_000_000_000);
                    assert!(r.is_finite() && r >= 0.0, "rate {r} at minute {m}");
                }
            }
        }
        1 => {
            let part = if selector & 8 == 0 { DemandPart::Cpu } else { DemandPart::Io };
            if let Ok(arrivals) = parse_timestamps(text, part) {
                let arrivals = arrivals.rebased();
                let times = arrivals.times();
                assert!(times.windows(2).all(|w| w[0] <= w[1]), "timestamps not sorted");
                for i in 0..arrivals.len().min(1000) {
                    let _ = arrivals.duration(i);
                }
                let _ = arrivals.count_in(0, u64::MAX);
            }
        }
        _ => {
            if let Ok(dist) = parse_duration_percentiles(text, &functions) {
                let mean = dist.mean();
                assert!(mean.is_finite() && mean >= 0.0, "mean {mean}");
                let mut rng = RngStream::new(StreamKey::new(1, 0, 0));
                for _ in 0..16 {
                    let _ = dist.sample(&mut rng);
                }
            }
        }
    }
});
