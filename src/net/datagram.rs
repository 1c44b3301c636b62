//! The datagram core shared by [`UdpSocket`](crate::net::UdpSocket) and
//! [`UnixDatagram`](crate::net::UnixDatagram): readiness waits, the
//! `try_*` calls and the `poll_*` calls, written once over [`Datagram`].
//!
//! # Readiness
//!
//! `readable` and `writable` go through `Async::read_with` /
//! `write_with`: the operation they run asks the kernel (`poll(2)`, zero
//! timeout) whether the socket is ready now, and says `WouldBlock` if not,
//! which clears the runtime's readiness and waits for the next report. So a
//! wait on an empty socket really waits, and a wait after a `try_*` that
//! said `WouldBlock` does not return at once on stale readiness. The probe
//! reads nothing, so a pending socket error stays for the next `recv`.
//!
//! `try_*` make one non-blocking syscall on the socket and never wait.

use std::io;
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use crate::io::{Async, Interest, Ready};
use crate::sys::socket::{Readiness, poll_now, ready_now};

/// A datagram socket of std: what the core needs of it.
pub(crate) trait Datagram: AsFd {
    /// The address type of the socket's family.
    type Addr;

    fn send(&self, buf: &[u8]) -> io::Result<usize>;
    fn recv(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Self::Addr)>;
}

impl Datagram for std::net::UdpSocket {
    type Addr = std::net::SocketAddr;

    fn send(&self, buf: &[u8]) -> io::Result<usize> {
        std::net::UdpSocket::send(self, buf)
    }

    fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::net::UdpSocket::recv(self, buf)
    }

    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Self::Addr)> {
        std::net::UdpSocket::recv_from(self, buf)
    }
}

impl Datagram for std::os::unix::net::UnixDatagram {
    type Addr = std::os::unix::net::SocketAddr;

    fn send(&self, buf: &[u8]) -> io::Result<usize> {
        std::os::unix::net::UnixDatagram::send(self, buf)
    }

    fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::os::unix::net::UnixDatagram::recv(self, buf)
    }

    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Self::Addr)> {
        std::os::unix::net::UnixDatagram::recv_from(self, buf)
    }
}

fn probe(fd: std::os::fd::BorrowedFd<'_>, dir: Readiness) -> io::Result<()> {
    if ready_now(fd, dir)? {
        Ok(())
    } else {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// Waits until a datagram (or an error) can be received.
pub(crate) async fn readable<T: Datagram>(io: &Async<T>) -> io::Result<()> {
    io.read_with(|s| probe(s.as_fd(), Readiness::Read)).await
}

/// Waits until a datagram can be sent.
pub(crate) async fn writable<T: Datagram>(io: &Async<T>) -> io::Result<()> {
    io.write_with(|s| probe(s.as_fd(), Readiness::Write)).await
}

/// Waits until the socket is ready for one of `interest`'s directions;
/// gives what it is ready for then.
pub(crate) async fn ready<T: Datagram>(io: &Async<T>, interest: Interest) -> io::Result<Ready> {
    std::future::poll_fn(|cx| {
        let probe_read = |s: &T| probe(s.as_fd(), Readiness::Read);
        let probe_write = |s: &T| probe(s.as_fd(), Readiness::Write);
        let read = interest.is_readable() && io.poll_read_with(cx, probe_read)?.is_ready();
        let write = interest.is_writable() && io.poll_write_with(cx, probe_write)?.is_ready();
        if read || write {
            Poll::Ready(Ok(Ready::from_poll(poll_now(io.as_fd())?, interest)))
        } else {
            Poll::Pending
        }
    })
    .await
}

pub(crate) fn poll_send<T: Datagram>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    io.poll_write_with(cx, |s| s.send(buf))
}

pub(crate) fn poll_recv<T: Datagram>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    io.poll_read_with(cx, |s| s.recv(buf))
}

pub(crate) fn poll_recv_from<T: Datagram>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<(usize, T::Addr)>> {
    io.poll_read_with(cx, |s| s.recv_from(buf))
}

pub(crate) fn try_send<T: Datagram>(io: &Async<T>, buf: &[u8]) -> io::Result<usize> {
    io.get_ref().send(buf)
}

pub(crate) fn try_recv<T: Datagram>(io: &Async<T>, buf: &mut [u8]) -> io::Result<usize> {
    io.get_ref().recv(buf)
}

pub(crate) fn try_recv_from<T: Datagram>(
    io: &Async<T>,
    buf: &mut [u8],
) -> io::Result<(usize, T::Addr)> {
    io.get_ref().recv_from(buf)
}

/// One datagram into the spare capacity of `buf`, without waiting.
pub(crate) fn try_recv_buf<T: Datagram>(io: &Async<T>, buf: &mut Vec<u8>) -> io::Result<usize> {
    crate::sys::read_to_spare(io.get_ref().as_fd(), buf)
}

/// One datagram into the spare capacity of `buf`, waiting for one.
pub(crate) async fn recv_buf<T: Datagram>(io: &Async<T>, buf: &mut Vec<u8>) -> io::Result<usize> {
    io.read_with(|s| crate::sys::read_to_spare(s.as_fd(), buf))
        .await
}
