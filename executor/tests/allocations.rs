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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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
    wakes_by_value_off_the_executor_reuse_the_buffers();
    println!("test wakes_by_value_off_the_executor_reuse_the_buffers ... ok");
}

/// Spawns a task that is pending forever and leaves a clone of its waker
/// in the cell returned with its handle at each poll.
fn a_task_keeping_its_waker(
    ex: &LocalExecutor,
) -> (chronia_executor::JoinHandle<()>, Rc<RefCell<Option<Waker>>>) {
    let kept: Rc<RefCell<Option<Waker>>> = Rc::new(RefCell::new(None));
    let k = kept.clone();
    let handle = ex.spawn(poll_fn(move |cx| {
        *k.borrow_mut() = Some(cx.waker().clone());
        Poll::<()>::Pending
    }));
    (handle, kept)
}

/// A task's waker woken by value where the executor is not current: on
/// its thread (the local reference drops there), and on another thread
/// (it goes back with the wake, in the remote queue's second buffer):
/// after the first of each, neither allocates.
fn wakes_by_value_off_the_executor_reuse_the_buffers() {
    let ex = LocalExecutor::new();
    let (_handle, kept) = a_task_keeping_its_waker(&ex);
    ex.run_ready();
    // A slot and a flag, not a channel: a channel may allocate when a
    // receiver blocks.
    let slot: Arc<(Mutex<Option<Waker>>, AtomicBool)> = Arc::default();
    let other = Arc::clone(&slot);
    let waker_thread = std::thread::spawn(move || {
        loop {
            let waker = other.0.lock().expect("not poisoned").take();
            match waker {
                Some(waker) => {
                    waker.wake();
                    other.1.store(true, Ordering::Release);
                }
                None if Arc::strong_count(&other) == 1 => return,
                None => std::thread::yield_now(),
            }
        }
    });
    let round = |elsewhere: bool| {
        let waker = kept.borrow_mut().take().expect("polled");
        if elsewhere {
            *slot.0.lock().expect("not poisoned") = Some(waker);
            while !slot.1.swap(false, Ordering::Acquire) {
                std::thread::yield_now();
            }
        } else {
            waker.wake();
        }
        assert_eq!(ex.run_ready(), 1);
    };
    // The first of each grows its buffer.
    round(false);
    round(true);
    let region = Region::new(GLOBAL);
    for _ in 0..3 {
        round(false);
        round(true);
    }
    let change = region.change();
    drop(slot);
    waker_thread.join().expect("the waker thread");
    assert_eq!(change.allocations, 0, "a wake allocated: {change:?}");
    assert_eq!(change.deallocations, 0, "a drain freed: {change:?}");
}

fn remote_wakes_reuse_the_queue_buffer() {
    // Outside `run_ready` the executor is not current on this thread: a
    // wake goes through the remote queue, as one from another thread does.
    let ex = LocalExecutor::new();
    let (_handle, kept) = a_task_keeping_its_waker(&ex);
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
