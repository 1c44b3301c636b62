//! Readiness of file descriptors: [`Async`] for any fd, and the one-off
//! waits [`readable`] and [`writable`].
//!
//! Every fd is registered once with the runtime's epoll, edge-triggered, for
//! read and write; a wait costs no `epoll_ctl`. Operations are tried first
//! and wait only after `WouldBlock` (see the `Async` docs).
//!
//! # Readiness waits
//!
//! [`Async::readable`] and [`Async::writable`] follow async-io's model:
//! a wait *consumes* the readiness it reports, and the next wait completes
//! only if the fd became ready again or still is. So the loop that does its
//! own syscalls on the inner object waits for real after `WouldBlock`:
//!
//! ```
//! use std::io::{ErrorKind, Read, Write};
//! use std::os::unix::net::UnixStream;
//! use chronia::io::Async;
//!
//! chronia::block_on(async {
//!     let (a, mut b) = UnixStream::pair()?;
//!     let a = Async::new(a)?;
//!     let writer = std::thread::spawn(move || b.write_all(b"late"));
//!     let mut buf = [0; 4];
//!     let n = loop {
//!         a.readable().await?;
//!         match a.get_ref().read(&mut buf) {
//!             Ok(n) => break n,
//!             Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
//!             Err(e) => return Err(e),
//!         }
//!     };
//!     assert!(n > 0);
//!     writer.join().expect("no panic")?;
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Tokio instead returns a guard from its readiness wait, and the caller
//! must clear it (`clear_ready`, `try_io`) after a `WouldBlock`; forgetting
//! to spins. chronia's [`Async`] is async-io's type (`readable()` returns
//! `()`, operations go through [`read_with`](Async::read_with)), so the
//! guard would be an extra type to carry and a way to spin; the price of
//! consuming is one `poll(2)` (zero timeout) when a wait finds no fresh
//! report from the kernel, to learn whether data is still there after a
//! partial read. Operations ([`read_with`](Async::read_with), socket reads
//! and writes) see `WouldBlock` themselves and need no such call.
//!
//! Every operation and wait spends one unit of the task's cooperative
//! budget ([`chronia_executor::coop`]): a task whose fd stays ready yields
//! after about 128 of them, so timers and other tasks still run.

mod interest;
pub(crate) mod registration;

pub use interest::{Interest, Ready};

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use chronia_reactor::Events;

use crate::runtime::context;
use registration::{Direction, Registration};

/// Waits until `fd` is readable (or has hung up, or has an error, so that
/// the next read reports it). The fd is registered for the duration of the
/// wait.
///
/// # Errors
///
/// `AlreadyExists` if `fd` belongs to an [`Async`] of this runtime (use
/// [`Async::readable`]); the kernel's error from `epoll_ctl(2)` (for
/// example `EPERM` for a regular file, which is always ready).
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use std::os::unix::net::UnixStream;
/// chronia::block_on(async {
///     let (mut a, b) = UnixStream::pair()?;
///     a.write_all(b"x")?;
///     chronia::io::readable(&b).await
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn readable(fd: impl AsFd) -> io::Result<()> {
    wait_once(fd.as_fd(), Direction::Read).await
}

/// Waits until `fd` is writable (or has hung up, or has an error). See
/// [`readable`].
///
/// # Errors
///
/// As [`readable`].
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use std::os::unix::net::UnixStream;
/// chronia::block_on(async {
///     let (a, _b) = UnixStream::pair()?;
///     chronia::io::writable(&a).await
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn writable(fd: impl AsFd) -> io::Result<()> {
    wait_once(fd.as_fd(), Direction::Write).await
}

async fn wait_once(fd: BorrowedFd<'_>, dir: Direction) -> io::Result<()> {
    let driver = context::current("chronia::io::readable/writable");
    let raw = fd.as_raw_fd();
    if driver.state_mut().is_fd_registered(raw) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "fd {raw} is already registered with this runtime (an Async owns it): wait on that instead"
            ),
        ));
    }
    // Nothing is known until the kernel's first report, which an
    // edge-triggered ADD gives at once if the fd is ready.
    let reg = Registration::with_driver(driver, raw, Events::empty())?;
    poll_fn(|cx| reg.poll_wait(cx, dir, fd)).await
}

/// An fd in non-blocking mode, registered with the current runtime.
///
/// Operations go through [`read_with`](Async::read_with) and
/// [`write_with`](Async::write_with): the closure is tried at once, and
/// when it fails with `WouldBlock` the task waits for the kernel to report
/// readiness, then tries again. Where `&T` implements `Read` or `Write`,
/// `Async<T>` implements `futures_io::AsyncRead` / `AsyncWrite`.
///
/// # Examples
///
/// ```
/// use chronia::io::Async;
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
///
/// chronia::block_on(async {
///     let (a, b) = UnixStream::pair()?;
///     let (a, b) = (Async::new(a)?, Async::new(b)?);
///     a.write_with(|s| (&*s).write(b"hi")).await?;
///     let mut buf = [0; 2];
///     b.read_with(|s| (&*s).read_exact(&mut buf)).await?;
///     assert_eq!(&buf, b"hi");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Async<T: AsFd> {
    /// Declared first: the registration goes before the fd closes.
    reg: Registration,
    io: T,
}

impl<T: AsFd> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async")
            .field("fd", &self.as_raw_fd())
            .finish_non_exhaustive()
    }
}

impl<T: AsFd> Async<T> {
    /// Puts `io` in non-blocking mode and registers it with the current
    /// runtime.
    ///
    /// # Errors
    ///
    /// The kernel's error from `epoll_ctl(2)` (`EPERM` for a regular file)
    /// or `ioctl(FIONBIO)`; `AlreadyExists` if the fd is registered already.
    /// On an error the fd is left as it was (in particular, still blocking
    /// if it was).
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     let socket = chronia::io::Async::new(socket)?;
    ///     assert!(socket.get_ref().local_addr()?.port() > 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn new(io: T) -> io::Result<Async<T>> {
        // Registered before it is made non-blocking: epoll does not care,
        // and an fd epoll refuses is then left exactly as it was. A failed
        // ioctl drops the registration again.
        let reg = Registration::new(io.as_fd().as_raw_fd())?;
        crate::sys::set_nonblocking(io.as_fd())?;
        Ok(Async { reg, io })
    }

    fn reg(&self) -> &Registration {
        &self.reg
    }

    /// The inner I/O object.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let s = chronia::io::Async::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    ///     let _addr = s.get_ref().local_addr()?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The inner I/O object, mutably. Do not replace its fd.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let mut s = chronia::io::Async::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    ///     s.get_mut().set_ttl(9)?;
    ///     assert_eq!(s.get_ref().ttl()?, 9);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Deregisters the fd and gives back the inner object, still in
    /// non-blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let s = chronia::io::Async::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    ///     let std_socket: std::net::UdpSocket = s.into_inner();
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_inner(self) -> T {
        let Async { reg, io } = self;
        drop(reg);
        io
    }

    /// Waits until the fd is readable (or has hung up or failed), and
    /// consumes that readiness: the next call completes only once the
    /// kernel reports the fd readable again, or it still is (see [the
    /// module docs](crate::io#readiness-waits)). It can complete
    /// spuriously, at most once per report of the kernel; a read that then
    /// says `WouldBlock` and another `readable()` waits for real.
    ///
    /// # Errors
    ///
    /// The kernel's error from `poll(2)`; an error if the runtime lost the
    /// registration.
    ///
    /// # Panics
    ///
    /// When polled under a runtime other than the one the `Async` was made
    /// in.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// chronia::block_on(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let a = chronia::io::Async::new(a)?;
    ///     b.write_all(b"x")?;
    ///     a.readable().await
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_readable(cx)).await
    }

    /// Waits until the fd is writable (or has hung up or failed), and
    /// consumes that readiness; see [`readable`](Self::readable).
    ///
    /// # Errors
    ///
    /// As [`readable`](Self::readable).
    ///
    /// # Panics
    ///
    /// As [`readable`](Self::readable).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// chronia::block_on(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     chronia::io::Async::new(a)?.writable().await
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_writable(cx)).await
    }

    /// Polls for readability, by the rules of [`readable`](Self::readable).
    ///
    /// # Errors
    ///
    /// As [`readable`](Self::readable).
    ///
    /// # Panics
    ///
    /// As [`readable`](Self::readable).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// chronia::block_on(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let a = chronia::io::Async::new(a)?;
    ///     b.write_all(b"x")?;
    ///     poll_fn(|cx| a.poll_readable(cx)).await
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.reg().poll_wait(cx, Direction::Read, self.io.as_fd())
    }

    /// Polls for writability, by the rules of [`writable`](Self::writable).
    ///
    /// # Errors
    ///
    /// As [`readable`](Self::readable).
    ///
    /// # Panics
    ///
    /// As [`readable`](Self::readable).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::os::unix::net::UnixStream;
    /// chronia::block_on(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let a = chronia::io::Async::new(a)?;
    ///     poll_fn(|cx| a.poll_writable(cx)).await
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.reg().poll_wait(cx, Direction::Write, self.io.as_fd())
    }

    /// Runs `op` until it does not fail with `WouldBlock`, waiting for
    /// readability in between.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    ///
    /// # Panics
    ///
    /// When polled under a runtime other than the one the `Async` was made
    /// in.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::Async;
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// chronia::block_on(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
    ///     b.write_with(|s| (&*s).write(b"x")).await?;
    ///     let mut buf = [0; 1];
    ///     assert_eq!(a.read_with(|s| (&*s).read(&mut buf)).await?, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_read_with(cx, &mut op)).await
    }

    /// Like [`read_with`](Self::read_with), with `&mut T`.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    ///
    /// # Panics
    ///
    /// When polled under a runtime other than the one the `Async` was made
    /// in.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::Async;
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// chronia::block_on(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
    ///     b.write_with_mut(|s| s.write(b"x")).await?;
    ///     let mut buf = [0; 1];
    ///     assert_eq!(a.read_with_mut(|s| s.read(&mut buf)).await?, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let Async { reg, io } = self;
        poll_fn(|cx| reg.poll_io(cx, Direction::Read, || op(io))).await
    }

    /// Runs `op` until it does not fail with `WouldBlock`, waiting for
    /// writability in between.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    ///
    /// # Panics
    ///
    /// When polled under a runtime other than the one the `Async` was made
    /// in.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::Async;
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// chronia::block_on(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
    ///     assert_eq!(a.write_with(|s| (&*s).write(b"hi")).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_write_with(cx, &mut op)).await
    }

    /// Like [`write_with`](Self::write_with), with `&mut T`.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    ///
    /// # Panics
    ///
    /// When polled under a runtime other than the one the `Async` was made
    /// in.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::Async;
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// chronia::block_on(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
    ///     assert_eq!(a.write_with_mut(|s| s.write(b"hi")).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let Async { reg, io } = self;
        poll_fn(|cx| reg.poll_io(cx, Direction::Write, || op(io))).await
    }

    /// Polls `op` for reading, by the protocol of [`read_with`](Self::read_with).
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    ///
    /// # Panics
    ///
    /// When polled under a runtime other than the one the `Async` was made
    /// in.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::Async;
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// chronia::block_on(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
    ///     b.write_with(|s| (&*s).write(b"x")).await?;
    ///     let mut buf = [0; 1];
    ///     let n = std::future::poll_fn(|cx| a.poll_read_with(cx, |s| (&*s).read(&mut buf))).await?;
    ///     assert_eq!(n, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        self.reg().poll_io(cx, Direction::Read, || op(io))
    }

    /// Polls `op` for writing, by the protocol of [`write_with`](Self::write_with).
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    ///
    /// # Panics
    ///
    /// When polled under a runtime other than the one the `Async` was made
    /// in.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::Async;
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// chronia::block_on(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
    ///     let n = std::future::poll_fn(|cx| a.poll_write_with(cx, |s| (&*s).write(b"x"))).await?;
    ///     assert_eq!(n, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        self.reg().poll_io(cx, Direction::Write, || op(io))
    }

    /// Waits until the fd is ready for any of `interest`, and consumes what
    /// it reports, as [`readable`](Self::readable) and
    /// [`writable`](Self::writable) do.
    ///
    /// # Errors
    ///
    /// As [`readable`](Self::readable).
    ///
    /// # Panics
    ///
    /// As [`readable`](Self::readable).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::{Async, Interest};
    /// use std::os::unix::net::UnixStream;
    /// chronia::block_on(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let a = Async::new(a)?;
    ///     let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await?;
    ///     assert!(ready.is_writable() && !ready.is_readable());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        poll_fn(|cx| self.poll_ready_for(cx, interest)).await
    }

    /// Polls for any of `interest`, by the rules of [`ready`](Self::ready).
    #[track_caller]
    pub(crate) fn poll_ready_for(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
    ) -> Poll<io::Result<Ready>> {
        let mut ready = Ready::EMPTY;
        if interest.is_readable()
            && let Poll::Ready(res) = self.poll_readable(cx)
        {
            res?;
            ready |= Ready::READABLE;
        }
        if interest.is_writable()
            && let Poll::Ready(res) = self.poll_writable(cx)
        {
            res?;
            ready |= Ready::WRITABLE;
        }
        if ready.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(Ok(ready))
        }
    }

    /// Runs `op` once for reading, never waiting; `WouldBlock` clears the
    /// read readiness (see `Registration::try_io`).
    pub(crate) fn try_read_with<R>(
        &self,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.get_ref();
        self.reg().try_io(Direction::Read, || op(io))
    }

    /// Runs `op` once for writing, never waiting.
    pub(crate) fn try_write_with<R>(
        &self,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.get_ref();
        self.reg().try_io(Direction::Write, || op(io))
    }

    /// A stream read of `buf.len()` bytes: a short read clears readiness.
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let io = self.get_ref();
        self.reg().poll_stream(cx, Direction::Read, len, || op(io))
    }

    /// A stream write of `len` bytes: a short write clears readiness.
    pub(crate) fn poll_write_stream(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let io = self.get_ref();
        self.reg().poll_stream(cx, Direction::Write, len, || op(io))
    }
}

impl<T: AsFd> AsFd for Async<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsFd> AsRawFd for Async<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl<T: AsFd> futures_io::AsyncRead for Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        // The shared-reference impl below holds the logic.
        Pin::new(&mut &*self).poll_read(cx, buf)
    }
}

impl<T: AsFd> futures_io::AsyncRead for &Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_with(cx, |mut io| io.read(buf))
    }
}

impl<T: AsFd> futures_io::AsyncWrite for Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_close(cx)
    }
}

impl<T: AsFd> futures_io::AsyncWrite for &Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut io| io.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_write_with(cx, |mut io| io.flush())
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
