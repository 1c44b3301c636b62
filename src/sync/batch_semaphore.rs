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
            waiters: RefCell::new(WaitList::new()),
        }
    }

    pub(crate) fn available(&self) -> usize {
        self.permits.get()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquire> {
        if self.closed.get() {
            return Err(TryAcquire::Closed);
        }
        let permits = self.permits.get();
        if permits >= n && self.waiters.borrow().is_empty() {
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

    /// Waits for `n` permits of a semaphore that is never closed (a
    /// lock's), then makes the guard. A `poll_fn` rather than an `async`
    /// block: no state machine on the uncontended path.
    pub(crate) fn lock<'a, G>(
        &'a self,
        n: usize,
        guard: impl Fn() -> G + 'a,
    ) -> impl Future<Output = G> + 'a {
        let mut acquire = self.acquire(n);
        std::future::poll_fn(move |cx| {
            acquire.poll_acquire(cx).map(|acquired| {
                debug_assert!(acquired.is_ok(), "a lock's semaphore is never closed");
                guard()
            })
        })
    }

    /// Gives `n` permits back (or adds them), granting waiters that fit.
    ///
    /// # Panics
    ///
    /// Panics if the total would exceed [`MAX_PERMITS`].
    #[track_caller]
    pub(crate) fn release(&self, n: usize) {
        let permits = self.permits.get();
        assert!(
            n <= MAX_PERMITS - permits,
            "a semaphore holds at most MAX_PERMITS (usize::MAX >> 3) permits"
        );
        self.permits.set(permits + n);
        if !self.waiters.borrow().is_empty() {
            self.grant();
        }
    }

    /// Takes up to `n` free permits away for good; returns how many.
    pub(crate) fn forget(&self, n: usize) -> usize {
        let taken = n.min(self.permits.get());
        self.permits.set(self.permits.get() - taken);
        taken
    }

    /// Hands permits to front waiters while they fit.
    fn grant(&self) {
        let mut wakers = Wakers::default();
        {
            let mut waiters = self.waiters.borrow_mut();
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
        }
        wakers.wake();
    }

    pub(crate) fn close(&self) {
        self.closed.set(true);
        let wakers = self.waiters.borrow_mut().take_all();
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
    pub(crate) fn poll_acquire(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        // One unit of the task's cooperative budget (see `chronia_executor::coop`),
        // so a task whose channel or permit stays ready still yields.
        std::task::ready!(chronia_executor::coop::poll_proceed(cx));
        let sem = self.sem;
        let Some(key) = self.key else {
            if sem.closed.get() {
                return Poll::Ready(Err(Closed));
            }
            let permits = sem.permits.get();
            let mut waiters = sem.waiters.borrow_mut();
            if permits >= self.needed && waiters.is_empty() {
                sem.permits.set(permits - self.needed);
                return Poll::Ready(Ok(()));
            }
            let waiter = Waiter {
                needed: self.needed,
                granted: false,
            };
            self.key = Some(waiters.push_back(waiter, cx.waker()));
            return Poll::Pending;
        };
        let mut waiters = sem.waiters.borrow_mut();
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
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().poll_acquire(cx)
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let waiter = self.sem.waiters.borrow_mut().remove(key);
        if waiter.granted {
            self.sem.release(waiter.needed);
        } else if !self.sem.closed.get() {
            self.sem.grant();
        }
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
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}
