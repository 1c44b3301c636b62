//! Networking: TCP, UDP and Unix-domain sockets on the runtime's reactor.
//!
//! Each type wraps a std socket in an [`Async`](crate::io::Async): the fd
//! is non-blocking, close-on-exec, and registered once with the current
//! runtime's epoll, edge-triggered. Every operation follows the readiness
//! protocol of [`crate::io`]: it is tried at once, and only a `WouldBlock`
//! makes the task wait for the kernel's next report.
//!
//! Stream reads and writes cost one syscall each: a short read (fewer bytes
//! than the buffer holds) means the socket's receive queue is empty, so the
//! next read waits for the kernel's report instead of trying a syscall that
//! would only say `WouldBlock`; a short write does the same for the send
//! queue. An echo round trip is one `read(2)`, one `write(2)` and a share of
//! one `epoll_wait(2)`.
//!
//! # Sharing a stream between tasks
//!
//! Reads and writes take `&self`, and `&TcpStream` (like `&UnixStream`)
//! implements [`futures_io::AsyncRead`] and [`futures_io::AsyncWrite`], so
//! one stream can be read by one task and written by another through an
//! [`Rc`](std::rc::Rc): tasks are `'static`, a borrowed half could not
//! move into one.
//!
//! ```
//! use std::rc::Rc;
//! use chronia::net::{TcpListener, TcpStream};
//!
//! chronia::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let client = TcpStream::connect(listener.local_addr()?).await?;
//!     let (server, _) = listener.accept().await?;
//!
//!     let client = Rc::new(client);
//!     let writer = chronia::spawn({
//!         let client = Rc::clone(&client);
//!         async move { client.write_all(b"ping").await }
//!     });
//!     let mut buf = [0; 4];
//!     let mut got = 0;
//!     while got < 4 {
//!         got += server.read(&mut buf[got..]).await?;
//!     }
//!     server.write_all(b"pong").await?;
//!     writer.await.expect("no panic")?;
//!     let mut reply = [0; 4];
//!     let mut got = 0;
//!     while got < 4 {
//!         got += client.read(&mut reply[got..]).await?;
//!     }
//!     assert_eq!(&reply, b"pong");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Name resolution
//!
//! Functions that take [`std::net::ToSocketAddrs`] resolve names with std,
//! on the calling thread: a host name blocks the runtime for the length of
//! a DNS lookup (chronia starts no thread to hide it). Pass a
//! [`SocketAddr`] or an IP literal to never block.

mod incoming;
mod stream;
mod tcp;
mod udp;
mod unix;

pub use incoming::{TcpIncoming, UnixIncoming};
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// The addresses `addr` names, in order; at least one.
///
/// # Errors
///
/// The resolver's error, or `InvalidInput` if it named no address.
fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        ));
    }
    Ok(addrs)
}
