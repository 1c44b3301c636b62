//! Shared helpers of the executor's tests: a condvar park that counts how
//! it was called, and small futures.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use chronia_executor::{Park, Unpark};

/// The thread-safe half of [`CondvarPark`].
#[derive(Debug, Default)]
pub struct Signal {
    woken: Mutex<bool>,
    cv: Condvar,
    /// How many times `unpark` was called.
    pub unparks: AtomicUsize,
    /// How many blocking parks (`park(None)`) began waiting; counted under
    /// the lock, before the wait, so an `unpark` after a thread saw it
    /// lands in (or after) that wait.
    pub parks: AtomicUsize,
}

impl Signal {
    /// Blocks the calling thread until `parks` blocking parks have begun,
    /// polling with a generous deadline (a test that waits for a state,
    /// not a fixed sleep).
    ///
    /// # Panics
    ///
    /// Panics if that does not happen within 10 seconds.
    pub fn wait_for_parks(&self, parks: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.parks.load(Ordering::SeqCst) < parks {
            assert!(
                std::time::Instant::now() < deadline,
                "the executor did not park within 10 s"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Unpark for Signal {
    fn unpark(&self) {
        self.unparks.fetch_add(1, Ordering::SeqCst);
        *self.woken.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.cv.notify_one();
    }
}

/// A park that sleeps on a condvar and counts its calls.
#[derive(Debug, Default)]
pub struct CondvarPark {
    pub signal: Arc<Signal>,
    /// Calls of `park(None)`.
    pub blocking: usize,
    /// Calls of `park(Some(Duration::ZERO))`.
    pub zero: usize,
}

impl CondvarPark {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Park for CondvarPark {
    fn park(&mut self, timeout: Option<Duration>) {
        let guard = self
            .signal
            .woken
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut woken = match timeout {
            Some(t) if t.is_zero() => {
                self.zero += 1;
                guard
            }
            Some(t) => {
                self.signal
                    .cv
                    .wait_timeout_while(guard, t, |w| !*w)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => {
                self.blocking += 1;
                self.signal.parks.fetch_add(1, Ordering::SeqCst);
                self.signal
                    .cv
                    .wait_while(guard, |w| !*w)
                    .unwrap_or_else(PoisonError::into_inner)
            }
        };
        *woken = false;
    }

    fn unparker(&self) -> Arc<dyn Unpark> {
        self.signal.clone()
    }
}

/// A future that is pending until [`Gate::open`], and keeps the last waker.
#[derive(Clone, Debug, Default)]
pub struct Gate {
    inner: Rc<GateInner>,
}

#[derive(Debug, Default)]
struct GateInner {
    open: Cell<bool>,
    waker: RefCell<Option<Waker>>,
    polls: Cell<usize>,
}

impl Gate {
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens the gate and wakes the waiter.
    pub fn open(&self) {
        self.inner.open.set(true);
        if let Some(w) = self.inner.waker.borrow_mut().take() {
            w.wake();
        }
    }

    /// The last waker the waiter left.
    pub fn waker(&self) -> Waker {
        self.inner
            .waker
            .borrow()
            .clone()
            .expect("the gate was polled")
    }

    /// How many times the gate future was polled.
    pub fn polls(&self) -> usize {
        self.inner.polls.get()
    }

    /// A future that is ready once the gate is open.
    pub fn wait(&self) -> GateWait {
        GateWait { gate: self.clone() }
    }
}

/// The future of [`Gate::wait`].
#[derive(Debug)]
pub struct GateWait {
    gate: Gate,
}

impl Future for GateWait {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = &self.gate.inner;
        inner.polls.set(inner.polls.get() + 1);
        if inner.open.get() {
            Poll::Ready(())
        } else {
            *inner.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Counts its drops in a shared cell.
#[derive(Debug)]
pub struct DropCounter(pub Rc<Cell<usize>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A future that counts its polls and is pending forever, without waking.
pub async fn pending_forever(_guard: DropCounter) {
    std::future::pending::<()>().await;
}

impl Gate {
    /// Opens the gate but leaves the waker for the test to wake.
    pub fn open_without_waking(&self) {
        self.inner.open.set(true);
    }
}
