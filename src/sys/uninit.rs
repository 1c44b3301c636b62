//! Reads into uninitialised memory, and the handover of such reads to
//! hyper's and tokio's read buffers.
//!
//! # Invariant
//!
//! [`UninitBuf::filled`] counts bytes at the front of the buffer that
//! `read(2)` (or `recv(2)`) wrote; only [`UninitBuf::read_from`] and
//! [`UninitBuf::recv_from`] raise it (through `fill`), by what the kernel
//! reported, and nothing ever writes uninitialised bytes into the
//! buffer. So the first `filled` bytes are initialised, which is what the
//! unsafe blocks below rely on.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd};

/// A buffer of possibly uninitialised bytes, filled from the front by reads.
pub(crate) struct UninitBuf<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    filled: usize,
}

impl<'a> UninitBuf<'a> {
    pub(crate) fn new(buf: &'a mut [MaybeUninit<u8>]) -> Self {
        Self { buf, filled: 0 }
    }

    /// Room left after the filled bytes.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.filled
    }

    /// How many bytes are filled.
    #[allow(dead_code, reason = "used only by the optional compat features")]
    pub(crate) fn filled_len(&self) -> usize {
        self.filled
    }

    /// One `read(2)` from `fd` into the room left; returns what it read.
    pub(crate) fn read_from(&mut self, fd: BorrowedFd<'_>) -> io::Result<usize> {
        self.fill(|room| {
            // SAFETY: `room` is `room.len()` writable bytes that live across
            // the call; read(2) stores plain bytes there and never reads them.
            unsafe { libc::read(fd.as_raw_fd(), room.as_mut_ptr().cast(), room.len()) }
        })
    }

    /// One `recv(2)` without flags from socket `fd` into the room left;
    /// returns what it read. On a stream socket this is what `read(2)`
    /// does, by a shorter path through the kernel (std's `TcpStream::read`
    /// calls it too).
    pub(crate) fn recv_from(&mut self, fd: BorrowedFd<'_>) -> io::Result<usize> {
        self.fill(|room| {
            // SAFETY: `room` is `room.len()` writable bytes that live across
            // the call; recv(2) stores plain bytes there and never reads them.
            unsafe { libc::recv(fd.as_raw_fd(), room.as_mut_ptr().cast(), room.len(), 0) }
        })
    }

    /// Runs `op`, a `read(2)`-like syscall into the room it is given,
    /// retrying `EINTR`, and counts what the kernel reports it wrote.
    fn fill(&mut self, mut op: impl FnMut(&mut [MaybeUninit<u8>]) -> isize) -> io::Result<usize> {
        let room = &mut self.buf[self.filled..];
        let n = loop {
            if let Ok(n) = usize::try_from(op(room)) {
                break n;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        };
        self.filled += n.min(room.len());
        Ok(n)
    }

    /// The filled bytes, for as long as the buffer was borrowed.
    pub(crate) fn into_filled(self) -> &'a mut [u8] {
        let filled = &mut self.buf[..self.filled];
        // SAFETY: the first `filled` bytes are initialised (module
        // invariant), and `MaybeUninit<u8>` has the layout of `u8`.
        unsafe { &mut *(std::ptr::from_mut::<[MaybeUninit<u8>]>(filled) as *mut [u8]) }
    }
}

/// Lends the unfilled part of hyper's read buffer to `f` as an
/// [`UninitBuf`], then marks what `f` read into it as filled.
#[cfg(feature = "hyper")]
pub(crate) fn with_hyper_cursor<R>(
    cursor: &mut hyper::rt::ReadBufCursor<'_>,
    f: impl FnOnce(&mut UninitBuf<'_>) -> R,
) -> R {
    // SAFETY: `as_mut` requires that no uninitialised byte is written into
    // initialised room; only `read(2)` writes through an `UninitBuf`.
    let room = unsafe { cursor.as_mut() };
    let mut buf = UninitBuf::new(room);
    let out = f(&mut buf);
    let n = buf.filled_len();
    // SAFETY: the first `n` bytes of the room are initialised (module
    // invariant), as `advance` requires.
    unsafe { cursor.advance(n) };
    out
}

/// Lends the unfilled part of tokio's read buffer to `f` as an
/// [`UninitBuf`], then marks what `f` read into it as initialised and
/// filled.
#[cfg(feature = "tokio-io")]
pub(crate) fn with_tokio_buf<R>(
    rb: &mut tokio::io::ReadBuf<'_>,
    f: impl FnOnce(&mut UninitBuf<'_>) -> R,
) -> R {
    // SAFETY: `unfilled_mut` requires that no uninitialised byte is written
    // into initialised room; only `read(2)` writes through an `UninitBuf`.
    let room = unsafe { rb.unfilled_mut() };
    let mut buf = UninitBuf::new(room);
    let out = f(&mut buf);
    let n = buf.filled_len();
    // SAFETY: the first `n` unfilled bytes are initialised (module
    // invariant), as `assume_init` requires.
    unsafe { rb.assume_init(n) };
    rb.advance(n);
    out
}
