//! `chronia::sync::Semaphore`: FIFO without barging, cancellation that
//! hands permits on, close, owned permits, the `MAX_PERMITS` rule.

mod util;

use std::cell::RefCell;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use chronia::sync::{Semaphore, TryAcquireError};
use chronia::task::yield_now;
use util::within;

async fn settle() {
    for _ in 0..20 {
        yield_now().await;
    }
}

#[test]
#[should_panic(expected = "MAX_PERMITS")]
fn more_than_max_permits_panics_naming_the_rule() {
    let _ = Semaphore::new(Semaphore::MAX_PERMITS + 1);
}

#[test]
#[should_panic(expected = "MAX_PERMITS")]
fn adding_past_max_permits_panics_naming_the_rule() {
    Semaphore::new(Semaphore::MAX_PERMITS).add_permits(1);
}

#[test]
fn a_large_waiter_holds_back_later_small_ones() {
    let semaphore = Semaphore::new(1);
    let mut cx = Context::from_waker(Waker::noop());
    let mut big = Box::pin(semaphore.acquire_many(2));
    assert!(big.as_mut().poll(&mut cx).is_pending());
    // One permit is free, but the big waiter is first: no barging.
    assert_eq!(
        semaphore.try_acquire().expect_err("it fails"),
        TryAcquireError::NoPermits
    );
    let mut small = Box::pin(semaphore.acquire());
    assert!(small.as_mut().poll(&mut cx).is_pending());
    semaphore.add_permits(1);
    let Poll::Ready(Ok(permit)) = big.as_mut().poll(&mut cx) else {
        panic!("the big waiter fits now");
    };
    assert!(small.as_mut().poll(&mut cx).is_pending());
    drop(permit);
    assert!(matches!(small.as_mut().poll(&mut cx), Poll::Ready(Ok(_))));
}

#[test]
fn a_cancelled_front_waiter_lets_the_next_one_in() {
    let semaphore = Semaphore::new(1);
    let mut cx = Context::from_waker(Waker::noop());
    let mut big = Box::pin(semaphore.acquire_many(2));
    let mut small = Box::pin(semaphore.acquire());
    assert!(big.as_mut().poll(&mut cx).is_pending());
    assert!(small.as_mut().poll(&mut cx).is_pending());
    drop(big);
    assert!(matches!(small.as_mut().poll(&mut cx), Poll::Ready(Ok(_))));
}

#[test]
fn a_cancelled_granted_waiter_gives_its_permits_to_the_next() {
    let semaphore = Semaphore::new(0);
    let mut cx = Context::from_waker(Waker::noop());
    let mut first = Box::pin(semaphore.acquire());
    let mut second = Box::pin(semaphore.acquire());
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    semaphore.add_permits(1);
    drop(first);
    assert!(matches!(second.as_mut().poll(&mut cx), Poll::Ready(Ok(_))));
}

#[test]
fn waiters_get_permits_in_fifo_order() {
    chronia::block_on(async {
        let semaphore = Rc::new(Semaphore::new(0));
        let order = Rc::new(RefCell::new(Vec::new()));
        for n in 0..10 {
            let (semaphore, order) = (Rc::clone(&semaphore), Rc::clone(&order));
            let _task = chronia::spawn(async move {
                let _permit = semaphore.acquire().await.expect("open");
                order.borrow_mut().push(n);
            });
            settle().await;
        }
        semaphore.add_permits(1);
        within("all served", async {
            while order.borrow().len() < 10 {
                yield_now().await;
            }
        })
        .await;
        assert_eq!(*order.borrow(), (0..10).collect::<Vec<_>>());
    });
}

#[test]
fn close_fails_every_waiter_and_later_acquires() {
    chronia::block_on(async {
        let semaphore = Rc::new(Semaphore::new(0));
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let semaphore = Rc::clone(&semaphore);
                chronia::spawn(async move { semaphore.acquire().await.map(|_| ()) })
            })
            .collect();
        settle().await;
        semaphore.close();
        for task in tasks {
            assert!(within("acquire", task).await.expect("no panic").is_err());
        }
        assert_eq!(
            semaphore.try_acquire().expect_err("it fails"),
            TryAcquireError::Closed
        );
    });
}

#[test]
fn owned_permits_move_into_tasks() {
    chronia::block_on(async {
        let semaphore = Rc::new(Semaphore::new(2));
        let permit = Rc::clone(&semaphore)
            .acquire_many_owned(2)
            .await
            .expect("open");
        let task = chronia::spawn(async move {
            yield_now().await;
            drop(permit);
        });
        let again = within("acquire", Rc::clone(&semaphore).acquire_owned()).await;
        assert_eq!(again.expect("open").num_permits(), 1);
        task.await.expect("no panic");
    });
}

#[test]
fn forget_keeps_permits_out() {
    let semaphore = Semaphore::new(3);
    semaphore.try_acquire_many(2).expect("free").forget();
    assert_eq!(semaphore.available_permits(), 1);
    assert_eq!(semaphore.forget_permits(5), 1);
    assert_eq!(semaphore.available_permits(), 0);
}

#[test]
fn a_hundred_thousand_waiters_pass_one_permit_along() {
    chronia::block_on(async {
        let semaphore = Rc::new(Semaphore::new(0));
        let done = Rc::new(RefCell::new(0usize));
        for _ in 0..100_000 {
            let (semaphore, done) = (Rc::clone(&semaphore), Rc::clone(&done));
            let _task = chronia::spawn(async move {
                let _permit = semaphore.acquire().await.expect("open");
                *done.borrow_mut() += 1;
            });
        }
        settle().await;
        semaphore.add_permits(1);
        within("all served", async {
            while *done.borrow() < 100_000 {
                yield_now().await;
            }
        })
        .await;
        assert_eq!(semaphore.available_permits(), 1);
    });
}

#[test]
fn wakers_outlive_the_runtime() {
    let semaphore = Rc::new(Semaphore::new(0));
    {
        let rt = chronia::Runtime::new().expect("runtime");
        let waiter = Rc::clone(&semaphore);
        rt.block_on(async move {
            let _task = chronia::spawn(async move { waiter.acquire_owned().await.map(|_| ()) });
            settle().await;
        });
    }
    semaphore.add_permits(1);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(
        pin!(semaphore.acquire()).poll(&mut cx),
        Poll::Ready(Ok(_))
    ));
}

#[test]
fn a_waker_left_in_the_queue_is_woken_after_its_runtime_dropped() {
    let semaphore = Semaphore::new(0);
    let mut waiting = Box::pin(semaphore.acquire());
    assert!(util::poll_once_in_a_dropped_runtime(&mut waiting));
    // Grants the queued acquire and wakes the dead runtime's waker.
    semaphore.add_permits(1);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(waiting.as_mut().poll(&mut cx), Poll::Ready(Ok(_))));
}
