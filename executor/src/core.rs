//! The executor's state on its own thread: the task table and the local run
//! queue.
//!
//! # Invariants
//!
//! - `tasks` holds every task that is not complete, plus tasks aborted from
//!   outside their poll until the run loop pops them once more; a task is
//!   removed exactly once, by [`Core::run`] (or by the executor's drop).
//! - `queue` holds each task at most once: a task is pushed only when its
//!   `SCHEDULED` bit was clear, and the bit is cleared when it is popped.
//! - No `RefCell` borrow of `tasks` or `queue` is held while user code runs
//!   (a poll, a future's `Drop`, a foreign waker): every borrow ends within
//!   the statement that takes it, and removed tasks are dropped after it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;

use slab::Slab;

use crate::id::Id;
use crate::join::JoinHandle;
use crate::remote::Remote;
use crate::state::State;
use crate::task::{Runnable, Task};
use crate::waker::{MAIN_KEY, TaskWaker};

/// What the run loop polls next.
pub(crate) enum Turn {
    /// The main future of `block_on`.
    Main,
    Task(Rc<dyn Runnable>),
}

/// The executor's state, shared (by `Rc`) between the `LocalExecutor` and
/// the thread-local "current executor" slot.
pub(crate) struct Core {
    tasks: RefCell<Slab<Rc<dyn Runnable>>>,
    /// The local run queue; `None` stands for the main future of
    /// `block_on`, so that it takes its turn in order with the tasks.
    queue: RefCell<VecDeque<Option<Rc<dyn Runnable>>>>,
    /// The main future of `block_on` was woken and not polled since; a
    /// `None` for it is in `queue`.
    main_woken: Cell<bool>,
    /// The waker of the main future of `block_on`.
    pub(crate) main_waker: Waker,
    pub(crate) remote: Arc<Remote>,
}

impl Core {
    pub(crate) fn new() -> Self {
        let remote = Arc::new(Remote::new());
        Self {
            tasks: RefCell::new(Slab::new()),
            queue: RefCell::new(VecDeque::new()),
            main_woken: Cell::new(false),
            main_waker: TaskWaker::new_waker(MAIN_KEY, Id::next(), &remote),
            remote,
        }
    }

    /// Adds `future` as a task, queued to be polled.
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let id = Id::next();
        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.vacant_entry();
        let key = entry.key();
        let waker = TaskWaker::new_waker(key, id, &self.remote);
        let task = Rc::new(Task::new(future, key, id, waker));
        entry.insert(task.clone());
        drop(tasks);
        self.queue.borrow_mut().push_back(Some(task.clone()));
        JoinHandle::new(task)
    }

    /// Queues the task `key`/`id` if it is still in the table and not
    /// queued yet; wakes the main future for [`MAIN_KEY`].
    pub(crate) fn schedule(&self, key: usize, id: Id) {
        if key == MAIN_KEY {
            if !self.main_woken.replace(true) {
                self.queue.borrow_mut().push_back(None);
            }
            return;
        }
        let tasks = self.tasks.borrow();
        let Some(task) = tasks.get(key) else { return };
        let header = task.header();
        let state = header.state.get();
        if header.id != id || !state.needs_schedule() {
            return;
        }
        header.state.set(state.with(State::SCHEDULED));
        self.queue.borrow_mut().push_back(Some(Rc::clone(task)));
    }

    /// Moves the tasks woken from other threads to the local queue.
    /// Returns whether any came.
    pub(crate) fn drain_remote(&self) -> bool {
        let woken = self.remote.take();
        for waker in &woken {
            // AcqRel: a waker that found `queued` set and returned early
            // happened before this swap, so before the poll it expects.
            waker
                .queued
                .swap(false, std::sync::atomic::Ordering::AcqRel);
            self.schedule(waker.key, waker.id);
        }
        !woken.is_empty()
    }

    /// Queues the main future of a `block_on` that starts, ahead of tasks.
    pub(crate) fn schedule_main_first(&self) {
        self.main_woken.set(true);
        self.queue.borrow_mut().push_front(None);
    }

    /// The next entry of the local run queue: `Some(Turn::Main)` if the
    /// main future of `block_on` is due.
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
    pub(crate) fn pop_task(&self) -> Option<Rc<dyn Runnable>> {
        loop {
            match self.pop()? {
                Turn::Task(task) => return Some(task),
                Turn::Main => {}
            }
        }
    }

    /// Polls `task` once, and forgets it if it completed.
    pub(crate) fn run(&self, task: &Rc<dyn Runnable>) {
        if task.run() {
            let header = task.header();
            let removed = self.remove(header.key, header.id);
            drop(removed);
        }
    }

    fn remove(&self, key: usize, id: Id) -> Option<Rc<dyn Runnable>> {
        let mut tasks = self.tasks.borrow_mut();
        if tasks.get(key).is_some_and(|t| t.header().id == id) {
            Some(tasks.remove(key))
        } else {
            None
        }
    }

    /// Drops every task's future, including tasks spawned by those drops.
    pub(crate) fn shutdown(&self) {
        loop {
            let tasks: Vec<_> = self.tasks.borrow_mut().drain().collect();
            let queued = std::mem::take(&mut *self.queue.borrow_mut());
            if tasks.is_empty() && queued.is_empty() {
                break;
            }
            for task in &tasks {
                task.shutdown();
            }
            drop(queued);
            drop(tasks);
        }
        self.remote.close();
    }

    /// The number of tasks not yet complete.
    pub(crate) fn len(&self) -> usize {
        self.tasks.borrow().len()
    }
}
