//! The driver's small API for `signal` and `process`: what they may do to a
//! runtime's driver, as methods, so that they never touch its fields.
//!
//! # Who may touch what
//!
//! - `signal` keeps one [`SignalSlot`] per signal number the runtime
//!   listens to ([`Inner::signal_slot_mut`], [`Inner::insert_signal_slot`],
//!   [`Inner::remove_signal_slot`]), registers the signal with the selector
//!   ([`Inner::register_signal`]) and gives the registration back
//!   ([`Inner::unregister`]).
//! - `process` registers children ([`Inner::register_child`]), looks at
//!   their slots ([`Inner::child`]), hands a dropped running child to the
//!   driver ([`Inner::adopt_orphan`]), and reaps and unregisters an exited
//!   one ([`Inner::reap_child`], the one place that does).
//!
//! Everything else about the driver (timers, the clock, fd slots) goes
//! through the methods of `driver.rs`.

use std::io;
use std::process::ExitStatus;

use chronia_reactor::Ident;

use std::cell::RefMut;

use super::{Driver, Inner, ProcessSlot, Slot};
use crate::signal::SignalSlot;

impl Driver {
    /// The driver's state, for one call of the API below; the borrow must
    /// end before a waker is woken or a future polled.
    ///
    /// # Panics
    ///
    /// If it is borrowed already (a capability re-entered the driver).
    #[track_caller]
    pub(crate) fn inner_mut(&self) -> RefMut<'_, Inner> {
        self.inner.borrow_mut()
    }

    /// As [`inner_mut`](Driver::inner_mut), or `None` while the driver is
    /// borrowed (in a `Drop`, which must not panic).
    pub(crate) fn try_inner_mut(&self) -> Option<RefMut<'_, Inner>> {
        self.inner.try_borrow_mut().ok()
    }
}

impl Inner {
    /// This process's id, read once when the driver was made.
    pub(crate) fn pid(&self) -> i32 {
        self.pid
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

    // ---- signals --------------------------------------------------------

    /// Registers `signo` with the selector (which blocks it in this thread).
    ///
    /// # Errors
    ///
    /// As `Selector::register_signal`.
    pub(crate) fn register_signal(&mut self, signo: i32) -> io::Result<Ident> {
        self.selector.register_signal(signo, Slot::Signal)
    }

    /// The runtime's state for `signo`, if it listens to it.
    pub(crate) fn signal_slot(&self, signo: i32) -> Option<&SignalSlot> {
        self.signals.get(&signo)
    }

    /// As [`signal_slot`](Inner::signal_slot), to change it.
    pub(crate) fn signal_slot_mut(&mut self, signo: i32) -> Option<&mut SignalSlot> {
        self.signals.get_mut(&signo)
    }

    /// Stores the runtime's state for `signo`.
    pub(crate) fn insert_signal_slot(&mut self, signo: i32, slot: SignalSlot) {
        self.signals.insert(signo, slot);
    }

    /// Takes the runtime's state for `signo` out.
    pub(crate) fn remove_signal_slot(&mut self, signo: i32) -> Option<SignalSlot> {
        self.signals.remove(&signo)
    }

    /// The signal numbers the runtime listens to.
    pub(crate) fn signal_numbers(&self) -> Vec<i32> {
        self.signals.keys().copied().collect()
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
        crate::runtime::stats::add(&self.counters.children_spawned, 1);
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
        crate::runtime::stats::add(&self.counters.children_reaped, 1);
        if exited != 0 {
            return Err(io::Error::from_raw_os_error(exited));
        }
        child.try_wait()
    }
}
