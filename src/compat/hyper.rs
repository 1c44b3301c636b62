//! hyper 1.x on chronia: [`Io`], [`Timer`], [`Executor`].
//!
//! - [`Io<T>`] implements `hyper::rt::Read` by reading straight into
//!   hyper's uninitialised buffer (no zero-fill), with the stream's
//!   short-read rule, so a request that fits in one read costs one `read(2)`
//!   and no `EAGAIN`; and `hyper::rt::Write` with vectored writes
//!   (`is_write_vectored` is true: hyper's head and body go out in one
//!   `writev(2)`).
//! - [`Timer`] hands hyper [`SendSleep`]s, which are `Send + Sync` as
//!   hyper's `Sleep` demands (thread-checked: see [`SendSleep`]), and resets
//!   them in place. Without a timer hyper silently drops its header-read
//!   timeout.
//! - [`Executor`] spawns local tasks (`!Send` futures are fine): HTTP/2's
//!   executor.
//!
//! `Io` wraps chronia's [`TcpStream`] and
//! [`UnixStream`]. For other byte streams (a TLS
//! stream over futures-io) use a futures-io adapter such as smol-hyper's
//! `FuturesIo`, which zero-fills its buffer.
//!
//! # Examples
//!
//! ```
//! use chronia::compat::hyper::{Io, Timer};
//! use chronia::net::{TcpListener, TcpStream};
//!
//! chronia::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     chronia::spawn(async move {
//!         let (stream, _) = listener.accept().await.expect("accept");
//!         let service = hyper::service::service_fn(|_req| async {
//!             Ok::<_, std::convert::Infallible>(hyper::Response::new(String::from("hi")))
//!         });
//!         let _ = hyper::server::conn::http1::Builder::new()
//!             .timer(Timer::new())
//!             .serve_connection(Io::new(stream), service)
//!             .await;
//!     });
//!     let stream = TcpStream::connect(addr).await?;
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake(Io::new(stream))
//!         .await
//!         .map_err(std::io::Error::other)?;
//!     chronia::spawn(conn);
//!     let req = hyper::Request::get("/").body(String::new()).map_err(std::io::Error::other)?;
//!     let res = sender.send_request(req).await.map_err(std::io::Error::other)?;
//!     assert_eq!(res.status(), 200);
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::net::{TcpStream, UnixStream};
use crate::time::SendSleep;

/// A chronia stream as hyper's I/O (`hyper::rt::Read + Write`).
///
/// # Examples
///
/// ```
/// use chronia::compat::hyper::Io;
/// chronia::block_on(async {
///     let (a, _b) = chronia::net::UnixStream::pair()?;
///     let io = Io::new(a);
///     let _a: chronia::net::UnixStream = io.into_inner();
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Io<T> {
    inner: T,
}

impl<T> Io<T> {
    /// Wraps `inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     let _io = chronia::compat::hyper::Io::new(a);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(inner: T) -> Self {
        Io { inner }
    }

    /// The wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     let io = chronia::compat::hyper::Io::new(a);
    ///     assert!(io.inner().peer_addr().is_ok());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     let mut io = chronia::compat::hyper::Io::new(a);
    ///     let _a: &mut chronia::net::UnixStream = io.inner_mut();
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     let _a = chronia::compat::hyper::Io::new(a).into_inner();
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

macro_rules! hyper_io {
    ($ty:ty) => {
        impl hyper::rt::Read for Io<$ty> {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                mut buf: hyper::rt::ReadBufCursor<'_>,
            ) -> Poll<io::Result<()>> {
                let stream = &self.inner;
                crate::sys::uninit::with_hyper_cursor(&mut buf, |room| {
                    stream.poll_read_into(cx, room).map_ok(drop)
                })
            }
        }

        impl hyper::rt::Write for Io<$ty> {
            fn poll_write(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                futures_io::AsyncWrite::poll_write(Pin::new(&mut self.inner), cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.inner.poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                // Writes go straight to the socket: nothing is buffered.
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_close(Pin::new(&mut self.inner), cx)
            }
        }
    };
}

hyper_io!(TcpStream);
hyper_io!(UnixStream);

/// hyper's timer on chronia: sleeps are [`SendSleep`]s of the runtime that
/// polls the connection, reset in place.
///
/// # Examples
///
/// ```
/// let mut builder = hyper::server::conn::http1::Builder::new();
/// builder
///     .timer(chronia::compat::hyper::Timer::new())
///     .header_read_timeout(std::time::Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Timer {
    _private: (),
}

impl Timer {
    /// The timer.
    ///
    /// # Examples
    ///
    /// ```
    /// let _timer = chronia::compat::hyper::Timer::new();
    /// ```
    pub fn new() -> Self {
        Timer { _private: () }
    }
}

/// The `Sleep` that [`Timer`] gives hyper.
struct HyperSleep(SendSleep);

impl Future for HyperSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}

impl hyper::rt::Timer for Timer {
    /// # Panics
    ///
    /// Outside a chronia runtime (hyper calls it while polling a
    /// connection, which runs on one).
    #[track_caller]
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(SendSleep::new(duration)))
    }

    /// # Panics
    ///
    /// Outside a chronia runtime.
    #[track_caller]
    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(SendSleep::until(deadline)))
    }

    fn now(&self) -> Instant {
        // hyper asks once per request (the header-read deadline): read the
        // runtime's clock (virtual while paused) without cloning its `Rc`.
        crate::runtime::context::with_current(|driver| driver.state_mut().now())
            .unwrap_or_else(Instant::now)
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        if let Some(mut ours) = sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            ours.0.reset(new_deadline);
        } else {
            *sleep = self.sleep_until(new_deadline);
        }
    }
}

/// hyper's executor on chronia: spawns each future as a local task of the
/// current runtime (it need not be `Send`); HTTP/2 connections need one.
///
/// # Examples
///
/// ```
/// let _builder = hyper::server::conn::http2::Builder::new(chronia::compat::hyper::Executor::new());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Executor {
    _private: (),
}

impl Executor {
    /// The executor.
    ///
    /// # Examples
    ///
    /// ```
    /// let _exec = chronia::compat::hyper::Executor::new();
    /// ```
    pub fn new() -> Self {
        Executor { _private: () }
    }
}

impl<F> hyper::rt::Executor<F> for Executor
where
    F: Future + 'static,
    F::Output: 'static,
{
    /// # Panics
    ///
    /// Outside a chronia runtime, as [`spawn`](crate::spawn).
    #[track_caller]
    fn execute(&self, future: F) {
        drop(crate::spawn(future));
    }
}
