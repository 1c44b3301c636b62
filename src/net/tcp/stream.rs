//! [`TcpStream`]: a TCP connection.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::io::Async;
use crate::net::{ToSocketAddrs, lookup::resolve, stream};
use crate::sys::net::{Connect, RawAddr, connect_stream};

/// A TCP connection.
///
/// Reads and writes take `&self`; `TcpStream` and `&TcpStream` implement
/// [`futures_io::AsyncRead`] and [`futures_io::AsyncWrite`], so the stream
/// works with generic code (`futures_lite::io::copy`, codecs) and can be
/// read by one task while another writes (see [the module
/// docs](crate::net#sharing-a-stream-between-tasks)).
/// [`poll_close`](futures_io::AsyncWrite::poll_close) shuts down the write
/// side: the peer reads end-of-file.
///
/// # Examples
///
/// ```
/// use chronia::net::{TcpListener, TcpStream};
///
/// chronia::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server, _) = listener.accept().await?;
///     client.write_all(b"hello").await?;
///     let mut buf = [0; 5];
///     let mut got = 0;
///     while got < buf.len() {
///         got += server.read(&mut buf[got..]).await?;
///     }
///     assert_eq!(&buf, b"hello");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpStream {
    io: Async<std::net::TcpStream>,
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpStream");
        if let Ok(addr) = self.local_addr() {
            d.field("local", &addr);
        }
        if let Ok(addr) = self.peer_addr() {
            d.field("peer", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl TcpStream {
    /// Connects to `addr`, trying each address it resolves to in turn
    /// until one accepts. The connect does not block the runtime: a host
    /// name is resolved on the blocking pool (see
    /// [`lookup_host`](crate::net::lookup_host)), the
    /// socket is made non-blocking and close-on-exec, `connect(2)` starts
    /// the handshake, and the task waits until the socket is writable.
    /// There is no built-in deadline; wrap the call in
    /// [`timeout`](crate::time::timeout).
    ///
    /// # Errors
    ///
    /// The last address's error: `ConnectionRefused` when nothing listens,
    /// `TimedOut`, `HostUnreachable`, ... as the kernel reports them; the
    /// resolver's error; `InvalidInput` if `addr` names no address.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last = None;
        for addr in resolve(addr).await? {
            match TcpStream::connect_addr(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("resolve gives at least one address"))
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let (fd, state) = connect_stream(&RawAddr::from_ip(&addr))?;
        TcpStream::finish_connect(fd, state).await
    }

    /// Waits for the handshake that a non-blocking `connect(2)` on `fd`
    /// started (also used by `TcpSocket::connect`).
    pub(crate) async fn finish_connect(
        fd: std::os::fd::OwnedFd,
        state: Connect,
    ) -> io::Result<TcpStream> {
        let stream = TcpStream::from_std(std::net::TcpStream::from(fd))?;
        if state == Connect::InProgress {
            // Writable means done, one way or the other: SO_ERROR says
            // which. A socket still connecting (a spurious or early report)
            // has no peer yet; `WouldBlock` waits for the next report.
            stream
                .io
                .write_with(|s| match s.take_error()? {
                    Some(e) => Err(e),
                    None => match s.peer_addr() {
                        Ok(_) => Ok(()),
                        Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                            Err(io::ErrorKind::WouldBlock.into())
                        }
                        Err(e) => Err(e),
                    },
                })
                .await?;
        }
        Ok(stream)
    }

    /// Reads into `buf`; waits until at least one byte or end-of-file
    /// arrives. `Ok(0)` means the peer shut down its write side (or `buf`
    /// is empty).
    ///
    /// # Errors
    ///
    /// The kernel's error from `read(2)`: `ConnectionReset` when the peer
    /// aborted the connection, ...
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"x").await?;
    ///     let mut buf = [0; 16];
    ///     assert_eq!(server.read(&mut buf).await?, 1);
    ///     drop(client);
    ///     assert_eq!(server.read(&mut buf).await?, 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        stream::read(&self.io, buf)
    }

    /// Writes some of `buf`; waits until the socket takes at least one byte.
    /// Returns how many it took.
    ///
    /// # Errors
    ///
    /// The kernel's error from `write(2)`: `BrokenPipe` after the write
    /// side was shut down or the peer closed, `ConnectionReset`, ...
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(client.write(b"abc").await?, 3);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        stream::write(&self.io, buf)
    }

    /// Writes all of `buf`, waiting for room as often as needed. If the
    /// future is dropped early, an unknown prefix of `buf` has been sent.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write); `WriteZero` if the socket took no byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.write_all(b"all of it").await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        stream::write_all(&self.io, buf).await
    }

    /// Shuts down the read side, the write side, or both. After
    /// `Shutdown::Write` the peer reads end-of-file, and this side can still
    /// read what the peer sends. Shutting down the write side of a
    /// connection the peer has reset succeeds: nothing can be sent any more
    /// either way (tokio does the same; so does
    /// [`poll_close`](futures_io::AsyncWrite::poll_close)).
    ///
    /// # Errors
    ///
    /// The kernel's error from `shutdown(2)` (`NotConnected` for
    /// `Shutdown::Read` or `Both` after a reset).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.shutdown(Shutdown::Write)?;
    ///     assert_eq!(server.read(&mut [0; 8]).await?, 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        stream::shutdown(&self.io, how)
    }

    /// Sets `TCP_NODELAY`: with `true`, small writes go out at once instead
    /// of waiting (Nagle's algorithm) to be merged with later ones.
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_nodelay(true)?;
    ///     assert!(stream.nodelay()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set; see [`set_nodelay`](Self::set_nodelay).
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(!stream.nodelay()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `SO_LINGER`. `Some(Duration::ZERO)` makes dropping the stream
    /// abort the connection: the peer gets a reset (`ConnectionReset`)
    /// instead of end-of-file. `Some(d)` with `d > 0` would make the close
    /// block up to `d`, seconds that the runtime cannot spend; do not use it
    /// here (the kernel counts whole seconds: a fraction is rounded up,
    /// never down to the abortive zero). `None` (the default) closes in the
    /// background.
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_linger(Some(Duration::ZERO))?;
    ///     assert_eq!(stream.linger()?, Some(Duration::ZERO));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        crate::sys::net::set_linger(self.as_fd(), linger)
    }

    /// `SO_LINGER`, as [`set_linger`](Self::set_linger) takes it.
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.linger()?, None);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        crate::sys::net::linger(self.as_fd())
    }

    /// Sets `IP_TTL`: how many hops the connection's packets may take.
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)` (`InvalidInput` for 0 or
    /// more than 255).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_ttl(42)?;
    ///     assert_eq!(stream.ttl()?, 42);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// `IP_TTL`; see [`set_ttl`](Self::set_ttl).
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(stream.ttl()? > 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// The address of the peer.
    ///
    /// # Errors
    ///
    /// The kernel's error from `getpeername(2)` (`NotConnected`).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address of the connection.
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(stream.local_addr()?.ip().is_loopback());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Wraps a connected std stream: puts it in non-blocking mode and
    /// registers it with the current runtime.
    ///
    /// # Errors
    ///
    /// The kernel's error from `ioctl(FIONBIO)` or `epoll_ctl(2)`;
    /// `AlreadyExists` if the fd is registered with this runtime already.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    ///     let stream = chronia::net::TcpStream::from_std(std_stream)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: Async::new(stream)?,
        })
    }

    /// Deregisters the stream and gives back the std stream, still in
    /// non-blocking mode (call `set_nonblocking(false)` for blocking use).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let std_stream: std::net::TcpStream = stream.into_std();
    ///     std_stream.set_nonblocking(false)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::net::TcpStream {
        self.io.into_inner()
    }
}

stream::byte_stream_methods!(
    TcpStream,
    "let listener = chronia::net::TcpListener::bind(\"127.0.0.1:0\").await?;\n\
     let a = chronia::net::TcpStream::connect(listener.local_addr()?).await?;\n\
     let (b, _) = listener.accept().await?;"
);

impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;

    /// As [`TcpStream::from_std`].
    #[track_caller]
    fn try_from(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(stream)
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl futures_io::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream::poll_read(&self.io, cx, buf)
    }
}

impl futures_io::AsyncRead for &TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream::poll_read(&self.io, cx, buf)
    }
}

impl futures_io::AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        stream::poll_write(&self.io, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Bytes written are in the kernel already; nothing is buffered here.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(stream::shutdown(&self.io, Shutdown::Write))
    }
}

impl futures_io::AsyncWrite for &TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        stream::poll_write(&self.io, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(stream::shutdown(&self.io, Shutdown::Write))
    }
}
