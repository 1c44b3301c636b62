//! The joiner's waker costs no allocation when the awaiter is a chronia
//! task or the main future of `block_on`, one (the box) for any other
//! waker, and none when the same waker polls again (counted with a
//! counting global allocator, which counts every thread: so the target is
//! `harness = false`, its check on the main thread with no other thread
//! alive; libtest's own main thread allocated inside counted regions on a
//! loaded machine).

mod util;

use std::alloc::System;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use chronia_executor::LocalExecutor;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use util::{CondvarPark, Gate};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

struct Nothing;

impl Wake for Nothing {
    fn wake(self: Arc<Self>) {}
}

fn main() {
    if cfg!(miri) {
        // Miri gives each use of a waker's const vtable its own address, so
        // `will_wake` of a clone of a foreign waker is false there and the
        // box is renewed at each poll (the paths themselves run under Miri
        // in tests/join.rs).
        println!(
            "test awaiting_a_handle_allocates_only_for_a_foreign_waker_and_only_once ... ignored under Miri"
        );
        return;
    }
    awaiting_a_handle_allocates_only_for_a_foreign_waker_and_only_once();
    println!("test awaiting_a_handle_allocates_only_for_a_foreign_waker_and_only_once ... ok");
}

fn awaiting_a_handle_allocates_only_for_a_foreign_waker_and_only_once() {
    let ex = LocalExecutor::new();
    let mut park = CondvarPark::new();
    // Grow the table and the run queue first.
    let warm: Vec<_> = (0..64).map(|_| ex.spawn(async {})).collect();
    ex.run_ready();
    drop(warm);
    let gate = Gate::new();
    let g = gate.clone();
    let mut worker = ex.spawn(async move { g.wait().await });

    // A foreign waker: one box, then nothing however often it polls.
    let foreign = Waker::from(Arc::new(Nothing));
    let mut cx = Context::from_waker(&foreign);
    let region = Region::new(GLOBAL);
    for _ in 0..5 {
        assert!(Pin::new(&mut worker).poll(&mut cx).is_pending());
    }
    let change = region.change();
    assert_eq!(change.allocations, 1, "one box: {change:?}");

    // The main future of block_on: no allocation, and the old box freed.
    let region = Region::new(GLOBAL);
    ex.block_on(
        poll_fn(|cx| {
            for _ in 0..5 {
                assert!(Pin::new(&mut worker).poll(cx).is_pending());
            }
            Poll::Ready(())
        }),
        &mut park,
    );
    let change = region.change();
    assert_eq!(change.allocations, 0, "{change:?}");
    assert_eq!(
        change.deallocations, 1,
        "the foreign waker's box: {change:?}"
    );

    // A task awaiting it, polled five times (it wakes itself): no
    // allocation.
    let waiter = ex.spawn(async move {
        let mut polls = 0;
        poll_fn(|cx| {
            polls += 1;
            if polls < 5 {
                cx.waker().wake_by_ref();
            }
            Pin::new(&mut worker).poll(cx)
        })
        .await
    });
    let region = Region::new(GLOBAL);
    ex.run_ready();
    let change = region.change();
    assert_eq!(change.allocations, 0, "{change:?}");
    assert!(!waiter.is_finished(), "it waits for the worker");
    gate.open();
    ex.block_on(waiter, &mut park)
        .expect("no panic")
        .expect("no panic");
}
