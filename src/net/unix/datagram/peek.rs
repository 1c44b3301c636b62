//! [`UnixDatagram::peek_from`]: std's `peek_from` for Unix sockets is
//! unstable, so the peek is a `recvfrom(MSG_PEEK)` of chronia's `sys`, and
//! the sender's address is rebuilt as std's [`SocketAddr`].

use std::io;
use std::os::fd::AsFd;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::SocketAddr;

use super::UnixDatagram;
use crate::sys::socket::{UnixPeer, peek_from_unix};

impl UnixDatagram {
    /// Waits for a datagram and copies it into `buf` without taking it:
    /// the next receive gets it again. Gives its length (at most
    /// `buf.len()`) and the sender's address.
    ///
    /// # Errors
    ///
    /// The kernel's error from `recvfrom(2)`; for an unnamed sender, the
    /// error of making the unnamed address (std has no constructor for it,
    /// so chronia takes it, once per thread, from a short-lived unbound
    /// socket).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixDatagram::pair()?;
    ///     a.send(b"kept").await?;
    ///     let mut buf = [0; 8];
    ///     let (n, from) = b.peek_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from.is_unnamed()), (&b"kept"[..], true));
    ///     assert_eq!(b.recv(&mut buf).await?, 4);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (n, peer) = self
            .io
            .read_with(|s| peek_from_unix(s.as_fd(), buf))
            .await?;
        Ok((n, to_std(peer)?))
    }
}

fn to_std(peer: UnixPeer) -> io::Result<SocketAddr> {
    match peer {
        UnixPeer::Path(path) => SocketAddr::from_pathname(path),
        UnixPeer::Abstract(name) => SocketAddr::from_abstract_name(name),
        UnixPeer::Unnamed => unnamed(),
    }
}

fn unnamed() -> io::Result<SocketAddr> {
    thread_local! {
        static UNNAMED: std::cell::OnceCell<SocketAddr> = const { std::cell::OnceCell::new() };
    }
    UNNAMED.with(|cell| {
        if let Some(addr) = cell.get() {
            return Ok(addr.clone());
        }
        let addr = std::os::unix::net::UnixDatagram::unbound()?.local_addr()?;
        Ok(cell.get_or_init(|| addr).clone())
    })
}
