//! The two state words of a task: the local word ([`State`]: the flags
//! and the poll count, read and written only on the executor's thread)
//! and the shared word (the remote-queued bit and the reference count,
//! touched from any thread), and [`Ran`], what one run of a task did.
//! The module docs of [`raw`](super) say who sets and clears each bit.

/// The local word of one task, kept in a `Cell` of its header: the flags
/// in the low 8 bits, the poll count (saturating) in the 24 above.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct State(u32);

impl State {
    /// In the local run queue.
    pub(crate) const SCHEDULED: u32 = 1;
    /// Being polled, or having its future dropped.
    pub(crate) const RUNNING: u32 = 1 << 1;
    /// The future is gone; the output (if any) waits for the `JoinHandle`.
    pub(crate) const COMPLETE: u32 = 1 << 2;
    /// Cancel as soon as the current poll returns.
    pub(crate) const ABORT: u32 = 1 << 3;
    /// The `JoinHandle` was dropped.
    pub(crate) const DETACHED: u32 = 1 << 4;
    /// In the executor's task table.
    pub(crate) const LISTED: u32 = 1 << 5;
    /// Completed by a panic (of its poll or of its future's drop); set
    /// with `COMPLETE`, for the executor's counters.
    pub(crate) const PANICKED: u32 = 1 << 6;
    /// Completed by cancellation (abort, executor drop); set with
    /// `COMPLETE`, for the executor's counters.
    pub(crate) const CANCELLED: u32 = 1 << 7;

    /// One poll, in the poll count's bits.
    const ONE_POLL: u32 = 1 << 8;
    /// The highest poll count the word holds; it stays there.
    #[cfg(test)]
    const MAX_POLLS: u32 = u32::MAX >> 8;

    /// The state of a task just spawned: in the table, queued once.
    pub(crate) const fn new_spawned() -> Self {
        Self(Self::SCHEDULED | Self::LISTED)
    }

    /// Whether every bit of `flags` is set.
    pub(crate) const fn has(self, flags: u32) -> bool {
        self.0 & flags == flags
    }

    /// This state with `flags` set.
    #[must_use]
    pub(crate) const fn with(self, flags: u32) -> Self {
        Self(self.0 | flags)
    }

    /// This state with `flags` cleared.
    #[must_use]
    pub(crate) const fn without(self, flags: u32) -> Self {
        Self(self.0 & !flags)
    }

    /// This state with one more poll counted (unless the count is at its
    /// most, 2^24 - 1: then it stays there).
    #[must_use]
    pub(crate) const fn with_poll(self) -> Self {
        match self.0.checked_add(Self::ONE_POLL) {
            Some(word) => Self(word),
            None => self,
        }
    }

    /// The polls counted so far.
    pub(crate) const fn polls(self) -> u32 {
        self.0 >> 8
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

/// What one run of a task (the vtable's `poll`) did: whether it polled
/// the future, and whether the task is complete now and how it ended.
/// The run loop counts polls and endings from it without reading the
/// task again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ran(u8);

impl Ran {
    const POLLED: u8 = 1;
    const COMPLETE: u8 = 1 << 1;
    const PANICKED: u8 = 1 << 2;
    const CANCELLED: u8 = 1 << 3;

    /// The future was polled and returned `Pending`.
    pub(crate) const PENDING: Ran = Ran(Self::POLLED);
    /// Not polled: the task is running (a poll from its own poll) and
    /// not complete.
    pub(crate) const SKIPPED: Ran = Ran(0);

    /// The run ended with the task in `state`, complete; `polled` says
    /// whether its future was polled on the way.
    pub(crate) const fn complete(state: State, polled: bool) -> Ran {
        let mut bits = Self::COMPLETE;
        if polled {
            bits |= Self::POLLED;
        }
        if state.has(State::PANICKED) {
            bits |= Self::PANICKED;
        } else if state.has(State::CANCELLED) {
            bits |= Self::CANCELLED;
        }
        Ran(bits)
    }

    /// The future was polled (1) or not (0).
    pub(crate) const fn polls(self) -> u64 {
        (self.0 & Self::POLLED) as u64
    }

    /// Whether this run left the task complete.
    pub(crate) const fn is_complete(self) -> bool {
        self.0 & Self::COMPLETE != 0
    }

    /// How the task ended, if this run left it complete.
    pub(crate) const fn ending(self) -> Option<Ending> {
        if self.0 & Self::COMPLETE == 0 {
            None
        } else if self.0 & Self::PANICKED != 0 {
            Some(Ending::Panicked)
        } else if self.0 & Self::CANCELLED != 0 {
            Some(Ending::Cancelled)
        } else {
            Some(Ending::Returned)
        }
    }
}

/// How a complete task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Its future returned.
    Returned,
    /// It panicked (its poll, or its future's drop).
    Panicked,
    /// It was cancelled (abort, executor drop).
    Cancelled,
}

/// Bit 0 of the shared word: a [`Notified`](super::Notified) for the task
/// sits in the remote queue.
pub(crate) const QUEUED: u32 = 1;
/// Bit 1 of the shared word: the executor is gone and the task's local
/// references, frozen at that point, were added to the count (see
/// `Header::local_inc`); from then on every reference is counted here.
pub(crate) const CONVERTED: u32 = 2;
/// One reference, in the bits above [`QUEUED`] and [`CONVERTED`].
pub(crate) const REF: u32 = 4;
/// The shared word of a task just spawned: one reference, held by its
/// local references together.
pub(crate) const SHARED_INITIAL: u32 = REF;
/// Past this many references (the word then holds half its range) a
/// clone aborts the process, as `Arc` does past `isize::MAX`: a program
/// that leaks wakers in a loop must not wrap the count around, and the
/// headroom above it is more than the threads that could race past the
/// check at once. (A quarter of a billion wakers of one task take 4 GiB.)
/// The local count has the same bound, so that the two added up when the
/// executor is gone (`Header::local_dec`) still fit the word's 30 bits.
pub(crate) const MAX_REFS: u32 = 1 << 28;

/// The shared word after a remote wake: queued, with one more reference
/// for the [`Notified`](super::Notified), unless it is queued already
/// (then unchanged). The caller pushes a `Notified` iff `QUEUED` was clear.
pub(crate) const fn remote_woken(shared: u32) -> u32 {
    if shared & QUEUED == 0 {
        (shared + REF) | QUEUED
    } else {
        shared
    }
}

/// The number of references in a shared word.
pub(crate) const fn refs(shared: u32) -> u32 {
    shared / REF
}

#[cfg(test)]
mod tests {
    use super::{Ending, QUEUED, REF, Ran, SHARED_INITIAL, State, refs, remote_woken};

    #[test]
    fn polls_count_in_the_high_bits_and_saturate() {
        let s = State::new_spawned().with_poll().with_poll();
        assert_eq!(s.polls(), 2);
        assert!(s.has(State::SCHEDULED | State::LISTED), "flags kept");
        let full = State(u32::MAX).without(State::SCHEDULED);
        assert_eq!(full.with_poll(), full, "saturates");
        assert_eq!(full.polls(), State::MAX_POLLS);
    }

    #[test]
    fn a_run_says_whether_it_polled_and_how_the_task_ended() {
        assert_eq!((Ran::PENDING.polls(), Ran::PENDING.ending()), (1, None));
        assert!(!Ran::PENDING.is_complete() && !Ran::SKIPPED.is_complete());
        assert_eq!((Ran::SKIPPED.polls(), Ran::SKIPPED.ending()), (0, None));
        let done = State::new_spawned().with(State::COMPLETE);
        assert!(Ran::complete(done, true).is_complete());
        assert_eq!(Ran::complete(done, true).ending(), Some(Ending::Returned));
        let panicked = Ran::complete(done.with(State::PANICKED), true);
        assert_eq!(panicked.ending(), Some(Ending::Panicked));
        let aborted = Ran::complete(done.with(State::CANCELLED), false);
        assert_eq!(
            (aborted.polls(), aborted.ending()),
            (0, Some(Ending::Cancelled))
        );
    }

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
