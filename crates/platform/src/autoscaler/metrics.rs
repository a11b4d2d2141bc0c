//! What autoscalers look at: snapshots of cumulative integrals and the fleet at a tick.
//!
//! The simulation keeps cumulative integrals (request-nanoseconds in the system, CPU
//! work done, arrivals) and snapshots them at every tick, so any window average is an
//! exact difference of two snapshots. The decisions built on them are pure given the
//! history and their own small state, which is what lets tests replay hand-worked
//! traces.

use crate::instance::ceil_to_u64;
use crossover_engine::{SimDuration, SimTime};

/// Cumulative counters at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub at: SimTime,
    /// Integral of requests in the system (queued or in service), request-nanoseconds.
    pub in_system_area: u128,
    /// Requests (jobs) waiting for an instance at that instant: a queue's visible
    /// messages.
    pub waiting: u64,
    /// vCPU-nanoseconds of CPU work done.
    pub cpu_work_ns: f64,
    pub arrivals: u64,
}

/// Recent snapshots, enough to cover the longest window an autoscaler looks at.
#[derive(Clone, Debug, Default)]
pub struct MetricHistory {
    /// Snapshots in time order; those before `oldest` have left the longest window.
    /// A vector read from an offset rather than a ring buffer: a window is then a plain
    /// slice, where a `VecDeque`'s index pays its wrap-around at every look (about 110
    /// instructions of a KPA tick's two windows).
    all: Vec<Snapshot>,
    oldest: usize,
    keep: SimDuration,
}

impl MetricHistory {
    pub fn new(longest_window: SimDuration) -> Self {
        MetricHistory { all: Vec::new(), oldest: 0, keep: longest_window }
    }

    /// The snapshots kept, oldest first.
    #[inline]
    fn snaps(&self) -> &[Snapshot] {
        &self.all[self.oldest..]
    }

    pub fn push(&mut self, s: Snapshot) {
        debug_assert!(self.all.last().is_none_or(|b| b.at <= s.at), "snapshots come in time order");
        self.all.push(s);
        self.trim(s.at);
    }

    /// Drops what the longest window no longer holds now that the newest snapshot is at
    /// `newest`. Which snapshots stay depends only on the newest's time, so trimming
    /// after several pushes leaves what trimming after each would.
    fn trim(&mut self, newest: SimTime) {
        // Keep one snapshot at or before the start of the longest window.
        while self.all.len() - self.oldest > 2
            && self.all[self.oldest + 1].at.0 + self.keep.as_nanos() <= newest.0
        {
            self.oldest += 1;
        }
        // Drop the dead prefix once it outweighs what is kept: memory stays bounded by
        // the window, at an amortised copy of one snapshot per push.
        if self.oldest >= 64 && self.oldest >= self.all.len() - self.oldest {
            self.all.drain(..self.oldest);
            self.oldest = 0;
        }
    }

    /// The oldest snapshot no older than `window`, and the newest; None without a span.
    fn span(&self, window: SimDuration) -> Option<(&Snapshot, &Snapshot, f64)> {
        let snaps = self.snaps();
        let last = snaps.last()?;
        let start = last.at.0.saturating_sub(window.as_nanos());
        let first = &snaps[self.first_at_or_after(start, window)];
        let dt = (last.at.0 - first.at.0) as f64;
        (dt > 0.0).then_some((first, last, dt))
    }

    /// Where the first snapshot at or after `start` is (the newest one is: `start` is
    /// at most its time). Snapshots come one per tick, so a window's first one sits a
    /// steady count from one end: the longest window's a step or two from the oldest, a
    /// short window's (KPA's panic window) a few from the newest. A short walk from the
    /// nearer end finds it; a binary search, which cost a KPA tick about 120
    /// instructions per window at every tick whatever the traffic, takes over when the
    /// walk does not (a window in the middle of a long history).
    #[inline]
    fn first_at_or_after(&self, start: u64, window: SimDuration) -> usize {
        const WALK: usize = 8;
        let snaps = self.snaps();
        let newest = snaps.len() - 1;
        if window.as_nanos() >= self.keep.as_nanos() / 2 {
            if let Some(i) = snaps.iter().take(WALK + 1).position(|s| s.at.0 >= start) {
                return i;
            }
        } else {
            let mut i = newest;
            while i > 0 && snaps[i - 1].at.0 >= start {
                if newest - i == WALK {
                    return snaps.partition_point(|s| s.at.0 < start);
                }
                i -= 1;
            }
            return i;
        }
        snaps.partition_point(|s| s.at.0 < start)
    }

    /// Average number of requests in the system over the window.
    pub fn avg_concurrency(&self, window: SimDuration) -> f64 {
        self.span(window).map_or(0.0, |(a, b, dt)| area_f64(b.in_system_area - a.in_system_area) / dt)
    }

    /// Average vCPUs busy over the window.
    pub fn cpu_in_use(&self, window: SimDuration) -> f64 {
        self.span(window).map_or(0.0, |(a, b, dt)| (b.cpu_work_ns - a.cpu_work_ns) / dt)
    }

    /// `avg_concurrency` and `cpu_in_use` over the same window, finding it once (a
    /// KPA tick asks both of two windows, every 2 s whatever the traffic).
    pub fn concurrency_and_cpu(&self, window: SimDuration) -> (f64, f64) {
        self.span(window).map_or((0.0, 0.0), |(a, b, dt)| between(a, b, dt))
    }

    /// Looking ahead while the service is quiet: nothing in the system and no CPU work
    /// from the newest snapshot on, so every later snapshot is a copy of it taken on the
    /// ticks' grid (every `period` from zero, as every snapshot is). Each tick moves a
    /// `window`'s start one snapshot on at the same span, so the averages it holds fall
    /// (or stay) from tick to tick, and reach zero once the window is past the newest.
    /// Returns the first tick before `limit` at whose averages `changed` holds, or
    /// `SimTime::MAX` if none; `changed` must keep holding as the averages fall further,
    /// so it is asked at the last tick first and then by bisection, at most a few
    /// times. None where it cannot tell: while the window reaches back past the
    /// history (its span then grows at every tick).
    pub fn first_quiet_change(
        &self,
        window: SimDuration,
        period: SimDuration,
        limit: SimTime,
        mut changed: impl FnMut(f64, f64) -> bool,
    ) -> Option<SimTime> {
        let snaps = self.snaps();
        let newest = snaps.last()?;
        let (now, w, p) = (newest.at.0, window.as_nanos(), period.as_nanos());
        if p == 0 || now < w || snaps[0].at.0 > now - w {
            return None;
        }
        let from = self.first_at_or_after(now - w, window);
        let span = (now - snaps[from].at.0) as f64;
        // Whether `changed` holds at the tick whose window starts at `first`.
        let mut changed_from = |first: &Snapshot| {
            let (concurrency, cpu) = between(first, newest, span);
            changed(concurrency, cpu)
        };
        // The last tick before `limit`, as a count of ticks from now, and where its
        // window starts (past the newest: at a copy of it).
        let last =
            if limit == SimTime::MAX { u64::MAX } else { limit.0.div_ceil(p).saturating_sub(now / p + 1) };
        let reach = from.saturating_add(usize::try_from(last).unwrap_or(usize::MAX)).min(snaps.len());
        if last == 0 || !changed_from(snaps.get(reach).unwrap_or(newest)) {
            return Some(SimTime::MAX);
        }
        // The first window start in (from, reach] at which `changed` holds.
        let lo = from + 1 + snaps[from + 1..reach].partition_point(|s| !changed_from(s));
        debug_assert!(
            snaps.get(lo).is_none_or(|s| s.at.0 == snaps[from].at.0 + (lo - from) as u64 * p),
            "snapshots are a tick apart"
        );
        Some(SimTime(now + (lo - from) as u64 * p))
    }

    /// Takes the snapshots of the ticks skipped while the service was quiet: copies of
    /// the newest at `from`, `from + period`, ... before `until`, leaving the history as
    /// pushing each would have. Only those the window will still hold are pushed: a
    /// long quiet spell costs a window's snapshots, not one per tick.
    pub fn push_quiet(&mut self, from: SimTime, period: SimDuration, until: SimTime) {
        let Some(&newest) = self.newest() else { return };
        let p = period.as_nanos();
        if until <= from || p == 0 {
            return;
        }
        let last = from.0 + (until.0 - 1 - from.0) / p * p;
        // The history keeps one snapshot at or before the window's start: the latest
        // copy a window before `last` is the oldest it keeps, and everything before it
        // goes, pushed or not.
        let mut at = from.0;
        if let Some(start) = last.checked_sub(self.keep.as_nanos()) {
            if start >= from.0 {
                at = from.0 + (start - from.0) / p * p;
            }
        }
        let copies = (last - at) / p + 1;
        self.all.extend((0..copies).map(|i| Snapshot { at: SimTime(at + i * p), ..newest }));
        self.trim(SimTime(last));
    }

    /// Arrivals in the window.
    pub fn arrivals(&self, window: SimDuration) -> u64 {
        self.span(window).map_or(0, |(a, b, _)| b.arrivals - a.arrivals)
    }

    /// The newest snapshot.
    pub fn newest(&self) -> Option<&Snapshot> {
        self.snaps().last()
    }

    /// Requests waiting at the newest snapshot (a queue's visible messages).
    pub fn waiting(&self) -> u64 {
        self.newest().map_or(0, |s| s.waiting)
    }

    /// Arrivals per second over the window.
    pub fn arrival_rate(&self, window: SimDuration) -> f64 {
        self.span(window).map_or(0.0, |(a, b, dt)| (b.arrivals - a.arrivals) as f64 / (dt / 1e9))
    }
}

/// The average requests in the system and vCPUs busy between two snapshots `dt`
/// nanoseconds apart.
#[inline]
fn between(a: &Snapshot, b: &Snapshot, dt: f64) -> (f64, f64) {
    (area_f64(b.in_system_area - a.in_system_area) / dt, (b.cpu_work_ns - a.cpu_work_ns) / dt)
}

/// What a tick knows about the fleet.
#[derive(Clone, Copy, Debug)]
pub struct Fleet {
    pub now: SimTime,
    /// Instances ready to serve (not starting, not draining).
    pub ready: u32,
    /// The count the autoscaler asked for last time.
    pub desired: u32,
    pub concurrency: u32,
    pub vcpu: f64,
}

/// `area as f64`. A window's area fits a u64 unless hundreds of millions of requests
/// were in flight across it; converted from a u64 it rounds to the same f64 (both casts
/// round the same integer to nearest), without the u128 conversion's library call
/// (about 37 instructions, twice a KPA tick).
#[inline]
fn area_f64(area: u128) -> f64 {
    match u64::try_from(area) {
        // Hidden from the optimiser, which otherwise sees both arms as one u128
        // conversion and keeps only that.
        Ok(narrow) => std::hint::black_box(narrow) as f64,
        Err(_) => area as f64,
    }
}

pub(crate) fn ceil_div(x: f64, per: f64) -> u32 {
    if per <= 0.0 || x <= 0.0 {
        0
    } else {
        // `(x / per - 1e-9).ceil().clamp(0.0, u32::MAX as f64) as u32`, without the libm
        // call `ceil` is on the baseline target (at every autoscaler tick).
        ceil_to_u64(x / per - 1e-9).min(u64::from(u32::MAX)) as u32
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub const S: u64 = 1_000_000_000;

    /// A history where `conc` requests were in the system during each `step` seconds.
    pub fn history(steps: &[(u64, f64, f64, u64)]) -> MetricHistory {
        // (seconds since previous, avg concurrency, avg vCPUs busy, arrivals) per step
        let mut h = MetricHistory::new(SimDuration::from_secs(3600));
        let mut s = Snapshot::default();
        h.push(s);
        for &(dt, conc, cpu, arrivals) in steps {
            s.at = SimTime(s.at.0 + dt * S);
            s.in_system_area += (conc * (dt * S) as f64) as u128;
            s.cpu_work_ns += cpu * (dt * S) as f64;
            s.arrivals += arrivals;
            h.push(s);
        }
        h
    }

    /// A small xorshift generator for the randomized tests: each call draws below `m`.
    pub fn xorshift(mut u: u64) -> impl FnMut(u64) -> u64 {
        move |m: u64| {
            u ^= u << 13;
            u ^= u >> 7;
            u ^= u << 17;
            u % m.max(1)
        }
    }

    pub fn fleet(now_s: u64, ready: u32, desired: u32) -> Fleet {
        Fleet { now: SimTime(now_s * S), ready, desired, concurrency: 100, vcpu: 1.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::xorshift;
    use super::*;

    /// The walk from either end finds the window's first snapshot where a binary search
    /// does: histories of every length up to past the walk's reach, uneven and repeated
    /// snapshot times, windows from zero to past the kept span, and starts before,
    /// between and on the snapshots, near either end or far from both.
    #[test]
    fn first_at_or_after_matches_a_binary_search() {
        let mut next = super::testing::xorshift(0x2545_F491_4F6C_DD1D);
        for len in 1..40 {
            for keep in [1, 10, 55, 400] {
                let mut h = MetricHistory::new(SimDuration::from_nanos(keep));
                let mut at = next(5);
                for _ in 0..len {
                    // Pushed straight in: `push` would trim them to the kept span.
                    h.all.push(Snapshot { at: SimTime(at), ..Snapshot::default() });
                    at += next(4);
                }
                let newest = h.snaps().last().unwrap().at.0;
                for window in [0, 1, 3, keep / 2, keep / 2 + 1, keep, keep * 2, newest + 5] {
                    for back in 0..=newest + 2 {
                        // Any start up to the newest: the window only says which end
                        // to walk from, and the answer must not depend on it.
                        let start = newest.saturating_sub(back);
                        let expected = h.snaps().partition_point(|s| s.at.0 < start);
                        let w = SimDuration::from_nanos(window);
                        assert_eq!(
                            h.first_at_or_after(start, w),
                            expected,
                            "len {len} keep {keep} window {window} start {start}"
                        );
                    }
                }
            }
        }
    }

    /// Pushing keeps exactly the snapshots a trimmed queue would (one at or before the
    /// longest window's start, then everything after), and the storage stays bounded
    /// however long the run: uneven tick gaps, a burst of equal times, thousands of ticks.
    #[test]
    fn push_keeps_the_window_in_bounded_memory() {
        use super::testing::S;
        let keep = 60 * S;
        let mut h = MetricHistory::new(SimDuration::from_nanos(keep));
        let mut reference = std::collections::VecDeque::new();
        let mut at = 0;
        for k in 0..20_000u64 {
            at += match k % 7 {
                0 => 0,
                1 => 5 * S,
                _ => 2 * S,
            };
            let s = Snapshot { at: SimTime(at), arrivals: k, ..Snapshot::default() };
            h.push(s);
            reference.push_back(s);
            while reference.len() > 2 && reference[1].at.0 + keep <= at {
                reference.pop_front();
            }
            assert!(h.snaps().iter().eq(reference.iter()), "after {k} pushes");
            assert!(
                h.all.len() <= 2 * reference.len() + 64,
                "{} stored for {} kept",
                h.all.len(),
                reference.len()
            );
        }
    }

    /// A window's area converts to the same f64 through a u64 as straight from the u128,
    /// around every power of two where rounding changes, and past the u64 range.
    #[test]
    fn area_f64_rounds_as_the_wide_conversion() {
        for bits in 0..128u32 {
            let p = 1u128 << bits;
            for d in [p.wrapping_sub(1), p, p + 1, p + (p >> 1), p.wrapping_mul(3) / 2 + 1] {
                assert_eq!(area_f64(d).to_bits(), (d as f64).to_bits(), "{d}");
            }
        }
        assert_eq!(area_f64(u128::MAX).to_bits(), (u128::MAX as f64).to_bits());
    }

    /// `ceil_div` rounds as `f64::ceil` clamped into a u32 does, at the edges (exact
    /// integers, just above and below them, huge, infinite and NaN quotients) and on
    /// a spread of ordinary ones.
    #[test]
    fn ceil_div_equals_the_float_ceiling() {
        let reference = |x: f64, per: f64| {
            if per <= 0.0 || x <= 0.0 {
                0
            } else {
                (x / per - 1e-9).ceil().clamp(0.0, u32::MAX as f64) as u32
            }
        };
        let mut xs =
            vec![0.0, 1e-12, 1e-9, 2e-9, 0.5, 1.0, 1.0 + 1e-9, 1.0 + 3e-9, 7.0, 1e9, 4.3e9, 1e19, 1e300];
        xs.extend([f64::INFINITY, f64::NAN, -1.0, f64::MIN_POSITIVE, u32::MAX as f64, u64::MAX as f64]);
        let mut u: u64 = 0x853C_49E6_748F_EA9B;
        for _ in 0..10_000 {
            u = u.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            xs.push((u >> 11) as f64 / (1u64 << 40) as f64);
        }
        for &x in &xs {
            for per in [1.0, 0.7, 3.0, 100.0, 1e-6, 0.0, -1.0, f64::INFINITY] {
                assert_eq!(ceil_div(x, per), reference(x, per), "x {x} per {per}");
            }
        }
    }

    /// A history of ticks every `p` ns from zero, with load in `busy` ticks (area and
    /// CPU work grow there), then quiet: the shape `first_quiet_change` and
    /// `push_quiet` look at.
    fn ticked(keep: u64, p: u64, busy: &[bool], next: &mut impl FnMut(u64) -> u64) -> MetricHistory {
        let mut h = MetricHistory::new(SimDuration::from_nanos(keep));
        let mut s = Snapshot::default();
        h.push(s);
        for &b in busy {
            s.at = SimTime(s.at.0 + p);
            if b {
                s.in_system_area += u128::from(next(5 * p) + 1);
                s.cpu_work_ns += (next(3 * p) + 1) as f64 / 3.0;
                s.arrivals += next(4);
            }
            h.push(s);
        }
        h
    }

    /// Taking the skipped ticks' snapshots at once leaves the history exactly as taking
    /// each at its tick would: gaps from none to thousands of ticks, windows shorter and
    /// longer than a tick, ends on and off the grid.
    #[test]
    fn push_quiet_leaves_the_history_as_each_tick_would() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for case in 0..400 {
            let p = 1 + next(5);
            let keep = [1, p / 2, p, 3 * p, 30 * p + 1, 60 * p][case % 6].max(1);
            let busy: Vec<bool> = (0..next(90)).map(|_| next(3) == 0).collect();
            let mut quick = ticked(keep, p, &busy, &mut xorshift(case as u64 + 1));
            let mut each = ticked(keep, p, &busy, &mut xorshift(case as u64 + 1));
            let newest = *each.snaps().last().unwrap();
            let from = newest.at.0 + p;
            let until = from + [0, 1, p, p + 1, 7 * p, 3000 * p + next(p)][case % 6];
            let mut at = from;
            while at < until {
                each.push(Snapshot { at: SimTime(at), ..newest });
                at += p;
            }
            quick.push_quiet(SimTime(from), SimDuration::from_nanos(p), SimTime(until));
            assert_eq!(quick.snaps(), each.snaps(), "case {case}: p {p} keep {keep} until {until}");
        }
    }

    /// The first quiet tick before a limit at which a window's averages meet a
    /// condition (one that keeps holding as they fall) is the one found by taking every
    /// tick's snapshot and asking `concurrency_and_cpu`: conditions on either average
    /// with thresholds from always to never, limits on and off the grid, near and far.
    #[test]
    fn first_quiet_change_is_the_first_tick_that_sees_the_change() {
        let mut next = xorshift(0xD1B5_4A32_D192_ED03);
        let (mut found, mut none) = (0, 0);
        for case in 0..600 {
            let p = 1 + next(4);
            let keep = 30 * p + next(3 * p);
            let window = SimDuration::from_nanos([keep, keep / 10 + 1, 3 * p][case % 3]);
            let busy: Vec<bool> = (0..40 + next(60)).map(|k| k < 20 || next(4) == 0).collect();
            let h = ticked(keep, p, &busy, &mut xorshift(case as u64 + 7));
            let (c0, u0) = h.concurrency_and_cpu(window);
            let threshold = [0.0, 0.3, 0.7, 1.0][case % 4];
            let by_cpu = case % 5 == 0;
            let pred = |c: f64, u: f64| if by_cpu { u < u0 * threshold } else { c < c0 * threshold };
            let newest = *h.newest().unwrap();
            let limit = match case % 3 {
                0 => SimTime::MAX,
                1 => SimTime(newest.at.0 + next(40 * p)),
                _ => SimTime(newest.at.0 + next(8) * p),
            };
            let found_at = h.first_quiet_change(window, SimDuration::from_nanos(p), limit, pred);
            let mut each = h.clone();
            let mut expected = SimTime::MAX;
            let mut t = newest.at.0 + p;
            while t < limit.0.div_ceil(p).saturating_mul(p) && t <= newest.at.0 + window.as_nanos() + 3 * p {
                each.push(Snapshot { at: SimTime(t), ..newest });
                let (c, u) = each.concurrency_and_cpu(window);
                if pred(c, u) {
                    expected = SimTime(t);
                    break;
                }
                t += p;
            }
            assert_eq!(
                found_at,
                Some(expected),
                "case {case}: p {p} keep {keep} window {window:?} limit {limit:?}"
            );
            if expected == SimTime::MAX {
                none += 1;
            } else {
                found += 1;
            }
        }
        assert!(found > 150 && none > 150, "{found} {none}");
        // Early in a run the window reaches back past the history: no answer.
        let h = ticked(600, 10, &[true, false], &mut xorshift(3));
        let w = SimDuration::from_nanos(600);
        assert_eq!(h.first_quiet_change(w, SimDuration::from_nanos(10), SimTime::MAX, |_, _| true), None);
    }
}
