//! The peer address of a socket named by a raw fd, for task dumps: a dump
//! holds only the fd numbers tasks wait on, not the sockets.

use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;

/// The address of the IP peer connected to `fd`, from `getpeername(2)`;
/// `None` if `fd` is not a connected IP socket (or not open: the call
/// only reads the fd table, so a stale number is harmless).
pub(crate) fn peer_addr(fd: RawFd) -> Option<SocketAddr> {
    // SAFETY: sockaddr_storage is plain integers; all zeroes is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut len = libc::socklen_t::try_from(mem::size_of::<libc::sockaddr_storage>()).ok()?;
    // SAFETY: `storage` is writable for `len` bytes and `len` is writable;
    // both live across the call, which touches no other memory.
    let rc = unsafe { libc::getpeername(fd, (&raw mut storage).cast(), &raw mut len) };
    if rc != 0 {
        return None;
    }
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the kernel wrote a sockaddr_in (family AF_INET); the
            // storage is large and aligned enough for any sockaddr.
            let a: libc::sockaddr_in = unsafe { *(&raw const storage).cast() };
            let ip = Ipv4Addr::from(a.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6 (family AF_INET6).
            let a: libc::sockaddr_in6 = unsafe { *(&raw const storage).cast() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(a.sin6_addr.s6_addr),
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}
