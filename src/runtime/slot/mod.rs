//! What the driver stores with each registration of its selector, and what
//! a report of the selector does to it: a leaf, which knows the reactor and
//! std and nothing else of chronia.
//!
//! # Who may touch what
//!
//! - The driver (`runtime::driver`) owns every slot: it makes the [`Slot`]
//!   of a registration, keeps the [`SignalSlot`]s of the signals it listens
//!   to, and hands each report of the selector to [`Slot::report`], which is
//!   the one place a report changes a slot. What a report asks of the
//!   driver beyond that (forget the timerfd's arming, deliver a signal,
//!   reap an orphan) comes back as a [`Report`].
//! - `io::registration` reads and writes the fields of an [`IoSlot`], which
//!   it gets from the driver's `io_slot`, between reports: the readiness
//!   protocol of that module is the other half of [`IoSlot::report`].
//! - `process::child` reads [`ProcessSlot::exited`] and sets
//!   [`ProcessSlot::waker`], through the driver's `child`; only the
//!   driver's `adopt_orphan` sets the orphan.
//! - `signal` makes the [`SignalHold`] of a signal (its subscription, and
//!   what a delivery does) and keeps [`SignalSlot::ctrl_c_seen`]; the
//!   listener count and the selector's registration are the driver's.

mod waiters;

use std::fmt;
use std::task::Waker;

use chronia_reactor::{Events, Ident, ReadyKey, SignalInfo};

pub(crate) use waiters::{Direction, Waiters, add_waiter};

/// What the runtime stores with each registration of its selector.
#[derive(Debug)]
pub(crate) enum Slot {
    Io(IoSlot),
    /// The runtime's one timerfd.
    Timer,
    /// The eventfd that other threads trigger to unpark the runtime.
    Unpark,
    /// A signal, read through the selector's signalfd; its state is the
    /// driver's [`SignalSlot`] for the number the report carries.
    Signal,
    Process(ProcessSlot),
}

/// What the driver must do after [`Slot::report`].
#[derive(Debug)]
pub(crate) enum Report {
    /// Nothing more.
    Done,
    /// The timerfd fired: it is armed no more.
    TimerFired,
    /// A delivery of a signal, for the [`SignalSlot`] of its number.
    Signal(SignalInfo),
    /// An orphan (see [`ProcessSlot::orphan`]) exited: reap and unregister
    /// it; `exited` is the report (0, or the kernel's error).
    Orphan {
        child: Box<std::process::Child>,
        exited: i32,
    },
}

impl Slot {
    /// Takes the selector's report `key` on this slot: records what it says
    /// and moves the tasks it wakes to `wakers` (woken by the driver once
    /// its borrow ends).
    pub(crate) fn report(&mut self, key: ReadyKey, wakers: &mut Vec<Waker>) -> Report {
        match self {
            Slot::Io(io) => {
                io.report(key.events(), wakers);
                Report::Done
            }
            Slot::Timer => Report::TimerFired,
            Slot::Unpark => Report::Done,
            Slot::Signal => key.signal_info().map_or(Report::Done, Report::Signal),
            Slot::Process(p) => {
                let exited = key.error().and_then(|e| e.raw_os_error()).unwrap_or(0);
                p.exited = Some(exited);
                if let Some(w) = p.waker.take() {
                    wakers.push(w);
                }
                match p.orphan.take() {
                    Some(child) => Report::Orphan { child, exited },
                    None => Report::Done,
                }
            }
        }
    }
}

/// The readiness of one registered fd and the tasks waiting on it.
#[derive(Debug, Default)]
pub(crate) struct IoSlot {
    /// `READ`, `WRITE` as reported by the kernel since last cleared.
    pub(crate) ready: Events,
    /// `READ`, `WRITE` as reported by the kernel since a readiness wait
    /// (`Async::readable`/`writable`) last completed for that direction, or
    /// an operation last saw `WouldBlock` (see `io::registration`).
    pub(crate) fresh: Events,
    /// Set when the kernel reports a hang-up or error (`EPOLLHUP`,
    /// `EPOLLRDHUP`, `EPOLLERR`); never cleared. That report does not come
    /// twice, so from then on a short read cannot mean "drained": the
    /// end-of-file behind the data is still to be read.
    pub(crate) hung_up: bool,
    pub(crate) waiters: Waiters,
}

impl IoSlot {
    /// The kernel reported `events` on the fd.
    fn report(&mut self, events: Events, wakers: &mut Vec<Waker>) {
        let mut ready = events & (Events::READ | Events::WRITE);
        if events.contains(Events::ERROR) {
            // A hang-up or error: the next read or write reports it.
            ready |= Events::READ | Events::WRITE;
            self.hung_up = true;
        }
        self.ready |= ready;
        self.fresh |= ready;
        if ready.contains(Events::READ) {
            self.waiters.take(Direction::Read, wakers);
        }
        if ready.contains(Events::WRITE) {
            self.waiters.take(Direction::Write, wakers);
        }
    }
}

/// A child process the runtime watches.
#[derive(Debug, Default)]
pub(crate) struct ProcessSlot {
    /// Set once the child has exited (0), or the kernel's error (`ECHILD`).
    pub(crate) exited: Option<i32>,
    pub(crate) waker: Option<Waker>,
    /// A dropped `Child` that was still running: reaped when it exits.
    /// Boxed: a `Child` is 28 bytes, and every slot of the selector's
    /// table, one per connection, is as large as the largest kind of slot.
    pub(crate) orphan: Option<Box<std::process::Child>>,
    /// The orphan was sent `SIGKILL` (`kill_on_drop`): about to exit.
    pub(crate) orphan_killed: bool,
}

/// A runtime's hold on one signal number, made by `signal` when the
/// runtime's first listener of it comes: the process-wide subscription,
/// and what a delivery does. Through it the driver delivers and gives
/// signals back without knowing `signal`.
pub(crate) trait SignalHold: fmt::Debug {
    /// A delivery the runtime read (`pid`: this process's id, to tell
    /// forwards from other senders): counts it and moves the tasks waiting
    /// for it to `wakers`. Returns whether it was counted.
    fn deliver(&self, info: SignalInfo, pid: i32, wakers: &mut Vec<Waker>) -> bool;

    /// Gives the subscription back; `release` gives back the selector's
    /// registration of the signal, at the point of the leaving that the
    /// subscription's protocol needs.
    fn leave(self: Box<Self>, release: &mut dyn FnMut());
}

/// One runtime's state for one signal number it listens to.
#[derive(Debug)]
pub(crate) struct SignalSlot {
    /// The selector's registration of the signal.
    ident: Ident,
    /// The listeners (a `Signal`, `ctrl_c`'s pin, `process`'s hold on
    /// `SIGCHLD`); the slot goes with the last one.
    listeners: usize,
    hold: Box<dyn SignalHold>,
    /// The delivery count `ctrl_c` has reported up to, once it has pinned
    /// a listener of `SIGINT` for the runtime's life (`signal`'s field).
    pub(crate) ctrl_c_seen: Option<u64>,
}

impl SignalSlot {
    /// The state of a signal registered as `ident`, with one listener.
    pub(crate) fn new(ident: Ident, hold: Box<dyn SignalHold>) -> SignalSlot {
        SignalSlot {
            ident,
            listeners: 1,
            hold,
            ctrl_c_seen: None,
        }
    }

    pub(crate) fn listeners(&self) -> usize {
        self.listeners
    }

    pub(crate) fn add_listener(&mut self) {
        self.listeners += 1;
    }

    /// Takes a listener away; `true` if it was the last.
    pub(crate) fn remove_listener(&mut self) -> bool {
        self.listeners -= 1;
        self.listeners == 0
    }

    /// See [`SignalHold::deliver`].
    pub(crate) fn deliver(&self, info: SignalInfo, pid: i32, wakers: &mut Vec<Waker>) -> bool {
        self.hold.deliver(info, pid, wakers)
    }

    /// Ends the listening: the subscription leaves, and calls `unregister`
    /// with the signal's registration when the selector's hold is to go.
    pub(crate) fn stop(self, mut unregister: impl FnMut(Ident)) {
        let ident = self.ident;
        self.hold.leave(&mut || unregister(ident));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selector_slot_is_no_larger_than_an_io_slot() {
        // Every fd of the selector's table takes a `Slot`, so the largest
        // kind sets the size of a connection's bookkeeping: a process's
        // orphan is boxed to keep it from being that kind.
        assert_eq!(size_of::<Slot>(), size_of::<IoSlot>());
        assert!(size_of::<IoSlot>() <= 48, "{}", size_of::<IoSlot>());
    }

    #[test]
    fn an_error_report_makes_both_directions_ready_and_marks_the_hang_up() {
        let mut slot = IoSlot::default();
        let mut wakers = Vec::new();
        slot.waiters.add(Direction::Read, Waker::noop());
        slot.report(Events::ERROR, &mut wakers);
        assert!(slot.ready.contains(Events::READ | Events::WRITE));
        assert!(slot.fresh.contains(Events::READ | Events::WRITE));
        assert!(slot.hung_up);
        assert_eq!(wakers.len(), 1, "the reader is woken");
    }

    #[test]
    fn a_read_report_wakes_readers_only() {
        let mut slot = IoSlot::default();
        let mut wakers = Vec::new();
        slot.waiters.add(Direction::Write, Waker::noop());
        slot.report(Events::READ, &mut wakers);
        assert_eq!(slot.ready, Events::READ);
        assert!(!slot.hung_up);
        assert!(wakers.is_empty(), "the writer waits on");
    }
}
