//! [`JoinHandle`]: the output of a spawned task, and its cancellation;
//! [`AbortHandle`]: its cancellation alone.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::JoinError;
use crate::id::Id;
use crate::raw::{JoinRef, LocalRef};

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
#[must_use = "dropping a JoinHandle detaches the task: it keeps running and its output is dropped \
              (call `.detach()` to say so, `.abort()` to cancel it)"]
pub struct JoinHandle<T> {
    raw: JoinRef<T>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(raw: JoinRef<T>) -> Self {
        Self { raw }
    }

    /// The task's reference, for the executor's unit tests.
    #[cfg(test)]
    pub(crate) fn raw_task(&self) -> &LocalRef {
        self.raw.task()
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
        self.raw.task().abort();
    }

    /// The id of the task, the one [`id`](crate::id()) returns inside it.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_executor::LocalExecutor;
    /// let ex = LocalExecutor::new();
    /// let handle = ex.spawn(async { chronia_executor::id() });
    /// let id = handle.id();
    /// ex.run_ready();
    /// # use chronia_executor::{Park, Unpark};
    /// # use std::{sync::Arc, time::Duration};
    /// # struct Spin;
    /// # impl Unpark for Spin { fn unpark(&self) {} }
    /// # impl Park for Spin {
    /// #     fn park(&mut self, _: Option<Duration>) {}
    /// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
    /// # }
    /// assert_eq!(ex.block_on(handle, &mut Spin).expect("no panic"), id);
    /// ```
    pub fn id(&self) -> Id {
        self.raw.task().id()
    }

    /// Detaches the task: it keeps running, and its output is dropped when
    /// it completes. The same as dropping the handle, said explicitly.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_executor::LocalExecutor;
    /// use std::{cell::Cell, rc::Rc};
    ///
    /// let ex = LocalExecutor::new();
    /// let ran = Rc::new(Cell::new(false));
    /// let r = ran.clone();
    /// ex.spawn(async move { r.set(true) }).detach();
    /// ex.run_ready();
    /// assert!(ran.get());
    /// ```
    pub fn detach(self) {
        drop(self);
    }

    /// A handle that can cancel the task (and ask whether it finished)
    /// without owning its output.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_executor::LocalExecutor;
    ///
    /// let ex = LocalExecutor::new();
    /// let handle = ex.spawn(std::future::pending::<()>());
    /// let abort = handle.abort_handle();
    /// handle.detach();
    /// assert!(!abort.is_finished());
    /// abort.abort();
    /// assert!(abort.is_finished());
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle {
            task: self.raw.task().clone(),
        }
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
        self.raw.task().is_complete()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    /// # Panics
    ///
    /// Panics if polled again after it returned `Ready`, and if polled,
    /// while its task has not finished, inside another executor than the
    /// one that runs the task: that executor cannot run while another one
    /// runs on its thread, so the wait could never end (a handle polled
    /// outside any executor just waits).
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Whether the awaiter is the main future of the task's own
        // executor: then the task keeps no waker for it (see `raw`).
        let mut main = false;
        if !self.is_finished() {
            let current = crate::context::with_current(|core| {
                (
                    self.raw.belongs_to(core.owner()),
                    cx.waker().will_wake(&core.main_waker),
                )
            });
            match current {
                Some((false, _)) => panic!(
                    "a JoinHandle must be awaited inside the runtime that spawned its task \
                     (task {} has not finished, and its runtime cannot run while another one \
                     runs on this thread)",
                    self.id()
                ),
                Some((true, is_main)) => main = is_main,
                None => {}
            }
        }
        self.raw.poll_join(cx, main)
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Cancels a task without owning its output; from
/// [`JoinHandle::abort_handle`].
///
/// Cloning it gives another handle to the same task; dropping it does
/// nothing to the task. Unlike tokio's, it is `!Send`: it lives on the
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
/// let handle = ex.spawn(std::future::pending::<()>());
/// let abort = handle.abort_handle();
/// assert_eq!(abort.id(), handle.id());
/// abort.clone().abort();
/// assert!(ex.block_on(handle, &mut Spin).unwrap_err().is_cancelled());
/// ```
#[derive(Clone)]
pub struct AbortHandle {
    task: LocalRef,
}

impl AbortHandle {
    /// Cancels the task, as [`JoinHandle::abort`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex = chronia_executor::LocalExecutor::new();
    /// let handle = ex.spawn(std::future::pending::<()>());
    /// handle.abort_handle().abort();
    /// assert!(handle.is_finished());
    /// ```
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Whether the task is complete: it returned, panicked or was
    /// cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex = chronia_executor::LocalExecutor::new();
    /// let abort = ex.spawn(async {}).abort_handle();
    /// assert!(!abort.is_finished());
    /// ex.run_ready();
    /// assert!(abort.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.is_complete()
    }

    /// The id of the task.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex = chronia_executor::LocalExecutor::new();
    /// let handle = ex.spawn(async {});
    /// assert_eq!(handle.abort_handle().id(), handle.id());
    /// ```
    pub fn id(&self) -> Id {
        self.task.id()
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
