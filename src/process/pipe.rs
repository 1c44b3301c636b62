//! The parent's ends of a child's standard streams: pipes in non-blocking
//! mode on [`Async`], close-on-exec (std opens them so), closed by drop.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, PipeReader, PipeWriter, Read, Write};
use std::marker::PhantomData;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::io::Async;

mod convert;

/// How much `read_to_end` asks the kernel for at once: a pipe holds 64 KiB
/// by default.
const CHUNK: usize = 64 * 1024;

/// The write end of a child's standard input. Dropping it closes the pipe,
/// so the child reads end of file.
///
/// # Examples
///
/// ```
/// use chronia::process::{Command, Stdio};
///
/// chronia::block_on(async {
///     let mut child = Command::new("cat").stdin(Stdio::piped()).spawn()?;
///     let mut stdin = child.stdin.take().expect("piped");
///     stdin.write_all(b"hello").await?;
///     drop(stdin); // cat sees end of file and exits
///     assert!(child.wait().await?.success());
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ChildStdin {
    inner: Async<PipeWriter>,
}

/// The read end of a child's standard output: a [`ChildReader`] of
/// [`Stdout`].
///
/// # Examples
///
/// ```
/// use chronia::process::{Command, Stdio};
///
/// chronia::block_on(async {
///     let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
///     let mut out = Vec::new();
///     child.stdout.as_mut().expect("piped").read_to_end(&mut out).await?;
///     assert_eq!(out, b"hi\n");
///     child.wait().await?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub type ChildStdout = ChildReader<Stdout>;

/// The read end of a child's standard error: a [`ChildReader`] of
/// [`Stderr`].
///
/// # Examples
///
/// ```
/// use chronia::process::{Command, Stdio};
///
/// chronia::block_on(async {
///     let mut child = Command::new("sh")
///         .args(["-c", "echo oops >&2"])
///         .stderr(Stdio::piped())
///         .spawn()?;
///     let mut err = Vec::new();
///     child.stderr.as_mut().expect("piped").read_to_end(&mut err).await?;
///     assert_eq!(err, b"oops\n");
///     let mut buf = [0; 16];
///     assert_eq!(child.stderr.as_mut().expect("piped").read(&mut buf).await?, 0);
///     child.wait().await?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub type ChildStderr = ChildReader<Stderr>;

/// The read end of a pipe from a child: one type for its standard output
/// ([`ChildStdout`]) and standard error ([`ChildStderr`]), told apart by
/// the marker `S` ([`Stdout`] or [`Stderr`]). tokio has two distinct
/// types; here the two names are aliases of this one, with the same
/// methods and trait impls.
///
/// # Examples
///
/// ```
/// use chronia::process::{ChildReader, Command, Stdio, Stdout};
///
/// chronia::block_on(async {
///     let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
///     let out: &mut ChildReader<Stdout> = child.stdout.as_mut().expect("piped");
///     let mut text = Vec::new();
///     out.read_to_end(&mut text).await?;
///     assert_eq!(text, b"hi\n");
///     child.wait().await?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ChildReader<S: Stream> {
    inner: Async<PipeReader>,
    stream: PhantomData<fn() -> S>,
}

/// Which of a child's output streams a [`ChildReader`] reads: [`Stdout`]
/// or [`Stderr`]. Sealed: implemented by those two alone.
///
/// # Examples
///
/// ```
/// use chronia::process::{Stderr, Stdout, Stream};
///
/// assert_eq!(Stdout::NAME, "ChildStdout");
/// assert_eq!(Stderr::NAME, "ChildStderr");
/// ```
pub trait Stream: sealed::Sealed {
    /// The name the reader goes by (`ChildStdout`, `ChildStderr`), for
    /// `Debug`.
    const NAME: &'static str;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Stdout {}
    impl Sealed for super::Stderr {}
}

/// Marks a [`ChildReader`] of a child's standard output ([`ChildStdout`]).
///
/// # Examples
///
/// ```
/// use chronia::process::{ChildReader, ChildStdout, Stdout};
///
/// fn same(pipe: ChildStdout) -> ChildReader<Stdout> {
///     pipe
/// }
/// # let _ = same;
/// ```
#[derive(Debug)]
pub enum Stdout {}

/// Marks a [`ChildReader`] of a child's standard error ([`ChildStderr`]).
///
/// # Examples
///
/// ```
/// use chronia::process::{ChildReader, ChildStderr, Stderr};
///
/// fn same(pipe: ChildStderr) -> ChildReader<Stderr> {
///     pipe
/// }
/// # let _ = same;
/// ```
#[derive(Debug)]
pub enum Stderr {}

impl Stream for Stdout {
    const NAME: &'static str = "ChildStdout";
}

impl Stream for Stderr {
    const NAME: &'static str = "ChildStderr";
}

impl ChildStdin {
    pub(crate) fn new(std: std::process::ChildStdin) -> io::Result<ChildStdin> {
        let inner = Async::new(PipeWriter::from(OwnedFd::from(std)))?;
        Ok(ChildStdin { inner })
    }

    /// Writes some of `buf`, waiting until the pipe has room; returns how
    /// many bytes went.
    ///
    /// # Errors
    ///
    /// The kernel's error from `write(2)`: `BrokenPipe` once the child has
    /// closed its end.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::{Command, Stdio};
    ///
    /// chronia::block_on(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).spawn()?;
    ///     let n = child.stdin.as_mut().expect("piped").write(b"abc").await?;
    ///     assert!(n > 0);
    ///     child.wait().await?; // closes stdin first
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| Pin::new(&mut *self).poll_write(cx, buf)).await
    }

    /// Writes all of `buf`, waiting for room as often as needed.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write); `WriteZero` if the kernel took nothing.
    /// Part of `buf` may have been written.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::{Command, Stdio};
    ///
    /// chronia::block_on(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).spawn()?;
    ///     child.stdin.as_mut().expect("piped").write_all(b"abc").await?;
    ///     child.wait().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

/// Reads `buf`, waiting until the pipe has data or hangs up. A pipe is a
/// byte stream, so a short read means it was drained (see
/// `Async::poll_read_stream`).
fn poll_read(
    pipe: &mut Async<PipeReader>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    if buf.is_empty() {
        return Poll::Ready(Ok(0));
    }
    let len = buf.len();
    pipe.poll_read_stream(cx, len, |mut p| p.read(buf))
}

/// Reads until end of file, appending to `buf`; `Ready` once the writer is
/// gone.
pub(crate) fn poll_read_to_end(
    pipe: &mut Async<PipeReader>,
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
    total: &mut usize,
) -> Poll<io::Result<usize>> {
    loop {
        let len = buf.len();
        buf.resize(len + CHUNK, 0);
        let res = poll_read(pipe, cx, &mut buf[len..]);
        let n = match &res {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        buf.truncate(len + n);
        match res {
            Poll::Ready(Ok(0)) => return Poll::Ready(Ok(*total)),
            Poll::Ready(Ok(n)) => *total += n,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    }
}

impl<S: Stream> ChildReader<S> {
    pub(crate) fn new(std: impl Into<OwnedFd>) -> io::Result<ChildReader<S>> {
        let inner = Async::new(PipeReader::from(std.into()))?;
        Ok(ChildReader {
            inner,
            stream: PhantomData,
        })
    }

    pub(crate) fn as_async_mut(&mut self) -> &mut Async<PipeReader> {
        &mut self.inner
    }

    /// Reads into `buf`, waiting until the child writes or closes its end;
    /// `Ok(0)` means end of file.
    ///
    /// # Errors
    ///
    /// The kernel's error from `read(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::{Command, Stdio};
    ///
    /// chronia::block_on(async {
    ///     let mut child = Command::new("echo").arg("x").stdout(Stdio::piped()).spawn()?;
    ///     let mut buf = [0; 16];
    ///     let n = child.stdout.as_mut().expect("piped").read(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"x\n");
    ///     child.wait().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| poll_read(&mut self.inner, cx, buf)).await
    }

    /// Reads until end of file (the child and every other holder of the
    /// write end closed it), appending to `buf`; returns how many bytes
    /// were read.
    ///
    /// # Errors
    ///
    /// The kernel's error from `read(2)`; what was read before stays in
    /// `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::{Command, Stdio};
    ///
    /// chronia::block_on(async {
    ///     let mut child = Command::new("echo").arg("x").stdout(Stdio::piped()).spawn()?;
    ///     let mut out = Vec::new();
    ///     child.stdout.as_mut().expect("piped").read_to_end(&mut out).await?;
    ///     assert_eq!(out, b"x\n");
    ///     child.wait().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let mut total = 0;
        poll_fn(|cx| poll_read_to_end(&mut self.inner, cx, buf, &mut total)).await
    }
}

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.inner
            .poll_write_stream(cx, buf.len(), |mut p| p.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A pipe has no user-space buffer to flush.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The pipe closes when the `ChildStdin` drops.
        Poll::Ready(Ok(()))
    }
}

impl<S: Stream> AsyncRead for ChildReader<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        poll_read(&mut self.inner, cx, buf)
    }
}

impl AsFd for ChildStdin {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl<S: Stream> AsFd for ChildReader<S> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ChildStdin").field(&self.inner).finish()
    }
}

impl<S: Stream> fmt::Debug for ChildReader<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple(S::NAME).field(&self.inner).finish()
    }
}
