//! The state both mpsc flavours share: one `Rc` allocation.
//!
//! # Invariants
//!
//! - `slots` (bounded only) counts free places: a sender takes one before it
//!   pushes (or holds one in a `Permit`), the receiver gives one back per
//!   value it pops. `slots` is closed when the receiver closes or drops.
//! - `rx_waiting` is true while the receiver returned `Pending`; a push or
//!   the last sender's drop then wakes `rx_waker` (kept, not cloned again).
//! - Once `rx_dropped`, the queue is empty and stays so: values pushed
//!   later (through a `Permit`) are dropped at once.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use super::error::TryRecvError;
use crate::sync::Notify;
use crate::sync::batch_semaphore::Sem;

pub(super) struct Chan<T> {
    queue: RefCell<VecDeque<T>>,
    /// Free places; used only when `bounded`.
    pub(super) slots: Sem,
    bounded: bool,
    pub(super) capacity: usize,
    tx_count: Cell<usize>,
    rx_closed: Cell<bool>,
    rx_dropped: Cell<bool>,
    rx_waiting: Cell<bool>,
    rx_waker: Cell<Option<Waker>>,
    closed: Notify,
}

impl<T> Chan<T> {
    /// `capacity` is `None` for an unbounded channel.
    pub(super) fn new(capacity: Option<usize>) -> Self {
        Self {
            queue: RefCell::new(VecDeque::new()),
            slots: Sem::new(capacity.unwrap_or(0)),
            bounded: capacity.is_some(),
            capacity: capacity.unwrap_or(usize::MAX),
            tx_count: Cell::new(1),
            rx_closed: Cell::new(false),
            rx_dropped: Cell::new(false),
            rx_waiting: Cell::new(false),
            rx_waker: Cell::new(None),
            closed: Notify::new(),
        }
    }

    /// Queues a value whose place is paid for.
    pub(super) fn push(&self, value: T) {
        if self.rx_dropped.get() {
            return;
        }
        self.queue.borrow_mut().push_back(value);
        self.wake_rx();
    }

    pub(super) fn wake_rx(&self) {
        if self.rx_waiting.replace(false)
            && let Some(waker) = self.rx_waker.take()
        {
            waker.wake_by_ref();
            self.rx_waker.set(Some(waker));
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.rx_closed.get()
    }

    pub(super) fn len(&self) -> usize {
        self.queue.borrow().len()
    }

    /// Whether no value can come any more (given that the queue is empty).
    fn is_done(&self) -> bool {
        self.tx_count.get() == 0
            || (self.rx_closed.get() && (!self.bounded || self.slots.available() == self.capacity))
    }

    fn pop(&self) -> Option<T> {
        let value = self.queue.borrow_mut().pop_front()?;
        if self.bounded {
            self.slots.release(1);
        }
        Some(value)
    }

    pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.pop() {
            Some(value) => Ok(value),
            None if self.is_done() => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        // One unit of the task's cooperative budget (see `chronia_executor::coop`),
        // so a task whose channel or permit stays ready still yields.
        std::task::ready!(chronia_executor::coop::poll_proceed(cx));
        if let Some(value) = self.pop() {
            return Poll::Ready(Some(value));
        }
        if self.is_done() {
            return Poll::Ready(None);
        }
        match self.rx_waker.take() {
            Some(old) if old.will_wake(cx.waker()) => self.rx_waker.set(Some(old)),
            _ => self.rx_waker.set(Some(cx.waker().clone())),
        }
        self.rx_waiting.set(true);
        Poll::Pending
    }

    pub(super) fn poll_recv_many(
        &self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        match self.poll_recv(cx) {
            Poll::Ready(Some(value)) => {
                buffer.push(value);
                let mut count = 1;
                while count < limit {
                    let Some(value) = self.pop() else { break };
                    buffer.push(value);
                    count += 1;
                }
                Poll::Ready(count)
            }
            Poll::Ready(None) => Poll::Ready(0),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The receiver closes: no new sends; queued values stay receivable.
    pub(super) fn close(&self) {
        if self.rx_closed.replace(true) {
            return;
        }
        self.slots.close();
        self.closed.notify_waiters();
    }

    pub(super) fn drop_rx(&self) {
        self.close();
        self.rx_dropped.set(true);
        self.rx_waker.take();
        // Values may hold senders of this channel: drop them after the borrow.
        let queue = std::mem::take(&mut *self.queue.borrow_mut());
        drop(queue);
    }

    pub(super) fn tx_count(&self) -> usize {
        self.tx_count.get()
    }

    pub(super) fn add_tx(&self) {
        self.tx_count.set(self.tx_count.get() + 1);
    }

    pub(super) fn drop_tx(&self) {
        let count = self.tx_count.get() - 1;
        self.tx_count.set(count);
        if count == 0 {
            self.wake_rx();
        }
    }

    /// Waits until the receiver closed or dropped.
    pub(super) async fn closed(&self) {
        loop {
            let notified = self.closed.notified();
            if self.rx_closed.get() {
                return;
            }
            notified.await;
        }
    }
}
