//! The `Waker` of a task: tiny, `Send + Sync`, and cheap on the executor's
//! own thread.
//!
//! A [`TaskWaker`] names its task by slab key and a per-executor id (so a
//! waker of a finished task cannot wake the task that reused its key) and
//! holds the executor's [`Remote`]. Waking it:
//!
//! - on the thread where its executor is current (running `block_on`,
//!   `try_tick`, `run_ready` or its drop): a lookup in the task table and a
//!   push to the local run queue, with no lock, no atomic and no syscall;
//! - anywhere else (another thread, or this thread while the executor is
//!   not running): a push to the remote queue and one unpark per park;
//! - after the executor is dropped: nothing.
//!
//! Whether the executor is current is answered by comparing the `Remote`
//! this waker holds with the one of the current executor (a pointer
//! compare: the waker keeps its `Remote` alive, so no other executor can
//! have the same address).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::task::{Wake, Waker};

use crate::context;
use crate::id::Id;
use crate::remote::Remote;

/// The slab key that names the main future of `block_on` rather than a task.
pub(crate) const MAIN_KEY: usize = usize::MAX;

/// What a task's `Waker` points to.
pub(crate) struct TaskWaker {
    /// The task's key in the executor's task table ([`MAIN_KEY`] for the
    /// main future of `block_on`).
    pub(crate) key: usize,
    /// The task's id, unique in the process: tells this task from a later
    /// one that reused the key.
    pub(crate) id: Id,
    /// Set while this waker sits in the remote queue, so it is pushed once.
    pub(crate) queued: AtomicBool,
    pub(crate) remote: Arc<Remote>,
}

impl TaskWaker {
    /// A `Waker` for the task `key`/`id` of the executor that owns `remote`.
    pub(crate) fn new_waker(key: usize, id: Id, remote: &Arc<Remote>) -> Waker {
        Waker::from(Arc::new(Self {
            key,
            id,
            queued: AtomicBool::new(false),
            remote: Arc::clone(remote),
        }))
    }
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !context::schedule_local(&self.remote, self.key, self.id) {
            self.remote.push(self);
        }
    }
}
