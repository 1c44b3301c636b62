//! How the executor waits for work: the park interface.
//!
//! The executor knows nothing about epoll. When no task is ready it calls
//! [`Park::park`], which blocks until one of three things happens: the
//! deadline passes, the driver behind the park made some task ready (for
//! example an fd became readable and the driver called `Waker::wake`), or
//! another thread called [`Unpark::unpark`] on the handle returned by
//! [`Park::unparker`].
//!
//! # Protocol
//!
//! - `park(Some(Duration::ZERO))` must not block: it gives the driver a turn
//!   (the executor calls it every bounded number of polls so that a task that
//!   keeps waking itself cannot starve I/O).
//! - `park` may return spuriously; the executor re-checks its queues.
//! - `unpark` may be called from any thread, any number of times, before,
//!   during or after a `park`; a call made before a `park` makes that `park`
//!   return at once. The executor calls it at most once per park.

use std::sync::Arc;
use std::time::Duration;

/// Blocks the executor's thread until there is work, or a deadline passes.
///
/// # Examples
///
/// ```
/// use chronia_executor::{Park, Unpark};
/// use std::sync::{Arc, Condvar, Mutex};
/// use std::time::Duration;
///
/// #[derive(Debug, Default)]
/// struct Flag { woken: Mutex<bool>, cv: Condvar }
///
/// impl Unpark for Flag {
///     fn unpark(&self) {
///         *self.woken.lock().expect("not poisoned") = true;
///         self.cv.notify_one();
///     }
/// }
///
/// #[derive(Debug, Default)]
/// struct CondvarPark(Arc<Flag>);
///
/// impl Park for CondvarPark {
///     fn park(&mut self, timeout: Option<Duration>) {
///         let mut woken = self.0.woken.lock().expect("not poisoned");
///         match timeout {
///             Some(t) => { woken = self.0.cv.wait_timeout_while(woken, t, |w| !*w).expect("not poisoned").0; }
///             None => { woken = self.0.cv.wait_while(woken, |w| !*w).expect("not poisoned"); }
///         }
///         *woken = false;
///     }
///     fn unparker(&self) -> Arc<dyn Unpark> {
///         self.0.clone()
///     }
/// }
///
/// let mut park = CondvarPark::default();
/// park.unparker().unpark();
/// park.park(None); // returns at once: the unpark came first
/// ```
pub trait Park {
    /// Blocks until woken, or until `timeout` passes (`None`: no deadline;
    /// `Some(Duration::ZERO)`: do not block, only give the driver a turn).
    fn park(&mut self, timeout: Option<Duration>);

    /// A handle that any thread can use to end a `park` early.
    fn unparker(&self) -> Arc<dyn Unpark>;
}

/// Ends a [`Park::park`] early, from any thread.
///
/// # Examples
///
/// ```
/// use chronia_executor::Unpark;
///
/// #[derive(Debug)]
/// struct Nothing;
/// impl Unpark for Nothing {
///     fn unpark(&self) {}
/// }
/// Nothing.unpark();
/// ```
pub trait Unpark: Send + Sync + 'static {
    /// Makes the current or the next `park` return.
    fn unpark(&self);
}
