//! [`UdpSocket`]'s readiness waits, `try_*` and `poll_*` calls, and
//! `peek_from`, on the shared datagram core.

use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use super::UdpSocket;
use crate::io::{Interest, Ready};
use crate::net::datagram;

impl UdpSocket {
    /// Waits until a datagram (or an error, such as a refused earlier
    /// send) can be received. It does not wait on a socket that already has
    /// one; after a [`try_recv`](Self::try_recv) that said `WouldBlock` it
    /// waits for the next datagram. As with tokio, it may complete and
    /// the next `try_recv` still say `WouldBlock` (another task took the
    /// datagram): loop.
    ///
    /// # Errors
    ///
    /// The kernel's error from `poll(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::UdpSocket;
    /// chronia::block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"hi", b.local_addr()?).await?;
    ///     let mut buf = [0; 8];
    ///     let n = loop {
    ///         b.readable().await?;
    ///         match b.try_recv(&mut buf) {
    ///             Ok(n) => break n,
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             Err(e) => return Err(e),
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], b"hi");
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
    ///     let a = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"x", a.local_addr()?).await?;
    ///     let ready = a.ready(Interest::READABLE).await?;
    ///     assert!(ready.is_readable());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        datagram::ready(&self.io, interest).await
    }

    /// Waits until a datagram can be sent (the send buffer has room).
    ///
    /// # Errors
    ///
    /// The kernel's error from `poll(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let a = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.writable().await?;
    ///     assert_eq!(a.try_send_to(b"x", a.local_addr()?)?, 1);
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
    /// `WouldBlock` when the send buffer is full; the kernel's
    /// `EDESTADDRREQ` without [`connect`](Self::connect); the kernel's
    /// error from `send(2)` otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::UdpSocket;
    /// chronia::block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.try_send(b"hi")?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        datagram::try_send(&self.io, buf)
    }

    /// Sends one datagram to `target` without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the send buffer is full; the kernel's error from
    /// `sendto(2)` otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let a = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(a.try_send_to(b"hi", a.local_addr()?)?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io.get_ref().send_to(buf, target)
    }

    /// Receives one datagram from the connected peer without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when none is queued; the kernel's error from `recv(2)`
    /// otherwise (`ConnectionRefused` after a refused send).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let a = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let err = a.try_recv(&mut [0; 8]).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        datagram::try_recv(&self.io, buf)
    }

    /// Receives one datagram and its sender without waiting.
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
    ///     let a = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"me", a.local_addr()?).await?;
    ///     a.readable().await?;
    ///     let mut buf = [0; 8];
    ///     let (n, from) = a.try_recv_from(&mut buf)?;
    ///     assert_eq!((&buf[..n], from), (&b"me"[..], a.local_addr()?));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        datagram::try_recv_from(&self.io, buf)
    }

    /// Polls sending one datagram to the connected peer: `Pending` (and a
    /// wake later) while the send buffer is full.
    ///
    /// # Errors
    ///
    /// As [`try_send`](Self::try_send), `WouldBlock` excepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use chronia::net::UdpSocket;
    /// chronia::block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(a.local_addr()?).await?;
    ///     assert_eq!(poll_fn(|cx| a.poll_send(cx, b"hi")).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        datagram::poll_send(&self.io, cx, buf)
    }

    /// Polls sending one datagram to `target`.
    ///
    /// # Errors
    ///
    /// As [`try_send_to`](Self::try_send_to), `WouldBlock` excepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// chronia::block_on(async {
    ///     let a = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let to = a.local_addr()?;
    ///     assert_eq!(poll_fn(|cx| a.poll_send_to(cx, b"hi", to)).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_with(cx, |s| s.send_to(buf, target))
    }

    /// Polls receiving one datagram from the connected peer into `buf`;
    /// gives its length. Unlike tokio, which fills a `ReadBuf`, it takes a
    /// plain slice (chronia has no `ReadBuf`).
    ///
    /// # Errors
    ///
    /// As [`try_recv`](Self::try_recv), `WouldBlock` excepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use chronia::net::UdpSocket;
    /// chronia::block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(a.local_addr()?).await?;
    ///     a.send(b"hi").await?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(poll_fn(|cx| a.poll_recv(cx, &mut buf)).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        datagram::poll_recv(&self.io, cx, buf)
    }

    /// Polls receiving one datagram and its sender; gives the length and
    /// the sender (tokio gives only the sender, the length being in its
    /// `ReadBuf`).
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
    ///     let a = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"hi", a.local_addr()?).await?;
    ///     let mut buf = [0; 8];
    ///     let (n, from) = poll_fn(|cx| a.poll_recv_from(cx, &mut buf)).await?;
    ///     assert_eq!((n, from), (2, a.local_addr()?));
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

    /// Waits for a datagram and copies it into `buf` without taking it:
    /// the next receive gets it again. Gives its length (at most
    /// `buf.len()`) and sender.
    ///
    /// # Errors
    ///
    /// The kernel's error from `recvfrom(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let a = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"hi", a.local_addr()?).await?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(a.peek_from(&mut buf).await?.0, 2);
    ///     assert_eq!(a.recv_from(&mut buf).await?.0, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|s| s.peek_from(buf)).await
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
    ///     let a = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"hi", b.local_addr()?).await?;
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
    /// `buf`, as [`try_recv_buf`](UdpSocket::try_recv_buf) does.
    ///
    /// # Errors
    ///
    /// The kernel's error from `read(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let a = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"hi", b.local_addr()?).await?;
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
