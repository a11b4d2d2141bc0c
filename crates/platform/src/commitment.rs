//! Commitments: Savings Plans and committed use discounts, priced over the hours of a
//! replication.
//!
//! Every programme modelled here works the same way once its discount is known (AWS
//! Compute and EC2 Instance Savings Plans, Google's resource-based and flexible
//! committed use discounts, the Azure savings plan for compute): the buyer commits to
//! pay `level` dollars every hour of the term, used or not; in each hour that payment
//! covers eligible usage worth up to `level / (1 - discount)` at on-demand prices, and
//! eligible usage beyond it is billed on demand. Hours are independent: what one hour
//! leaves unused is lost ("use it or lose it", AWS Savings Plans User Guide). What is
//! eligible (nodes, or the compute lines of a serverless bill) is the caller's
//! business; this module only needs each hour's eligible on-demand spend.
//!
//! The best level for a linear discount is a quantile. With `c` the on-demand spend a
//! level covers, the horizon's cost is `sum_h len_h * ((1 - d) c + max(0, u_h - c))`,
//! convex and piecewise linear in `c`, with slope `(1 - d) - (share of hours above
//! c)`. It is least where the share of hours (weighted by length) with `u_h > c` falls
//! to `1 - d`: `c` is the usage quantile at the discount rate `d`. The minimum lies at
//! one of the `u_h`, so the search is a sort and one pass.

use crate::billing::{CostBreakdown, HOURS_PER_MONTH};
use crossover_engine::SimDuration;
use std::fmt;

/// The programme's commitment term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Term {
    OneYear,
    ThreeYears,
}

impl Term {
    pub const ALL: [Term; 2] = [Term::OneYear, Term::ThreeYears];

    /// Its name in the scenario format: `1y`, `3y`.
    pub fn name(self) -> &'static str {
        match self {
            Term::OneYear => "1y",
            Term::ThreeYears => "3y",
        }
    }

    pub fn parse(s: &str) -> Option<Term> {
        Term::ALL.into_iter().find(|t| t.name() == s)
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How much is committed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CommitmentLevel {
    /// The level that minimises the replication's bill, chosen from its own hourly usage
    /// (with hindsight: the best that replication could have done).
    Auto,
    /// USD paid per hour, as AWS and Google state a commitment.
    PerHour(f64),
}

/// A discount programme bought for one platform.
#[derive(Clone, Debug, PartialEq)]
pub struct Commitment {
    /// The programme's name as the scenario writes it (`compute-savings-plan`, ...).
    pub kind: String,
    pub term: Term,
    /// Fraction off on-demand prices for covered usage (0.28 = 28% off).
    pub discount: f64,
    pub level: CommitmentLevel,
}

/// One hour (the last one possibly partial) of eligible usage.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Hour {
    /// Its length in hours (1 but for a partial last hour).
    pub length: f64,
    /// Eligible usage at on-demand prices, USD per hour.
    pub on_demand: f64,
}

/// What a commitment came to over a horizon, in USD over that horizon.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Committed {
    /// USD paid per hour.
    pub level: f64,
    /// Eligible usage at on-demand prices.
    pub eligible: f64,
    /// What the commitment cost, used or not.
    pub fee: f64,
    /// Eligible usage the commitment covered, at on-demand prices.
    pub covered: f64,
    /// Eligible usage beyond the commitment, billed on demand.
    pub uncovered: f64,
    /// Share of the commitment used: covered usage at the discounted rate over the fee.
    pub utilisation: f64,
}

impl Committed {
    /// Two platforms' commitments as one (a hybrid's fleets): levels and amounts added,
    /// utilisation over the fees together.
    pub fn plus(&self, o: &Committed) -> Committed {
        let fee = self.fee + o.fee;
        Committed {
            level: self.level + o.level,
            eligible: self.eligible + o.eligible,
            fee,
            covered: self.covered + o.covered,
            uncovered: self.uncovered + o.uncovered,
            utilisation: if fee > 0.0 {
                (self.utilisation * self.fee + o.utilisation * o.fee) / fee
            } else {
                0.0
            },
        }
    }

    /// What the commitment saved: eligible usage on demand less what was paid for it.
    pub fn saving(&self) -> f64 {
        self.eligible - self.fee - self.uncovered
    }
}

/// Prices `hours` of eligible usage under a commitment of `level` USD per hour at
/// `discount` off.
pub fn commit(hours: &[Hour], discount: f64, level: f64) -> Committed {
    let cover = covered_per_hour(level, discount);
    let mut c = Committed { level, ..Committed::default() };
    for h in hours {
        let used = h.on_demand.min(cover);
        c.eligible += h.length * h.on_demand;
        c.fee += h.length * level;
        c.covered += h.length * used;
        c.uncovered += h.length * (h.on_demand - used);
    }
    c.utilisation = if c.fee > 0.0 { c.covered * (1.0 - discount) / c.fee } else { 0.0 };
    c
}

/// On-demand usage per hour a level covers.
fn covered_per_hour(level: f64, discount: f64) -> f64 {
    if discount < 1.0 {
        level / (1.0 - discount)
    } else {
        f64::INFINITY
    }
}

/// The level (USD per hour) that minimises the horizon's bill: the length-weighted
/// quantile of hourly usage at the discount rate, at the discounted price (see the
/// module's comment). The smallest minimiser, so no commitment when none pays.
pub fn best_level(hours: &[Hour], discount: f64) -> f64 {
    if discount <= 0.0 {
        return 0.0;
    }
    let mut sorted: Vec<Hour> = hours.iter().copied().filter(|h| h.length > 0.0).collect();
    sorted.sort_by(|a, b| a.on_demand.total_cmp(&b.on_demand));
    let total: f64 = sorted.iter().map(|h| h.length).sum();
    // Below c = u_k the slope is (1 - d) - (weight above); the first u_k where the
    // weight at or below it reaches d of the whole ends the descent.
    let mut below = 0.0;
    for h in &sorted {
        if below >= discount * total {
            break;
        }
        below += h.length;
        if below >= discount * total {
            return h.on_demand * (1.0 - discount);
        }
    }
    0.0
}

/// Applies a commitment to a stack's bill and to its parts (each service's share and
/// the shared part, which add up to the bill line by line; the last part takes the fee
/// when nothing is eligible). `shape` is the eligible
/// usage of each hour of the horizon at on-demand prices, from the time-averages the
/// simulation keeps (node prices, instance rates): it gives the hours' shape, and the
/// bill's eligible lines give the total, so what the commitment covers is consistent
/// with the bill (rounding, per-start minimums and free tiers included, spread over
/// the hours in proportion). Each part keeps the same share of its eligible lines on
/// demand and pays the fee in proportion to its eligible usage. Returns the
/// commitment's figures per month.
pub fn apply(
    c: &Commitment,
    shape: &[Hour],
    length: SimDuration,
    cost: &mut CostBreakdown,
    parts: &mut [&mut CostBreakdown],
) -> Committed {
    let month = HOURS_PER_MONTH * 3600.0 / length.as_secs_f64().max(1e-9);
    let eligible = cost.eligible() / month;
    let spent: f64 = shape.iter().map(|h| h.on_demand).sum();
    let hours_total: f64 = shape.iter().map(|h| h.length).sum();
    let hours: Vec<Hour> = shape
        .iter()
        .map(|h| Hour {
            length: h.length,
            on_demand: if h.length <= 0.0 {
                0.0
            } else if spent > 0.0 {
                eligible * (h.on_demand / spent) / h.length
            } else {
                // Billed without any metered time (a per-start minimum alone): spread evenly.
                eligible / hours_total.max(1e-12)
            },
        })
        .collect();
    let level = match c.level {
        CommitmentLevel::Auto => best_level(&hours, c.discount),
        CommitmentLevel::PerHour(usd) => usd,
    };
    let done = commit(&hours, c.discount, level);
    let kept = if done.eligible > 0.0 { done.uncovered / done.eligible } else { 1.0 };
    let fee = done.fee * month;
    let whole = cost.eligible();
    let last = parts.len().saturating_sub(1);
    for (i, part) in parts.iter_mut().enumerate() {
        let share = if whole > 0.0 {
            part.eligible() / whole
        } else if i == last {
            1.0
        } else {
            0.0
        };
        **part = part.committed(kept, fee * share);
    }
    *cost = cost.committed(kept, fee);
    Committed {
        level,
        eligible: done.eligible * month,
        fee,
        covered: done.covered * month,
        uncovered: done.uncovered * month,
        utilisation: done.utilisation,
    }
}

/// Two shapes of eligible hours added hour by hour (services priced together, a
/// hybrid's fleets); the longer's extra hours kept.
pub fn add_hours(a: &[Hour], b: &[Hour]) -> Vec<Hour> {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let mut out = long.to_vec();
    for (h, o) in out.iter_mut().zip(short) {
        h.on_demand += o.on_demand;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(usage: &[f64]) -> Vec<Hour> {
        usage.iter().map(|&u| Hour { length: 1.0, on_demand: u }).collect()
    }

    fn cost(h: &[Hour], d: f64, level: f64) -> f64 {
        let c = commit(h, d, level);
        c.fee + c.uncovered
    }

    #[test]
    fn a_flat_profile_commits_to_all_of_it() {
        // 10 USD/h on demand every hour, 28% off: commit 7.20 USD/h, save 2.80 an hour.
        let h = hours(&[10.0; 24]);
        let level = best_level(&h, 0.28);
        assert!((level - 7.2).abs() < 1e-12, "{level}");
        let c = commit(&h, 0.28, level);
        assert!((c.fee - 7.2 * 24.0).abs() < 1e-9);
        assert!(c.uncovered.abs() < 1e-9);
        assert!((c.saving() - 2.8 * 24.0).abs() < 1e-9);
        assert!((c.utilisation - 1.0).abs() < 1e-12);
    }

    #[test]
    fn unused_commitment_is_paid() {
        // Half the hours idle: a 5 USD/h commitment at 50% off covers 10 USD/h.
        let h = hours(&[10.0, 0.0, 10.0, 0.0]);
        let c = commit(&h, 0.5, 5.0);
        assert!((c.fee - 20.0).abs() < 1e-12);
        assert!((c.covered - 20.0).abs() < 1e-12);
        assert!((c.utilisation - 0.5).abs() < 1e-12);
        assert!(c.saving().abs() < 1e-12, "at 50% off, half-used breaks even");
    }

    #[test]
    fn the_best_level_is_the_usage_quantile_at_the_discount_rate() {
        // 10 hours at 1..10 USD/h. At 28% off the slope turns where 28% of hours lie
        // at or below c: the 3rd smallest (3 USD/h) at 72% of its price.
        let h = hours(&[7.0, 1.0, 9.0, 3.0, 2.0, 10.0, 5.0, 4.0, 8.0, 6.0]);
        assert!((best_level(&h, 0.28) - 3.0 * 0.72).abs() < 1e-12);
        assert!((best_level(&h, 0.5) - 5.0 * 0.5).abs() < 1e-12);
        assert_eq!(best_level(&h, 0.0), 0.0);
    }

    #[test]
    fn the_best_level_beats_a_brute_force_search() {
        // Random profiles (a fixed linear congruential stream), several discounts,
        // against a fine grid of levels and every hour's own usage as a candidate.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        for case in 0..200 {
            let n = 1 + case % 40;
            let h: Vec<Hour> = (0..n)
                .map(|i| Hour {
                    length: if i == n - 1 { 0.25 + next() * 0.75 } else { 1.0 },
                    on_demand: if next() < 0.2 { 0.0 } else { next() * 50.0 },
                })
                .collect();
            for d in [0.12, 0.17, 0.28, 0.37, 0.46, 0.55, 0.72] {
                let best = cost(&h, d, best_level(&h, d));
                let max = h.iter().map(|x| x.on_demand).fold(0.0, f64::max);
                let grid = (0..=2000).map(|k| max * (1.0 - d) * k as f64 / 2000.0);
                let candidates = h.iter().map(|x| x.on_demand * (1.0 - d));
                for level in grid.chain(candidates) {
                    let other = cost(&h, d, level);
                    assert!(best <= other + 1e-9, "case {case}, d {d}: auto {best} > {other} at {level}");
                }
            }
        }
    }

    #[test]
    fn a_partial_last_hour_weighs_by_its_length() {
        // Two full hours at 4 USD/h and a quarter hour at 100 USD/h, 50% off: the
        // quantile is by time, so the short spike does not lift the level.
        let h = vec![
            Hour { length: 1.0, on_demand: 4.0 },
            Hour { length: 1.0, on_demand: 4.0 },
            Hour { length: 0.25, on_demand: 100.0 },
        ];
        assert!((best_level(&h, 0.5) - 2.0).abs() < 1e-12);
        let c = commit(&h, 0.5, 2.0);
        assert!((c.fee - 2.0 * 2.25).abs() < 1e-12);
        assert!((c.uncovered - 0.25 * 96.0).abs() < 1e-12);
    }

    #[test]
    fn terms_read_and_write_their_names() {
        for t in Term::ALL {
            assert_eq!(Term::parse(t.name()), Some(t));
        }
        assert_eq!(Term::parse("2y"), None);
    }
}
