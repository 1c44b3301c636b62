//! A task is one allocation, and its wakers allocate nothing (counted with
//! a counting global allocator, which counts every thread: so the target is
//! `harness = false`, its check on the main thread with no other thread
//! alive; libtest's own main thread allocated inside counted regions on a
//! loaded machine).

mod util;

use std::alloc::System;
use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use chronia_executor::LocalExecutor;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    spawn_is_one_allocation_and_its_wakers_allocate_nothing();
    println!("test spawn_is_one_allocation_and_its_wakers_allocate_nothing ... ok");
    remote_wakes_reuse_the_queue_buffer();
    println!("test remote_wakes_reuse_the_queue_buffer ... ok");
}

fn remote_wakes_reuse_the_queue_buffer() {
    // Outside `run_ready` the executor is not current on this thread: a
    // wake goes through the remote queue, as one from another thread does.
    let ex = LocalExecutor::new();
    let kept: Rc<RefCell<Option<Waker>>> = Rc::new(RefCell::new(None));
    let k = kept.clone();
    let _handle = ex.spawn(poll_fn(move |cx| {
        *k.borrow_mut() = Some(cx.waker().clone());
        Poll::<()>::Pending
    }));
    ex.run_ready();
    let waker = kept.borrow_mut().take().expect("polled");
    // The first remote wake grows the queue's buffer.
    waker.wake_by_ref();
    assert_eq!(ex.run_ready(), 1);
    let waker = kept.borrow_mut().take().expect("polled again");
    let region = Region::new(GLOBAL);
    for _ in 0..3 {
        waker.wake_by_ref();
        assert_eq!(ex.run_ready(), 1);
        // The task left a clone of its waker: drop it outside the region.
        drop(kept.borrow_mut().take());
    }
    let change = region.change();
    assert_eq!(change.allocations, 0, "a remote wake allocated: {change:?}");
    assert_eq!(change.deallocations, 0, "a drain freed: {change:?}");
}

fn spawn_is_one_allocation_and_its_wakers_allocate_nothing() {
    let ex = LocalExecutor::new();
    // Grow the table and the run queue first, so only the task is counted.
    let warm: Vec<_> = (0..64).map(|_| ex.spawn(async {})).collect();
    ex.run_ready();
    drop(warm);
    let kept: Rc<RefCell<Vec<Waker>>> = Rc::new(RefCell::new(Vec::with_capacity(8)));
    let k = kept.clone();

    let region = Region::new(GLOBAL);
    let handle = ex.spawn(poll_fn(move |cx| {
        for _ in 0..4 {
            k.borrow_mut().push(cx.waker().clone());
        }
        Poll::<()>::Pending
    }));
    ex.run_ready();
    let change = region.change();
    assert_eq!(kept.borrow().len(), 4);
    assert_eq!(change.allocations, 1, "{change:?}");
    assert_eq!(change.reallocations, 0, "{change:?}");

    for w in kept.borrow().iter() {
        w.wake_by_ref();
    }
    ex.run_ready();
    let mut park = util::CondvarPark::new();
    let region = Region::new(GLOBAL);
    // Inside block_on the executor is current: the abort's wake is local.
    ex.block_on(async { handle.abort() }, &mut park);
    drop(handle);
    kept.borrow_mut().clear();
    ex.run_ready();
    let change = region.change();
    assert_eq!(change.deallocations, 1, "the task's block: {change:?}");
    assert_eq!(change.allocations, 0, "{change:?}");
}
