//! Which runtime is running on this thread.
//!
//! `Runtime::block_on` sets the current driver for its duration; the futures
//! that need the reactor (sleeps, sockets, signals, children) find it here.

use std::cell::RefCell;
use std::rc::Rc;

use super::driver::Driver;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Driver>>> = const { RefCell::new(None) };
}

/// Makes `driver` current until the guard drops.
pub(crate) struct Enter {
    previous: Option<Rc<Driver>>,
}

impl std::fmt::Debug for Enter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enter")
    }
}

/// Sets `driver` as current; the previous one (or none) is current again
/// when the guard drops.
pub(crate) fn enter(driver: Rc<Driver>) -> Enter {
    // `try_with` fails only while the thread's locals are torn down (a
    // `Runtime` kept in a `thread_local!` drops then): nothing can look
    // at the context any more, so there is nothing to set.
    let previous = CURRENT
        .try_with(|c| c.borrow_mut().replace(driver))
        .ok()
        .flatten();
    Enter { previous }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // `try_with` fails only while the thread's locals are being torn
        // down, when no future can look at the context any more.
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// Whether a runtime is running on this thread.
pub(crate) fn is_inside() -> bool {
    CURRENT.try_with(|c| c.borrow().is_some()).unwrap_or(false)
}

/// `f` applied to the current driver, without cloning its `Rc`; `None`
/// outside a runtime. (Used by the `hyper` feature's timer.)
#[cfg(feature = "hyper")]
pub(crate) fn with_current<R>(f: impl FnOnce(&Driver) -> R) -> Option<R> {
    // `try_with` fails only while the thread's locals are torn down, when
    // no runtime runs.
    CURRENT
        .try_with(|c| c.borrow().as_deref().map(f))
        .ok()
        .flatten()
}

/// The current driver.
///
/// # Panics
///
/// Outside a runtime, with a message that names `what`.
#[track_caller]
pub(crate) fn current(what: &str) -> Rc<Driver> {
    match CURRENT.with(|c| c.borrow().clone()) {
        Some(driver) => driver,
        None => panic!(
            "{what} must be called inside a chronia runtime (within `chronia::block_on` or `Runtime::block_on`)"
        ),
    }
}

/// Checks that no runtime other than `owner` runs on this thread: an object
/// bound to `owner` (registered with its epoll) polled under another
/// runtime would wait for reports that never come.
///
/// # Panics
///
/// Under another runtime, with a message that names `what` and the rule.
#[track_caller]
pub(crate) fn assert_owner(owner: &Rc<Driver>, what: &str) {
    // `try_with` fails only while the thread's locals are torn down, when
    // no runtime runs.
    let other = CURRENT
        .try_with(|c| {
            c.borrow()
                .as_ref()
                .is_some_and(|cur| !Rc::ptr_eq(cur, owner))
        })
        .unwrap_or(false);
    assert!(
        !other,
        "{what} was polled under a chronia runtime other than the one it was created in: it is registered with its own runtime's reactor; create it (or move the work) inside the runtime that polls it"
    );
}

/// The runtime running on this thread, if there is one and it is not
/// `owner`.
pub(crate) fn other_than(owner: &Rc<Driver>) -> Option<Rc<Driver>> {
    CURRENT
        .try_with(|c| {
            c.borrow()
                .as_ref()
                .filter(|cur| !Rc::ptr_eq(cur, owner))
                .cloned()
        })
        .ok()
        .flatten()
}
