//! Bytes and allocations per spawned task that waits (like a task asleep
//! on a timer: it was polled once and a clone of its waker is held
//! elsewhere), measured with a counting global allocator (`stats_alloc`).
//!
//! Run: `cargo bench -p chronia-executor --bench task_size`
//!
//! Prints the live heap bytes and the allocations the executor holds per
//! waiting task, and the same figures minus the future's own size (the
//! future is part of the task's allocation, so "beyond the future" is the
//! bytes minus `size_of` of the future). The task table (a `Vec`) grows
//! by doubling, so its share per task depends on `TASKS`; the figure is
//! measured, not computed. Nothing is asserted.

use std::alloc::System;
use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use chronia_executor::LocalExecutor;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const TASKS: usize = 100_000;

#[expect(clippy::cast_precision_loss, reason = "counts fit in f64")]
fn per_task(total: usize) -> f64 {
    total as f64 / TASKS as f64
}

fn main() {
    let ex = LocalExecutor::new();
    // Where the "timer" keeps each task's waker; allocated up front so it
    // is not counted.
    let wakers: Rc<RefCell<Vec<Waker>>> = Rc::new(RefCell::new(Vec::with_capacity(TASKS)));
    let mut handles = Vec::with_capacity(TASKS);
    let mut future_size = 0;
    let region = Region::new(GLOBAL);
    for _ in 0..TASKS {
        let w = wakers.clone();
        let mut polled = false;
        let future = poll_fn(move |cx| {
            if !polled {
                polled = true;
                w.borrow_mut().push(cx.waker().clone());
            }
            Poll::<()>::Pending
        });
        future_size = size_of_val(&future);
        handles.push(ex.spawn(future));
    }
    while ex.run_ready() > 0 {}
    let change = region.change();
    assert_eq!(wakers.borrow().len(), TASKS, "every task was polled once");
    // Everything counted is still alive, so nothing was freed beyond it.
    let bytes = per_task(change.bytes_allocated - change.bytes_deallocated);
    let allocs = per_task(change.allocations - change.deallocations);
    #[expect(clippy::cast_precision_loss, reason = "a size fits in f64")]
    let beyond = bytes - future_size as f64;
    println!("{TASKS} waiting tasks, each polled once, its waker held elsewhere:");
    println!("  bytes per task          {bytes:>7.1}");
    println!("  allocations per task    {allocs:>7.2}");
    println!("  future size             {future_size:>5} B");
    println!("  bytes beyond the future {beyond:>7.1}");
    for h in &handles {
        h.abort();
    }
    drop(handles);
    drop(ex);
}
