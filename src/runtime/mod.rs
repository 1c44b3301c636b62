//! The runtime: an executor and a driver on one thread.
//!
//! [`Runtime::block_on`] runs a future to completion on the calling thread,
//! together with the tasks it [`spawn`]s. Nothing runs in the background:
//! chronia starts no thread unless asked to (the blocking pool of
//! [`spawn_blocking`](crate::task::spawn_blocking), or [`PerCore`]'s
//! shards). Dropping a `Runtime` drops its tasks and, with them, everything
//! they held.
//!
//! [`Builder`] sets a runtime's options (the poll budget, the events per
//! reactor turn, a slow-poll alarm). [`stats`] and [`dump`] (or
//! [`Runtime::stats`], [`Runtime::tasks`]) show what it is doing: exact
//! counters, and every live task with where it was spawned and what it
//! waits on.
//!
//! # Objects that outlive their runtime
//!
//! A socket, a `Sleep`, a `Signal` or a `Child` holds a reference to the
//! reactor of the runtime it was made in (its epoll fd, timerfd and
//! eventfd, the fd's registration, a signal's blocked mask). One that
//! escapes `block_on` (returned from it, or kept elsewhere) keeps that
//! reactor alive after `drop(runtime)`: its fds stay open and its signals
//! stay blocked until the object itself drops. Drop such objects with the
//! runtime (or before it) when the process must be left as it was found.
//! The rule on the objects themselves:
//!
//! - a `Sleep` (and `Interval`, `Timeout`) polled under another runtime
//!   moves its timer there and works;
//! - a socket or other fd polled under another runtime panics with a
//!   message that says so (its fd is registered with its own runtime's
//!   epoll, which the other runtime does not drive), instead of hanging;
//! - polled outside any runtime (`now_or_never`, say), either completes if
//!   it is ready and otherwise waits in its own runtime, which a later
//!   `block_on` of that runtime drives.

mod builder;
pub(crate) mod context;
pub(crate) mod driver;
pub(crate) mod dump;
mod handle;
mod per_core;
pub(crate) mod slot;
pub(crate) mod stats;
mod stop;
pub(crate) mod timers;

pub use builder::Builder;
pub use chronia_executor::SlowPoll;
pub use dump::{TaskDump, TaskInfo, TaskState, Wait};
pub use handle::{Handle, RemoteJoinHandle, SpawnError, TryCurrentError};
pub use stats::Stats;

use std::fmt;
use std::future::Future;
use std::io;
use std::rc::Rc;

use chronia_executor::{JoinHandle, LocalExecutor};

use driver::{Driver, DriverPark};
pub use per_core::{PerCore, Shard, ShardPanic, Stopper};
pub use stop::Stopped;

/// A single-threaded runtime: a local task executor and an epoll reactor.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = chronia::Runtime::new()?;
/// let answer = rt.block_on(async {
///     let task = chronia::spawn(async { 6 * 7 });
///     chronia::time::sleep(Duration::from_millis(1)).await;
///     task.await.expect("the task does not panic")
/// });
/// assert_eq!(answer, 42);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Runtime {
    executor: Option<LocalExecutor>,
    driver: Rc<Driver>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

impl Runtime {
    /// Creates a runtime: an epoll fd, one timerfd and one eventfd, all
    /// close-on-exec.
    ///
    /// # Errors
    ///
    /// The kernel's error if one of those fds cannot be made (for example
    /// `EMFILE`).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// The runtime's counters now (see [`Stats`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// rt.block_on(async { chronia::time::sleep(std::time::Duration::from_millis(1)).await });
    /// assert_eq!(rt.stats().timers_fired, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stats(&self) -> Stats {
        Stats::new(self.executor().stats(), &self.driver)
    }

    /// A task dump: every live task of the runtime, with what it waits on
    /// (see [`TaskDump`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// let _idle = rt.spawn(std::future::pending::<()>());
    /// assert_eq!(rt.tasks().tasks.len(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn tasks(&self) -> TaskDump {
        TaskDump::new(self.executor().tasks())
    }

    /// Runs `future` to completion on this thread, with every task spawned
    /// on this runtime; returns its output. Tasks still running when it
    /// returns stay in the runtime and go on at the next `block_on`.
    ///
    /// # Panics
    ///
    /// When called inside another `block_on` on the same thread (nested
    /// runtimes would starve each other), and when `future` panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// let n = rt.block_on(async { chronia::task::yield_now().await; 5 });
    /// assert_eq!(n, 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        assert!(
            !context::is_inside(),
            "chronia: `block_on` cannot be called inside `block_on` on the same thread; spawn the future or await it instead"
        );
        let _enter = context::enter(self.driver.clone());
        let mut park = DriverPark {
            driver: &self.driver,
            wakers: Vec::new(),
        };
        self.executor().block_on(future, &mut park)
    }

    fn executor(&self) -> &LocalExecutor {
        self.executor
            .as_ref()
            .expect("the executor lives until the runtime drops")
    }

    /// Spawns a task on this runtime; it runs during `block_on`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// let task = rt.spawn(async { "done" });
    /// assert_eq!(rt.block_on(task).expect("no panic"), "done");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.executor().spawn(future)
    }

    /// A handle to this runtime, which other threads can use to spawn
    /// `Send` futures on it (see [`Handle`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// let handle = rt.handle();
    /// let task = std::thread::spawn(move || handle.spawn(async { "hi" }))
    ///     .join()
    ///     .expect("no panic");
    /// assert_eq!(rt.block_on(task).expect("no panic"), "hi");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn handle(&self) -> Handle {
        handle::handle_of(&self.driver.handle, |task| {
            drop(self.executor().spawn(task));
        })
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Tasks' futures may deregister fds or timers as they drop: give
        // them this runtime's driver while they do.
        let _enter = context::enter(self.driver.clone());
        drop(self.executor.take());
        // Values of this thread dropped on another (a `SendSleep`), which
        // may hold this driver: dropped before it, so its fds close now.
        crate::sys::thread_bound::drop_orphans();
    }
}

/// Runs `future` to completion on a new [`Runtime`], which is dropped after.
///
/// # Panics
///
/// When the runtime's fds cannot be created (see [`Runtime::new`]), when
/// called inside another `block_on`, and when `future` panics.
///
/// # Examples
///
/// ```
/// let out = chronia::block_on(async { "hello" });
/// assert_eq!(out, "hello");
/// ```
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let rt = Runtime::new().unwrap_or_else(|e| panic!("chronia: cannot create a runtime: {e}"));
    rt.block_on(future)
}

/// Spawns a task on the current runtime. The task may be `!Send`; it runs
/// on this thread. Dropping the [`JoinHandle`] detaches it.
///
/// # Panics
///
/// Outside a runtime, with a message that says so.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let task = chronia::spawn(async { 3 });
///     assert_eq!(task.await.expect("no panic"), 3);
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    assert_inside("chronia::spawn");
    chronia_executor::spawn(future)
}

/// Panics unless a runtime runs on this thread, naming `what`.
#[track_caller]
pub(crate) fn assert_inside(what: &str) {
    assert!(
        context::is_inside(),
        "{what} must be called inside a chronia runtime (within `chronia::block_on` or `Runtime::block_on`)"
    );
}

/// The counters of the runtime running on this thread (see [`Stats`]).
///
/// # Panics
///
/// Outside a runtime, with a message that says so.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     chronia::spawn(async {}).await.expect("no panic");
///     assert_eq!(chronia::runtime::stats().tasks_completed, 1);
/// });
/// ```
#[track_caller]
pub fn stats() -> Stats {
    let driver = context::current("chronia::runtime::stats");
    let ex = chronia_executor::current_stats()
        .expect("a chronia runtime runs its executor on this thread");
    Stats::new(ex, &driver)
}

/// A task dump of the runtime running on this thread (see [`TaskDump`]).
///
/// # Panics
///
/// Outside a runtime, with a message that says so.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let _idle = chronia::spawn(std::future::pending::<()>());
///     assert_eq!(chronia::runtime::dump().tasks.len(), 1);
/// });
/// ```
#[track_caller]
pub fn dump() -> TaskDump {
    let _driver = context::current("chronia::runtime::dump");
    TaskDump::new(
        chronia_executor::current_tasks()
            .expect("a chronia runtime runs its executor on this thread"),
    )
}
