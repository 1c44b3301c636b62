//! [`UnixListener`]: accepts Unix-domain stream connections.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll, ready};

use super::UnixStream;
use crate::io::Async;

/// A Unix-domain stream socket listening for connections.
///
/// Dropping the listener closes it but leaves its path in the file system,
/// as std does: remove it when done, or before binding again.
///
/// # Examples
///
/// ```
/// use chronia::net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("chronia-doc-ul-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("sock");
/// chronia::block_on(async {
///     let listener = UnixListener::bind(&path)?;
///     let client = UnixStream::connect(&path).await?;
///     let (server, _peer) = listener.accept().await?;
///     client.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     assert_eq!(server.read(&mut buf).await?, 2);
///     Ok::<(), std::io::Error>(())
/// })?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    io: Async<std::os::unix::net::UnixListener>,
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UnixListener");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl UnixListener {
    /// Creates a socket file at `path` and listens on it.
    ///
    /// # Errors
    ///
    /// The kernel's error from `socket(2)`, `bind(2)` or `listen(2)`:
    /// `AddrInUse` if `path` exists (even as a stale socket file),
    /// `NotFound` if its directory does not; `InvalidInput` if `path` is
    /// empty, too long for a socket address (107 bytes) or holds a NUL (a
    /// leading NUL, Linux's abstract namespace, goes through
    /// [`bind_addr`](Self::bind_addr)).
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-ulb-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// chronia::block_on(async {
    ///     let listener = chronia::net::UnixListener::bind(dir.join("sock"))?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        // Checked first for a clear error (std's names no path): a NUL, an
        // abstract name passed as a path, a path too long.
        crate::sys::net::RawAddr::from_path(path.as_ref())?;
        // bind(2) and listen(2) never block; std makes the socket
        // close-on-exec and listens with the kernel's maximum backlog.
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// Listens at `addr`: a path, or on Linux an abstract name
    /// (`SocketAddrExt::from_abstract_name`), which creates no file and is
    /// gone when the listener closes.
    ///
    /// # Errors
    ///
    /// The kernel's error from `socket(2)`, `bind(2)` or `listen(2)`:
    /// `AddrInUse` if the name is taken, `InvalidInput` for an unnamed
    /// address.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// chronia::block_on(async {
    ///     let name = format!("chronia-doc-bind-{}", std::process::id());
    ///     let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    ///     let listener = chronia::net::UnixListener::bind_addr(&addr)?;
    ///     assert_eq!(listener.local_addr()?.as_abstract_name(), Some(name.as_bytes()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        if addr.is_unnamed() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot listen at an unnamed Unix socket address",
            ));
        }
        UnixListener::from_std(std::os::unix::net::UnixListener::bind_addr(addr)?)
    }

    /// Waits for a connection and accepts it. The new stream is
    /// close-on-exec, non-blocking and registered with the current runtime.
    ///
    /// # Errors
    ///
    /// The kernel's error from `accept4(2)`, unchanged (`EMFILE`,
    /// `ENFILE`, ...); as for [`TcpListener::accept`](crate::net::TcpListener::accept),
    /// none of them breaks the listener.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{UnixListener, UnixStream};
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-ula-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// chronia::block_on(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let (_stream, peer) = listener.accept().await?;
    ///     assert!(peer.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = self
            .io
            .read_with(std::os::unix::net::UnixListener::accept)
            .await?;
        Ok((UnixStream::from_std(stream)?, addr))
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
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use chronia::net::{UnixListener, UnixStream};
    /// chronia::block_on(async {
    ///     let name = format!("chronia-doc-poll-accept-{}", std::process::id());
    ///     let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    ///     let listener = UnixListener::bind_addr(&addr)?;
    ///     let _client = UnixStream::connect_addr(&addr).await?;
    ///     let (_stream, _peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (stream, addr) = ready!(
            self.io
                .poll_read_with(cx, std::os::unix::net::UnixListener::accept)
        )?;
        Poll::Ready(Ok((UnixStream::from_std(stream)?, addr)))
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
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-ull-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// chronia::block_on(async {
    ///     let listener = chronia::net::UnixListener::bind(dir.join("sock"))?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(dir.join("sock").as_path()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
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
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-ulf-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// chronia::block_on(async {
    ///     let std_listener = std::os::unix::net::UnixListener::bind(dir.join("sock"))?;
    ///     let listener = chronia::net::UnixListener::from_std(std_listener)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Async::new(listener)?,
        })
    }

    /// Deregisters the listener and gives back the std listener, still in
    /// non-blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-uli-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// chronia::block_on(async {
    ///     let listener = chronia::net::UnixListener::bind(dir.join("sock"))?;
    ///     let std_listener = listener.into_std();
    ///     std_listener.set_nonblocking(false)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::os::unix::net::UnixListener {
        self.io.into_inner()
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// As [`UnixListener::from_std`].
    #[track_caller]
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_std(listener)
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}
