//! Selects, and the judgement of every report against the model: which
//! reports must come, which may, and with exactly which events.

use std::collections::HashMap;
use std::time::Duration;

use chronia_reactor::{Events, Ident, ReadyKey};

use super::world::{Channel, Fires, Kind};
use super::{Fuzz, ROOM, SI_TKILL, SIGNALS};
use crate::util;

impl Fuzz {
    // ---- select --------------------------------------------------------------

    /// Judges one report against the model and moves the model on; `exact`
    /// also refuses a second report of one ident in the same select.
    pub(crate) fn judge(&mut self, key: &ReadyKey, seen: &mut HashMap<Ident, u32>, exact: bool) {
        if self.trace {
            println!("  report {key:?}");
        }
        let id = key.ident();
        let count = seen.entry(id).or_insert(0);
        *count += 1;
        let again = *count > 1;
        if let Some(e) = key.error() {
            self.fail(&format!("{key:?} came with an error: {e}"));
        }
        let Some(live) = self.model.get_mut(&id) else {
            self.fail(&format!("{key:?} names an ident that is not registered"));
        };
        let slot = match live.kind {
            Kind::Handle { .. } => 0,
            Kind::Timer { .. } => 1,
            Kind::User(_) => 2,
            Kind::Signal(_) => 3,
        };
        self.reports[slot] += 1;
        let bad = match &mut live.kind {
            kind @ Kind::Handle { .. } => {
                let Kind::Handle { chan, .. } = kind else {
                    unreachable!()
                };
                let c = &self.channels[*chan];
                judge_handle(kind, c, key, exact && again)
            }
            kind @ Kind::Timer { .. } => judge_timer(kind, key),
            Kind::User(i) => {
                let bad = if key.events() != Events::USER {
                    Some(format!(
                        "events {:?}, a user event reports USER",
                        key.events()
                    ))
                } else if self.triggered[*i] == Some(false) {
                    Some("a user event reported with no trigger".to_owned())
                } else {
                    None
                };
                self.triggered[*i] = Some(false);
                bad
            }
            Kind::Signal(i) => {
                let info = key.signal_info();
                let bad = if key.events() != Events::SIGNAL {
                    Some(format!(
                        "events {:?}, a signal reports SIGNAL",
                        key.events()
                    ))
                } else if self.outstanding[*i] == 0 {
                    Some("more signal reports than signals sent".to_owned())
                } else if info.is_none_or(|s| {
                    s.signo != self.signals[*i] || s.code != SI_TKILL || s.pid != util::getpid()
                }) {
                    Some(format!(
                        "signal info {info:?} for signal {}",
                        self.signals[*i]
                    ))
                } else {
                    None
                };
                self.outstanding[*i] = self.outstanding[*i].saturating_sub(1);
                bad
            }
        };
        if let Some(why) = bad {
            self.fail(&format!("{key:?}: {why}"));
        }
    }

    /// The reports a select with room for all must give now.
    pub(crate) fn owed(&self) -> Vec<Ident> {
        let mut owed = Vec::new();
        for (&id, live) in &self.model {
            let due = match &live.kind {
                Kind::Handle {
                    chan,
                    end,
                    interest,
                    armed,
                    edge_due,
                    ..
                } => {
                    let ready = !(self.channels[*chan].ready(*end) & *interest).is_empty();
                    let oneshot_ok = *armed || !interest.contains(Events::ONESHOT);
                    ready && oneshot_ok && (*edge_due || !interest.contains(Events::EDGE))
                }
                Kind::Timer { .. } => false,
                Kind::User(i) => self.triggered[*i] == Some(true),
                Kind::Signal(i) => self.outstanding[*i] > 0,
            };
            if due {
                owed.push(id);
            }
        }
        owed
    }

    /// One select with room for every report: it must give exactly what the
    /// model owes (timers aside, which may or may not have fired), each
    /// ident once (a signal once per instance).
    pub(crate) fn select_all(&mut self, timeout: Duration) {
        let owed = self.owed();
        let mut keys = vec![ReadyKey::default(); ROOM];
        let r = self.selector.select_into(Some(timeout), &mut keys);
        let n = self.ok(r, "select_into");
        if n == ROOM {
            self.fail("a full select filled its room: the model's bound is wrong");
        }
        let mut seen = HashMap::new();
        for key in &keys[..n] {
            self.judge(key, &mut seen, true);
        }
        for id in owed {
            if !seen.contains_key(&id) {
                self.fail(&format!(
                    "{id:?} ({:?}) was owed a report and got none",
                    self.model[&id].kind
                ));
            }
        }
        if let Some(i) = self.outstanding.iter().position(|&n| n > 0) {
            self.fail(&format!(
                "signal {} has {} undelivered instances",
                self.signals[i], self.outstanding[i]
            ));
        }
        for live in self.model.values_mut() {
            match &mut live.kind {
                // An edge the kernel found not ready any more is dropped.
                Kind::Handle { edge_due, .. } => *edge_due = false,
                Kind::Timer { grace, .. } => *grace = false,
                // Registered and not reported: the counter is zero.
                Kind::User(i) => {
                    self.triggered[*i].get_or_insert(false);
                }
                Kind::Signal(_) => {}
            }
        }
    }

    /// Selects with a buffer of `room` until a call leaves nothing queued,
    /// or a few times: the reports that did not fit come from the
    /// selector's queue, before anything new from the kernel. Then, maybe
    /// after an unregister, one select with room for all takes the rest of
    /// the queue. Nothing else changes in between, so each report is judged
    /// against the model as it is.
    pub(crate) fn select_small(&mut self, room: usize) {
        let mut keys = vec![ReadyKey::default(); ROOM];
        let mut seen = HashMap::new();
        for _ in 0..=self.rng.below(4) {
            let r = self
                .selector
                .select_into(Some(Duration::ZERO), &mut keys[..room]);
            let n = self.ok(r, "select_into a small buffer");
            for key in &keys[..n] {
                self.judge(key, &mut seen, false);
            }
            if n < room {
                return;
            }
        }
        // Reports may be queued now (a signalfd read gives a report per
        // instance): unregistering must purge the ones of its ident, which
        // then may not come.
        if self.rng.one_in(2) {
            let queued = (0..SIGNALS).find(|&i| self.outstanding[i] > 0);
            let id = queued
                .and_then(|i| self.signal_ids[i])
                .or_else(|| self.pick_live(|_| true));
            if let Some(id) = id {
                // A queued report of an event has read its counter: the
                // trigger goes with the report.
                if let Some(Kind::User(i)) = self.model.get(&id).map(|l| &l.kind)
                    && self.triggered[*i] == Some(true)
                {
                    self.triggered[*i] = None;
                }
                self.unregister(id);
            }
        }
        let r = self.selector.select_into(Some(Duration::ZERO), &mut keys);
        let n = self.ok(r, "select_into after small ones");
        if n == ROOM {
            self.fail("a full select filled its room: the model's bound is wrong");
        }
        for key in &keys[..n] {
            self.judge(key, &mut seen, false);
        }
    }
}

/// A handle's report: exactly its interest and readiness, never from a
/// disarmed oneshot, never an edge without a new one.
fn judge_handle(kind: &mut Kind, c: &Channel, key: &ReadyKey, twice: bool) -> Option<String> {
    let Kind::Handle {
        end,
        interest,
        armed,
        edge_due,
        seen_activity,
        ..
    } = kind
    else {
        unreachable!("called for handles");
    };
    let expected = c.ready(*end) & *interest & (Events::READ | Events::WRITE);
    let edge = interest.contains(Events::EDGE);
    let bad = if key.events() != expected || expected.is_empty() {
        Some(format!(
            "events {:?}, the model says {expected:?}",
            key.events()
        ))
    } else if interest.contains(Events::ONESHOT) && !*armed {
        Some("a disarmed ONESHOT registration reported".to_owned())
    } else if edge && !*edge_due && *seen_activity == c.activity {
        Some("an EDGE registration reported with no new edge".to_owned())
    } else if twice {
        Some("reported twice in one select".to_owned())
    } else {
        None
    };
    *armed = !interest.contains(Events::ONESHOT);
    *edge_due = false;
    *seen_activity = c.activity;
    bad
}

/// A timer's report: its flags, and only while it may fire.
fn judge_timer(kind: &mut Kind, key: &ReadyKey) -> Option<String> {
    let Kind::Timer {
        oneshot,
        fires,
        grace,
    } = kind
    else {
        unreachable!("called for timers");
    };
    let expected = if *oneshot {
        Events::TIMER | Events::ONESHOT | Events::FINISHED
    } else {
        Events::TIMER
    };
    let bad = if key.events() != expected {
        Some(format!(
            "events {:?}, a timer reports {expected:?}",
            key.events()
        ))
    } else if *fires == Fires::Left(0) && !*grace {
        Some("a timer that is not armed fired".to_owned())
    } else {
        None
    };
    if let Fires::Left(n) = fires {
        *n = n.saturating_sub(1);
    }
    if *oneshot {
        *fires = Fires::Left(0);
    }
    *grace = false;
    bad
}
