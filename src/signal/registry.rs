//! The process-wide side of signals: which threads listen for which signal,
//! and the forwarding handler installed while any thread listens.
//!
//! # Why
//!
//! A runtime reads its signals through a signalfd, which only sees signals
//! blocked in its thread. A process-directed signal (`kill`, Ctrl-C) goes to
//! any thread that does not block it: in a process with other threads (the
//! test harness; a thread a library started) the kernel may pick one of
//! those, and the signal's default action would run there (SIGINT kills the
//! process). So while a thread listens, a handler is installed for the
//! signal: wherever it runs, it forwards the signal with `tgkill` to every
//! listening thread, where it is blocked and so read by that thread's
//! signalfd. When the last listener in the process goes, the disposition
//! that was there before (`SIG_DFL`, `SIG_IGN` or a handler, with its flags
//! and mask) is put back exactly.
//!
//! # Invariants
//!
//! - `LISTENERS[signo]` holds the thread ids of the live subscriptions to
//!   `signo` (0 marks a free slot). The handler only loads from it, so it
//!   is async-signal-safe; slots are stored and cleared under `STATE`'s lock.
//! - `STATE[signo].saved` is `Some` exactly while `STATE[signo].count > 0`:
//!   the handler is installed while anyone listens, and only then.
//! - `IN_FLIGHT[signo]` counts handlers between reading `LISTENERS` and
//!   their last `tgkill`; the disposition is restored only once it is zero
//!   after the last listener's id was cleared, and with the signal blocked
//!   in the restoring thread (see `restore`).

use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use crate::sys::signal::{self as sys, Action};

/// Signal numbers go up to `SIGRTMAX`, 64 on Linux.
const SIGNALS: usize = 65;
/// How many subscriptions to one signal the process can hold at once (one
/// per runtime that listens to it).
const SLOTS: usize = 64;

#[expect(
    clippy::declare_interior_mutable_const,
    reason = "the initialiser of a static array"
)]
const FREE: AtomicI32 = AtomicI32::new(0);
#[expect(
    clippy::declare_interior_mutable_const,
    reason = "the initialiser of a static array"
)]
const ROW: [AtomicI32; SLOTS] = [FREE; SLOTS];
static LISTENERS: [[AtomicI32; SLOTS]; SIGNALS] = [ROW; SIGNALS];

#[expect(
    clippy::declare_interior_mutable_const,
    reason = "the initialiser of a static array"
)]
const IDLE: AtomicUsize = AtomicUsize::new(0);
/// Per signal, how many handlers are between reading `LISTENERS` and
/// finishing their `tgkill`s.
static IN_FLIGHT: [AtomicUsize; SIGNALS] = [IDLE; SIGNALS];

#[derive(Debug, Clone, Copy)]
struct State {
    count: usize,
    saved: Option<Action>,
}

static STATE: Mutex<[State; SIGNALS]> = Mutex::new(
    [State {
        count: 0,
        saved: None,
    }; SIGNALS],
);

fn index(signo: i32) -> io::Result<usize> {
    usize::try_from(signo)
        .ok()
        .filter(|&i| i > 0 && i < SIGNALS)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{signo} is not a signal number"),
            )
        })
}

/// While alive, deliveries of one signal that land on a thread which does
/// not block it are forwarded to the thread that subscribed.
#[derive(Debug)]
pub(crate) struct Subscription {
    signo: usize,
    slot: usize,
}

/// Subscribes the calling thread to forwarded deliveries of `signo`,
/// installing the forwarding handler if it is the first subscription.
pub(crate) fn subscribe(signo: i32) -> io::Result<Subscription> {
    let i = index(signo)?;
    let mut state = STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let slot = LISTENERS[i]
        .iter()
        .position(|s| s.load(Ordering::Relaxed) == 0)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("more than {SLOTS} runtimes listen for signal {signo}"),
            )
        })?;
    if state[i].count == 0 {
        state[i].saved = Some(sys::install_forwarder(signo)?);
    }
    state[i].count += 1;
    LISTENERS[i][slot].store(sys::gettid(), Ordering::SeqCst);
    Ok(Subscription { signo: i, slot })
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut state = STATE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        LISTENERS[self.signo][self.slot].store(0, Ordering::SeqCst);
        let s = &mut state[self.signo];
        s.count -= 1;
        if s.count == 0
            && let Some(saved) = s.saved.take()
        {
            let signo = i32::try_from(self.signo).expect("signal numbers are small");
            restore(signo, &saved);
        }
    }
}

/// Puts back the disposition saved when the first subscription came.
///
/// A handler running on another thread may have read this thread's id just
/// before it was cleared and be about to `tgkill` it; if that signal met
/// the restored disposition unblocked, its default action could end the
/// process. So: wait until no handler is in flight (a new one sees the
/// cleared id), and restore with the signal blocked in this thread, taking
/// any instance that arrived meanwhile before unblocking it again.
fn restore(signo: i32, saved: &Action) {
    let i = usize::try_from(signo).expect("checked when subscribing");
    while IN_FLIGHT[i].load(Ordering::SeqCst) != 0 {
        std::thread::yield_now();
    }
    // pthread_sigmask, sigaction and sigtimedwait fail only for an invalid
    // signal number, which `subscribe` ruled out.
    let was_blocked = sys::block(signo).unwrap_or(true);
    let _ = sys::restore(signo, saved);
    if !was_blocked {
        while let Ok(true) = sys::take_pending(signo) {}
        let _ = sys::unblock(signo);
    }
}

/// Sends `signo` to every listening thread but the calling one. Called from
/// the signal handler: async-signal-safe (atomic loads and raw syscalls).
pub(crate) fn forward(signo: i32) {
    let Ok(i) = usize::try_from(signo) else {
        return;
    };
    let Some(row) = LISTENERS.get(i) else { return };
    let me = sys::gettid();
    // Counted so that the last unsubscriber can wait for this forward to
    // finish before it restores the disposition (see `restore`).
    IN_FLIGHT[i].fetch_add(1, Ordering::SeqCst);
    for slot in row {
        let tid = slot.load(Ordering::SeqCst);
        if tid != 0 && tid != me {
            // ESRCH: the thread is gone and its subscription about to be;
            // nothing to deliver to.
            let _ = sys::tgkill(tid, signo);
        }
    }
    IN_FLIGHT[i].fetch_sub(1, Ordering::SeqCst);
}

/// Whether a delivery read from a signalfd came from [`forward`] (a
/// `tgkill` from this process), rather than from the kernel or another
/// process; those must not be forwarded again.
pub(crate) fn is_forwarded(info: chronia_reactor::SignalInfo, pid: i32) -> bool {
    info.code == libc::SI_TKILL && info.pid == pid
}
