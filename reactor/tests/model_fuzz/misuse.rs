//! Misuse of every kind, refused with the error kind the docs promise, and
//! the end of a seed: every short timer fired, everything unregistered,
//! the thread's mask given back.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use chronia_reactor::{Events, Ident};

use super::world::{Fires, Kind};
use super::{CHANNELS, Fuzz};
use crate::util;

impl Fuzz {
    // ---- misuse ----------------------------------------------------------------

    /// A channel end that is not registered, if any.
    pub(crate) fn free_end(&mut self) -> Option<(usize, usize)> {
        let (chan, end) = (self.rng.below(CHANNELS), self.rng.below(2));
        self.handle_id(chan, end).is_none().then_some((chan, end))
    }

    pub(crate) fn misuse(&mut self, which: usize) {
        if which < 7 {
            self.misuse_registration(which);
        } else {
            self.misuse_other(which);
        }
    }

    /// Registration calls that must be refused.
    fn misuse_registration(&mut self, which: usize) {
        let is_fd = |k: &Kind| !matches!(k, Kind::Signal(_));
        let is_virtual = |k: &Kind| matches!(k, Kind::Signal(_));
        let not_handle = |k: &Kind| matches!(k, Kind::Timer { .. } | Kind::User(_));
        let far = Ident::from(-100_000);
        match which {
            0 => {
                if let Some(id) = self.pick_live(is_fd) {
                    let r = self.selector.register_handle(id.as_raw(), Events::READ, 0);
                    self.refused(
                        r,
                        ErrorKind::AlreadyExists,
                        "register_handle of a registered fd",
                    );
                }
            }
            1 => {
                let fd = -2 - i32::try_from(self.rng.below(1000)).expect("small");
                let r = self.selector.register_handle(fd, Events::READ, 0);
                self.refused(
                    r,
                    ErrorKind::InvalidInput,
                    "register_handle of a negative fd",
                );
            }
            2 => {
                if let Some((chan, end)) = self.free_end() {
                    let fd = self.channels[chan].fd(end);
                    let r = self
                        .selector
                        .register_handle(fd, Events::READ | Events::TIMER, 0);
                    self.refused(r, ErrorKind::InvalidInput, "register_handle for TIMER");
                }
            }
            3 => {
                let r = self.selector.register_handle(i32::MAX, Events::READ, 0);
                match r {
                    Err(e) if e.raw_os_error() == Some(libc::EBADF) => {}
                    other => self.fail(&format!(
                        "register_handle(i32::MAX): expected EBADF, got {other:?}"
                    )),
                }
            }
            4 => {
                if let Some(id) = self
                    .pick_live(not_handle)
                    .or_else(|| self.pick_live(is_virtual))
                {
                    let r = self.selector.update_handle(id.as_raw(), Events::READ);
                    self.refused(r, ErrorKind::InvalidInput, "update_handle of a non-handle");
                }
            }
            5 => {
                let r = self.selector.unregister(far);
                self.refused(
                    r,
                    ErrorKind::NotFound,
                    "unregister of an unknown virtual id",
                );
                if let Some((chan, end)) = self.free_end() {
                    let fd = self.channels[chan].fd(end);
                    let r = self.selector.unregister(Ident::from(fd));
                    self.refused(r, ErrorKind::NotFound, "unregister of an unregistered fd");
                }
            }
            6 => {
                if let Some(id) = self.pick_live(|k| !matches!(k, Kind::Timer { .. })) {
                    let r = self.selector.set_timer(id, None);
                    self.refused(r, ErrorKind::InvalidInput, "set_timer of a non-timer");
                }
                let r = self.selector.set_timer(far, None);
                self.refused(r, ErrorKind::NotFound, "set_timer of an unknown id");
            }
            _ => unreachable!("misuse hands 7 and above to misuse_other"),
        }
    }

    /// Other calls that must be refused, or come back empty.
    fn misuse_other(&mut self, which: usize) {
        let far = Ident::from(-100_000);
        let is_handle = |k: &Kind| matches!(k, Kind::Handle { .. });
        match which {
            7 => {
                let r = self.selector.register_timer(Duration::ZERO, false, 0);
                self.refused(
                    r,
                    ErrorKind::InvalidInput,
                    "a periodic timer of period zero",
                );
            }
            8 => {
                let bad = [
                    0,
                    -3,
                    libc::SIGKILL,
                    libc::SIGSTOP,
                    32,
                    33,
                    libc::SIGRTMAX() + 1,
                ];
                let signo = bad[self.rng.below(bad.len())];
                let r = self.selector.register_signal(signo, 0);
                self.refused(
                    r,
                    ErrorKind::InvalidInput,
                    &format!("register_signal({signo})"),
                );
            }
            9 => {
                let r = self.selector.select_into(Some(Duration::ZERO), &mut []);
                self.refused(r, ErrorKind::InvalidInput, "select_into an empty buffer");
            }
            10 => {
                if self.selector.set_data(far, 0) || self.selector.data(far).is_some() {
                    self.fail("an unknown id has data");
                }
            }
            11 => {
                let r = self.selector.register_process(0, 0);
                self.refused(r, ErrorKind::InvalidInput, "register_process(0)");
            }
            12 => {
                // Pid 1 is never our child: the kernel's ECHILD, and nothing
                // kept (no registration, SIGCHLD not left blocked).
                let r = self.selector.register_process(1, 0);
                match r {
                    Err(e) if e.raw_os_error() == Some(libc::ECHILD) => {}
                    other => self.fail(&format!(
                        "register_process(1): expected ECHILD, got {other:?}"
                    )),
                }
                if self.selector.blocked_signals().contains(&libc::SIGCHLD) {
                    self.fail("a failed register_process left SIGCHLD blocked");
                }
            }
            _ => {
                if let Some(id) = self.pick_live(is_handle).filter(|_| self.rng.one_in(2)) {
                    let r = self.selector.register_handle(id.as_raw(), Events::WRITE, 0);
                    self.refused(r, ErrorKind::AlreadyExists, "register_handle twice");
                } else if let Some(i) = self.event_ids.iter().position(Option::is_some) {
                    let r = self.selector.register_event(&self.events[i], 0);
                    self.refused(r, ErrorKind::AlreadyExists, "register_event twice");
                }
            }
        }
    }

    // ---- the end -----------------------------------------------------------------

    /// Waits for every short oneshot to fire, then unregisters everything
    /// and checks that the selector is empty and, once dropped, gave the
    /// thread's signal mask back.
    pub(crate) fn finish(mut self) {
        let deadline = Instant::now() + util::PATIENCE;
        loop {
            let waiting = self.model.values().any(|l| {
                matches!(
                    l.kind,
                    Kind::Timer {
                        fires: Fires::Left(1),
                        ..
                    }
                )
            });
            if !waiting {
                break;
            }
            if Instant::now() > deadline {
                self.fail("a short timer did not fire within the patience");
            }
            self.select_all(Duration::from_millis(10));
        }
        self.check_table();
        let mut ids: Vec<Ident> = self.model.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.unregister(id);
        }
        if !self.selector.blocked_signals().is_empty() {
            self.fail("signals still blocked with nothing registered");
        }
        let r = self.selector.select(Some(Duration::ZERO));
        let keys = self.ok(r, "select");
        if !keys.is_empty() {
            self.fail(&format!("reports with nothing registered: {keys:?}"));
        }
        println!(
            "model_fuzz seed {}: reports judged (handle, timer, user, signal) {:?}, calls refused {}",
            self.seed, self.reports, self.refusals
        );
        drop(self.selector);
        let mask = util::thread_mask();
        if let Some(&s) = self.signals.iter().find(|&&s| mask.contains(s)) {
            panic!(
                "model_fuzz seed {}: signal {s} still blocked after the selector dropped",
                self.seed
            );
        }
    }
}
