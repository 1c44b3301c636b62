//! `chronia::sync::Barrier`: opens at n, one leader per generation,
//! reusable, cancelled waits take their arrival back.

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use chronia::sync::Barrier;
use chronia::task::yield_now;
use util::within;

async fn settle() {
    for _ in 0..20 {
        yield_now().await;
    }
}

#[test]
fn the_barrier_opens_when_the_last_task_arrives() {
    chronia::block_on(async {
        let barrier = Rc::new(Barrier::new(5));
        let passed = Rc::new(RefCell::new(0));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let (barrier, passed) = (Rc::clone(&barrier), Rc::clone(&passed));
            tasks.push(chronia::spawn(async move {
                let leader = barrier.wait().await.is_leader();
                *passed.borrow_mut() += 1;
                leader
            }));
        }
        settle().await;
        assert_eq!(*passed.borrow(), 0);
        assert!(barrier.wait().await.is_leader());
        for task in tasks {
            assert!(!within("task", task).await.expect("no panic"));
        }
        assert_eq!(*passed.borrow(), 4);
    });
}

#[test]
fn the_barrier_is_reusable() {
    chronia::block_on(async {
        let barrier = Rc::new(Barrier::new(2));
        let other = Rc::clone(&barrier);
        let task = chronia::spawn(async move {
            let mut leaders = 0;
            for _ in 0..10 {
                leaders += usize::from(other.wait().await.is_leader());
            }
            leaders
        });
        let mut leaders = 0;
        for _ in 0..10 {
            leaders += usize::from(within("wait", barrier.wait()).await.is_leader());
        }
        leaders += within("task", task).await.expect("no panic");
        assert_eq!(leaders, 10);
    });
}

#[test]
fn a_cancelled_wait_takes_its_arrival_back() {
    let barrier = Barrier::new(2);
    let mut cx = Context::from_waker(Waker::noop());
    let mut gone = Box::pin(barrier.wait());
    assert!(gone.as_mut().poll(&mut cx).is_pending());
    drop(gone);
    let mut first = Box::pin(barrier.wait());
    assert!(first.as_mut().poll(&mut cx).is_pending());
    let mut second = Box::pin(barrier.wait());
    assert!(matches!(second.as_mut().poll(&mut cx), Poll::Ready(r) if r.is_leader()));
    assert!(matches!(first.as_mut().poll(&mut cx), Poll::Ready(r) if !r.is_leader()));
}

#[test]
fn a_released_wait_that_is_dropped_does_not_disturb_the_next_generation() {
    let barrier = Barrier::new(2);
    let mut cx = Context::from_waker(Waker::noop());
    let mut released = Box::pin(barrier.wait());
    assert!(released.as_mut().poll(&mut cx).is_pending());
    assert!(Box::pin(barrier.wait()).as_mut().poll(&mut cx).is_ready());
    drop(released);
    let mut next = Box::pin(barrier.wait());
    assert!(next.as_mut().poll(&mut cx).is_pending());
    assert!(Box::pin(barrier.wait()).as_mut().poll(&mut cx).is_ready());
    assert!(next.as_mut().poll(&mut cx).is_ready());
}

#[test]
fn a_hundred_thousand_tasks_meet() {
    chronia::block_on(async {
        let n = 100_000;
        let barrier = Rc::new(Barrier::new(n));
        let leaders = Rc::new(RefCell::new(0usize));
        let done = Rc::new(RefCell::new(0usize));
        for _ in 0..n {
            let (barrier, leaders, done) =
                (Rc::clone(&barrier), Rc::clone(&leaders), Rc::clone(&done));
            let _task = chronia::spawn(async move {
                if barrier.wait().await.is_leader() {
                    *leaders.borrow_mut() += 1;
                }
                *done.borrow_mut() += 1;
            });
        }
        within("all met", async {
            while *done.borrow() < n {
                yield_now().await;
            }
        })
        .await;
        assert_eq!(*leaders.borrow(), 1);
    });
}

#[test]
fn wakers_outlive_the_runtime() {
    let barrier = Rc::new(Barrier::new(2));
    {
        let rt = chronia::Runtime::new().expect("runtime");
        let waiter = Rc::clone(&barrier);
        rt.block_on(async move {
            let _task = chronia::spawn(async move { waiter.wait().await });
            settle().await;
        });
    }
    // The waiting task went with its runtime and took its arrival back.
    let mut cx = Context::from_waker(Waker::noop());
    assert!(Box::pin(barrier.wait()).as_mut().poll(&mut cx).is_pending());
}

#[test]
fn a_waker_left_in_the_barrier_is_woken_after_its_runtime_dropped() {
    let barrier = Barrier::new(2);
    let mut first = Box::pin(barrier.wait());
    assert!(util::poll_once_in_a_dropped_runtime(&mut first));
    let mut cx = Context::from_waker(Waker::noop());
    // The second arrival opens the barrier and wakes the dead runtime's
    // waker of the first.
    let Poll::Ready(second) = Box::pin(barrier.wait()).as_mut().poll(&mut cx) else {
        panic!("the last arrival opens the barrier");
    };
    let Poll::Ready(first) = first.as_mut().poll(&mut cx) else {
        panic!("the first arrival was released");
    };
    assert!(first.is_leader() != second.is_leader(), "one leader");
}
