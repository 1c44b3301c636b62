//! How many heap allocations the channels make: at creation, and per
//! message once they are warm (issue 10, "one allocation per channel").
//!
//! What they do today: oneshot, watch and broadcast are one allocation
//! (broadcast's shared state and its ring share one block, through the
//! facade's `sys::rc_slice`); an mpsc channel is one `Rc` at creation plus
//! its queue's buffer, which grows by doubling up to the most values ever
//! queued at once (six growths to reach 128) and is then reused, so a warm
//! channel allocates nothing per message.
//!
//! Counted with a counting global allocator, which counts every thread of
//! the process: so this target is `harness = false` and runs its checks on
//! the main thread with no other thread alive. (Under libtest, the harness's
//! main thread does its own bookkeeping, 4 allocations, after it starts the
//! test thread; on a loaded machine that fell inside a counted region and
//! failed about one run in six.)

use std::alloc::System;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use chronia::sync::{broadcast, mpsc, oneshot, watch};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The allocations and reallocations `f` makes, and its result.
fn count<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let region = Region::new(GLOBAL);
    let out = f();
    let change = region.change();
    (change.allocations + change.reallocations, out)
}

fn main() {
    let checks: [(&str, fn()); 7] = [
        (
            "a_oneshot_is_one_allocation_and_its_message_none",
            a_oneshot_is_one_allocation_and_its_message_none,
        ),
        (
            "a_oneshot_awaited_allocates_nothing_per_wait",
            a_oneshot_awaited_allocates_nothing_per_wait,
        ),
        (
            "a_bounded_mpsc_within_capacity_allocates_nothing_per_message",
            a_bounded_mpsc_within_capacity_allocates_nothing_per_message,
        ),
        (
            "an_unbounded_mpsc_whose_queue_stays_short_allocates_nothing_per_message",
            an_unbounded_mpsc_whose_queue_stays_short_allocates_nothing_per_message,
        ),
        (
            "a_bounded_mpsc_recv_between_two_tasks_allocates_nothing_per_message",
            a_bounded_mpsc_recv_between_two_tasks_allocates_nothing_per_message,
        ),
        (
            "a_broadcast_is_one_allocation_and_its_messages_none",
            a_broadcast_is_one_allocation_and_its_messages_none,
        ),
        (
            "a_watch_is_one_allocation_and_its_sends_none",
            a_watch_is_one_allocation_and_its_sends_none,
        ),
    ];
    for (name, check) in checks {
        check();
        println!("test {name} ... ok");
    }
    println!("{} passed, 0 failed", checks.len());
}

const MESSAGES: u64 = 10_000;

fn a_oneshot_is_one_allocation_and_its_message_none() {
    let (created, (tx, mut rx)) = count(oneshot::channel::<u64>);
    assert_eq!(created, 1, "oneshot::channel");
    let (sent, ()) = count(|| {
        tx.send(1).expect("rx is alive");
        assert_eq!(rx.try_recv(), Ok(1));
    });
    assert_eq!(sent, 0, "oneshot send + recv");
}

fn a_oneshot_awaited_allocates_nothing_per_wait() {
    let (tx, mut rx) = oneshot::channel::<u64>();
    let mut cx = Context::from_waker(Waker::noop());
    let (polled, ()) = count(|| {
        assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
        tx.send(2).expect("rx is alive");
        assert_eq!(Pin::new(&mut rx).poll(&mut cx), Poll::Ready(Ok(2)));
    });
    assert_eq!(
        polled, 0,
        "a pending poll keeps the waker without allocating"
    );
}

/// The bounded channel: its creation, filling it to capacity once, and
/// then messages that stay within capacity.
fn a_bounded_mpsc_within_capacity_allocates_nothing_per_message() {
    const CAPACITY: usize = 128;
    let (created, (tx, mut rx)) = count(|| mpsc::channel::<u64>(CAPACITY));
    // The `Rc`; the queue's buffer comes with the first message.
    assert_eq!(created, 1, "mpsc::channel");
    let (first_fill, ()) = count(|| {
        for n in 0..CAPACITY as u64 {
            tx.try_send(n).expect("room");
        }
        while rx.try_recv().is_ok() {}
    });
    // The buffer grows 4, 8, ..., 128: six allocations in the channel's
    // life, however many messages pass.
    assert_eq!(first_fill, 6, "the first fill to capacity");
    let (steady, ()) = count(|| {
        for n in 0..MESSAGES {
            tx.try_send(n).expect("room");
            if n % 100 == 99 {
                while rx.try_recv().is_ok() {}
            }
        }
    });
    assert_eq!(steady, 0, "{MESSAGES} messages within capacity");
}

fn an_unbounded_mpsc_whose_queue_stays_short_allocates_nothing_per_message() {
    let (created, (tx, mut rx)) = count(mpsc::unbounded_channel::<u64>);
    let (first, ()) = count(|| {
        tx.send(0).expect("rx is alive");
        assert_eq!(rx.try_recv(), Ok(0));
    });
    // The `Rc`, then the queue's buffer with the first message.
    assert_eq!((created, first), (1, 1), "mpsc::unbounded_channel");
    let (steady, ()) = count(|| {
        for n in 0..MESSAGES {
            tx.send(n).expect("rx is alive");
            tx.send(n).expect("rx is alive");
            assert_eq!(rx.try_recv(), Ok(n));
            assert_eq!(rx.try_recv(), Ok(n));
        }
    });
    assert_eq!(steady, 0, "{MESSAGES} messages, at most 2 queued");
}

fn a_bounded_mpsc_recv_between_two_tasks_allocates_nothing_per_message() {
    chronia::block_on(async {
        let (tx, mut rx) = mpsc::channel::<u64>(16);
        // Warm: the buffer at full size, both tasks' wakers stored.
        let producer = chronia::spawn(async move {
            for n in 0..2 * MESSAGES {
                tx.send(n).await.expect("rx is alive");
            }
        });
        for _ in 0..MESSAGES {
            rx.recv().await.expect("a value");
        }
        let region = Region::new(GLOBAL);
        for _ in 0..MESSAGES {
            rx.recv().await.expect("a value");
        }
        let change = region.change();
        let steady = change.allocations + change.reallocations;
        assert_eq!(steady, 0, "{MESSAGES} messages through a full channel");
        producer.await.expect("no panic");
    });
}

fn a_broadcast_is_one_allocation_and_its_messages_none() {
    let (created, (tx, mut rx)) = count(|| broadcast::channel::<u64>(16));
    // The shared state and the ring of 16 slots, in one block.
    assert_eq!(created, 1, "broadcast::channel");
    let (steady, ()) = count(|| {
        for n in 0..MESSAGES {
            tx.send(n).expect("a receiver");
            assert_eq!(rx.try_recv(), Ok(n));
        }
    });
    assert_eq!(steady, 0, "{MESSAGES} messages");
}

fn a_watch_is_one_allocation_and_its_sends_none() {
    let (created, (tx, mut rx)) = count(|| watch::channel(0u64));
    assert_eq!(created, 1, "watch::channel");
    let (steady, ()) = count(|| {
        for n in 0..MESSAGES {
            tx.send(n).expect("a receiver");
            assert_eq!(*rx.borrow_and_update(), n);
        }
    });
    assert_eq!(steady, 0, "{MESSAGES} sends");
}
