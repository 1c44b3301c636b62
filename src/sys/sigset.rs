//! Signal sets and the calling thread's mask: the facade's one way to build
//! a `sigset_t` and to read or change a thread's mask.
//!
//! Everything here is async-signal-safe (a set is a plain value on the
//! stack; `sigemptyset`, `sigaddset` and `pthread_sigmask` are safe in a
//! handler and between `fork` and `exec`), and nothing here panics.

use std::io;
use std::mem::MaybeUninit;

/// A set of signals (`sigset_t`).
#[derive(Clone, Copy)]
pub(crate) struct SigSet(libc::sigset_t);

impl SigSet {
    /// No signal.
    pub(crate) fn empty() -> SigSet {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: `set` is a writable sigset_t; sigemptyset initialises it
        // and cannot fail for a valid pointer.
        unsafe { libc::sigemptyset(set.as_mut_ptr()) };
        // SAFETY: initialised by sigemptyset just above.
        SigSet(unsafe { set.assume_init() })
    }

    /// Every signal.
    pub(crate) fn full() -> SigSet {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: `set` is a writable sigset_t; sigfillset initialises it
        // and cannot fail for a valid pointer.
        unsafe { libc::sigfillset(set.as_mut_ptr()) };
        // SAFETY: initialised by sigfillset just above.
        SigSet(unsafe { set.assume_init() })
    }

    /// The signals of `signos`.
    pub(crate) fn of(signos: impl IntoIterator<Item = i32>) -> SigSet {
        let mut set = SigSet::empty();
        for signo in signos {
            set.add(signo);
        }
        set
    }

    /// Adds `signo`. An invalid number only makes `sigaddset` fail with
    /// `EINVAL`, which is harmless: such a signal cannot be in any mask.
    pub(crate) fn add(&mut self, signo: i32) {
        // SAFETY: `self.0` is an initialised set, written in place.
        unsafe { libc::sigaddset(&raw mut self.0, signo) };
    }

    /// Whether `signo` is in the set.
    pub(crate) fn contains(&self, signo: i32) -> bool {
        // SAFETY: `self.0` is an initialised set; it is only read.
        unsafe { libc::sigismember(&raw const self.0, signo) == 1 }
    }

    /// The raw set, for a syscall that reads it.
    pub(crate) fn as_ptr(&self) -> *const libc::sigset_t {
        &raw const self.0
    }

    /// The raw set, to be stored in a `sigaction`.
    pub(crate) fn to_raw(self) -> libc::sigset_t {
        self.0
    }
}

/// How [`thread_mask`] changes the mask.
#[derive(Debug, Clone, Copy)]
pub(crate) enum How {
    Block,
    Unblock,
    Set,
}

/// Changes the calling thread's mask by `set` as `how` says (or only reads
/// it, for `None`); returns the mask it had before.
pub(crate) fn thread_mask(how: How, set: Option<&SigSet>) -> io::Result<SigSet> {
    let how = match how {
        How::Block => libc::SIG_BLOCK,
        How::Unblock => libc::SIG_UNBLOCK,
        How::Set => libc::SIG_SETMASK,
    };
    let new = set.map_or(std::ptr::null(), SigSet::as_ptr);
    let mut old = SigSet::empty();
    // SAFETY: `new` is null or an initialised set, `old` a writable one;
    // both live across the call.
    let rc = unsafe { libc::pthread_sigmask(how, new, &raw mut old.0) };
    // pthread_sigmask returns the error number instead of setting errno.
    if rc == 0 {
        Ok(old)
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}
