//! The cost-versus-p99 Pareto frontier of a sweep's (point, platform) configurations.

/// Configurations that fail more than this share of their requests (rejected or timed
/// out) are not eligible: a platform that drops its load is cheap and fast for the rest.
pub const MAX_FAILED_FRACTION: f64 = 0.01;

/// One candidate configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    pub point: usize,
    pub platform: usize,
    pub cost: f64,
    pub p99_ms: f64,
    pub failed_fraction: f64,
}

/// The candidates no other eligible one beats on both cost and p99 (at least as good on
/// both and better on one), cheapest first. Of configurations with equal cost and p99
/// only the first (lowest point, then platform) is kept. The order of the input does not
/// matter.
pub fn pareto(candidates: &[Candidate]) -> Vec<Candidate> {
    let mut eligible: Vec<Candidate> = candidates
        .iter()
        .copied()
        .filter(|c| c.failed_fraction <= MAX_FAILED_FRACTION && c.cost.is_finite() && c.p99_ms.is_finite())
        .collect();
    eligible.sort_by(|a, b| {
        a.cost
            .total_cmp(&b.cost)
            .then(a.p99_ms.total_cmp(&b.p99_ms))
            .then(a.point.cmp(&b.point))
            .then(a.platform.cmp(&b.platform))
    });
    let mut best_p99 = f64::INFINITY;
    let mut out = Vec::new();
    for c in eligible {
        if c.p99_ms < best_p99 {
            best_p99 = c.p99_ms;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(point: usize, cost: f64, p99_ms: f64) -> Candidate {
        Candidate { point, platform: 0, cost, p99_ms, failed_fraction: 0.0 }
    }

    #[test]
    fn dominated_and_failing_configurations_are_left_out() {
        let all = [
            c(0, 10.0, 500.0),
            c(1, 20.0, 200.0),
            c(2, 25.0, 300.0), // dominated by 1
            c(3, 40.0, 100.0),
            c(4, 40.0, 100.0), // a tie: the first is kept
            c(5, 50.0, 100.0), // dominated by 3
            Candidate { failed_fraction: 0.5, ..c(6, 1.0, 1.0) },
        ];
        let points: Vec<usize> = pareto(&all).iter().map(|c| c.point).collect();
        assert_eq!(points, vec![0, 1, 3]);
        let mut reversed = all;
        reversed.reverse();
        assert_eq!(pareto(&reversed), pareto(&all));
    }
}
