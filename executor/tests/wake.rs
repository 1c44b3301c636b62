//! Wakes that come early, twice, late, or while the task runs.

mod util;

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use chronia_executor::LocalExecutor;
use util::{CondvarPark, Gate};

#[test]
fn event_before_first_poll_completes_task_in_one_poll() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let handle = ex.spawn(gate.wait());
    gate.open();
    ex.block_on(handle, &mut CondvarPark::new())
        .expect("no panic");
    assert_eq!(gate.polls(), 1);
}

#[test]
fn wake_of_task_not_yet_polled_again_queues_it_once() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let handle = ex.spawn(gate.wait());
    assert!(ex.try_tick());
    let waker = gate.waker();
    // Scheduled by the first wake; the next ones find it queued.
    waker.wake_by_ref();
    waker.wake_by_ref();
    waker.wake_by_ref();
    assert_eq!(ex.run_ready(), 1);
    assert_eq!(gate.polls(), 2);
    gate.open();
    ex.block_on(handle, &mut CondvarPark::new())
        .expect("no panic");
    assert_eq!(gate.polls(), 3);
}

#[test]
fn waking_twice_from_inside_the_runtime_polls_once() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let handle = ex.spawn(gate.wait());
    let g = gate.clone();
    ex.block_on(
        async move {
            chronia_executor::yield_now().await; // the gate task runs
            let w = g.waker();
            w.wake_by_ref();
            w.wake();
            chronia_executor::yield_now().await; // it runs once
            assert_eq!(g.polls(), 2);
            g.open();
            handle.await.expect("no panic");
        },
        &mut CondvarPark::new(),
    );
    assert_eq!(gate.polls(), 3);
}

#[test]
fn wake_after_completion_does_nothing_even_if_the_slot_is_reused() {
    let ex = LocalExecutor::new();
    let saved: Rc<RefCell<Option<Waker>>> = Rc::default();
    let s = saved.clone();
    let first = ex.spawn(poll_fn(move |cx| {
        *s.borrow_mut() = Some(cx.waker().clone());
        Poll::Ready(())
    }));
    ex.run_ready();
    assert!(first.is_finished());
    // A new task takes the freed slot of the first.
    let polls = Rc::new(Cell::new(0));
    let p = polls.clone();
    let second = ex.spawn(poll_fn(move |_| {
        p.set(p.get() + 1);
        Poll::<()>::Pending
    }));
    ex.run_ready();
    assert_eq!(polls.get(), 1);
    let stale = saved
        .borrow_mut()
        .take()
        .expect("the first task saved its waker");
    stale.wake_by_ref();
    stale.wake();
    assert_eq!(ex.run_ready(), 0);
    assert_eq!(polls.get(), 1);
    drop((first, second));
}

#[test]
fn task_woken_while_running_is_polled_later_not_recursively() {
    let ex = LocalExecutor::new();
    let depth = Rc::new(Cell::new(0));
    let max_depth = Rc::new(Cell::new(0));
    let polls = Rc::new(Cell::new(0));
    let (d, m, p) = (depth.clone(), max_depth.clone(), polls.clone());
    let handle = ex.spawn(poll_fn(move |cx| {
        d.set(d.get() + 1);
        m.set(m.get().max(d.get()));
        p.set(p.get() + 1);
        cx.waker().wake_by_ref();
        let clone = cx.waker().clone();
        clone.wake_by_ref();
        clone.wake();
        d.set(d.get() - 1);
        if p.get() == 5 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }));
    ex.block_on(handle, &mut CondvarPark::new())
        .expect("no panic");
    assert_eq!(polls.get(), 5);
    assert_eq!(max_depth.get(), 1);
}

#[test]
fn waker_is_send_and_sync() {
    fn check<T: Send + Sync>(_: &T) {}
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let handle = ex.spawn(gate.wait());
    ex.try_tick();
    check(&gate.waker());
    handle.abort();
}
