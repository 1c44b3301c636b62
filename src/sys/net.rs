//! Socket syscalls of the facade: the ones std does not offer without
//! blocking (a non-blocking `connect`) or at all (`SO_LINGER`).
//!
//! Every socket made here is `SOCK_CLOEXEC | SOCK_NONBLOCK` from birth, so
//! no child can inherit it and no call on it can block the runtime.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use super::{cvt, sockopt};

/// A socket address in the kernel's layout, ready for `connect(2)`.
pub(crate) enum RawAddr {
    V4(libc::sockaddr_in),
    V6(libc::sockaddr_in6),
    /// The address and its length (family plus the path and its NUL).
    Unix(libc::sockaddr_un, libc::socklen_t),
}

impl RawAddr {
    /// The address of an IP socket.
    pub(crate) fn from_ip(addr: &SocketAddr) -> RawAddr {
        match addr {
            SocketAddr::V4(a) => RawAddr::V4(libc::sockaddr_in {
                sin_family: family(libc::AF_INET),
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            }),
            SocketAddr::V6(a) => RawAddr::V6(libc::sockaddr_in6 {
                sin6_family: family(libc::AF_INET6),
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            }),
        }
    }

    /// The address of a Unix socket bound to `path`.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `path` is empty, holds a NUL byte, or is longer
    /// than the 107 bytes `sun_path` has room for.
    pub(crate) fn from_path(path: &Path) -> io::Result<RawAddr> {
        let bytes = path.as_os_str().as_bytes();
        let mut addr = libc::sockaddr_un {
            sun_family: family(libc::AF_UNIX),
            sun_path: [0; 108],
        };
        if bytes.first() == Some(&0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "\"{}\": a leading NUL names a Linux abstract socket, which a path cannot: pass `SocketAddr::from_abstract_name` to `bind_addr` / `connect_addr`",
                    bytes.escape_ascii()
                ),
            ));
        }
        // One byte stays for the NUL terminator.
        if bytes.is_empty() || bytes.len() >= addr.sun_path.len() || bytes.contains(&0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: a Unix socket path must be 1 to {} bytes without NUL",
                    path.display(),
                    addr.sun_path.len() - 1
                ),
            ));
        }
        for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
            *dst = src.cast_signed();
        }
        let len = mem::offset_of!(libc::sockaddr_un, sun_path) + bytes.len() + 1;
        let len = libc::socklen_t::try_from(len).expect("at most 110 bytes");
        Ok(RawAddr::Unix(addr, len))
    }

    /// The address of a Unix socket with the Linux abstract `name`: a
    /// leading NUL, then the name's bytes, no terminator (the length says
    /// where it ends).
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `name` is longer than 107 bytes.
    pub(crate) fn from_abstract(name: &[u8]) -> io::Result<RawAddr> {
        let mut addr = libc::sockaddr_un {
            sun_family: family(libc::AF_UNIX),
            sun_path: [0; 108],
        };
        if name.len() >= addr.sun_path.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "abstract socket name {:?}: at most {} bytes",
                    String::from_utf8_lossy(name),
                    addr.sun_path.len() - 1
                ),
            ));
        }
        for (dst, src) in addr.sun_path[1..].iter_mut().zip(name) {
            *dst = src.cast_signed();
        }
        let len = mem::offset_of!(libc::sockaddr_un, sun_path) + 1 + name.len();
        let len = libc::socklen_t::try_from(len).expect("at most 110 bytes");
        Ok(RawAddr::Unix(addr, len))
    }

    fn domain(&self) -> libc::c_int {
        match self {
            RawAddr::V4(_) => libc::AF_INET,
            RawAddr::V6(_) => libc::AF_INET6,
            RawAddr::Unix(..) => libc::AF_UNIX,
        }
    }

    pub(super) fn as_ptr(&self) -> (*const libc::sockaddr, libc::socklen_t) {
        fn len_of<T>() -> libc::socklen_t {
            libc::socklen_t::try_from(mem::size_of::<T>()).expect("a sockaddr is small")
        }
        match self {
            RawAddr::V4(a) => ((&raw const *a).cast(), len_of::<libc::sockaddr_in>()),
            RawAddr::V6(a) => ((&raw const *a).cast(), len_of::<libc::sockaddr_in6>()),
            RawAddr::Unix(a, len) => ((&raw const *a).cast(), *len),
        }
    }
}

fn family(af: libc::c_int) -> libc::sa_family_t {
    libc::sa_family_t::try_from(af).expect("address families fit in sa_family_t")
}

/// How a non-blocking `connect(2)` went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Connect {
    /// Connected already (Unix sockets, often loopback).
    Done,
    /// In progress: the socket becomes writable when it is done, and
    /// `SO_ERROR` then says how it went.
    InProgress,
}

/// Creates a stream socket for `addr`'s family and starts connecting it.
pub(crate) fn connect_stream(addr: &RawAddr) -> io::Result<(OwnedFd, Connect)> {
    let ty = libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK;
    // SAFETY: socket takes three integers and returns a new fd or -1.
    let fd = cvt(unsafe { libc::socket(addr.domain(), ty, 0) })?;
    // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let (ptr, len) = addr.as_ptr();
    // SAFETY: `ptr` points to an initialised sockaddr of `len` bytes that
    // lives across the call (`addr` is borrowed for all of it).
    let rc = unsafe { libc::connect(fd.as_raw_fd(), ptr, len) };
    match cvt(rc) {
        Ok(_) => Ok((fd, Connect::Done)),
        // EINTR: the connection goes on in the background (POSIX); retrying
        // would only give EALREADY. Wait for writability as for EINPROGRESS.
        Err(e)
            if e.raw_os_error() == Some(libc::EINPROGRESS)
                || e.kind() == io::ErrorKind::Interrupted =>
        {
            Ok((fd, Connect::InProgress))
        }
        Err(e) => Err(e),
    }
}

/// Sets `SO_LINGER`: `None` turns it off; `Some(ZERO)` makes `close(2)` reset
/// the connection (RST) instead of the orderly FIN; other durations are
/// rounded up to whole seconds, the kernel's unit.
pub(crate) fn set_linger(fd: BorrowedFd<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: libc::c_int::from(linger.is_some()),
        // Whole seconds, rounded up: a fraction must not become 0, which
        // would mean the opposite of lingering (an abortive close, RST).
        l_linger: linger.map_or(0, |d| {
            let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
            libc::c_int::try_from(secs).unwrap_or(libc::c_int::MAX)
        }),
    };
    sockopt::set(fd, libc::SOL_SOCKET, libc::SO_LINGER, value)
}

/// Reads into `buf` without taking the bytes from the receive queue
/// (`recv(2)` with `MSG_PEEK`).
pub(crate) fn peek(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is `buf.len()` writable bytes that live across the call.
    let n = unsafe {
        libc::recv(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_PEEK,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n.cast_unsigned())
}

/// The credentials of the peer of a Unix socket at connect time
/// (`SO_PEERCRED`): pid, uid, gid.
pub(crate) fn peer_cred(fd: BorrowedFd<'_>) -> io::Result<(i32, u32, u32)> {
    let zero = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let cred = sockopt::get(fd, libc::SOL_SOCKET, libc::SO_PEERCRED, zero)?;
    Ok((cred.pid, cred.uid, cred.gid))
}

/// `listen(2)` with `backlog`; on a socket that listens already it only
/// changes the backlog. (Wrapped once, in `sys::socket`.)
pub(crate) use super::socket::listen;

/// Reads `SO_LINGER`, as [`set_linger`] takes it.
pub(crate) fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<Duration>> {
    let off = libc::linger {
        l_onoff: 0,
        l_linger: 0,
    };
    let value = sockopt::get(fd, libc::SOL_SOCKET, libc::SO_LINGER, off)?;
    Ok((value.l_onoff != 0)
        .then(|| Duration::from_secs(u64::try_from(value.l_linger).unwrap_or(0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_paths_must_fit_sun_path() {
        assert!(RawAddr::from_path(Path::new("/tmp/x.sock")).is_ok());
        let long = "a".repeat(108);
        let err = RawAddr::from_path(Path::new(&long))
            .err()
            .expect("too long");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(RawAddr::from_path(Path::new("")).is_err());
        assert!(RawAddr::from_path(Path::new(&"a".repeat(107))).is_ok());
        let err = RawAddr::from_path(Path::new("\0name"))
            .err()
            .expect("abstract");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("abstract"), "{err}");
    }

    #[test]
    fn abstract_names_start_with_nul_and_have_no_terminator() {
        let Ok(RawAddr::Unix(raw, len)) = RawAddr::from_abstract(b"chronia") else {
            panic!("a short name fits")
        };
        assert_eq!(raw.sun_path[0], 0);
        assert_eq!(raw.sun_path[1], b'c'.cast_signed());
        let base = mem::offset_of!(libc::sockaddr_un, sun_path);
        assert_eq!(usize::try_from(len).expect("small"), base + 1 + 7);
        assert!(RawAddr::from_abstract(&[b'a'; 108]).is_err());
    }

    #[test]
    fn ip_addresses_are_in_network_order() {
        let addr: SocketAddr = "127.0.0.1:258".parse().expect("literal");
        let RawAddr::V4(raw) = RawAddr::from_ip(&addr) else {
            panic!("v4 gives sockaddr_in")
        };
        assert_eq!(raw.sin_port.to_ne_bytes(), [1, 2]);
        assert_eq!(raw.sin_addr.s_addr.to_ne_bytes(), [127, 0, 0, 1]);
    }
}
