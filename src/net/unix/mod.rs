//! Unix-domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`],
//! and the halves of a split stream at tokio's paths.

mod datagram;
mod listener;
mod stream;
mod ucred;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::UnixStream;
pub use ucred::UCred;

/// The borrowed reading half of a [`UnixStream`] ([`UnixStream::split`]).
pub type ReadHalf<'a> = crate::net::split::ReadHalf<'a, UnixStream>;
/// The borrowed writing half of a [`UnixStream`] ([`UnixStream::split`]).
pub type WriteHalf<'a> = crate::net::split::WriteHalf<'a, UnixStream>;
/// The owned reading half of a [`UnixStream`] ([`UnixStream::into_split`]).
pub type OwnedReadHalf = crate::net::split::OwnedReadHalf<UnixStream>;
/// The owned writing half of a [`UnixStream`] ([`UnixStream::into_split`]).
pub type OwnedWriteHalf = crate::net::split::OwnedWriteHalf<UnixStream>;
/// The error of [`OwnedReadHalf::reunite`](crate::net::split::OwnedReadHalf::reunite).
pub type ReuniteError = crate::net::split::ReuniteError<UnixStream>;
