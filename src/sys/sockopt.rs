//! `getsockopt(2)` and `setsockopt(2)`, wrapped once for every option
//! value type the facade uses.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::cvt;

/// An option value the kernel may read or write as raw bytes: a C type of
/// plain integers, for which every bit pattern is a valid value.
pub(crate) trait Plain: Copy + sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for libc::c_int {}
    impl Sealed for libc::linger {}
    impl Sealed for libc::ucred {}
}

impl Plain for libc::c_int {}
impl Plain for libc::linger {}
impl Plain for libc::ucred {}

fn len_of<T: Plain>() -> libc::socklen_t {
    libc::socklen_t::try_from(mem::size_of::<T>()).expect("option values are a few bytes")
}

/// Sets option `name` of `level` to `value`.
pub(crate) fn set<T: Plain>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: T,
) -> io::Result<()> {
    // SAFETY: `value` is an initialised `T` of `len_of::<T>()` bytes that
    // lives across the call; the kernel only reads it.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&raw const value).cast(),
            len_of::<T>(),
        )
    };
    cvt(rc).map(drop)
}

/// Reads option `name` of `level` into a copy of `value` (which gives the
/// bytes the kernel does not write).
pub(crate) fn get<T: Plain>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    mut value: T,
) -> io::Result<T> {
    let mut len = len_of::<T>();
    // SAFETY: `value` and `len` are writable and live across the call;
    // `len` says how many bytes `value` has, and any bytes the kernel
    // writes there make a valid `T` (`Plain`).
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&raw mut value).cast(),
            &raw mut len,
        )
    };
    cvt(rc)?;
    Ok(value)
}
