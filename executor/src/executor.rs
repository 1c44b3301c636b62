//! [`LocalExecutor`]: runs tasks on one thread, and parks when none is ready.
//!
//! # The run loop of `block_on`
//!
//! Each turn polls one thing: the main future if it was woken, else the
//! first task of the local queue. When neither is ready it moves remote
//! wakes to the local queue, and if still nothing is ready it parks with no
//! deadline (after telling the remote queue that the next wake must
//! unpark; see `remote.rs`). After [`POLL_BUDGET`] polls in a row without
//! parking it gives the park a non-blocking turn (`park(Some(ZERO))`) and
//! takes remote wakes, so tasks that keep waking themselves cannot starve
//! I/O or other threads.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::context::Enter;
use crate::core::{Core, Turn};
use crate::join::JoinHandle;
use crate::observe::{ExecutorStats, SlowPoll, TaskInfo};
use crate::park::Park;

/// How many polls `block_on` makes while work stays ready before it gives
/// the park a non-blocking turn (`park(Some(Duration::ZERO))`), and the most
/// [`LocalExecutor::run_ready`] makes in one call.
///
/// 61 as in tokio and smol: a prime, so it does not fall in step with
/// periodic task patterns.
///
/// # Examples
///
/// ```
/// assert_eq!(chronia_executor::POLL_BUDGET, 61);
/// ```
pub const POLL_BUDGET: usize = 61;

/// A single-threaded executor of futures that need not be `Send`.
///
/// `LocalExecutor` is `!Send` and `!Sync`; its tasks' wakers are
/// `Send + Sync`, so other threads can wake its tasks. Dropping it drops
/// every task's future exactly once.
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
/// use std::{cell::Cell, rc::Rc};
///
/// let ex = LocalExecutor::new();
/// let hits = Rc::new(Cell::new(0));
/// let h = hits.clone();
/// drop(ex.spawn(async move { h.set(h.get() + 1) })); // detached: runs anyway
/// ex.block_on(chronia_executor::yield_now(), &mut Spin);
/// assert_eq!(hits.get(), 1);
/// ```
pub struct LocalExecutor {
    core: Rc<Core>,
}

impl LocalExecutor {
    /// An executor with no task.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex = chronia_executor::LocalExecutor::new();
    /// assert!(!ex.try_tick());
    /// ```
    pub fn new() -> Self {
        Self {
            core: Rc::new(Core::new()),
        }
    }

    /// Spawns `future` as a task of this executor; it first runs at the
    /// next tick or `block_on`.
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
    /// let data = std::rc::Rc::new(5); // not Send: fine
    /// let handle = ex.spawn(async move { *data * 2 });
    /// assert_eq!(ex.block_on(handle, &mut Spin).expect("no panic"), 10);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core
            .spawn(future, std::panic::Location::caller(), None)
    }

    /// The executor's counters: exact, read at the moment of the call.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex = chronia_executor::LocalExecutor::new();
    /// let _a = ex.spawn(async {});
    /// let _b = ex.spawn(async { panic!("boom") });
    /// ex.run_ready();
    /// let stats = ex.stats();
    /// assert_eq!((stats.spawned, stats.completed, stats.panicked), (2, 1, 1));
    /// ```
    pub fn stats(&self) -> ExecutorStats {
        self.core.stats()
    }

    /// A task dump: every task not yet complete, in no particular order.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex = chronia_executor::LocalExecutor::new();
    /// let task = ex.spawn(std::future::pending::<()>());
    /// ex.run_ready();
    /// let dump = ex.tasks();
    /// assert_eq!(dump.len(), 1);
    /// assert_eq!((dump[0].id, dump[0].polls), (task.id(), 1));
    /// ```
    pub fn tasks(&self) -> Vec<TaskInfo> {
        self.core.tasks()
    }

    /// Calls `callback` after every poll of a task that took longer than
    /// `threshold` (the "something blocks the thread" alarm); replaces an
    /// earlier one. Costs one clock read per poll while set (back-to-back
    /// polls share one: a poll's start is the last one's end, so its
    /// duration includes the run loop's few instructions between them);
    /// none when not set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    ///
    /// let ex = chronia_executor::LocalExecutor::new();
    /// let slow = Rc::new(Cell::new(0));
    /// let s = slow.clone();
    /// ex.set_slow_poll(Duration::from_secs(10), move |_| s.set(s.get() + 1));
    /// drop(ex.spawn(async {}));
    /// ex.run_ready();
    /// assert_eq!(slow.get(), 0);
    /// ```
    pub fn set_slow_poll(&self, threshold: Duration, callback: impl FnMut(&SlowPoll) + 'static) {
        self.core
            .set_slow_poll(Some(threshold), Some(Box::new(callback)));
    }

    /// Turns the slow-poll alarm off.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex = chronia_executor::LocalExecutor::new();
    /// ex.set_slow_poll(std::time::Duration::ZERO, |_| panic!("never called"));
    /// ex.clear_slow_poll();
    /// drop(ex.spawn(async {}));
    /// ex.run_ready();
    /// ```
    pub fn clear_slow_poll(&self) {
        self.core.set_slow_poll(None, None);
    }

    /// Sets how many polls `block_on` makes while work stays ready before
    /// it gives the park a non-blocking turn, and the most
    /// [`run_ready`](Self::run_ready) makes (default [`POLL_BUDGET`]).
    ///
    /// # Panics
    ///
    /// Panics if `polls` is 0: the run loop must poll something per turn.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex = chronia_executor::LocalExecutor::new();
    /// ex.set_poll_budget(2);
    /// for _ in 0..3 { drop(ex.spawn(async {})); }
    /// assert_eq!(ex.run_ready(), 2);
    /// ```
    #[track_caller]
    pub fn set_poll_budget(&self, polls: usize) {
        assert!(polls > 0, "the poll budget must be at least 1 poll");
        self.core.budget.set(polls);
    }

    /// Polls at most one ready task; says whether it did. Never blocks.
    ///
    /// The executor is current (for [`spawn`](crate::spawn)) during the poll.
    ///
    /// # Panics
    ///
    /// Panics if called from inside one of this executor's own tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex = chronia_executor::LocalExecutor::new();
    /// let handle = ex.spawn(async {});
    /// assert!(ex.try_tick());
    /// assert!(!ex.try_tick());
    /// assert!(handle.is_finished());
    /// ```
    #[track_caller]
    pub fn try_tick(&self) -> bool {
        let _enter = Enter::tick(&self.core);
        let core = &self.core;
        core.forget_poll_clock();
        let task = core.pop_task().or_else(|| {
            core.drain_remote();
            core.pop_task()
        });
        match task {
            Some(task) => {
                let _budget = crate::coop::Budget::start();
                core.run(&task);
                true
            }
            None => false,
        }
    }

    /// Polls ready tasks until none is ready or [`POLL_BUDGET`] polls are
    /// made; returns how many polls it made. Tasks woken meanwhile (from
    /// this thread or others) run in the same call. Never blocks.
    ///
    /// # Panics
    ///
    /// Panics if called from inside one of this executor's own tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex = chronia_executor::LocalExecutor::new();
    /// let a = ex.spawn(async {});
    /// let b = ex.spawn(chronia_executor::yield_now());
    /// assert_eq!(ex.run_ready(), 3); // a once, b twice
    /// assert!(a.is_finished() && b.is_finished());
    /// ```
    #[track_caller]
    pub fn run_ready(&self) -> usize {
        let _enter = Enter::tick(&self.core);
        let core = &self.core;
        core.forget_poll_clock();
        let mut polls = 0;
        let budget = core.budget.get();
        while polls < budget {
            let task = core.pop_task().or_else(|| {
                core.drain_remote();
                core.pop_task()
            });
            let Some(task) = task else { break };
            let _budget = crate::coop::Budget::start();
            core.run(&task);
            polls += 1;
        }
        polls
    }

    /// Runs `future` to completion on this thread, running this executor's
    /// tasks meanwhile; returns its output.
    ///
    /// When nothing is ready it calls `park.park(None)`; while work stays
    /// ready it calls `park.park(Some(Duration::ZERO))` every
    /// [`POLL_BUDGET`] polls. Tasks still pending when `future` completes
    /// stay in the executor: a later `block_on` runs them, its drop drops
    /// them. A panic of `future` propagates to the caller; the executor stays
    /// usable.
    ///
    /// # Panics
    ///
    /// Panics if called while a `block_on` (of any executor) runs on this
    /// thread: nested `block_on` is not allowed. Panics if `future` does.
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
    /// assert_eq!(ex.block_on(async { 1 + 1 }, &mut Spin), 2);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F, park: &mut dyn Park) -> F::Output {
        let _enter = Enter::block_on(&self.core);
        let core = &*self.core;
        let _unparker = UnparkerGuard::install(core, park);
        let mut future = pin!(future);
        let mut cx = Context::from_waker(&core.main_waker);
        core.schedule_main_first();
        // Wakes that came while no block_on ran, behind the main future.
        core.drain_remote();
        let _busy = BusyGuard::start(core);
        let budget = core.budget.get();
        let mut polls = 0;
        loop {
            let turn = core.pop();
            // A fresh cooperative budget for this poll (see `coop`).
            let _budget = turn.is_some().then(crate::coop::Budget::start);
            match turn {
                Some(Turn::Main) => {
                    core.forget_poll_clock();
                    if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                        return output;
                    }
                }
                Some(Turn::Task(task)) => core.run(&task),
                None => {
                    if core.drain_remote() {
                        continue;
                    }
                    core.owner().remote().prepare_park();
                    if !core.drain_remote() {
                        core.blocking_park(|| park.park(None));
                        core.drain_remote();
                    }
                    core.owner().remote().after_park();
                    polls = 0;
                    continue;
                }
            }
            polls += 1;
            if polls >= budget {
                polls = 0;
                park.park(Some(Duration::ZERO));
                core.nonblocking_parked();
                core.drain_remote();
            }
        }
    }
}

/// Counts a `block_on`'s time as busy (but for its blocking parks) until
/// it returns or unwinds.
struct BusyGuard<'a> {
    core: &'a Core,
}

impl<'a> BusyGuard<'a> {
    fn start(core: &'a Core) -> Self {
        core.start_busy();
        Self { core }
    }
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.core.stop_busy();
    }
}

/// Lends the park's unparker to the remote queue for one `block_on`.
struct UnparkerGuard<'a> {
    core: &'a Core,
}

impl<'a> UnparkerGuard<'a> {
    fn install(core: &'a Core, park: &dyn Park) -> Self {
        core.owner().remote().set_unparker(Some(park.unparker()));
        Self { core }
    }
}

impl Drop for UnparkerGuard<'_> {
    fn drop(&mut self) {
        self.core.owner().remote().set_unparker(None);
    }
}

impl Default for LocalExecutor {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for LocalExecutor {
    fn drop(&mut self) {
        let _enter = Enter::shutdown(&self.core);
        self.core.shutdown();
    }
}

impl fmt::Debug for LocalExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalExecutor")
            .field("tasks", &self.core.len())
            .finish_non_exhaustive()
    }
}
