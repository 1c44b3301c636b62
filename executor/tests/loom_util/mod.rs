//! Shared parts of the loom models: a park on loom's condvar, a waker
//! slot, and a bounded model builder.

#![allow(dead_code, reason = "each model uses a different part")]

use std::task::Waker;
use std::time::Duration;

use chronia_executor::{Park, Unpark};
use loom::sync::{Arc, Condvar, Mutex};

/// The thread-safe half of [`LoomPark`].
#[derive(Debug, Default)]
pub struct Signal {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Unpark for Signal {
    fn unpark(&self) {
        *self.woken.lock().expect("not poisoned") = true;
        self.cv.notify_one();
    }
}

/// A park that blocks on a loom condvar: a lost wake-up is a deadlock,
/// which loom reports.
#[derive(Debug, Default)]
pub struct LoomPark(pub std::sync::Arc<Signal>);

impl Park for LoomPark {
    fn park(&mut self, timeout: Option<Duration>) {
        let mut woken = self.0.woken.lock().expect("not poisoned");
        if timeout.is_none() {
            while !*woken {
                woken = self.0.cv.wait(woken).expect("not poisoned");
            }
        }
        *woken = false;
    }

    fn unparker(&self) -> std::sync::Arc<dyn Unpark> {
        self.0.clone()
    }
}

/// Where a future leaves its waker for another thread.
pub type WakerSlot = Arc<Mutex<Option<Waker>>>;

/// Runs `f` under loom, every interleaving within a preemption bound
/// (`LOOM_MAX_PREEMPTIONS` overrides the default of 3).
pub fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}
