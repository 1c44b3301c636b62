//! [`JoinHandle`]: the output of a spawned task, and its cancellation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::error::JoinError;
use crate::state::State;
use crate::task::Joinable;

/// Owns the right to a spawned task's output: await it for
/// `Result<T, JoinError>`.
///
/// Dropping the handle detaches the task: it keeps running, and its output
/// is dropped when it completes. The handle is `!Send`: it lives on the
/// executor's thread, like the task.
///
/// # Examples
///
/// ```
/// use chronia_executor::LocalExecutor;
/// # use chronia_executor::{Park, Unpark};
/// # use std::{sync::Arc, time::Duration};
/// # struct Spin;
/// # impl Unpark for Spin { fn unpark(&self) {} }
/// # impl Park for Spin {
/// #     fn park(&mut self, _: Option<Duration>) {}
/// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
/// # }
/// let ex = LocalExecutor::new();
/// let out = ex.block_on(async {
///     let handle = chronia_executor::spawn(async { 6 * 7 });
///     handle.await
/// }, &mut Spin);
/// assert_eq!(out.expect("the task did not panic"), 42);
/// ```
#[must_use = "dropping a JoinHandle detaches the task: it keeps running and its output is dropped"]
pub struct JoinHandle<T> {
    task: Rc<dyn Joinable<T>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: Rc<dyn Joinable<T>>) -> Self {
        Self { task }
    }

    /// Cancels the task.
    ///
    /// If the task is not running, its future is dropped at once; if it is
    /// running (`abort` called from inside its own poll), the future is
    /// dropped as soon as that poll returns. Awaiting the handle then gives
    /// a [`JoinError`] that [is cancelled](JoinError::is_cancelled), unless
    /// the task had already completed (then its output, as usual).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_executor::LocalExecutor;
    /// # use chronia_executor::{Park, Unpark};
    /// # use std::{sync::Arc, time::Duration};
    /// # struct Spin;
    /// # impl Unpark for Spin { fn unpark(&self) {} }
    /// # impl Park for Spin {
    /// #     fn park(&mut self, _: Option<Duration>) {}
    /// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
    /// # }
    /// let ex = LocalExecutor::new();
    /// let handle = ex.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(handle.is_finished());
    /// assert!(ex.block_on(handle, &mut Spin).unwrap_err().is_cancelled());
    /// ```
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Whether the task is complete: it returned, panicked or was
    /// cancelled (its future is gone).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_executor::LocalExecutor;
    ///
    /// let ex = LocalExecutor::new();
    /// let handle = ex.spawn(async {});
    /// assert!(!handle.is_finished());
    /// ex.run_ready();
    /// assert!(handle.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.header().state.get().has(State::COMPLETE)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    /// # Panics
    ///
    /// Panics if polled again after it returned `Ready`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.task.poll_join(cx)
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.task.detach();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = self.task.header();
        f.debug_struct("JoinHandle")
            .field("id", &header.id)
            .field("finished", &self.is_finished())
            .finish()
    }
}
