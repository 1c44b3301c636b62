//! The runtime's timers: an indexed binary min-heap over a slab.
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
//!   were inserted.
//! - Removing an entry removes it from the heap at once: cancelled timers
//!   leave no tombstones behind.
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
}

impl Default for Timers {
    fn default() -> Timers {
        Timers {
            wakers: Slab::new(),
            pos: Vec::new(),
            heap: Vec::new(),
            seq: 0,
        }
    }
}

/// `pos` of heap index `i`.
fn pos_of(i: usize) -> u32 {
    // A heap index is below the number of entries, below 2^32 - 1.
    u32::try_from(i).expect("a heap index fits the slab's key space")
}

impl Timers {
    /// Adds a timer; returns its key.
    pub(crate) fn insert(&mut self, deadline: Deadline, waker: Waker) -> TimerKey {
        self.seq = self.seq.wrapping_add(1);
        let pos = self.heap.len();
        let index = self.wakers.insert(waker);
        if index == self.pos.len() {
            self.pos.push(pos_of(pos));
        } else {
            self.pos[index] = pos_of(pos);
        }
        let key = TimerKey::new(index);
        self.heap.push(Item {
            deadline,
            seq: self.seq,
            key: key.0.get() - 1,
        });
        self.sift_up(pos);
        key
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
        if self.wakers.try_remove(key.index()).is_none() {
            return;
        }
        let pos = self.pos[key.index()];
        if pos != FIRED {
            self.remove_at(pos as usize);
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
        if pos == FIRED {
            let pos = self.heap.len();
            self.pos[key.index()] = pos_of(pos);
            self.heap.push(item);
            self.sift_up(pos);
        } else {
            let pos = pos as usize;
            self.heap[pos] = item;
            let pos = self.sift_up(pos);
            self.sift_down(pos);
        }
    }

    /// The earliest deadline of a pending timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.first().map(|item| item.deadline.to_instant())
    }

    /// How many timers are pending.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Fires every timer due at `now`, in order, pushing their wakers.
    pub(crate) fn fire_due(&mut self, now: Instant, wakers: &mut Vec<Waker>) {
        let now = Deadline::from_instant(now);
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
mod tests {
    use super::{Deadline, TimerKey, Timers};
    use std::task::Waker;
    use std::time::{Duration, Instant};

    fn fire(t: &mut Timers, now: Instant) -> usize {
        let mut w = Vec::new();
        t.fire_due(now, &mut w);
        w.len()
    }

    #[test]
    fn a_timer_costs_a_16_byte_item_a_16_byte_slot_and_a_4_byte_position() {
        use std::mem::size_of;
        // The shape of `slab`'s own (private) slot type: the waker's
        // non-null vtable pointer leaves room for the vacant case.
        #[expect(dead_code, reason = "only its size is looked at")]
        enum SlabSlot {
            Vacant(usize),
            Occupied(Waker),
        }
        assert_eq!(size_of::<super::Item>(), 16);
        assert_eq!(size_of::<SlabSlot>(), 16);
        // The position, in the parallel array: an entry `{ Waker, u32 }` in
        // the slab would be padded to 24.
        fn element_size<T>(_: &[T]) -> usize {
            size_of::<T>()
        }
        assert_eq!(element_size(&Timers::default().pos), 4);
        assert_eq!(size_of::<Option<TimerKey>>(), 4);
    }

    #[test]
    fn ties_keep_insertion_order_across_the_wrap_of_the_insertion_number() {
        let base = Instant::now();
        let mut t = Timers {
            seq: u32::MAX - 1,
            ..Timers::default()
        };
        let at = base + Duration::from_millis(1);
        let keys: Vec<TimerKey> = (0..4)
            .map(|_| t.insert(Deadline::from_instant(at), Waker::noop().clone()))
            .collect();
        let mut order = Vec::new();
        for _ in 0..4 {
            let first = t.heap[0].key;
            order.push(keys.iter().position(|k| k.index() == first as usize));
            t.remove_at(0);
        }
        assert_eq!(order, vec![Some(0), Some(1), Some(2), Some(3)]);
    }

    #[test]
    fn timers_fire_in_deadline_order_and_ties_in_insertion_order() {
        let base = Instant::now();
        let mut t = Timers::default();
        let keys: Vec<TimerKey> = [5u64, 1, 3, 1, 4]
            .iter()
            .map(|&ms| {
                t.insert(
                    Deadline::from_instant(base + Duration::from_millis(ms)),
                    Waker::noop().clone(),
                )
            })
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
        let keys: Vec<TimerKey> = (0..100)
            .map(|i| {
                t.insert(
                    Deadline::from_instant(base + Duration::from_millis(i)),
                    Waker::noop().clone(),
                )
            })
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
        let a = t.insert(
            Deadline::from_instant(base + Duration::from_millis(10)),
            Waker::noop().clone(),
        );
        let b = t.insert(
            Deadline::from_instant(base + Duration::from_millis(20)),
            Waker::noop().clone(),
        );
        t.reset(b, Deadline::from_instant(base + Duration::from_millis(5)));
        assert_eq!(t.next_deadline(), Some(base + Duration::from_millis(5)));
        assert_eq!(fire(&mut t, base + Duration::from_millis(5)), 1);
        assert!(t.is_fired(b) && !t.is_fired(a));
        t.reset(b, Deadline::from_instant(base + Duration::from_millis(30)));
        assert!(!t.is_fired(b));
        assert_eq!(t.len(), 2);
    }

    /// Heap order holds and every entry knows its item's position.
    fn assert_consistent(t: &Timers) {
        for (i, item) in t.heap.iter().enumerate() {
            assert_eq!(t.pos[item.key as usize] as usize, i, "position of item {i}");
            if i > 0 {
                assert!(
                    !item.before(&t.heap[(i - 1) / 2]),
                    "item {i} is before its parent"
                );
            }
        }
    }

    #[test]
    fn removing_anywhere_keeps_order_and_positions_also_when_the_last_item_rises() {
        let base = Instant::now();
        let mut t = Timers::default();
        // Deadlines that make the moved last item smaller than the
        // removed one's parent for some positions, larger for others.
        let keys: Vec<TimerKey> = [1u64, 50, 2, 60, 70, 3, 4, 80, 90, 95, 99, 5, 6, 7, 8]
            .iter()
            .map(|&ms| {
                t.insert(
                    Deadline::from_instant(base + Duration::from_millis(ms)),
                    Waker::noop().clone(),
                )
            })
            .collect();
        assert_consistent(&t);
        for &k in &[keys[3], keys[1], keys[8], keys[0], keys[12]] {
            t.remove(k);
            assert_consistent(&t);
        }
        assert_eq!(t.len(), 10);
        let mut last = base;
        while let Some(d) = t.next_deadline() {
            assert!(d >= last);
            last = d;
            assert_eq!(fire(&mut t, d), 1);
            assert_consistent(&t);
        }
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
                    Deadline::from_instant(base + Duration::from_micros(x % 10_000)),
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
