//! Thread signal masks, for the threads of the blocking pool.
//!
//! A pool thread must never be handed a signal: the runtime's signal
//! handling (signalfd and the forwarding handler) lives on runtime threads,
//! and a signal delivered to a pool thread would either take its default
//! action or be lost to the program. A new thread inherits the mask of the
//! thread that creates it, so the pool blocks everything around the
//! `pthread_create` ([`MaskGuard`]) and the thread starts with every signal
//! blocked, without a window in which one could arrive.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;

/// Blocks every signal in the calling thread until dropped, then puts the
/// mask back as it was.
pub(crate) struct MaskGuard {
    previous: libc::sigset_t,
}

impl MaskGuard {
    /// Blocks every signal that can be blocked in the calling thread
    /// (the kernel never blocks `SIGKILL` and `SIGSTOP`, and libc keeps its
    /// two internal real-time signals for itself).
    pub(crate) fn block_all() -> io::Result<MaskGuard> {
        let mut all = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: `all` is a writable sigset_t; sigfillset initialises it
        // and cannot fail with a valid pointer.
        unsafe { libc::sigfillset(all.as_mut_ptr()) };
        let mut previous = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: `all` was initialised just above and `previous` is a
        // writable sigset_t; both live across the call.
        let rc = unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, all.as_ptr(), previous.as_mut_ptr())
        };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(MaskGuard {
            // SAFETY: pthread_sigmask succeeded, so it filled `previous`.
            previous: unsafe { previous.assume_init() },
        })
    }

    /// As [`block_all`](Self::block_all), but leaves the synchronous fault
    /// signals (`SIGSEGV`, `SIGBUS`, `SIGFPE`, `SIGILL`, `SIGTRAP`,
    /// `SIGSYS`) unblocked: a fault raises them in the faulting thread,
    /// and the kernel kills the process at once (skipping any handler, such
    /// as std's stack-overflow report) when the thread blocks them.
    pub(crate) fn block_all_but_faults() -> io::Result<MaskGuard> {
        let guard = MaskGuard::block_all()?;
        let mut faults = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: `faults` is a writable sigset_t; sigemptyset initialises it.
        unsafe { libc::sigemptyset(faults.as_mut_ptr()) };
        for signo in FAULTS {
            // SAFETY: `faults` was initialised above; `signo` is a valid
            // signal number, so sigaddset cannot fail.
            unsafe { libc::sigaddset(faults.as_mut_ptr(), signo) };
        }
        // SAFETY: `faults` is initialised and lives across the call; the
        // old-set pointer may be null.
        let rc = unsafe {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, faults.as_ptr(), std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(guard)
    }
}

/// The signals the kernel raises in a thread for a fault of its own.
const FAULTS: [libc::c_int; 6] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGTRAP,
    libc::SIGSYS,
];

impl Drop for MaskGuard {
    fn drop(&mut self) {
        // SAFETY: `previous` is the initialised mask this thread had; the
        // old-set pointer may be null. pthread_sigmask only fails on a bad
        // `how`, which SIG_SETMASK is not, so its result carries nothing.
        unsafe {
            libc::pthread_sigmask(
                libc::SIG_SETMASK,
                &raw const self.previous,
                std::ptr::null_mut(),
            )
        };
    }
}
