//! TCP: [`TcpListener`], [`TcpStream`] and [`TcpSocket`].

mod listener;
mod socket;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use stream::TcpStream;
