//! The unbounded channel: [`unbounded_channel`], [`UnboundedSender`],
//! [`UnboundedReceiver`].

use std::fmt;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::chan::Chan;
use super::error::{SendError, TryRecvError};

/// Creates a channel without a bound: [`UnboundedSender::send`] never
/// waits.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = chronia::sync::mpsc::unbounded_channel();
/// for n in 0..1000 {
///     tx.send(n).expect("rx is alive");
/// }
/// assert_eq!(rx.len(), 1000);
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Rc::new(Chan::new(None));
    (
        UnboundedSender {
            chan: Rc::clone(&chan),
        },
        UnboundedReceiver { chan },
    )
}

/// Sends values into an unbounded channel; clone it for more producers.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = chronia::sync::mpsc::unbounded_channel();
/// tx.clone().send(1).expect("rx is alive");
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub struct UnboundedSender<T> {
    chan: Rc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// Queues `value`; never waits.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver closed or dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::mpsc::unbounded_channel();
    /// drop(rx);
    /// assert_eq!(tx.send(4).unwrap_err().0, 4);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.chan.is_closed() {
            return Err(SendError(value));
        }
        self.chan.push(value);
        Ok(())
    }

    /// Waits until the receiver closed or dropped. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, mut rx) = chronia::sync::mpsc::unbounded_channel::<u8>();
    ///     rx.close();
    ///     tx.closed().await;
    /// });
    /// ```
    pub async fn closed(&self) {
        self.chan.closed().await;
    }

    /// Whether the receiver closed or dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::mpsc::unbounded_channel::<u8>();
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Whether both senders feed the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = chronia::sync::mpsc::unbounded_channel::<u8>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_tx();
        Self {
            chan: Rc::clone(&self.chan),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_tx();
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Receives the values of an unbounded channel.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let (tx, mut rx) = chronia::sync::mpsc::unbounded_channel();
///     tx.send("v").expect("rx is alive");
///     assert_eq!(rx.recv().await, Some("v"));
/// });
/// ```
pub struct UnboundedReceiver<T> {
    chan: Rc<Chan<T>>,
}

impl<T> UnboundedReceiver<T> {
    /// The next value; `None` once every sender dropped (or the channel
    /// was closed) and the queue is empty. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, mut rx) = chronia::sync::mpsc::unbounded_channel::<u8>();
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Polls for the next value; registers the task's waker if none.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (tx, mut rx) = chronia::sync::mpsc::unbounded_channel();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending());
    /// tx.send(1).expect("rx is alive");
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Waits for at least one value, then moves up to `limit` into
    /// `buffer`; returns how many (0: the channel is done, or `limit` is 0).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, mut rx) = chronia::sync::mpsc::unbounded_channel();
    ///     tx.send(1).expect("rx is alive");
    ///     let mut buffer = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut buffer, 8).await, 1);
    /// });
    /// ```
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.chan.poll_recv_many(cx, buffer, limit)).await
    }

    /// The next value if one is queued; never waits.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] or [`TryRecvError::Disconnected`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = chronia::sync::mpsc::unbounded_channel();
    /// tx.send(2).expect("rx is alive");
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Closes the channel: sends fail from now on, queued values can still
    /// be received.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = chronia::sync::mpsc::unbounded_channel::<u8>();
    /// rx.close();
    /// assert!(tx.send(1).is_err());
    /// ```
    pub fn close(&mut self) {
        self.chan.close();
    }

    /// Whether the channel is closed (by the receiver, or because every
    /// sender dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::mpsc::unbounded_channel::<u8>();
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed() || self.chan.tx_count() == 0
    }

    /// Whether no value is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = chronia::sync::mpsc::unbounded_channel::<u8>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.len() == 0
    }

    /// How many values are queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::mpsc::unbounded_channel();
    /// tx.send(()).expect("rx is alive");
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len()
    }
}

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx();
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl<T> futures_core::Stream for UnboundedReceiver<T> {
    type Item = T;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }
}
