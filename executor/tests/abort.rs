//! `JoinHandle::abort` before the first poll, while pending, after
//! completion, and from inside the task's own poll.

mod util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use chronia_executor::{JoinHandle, LocalExecutor};
use util::{CondvarPark, DropCounter, Gate, pending_forever};

#[test]
fn abort_before_first_poll_drops_future_at_once_and_never_polls_it() {
    let ex = LocalExecutor::new();
    let drops = Rc::new(Cell::new(0));
    let polled = Rc::new(Cell::new(false));
    let (guard, p) = (DropCounter(drops.clone()), polled.clone());
    let handle = ex.spawn(async move {
        let _guard = guard;
        p.set(true);
    });
    handle.abort();
    assert_eq!(drops.get(), 1);
    assert!(handle.is_finished());
    let err = ex
        .block_on(handle, &mut CondvarPark::new())
        .expect_err("the task gave no output");
    assert!(err.is_cancelled());
    assert!(!polled.get());
    // The table forgets an aborted task the next time the run loop meets it.
    ex.run_ready();
    assert_eq!(format!("{ex:?}"), "LocalExecutor { tasks: 0, .. }");
}

#[test]
fn abort_while_pending_drops_future_at_once() {
    let ex = LocalExecutor::new();
    let drops = Rc::new(Cell::new(0));
    let handle = ex.spawn(pending_forever(DropCounter(drops.clone())));
    ex.run_ready();
    assert_eq!(drops.get(), 0);
    handle.abort();
    assert_eq!(drops.get(), 1);
    assert!(
        ex.block_on(handle, &mut CondvarPark::new())
            .expect_err("the task gave no output")
            .is_cancelled()
    );
    drop(ex);
    assert_eq!(drops.get(), 1);
}

#[test]
fn abort_from_another_task_wakes_the_joiner_with_cancelled() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let g = gate.clone();
    let err = ex.block_on(
        async move {
            let victim = chronia_executor::spawn(g.wait());
            let victim = Rc::new(victim);
            let v = victim.clone();
            let killer = chronia_executor::spawn(async move { v.abort() });
            chronia_executor::yield_now().await;
            killer.await.expect("no panic");
            let victim = Rc::try_unwrap(victim).expect("the killer is done");
            victim.await.expect_err("the task gave no output")
        },
        &mut CondvarPark::new(),
    );
    assert!(err.is_cancelled());
    ex.run_ready();
    assert_eq!(format!("{ex:?}"), "LocalExecutor { tasks: 0, .. }");
}

#[test]
fn abort_after_completion_keeps_the_output() {
    let ex = LocalExecutor::new();
    let handle = ex.spawn(async { 7 });
    ex.run_ready();
    handle.abort();
    assert_eq!(
        ex.block_on(handle, &mut CondvarPark::new())
            .expect("completed"),
        7
    );
}

#[test]
fn abort_from_inside_own_poll_drops_future_after_that_poll() {
    let ex = LocalExecutor::new();
    let drops = Rc::new(Cell::new(0));
    let slot: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
    let (s, d, guard) = (slot.clone(), drops.clone(), DropCounter(drops.clone()));
    let dropped_during_poll = Rc::new(Cell::new(true));
    let ddp = dropped_during_poll.clone();
    let handle = ex.spawn(async move {
        let _guard = guard;
        chronia_executor::yield_now().await;
        s.borrow()
            .as_ref()
            .expect("the test stored the handle")
            .abort();
        // Still alive: the drop waits until this poll returns.
        ddp.set(d.get() != 0);
        std::future::pending::<()>().await;
    });
    *slot.borrow_mut() = Some(handle);
    ex.run_ready();
    assert!(!dropped_during_poll.get());
    assert_eq!(drops.get(), 1);
    let handle = slot.borrow_mut().take().expect("stored above");
    assert!(handle.is_finished());
    assert!(
        ex.block_on(handle, &mut CondvarPark::new())
            .expect_err("the task gave no output")
            .is_cancelled()
    );
}
