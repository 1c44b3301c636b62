//! The executor's state on its own thread: the task table and the local
//! run queue.
//!
//! # Invariants
//!
//! - `tasks` holds every task that is not complete, plus tasks aborted from
//!   outside their poll until the run loop pops them once more; a task is
//!   removed exactly once (by [`Core::run`], or by the executor's drop),
//!   and its `LISTED` bit is cleared as it is.
//! - `queue` holds each task at most once: a task is pushed only when its
//!   `SCHEDULED` bit was clear, and the bit is cleared when it is popped.
//! - No `RefCell` borrow of `tasks` or `queue` is held while user code runs
//!   (a poll, a future's `Drop`, a foreign waker): every borrow ends within
//!   the statement that takes it, and removed tasks are dropped after it.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::panic::Location;
use std::task::Waker;
use std::time::{Duration, Instant};

mod counters;
mod table;

use counters::{Counters, bump};
use table::Table;

use crate::executor::POLL_BUDGET;
use crate::join::JoinHandle;
use crate::observe::SlowPoll;
use crate::raw::{Ending, LocalRef, Meta, Owner, Ran};
use crate::waker::MainWaker;

/// The slow-poll alarm's callback.
type SlowPollFn = Box<dyn FnMut(&SlowPoll)>;

/// What the run loop polls next.
pub(crate) enum Turn {
    /// The main future of `block_on`.
    Main,
    Task(LocalRef),
}

/// The executor's state, shared (by `Rc`) between the `LocalExecutor` and
/// the thread-local "current executor" slot.
pub(crate) struct Core {
    tasks: RefCell<Table>,
    /// The local run queue; `None` stands for the main future of
    /// `block_on`, so that it takes its turn in order with the tasks.
    queue: RefCell<VecDeque<Option<LocalRef>>>,
    /// The main future of `block_on` was woken and not polled since; a
    /// `None` for it is in `queue`.
    main_woken: Cell<bool>,
    /// The waker of the main future of `block_on`.
    pub(crate) main_waker: Waker,
    owner: Owner,
    /// Names of named tasks, by table key; removed with the task.
    names: RefCell<HashMap<usize, Box<str>>>,
    counters: Counters,
    /// Polls per non-blocking park turn (see `POLL_BUDGET`).
    pub(crate) budget: Cell<usize>,
    /// The slow-poll threshold; `None`: off, no clock read per poll.
    slow_threshold: Cell<Option<Duration>>,
    slow_callback: RefCell<Option<SlowPollFn>>,
    /// With the alarm on: when the last timed poll ended, if only the run
    /// loop's bookkeeping ran since (no park, no main future, no callback,
    /// no return to the caller). The next timed poll starts from it, so
    /// the alarm reads the clock once per poll, not twice.
    poll_clock: Cell<Option<Instant>>,
}

impl Core {
    pub(crate) fn new() -> Self {
        let owner = Owner::new();
        Self {
            tasks: RefCell::new(Table::default()),
            queue: RefCell::new(VecDeque::new()),
            main_woken: Cell::new(false),
            main_waker: MainWaker::new_waker(owner.remote()),
            owner,
            names: RefCell::new(HashMap::new()),
            counters: Counters::default(),
            budget: Cell::new(POLL_BUDGET),
            slow_threshold: Cell::new(None),
            slow_callback: RefCell::new(None),
            poll_clock: Cell::new(None),
        }
    }

    /// The proof that tasks run on this thread, and the remote queue.
    pub(crate) fn owner(&self) -> &Owner {
        &self.owner
    }

    /// Adds `future` as a task, queued to be polled.
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        location: &'static Location<'static>,
        name: Option<Box<str>>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let mut tasks = self.tasks.borrow_mut();
        let key = tasks.next_key();
        let meta = Meta {
            key: u32::try_from(key).expect("fewer than 2^32 tasks fit in memory"),
            spawned_ms: self.counters.now_ms.get(),
            location,
        };
        let (listed, queued, join) = self.owner.spawn(future, meta);
        tasks.insert(listed);
        drop(tasks);
        if let Some(name) = name {
            self.names.borrow_mut().insert(key, name);
        }
        bump(&self.counters.spawned);
        self.queue.borrow_mut().push_back(Some(queued));
        JoinHandle::new(join)
    }

    /// Queues a task a wake marked scheduled.
    #[inline]
    pub(crate) fn push(&self, task: LocalRef) {
        self.queue.borrow_mut().push_back(Some(task));
    }

    /// Marks the main future of `block_on` due.
    pub(crate) fn schedule_main(&self) {
        if !self.main_woken.replace(true) {
            self.queue.borrow_mut().push_back(None);
        }
    }

    /// Moves the tasks woken from other threads to the local queue.
    /// Returns whether any came.
    pub(crate) fn drain_remote(&self) -> bool {
        let (woken, main) = self.owner.remote().take();
        if main {
            self.schedule_main();
        }
        let any = main || !woken.is_empty();
        for notified in woken {
            if let Some(task) = self.owner.schedule_remote(notified) {
                self.push(task);
            }
        }
        any
    }

    /// Queues the main future of a `block_on` that starts, ahead of tasks.
    pub(crate) fn schedule_main_first(&self) {
        self.main_woken.set(true);
        self.queue.borrow_mut().push_front(None);
    }

    /// The next entry of the local run queue: `Some(Turn::Main)` if the
    /// main future of `block_on` is due.
    #[inline]
    pub(crate) fn pop(&self) -> Option<Turn> {
        loop {
            match self.queue.borrow_mut().pop_front()? {
                Some(task) => return Some(Turn::Task(task)),
                // An entry left by an earlier wake, already served: skip.
                None if !self.main_woken.replace(false) => {}
                None => return Some(Turn::Main),
            }
        }
    }

    /// The next task of the local run queue; a due main future is
    /// forgotten (no `block_on` runs, a later one polls it first anyway).
    pub(crate) fn pop_task(&self) -> Option<LocalRef> {
        loop {
            match self.pop()? {
                Turn::Task(task) => return Some(task),
                Turn::Main => {}
            }
        }
    }

    /// Polls `task` once (the one place where a task poll begins), and
    /// forgets it if it completed.
    #[inline]
    pub(crate) fn run(&self, task: &LocalRef) {
        let ran = match self.slow_threshold.get() {
            None => task.run(),
            Some(threshold) => self.run_timed(task, threshold),
        };
        let polls = &self.counters.polls;
        polls.set(polls.get() + ran.polls());
        if ran.is_complete() {
            self.forget(task, ran);
        }
    }

    /// Takes a task that completed out of the table (unless it left it
    /// already) and counts how it ended.
    #[inline(never)]
    fn forget(&self, task: &LocalRef, ran: Ran) {
        let removed = self.remove(task);
        if removed.is_some() {
            bump(match ran.ending() {
                Some(Ending::Returned) => &self.counters.completed,
                Some(Ending::Panicked) => &self.counters.panicked,
                Some(Ending::Cancelled) | None => &self.counters.aborted,
            });
        }
        drop(removed);
    }

    /// `task.run()`, timed, reporting it to the slow-poll callback if it
    /// took longer than `threshold`.
    #[cold]
    #[inline(never)]
    fn run_timed(&self, task: &LocalRef, threshold: Duration) -> Ran {
        let start = self.poll_clock.take().unwrap_or_else(Instant::now);
        let done = task.run();
        let end = Instant::now();
        self.poll_clock.set(Some(end));
        let duration = end.saturating_duration_since(start);
        if duration > threshold {
            // The callback's own time must not count for the next poll.
            self.poll_clock.set(None);
            let snap = task.snapshot();
            let report = SlowPoll {
                id: snap.id,
                name: self
                    .names
                    .borrow()
                    .get(&task.key())
                    .map(ToString::to_string),
                location: snap.location,
                duration,
            };
            // Taken out while it runs: it may set a new callback itself.
            let callback = self.slow_callback.borrow_mut().take();
            if let Some(mut callback) = callback {
                callback(&report);
                let mut slot = self.slow_callback.borrow_mut();
                if slot.is_none() {
                    *slot = Some(callback);
                }
            }
        }
        done
    }

    /// Something other than a task poll ran (or will): the next timed
    /// poll reads the clock afresh.
    pub(crate) fn forget_poll_clock(&self) {
        self.poll_clock.set(None);
    }

    /// Sets (or with `None`, clears) the slow-poll alarm.
    pub(crate) fn set_slow_poll(&self, threshold: Option<Duration>, callback: Option<SlowPollFn>) {
        let old = self.slow_callback.replace(callback);
        self.slow_threshold.set(threshold);
        drop(old);
    }

    fn remove(&self, task: &LocalRef) -> Option<LocalRef> {
        let mut tasks = self.tasks.borrow_mut();
        let key = task.key();
        if tasks.get(key).is_some_and(|t| t.same_task(task)) {
            task.unlist();
            let removed = tasks.remove(key);
            drop(tasks);
            self.forget_name(key);
            removed
        } else {
            None
        }
    }

    fn forget_name(&self, key: usize) {
        let mut names = self.names.borrow_mut();
        if !names.is_empty() {
            let name = names.remove(&key);
            drop(names);
            drop(name);
        }
    }

    /// Drops every task's future, including tasks spawned by those drops.
    pub(crate) fn shutdown(&self) {
        /// Closes the remote queue as the shutdown ends, however it ends:
        /// else the remote and what is pushed to it later would leak.
        struct CloseOnDrop<'a>(&'a Owner);
        impl Drop for CloseOnDrop<'_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let close = CloseOnDrop(&self.owner);
        // A cancel runs user code that may panic (a foreign joiner's
        // waker): every other task is still cancelled, and the first panic
        // goes on once the executor is torn down.
        let mut panic = None;
        loop {
            let tasks = self.tasks.borrow_mut().drain();
            let queued = std::mem::take(&mut *self.queue.borrow_mut());
            if tasks.is_empty() && queued.is_empty() {
                break;
            }
            for task in &tasks {
                task.unlist();
                let cancelled = std::panic::catch_unwind(AssertUnwindSafe(|| task.cancel()));
                if let Err(payload) = cancelled {
                    panic.get_or_insert(payload);
                }
            }
            self.names.borrow_mut().clear();
            drop(queued);
            drop(tasks);
        }
        drop(close);
        if let Some(payload) = panic {
            std::panic::resume_unwind(payload);
        }
    }

    /// The number of tasks not yet complete.
    pub(crate) fn len(&self) -> usize {
        self.tasks.borrow().len()
    }
}
