//! `traffic.csv`: the generated traffic of one replication, one row per minute, so users
//! can see and plot what they are simulating. Columns are documented in docs/traffic.md.

use crossover_workload::MinuteTraffic;
use std::fmt::Write;

pub const TRAFFIC_COLUMNS: &[&str] = &["minute", "rate_rps", "arrivals"];

/// `minute` counts from 0 at the start of the horizon; `rate_rps` (fixed, 6 decimals) is
/// the intended mean rate over the minute with this replication's bursts, noise and
/// on/off state; `arrivals` the requests generated in it.
pub fn traffic_csv(rows: &[MinuteTraffic]) -> Vec<u8> {
    let mut out = String::with_capacity(24 * (rows.len() + 1));
    out.push_str(&TRAFFIC_COLUMNS.join(","));
    out.push('\n');
    for r in rows {
        // Adding 0.0 turns -0.0 into 0.0.
        let _ = writeln!(out, "{},{:.6},{}", r.minute, r.rate_rps + 0.0, r.arrivals);
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_minute_with_fixed_precision() {
        let rows = [
            MinuteTraffic { minute: 0, rate_rps: 1.5, arrivals: 93 },
            MinuteTraffic { minute: 1, rate_rps: 1.0 / 3.0, arrivals: 0 },
        ];
        let text = String::from_utf8(traffic_csv(&rows)).unwrap();
        assert_eq!(text, "minute,rate_rps,arrivals\n0,1.500000,93\n1,0.333333,0\n");
    }
}
