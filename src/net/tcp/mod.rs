//! TCP: [`TcpListener`], [`TcpStream`] and [`TcpSocket`], and the halves
//! of a split stream at tokio's paths.

mod listener;
mod reuseport;
mod socket;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use stream::TcpStream;

/// The borrowed reading half of a [`TcpStream`] ([`TcpStream::split`]).
pub type ReadHalf<'a> = crate::net::split::ReadHalf<'a, TcpStream>;
/// The borrowed writing half of a [`TcpStream`] ([`TcpStream::split`]).
pub type WriteHalf<'a> = crate::net::split::WriteHalf<'a, TcpStream>;
/// The owned reading half of a [`TcpStream`] ([`TcpStream::into_split`]).
pub type OwnedReadHalf = crate::net::split::OwnedReadHalf<TcpStream>;
/// The owned writing half of a [`TcpStream`] ([`TcpStream::into_split`]).
pub type OwnedWriteHalf = crate::net::split::OwnedWriteHalf<TcpStream>;
/// The error of [`OwnedReadHalf::reunite`](crate::net::split::OwnedReadHalf::reunite).
pub type ReuniteError = crate::net::split::ReuniteError<TcpStream>;
