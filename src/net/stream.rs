//! The byte-stream core shared by the stream sockets (TCP and Unix): one
//! implementation of reads, writes and shutdown over [`Async`], which both
//! types call.
//!
//! # Short transfers
//!
//! A write that takes fewer bytes than offered means the send queue is
//! full: readiness is cleared at once, and the next write waits for the
//! kernel's report instead of spending a syscall on `WouldBlock`.
//!
//! A read shorter than its buffer usually means the receive queue is empty,
//! but not always, and where it does not, clearing readiness would wait for
//! an edge that already came (a hang until the peer sends more). So the
//! shortcut is taken per socket type ([`ByteSocket::SHORT_READ_DRAINS`]):
//!
//! - **Unix streams: never.** The kernel ends a read early, with data still
//!   queued, at a message that carried `SCM_RIGHTS` file descriptors and,
//!   with `SO_PASSCRED`, wherever the writer's credentials change. A read
//!   clears readiness only on `WouldBlock` (one more syscall per drain).
//! - **TCP: yes**, it saves one syscall per read on every connection. The
//!   one exception is urgent data (`MSG_OOB`): a read stops short before
//!   the urgent mark. Bytes queued behind the mark are then read when the
//!   peer sends more or closes, not at once; protocols that use urgent
//!   data (telnet, FTP's abort) should read through
//!   [`Async::read_with`](crate::io::Async::read_with) on the std stream
//!   (see `tests/net_tcp.rs`, `urgent_data_*`).

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use crate::io::Async;

/// A connected stream socket of std that the core drives.
pub(crate) trait ByteSocket: AsFd {
    /// Whether a read shorter than its buffer means the receive queue is
    /// empty (see the module docs).
    const SHORT_READ_DRAINS: bool;

    fn read_some(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn write_some(&self, buf: &[u8]) -> io::Result<usize>;
    fn shutdown_std(&self, how: Shutdown) -> io::Result<()>;
}

impl ByteSocket for std::net::TcpStream {
    const SHORT_READ_DRAINS: bool = true;

    fn read_some(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
    fn write_some(&self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }
    fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        self.shutdown(how)
    }
}

impl ByteSocket for std::os::unix::net::UnixStream {
    const SHORT_READ_DRAINS: bool = false;

    fn read_some(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
    fn write_some(&self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }
    fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        self.shutdown(how)
    }
}

#[track_caller]
pub(super) fn poll_read<T: ByteSocket>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    if buf.is_empty() {
        // Nothing to wait for: a zero-byte read could never report data.
        return Poll::Ready(Ok(0));
    }
    if T::SHORT_READ_DRAINS {
        let len = buf.len();
        io.poll_read_stream(cx, len, |s| s.read_some(buf))
    } else {
        io.poll_read_with(cx, |s| s.read_some(buf))
    }
}

#[track_caller]
pub(super) fn poll_write<T: ByteSocket>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    if buf.is_empty() {
        return Poll::Ready(Ok(0));
    }
    io.poll_write_stream(cx, buf.len(), |s| s.write_some(buf))
}

pub(super) async fn read<T: ByteSocket>(io: &Async<T>, buf: &mut [u8]) -> io::Result<usize> {
    poll_fn(|cx| poll_read(io, cx, buf)).await
}

pub(super) async fn write<T: ByteSocket>(io: &Async<T>, buf: &[u8]) -> io::Result<usize> {
    poll_fn(|cx| poll_write(io, cx, buf)).await
}

pub(super) async fn write_all<T: ByteSocket>(io: &Async<T>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match write(io, buf).await? {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the socket accepted no bytes",
                ));
            }
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

/// `shutdown(2)`; for the write side, `ENOTCONN` counts as done: the peer
/// reset the connection, so nothing more can be sent anyway, and a reset
/// racing a close is not the caller's error (as tokio, tokio#4665).
pub(super) fn shutdown<T: ByteSocket>(io: &Async<T>, how: Shutdown) -> io::Result<()> {
    match io.get_ref().shutdown_std(how) {
        Err(e) if how == Shutdown::Write && e.kind() == io::ErrorKind::NotConnected => Ok(()),
        res => res,
    }
}
