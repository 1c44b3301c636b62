//! The peer address of a socket named by a raw fd, for task dumps: a dump
//! holds only the fd numbers tasks wait on, not the sockets.

use std::net::SocketAddr;
use std::os::fd::RawFd;

use super::socket::{Name, socket_name};

/// The address of the IP peer connected to `fd`, from `getpeername(2)`;
/// `None` if `fd` is not a connected IP socket (or not open: the call
/// only reads the fd table, so a stale number is harmless).
pub(crate) fn peer_addr(fd: RawFd) -> Option<SocketAddr> {
    socket_name(fd, Name::Peer).ok()?.ok()
}
