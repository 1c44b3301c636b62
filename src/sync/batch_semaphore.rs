//! The counting semaphore under [`Semaphore`](super::Semaphore),
//! [`Mutex`](super::Mutex), [`RwLock`](super::RwLock) and the bounded
//! [`mpsc`](super::mpsc) channel.
//!
//! # Invariants
//!
//! - FIFO without barging: while anyone waits, a new acquire queues behind
//!   them, even if enough permits are free for it ([`Sem::try_acquire`]
//!   fails). Permits go to the front waiter only, as soon as it fits.
//! - A waiter that was granted its permits (unlinked, `granted`) owns them
//!   even before it runs; if its future is dropped instead, it gives them
//!   back, which grants the next waiter. A waiter dropped while queued
//!   re-runs the grant, as the one behind it may fit now.
//! - After [`Sem::close`] every queued waiter is woken and fails; permits
//!   granted before keep working.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::wait_list::WaitList;

/// The most permits a semaphore holds: `usize::MAX >> 3`, as tokio.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

/// What a queued acquire keeps.
#[derive(Debug)]
struct Waiter {
    needed: usize,
    /// Its permits were handed over (it was unlinked by a grant).
    granted: bool,
}

/// Wakers collected under a borrow, woken after it.
#[derive(Default)]
pub(crate) struct Wakers {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl Wakers {
    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(waker) = waker else { return };
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    pub(crate) fn wake(self) {
        if let Some(waker) = self.first {
            waker.wake();
        }
        for waker in self.rest {
            waker.wake();
        }
    }
}

/// Why an acquire could not take permits at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TryAcquire {
    Closed,
    NoPermits,
}

/// The semaphore was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

#[derive(Debug)]
pub(crate) struct Sem {
    permits: Cell<usize>,
    closed: Cell<bool>,
    /// `waiters.is_empty()`, kept beside the list (set by
    /// [`Sem::with_waiters`] after every change) so that the uncontended
    /// acquire and release read one `Cell` instead of borrowing the list.
    nobody_waits: Cell<bool>,
    waiters: RefCell<WaitList<Waiter>>,
}

impl Sem {
    #[track_caller]
    pub(crate) const fn new(permits: usize) -> Self {
        assert!(
            permits <= MAX_PERMITS,
            "a semaphore holds at most MAX_PERMITS (usize::MAX >> 3) permits"
        );
        Self {
            permits: Cell::new(permits),
            closed: Cell::new(false),
            nobody_waits: Cell::new(true),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    pub(crate) fn available(&self) -> usize {
        self.permits.get()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Whether no acquire is queued.
    #[inline]
    fn nobody_waits(&self) -> bool {
        debug_assert!(
            self.waiters
                .try_borrow()
                .map_or(true, |w| w.is_empty() == self.nobody_waits.get()),
            "nobody_waits mirrors the list"
        );
        self.nobody_waits.get()
    }

    /// Runs `f` on the queue, then brings `nobody_waits` up to date. Every
    /// change of the queue goes through here.
    fn with_waiters<R>(&self, f: impl FnOnce(&mut WaitList<Waiter>) -> R) -> R {
        let mut waiters = self.waiters.borrow_mut();
        let out = f(&mut waiters);
        self.nobody_waits.set(waiters.is_empty());
        out
    }

    /// Takes `n` permits if the semaphore is open, they are free and
    /// nobody waits: the uncontended path of every acquire.
    #[inline]
    fn try_take(&self, n: usize) -> bool {
        let permits = self.permits.get();
        let free = !self.closed.get() && permits >= n && self.nobody_waits();
        if free {
            self.permits.set(permits - n);
        }
        free
    }

    #[inline]
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquire> {
        if self.closed.get() {
            return Err(TryAcquire::Closed);
        }
        let permits = self.permits.get();
        if permits >= n && self.nobody_waits() {
            self.permits.set(permits - n);
            Ok(())
        } else {
            Err(TryAcquire::NoPermits)
        }
    }

    pub(crate) fn acquire(&self, n: usize) -> Acquire<'_> {
        Acquire {
            sem: self,
            needed: n,
            key: None,
        }
    }

    /// Waits for `n` permits, then calls `then` with the outcome.
    pub(crate) fn acquire_then<O, F: FnMut(Result<(), Closed>) -> O>(
        &self,
        n: usize,
        then: F,
    ) -> AcquireThen<'_, F> {
        AcquireThen {
            acquire: self.acquire(n),
            then,
        }
    }

    /// Waits for `n` permits of a semaphore that is never closed (a
    /// lock's), then makes the guard.
    pub(crate) fn lock<'a, G>(
        &'a self,
        n: usize,
        guard: impl Fn() -> G + Unpin + 'a,
    ) -> impl Future<Output = G> + 'a {
        self.acquire_then(n, move |acquired| {
            debug_assert!(acquired.is_ok(), "a lock's semaphore is never closed");
            guard()
        })
    }

    /// Gives `n` permits back (or adds them), granting waiters that fit.
    ///
    /// # Panics
    ///
    /// Panics if the total would exceed [`MAX_PERMITS`].
    #[track_caller]
    #[inline]
    pub(crate) fn release(&self, n: usize) {
        let permits = self.permits.get();
        assert!(
            n <= MAX_PERMITS - permits,
            "a semaphore holds at most MAX_PERMITS (usize::MAX >> 3) permits"
        );
        self.permits.set(permits + n);
        if !self.nobody_waits() {
            self.grant();
        }
    }

    /// Takes up to `n` free permits away for good; returns how many.
    pub(crate) fn forget(&self, n: usize) -> usize {
        let taken = n.min(self.permits.get());
        self.permits.set(self.permits.get() - taken);
        taken
    }

    /// Hands permits to front waiters while they fit. Out of line: the
    /// uncontended release only checks that nobody waits.
    #[inline(never)]
    fn grant(&self) {
        let mut wakers = Wakers::default();
        self.with_waiters(|waiters| {
            while let Some(front) = waiters.front() {
                let needed = waiters.value(front).needed;
                let permits = self.permits.get();
                if needed > permits {
                    break;
                }
                self.permits.set(permits - needed);
                waiters.value_mut(front).granted = true;
                let (_, waker) = waiters.pop_front().expect("front exists");
                wakers.push(waker);
            }
        });
        wakers.wake();
    }

    pub(crate) fn close(&self) {
        self.closed.set(true);
        let wakers = self.with_waiters(WaitList::take_all);
        for waker in wakers {
            waker.wake();
        }
    }
}

/// Waits for `needed` permits; cancel-safe (see the module invariants).
#[derive(Debug)]
pub(crate) struct Acquire<'a> {
    sem: &'a Sem,
    needed: usize,
    /// Our place in the queue, once we queued.
    key: Option<usize>,
}

impl Acquire<'_> {
    #[inline]
    pub(crate) fn poll_acquire(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        // One unit of the task's cooperative budget (see `chronia_executor::coop`),
        // so a task whose channel or permit stays ready still yields.
        std::task::ready!(chronia_executor::coop::poll_proceed(cx));
        if self.key.is_none() && self.sem.try_take(self.needed) {
            return Poll::Ready(Ok(()));
        }
        self.poll_slow(cx)
    }

    /// The acquire that has to queue, or is queued: out of line, so the
    /// uncontended path above stays a few instructions.
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        let sem = self.sem;
        let Some(key) = self.key else {
            if sem.closed.get() {
                return Poll::Ready(Err(Closed));
            }
            // The fast path found permits short or others queued: queue.
            let waiter = Waiter {
                needed: self.needed,
                granted: false,
            };
            let key = sem.with_waiters(|waiters| waiters.push_back(waiter, cx.waker()));
            self.key = Some(key);
            return Poll::Pending;
        };
        sem.with_waiters(|waiters| {
            if waiters.value(key).granted {
                waiters.remove(key);
                self.key = None;
                return Poll::Ready(Ok(()));
            }
            if sem.closed.get() {
                waiters.remove(key);
                self.key = None;
                return Poll::Ready(Err(Closed));
            }
            waiters.register(key, cx.waker());
            Poll::Pending
        })
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), Closed>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().poll_acquire(cx)
    }
}

impl Drop for Acquire<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.leave(key);
        }
    }
}

impl Acquire<'_> {
    /// A dropped acquire that was queued gives up its place (or its
    /// granted permits).
    #[inline(never)]
    fn leave(&self, key: usize) {
        let waiter = self.sem.with_waiters(|waiters| waiters.remove(key));
        if waiter.granted {
            self.sem.release(waiter.needed);
        } else if !self.sem.closed.get() {
            self.sem.grant();
        }
    }
}

/// The future of [`Sem::acquire_then`]: a named type rather than a
/// `poll_fn`, so its `poll` can be marked `#[inline]` (without it, the
/// uncontended `Mutex::lock` of a large caller was measured at 92
/// instructions instead of 60).
#[derive(Debug)]
pub(crate) struct AcquireThen<'a, F> {
    acquire: Acquire<'a>,
    then: F,
}

impl<O, F: FnMut(Result<(), Closed>) -> O + Unpin> Future for AcquireThen<'_, F> {
    type Output = O;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<O> {
        let this = self.get_mut();
        this.acquire.poll_acquire(cx).map(&mut this.then)
    }
}

/// Gives permits back when dropped: the last field of a lock guard, so
/// the guard's borrow of the value ends before the next waiter is granted.
#[derive(Debug)]
pub(crate) struct Release<'a> {
    pub(crate) sem: &'a Sem,
    pub(crate) permits: usize,
}

impl Drop for Release<'_> {
    #[inline]
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}
