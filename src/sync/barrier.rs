//! [`Barrier`]: lets `n` tasks wait until all of them arrived.
//!
//! # Invariants
//!
//! - `arrived` counts the waiters of the current generation; the `n`-th
//!   arrival is the leader: it resets the count and unlinks (wakes) every
//!   waiter of its generation, which then completes.
//! - A wait that is dropped before its generation completed takes its
//!   arrival back (unlike tokio, where a cancelled wait still counts), so the
//!   barrier needs a replacement to open.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::wait_list::WaitList;

/// Waits until `n` tasks called [`wait`](Barrier::wait); reusable.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use chronia::sync::Barrier;
///
/// chronia::block_on(async {
///     let barrier = Rc::new(Barrier::new(3));
///     let tasks: Vec<_> = (0..3)
///         .map(|_| {
///             let barrier = Rc::clone(&barrier);
///             chronia::spawn(async move { barrier.wait().await.is_leader() })
///         })
///         .collect();
///     let mut leaders = 0;
///     for task in tasks {
///         leaders += usize::from(task.await.expect("no panic"));
///     }
///     assert_eq!(leaders, 1);
/// });
/// ```
pub struct Barrier {
    n: usize,
    arrived: Cell<usize>,
    waiters: RefCell<WaitList<()>>,
}

impl Barrier {
    /// A barrier for `n` tasks (0 counts as 1, as tokio).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let barrier = chronia::sync::Barrier::new(1);
    ///     assert!(barrier.wait().await.is_leader());
    /// });
    /// ```
    pub fn new(n: usize) -> Self {
        Self {
            n: n.max(1),
            arrived: Cell::new(0),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    /// Arrives and waits for the others; the last to arrive is the leader.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let barrier = chronia::sync::Barrier::new(1);
    ///     barrier.wait().await;
    ///     barrier.wait().await; // reusable
    /// });
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            key: None,
            done: false,
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &self.arrived.get())
            .finish_non_exhaustive()
    }
}

/// Whether this wait was the barrier's leader.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let result = chronia::sync::Barrier::new(1).wait().await;
///     assert!(result.is_leader());
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this wait was the last to arrive (one per generation).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     assert!(chronia::sync::Barrier::new(0).wait().await.is_leader());
    /// });
    /// ```
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

/// The future of [`Barrier::wait`].
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let barrier = chronia::sync::Barrier::new(1);
///     let wait = barrier.wait();
///     assert!(wait.await.is_leader());
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    key: Option<usize>,
    done: bool,
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = self.get_mut();
        assert!(!this.done, "a BarrierWait is polled after it completed");
        let barrier = this.barrier;
        let Some(key) = this.key else {
            let arrived = barrier.arrived.get() + 1;
            if arrived == barrier.n {
                barrier.arrived.set(0);
                let wakers = barrier.waiters.borrow_mut().take_all();
                for waker in wakers {
                    waker.wake();
                }
                this.done = true;
                return Poll::Ready(BarrierWaitResult(true));
            }
            barrier.arrived.set(arrived);
            this.key = Some(barrier.waiters.borrow_mut().push_back((), cx.waker()));
            return Poll::Pending;
        };
        let mut waiters = barrier.waiters.borrow_mut();
        if waiters.is_linked(key) {
            waiters.register(key, cx.waker());
            return Poll::Pending;
        }
        waiters.remove(key);
        this.key = None;
        this.done = true;
        Poll::Ready(BarrierWaitResult(false))
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut waiters = self.barrier.waiters.borrow_mut();
        if waiters.is_linked(key) {
            // Still waiting: take our arrival back.
            self.barrier.arrived.set(self.barrier.arrived.get() - 1);
        }
        waiters.remove(key);
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
