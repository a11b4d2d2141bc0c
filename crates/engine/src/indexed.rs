//! A min-heap of small integer ids, each present at most once, whose keys can be
//! changed or removed in O(log n).
//!
//! Models keep things that must be found by "the least (key) of a set whose members'
//! keys keep changing": an entity's next event time, an instance's load. A sorted set
//! pays an allocation-heavy remove and insert at every change; here a change moves one
//! entry a few levels, in two flat arrays that never shrink.
//!
//! Its layout is invisible to callers: (key, id) pairs are distinct, so the least is the
//! same whatever the layout, and so is everything popped. A 4-ary layout was tried: 9%
//! fewer instructions on M/M/100 but 16% more mispredicted branches (choosing the least
//! of four children), and 1% slower there.

/// Not in the heap.
const ABSENT: u32 = u32::MAX;

#[derive(Clone, Debug, Default)]
pub struct IndexedHeap<K> {
    /// A binary min-heap on (key, id).
    entries: Vec<(K, u32)>,
    /// Where each id is in `entries` (`ABSENT` if it is not in the heap).
    position: Vec<u32>,
}

/// (key, id) order, the key compared first and the id only on a tie (keys are usually
/// distinct, so the id is rarely looked at).
#[inline(always)]
fn less<K: Ord>(a: &(K, u32), b: &(K, u32)) -> bool {
    match a.0.cmp(&b.0) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => a.1 < b.1,
    }
}

/// Where the lesser of the children at `left` and `left + 1` (if that one exists) is.
///
/// # Safety
/// `left` must be below `entries.len()`.
#[inline(always)]
unsafe fn lesser_child<K: Ord>(entries: &[(K, u32)], left: usize) -> usize {
    let right = left + 1;
    // SAFETY: `left` is in bounds (the caller's promise), and `right` is read only when
    // it is too.
    if right < entries.len()
        && less(unsafe { entries.get_unchecked(right) }, unsafe { entries.get_unchecked(left) })
    {
        right
    } else {
        left
    }
}

impl<K: Ord + Copy> IndexedHeap<K> {
    pub fn new() -> Self {
        IndexedHeap { entries: Vec::new(), position: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, id: u32) -> bool {
        self.position.get(id as usize).is_some_and(|&at| at != ABSENT)
    }

    /// The least (key, id), if any. Ties between equal keys go to the lower id.
    #[inline]
    pub fn first(&self) -> Option<(K, u32)> {
        self.entries.first().copied()
    }

    /// Puts `id` in the heap with `key`, or changes its key if it is there. Inlined: the
    /// event loop calls it at nearly every event, and a call costs it the inliner's
    /// specialisation to its caller (callgrind: about 60 instructions per call).
    #[inline(always)]
    pub fn set(&mut self, id: u32, key: K) {
        let i = id as usize;
        if i >= self.position.len() {
            self.position.resize(i + 1, ABSENT);
        }
        match self.position[i] {
            ABSENT => {
                self.entries.push((key, id));
                let at = self.entries.len() - 1;
                self.sift_up(at, (key, id));
            }
            at => {
                let at = at as usize;
                let later = key > self.entries[at].0;
                if later {
                    self.sift_down(at, (key, id));
                } else {
                    self.sift_up(at, (key, id));
                }
            }
        }
    }

    /// Takes `id` out of the heap, returning its key if it was there.
    pub fn remove(&mut self, id: u32) -> Option<K> {
        let at = *self.position.get(id as usize)?;
        if at == ABSENT {
            return None;
        }
        let at = at as usize;
        let key = self.entries[at].0;
        self.position[id as usize] = ABSENT;
        let last = self.entries.pop().expect("the heap holds the removed id");
        if at < self.entries.len() {
            // The last entry fills the hole. It is usually among the greatest (a leaf),
            // so the hole first goes down to a leaf, the lesser child moving up (one
            // comparison a level instead of two), and the last entry rises from there
            // (rarely far; past `at` only when the hole was not on its branch).
            let leaf = self.hole_to_leaf(at);
            self.sift_up(leaf, last);
        }
        Some(key)
    }

    /// Removes and returns the least (key, id).
    pub fn pop(&mut self) -> Option<(K, u32)> {
        let (key, id) = self.first()?;
        self.remove(id);
        Some((key, id))
    }

    /// Empties the heap, keeping its allocations.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.position.fill(ABSENT);
    }

    /// Puts `moving` at the hole `at` or above it: parents greater than it move down
    /// into the hole, and `moving` is written once, at the end.
    #[inline(always)]
    fn sift_up(&mut self, mut at: usize, moving: (K, u32)) {
        assert!(at < self.entries.len() && (moving.1 as usize) < self.position.len());
        let (entries, position) = (self.entries.as_mut_slice(), self.position.as_mut_slice());
        // SAFETY: `at` and every parent of it are below `entries.len()` (asserted), and
        // every id in `entries`, `moving`'s included (asserted), is below
        // `position.len()` (`set` grows `position` before it adds an id). These loops
        // run at every event; the checks cost 7% of a run.
        unsafe {
            while at > 0 {
                let parent = (at - 1) / 2;
                let above = *entries.get_unchecked(parent);
                if !less(&moving, &above) {
                    break;
                }
                *entries.get_unchecked_mut(at) = above;
                *position.get_unchecked_mut(above.1 as usize) = at as u32;
                at = parent;
            }
            *entries.get_unchecked_mut(at) = moving;
            *position.get_unchecked_mut(moving.1 as usize) = at as u32;
        }
    }

    /// Moves the hole at `at` down to a leaf, the lesser child moving up into it at each
    /// level; returns where the hole ends. Its entry must be written by the caller.
    #[inline(always)]
    fn hole_to_leaf(&mut self, mut at: usize) -> usize {
        let n = self.entries.len();
        assert!(at < n);
        let (entries, position) = (self.entries.as_mut_slice(), self.position.as_mut_slice());
        // SAFETY: children are read only below `n = entries.len()`, and `at` stays
        // below it (asserted, then each step moves to a child below `n`); ids in
        // `entries` are below `position.len()` as in `sift_up`.
        unsafe {
            loop {
                let left = 2 * at + 1;
                if left >= n {
                    return at;
                }
                let child = lesser_child(entries, left);
                let below = *entries.get_unchecked(child);
                *entries.get_unchecked_mut(at) = below;
                *position.get_unchecked_mut(below.1 as usize) = at as u32;
                at = child;
            }
        }
    }

    /// Puts `moving` at the hole `at` or below it, the lesser child moving up each step.
    #[inline(always)]
    fn sift_down(&mut self, mut at: usize, moving: (K, u32)) {
        let n = self.entries.len();
        assert!(at < n && (moving.1 as usize) < self.position.len());
        let (entries, position) = (self.entries.as_mut_slice(), self.position.as_mut_slice());
        // SAFETY: as in `sift_up`; children are read only below `n = entries.len()`.
        unsafe {
            loop {
                let left = 2 * at + 1;
                if left >= n {
                    break;
                }
                let child = lesser_child(entries, left);
                let below = *entries.get_unchecked(child);
                if !less(&below, &moving) {
                    break;
                }
                *entries.get_unchecked_mut(at) = below;
                *position.get_unchecked_mut(below.1 as usize) = at as u32;
                at = child;
            }
            *entries.get_unchecked_mut(at) = moving;
            *position.get_unchecked_mut(moving.1 as usize) = at as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RngStream, StreamKey};
    use std::collections::BTreeSet;

    /// Random sets, changes and removals against a sorted set of (key, id): few ids
    /// (a shallow heap, the last level often partial) and many (ten levels).
    #[test]
    fn matches_a_sorted_set() {
        for (ids, keys) in [(40u32, 6.0), (7, 3.0), (600, 50.0)] {
            matches_a_sorted_set_with(ids, keys);
        }
    }

    fn matches_a_sorted_set_with(ids: u32, keys: f64) {
        let mut rng = RngStream::new(StreamKey::new(7, 0, ids as u64));
        let mut heap = IndexedHeap::new();
        let mut set = BTreeSet::new();
        let mut key_of = vec![None::<u32>; ids as usize];
        for _ in 0..100_000 {
            let id = (rng.open01() * ids as f64) as u32;
            let u = rng.open01();
            if u < 0.6 {
                // Few distinct keys, so that ties (broken by id) are common.
                let key = (rng.open01() * keys) as u32;
                if let Some(old) = key_of[id as usize].replace(key) {
                    set.remove(&(old, id));
                }
                set.insert((key, id));
                heap.set(id, key);
            } else if u < 0.85 {
                let old = key_of[id as usize].take();
                if let Some(old) = old {
                    set.remove(&(old, id));
                }
                assert_eq!(heap.remove(id), old);
            } else if let Some((key, id)) = heap.pop() {
                assert_eq!(set.pop_first(), Some((key, id)));
                key_of[id as usize] = None;
            }
            assert_eq!(heap.first(), set.first().copied());
            assert_eq!(heap.len(), set.len());
            assert_eq!(heap.contains(id), key_of[id as usize].is_some());
        }
        // Every entry is where `position` says, and no child is less than its parent.
        for (at, &(key, id)) in heap.entries.iter().enumerate() {
            assert_eq!(heap.position[id as usize] as usize, at);
            assert_eq!(key_of[id as usize], Some(key));
            if at > 0 {
                assert!(!less(&heap.entries[at], &heap.entries[(at - 1) / 2]));
            }
        }
    }
}
