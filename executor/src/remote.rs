//! The remote queue: how wakes from other threads reach the executor.
//!
//! # Protocol
//!
//! - A waker on another thread (or on the executor's thread while the
//!   executor is not running there) locks `inner`, pushes its task's
//!   [`Notified`] (or sets `main` for the main future of `block_on`), sets
//!   `pending`, and swaps `notified` to `true`; only the waker that flipped
//!   it from `false` calls the unparker, so many remote wakes cost one
//!   unpark per park. A task already in the queue (its `QUEUED` bit set,
//!   see `raw`) is not pushed twice.
//! - The executor's thread drains the queue (after checking `pending`
//!   without locking) and schedules each task locally, clearing its
//!   `QUEUED` bit first so a wake after the drain queues it again.
//! - Before a blocking park the executor stores `notified = false`, makes
//!   a `SeqCst` fence, and then drains once more. A wake (which sets
//!   `pending`, fences, then swaps `notified`) that the drain misses sees
//!   `false` and unparks; a wake the drain sees needs no unpark. (The mutex
//!   orders the push against the drain.) After the park the executor stores `true`, so
//!   wakes while it runs do not unpark needlessly.
//! - A task's `LOCAL` waker dropped off the executor's thread (see `raw`)
//!   pushes its local reference ([`LocalDrop`]) under the same lock (with
//!   its wake's task, for a `wake`), and sets `pending`; the executor's
//!   thread drops it as it drains, which is the only place a local count
//!   is written for another thread. Such a push alone does not unpark.
//! - The queue's buffer is reused: the [`Taken`] that a drain returns
//!   gives it back, emptied, when the executor has scheduled its tasks (if
//!   no push made a new one meanwhile and the lock is free at once), so
//!   the next remote wake pushes without allocating and the drain frees
//!   nothing. A buffer above [`KEEP_CAPACITY`] is freed instead.
//! - When the executor drops, [`Remote::close`] empties the queue and
//!   refuses later pushes: a waker that outlives its executor does nothing.
//!   It drops the queued local references first, then sets `closed`
//!   (also readable without the lock, [`Remote::is_closed`]): from then on
//!   no thread writes a task's local count, and each local reference is
//!   counted in the task's shared word instead (`Header::local_dec`).
//!   It also folds the executor's count of live task blocks into the
//!   shared one (see `raw::remote_hold`): the blocks together hold one
//!   count of this `Arc<Remote>`, given back by the last block's free.
//!   (The queue holds `Notified`s, whose tasks hold this remote, so
//!   emptying it on close is also what breaks that cycle.)

use std::sync::{Arc, PoisonError};
use std::time::Instant;

use crate::park::Unpark;
use crate::raw::{Blocks, LocalDrop, Notified};
use crate::sync::{AtomicBool, AtomicUsize, Mutex, MutexGuard, Ordering, fence};

/// The part of an executor that other threads can reach.
pub(crate) struct Remote {
    inner: Mutex<Inner>,
    /// The executor is gone: pushes are refused. Set (Release) under the
    /// lock as the executor closes, after its last write of any task's
    /// local count; read under the lock by pushes, and without it by
    /// [`is_closed`](Self::is_closed).
    closed: AtomicBool,
    /// Set (under the lock) when `inner.queue` is not empty; read without
    /// the lock by the executor to skip locking when nothing came.
    pending: AtomicBool,
    /// `false` only while the executor is about to park or parked: then the
    /// next remote wake must unpark it.
    notified: AtomicBool,
    /// Wakes from other threads (and from this one while the executor is
    /// not current), each counted once, for the executor's stats.
    wakes: AtomicUsize,
    /// When the executor was made: the zero of its coarse clock.
    epoch: Instant,
    /// The executor's thread (see [`thread_token`]).
    owner_thread: u64,
    /// The executor's live task blocks, which keep this alive together
    /// (see `raw::remote_hold`).
    pub(crate) blocks: Blocks,
}

/// The largest queue buffer (in tasks) a drain gives back for reuse; a
/// burst above it leaves its memory to the allocator.
const KEEP_CAPACITY: usize = 1024;

struct Inner {
    queue: Vec<Notified>,
    /// Local references of task wakers dropped elsewhere, for the
    /// executor's thread to drop (see [`LocalDrop`]).
    local_drops: Vec<LocalDrop>,
    /// The main future of `block_on` was woken from outside.
    main: bool,
    /// The unparker of the park of the running `block_on`, if any.
    unparker: Option<Arc<dyn Unpark>>,
}

impl Remote {
    pub(crate) fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                queue: Vec::new(),
                local_drops: Vec::new(),
                main: false,
                unparker: None,
            }),
            closed: AtomicBool::new(false),
            pending: AtomicBool::new(false),
            notified: AtomicBool::new(true),
            wakes: AtomicUsize::new(0),
            epoch: Instant::now(),
            owner_thread: thread_token(),
            blocks: Blocks::new(),
        }
    }

    /// Whether this is the executor's thread. (An executor is `!Send`: it
    /// stays on the thread that made it.)
    #[inline]
    pub(crate) fn is_owner_thread(&self) -> bool {
        thread_token() == self.owner_thread
    }

    /// When the executor was made.
    pub(crate) fn epoch(&self) -> Instant {
        self.epoch
    }

    /// Counts one wake from off the executor's thread.
    pub(crate) fn count_wake(&self) {
        // Relaxed: a counter, read for stats only.
        self.wakes.fetch_add(1, Ordering::Relaxed);
    }

    /// The wakes [`count_wake`](Self::count_wake) counted.
    pub(crate) fn wakes(&self) -> usize {
        self.wakes.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing that runs under this lock can panic halfway through an
        // update, so a poisoned lock still guards consistent data.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a task woken off the executor's thread (and unparks the
    /// executor if it is parked, at most once per park), and a local
    /// reference dropped off its thread (for the executor to drop as it
    /// next drains; alone it unparks nothing: it frees memory and wakes
    /// nothing), under one lock. Gives both back if the executor is gone.
    pub(crate) fn push(
        &self,
        task: Option<Notified>,
        local: Option<LocalDrop>,
    ) -> Result<(), (Option<Notified>, Option<LocalDrop>)> {
        let mut inner = self.lock();
        if self.closed.load(Ordering::Relaxed) {
            return Err((task, local));
        }
        if let Some(local) = local {
            inner.local_drops.push(local);
            self.pending.store(true, Ordering::SeqCst);
        }
        if let Some(task) = task {
            inner.queue.push(task);
            self.notify(inner);
        }
        Ok(())
    }

    /// Whether the executor is gone (see [`LocalDrop`]). Acquire: reads
    /// from the close, so what the executor wrote before is seen.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Wakes the main future of the running (or next) `block_on`.
    pub(crate) fn wake_main(&self) {
        let mut inner = self.lock();
        if self.closed.load(Ordering::Relaxed) || inner.main {
            return;
        }
        inner.main = true;
        self.notify(inner);
    }

    fn notify(&self, inner: MutexGuard<'_, Inner>) {
        // A Dekker handshake with `prepare_park` and the `take` after it:
        // each side writes its flag, then a SeqCst fence, then reads the
        // other's; the fences are totally ordered, so either the executor's
        // `take` sees `pending` or this swap sees `notified == false` and
        // unparks. (Fences, not SeqCst accesses alone: that is what the C11
        // model, and loom, which checks this, guarantee.)
        self.pending.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let unparker = if self.notified.swap(true, Ordering::SeqCst) {
            None
        } else {
            inner.unparker.clone()
        };
        drop(inner);
        if let Some(unparker) = unparker {
            unparker.unpark();
        }
    }

    /// Takes every queued task, and whether the main future was woken, if
    /// anything came (a check of `pending` first, so the common empty case
    /// takes no lock).
    #[inline]
    pub(crate) fn take(&self) -> (Taken<'_>, bool) {
        let mut taken = Taken {
            tasks: Vec::new(),
            remote: self,
        };
        if !self.pending.load(Ordering::SeqCst) {
            return (taken, false);
        }
        let main = self.take_queued(&mut taken.tasks);
        (taken, main)
    }

    /// Swaps the queue into `tasks` (empty), oldest last so that popping
    /// gives them in wake order; returns whether the main future was woken.
    fn take_queued(&self, tasks: &mut Vec<Notified>) -> bool {
        let mut inner = self.lock();
        self.pending.store(false, Ordering::Relaxed);
        let main = std::mem::replace(&mut inner.main, false);
        std::mem::swap(tasks, &mut inner.queue);
        // Dropped on the executor's thread, as `LocalDrop` requires (they
        // may free tasks, which takes no lock), in place: the buffer stays
        // for the next pushes.
        inner.local_drops.clear();
        drop(inner);
        tasks.reverse();
        main
    }

    /// Says the executor is about to park: the next remote wake must
    /// unpark. The caller drains the queue after this and before parking.
    pub(crate) fn prepare_park(&self) {
        self.notified.store(false, Ordering::SeqCst);
        // The executor's half of the handshake in `notify`.
        fence(Ordering::SeqCst);
    }

    /// Says the executor is running again: remote wakes need not unpark.
    pub(crate) fn after_park(&self) {
        self.notified.store(true, Ordering::Release);
    }

    /// Sets (or clears) the unparker of the running `block_on`.
    pub(crate) fn set_unparker(&self, unparker: Option<Arc<dyn Unpark>>) {
        let old = std::mem::replace(&mut self.lock().unparker, unparker);
        // Dropped outside the lock: its Drop is foreign code.
        drop(old);
    }

    /// Refuses every later push and empties the queue (the executor drops).
    pub(crate) fn close(&self) {
        let mut inner = self.lock();
        // Dropped on the executor's thread before it closes: their local
        // counts are still the executor's to write (see `LocalDrop`).
        drop(std::mem::take(&mut inner.local_drops));
        // After the executor's last write of a local count: from now on
        // every local reference is counted in its task's shared word.
        self.closed.store(true, Ordering::Release);
        inner.main = false;
        let queue = std::mem::take(&mut inner.queue);
        let unparker = inner.unparker.take();
        drop(inner);
        drop((queue, unparker));
    }
}

crate::sync::thread_local_slot! {
    // This thread's token; 0 until the first ask.
    static TOKEN: std::cell::Cell<u64> = std::cell::Cell::new(0);
}

/// A number that names the calling thread for the life of the process:
/// unlike a thread id or a thread-local's address, never reused by a later
/// thread. (The slot has no destructor, so it is there until the thread
/// ends; the 0 for a slot that is gone is for loom's thread-locals.)
#[inline]
fn thread_token() -> u64 {
    TOKEN
        .try_with(|token| match token.get() {
            0 => {
                let new = next_token();
                token.set(new);
                new
            }
            known => known,
        })
        .unwrap_or(0)
}

#[cold]
fn next_token() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    // Relaxed: only uniqueness matters.
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The tasks one [`Remote::take`] took, in the order they were woken.
/// Dropped, it gives the queue's buffer back to the remote for the next
/// pushes (see the module docs).
pub(crate) struct Taken<'a> {
    /// The tasks, the first woken last.
    tasks: Vec<Notified>,
    remote: &'a Remote,
}

impl Taken<'_> {
    /// Whether no task was taken.
    pub(crate) fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Gives the buffer back to the remote (see the module docs).
    fn give_back(&mut self) {
        if self.tasks.capacity() > KEEP_CAPACITY {
            return;
        }
        // Tasks left if scheduling stopped early (a panic) are dropped
        // before the lock is taken: their drop may push to this remote.
        self.tasks.clear();
        // Not waiting for a waker that holds the lock: it may be growing a
        // new buffer of its own, and this one is only an optimisation.
        if let Ok(mut inner) = self.remote.inner.try_lock()
            && inner.queue.capacity() == 0
            && !self.remote.closed.load(Ordering::Relaxed)
        {
            std::mem::swap(&mut inner.queue, &mut self.tasks);
        }
    }
}

impl Iterator for Taken<'_> {
    type Item = Notified;

    fn next(&mut self) -> Option<Notified> {
        self.tasks.pop()
    }
}

impl Drop for Taken<'_> {
    /// Inlined: most drains take nothing, and then there is no buffer.
    #[inline]
    fn drop(&mut self) {
        if self.tasks.capacity() != 0 {
            self.give_back();
        }
    }
}
