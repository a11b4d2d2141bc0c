//! The future-event list: a min-heap on (time, insertion sequence), plus one keyed timer
//! per entity.
//!
//! Ties are broken by the order events were scheduled (FIFO), which makes runs
//! reproducible regardless of how the heap shuffles equal keys. Cancellation of plain
//! events is left to the caller (models keep a generation counter per entity and ignore
//! stale events), which keeps that queue a plain heap with no index bookkeeping.
//!
//! An entity whose next event keeps moving (an instance's next completion changes at
//! every arrival; its idle expiry is superseded as soon as a request comes) would leave
//! a stale entry behind at every move, and stale idle expiries minutes ahead pile up by
//! the hundred thousand. Timers avoid that: each entity holds at most one, in an
//! indexed heap where setting it again moves the entry instead of adding one. Timers and
//! plain events share one sequence counter, so the pop order, FIFO among equal times
//! across both, is exactly that of scheduling every move as a new event and ignoring
//! the superseded ones.
//!
//! A periodic event whose handler would do nothing for a while but schedule the next
//! (an autoscaler's tick while its service is quiet) can be left to the queue as a
//! recurrence: each occurrence before a given time is passed over where it would have
//! been popped, taking the sequence number its handler would have taken for the next,
//! and the first occurrence from that time on is a plain event. Every other event then
//! gets the sequence number and pops in the place it would have with each occurrence
//! handled, so skipping them changes nothing but the work.

use crate::indexed::IndexedHeap;
use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed so that std's max-heap pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.time.cmp(&self.time).then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Pending events, popped in time order, FIFO among equal times.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    /// The entities' timers, on (time, seq).
    timers: IndexedHeap<(SimTime, u64)>,
    /// Each entity's timer event (`None` if it has no timer).
    timer_events: Vec<Option<E>>,
    /// The entity whose timer was just popped, its entry still at the root of `timers`.
    /// An entity usually sets its timer again at once (an instance computes its next
    /// completion as soon as it has handled one): the entry then moves down from the
    /// root, instead of being removed and pushed back. Anything else removes it first.
    fired: Option<u32>,
    /// The pending event of the queue's stream: a source that always has exactly one
    /// event pending and schedules the next as each is handled (a traffic source's next
    /// arrival). Kept beside the heap rather than pushed into and popped from it once
    /// per request; it takes its sequence number like any other event.
    stream: Option<Entry<E>>,
    /// Recurrences (see the module's comment), by id; `recurring_next` is the earliest.
    recurrences: Vec<Option<Recurrence<E>>>,
    recurring_next: Option<(SimTime, u64, u32)>,
    next_seq: u64,
}

/// A periodic event whose occurrences before `until` are passed over.
struct Recurrence<E> {
    /// The next occurrence and its sequence number.
    time: SimTime,
    seq: u64,
    period: u64,
    until: SimTime,
    event: E,
}

/// Where the earliest pending event is.
#[derive(Clone, Copy)]
enum Source {
    Heap,
    /// The timer of this entity.
    Timer(u32),
    Stream,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity),
            timers: IndexedHeap::new(),
            timer_events: Vec::new(),
            fired: None,
            stream: None,
            recurrences: Vec::new(),
            recurring_next: None,
            next_seq: 0,
        }
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    pub fn schedule(&mut self, time: SimTime, event: E) {
        let seq = self.take_seq();
        self.heap.push(Entry { time, seq, event });
    }

    /// Schedules the stream's next event (see `stream`); the previous one must have been
    /// popped.
    pub fn schedule_stream(&mut self, time: SimTime, event: E) {
        debug_assert!(self.stream.is_none(), "the stream has one pending event at most");
        let seq = self.take_seq();
        self.stream = Some(Entry { time, seq, event });
    }

    /// Sets entity `id`'s timer to fire `event` at `time`, replacing its pending one if
    /// any. It takes its place among equal times as a newly scheduled event would.
    // Inlined into its callers: it runs at nearly every event of every instance.
    #[inline(always)]
    pub fn set_timer(&mut self, id: u32, time: SimTime, event: E) {
        let seq = self.take_seq();
        let i = id as usize;
        if i >= self.timer_events.len() {
            self.timer_events.resize_with(i + 1, || None);
        }
        self.timer_events[i] = Some(event);
        if self.fired == Some(id) {
            self.fired = None;
        } else {
            self.drop_fired();
        }
        self.timers.set(id, (time, seq));
    }

    /// Schedules `event` at `time`, then every `period`, the occurrences before `until`
    /// passed over (see the module's comment) and the first from `until` on a plain
    /// event. `id` names the recurrence; it must have none pending. The caller knows
    /// nothing its handler would do changes before `until`.
    pub fn schedule_recurrence(&mut self, id: u32, time: SimTime, period: u64, until: SimTime, event: E) {
        debug_assert!(period > 0, "a recurrence advances");
        let i = id as usize;
        if i >= self.recurrences.len() {
            self.recurrences.resize_with(i + 1, || None);
        }
        debug_assert!(self.recurrences[i].is_none(), "one recurrence per id");
        let seq = self.take_seq();
        if time >= until {
            self.heap.push(Entry { time, seq, event });
            return;
        }
        self.recurrences[i] = Some(Recurrence { time, seq, period, until, event });
        self.find_recurring_next();
    }

    fn find_recurring_next(&mut self) {
        self.recurring_next = self
            .recurrences
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (r.time, r.seq, i as u32)))
            .min();
    }

    /// Passes over the occurrences due before the earliest pending event, in their
    /// places, each taking the sequence number of the next.
    #[cold]
    fn pass_over_recurrences(&mut self) {
        while let Some((time, seq, id)) = self.recurring_next {
            let next_event = self.first().map(|(_, key)| key);
            if next_event.is_some_and(|key| key < (time, seq)) {
                return;
            }
            // A lone recurrence passes over every occurrence before the next event at
            // once: each after this one takes a sequence number above every pending
            // event's, so it comes before that event exactly if it comes earlier.
            // (Their numbers would be consecutive, above every pending event's and below
            // every event's to come: one number serves for the last.)
            let alone = self.recurrences.iter().filter(|r| r.is_some()).count() == 1;
            let next_seq = self.take_seq();
            let slot = &mut self.recurrences[id as usize];
            let r = slot.as_mut().expect("the earliest recurrence is pending");
            let end = next_event.map_or(r.until, |(t, _)| t.min(r.until));
            let more = if alone && end.0 > r.time.0 { (end.0 - r.time.0 - 1) / r.period } else { 0 };
            r.time = SimTime(r.time.0.saturating_add(r.period.saturating_mul(more + 1)));
            r.seq = next_seq;
            if r.time >= r.until {
                let r = slot.take().expect("checked above");
                self.heap.push(Entry { time: r.time, seq: r.seq, event: r.event });
            }
            self.find_recurring_next();
        }
    }

    /// Removes the entry of the timer last popped, if it was not set again.
    #[inline]
    fn drop_fired(&mut self) {
        if let Some(id) = self.fired.take() {
            self.timers.remove(id);
        }
    }

    /// Removes entity `id`'s pending timer, if it has one.
    pub fn cancel_timer(&mut self, id: u32) {
        self.drop_fired();
        if self.timers.remove(id).is_some() {
            self.timer_events[id as usize] = None;
        }
    }

    /// Where the earliest pending event is, and its (time, seq); `drop_fired` first.
    #[inline]
    fn first(&self) -> Option<(Source, (SimTime, u64))> {
        let mut best = self.heap.peek().map(|e| (Source::Heap, (e.time, e.seq)));
        if let Some((key, id)) = self.timers.first() {
            if best.is_none_or(|(_, b)| key < b) {
                best = Some((Source::Timer(id), key));
            }
        }
        if let Some(e) = &self.stream {
            if best.is_none_or(|(_, b)| (e.time, e.seq) < b) {
                best = Some((Source::Stream, (e.time, e.seq)));
            }
        }
        best
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.drop_fired();
        if self.recurring_next.is_some() {
            self.pass_over_recurrences();
        }
        match self.first()? {
            (Source::Timer(id), (time, _)) => {
                let event = self.timer_events[id as usize].take().expect("a set timer has its event");
                self.fired = Some(id);
                Some((time, event))
            }
            (Source::Stream, _) => self.stream.take().map(|e| (e.time, e.event)),
            (Source::Heap, _) => self.heap.pop().map(|e| (e.time, e.event)),
        }
    }

    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.drop_fired();
        if self.recurring_next.is_some() {
            self.pass_over_recurrences();
        }
        self.first().map(|(_, (time, _))| time)
    }

    /// Pending events, timers and the stream's included (a recurrence's next occurrence
    /// is not, until it is a plain event).
    pub fn len(&self) -> usize {
        self.heap.len() + self.timers.len() - usize::from(self.fired.is_some())
            + usize::from(self.stream.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every pending event and timer but keeps the allocations, so a queue can be
    /// reused.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.timers.clear();
        self.timer_events.iter_mut().for_each(|e| *e = None);
        self.fired = None;
        self.stream = None;
        self.recurrences.iter_mut().for_each(|r| *r = None);
        self.recurring_next = None;
        self.next_seq = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_and_fifo_among_ties() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(30), 'a');
        q.schedule(SimTime(10), 'b');
        q.schedule(SimTime(30), 'c');
        q.schedule(SimTime(10), 'd');
        q.schedule(SimTime(20), 'e');
        q.schedule(SimTime(30), 'f');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['b', 'd', 'e', 'a', 'c', 'f']);
    }

    #[test]
    fn interleaved_schedule_and_pop_keep_fifo() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(5), 1);
        q.schedule(SimTime(5), 2);
        assert_eq!(q.pop(), Some((SimTime(5), 1)));
        q.schedule(SimTime(5), 3);
        assert_eq!(q.pop(), Some((SimTime(5), 2)));
        assert_eq!(q.pop(), Some((SimTime(5), 3)));
        assert!(q.pop().is_none());
    }

    #[test]
    fn a_timer_set_again_moves_and_keeps_fifo_with_plain_events() {
        let mut q = EventQueue::new();
        q.set_timer(0, SimTime(10), 'w');
        q.schedule(SimTime(20), 'a');
        q.set_timer(1, SimTime(20), 'x');
        q.set_timer(0, SimTime(20), 'y'); // moved later: now after 'a' and 'x'
        q.schedule(SimTime(20), 'b');
        q.set_timer(1, SimTime(5), 'z'); // moved earlier
        assert_eq!(q.len(), 4);
        assert_eq!(q.peek_time(), Some(SimTime(5)));
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['z', 'a', 'y', 'b']);
    }

    #[test]
    fn a_cancelled_timer_never_fires() {
        let mut q = EventQueue::new();
        for id in 0..5u32 {
            q.set_timer(id, SimTime(100 - id as u64), id);
        }
        q.cancel_timer(4);
        q.cancel_timer(2);
        q.cancel_timer(7); // never set: nothing to do
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec![3, 1, 0]);
    }

    /// The stream's events take their place among plain events and timers exactly as if
    /// they were plain events, ties included (coarse times make ties common).
    #[test]
    fn the_stream_pops_as_plain_events_would() {
        let mut rng = crate::RngStream::new(crate::StreamKey::new(5, 0, 3));
        let mut with_stream: EventQueue<(char, u32)> = EventQueue::new();
        let mut plain: EventQueue<(char, u32)> = EventQueue::new();
        let (mut now, mut streamed) = (0u64, 0);
        with_stream.schedule_stream(SimTime(0), ('s', 0));
        plain.schedule(SimTime(0), ('s', 0));
        for step in 0..20_000u32 {
            let at = SimTime(now + coarse_gap(&mut rng) as u64);
            let u = rng.open01();
            if u < 0.25 {
                with_stream.schedule(at, ('p', step));
                plain.schedule(at, ('p', step));
            } else if u < 0.4 {
                // A timer that is never moved pops as the plain event it would be.
                let id = step % 4;
                if with_stream.timers.contains(id) || with_stream.fired == Some(id) {
                    continue;
                }
                with_stream.set_timer(id, at, ('t', id));
                plain.schedule(at, ('t', id));
            } else {
                let (a, b) = (with_stream.pop(), plain.pop());
                assert_eq!(a, b, "step {step}");
                let Some((t, (kind, _))) = a else { break };
                now = t.0;
                if kind == 's' {
                    streamed += 1;
                    let next = SimTime(now + coarse_gap(&mut rng) as u64);
                    with_stream.schedule_stream(next, ('s', step));
                    plain.schedule(next, ('s', step));
                }
                assert_eq!(with_stream.len(), plain.len());
            }
        }
        assert!(streamed > 2_000, "{streamed}");
    }

    fn coarse_gap(rng: &mut crate::RngStream) -> f64 {
        (rng.open01() * 4.0).floor()
    }

    /// Timers pop exactly as the idiom they replace: every move scheduled as a new plain
    /// event and the superseded ones skipped by a generation check.
    #[test]
    fn timers_pop_as_superseded_events_skipped_by_generation() {
        type Tag = (Option<(usize, u32)>, u32);
        let mut rng = crate::RngStream::new(crate::StreamKey::new(3, 0, 9));
        let mut timers: EventQueue<Tag> = EventQueue::new();
        let mut plain: EventQueue<Tag> = EventQueue::new();
        let mut live: [Option<u32>; 8] = [None; 8];
        let mut generation = 0u32;
        let (mut from_timers, mut from_plain) = (Vec::new(), Vec::new());
        let mut now = 0u64;
        let mut pending_live = Vec::new();
        for step in 0..20_000u32 {
            let u = rng.open01();
            let id = (rng.open01() * 8.0) as usize;
            // Coarse times, so that ties are common.
            let at = SimTime(now + (rng.open01() * 8.0) as u64);
            if u < 0.45 {
                generation += 1;
                live[id] = Some(generation);
                timers.set_timer(id as u32, at, (Some((id, generation)), step));
                plain.schedule(at, (Some((id, generation)), step));
            } else if u < 0.55 {
                live[id] = None;
                timers.cancel_timer(id as u32);
            } else if u < 0.7 {
                timers.schedule(at, (None, step));
                plain.schedule(at, (None, step));
            } else {
                if let Some((t, (owner, step))) = timers.pop() {
                    now = t.0;
                    from_timers.push((t, step));
                    if let Some((id, _)) = owner.filter(|_| rng.open01() < 0.5) {
                        // Set again at once, as an instance does after a completion.
                        let at = SimTime(now + (rng.open01() * 8.0) as u64);
                        generation += 1;
                        timers.set_timer(id as u32, at, (Some((id, generation)), step));
                        plain.schedule(at, (Some((id, generation)), step));
                        pending_live.push((id, generation));
                    }
                }
                while let Some((t, (owner, step))) = plain.pop() {
                    if let Some((id, g)) = owner {
                        if live[id] != Some(g) {
                            continue; // superseded or cancelled
                        }
                        live[id] = None;
                    }
                    from_plain.push((t, step));
                    break;
                }
                for (id, g) in pending_live.drain(..) {
                    live[id] = Some(g);
                }
                assert_eq!(from_timers, from_plain);
            }
        }
        assert!(from_timers.len() > 4_000, "{}", from_timers.len());
    }

    /// A recurrence pops as the periodic event it stands for would, handled at every
    /// occurrence (each scheduling the next) with those before its end doing nothing
    /// more: every other event (plain, timer and stream, on coarse times so that ties
    /// with the occurrences are common) comes out in the same order, quiet spells start
    /// at loud occurrences and end on the grid or between, two recurrences at once.
    #[test]
    fn a_recurrence_pops_as_the_occurrences_it_passes_over() {
        #[derive(Clone, Copy, Debug, PartialEq)]
        enum Ev {
            Other(u32),
            Tick(u32),
            Arrival(u32),
        }
        let mut rng = crate::RngStream::new(crate::StreamKey::new(5, 0, 11));
        let mut draw = |n: u64| (rng.open01() * n as f64) as u64;
        let periods = [3u64, 4];
        let mut loud_ticks = 0;
        let mut passed_over = 0;
        for _round in 0..200 {
            let mut ticking: EventQueue<Ev> = EventQueue::new();
            let mut skipping: EventQueue<Ev> = EventQueue::new();
            for q in [&mut ticking, &mut skipping] {
                for (id, &period) in periods.iter().enumerate() {
                    q.schedule(SimTime(period), Ev::Tick(id as u32));
                }
                q.schedule_stream(SimTime(1), Ev::Arrival(0));
            }
            // The ticking queue's occurrences before `quiet_until` do nothing more.
            let mut quiet_until = [SimTime(0); 2];
            let mut other = 0u32;
            let (mut a, mut b) = (Vec::new(), Vec::new());
            // Sparse rounds leave long gaps for a lone recurrence to pass over at once.
            let spread = 1 + draw(8);
            for _ in 0..400 {
                // The ticking queue: pass over the quiet occurrences as their handler would.
                let (t, ev) = loop {
                    let (t, ev) = ticking.pop().expect("ticks recur");
                    match ev {
                        Ev::Tick(id) if t < quiet_until[id as usize] => {
                            ticking.schedule(SimTime(t.0 + periods[id as usize]), ev);
                            passed_over += 1;
                        }
                        _ => break (t, ev),
                    }
                };
                let (t2, ev2) = skipping.pop().expect("ticks recur");
                a.push((t, ev));
                b.push((t2, ev2));
                assert_eq!(a, b);
                // Handled alike in both.
                match ev {
                    Ev::Tick(id) => {
                        loud_ticks += 1;
                        let i = id as usize;
                        let next = SimTime(t.0 + periods[i]);
                        if draw(2) == 0 {
                            // Quiet until a time on the grid or off it.
                            let until = SimTime(next.0 + periods[i] * draw(6) + draw(2 * periods[i]) + 1);
                            quiet_until[i] = until;
                            ticking.schedule(next, ev);
                            skipping.schedule_recurrence(id, next, periods[i], until, ev);
                        } else {
                            for q in [&mut ticking, &mut skipping] {
                                q.schedule(next, ev);
                            }
                        }
                    }
                    Ev::Arrival(k) => {
                        let at = SimTime(t.0 + draw(4 * spread));
                        for q in [&mut ticking, &mut skipping] {
                            q.schedule_stream(at, Ev::Arrival(k + 1));
                        }
                    }
                    Ev::Other(_) => {}
                }
                for _ in 0..draw(3) {
                    other += 1;
                    let at = SimTime(t.0 + draw(6 * spread));
                    let timer = (draw(2) == 0).then(|| draw(3) as u32);
                    for q in [&mut ticking, &mut skipping] {
                        match timer {
                            Some(id) => q.set_timer(id, at, Ev::Other(other)),
                            None => q.schedule(at, Ev::Other(other)),
                        }
                    }
                }
            }
        }
        assert!(loud_ticks > 8_000 && passed_over > 3_000, "{loud_ticks} {passed_over}");
    }
}
