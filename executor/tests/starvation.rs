//! A task that wakes itself forever does not starve other tasks or I/O.

mod util;

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use chronia_executor::{LocalExecutor, POLL_BUDGET};
use util::CondvarPark;

#[test]
fn self_waking_task_does_not_stop_another_task_from_completing() {
    let ex = LocalExecutor::new();
    let spins = Rc::new(Cell::new(0_usize));
    let s = spins.clone();
    let spinner = ex.spawn(poll_fn(move |cx| {
        s.set(s.get() + 1);
        cx.waker().wake_by_ref();
        Poll::<()>::Pending
    }));
    let mut park = CondvarPark::new();
    let out = ex.block_on(
        async {
            let worker = chronia_executor::spawn(async {
                for _ in 0..1000 {
                    chronia_executor::yield_now().await;
                }
                "worker done"
            });
            worker.await.expect("no panic")
        },
        &mut park,
    );
    assert_eq!(out, "worker done");
    assert!(spins.get() >= 1000);
    spinner.abort();
    // About two polls per yield (spinner and worker) plus the main future.
    assert!(
        park.zero >= 2000 / POLL_BUDGET - 1,
        "only {} non-blocking parks",
        park.zero
    );
    assert_eq!(park.blocking, 0, "work was always ready");
}

#[test]
fn park_with_zero_timeout_is_called_every_budget_of_polls() {
    let ex = LocalExecutor::new();
    let polls = POLL_BUDGET * 10;
    let mut park = CondvarPark::new();
    ex.block_on(
        async {
            // The main future alone: each yield is one poll.
            for _ in 0..polls - 1 {
                chronia_executor::yield_now().await;
            }
        },
        &mut park,
    );
    assert_eq!(
        park.zero, 9,
        "one turn per {POLL_BUDGET} polls; the last poll returns"
    );
}

#[test]
fn run_ready_stops_after_the_budget() {
    let ex = LocalExecutor::new();
    let spinner = ex.spawn(poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::<()>::Pending
    }));
    assert_eq!(ex.run_ready(), POLL_BUDGET);
    spinner.abort();
    assert_eq!(
        ex.run_ready(),
        1,
        "the aborted task is popped once more and forgotten"
    );
    assert_eq!(ex.run_ready(), 0);
}
