//! Loom model of the executor's cross-thread wake / park handshake
//! (`src/remote.rs`): a wake from another thread while the executor is
//! about to park, parking, or running is never lost, and costs at most one
//! unpark per park. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p chronia-executor --release --test loom_park`.

#![cfg(loom)]

mod loom_util;

use std::future::poll_fn;
use std::task::Poll;

use chronia_executor::LocalExecutor;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom_util::{LoomPark, WakerSlot, model};

#[test]
fn remote_wake_of_the_main_future_is_never_lost() {
    model(|| {
        let ex = LocalExecutor::new();
        let slot = WakerSlot::default();
        let flag = Arc::new(AtomicBool::new(false));
        let (s, f) = (slot.clone(), flag.clone());
        let mut started = None;
        ex.block_on(
            poll_fn(|cx| {
                if f.load(Ordering::Relaxed) {
                    return Poll::Ready(());
                }
                if started.is_none() {
                    *s.lock().expect("not poisoned") = Some(cx.waker().clone());
                    let (s, f) = (s.clone(), f.clone());
                    started = Some(loom::thread::spawn(move || {
                        let waker = s.lock().expect("not poisoned").take();
                        f.store(true, Ordering::Relaxed);
                        waker.expect("left before the thread started").wake();
                    }));
                }
                Poll::Pending
            }),
            &mut LoomPark::default(),
        );
        started
            .expect("the thread was started")
            .join()
            .expect("the waking thread did not panic");
    });
}

#[test]
fn remote_wakes_of_two_tasks_are_never_lost() {
    model(|| {
        let ex = LocalExecutor::new();
        let slots = [WakerSlot::default(), WakerSlot::default()];
        let flags = [
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        ];
        let handles: Vec<_> = slots
            .iter()
            .zip(&flags)
            .map(|(slot, flag)| {
                let (slot, flag) = (slot.clone(), flag.clone());
                ex.spawn(poll_fn(move |cx| {
                    if flag.load(Ordering::Relaxed) {
                        return Poll::Ready(());
                    }
                    *slot.lock().expect("not poisoned") = Some(cx.waker().clone());
                    Poll::Pending
                }))
            })
            .collect();
        ex.run_ready();
        let wakers: Vec<_> = slots
            .iter()
            .map(|s| s.lock().expect("not poisoned").take().expect("polled"))
            .collect();
        let t = loom::thread::spawn(move || {
            for (waker, flag) in wakers.into_iter().zip(flags) {
                flag.store(true, Ordering::Relaxed);
                waker.wake();
            }
        });
        ex.block_on(
            async {
                for h in handles {
                    h.await.expect("no panic");
                }
            },
            &mut LoomPark::default(),
        );
        t.join().expect("the waking thread did not panic");
    });
}
