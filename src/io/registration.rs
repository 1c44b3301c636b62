//! One fd registered with the current runtime's driver, and the readiness
//! protocol every I/O type of chronia follows:
//!
//! 1. Try the operation.
//! 2. On `WouldBlock`, clear that direction's readiness and wait until the
//!    kernel reports it again (edge-triggered: one report per change).
//! 3. Go to 1.
//!
//! Because reports are only taken in the driver's turn, between task polls,
//! no report can be lost between the `WouldBlock` and the clear.

use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use chronia_reactor::{Events, Ident};

use crate::runtime::context;
use crate::runtime::driver::{Driver, IoSlot, Slot, add_waiter};

/// A direction of readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    fn events(self) -> Events {
        match self {
            Direction::Read => Events::READ,
            Direction::Write => Events::WRITE,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Registration {
    driver: Rc<Driver>,
    fd: RawFd,
}

impl Registration {
    /// Registers `fd` with the current runtime, read and write, edge-triggered.
    #[track_caller]
    pub(crate) fn new(fd: RawFd) -> io::Result<Registration> {
        let driver = context::current("chronia I/O types");
        // Optimistic: the first operation is tried before any report came.
        Registration::with_driver(driver, fd, Events::READ | Events::WRITE)
    }

    /// Registers `fd` with `driver`, assuming `ready` until told otherwise.
    pub(crate) fn with_driver(
        driver: Rc<Driver>,
        fd: RawFd,
        ready: Events,
    ) -> io::Result<Registration> {
        let slot = IoSlot {
            ready,
            ..IoSlot::default()
        };
        let events = Events::READ | Events::WRITE | Events::EDGE;
        driver
            .inner
            .borrow_mut()
            .selector
            .register_handle(fd, events, Slot::Io(slot))?;
        Ok(Registration { driver, fd })
    }

    /// Ready, or registers the task's waker and waits for the kernel.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<()>> {
        let mut inner = self.driver.inner.borrow_mut();
        let Some(Slot::Io(slot)) = inner.selector.data_mut(Ident::from(self.fd)) else {
            return Poll::Ready(Err(io::Error::other(
                "the fd is no longer registered with the runtime",
            )));
        };
        if slot.ready.contains(dir.events()) {
            return Poll::Ready(Ok(()));
        }
        let waiters = match dir {
            Direction::Read => &mut slot.readers,
            Direction::Write => &mut slot.writers,
        };
        let flushed = add_waiter(waiters, cx.waker());
        drop(inner);
        flushed.into_iter().for_each(Waker::wake);
        Poll::Pending
    }

    /// Forgets the readiness of `dir`: the last operation said `WouldBlock`.
    pub(crate) fn clear_ready(&self, dir: Direction) {
        let mut inner = self.driver.inner.borrow_mut();
        if let Some(Slot::Io(slot)) = inner.selector.data_mut(Ident::from(self.fd)) {
            slot.ready = slot.ready.without(dir.events());
        }
    }

    /// Forgets the readiness of `dir` after a short transfer, unless the fd
    /// has hung up (see [`poll_stream`](Self::poll_stream)).
    fn clear_ready_unless_hung_up(&self, dir: Direction) {
        let mut inner = self.driver.inner.borrow_mut();
        if let Some(Slot::Io(slot)) = inner.selector.data_mut(Ident::from(self.fd))
            && !slot.hung_up
        {
            slot.ready = slot.ready.without(dir.events());
        }
    }

    /// Runs `op` by the protocol of the module docs.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            match self.poll_ready(cx, dir) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_ready(dir),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => return Poll::Ready(res),
            }
        }
    }

    /// Like [`poll_io`](Self::poll_io) for a stream read or write of `len`
    /// bytes: a short transfer means the kernel buffer was drained (or
    /// filled), so readiness is cleared without the extra syscall that
    /// would only return `WouldBlock`. The kernel reports the next change,
    /// except after a hang-up, which it reports once: then nothing is
    /// cleared here, so that the end-of-file after the data is read.
    pub(crate) fn poll_stream(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        len: usize,
        op: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let res = self.poll_io(cx, dir, op);
        if let Poll::Ready(Ok(n)) = res
            && n > 0
            && n < len
        {
            self.clear_ready_unless_hung_up(dir);
        }
        res
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Fails only if the fd was never registered or its driver is gone;
        // then nothing is left to undo.
        if let Ok(mut inner) = self.driver.inner.try_borrow_mut() {
            let _ = inner.selector.unregister(Ident::from(self.fd));
        }
    }
}
