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
    /// Index of this entry's item in `heap`, or `FIRED`.
    pos: usize,
    waker: Option<Waker>,
}

/// A heap item carries its own ordering key, so that sifting compares
/// neighbouring memory instead of chasing slab keys.
#[derive(Debug, Clone, Copy)]
struct Item {
    deadline: Instant,
    seq: u64,
    key: usize,
}

impl Item {
    fn before(&self, other: &Item) -> bool {
        (self.deadline, self.seq) < (other.deadline, other.seq)
    }
}

/// Timers ordered by deadline; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    entries: Slab<Entry>,
    heap: Vec<Item>,
    seq: u64,
}

impl Timers {
    /// Adds a timer; returns its key.
    pub(crate) fn insert(&mut self, deadline: Instant, waker: Waker) -> usize {
        self.seq += 1;
        let pos = self.heap.len();
        let key = self.entries.insert(Entry {
            pos,
            waker: Some(waker),
        });
        self.heap.push(Item {
            deadline,
            seq: self.seq,
            key,
        });
        self.sift_up(pos);
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
        let Some(entry) = self.entries.try_remove(key) else {
            return;
        };
        if entry.pos != FIRED {
            self.remove_at(entry.pos);
        }
    }

    /// Moves the timer `key` to `deadline`, back into the heap if it fired.
    pub(crate) fn reset(&mut self, key: usize, deadline: Instant) {
        let Some(entry) = self.entries.get(key) else {
            return;
        };
        let pos = entry.pos;
        self.seq += 1;
        let item = Item {
            deadline,
            seq: self.seq,
            key,
        };
        if pos == FIRED {
            let pos = self.heap.len();
            self.entries[key].pos = pos;
            self.heap.push(item);
            self.sift_up(pos);
        } else {
            self.heap[pos] = item;
            let pos = self.sift_up(pos);
            self.sift_down(pos);
        }
    }

    /// The earliest deadline of a pending timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.first().map(|item| item.deadline)
    }

    /// How many timers are pending.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Fires every timer due at `now`, in order, pushing their wakers.
    pub(crate) fn fire_due(&mut self, now: Instant, wakers: &mut Vec<Waker>) {
        while let Some(&first) = self.heap.first() {
            if first.deadline > now {
                break;
            }
            self.remove_at(0);
            let entry = &mut self.entries[first.key];
            entry.pos = FIRED;
            if let Some(w) = entry.waker.take() {
                wakers.push(w);
            }
        }
    }

    /// Takes the item at `pos` out of the heap. The caller marks its entry.
    fn remove_at(&mut self, pos: usize) {
        let last = self
            .heap
            .pop()
            .expect("the heap holds the item being removed");
        if pos < self.heap.len() {
            self.heap[pos] = last;
            let pos = self.sift_up(pos);
            self.sift_down(pos);
        }
    }

    /// Moves the item at `pos` up to its place; returns where it landed.
    fn sift_up(&mut self, mut pos: usize) -> usize {
        let item = self.heap[pos];
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if !item.before(&self.heap[parent]) {
                break;
            }
            self.heap[pos] = self.heap[parent];
            self.entries[self.heap[pos].key].pos = pos;
            pos = parent;
        }
        self.heap[pos] = item;
        self.entries[item.key].pos = pos;
        pos
    }

    /// Moves the item at `pos` down to its place.
    fn sift_down(&mut self, mut pos: usize) {
        let item = self.heap[pos];
        let len = self.heap.len();
        loop {
            let left = 2 * pos + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.heap[right].before(&self.heap[left]) {
                right
            } else {
                left
            };
            if !self.heap[child].before(&item) {
                break;
            }
            self.heap[pos] = self.heap[child];
            self.entries[self.heap[pos].key].pos = pos;
            pos = child;
        }
        self.heap[pos] = item;
        self.entries[item.key].pos = pos;
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
            if x.is_multiple_of(3) && !live.is_empty() {
                let k = live.swap_remove(usize::try_from(x / 3).unwrap_or(0) % live.len());
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
