//! File-descriptor flags that the facade changes when it hands an fd back
//! to blocking code.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::cvt_r;

/// Puts `fd` back in blocking mode (one `ioctl(FIONBIO)`, as
/// `sys::set_nonblocking`): the flag belongs to the open file description,
/// which a child given the fd shares, and most programs expect their
/// standard streams to block.
pub(crate) fn set_blocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let mut off: libc::c_int = 0;
    // SAFETY: FIONBIO takes a pointer to an int, which `off` is, live and
    // writable across the call.
    cvt_r(|| unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONBIO, &raw mut off) })?;
    Ok(())
}
