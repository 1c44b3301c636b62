//! Process syscalls of the facade: the signal mask a child starts with, and
//! the disposition of `SIGCHLD`.
//!
//! # The child's mask
//!
//! Since rust-lang/rust#101077 a `std::process::Command` child inherits the
//! signal mask of the thread that spawns it. A runtime blocks the signals it
//! reads through its signalfd (`SIGCHLD` while it has children, `SIGINT` or
//! `SIGTERM` while someone listens), so without help every child would
//! start deaf to them. [`UnblockHook`] installs one `pre_exec` hook on a
//! command, which unblocks in the child, between `fork` and `exec`, the
//! signals the parent named before that spawn.
//!
//! A `std::process::Command` keeps every hook it is given, so the hook is
//! installed once per command and reads the set for each spawn from a
//! shared [`AtomicU64`] (signals 1 to 64, one bit each) that the parent
//! stores while it holds the command mutably, before the fork.
//!
//! Everything the hook does is async-signal-safe, as code between `fork`
//! and `exec` of a possibly multi-threaded parent must be: one lock-free
//! atomic load, `sigemptyset`, `sigaddset` and `pthread_sigmask` (all three
//! in the POSIX list of async-signal-safe functions), and on failure
//! `io::Error::from_raw_os_error`, which stores the number inline and does
//! not allocate. It takes no lock and touches no heap.
#![allow(unsafe_code)]

use std::fmt;
use std::io;
use std::mem::MaybeUninit;
use std::os::unix::process::CommandExt;

use super::sigset::{How, SigSet, thread_mask};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The signals to unblock in the next child of one command, one bit per
/// signal (bit `n - 1` for signal `n`).
pub(crate) struct UnblockHook(Arc<AtomicU64>);

impl fmt::Debug for UnblockHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnblockHook")
            .field(&format_args!("{:#x}", self.0.load(Ordering::Relaxed)))
            .finish()
    }
}

impl UnblockHook {
    /// Installs the hook on `cmd`; it unblocks nothing until [`set`](Self::set).
    pub(crate) fn install(cmd: &mut Command) -> UnblockHook {
        let bits = Arc::new(AtomicU64::new(0));
        let shared = Arc::clone(&bits);
        let hook = move || unblock(shared.load(Ordering::Acquire));
        // SAFETY: `pre_exec` requires that the hook only does what is safe
        // in a child forked from a multi-threaded process: `unblock` is
        // async-signal-safe (module docs), allocates nothing and takes no
        // lock; the `Arc` is only dereferenced, never cloned or dropped,
        // in the child.
        unsafe { cmd.pre_exec(hook) };
        UnblockHook(bits)
    }

    /// Names the signals the next child must unblock. Signals outside 1 to
    /// 64 do not exist on Linux and are skipped.
    pub(crate) fn set(&self, signals: &[i32]) {
        let bits = signals
            .iter()
            .filter(|&&s| (1..=64).contains(&s))
            .fold(0u64, |bits, &s| bits | 1 << (s - 1));
        self.0.store(bits, Ordering::Release);
    }
}

/// Runs in the child between `fork` and `exec`: async-signal-safe.
fn unblock(bits: u64) -> io::Result<()> {
    if bits == 0 {
        return Ok(());
    }
    let set = SigSet::of((1..=64).filter(|signo| bits & 1 << (signo - 1) != 0));
    thread_mask(How::Unblock, Some(&set))?;
    Ok(())
}

/// Why the kernel reaps this process's children itself, if it does:
/// `SIGCHLD` set to `SIG_IGN`, or its action has `SA_NOCLDWAIT`. Their
/// exit status is then lost to `waitpid`.
pub(crate) fn children_reaped_by_kernel() -> io::Result<Option<&'static str>> {
    let mut action = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only reads the current one into `action`,
    // a writable sigaction that lives across the call.
    let rc = unsafe { libc::sigaction(libc::SIGCHLD, std::ptr::null(), action.as_mut_ptr()) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: zero-initialised (a valid sigaction) and filled by the kernel.
    let action = unsafe { action.assume_init() };
    Ok(if action.sa_sigaction == libc::SIG_IGN {
        Some("SIGCHLD is set to SIG_IGN in this process")
    } else if action.sa_flags & libc::SA_NOCLDWAIT != 0 {
        Some("the action of SIGCHLD has SA_NOCLDWAIT in this process")
    } else {
        None
    })
}

/// Runs `f` with `SIGCHLD` unblocked in this thread, and blocks it again
/// after (whatever `f` returns), so that a child spawned by `f` starts
/// with it unblocked.
pub(crate) fn with_sigchld_unblocked<R>(f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
    set_sigchld(How::Unblock)?;
    let out = f();
    // Blocking a valid signal cannot fail; were it to, the runtime would
    // only miss SIGCHLDs to a handler, as during `f`.
    let _ = set_sigchld(How::Block);
    out
}

fn set_sigchld(how: How) -> io::Result<()> {
    thread_mask(how, Some(&SigSet::of([libc::SIGCHLD])))?;
    Ok(())
}

/// Sends `signo` to process `pid`. The caller makes sure `pid` is an
/// unreaped child of ours, so it cannot name a recycled pid.
pub(crate) fn send_signal(pid: u32, signo: i32) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::ESRCH))?;
    // SAFETY: kill takes two integers, which the kernel checks; it touches
    // no memory of ours.
    if unsafe { libc::kill(pid, signo) } == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unblocking_nothing_is_a_no_op() {
        assert!(unblock(0).is_ok());
    }

    #[test]
    fn hook_bits_name_signals_one_to_sixty_four() {
        let mut cmd = Command::new("true");
        let hook = UnblockHook::install(&mut cmd);
        hook.set(&[libc::SIGCHLD, libc::SIGINT, 0, 65, 64]);
        let bits = hook.0.load(Ordering::Relaxed);
        assert_eq!(
            bits,
            1 << (libc::SIGCHLD - 1) | 1 << (libc::SIGINT - 1) | 1 << 63
        );
    }
}
