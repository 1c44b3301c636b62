//! [`UnixStream`]: a Unix-domain stream connection.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::io::Async;
use crate::net::stream;
use crate::sys::net::{Connect, RawAddr, connect_stream};

/// A Unix-domain stream connection.
///
/// Like [`TcpStream`](crate::net::TcpStream): reads and writes take
/// `&self`, `UnixStream` and `&UnixStream` implement
/// [`futures_io::AsyncRead`] and [`futures_io::AsyncWrite`], and
/// [`poll_close`](futures_io::AsyncWrite::poll_close) shuts down the write
/// side.
///
/// # Examples
///
/// ```
/// use chronia::net::UnixStream;
///
/// chronia::block_on(async {
///     let (a, b) = UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     assert_eq!(b.read(&mut buf).await?, 4);
///     assert_eq!(&buf, b"ping");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixStream {
    io: Async<std::os::unix::net::UnixStream>,
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UnixStream");
        if let Ok(addr) = self.local_addr() {
            d.field("local", &addr);
        }
        if let Ok(addr) = self.peer_addr() {
            d.field("peer", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl UnixStream {
    /// Connects to the socket at `path` without blocking the runtime: the
    /// socket is non-blocking and close-on-exec from birth.
    ///
    /// # Errors
    ///
    /// The kernel's error from `socket(2)` or `connect(2)`:
    /// `ConnectionRefused` if nothing listens at `path` any more,
    /// `NotFound` if it does not exist, `WouldBlock` if the listener's
    /// backlog is full (Linux refuses at once rather than queueing a
    /// non-blocking connect); `InvalidInput` if `path` is empty, holds a
    /// NUL or is longer than 107 bytes (a leading NUL, Linux's abstract
    /// namespace, goes through [`connect_addr`](Self::connect_addr)).
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{UnixListener, UnixStream};
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-usc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// chronia::block_on(async {
    ///     let _listener = UnixListener::bind(&path)?;
    ///     let stream = UnixStream::connect(&path).await?;
    ///     assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        UnixStream::connect_raw(&RawAddr::from_path(path.as_ref())?).await
    }

    /// Connects to the socket at `addr`: a path, or on Linux an abstract
    /// name (`SocketAddrExt::from_abstract_name`), which lives in no file
    /// system and disappears with its last socket. Otherwise as
    /// [`connect`](Self::connect).
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect); `InvalidInput` if `addr` is unnamed.
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
    /// use chronia::net::{UnixListener, UnixStream};
    /// chronia::block_on(async {
    ///     let name = format!("chronia-doc-{}", std::process::id());
    ///     let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    ///     let listener = UnixListener::bind_addr(&addr)?;
    ///     let client = UnixStream::connect_addr(&addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"x").await?;
    ///     assert_eq!(server.read(&mut [0; 1]).await?, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        use std::os::linux::net::SocketAddrExt;
        let raw = if let Some(name) = addr.as_abstract_name() {
            RawAddr::from_abstract(name)?
        } else if let Some(path) = addr.as_pathname() {
            RawAddr::from_path(path)?
        } else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an unnamed Unix socket address cannot be connected to",
            ));
        };
        UnixStream::connect_raw(&raw).await
    }

    async fn connect_raw(addr: &RawAddr) -> io::Result<UnixStream> {
        let (fd, state) = connect_stream(addr)?;
        let stream = UnixStream::from_std(std::os::unix::net::UnixStream::from(fd))?;
        if state == Connect::InProgress {
            // Linux completes Unix connects at once; should a kernel not,
            // the protocol is TCP's: writable, then SO_ERROR.
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

    /// A connected pair of unnamed streams (`socketpair(2)`), both
    /// registered with the current runtime.
    ///
    /// # Errors
    ///
    /// The kernel's error from `socketpair(2)`, `ioctl(FIONBIO)` or `epoll_ctl(2)`.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixStream::pair()?;
    ///     b.write_all(b"x").await?;
    ///     assert_eq!(a.read(&mut [0; 1]).await?, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        // std's pair is close-on-exec.
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Reads into `buf`; waits until at least one byte or end-of-file
    /// arrives. `Ok(0)` means the peer shut down its write side (or `buf`
    /// is empty).
    ///
    /// # Errors
    ///
    /// The kernel's error from `read(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixStream::pair()?;
    ///     drop(b);
    ///     assert_eq!(a.read(&mut [0; 8]).await?, 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        stream::read(&self.io, buf)
    }

    /// Writes some of `buf`; waits until the socket takes at least one byte.
    ///
    /// # Errors
    ///
    /// The kernel's error from `write(2)` (`BrokenPipe` after the peer
    /// closed).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     assert_eq!(a.write(b"abc").await?, 3);
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
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     a.write_all(b"all of it").await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        stream::write_all(&self.io, buf).await
    }

    /// Shuts down the read side, the write side, or both. As for TCP,
    /// `NotConnected` from shutting down the write side counts as success.
    ///
    /// # Errors
    ///
    /// The kernel's error from `shutdown(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixStream::pair()?;
    ///     a.shutdown(Shutdown::Write)?;
    ///     assert_eq!(b.read(&mut [0; 8]).await?, 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        stream::shutdown(&self.io, how)
    }

    /// The address of the peer (unnamed for a [`pair`](Self::pair) or a
    /// client that did not bind).
    ///
    /// # Errors
    ///
    /// The kernel's error from `getpeername(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     assert!(a.peer_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     assert!(a.local_addr()?.is_unnamed());
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
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    ///     let a = chronia::net::UnixStream::from_std(a)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: Async::new(stream)?,
        })
    }

    /// Deregisters the stream and gives back the std stream, still in
    /// non-blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     let a = a.into_std();
    ///     a.set_nonblocking(false)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::os::unix::net::UnixStream {
        self.io.into_inner()
    }
}

impl UnixStream {
    /// The credentials of the peer process, recorded by the kernel when the
    /// stream was connected (`SO_PEERCRED`).
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     let cred = a.peer_cred()?;
    ///     assert_eq!(cred.pid(), Some(std::process::id() as i32));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_cred(&self) -> io::Result<super::UCred> {
        let (pid, uid, gid) = crate::sys::net::peer_cred(self.as_fd())?;
        Ok(super::UCred {
            pid: (pid > 0).then_some(pid),
            uid,
            gid,
        })
    }
}

stream::byte_stream_methods!(
    UnixStream,
    "let (a, b) = chronia::net::UnixStream::pair()?;"
);

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// As [`UnixStream::from_std`].
    #[track_caller]
    fn try_from(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(stream)
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl futures_io::AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream::poll_read(&self.io, cx, buf)
    }
}

impl futures_io::AsyncRead for &UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream::poll_read(&self.io, cx, buf)
    }
}

impl futures_io::AsyncWrite for UnixStream {
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

impl futures_io::AsyncWrite for &UnixStream {
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
