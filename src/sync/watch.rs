//! A single-producer, multi-consumer channel that keeps only the latest
//! value: [`channel`], [`Sender`], [`Receiver`], [`Ref`].
//!
//! tokio's `watch` for one thread.
//!
//! # Invariants
//!
//! - `version` grows by one per value sent; a receiver's `seen` is the
//!   version it last marked seen. `changed` is ready when they differ.
//! - A receiver holds at most one node in `waiters` (its key in `waiter`),
//!   so a cancelled `changed` leaves nothing behind; the receiver's drop
//!   removes the node.
//! - Holding a [`Ref`] while sending panics (the `RefCell` borrow rule); in
//!   tokio it deadlocks. Drop the `Ref` first.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::ops::Deref;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::Notify;
use super::wait_list::WaitList;

/// The errors of a watch channel.
pub mod error {
    use std::fmt;

    /// No receiver is left; the value comes back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::watch::channel(0);
    /// drop(rx);
    /// assert_eq!(tx.send(1).unwrap_err().0, 1);
    /// ```
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub struct SendError<T>(pub T);

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    /// The sender dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, mut rx) = chronia::sync::watch::channel(0);
    ///     drop(tx);
    ///     assert!(rx.changed().await.is_err());
    /// });
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct RecvError(pub(crate) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}
}

use error::{RecvError, SendError};

struct Shared<T> {
    value: RefCell<T>,
    version: Cell<u64>,
    tx_dropped: Cell<bool>,
    rx_count: Cell<usize>,
    waiters: RefCell<WaitList<()>>,
    /// Wakes `Sender::closed` when the last receiver drops.
    no_receivers: Notify,
}

impl<T> Shared<T> {
    fn wake_all(&self) {
        let wakers = self.waiters.borrow_mut().take_all();
        for waker in wakers {
            waker.wake();
        }
    }
}

/// Creates a watch channel holding `init`; the receiver has seen it.
///
/// # Examples
///
/// ```
/// let (tx, rx) = chronia::sync::watch::channel("a");
/// tx.send("b").expect("rx is alive");
/// assert_eq!(*rx.borrow(), "b");
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(Shared {
        value: RefCell::new(init),
        version: Cell::new(0),
        tx_dropped: Cell::new(false),
        rx_count: Cell::new(1),
        waiters: RefCell::new(WaitList::new()),
        no_receivers: Notify::new(),
    });
    (
        Sender {
            shared: Rc::clone(&shared),
        },
        Receiver {
            shared,
            seen: 0,
            waiter: None,
        },
    )
}

/// A borrow of the current value (a `RefCell` borrow: do not hold it
/// across an `.await` or a send).
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = chronia::sync::watch::channel(1);
/// tx.send(2).expect("rx is alive");
/// let value = rx.borrow_and_update();
/// assert!(value.has_changed());
/// assert_eq!(*value, 2);
/// ```
pub struct Ref<'a, T> {
    inner: std::cell::Ref<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether the value was new to the receiver when borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = chronia::sync::watch::channel(1);
    /// assert!(!rx.borrow().has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}

/// Sends new values to every [`Receiver`].
///
/// # Examples
///
/// ```
/// let (tx, rx) = chronia::sync::watch::channel(0);
/// tx.send_modify(|v| *v += 5);
/// assert_eq!(*rx.borrow(), 5);
/// ```
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Replaces the value and notifies the receivers.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if no receiver is left (the value is
    /// not stored then).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::watch::channel(0);
    /// tx.send(1).expect("rx is alive");
    /// assert_eq!(*rx.borrow(), 1);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.rx_count.get() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value whether or not receivers exist; returns the old
    /// one.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = chronia::sync::watch::channel(1);
    /// assert_eq!(tx.send_replace(2), 1);
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let old = self.shared.value.replace(value);
        self.bump();
        old
    }

    /// Changes the value in place and notifies the receivers.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Changes the value in place; notifies only if `modify` returns
    /// `true`. Returns what `modify` returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::watch::channel(1);
    /// assert!(!tx.send_if_modified(|_| false));
    /// assert!(!rx.has_changed().expect("tx is alive"));
    /// ```
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let modified = modify(&mut self.shared.value.borrow_mut());
        if modified {
            self.bump();
        }
        modified
    }

    fn bump(&self) {
        self.shared.version.set(self.shared.version.get() + 1);
        self.shared.wake_all();
    }

    /// Borrows the current value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = chronia::sync::watch::channel(3);
    /// assert_eq!(*tx.borrow(), 3);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            inner: self.shared.value.borrow(),
            has_changed: false,
        }
    }

    /// A new receiver that has seen the current value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::watch::channel(0);
    /// drop(rx);
    /// let rx = tx.subscribe();
    /// assert!(tx.send(1).is_ok());
    /// assert!(rx.has_changed().expect("tx is alive"));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.rx_count.set(self.shared.rx_count.get() + 1);
        Receiver {
            shared: Rc::clone(&self.shared),
            seen: self.shared.version.get(),
            waiter: None,
        }
    }

    /// How many receivers exist.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::watch::channel(());
    /// let _rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.rx_count.get()
    }

    /// Whether every receiver dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::watch::channel(());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.rx_count.get() == 0
    }

    /// Waits until every receiver dropped. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, rx) = chronia::sync::watch::channel(());
    ///     let _task = chronia::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    /// });
    /// ```
    pub async fn closed(&self) {
        loop {
            let notified = self.shared.no_receivers.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.tx_dropped.set(true);
        self.shared.wake_all();
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("receivers", &self.receiver_count())
            .finish_non_exhaustive()
    }
}

/// Observes the latest value of a watch channel.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let (tx, mut rx) = chronia::sync::watch::channel(0);
///     let _task = chronia::spawn(async move { tx.send(1).expect("rx is alive") });
///     rx.changed().await.expect("tx sent before it dropped");
///     assert_eq!(*rx.borrow_and_update(), 1);
/// });
/// ```
pub struct Receiver<T> {
    shared: Rc<Shared<T>>,
    seen: u64,
    /// Our node in `waiters`, once we waited.
    waiter: Option<usize>,
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::watch::channel(0);
    /// tx.send(4).expect("rx is alive");
    /// assert!(rx.borrow().has_changed());
    /// assert!(rx.borrow().has_changed());
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            inner: self.shared.value.borrow(),
            has_changed: self.shared.version.get() != self.seen,
        }
    }

    /// Borrows the current value and marks it seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = chronia::sync::watch::channel(0);
    /// tx.send(4).expect("rx is alive");
    /// assert!(rx.borrow_and_update().has_changed());
    /// assert!(!rx.borrow().has_changed());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let version = self.shared.version.get();
        let has_changed = version != self.seen;
        self.seen = version;
        Ref {
            inner: self.shared.value.borrow(),
            has_changed,
        }
    }

    /// Whether a value this receiver has not seen is there.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the sender dropped (as tokio).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::watch::channel(0);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        if self.shared.tx_dropped.get() {
            return Err(RecvError(()));
        }
        Ok(self.shared.version.get() != self.seen)
    }

    /// Marks the current value unseen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, mut rx) = chronia::sync::watch::channel(0);
    /// rx.mark_changed();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// ```
    pub fn mark_changed(&mut self) {
        self.seen = self.shared.version.get().wrapping_sub(1);
    }

    /// Marks the current value seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = chronia::sync::watch::channel(0);
    /// tx.send(1).expect("rx is alive");
    /// rx.mark_unchanged();
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version.get();
    }

    /// Polls for a value not yet seen, marking it seen when ready.
    ///
    /// # Errors
    ///
    /// `Ready(Err(RecvError))` once the sender dropped and every value was
    /// seen.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Waker};
    /// let (tx, mut rx) = chronia::sync::watch::channel(0);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_changed(&mut cx).is_pending());
    /// tx.send(1).expect("rx is alive");
    /// assert!(rx.poll_changed(&mut cx).is_ready());
    /// ```
    pub fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RecvError>> {
        // One unit of the task's cooperative budget (see `chronia_executor::coop`),
        // so a task whose channel or permit stays ready still yields.
        std::task::ready!(chronia_executor::coop::poll_proceed(cx));
        let version = self.shared.version.get();
        if version != self.seen {
            self.seen = version;
            return Poll::Ready(Ok(()));
        }
        if self.shared.tx_dropped.get() {
            return Poll::Ready(Err(RecvError(())));
        }
        let mut waiters = self.shared.waiters.borrow_mut();
        match self.waiter {
            Some(key) => {
                if !waiters.is_linked(key) {
                    waiters.link_back(key);
                }
                waiters.register(key, cx.waker());
            }
            None => self.waiter = Some(waiters.push_back((), cx.waker())),
        }
        Poll::Pending
    }

    /// Waits for a value not yet seen and marks it seen. Cancel-safe.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the sender dropped and every value was seen.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, mut rx) = chronia::sync::watch::channel(0);
    ///     tx.send(1).expect("rx is alive");
    ///     rx.changed().await.expect("a new value");
    ///     drop(tx);
    ///     assert!(rx.changed().await.is_err());
    /// });
    /// ```
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        std::future::poll_fn(|cx| self.poll_changed(cx)).await
    }

    /// Waits until the value satisfies `f` (checking the current value
    /// first); marks it seen.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if the sender dropped before the value satisfied `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, mut rx) = chronia::sync::watch::channel(0);
    ///     let _task = chronia::spawn(async move {
    ///         for n in 1..=3 { tx.send(n).expect("rx is alive"); chronia::task::yield_now().await; }
    ///     });
    ///     assert_eq!(*rx.wait_for(|v| *v == 3).await.expect("sent"), 3);
    /// });
    /// ```
    pub async fn wait_for(
        &mut self,
        mut f: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        self.mark_changed();
        loop {
            let changed = self.changed().await;
            if f(&self.shared.value.borrow()) {
                break;
            }
            changed?;
        }
        Ok(Ref {
            inner: self.shared.value.borrow(),
            has_changed: true,
        })
    }

    /// Whether both receivers watch the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = chronia::sync::watch::channel(());
    /// assert!(rx.same_channel(&rx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.rx_count.set(self.shared.rx_count.get() + 1);
        Self {
            shared: Rc::clone(&self.shared),
            seen: self.seen,
            waiter: None,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            self.shared.waiters.borrow_mut().remove(key);
        }
        let count = self.shared.rx_count.get() - 1;
        self.shared.rx_count.set(count);
        if count == 0 {
            self.shared.no_receivers.notify_waiters();
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

/// Yields a clone of the value each time it changes (not the value the
/// receiver has already seen); ends when the sender drops.
impl<T: Clone> futures_core::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        match this.poll_changed(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Some(this.shared.value.borrow().clone())),
            Poll::Ready(Err(_)) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
