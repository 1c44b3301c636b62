//! The unbounded channel: [`unbounded_channel`], [`UnboundedSender`],
//! [`UnboundedReceiver`].

use std::fmt;
use std::rc::Rc;

use super::chan::Chan;
use super::error::SendError;

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

receiver!(
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
    UnboundedReceiver,
    new: "let (tx, mut rx) = chronia::sync::mpsc::unbounded_channel();",
    send: "send"
);
