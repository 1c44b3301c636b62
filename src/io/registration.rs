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
//!
//! The bare readiness waits (`Async::readable`, `Async::writable`, and the
//! one-off `io::readable`) follow async-io's model, not tokio's guard:
//! such a wait *consumes* the readiness it reports. The caller then does
//! its own syscall on the inner object, which chronia never sees, so
//! chronia cannot learn from it that the fd said `WouldBlock`; the next
//! wait must not trust the old readiness. So each slot keeps, beside the
//! readiness operations use, the directions the kernel *reported* since a
//! readiness wait last completed (`IoSlot::fresh`):
//!
//! - a fresh report completes the wait at once and is consumed;
//! - without one, the wait asks the kernel (`poll(2)`, zero timeout)
//!   whether the fd is ready now: after a partial read the data left must
//!   not wait for an edge that already came; if it is not ready, the
//!   readiness is cleared and the task waits for the next report, which
//!   the edge-triggered epoll gives on the next change.
//!
//! Every poll of an operation or a wait first spends one unit of the
//! task's cooperative budget (`chronia_executor::coop`), so a task whose
//! fd stays ready still yields to the rest of the runtime.
//!
//! A registration belongs to the runtime it was made in: polling it under
//! another runtime (whose epoll would never report this fd) panics with a
//! message that says so, rather than hang. Outside any runtime it is polled
//! against its own (for example by `now_or_never`), which a later
//! `block_on` of that runtime drives.

use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use chronia_executor::coop;
use chronia_reactor::Events;

use crate::runtime::context;
use crate::runtime::driver::Driver;
pub(crate) use crate::runtime::slot::Direction;
use crate::sys::socket::{Readiness, ready_now};

/// The readiness bit of `dir`.
fn events(dir: Direction) -> Events {
    match dir {
        Direction::Read => Events::READ,
        Direction::Write => Events::WRITE,
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
        driver.state_mut().register_fd(fd, ready)?;
        Ok(Registration { driver, fd })
    }

    /// Ready, or registers the task's waker and waits for the kernel.
    fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<()>> {
        let mut state = self.driver.state_mut();
        let Some(slot) = state.io_slot(self.fd) else {
            return Poll::Ready(Err(lost()));
        };
        if slot.ready.contains(events(dir)) {
            return Poll::Ready(Ok(()));
        }
        let flushed = slot.waiters.add(dir, cx.waker());
        drop(state);
        flushed.into_iter().for_each(Waker::wake);
        crate::runtime::dump::note_fd(self.fd, dir == Direction::Write);
        Poll::Pending
    }

    /// A readiness wait by the model of the module docs: ready if the kernel
    /// reported `dir` since the last such wait completed, or if `poll(2)`
    /// says the fd is ready now; else clears the readiness and waits. `fd`
    /// is the registered fd.
    #[track_caller]
    pub(crate) fn poll_wait(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        fd: BorrowedFd<'_>,
    ) -> Poll<io::Result<()>> {
        context::assert_owner(&self.driver, "a chronia I/O object");
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = self.driver.state_mut();
        let Some(slot) = state.io_slot(self.fd) else {
            return Poll::Ready(Err(lost()));
        };
        if slot.fresh.contains(events(dir)) {
            slot.fresh = slot.fresh.without(events(dir));
            return Poll::Ready(Ok(()));
        }
        let probe = match dir {
            Direction::Read => Readiness::Read,
            Direction::Write => Readiness::Write,
        };
        if ready_now(fd, probe)? {
            slot.ready |= events(dir);
            return Poll::Ready(Ok(()));
        }
        slot.ready = slot.ready.without(events(dir));
        let flushed = slot.waiters.add(dir, cx.waker());
        drop(state);
        flushed.into_iter().for_each(Waker::wake);
        crate::runtime::dump::note_fd(self.fd, dir == Direction::Write);
        Poll::Pending
    }

    /// Forgets the readiness of `dir`: the last operation said `WouldBlock`.
    fn clear_ready(&self, dir: Direction) {
        if let Some(slot) = self.driver.state_mut().io_slot(self.fd) {
            slot.ready = slot.ready.without(events(dir));
            slot.fresh = slot.fresh.without(events(dir));
        }
    }

    /// Forgets the readiness of `dir` after a short transfer, unless the fd
    /// has hung up (see [`poll_stream`](Self::poll_stream)).
    fn clear_ready_unless_hung_up(&self, dir: Direction) {
        if let Some(slot) = self.driver.state_mut().io_slot(self.fd)
            && !slot.hung_up
        {
            slot.ready = slot.ready.without(events(dir));
        }
    }

    /// Runs `op` by the protocol of the module docs.
    #[track_caller]
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        context::assert_owner(&self.driver, "a chronia I/O object");
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
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

    /// Runs `op` once, never waiting; a `WouldBlock` clears the readiness
    /// of `dir` (and is returned), so that the next wait waits for real.
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_ready(dir);
                    return Err(e);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => return res,
            }
        }
    }

    /// Like [`poll_io`](Self::poll_io) for a stream read or write of `len`
    /// bytes: a short transfer means the kernel buffer was drained (or
    /// filled), so readiness is cleared without the extra syscall that
    /// would only return `WouldBlock`. The kernel reports the next change,
    /// except after a hang-up, which it reports once: then nothing is
    /// cleared here, so that the end-of-file after the data is read. Only
    /// for fds where a short read does mean drained (TCP, pipes; not Unix
    /// streams, see `net::stream`).
    #[track_caller]
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

fn lost() -> io::Error {
    io::Error::other("the fd is no longer registered with the runtime")
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Fails only if the fd was never registered or its driver is gone;
        // then nothing is left to undo.
        if let Some(mut state) = self.driver.try_state_mut() {
            state.deregister_fd(self.fd);
        }
    }
}
