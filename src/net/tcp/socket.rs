//! [`TcpSocket`]: a TCP socket not yet connected or listening, to set
//! options before it becomes a [`TcpStream`] or a [`TcpListener`].

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::net::{TcpListener, TcpStream};
use crate::sys::net::RawAddr;
use crate::sys::socket::{self, Family, IntOption};

/// A TCP socket that has not yet been turned into a [`TcpStream`] or a
/// [`TcpListener`]: set its options (`SO_REUSEPORT`, buffer sizes, ...),
/// optionally [`bind`](Self::bind) it, then [`connect`](Self::connect) or
/// [`listen`](Self::listen). As tokio's `TcpSocket`.
///
/// The socket is non-blocking and close-on-exec from birth. It is not
/// registered with a runtime until it becomes a stream or a listener, so
/// it can be made outside one.
///
/// # Examples
///
/// ```
/// use chronia::net::TcpSocket;
///
/// chronia::block_on(async {
///     let socket = TcpSocket::new_v4()?;
///     socket.set_reuseaddr(true)?;
///     socket.bind("127.0.0.1:0".parse().expect("literal"))?;
///     let listener = socket.listen(128)?;
///
///     let client = TcpSocket::new_v4()?.connect(listener.local_addr()?).await?;
///     let (_server, peer) = listener.accept().await?;
///     assert_eq!(peer, client.local_addr()?);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpSocket {
    fd: OwnedFd,
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket")
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}

/// Setters and getters of the `int` options, written once.
macro_rules! flag_option {
    ($(#[$set_doc:meta])* $set:ident, $(#[$get_doc:meta])* $get:ident, $opt:expr) => {
        $(#[$set_doc])*
        pub fn $set(&self, on: bool) -> io::Result<()> {
            socket::set_int_option(self.fd.as_fd(), $opt, libc::c_int::from(on))
        }

        $(#[$get_doc])*
        pub fn $get(&self) -> io::Result<bool> {
            Ok(socket::int_option(self.fd.as_fd(), $opt)? != 0)
        }
    };
}

macro_rules! size_option {
    ($(#[$set_doc:meta])* $set:ident, $(#[$get_doc:meta])* $get:ident, $opt:expr) => {
        $(#[$set_doc])*
        pub fn $set(&self, size: u32) -> io::Result<()> {
            let value = libc::c_int::try_from(size).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("buffer size {size} is larger than {}", libc::c_int::MAX),
                )
            })?;
            socket::set_int_option(self.fd.as_fd(), $opt, value)
        }

        $(#[$get_doc])*
        pub fn $get(&self) -> io::Result<u32> {
            let value = socket::int_option(self.fd.as_fd(), $opt)?;
            Ok(u32::try_from(value).expect("the kernel reports buffer sizes as non-negative"))
        }
    };
}

impl TcpSocket {
    /// Creates an IPv4 TCP socket.
    ///
    /// # Errors
    ///
    /// The kernel's error from `socket(2)` (`EMFILE`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = chronia::net::TcpSocket::new_v4()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new_v4() -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            fd: socket::tcp_socket(Family::V4)?,
        })
    }

    /// Creates an IPv6 TCP socket.
    ///
    /// # Errors
    ///
    /// The kernel's error from `socket(2)` (`EAFNOSUPPORT` without IPv6).
    ///
    /// # Examples
    ///
    /// ```
    /// if let Ok(socket) = chronia::net::TcpSocket::new_v6() {
    ///     socket.set_nodelay(true)?;
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new_v6() -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            fd: socket::tcp_socket(Family::V6)?,
        })
    }

    flag_option!(
        /// Sets `SO_REUSEADDR`: bind to a port whose old connections still
        /// linger in `TIME_WAIT`.
        ///
        /// # Errors
        ///
        /// The kernel's error from `setsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// socket.set_reuseaddr(true)?;
        /// assert!(socket.reuseaddr()?);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        set_reuseaddr,
        /// Whether `SO_REUSEADDR` is set.
        ///
        /// # Errors
        ///
        /// The kernel's error from `getsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// assert!(!socket.reuseaddr()?);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        reuseaddr,
        IntOption::ReuseAddr
    );

    flag_option!(
        /// Sets `SO_REUSEPORT`: several sockets (of the same user), each
        /// with it set, may bind the same address and port; the kernel
        /// spreads incoming connections over their listeners.
        ///
        /// # Errors
        ///
        /// The kernel's error from `setsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// socket.set_reuseport(true)?;
        /// assert!(socket.reuseport()?);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        set_reuseport,
        /// Whether `SO_REUSEPORT` is set.
        ///
        /// # Errors
        ///
        /// The kernel's error from `getsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// assert!(!socket.reuseport()?);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        reuseport,
        IntOption::ReusePort
    );

    flag_option!(
        /// Sets `SO_KEEPALIVE`: the kernel probes an idle connection and
        /// reports a dead peer as an error.
        ///
        /// # Errors
        ///
        /// The kernel's error from `setsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// socket.set_keepalive(true)?;
        /// assert!(socket.keepalive()?);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        set_keepalive,
        /// Whether `SO_KEEPALIVE` is set.
        ///
        /// # Errors
        ///
        /// The kernel's error from `getsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// assert!(!socket.keepalive()?);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        keepalive,
        IntOption::KeepAlive
    );

    flag_option!(
        /// Sets `TCP_NODELAY`: send small writes at once instead of
        /// coalescing them (Nagle's algorithm off).
        ///
        /// # Errors
        ///
        /// The kernel's error from `setsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// socket.set_nodelay(true)?;
        /// assert!(socket.nodelay()?);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        set_nodelay,
        /// Whether `TCP_NODELAY` is set.
        ///
        /// # Errors
        ///
        /// The kernel's error from `getsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// assert!(!socket.nodelay()?);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        nodelay,
        IntOption::NoDelay
    );

    size_option!(
        /// Sets `SO_SNDBUF`, the size of the kernel's send buffer. Linux
        /// doubles the value (for its bookkeeping) and clamps it to
        /// `net.core.wmem_max`, so [`send_buffer_size`](Self::send_buffer_size)
        /// reads back a different number.
        ///
        /// # Errors
        ///
        /// `InvalidInput` naming `size` if it is above `i32::MAX`; the
        /// kernel's error from `setsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// socket.set_send_buffer_size(65536)?;
        /// assert!(socket.send_buffer_size()? >= 65536);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        set_send_buffer_size,
        /// The size of the kernel's send buffer (`SO_SNDBUF`).
        ///
        /// # Errors
        ///
        /// The kernel's error from `getsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// assert!(socket.send_buffer_size()? > 0);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        send_buffer_size,
        IntOption::SendBuffer
    );

    size_option!(
        /// Sets `SO_RCVBUF`, the size of the kernel's receive buffer;
        /// doubled and clamped as for
        /// [`set_send_buffer_size`](Self::set_send_buffer_size).
        ///
        /// # Errors
        ///
        /// `InvalidInput` naming `size` if it is above `i32::MAX`; the
        /// kernel's error from `setsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// socket.set_recv_buffer_size(65536)?;
        /// assert!(socket.recv_buffer_size()? >= 65536);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        set_recv_buffer_size,
        /// The size of the kernel's receive buffer (`SO_RCVBUF`).
        ///
        /// # Errors
        ///
        /// The kernel's error from `getsockopt(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// let socket = chronia::net::TcpSocket::new_v4()?;
        /// assert!(socket.recv_buffer_size()? > 0);
        /// # Ok::<(), std::io::Error>(())
        /// ```
        recv_buffer_size,
        IntOption::RecvBuffer
    );

    /// Sets `SO_LINGER`. `None` (the default): `close` returns at once and
    /// the kernel sends what is left in the background. `Some(d)`: `close`
    /// waits up to `d` for unsent data to go out. `Some(Duration::ZERO)`:
    /// `close` resets the connection (RST) and drops unsent data.
    ///
    /// The kernel counts whole seconds, so a non-zero duration is rounded
    /// **up**: `Some(500 ms)` lingers 1 s rather than becoming a reset.
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let socket = chronia::net::TcpSocket::new_v4()?;
    /// socket.set_linger(Some(Duration::from_millis(500)))?;
    /// assert_eq!(socket.linger()?, Some(Duration::from_secs(1)));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        crate::sys::net::set_linger(self.fd.as_fd(), linger.map(round_up_to_seconds))
    }

    /// The `SO_LINGER` setting, as [`set_linger`](Self::set_linger) takes it.
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = chronia::net::TcpSocket::new_v4()?;
    /// assert_eq!(socket.linger()?, None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        crate::sys::net::linger(self.fd.as_fd())
    }

    /// Binds the socket to `addr` (port 0 for a free port).
    ///
    /// # Errors
    ///
    /// The kernel's error from `bind(2)`: `AddrInUse`, `PermissionDenied`
    /// for a low port, `InvalidInput` (`EINVAL`) when already bound,
    /// `EAFNOSUPPORT` for an address of the other IP version.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = chronia::net::TcpSocket::new_v4()?;
    /// socket.bind("127.0.0.1:0".parse().expect("literal"))?;
    /// assert_ne!(socket.local_addr()?.port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        socket::bind(self.fd.as_fd(), &RawAddr::from_ip(&addr))
    }

    /// The address the socket is bound to (`0.0.0.0:0` before `bind`).
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = chronia::net::TcpSocket::new_v4()?;
    /// assert_eq!(socket.local_addr()?.port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::local_addr(self.fd.as_fd())
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = chronia::net::TcpSocket::new_v4()?;
    /// assert!(socket.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        let errno = socket::int_option(self.fd.as_fd(), IntOption::Error)?;
        Ok((errno != 0).then(|| io::Error::from_raw_os_error(errno)))
    }

    /// Starts listening with a queue of up to `backlog` pending
    /// connections (the kernel clamps it to `net.core.somaxconn`), and
    /// registers the listener with the current runtime. Binds to a free
    /// port of the wildcard address first if the socket is not bound.
    ///
    /// # Errors
    ///
    /// `InvalidInput` naming `backlog` if it is above `i32::MAX`; the
    /// kernel's error from `listen(2)` or `epoll_ctl(2)`.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::TcpSocket::new_v4()?;
    ///     socket.bind("127.0.0.1:0".parse().expect("literal"))?;
    ///     let listener = socket.listen(16)?;
    ///     assert!(listener.local_addr()?.ip().is_loopback());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        let backlog = libc::c_int::try_from(backlog).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "listen backlog {backlog} is larger than {}",
                    libc::c_int::MAX
                ),
            )
        })?;
        socket::listen(self.fd.as_fd(), backlog)?;
        TcpListener::from_std(std::net::TcpListener::from(self.fd))
    }

    /// Connects to `addr` and gives the stream, registered with the
    /// current runtime. The handshake does not block the runtime; wrap the
    /// call in [`timeout`](crate::time::timeout) for a deadline.
    ///
    /// # Errors
    ///
    /// The kernel's error: `ConnectionRefused` when nothing listens,
    /// `TimedOut`, `EAFNOSUPPORT` for an address of the other IP version,
    /// ...
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpSocket};
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let socket = TcpSocket::new_v4()?;
    ///     socket.set_nodelay(true)?;
    ///     let stream = socket.connect(listener.local_addr()?).await?;
    ///     assert!(stream.nodelay()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        // A socket made from a std stream or an fd may be blocking.
        crate::sys::set_nonblocking(self.fd.as_fd())?;
        let state = socket::connect(self.fd.as_fd(), &RawAddr::from_ip(&addr))?;
        TcpStream::finish_connect(self.fd, state).await
    }

    /// Turns a std stream (connected or not) into a socket, for example to
    /// read its options. As tokio's `TcpSocket::from_std_stream`.
    ///
    /// # Examples
    ///
    /// ```
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// let local = stream.local_addr()?;
    /// let socket = chronia::net::TcpSocket::from_std_stream(stream);
    /// assert_eq!(socket.local_addr()?, local);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_std_stream(stream: std::net::TcpStream) -> TcpSocket {
        TcpSocket {
            fd: OwnedFd::from(stream),
        }
    }
}

/// Rounds a non-zero duration up to whole seconds, so that a sub-second
/// linger does not become 0 s, which would mean "reset on close".
fn round_up_to_seconds(d: Duration) -> Duration {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    Duration::from_secs(secs)
}

impl From<OwnedFd> for TcpSocket {
    /// Takes a TCP socket fd. The caller vouches that it is a TCP socket;
    /// it is used as it is (blocking mode included, until it becomes a
    /// stream or a listener).
    fn from(fd: OwnedFd) -> TcpSocket {
        TcpSocket { fd }
    }
}

impl From<TcpSocket> for OwnedFd {
    fn from(socket: TcpSocket) -> OwnedFd {
        socket.fd
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linger_rounds_up_but_keeps_zero() {
        assert_eq!(round_up_to_seconds(Duration::ZERO), Duration::ZERO);
        assert_eq!(
            round_up_to_seconds(Duration::from_nanos(1)),
            Duration::from_secs(1)
        );
        assert_eq!(
            round_up_to_seconds(Duration::from_millis(1500)),
            Duration::from_secs(2)
        );
        assert_eq!(
            round_up_to_seconds(Duration::from_secs(3)),
            Duration::from_secs(3)
        );
    }
}
