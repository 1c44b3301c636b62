//! Wakes from other threads: they unpark the executor, once per park, and
//! are harmless once the executor is gone.

mod util;

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread;

use chronia_executor::LocalExecutor;
use util::{CondvarPark, Gate};

#[test]
fn wake_from_another_thread_unparks_a_parked_executor() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let (tx, rx) = mpsc::channel();
    let g = gate.clone();
    let mut park = CondvarPark::new();
    let signal = park.signal.clone();
    let waker_thread = ex.block_on(
        async move {
            let waiter = chronia_executor::spawn(g.wait());
            chronia_executor::yield_now().await;
            // The waiter is parked on the gate; a thread will wake it.
            g.open_without_waking();
            let waker = g.waker();
            let t = thread::spawn(move || {
                rx.recv().expect("the test sends");
                signal.wait_for_parks(1);
                waker.wake();
            });
            tx.send(()).expect("the thread listens");
            waiter.await.expect("no panic");
            t
        },
        &mut park,
    );
    waker_thread.join().expect("the waker thread did not panic");
    assert!(park.blocking >= 1, "the executor parked while waiting");
    assert!(park.signal.unparks.load(Ordering::SeqCst) >= 1);
}

#[test]
fn many_remote_wakes_cost_at_most_one_unpark_per_park() {
    let ex = LocalExecutor::new();
    let gates: Vec<Gate> = (0..50).map(|_| Gate::new()).collect();
    let mut park = CondvarPark::new();
    let signal = park.signal.clone();
    let gs = gates.clone();
    ex.block_on(
        async move {
            let handles: Vec<_> = gs
                .iter()
                .map(|g| chronia_executor::spawn(g.wait()))
                .collect();
            chronia_executor::yield_now().await;
            let wakers: Vec<_> = gs.iter().map(Gate::waker).collect();
            for g in &gs {
                g.open_without_waking();
            }
            let t = thread::spawn(move || {
                signal.wait_for_parks(1);
                for w in wakers {
                    w.wake();
                }
            });
            for h in handles {
                h.await.expect("no panic");
            }
            t.join().expect("the waker thread did not panic");
        },
        &mut park,
    );
    let unparks = park.signal.unparks.load(Ordering::SeqCst);
    assert!(unparks >= 1);
    assert!(
        unparks <= park.blocking,
        "{unparks} unparks for {} parks",
        park.blocking
    );
}

#[test]
fn wake_from_a_thread_after_the_executor_is_dropped_does_nothing() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let counter = std::rc::Rc::new(std::cell::Cell::new(0));
    let guard = util::DropCounter(counter.clone());
    let g = gate.clone();
    let handle = ex.spawn(async move {
        let _guard = guard;
        g.wait().await;
    });
    ex.try_tick();
    let waker = gate.waker();
    drop(ex);
    assert_eq!(counter.get(), 1, "the future was dropped with the executor");
    thread::spawn(move || {
        waker.wake_by_ref();
        waker.wake();
    })
    .join()
    .expect("waking a dead executor's task does not panic");
    assert!(handle.is_finished());
}

#[test]
fn wake_from_this_thread_outside_block_on_runs_task_at_next_block_on() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let handle = ex.spawn(gate.wait());
    ex.try_tick();
    gate.open(); // wakes through the remote queue: the executor is not running
    ex.block_on(handle, &mut CondvarPark::new())
        .expect("no panic");
    assert_eq!(gate.polls(), 2);
}
