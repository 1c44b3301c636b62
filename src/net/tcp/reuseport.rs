//! [`TcpListener::bind_reuseport`]: one listener per shard on one port.
//!
//! With `SO_REUSEPORT` set on every listener of a port (same user), the
//! kernel spreads incoming connections among them by a hash of each
//! connection's addresses, so each shard of a
//! [`PerCore`](crate::runtime::PerCore) accepts its share on its own
//! thread, with no lock and no hand-over between shards.

use std::io;
use std::net::SocketAddr;

use super::{TcpListener, TcpSocket};

/// The backlog of [`TcpListener::bind_reuseport`], as that of
/// [`TcpListener::bind`] (tokio's).
const BACKLOG: u32 = 1024;

impl TcpListener {
    /// Binds a listener to `addr` with `SO_REUSEPORT` (and `SO_REUSEADDR`)
    /// set, so that every shard of a thread-per-core server can bind its
    /// own listener to the same address, and the kernel balances new
    /// connections across them. The backlog is 1024, as
    /// [`bind`](Self::bind)'s. tokio has no such shortcut; it is
    /// [`TcpSocket::set_reuseport`], [`TcpSocket::bind`] and
    /// [`TcpSocket::listen`] in one call.
    ///
    /// # Port 0
    ///
    /// Each shard binding port 0 would get a port of its own. Bind once in
    /// the caller instead: a [`TcpSocket`] with `SO_REUSEPORT`, bound to
    /// port 0; its
    /// [`local_addr`](TcpSocket::local_addr) is the address to pass to
    /// every shard. Keep that socket until every shard has bound, so that
    /// no other program takes the port in between; it never listens, so it
    /// takes no connections.
    ///
    /// # Errors
    ///
    /// The kernel's error from `socket(2)`, `setsockopt(2)`, `bind(2)`,
    /// `listen(2)` or `epoll_ctl(2)`: `AddrInUse` when a socket without
    /// `SO_REUSEPORT` (or of another user) holds the port.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpSocket};
    /// use chronia::runtime::PerCore;
    ///
    /// // Reserve a free port for all shards.
    /// let reserved = TcpSocket::new_v4()?;
    /// reserved.set_reuseport(true)?;
    /// reserved.bind("127.0.0.1:0".parse().expect("literal"))?;
    /// let addr = reserved.local_addr()?;
    ///
    /// let ports = PerCore::new(2).block_on_all(|_shard| async move {
    ///     let listener = TcpListener::bind_reuseport(addr)?;
    ///     listener.local_addr()
    /// })?;
    /// drop(reserved);
    /// for port in ports {
    ///     assert_eq!(port?, addr);
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn bind_reuseport(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(true)?;
        socket.set_reuseport(true)?;
        socket.bind(addr)?;
        socket.listen(BACKLOG)
    }
}
