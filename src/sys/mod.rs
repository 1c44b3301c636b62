//! Every libc call of the facade, each wrapped once as a safe function.
//!
//! Conventions as in the reactor's `sys`: "-1 and errno" becomes
//! `io::Error::last_os_error()` here, `EINTR` is retried here.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

fn cvt(n: libc::c_int) -> io::Result<libc::c_int> {
    if n == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n)
    }
}

fn cvt_r(mut f: impl FnMut() -> libc::c_int) -> io::Result<libc::c_int> {
    loop {
        match cvt(f()) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Puts `fd` in non-blocking mode: one `ioctl(FIONBIO)`, which the kernel
/// handles for every kind of file (`fcntl` would take two calls, a read of
/// the flags and a write).
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let mut on: libc::c_int = 1;
    // SAFETY: FIONBIO takes a pointer to an int, which `on` is, live and
    // writable across the call.
    cvt_r(|| unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONBIO, &raw mut on) })?;
    Ok(())
}

pub(crate) mod affinity;
pub(crate) mod fd;
pub(crate) mod thread_bound;
pub(crate) mod uninit;
/// Reads from `fd` into the spare capacity of `buf` (64 bytes are reserved
/// first if it has none) and extends its length by what was read, so the
/// bytes need not be zeroed first.
pub(crate) fn read_to_spare(fd: BorrowedFd<'_>, buf: &mut Vec<u8>) -> io::Result<usize> {
    if buf.capacity() == buf.len() {
        buf.reserve(64);
    }
    let spare = buf.spare_capacity_mut();
    let n = loop {
        // SAFETY: `spare` is `spare.len()` writable bytes that live across
        // the call; read(2) stores plain bytes there and never reads them.
        let n = unsafe { libc::read(fd.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len()) };
        if let Ok(n) = usize::try_from(n) {
            break n;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    };
    let len = buf.len() + n;
    // SAFETY: read(2) initialised the first `n` bytes of the spare
    // capacity, so the first `len` bytes are initialised, and `n` is at
    // most the spare length, so `len` is within the capacity.
    unsafe { buf.set_len(len) };
    Ok(n)
}

pub(crate) mod net;
pub(crate) mod peer;
pub(crate) mod process;
pub(crate) mod rc_slice;
pub(crate) mod signal;
pub(crate) mod sigset;
pub(crate) mod socket;
pub(crate) mod sockopt;
pub(crate) mod thread;
