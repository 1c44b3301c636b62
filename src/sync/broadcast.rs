//! A multi-producer, multi-consumer queue where every receiver sees every
//! value: [`channel`], [`Sender`], [`Receiver`].
//!
//! tokio's `broadcast` for one thread. A receiver that falls more than the
//! capacity behind is told how many values it missed
//! ([`RecvError::Lagged`]) and goes on from the oldest value kept.
//!
//! # Invariants
//!
//! - The ring has a power-of-two number of slots; the value sent as number
//!   `pos` lives in slot `pos & mask` until overwritten, with `pos` stored
//!   beside it, so a receiver at `next` knows it lagged when the slot's `pos`
//!   is not `next`.
//! - `rem` counts the receivers that have yet to read a slot's value; the
//!   last one takes it instead of cloning, and a receiver that drops counts
//!   itself out of every slot it did not read.
//! - A receiver holds at most one node in `waiters`; its drop removes it.
//! - The shared state and the ring are one allocation (the facade's
//!   `sys::rc_slice::RcSlice`: the state as its header, the slots as its
//!   slice).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::ops::Deref;
use std::task::{Context, Poll};

use super::Notify;
use super::wait_list::WaitList;
use crate::sys::rc_slice::RcSlice;

/// The errors of a broadcast channel.
pub mod error {
    use std::fmt;

    /// No receiver is left; the value comes back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::broadcast::channel(1);
    /// drop(rx);
    /// assert_eq!(tx.send(5).unwrap_err().0, 5);
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

    /// Why `recv` gave no value.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::sync::broadcast::{self, error::RecvError};
    /// chronia::block_on(async {
    ///     let (tx, mut rx) = broadcast::channel(1);
    ///     tx.send(1).expect("rx is alive");
    ///     tx.send(2).expect("rx is alive");
    ///     assert_eq!(rx.recv().await, Err(RecvError::Lagged(1)));
    ///     assert_eq!(rx.recv().await, Ok(2));
    /// });
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum RecvError {
        /// Every sender dropped and every value was received.
        Closed,
        /// The receiver fell behind and missed this many values; the next
        /// `recv` gives the oldest value kept.
        Lagged(u64),
    }

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                RecvError::Closed => f.write_str("channel closed"),
                RecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }

    impl std::error::Error for RecvError {}

    /// Why `try_recv` gave no value.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::sync::broadcast::{self, error::TryRecvError};
    /// let (tx, mut rx) = broadcast::channel::<u8>(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TryRecvError {
        /// Nothing new; senders remain.
        Empty,
        /// Every sender dropped and every value was received.
        Closed,
        /// The receiver missed this many values.
        Lagged(u64),
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
                TryRecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, SendError, TryRecvError};

struct Slot<T> {
    pos: u64,
    rem: usize,
    value: Option<T>,
}

/// What the senders and receivers share: the state below and the ring of
/// slots, in one allocation.
struct Chan<T>(RcSlice<Shared, RefCell<Slot<T>>>);

impl<T> Chan<T> {
    /// The slot of the value numbered `pos`.
    fn slot(&self, pos: u64) -> &RefCell<Slot<T>> {
        &self.0.slice()[self.index(pos)]
    }

    fn ptr_eq(&self, other: &Self) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

impl<T> Clone for Chan<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Deref for Chan<T> {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        self.0.header()
    }
}

struct Shared {
    /// The ring's length minus one (a power of two minus one).
    mask: usize,
    /// The number of the next value to send.
    tail: Cell<u64>,
    tx_count: Cell<usize>,
    rx_count: Cell<usize>,
    waiters: RefCell<WaitList<()>>,
    no_receivers: Notify,
}

impl Shared {
    /// The slot of the value numbered `pos`.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "only the bits under the mask, which is a usize, are kept"
    )]
    fn index(&self, pos: u64) -> usize {
        (pos as usize) & self.mask
    }

    /// The ring's length.
    fn capacity(&self) -> u64 {
        self.mask as u64 + 1
    }

    fn wake_all(&self) {
        let wakers = self.waiters.borrow_mut().take_all();
        for waker in wakers {
            waker.wake();
        }
    }
}

/// Creates a broadcast channel keeping the last `capacity` values
/// (rounded up to a power of two, as tokio).
///
/// # Panics
///
/// Panics if `capacity` is 0 ("broadcast channel capacity cannot be
/// zero") or above `usize::MAX / 2`, as tokio.
///
/// # Examples
///
/// ```
/// let (tx, mut a) = chronia::sync::broadcast::channel(4);
/// let mut b = tx.subscribe();
/// tx.send("x").expect("receivers exist");
/// assert_eq!(a.try_recv(), Ok("x"));
/// assert_eq!(b.try_recv(), Ok("x"));
/// ```
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast channel capacity cannot be zero");
    assert!(
        capacity <= usize::MAX >> 1,
        "broadcast channel capacity exceeded `usize::MAX / 2`"
    );
    let capacity = capacity.next_power_of_two();
    let state = Shared {
        mask: capacity - 1,
        tail: Cell::new(0),
        tx_count: Cell::new(1),
        rx_count: Cell::new(1),
        waiters: RefCell::new(WaitList::new()),
        no_receivers: Notify::new(),
    };
    let shared = Chan(RcSlice::new(state, capacity, |_| {
        RefCell::new(Slot {
            pos: u64::MAX,
            rem: 0,
            value: None,
        })
    }));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver {
            shared,
            next: 0,
            waiter: None,
        },
    )
}

/// Sends values to every [`Receiver`]; clone it for more producers.
///
/// # Examples
///
/// ```
/// let (tx, _rx) = chronia::sync::broadcast::channel::<u8>(2);
/// assert_eq!(tx.send(1), Ok(1));
/// ```
pub struct Sender<T> {
    shared: Chan<T>,
}

impl<T> Sender<T> {
    /// Sends `value` to every receiver that exists now; returns how many.
    /// Never waits: the oldest value is overwritten when the ring is full.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if no receiver exists.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::broadcast::channel(2);
    /// let _rx2 = rx.resubscribe();
    /// assert_eq!(tx.send(()), Ok(2));
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let shared = &self.shared;
        let receivers = shared.rx_count.get();
        if receivers == 0 {
            return Err(SendError(value));
        }
        let pos = shared.tail.get();
        let old = {
            let mut slot = shared.slot(pos).borrow_mut();
            slot.pos = pos;
            slot.rem = receivers;
            slot.value.replace(value)
        };
        shared.tail.set(pos + 1);
        // An overwritten value may hold a receiver of this channel.
        drop(old);
        shared.wake_all();
        Ok(receivers)
    }

    /// A new receiver that gets the values sent from now on.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::broadcast::channel(2);
    /// drop(rx);
    /// let mut rx = tx.subscribe();
    /// tx.send(1).expect("a receiver exists");
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.rx_count.set(self.shared.rx_count.get() + 1);
        Receiver {
            shared: self.shared.clone(),
            next: self.shared.tail.get(),
            waiter: None,
        }
    }

    /// How many receivers exist.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = chronia::sync::broadcast::channel::<()>(1);
    /// assert_eq!(tx.receiver_count(), 1);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.rx_count.get()
    }

    /// Whether both senders feed the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = chronia::sync::broadcast::channel::<()>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        self.shared.ptr_eq(&other.shared)
    }

    /// Waits until no receiver exists. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (tx, rx) = chronia::sync::broadcast::channel::<()>(1);
    ///     let _task = chronia::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    /// });
    /// ```
    pub async fn closed(&self) {
        loop {
            let notified = self.shared.no_receivers.notified();
            if self.shared.rx_count.get() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.tx_count.set(self.shared.tx_count.get() + 1);
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let count = self.shared.tx_count.get() - 1;
        self.shared.tx_count.set(count);
        if count == 0 {
            self.shared.wake_all();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("receivers", &self.receiver_count())
            .finish_non_exhaustive()
    }
}

/// Receives every value sent after it subscribed.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let (tx, mut rx) = chronia::sync::broadcast::channel(4);
///     let _task = chronia::spawn(async move { tx.send(1).expect("rx is alive") });
///     assert_eq!(rx.recv().await, Ok(1));
/// });
/// ```
pub struct Receiver<T> {
    shared: Chan<T>,
    /// The number of the next value to receive.
    next: u64,
    waiter: Option<usize>,
}

impl<T: Clone> Receiver<T> {
    /// The next value if there is one; never waits.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`], [`TryRecvError::Closed`] or
    /// [`TryRecvError::Lagged`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = chronia::sync::broadcast::channel(2);
    /// tx.send(1).expect("rx is alive");
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    #[expect(
        clippy::missing_panics_doc,
        reason = "a slot keeps its value until its last reader took it"
    )]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let shared = &self.shared;
        let tail = shared.tail.get();
        if self.next == tail {
            return Err(if shared.tx_count.get() == 0 {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        let mut slot = shared.slot(self.next).borrow_mut();
        if slot.pos != self.next {
            let oldest = tail - shared.capacity();
            let missed = oldest - self.next;
            self.next = oldest;
            return Err(TryRecvError::Lagged(missed));
        }
        self.next += 1;
        slot.rem -= 1;
        let value = if slot.rem == 0 {
            slot.value.take()
        } else {
            slot.value.clone()
        };
        Ok(value.expect("a slot keeps its value until its last reader"))
    }

    /// Polls for the next value; registers the task's waker if none.
    ///
    /// # Errors
    ///
    /// `Ready(Err(..))` with [`RecvError::Closed`] or [`RecvError::Lagged`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (tx, mut rx) = chronia::sync::broadcast::channel(2);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending());
    /// tx.send(1).expect("rx is alive");
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(1)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        // One unit of the task's cooperative budget (see `chronia_executor::coop`),
        // so a task whose channel or permit stays ready still yields.
        std::task::ready!(chronia_executor::coop::poll_proceed(cx));
        match self.try_recv() {
            Ok(value) => return Poll::Ready(Ok(value)),
            Err(TryRecvError::Closed) => return Poll::Ready(Err(RecvError::Closed)),
            Err(TryRecvError::Lagged(n)) => return Poll::Ready(Err(RecvError::Lagged(n))),
            Err(TryRecvError::Empty) => {}
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

    /// Waits for the next value. Cancel-safe: a dropped `recv` loses no
    /// value.
    ///
    /// # Errors
    ///
    /// [`RecvError::Closed`] once every sender dropped and every value was
    /// received; [`RecvError::Lagged`] if values were missed.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::sync::broadcast::{self, error::RecvError};
    /// chronia::block_on(async {
    ///     let (tx, mut rx) = broadcast::channel::<u8>(2);
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, Err(RecvError::Closed));
    /// });
    /// ```
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }
}

impl<T> Receiver<T> {
    /// A new receiver of the same channel that gets the values sent from
    /// now on.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::broadcast::channel(2);
    /// tx.send(1).expect("rx is alive");
    /// let mut fresh = rx.resubscribe();
    /// assert!(fresh.try_recv().is_err());
    /// ```
    #[must_use]
    pub fn resubscribe(&self) -> Self {
        self.shared.rx_count.set(self.shared.rx_count.get() + 1);
        Self {
            shared: self.shared.clone(),
            next: self.shared.tail.get(),
            waiter: None,
        }
    }

    /// How many values this receiver has yet to receive (at most the
    /// capacity).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::broadcast::channel(2);
    /// tx.send(1).expect("rx is alive");
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let behind = self.shared.tail.get() - self.next;
        usize::try_from(behind.min(self.shared.capacity())).unwrap_or(usize::MAX)
    }

    /// Whether nothing is left to receive now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = chronia::sync::broadcast::channel::<u8>(2);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.next == self.shared.tail.get()
    }

    /// Whether every sender dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = chronia::sync::broadcast::channel::<u8>(2);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.tx_count.get() == 0
    }

    /// Whether both receivers belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = chronia::sync::broadcast::channel::<u8>(2);
    /// assert!(rx.same_channel(&rx.resubscribe()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        self.shared.ptr_eq(&other.shared)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let shared = &self.shared;
        if let Some(key) = self.waiter.take() {
            shared.waiters.borrow_mut().remove(key);
        }
        // Count ourselves out of every value we did not read; the values
        // nobody else wants are dropped after the borrow.
        let mut unwanted = Vec::new();
        {
            for pos in self.next..shared.tail.get() {
                let mut slot = shared.slot(pos).borrow_mut();
                if slot.pos == pos {
                    slot.rem -= 1;
                    if slot.rem == 0 {
                        unwanted.extend(slot.value.take());
                    }
                }
            }
        }
        drop(unwanted);
        let count = shared.rx_count.get() - 1;
        shared.rx_count.set(count);
        if count == 0 {
            shared.no_receivers.notify_waiters();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// Yields `Ok(value)` for each value and `Err(RecvError::Lagged(n))` when
/// values were missed; ends once every sender dropped.
impl<T: Clone> futures_core::Stream for Receiver<T> {
    type Item = Result<T, RecvError>;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.get_mut().poll_recv(cx) {
            Poll::Ready(Err(RecvError::Closed)) => Poll::Ready(None),
            Poll::Ready(item) => Poll::Ready(Some(item)),
            Poll::Pending => Poll::Pending,
        }
    }
}
