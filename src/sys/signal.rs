//! Signal syscalls of the facade, and the process-wide forwarding handler.
//!
//! Everything here that runs inside the handler is async-signal-safe: raw
//! syscalls (`gettid`, `getpid`, `tgkill`), reads of `errno` through its
//! location, and lock-free atomic loads in the callback (see
//! `signal::registry`). Nothing allocates, locks or formats.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;

/// The id of the calling thread.
pub(crate) fn gettid() -> i32 {
    // SAFETY: gettid takes no arguments and cannot fail; it is a raw
    // syscall, so async-signal-safe.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    i32::try_from(tid).expect("thread ids fit in pid_t")
}

/// The id of this process.
pub(crate) fn getpid() -> i32 {
    // SAFETY: getpid takes no arguments and cannot fail; async-signal-safe.
    unsafe { libc::getpid() }
}

/// Sends `signo` to thread `tid` of this process. Async-signal-safe.
pub(crate) fn tgkill(tid: i32, signo: i32) -> io::Result<()> {
    let pid = getpid();
    // SAFETY: tgkill takes three integers; the kernel checks them all. It is
    // a raw syscall, so async-signal-safe.
    let rc = unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, signo) };
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn one_signal(signo: i32) -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `set` is a writable sigset_t; sigemptyset initialises it.
    unsafe { libc::sigemptyset(set.as_mut_ptr()) };
    // SAFETY: `set` was initialised just above; the caller passes a valid
    // signal number (sigaddset only fails with EINVAL otherwise).
    unsafe { libc::sigaddset(set.as_mut_ptr(), signo) };
    // SAFETY: initialised by the two calls above.
    unsafe { set.assume_init() }
}

/// Blocks `signo` in the calling thread; says whether it was blocked before.
pub(crate) fn block(signo: i32) -> io::Result<bool> {
    let set = one_signal(signo);
    let mut old = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `set` is an initialised sigset_t and `old` a writable one,
    // both live across the call.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, old.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    // SAFETY: pthread_sigmask filled `old` (it succeeded).
    let was = unsafe { libc::sigismember(old.as_ptr(), signo) };
    Ok(was == 1)
}

/// Unblocks `signo` in the calling thread.
pub(crate) fn unblock(signo: i32) -> io::Result<()> {
    let set = one_signal(signo);
    // SAFETY: `set` is an initialised sigset_t; the old set may be null.
    let rc =
        unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &raw const set, std::ptr::null_mut()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// Takes one pending instance of `signo` (for this thread or the process)
/// without waiting; `false` if none was pending.
pub(crate) fn take_pending(signo: i32) -> io::Result<bool> {
    let set = one_signal(signo);
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    loop {
        // SAFETY: `set` and `zero` are valid and live across the call; the
        // siginfo pointer may be null.
        let rc =
            unsafe { libc::sigtimedwait(&raw const set, std::ptr::null_mut(), &raw const zero) };
        if rc != -1 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::Interrupted => {}
            io::ErrorKind::WouldBlock => return Ok(false),
            _ => return Err(e),
        }
    }
}

/// A signal's disposition as `sigaction(2)` reports it, kept to be put back.
#[derive(Clone, Copy)]
pub(crate) struct Action(libc::sigaction);

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Action")
            .field("handler", &self.0.sa_sigaction)
            .field("flags", &self.0.sa_flags)
            .finish_non_exhaustive()
    }
}

/// Installs the forwarding handler for `signo`; returns the action it
/// replaced, to be given back with [`restore`].
pub(crate) fn install_forwarder(signo: i32) -> io::Result<Action> {
    let mut new = MaybeUninit::<libc::sigaction>::zeroed();
    let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = on_signal;
    {
        // SAFETY: `new` is zero-initialised, a valid (empty) sigaction.
        let new = unsafe { new.assume_init_mut() };
        new.sa_sigaction = handler as libc::sighandler_t;
        // SA_RESTART: the handler runs on threads that are not ours; their
        // syscalls must not fail with EINTR because of it. SA_ONSTACK: use
        // the thread's alternate stack if it has one (Rust threads do).
        new.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
    }
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: both pointers are valid sigactions that live across the call;
    // `new` was initialised above (an empty mask from zeroing: no signal is
    // blocked during the handler beyond `signo` itself).
    let rc = unsafe { libc::sigaction(signo, new.as_ptr(), old.as_mut_ptr()) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: zero-initialised and filled by the kernel.
    Ok(Action(unsafe { old.assume_init() }))
}

/// Puts back an action saved by [`install_forwarder`], flags and mask included.
pub(crate) fn restore(signo: i32, action: &Action) -> io::Result<()> {
    // SAFETY: `action.0` is a sigaction the kernel gave us; the old-action
    // pointer may be null.
    let rc = unsafe { libc::sigaction(signo, &raw const action.0, std::ptr::null_mut()) };
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The handler: forwards the signal to the threads listening for it.
extern "C" fn on_signal(signo: libc::c_int, _info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: __errno_location has no preconditions; it returns this
    // thread's errno slot, valid for the thread's life.
    let slot = unsafe { libc::__errno_location() };
    // SAFETY: `slot` is valid and aligned (above). Saving and restoring errno
    // keeps the interrupted code's errno intact, as a handler must.
    let errno = unsafe { slot.read() };
    crate::signal::registry::forward(signo);
    // SAFETY: as above.
    unsafe { slot.write(errno) };
}
