//! Networking: TCP, UDP and Unix-domain sockets on the runtime's reactor.
//!
//! Each type wraps a std socket in an [`Async`](crate::io::Async): the fd
//! is non-blocking, close-on-exec, and registered once with the current
//! runtime's epoll, edge-triggered. Every operation follows the readiness
//! protocol of [`crate::io`]: it is tried at once, and only a `WouldBlock`
//! makes the task wait for the kernel's next report.
//!
//! TCP reads and writes cost one syscall each: a short read (fewer bytes
//! than the buffer holds) means the socket's receive queue is empty, so the
//! next read waits for the kernel's report instead of trying a syscall that
//! would only say `WouldBlock`; a short write does the same for the send
//! queue. An echo round trip is one `read(2)`, one `write(2)` and a share of
//! one `epoll_wait(2)`. Two limits, decided with tests:
//!
//! - Unix streams do not take a short read for "drained": the kernel ends a
//!   read early, with data still queued, after a message that carried
//!   `SCM_RIGHTS` fds and, with `SO_PASSCRED`, where the writer's
//!   credentials change. Their reads wait only after `WouldBlock` (one more
//!   `read(2)` per drain); their writes keep the shortcut.
//! - A TCP read stops short before urgent data (`MSG_OOB`); the bytes
//!   behind the urgent mark are then read when the peer sends more or
//!   closes. A protocol that uses urgent data should read with
//!   [`Async::read_with`](crate::io::Async::read_with) on the std stream.
//!
//! Every read, write and accept spends one unit of the task's cooperative
//! budget ([`chronia_executor::coop`]): a task whose peer keeps its socket
//! full yields after about 128 of them, so timers and other tasks run.
//!
//! # Methods as tokio has them
//!
//! `TcpStream` and `UnixStream` share one implementation (one byte stream
//! over [`Async`](crate::io::Async)): `read`, `write`, `write_all`,
//! `readable`, `writable`, `ready`, `try_read`, `try_write` (and vectored),
//! `poll_read_ready`, `poll_write_ready`, `peek`, `poll_peek`, `take_error`,
//! `split` and `into_split` (halves in [`split`], named at tokio's paths in
//! [`tcp`] and [`unix`]). The readiness waits consume what they report (see
//! [`crate::io`](crate::io#readiness-waits)); `try_*` never waits and its
//! `WouldBlock` makes the next wait wait for the kernel, so tokio's loop
//! `readable().await` / `try_read` works as written.
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
//! [`lookup_host`], [`TcpStream::connect`] and [`UdpSocket`]'s `bind`,
//! `connect` and `send_to` take chronia's [`ToSocketAddrs`] and resolve a
//! host name on the blocking pool
//! ([`spawn_blocking`](crate::task::spawn_blocking)), so the runtime goes on
//! while `getaddrinfo(3)` runs; numeric addresses start no thread.
//! [`TcpListener::bind`] still takes [`std::net::ToSocketAddrs`] and
//! resolves with std on the calling thread: pass it a
//! [`SocketAddr`](std::net::SocketAddr) or an IP literal to never block.

mod datagram;
mod incoming;
mod lookup;
pub mod split;
mod stream;
pub mod tcp;
mod udp;
pub mod unix;

pub use incoming::{TcpIncoming, UnixIncoming};
pub use lookup::{ToSocketAddrs, lookup_host};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};
