//! `tokio::io::AsyncRead`/`AsyncWrite` on chronia's streams (feature
//! `tokio-io`).
//!
//! TCP and Unix streams read straight into tokio's `ReadBuf`, uninitialised
//! part included (no zero-fill), with the stream's short-read rule, and
//! write vectored (`is_write_vectored` is true). The child pipes go through
//! their `futures_io` reads, which need initialised bytes: the `ReadBuf`'s
//! unfilled part is zeroed once (tokio keeps track of what is initialised,
//! so a reused buffer is not zeroed again). `poll_shutdown` shuts the write
//! side down (TCP, Unix) or closes the pipe (`ChildStdin`); `poll_flush`
//! has nothing to flush.
//!
//! # Examples
//!
//! ```
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! chronia::block_on(async {
//!     let (mut a, mut b) = chronia::net::UnixStream::pair()?;
//!     AsyncWriteExt::write_all(&mut a, b"through tokio's traits").await?;
//!     AsyncWriteExt::shutdown(&mut a).await?;
//!     let mut got = String::new();
//!     AsyncReadExt::read_to_string(&mut b, &mut got).await?;
//!     assert_eq!(got, "through tokio's traits");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::net::{TcpStream, UnixStream};
use crate::process::{ChildStderr, ChildStdin, ChildStdout};

macro_rules! tokio_stream {
    ($ty:ty) => {
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let stream = &*self;
                crate::sys::uninit::with_tokio_buf(buf, |room| {
                    stream.poll_read_into(cx, room).map_ok(drop)
                })
            }
        }

        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                futures_io::AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_close(self, cx)
            }
        }
    };
}

tokio_stream!(TcpStream);
tokio_stream!(UnixStream);

macro_rules! tokio_pipe_reader {
    ($ty:ty) => {
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let room = buf.initialize_unfilled();
                match futures_io::AsyncRead::poll_read(self, cx, room) {
                    Poll::Ready(Ok(n)) => {
                        buf.advance(n);
                        Poll::Ready(Ok(()))
                    }
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    };
}

tokio_pipe_reader!(ChildStdout);
tokio_pipe_reader!(ChildStderr);

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(self, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(self, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_close(self, cx)
    }
}
