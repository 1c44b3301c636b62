//! [`ThreadBound`]: a value that may cross threads but is only ever touched
//! on the thread that made it.
//!
//! # Invariant
//!
//! `value` is read, written, borrowed and dropped only on `owner`, the
//! thread that created the wrapper: every accessor checks the calling
//! thread first and panics elsewhere, and a drop on another thread forgets
//! the value (leaks it) instead of dropping it. So the value is never
//! shared between threads nor sent to another thread in any observable
//! way, which is what `Send` and `Sync` would otherwise have to promise for
//! the inner type.
#![allow(unsafe_code)]

use std::thread::{self, ThreadId};

/// Makes `T` `Send + Sync` by refusing every use of it off its thread.
pub(crate) struct ThreadBound<T> {
    /// `None` only during the wrong-thread drop.
    value: Option<T>,
    owner: ThreadId,
}

// SAFETY: the only way to reach `value` is through `get`/`get_mut`, which
// panic unless called on `owner`, and `Drop`, which forgets the value when
// run elsewhere (see the module invariant): moving the wrapper to another
// thread moves bytes, never an access to `T` on that thread.
unsafe impl<T> Send for ThreadBound<T> {}

// SAFETY: a `&ThreadBound<T>` on another thread reaches `value` only
// through `get`, which panics there; so `T` is never shared across threads.
unsafe impl<T> Sync for ThreadBound<T> {}

impl<T> ThreadBound<T> {
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

impl<T> Drop for ThreadBound<T> {
    fn drop(&mut self) {
        if !self.is_owner() {
            // Dropping `T` here could touch thread-local state (an `Rc`)
            // from the wrong thread; leaking is the only sound choice, and
            // `Drop` must not panic.
            if let Some(value) = self.value.take() {
                std::mem::forget(value);
            }
        }
    }
}
