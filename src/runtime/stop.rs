//! A runtime's stop signal: a one-way flag that any thread sets and that
//! tasks of the runtime await ([`Stopped`]).
//!
//! Each runtime whose [`Handle`](super::Handle) was asked for has one
//! ([`Handle::stop`](super::Handle::stop)); a [`PerCore`](super::PerCore)
//! shard's runtime shares its flag with the shards' [`Stopper`](super::Stopper),
//! so that [`Shard::stopped`](super::Shard::stopped) completes on either.
//!
//! # Invariant
//!
//! `stopped` only goes from false to true, and is set before `waiters` is
//! drained under its lock; a [`Stopped`] registers its waker and re-reads
//! `stopped` under the same lock, so it either sees the flag or is woken.
//! Once set, no waiter registers again, so the slab stays empty.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use slab::Slab;

/// One runtime's stop flag and the wakers of the tasks that await it.
pub(crate) struct StopFlag {
    stopped: AtomicBool,
    waiters: Mutex<Slab<Waker>>,
}

impl StopFlag {
    pub(crate) fn new() -> StopFlag {
        StopFlag {
            stopped: AtomicBool::new(false),
            waiters: Mutex::new(Slab::new()),
        }
    }

    /// Sets the flag and wakes every waiter; later calls do nothing more.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let wakers: Vec<Waker> = self.lock().drain().collect();
        // Woken outside the lock: a waker may run arbitrary code.
        for waker in wakers {
            waker.wake();
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    fn lock(&self) -> MutexGuard<'_, Slab<Waker>> {
        // A panic while the lock is held leaves the slab consistent (each
        // operation on it is one call), so a poisoned lock is still usable.
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The future of [`Shard::stopped`](super::Shard::stopped) and
/// [`Handle::stopped`](super::Handle::stopped): completes once the runtime
/// is told to stop (at once if it already was).
///
/// # Examples
///
/// ```
/// let per_core = chronia::runtime::PerCore::new(1);
/// per_core.stopper().stop();
/// per_core.block_on_all(|shard| async move { shard.stopped().await })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Stopped {
    flag: Arc<StopFlag>,
    /// Where this future's waker sits in the flag's slab, once registered.
    key: Option<usize>,
}

impl Stopped {
    pub(crate) fn new(flag: Arc<StopFlag>) -> Stopped {
        Stopped { flag, key: None }
    }
}

impl fmt::Debug for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stopped")
            .field("stopped", &self.flag.is_stopped())
            .finish_non_exhaustive()
    }
}

impl Future for Stopped {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let flag = &*this.flag;
        if flag.is_stopped() {
            return Poll::Ready(());
        }
        let mut waiters = flag.lock();
        if flag.is_stopped() {
            // `stop` drained the slab (or is about to): our key is gone.
            this.key = None;
            return Poll::Ready(());
        }
        match this.key.and_then(|key| waiters.get_mut(key)) {
            Some(waker) => waker.clone_from(cx.waker()),
            None => this.key = Some(waiters.insert(cx.waker().clone())),
        }
        Poll::Pending
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // After a stop the slab is drained and stays empty (no waiter
            // registers once the flag is set), so the key is either still
            // ours or gone, never another waiter's.
            self.flag.lock().try_remove(key);
        }
    }
}
