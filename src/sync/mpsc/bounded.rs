//! The bounded channel: [`channel`], [`Sender`], [`Receiver`], [`Permit`].

use std::fmt;
use std::rc::Rc;

use super::chan::Chan;
use super::error::{SendError, TrySendError};
use crate::sync::batch_semaphore::{MAX_PERMITS, Sem, TryAcquire};

/// Creates a bounded channel with room for `capacity` values.
///
/// # Panics
///
/// Panics if `capacity` is 0 ("mpsc bounded channel requires buffer > 0",
/// as tokio) or above `usize::MAX >> 3`.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let (tx, mut rx) = chronia::sync::mpsc::channel(2);
///     tx.send(1).await.expect("rx is alive");
///     assert_eq!(rx.recv().await, Some(1));
/// });
/// ```
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc bounded channel requires buffer > 0");
    assert!(
        capacity <= MAX_PERMITS,
        "mpsc bounded channel requires buffer <= usize::MAX >> 3"
    );
    let chan = Rc::new(Chan::new(Some(capacity)));
    (
        Sender {
            chan: Rc::clone(&chan),
        },
        Receiver { chan },
    )
}

/// Sends values into a bounded channel; clone it for more producers.
///
/// # Examples
///
/// ```
/// let (tx, _rx) = chronia::sync::mpsc::channel::<u8>(4);
/// let tx2 = tx.clone();
/// assert!(tx.same_channel(&tx2));
/// ```
pub struct Sender<T> {
    chan: Rc<Chan<T>>,
}

impl<T> Sender<T> {
    fn slots(&self) -> &Sem {
        &self.chan.slots
    }

    /// Waits for room, then queues `value`.
    ///
    /// Waiting senders are served in FIFO order. Dropping the future gives
    /// up its place (and the value with it).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver closed or dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, rx) = chronia::sync::mpsc::channel(1);
    ///     drop(rx);
    ///     assert_eq!(tx.send(9).await.unwrap_err().0, 9);
    /// });
    /// ```
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.reserve().await {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(SendError(())) => Err(SendError(value)),
        }
    }

    /// Queues `value` if there is room; never waits.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] at capacity, [`TrySendError::Closed`] if the
    /// receiver closed or dropped; both give the value back.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::sync::mpsc::{self, error::TrySendError};
    /// let (tx, mut rx) = mpsc::channel(1);
    /// tx.try_send(1).expect("room");
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// rx.close();
    /// assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.try_reserve() {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(TrySendError::Full(())) => Err(TrySendError::Full(value)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(value)),
        }
    }

    /// Waits for room and keeps it in a [`Permit`].
    ///
    /// # Errors
    ///
    /// [`SendError`] if the receiver closed or dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, mut rx) = chronia::sync::mpsc::channel(1);
    ///     let permit = tx.reserve().await.expect("rx is alive");
    ///     assert_eq!(tx.capacity(), 0);
    ///     permit.send("x");
    ///     assert_eq!(rx.recv().await, Some("x"));
    /// });
    /// ```
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        if self.chan.is_closed() || self.slots().acquire(1).await.is_err() {
            return Err(SendError(()));
        }
        let permit = Permit { chan: &self.chan };
        if self.chan.is_closed() {
            // Granted just before the close: the permit gives its place back.
            return Err(SendError(()));
        }
        Ok(permit)
    }

    /// Takes a [`Permit`] if there is room; never waits.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::sync::mpsc::{self, error::TrySendError};
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let _permit = tx.try_reserve().expect("room");
    /// assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        if self.chan.is_closed() {
            return Err(TrySendError::Closed(()));
        }
        match self.slots().try_acquire(1) {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(TryAcquire::Closed) => Err(TrySendError::Closed(())),
            Err(TryAcquire::NoPermits) => Err(TrySendError::Full(())),
        }
    }

    /// Waits until the receiver closed or dropped. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, rx) = chronia::sync::mpsc::channel::<u8>(1);
    ///     drop(rx);
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
    /// let (tx, rx) = chronia::sync::mpsc::channel::<u8>(1);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Free places now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = chronia::sync::mpsc::channel(3);
    /// tx.try_send(()).expect("room");
    /// assert_eq!(tx.capacity(), 2);
    /// ```
    pub fn capacity(&self) -> usize {
        self.slots().available()
    }

    /// The capacity the channel was created with.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = chronia::sync::mpsc::channel::<()>(3);
    /// assert_eq!(tx.max_capacity(), 3);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.capacity
    }

    /// Whether both senders feed the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _rx) = chronia::sync::mpsc::channel::<()>(1);
    /// let (b, _rx2) = chronia::sync::mpsc::channel::<()>(1);
    /// assert!(!a.same_channel(&b));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_tx();
        Self {
            chan: Rc::clone(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_tx();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// One reserved place in a bounded channel: [`send`](Permit::send) never
/// fails or waits. Dropping it unused gives the place back.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = chronia::sync::mpsc::channel(1);
/// let permit = tx.try_reserve().expect("room");
/// permit.send(1);
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> Permit<'_, T> {
    /// Queues `value` in the reserved place. If the receiver dropped
    /// meanwhile, the value is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = chronia::sync::mpsc::channel(1);
    /// tx.try_reserve().expect("room").send('a');
    /// assert_eq!(rx.try_recv(), Ok('a'));
    /// ```
    pub fn send(self, value: T) {
        let chan = self.chan;
        // The place now belongs to the value; the receiver frees it.
        std::mem::forget(self);
        chan.push(value);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.slots.release(1);
        if self.chan.is_closed() {
            // A closed receiver waits for the permits still out.
            self.chan.wake_rx();
        }
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

receiver!(
    /// Receives the values of a bounded channel.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, mut rx) = chronia::sync::mpsc::channel(4);
    ///     tx.send(1).await.expect("rx is alive");
    ///     tx.send(2).await.expect("rx is alive");
    ///     let mut buffer = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut buffer, 10).await, 2);
    ///     assert_eq!(buffer, [1, 2]);
    /// });
    /// ```
    Receiver,
    new: "let (tx, mut rx) = chronia::sync::mpsc::channel(4);",
    send: "try_send"
);

impl<T> Receiver<T> {
    /// Free places now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = chronia::sync::mpsc::channel::<u8>(2);
    /// assert_eq!(rx.capacity(), 2);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.slots.available()
    }

    /// The capacity the channel was created with.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = chronia::sync::mpsc::channel::<u8>(2);
    /// assert_eq!(rx.max_capacity(), 2);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.capacity
    }
}
