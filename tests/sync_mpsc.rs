//! `chronia::sync::mpsc`: bounded and unbounded channels, permits,
//! cancellation, close and drop, FIFO order of waiting senders.

mod util;

use std::cell::RefCell;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use chronia::sync::mpsc::{
    self,
    error::{SendError, TryRecvError, TrySendError},
};
use chronia::task::yield_now;
use util::within;

async fn settle() {
    for _ in 0..20 {
        yield_now().await;
    }
}

#[test]
#[should_panic(expected = "mpsc bounded channel requires buffer > 0")]
fn zero_capacity_panics_naming_the_rule() {
    let _ = mpsc::channel::<u8>(0);
}

#[test]
fn values_arrive_in_order_and_none_after_the_last_sender() {
    chronia::block_on(async {
        let (tx, mut rx) = mpsc::channel(4);
        let producer = chronia::spawn(async move {
            for n in 0..100 {
                tx.send(n).await.expect("rx is alive");
            }
        });
        for n in 0..100 {
            assert_eq!(within("recv", rx.recv()).await, Some(n));
        }
        assert_eq!(within("recv", rx.recv()).await, None);
        producer.await.expect("no panic");
    });
}

#[test]
fn a_full_channel_makes_send_wait_and_try_send_fail() {
    chronia::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(1).await.expect("room");
        assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
        let tx2 = tx.clone();
        let waiting = chronia::spawn(async move { tx2.send(2).await });
        settle().await;
        assert!(!waiting.is_finished());
        assert_eq!(rx.recv().await, Some(1));
        within("send", waiting)
            .await
            .expect("no panic")
            .expect("rx alive");
        assert_eq!(rx.recv().await, Some(2));
    });
}

#[test]
fn waiting_senders_are_served_in_fifo_order() {
    chronia::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(0).await.expect("room");
        let mut tasks = Vec::new();
        for n in 1..=5 {
            let tx = tx.clone();
            tasks.push(chronia::spawn(async move { tx.send(n).await }));
            settle().await;
        }
        drop(tx);
        for n in 0..=5 {
            assert_eq!(within("recv", rx.recv()).await, Some(n));
        }
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn a_cancelled_send_gives_its_place_to_the_next_sender() {
    let (tx, mut rx) = mpsc::channel(1);
    let mut cx = Context::from_waker(Waker::noop());
    tx.try_send(0).expect("room");
    let mut first = Box::pin(tx.send(1));
    let mut second = Box::pin(tx.send(2));
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    // The freed place went to `first`; dropping it hands it to `second`.
    drop(first);
    assert_eq!(second.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn a_cancelled_recv_loses_no_value() {
    let (tx, mut rx) = mpsc::channel(2);
    let mut cx = Context::from_waker(Waker::noop());
    {
        let recv = pin!(rx.recv());
        assert!(recv.poll(&mut cx).is_pending());
    }
    tx.try_send(7).expect("room");
    let recv = pin!(rx.recv());
    assert_eq!(recv.poll(&mut cx), Poll::Ready(Some(7)));
}

#[test]
fn permits_reserve_and_return_places() {
    let (tx, mut rx) = mpsc::channel(2);
    let a = tx.try_reserve().expect("room");
    let b = tx.try_reserve().expect("room");
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    drop(a);
    assert_eq!(tx.capacity(), 1);
    b.send(1);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(tx.capacity(), 2);
}

#[test]
fn receiver_drop_fails_waiting_senders_with_their_value() {
    chronia::block_on(async {
        let (tx, rx) = mpsc::channel(1);
        tx.send(0).await.expect("room");
        let tx2 = tx.clone();
        let waiting = chronia::spawn(async move { tx2.send(1).await });
        let closed = chronia::spawn(async move { tx.closed().await });
        settle().await;
        drop(rx);
        let out = within("send", waiting).await.expect("no panic");
        assert_eq!(out, Err(SendError(1)));
        within("closed", closed).await.expect("no panic");
    });
}

#[test]
fn receiver_drop_drops_queued_values() {
    let value = Rc::new(());
    let (tx, rx) = mpsc::unbounded_channel();
    tx.send(Rc::clone(&value)).expect("rx is alive");
    assert_eq!(Rc::strong_count(&value), 2);
    drop(rx);
    assert_eq!(Rc::strong_count(&value), 1);
    assert!(tx.send(value).is_err());
}

#[test]
fn close_lets_the_receiver_drain_then_waits_for_permits_out() {
    let (tx, mut rx) = mpsc::channel(3);
    tx.try_send(1).expect("room");
    let permit = tx.try_reserve().expect("room");
    rx.close();
    assert!(matches!(tx.try_send(2), Err(TrySendError::Closed(2))));
    assert_eq!(rx.try_recv(), Ok(1));
    // The permit taken before the close can still send.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    permit.send(3);
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn last_sender_drop_wakes_a_waiting_receiver() {
    chronia::block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let task = chronia::spawn(async move { rx.recv().await });
        settle().await;
        drop(tx);
        assert_eq!(within("recv", task).await.expect("no panic"), None);
    });
}

#[test]
fn recv_many_takes_up_to_the_limit() {
    chronia::block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for n in 0..5 {
            tx.send(n).expect("rx is alive");
        }
        let mut buffer = Vec::new();
        assert_eq!(rx.recv_many(&mut buffer, 3).await, 3);
        assert_eq!(rx.recv_many(&mut buffer, 0).await, 0);
        assert_eq!(rx.recv_many(&mut buffer, 9).await, 2);
        assert_eq!(buffer, [0, 1, 2, 3, 4]);
        drop(tx);
        assert_eq!(rx.recv_many(&mut buffer, 9).await, 0);
    });
}

#[test]
fn a_hundred_thousand_waiting_senders() {
    chronia::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(usize::MAX).await.expect("room");
        let order = Rc::new(RefCell::new(Vec::new()));
        for n in 0..100_000 {
            let tx = tx.clone();
            let _task = chronia::spawn(async move { tx.send(n).await });
        }
        drop(tx);
        settle().await;
        assert_eq!(rx.recv().await, Some(usize::MAX));
        while let Some(n) = within("recv", rx.recv()).await {
            order.borrow_mut().push(n);
        }
        assert_eq!(*order.borrow(), (0..100_000).collect::<Vec<_>>());
    });
}

#[test]
fn many_producers_one_consumer() {
    chronia::block_on(async {
        let (tx, mut rx) = mpsc::channel(8);
        for task in 0..50u64 {
            let tx = tx.clone();
            let _task = chronia::spawn(async move {
                for n in 0..100u64 {
                    tx.send(task * 1000 + n).await.expect("rx is alive");
                    if n % 7 == 0 {
                        yield_now().await;
                    }
                }
            });
        }
        drop(tx);
        let mut sum = 0u64;
        let mut count = 0;
        while let Some(n) = within("recv", rx.recv()).await {
            sum += n;
            count += 1;
        }
        assert_eq!(count, 5000);
        assert_eq!(sum, (0..50u64).map(|t| t * 100_000 + 4950).sum());
    });
}

#[test]
fn wakers_outlive_the_runtime() {
    let (tx, rx) = mpsc::channel::<u8>(1);
    let (utx, urx) = mpsc::unbounded_channel::<u8>();
    tx.try_send(0).expect("room");
    let tx2 = tx.clone();
    {
        let rt = chronia::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let _blocked_send = chronia::spawn(async move { tx2.send(1).await });
            let _waits = chronia::spawn(async move {
                let mut urx = urx;
                urx.recv().await
            });
            settle().await;
        });
    }
    // The waiting tasks died with the runtime; these wake nothing alive.
    drop(rx);
    assert!(utx.send(1).is_err());
    assert!(tx.is_closed());
}

#[test]
fn a_waker_left_in_the_channel_is_woken_after_its_runtime_dropped() {
    let (tx, rx) = mpsc::unbounded_channel();
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
    tx.send(1).expect("the receiver lives on");
    drop(tx);
    assert_eq!(rx.borrow_mut().try_recv(), Ok(1));
}
