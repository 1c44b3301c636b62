//! Glue for other ecosystems, behind optional features (none is on by
//! default):
//!
//! - `hyper`: the module `compat::hyper` with hyper's `rt` traits (`Io`,
//!   `Timer`, `Executor`), so hyper 1.x servers and clients run on chronia.
//! - `tokio-io`: `tokio::io::AsyncRead`/`AsyncWrite` on
//!   [`TcpStream`](crate::net::TcpStream), [`UnixStream`](crate::net::UnixStream)
//!   and the child pipes, so tokio-IO libraries (tokio-rustls, h2,
//!   tokio-tungstenite's `client_async`) run on chronia directly; it needs
//!   tokio with no runtime feature, only its I/O traits.
//!
//! Libraries written against `futures-io` (futures-rustls,
//! async-tungstenite, futures-lite's `BufReader`) need no glue: chronia's
//! streams implement `futures_io::AsyncRead`/`AsyncWrite`.

#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "tokio-io")]
mod tokio_io;
