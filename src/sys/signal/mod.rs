//! Signal syscalls of the facade, and the process-wide forwarding handler.
//!
//! # The handler
//!
//! Everything here that runs inside the handler is async-signal-safe: raw
//! syscalls (`gettid`, `getpid`, `rt_tgsigqueueinfo`, `getuid`), reads of `errno` through its
//! location, and lock-free atomic loads of the listener table (see
//! [`listeners`]). Nothing allocates, locks, formats or panics: the
//! code between the `handler path` markers below contains no `expect`,
//! `unwrap`, `panic!` or slice index, which a unit test at the bottom of
//! this file checks.
//!
//! The handler runs with every signal blocked (`sa_mask` is full), so its
//! runs never nest: thirty different signals arriving at once on a thread
//! whose alternate signal stack is a few KiB (Rust gives each thread one)
//! run one after another, each frame popped before the next is pushed.
//! Its own frame is small (no arrays, a loop over atomics).
//!
//! # Chaining
//!
//! The action a signal had before the forwarder replaced it is kept in
//! [`PREVIOUS`] (handler address and flags, lock-free for the handler). If it
//! was a function (plain or `SA_SIGINFO`), the forwarder calls it after
//! forwarding, with the arguments the kernel gave, and a delivery a runtime
//! reads from its signalfd calls it too (see [`call_previous_from_signalfd`]);
//! `SIG_DFL` and `SIG_IGN` are never "called". So a handler the program or a
//! C library installed keeps running while a runtime listens.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

pub(crate) mod listeners;

use super::sigset::{How, SigSet, thread_mask};

/// Signal numbers go up to `SIGRTMAX`, 64 on Linux.
const SIGNALS: usize = 65;

/// The action each signal had before the forwarder, as far as chaining
/// needs it: the handler (`sa_sigaction`) and `sa_flags`. Written before
/// the forwarder is installed and cleared after it is removed (under the
/// registry's lock); read by the handler without a lock.
struct Previous {
    handler: AtomicUsize,
    flags: AtomicI32,
}

#[expect(
    clippy::declare_interior_mutable_const,
    reason = "the initialiser of a static array"
)]
const NONE: Previous = Previous {
    handler: AtomicUsize::new(libc::SIG_DFL),
    flags: AtomicI32::new(0),
};
static PREVIOUS: [Previous; SIGNALS] = [NONE; SIGNALS];

fn remember(signo: i32, action: &libc::sigaction) {
    let Some(prev) = usize::try_from(signo).ok().and_then(|i| PREVIOUS.get(i)) else {
        return;
    };
    let forwarder: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = on_signal;
    // Our own forwarder is not a previous handler (it cannot be, as the
    // registry installs it only over someone else's action; this is a guard).
    let handler = if action.sa_sigaction == forwarder as libc::sighandler_t {
        libc::SIG_DFL
    } else {
        action.sa_sigaction
    };
    prev.flags.store(action.sa_flags, Ordering::SeqCst);
    prev.handler.store(handler, Ordering::SeqCst);
}

fn forget(signo: i32) {
    if let Some(prev) = usize::try_from(signo).ok().and_then(|i| PREVIOUS.get(i)) {
        prev.handler.store(libc::SIG_DFL, Ordering::SeqCst);
    }
}

// ---- handler path: nothing below up to the end marker may panic ----------

/// The id of the calling thread.
pub(crate) fn gettid() -> i32 {
    // SAFETY: gettid takes no arguments and cannot fail; it is a raw
    // syscall, so async-signal-safe.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    // Thread ids are pids, below PID_MAX_LIMIT (2^22): the cast is exact.
    // (A checked conversion would bring a panic onto the handler's path.)
    #[expect(clippy::cast_possible_truncation, reason = "tids fit in pid_t")]
    let tid = tid as libc::pid_t;
    tid
}

/// The id of this process.
pub(crate) fn getpid() -> i32 {
    // SAFETY: getpid takes no arguments and cannot fail; async-signal-safe.
    unsafe { libc::getpid() }
}

/// The `si_code` a forward carries: negative (from user space), which only
/// a process's own threads may send to it with `rt_tgsigqueueinfo`, and
/// none that the C library or the kernel uses (`SI_QUEUE` is -1,
/// `SI_TKILL` -6, the lowest, `SI_ASYNCNL`, -60). It tells a forward from
/// a delivery, including a program's own `raise` or `tgkill` (`SI_TKILL`).
pub(crate) const FORWARDED: i32 = -0x6368;

/// Writes the sender fields (`si_pid`, `si_uid`) of `info`: they open the
/// union that follows its three ints, aligned as a pointer.
fn set_sender(info: &mut libc::siginfo_t, pid: i32, uid: u32) {
    // In ints: 3 on 32-bit targets, 4 (padded to a pointer) on 64-bit.
    let at = (3 * size_of::<libc::c_int>()).next_multiple_of(align_of::<usize>())
        / size_of::<libc::c_int>();
    let ints = (&raw mut *info).cast::<libc::c_int>();
    let pid_at = ints.wrapping_add(at);
    // SAFETY: `pid_at` points inside `info` (the union starts `at` ints
    // in, well within its 128 bytes), aligned for an int (a siginfo_t is
    // aligned for a pointer); `si_pid` (a pid_t, an int) is there.
    unsafe { pid_at.write(pid) };
    let uid_at = ints.wrapping_add(at + 1).cast::<libc::uid_t>();
    // SAFETY: as above; `si_uid` (an unsigned int) follows `si_pid` in the
    // kill fields.
    unsafe { uid_at.write(uid) };
}

/// A `siginfo_t` with the signal, code and sender set, the rest zero.
fn siginfo(signo: i32, code: i32, pid: i32, uid: u32) -> libc::siginfo_t {
    // SAFETY: an all-zero siginfo_t is a valid value (plain integers and a
    // union of integers and pointers).
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    info.si_signo = signo;
    info.si_code = code;
    set_sender(&mut info, pid, uid);
    info
}

/// Sends `signo` to thread `tid` of this process as a forward (`si_code`
/// [`FORWARDED`]). Async-signal-safe.
pub(crate) fn forward_to(tid: i32, signo: i32) -> io::Result<()> {
    let pid = getpid();
    // SAFETY: getuid takes no arguments and cannot fail; async-signal-safe.
    let uid = unsafe { libc::getuid() };
    let mut info = siginfo(signo, FORWARDED, pid, uid);
    // SAFETY: rt_tgsigqueueinfo takes three integers and a pointer to a
    // siginfo_t, which `info` is, live across the call; a raw syscall,
    // so async-signal-safe. Sending a negative code to our own process is
    // allowed.
    let rc = unsafe { libc::syscall(libc::SYS_rt_tgsigqueueinfo, pid, tid, signo, &raw mut info) };
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Calls the handler `signo` had before the forwarder, if it was a
/// function, the way the kernel would have: `(signo, info, ctx)` for an
/// `SA_SIGINFO` handler, `(signo)` otherwise. An `SA_RESETHAND` handler is
/// called once, as the kernel would reset it after its first run.
fn call_previous(signo: i32, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let Some(prev) = usize::try_from(signo).ok().and_then(|i| PREVIOUS.get(i)) else {
        return;
    };
    let flags = prev.flags.load(Ordering::SeqCst);
    let handler = if flags & libc::SA_RESETHAND == 0 {
        prev.handler.load(Ordering::SeqCst)
    } else {
        prev.handler.swap(libc::SIG_DFL, Ordering::SeqCst)
    };
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN || handler == libc::SIG_ERR {
        return;
    }
    if flags & libc::SA_SIGINFO == 0 {
        // SAFETY: `handler` is the `sa_handler` of an action the kernel
        // reported for `signo` without SA_SIGINFO, and not SIG_DFL, SIG_IGN
        // or SIG_ERR: the address of a `void (*)(int)` the program gave to
        // sigaction, which the kernel would have called just so.
        let f = unsafe { std::mem::transmute::<usize, extern "C" fn(libc::c_int)>(handler) };
        f(signo);
    } else {
        type Action3 = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);
        // SAFETY: as above, for an action with SA_SIGINFO: the address of a
        // `void (*)(int, siginfo_t *, void *)`.
        let f = unsafe { std::mem::transmute::<usize, Action3>(handler) };
        f(signo, info, ctx);
    }
}

/// The handler: forwards the signal to the threads listening for it, then
/// chains to the previous handler. Runs with every signal blocked.
extern "C" fn on_signal(signo: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: __errno_location has no preconditions; it returns this
    // thread's errno slot, valid for the thread's life.
    let slot = unsafe { libc::__errno_location() };
    // SAFETY: `slot` is valid and aligned (above). Saving and restoring errno
    // keeps the interrupted code's errno intact, as a handler must.
    let errno = unsafe { slot.read() };
    // A forward that meets the handler (on a thread that is leaving, or
    // has just subscribed and not blocked the signal yet) is dropped: every
    // thread that listened when it was sent got its own, and the program's
    // handler ran where the delivery first landed.
    // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo_t for the
    // handler's run; it is only read, and only if not null.
    let forwarded = !info.is_null() && unsafe { (*info).si_code } == FORWARDED;
    if !forwarded {
        listeners::forward(signo);
        call_previous(signo, info, ctx);
    }
    // SAFETY: as above.
    unsafe { slot.write(errno) };
}

// ---- end of the handler path ----------------------------------------------

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

/// The current action of `signo`.
fn current_action(signo: i32) -> io::Result<libc::sigaction> {
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only reads the current one into `old`, a
    // writable sigaction that lives across the call.
    let rc = unsafe { libc::sigaction(signo, std::ptr::null(), old.as_mut_ptr()) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: zero-initialised (a valid sigaction) and filled by the kernel.
    Ok(unsafe { old.assume_init() })
}

/// Installs the forwarding handler for `signo`; returns the action it
/// replaced, to be given back with [`restore`]. If that action is a
/// function, the forwarder calls it after forwarding (module docs).
///
/// With a real handler installed, a thread that does not block `signo`
/// and is in a syscall that `SA_RESTART` does not restart (`epoll_wait`,
/// `nanosleep`, `sigtimedwait`, `poll` with a timeout, ... see
/// `signal(7)`) when the signal lands on it sees `EINTR`, as it would
/// under any handler; under `SIG_DFL` it would not have (the signal was
/// ignored) or the process would have ended.
pub(crate) fn install_forwarder(signo: i32) -> io::Result<Action> {
    // Known to the handler before it can run.
    remember(signo, &current_action(signo)?);
    let mut new = MaybeUninit::<libc::sigaction>::zeroed();
    let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = on_signal;
    {
        // SAFETY: `new` is zero-initialised, a valid (empty) sigaction.
        let new = unsafe { new.assume_init_mut() };
        new.sa_sigaction = handler as libc::sighandler_t;
        // SA_RESTART: restartable syscalls of the threads the handler
        // interrupts are restarted rather than failing with EINTR (the
        // others fail with EINTR: see above). SA_ONSTACK: use the thread's
        // alternate stack if it has one (Rust threads do).
        new.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
        // Every signal blocked while the handler runs, so that runs never
        // nest on a small alternate stack (module docs).
        new.sa_mask = SigSet::full().to_raw();
    }
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: both pointers are valid sigactions that live across the call;
    // `new` was initialised above.
    let rc = unsafe { libc::sigaction(signo, new.as_ptr(), old.as_mut_ptr()) };
    if rc == -1 {
        forget(signo);
        return Err(io::Error::last_os_error());
    }
    // SAFETY: zero-initialised and filled by the kernel.
    let old = unsafe { old.assume_init() };
    // The same as read above, unless another thread changed it in between.
    remember(signo, &old);
    Ok(Action(old))
}

/// Whether `signo` is blocked in the calling thread.
pub(crate) fn is_blocked(signo: i32) -> io::Result<bool> {
    Ok(thread_mask(How::Block, None)?.contains(signo))
}

/// One delivery taken from this thread's pending set.
#[derive(Clone, Copy)]
pub(crate) struct Taken(libc::siginfo_t);

impl Taken {
    /// Whether it is a forward of this process (see [`FORWARDED`]).
    pub(crate) fn is_forward(&self) -> bool {
        self.0.si_code == FORWARDED
    }
}

/// Takes every pending instance of `signo` (this thread's and the
/// process's) without waiting, with what the kernel says of each. For a
/// thread that blocks `signo`.
pub(crate) fn take_all_pending(signo: i32) -> Vec<Taken> {
    let set = SigSet::of([signo]);
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut taken = Vec::new();
    loop {
        // SAFETY: an all-zero siginfo_t is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is initialised, `info` writable and `zero` valid;
        // all live across the call.
        let rc = unsafe { libc::sigtimedwait(set.as_ptr(), &raw mut info, &raw const zero) };
        if rc != -1 {
            taken.push(Taken(info));
            continue;
        }
        // EAGAIN: nothing left. EINTR: a handler for another signal ran;
        // ask again. Anything else cannot happen for a valid set.
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return taken;
        }
    }
}

/// Makes `taken` pending again for this thread, with the same siginfo
/// (`rt_tgsigqueueinfo` may carry any code within one's own process).
pub(crate) fn requeue(signo: i32, taken: &Taken) -> io::Result<()> {
    let mut info = taken.0;
    // SAFETY: rt_tgsigqueueinfo takes three integers and a pointer to a
    // siginfo_t, which `info` is, live across the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_tgsigqueueinfo,
            getpid(),
            gettid(),
            signo,
            &raw mut info,
        )
    };
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Puts back an action saved by [`install_forwarder`], flags and mask included.
pub(crate) fn restore(signo: i32, action: &Action) -> io::Result<()> {
    // SAFETY: `action.0` is a sigaction the kernel gave us; the old-action
    // pointer may be null.
    let rc = unsafe { libc::sigaction(signo, &raw const action.0, std::ptr::null_mut()) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    // After the restore: a forwarder still running elsewhere chains to the
    // program's handler, which is now installed anyway.
    forget(signo);
    Ok(())
}

/// Calls the previous handler of `info.signo` (if it was a function) for a
/// delivery a runtime read from its signalfd, which no handler saw: with a
/// `siginfo_t` carrying the signal, code, sender pid and uid, a null
/// context, and every signal blocked in this thread for the call, as in the
/// handler.
pub(crate) fn call_previous_from_signalfd(signo: i32, code: i32, pid: i32, uid: u32) {
    call_previous_blocked(signo, &mut siginfo(signo, code, pid, uid));
}

/// Calls the previous handler of `signo` for a delivery taken from the
/// pending set (see [`call_previous_from_signalfd`]).
pub(crate) fn call_previous_taken(signo: i32, taken: &Taken) {
    call_previous_blocked(signo, &mut taken.0.clone());
}

fn call_previous_blocked(signo: i32, info: &mut libc::siginfo_t) {
    let Some(prev) = usize::try_from(signo).ok().and_then(|i| PREVIOUS.get(i)) else {
        return;
    };
    let handler = prev.handler.load(Ordering::SeqCst);
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN || handler == libc::SIG_ERR {
        return;
    }
    let old = thread_mask(How::Block, Some(&SigSet::full()));
    call_previous(signo, info, std::ptr::null_mut());
    if let Ok(old) = old {
        // Setting a mask the thread had cannot fail.
        let _ = thread_mask(How::Set, Some(&old));
    }
}

#[cfg(test)]
mod tests {
    /// The code a signal handler runs: between the markers of this file and
    /// of the listener table's (`forward`).
    fn handler_path() -> String {
        [include_str!("mod.rs"), include_str!("listeners.rs")]
            .iter()
            .map(|src| {
                let start = src.find("// ---- handler path").expect("start marker");
                let end = src
                    .find("// ---- end of the handler path")
                    .expect("end marker");
                &src[start..end]
            })
            .collect()
    }

    #[test]
    fn nothing_on_the_handler_path_can_panic() {
        let path = handler_path();
        for word in [
            ".expect(",
            ".unwrap(",
            "panic!(",
            "unreachable!(",
            "assert!(",
        ] {
            assert!(!path.contains(word), "{word} on the handler path");
        }
        // No indexing either (`[i]` panics out of bounds); `.get(i)` instead.
        for line in path.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !code.contains("[i]") && !code.contains("[signo") && !code.contains("[slot"),
                "an index on the handler path: {line}"
            );
        }
    }
}
