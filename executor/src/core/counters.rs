//! The executor's counters and coarse clock, and the task dump: the
//! observation half of [`Core`] (see [`ExecutorStats`] for what each
//! counter means, and `observe.rs` for their cost).
//!
//! Read and written on the executor's thread only, like the rest of `Core`;
//! `resumed` is `Some` exactly while a `block_on` runs.

use std::cell::Cell;
use std::time::{Duration, Instant};

use super::Core;
use crate::observe::{ExecutorStats, TaskInfo, TaskState};
use crate::wait::Wait;

/// The executor's counters (see [`ExecutorStats`]), and its coarse clock.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) spawned: Cell<u64>,
    pub(super) completed: Cell<u64>,
    pub(super) panicked: Cell<u64>,
    pub(super) aborted: Cell<u64>,
    pub(super) polls: Cell<u64>,
    pub(super) local_wakes: Cell<u64>,
    pub(super) blocking_parks: Cell<u64>,
    pub(super) nonblocking_parks: Cell<u64>,
    pub(super) busy: Cell<Duration>,
    pub(super) parked: Cell<Duration>,
    /// When the running `block_on` last started or came back from a
    /// blocking park; `None` outside `block_on`.
    pub(super) resumed: Cell<Option<Instant>>,
    /// Milliseconds since the epoch at the last clock read (a park).
    pub(super) now_ms: Cell<u32>,
}

impl Core {
    /// Counts a wake on the executor's thread.
    pub(crate) fn count_local_wake(&self) {
        bump(&self.counters.local_wakes);
    }

    /// A `block_on` starts: busy time counts from now.
    pub(crate) fn start_busy(&self) {
        self.forget_poll_clock();
        let now = Instant::now();
        self.counters.resumed.set(Some(now));
        self.tick_clock(now);
    }

    /// A `block_on` ends: the busy time since it last resumed is counted.
    pub(crate) fn stop_busy(&self) {
        let c = &self.counters;
        if let Some(resumed) = c.resumed.take() {
            c.busy.set(c.busy.get() + resumed.elapsed());
        }
    }

    /// Runs a blocking park, counting it and the time it took.
    pub(crate) fn blocking_park(&self, park: impl FnOnce()) {
        self.forget_poll_clock();
        let c = &self.counters;
        let start = Instant::now();
        if let Some(resumed) = c.resumed.get() {
            c.busy
                .set(c.busy.get() + start.saturating_duration_since(resumed));
        }
        park();
        let end = Instant::now();
        c.parked
            .set(c.parked.get() + end.saturating_duration_since(start));
        c.resumed.set(Some(end));
        bump(&c.blocking_parks);
        self.tick_clock(end);
    }

    /// Counts a non-blocking park turn; reads the coarse clock.
    pub(crate) fn nonblocking_parked(&self) {
        self.forget_poll_clock();
        bump(&self.counters.nonblocking_parks);
        self.tick_clock(Instant::now());
    }

    fn tick_clock(&self, now: Instant) {
        let ms = now
            .saturating_duration_since(self.owner.remote().epoch())
            .as_millis();
        self.counters
            .now_ms
            .set(u32::try_from(ms).unwrap_or(u32::MAX));
    }

    /// The counters.
    pub(crate) fn stats(&self) -> ExecutorStats {
        let c = &self.counters;
        let running = c.resumed.get().map_or(Duration::ZERO, |r| r.elapsed());
        ExecutorStats {
            spawned: c.spawned.get(),
            alive: self.len() as u64,
            completed: c.completed.get(),
            panicked: c.panicked.get(),
            aborted: c.aborted.get(),
            polls: c.polls.get(),
            local_wakes: c.local_wakes.get(),
            remote_wakes: self.owner.remote().wakes() as u64,
            blocking_parks: c.blocking_parks.get(),
            nonblocking_parks: c.nonblocking_parks.get(),
            busy: c.busy.get() + running,
            parked: c.parked.get(),
        }
    }

    /// Every task in the table, in table order.
    pub(crate) fn tasks(&self) -> Vec<TaskInfo> {
        let epoch = self.owner.remote().epoch();
        let now = Instant::now();
        let names = self.names.borrow();
        self.tasks
            .borrow()
            .iter()
            .map(|(key, task)| {
                let snap = task.snapshot();
                let state = if snap.running {
                    TaskState::Running
                } else if snap.scheduled {
                    TaskState::Scheduled
                } else {
                    TaskState::Idle
                };
                let spawned = epoch + Duration::from_millis(u64::from(snap.spawned_ms));
                TaskInfo {
                    id: snap.id,
                    name: names.get(&key).map(ToString::to_string),
                    location: snap.location,
                    state,
                    polls: snap.polls,
                    age: now.saturating_duration_since(spawned),
                    wait: Wait::decode(snap.wait, epoch),
                }
            })
            .collect()
    }
}

pub(super) fn bump(counter: &Cell<u64>) {
    counter.set(counter.get() + 1);
}
