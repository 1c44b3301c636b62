//! The state bits of one task.
//!
//! A task's state is a [`State`] kept in a `Cell` of its header; only the
//! executor's thread reads or writes it (the task is behind an `Rc`), so no
//! atomics are needed. Each bit is set and cleared as follows:
//!
//! | bit | set when | cleared when |
//! |---|---|---|
//! | `SCHEDULED` | a wake pushes the task to the local run queue (at most once: a wake of a scheduled task does nothing) | the run loop pops the task, just before polling it |
//! | `RUNNING` | the run loop polls the future, or the task drops its future | that poll (or drop) returns |
//! | `COMPLETE` | the future returned `Ready`, panicked, or was dropped by `abort` or by the executor's drop; the future is gone from then on | never |
//! | `ABORT` | `abort` is called while `RUNNING` (from the task's own poll): the future is dropped as soon as that poll returns | never |
//! | `DETACHED` | the `JoinHandle` is dropped: nobody wants the output, so it is dropped as soon as it exists | never |
//!
//! Invariants: `COMPLETE` implies the future has been dropped exactly once;
//! a task is polled only if it was popped with `RUNNING` and `COMPLETE`
//! clear, so a task woken while it runs is polled again later, never
//! recursively.

/// The state bits of one task; see the module docs for when each is set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct State(u8);

impl State {
    /// In the local run queue.
    pub(crate) const SCHEDULED: u8 = 1;
    /// Being polled, or having its future dropped.
    pub(crate) const RUNNING: u8 = 1 << 1;
    /// The future is gone; the output (if any) waits for the `JoinHandle`.
    pub(crate) const COMPLETE: u8 = 1 << 2;
    /// Cancel as soon as the current poll returns.
    pub(crate) const ABORT: u8 = 1 << 3;
    /// The `JoinHandle` was dropped.
    pub(crate) const DETACHED: u8 = 1 << 4;

    /// The state of a task just spawned: queued to be polled once.
    pub(crate) const fn new_spawned() -> Self {
        Self(Self::SCHEDULED)
    }

    /// Whether every bit of `flags` is set.
    pub(crate) const fn has(self, flags: u8) -> bool {
        self.0 & flags == flags
    }

    /// This state with `flags` set.
    #[must_use]
    pub(crate) const fn with(self, flags: u8) -> Self {
        Self(self.0 | flags)
    }

    /// This state with `flags` cleared.
    #[must_use]
    pub(crate) const fn without(self, flags: u8) -> Self {
        Self(self.0 & !flags)
    }

    /// Whether a wake must push the task to the run queue: not already
    /// queued. (A completed task is out of the executor's table, so its
    /// wakes never get this far, except once after an abort, to let the
    /// executor forget it.)
    pub(crate) const fn needs_schedule(self) -> bool {
        !self.has(Self::SCHEDULED)
    }

    /// Whether the run loop may poll the future now.
    pub(crate) const fn is_pollable(self) -> bool {
        self.0 & (Self::RUNNING | Self::COMPLETE) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::State;

    #[test]
    fn spawned_task_is_scheduled_and_pollable() {
        let s = State::new_spawned();
        assert!(s.has(State::SCHEDULED));
        assert!(!s.needs_schedule());
        assert!(s.is_pollable());
    }

    #[test]
    fn popped_task_needs_schedule_again() {
        let s = State::new_spawned().without(State::SCHEDULED);
        assert!(s.needs_schedule());
    }

    #[test]
    fn running_task_is_not_pollable_but_can_be_scheduled() {
        let s = State::default().with(State::RUNNING);
        assert!(!s.is_pollable());
        assert!(s.needs_schedule());
        let s = s.with(State::SCHEDULED);
        assert!(!s.needs_schedule());
    }

    #[test]
    fn complete_task_is_never_pollable() {
        let s = State::default().with(State::COMPLETE);
        assert!(!s.is_pollable());
        assert!(
            !s.with(State::SCHEDULED)
                .without(State::SCHEDULED)
                .is_pollable()
        );
    }

    #[test]
    fn has_requires_every_bit() {
        let s = State::default().with(State::ABORT);
        assert!(s.has(State::ABORT));
        assert!(!s.has(State::ABORT | State::DETACHED));
        assert!(s.with(State::DETACHED).has(State::ABORT | State::DETACHED));
    }
}
