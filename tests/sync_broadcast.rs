//! `chronia::sync::broadcast`: every receiver sees every value, lagging
//! receivers learn how many they missed, close and drop from each side.

mod util;

use std::cell::RefCell;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use chronia::sync::broadcast::{
    self,
    error::{RecvError, TryRecvError},
};
use chronia::task::yield_now;
use util::within;

async fn settle() {
    for _ in 0..20 {
        yield_now().await;
    }
}

#[test]
#[should_panic(expected = "broadcast channel capacity cannot be zero")]
fn zero_capacity_panics_naming_the_rule() {
    let _ = broadcast::channel::<u8>(0);
}

#[test]
fn every_receiver_gets_every_value_in_order() {
    chronia::block_on(async {
        let (tx, rx) = broadcast::channel(16);
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let mut rx = rx.resubscribe();
                chronia::spawn(async move {
                    let mut got = Vec::new();
                    while let Ok(n) = rx.recv().await {
                        got.push(n);
                    }
                    got
                })
            })
            .collect();
        drop(rx);
        settle().await;
        for n in 0..100 {
            assert_eq!(tx.send(n), Ok(10));
            if n % 8 == 0 {
                settle().await;
            }
        }
        drop(tx);
        for task in tasks {
            assert_eq!(
                within("task", task).await.expect("no panic"),
                (0..100).collect::<Vec<_>>()
            );
        }
    });
}

#[test]
fn a_lagging_receiver_is_told_how_many_it_missed() {
    let (tx, mut rx) = broadcast::channel(2);
    for n in 0..5 {
        tx.send(n).expect("rx is alive");
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(3)));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Ok(4));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn values_are_dropped_once_every_receiver_read_them() {
    let value = Rc::new(());
    let (tx, mut a) = broadcast::channel(4);
    let mut b = tx.subscribe();
    tx.send(Rc::clone(&value)).expect("receivers exist");
    assert_eq!(Rc::strong_count(&value), 2);
    let from_a = a.try_recv().expect("a value");
    assert_eq!(Rc::strong_count(&value), 3, "a got a clone");
    let from_b = b.try_recv().expect("a value");
    assert_eq!(
        Rc::strong_count(&value),
        3,
        "b, the last reader, took the channel's copy"
    );
    drop((from_a, from_b));
    assert_eq!(Rc::strong_count(&value), 1);
    let (tx, a) = broadcast::channel(4);
    tx.send(Rc::clone(&value)).expect("a receiver exists");
    drop(a);
    assert_eq!(
        Rc::strong_count(&value),
        1,
        "an unread value goes with its last receiver"
    );
}

#[test]
fn sender_drop_closes_after_the_last_value() {
    chronia::block_on(async {
        let (tx, mut rx) = broadcast::channel(4);
        let task = chronia::spawn(async move { (rx.recv().await, rx.recv().await) });
        settle().await;
        tx.send(1).expect("rx is alive");
        drop(tx);
        assert_eq!(
            within("task", task).await.expect("no panic"),
            (Ok(1), Err(RecvError::Closed))
        );
    });
}

#[test]
fn receiver_drop_fails_send_and_wakes_closed() {
    chronia::block_on(async {
        let (tx, rx) = broadcast::channel::<u8>(4);
        let dropper = chronia::spawn(async move {
            yield_now().await;
            drop(rx);
        });
        within("closed", tx.closed()).await;
        assert_eq!(tx.send(1).expect_err("it fails").0, 1);
        dropper.await.expect("no panic");
    });
}

#[test]
fn a_cancelled_recv_loses_no_value() {
    let (tx, mut rx) = broadcast::channel(4);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..100 {
        assert!(pin!(rx.recv()).poll(&mut cx).is_pending());
    }
    tx.send(9).expect("rx is alive");
    assert_eq!(pin!(rx.recv()).poll(&mut cx), Poll::Ready(Ok(9)));
}

#[test]
fn a_hundred_thousand_waiting_receivers() {
    chronia::block_on(async {
        let (tx, rx) = broadcast::channel(1);
        let got = Rc::new(RefCell::new(0usize));
        for _ in 0..100_000 {
            let mut rx = rx.resubscribe();
            let got = Rc::clone(&got);
            let _task = chronia::spawn(async move {
                assert_eq!(rx.recv().await, Ok(1u8));
                *got.borrow_mut() += 1;
            });
        }
        drop(rx);
        settle().await;
        assert_eq!(tx.send(1), Ok(100_000));
        within("all received", async {
            while *got.borrow() < 100_000 {
                yield_now().await;
            }
        })
        .await;
    });
}

#[test]
fn wakers_outlive_the_runtime() {
    let (tx, rx) = broadcast::channel::<u8>(2);
    {
        let rt = chronia::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let mut rx = rx;
            let _task = chronia::spawn(async move { rx.recv().await });
            settle().await;
        });
    }
    assert!(tx.send(1).is_err(), "the receiver went with its runtime");
}

#[test]
fn a_waker_left_in_a_receiver_is_woken_after_its_runtime_dropped() {
    let (tx, rx) = broadcast::channel(2);
    let rx = Rc::new(RefCell::new(rx));
    {
        let rt = chronia::Runtime::new().expect("runtime");
        let waiting = Rc::clone(&rx);
        rt.block_on(async move {
            let _task = chronia::spawn(std::future::poll_fn(move |cx| {
                waiting.borrow_mut().poll_recv(cx)
            }));
            settle().await;
        });
    }
    assert_eq!(tx.send(1), Ok(1));
    assert_eq!(rx.borrow_mut().try_recv(), Ok(1));
}
