//! Waking a parked runtime from another thread: the wake always arrives,
//! whether it lands while the runtime runs, between its last look at the
//! remote queue and its park, or while it is parked (the unpark eventfd is
//! edge-triggered and never read; see `runtime::driver`).

mod util;

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use util::{limit, scaled_for_valgrind, within_thread};

/// A waker a task leaves for another thread, and the flag that thread sets
/// before it wakes it.
#[derive(Default)]
struct Mailbox {
    waker: Mutex<Option<Waker>>,
    fired: AtomicBool,
}

impl Mailbox {
    /// The task's side: ready once the other thread fired.
    async fn wait(&self) {
        poll_fn(|cx| {
            if self.fired.swap(false, Ordering::Acquire) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
            // Fired between the check and leaving the waker: the other
            // thread took no waker, so look again rather than wait.
            if self.fired.swap(false, Ordering::Acquire) {
                return Poll::Ready(());
            }
            Poll::Pending
        })
        .await;
    }

    /// The other thread's side: waits for a waker, then fires and wakes.
    fn take_waker(&self) -> Waker {
        loop {
            if let Some(w) = self
                .waker
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
            {
                return w;
            }
            std::hint::spin_loop();
        }
    }
}

#[test]
fn a_wake_from_another_thread_unparks_a_parked_runtime() {
    let took = within_thread(limit(), || {
        chronia::block_on(async {
            let mailbox = Arc::new(Mailbox::default());
            let remote = Arc::clone(&mailbox);
            let start = Instant::now();
            let thread = std::thread::spawn(move || {
                let waker = remote.take_waker();
                std::thread::sleep(Duration::from_millis(50));
                remote.fired.store(true, Ordering::Release);
                waker.wake();
            });
            chronia::spawn(async move { mailbox.wait().await })
                .await
                .expect("no panic");
            thread.join().expect("no panic");
            start.elapsed()
        })
    });
    assert!(took >= Duration::from_millis(50), "woken early: {took:?}");
}

#[test]
fn wakes_racing_the_park_are_never_lost() {
    // The waking thread wakes after a spin of 0 to ~20 µs, so its wakes
    // land in every phase of the runtime's way into its park: still
    // running, after the remote queue's last drain, inside epoll_wait. A
    // lost one leaves the task asleep forever and the guard fails.
    let rounds = scaled_for_valgrind(3_000, 30);
    let done = within_thread(limit() * 3, move || {
        chronia::block_on(async move {
            let mailbox = Arc::new(Mailbox::default());
            let remote = Arc::clone(&mailbox);
            let woken = Arc::new(AtomicUsize::new(0));
            let counted = Arc::clone(&woken);
            let thread = std::thread::spawn(move || {
                for round in 0..rounds {
                    let waker = remote.take_waker();
                    let spin = Instant::now();
                    let delay = Duration::from_nanos((round as u64 % 40) * 500);
                    while spin.elapsed() < delay {
                        std::hint::spin_loop();
                    }
                    remote.fired.store(true, Ordering::Release);
                    waker.wake();
                }
            });
            chronia::spawn(async move {
                for _ in 0..rounds {
                    mailbox.wait().await;
                    counted.fetch_add(1, Ordering::Relaxed);
                }
            })
            .await
            .expect("no panic");
            thread.join().expect("no panic");
            woken.load(Ordering::Relaxed)
        })
    });
    assert_eq!(done, rounds);
}

#[test]
fn a_runtime_parks_again_after_a_burst_of_wakes() {
    // Many wakes while the runtime runs leave, at most, one spurious return
    // of its next park: after that it sleeps until its timer, not in a
    // busy loop over a still-readable eventfd.
    let (reports, slept) = within_thread(limit(), || {
        chronia::block_on(async {
            let mailbox = Arc::new(Mailbox::default());
            let remote = Arc::clone(&mailbox);
            let thread = std::thread::spawn(move || {
                let waker = remote.take_waker();
                remote.fired.store(true, Ordering::Release);
                for _ in 0..1_000 {
                    waker.wake_by_ref();
                }
            });
            chronia::spawn(async move { mailbox.wait().await })
                .await
                .expect("no panic");
            thread.join().expect("no panic");
            let before = chronia::runtime::stats().events;
            let start = Instant::now();
            chronia::time::sleep(Duration::from_millis(50)).await;
            (chronia::runtime::stats().events - before, start.elapsed())
        })
    });
    assert!(slept >= Duration::from_millis(50), "slept {slept:?}");
    // The timerfd's report (none where the wait's own timeout keeps the
    // deadline) and one spurious unpark at most: an unpark event reported
    // on every wait would give one report per turn of a busy loop.
    assert!(reports <= 3, "{reports} reports during one 50 ms sleep");
}
