//! The `Waker` of the main future of `block_on`: `Send + Sync`, and cheap
//! on the executor's own thread. (Tasks' wakers live in [`raw`](crate::raw).)
//!
//! Waking it on the thread where its executor is current marks the main
//! future due in the local run queue (no lock, no atomic); anywhere else
//! it sets the remote queue's `main` flag and unparks the executor; after
//! the executor is dropped it does nothing.

use std::sync::Arc;
use std::task::{Wake, Waker};

use crate::context;
use crate::remote::Remote;
use crate::sync;

/// What the main future's `Waker` points to.
pub(crate) struct MainWaker {
    remote: sync::Arc<Remote>,
}

impl MainWaker {
    /// The main future's `Waker` for the executor that owns `remote`.
    pub(crate) fn new_waker(remote: &sync::Arc<Remote>) -> Waker {
        Waker::from(Arc::new(Self {
            remote: sync::Arc::clone(remote),
        }))
    }
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        wake_main(&self.remote);
    }
}

/// Wakes the main future of `block_on` of the executor of `remote`: what
/// its [`MainWaker`] does (also for a `JoinHandle` awaited by that main
/// future, which keeps no waker for it).
pub(crate) fn wake_main(remote: &Remote) {
    let local = context::with_current(|core| {
        let ours = std::ptr::eq(sync::Arc::as_ptr(core.owner().remote()), remote);
        if ours {
            core.schedule_main();
            core.count_local_wake();
        }
        ours
    });
    if local != Some(true) {
        remote.count_wake();
        remote.wake_main();
    }
}
