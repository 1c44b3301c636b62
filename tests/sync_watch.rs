//! `chronia::sync::watch`: latest value, changed/seen, close from each
//! side, cancellation, many receivers.

mod util;

use std::cell::RefCell;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Waker};

use chronia::sync::watch;
use chronia::task::yield_now;
use util::within;

async fn settle() {
    for _ in 0..20 {
        yield_now().await;
    }
}

#[test]
fn receivers_see_the_latest_value_once() {
    chronia::block_on(async {
        let (tx, mut rx) = watch::channel(0);
        tx.send(1).expect("rx is alive");
        tx.send(2).expect("rx is alive");
        within("changed", rx.changed()).await.expect("sent");
        assert_eq!(*rx.borrow(), 2);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(rx.poll_changed(&mut cx).is_pending());
    });
}

#[test]
fn sender_drop_ends_waiting_receivers_after_the_last_value() {
    chronia::block_on(async {
        let (tx, mut rx) = watch::channel(0);
        let task = chronia::spawn(async move {
            let mut seen = Vec::new();
            while rx.changed().await.is_ok() {
                seen.push(*rx.borrow_and_update());
            }
            seen
        });
        settle().await;
        tx.send(5).expect("rx is alive");
        drop(tx);
        assert_eq!(within("task", task).await.expect("no panic"), [5]);
    });
}

#[test]
fn receiver_drop_closes_and_send_gives_the_value_back() {
    chronia::block_on(async {
        let (tx, rx) = watch::channel(0);
        let rx2 = rx.clone();
        let closed = {
            let tx = Rc::new(tx);
            let waiter = Rc::clone(&tx);
            let task = chronia::spawn(async move { waiter.closed().await });
            settle().await;
            drop(rx);
            settle().await;
            assert!(!task.is_finished());
            drop(rx2);
            within("closed", task).await.expect("no panic");
            tx
        };
        assert!(closed.is_closed());
        assert_eq!(closed.send(3).expect_err("it fails").0, 3);
        assert_eq!(closed.send_replace(4), 0);
    });
}

#[test]
fn a_cancelled_changed_loses_nothing_and_leaves_no_waiter() {
    let (tx, mut rx) = watch::channel(0);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        let changed = pin!(rx.changed());
        assert!(changed.poll(&mut cx).is_pending());
    }
    tx.send(1).expect("rx is alive");
    assert!(pin!(rx.changed()).poll(&mut cx).is_ready());
    assert_eq!(*rx.borrow(), 1);
}

#[test]
fn send_if_modified_notifies_only_on_change() {
    let (tx, mut rx) = watch::channel(1);
    assert!(!tx.send_if_modified(|_| false));
    assert_eq!(rx.has_changed(), Ok(false));
    assert!(tx.send_if_modified(|v| {
        *v = 2;
        true
    }));
    assert!(rx.borrow_and_update().has_changed());
    assert_eq!(rx.has_changed(), Ok(false));
}

#[test]
fn wait_for_checks_the_current_value_first() {
    chronia::block_on(async {
        let (tx, mut rx) = watch::channel(3);
        assert_eq!(
            *within("wait_for", rx.wait_for(|v| *v == 3))
                .await
                .expect("open"),
            3
        );
        drop(tx);
        assert!(rx.wait_for(|v| *v == 4).await.is_err());
    });
}

#[test]
fn a_hundred_thousand_receivers_wake_on_one_send() {
    chronia::block_on(async {
        let (tx, rx) = watch::channel(0u32);
        let woken = Rc::new(RefCell::new(0usize));
        for _ in 0..100_000 {
            let mut rx = rx.clone();
            let woken = Rc::clone(&woken);
            let _task = chronia::spawn(async move {
                rx.changed().await.expect("sent");
                assert_eq!(*rx.borrow(), 7);
                *woken.borrow_mut() += 1;
            });
        }
        settle().await;
        tx.send(7).expect("receivers exist");
        within("all woken", async {
            while *woken.borrow() < 100_000 {
                yield_now().await;
            }
        })
        .await;
        assert_eq!(tx.receiver_count(), 1);
    });
}

#[test]
fn wakers_outlive_the_runtime() {
    let (tx, rx) = watch::channel(0);
    {
        let rt = chronia::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let mut rx = rx;
            let _task = chronia::spawn(async move { rx.changed().await });
            settle().await;
        });
    }
    assert!(tx.send(1).is_err(), "the receiver went with its runtime");
}

#[test]
fn a_waker_left_in_a_receiver_is_woken_after_its_runtime_dropped() {
    let (tx, rx) = watch::channel(0);
    let rx = Rc::new(RefCell::new(rx));
    {
        let rt = chronia::Runtime::new().expect("runtime");
        let waiting = Rc::clone(&rx);
        rt.block_on(async move {
            // The task's waker stays in the receiver's node when the task
            // goes with the runtime.
            let _task = chronia::spawn(std::future::poll_fn(move |cx| {
                waiting.borrow_mut().poll_changed(cx)
            }));
            settle().await;
        });
    }
    tx.send(1).expect("the receiver lives on");
    assert!(rx.borrow().has_changed().expect("tx is alive"));
}
