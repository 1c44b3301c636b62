//! The two state words of a task: the local flags ([`State`], read and
//! written only on the executor's thread) and the shared word (the
//! remote-queued bit and the reference count, touched from any thread).
//! The module docs of [`raw`](super) say who sets and clears each bit.

/// The local flags of one task, kept in a `Cell` of its header.
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
    /// In the executor's task table.
    pub(crate) const LISTED: u8 = 1 << 5;
    /// Completed by a panic (of its poll or of its future's drop); set
    /// with `COMPLETE`, for the executor's counters.
    pub(crate) const PANICKED: u8 = 1 << 6;
    /// Completed by cancellation (abort, executor drop); set with
    /// `COMPLETE`, for the executor's counters.
    pub(crate) const CANCELLED: u8 = 1 << 7;

    /// The state of a task just spawned: in the table, queued once.
    pub(crate) const fn new_spawned() -> Self {
        Self(Self::SCHEDULED | Self::LISTED)
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

    /// Whether a wake must push the task to the local run queue: it is in
    /// the table (not complete, or aborted and not yet forgotten) and not
    /// queued already.
    pub(crate) const fn needs_schedule(self) -> bool {
        self.0 & (Self::LISTED | Self::SCHEDULED) == Self::LISTED
    }

    /// Whether the run loop may poll the future now.
    pub(crate) const fn is_pollable(self) -> bool {
        self.0 & (Self::RUNNING | Self::COMPLETE) == 0
    }
}

/// Bit 0 of the shared word: a [`Notified`](super::Notified) for the task
/// sits in the remote queue.
pub(crate) const QUEUED: usize = 1;
/// One reference, in the bits above [`QUEUED`].
pub(crate) const REF: usize = 2;
/// The shared word of a task just spawned: one reference, held by its
/// local references together.
pub(crate) const SHARED_INITIAL: usize = REF;
/// Past this many references a clone aborts the process, as `Arc` does: a
/// program that leaks wakers in a loop must not wrap the count around.
pub(crate) const MAX_REFS: usize = isize::MAX as usize;

/// The shared word after a remote wake: queued, with one more reference
/// for the [`Notified`](super::Notified), unless it is queued already
/// (then unchanged). The caller pushes a `Notified` iff `QUEUED` was clear.
pub(crate) const fn remote_woken(shared: usize) -> usize {
    if shared & QUEUED == 0 {
        (shared + REF) | QUEUED
    } else {
        shared
    }
}

/// The number of references in a shared word.
pub(crate) const fn refs(shared: usize) -> usize {
    shared / REF
}

#[cfg(test)]
mod tests {
    use super::{QUEUED, REF, SHARED_INITIAL, State, refs, remote_woken};

    #[test]
    fn spawned_task_is_scheduled_listed_and_pollable() {
        let s = State::new_spawned();
        assert!(s.has(State::SCHEDULED | State::LISTED));
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
        let s = State::new_spawned()
            .without(State::SCHEDULED)
            .with(State::RUNNING);
        assert!(!s.is_pollable());
        assert!(s.needs_schedule());
        assert!(!s.with(State::SCHEDULED).needs_schedule());
    }

    #[test]
    fn complete_task_is_never_pollable_and_scheduled_only_while_listed() {
        let s = State::new_spawned()
            .without(State::SCHEDULED)
            .with(State::COMPLETE);
        assert!(!s.is_pollable());
        assert!(
            s.needs_schedule(),
            "aborted: queued once more to be forgotten"
        );
        assert!(!s.without(State::LISTED).needs_schedule());
    }

    #[test]
    fn remote_wake_queues_once_with_one_reference() {
        let once = remote_woken(SHARED_INITIAL);
        assert_eq!(once & QUEUED, QUEUED);
        assert_eq!(refs(once), 2);
        assert_eq!(remote_woken(once), once, "queued already: unchanged");
        let drained = (once & !QUEUED) - REF;
        assert_eq!(drained, SHARED_INITIAL);
    }
}
