//! [`TcpListener`]: accepts TCP connections.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll, ready};

use super::TcpStream;
use crate::io::Async;

/// The backlog of [`TcpListener::bind`], as tokio's.
const BACKLOG: i32 = 1024;

/// A TCP socket listening for connections.
///
/// # Examples
///
/// ```
/// use chronia::net::{TcpListener, TcpStream};
///
/// chronia::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = TcpStream::connect(addr).await?;
///     let (server, peer) = listener.accept().await?;
///     assert_eq!(peer, client.local_addr()?);
///     assert_eq!(server.peer_addr()?, client.local_addr()?);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    io: Async<std::net::TcpListener>,
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpListener");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl TcpListener {
    /// Binds a listener to `addr`, trying each address it resolves to until
    /// one works. `SO_REUSEADDR` is set (by std), so a server can bind again
    /// at once to a port whose old connections linger in `TIME_WAIT`. Bind
    /// to port 0 for a free port, then ask [`local_addr`](Self::local_addr).
    ///
    /// The backlog (connections the kernel completes before `accept` takes
    /// them) is 1024, as tokio's, capped by the kernel at
    /// `net.core.somaxconn`; a burst beyond it waits for the clients' SYN
    /// retransmits (a second or more). For another backlog, make the
    /// listener yourself (`listen(2)` with your backlog) and hand it to
    /// [`from_std`](Self::from_std), which keeps it.
    ///
    /// # Errors
    ///
    /// The last address's error from `socket(2)`, `bind(2)` or `listen(2)`
    /// (`AddrInUse`, `PermissionDenied` for a low port); the resolver's
    /// error; `InvalidInput` if `addr` names no address.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let listener = chronia::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     assert_ne!(listener.local_addr()?.port(), 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[expect(
        clippy::unused_async,
        reason = "async as in tokio, so that resolving names off the thread later keeps the signature"
    )]
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        // bind(2) and listen(2) never block; std makes the socket
        // close-on-exec and sets SO_REUSEADDR. std listens with a backlog
        // of 128; a second listen(2) raises it.
        let listener = std::net::TcpListener::bind(addr)?;
        crate::sys::net::listen(listener.as_fd(), BACKLOG)?;
        TcpListener::from_std(listener)
    }

    /// Waits for a connection and accepts it. The new stream is
    /// close-on-exec (std uses `accept4(SOCK_CLOEXEC)`), non-blocking, and
    /// registered with the current runtime.
    ///
    /// # Errors
    ///
    /// The kernel's error from `accept4(2)`, unchanged, among them `EMFILE`
    /// and `ENFILE` (out of file descriptors) and `ECONNABORTED`. None of
    /// them breaks the listener: a connection the kernel could not hand
    /// over stays queued, and the next `accept` tries again at once, so a
    /// server should report the error, back off briefly after `EMFILE` /
    /// `ENFILE` (until some fd is closed), and accept again.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_stream, _peer) = listener.accept().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        // An error other than WouldBlock leaves readiness set (see the
        // `io` protocol): after EMFILE the queued connection is tried again
        // by the next call instead of waiting for an edge that never comes.
        let (stream, addr) = self.io.read_with(std::net::TcpListener::accept).await?;
        Ok((TcpStream::from_std(stream)?, addr))
    }

    /// Polls for a connection, by the rules of [`accept`](Self::accept).
    ///
    /// # Errors
    ///
    /// As [`accept`](Self::accept).
    ///
    /// # Panics
    ///
    /// When polled under a runtime other than the listener's.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use chronia::net::{TcpListener, TcpStream};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_stream, _peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, addr) = ready!(self.io.poll_read_with(cx, std::net::TcpListener::accept))?;
        Poll::Ready(Ok((TcpStream::from_std(stream)?, addr)))
    }

    /// Sets `IP_TTL` on the listener; accepted connections inherit it.
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)` (`InvalidInput` for 0 or
    /// more than 255).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let listener = chronia::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     listener.set_ttl(33)?;
    ///     assert_eq!(listener.ttl()?, 33);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// `IP_TTL` of the listener; see [`set_ttl`](Self::set_ttl).
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let listener = chronia::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     assert!(listener.ttl()? > 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let listener = chronia::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     assert!(listener.local_addr()?.ip().is_loopback());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Wraps a std listener: puts it in non-blocking mode and registers it
    /// with the current runtime.
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
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let listener = chronia::net::TcpListener::from_std(std_listener)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: Async::new(listener)?,
        })
    }

    /// Deregisters the listener and gives back the std listener, still in
    /// non-blocking mode (call `set_nonblocking(false)` for blocking use).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let listener = chronia::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let std_listener: std::net::TcpListener = listener.into_std();
    ///     std_listener.set_nonblocking(false)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::net::TcpListener {
        self.io.into_inner()
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// As [`TcpListener::from_std`].
    #[track_caller]
    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(listener)
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}
