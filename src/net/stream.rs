//! Reads and writes shared by the stream sockets (TCP and Unix).
//!
//! Both go through `Async::poll_read_stream` / `poll_write_stream`: a short
//! transfer clears readiness, so the next call waits for the kernel instead
//! of spending a syscall on `WouldBlock`.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use crate::io::Async;

pub(super) fn poll_read<T: AsFd>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>>
where
    for<'a> &'a T: Read,
{
    if buf.is_empty() {
        // Nothing to wait for: a zero-byte read could never report data.
        return Poll::Ready(Ok(0));
    }
    let len = buf.len();
    io.poll_read_stream(cx, len, |mut s| s.read(buf))
}

pub(super) fn poll_write<T: AsFd>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>>
where
    for<'a> &'a T: Write,
{
    if buf.is_empty() {
        return Poll::Ready(Ok(0));
    }
    io.poll_write_stream(cx, buf.len(), |mut s| s.write(buf))
}

pub(super) async fn read<T: AsFd>(io: &Async<T>, buf: &mut [u8]) -> io::Result<usize>
where
    for<'a> &'a T: Read,
{
    poll_fn(|cx| poll_read(io, cx, buf)).await
}

pub(super) async fn write<T: AsFd>(io: &Async<T>, buf: &[u8]) -> io::Result<usize>
where
    for<'a> &'a T: Write,
{
    poll_fn(|cx| poll_write(io, cx, buf)).await
}

pub(super) async fn write_all<T: AsFd>(io: &Async<T>, mut buf: &[u8]) -> io::Result<()>
where
    for<'a> &'a T: Write,
{
    while !buf.is_empty() {
        match write(io, buf).await? {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the socket accepted no bytes",
                ));
            }
            n => buf = &buf[n..],
        }
    }
    Ok(())
}
