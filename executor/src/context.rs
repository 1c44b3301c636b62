//! The "current executor" of a thread, and the free functions that use it.
//!
//! # Protocol
//!
//! `CURRENT` holds the executor that is polling (or dropping) tasks on this
//! thread: it is set by an [`Enter`] guard for the duration of
//! `block_on`, `try_tick`, `run_ready` and the executor's drop, and put
//! back as it was when the guard drops, unwinding included. `IN_BLOCK_ON`
//! is `true` while a `block_on` runs on this thread, to refuse nesting.
//!
//! `CURRENT` is borrowed only for a few instructions (never across user
//! code except [`spawn`]'s allocation, which runs none), so a wake from any
//! place on this thread can read it.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use crate::core::Core;
use crate::join::JoinHandle;
use crate::observe::{ExecutorStats, TaskInfo};
use crate::sync::thread_local_slot;

thread_local_slot! {
    static CURRENT: RefCell<Option<Rc<Core>>> = RefCell::new(None);
    static IN_BLOCK_ON: Cell<bool> = Cell::new(false);
}

/// Makes an executor current on this thread until dropped.
pub(crate) struct Enter {
    previous: Option<Rc<Core>>,
    /// This guard is the one of a `block_on`: it clears `IN_BLOCK_ON`.
    block_on: bool,
}

impl Enter {
    /// Enters `core` for a `block_on`.
    ///
    /// # Panics
    ///
    /// Panics if a `block_on` already runs on this thread.
    #[track_caller]
    pub(crate) fn block_on(core: &Rc<Core>) -> Self {
        assert!(
            !IN_BLOCK_ON.with(Cell::get),
            "nested block_on is not allowed: this thread is already inside block_on \
             (spawn the future, or await it, instead)"
        );
        let mut enter = Self::tick(core);
        IN_BLOCK_ON.with(|b| b.set(true));
        enter.block_on = true;
        enter
    }

    /// Enters `core` for `try_tick` or `run_ready`.
    ///
    /// # Panics
    ///
    /// Panics if `core` is already current: ticking an executor from one of
    /// its own tasks would poll tasks recursively.
    #[track_caller]
    pub(crate) fn tick(core: &Rc<Core>) -> Self {
        let previous = CURRENT.with(|c| c.replace(Some(Rc::clone(core))));
        if previous.as_ref().is_some_and(|p| Rc::ptr_eq(p, core)) {
            CURRENT.with(|c| c.replace(previous));
            panic!(
                "re-entrant use of a LocalExecutor: try_tick, run_ready or block_on \
                 called from inside one of its own tasks"
            );
        }
        Self {
            previous,
            block_on: false,
        }
    }

    /// Enters `core` for its drop, unless another executor is current (then
    /// tasks spawned by dropped futures go to that one).
    pub(crate) fn shutdown(core: &Rc<Core>) -> Self {
        // `try_with`: an executor kept in a thread-local may drop after this
        // slot is gone; its tasks are still dropped, only `spawn` from their
        // `Drop` would then panic.
        let previous = CURRENT
            .try_with(|c| {
                let mut c = c.borrow_mut();
                if c.is_none() {
                    *c = Some(Rc::clone(core));
                    None
                } else {
                    c.clone()
                }
            })
            .unwrap_or(None);
        Self {
            previous,
            block_on: false,
        }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let ours = CURRENT.try_with(|c| c.replace(previous)).ok().flatten();
        if self.block_on {
            // Cannot fail: a block_on runs, so the thread is not exiting.
            let _ = IN_BLOCK_ON.try_with(|b| b.set(false));
        }
        // Dropped after the slot is restored and its borrow released.
        drop(ours);
    }
}

/// Runs `f` with the executor current on this thread; `None` if there is
/// none (or the thread is exiting and its slot is gone).
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&Core) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| c.borrow().as_deref().map(f))
        .ok()
        .flatten()
}

/// Spawns a task on the executor current on this thread.
///
/// The executor is current while it runs [`LocalExecutor::block_on`],
/// [`LocalExecutor::try_tick`] or [`LocalExecutor::run_ready`] on this
/// thread, so code running in a task can always spawn.
///
/// [`LocalExecutor::block_on`]: crate::LocalExecutor::block_on
/// [`LocalExecutor::try_tick`]: crate::LocalExecutor::try_tick
/// [`LocalExecutor::run_ready`]: crate::LocalExecutor::run_ready
///
/// # Panics
///
/// Panics if no executor is current on this thread, with a message that
/// starts `chronia::spawn called outside of a runtime`.
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
/// let sum = ex.block_on(async {
///     let a = chronia_executor::spawn(async { 1 });
///     let b = chronia_executor::spawn(async { 2 });
///     a.await.expect("no panic") + b.await.expect("no panic")
/// }, &mut Spin);
/// assert_eq!(sum, 3);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_inner(future, None)
}

/// Spawns a task named `name` on the executor current on this thread: as
/// [`spawn`], and the name shows in task dumps and slow-poll reports.
///
/// # Panics
///
/// As [`spawn`]: if no executor is current on this thread.
///
/// # Examples
///
/// ```
/// let ex = chronia_executor::LocalExecutor::new();
/// let _task = ex.spawn(async {
///     let inner = chronia_executor::spawn_named("worker", std::future::pending::<()>());
///     inner.detach();
/// });
/// ex.run_ready();
/// assert!(ex.tasks().iter().any(|t| t.name.as_deref() == Some("worker")));
/// ```
#[track_caller]
pub fn spawn_named<F>(name: &str, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_inner(future, Some(name.into()))
}

#[track_caller]
fn spawn_inner<F>(future: F, name: Option<Box<str>>) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let location = std::panic::Location::caller();
    let core = CURRENT.with(|c| c.borrow().clone());
    match core {
        Some(core) => core.spawn(future, location, name),
        None => panic!(
            "chronia::spawn called outside of a runtime: call it from code running \
             inside block_on (or use LocalExecutor::spawn)"
        ),
    }
}

/// The counters of the executor current on this thread, if any.
///
/// # Examples
///
/// ```
/// assert!(chronia_executor::current_stats().is_none());
/// let ex = chronia_executor::LocalExecutor::new();
/// let task = ex.spawn(async { chronia_executor::current_stats().map(|s| s.spawned) });
/// ex.run_ready();
/// # use chronia_executor::{Park, Unpark};
/// # use std::{sync::Arc, time::Duration};
/// # struct Spin;
/// # impl Unpark for Spin { fn unpark(&self) {} }
/// # impl Park for Spin {
/// #     fn park(&mut self, _: Option<Duration>) {}
/// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
/// # }
/// assert_eq!(ex.block_on(task, &mut Spin).expect("no panic"), Some(1));
/// ```
pub fn current_stats() -> Option<ExecutorStats> {
    with_current(Core::stats)
}

/// A task dump of the executor current on this thread, if any.
///
/// # Examples
///
/// ```
/// assert!(chronia_executor::current_tasks().is_none());
/// let ex = chronia_executor::LocalExecutor::new();
/// let _task = ex.spawn(async { assert_eq!(chronia_executor::current_tasks().map(|t| t.len()), Some(1)) });
/// ex.run_ready();
/// ```
pub fn current_tasks() -> Option<Vec<TaskInfo>> {
    with_current(Core::tasks)
}

/// Whether an executor is current on this thread, that is whether
/// [`spawn`] would succeed: `true` inside `block_on` (and while
/// `try_tick` or `run_ready` polls a task), `false` elsewhere.
///
/// # Examples
///
/// ```
/// use chronia_executor::{is_inside_runtime, LocalExecutor};
/// # use chronia_executor::{Park, Unpark};
/// # use std::{sync::Arc, time::Duration};
/// # struct Spin;
/// # impl Unpark for Spin { fn unpark(&self) {} }
/// # impl Park for Spin {
/// #     fn park(&mut self, _: Option<Duration>) {}
/// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
/// # }
/// assert!(!is_inside_runtime());
/// let ex = LocalExecutor::new();
/// assert!(ex.block_on(async { is_inside_runtime() }, &mut Spin));
/// ```
pub fn is_inside_runtime() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}
