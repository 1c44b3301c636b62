//! Thread signal masks, for the threads of the blocking pool.
//!
//! A pool thread must never be handed a signal: the runtime's signal
//! handling (signalfd and the forwarding handler) lives on runtime threads,
//! and a signal delivered to a pool thread would either take its default
//! action or be lost to the program. A new thread inherits the mask of the
//! thread that creates it, so the pool blocks everything around the
//! `pthread_create` ([`MaskGuard`]) and the thread starts with every signal
//! blocked, without a window in which one could arrive.

use std::io;

use super::sigset::{How, SigSet, thread_mask};

/// Blocks every signal in the calling thread until dropped, then puts the
/// mask back as it was.
pub(crate) struct MaskGuard {
    previous: SigSet,
}

impl MaskGuard {
    /// Blocks every signal that can be blocked in the calling thread
    /// (the kernel never blocks `SIGKILL` and `SIGSTOP`, and libc keeps its
    /// two internal real-time signals for itself).
    pub(crate) fn block_all() -> io::Result<MaskGuard> {
        let previous = thread_mask(How::Set, Some(&SigSet::full()))?;
        Ok(MaskGuard { previous })
    }

    /// As [`block_all`](Self::block_all), but leaves the synchronous fault
    /// signals (`SIGSEGV`, `SIGBUS`, `SIGFPE`, `SIGILL`, `SIGTRAP`,
    /// `SIGSYS`) unblocked: a fault raises them in the faulting thread,
    /// and the kernel kills the process at once (skipping any handler, such
    /// as std's stack-overflow report) when the thread blocks them.
    pub(crate) fn block_all_but_faults() -> io::Result<MaskGuard> {
        let guard = MaskGuard::block_all()?;
        thread_mask(How::Unblock, Some(&SigSet::of(FAULTS)))?;
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
        // pthread_sigmask only fails on a bad `how`, which `Set` is not, so
        // its result carries nothing.
        let _ = thread_mask(How::Set, Some(&self.previous));
    }
}
