//! `chronia::sync::oneshot`: send, receive, close and drop from each side.

mod util;

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use chronia::sync::oneshot::{self, error::TryRecvError};
use chronia::task::yield_now;
use util::within;

#[test]
fn value_reaches_a_waiting_receiver() {
    chronia::block_on(async {
        let (tx, rx) = oneshot::channel();
        let task = chronia::spawn(rx);
        yield_now().await;
        tx.send(String::from("hi")).expect("rx waits");
        assert_eq!(
            within("recv", task).await.expect("no panic"),
            Ok("hi".into())
        );
    });
}

#[test]
fn sender_drop_wakes_the_receiver_with_an_error() {
    chronia::block_on(async {
        let (tx, rx) = oneshot::channel::<u8>();
        let task = chronia::spawn(rx);
        yield_now().await;
        drop(tx);
        assert!(within("recv", task).await.expect("no panic").is_err());
    });
}

#[test]
fn receiver_drop_wakes_closed_and_fails_send() {
    chronia::block_on(async {
        let (mut tx, rx) = oneshot::channel::<u8>();
        let dropper = chronia::spawn(async move {
            yield_now().await;
            drop(rx);
        });
        within("closed", tx.closed()).await;
        assert!(tx.is_closed());
        assert_eq!(tx.send(1), Err(1));
        dropper.await.expect("no panic");
    });
}

#[test]
fn close_keeps_a_value_already_sent() {
    let (tx, mut rx) = oneshot::channel();
    tx.send(1).expect("rx is alive");
    rx.close();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn a_dropped_recv_poll_loses_no_value() {
    let (tx, mut rx) = oneshot::channel();
    let mut cx = Context::from_waker(Waker::noop());
    // Poll through `&mut rx` and drop that future: the receiver remains.
    assert!(pin!(&mut rx).poll(&mut cx).is_pending());
    tx.send(3).expect("rx is alive");
    assert_eq!(pin!(&mut rx).poll(&mut cx), Poll::Ready(Ok(3)));
}

#[test]
fn a_dropped_closed_future_leaves_the_sender_usable() {
    let (mut tx, mut rx) = oneshot::channel();
    let mut cx = Context::from_waker(Waker::noop());
    {
        let closed = pin!(tx.closed());
        assert!(closed.poll(&mut cx).is_pending());
    }
    tx.send(4).expect("rx is alive");
    assert_eq!(rx.try_recv(), Ok(4));
}

#[test]
fn many_channels_between_many_tasks() {
    chronia::block_on(async {
        let mut receivers = Vec::new();
        for n in 0..1000u32 {
            let (tx, rx) = oneshot::channel();
            let _task = chronia::spawn(async move {
                yield_now().await;
                tx.send(n).expect("rx waits");
            });
            receivers.push(rx);
        }
        for (n, rx) in (0..).zip(receivers) {
            assert_eq!(within("recv", rx).await, Ok(n));
        }
    });
}

#[test]
fn wakers_outlive_the_runtime() {
    let (tx, rx) = oneshot::channel::<u8>();
    let (mut tx2, rx2) = oneshot::channel::<u8>();
    {
        let rt = chronia::Runtime::new().expect("runtime");
        rt.block_on(async {
            let _waits = chronia::spawn(rx);
            let _closes = chronia::spawn(async move { tx2.closed().await });
            yield_now().await;
        });
    }
    // The receiving tasks are gone with the runtime: their ends dropped.
    assert_eq!(tx.send(1), Err(1));
    drop(rx2);
}

#[test]
fn a_hundred_thousand_receivers_wait_at_once() {
    const WAITERS: u32 = 100_000;
    chronia::block_on(async {
        let done = std::rc::Rc::new(std::cell::Cell::new(0u32));
        let mut senders = Vec::new();
        for n in 0..WAITERS {
            let (tx, rx) = oneshot::channel();
            let done = std::rc::Rc::clone(&done);
            let _task = chronia::spawn(async move {
                assert_eq!(rx.await, Ok(n));
                done.set(done.get() + 1);
            });
            senders.push(tx);
        }
        yield_now().await;
        assert_eq!(done.get(), 0, "nothing sent yet");
        for (n, tx) in (0..).zip(senders) {
            tx.send(n).expect("its receiver waits");
        }
        within("every receiver", async {
            while done.get() < WAITERS {
                yield_now().await;
            }
        })
        .await;
    });
}

/// Polls `fut` once inside a runtime that is dropped right after, so the
/// waker it keeps (if pending) is that of a runtime gone; whether it was
/// pending.
fn poll_once_in_a_dropped_runtime(mut poll: impl FnMut(&mut Context<'_>) -> bool) -> bool {
    let rt = chronia::Runtime::new().expect("runtime");
    rt.block_on(std::future::poll_fn(|cx| Poll::Ready(poll(cx))))
}

#[test]
fn wakers_left_in_the_channel_are_woken_after_their_runtime_dropped() {
    let (tx, mut rx) = oneshot::channel::<u8>();
    assert!(poll_once_in_a_dropped_runtime(|cx| pin!(&mut rx)
        .poll(cx)
        .is_pending()));
    // The send's drop wakes the receiver's waker of a runtime gone.
    tx.send(1).expect("the receiver lives on");
    assert_eq!(rx.try_recv(), Ok(1));

    let (mut tx, rx) = oneshot::channel::<u8>();
    assert!(poll_once_in_a_dropped_runtime(|cx| tx
        .poll_closed(cx)
        .is_pending()));
    drop(rx);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(tx.poll_closed(&mut cx).is_ready());
}
