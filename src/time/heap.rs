//! The runtime's timers: an indexed binary min-heap over a slab.
//!
//! # Invariants
//!
//! - Every entry is owned by exactly one [`Sleep`](super::Sleep), which holds
//!   its slab key and is the only one to remove it: firing an entry takes it
//!   out of the heap (`pos == FIRED`) but leaves it in the slab until its
//!   owner looks, so a key is never reused under an owner's feet.
//! - `heap[i]` is the slab key of an entry whose `pos == i`; entries are
//!   ordered by `(deadline, seq)`, so equal deadlines fire in the order they
//!   were inserted.
//! - Removing an entry removes it from the heap at once: cancelled timers
//!   leave no tombstones behind.

use std::task::Waker;
use std::time::Instant;

use slab::Slab;

/// `pos` of an entry that has fired and left the heap.
const FIRED: usize = usize::MAX;

#[derive(Debug)]
struct Entry {
    deadline: Instant,
    seq: u64,
    pos: usize,
    waker: Option<Waker>,
}

/// Timers ordered by deadline; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    entries: Slab<Entry>,
    heap: Vec<usize>,
    seq: u64,
}

impl Timers {
    /// Adds a timer; returns its key.
    pub(crate) fn insert(&mut self, deadline: Instant, waker: Waker) -> usize {
        self.seq += 1;
        let key = self.entries.insert(Entry {
            deadline,
            seq: self.seq,
            pos: self.heap.len(),
            waker: Some(waker),
        });
        self.heap.push(key);
        self.sift_up(self.heap.len() - 1);
        key
    }

    /// Whether the timer `key` has fired.
    pub(crate) fn is_fired(&self, key: usize) -> bool {
        self.entries.get(key).is_none_or(|e| e.pos == FIRED)
    }

    /// Replaces the waker of a pending timer, unless it would wake the same task.
    pub(crate) fn set_waker(&mut self, key: usize, waker: &Waker) {
        if let Some(entry) = self.entries.get_mut(key) {
            match &entry.waker {
                Some(w) if w.will_wake(waker) => {}
                _ => entry.waker = Some(waker.clone()),
            }
        }
    }

    /// Removes the timer `key`, fired or not.
    pub(crate) fn remove(&mut self, key: usize) {
        let Some(entry) = self.entries.get(key) else {
            return;
        };
        if entry.pos != FIRED {
            self.remove_at(entry.pos);
        }
        self.entries.remove(key);
    }

    /// Moves the timer `key` to `deadline`, back into the heap if it fired.
    pub(crate) fn reset(&mut self, key: usize, deadline: Instant) {
        self.seq += 1;
        let seq = self.seq;
        let Some(entry) = self.entries.get_mut(key) else {
            return;
        };
        entry.deadline = deadline;
        entry.seq = seq;
        if entry.pos == FIRED {
            entry.pos = self.heap.len();
            self.heap.push(key);
            self.sift_up(self.heap.len() - 1);
        } else {
            let pos = entry.pos;
            self.sift_up(pos);
            let pos = self.entries[key].pos;
            self.sift_down(pos);
        }
    }

    /// The earliest deadline of a pending timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.first().map(|&k| self.entries[k].deadline)
    }

    /// How many timers are pending.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Fires every timer due at `now`, in order, pushing their wakers.
    pub(crate) fn fire_due(&mut self, now: Instant, wakers: &mut Vec<Waker>) {
        while let Some(&key) = self.heap.first() {
            if self.entries[key].deadline > now {
                break;
            }
            self.remove_at(0);
            let entry = &mut self.entries[key];
            entry.pos = FIRED;
            if let Some(w) = entry.waker.take() {
                wakers.push(w);
            }
        }
    }

    fn less(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.entries[self.heap[a]], &self.entries[self.heap[b]]);
        (a.deadline, a.seq) < (b.deadline, b.seq)
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.heap.swap(i, j);
        self.entries[self.heap[i]].pos = i;
        self.entries[self.heap[j]].pos = j;
    }

    /// Takes the heap element at `pos` out and marks it as fired.
    fn remove_at(&mut self, pos: usize) {
        let last = self.heap.len() - 1;
        self.swap(pos, last);
        let key = self
            .heap
            .pop()
            .expect("the heap holds the element being removed");
        if let Some(e) = self.entries.get_mut(key) {
            e.pos = FIRED;
        }
        if pos < self.heap.len() {
            self.sift_up(pos);
            let pos = self.entries[self.heap[pos]].pos;
            self.sift_down(pos);
        }
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if !self.less(i, parent) {
                break;
            }
            self.swap(i, parent);
            i = parent;
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut min = i;
            if l < self.heap.len() && self.less(l, min) {
                min = l;
            }
            if r < self.heap.len() && self.less(r, min) {
                min = r;
            }
            if min == i {
                break;
            }
            self.swap(i, min);
            i = min;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Timers;
    use std::task::Waker;
    use std::time::{Duration, Instant};

    fn fire(t: &mut Timers, now: Instant) -> usize {
        let mut w = Vec::new();
        t.fire_due(now, &mut w);
        w.len()
    }

    #[test]
    fn timers_fire_in_deadline_order_and_ties_in_insertion_order() {
        let base = Instant::now();
        let mut t = Timers::default();
        let keys: Vec<usize> = [5u64, 1, 3, 1, 4]
            .iter()
            .map(|&ms| t.insert(base + Duration::from_millis(ms), Waker::noop().clone()))
            .collect();
        let mut order = Vec::new();
        for ms in 0..=5 {
            let now = base + Duration::from_millis(ms);
            let mut w = Vec::new();
            t.fire_due(now, &mut w);
            for (i, &k) in keys.iter().enumerate() {
                if t.is_fired(k) && !order.contains(&i) {
                    order.push(i);
                }
            }
        }
        assert_eq!(order, vec![1, 3, 2, 4, 0]);
    }

    #[test]
    fn removed_timers_leave_the_heap_at_once() {
        let base = Instant::now();
        let mut t = Timers::default();
        let keys: Vec<usize> = (0..100)
            .map(|i| t.insert(base + Duration::from_millis(i), Waker::noop().clone()))
            .collect();
        for &k in keys.iter().step_by(2) {
            t.remove(k);
        }
        assert_eq!(t.len(), 50);
        assert_eq!(t.next_deadline(), Some(base + Duration::from_millis(1)));
        assert_eq!(fire(&mut t, base + Duration::from_secs(1)), 50);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn reset_moves_a_timer_and_revives_a_fired_one() {
        let base = Instant::now();
        let mut t = Timers::default();
        let a = t.insert(base + Duration::from_millis(10), Waker::noop().clone());
        let b = t.insert(base + Duration::from_millis(20), Waker::noop().clone());
        t.reset(b, base + Duration::from_millis(5));
        assert_eq!(t.next_deadline(), Some(base + Duration::from_millis(5)));
        assert_eq!(fire(&mut t, base + Duration::from_millis(5)), 1);
        assert!(t.is_fired(b) && !t.is_fired(a));
        t.reset(b, base + Duration::from_millis(30));
        assert!(!t.is_fired(b));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn random_inserts_and_removes_keep_heap_order() {
        let base = Instant::now();
        let mut t = Timers::default();
        let mut live = Vec::new();
        let mut x: u64 = 12345;
        for _ in 0..2000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            if x % 3 == 0 && !live.is_empty() {
                let k = live.swap_remove((x as usize / 3) % live.len());
                t.remove(k);
            } else {
                live.push(t.insert(
                    base + Duration::from_micros(x % 10_000),
                    Waker::noop().clone(),
                ));
            }
        }
        let mut last = base;
        while let Some(d) = t.next_deadline() {
            assert!(d >= last);
            last = d;
            let mut w = Vec::new();
            t.fire_due(d, &mut w);
        }
    }
}
