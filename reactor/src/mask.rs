//! Which signals this thread's selectors hold blocked.
//!
//! The signal mask belongs to the thread, not to a selector, and a thread
//! may have more than one selector listening for the same signal. So holds
//! are counted per thread:
//!
//! # Invariants
//!
//! - `count[s]` is the number of selectors on this thread whose signalfd
//!   reads signal `s`. While it is above zero, `s` is blocked in this thread.
//! - `blocked[s]` is set if the first hold blocked `s` (it was not blocked
//!   before); when the last hold goes, `s` is unblocked again. A signal
//!   that was blocked before the first hold stays blocked, pending
//!   instances and all.
//! - Pending instances at the last hold are taken (discarded) only when
//!   `s`'s disposition is `SIG_DFL` or `SIG_IGN`, where unblocking would
//!   run the default action (for most signals, the end of the process).
//!   With a handler installed they are left for the unblock to deliver to
//!   it: a process-directed instance may be meant for a listener on
//!   another thread (every thread blocking `s`, none reading it yet), and
//!   a handler such as the chronia runtime's forwarder hands it on, where
//!   `sigtimedwait` would lose it. (`SIGCHLD`'s are never taken: its
//!   default action is to do nothing, and they may be news for another
//!   selector.)
//! - `CHILD_EPOCH` counts the `SIGCHLD`s this thread's selectors have read.
//!   A selector with processes that finds it changed since it last looked
//!   checks its own children: one `SIGCHLD` read by one selector of the
//!   thread reaches all of them.

use std::cell::RefCell;
use std::io;

use crate::sys::{self, SigSet};

const SIGNALS: usize = 65;

struct Holds {
    count: [u32; SIGNALS],
    blocked: SigSet,
}

thread_local! {
    static CHILD_EPOCH: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static HOLDS: RefCell<Holds> = RefCell::new(Holds { count: [0; SIGNALS], blocked: SigSet::empty() });
}

fn index(signo: i32) -> usize {
    usize::try_from(signo)
        .ok()
        .filter(|&i| i < SIGNALS)
        .expect("checked signal numbers are 1..=64")
}

/// Takes a hold on `signo` for one selector, blocking it if needed.
pub(crate) fn hold(signo: i32) -> io::Result<()> {
    HOLDS.with(|h| {
        let mut h = h.borrow_mut();
        let i = index(signo);
        if h.count[i] == 0 && !sys::current_thread_mask()?.contains(signo) {
            let mut one = SigSet::empty();
            one.add(signo);
            sys::thread_mask(true, &one)?;
            h.blocked.add(signo);
        }
        h.count[i] += 1;
        Ok(())
    })
}

/// Gives back a hold taken by [`hold`].
pub(crate) fn release(signo: i32) {
    // `try_with` fails only while the thread's locals are torn down; the
    // thread's mask no longer matters then.
    let _ = HOLDS.try_with(|h| {
        let mut h = h.borrow_mut();
        let i = index(signo);
        h.count[i] = h.count[i].saturating_sub(1);
        if h.count[i] == 0 && h.blocked.contains(signo) {
            h.blocked.remove(signo);
            // Pending instances are taken so that none fires its default
            // action on unblock. Not SIGCHLD's: its default is to do
            // nothing, and the instance may stand for another selector's
            // child, which must still learn of it (from a handler, or from
            // its own signalfd while the instance stays pending). Not
            // under a handler either, which may hand them on.
            // sigtimedwait only fails for a bad set, which the caller's
            // checks ruled out; a failure leaves at worst one instance.
            // With a handler installed (or if asking fails), the unblock
            // hands them to it (module docs).
            if signo != libc::SIGCHLD && !sys::has_handler(signo).unwrap_or(true) {
                while let Ok(true) = sys::take_pending(signo) {}
            }
            let mut one = SigSet::empty();
            one.add(signo);
            // Unblocking a valid signal cannot fail.
            let _ = sys::thread_mask(false, &one);
        }
    });
}

/// The signals this thread's selectors blocked, in ascending order.
pub(crate) fn blocked() -> Vec<i32> {
    HOLDS.with(|h| {
        let h = h.borrow();
        (1..=sys::sigrtmax())
            .filter(|&s| h.blocked.contains(s))
            .collect()
    })
}

/// Says a selector of this thread read a `SIGCHLD`; returns the new epoch.
pub(crate) fn child_signal_seen() -> u64 {
    CHILD_EPOCH.with(|e| {
        e.set(e.get() + 1);
        e.get()
    })
}

/// How many `SIGCHLD`s this thread's selectors have read.
pub(crate) fn child_epoch() -> u64 {
    CHILD_EPOCH.with(std::cell::Cell::get)
}
