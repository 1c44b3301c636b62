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
//! signal: wherever it runs, it forwards the signal (`rt_tgsigqueueinfo`, marked as a forward) to every
//! listening thread, where it is blocked and so read by that thread's
//! signalfd, and then calls the handler the program had before, if any
//! (see `sys::signal`). When the last listener in the process goes, the
//! disposition that was there before (`SIG_DFL`, `SIG_IGN` or a handler,
//! with its flags and mask) is put back exactly.
//!
//! # Invariants
//!
//! - `LISTENERS[signo]` (the handler's table, kept at the `sys` level in
//!   `sys::signal::listeners`, which the handler reads without a lock)
//!   holds the ids of the threads with a subscription to `signo`, each
//!   once however many runtimes of that thread listen. This module is its
//!   only writer, under `STATE`'s lock.
//! - `STATE[signo].saved` is `Some` exactly while `STATE[signo].count > 0`:
//!   the handler is installed while anyone listens, and only then.
//! - `IN_FLIGHT[signo]` (beside `LISTENERS`) counts handlers between
//!   reading `LISTENERS` and their last forward.
//! - A subscribed thread holds the signal blocked (its selector's hold,
//!   `chronia_reactor`'s `mask`), from just after it subscribes until its
//!   last subscription is gone. So a forward aimed at it waits, pending,
//!   until it reads it or leaves.
//!
//! # Leaving
//!
//! A thread's last subscription leaves in this order, all under `STATE`'s
//! lock (see [`Subscription::leave`]):
//!
//! 1. its id is cleared from `LISTENERS`: no handler that starts now aims
//!    at it;
//! 2. it waits until `IN_FLIGHT` is zero: every forward that read its id
//!    has been sent, and, the signal being blocked here, is pending here;
//! 3. its selector gives back its hold on the signal (the caller's
//!    `release`), which unblocks it with the forwarder still installed:
//!    whatever was pending here runs the forwarder on this thread,
//!    synchronously, before the unblock returns. A forward that came too
//!    late is dropped (every thread that listened when it was sent got its
//!    own, and the program's handler ran where the delivery landed); a
//!    process-directed instance nobody read yet goes on to the threads that
//!    still listen (and to the program's handler), where `sigtimedwait`
//!    would have lost it;
//! 4. if it was the last subscription in the process, the saved
//!    disposition is put back.
//!
//! The lock makes step 3 of one thread and step 4 of the last one
//! exclusive, which closes the teardown race: a forward can only reach a
//! thread while it is subscribed (blocked, read by its signalfd) or while
//! it holds the lock in step 3, when the forwarder is still installed
//! because no one can restore the disposition until the lock is free. It
//! never meets a disposition put back under it.
//!
//! A thread that had the signal blocked before it listened keeps it
//! blocked after (its mask is its own), so step 3 unblocks nothing there.
//! Instead, still under the lock, its pending instances are taken: late
//! forwards are dropped (else they would meet the restored disposition
//! when the thread unblocks the signal, or be read as a delivery by its
//! next runtime), any other instance goes on to the threads that still
//! listen, or, if none does, is made pending on this thread again after
//! step 4.

use std::io;
use std::sync::Mutex;

use chronia_reactor::{SignalUse, check_signal};

use crate::sys::signal::listeners::{self, ListenerSlot};
use crate::sys::signal::{self as sys, Action};

/// Signal numbers go up to `SIGRTMAX`, 64 on Linux.
const SIGNALS: usize = 65;

/// One thread's subscriptions to one signal.
#[derive(Debug)]
struct ThreadEntry {
    tid: i32,
    slot: ListenerSlot,
    count: usize,
}

#[derive(Debug)]
struct State {
    /// Subscriptions in the process.
    count: usize,
    saved: Option<Action>,
    threads: Vec<ThreadEntry>,
}

static STATE: Mutex<[State; SIGNALS]> = Mutex::new(
    [const {
        State {
            count: 0,
            saved: None,
            threads: Vec::new(),
        }
    }; SIGNALS],
);

fn lock() -> std::sync::MutexGuard<'static, [State; SIGNALS]> {
    // Nothing panics while the lock is held; a poisoned table is still
    // the table.
    STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn index(signo: i32) -> io::Result<usize> {
    check_signal(signo, SignalUse::Forward)?;
    Ok(usize::try_from(signo).expect("checked: a positive signal number"))
}

/// While alive, deliveries of one signal that land on a thread which does
/// not block it are forwarded to the thread that subscribed.
#[derive(Debug)]
pub(crate) struct Subscription {
    signo: usize,
    tid: i32,
    left: bool,
}

/// Subscribes the calling thread to forwarded deliveries of `signo`,
/// installing the forwarding handler if it is the first subscription.
pub(crate) fn subscribe(signo: i32) -> io::Result<Subscription> {
    let i = index(signo)?;
    let tid = sys::gettid();
    let mut state = lock();
    let s = &mut state[i];
    if s.count == 0 {
        s.saved = Some(sys::install_forwarder(signo)?);
    }
    s.count += 1;
    if let Some(entry) = s.threads.iter_mut().find(|e| e.tid == tid) {
        entry.count += 1;
    } else {
        let slot = listeners::claim(i, tid);
        s.threads.push(ThreadEntry {
            tid,
            slot,
            count: 1,
        });
    }
    Ok(Subscription {
        signo: i,
        tid,
        left: false,
    })
}

/// How many subscriptions to `signo` the calling thread holds (one per
/// runtime of the thread that listens).
pub(crate) fn thread_subscriptions(signo: i32) -> usize {
    let Ok(i) = index(signo) else { return 0 };
    let tid = sys::gettid();
    lock()[i]
        .threads
        .iter()
        .find(|e| e.tid == tid)
        .map_or(0, |e| e.count)
}

impl Subscription {
    /// Ends the subscription; `release` gives back the caller's hold on
    /// the signal (its selector's registration) at the point the module
    /// docs give, under the lock. `release` must not subscribe or leave.
    pub(crate) fn leave(mut self, release: impl FnOnce()) {
        self.leave_with(release);
    }

    fn leave_with(&mut self, release: impl FnOnce()) {
        if self.left {
            return;
        }
        self.left = true;
        let mut state = lock();
        let s = &mut state[self.signo];
        let signo = i32::try_from(self.signo).expect("signal numbers are small");
        let Some(at) = s.threads.iter().position(|e| e.tid == self.tid) else {
            unreachable!("a subscription's thread entry lives until it leaves")
        };
        s.count -= 1;
        s.threads[at].count -= 1;
        if s.threads[at].count > 0 {
            // Another runtime of this thread still listens: the thread
            // stays subscribed, and its mask hold is one of several.
            release();
            return;
        }
        let entry = s.threads.swap_remove(at);
        entry.slot.clear();
        listeners::wait_in_flight(self.signo);
        release();
        // A thread that blocked the signal before it listened keeps it
        // blocked: what is pending was not handed on by an unblock.
        let keep = if sys::is_blocked(signo).unwrap_or(false) {
            hand_on_pending(signo, s.count > 0)
        } else {
            Vec::new()
        };
        if s.count == 0
            && let Some(saved) = s.saved.take()
        {
            // Fails only for an invalid signal number, which `subscribe`
            // ruled out.
            let _ = sys::restore(signo, &saved);
        }
        for taken in &keep {
            // Fails only for a bad signal number or pid, both ours.
            let _ = sys::requeue(signo, taken);
        }
    }
}

/// For a leaving thread that keeps `signo` blocked: does what the
/// forwarder would have done on an unblock. Late forwards are dropped; any
/// other instance (one the process was sent and nobody read) goes on to the
/// threads that still listen, if `others`, else it is returned, to be made
/// pending here again once the disposition is back (the thread's pending
/// set is then as if no runtime had listened).
fn hand_on_pending(signo: i32, others: bool) -> Vec<sys::Taken> {
    let mut keep = Vec::new();
    for taken in sys::take_all_pending(signo) {
        if taken.is_forward() {
            continue;
        }
        if others {
            forward(signo);
            sys::call_previous_taken(signo, &taken);
        } else {
            keep.push(taken);
        }
    }
    keep
}

impl Drop for Subscription {
    /// A subscription dropped without [`leave`](Subscription::leave) (its
    /// runtime's hold is given back elsewhere) leaves with nothing to
    /// release.
    fn drop(&mut self) {
        self.leave_with(|| {});
    }
}

/// Sends `signo` to every listening thread but the calling one (see
/// [`listeners::forward`]).
pub(crate) fn forward(signo: i32) {
    listeners::forward(signo);
}

/// Whether a delivery read from a signalfd came from [`forward`] (code
/// `FORWARDED`, from this process), rather than from the kernel, another
/// process, or the program's own `raise`; those must not be forwarded
/// again.
pub(crate) fn is_forwarded(info: chronia_reactor::SignalInfo, pid: i32) -> bool {
    info.code == sys::FORWARDED && info.pid == pid
}
