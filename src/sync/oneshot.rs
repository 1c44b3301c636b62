//! A one-shot channel: one value from one [`Sender`] to one [`Receiver`].
//!
//! Like `tokio::sync::oneshot`, for one thread: the channel is one `Rc`
//! allocation with `Cell`s in it, no atomics. The [`Receiver`] is a future
//! of `Result<T, RecvError>`.
//!
//! # Invariants
//!
//! - `value` holds the sent value until the receiver takes it or drops.
//! - `state` is one byte of flags: `TX_GONE` once the sender sent or
//!   dropped (never cleared), `RX_CLOSED` once the receiver closed or
//!   dropped (never cleared). Once both are set, nobody is left to wake, so
//!   a drop does nothing but let go of its `Rc`.
//! - `rx_waker` is the receiver's, woken on send and on sender drop;
//!   `tx_waker` is the sender's `closed()` waiter, woken on receiver close
//!   or drop. A waker left behind by a side that is gone is dropped with
//!   the allocation.
//!
//! # Examples
//!
//! ```
//! use chronia::sync::oneshot;
//!
//! chronia::block_on(async {
//!     let (tx, rx) = oneshot::channel();
//!     let _task = chronia::spawn(async move {
//!         tx.send(7).expect("the receiver waits");
//!     });
//!     assert_eq!(rx.await, Ok(7));
//! });
//! ```

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// The errors of a oneshot channel.
pub mod error {
    use std::fmt;

    /// The sender dropped without sending.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::sync::oneshot;
    ///
    /// chronia::block_on(async {
    ///     let (tx, rx) = oneshot::channel::<u8>();
    ///     drop(tx);
    ///     assert!(rx.await.is_err());
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

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) gave nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::sync::oneshot::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TryRecvError {
        /// No value yet; the sender is still there.
        Empty,
        /// The sender dropped without sending, or the value was taken.
        Closed,
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, TryRecvError};

struct Inner<T> {
    value: Cell<Option<T>>,
    /// `TX_GONE` and `RX_CLOSED` flags.
    state: Cell<u8>,
    rx_waker: Cell<Option<Waker>>,
    tx_waker: Cell<Option<Waker>>,
}

impl<T> Default for Inner<T> {
    fn default() -> Self {
        Self {
            value: Cell::new(None),
            state: Cell::new(0),
            rx_waker: Cell::new(None),
            tx_waker: Cell::new(None),
        }
    }
}

/// The sender sent or dropped: no value comes any more.
const TX_GONE: u8 = 1;
/// The receiver closed or dropped: a send fails.
const RX_CLOSED: u8 = 2;

impl<T> Inner<T> {
    #[inline]
    fn is(&self, flag: u8) -> bool {
        self.state.get() & flag != 0
    }

    /// Sets `flag`; whether it was set before.
    #[inline]
    fn mark(&self, flag: u8) -> bool {
        let state = self.state.get();
        self.state.set(state | flag);
        state & flag != 0
    }
}

/// Keeps `waker` in `slot`, without a clone when it is the same one.
#[inline]
fn register(slot: &Cell<Option<Waker>>, waker: &Waker) {
    match slot.take() {
        Some(old) if old.will_wake(waker) => slot.set(Some(old)),
        _ => slot.set(Some(waker.clone())),
    }
}

#[inline]
fn wake(slot: &Cell<Option<Waker>>) {
    if let Some(waker) = slot.take() {
        waker.wake();
    }
}

/// Creates a oneshot channel: one allocation.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = chronia::sync::oneshot::channel();
/// tx.send("hi").expect("rx is alive");
/// assert_eq!(rx.try_recv(), Ok("hi"));
/// ```
#[inline]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    // `Rc::default` builds the value in place, where `Rc::new` builds it on
    // the stack and copies it over (a store-forwarding stall, measured at a
    // third of the channel's time).
    let inner: Rc<Inner<T>> = Rc::default();
    (
        Sender {
            inner: Rc::clone(&inner),
        },
        Receiver { inner },
    )
}

/// Sends the channel's one value.
///
/// # Examples
///
/// ```
/// let (tx, rx) = chronia::sync::oneshot::channel::<u8>();
/// drop(rx);
/// assert!(tx.is_closed());
/// assert_eq!(tx.send(1), Err(1));
/// ```
pub struct Sender<T> {
    inner: Rc<Inner<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`; gives it back if the receiver closed or dropped.
    ///
    /// # Errors
    ///
    /// `Err(value)` if the receiver is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = chronia::sync::oneshot::channel();
    /// assert_eq!(tx.send(3), Ok(()));
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// ```
    #[inline]
    pub fn send(self, value: T) -> Result<(), T> {
        let inner = &self.inner;
        if inner.is(RX_CLOSED) {
            return Err(value);
        }
        // The slot is empty: the one `Sender` is consumed by its one send.
        inner.value.replace(Some(value));
        // The drop that follows marks the sender gone and wakes the
        // receiver, which finds the value.
        Ok(())
    }

    /// Whether the receiver closed or dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = chronia::sync::oneshot::channel::<()>();
    /// assert!(!tx.is_closed());
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.is(RX_CLOSED)
    }

    /// Ready once the receiver closed or dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (mut tx, rx) = chronia::sync::oneshot::channel::<()>();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(tx.poll_closed(&mut cx).is_pending());
    /// drop(rx);
    /// assert!(tx.poll_closed(&mut cx).is_ready());
    /// ```
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.inner.is(RX_CLOSED) {
            return Poll::Ready(());
        }
        register(&self.inner.tx_waker, cx.waker());
        Poll::Pending
    }

    /// Waits until the receiver closed or dropped. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (mut tx, rx) = chronia::sync::oneshot::channel::<()>();
    ///     let _task = chronia::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await;
    }
}

impl<T> Drop for Sender<T> {
    #[inline]
    fn drop(&mut self) {
        let inner = &self.inner;
        if !inner.mark(TX_GONE) {
            wake(&inner.rx_waker);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Receives the channel's one value: a future of `Result<T, RecvError>`.
///
/// Awaiting it is cancel-safe: a dropped `&mut Receiver` future loses no
/// value.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let (tx, rx) = chronia::sync::oneshot::channel();
///     tx.send(5).expect("rx is alive");
///     assert_eq!(rx.await, Ok(5));
/// });
/// ```
pub struct Receiver<T> {
    inner: Rc<Inner<T>>,
}

impl<T> Receiver<T> {
    /// Takes the value if it is there; never waits.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] while the sender may still send,
    /// [`TryRecvError::Closed`] once it dropped without sending or the value
    /// was already taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::sync::oneshot::{self, error::TryRecvError};
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).expect("rx is alive");
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[inline]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let inner = &self.inner;
        if let Some(value) = inner.value.take() {
            return Ok(value);
        }
        // A taken value: its send marked the sender gone.
        if inner.is(TX_GONE) {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Closes the channel: a later send fails, a value already sent can
    /// still be taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = chronia::sync::oneshot::channel::<u8>();
    /// rx.close();
    /// assert_eq!(tx.send(1), Err(1));
    /// ```
    pub fn close(&mut self) {
        if !self.inner.mark(RX_CLOSED) {
            wake(&self.inner.tx_waker);
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // One unit of the task's cooperative budget (see `chronia_executor::coop`),
        // so a task whose channel or permit stays ready still yields.
        std::task::ready!(chronia_executor::coop::poll_proceed(cx));
        let inner = &self.inner;
        if let Some(value) = inner.value.take() {
            return Poll::Ready(Ok(value));
        }
        if inner.is(TX_GONE) {
            return Poll::Ready(Err(RecvError(())));
        }
        register(&inner.rx_waker, cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    #[inline]
    fn drop(&mut self) {
        let inner = &self.inner;
        if inner.is(TX_GONE) {
            // The sender is gone: this `Rc` is the last, and the value (if
            // not taken) and any waker go with it.
            return;
        }
        inner.mark(RX_CLOSED);
        inner.rx_waker.take();
        // A value sent but not taken goes now, not with the last `Rc`.
        drop(inner.value.take());
        wake(&inner.tx_waker);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}
