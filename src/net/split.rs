//! The halves of a split stream, written once for [`TcpStream`] and
//! [`UnixStream`]: [`ReadHalf`] / [`WriteHalf`] borrow the stream
//! (`split`), [`OwnedReadHalf`] / [`OwnedWriteHalf`] share it (`into_split`)
//! and can move into two tasks. `chronia::net::tcp` and `chronia::net::unix`
//! name them for each stream type, at tokio's paths.
//!
//! Reads and writes of chronia's streams take `&self`, so splitting costs
//! nothing: a half is a reference (or an `Rc`) to the stream, and
//! [`AsRef`] gives the stream back for everything else (`peer_addr`,
//! `readable`, `try_read`, ...). As in tokio, dropping the
//! [`OwnedWriteHalf`] shuts down the write side (the peer reads
//! end-of-file) unless [`forget`](OwnedWriteHalf::forget) was called, and
//! [`reunite`](OwnedReadHalf::reunite) gives back the stream.
//!
//! [`TcpStream`]: crate::net::TcpStream
//! [`UnixStream`]: crate::net::UnixStream

use std::error::Error;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// The reading half of a stream, borrowed (from `split`).
///
/// # Examples
///
/// ```
/// use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
/// chronia::block_on(async {
///     let (mut a, b) = chronia::net::UnixStream::pair()?;
///     let (mut reader, mut writer) = a.split();
///     writer.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     b.read(&mut buf).await?;
///     b.write_all(b"yo").await?;
///     reader.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"yo");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct ReadHalf<'a, S>(pub(crate) &'a S);

/// The writing half of a stream, borrowed (from `split`). Closing it
/// ([`poll_close`](AsyncWrite::poll_close)) shuts down the write side;
/// dropping it does not.
///
/// # Examples
///
/// See [`ReadHalf`].
#[derive(Debug)]
pub struct WriteHalf<'a, S>(pub(crate) &'a S);

/// The reading half of a stream, owned (from `into_split`): it can move
/// into a task of its own.
///
/// # Examples
///
/// ```
/// use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
/// chronia::block_on(async {
///     let (a, b) = chronia::net::UnixStream::pair()?;
///     let (mut reader, mut writer) = a.into_split();
///     let echo = chronia::spawn(async move {
///         let mut buf = [0; 4];
///         reader.read_exact(&mut buf).await?;
///         Ok::<_, std::io::Error>((buf, reader))
///     });
///     b.write_all(b"ping").await?;
///     let (buf, reader) = echo.await.expect("no panic")?;
///     assert_eq!(&buf, b"ping");
///     writer.write_all(b"pong").await?;
///     let stream = reader.reunite(writer).expect("halves of one stream");
///     let mut reply = [0; 4];
///     b.read(&mut reply).await?;
///     assert_eq!(&reply, b"pong");
///     drop(stream);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct OwnedReadHalf<S> {
    stream: Rc<S>,
}

/// The writing half of a stream, owned (from `into_split`). Dropping it
/// shuts down the write side, so the peer reads end-of-file, unless
/// [`forget`](Self::forget) is called first.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let (a, b) = chronia::net::UnixStream::pair()?;
///     let (_reader, writer) = a.into_split();
///     drop(writer);
///     assert_eq!(b.read(&mut [0; 8]).await?, 0, "end-of-file");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct OwnedWriteHalf<S> {
    stream: Rc<S>,
    /// Shuts down the stream's write side; `None` once forgotten.
    shutdown: Option<fn(&S)>,
}

impl<S: fmt::Debug> fmt::Debug for OwnedWriteHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedWriteHalf")
            .field("stream", &self.stream)
            .field("shutdown_on_drop", &self.shutdown.is_some())
            .finish()
    }
}

/// Splits `stream` into owned halves; `shutdown` shuts down its write side
/// (run when the write half drops).
pub(crate) fn into_split<S>(stream: S, shutdown: fn(&S)) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let stream = Rc::new(stream);
    (
        OwnedReadHalf {
            stream: Rc::clone(&stream),
        },
        OwnedWriteHalf {
            stream,
            shutdown: Some(shutdown),
        },
    )
}

impl<S> OwnedReadHalf<S> {
    /// Puts the stream back together from its two halves.
    ///
    /// # Errors
    ///
    /// [`ReuniteError`], holding both halves, if they come from different
    /// streams.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixStream::pair()?;
    ///     let (ra, wa) = a.into_split();
    ///     let (rb, wb) = b.into_split();
    ///     let err = ra.reunite(wb).expect_err("different streams");
    ///     let (ra, wb) = (err.0, err.1);
    ///     let _a = ra.reunite(wa).expect("the same stream");
    ///     let _b = rb.reunite(wb).expect("the same stream");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[expect(
        clippy::missing_panics_doc,
        reason = "the two halves hold the only references to the stream: it cannot panic"
    )]
    pub fn reunite(self, other: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Rc::ptr_eq(&self.stream, &other.stream) {
            return Err(ReuniteError(self, other));
        }
        let mut other = other;
        other.shutdown = None;
        drop(other);
        Ok(Rc::try_unwrap(self.stream)
            .ok()
            .expect("the two halves held the only references"))
    }
}

impl<S> OwnedWriteHalf<S> {
    /// Drops the half without shutting down the write side.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, b) = chronia::net::UnixStream::pair()?;
    ///     let (reader, writer) = a.into_split();
    ///     writer.forget();
    ///     reader.as_ref().write_all(b"still open").await?;
    ///     assert!(b.read(&mut [0; 16]).await? > 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn forget(mut self) {
        self.shutdown = None;
    }
}

impl<S> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown(&self.stream);
        }
    }
}

macro_rules! as_ref {
    ($($half:ty),*) => {$(
        impl<S> AsRef<S> for $half {
            fn as_ref(&self) -> &S {
                &self.stream
            }
        }
    )*};
}
as_ref!(OwnedReadHalf<S>, OwnedWriteHalf<S>);

impl<S> AsRef<S> for ReadHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.0
    }
}

impl<S> AsRef<S> for WriteHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.0
    }
}

fn poll_read<S>(stream: &S, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>
where
    for<'a> &'a S: AsyncRead,
{
    Pin::new(&mut &*stream).poll_read(cx, buf)
}

impl<S> AsyncRead for ReadHalf<'_, S>
where
    for<'a> &'a S: AsyncRead,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        poll_read(self.0, cx, buf)
    }
}

impl<S> AsyncRead for OwnedReadHalf<S>
where
    for<'a> &'a S: AsyncRead,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        poll_read(&*self.stream, cx, buf)
    }
}

impl<S> AsyncWrite for WriteHalf<'_, S>
where
    for<'a> &'a S: AsyncWrite,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_close(cx)
    }
}

impl<S> AsyncWrite for OwnedWriteHalf<S>
where
    for<'a> &'a S: AsyncWrite,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.stream).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.stream).poll_close(cx)
    }
}

/// The error of [`OwnedReadHalf::reunite`]: the halves come from
/// different streams. Both are given back.
///
/// # Examples
///
/// See [`OwnedReadHalf::reunite`].
#[derive(Debug)]
pub struct ReuniteError<S>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

impl<S> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl<S: fmt::Debug> Error for ReuniteError<S> {}
