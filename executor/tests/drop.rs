//! Dropping the executor drops every future exactly once, including
//! futures whose `Drop` spawns tasks or wakes wakers.

mod util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::Waker;

use chronia_executor::LocalExecutor;
use util::{CondvarPark, DropCounter, Gate, pending_forever};

#[test]
fn dropping_executor_drops_every_future_exactly_once() {
    let drops = Rc::new(Cell::new(0));
    let ex = LocalExecutor::new();
    let mut handles = Vec::new();
    for _ in 0..10 {
        handles.push(ex.spawn(pending_forever(DropCounter(drops.clone()))));
    }
    for _ in 0..5 {
        drop(ex.spawn(pending_forever(DropCounter(drops.clone()))));
    }
    ex.run_ready(); // some polled, some not: all must drop
    for _ in 0..5 {
        drop(ex.spawn(pending_forever(DropCounter(drops.clone()))));
    }
    assert_eq!(drops.get(), 0);
    drop(ex);
    assert_eq!(drops.get(), 20);
    for h in &handles {
        assert!(h.is_finished());
    }
    drop(handles);
    assert_eq!(drops.get(), 20);
}

#[test]
fn task_output_is_dropped_exactly_once() {
    let drops = Rc::new(Cell::new(0));
    let ex = LocalExecutor::new();
    let d = drops.clone();
    let handle = ex.spawn(async move { DropCounter(d) });
    ex.run_ready();
    assert_eq!(drops.get(), 0, "kept for the JoinHandle");
    let out = ex
        .block_on(handle, &mut CondvarPark::new())
        .expect("no panic");
    assert_eq!(drops.get(), 0);
    drop(out);
    drop(ex);
    assert_eq!(drops.get(), 1);
}

#[test]
fn join_handle_of_cancelled_task_after_executor_drop_says_cancelled() {
    let ex = LocalExecutor::new();
    let mut handle = ex.spawn(std::future::pending::<()>());
    drop(ex);
    let waker = Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    match std::pin::Pin::new(&mut handle).poll(&mut cx) {
        std::task::Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
        other => panic!("expected a cancelled JoinError, got {other:?}"),
    }
}

use std::future::Future;

struct SpawnOnDrop(Rc<Cell<usize>>);

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let drops = self.0.clone();
        // Spawns a task that must itself be dropped with the executor.
        drop(chronia_executor::spawn(pending_forever(DropCounter(drops))));
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn futures_whose_drop_spawns_are_dropped_with_their_spawns() {
    let drops = Rc::new(Cell::new(0));
    let ex = LocalExecutor::new();
    for _ in 0..3 {
        let guard = SpawnOnDrop(drops.clone());
        drop(ex.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }));
    }
    ex.run_ready();
    drop(ex);
    assert_eq!(drops.get(), 6, "3 futures and the 3 tasks they spawned");
}

struct WakeOnDrop(Rc<RefCell<Vec<Waker>>>, Rc<Cell<usize>>);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        for w in self.0.borrow().iter() {
            w.wake_by_ref();
        }
        self.1.set(self.1.get() + 1);
    }
}

#[test]
fn futures_whose_drop_wakes_tasks_are_dropped_once() {
    let drops = Rc::new(Cell::new(0));
    let wakers: Rc<RefCell<Vec<Waker>>> = Rc::default();
    let ex = LocalExecutor::new();
    let gates: Vec<Gate> = (0..4).map(|_| Gate::new()).collect();
    for g in &gates {
        let guard = WakeOnDrop(wakers.clone(), drops.clone());
        let g = g.clone();
        drop(ex.spawn(async move {
            let _guard = guard;
            g.wait().await;
        }));
    }
    ex.run_ready();
    wakers.borrow_mut().extend(gates.iter().map(Gate::waker));
    drop(ex);
    assert_eq!(drops.get(), 4);
}

#[test]
fn executor_dropped_inside_another_executor_task_is_clean() {
    let outer = LocalExecutor::new();
    let drops = Rc::new(Cell::new(0));
    let d = drops.clone();
    outer.block_on(
        async move {
            let inner = LocalExecutor::new();
            drop(inner.spawn(async move {
                let _guard = SpawnOnDrop(d);
                std::future::pending::<()>().await;
            }));
            inner.run_ready();
            drop(inner);
            chronia_executor::yield_now().await;
        },
        &mut CondvarPark::new(),
    );
    // The future was dropped; what its Drop spawned went to the outer executor.
    assert_eq!(drops.get(), 1);
    drop(outer);
    assert_eq!(drops.get(), 2);
}

#[test]
fn executor_in_a_thread_local_drops_cleanly_at_thread_exit() {
    thread_local! {
        static EXECUTOR: LocalExecutor = LocalExecutor::new();
    }
    std::thread::spawn(|| {
        EXECUTOR.with(|ex| {
            drop(ex.spawn(std::future::pending::<()>()));
            ex.run_ready();
        });
    })
    .join()
    .expect("dropping the executor at thread exit does not panic");
}
