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
