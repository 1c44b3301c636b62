//! Socket syscalls for [`TcpSocket`](crate::net::TcpSocket): an unbound
//! TCP socket, its integer options, `bind(2)`, `listen(2)` and a
//! non-blocking `connect(2)` on a socket that already exists.
//!
//! Sockets made here are `SOCK_CLOEXEC | SOCK_NONBLOCK` from birth, as in
//! `sys::net`.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::net::{Connect, RawAddr};
use super::{cvt, sockopt};

/// The IP version of a new socket.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Family {
    V4,
    V6,
}

/// Creates a TCP socket of `family`, non-blocking and close-on-exec.
pub(crate) fn tcp_socket(family: Family) -> io::Result<OwnedFd> {
    let domain = match family {
        Family::V4 => libc::AF_INET,
        Family::V6 => libc::AF_INET6,
    };
    let ty = libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK;
    // SAFETY: socket takes three integers and returns a new fd or -1.
    let fd = cvt(unsafe { libc::socket(domain, ty, 0) })?;
    // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A socket option whose value is one `int`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IntOption {
    ReuseAddr,
    ReusePort,
    KeepAlive,
    SendBuffer,
    RecvBuffer,
    NoDelay,
    /// `SO_ERROR`, read-only: the pending error, cleared by the read.
    Error,
}

impl IntOption {
    fn level_and_name(self) -> (libc::c_int, libc::c_int) {
        match self {
            IntOption::ReuseAddr => (libc::SOL_SOCKET, libc::SO_REUSEADDR),
            IntOption::ReusePort => (libc::SOL_SOCKET, libc::SO_REUSEPORT),
            IntOption::KeepAlive => (libc::SOL_SOCKET, libc::SO_KEEPALIVE),
            IntOption::SendBuffer => (libc::SOL_SOCKET, libc::SO_SNDBUF),
            IntOption::RecvBuffer => (libc::SOL_SOCKET, libc::SO_RCVBUF),
            IntOption::NoDelay => (libc::IPPROTO_TCP, libc::TCP_NODELAY),
            IntOption::Error => (libc::SOL_SOCKET, libc::SO_ERROR),
        }
    }
}

/// Sets `option` to `value` with `setsockopt(2)`.
pub(crate) fn set_int_option(
    fd: BorrowedFd<'_>,
    option: IntOption,
    value: libc::c_int,
) -> io::Result<()> {
    let (level, name) = option.level_and_name();
    sockopt::set(fd, level, name, value)
}

/// Reads `option` with `getsockopt(2)`.
pub(crate) fn int_option(fd: BorrowedFd<'_>, option: IntOption) -> io::Result<libc::c_int> {
    let (level, name) = option.level_and_name();
    sockopt::get(fd, level, name, 0)
}

pub(crate) fn bind(fd: BorrowedFd<'_>, addr: &RawAddr) -> io::Result<()> {
    let (ptr, len) = addr.as_ptr();
    // SAFETY: `ptr` points to an initialised sockaddr of `len` bytes that
    // lives across the call.
    cvt(unsafe { libc::bind(fd.as_raw_fd(), ptr, len) }).map(drop)
}

/// Marks `fd` as listening, with a queue of `backlog` pending connections.
pub(crate) fn listen(fd: BorrowedFd<'_>, backlog: libc::c_int) -> io::Result<()> {
    // SAFETY: listen takes an fd and an integer.
    cvt(unsafe { libc::listen(fd.as_raw_fd(), backlog) }).map(drop)
}

/// Starts connecting the non-blocking socket `fd` to `addr`.
pub(crate) fn connect(fd: BorrowedFd<'_>, addr: &RawAddr) -> io::Result<Connect> {
    let (ptr, len) = addr.as_ptr();
    // SAFETY: `ptr` points to an initialised sockaddr of `len` bytes that
    // lives across the call.
    match cvt(unsafe { libc::connect(fd.as_raw_fd(), ptr, len) }) {
        Ok(_) => Ok(Connect::Done),
        // EINTR: the connection goes on in the background (POSIX), as in
        // `sys::net::connect_stream`.
        Err(e)
            if e.raw_os_error() == Some(libc::EINPROGRESS)
                || e.kind() == io::ErrorKind::Interrupted =>
        {
            Ok(Connect::InProgress)
        }
        Err(e) => Err(e),
    }
}

/// The address `fd` is bound to, from `getsockname(2)`.
pub(crate) fn local_addr(fd: BorrowedFd<'_>) -> io::Result<SocketAddr> {
    socket_name(fd.as_raw_fd(), Name::Local)?.map_err(|family| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("socket of address family {family} is not an IP socket"),
        )
    })
}

/// Which address of a socket [`socket_name`] asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Name {
    /// `getsockname(2)`: the address it is bound to.
    Local,
    /// `getpeername(2)`: the address of the peer it is connected to.
    Peer,
}

/// The local or peer IP address of socket `fd`: the kernel's error, or
/// `Ok(Err(family))` if the address is not of an IP family. A raw fd, for
/// task dumps that hold only fd numbers: the call only reads the fd table,
/// so a stale number gives `EBADF` or another socket's address, nothing
/// worse.
pub(crate) fn socket_name(fd: RawFd, name: Name) -> io::Result<Result<SocketAddr, libc::c_int>> {
    // SAFETY: sockaddr_storage is plain integers; all zeroes is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut len =
        libc::socklen_t::try_from(mem::size_of::<libc::sockaddr_storage>()).expect("128 bytes");
    let rc = match name {
        // SAFETY: `storage` is writable for `len` bytes and `len` is
        // writable; both live across the call.
        Name::Local => unsafe { libc::getsockname(fd, (&raw mut storage).cast(), &raw mut len) },
        // SAFETY: as above.
        Name::Peer => unsafe { libc::getpeername(fd, (&raw mut storage).cast(), &raw mut len) },
    };
    cvt(rc)?;
    Ok(match libc::c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the kernel wrote a sockaddr_in (family AF_INET); the
            // storage is large and aligned enough for any sockaddr.
            let a: libc::sockaddr_in = unsafe { *(&raw const storage).cast() };
            let ip = Ipv4Addr::from(a.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6 (family AF_INET6).
            let a: libc::sockaddr_in6 = unsafe { *(&raw const storage).cast() };
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(a.sin6_addr.s6_addr),
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        family => Err(family),
    })
}

/// A direction to ask [`ready_now`] about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Readiness {
    Read,
    Write,
}

/// What `poll(2)` says of an fd right now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one flag per poll(2) bit, read one at a time"
)]
pub(crate) struct PollState {
    /// `POLLIN`: data (or a datagram) to read.
    pub(crate) readable: bool,
    /// `POLLOUT`: room to write.
    pub(crate) writable: bool,
    /// `POLLRDHUP` or `POLLHUP`: the read side is shut down.
    pub(crate) read_closed: bool,
    /// `POLLHUP`: both sides are shut down.
    pub(crate) write_closed: bool,
    /// `POLLERR`: a socket error is pending.
    pub(crate) error: bool,
}

/// Asks `poll(2)`, with a zero timeout, what `fd` is ready for: the one
/// such probe of the facade, for any kind of fd (sockets, pipes). Reads
/// nothing: a pending socket error stays for the next operation to report.
pub(crate) fn poll_now(fd: BorrowedFd<'_>) -> io::Result<PollState> {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN | libc::POLLOUT | libc::POLLRDHUP,
        revents: 0,
    };
    loop {
        // SAFETY: `pfd` is one writable pollfd that lives across the call;
        // the count says one.
        match cvt(unsafe { libc::poll(&raw mut pfd, 1, 0) }) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let has = |bit: libc::c_short| pfd.revents & bit != 0;
    Ok(PollState {
        readable: has(libc::POLLIN),
        writable: has(libc::POLLOUT),
        read_closed: has(libc::POLLRDHUP) || has(libc::POLLHUP),
        write_closed: has(libc::POLLHUP),
        error: has(libc::POLLERR),
    })
}

/// Whether `fd` is ready for `dir` right now, or has an error or hang-up
/// for the next operation in that direction to report (`POLLRDHUP` counts
/// for reading, `POLLHUP` for both).
pub(crate) fn ready_now(fd: BorrowedFd<'_>, dir: Readiness) -> io::Result<bool> {
    let state = poll_now(fd)?;
    Ok(state.error
        || match dir {
            Readiness::Read => state.readable || state.read_closed,
            Readiness::Write => state.writable || state.write_closed,
        })
}

/// The sender's address of a Unix datagram, as `recvfrom(2)` gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UnixPeer {
    /// An unbound socket (or a socketpair end).
    Unnamed,
    /// A socket bound to a path.
    Path(std::path::PathBuf),
    /// A socket bound to a name in the abstract namespace (without the
    /// leading NUL).
    Abstract(Vec<u8>),
}

/// Copies the next datagram of the Unix socket `fd` into `buf` without
/// taking it (`recvfrom(2)` with `MSG_PEEK`); gives its length (at most
/// `buf.len()`) and sender. `WouldBlock` when none is queued on a
/// non-blocking socket.
pub(crate) fn peek_from_unix(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<(usize, UnixPeer)> {
    // SAFETY: sockaddr_un is plain integers; all zeroes is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { mem::zeroed() };
    let full = libc::socklen_t::try_from(mem::size_of::<libc::sockaddr_un>()).expect("110 bytes");
    let n = loop {
        let mut len = full;
        // SAFETY: `buf` is writable for `buf.len()` bytes, `addr` for `len`
        // bytes, `len` is writable; all live across the call.
        let n = unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_PEEK,
                (&raw mut addr).cast(),
                &raw mut len,
            )
        };
        if n >= 0 {
            break (usize::try_from(n).expect("non-negative"), len);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    };
    let (n, len) = n;
    Ok((n, unix_peer(&addr, len)))
}

/// Decodes a `sockaddr_un` of `len` bytes, as unix(7) describes its three
/// kinds.
fn unix_peer(addr: &libc::sockaddr_un, len: libc::socklen_t) -> UnixPeer {
    use std::os::unix::ffi::OsStrExt;
    let header = mem::offset_of!(libc::sockaddr_un, sun_path);
    let len = usize::try_from(len)
        .expect("small")
        .min(mem::size_of::<libc::sockaddr_un>());
    if len <= header {
        return UnixPeer::Unnamed;
    }
    let path: Vec<u8> = addr.sun_path[..len - header]
        .iter()
        .map(|&c| c.cast_unsigned())
        .collect();
    if let Some((0, name)) = path.split_first() {
        return UnixPeer::Abstract(name.to_vec());
    }
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    UnixPeer::Path(std::ffi::OsStr::from_bytes(&path[..end]).into())
}
