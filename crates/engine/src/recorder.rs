//! End-to-end latency recorder on an HDR histogram.
//!
//! Microsecond resolution with three significant digits keeps memory fixed (a few
//! hundred KiB) however many requests are recorded, and histograms merge exactly, so
//! replications can be pooled in any order with identical results.

use crate::time::SimDuration;
use hdrhistogram::Histogram;

/// Latencies above this are clamped to it; no request timeout the scenario layer
/// accepts comes near it.
pub const MAX_RECORDABLE_MICROS: u64 = 24 * 3600 * 1_000_000;

#[derive(Clone, Debug)]
pub struct LatencyRecorder {
    hist: Histogram<u64>,
}

impl Default for LatencyRecorder {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyRecorder {
    pub fn new() -> Self {
        let hist = Histogram::new_with_bounds(1, MAX_RECORDABLE_MICROS, 3)
            .expect("static histogram bounds are valid");
        LatencyRecorder { hist }
    }

    /// Records one latency, rounded to the microsecond (sub-microsecond values count as 1 µs).
    #[inline]
    pub fn record(&mut self, latency: SimDuration) {
        let us = latency.as_micros().clamp(1, MAX_RECORDABLE_MICROS);
        self.hist.saturating_record(us);
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The latency at quantile `q` in milliseconds (0 when nothing was recorded).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            return 0.0;
        }
        self.hist.value_at_quantile(q) as f64 / 1_000.0
    }

    /// The latencies at several quantiles, ascending, in milliseconds: equal to
    /// `quantile_ms` at each, in one pass over the histogram instead of one scan from
    /// its start per quantile (a latency curve asks for hundreds).
    pub fn quantiles_ms(&self, ascending: &[f64]) -> Vec<f64> {
        debug_assert!(ascending.windows(2).all(|w| w[0] <= w[1]), "quantiles ascend");
        if self.hist.is_empty() {
            return vec![0.0; ascending.len()];
        }
        // hdrhistogram's single pass caps at 1 as `value_at_quantile` does.
        self.hist
            .value_at_quantiles(ascending.iter().map(|&q| q.min(1.0)))
            .map(|v| v as f64 / 1_000.0)
            .collect()
    }

    pub fn mean_ms(&self) -> f64 {
        if self.hist.is_empty() {
            return 0.0;
        }
        self.hist.mean() / 1_000.0
    }

    /// Fraction of recorded latencies at or below `threshold`.
    pub fn fraction_at_or_below(&self, threshold: SimDuration) -> f64 {
        if self.hist.is_empty() {
            return 1.0;
        }
        let us = threshold.as_micros().clamp(1, MAX_RECORDABLE_MICROS);
        self.hist.count_between(0, us) as f64 / self.hist.len() as f64
    }

    /// Adds every sample of `other`; merging is exact and order-independent.
    pub fn merge(&mut self, other: &LatencyRecorder) {
        self.hist.add(&other.hist).expect("recorders share bounds, so merging cannot fail");
    }

    pub fn reset(&mut self) {
        self.hist.reset();
    }

    /// The histogram in HdrHistogram's V2 encoding (exact: every count), for moving
    /// results between processes (sweep shards) and merging them later.
    pub fn to_v2_bytes(&self) -> Vec<u8> {
        use hdrhistogram::serialization::Serializer;
        let mut out = Vec::new();
        hdrhistogram::serialization::V2Serializer::new()
            .serialize(&self.hist, &mut out)
            .expect("serialising a histogram to memory cannot fail");
        out
    }

    /// Reads what [`LatencyRecorder::to_v2_bytes`] wrote; `None` for anything else,
    /// including a histogram with other bounds than a recorder's.
    pub fn from_v2_bytes(bytes: &[u8]) -> Option<LatencyRecorder> {
        let mut reader = bytes;
        let hist: Histogram<u64> =
            hdrhistogram::serialization::Deserializer::new().deserialize(&mut reader).ok()?;
        let mut rec = LatencyRecorder::new();
        let fits = hist.low() == rec.hist.low()
            && hist.high() == rec.hist.high()
            && hist.sigfig() == rec.hist.sigfig()
            && reader.is_empty();
        if !fits {
            return None;
        }
        rec.hist.add(&hist).ok()?;
        Some(rec)
    }
}

/// Latencies of a short window (a timeline minute), with the quantiles a
/// [`LatencyRecorder`] of the same latencies would give, to the bit.
///
/// Clearing an HDR histogram writes its whole counts array (some hundred KiB), and at low
/// rates that cost, paid every simulated minute, dwarfs the requests the minute saw. So
/// the first `WINDOW_SAMPLES` latencies of a window are kept as values: a quantile is then
/// the k-th smallest (k = ceil(q x n), at least 1, as `value_at_quantile` counts) taken to
/// the top of its histogram bucket; past that the window records into a histogram, which
/// is cleared only when it was used. Memory is bounded either way.
#[derive(Clone, Debug, Default)]
pub struct WindowQuantiles {
    samples: Vec<u64>,
    spill: LatencyRecorder,
    spilled: bool,
}

/// Latencies a window keeps as values before it records into its histogram: 256 KiB,
/// about the histogram's own size, so a window of up to 546 requests per second (a minute
/// of them) never clears a histogram, and one past that clears it once per 32,768
/// requests or more. Selection costs a few instructions per value, as recording does.
pub const WINDOW_SAMPLES: usize = 32_768;

impl WindowQuantiles {
    #[inline]
    pub fn record(&mut self, latency: SimDuration) {
        if self.spilled {
            self.spill.record(latency);
        } else if self.samples.len() < WINDOW_SAMPLES {
            self.samples.push(latency.as_micros().clamp(1, MAX_RECORDABLE_MICROS));
        } else {
            for &us in &self.samples {
                self.spill.hist.saturating_record(us);
            }
            self.samples.clear();
            self.spilled = true;
            self.spill.record(latency);
        }
    }

    pub fn count(&self) -> u64 {
        if self.spilled {
            self.spill.count()
        } else {
            self.samples.len() as u64
        }
    }

    /// The latency at quantile `q` (0 < q <= 1) in milliseconds (0 when nothing was
    /// recorded), as [`LatencyRecorder::quantile_ms`].
    pub fn quantile_ms(&mut self, q: f64) -> f64 {
        if self.spilled {
            return self.spill.quantile_ms(q);
        }
        if self.samples.is_empty() {
            return 0.0;
        }
        let n = self.samples.len();
        let rank = ((q.min(1.0) * n as f64).ceil() as usize).clamp(1, n);
        let (_, &mut value, _) = self.samples.select_nth_unstable(rank - 1);
        self.spill.hist.highest_equivalent(value) as f64 / 1_000.0
    }

    pub fn reset(&mut self) {
        self.samples.clear();
        if self.spilled {
            self.spill.reset();
            self.spilled = false;
        }
    }
}

/// Equal when every bucket count is equal (the bounds are the same for all recorders).
impl PartialEq for LatencyRecorder {
    fn eq(&self, other: &Self) -> bool {
        self.hist.len() == other.hist.len()
            && self.hist.iter_all().zip(other.hist.iter_all()).all(|(a, b)| {
                a.value_iterated_to() == b.value_iterated_to()
                    && a.count_since_last_iteration() == b.count_since_last_iteration()
            })
            && self.hist.max() == other.hist.max()
            && self.hist.min_nz() == other.hist.min_nz()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A window's quantiles equal a full recorder's, bit for bit, for any sample count
    /// (below, at and past the values it keeps) and spread (a fixed xorshift stream).
    #[test]
    fn window_quantiles_equal_the_recorders() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut window = WindowQuantiles::default();
        for n in [
            1usize,
            2,
            3,
            7,
            99,
            100,
            101,
            1000,
            WINDOW_SAMPLES - 1,
            WINDOW_SAMPLES,
            WINDOW_SAMPLES + 1,
            WINDOW_SAMPLES + 5000,
        ] {
            for spread in [10u64, 1_000_000, 100_000_000_000, u64::MAX] {
                let mut full = LatencyRecorder::new();
                window.reset();
                for _ in 0..n {
                    let d = SimDuration::from_nanos(next() % spread);
                    full.record(d);
                    window.record(d);
                }
                assert_eq!(window.count(), full.count());
                for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
                    assert_eq!(
                        window.quantile_ms(q).to_bits(),
                        full.quantile_ms(q).to_bits(),
                        "n {n} spread {spread} q {q}"
                    );
                }
            }
        }
        window.reset();
        assert_eq!((window.count(), window.quantile_ms(0.99)), (0, 0.0));
    }

    /// The one-pass quantiles equal one `quantile_ms` per level, bit for bit, on the
    /// levels of a latency curve and at the ends, for several sample counts and spreads.
    #[test]
    fn quantiles_in_one_pass_equal_one_at_a_time() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut levels: Vec<f64> = (0..=300).map(|k| 1.0 - 10f64.powf(-(k as f64) / 50.0)).collect();
        levels.extend([0.999_999_9, 1.0]);
        for n in [1usize, 2, 10, 1000, 100_000] {
            for spread in [10u64, 1_000_000, 100_000_000_000] {
                let mut r = LatencyRecorder::new();
                for _ in 0..n {
                    r.record(SimDuration::from_nanos(next() % spread));
                }
                let one_pass = r.quantiles_ms(&levels);
                assert_eq!(one_pass.len(), levels.len());
                for (q, v) in levels.iter().zip(&one_pass) {
                    assert_eq!(v.to_bits(), r.quantile_ms(*q).to_bits(), "n {n} spread {spread} q {q}");
                }
            }
        }
        assert_eq!(LatencyRecorder::new().quantiles_ms(&[0.0, 0.5, 1.0]), vec![0.0; 3]);
    }

    #[test]
    fn quantiles_are_within_three_significant_digits() {
        let mut r = LatencyRecorder::new();
        for ms in 1..=1000u64 {
            r.record(SimDuration::from_millis(ms));
        }
        let p99 = r.quantile_ms(0.99);
        assert!((p99 - 990.0).abs() <= 990.0 * 1e-3, "{p99}");
        let p50 = r.quantile_ms(0.50);
        assert!((p50 - 500.0).abs() <= 500.0 * 1e-3, "{p50}");
        assert_eq!(r.count(), 1000);
    }

    #[test]
    fn merge_is_order_independent() {
        let mut a = LatencyRecorder::new();
        let mut b = LatencyRecorder::new();
        for i in 0..500u64 {
            a.record(SimDuration::from_micros(i * 37 + 1));
            b.record(SimDuration::from_micros(i * 1013 + 5));
        }
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        for q in [0.1, 0.5, 0.9, 0.99, 0.999] {
            assert_eq!(ab.quantile_ms(q), ba.quantile_ms(q));
        }
        assert_eq!(ab.count(), 1000);
    }

    #[test]
    fn huge_and_tiny_values_are_clamped_not_lost() {
        let mut r = LatencyRecorder::new();
        r.record(SimDuration::ZERO);
        r.record(SimDuration::from_hours(1000));
        assert_eq!(r.count(), 2);
        assert!(r.quantile_ms(1.0) >= 24.0 * 3600.0 * 1000.0 * 0.999);
    }

    #[test]
    fn a_round_trip_is_equal_and_a_cut_one_refused() {
        let mut r = LatencyRecorder::new();
        for i in 0..2000u64 {
            r.record(SimDuration::from_micros(i * i * 7 + 3));
        }
        r.record(SimDuration::from_hours(100));
        let back = LatencyRecorder::from_v2_bytes(&r.to_v2_bytes()).expect("round trip");
        assert_eq!(back, r);
        assert_eq!(back.mean_ms().to_bits(), r.mean_ms().to_bits());
        assert_ne!(back, LatencyRecorder::new());
        let mut truncated = r.to_v2_bytes();
        truncated.truncate(truncated.len() / 2);
        assert_eq!(LatencyRecorder::from_v2_bytes(&truncated), None);
    }

    #[test]
    fn v2_bytes_round_trip_exactly() {
        let mut r = LatencyRecorder::new();
        for i in 0..2000u64 {
            r.record(SimDuration::from_micros(i * i * 17 + 3));
        }
        let back = LatencyRecorder::from_v2_bytes(&r.to_v2_bytes()).unwrap();
        assert_eq!(back.count(), r.count());
        assert_eq!(back.mean_ms(), r.mean_ms());
        for q in [0.0, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(back.quantile_ms(q), r.quantile_ms(q));
        }
        let empty = LatencyRecorder::from_v2_bytes(&LatencyRecorder::new().to_v2_bytes()).unwrap();
        assert_eq!(empty.count(), 0);
        assert!(LatencyRecorder::from_v2_bytes(b"not a histogram").is_none());
        assert!(LatencyRecorder::from_v2_bytes(&[]).is_none());
    }

    #[test]
    fn fraction_at_or_below_counts_inclusive() {
        let mut r = LatencyRecorder::new();
        for ms in [10, 20, 30, 40] {
            r.record(SimDuration::from_millis(ms));
        }
        assert_eq!(r.fraction_at_or_below(SimDuration::from_millis(20)), 0.5);
    }
}
