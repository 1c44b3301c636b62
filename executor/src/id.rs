//! [`Id`]: the identity of a task, and [`id`] / [`try_id`] to read the one
//! of the task being polled.
//!
//! Ids come from one process-wide counter, which each thread reads in
//! blocks of 1,024 (so a spawn costs no atomic operation), so no two tasks
//! of a process (of any executor, on any thread) ever share one. The
//! "current task" is a thread-local slot (in `raw::current`) set for the
//! length of one poll of a task, or of the drop of its future, and put
//! back as it was after it (unwinding included), so it nests when one
//! executor runs inside another's task.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// The identity of a task, unique among all tasks of the process for its
/// whole life (ids are never reused).
///
/// As tokio's `task::Id`: shown by [`Display`](fmt::Display) as a plain
/// number, it orders tasks by spawn time within one thread, and carries
/// no other meaning.
///
/// # Examples
///
/// ```
/// use chronia_executor::LocalExecutor;
///
/// let ex = LocalExecutor::new();
/// let a = ex.spawn(async {});
/// let b = ex.spawn(async {});
/// assert_ne!(a.id(), b.id());
/// assert!(!a.id().to_string().is_empty());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(NonZeroU64);

/// Ids a thread takes from the process-wide counter at a time, so that a
/// spawn costs no atomic read-modify-write (a `lock`ed instruction, and a
/// cache line that thread-per-core runtimes would bounce between cores).
const ID_BLOCK: u64 = 1024;

/// The process-wide counter: the first id of the next block.
static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);

std::thread_local! {
    /// The next id of this thread's block, and the end of the block.
    static NEXT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

impl Id {
    /// A fresh id, never handed out before in this process: the next of
    /// this thread's block, or the first of a new block.
    #[inline]
    pub(crate) fn next() -> Self {
        // A `const` slot with no destructor: there for the thread's life.
        let n = NEXT.with(|next| {
            let (n, end) = next.get();
            if n < end {
                next.set((n + 1, end));
                n
            } else {
                let n = take_block();
                next.set((n + 1, n + ID_BLOCK));
                n
            }
        });
        Self(NonZeroU64::new(n).expect("2^64 task ids are not used up in a process lifetime"))
    }
}

/// Takes a block of ids from the process-wide counter; its first.
#[cold]
fn take_block() -> u64 {
    // Relaxed: only uniqueness matters, which the atomic add alone gives.
    NEXT_BLOCK.fetch_add(ID_BLOCK, Ordering::Relaxed)
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of the task being polled on this thread.
///
/// # Panics
///
/// Panics if called outside a task: from the main future of `block_on`
/// or from code no executor polls. Use [`try_id`] there.
///
/// # Examples
///
/// ```
/// use chronia_executor::LocalExecutor;
///
/// let ex = LocalExecutor::new();
/// let handle = ex.spawn(async { chronia_executor::id() });
/// let expected = handle.id();
/// ex.run_ready();
/// # use chronia_executor::{Park, Unpark};
/// # use std::{sync::Arc, time::Duration};
/// # struct Spin;
/// # impl Unpark for Spin { fn unpark(&self) {} }
/// # impl Park for Spin {
/// #     fn park(&mut self, _: Option<Duration>) {}
/// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
/// # }
/// assert_eq!(ex.block_on(handle, &mut Spin).expect("no panic"), expected);
/// ```
#[track_caller]
pub fn id() -> Id {
    try_id().expect(
        "chronia::task::id called outside of a task: it works only while a \
         spawned task is polled (use try_id where that may not hold)",
    )
}

/// The id of the task being polled on this thread, or `None` outside a
/// task (the main future of `block_on` is not a task).
///
/// # Examples
///
/// ```
/// use chronia_executor::LocalExecutor;
///
/// assert_eq!(chronia_executor::try_id(), None);
/// let ex = LocalExecutor::new();
/// let handle = ex.spawn(async { chronia_executor::try_id() });
/// let expected = handle.id();
/// ex.run_ready();
/// # use chronia_executor::{Park, Unpark};
/// # use std::{sync::Arc, time::Duration};
/// # struct Spin;
/// # impl Unpark for Spin { fn unpark(&self) {} }
/// # impl Park for Spin {
/// #     fn park(&mut self, _: Option<Duration>) {}
/// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
/// # }
/// assert_eq!(ex.block_on(handle, &mut Spin).expect("no panic"), Some(expected));
/// ```
pub fn try_id() -> Option<Id> {
    crate::raw::current_id()
}

#[cfg(test)]
mod tests {
    use super::Id;

    #[test]
    fn ids_are_unique_and_increase() {
        let a = Id::next();
        let b = Id::next();
        assert!(b > a);
    }
}
