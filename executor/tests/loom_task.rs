//! Loom models of the task state transitions that cross threads: a wake
//! from another thread racing the task's completion, its abort, its join,
//! and the executor's drop. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p chronia-executor --release --test loom_task`.
//!
//! The executor's atomics, mutex and thread-locals are loom's under
//! `--cfg loom` (see `src/sync.rs`); each task holds one loom `Arc`, so a
//! task block that is never freed fails the model as a leak, and a wake
//! that is lost leaves `block_on` parked: a deadlock, which loom reports.

#![cfg(loom)]

mod loom_util;

use std::future::poll_fn;
use std::task::Poll;

use chronia_executor::LocalExecutor;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom_util::{LoomPark, WakerSlot, model};

/// A task that leaves its waker in `slot` and is ready once `flag` is
/// set (read Relaxed: only the wake's own ordering makes it visible).
fn flag_task(
    slot: WakerSlot,
    flag: Arc<AtomicBool>,
    polls: Arc<AtomicUsize>,
) -> impl std::future::Future<Output = ()> {
    poll_fn(move |cx| {
        polls.fetch_add(1, Ordering::Relaxed);
        if flag.load(Ordering::Relaxed) {
            return Poll::Ready(());
        }
        *slot.lock().expect("not poisoned") = Some(cx.waker().clone());
        Poll::Pending
    })
}

/// Spawns a [`flag_task`] on `ex` and polls it once: its handle and the
/// waker it left.
fn spawned_and_waiting(
    ex: &LocalExecutor,
    flag: Arc<AtomicBool>,
    polls: Arc<AtomicUsize>,
) -> (chronia_executor::JoinHandle<()>, std::task::Waker) {
    let slot = WakerSlot::default();
    let handle = ex.spawn(flag_task(slot.clone(), flag, polls));
    ex.run_ready();
    let waker = slot
        .lock()
        .expect("not poisoned")
        .take()
        .expect("the first poll left its waker");
    (handle, waker)
}

#[test]
fn wake_from_another_thread_races_completion_and_join() {
    model(|| {
        let ex = LocalExecutor::new();
        let flag = Arc::new(AtomicBool::new(false));
        let polls = Arc::new(AtomicUsize::new(0));
        let (handle, waker) = spawned_and_waiting(&ex, flag.clone(), polls.clone());
        let f = flag.clone();
        let t = loom::thread::spawn(move || {
            f.store(true, Ordering::Relaxed);
            waker.wake_by_ref();
            // A second wake races the completion the first one caused.
            waker.wake();
        });
        ex.block_on(handle, &mut LoomPark::default())
            .expect("no panic");
        t.join().expect("the waking thread did not panic");
        assert!(polls.load(Ordering::Relaxed) >= 2);
        drop(ex);
    });
}

#[test]
fn wake_from_another_thread_races_abort() {
    model(|| {
        let ex = LocalExecutor::new();
        let flag = Arc::new(AtomicBool::new(false));
        let polls = Arc::new(AtomicUsize::new(0));
        let (handle, waker) = spawned_and_waiting(&ex, flag, polls.clone());
        let t = loom::thread::spawn(move || waker.wake());
        handle.abort();
        ex.run_ready();
        let err = ex
            .block_on(handle, &mut LoomPark::default())
            .expect_err("aborted");
        assert!(err.is_cancelled());
        t.join().expect("the waking thread did not panic");
        // Polled once: the abort came before any poll the wake asked for.
        assert_eq!(polls.load(Ordering::Relaxed), 1);
        ex.run_ready();
        assert_eq!(format!("{ex:?}"), "LocalExecutor { tasks: 0, .. }");
    });
}

#[test]
fn wake_and_last_drop_on_another_thread_race_the_executor_drop() {
    model(|| {
        let ex = LocalExecutor::new();
        let (handle, waker) = spawned_and_waiting(&ex, Arc::default(), Arc::default());
        // Either thread may hold the last reference and free the block.
        let t = loom::thread::spawn(move || waker.wake());
        drop(handle);
        drop(ex);
        t.join().expect("the waking thread did not panic");
    });
}

#[test]
fn a_second_remote_wake_after_the_first_was_taken_is_not_lost() {
    model(|| {
        let ex = LocalExecutor::new();
        let slot = WakerSlot::default();
        let steps = Arc::new(AtomicUsize::new(0));
        let (s, st) = (slot.clone(), steps.clone());
        // Ready once it has seen both steps; each step comes with a wake.
        let handle = ex.spawn(poll_fn(move |cx| {
            if st.load(Ordering::Relaxed) == 2 {
                return Poll::Ready(());
            }
            *s.lock().expect("not poisoned") = Some(cx.waker().clone());
            Poll::Pending
        }));
        ex.run_ready();
        let waker = slot
            .lock()
            .expect("not poisoned")
            .take()
            .expect("the first poll left its waker");
        let st = steps.clone();
        let t = loom::thread::spawn(move || {
            st.store(1, Ordering::Relaxed);
            waker.wake_by_ref();
            st.store(2, Ordering::Relaxed);
            waker.wake();
        });
        ex.block_on(handle, &mut LoomPark::default())
            .expect("no panic");
        t.join().expect("the waking thread did not panic");
    });
}

/// A task awaiting another's `JoinHandle` leaves a reference to itself in
/// that task's join word; it is woken and dropped on the executor's thread
/// by the completion, while another thread wakes the awaited task and
/// drops its own clone of the awaiter's waker: either may be the last
/// reference of the awaiter but one, and nothing leaks.
#[test]
fn a_join_word_task_reference_races_a_remote_waker_drop() {
    model(|| {
        let ex = LocalExecutor::new();
        let slot = WakerSlot::default();
        let flag = Arc::new(AtomicBool::new(false));
        let polls = Arc::new(AtomicUsize::new(0));
        let worker = ex.spawn(flag_task(slot.clone(), flag.clone(), polls));
        let awaiter_slot = WakerSlot::default();
        let a = awaiter_slot.clone();
        let mut worker = worker;
        let awaiter = ex.spawn(poll_fn(move |cx| {
            a.lock()
                .expect("not poisoned")
                .get_or_insert_with(|| cx.waker().clone());
            std::future::Future::poll(std::pin::Pin::new(&mut worker), cx)
        }));
        ex.run_ready();
        let worker_waker = slot
            .lock()
            .expect("not poisoned")
            .take()
            .expect("the worker's first poll left its waker");
        let awaiter_waker = awaiter_slot
            .lock()
            .expect("not poisoned")
            .take()
            .expect("the awaiter's first poll left its waker");
        let f = flag.clone();
        let t = loom::thread::spawn(move || {
            f.store(true, Ordering::Relaxed);
            worker_waker.wake();
            drop(awaiter_waker);
        });
        ex.block_on(awaiter, &mut LoomPark::default())
            .expect("no panic")
            .expect("no panic");
        t.join().expect("the waking thread did not panic");
        drop(slot);
        drop(ex);
    });
}

/// Once the executor is gone, every local reference is counted in the
/// task's shared word: the first local operation after the drop folds the
/// local count in. Here the `JoinHandle` and `AbortHandle`s, kept past the
/// executor on its thread, race a waker's drop on another thread (whose
/// local reference the executor either took back before it closed, or
/// that is counted down there after): whichever is last frees the block,
/// once, and nothing leaks.
#[test]
fn local_references_kept_past_the_executor_race_a_waker_drop_elsewhere() {
    model(|| {
        let ex = LocalExecutor::new();
        let (handle, waker) = spawned_and_waiting(&ex, Arc::default(), Arc::default());
        let abort = handle.abort_handle();
        let t = loom::thread::spawn(move || drop(waker));
        drop(ex);
        let again = abort.clone();
        drop(abort);
        assert!(handle.is_finished(), "the executor's drop cancelled it");
        drop(handle);
        drop(again);
        t.join().expect("the dropping thread did not panic");
    });
}
