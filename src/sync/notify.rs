//! [`Notify`]: wake one task or all, with tokio's permit semantics.
//!
//! # Invariants
//!
//! - `permit` is at most one stored [`Notify::notify_one`] that found no
//!   waiter; the next [`Notified`] to be polled takes it.
//! - `epoch` counts [`Notify::notify_waiters`] calls. A [`Notified`] records
//!   it when created, so a `notify_waiters` that happens after creation
//!   completes it even if it was never polled (as in tokio).
//! - A queued waiter is unlinked only by a notification; `by_one` says it
//!   was `notify_one`'s. If such a waiter is dropped before it saw the
//!   notification, it hands it on (to the next waiter, or as the permit), so
//!   cancellation loses no wake.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::wait_list::WaitList;

/// Notifies one waiting task, or all of them.
///
/// [`notify_one`](Notify::notify_one) wakes the longest waiting
/// [`notified`](Notify::notified) future, or, if none waits, stores one
/// permit that the next `notified().await` takes at once.
/// [`notify_waiters`](Notify::notify_waiters) wakes every waiter that exists
/// at the time of the call (O(n)) and stores no permit.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use chronia::sync::Notify;
///
/// chronia::block_on(async {
///     let notify = Rc::new(Notify::new());
///     let waiter = Rc::clone(&notify);
///     let task = chronia::spawn(async move {
///         waiter.notified().await;
///         "woken"
///     });
///     notify.notify_one();
///     assert_eq!(task.await.expect("no panic"), "woken");
/// });
/// ```
pub struct Notify {
    permit: Cell<bool>,
    epoch: Cell<u64>,
    /// `true` for a waiter that `notify_one` unlinked.
    waiters: RefCell<WaitList<bool>>,
}

impl Notify {
    /// A `Notify` with no permit and no waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// let notify = chronia::sync::Notify::new();
    /// notify.notify_one();
    /// ```
    pub const fn new() -> Self {
        Self {
            permit: Cell::new(false),
            epoch: Cell::new(0),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    /// A future that completes on the next notification.
    ///
    /// Cancel-safe: dropping it gives up its place; a `notify_one` it had
    /// received but not yet seen goes to the next waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let notify = chronia::sync::Notify::new();
    ///     notify.notify_one();
    ///     notify.notified().await; // takes the stored permit
    /// });
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            epoch: self.epoch.get(),
            key: None,
            done: false,
        }
    }

    /// Wakes the longest waiting [`Notified`], or stores a permit if none
    /// waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let notify = chronia::sync::Notify::new();
    /// notify.notify_one();
    /// notify.notify_one(); // at most one permit is stored
    /// ```
    pub fn notify_one(&self) {
        let popped = {
            let mut waiters = self.waiters.borrow_mut();
            let popped = waiters.pop_front();
            if let Some((key, _)) = &popped {
                *waiters.value_mut(*key) = true;
            }
            popped
        };
        match popped {
            Some((_, Some(waker))) => waker.wake(),
            Some((_, None)) => {}
            None => self.permit.set(true),
        }
    }

    /// Wakes every [`Notified`] that exists now (polled or not); stores no
    /// permit. O(n) in the number of waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Waker};
    /// use std::pin::pin;
    ///
    /// let notify = chronia::sync::Notify::new();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut first = pin!(notify.notified());
    /// assert!(first.as_mut().poll(&mut cx).is_pending());
    /// notify.notify_waiters();
    /// assert!(first.poll(&mut cx).is_ready());
    /// ```
    pub fn notify_waiters(&self) {
        self.epoch.set(self.epoch.get().wrapping_add(1));
        let wakers = self.waiters.borrow_mut().take_all();
        for waker in wakers {
            waker.wake();
        }
    }
}

impl Default for Notify {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify")
            .field("permit", &self.permit.get())
            .finish_non_exhaustive()
    }
}

/// The future of [`Notify::notified`].
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let notify = chronia::sync::Notify::new();
///     let notified = notify.notified();
///     notify.notify_waiters();
///     notified.await; // it existed before notify_waiters
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    epoch: u64,
    key: Option<usize>,
    done: bool,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(());
        }
        let notify = this.notify;
        let mut waiters = notify.waiters.borrow_mut();
        match this.key {
            None => {
                if this.epoch != notify.epoch.get() || notify.permit.replace(false) {
                    this.done = true;
                    return Poll::Ready(());
                }
                this.key = Some(waiters.push_back(false, cx.waker()));
                Poll::Pending
            }
            Some(key) if waiters.is_linked(key) => {
                waiters.register(key, cx.waker());
                Poll::Pending
            }
            Some(key) => {
                waiters.remove(key);
                this.key = None;
                this.done = true;
                Poll::Ready(())
            }
        }
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut waiters = self.notify.waiters.borrow_mut();
        let linked = waiters.is_linked(key);
        let by_one = waiters.remove(key);
        drop(waiters);
        if !linked && by_one {
            self.notify.notify_one();
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
