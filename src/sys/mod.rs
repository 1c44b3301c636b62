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

/// Puts `fd` in non-blocking mode.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: F_GETFL takes no argument and only reads the fd's flags.
    let flags = cvt_r(|| unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: F_SETFL takes an int of flags, which we pass.
        cvt_r(|| unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    }
    Ok(())
}

pub(crate) mod net;
pub(crate) mod process;
pub(crate) mod signal;
