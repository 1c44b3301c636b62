//! [`UnixDatagram`]: Unix-domain datagrams.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::io::Async;

mod peek;
mod ready;

/// A Unix-domain datagram socket.
///
/// Datagrams keep their boundaries and, unlike UDP, are never lost or
/// reordered: a full receiver makes the sender wait. All methods take
/// `&self`.
///
/// # Examples
///
/// ```
/// use chronia::net::UnixDatagram;
///
/// chronia::block_on(async {
///     let (a, b) = UnixDatagram::pair()?;
///     a.send(b"one").await?;
///     a.send(b"two").await?;
///     let mut buf = [0; 16];
///     assert_eq!(b.recv(&mut buf).await?, 3);
///     assert_eq!(&buf[..3], b"one");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    io: Async<std::os::unix::net::UnixDatagram>,
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UnixDatagram");
        if let Ok(addr) = self.local_addr() {
            d.field("local", &addr);
        }
        if let Ok(addr) = self.peer_addr() {
            d.field("peer", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl UnixDatagram {
    /// Creates a socket file at `path` and binds a datagram socket to it.
    /// Dropping the socket leaves the file, as std does.
    ///
    /// # Errors
    ///
    /// The kernel's error from `socket(2)` or `bind(2)` (`AddrInUse` if
    /// `path` exists); `InvalidInput` if `path` is too long.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-udb-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UnixDatagram::bind(dir.join("sock"))?;
    ///     assert!(socket.local_addr()?.as_pathname().is_some());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// A datagram socket bound to no address: it can send, and receive
    /// replies only once connected (peers cannot address it otherwise).
    ///
    /// # Errors
    ///
    /// The kernel's error from `socket(2)`, `fcntl(2)` or `epoll_ctl(2)`.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UnixDatagram::unbound()?;
    ///     assert!(socket.local_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of unnamed datagram sockets (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// The kernel's error from `socketpair(2)`, `fcntl(2)` or `epoll_ctl(2)`.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixDatagram::pair()?;
    ///     b.send(b"x").await?;
    ///     assert_eq!(a.recv(&mut [0; 4]).await?, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Sets the default peer: [`send`](Self::send) goes to `path`, and only
    /// its datagrams are received. Never blocks.
    ///
    /// # Errors
    ///
    /// The kernel's error from `connect(2)` (`NotFound`,
    /// `ConnectionRefused` if no socket is bound at `path`).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::UnixDatagram;
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-udc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// chronia::block_on(async {
    ///     let server = UnixDatagram::bind(dir.join("sock"))?;
    ///     let client = UnixDatagram::unbound()?;
    ///     client.connect(dir.join("sock"))?;
    ///     client.send(b"hi").await?;
    ///     assert_eq!(server.recv(&mut [0; 4]).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        // connect(2) on a datagram socket only records the peer.
        self.io.get_ref().connect(path)
    }

    /// Sends one datagram to the socket at `path`; waits while the
    /// receiver's queue is full. Returns the bytes sent: all of `buf`.
    ///
    /// # Errors
    ///
    /// The kernel's error from `sendto(2)` (`NotFound`,
    /// `ConnectionRefused`, `EMSGSIZE`).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::UnixDatagram;
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-uds-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// chronia::block_on(async {
    ///     let server = UnixDatagram::bind(dir.join("sock"))?;
    ///     let client = UnixDatagram::unbound()?;
    ///     assert_eq!(client.send_to(b"hi", dir.join("sock")).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.write_with(|s| s.send_to(buf, path)).await
    }

    /// Waits for one datagram and reads it into `buf`; returns its length
    /// and sender (unnamed if the sender is not bound). Bytes beyond
    /// `buf.len()` are lost.
    ///
    /// # Errors
    ///
    /// The kernel's error from `recvfrom(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::UnixDatagram;
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-udr-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// chronia::block_on(async {
    ///     let server = UnixDatagram::bind(dir.join("sock"))?;
    ///     let client = UnixDatagram::unbound()?;
    ///     client.send_to(b"hi", dir.join("sock")).await?;
    ///     let mut buf = [0; 8];
    ///     let (n, from) = server.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hi");
    ///     assert!(from.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|s| s.recv_from(buf)).await
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](Self::connect); otherwise as
    /// [`send_to`](Self::send_to).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixDatagram::pair()?;
    ///     assert_eq!(a.send(b"hi").await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|s| s.send(buf)).await
    }

    /// Waits for one datagram from the connected peer and reads it into
    /// `buf`; returns its length.
    ///
    /// # Errors
    ///
    /// The kernel's error from `recv(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixDatagram::pair()?;
    ///     a.send(b"hi").await?;
    ///     assert_eq!(b.recv(&mut [0; 8]).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|s| s.recv(buf)).await
    }

    /// The address the socket is bound to (unnamed if it is not).
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixDatagram::pair()?;
    ///     assert!(a.local_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](Self::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UnixDatagram::unbound()?;
    ///     assert!(socket.peer_addr().is_err());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Wraps a std socket: puts it in non-blocking mode and registers it
    /// with the current runtime.
    ///
    /// # Errors
    ///
    /// The kernel's error from `fcntl(2)` or `epoll_ctl(2)`;
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
    ///     let std_socket = std::os::unix::net::UnixDatagram::unbound()?;
    ///     let socket = chronia::net::UnixDatagram::from_std(std_socket)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Async::new(socket)?,
        })
    }

    /// Deregisters the socket and gives back the std socket, still in
    /// non-blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UnixDatagram::unbound()?;
    ///     let std_socket = socket.into_std();
    ///     std_socket.set_nonblocking(false)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::os::unix::net::UnixDatagram {
        self.io.into_inner()
    }
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// As [`UnixDatagram::from_std`].
    #[track_caller]
    fn try_from(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(socket)
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}
