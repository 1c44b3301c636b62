//! What an executor shows of itself: [`ExecutorStats`] (exact counters),
//! [`TaskInfo`] (one row of a task dump) and [`SlowPoll`] (a report of the
//! slow-poll alarm).
//!
//! The counters are plain `Cell`s of the executor's thread, bumped where
//! the thing happens (a remote wake's is an atomic, on the waking
//! thread); none is sampled. Time parked is measured around each blocking
//! park (two clock reads per park, none per poll); the slow-poll alarm,
//! when set, reads the clock once per poll, and not at all when unset.

use std::panic::Location;
use std::time::Duration;

use crate::Id;
use crate::wait::Wait;

/// The executor's counters, as [`LocalExecutor::stats`](crate::LocalExecutor::stats)
/// reads them.
///
/// # Examples
///
/// ```
/// let ex = chronia_executor::LocalExecutor::new();
/// drop(ex.spawn(async {}));
/// ex.run_ready();
/// let stats = ex.stats();
/// assert_eq!((stats.spawned, stats.completed, stats.alive, stats.polls), (1, 1, 0, 1));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecutorStats {
    /// Tasks spawned.
    pub spawned: u64,
    /// Tasks not complete (or aborted, and not yet forgotten).
    pub alive: u64,
    /// Tasks whose future returned.
    pub completed: u64,
    /// Tasks that panicked.
    pub panicked: u64,
    /// Tasks cancelled (aborted) before their future returned. Like the two
    /// counts above, counted as the executor forgets the task: a task
    /// aborted from outside its own poll is forgotten at the run loop's
    /// next turn, and counts as alive until then.
    pub aborted: u64,
    /// Polls of tasks' futures (the main future of `block_on` is not a task).
    pub polls: u64,
    /// Wakes on the executor's thread while it ran (tasks and the main future).
    pub local_wakes: u64,
    /// Wakes from other threads (or from this thread while the executor was
    /// not running).
    pub remote_wakes: u64,
    /// Parks that could block (nothing was ready).
    pub blocking_parks: u64,
    /// Non-blocking turns of the park, every poll budget while work stays ready.
    pub nonblocking_parks: u64,
    /// Time inside `block_on` spent polling (everything but blocking parks).
    pub busy: Duration,
    /// Time spent in blocking parks.
    pub parked: Duration,
}

/// What a task is doing, in a task dump.
///
/// # Examples
///
/// ```
/// use chronia_executor::{LocalExecutor, TaskState};
///
/// let ex = LocalExecutor::new();
/// let _task = ex.spawn(std::future::pending::<()>());
/// assert_eq!(ex.tasks()[0].state, TaskState::Scheduled);
/// ex.run_ready();
/// assert_eq!(ex.tasks()[0].state, TaskState::Idle);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// In the run queue: it will be polled.
    Scheduled,
    /// Waiting to be woken.
    Idle,
    /// Being polled now (the dump was taken from inside it).
    Running,
}

impl std::fmt::Display for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TaskState::Scheduled => "scheduled",
            TaskState::Idle => "idle",
            TaskState::Running => "running",
        })
    }
}

/// One live task in a task dump ([`LocalExecutor::tasks`](crate::LocalExecutor::tasks)).
///
/// # Examples
///
/// ```
/// let ex = chronia_executor::LocalExecutor::new();
/// let task = ex.spawn(std::future::pending::<()>());
/// let info = &ex.tasks()[0];
/// assert_eq!(info.id, task.id());
/// assert_eq!(info.location.file(), file!());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's id (as [`JoinHandle::id`](crate::JoinHandle::id)).
    pub id: Id,
    /// The name it was spawned with, if any.
    pub name: Option<String>,
    /// Where it was spawned.
    pub location: &'static Location<'static>,
    /// Whether it is queued, waiting, or being polled.
    pub state: TaskState,
    /// How many times its future was polled (saturating at 2^24 - 1,
    /// 16,777,215: the count shares a word with the task's flags).
    pub polls: u32,
    /// How long ago it was spawned, to the executor's coarse clock (read
    /// at each park, so a task spawned since the last park may look older
    /// by up to the time since then).
    pub age: Duration,
    /// What it waits on, if the runtime noted it (see [`Wait`]).
    pub wait: Option<Wait>,
}

/// A poll that took longer than the slow-poll threshold: what the
/// callback of [`LocalExecutor::set_slow_poll`](crate::LocalExecutor::set_slow_poll) gets.
///
/// # Examples
///
/// ```
/// use std::{cell::Cell, rc::Rc, time::Duration};
///
/// let ex = chronia_executor::LocalExecutor::new();
/// let seen = Rc::new(Cell::new(None));
/// let s = seen.clone();
/// ex.set_slow_poll(Duration::from_millis(5), move |slow| s.set(Some(slow.duration)));
/// drop(ex.spawn(async { std::thread::sleep(Duration::from_millis(10)) }));
/// ex.run_ready();
/// assert!(seen.get().expect("reported") >= Duration::from_millis(10));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SlowPoll {
    /// The task's id.
    pub id: Id,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// Where it was spawned.
    pub location: &'static Location<'static>,
    /// How long the poll took.
    pub duration: Duration,
}
