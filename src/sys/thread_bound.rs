//! [`ThreadBound`]: a value that may cross threads but is only ever touched
//! on the thread that made it.
//!
//! # Invariant
//!
//! `value` is read, written, borrowed and dropped only on `owner`, the
//! thread that created the wrapper: every accessor checks the calling
//! thread first and panics elsewhere, and a drop on another thread hands
//! the value, untouched, to [`ORPHANS`], from which only `owner` takes it
//! to drop it ([`drop_orphans`], which every runtime's drop calls). So the
//! value is never shared between threads nor used on another thread in any
//! observable way, which is what `Send` and `Sync` would otherwise have to
//! promise for the inner type. An orphan whose owner thread has ended
//! stays in [`ORPHANS`] for good: leaked, never dropped elsewhere.
//!
//! Why hand it back rather than leak it: a [`Sleep`](crate::time::Sleep)
//! holds an `Rc` of its runtime's driver, so a leaked one kept the whole
//! driver, and its epoll fd, timerfd and eventfd, open until the process
//! ended.
#![allow(unsafe_code)]

use std::any::Any;
use std::mem::ManuallyDrop;
use std::sync::{Mutex, PoisonError};
use std::thread::{self, ThreadId};

/// A value whose wrapper was dropped on a thread other than its owner.
struct Orphan {
    owner: ThreadId,
    /// Dropped only by [`drop_orphans`] on `owner`; the `ManuallyDrop`
    /// makes sure no other drop (of the list, on any thread) reaches it.
    value: ManuallyDrop<Box<dyn Any>>,
}

// SAFETY: an orphan's value was moved (its bytes, never an access) off its
// owner thread into the box, and is reached again only by `drop_orphans`
// on `owner` (the module invariant); `ManuallyDrop` keeps every other drop
// of the `Orphan` from touching it.
unsafe impl Send for Orphan {}

/// The orphans of every thread, waiting for their owner's [`drop_orphans`].
/// Empty unless a wrapper was dropped on the wrong thread, which is a misuse
/// the docs of [`SendSleep`](crate::time::SendSleep) warn about.
static ORPHANS: Mutex<Vec<Orphan>> = Mutex::new(Vec::new());

/// Drops, here, the values of this thread whose wrappers were dropped on
/// other threads. Called by every runtime's drop before its driver goes,
/// so that an orphaned sleep does not keep that driver's fds open.
pub(crate) fn drop_orphans() {
    let me = thread::current().id();
    let mine: Vec<Orphan> = {
        let mut orphans = ORPHANS.lock().unwrap_or_else(PoisonError::into_inner);
        if orphans.is_empty() {
            return;
        }
        let (mine, others) = orphans.drain(..).partition(|o| o.owner == me);
        *orphans = others;
        mine
    };
    // Outside the lock: a value's drop may drop another wrapper.
    for orphan in mine {
        drop(ManuallyDrop::into_inner(orphan.value));
    }
}

/// Makes `T` `Send + Sync` by refusing every use of it off its thread.
pub(crate) struct ThreadBound<T: 'static> {
    /// `None` only during the wrong-thread drop.
    value: Option<T>,
    owner: ThreadId,
}

// SAFETY: the only way to reach `value` is through `get`/`get_mut`, which
// panic unless called on `owner`, and `Drop`, which forgets the value when
// run elsewhere (see the module invariant): moving the wrapper to another
// thread moves bytes, never an access to `T` on that thread.
unsafe impl<T: 'static> Send for ThreadBound<T> {}

// SAFETY: a `&ThreadBound<T>` on another thread reaches `value` only
// through `get`, which panics there; so `T` is never shared across threads.
unsafe impl<T: 'static> Sync for ThreadBound<T> {}

impl<T: 'static> ThreadBound<T> {
    /// Binds `value` to the calling thread.
    pub(crate) fn new(value: T) -> Self {
        Self {
            value: Some(value),
            owner: thread::current().id(),
        }
    }

    /// Whether the calling thread is the owner.
    pub(crate) fn is_owner(&self) -> bool {
        thread::current().id() == self.owner
    }

    #[track_caller]
    fn check(&self, what: &str) {
        assert!(
            self.is_owner(),
            "{what} was used on a thread other than the one that created it: it is bound to its runtime's thread (it is `Send` only so that `Send`-bound APIs accept it); poll, reset and drop it on that thread"
        );
    }

    /// The value.
    ///
    /// # Panics
    ///
    /// Off the owner thread, with a message that names `what` and the rule.
    #[track_caller]
    pub(crate) fn get(&self, what: &str) -> &T {
        self.check(what);
        self.value.as_ref().expect("taken only by a drop")
    }

    /// The value, mutably.
    ///
    /// # Panics
    ///
    /// Off the owner thread, with a message that names `what` and the rule.
    #[track_caller]
    pub(crate) fn get_mut(&mut self, what: &str) -> &mut T {
        self.check(what);
        self.value.as_mut().expect("taken only by a drop")
    }
}

impl<T: 'static> Drop for ThreadBound<T> {
    fn drop(&mut self) {
        if !self.is_owner() {
            // Dropping `T` here could touch thread-local state (an `Rc`)
            // from the wrong thread, and `Drop` must not panic: hand it to
            // its owner thread, which drops it with its runtime.
            if let Some(value) = self.value.take() {
                let orphan = Orphan {
                    owner: self.owner,
                    value: ManuallyDrop::new(Box::new(value)),
                };
                ORPHANS
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(orphan);
            }
        }
    }
}
