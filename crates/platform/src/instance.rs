//! One instance: its life cycle and processor-shared service of the requests it holds.
//!
//! CPU work is processor-shared: with n requests in their CPU phase on k vCPUs, each
//! progresses at min(1, k/n) of a vCPU. Instead of one event per request, the instance
//! keeps a virtual clock (work done per CPU-phase request since the clock was reset)
//! and each request a finish tag; the earliest tag gives the instance's single next
//! event. I/O wait holds a concurrency slot but no CPU.
//!
//! Requests in each phase are in a min-heap (on finish tag, on I/O end), so an event
//! touches only the requests it finishes: an instance holding hundreds of requests (an
//! overloaded machine with a high concurrency limit) costs O(log n) per event, not O(n).
//!
//! A CPU-phase end that changes no share has no event: while no more requests are in
//! their CPU phase than the instance has vCPUs (and at most `DEFER_MAX`), each runs at
//! full share and an end only moves its request into I/O. The next event is then the
//! earliest end of a request (its CPU end plus its I/O), and `catch_up` replays the
//! skipped ends at the next event in order, with the same clock steps their events would
//! have taken, so every result is as if they had had one. Only the queue's tie order
//! could differ: an event at the very nanosecond of a skipped end (every shipped
//! scenario gave byte-identical results).

use crossover_engine::{SimDuration, SimTime};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    /// A Kubernetes pod waiting for a node with room: it exists, but nothing runs.
    Pending,
    Starting,
    Ready,
    Stopped,
}

/// A request in its CPU phase.
#[derive(Clone, Copy, Debug)]
struct CpuPhase {
    /// Virtual time at which its CPU work is done.
    finish_tag: f64,
    arrival: SimTime,
    /// The I/O wait that follows.
    io: SimDuration,
}

/// A request in its I/O wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IoPhase {
    io_end: SimTime,
    arrival: SimTime,
}

// Both orders are reversed, so that std's max-heap holds the least first. Which of two
// equal keys comes first does not matter: an event finishes every request due, and
// what it does with each (count, record a latency, add a sojourn) is commutative.
impl Ord for CpuPhase {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .finish_tag
            .total_cmp(&self.finish_tag)
            .then_with(|| other.arrival.cmp(&self.arrival))
            .then_with(|| other.io.cmp(&self.io))
    }
}
impl PartialOrd for CpuPhase {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for CpuPhase {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for CpuPhase {}

impl Ord for IoPhase {
    fn cmp(&self, other: &Self) -> Ordering {
        other.io_end.cmp(&self.io_end).then_with(|| other.arrival.cmp(&self.arrival))
    }
}
impl PartialOrd for IoPhase {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `x.ceil() as u64` (saturating: 0 for a negative or NaN `x`), without the libm call
/// the baseline x86-64 target makes for `ceil`: truncation is exact, and so is the
/// comparison that says whether it rounded down.
#[inline]
pub(crate) fn ceil_to_u64(x: f64) -> u64 {
    let t = x as u64;
    if (t as f64) < x {
        t.saturating_add(1)
    } else {
        t
    }
}

/// When a CPU phase with finish tag `tag` ends, computed at `at` with the virtual clock
/// at `vclock` and each request's share `share`: at + ceil(max(tag - vclock, 0) / share)
/// (the tag's work left, at that share, rounded up to a whole nanosecond). With a share
/// of 1 the division is exact.
#[inline]
fn cpu_end(at: SimTime, tag: f64, vclock: f64, share: f64) -> SimTime {
    at + SimDuration::from_nanos(ceil_to_u64((tag - vclock).max(0.0) / share))
}

/// Half a nanosecond of work: completion times are rounded up to whole nanoseconds, so
/// a tag within this of the virtual clock is done.
const TAG_EPSILON: f64 = 0.5;

/// Most CPU-phase requests whose ends go without an event (see `Instance::defers`).
const DEFER_MAX: usize = 8;

#[derive(Clone, Debug)]
pub struct Instance {
    pub life: Life,
    /// Creation order; the router prefers the most recently created free instance.
    pub created_seq: u64,
    pub started_at: SimTime,
    pub ready_at: SimTime,
    /// Incremented whenever the pending event changes; events carry it to detect staleness.
    pub generation: u32,
    /// Takes no new requests; stops when its last one finishes.
    pub draining: bool,
    /// Spot: the next interruption event (the notice, then the reclaim); MAX if none.
    pub interrupt_at: SimTime,
    /// Spot: the notice has been given.
    pub noticed: bool,
    /// Requests in their CPU phase, least finish tag first.
    cpu: BinaryHeap<CpuPhase>,
    /// Requests in their I/O wait, earliest end first.
    io: BinaryHeap<IoPhase>,
    vclock: f64,
    vclock_at: SimTime,
    vcpu: f64,
    /// While CPU-phase ends go without an event (`defers`): when the next one is, as its
    /// event would have been scheduled (at the last event, or at the end before it).
    next_cpu_end: SimTime,
    /// Start of the current busy (or starting) period, if any.
    pub busy_since: Option<SimTime>,
    pub idle_since: SimTime,
    /// Sum of busy periods as they were, and each rounded up to the tariff's granularity.
    pub raw_active: SimDuration,
    pub rounded_active: SimDuration,
    /// vCPU-nanoseconds of CPU work actually done (for utilisation).
    pub cpu_work_ns: f64,
}

impl Instance {
    pub fn new(vcpu: f64, concurrency: u32) -> Self {
        Instance {
            life: Life::Stopped,
            created_seq: 0,
            started_at: SimTime::ZERO,
            ready_at: SimTime::ZERO,
            generation: 0,
            draining: false,
            interrupt_at: SimTime::MAX,
            noticed: false,
            cpu: BinaryHeap::with_capacity(concurrency.min(1024) as usize),
            io: BinaryHeap::with_capacity(concurrency.min(1024) as usize),
            vclock: 0.0,
            vclock_at: SimTime::ZERO,
            vcpu,
            next_cpu_end: SimTime::MAX,
            busy_since: None,
            idle_since: SimTime::ZERO,
            raw_active: SimDuration::ZERO,
            rounded_active: SimDuration::ZERO,
            cpu_work_ns: 0.0,
        }
    }

    /// A pod that exists but waits for a node; its life begins when it is placed.
    pub fn begin_pending(&mut self, seq: u64, now: SimTime) {
        self.begin_life(seq, now, SimTime::MAX, SimTime::MAX);
        self.life = Life::Pending;
    }

    /// Re-initialises a recycled slot for a new life (keeps the request buffer).
    pub fn begin_life(&mut self, seq: u64, now: SimTime, ready_at: SimTime, notice_at: SimTime) {
        self.life = if ready_at > now { Life::Starting } else { Life::Ready };
        self.created_seq = seq;
        self.started_at = now;
        self.ready_at = ready_at;
        self.generation = self.generation.wrapping_add(1);
        self.draining = false;
        self.interrupt_at = notice_at;
        self.noticed = false;
        self.cpu.clear();
        self.io.clear();
        self.vclock = 0.0;
        self.vclock_at = now;
        self.next_cpu_end = SimTime::MAX;
        // Starting counts as active time: providers bill start-up.
        self.busy_since = if ready_at > now { Some(now) } else { None };
        self.idle_since = ready_at;
        self.raw_active = SimDuration::ZERO;
        self.rounded_active = SimDuration::ZERO;
        self.cpu_work_ns = 0.0;
    }

    /// Requests in their CPU phase.
    #[inline]
    fn cpu_phase(&self) -> usize {
        self.cpu.len()
    }

    /// Requests held (each takes a concurrency slot), in either phase.
    #[inline]
    pub fn load(&self) -> usize {
        self.cpu.len() + self.io.len()
    }

    #[inline]
    fn share(&self) -> f64 {
        if self.cpu_phase() == 0 {
            0.0
        } else {
            (self.vcpu / self.cpu_phase() as f64).min(1.0)
        }
    }

    /// Brings the virtual clock up to `now` at the current share.
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        self.catch_up(now);
        self.advance_to(now);
    }

    /// Replays the CPU-phase ends before `now` that had no event (see `defers`), in
    /// order, each as its event would have been handled: the clock brought to it, the
    /// phases it ends moved into their I/O wait from then. The instance is then as it
    /// was after its last event before `now`, as if every end had had one.
    #[inline(always)]
    pub fn catch_up(&mut self, now: SimTime) {
        // Inlined for this test: at most events nothing was deferred past (it is MAX
        // unless ends are deferred), and a call would cost more than the test.
        if self.next_cpu_end < now {
            self.replay_deferred(now);
        }
    }

    /// `catch_up` when an end before `now` may have had no event.
    fn replay_deferred(&mut self, now: SimTime) {
        while self.defers() && self.next_cpu_end < now {
            let end = self.next_cpu_end;
            self.advance_to(end);
            let reached = self.vclock + TAG_EPSILON;
            while let Some(c) = self.pop_cpu_done(reached) {
                debug_assert!(c.io != SimDuration::ZERO, "a request without I/O ends at an event");
                self.io.push(IoPhase { io_end: end + c.io, arrival: c.arrival });
            }
            // The next end, as the event at this one would have scheduled it (full share).
            self.next_cpu_end =
                self.cpu.peek().map_or(SimTime::MAX, |c| cpu_end(end, c.finish_tag, self.vclock, 1.0));
        }
    }

    /// Takes the request whose CPU phase ended by virtual time `reached`, if any.
    #[inline(always)]
    fn pop_cpu_done(&mut self, reached: f64) -> Option<CpuPhase> {
        if self.cpu.peek().is_some_and(|c| c.finish_tag <= reached) {
            self.cpu.pop()
        } else {
            None
        }
    }

    /// Whether CPU-phase ends go without an event: every request in its CPU phase runs at
    /// full share (no more of them than vCPUs), so an end changes no share, and few enough
    /// that the next event is found by walking them.
    #[inline]
    fn defers(&self) -> bool {
        let n = self.cpu_phase();
        n > 0 && n <= DEFER_MAX && n as f64 <= self.vcpu
    }

    #[inline]
    fn advance_to(&mut self, now: SimTime) {
        let dt = now.since(self.vclock_at).as_nanos() as f64;
        if dt > 0.0 && self.cpu_phase() > 0 {
            let share = self.share();
            self.vclock += dt * share;
            self.cpu_work_ns += dt * share * self.cpu_phase() as f64;
        }
        self.vclock_at = now;
    }

    /// Adds a request (the clock must have been advanced to `now`).
    #[inline]
    pub fn admit(&mut self, now: SimTime, arrival: SimTime, cpu: SimDuration, io: SimDuration) {
        debug_assert_eq!(self.vclock_at, now);
        if cpu.as_nanos() == 0 {
            self.io.push(IoPhase { io_end: now + io, arrival });
        } else {
            if self.cpu_phase() == 0 {
                // Reset the clock at the start of each CPU busy period to keep it small
                // (and its float resolution fine).
                self.vclock = 0.0;
            }
            let finish_tag = self.vclock + cpu.as_nanos() as f64;
            self.cpu.push(CpuPhase { finish_tag, arrival, io });
        }
    }

    /// Moves finished CPU phases into I/O and removes finished requests, calling `done`
    /// with each one's arrival time (the clock must have been advanced to `now`).
    pub fn settle(&mut self, now: SimTime, mut done: impl FnMut(SimTime)) {
        let reached = self.vclock + TAG_EPSILON;
        // One call of `done` (so that it is inlined): each pass finishes one request.
        loop {
            let arrival = if let Some(c) = self.pop_cpu_done(reached) {
                if c.io != SimDuration::ZERO {
                    self.io.push(IoPhase { io_end: now + c.io, arrival: c.arrival });
                    continue;
                }
                // Done now, without a pass through the I/O heap: what `done` does with
                // each request commutes, so the order among those finishing is free.
                c.arrival
            } else if self.io.peek().is_some_and(|w| w.io_end <= now) {
                self.io.pop().expect("peeked").arrival
            } else {
                break;
            };
            done(arrival);
        }
    }

    /// Drops every request held (the machine is gone), returning their arrival times.
    pub fn evict(&mut self) -> Vec<SimTime> {
        self.cpu.drain().map(|c| c.arrival).chain(self.io.drain().map(|w| w.arrival)).collect()
    }

    /// When the instance's next event is due, if it has one: the next CPU-phase end
    /// that changes a share, or the next end of a request (see the module comment).
    pub fn next_completion(&mut self, now: SimTime) -> Option<SimTime> {
        let mut next = self.io.peek().map_or(SimTime::MAX, |w| w.io_end);
        // Set again below while ends are deferred; never left over from an earlier
        // state (a settle can bring the instance into deferring without a reschedule
        // until the event is handled).
        self.next_cpu_end = SimTime::MAX;
        if self.defers() {
            debug_assert_eq!(self.vclock_at, now);
            let n = self.cpu_phase();
            if n == 1 {
                // One request at full share (the usual case): its end, then its I/O.
                let c = self.cpu.peek().expect("one in its CPU phase");
                self.next_cpu_end = cpu_end(now, c.finish_tag, self.vclock, 1.0);
                return Some(next.min(self.next_cpu_end + c.io));
            }
            // The CPU phases end in tag order at full share: walk them as `catch_up`
            // will replay them, and take the least end of an I/O wait (or of a request
            // without one).
            let mut phases = [(0.0f64, SimDuration::ZERO); DEFER_MAX];
            for (slot, c) in phases.iter_mut().zip(self.cpu.iter()) {
                *slot = (c.finish_tag, c.io);
            }
            phases[..n].sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            let (mut at, mut vclock) = (now, self.vclock);
            let mut i = 0;
            while i < n {
                let end = cpu_end(at, phases[i].0, vclock, 1.0);
                if i == 0 {
                    // Fixed now, as the first end's event would be: a tick that brings
                    // the clock forward before then does not move it.
                    self.next_cpu_end = end;
                }
                vclock += end.since(at).as_nanos() as f64;
                at = end;
                let reached = vclock + TAG_EPSILON;
                while i < n && phases[i].0 <= reached {
                    next = next.min(end + phases[i].1);
                    i += 1;
                }
                if end >= next {
                    break;
                }
            }
        } else if let Some(c) = self.cpu.peek() {
            // Ends are non-decreasing in the tag, so the least tag gives the least end
            // exactly, with one division and one rounding instead of one per request.
            next = next.min(cpu_end(now, c.finish_tag, self.vclock, self.share()));
        }
        (next != SimTime::MAX).then_some(next)
    }

    /// Ends the current busy (or start-up) period, if any, and starts idling.
    pub fn end_busy_period(&mut self, now: SimTime, rounding: SimDuration) {
        if let Some(since) = self.busy_since.take() {
            let period = now.since(since);
            self.raw_active += period;
            self.rounded_active += period.round_up_to(rounding);
        }
        self.idle_since = now;
    }

    pub fn is_idle(&self) -> bool {
        self.cpu.is_empty() && self.io.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: u64) -> SimDuration {
        SimDuration::from_millis(x)
    }

    /// Runs the instance to quiescence, returning completion times per arrival order.
    fn drain(inst: &mut Instance, mut now: SimTime) -> Vec<(SimTime, SimTime)> {
        let mut out = Vec::new();
        while let Some(t) = inst.next_completion(now) {
            now = t;
            inst.advance(now);
            inst.settle(now, |arrival| out.push((arrival, now)));
        }
        out
    }

    #[test]
    fn two_requests_share_one_vcpu() {
        let mut inst = Instance::new(1.0, 10);
        inst.begin_life(0, SimTime::ZERO, SimTime::ZERO, SimTime::MAX);
        inst.advance(SimTime::ZERO);
        inst.admit(SimTime::ZERO, SimTime::ZERO, ms(100), SimDuration::ZERO);
        inst.admit(SimTime::ZERO, SimTime::ZERO, ms(100), SimDuration::ZERO);
        let done = drain(&mut inst, SimTime::ZERO);
        // Both progress at half speed: both finish at 200 ms.
        assert_eq!(done.len(), 2);
        assert!(done.iter().all(|&(_, t)| t == SimTime::ZERO + ms(200)));
    }

    #[test]
    fn two_vcpus_serve_two_requests_at_full_speed() {
        let mut inst = Instance::new(2.0, 10);
        inst.begin_life(0, SimTime::ZERO, SimTime::ZERO, SimTime::MAX);
        inst.advance(SimTime::ZERO);
        inst.admit(SimTime::ZERO, SimTime::ZERO, ms(100), SimDuration::ZERO);
        inst.admit(SimTime::ZERO, SimTime::ZERO, ms(300), SimDuration::ZERO);
        let done = drain(&mut inst, SimTime::ZERO);
        assert_eq!(done[0].1, SimTime::ZERO + ms(100));
        assert_eq!(done[1].1, SimTime::ZERO + ms(300));
    }

    #[test]
    fn late_arrival_slows_the_first() {
        // A: 100 ms of work at t=0; B: 100 ms at t=50. A has 50 left, shared -> A ends
        // at 150; B then alone with 50 left -> ends at 200.
        let mut inst = Instance::new(1.0, 10);
        inst.begin_life(0, SimTime::ZERO, SimTime::ZERO, SimTime::MAX);
        inst.advance(SimTime::ZERO);
        inst.admit(SimTime::ZERO, SimTime::ZERO, ms(100), SimDuration::ZERO);
        let t50 = SimTime::ZERO + ms(50);
        inst.advance(t50);
        inst.admit(t50, t50, ms(100), SimDuration::ZERO);
        let done = drain(&mut inst, t50);
        assert_eq!(done, vec![(SimTime::ZERO, SimTime::ZERO + ms(150)), (t50, SimTime::ZERO + ms(200))]);
    }

    #[test]
    fn io_holds_a_slot_but_not_the_cpu() {
        // A: 100 ms CPU then 500 ms I/O; B arrives at 100 and gets the CPU alone.
        let mut inst = Instance::new(1.0, 10);
        inst.begin_life(0, SimTime::ZERO, SimTime::ZERO, SimTime::MAX);
        inst.advance(SimTime::ZERO);
        inst.admit(SimTime::ZERO, SimTime::ZERO, ms(100), ms(500));
        let t100 = SimTime::ZERO + ms(100);
        // Alone on its vCPU, A's CPU phase ends changing no share: its next event is the
        // end of its I/O.
        assert_eq!(inst.next_completion(SimTime::ZERO), Some(SimTime::ZERO + ms(600)));
        inst.advance(t100);
        inst.settle(t100, |_| panic!("nothing finishes yet"));
        inst.admit(t100, t100, ms(100), SimDuration::ZERO);
        let done = drain(&mut inst, t100);
        assert_eq!(done, vec![(t100, SimTime::ZERO + ms(200)), (SimTime::ZERO, SimTime::ZERO + ms(600))]);
    }

    #[test]
    fn ceil_to_u64_is_ceil_as_u64() {
        let cases =
            [0.0, 0.2, 1.0, 1.5, 2.0 - f64::EPSILON, 4503599627370495.5, 9007199254740993.0, 1e30, -0.5];
        for x in cases.into_iter().chain((0..1000).map(|i| i as f64 * 0.37)) {
            assert_eq!(ceil_to_u64(x), x.ceil() as u64, "{x}");
        }
        assert_eq!(ceil_to_u64(f64::NAN), f64::NAN.ceil() as u64);
        assert_eq!(ceil_to_u64(f64::INFINITY), u64::MAX);
    }

    /// The linear scan the phase heaps replaced, kept as the reference: one list of
    /// requests, every one looked at on every event.
    struct Scan {
        vcpu: f64,
        vclock: f64,
        vclock_at: SimTime,
        /// (arrival, finish tag, I/O end or MAX while in the CPU phase, I/O wait)
        list: Vec<(SimTime, f64, SimTime, SimDuration)>,
        cpu_work_ns: f64,
    }

    impl Scan {
        fn cpu_phase(&self) -> usize {
            self.list.iter().filter(|r| r.2 == SimTime::MAX).count()
        }
        fn share(&self) -> f64 {
            let n = self.cpu_phase();
            if n == 0 {
                0.0
            } else {
                (self.vcpu / n as f64).min(1.0)
            }
        }
        fn advance(&mut self, now: SimTime) {
            let dt = now.since(self.vclock_at).as_nanos() as f64;
            if dt > 0.0 && self.cpu_phase() > 0 {
                let share = self.share();
                self.vclock += dt * share;
                self.cpu_work_ns += dt * share * self.cpu_phase() as f64;
            }
            self.vclock_at = now;
        }
        fn admit(&mut self, now: SimTime, cpu: SimDuration, io: SimDuration) {
            if cpu.as_nanos() == 0 {
                self.list.push((now, 0.0, now + io, io));
            } else {
                if self.cpu_phase() == 0 {
                    self.vclock = 0.0;
                }
                self.list.push((now, self.vclock + cpu.as_nanos() as f64, SimTime::MAX, io));
            }
        }
        fn settle(&mut self, now: SimTime, done: &mut Vec<(SimTime, SimTime)>) {
            for r in &mut self.list {
                if r.2 == SimTime::MAX && r.1 <= self.vclock + TAG_EPSILON {
                    r.2 = now + r.3;
                }
            }
            done.extend(self.list.iter().filter(|r| r.2 <= now).map(|r| (now, r.0)));
            self.list.retain(|r| r.2 > now);
        }
        fn next_completion(&self, now: SimTime) -> Option<SimTime> {
            let io = self.list.iter().filter(|r| r.2 != SimTime::MAX).map(|r| r.2).min();
            let tag = self.list.iter().filter(|r| r.2 == SimTime::MAX).map(|r| r.1).reduce(f64::min);
            let cpu = tag.map(|t| {
                now + SimDuration::from_nanos(ceil_to_u64((t - self.vclock).max(0.0) / self.share()))
            });
            io.into_iter().chain(cpu).min()
        }
    }

    /// What the comparison drives, the instance and the reference scan alike.
    trait Model {
        /// The next event, computed after each event only (as the simulation
        /// reschedules an instance).
        fn next_event(&mut self, now: SimTime) -> Option<SimTime>;
        /// The event: the clock brought to `now` and what is due finished.
        fn on_event(&mut self, now: SimTime, done: &mut Vec<(SimTime, SimTime)>);
        /// A request let in at `now`.
        fn let_in(&mut self, now: SimTime, cpu: SimDuration, io: SimDuration);
        /// A tick between events: only the clock moves (an autoscaler's snapshot).
        fn on_tick(&mut self, now: SimTime);
        fn held(&self) -> usize;
    }

    impl Model for Instance {
        fn next_event(&mut self, now: SimTime) -> Option<SimTime> {
            self.next_completion(now)
        }
        fn on_event(&mut self, now: SimTime, done: &mut Vec<(SimTime, SimTime)>) {
            self.advance(now);
            self.settle(now, |arrival| done.push((now, arrival)));
        }
        fn let_in(&mut self, now: SimTime, cpu: SimDuration, io: SimDuration) {
            // As the simulation dispatches: the clock brought to now first (again, after
            // the settle of an event at the same instant).
            self.advance(now);
            self.admit(now, now, cpu, io);
        }
        fn on_tick(&mut self, now: SimTime) {
            self.advance(now);
        }
        fn held(&self) -> usize {
            self.load()
        }
    }

    impl Model for Scan {
        fn next_event(&mut self, now: SimTime) -> Option<SimTime> {
            self.next_completion(now)
        }
        fn on_event(&mut self, now: SimTime, done: &mut Vec<(SimTime, SimTime)>) {
            self.advance(now);
            self.settle(now, done);
        }
        fn let_in(&mut self, now: SimTime, cpu: SimDuration, io: SimDuration) {
            self.admit(now, cpu, io);
        }
        fn on_tick(&mut self, now: SimTime) {
            self.advance(now);
        }
        fn held(&self) -> usize {
            self.list.len()
        }
    }

    /// Events are arrivals and the model's own next event; ticks (every `tick`) come
    /// between them; up to `cap` requests are held at once and the rest wait, a request
    /// that frees a slot letting the next one in at the same event, as `take_waiting`
    /// does. Returns (finished (instant, arrival) pairs, events, most held at once).
    fn run(
        model: &mut impl Model,
        arrivals: &[(SimTime, SimDuration, SimDuration)],
        cap: usize,
        tick: Option<SimDuration>,
    ) -> (Vec<(SimTime, SimTime)>, usize, usize) {
        let (mut done, mut events, mut most) = (Vec::new(), 0, 0);
        let mut k = 0;
        let mut waiting = std::collections::VecDeque::new();
        let mut pending = model.next_event(SimTime::ZERO);
        let mut next_tick = tick.map(|d| SimTime::ZERO + d);
        loop {
            let due = match (pending, arrivals.get(k)) {
                (Some(c), Some(a)) => c.min(a.0),
                (Some(c), None) => c,
                (None, Some(a)) => a.0,
                (None, None) => break,
            };
            if let (Some(t), Some(d)) = (next_tick, tick) {
                if t < due {
                    model.on_tick(t);
                    next_tick = Some(t + d);
                    continue;
                }
            }
            let now = due;
            events += 1;
            model.on_event(now, &mut done);
            while arrivals.get(k).is_some_and(|a| a.0 == now) {
                waiting.push_back((arrivals[k].1, arrivals[k].2));
                k += 1;
            }
            while model.held() < cap {
                let Some((cpu, io)) = waiting.pop_front() else { break };
                model.let_in(now, cpu, io);
            }
            pending = model.next_event(now);
            most = most.max(model.held());
        }
        done.sort();
        (done, events, most)
    }

    /// Runs `n` requests (a tenth with no CPU work, a tenth with no I/O; means of CPU
    /// work, I/O and gaps in ms; at most `cap` held at once) through the instance and
    /// through the reference scan, each on its own events (the scan has one at every
    /// CPU-phase end; the instance defers those that change no share): both finish every
    /// request at the same instant and do the same CPU work, bit for bit.
    /// Returns (instance events, scan events, most requests held at once).
    fn against_the_scan(
        vcpu: f64,
        n: usize,
        (cpu_ms, io_ms, gap_ms): (f64, f64, f64),
        cap: usize,
        tick: Option<SimDuration>,
    ) -> (usize, usize, usize) {
        let mut rng = crossover_engine::RngStream::new(crossover_engine::StreamKey::new(4, 0, 2));
        let draw = |rng: &mut crossover_engine::RngStream, mean_ms: f64| {
            if rng.open01() < 0.1 {
                SimDuration::ZERO
            } else {
                SimDuration::from_secs_f64(rng.exponential(mean_ms / 1e3))
            }
        };
        let mut arrivals = Vec::with_capacity(n);
        let mut at = SimTime::ZERO;
        for _ in 0..n {
            let (cpu, io) = (draw(&mut rng, cpu_ms), draw(&mut rng, io_ms));
            arrivals.push((at, cpu, io));
            at += SimDuration::from_secs_f64(rng.exponential(gap_ms / 1e3));
        }
        let mut inst = Instance::new(vcpu, 100_000);
        inst.begin_life(0, SimTime::ZERO, SimTime::ZERO, SimTime::MAX);
        let (heaps_done, inst_events, most_held) = run(&mut inst, &arrivals, cap, tick);
        let mut scan = Scan { vcpu, vclock: 0.0, vclock_at: SimTime::ZERO, list: vec![], cpu_work_ns: 0.0 };
        let (scan_done, scan_events, _) = run(&mut scan, &arrivals, cap, tick);
        assert_eq!(heaps_done.len(), n);
        assert_eq!(heaps_done, scan_done);
        assert_eq!(inst.cpu_work_ns.to_bits(), scan.cpu_work_ns.to_bits());
        (inst_events, scan_events, most_held)
    }

    /// An overloaded instance (2 vCPUs offered 20 of work, hundreds of requests held at
    /// once): the phase heaps finish requests as the scan does.
    #[test]
    fn the_phase_heaps_finish_requests_as_a_linear_scan_does() {
        let (_, _, most_held) = against_the_scan(2.0, 3000, (40.0, 30.0, 2.0), usize::MAX, None);
        assert!(most_held > 300, "the instance held {most_held} at most");
    }

    /// A lightly loaded instance (4 vCPUs, about one of them busy): most CPU-phase ends
    /// change no share and have no event, yet every request finishes when it did.
    #[test]
    fn cpu_phase_ends_at_full_share_need_no_event() {
        let (inst_events, scan_events, _) = against_the_scan(4.0, 3000, (40.0, 30.0, 40.0), usize::MAX, None);
        // Three events a request at most with one per phase end; a deferred end saves one.
        assert!(
            (inst_events as f64) < 0.8 * scan_events as f64,
            "{inst_events} events against the scan's {scan_events}"
        );
        // A fractional vCPU never defers (a lone request runs below full share).
        let (inst_events, scan_events, _) = against_the_scan(0.5, 500, (40.0, 30.0, 200.0), usize::MAX, None);
        assert_eq!(inst_events, scan_events);
        // Autoscaler ticks bring the clock forward between events (every 3 ms, more often
        // than requests come): a deferred end keeps the instant its event would have had.
        let (inst_events, scan_events, _) =
            against_the_scan(4.0, 3000, (40.0, 30.0, 40.0), usize::MAX, Some(ms(3)));
        assert!((inst_events as f64) < 0.8 * scan_events as f64);
        // Near saturation (2 vCPUs 95% busy): shares below one leave the clock fractional
        // and long busy periods let it grow, where recomputing an end from a tick's clock
        // instead of keeping its instant rounds differently now and then.
        against_the_scan(2.0, 20_000, (40.0, 30.0, 21.0), usize::MAX, Some(ms(1)));
        // Three held at most on two vCPUs, the rest waiting: a request let in at the
        // event whose settle brought the instance back to full share.
        against_the_scan(2.0, 20_000, (40.0, 10.0, 21.0), 3, Some(ms(1)));
    }

    #[test]
    fn fractional_vcpu_throttles_a_single_request() {
        let mut inst = Instance::new(0.25, 1);
        inst.begin_life(0, SimTime::ZERO, SimTime::ZERO, SimTime::MAX);
        inst.advance(SimTime::ZERO);
        inst.admit(SimTime::ZERO, SimTime::ZERO, ms(100), SimDuration::ZERO);
        assert_eq!(drain(&mut inst, SimTime::ZERO)[0].1, SimTime::ZERO + ms(400));
    }
}
