//! [`UnixDatagram`]'s readiness waits, `try_*` and `poll_*` calls, on the
//! shared datagram core.

use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use super::UnixDatagram;
use crate::io::{Interest, Ready};
use crate::net::datagram;

impl UnixDatagram {
    /// Waits until a datagram can be received (or the peer is gone, so
    /// that the next receive reports it). It does not wait on a socket that
    /// already has one; after a [`try_recv`](Self::try_recv) that said
    /// `WouldBlock` it waits for the next datagram. It may complete and the
    /// next `try_recv` still say `WouldBlock` (another task took it): loop.
    ///
    /// # Errors
    ///
    /// The kernel's error from `poll(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixDatagram::pair()?;
    ///     a.send(b"hi").await?;
    ///     b.readable().await?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(b.try_recv(&mut buf)?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        datagram::readable(&self.io).await
    }

    /// Waits until the socket is ready for one of `interest`'s
    /// directions and gives what it is ready for (as tokio's `ready`). The
    /// same rules as [`readable`](Self::readable) apply: it waits for real
    /// on an empty socket, and the next `try_*` may still say `WouldBlock`.
    ///
    /// # Errors
    ///
    /// The kernel's error from `poll(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::Interest;
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixDatagram::pair()?;
    ///     a.send(b"x").await?;
    ///     let ready = b.ready(Interest::READABLE | Interest::WRITABLE).await?;
    ///     assert!(ready.is_readable() && ready.is_writable());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        datagram::ready(&self.io, interest).await
    }

    /// Waits until a datagram can be sent: the peer's receive queue has
    /// room.
    ///
    /// # Errors
    ///
    /// The kernel's error from `poll(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixDatagram::pair()?;
    ///     a.writable().await?;
    ///     assert_eq!(a.try_send(b"x")?, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        datagram::writable(&self.io).await
    }

    /// Sends one datagram to the connected peer without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the peer's queue is full; `NotConnected` without a
    /// peer; the kernel's error from `send(2)` otherwise
    /// (`ConnectionRefused` when the peer is gone).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixDatagram::pair()?;
    ///     assert_eq!(a.try_send(b"hi")?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        datagram::try_send(&self.io, buf)
    }

    /// Sends one datagram to the socket bound at `path` without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the receiver's queue is full; `NotFound` when
    /// nothing is bound at `path`; the kernel's error from `sendto(2)`
    /// otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-try-send-to-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("rx.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// chronia::block_on(async {
    ///     let _rx = chronia::net::UnixDatagram::bind(&path)?;
    ///     let tx = chronia::net::UnixDatagram::unbound()?;
    ///     assert_eq!(tx.try_send_to(b"hi", &path)?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        self.io.get_ref().send_to(buf, path)
    }

    /// Receives one datagram without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued; the kernel's error from `recv(2)`
    /// otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixDatagram::pair()?;
    ///     let err = a.try_recv(&mut [0; 8]).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        datagram::try_recv(&self.io, buf)
    }

    /// Receives one datagram and its sender's address without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued; the kernel's error from
    /// `recvfrom(2)` otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixDatagram::pair()?;
    ///     a.send(b"hi").await?;
    ///     b.readable().await?;
    ///     let mut buf = [0; 8];
    ///     let (n, from) = b.try_recv_from(&mut buf)?;
    ///     assert_eq!(n, 2);
    ///     assert!(from.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        datagram::try_recv_from(&self.io, buf)
    }

    /// Polls sending one datagram to the connected peer: `Pending` (and a
    /// wake later) while its queue is full.
    ///
    /// # Errors
    ///
    /// As [`try_send`](Self::try_send), `WouldBlock` excepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixDatagram::pair()?;
    ///     assert_eq!(poll_fn(|cx| a.poll_send(cx, b"hi")).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        datagram::poll_send(&self.io, cx, buf)
    }

    /// Polls sending one datagram to the socket bound at `path`.
    ///
    /// # Errors
    ///
    /// As [`try_send_to`](Self::try_send_to), `WouldBlock` excepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-poll-send-to-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("rx.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// chronia::block_on(async {
    ///     let _rx = chronia::net::UnixDatagram::bind(&path)?;
    ///     let tx = chronia::net::UnixDatagram::unbound()?;
    ///     assert_eq!(poll_fn(|cx| tx.poll_send_to(cx, b"hi", &path)).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        path: impl AsRef<Path>,
    ) -> Poll<io::Result<usize>> {
        let path = path.as_ref();
        self.io.poll_write_with(cx, |s| s.send_to(buf, path))
    }

    /// Polls receiving one datagram into `buf`; gives its length. Takes a
    /// plain slice where tokio takes a `ReadBuf`.
    ///
    /// # Errors
    ///
    /// As [`try_recv`](Self::try_recv), `WouldBlock` excepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixDatagram::pair()?;
    ///     a.send(b"hi").await?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(poll_fn(|cx| b.poll_recv(cx, &mut buf)).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        datagram::poll_recv(&self.io, cx, buf)
    }

    /// Polls receiving one datagram and its sender's address; gives the
    /// length too (tokio's length is in its `ReadBuf`).
    ///
    /// # Errors
    ///
    /// As [`try_recv_from`](Self::try_recv_from), `WouldBlock` excepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixDatagram::pair()?;
    ///     a.send(b"hi").await?;
    ///     let mut buf = [0; 8];
    ///     let (n, _from) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await?;
    ///     assert_eq!(n, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        datagram::poll_recv_from(&self.io, cx, buf)
    }

    /// Receives one datagram into the spare capacity of `buf`, without
    /// waiting, and extends its length by the datagram's size: the bytes
    /// need not be zeroed first (tokio's `try_recv_buf`, on a `Vec<u8>`
    /// rather than any `BufMut`). A datagram longer than the spare capacity
    /// is cut to it, as with any `recv` (64 bytes are reserved first when
    /// `buf` has no spare capacity at all); reserve what you expect.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued; the kernel's error from `read(2)`
    /// otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixDatagram::pair()?;
    ///     a.send(b"hi").await?;
    ///     b.readable().await?;
    ///     let mut buf = Vec::with_capacity(16);
    ///     assert_eq!(b.try_recv_buf(&mut buf)?, 2);
    ///     assert_eq!(buf, b"hi");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_recv_buf(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        datagram::try_recv_buf(&self.io, buf)
    }

    /// Waits for one datagram and receives it into the spare capacity of
    /// `buf`, as [`try_recv_buf`](UnixDatagram::try_recv_buf) does.
    ///
    /// # Errors
    ///
    /// The kernel's error from `read(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixDatagram::pair()?;
    ///     a.send(b"hi").await?;
    ///     let mut buf = Vec::with_capacity(16);
    ///     assert_eq!(b.recv_buf(&mut buf).await?, 2);
    ///     assert_eq!(buf, b"hi");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv_buf(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        datagram::recv_buf(&self.io, buf).await
    }
}
