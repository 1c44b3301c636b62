//! The last reference to a task may go on another thread (a waker kept by
//! a timer or I/O thread): the task is freed there, and nothing that is
//! not `Send` (its future, its output) is dropped there.

mod util;

use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use chronia_executor::LocalExecutor;
use util::{CondvarPark, Gate};

/// Records the thread its drop ran on; `!Send`, as a task's future and
/// output may be.
struct DropsOn(Arc<Mutex<Option<ThreadId>>>, PhantomData<Rc<()>>);

impl Drop for DropsOn {
    fn drop(&mut self) {
        *self.0.lock().expect("not poisoned") = Some(thread::current().id());
    }
}

#[test]
fn last_waker_dropped_on_another_thread_frees_the_task_but_drops_nothing_there() {
    let future_drop = Arc::new(Mutex::new(None));
    let output_drop = Arc::new(Mutex::new(None));
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let (g, f, o) = (gate.clone(), future_drop.clone(), output_drop.clone());
    let handle = ex.spawn(async move {
        let _future_part = DropsOn(f, PhantomData);
        g.wait().await;
        DropsOn(o, PhantomData)
    });
    ex.run_ready();
    let waker = gate.waker();
    gate.open();
    ex.run_ready();
    assert!(handle.is_finished());
    drop(handle); // the output is dropped here, on this thread
    drop(ex);
    let here = thread::current().id();
    assert_eq!(*future_drop.lock().expect("not poisoned"), Some(here));
    assert_eq!(*output_drop.lock().expect("not poisoned"), Some(here));
    drop(gate);
    thread::spawn(move || {
        waker.wake_by_ref();
        drop(waker); // the last reference: the block is freed on this thread
    })
    .join()
    .expect("the thread did not panic");
}

#[test]
fn wakes_from_another_thread_racing_completion_lose_nothing() {
    for _ in 0..20 {
        let ex = LocalExecutor::new();
        let gate = Gate::new();
        let g = gate.clone();
        let mut park = CondvarPark::new();
        let woken = ex.block_on(
            async move {
                let waiter = chronia_executor::spawn(g.wait());
                chronia_executor::yield_now().await;
                g.open_without_waking();
                let waker = g.waker();
                let t = thread::spawn(move || {
                    for _ in 0..3 {
                        waker.wake_by_ref();
                    }
                    waker
                });
                waiter.await.expect("no panic");
                t.join().expect("the thread did not panic")
            },
            &mut park,
        );
        drop(ex);
        // The executor is gone; waking and dropping its task's waker is a no-op.
        thread::spawn(move || woken.wake())
            .join()
            .expect("the thread did not panic");
    }
}

#[test]
fn a_task_woken_from_another_thread_after_abort_is_forgotten() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let handle = ex.spawn(gate.wait());
    ex.run_ready();
    let waker = gate.waker();
    handle.abort();
    thread::spawn(move || waker.wake())
        .join()
        .expect("the thread did not panic");
    ex.run_ready();
    assert_eq!(format!("{ex:?}"), "LocalExecutor { tasks: 0, .. }");
    assert!(
        ex.block_on(handle, &mut CondvarPark::new())
            .expect_err("cancelled")
            .is_cancelled()
    );
}

/// A waker cloned in a poll wakes the same as the poll's own waker (so
/// wait lists that keep one waker per task do not clone it again), and a
/// clone made on another thread wakes the task from there.
#[test]
fn clones_here_will_wake_the_polls_waker_and_clones_elsewhere_wake_the_task() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let g = gate.clone();
    let same = Rc::new(std::cell::Cell::new(false));
    let s = same.clone();
    let handle = ex.spawn(async move {
        std::future::poll_fn(|cx| {
            s.set(cx.waker().clone().will_wake(cx.waker()));
            std::task::Poll::Ready(())
        })
        .await;
        g.wait().await;
        7
    });
    ex.run_ready();
    assert!(same.get(), "a clone made in the poll will_wake its waker");
    let waker = gate.waker();
    gate.open_without_waking();
    thread::spawn(move || {
        let clone = waker.clone();
        drop(waker);
        clone.wake();
    })
    .join()
    .expect("the thread did not panic");
    let out = ex.block_on(handle, &mut CondvarPark::new());
    assert_eq!(out.expect("no panic"), 7);
}

/// Wakers dropped on another thread while the executor lives give their
/// references back to it; dropped there after it is gone, they count down
/// in the task's shared word, as the handles kept past it on this thread
/// do. Miri (`cargo +nightly miri test -p chronia-executor`) checks that
/// each block is freed once and none leaks.
#[test]
fn wakers_dropped_elsewhere_before_and_after_the_executor_free_each_task_once() {
    let ex = LocalExecutor::new();
    let (early, late) = (Gate::new(), Gate::new());
    let (e, l) = (early.clone(), late.clone());
    let first = ex.spawn(async move { e.wait().await });
    let second = ex.spawn(async move { l.wait().await });
    ex.run_ready();
    let (early_waker, late_waker) = (early.waker(), late.waker());
    drop((early, late));
    // Back to the executor, which takes it at its next drain.
    thread::spawn(move || drop(early_waker))
        .join()
        .expect("the thread did not panic");
    ex.run_ready();
    let abort = second.abort_handle();
    drop(ex);
    let again = abort.clone();
    drop(abort);
    // The executor is gone: counted in the shared word there.
    thread::spawn(move || drop(late_waker))
        .join()
        .expect("the thread did not panic");
    assert!(first.is_finished() && second.is_finished());
    drop((first, second, again));
}

/// The last reference of a task, a waker cloned on another thread, frees
/// the block there while the executor lives; the executor's own frees and
/// that one together give its remote queue back when it drops (Miri
/// reports a leak or a double free otherwise).
#[test]
fn a_block_freed_on_another_thread_while_the_executor_lives_is_counted_once() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let g = gate.clone();
    let handle = ex.spawn(async move { g.wait().await });
    let other = ex.spawn(async {});
    ex.run_ready();
    let waker = gate.waker();
    let (to_thread, from_main) = std::sync::mpsc::channel::<()>();
    let (to_main, from_thread) = std::sync::mpsc::channel::<()>();
    let thread = thread::spawn(move || {
        // Cloned here: a shared reference, which this thread may free.
        let shared = waker.clone();
        drop(waker);
        to_main.send(()).expect("main waits");
        from_main.recv().expect("main says when");
        drop(shared);
    });
    from_thread.recv().expect("the clone was made");
    gate.open_without_waking();
    drop(gate);
    ex.run_ready();
    handle.abort();
    ex.run_ready();
    drop(handle);
    // Only the other thread's shared waker is left: the block goes there.
    to_thread.send(()).expect("the thread waits");
    thread.join().expect("the thread did not panic");
    drop(other);
    drop(ex);
}

/// A task that keeps a clone of its own waker (made on the executor's
/// thread) and finishes; its handle dropped, that waker is its last
/// reference.
fn last_waker_of_a_finished_task(ex: &LocalExecutor) -> std::task::Waker {
    let slot: Arc<Mutex<Option<std::task::Waker>>> = Arc::default();
    let s = slot.clone();
    let handle = ex.spawn(std::future::poll_fn(move |cx| {
        *s.lock().expect("not poisoned") = Some(cx.waker().clone());
        std::task::Poll::Ready(())
    }));
    ex.run_ready();
    assert!(handle.is_finished());
    drop(handle);
    let waker = slot.lock().expect("not poisoned").take();
    waker.expect("the task left its waker")
}

/// A task's last reference, a waker made on the executor's thread, dropped
/// or woken on another thread while the executor drops: the push that
/// hands the reference back may be the last thing keeping the executor's
/// remote queue alive (found in review; Miri checks that nothing refers
/// to the remote once it may be freed).
#[test]
fn a_last_waker_dropped_or_woken_elsewhere_races_the_executors_drop() {
    for wake in [false, true] {
        let ex = LocalExecutor::new();
        let waker = last_waker_of_a_finished_task(&ex);
        let t = thread::spawn(move || {
            if wake {
                waker.wake();
            } else {
                drop(waker);
            }
        });
        drop(ex);
        t.join().expect("the thread did not panic");
    }
}

/// A shared waker (cloned on another thread) dropped there while this
/// thread drops the task's last local reference: either may free the
/// block, and the other's decrement must not refer to it after (found in
/// review).
#[test]
fn a_shared_waker_dropped_elsewhere_races_the_last_local_drop() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let g = gate.clone();
    let handle = ex.spawn(async move { g.wait().await });
    ex.run_ready();
    let local = gate.waker();
    drop(gate);
    let shared = thread::spawn(move || {
        let shared = local.clone();
        drop(local);
        shared
    })
    .join()
    .expect("the thread did not panic");
    ex.run_ready();
    handle.abort();
    ex.run_ready();
    let t = thread::spawn(move || drop(shared));
    drop(handle);
    t.join().expect("the thread did not panic");
    drop(ex);
}
