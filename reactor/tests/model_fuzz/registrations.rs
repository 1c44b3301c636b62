//! Ops that register, update, unregister and feed registrations: each
//! call's result kind is checked against the model, which then moves on.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::time::Duration;

use chronia_reactor::{Events, Ident};

use super::world::{Channel, Fires, Kind, Live};
use super::{Fuzz, LONG, QUEUED_BYTES, TIMERS};

impl Fuzz {
    // ---- handles -------------------------------------------------------------

    /// An `EDGE` registration is owed an edge when it starts (or restarts)
    /// ready: the kernel polls the fd on `EPOLL_CTL_ADD`/`MOD`.
    pub(crate) fn edge_on_arm(&self, chan: usize, end: usize, interest: Events) -> bool {
        !(self.channels[chan].ready(end) & interest).is_empty()
    }

    pub(crate) fn register_handle(&mut self, chan: usize, end: usize, interest: Events) {
        let fd = self.channels[chan].fd(end);
        let result = self
            .selector
            .register_handle(fd, interest, self.next_tag + 1);
        if self.handle_id(chan, end).is_some() {
            return self.refused(result, ErrorKind::AlreadyExists, "a second register_handle");
        }
        self.ok(result, "register_handle");
        let tag = self.tag();
        let kind = Kind::Handle {
            chan,
            end,
            interest,
            armed: true,
            edge_due: self.edge_on_arm(chan, end, interest),
            seen_activity: self.channels[chan].activity,
        };
        self.model.insert(Ident::from(fd), Live { kind, tag });
    }

    pub(crate) fn update_handle(&mut self, chan: usize, end: usize, new: Events) {
        let fd = self.channels[chan].fd(end);
        let result = self.selector.update_handle(fd, new);
        let Some(id) = self.handle_id(chan, end) else {
            return self.refused(
                result,
                ErrorKind::NotFound,
                "update_handle of an unregistered fd",
            );
        };
        self.ok(result, "update_handle");
        let edge = self.edge_on_arm(chan, end, new);
        let Some(Live {
            kind:
                Kind::Handle {
                    interest,
                    armed,
                    edge_due,
                    ..
                },
            ..
        }) = self.model.get_mut(&id)
        else {
            unreachable!("a channel end's ident is a handle");
        };
        // The same set again re-arms only a ONESHOT registration.
        if *interest != new || new.contains(Events::ONESHOT) {
            *interest = new;
            *armed = true;
            *edge_due = edge;
        }
    }

    pub(crate) fn write(&mut self, chan: usize, end: usize, len: usize) {
        let Some(to) = self.channels[chan].peer(end) else {
            return;
        };
        let c = &mut self.channels[chan];
        if c.queued[to] + len > QUEUED_BYTES {
            return;
        }
        let was_empty = c.queued[to] == 0;
        let r = c.ends[end].write_all(&[0x5a; 64][..len]);
        self.ok(r, "write");
        let c = &mut self.channels[chan];
        c.queued[to] += len;
        c.activity += 1;
        if was_empty {
            let to_fd = c.fd(to);
            if let Some(Live {
                kind: Kind::Handle {
                    interest, edge_due, ..
                },
                ..
            }) = self.model.get_mut(&Ident::from(to_fd))
                && interest.contains(Events::READ)
            {
                *edge_due = true;
            }
        }
    }

    pub(crate) fn read(&mut self, chan: usize, end: usize, len: usize) {
        let c = &mut self.channels[chan];
        let len = len.min(c.queued[end]);
        if len == 0 {
            return;
        }
        let mut buf = [0; 64];
        let r = c.ends[end].read_exact(&mut buf[..len]);
        self.ok(r, "read");
        let c = &mut self.channels[chan];
        c.queued[end] -= len;
        c.activity += 1;
    }

    /// Closes both ends, opens a new channel (whose fds likely take the
    /// same numbers), then unregisters what was registered on the old ends:
    /// the kernel dropped those from epoll on close, and the numbers now
    /// name fds epoll never saw, so the `EPOLL_CTL_DEL` fails with `ENOENT`
    /// or `EBADF`, which unregister must not report.
    pub(crate) fn close_and_reopen(&mut self, chan: usize) {
        let ids: Vec<Option<Ident>> = (0..2).map(|end| self.handle_id(chan, end)).collect();
        let pipe = self.channels[chan].pipe;
        drop(self.channels.remove(chan));
        self.channels.insert(chan, Channel::open(pipe));
        for id in ids.into_iter().flatten() {
            let r = self.selector.unregister(id);
            self.ok(r, "unregister of a closed fd");
            self.model.remove(&id);
        }
    }

    pub(crate) fn unregister(&mut self, id: Ident) {
        if self.trace {
            println!("  unregister {id:?}");
        }
        let r = self.selector.unregister(id);
        self.ok(r, "unregister");
        match self.model.remove(&id).map(|l| l.kind) {
            Some(Kind::User(i)) => self.event_ids[i] = None,
            Some(Kind::Signal(i)) => {
                // Queued instances are taken, not reported.
                self.signal_ids[i] = None;
                self.outstanding[i] = 0;
            }
            _ => {}
        }
        if self.selector.contains(id) {
            self.fail(&format!("{id:?} is still there after unregister"));
        }
    }

    // ---- timers, events, signals ----------------------------------------------

    pub(crate) fn register_timer(&mut self, after: Duration, oneshot: bool) {
        let live_timers = self
            .model
            .values()
            .filter(|l| matches!(l.kind, Kind::Timer { .. }))
            .count();
        if live_timers >= TIMERS {
            return;
        }
        let result = self
            .selector
            .register_timer(after, oneshot, self.next_tag + 1);
        if !oneshot && after.is_zero() {
            return self.refused(result, ErrorKind::InvalidInput, "a zero period");
        }
        let id = self.ok(result, "register_timer");
        if id.is_virtual() || self.model.contains_key(&id) {
            self.fail(&format!(
                "register_timer gave {id:?}, which is taken or virtual"
            ));
        }
        let fires = match (after == LONG, oneshot) {
            (true, _) => Fires::Left(0),
            (false, true) => Fires::Left(1),
            (false, false) => Fires::Any,
        };
        let tag = self.tag();
        let kind = Kind::Timer {
            oneshot,
            fires,
            grace: false,
        };
        self.model.insert(id, Live { kind, tag });
    }

    pub(crate) fn set_timer(&mut self, id: Ident, after: Option<Duration>) {
        let r = self.selector.set_timer(id, after);
        let Some(Live {
            kind: Kind::Timer { fires, grace, .. },
            ..
        }) = self.model.get_mut(&id)
        else {
            return self.refused(r, ErrorKind::InvalidInput, "set_timer of a non-timer");
        };
        let was = *fires;
        *fires = match after {
            Some(t) if t != LONG => Fires::Left(1),
            _ => Fires::Left(0),
        };
        // An expiry counted before the settime may still be read once.
        *grace |= was != Fires::Left(0);
        self.ok(r, "set_timer");
    }

    pub(crate) fn register_event(&mut self, i: usize) {
        let result = self
            .selector
            .register_event(&self.events[i], self.next_tag + 1);
        if self.event_ids[i].is_some() {
            return self.refused(result, ErrorKind::AlreadyExists, "a second register_event");
        }
        let id = self.ok(result, "register_event");
        if id != Ident::from(self.events[i].as_raw_fd()) {
            self.fail(&format!("register_event gave {id:?}, not its fd"));
        }
        let tag = self.tag();
        self.model.insert(
            id,
            Live {
                kind: Kind::User(i),
                tag,
            },
        );
        self.event_ids[i] = Some(id);
    }

    pub(crate) fn register_signal(&mut self, i: usize) {
        let result = self
            .selector
            .register_signal(self.signals[i], self.next_tag + 1);
        if self.signal_ids[i].is_some() {
            return self.refused(result, ErrorKind::AlreadyExists, "a second register_signal");
        }
        let id = self.ok(result, "register_signal");
        if !id.is_virtual() || id.as_raw() == -1 || self.model.contains_key(&id) {
            self.fail(&format!(
                "register_signal gave {id:?}, which is taken or not virtual"
            ));
        }
        let tag = self.tag();
        self.model.insert(
            id,
            Live {
                kind: Kind::Signal(i),
                tag,
            },
        );
        self.signal_ids[i] = Some(id);
    }

    // ---- data ------------------------------------------------------------------

    pub(crate) fn retag(&mut self, id: Ident) {
        let tag = self.tag();
        if self.rng.one_in(2) {
            if !self.selector.set_data(id, tag) {
                self.fail(&format!("set_data of live {id:?} said false"));
            }
        } else {
            match self.selector.data_mut(id) {
                Some(data) => *data = tag,
                None => self.fail(&format!("data_mut of live {id:?} is None")),
            }
        }
        self.model.get_mut(&id).expect("picked from the model").tag = tag;
    }

    /// Every live registration is there with its data; every fd of ours
    /// that the model says is not registered is not.
    pub(crate) fn check_table(&self) {
        for (&id, live) in &self.model {
            if self.selector.data(id) != Some(&live.tag) {
                self.fail(&format!(
                    "data of {id:?} is {:?}, not {}",
                    self.selector.data(id),
                    live.tag
                ));
            }
        }
        let ours = self.channels.iter().flat_map(|c| [c.fd(0), c.fd(1)]);
        let events = self.events.iter().map(AsRawFd::as_raw_fd);
        for fd in ours.chain(events).map(Ident::from) {
            if self.selector.contains(fd) != self.model.contains_key(&fd) {
                self.fail(&format!("contains({fd:?}) disagrees with the model"));
            }
        }
    }
}
