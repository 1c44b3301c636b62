//! `chronia::sync::Notify`: permits, FIFO `notify_one`, `notify_waiters` over
//! many waiters, and notifications handed on by cancelled waiters.

mod util;

use std::cell::RefCell;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Waker};

use chronia::sync::Notify;
use chronia::task::yield_now;
use util::within;

async fn settle() {
    for _ in 0..20 {
        yield_now().await;
    }
}

#[test]
fn a_stored_permit_completes_the_next_notified_at_once() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_one();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(pin!(notify.notified()).poll(&mut cx).is_ready());
    // Only one permit was stored.
    assert!(pin!(notify.notified()).poll(&mut cx).is_pending());
}

#[test]
fn notify_one_wakes_waiters_in_fifo_order() {
    chronia::block_on(async {
        let notify = Rc::new(Notify::new());
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut tasks = Vec::new();
        for n in 0..5 {
            let (notify, order) = (Rc::clone(&notify), Rc::clone(&order));
            tasks.push(chronia::spawn(async move {
                notify.notified().await;
                order.borrow_mut().push(n);
            }));
            settle().await;
        }
        for n in 0..5 {
            notify.notify_one();
            settle().await;
            assert_eq!(order.borrow().len(), n + 1);
        }
        assert_eq!(*order.borrow(), [0, 1, 2, 3, 4]);
    });
}

#[test]
fn notify_waiters_completes_unpolled_futures_and_stores_no_permit() {
    let notify = Notify::new();
    let mut cx = Context::from_waker(Waker::noop());
    let early = notify.notified();
    notify.notify_waiters();
    let late = notify.notified();
    assert!(pin!(early).poll(&mut cx).is_ready());
    assert!(pin!(late).poll(&mut cx).is_pending());
}

#[test]
fn a_cancelled_waiter_hands_its_notification_to_the_next() {
    let notify = Notify::new();
    let mut cx = Context::from_waker(Waker::noop());
    let mut first = Box::pin(notify.notified());
    let mut second = Box::pin(notify.notified());
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    notify.notify_one();
    drop(first);
    assert!(second.as_mut().poll(&mut cx).is_ready());
}

#[test]
fn a_cancelled_last_waiter_leaves_the_permit() {
    let notify = Notify::new();
    let mut cx = Context::from_waker(Waker::noop());
    let mut only = Box::pin(notify.notified());
    assert!(only.as_mut().poll(&mut cx).is_pending());
    notify.notify_one();
    drop(only);
    assert!(pin!(notify.notified()).poll(&mut cx).is_ready());
}

#[test]
fn a_cancelled_unnotified_waiter_takes_nothing_with_it() {
    let notify = Notify::new();
    let mut cx = Context::from_waker(Waker::noop());
    let mut gone = Box::pin(notify.notified());
    let mut stays = Box::pin(notify.notified());
    assert!(gone.as_mut().poll(&mut cx).is_pending());
    assert!(stays.as_mut().poll(&mut cx).is_pending());
    drop(gone);
    notify.notify_one();
    assert!(stays.as_mut().poll(&mut cx).is_ready());
}

#[test]
fn notify_waiters_wakes_a_hundred_thousand_tasks() {
    chronia::block_on(async {
        let notify = Rc::new(Notify::new());
        let woken = Rc::new(RefCell::new(0usize));
        for _ in 0..100_000 {
            let (notify, woken) = (Rc::clone(&notify), Rc::clone(&woken));
            let _task = chronia::spawn(async move {
                notify.notified().await;
                *woken.borrow_mut() += 1;
            });
        }
        settle().await;
        assert_eq!(*woken.borrow(), 0);
        notify.notify_waiters();
        within("all woken", async {
            while *woken.borrow() < 100_000 {
                yield_now().await;
            }
        })
        .await;
    });
}

#[test]
fn wakers_outlive_the_runtime() {
    let notify = Rc::new(Notify::new());
    {
        let rt = chronia::Runtime::new().expect("runtime");
        let waiter = Rc::clone(&notify);
        rt.block_on(async move {
            let _task = chronia::spawn(async move { waiter.notified().await });
            settle().await;
        });
    }
    // The waiting task went with the runtime: its waiter left the list.
    notify.notify_one();
    notify.notify_waiters();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(pin!(notify.notified()).poll(&mut cx).is_ready());
}

#[test]
fn a_cancelled_notified_waiter_count_the_next_one() {
    struct Count(std::sync::Arc<std::sync::atomic::AtomicUsize>);
    impl std::task::Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let waker = Waker::from(std::sync::Arc::new(Count(std::sync::Arc::clone(&count))));
    let notify = Notify::new();
    let mut first = Box::pin(notify.notified());
    let mut second = Box::pin(notify.notified());
    assert!(
        first
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending()
    );
    assert!(
        second
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    notify.notify_one();
    assert_eq!(count.load(std::sync::atomic::Ordering::Relaxed), 0);
    drop(first);
    assert_eq!(count.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[test]
fn wakers_left_in_the_list_are_woken_after_their_runtime_dropped() {
    let notify = Notify::new();
    let mut one = Box::pin(notify.notified());
    let mut all = Box::pin(notify.notified());
    assert!(util::poll_once_in_a_dropped_runtime(&mut one));
    assert!(util::poll_once_in_a_dropped_runtime(&mut all));
    notify.notify_one();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(one.as_mut().poll(&mut cx).is_ready(), "first in line");
    notify.notify_waiters();
    assert!(all.as_mut().poll(&mut cx).is_ready());
}
