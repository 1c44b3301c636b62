//! A one-shot channel: one value from one [`Sender`] to one [`Receiver`].
//!
//! Like `tokio::sync::oneshot`, for one thread: the channel is one `Rc`
//! allocation with `Cell`s in it, no atomics. The [`Receiver`] is a future
//! of `Result<T, RecvError>`.
//!
//! # Invariants
//!
//! - `value` holds the sent value until the receiver takes it or drops.
//! - `rx_waker` is the receiver's, woken on send and on sender drop;
//!   `tx_waker` is the sender's `closed()` waiter, woken on receiver close
//!   or drop.
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
    /// The sender is gone (it sent or dropped).
    tx_gone: Cell<bool>,
    /// The receiver closed or dropped: a send fails.
    rx_closed: Cell<bool>,
    /// The receiver took the value.
    taken: Cell<bool>,
    rx_waker: Cell<Option<Waker>>,
    tx_waker: Cell<Option<Waker>>,
}

/// Keeps `waker` in `slot`, without a clone when it is the same one.
fn register(slot: &Cell<Option<Waker>>, waker: &Waker) {
    match slot.take() {
        Some(old) if old.will_wake(waker) => slot.set(Some(old)),
        _ => slot.set(Some(waker.clone())),
    }
}

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
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Rc::new(Inner {
        value: Cell::new(None),
        tx_gone: Cell::new(false),
        rx_closed: Cell::new(false),
        taken: Cell::new(false),
        rx_waker: Cell::new(None),
        tx_waker: Cell::new(None),
    });
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
    pub fn send(self, value: T) -> Result<(), T> {
        let inner = &self.inner;
        if inner.rx_closed.get() {
            return Err(value);
        }
        inner.value.set(Some(value));
        // Marked gone here, so the drop that follows does nothing more.
        inner.tx_gone.set(true);
        inner.tx_waker.take();
        wake(&inner.rx_waker);
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
        self.inner.rx_closed.get()
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
        if self.inner.rx_closed.get() {
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
    fn drop(&mut self) {
        let inner = &self.inner;
        if !inner.tx_gone.replace(true) {
            inner.tx_waker.take();
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
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let inner = &self.inner;
        if let Some(value) = inner.value.take() {
            inner.taken.set(true);
            return Ok(value);
        }
        if inner.taken.get() || inner.tx_gone.get() {
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
        self.inner.rx_closed.set(true);
        wake(&self.inner.tx_waker);
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // One unit of the task's cooperative budget (see `chronia_executor::coop`),
        // so a task whose channel or permit stays ready still yields.
        std::task::ready!(chronia_executor::coop::poll_proceed(cx));
        let inner = &self.inner;
        if let Some(value) = inner.value.take() {
            inner.taken.set(true);
            return Poll::Ready(Ok(value));
        }
        if inner.taken.get() || inner.tx_gone.get() {
            return Poll::Ready(Err(RecvError(())));
        }
        register(&inner.rx_waker, cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let inner = &self.inner;
        inner.rx_closed.set(true);
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
