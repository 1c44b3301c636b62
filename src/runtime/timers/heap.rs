//! The runtime's timers: an indexed binary min-heap over a slab, and an
//! unordered list of the timers due far beyond the horizon.
//!
//! # Near and far
//!
//! A timer due more than [`HORIZON`] after the last [`Timers::fire_due`]
//! waits in `far`, an unordered list, instead of the heap: adding it is a
//! push and removing it a swap, where the heap costs a sift of log n
//! levels each way. That is the common life of such a timer (a request's
//! header-read timeout, an idle connection's keep-alive: added, then
//! cancelled long before it is due). `far_min` is a lower bound of the
//! deadlines in `far`, exact after every scan; a removal may leave it
//! earlier than every remaining deadline, which costs one turn of the driver
//! at that instant with nothing to fire (under paused time, one auto-advance
//! to it). When `fire_due` reaches `far_min` it scans `far` once and moves
//! every timer due within the horizon into the heap, so the next scan is at
//! least [`HORIZON`] later: a scan of n far timers per second at most.
//!
//! # Invariants
//!
//! - Every entry is owned by exactly one [`Sleep`](crate::time::Sleep), which holds
//!   its [`TimerKey`] and is the only one to remove it: firing an entry takes
//!   it out of the heap (`pos[key] == FIRED`) but leaves its waker slot in
//!   the slab until its owner looks, so a key is never reused under an
//!   owner's feet.
//! - An entry is its waker in `wakers` and its heap position in `pos`, a
//!   parallel array indexed by the same key (`pos.len()` is at least the
//!   slab's capacity in use; a vacant key's `pos` is stale and never read).
//! - `heap[i]` is the slab key of an entry whose `pos == i`; entries are
//!   ordered by `(deadline, seq)`, so equal deadlines fire in the order they
//!   were inserted. `far[i]` is the item of an entry whose
//!   `pos == IN_FAR | i`.
//! - Every deadline in `far` is at or after `far_min`, and `far_min` is
//!   [`Deadline::MAX`] when `far` is empty; so [`Timers::next_deadline`] is
//!   never later than the earliest pending deadline. Timers fire only from
//!   the heap, after `far` gave it every one due, so ties still fire in
//!   insertion order.
//! - Removing an entry removes it from the heap or `far` at once: cancelled
//!   timers leave no tombstones behind.
//!
//! # Size
//!
//! One sleeping task costs a slab slot of 16 bytes (its waker: the waker's
//! non-null vtable pointer leaves room for the slab's vacant case, which a
//! position beside it would pad to 24), a 4-byte heap position, and a
//! heap item of 16 bytes: the [`Deadline`] (signed nanoseconds from the
//! process's base instant, as the `Sleep` holds it), a 32-bit insertion
//! number and a 32-bit slab key. The insertion numbers wrap; two
//! timers of one deadline are told apart by their wrapping difference, which
//! is right as long as fewer than 2^31 timers were inserted between them
//! (at a timer per 10 ns, 20 s of nothing else but inserts while both wait
//! for the same nanosecond).

use std::num::NonZeroU32;
use std::task::Waker;
use std::time::Instant;

use slab::Slab;

use super::Deadline;

/// `pos` of an entry that has fired and left the heap.
const FIRED: u32 = u32::MAX;

/// The flag of a `pos` that is an index in `far`.
const IN_FAR: u32 = 1 << 31;

/// How far beyond the last firing a deadline must be to wait in `far`.
const HORIZON: i64 = 1_000_000_000;

/// The key of a timer in [`Timers`]: its slab index plus one, so that an
/// `Option<TimerKey>` is 4 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey(NonZeroU32);

impl TimerKey {
    fn new(index: usize) -> TimerKey {
        u32::try_from(index + 1)
            .ok()
            .and_then(NonZeroU32::new)
            .map(TimerKey)
            .expect("fewer than 2^32 - 1 timers pending at once (64 GiB of them)")
    }

    fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// A heap item carries its own ordering key, so that sifting compares
/// neighbouring memory instead of chasing slab keys.
#[derive(Debug, Clone, Copy)]
struct Item {
    deadline: Deadline,
    seq: u32,
    key: u32,
}

impl Item {
    fn before(&self, other: &Item) -> bool {
        match self.deadline.cmp(&other.deadline) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            // The wrapping difference, read as signed: see the module docs.
            std::cmp::Ordering::Equal => self.seq.wrapping_sub(other.seq).cast_signed() < 0,
        }
    }
}

/// Timers ordered by deadline; see the module docs.
#[derive(Debug)]
pub(crate) struct Timers {
    /// Each timer's waker, by key.
    wakers: Slab<Waker>,
    /// Index of each timer's item in `heap`, or `FIRED`, by key.
    pos: Vec<u32>,
    heap: Vec<Item>,
    seq: u32,
    /// Timers due beyond the horizon, unordered; see the module docs.
    far: Vec<Item>,
    /// At or before every deadline in `far`; `Deadline::MAX` if it is empty.
    far_min: Deadline,
    /// The time of the last `fire_due`, which the horizon counts from.
    now: Deadline,
}

impl Default for Timers {
    fn default() -> Timers {
        Timers {
            wakers: Slab::new(),
            pos: Vec::new(),
            heap: Vec::new(),
            seq: 0,
            far: Vec::new(),
            far_min: Deadline::MAX,
            now: Deadline::from_instant(Instant::now()),
        }
    }
}

/// `pos` of index `i` in the heap or in `far`.
fn pos_of(i: usize) -> u32 {
    u32::try_from(i)
        .ok()
        .filter(|&p| p < IN_FAR)
        .expect("fewer than 2^31 timers pending at once (32 GiB of them)")
}

impl Timers {
    /// Adds a timer; returns its key.
    pub(crate) fn insert(&mut self, deadline: Deadline, waker: Waker) -> TimerKey {
        self.seq = self.seq.wrapping_add(1);
        let index = self.wakers.insert(waker);
        if index == self.pos.len() {
            self.pos.push(FIRED);
        }
        let key = TimerKey::new(index);
        self.attach(Item {
            deadline,
            seq: self.seq,
            key: key.0.get() - 1,
        });
        key
    }

    /// Puts `item` in the heap, or in `far` if it is due beyond the
    /// horizon; sets its entry's `pos`.
    fn attach(&mut self, item: Item) {
        if item.deadline > self.now.saturating_add_nanos(HORIZON) {
            self.pos[item.key as usize] = IN_FAR | pos_of(self.far.len());
            self.far_min = self.far_min.min(item.deadline);
            self.far.push(item);
        } else {
            let at = self.heap.len();
            self.heap.push(item);
            self.sift_up(at);
        }
    }

    /// Takes the item of entry `index` out of the heap or `far`, if it is
    /// in either. The caller marks its entry.
    fn detach(&mut self, index: usize) {
        let pos = self.pos[index];
        if pos == FIRED {
            return;
        }
        if pos & IN_FAR == 0 {
            self.remove_at(pos as usize);
            return;
        }
        let i = (pos & !IN_FAR) as usize;
        self.far.swap_remove(i);
        if let Some(moved) = self.far.get(i) {
            self.pos[moved.key as usize] = pos;
        } else if self.far.is_empty() {
            self.far_min = Deadline::MAX;
        }
    }

    /// Whether the timer `key` has fired.
    pub(crate) fn is_fired(&self, key: TimerKey) -> bool {
        !self.wakers.contains(key.index()) || self.pos[key.index()] == FIRED
    }

    /// Replaces the waker of a pending timer, unless it would wake the same task.
    pub(crate) fn set_waker(&mut self, key: TimerKey, waker: &Waker) {
        if let Some(ours) = self.wakers.get_mut(key.index())
            && !ours.will_wake(waker)
        {
            ours.clone_from(waker);
        }
    }

    /// Removes the timer `key`, fired or not.
    pub(crate) fn remove(&mut self, key: TimerKey) {
        if self.wakers.try_remove(key.index()).is_some() {
            self.detach(key.index());
        }
    }

    /// Moves the timer `key` to `deadline`, back into the heap if it fired.
    pub(crate) fn reset(&mut self, key: TimerKey, deadline: Deadline) {
        if !self.wakers.contains(key.index()) {
            return;
        }
        let pos = self.pos[key.index()];
        self.seq = self.seq.wrapping_add(1);
        let item = Item {
            deadline,
            seq: self.seq,
            key: key.0.get() - 1,
        };
        let near = deadline <= self.now.saturating_add_nanos(HORIZON);
        if pos & IN_FAR == 0 && near {
            // From the heap to the heap: in place.
            let pos = pos as usize;
            self.heap[pos] = item;
            let pos = self.sift_up(pos);
            self.sift_down(pos);
        } else {
            self.detach(key.index());
            self.attach(item);
        }
    }

    /// The earliest deadline of a pending timer.
    /// The earliest deadline of a pending timer, or earlier (see the module
    /// docs: after a removal from `far`, a deadline no timer has any more).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let near = self
            .heap
            .first()
            .map_or(Deadline::MAX, |item| item.deadline);
        let next = near.min(self.far_min);
        (next != Deadline::MAX || !self.is_empty()).then(|| next.to_instant())
    }

    /// How many timers are pending.
    pub(crate) fn len(&self) -> usize {
        self.heap.len() + self.far.len()
    }

    fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.far.is_empty()
    }

    /// Fires every timer due at `now`, in order, pushing their wakers.
    pub(crate) fn fire_due(&mut self, now: Instant, wakers: &mut Vec<Waker>) {
        let now = Deadline::from_instant(now);
        self.now = now;
        if self.far_min <= now {
            self.gather_far(now);
        }
        while let Some(&first) = self.heap.first() {
            if first.deadline > now {
                break;
            }
            self.remove_at(0);
            self.pos[first.key as usize] = FIRED;
            // A fired entry's waker is never woken again: the owner sets a
            // new one if it resets the timer.
            let waker = &mut self.wakers[first.key as usize];
            wakers.push(std::mem::replace(waker, Waker::noop().clone()));
        }
    }

    /// Moves every timer of `far` due within the horizon of `now` into the
    /// heap, and makes `far_min` exact.
    fn gather_far(&mut self, now: Deadline) {
        let horizon = now.saturating_add_nanos(HORIZON);
        let mut min = Deadline::MAX;
        let mut i = 0;
        while let Some(&item) = self.far.get(i) {
            if item.deadline <= horizon {
                self.far.swap_remove(i);
                if let Some(moved) = self.far.get(i) {
                    self.pos[moved.key as usize] = IN_FAR | pos_of(i);
                }
                let at = self.heap.len();
                self.heap.push(item);
                self.sift_up(at);
            } else {
                min = min.min(item.deadline);
                i += 1;
            }
        }
        self.far_min = min;
    }

    /// Takes the item at `pos` out of the heap. The caller marks its entry.
    fn remove_at(&mut self, pos: usize) {
        let last = self
            .heap
            .pop()
            .expect("the heap holds the item being removed");
        if pos < self.heap.len() {
            // `last` was a leaf, so it is usually among the latest
            // deadlines and would sink back to the bottom: move the hole
            // down along the earlier children first (one comparison a
            // level instead of two), then let `last` rise from there,
            // which it rarely does (std's `BinaryHeap::pop` does the same).
            let hole = self.sink_hole(pos);
            self.heap[hole] = last;
            self.sift_up(hole);
        }
    }

    /// Moves the hole at `pos` down to a leaf, lifting the earlier child
    /// into it at each level; returns the leaf. The caller fills it.
    fn sink_hole(&mut self, mut pos: usize) -> usize {
        let len = self.heap.len();
        loop {
            let left = 2 * pos + 1;
            if left >= len {
                return pos;
            }
            let right = left + 1;
            let child = if right < len && self.heap[right].before(&self.heap[left]) {
                right
            } else {
                left
            };
            self.heap[pos] = self.heap[child];
            self.pos[self.heap[pos].key as usize] = pos_of(pos);
            pos = child;
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
            self.pos[self.heap[pos].key as usize] = pos_of(pos);
            pos = parent;
        }
        self.heap[pos] = item;
        self.pos[item.key as usize] = pos_of(pos);
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
            self.pos[self.heap[pos].key as usize] = pos_of(pos);
            pos = child;
        }
        self.heap[pos] = item;
        self.pos[item.key as usize] = pos_of(pos);
    }
}

#[cfg(test)]
mod tests;
