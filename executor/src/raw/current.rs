//! The current task of a thread: a pointer to the header of the task
//! being polled (or whose future is being dropped), so that code running
//! inside it can read its id ([`current_id`]) and leave its wait note
//! ([`note_wait`]) without being handed the task.
//!
//! # Invariant
//!
//! The slot holds a task's pointer only between [`CurrentTask::enter`] and
//! the guard's drop, which `RawTask::poll` (around the poll of the future
//! and, if that ends the task, the drop of the future) and `RawTask::cancel`
//! (around the drop of the future) bracket around user code while the
//! caller's reference keeps the task alive. So
//! a pointer read from the slot is a live task of this thread's executor.
//! The guard puts the previous value back (unwinding included), so the
//! slot nests when one executor runs inside another's task.

use std::cell::Cell;
use std::ptr::NonNull;

use super::header::Header;
use crate::id::Id;
use crate::sync::thread_local_slot;

thread_local_slot! {
    static CURRENT: Cell<Option<NonNull<Header>>> = Cell::new(None);
}

/// Makes the task at `ptr` current on this thread until dropped.
pub(crate) struct CurrentTask {
    previous: Option<NonNull<Header>>,
}

impl CurrentTask {
    /// The caller keeps the task alive until the guard drops.
    #[inline]
    pub(super) fn enter(ptr: NonNull<Header>) -> Self {
        // `try_with`: a task's future may be dropped during thread exit.
        let previous = CURRENT.try_with(|c| c.replace(Some(ptr))).unwrap_or(None);
        Self { previous }
    }
}

impl Drop for CurrentTask {
    #[inline]
    fn drop(&mut self) {
        // Fails only during thread exit, when nobody can read the slot.
        let _ = CURRENT.try_with(|c| c.set(self.previous));
    }
}

/// Runs `f` on the current task's header, if a task is current.
fn with_current<R>(f: impl FnOnce(&Header) -> R) -> Option<R> {
    let ptr = CURRENT.try_with(Cell::get).ok().flatten()?;
    // SAFETY: the slot holds a live task of this thread while it is set
    // (the module's invariant); shared access to it, on its thread.
    let header = unsafe { ptr.as_ref() };
    Some(f(header))
}

/// The id of the task being polled on this thread.
pub(crate) fn current_id() -> Option<Id> {
    with_current(|h| h.id)
}

/// Sets the wait note of the task being polled on this thread to
/// `encode(epoch of its executor)` (see `crate::wait`); does nothing
/// outside a task.
pub(crate) fn note_wait(encode: impl FnOnce(std::time::Instant) -> u32) {
    with_current(|h| h.wait.set(encode(h.remote.epoch())));
}
