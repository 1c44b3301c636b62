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
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use crate::io::Async;
use crate::sys::uninit::UninitBuf;

/// A connected stream socket of std that the core drives.
pub(crate) trait ByteSocket: AsFd {
    /// Whether a read shorter than its buffer means the receive queue is
    /// empty (see the module docs).
    const SHORT_READ_DRAINS: bool;

    fn read_some(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// One read into the possibly uninitialised room of `buf`.
    fn read_uninit(&self, buf: &mut UninitBuf<'_>) -> io::Result<usize>;
    fn write_some(&self, buf: &[u8]) -> io::Result<usize>;
    fn read_vectored_some(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize>;
    fn write_vectored_some(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    fn shutdown_std(&self, how: Shutdown) -> io::Result<()>;
    fn take_error_std(&self) -> io::Result<Option<io::Error>>;
}

impl ByteSocket for std::net::TcpStream {
    const SHORT_READ_DRAINS: bool = true;

    fn read_some(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
    fn read_uninit(&self, buf: &mut UninitBuf<'_>) -> io::Result<usize> {
        // recv(2), as std's `read` above: cheaper than read(2) on a socket.
        buf.recv_from(self.as_fd())
    }
    fn write_some(&self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }
    fn read_vectored_some(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
    fn write_vectored_some(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }
    fn take_error_std(&self) -> io::Result<Option<io::Error>> {
        self.take_error()
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
    fn read_uninit(&self, buf: &mut UninitBuf<'_>) -> io::Result<usize> {
        buf.read_from(self.as_fd())
    }
    fn write_some(&self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }
    fn read_vectored_some(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
    fn write_vectored_some(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }
    fn take_error_std(&self) -> io::Result<Option<io::Error>> {
        self.take_error()
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

// `read` and `write` return the `poll_fn` itself rather than being `async
// fn`s: an idle connection's reading task keeps this future alive, and an
// `async fn` (twice nested, with the types' own methods) would store its
// arguments again in each layer's state.
pub(super) fn read<'a, T: ByteSocket>(
    io: &'a Async<T>,
    buf: &'a mut [u8],
) -> impl Future<Output = io::Result<usize>> + 'a {
    poll_fn(move |cx| poll_read(io, cx, buf))
}

pub(super) fn write<'a, T: ByteSocket>(
    io: &'a Async<T>,
    buf: &'a [u8],
) -> impl Future<Output = io::Result<usize>> + 'a {
    poll_fn(move |cx| poll_write(io, cx, buf))
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

/// A read into `buf`'s room by the short-read rule of [`poll_read`]:
/// every byte is written by `read(2)`, none is zeroed first.
#[track_caller]
pub(crate) fn poll_read_uninit<T: ByteSocket>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &mut UninitBuf<'_>,
) -> Poll<io::Result<usize>> {
    let len = buf.remaining();
    if len == 0 {
        return Poll::Ready(Ok(0));
    }
    if T::SHORT_READ_DRAINS {
        io.poll_read_stream(cx, len, |s| s.read_uninit(buf))
    } else {
        io.poll_read_with(cx, |s| s.read_uninit(buf))
    }
}

/// A vectored write; a short one clears readiness as in [`poll_write`].
#[track_caller]
pub(crate) fn poll_write_vectored<T: ByteSocket>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    let len = bufs.iter().map(|b| b.len()).sum();
    if len == 0 {
        return Poll::Ready(Ok(0));
    }
    io.poll_write_stream(cx, len, |s| s.write_vectored_some(bufs))
}

pub(super) fn try_read<T: ByteSocket>(io: &Async<T>, buf: &mut [u8]) -> io::Result<usize> {
    io.try_read_with(|s| s.read_some(buf))
}

pub(super) fn try_read_buf<T: ByteSocket>(io: &Async<T>, buf: &mut Vec<u8>) -> io::Result<usize> {
    io.try_read_with(|s| crate::sys::read_to_spare(s.as_fd(), buf))
}

pub(super) fn try_write<T: ByteSocket>(io: &Async<T>, buf: &[u8]) -> io::Result<usize> {
    io.try_write_with(|s| s.write_some(buf))
}

pub(super) fn try_read_vectored<T: ByteSocket>(
    io: &Async<T>,
    bufs: &mut [IoSliceMut<'_>],
) -> io::Result<usize> {
    io.try_read_with(|s| s.read_vectored_some(bufs))
}

pub(super) fn try_write_vectored<T: ByteSocket>(
    io: &Async<T>,
    bufs: &[IoSlice<'_>],
) -> io::Result<usize> {
    io.try_write_with(|s| s.write_vectored_some(bufs))
}

/// Peeks: the bytes stay queued, so readiness is cleared only by
/// `WouldBlock`, never by a short peek.
#[track_caller]
pub(super) fn poll_peek<T: ByteSocket>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    if buf.is_empty() {
        return Poll::Ready(Ok(0));
    }
    io.poll_read_with(cx, |s| crate::sys::net::peek(s.as_fd(), buf))
}

pub(super) fn take_error<T: ByteSocket>(io: &Async<T>) -> io::Result<Option<io::Error>> {
    io.get_ref().take_error_std()
}

/// The methods tokio's `TcpStream` and `UnixStream` share, written once
/// for both (`$ty` holds an `io: Async<_>` of a [`ByteSocket`]).
/// `$setup` is the doc examples' first lines: they make two connected
/// streams `a` and `b` of `$ty` inside an async block.
macro_rules! byte_stream_methods {
    ($ty:ident, $setup:literal) => {
        impl $ty {
            #[doc = concat!(
                "Waits until the stream is readable (data, end-of-file or an error), and consumes \
                 that readiness, as [`Async::readable`](crate::io::Async::readable) does: after \
                 [`try_read`](Self::try_read) said `WouldBlock`, the next call waits for real.\n\n\
                 # Errors\n\nThe kernel's error from `poll(2)`.\n\n\
                 # Panics\n\nWhen polled under a runtime other than the stream's.\n\n\
                 # Examples\n\n```\nchronia::block_on(async {\n", $setup, "\n\
                 b.write_all(b\"x\").await?;\n\
                 a.readable().await?;\n\
                 let mut buf = [0; 8];\n\
                 assert_eq!(a.try_read(&mut buf)?, 1);\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub async fn readable(&self) -> std::io::Result<()> {
                self.io.readable().await
            }

            #[doc = concat!(
                "Waits until the stream is writable (room in the send buffer, or an error), and \
                 consumes that readiness; see [`readable`](Self::readable).\n\n\
                 # Errors\n\nAs [`readable`](Self::readable).\n\n\
                 # Panics\n\nAs [`readable`](Self::readable).\n\n\
                 # Examples\n\n```\nchronia::block_on(async {\n", $setup, "\n\
                 a.writable().await?;\n\
                 assert_eq!(a.try_write(b\"x\")?, 1);\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub async fn writable(&self) -> std::io::Result<()> {
                self.io.writable().await
            }

            #[doc = concat!(
                "Waits until the stream is ready for any of `interest`; returns what is ready \
                 (and consumes it, as [`readable`](Self::readable)). A hang-up or an error counts \
                 as both readable and writable: there are no separate closed states as in tokio.\n\n\
                 # Errors\n\nAs [`readable`](Self::readable).\n\n\
                 # Panics\n\nAs [`readable`](Self::readable).\n\n\
                 # Examples\n\n```\nuse chronia::io::Interest;\nchronia::block_on(async {\n", $setup, "\n\
                 let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await?;\n\
                 assert!(ready.is_writable());\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub async fn ready(&self, interest: crate::io::Interest) -> std::io::Result<crate::io::Ready> {
                self.io.ready(interest).await
            }

            #[doc = concat!(
                "Polls for read readiness, by the rules of [`readable`](Self::readable). Only the \
                 waker of the latest call is sure to be woken.\n\n\
                 # Errors\n\nAs [`readable`](Self::readable).\n\n\
                 # Panics\n\nAs [`readable`](Self::readable).\n\n\
                 # Examples\n\n```\nuse std::future::poll_fn;\nchronia::block_on(async {\n", $setup, "\n\
                 b.write_all(b\"x\").await?;\n\
                 poll_fn(|cx| a.poll_read_ready(cx)).await?;\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            #[track_caller]
            pub fn poll_read_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
                self.io.poll_readable(cx)
            }

            #[doc = concat!(
                "Polls for write readiness, by the rules of [`writable`](Self::writable).\n\n\
                 # Errors\n\nAs [`readable`](Self::readable).\n\n\
                 # Panics\n\nAs [`readable`](Self::readable).\n\n\
                 # Examples\n\n```\nuse std::future::poll_fn;\nchronia::block_on(async {\n", $setup, "\n\
                 poll_fn(|cx| a.poll_write_ready(cx)).await?;\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            #[track_caller]
            pub fn poll_write_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
                self.io.poll_writable(cx)
            }

            #[doc = concat!(
                "Reads what is there into `buf`, never waiting: `WouldBlock` if nothing is (and \
                 then the next [`readable`](Self::readable) waits for the kernel). `Ok(0)` is \
                 end-of-file (or an empty `buf`).\n\n\
                 # Errors\n\n`WouldBlock`; the kernel's error from `read(2)`.\n\n\
                 # Examples\n\n```\nuse std::io::ErrorKind;\nchronia::block_on(async {\n", $setup, "\n\
                 let mut buf = [0; 8];\n\
                 assert_eq!(a.try_read(&mut buf).expect_err(\"nothing sent yet\").kind(), ErrorKind::WouldBlock);\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                crate::net::stream::try_read(&self.io, buf)
            }

            #[doc = concat!(
                "Like [`try_read`](Self::try_read), appending to `buf` without zeroing its spare \
                 capacity first: reads into the spare capacity (64 bytes are reserved if it has \
                 none) and extends the length by what was read. tokio's takes any `BufMut`; this \
                 one a `Vec<u8>`, which tokio's accepts too.\n\n\
                 # Errors\n\nAs [`try_read`](Self::try_read).\n\n\
                 # Examples\n\n```\nchronia::block_on(async {\n", $setup, "\n\
                 b.write_all(b\"abc\").await?;\n\
                 a.readable().await?;\n\
                 let mut buf = Vec::with_capacity(16);\n\
                 buf.push(b'>');\n\
                 assert_eq!(a.try_read_buf(&mut buf)?, 3);\n\
                 assert_eq!(buf, b\">abc\");\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub fn try_read_buf(&self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
                crate::net::stream::try_read_buf(&self.io, buf)
            }

            #[doc = concat!(
                "Writes what the send buffer takes of `buf`, never waiting: `WouldBlock` if it is \
                 full.\n\n\
                 # Errors\n\n`WouldBlock`; the kernel's error from `write(2)`.\n\n\
                 # Examples\n\n```\nchronia::block_on(async {\n", $setup, "\n\
                 assert_eq!(a.try_write(b\"abc\")?, 3);\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                crate::net::stream::try_write(&self.io, buf)
            }

            #[doc = concat!(
                "Like [`try_read`](Self::try_read), into several buffers in turn (`readv(2)`).\n\n\
                 # Errors\n\nAs [`try_read`](Self::try_read).\n\n\
                 # Examples\n\n```\nuse std::io::IoSliceMut;\nchronia::block_on(async {\n", $setup, "\n\
                 b.write_all(b\"abcd\").await?;\n\
                 a.readable().await?;\n\
                 let (mut x, mut y) = ([0; 2], [0; 2]);\n\
                 let n = a.try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])?;\n\
                 assert!(n > 0);\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub fn try_read_vectored(&self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
                crate::net::stream::try_read_vectored(&self.io, bufs)
            }

            #[doc = concat!(
                "Like [`try_write`](Self::try_write), from several buffers in turn (`writev(2)`).\n\n\
                 # Errors\n\nAs [`try_write`](Self::try_write).\n\n\
                 # Examples\n\n```\nuse std::io::IoSlice;\nchronia::block_on(async {\n", $setup, "\n\
                 let n = a.try_write_vectored(&[IoSlice::new(b\"ab\"), IoSlice::new(b\"cd\")])?;\n\
                 assert_eq!(n, 4);\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub fn try_write_vectored(&self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                crate::net::stream::try_write_vectored(&self.io, bufs)
            }

            /// The read of [`poll_read_uninit`](Self::poll_read_uninit) into a
            /// buffer that counts what the kernel wrote (for the compat glue).
            #[allow(dead_code, reason = "used only by the optional compat features")]
            #[track_caller]
            pub(crate) fn poll_read_into(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut crate::sys::uninit::UninitBuf<'_>,
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::stream::poll_read_uninit(&self.io, cx, buf)
            }

            #[doc = concat!(
                "Polls a read into `buf`, whose bytes need not be initialised: the kernel writes \
                 them, nothing zeroes them first. Returns the part read into (empty at end of \
                 file), as initialised bytes. The readiness rule is that of the stream's \
                 `AsyncRead` (a short TCP read clears readiness, so the next read waits for the \
                 kernel's report instead of spending a syscall on `EAGAIN`). This is the read \
                 that hyper's and tokio's uninitialised buffers need; a `Vec` can use \
                 [`try_read_buf`](Self::try_read_buf).\n\n\
                 # Errors\n\nThe kernel's error from `recv(2)` (TCP) or `read(2)` (Unix).\n\n\
                 # Panics\n\nWhen polled under a runtime other than its own.\n\n\
                 # Examples\n\n```\nuse std::mem::MaybeUninit;\nchronia::block_on(async {\n", $setup, "\n\
                 b.write_all(b\"abc\").await?;\n\
                 let mut buf = [MaybeUninit::<u8>::uninit(); 16];\n\
                 let got = std::future::poll_fn(|cx| a.poll_read_uninit(cx, &mut buf).map_ok(|got| got.to_vec())).await?;\n\
                 assert_eq!(got, b\"abc\");\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            #[track_caller]
            pub fn poll_read_uninit<'b>(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &'b mut [std::mem::MaybeUninit<u8>],
            ) -> std::task::Poll<std::io::Result<&'b mut [u8]>> {
                let mut buf = crate::sys::uninit::UninitBuf::new(buf);
                match crate::net::stream::poll_read_uninit(&self.io, cx, &mut buf) {
                    std::task::Poll::Ready(Ok(_)) => std::task::Poll::Ready(Ok(buf.into_filled())),
                    std::task::Poll::Ready(Err(e)) => std::task::Poll::Ready(Err(e)),
                    std::task::Poll::Pending => std::task::Poll::Pending,
                }
            }

            #[doc = concat!(
                "Polls a write of several buffers in turn (one `writev(2)`); a short write clears \
                 readiness as with `poll_write`.\n\n\
                 # Errors\n\nThe kernel's error from `writev(2)`.\n\n\
                 # Panics\n\nWhen polled under a runtime other than its own.\n\n\
                 # Examples\n\n```\nuse std::io::IoSlice;\nchronia::block_on(async {\n", $setup, "\n\
                 let bufs = [IoSlice::new(b\"ab\"), IoSlice::new(b\"cd\")];\n\
                 let n = std::future::poll_fn(|cx| a.poll_write_vectored(cx, &bufs)).await?;\n\
                 assert_eq!(n, 4);\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            #[track_caller]
            pub fn poll_write_vectored(
                &self,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::stream::poll_write_vectored(&self.io, cx, bufs)
            }

            #[doc = concat!(
                "Writes some of several buffers in turn (one `writev(2)` once writable); returns \
                 how many bytes it wrote.\n\n\
                 # Errors\n\nThe kernel's error from `writev(2)`.\n\n\
                 # Examples\n\n```\nuse std::io::IoSlice;\nchronia::block_on(async {\n", $setup, "\n\
                 let n = a.write_vectored(&[IoSlice::new(b\"ab\"), IoSlice::new(b\"cd\")]).await?;\n\
                 assert_eq!(n, 4);\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub async fn write_vectored(&self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                std::future::poll_fn(|cx| self.poll_write_vectored(cx, bufs)).await
            }

            #[doc = concat!(
                "Reads into `buf` without taking the bytes from the stream (`MSG_PEEK`): the next \
                 read returns them again. Waits until at least one byte or end-of-file is there.\n\n\
                 # Errors\n\nThe kernel's error from `recv(2)`.\n\n\
                 # Examples\n\n```\nchronia::block_on(async {\n", $setup, "\n\
                 b.write_all(b\"hey\").await?;\n\
                 let mut buf = [0; 3];\n\
                 let n = a.peek(&mut buf).await?;\n\
                 assert!(n > 0);\n\
                 assert_eq!(a.read(&mut buf[..n]).await?, n, \"still there\");\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub async fn peek(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::future::poll_fn(|cx| crate::net::stream::poll_peek(&self.io, cx, buf)).await
            }

            #[doc = concat!(
                "Polls a [`peek`](Self::peek). Takes a plain slice where tokio takes a `ReadBuf`.\n\n\
                 # Errors\n\nAs [`peek`](Self::peek).\n\n\
                 # Panics\n\nWhen polled under a runtime other than the stream's.\n\n\
                 # Examples\n\n```\nuse std::future::poll_fn;\nchronia::block_on(async {\n", $setup, "\n\
                 b.write_all(b\"x\").await?;\n\
                 let mut buf = [0; 1];\n\
                 assert_eq!(poll_fn(|cx| a.poll_peek(cx, &mut buf)).await?, 1);\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            #[track_caller]
            pub fn poll_peek(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::stream::poll_peek(&self.io, cx, buf)
            }

            #[doc = concat!(
                "Takes the socket's pending error (`SO_ERROR`), clearing it.\n\n\
                 # Errors\n\nThe kernel's error from `getsockopt(2)`.\n\n\
                 # Examples\n\n```\nchronia::block_on(async {\n", $setup, "\n\
                 assert!(a.take_error()?.is_none());\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
                crate::net::stream::take_error(&self.io)
            }

            #[doc = concat!(
                "Splits the stream into a reading and a writing half that borrow it. Free: reads \
                 and writes take `&self` anyway; the halves are for code that wants an \
                 `AsyncRead` and an `AsyncWrite` apart. Takes `&mut self` as tokio's does.\n\n\
                 # Examples\n\n```\nuse futures_lite::io::AsyncWriteExt;\nchronia::block_on(async {\n", $setup, "\n\
                 let mut a = a;\n\
                 let (_reader, mut writer) = a.split();\n\
                 writer.write_all(b\"x\").await?;\n\
                 assert_eq!(b.read(&mut [0; 1]).await?, 1);\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub fn split(&mut self) -> (crate::net::split::ReadHalf<'_, $ty>, crate::net::split::WriteHalf<'_, $ty>) {
                (crate::net::split::ReadHalf(self), crate::net::split::WriteHalf(self))
            }

            #[doc = concat!(
                "Splits the stream into owned halves, which can move into two tasks. Dropping the \
                 write half shuts down the write side (the peer reads end-of-file), unless it is \
                 [`forget`](crate::net::split::OwnedWriteHalf::forget)ten; \
                 [`reunite`](crate::net::split::OwnedReadHalf::reunite) gives the stream back.\n\n\
                 # Examples\n\n```\nchronia::block_on(async {\n", $setup, "\n\
                 let (reader, writer) = a.into_split();\n\
                 drop(writer);\n\
                 assert_eq!(b.read(&mut [0; 1]).await?, 0, \"end-of-file\");\n\
                 b.write_all(b\"x\").await?;\n\
                 assert_eq!(reader.as_ref().read(&mut [0; 1]).await?, 1, \"reading goes on\");\n\
                 Ok::<(), std::io::Error>(())\n})?;\n# Ok::<(), std::io::Error>(())\n```"
            )]
            pub fn into_split(self) -> (crate::net::split::OwnedReadHalf<$ty>, crate::net::split::OwnedWriteHalf<$ty>) {
                crate::net::split::into_split(self, |s| {
                    // Best effort, as tokio's drop: the peer may be gone
                    // already, and there is nobody to tell.
                    let _ = crate::net::stream::shutdown(&s.io, std::net::Shutdown::Write);
                })
            }
        }
    };
}

pub(crate) use byte_stream_methods;
