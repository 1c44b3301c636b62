//! [`UdpSocket`]: UDP datagrams.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use crate::io::Async;
use crate::net::ToSocketAddrs;
use crate::net::lookup::resolve;

mod options;
mod ready;

/// A UDP socket.
///
/// Unconnected, it sends to and receives from any address
/// ([`send_to`](Self::send_to), [`recv_from`](Self::recv_from)); after
/// [`connect`](Self::connect) it talks to one peer ([`send`](Self::send),
/// [`recv`](Self::recv)) and the kernel drops datagrams from others. All
/// methods take `&self`: one task can receive while another sends.
///
/// # Examples
///
/// ```
/// use chronia::net::UdpSocket;
///
/// chronia::block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"hello", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!(&buf[..n], b"hello");
///     assert_eq!(from, a.local_addr()?);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    io: Async<std::net::UdpSocket>,
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UdpSocket");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl UdpSocket {
    /// Binds a socket to `addr`, trying each address it resolves to until
    /// one works. Bind to port 0 for a free port.
    ///
    /// # Errors
    ///
    /// The last address's error from `socket(2)` or `bind(2)`; the
    /// resolver's error; `InvalidInput` if `addr` names no address.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_ne!(socket.local_addr()?.port(), 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        // bind(2) never blocks; std makes the socket close-on-exec. A host
        // name is resolved on the blocking pool first.
        let addrs: Vec<SocketAddr> = resolve(addr).await?.collect();
        UdpSocket::from_std(std::net::UdpSocket::bind(&addrs[..])?)
    }

    /// Sets the default peer: [`send`](Self::send) goes there and only its
    /// datagrams are received. Connecting a UDP socket sends nothing.
    ///
    /// # Errors
    ///
    /// The kernel's error from `connect(2)` for each address (the last is
    /// returned); the resolver's error; `InvalidInput` if `addr` names no
    /// address.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::UdpSocket;
    /// chronia::block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.peer_addr()?, b.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        // connect(2) on a datagram socket only records the peer.
        let addrs: Vec<SocketAddr> = resolve(addr).await?.collect();
        self.io.get_ref().connect(&addrs[..])
    }

    /// Sends one datagram to `target` (its first address); waits while the
    /// send buffer is full. Returns the bytes sent: all of `buf`.
    ///
    /// # Errors
    ///
    /// The kernel's error from `sendto(2)` (`EMSGSIZE` for a datagram too
    /// large, `ConnectionRefused` when an earlier datagram was refused);
    /// the resolver's error; `InvalidInput` if `target` names no address.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::UdpSocket;
    /// chronia::block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(a.send_to(b"hi", b.local_addr()?).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        // `resolve` gives at least one address; send to the first.
        let mut addrs = resolve(target).await?;
        let Some(target) = addrs.next() else {
            return Err(io::ErrorKind::InvalidInput.into());
        };
        self.io.write_with(|s| s.send_to(buf, target)).await
    }

    /// Waits for one datagram and reads it into `buf`; returns its length
    /// and sender. Bytes beyond `buf.len()` are lost.
    ///
    /// # Errors
    ///
    /// The kernel's error from `recvfrom(2)`.
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
    ///     let (n, from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr()?));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
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
    /// use chronia::net::UdpSocket;
    /// chronia::block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
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
    /// The kernel's error from `recv(2)` (`ConnectionRefused` when an
    /// earlier datagram to the peer was refused).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::UdpSocket;
    /// chronia::block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send(b"hi").await?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(b.recv(&mut buf).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|s| s.recv(buf)).await
    }

    /// The address the socket is bound to.
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.local_addr()?.ip().is_loopback());
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
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
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
    ///     let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     let socket = chronia::net::UdpSocket::from_std(std_socket)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
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
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let std_socket: std::net::UdpSocket = socket.into_std();
    ///     std_socket.set_nonblocking(false)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::net::UdpSocket {
        self.io.into_inner()
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// As [`UdpSocket::from_std`].
    #[track_caller]
    fn try_from(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(socket)
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}
