//! Children whose runtime was dropped before they exited: driver state
//! that outlives the driver, so it lives here, under it. The driver hands
//! its orphans over when it drops ([`adopt`]); `process` calls [`reap`] at
//! every spawn and has it run on every `SIGCHLD` a runtime reads (a
//! `signal` delivery hook), so neither `signal` nor the driver knows of
//! `process`.
//!
//! A dropped [`Child`](crate::process::Child) that is still running is reaped by its
//! runtime's driver when it exits. When the runtime itself goes first, its
//! orphans come here: each is reaped (`waitpid` on its own pid, never -1)
//! the next time any runtime of the process reads a `SIGCHLD`, or at once
//! if it has exited already. A child that was killed on drop is given a
//! short while to die first, so that it does not outlive its runtime as a
//! zombie. If no runtime ever reads a `SIGCHLD` again, a child left here
//! is a zombie from its exit until this process exits.

use std::process::Child;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static ORPHANS: Mutex<Vec<Child>> = Mutex::new(Vec::new());
/// Whether `ORPHANS` may be non-empty: spares the lock in the common case.
static ANY: AtomicBool = AtomicBool::new(false);

/// How long a dropping runtime waits, in all, for children it killed.
const KILLED_GRACE: Duration = Duration::from_millis(100);

/// Takes the orphans of a runtime that is being dropped; `killed` are the
/// ones sent `SIGKILL` by `kill_on_drop`.
pub(crate) fn adopt(orphans: Vec<(Child, bool)>) {
    let deadline = Instant::now() + KILLED_GRACE;
    let mut left = Vec::new();
    for (mut child, killed) in orphans {
        loop {
            match child.try_wait() {
                // Still running: kept for a later reap.
                Ok(None) if !killed || Instant::now() >= deadline => {
                    left.push(child);
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                // Reaped now, or by someone else (ECHILD): done either way.
                Ok(Some(_)) | Err(_) => break,
            }
        }
    }
    if !left.is_empty() {
        lock().extend(left);
        ANY.store(true, Ordering::Release);
    }
}

/// Reaps the adopted orphans that have exited; called on every `SIGCHLD`.
pub(crate) fn reap() {
    if !ANY.load(Ordering::Acquire) {
        return;
    }
    let mut orphans = lock();
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
    ANY.store(!orphans.is_empty(), Ordering::Release);
}

fn lock() -> std::sync::MutexGuard<'static, Vec<Child>> {
    // Nothing panics while the lock is held; a poisoned list is still a list.
    ORPHANS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
