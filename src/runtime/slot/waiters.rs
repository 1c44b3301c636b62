//! The tasks waiting on one registered fd, by direction.
//!
//! Almost every fd has at most one reader and one writer at a time, so each
//! direction keeps one waker inline; only a second distinct waiter of a
//! direction allocates, and the list it goes to (`more`, boxed, shared by
//! both directions) is freed once both of its directions are woken. An idle
//! connection with a task blocked in `read` therefore holds one `Waker`
//! clone and no heap block.
//!
//! # Invariants
//!
//! - A waker is in at most one place of its direction, and no two wakers
//!   of one direction wake the same task (`Waker::will_wake`).
//! - `more` is `Some` only while one of its lists is non-empty.
//! - A direction holds at most [`WAITERS_MAX`] wakers: the next distinct
//!   one flushes the lot (see [`Waiters::add`]).

use std::task::Waker;

/// A direction of readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

/// How many distinct wakers one direction holds before they are flushed.
pub(crate) const WAITERS_MAX: usize = 32;

/// Adds `waker` to `waiters` unless a waker of the same task is there; a
/// full list is handed back to be woken, by the rule of
/// [`Waiters::add`]. For the lists of one kind of waiter only (signals);
/// an fd's waiters are a [`Waiters`].
pub(crate) fn add_waiter(waiters: &mut Vec<Waker>, waker: &Waker) -> Vec<Waker> {
    if waiters.iter().any(|w| w.will_wake(waker)) {
        return Vec::new();
    }
    let flushed = if waiters.len() >= WAITERS_MAX {
        std::mem::take(waiters)
    } else {
        Vec::new()
    };
    waiters.push(waker.clone());
    flushed
}

/// The wakers waiting for read and for write readiness of one fd.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    read: Option<Waker>,
    write: Option<Waker>,
    /// Waiters beyond the first of each direction, `[read, write]`.
    more: Option<Box<[Vec<Waker>; 2]>>,
}

impl Waiters {
    /// Adds `waker` for `dir` unless a waker of the same task is there.
    ///
    /// A future that is dropped while waiting leaves its waker behind until
    /// the next report wakes the direction; code that keeps polling with
    /// new wakers and cancelling (a read raced against a timeout, per
    /// request, on an idle connection) would grow the list without bound.
    /// So a full direction is handed back to be woken: a live waiter is
    /// polled once more and registers again, a stale one costs one spurious
    /// wake-up. The caller wakes the returned wakers after its borrow of
    /// the driver ends.
    pub(crate) fn add(&mut self, dir: Direction, waker: &Waker) -> Vec<Waker> {
        let index = dir as usize;
        let first = match dir {
            Direction::Read => &mut self.read,
            Direction::Write => &mut self.write,
        };
        let Some(held) = first else {
            *first = Some(waker.clone());
            return Vec::new();
        };
        if held.will_wake(waker) {
            return Vec::new();
        }
        let more = self.more.get_or_insert_with(Box::default);
        let list = &mut more[index];
        if list.iter().any(|w| w.will_wake(waker)) {
            return Vec::new();
        }
        if list.len() + 1 < WAITERS_MAX {
            list.push(waker.clone());
            return Vec::new();
        }
        let mut flushed = std::mem::take(list);
        flushed.extend(first.replace(waker.clone()));
        if more.iter().all(Vec::is_empty) {
            self.more = None;
        }
        flushed
    }

    /// Moves the wakers of `dir` to `wakers`.
    pub(crate) fn take(&mut self, dir: Direction, wakers: &mut Vec<Waker>) {
        let first = match dir {
            Direction::Read => &mut self.read,
            Direction::Write => &mut self.write,
        };
        wakers.extend(first.take());
        if let Some(more) = &mut self.more {
            wakers.append(&mut more[dir as usize]);
            if more.iter().all(Vec::is_empty) {
                self.more = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;

    /// A waker of its own task that counts its wakes.
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn counter() -> (Arc<Counter>, Waker) {
        let c = Arc::new(Counter(AtomicUsize::new(0)));
        (Arc::clone(&c), Waker::from(c))
    }

    #[test]
    fn one_reader_and_one_writer_allocate_nothing() {
        let mut w = Waiters::default();
        let (_, r) = counter();
        let (_, x) = counter();
        assert!(w.add(Direction::Read, &r).is_empty());
        assert!(w.add(Direction::Write, &x).is_empty());
        assert!(w.add(Direction::Read, &r).is_empty(), "same task twice");
        assert!(w.more.is_none());
    }

    #[test]
    fn a_second_reader_overflows_and_both_are_woken() {
        let mut w = Waiters::default();
        let (a, wa) = counter();
        let (b, wb) = counter();
        let (c, wc) = counter();
        w.add(Direction::Read, &wa);
        w.add(Direction::Read, &wb);
        w.add(Direction::Write, &wc);
        assert!(w.more.is_some());
        let mut out = Vec::new();
        w.take(Direction::Read, &mut out);
        assert_eq!(out.len(), 2);
        out.drain(..).for_each(Waker::wake);
        assert_eq!(a.0.load(Ordering::Relaxed), 1);
        assert_eq!(b.0.load(Ordering::Relaxed), 1);
        assert_eq!(c.0.load(Ordering::Relaxed), 0);
        assert!(w.more.is_none(), "the overflow is freed once empty");
        w.take(Direction::Write, &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn a_full_direction_is_flushed_and_the_new_waker_kept() {
        let mut w = Waiters::default();
        let wakers: Vec<_> = (0..=WAITERS_MAX).map(|_| counter().1).collect();
        for waker in &wakers[..WAITERS_MAX] {
            assert!(w.add(Direction::Read, waker).is_empty());
        }
        let flushed = w.add(Direction::Read, &wakers[WAITERS_MAX]);
        assert_eq!(flushed.len(), WAITERS_MAX);
        assert!(w.more.is_none(), "the overflow is freed with the flush");
        let mut out = Vec::new();
        w.take(Direction::Read, &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].will_wake(&wakers[WAITERS_MAX]));
    }

    #[test]
    fn the_slot_of_a_connection_stays_small() {
        // Two inline wakers and one pointer: 40 bytes, where two `Vec`s
        // were 48 plus a heap block per waiting direction.
        assert_eq!(std::mem::size_of::<Waiters>(), 40);
    }
}
