//! The driver's small API: what the capabilities may do to a runtime's
//! driver, as methods of [`DriverState`], so that they never touch its
//! fields.
//!
//! # Who may touch what
//!
//! - `io` (and `net`, `process`'s pipes, through `io`'s `Async`) registers
//!   an fd ([`DriverState::register_fd`]), works on its [`IoSlot`]
//!   ([`DriverState::io_slot`]) by the readiness protocol of
//!   `io::registration`, and gives the fd back
//!   ([`DriverState::deregister_fd`]).
//! - `time` reads and pauses the clock ([`DriverState::now`],
//!   [`DriverState::cached_now`], [`DriverState::pause`],
//!   [`DriverState::resume`], [`DriverState::advance`]) and adds, moves and
//!   removes timers ([`DriverState::add_timer`],
//!   [`DriverState::move_timer`], [`DriverState::remove_timer`]): each
//!   timer key belongs to the one `Sleep` that added it.
//! - `signal` listens to a signal ([`DriverState::listen_signal`], which
//!   takes the [`SignalHold`] it made) and gives the listener back
//!   ([`DriverState::unlisten_signal`]); it keeps `ctrl_c`'s count in the
//!   [`SignalSlot`] ([`DriverState::signal_slot_mut`]).
//! - `process` registers children ([`DriverState::register_child`]), looks
//!   at their slots ([`DriverState::child`]), hands a dropped running child
//!   to the driver ([`DriverState::adopt_orphan`]), and reaps and
//!   unregisters an exited one ([`DriverState::reap_child`], the one place
//!   that does).

use std::cell::RefMut;
use std::io;
use std::os::fd::RawFd;
use std::process::ExitStatus;
use std::task::Waker;
use std::time::{Duration, Instant};

use chronia_reactor::{Events, Ident};

use super::{Driver, DriverState};
use crate::runtime::slot::{IoSlot, ProcessSlot, SignalHold, SignalSlot, Slot};
use crate::runtime::stats::{self, Counters};
use crate::runtime::timers::{Deadline, TimerKey};

impl Driver {
    /// The driver's state, for one call of the API below; the borrow must
    /// end before a waker is woken or a future polled.
    ///
    /// # Panics
    ///
    /// If it is borrowed already (a capability re-entered the driver).
    #[track_caller]
    pub(crate) fn state_mut(&self) -> RefMut<'_, DriverState> {
        self.state.borrow_mut()
    }

    /// As [`state_mut`](Driver::state_mut), or `None` while the driver is
    /// borrowed (in a `Drop`, which must not panic).
    pub(crate) fn try_state_mut(&self) -> Option<RefMut<'_, DriverState>> {
        self.state.try_borrow_mut().ok()
    }
}

impl DriverState {
    /// The runtime's counters (for `stats`).
    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Removes registration `ident` from the selector.
    ///
    /// # Errors
    ///
    /// `NotFound` if `ident` is not registered.
    pub(crate) fn unregister(&mut self, ident: Ident) -> io::Result<()> {
        self.selector.unregister(ident)
    }

    /// The signals this thread's selectors block (for a child's mask).
    pub(crate) fn blocked_signals(&self) -> Vec<i32> {
        self.selector.blocked_signals()
    }

    // ---- fds ------------------------------------------------------------

    /// Registers `fd`, read and write, edge-triggered, assuming it `ready`
    /// until the kernel reports otherwise.
    ///
    /// # Errors
    ///
    /// As `Selector::register_handle` (`AlreadyExists` if it is registered).
    pub(crate) fn register_fd(&mut self, fd: RawFd, ready: Events) -> io::Result<()> {
        let slot = IoSlot {
            ready,
            ..IoSlot::default()
        };
        let events = Events::READ | Events::WRITE | Events::EDGE;
        self.selector.register_handle(fd, events, Slot::Io(slot))?;
        stats::add(&self.counters.fds_registered, 1);
        Ok(())
    }

    /// Gives back the registration of `fd`.
    pub(crate) fn deregister_fd(&mut self, fd: RawFd) {
        // Fails only if the fd was never registered: nothing to undo then.
        let _ = self.selector.unregister(Ident::from(fd));
        stats::sub(&self.counters.fds_registered);
    }

    /// Whether `fd` is registered.
    pub(crate) fn is_fd_registered(&self, fd: RawFd) -> bool {
        self.selector.contains(Ident::from(fd))
    }

    /// The slot of registered `fd`.
    pub(crate) fn io_slot(&mut self, fd: RawFd) -> Option<&mut IoSlot> {
        match self.selector.data_mut(Ident::from(fd)) {
            Some(Slot::Io(slot)) => Some(slot),
            _ => None,
        }
    }

    // ---- time -----------------------------------------------------------

    /// The current time of the runtime's clock; refreshes its cache.
    pub(crate) fn now(&mut self) -> Instant {
        self.clock.now()
    }

    /// The time the clock last read: a lower bound of the current time.
    pub(crate) fn cached_now(&self) -> Instant {
        self.clock.cached()
    }

    /// Stops the clock (see `time::pause`).
    pub(crate) fn pause(&mut self) {
        self.clock.pause();
    }

    /// Lets the clock follow real time again.
    pub(crate) fn resume(&mut self) {
        self.clock.resume();
    }

    /// Moves paused time forward by `by` and moves the wakers of the timers
    /// that became due to `wakers`.
    pub(crate) fn advance(&mut self, by: Duration, wakers: &mut Vec<Waker>) {
        self.clock.advance(by);
        let now = self.clock.now();
        self.timers.fire_due(now, wakers);
    }

    /// Adds a timer that wakes `waker` at `deadline`.
    pub(crate) fn add_timer(&mut self, deadline: Deadline, waker: Waker) -> TimerKey {
        self.timers.insert(deadline, waker)
    }

    /// Moves timer `key` to `deadline` (back into the heap if it fired).
    pub(crate) fn move_timer(&mut self, key: TimerKey, deadline: Deadline) {
        self.timers.reset(key, deadline);
    }

    /// Removes timer `key`, fired or not.
    pub(crate) fn remove_timer(&mut self, key: TimerKey) {
        self.timers.remove(key);
    }

    /// Whether timer `key` has fired.
    pub(crate) fn is_timer_fired(&self, key: TimerKey) -> bool {
        self.timers.is_fired(key)
    }

    /// Has timer `key` wake `waker`.
    pub(crate) fn set_timer_waker(&mut self, key: TimerKey, waker: &Waker) {
        self.timers.set_waker(key, waker);
    }

    /// How many timers wait.
    pub(crate) fn timers_pending(&self) -> usize {
        self.timers.len()
    }

    // ---- signals --------------------------------------------------------

    /// Adds a listener of `signo`. The first one calls `hold` (which
    /// subscribes the thread to the signal's deliveries) and then registers
    /// the signal with the selector, which blocks it in this thread; if
    /// that fails, the hold leaves again.
    ///
    /// # Errors
    ///
    /// What `hold` returns; as `Selector::register_signal`.
    pub(crate) fn listen_signal(
        &mut self,
        signo: i32,
        hold: impl FnOnce() -> io::Result<Box<dyn SignalHold>>,
    ) -> io::Result<()> {
        if let Some(slot) = self.signals.get_mut(&signo) {
            slot.add_listener();
            return Ok(());
        }
        let hold = hold()?;
        match self.selector.register_signal(signo, Slot::Signal) {
            Ok(ident) => {
                self.signals.insert(signo, SignalSlot::new(ident, hold));
                Ok(())
            }
            Err(e) => {
                hold.leave(&mut || {});
                Err(e)
            }
        }
    }

    /// Gives back a listener taken by [`listen_signal`](Self::listen_signal);
    /// the last one stops the listening (see [`SignalSlot::stop`]).
    pub(crate) fn unlisten_signal(&mut self, signo: i32) {
        let Some(slot) = self.signals.get_mut(&signo) else {
            return;
        };
        if slot.remove_listener()
            && let Some(slot) = self.signals.remove(&signo)
        {
            self.stop_signal(slot);
        }
    }

    /// Stops every signal the runtime still listens to (its `SIGCHLD`, its
    /// pinned `SIGINT`, listeners that outlive it): the driver's drop.
    pub(super) fn unlisten_all_signals(&mut self) {
        let slots: Vec<SignalSlot> = self.signals.drain().map(|(_, slot)| slot).collect();
        for slot in slots {
            self.stop_signal(slot);
        }
    }

    fn stop_signal(&mut self, slot: SignalSlot) {
        // Fails only if the ident is gone already; nothing left to undo.
        slot.stop(|ident| drop(self.selector.unregister(ident)));
    }

    /// How many listeners of `signo` this runtime has.
    pub(crate) fn signal_listeners(&self, signo: i32) -> usize {
        self.signals.get(&signo).map_or(0, SignalSlot::listeners)
    }

    /// The runtime's state for `signo`, if it listens to it.
    pub(crate) fn signal_slot_mut(&mut self, signo: i32) -> Option<&mut SignalSlot> {
        self.signals.get_mut(&signo)
    }

    // ---- children -------------------------------------------------------

    /// Whether the runtime listens to `SIGCHLD` for its children (from its
    /// first spawn on, for its life).
    pub(crate) fn listens_to_children(&self) -> bool {
        self.listens_to_children
    }

    /// Records that the runtime now listens to `SIGCHLD` for its children.
    pub(crate) fn set_listens_to_children(&mut self) {
        self.listens_to_children = true;
    }

    /// Watches child `pid`: its exit is reported to its slot.
    ///
    /// # Errors
    ///
    /// As `Selector::register_process` (`ECHILD` if it is not our child or
    /// was reaped already).
    pub(crate) fn register_child(&mut self, pid: i32) -> io::Result<Ident> {
        let ident = self
            .selector
            .register_process(pid, Slot::Process(ProcessSlot::default()))?;
        stats::add(&self.counters.children_spawned, 1);
        Ok(ident)
    }

    /// Has the selector look for exits it may have missed.
    pub(crate) fn check_children(&mut self) {
        self.selector.check_processes();
    }

    /// The slot of the child watched as `ident`.
    pub(crate) fn child(&mut self, ident: Ident) -> Option<&mut ProcessSlot> {
        match self.selector.data_mut(ident) {
            Some(Slot::Process(slot)) => Some(slot),
            _ => None,
        }
    }

    /// Keeps `child`, dropped while still running, to be reaped when it
    /// exits (by the driver, or after the runtime drops by
    /// [`orphans`](super::orphans)); `killed`: it was sent `SIGKILL` on drop. Gives
    /// `child` back if `ident` watches no child.
    pub(crate) fn adopt_orphan(
        &mut self,
        ident: Ident,
        child: std::process::Child,
        killed: bool,
    ) -> Result<(), std::process::Child> {
        let Some(slot) = self.child(ident) else {
            return Err(child);
        };
        slot.orphan = Some(Box::new(child));
        slot.orphan_killed = killed;
        self.orphans.push(ident);
        Ok(())
    }

    /// Unregisters the child watched as `ident`, which the selector saw
    /// exit (`exited` is its report: 0, or the kernel's error), and reaps
    /// `child`: at once, as the zombie is there (`waitid` with `WNOWAIT`
    /// left it). The one place a watched child is reaped and unregistered
    /// (by its `Child`, or by the driver for an orphan). For an error report
    /// the child was reaped elsewhere, so its pid is not waited on again (it
    /// may belong to another child by now): that error comes back.
    ///
    /// # Errors
    ///
    /// The selector's error report, or the kernel's error from `waitpid(2)`.
    pub(crate) fn reap_child(
        &mut self,
        ident: Ident,
        child: &mut std::process::Child,
        exited: i32,
    ) -> io::Result<Option<ExitStatus>> {
        // The registration exists until this call, the only one to remove
        // it; a refusal could only leave an entry nobody looks at.
        let _ = self.selector.unregister(ident);
        self.orphans.retain(|&o| o != ident);
        stats::add(&self.counters.children_reaped, 1);
        if exited != 0 {
            return Err(io::Error::from_raw_os_error(exited));
        }
        child.try_wait()
    }
}
