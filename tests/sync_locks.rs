//! `chronia::sync::{Mutex, RwLock}`: exclusion, FIFO order, cancellation
//! that passes the lock on, writers not starved.

mod util;

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use chronia::sync::{Mutex, RwLock};
use chronia::task::yield_now;
use util::within;

async fn settle() {
    for _ in 0..20 {
        yield_now().await;
    }
}

#[test]
fn mutex_excludes_across_awaits() {
    chronia::block_on(async {
        let state = Rc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..20)
            .map(|n| {
                let state = Rc::clone(&state);
                chronia::spawn(async move {
                    let mut guard = state.lock().await;
                    guard.push(n);
                    yield_now().await;
                    // Nobody else got in while we yielded.
                    assert_eq!(guard.last(), Some(&n));
                })
            })
            .collect();
        for task in tasks {
            within("task", task).await.expect("no panic");
        }
        assert_eq!(state.lock().await.len(), 20);
    });
}

#[test]
fn mutex_waiters_get_the_lock_in_fifo_order() {
    chronia::block_on(async {
        let mutex = Rc::new(Mutex::new(Vec::new()));
        let guard = mutex.lock().await;
        for n in 0..10 {
            let mutex = Rc::clone(&mutex);
            let _task = chronia::spawn(async move { mutex.lock().await.push(n) });
            settle().await;
        }
        drop(guard);
        within("all locked", async {
            while mutex.lock().await.len() < 10 {
                yield_now().await;
            }
        })
        .await;
        assert_eq!(*mutex.lock().await, (0..10).collect::<Vec<_>>());
    });
}

#[test]
fn a_dropped_lock_future_passes_the_lock_on() {
    let mutex = Mutex::new(0);
    let mut cx = Context::from_waker(Waker::noop());
    let guard = mutex.try_lock().expect("free");
    let mut first = Box::pin(mutex.lock());
    let mut second = Box::pin(mutex.lock());
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    drop(guard); // hands the lock to `first`, which never runs again
    drop(first);
    let Poll::Ready(mut guard) = second.as_mut().poll(&mut cx) else {
        panic!("the lock went to the next waiter");
    };
    *guard += 1;
    drop(guard);
    drop(second);
    assert_eq!(mutex.into_inner(), 1);
}

#[test]
fn try_lock_does_not_barge_past_waiters() {
    let mutex = Mutex::new(());
    let mut cx = Context::from_waker(Waker::noop());
    let guard = mutex.try_lock().expect("free");
    let mut waiter = Box::pin(mutex.lock());
    assert!(waiter.as_mut().poll(&mut cx).is_pending());
    drop(guard);
    assert!(mutex.try_lock().is_err());
    assert!(waiter.as_mut().poll(&mut cx).is_ready());
}

#[test]
fn mutex_with_a_hundred_thousand_waiters() {
    chronia::block_on(async {
        let mutex = Rc::new(Mutex::new(0usize));
        let guard = mutex.lock().await;
        for _ in 0..100_000 {
            let mutex = Rc::clone(&mutex);
            let _task = chronia::spawn(async move { *mutex.lock().await += 1 });
        }
        settle().await;
        drop(guard);
        within("all locked", async {
            while *mutex.lock().await < 100_000 {
                yield_now().await;
            }
        })
        .await;
    });
}

#[test]
fn readers_share_and_writers_exclude() {
    let lock = RwLock::new(1);
    let a = lock.try_read().expect("free");
    let b = lock.try_read().expect("readers share");
    assert!(lock.try_write().is_err());
    assert_eq!(*a + *b, 2);
    drop((a, b));
    let mut w = lock.try_write().expect("free");
    *w = 2;
    assert!(lock.try_read().is_err());
    drop(w);
    assert_eq!(*lock.try_read().expect("free"), 2);
}

#[test]
fn a_waiting_writer_holds_back_later_readers() {
    let lock = RwLock::new(0);
    let mut cx = Context::from_waker(Waker::noop());
    let reader = lock.try_read().expect("free");
    let mut writer = Box::pin(lock.write());
    assert!(writer.as_mut().poll(&mut cx).is_pending());
    assert!(lock.try_read().is_err());
    let mut late_reader = Box::pin(lock.read());
    assert!(late_reader.as_mut().poll(&mut cx).is_pending());
    drop(reader);
    let Poll::Ready(mut guard) = writer.as_mut().poll(&mut cx) else {
        panic!("the writer is next");
    };
    *guard = 1;
    assert!(late_reader.as_mut().poll(&mut cx).is_pending());
    drop(guard);
    let Poll::Ready(read) = late_reader.as_mut().poll(&mut cx) else {
        panic!("the reader is next");
    };
    assert_eq!(*read, 1);
}

#[test]
fn a_dropped_write_future_lets_queued_readers_in() {
    let lock = RwLock::new(());
    let mut cx = Context::from_waker(Waker::noop());
    let reader = lock.try_read().expect("free");
    let mut writer = Box::pin(lock.write());
    let mut late_reader = Box::pin(lock.read());
    assert!(writer.as_mut().poll(&mut cx).is_pending());
    assert!(late_reader.as_mut().poll(&mut cx).is_pending());
    drop(writer);
    assert!(late_reader.as_mut().poll(&mut cx).is_ready());
    drop(reader);
}

#[test]
fn rwlock_across_many_tasks() {
    chronia::block_on(async {
        let lock = Rc::new(RwLock::new(0u32));
        let seen = Rc::new(RefCell::new(Vec::new()));
        let mut tasks = Vec::new();
        for n in 0..100 {
            let (lock, seen) = (Rc::clone(&lock), Rc::clone(&seen));
            tasks.push(chronia::spawn(async move {
                if n % 4 == 0 {
                    let mut w = lock.write().await;
                    yield_now().await;
                    *w += 1;
                } else {
                    let r = lock.read().await;
                    yield_now().await;
                    seen.borrow_mut().push(*r);
                }
            }));
        }
        for task in tasks {
            within("task", task).await.expect("no panic");
        }
        assert_eq!(*lock.read().await, 25);
        assert_eq!(seen.borrow().len(), 75);
    });
}

#[test]
fn wakers_outlive_the_runtime() {
    let mutex = Rc::new(Mutex::new(0));
    let guard_holder = Rc::clone(&mutex);
    let guard = guard_holder.try_lock().expect("free");
    {
        let rt = chronia::Runtime::new().expect("runtime");
        let waiter = Rc::clone(&mutex);
        rt.block_on(async move {
            let _task = chronia::spawn(async move { *waiter.lock().await += 1 });
            settle().await;
        });
    }
    drop(guard);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(pin!(mutex.lock()).poll(&mut cx).is_ready());
}

/// A waker that counts its wakes.
fn counting_waker() -> (Waker, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    struct Count(std::sync::Arc<std::sync::atomic::AtomicUsize>);
    impl std::task::Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let waker = Waker::from(std::sync::Arc::new(Count(std::sync::Arc::clone(&count))));
    (waker, count)
}

#[test]
fn a_dropped_lock_future_that_was_handed_the_lock_wakes_the_next_waiter() {
    let mutex = Mutex::new(());
    let noop = Context::from_waker(Waker::noop());
    let (waker, woken) = counting_waker();
    let guard = mutex.try_lock().expect("free");
    let mut first = Box::pin(mutex.lock());
    let mut second = Box::pin(mutex.lock());
    assert!(first.as_mut().poll(&mut { noop }).is_pending());
    assert!(
        second
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    drop(guard);
    assert_eq!(
        woken.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "the lock went to `first`"
    );
    drop(first);
    assert_eq!(
        woken.load(std::sync::atomic::Ordering::Relaxed),
        1,
        "`second` was woken"
    );
    assert!(
        second
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
    );
}

#[test]
fn a_dropped_write_future_wakes_the_readers_behind_it() {
    let lock = RwLock::new(());
    let (waker, woken) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let reader = lock.try_read().expect("free");
    let mut writer = Box::pin(lock.write());
    let mut late_reader = Box::pin(lock.read());
    assert!(writer.as_mut().poll(&mut cx).is_pending());
    assert!(late_reader.as_mut().poll(&mut cx).is_pending());
    drop(writer);
    assert_eq!(
        woken.load(std::sync::atomic::Ordering::Relaxed),
        1,
        "the reader was woken"
    );
    assert!(late_reader.as_mut().poll(&mut cx).is_ready());
    drop(reader);
}

#[test]
fn a_lock_waker_left_behind_is_woken_after_its_runtime_dropped() {
    let mutex = Mutex::new(0);
    let guard = mutex.try_lock().expect("free");
    let mut waiting = Box::pin(mutex.lock());
    assert!(util::poll_once_in_a_dropped_runtime(&mut waiting));
    // Hands the lock to `waiting` and wakes the dead runtime's waker.
    drop(guard);
    let mut cx = Context::from_waker(Waker::noop());
    let Poll::Ready(mut guard) = waiting.as_mut().poll(&mut cx) else {
        panic!("the lock was handed over");
    };
    *guard += 1;
    drop(guard);
    drop(waiting);
    assert_eq!(mutex.into_inner(), 1);
}

#[test]
fn rwlock_wakers_left_behind_are_woken_after_their_runtime_dropped() {
    let lock = RwLock::new(0);
    let reader = lock.try_read().expect("free");
    let mut writer = Box::pin(lock.write());
    assert!(util::poll_once_in_a_dropped_runtime(&mut writer));
    let mut late_reader = Box::pin(lock.read());
    assert!(util::poll_once_in_a_dropped_runtime(&mut late_reader));
    drop(reader);
    let mut cx = Context::from_waker(Waker::noop());
    let Poll::Ready(mut guard) = writer.as_mut().poll(&mut cx) else {
        panic!("the writer was next");
    };
    *guard = 2;
    drop(guard);
    let Poll::Ready(read) = late_reader.as_mut().poll(&mut cx) else {
        panic!("the reader was next");
    };
    assert_eq!(*read, 2);
}

#[test]
fn rwlock_waiters_get_the_lock_in_fifo_order() {
    chronia::block_on(async {
        let lock = Rc::new(RwLock::new(()));
        let log = Rc::new(RefCell::new(Vec::new()));
        let first = lock.write().await;
        let mut tasks = Vec::new();
        for name in ["r1", "r2", "w1", "r3", "w2", "r4"] {
            let (lock, log) = (Rc::clone(&lock), Rc::clone(&log));
            tasks.push(chronia::spawn(async move {
                if name.starts_with('w') {
                    let _guard = lock.write().await;
                    log.borrow_mut().push(name);
                    settle().await;
                } else {
                    let _guard = lock.read().await;
                    log.borrow_mut().push(name);
                    settle().await;
                }
            }));
            // Each queues before the next is spawned.
            settle().await;
        }
        assert!(log.borrow().is_empty(), "the writer holds the lock");
        drop(first);
        for task in tasks {
            within("every waiter", task).await.expect("no panic");
        }
        // r1 and r2 share; w1 waits for both, r3 for w1 (no barging past a
        // queued writer), w2 for r3, r4 for w2.
        assert_eq!(*log.borrow(), ["r1", "r2", "w1", "r3", "w2", "r4"]);
    });
}

#[test]
fn rwlock_with_a_hundred_thousand_waiters() {
    const WAITERS: usize = 100_000;
    chronia::block_on(async {
        let lock = Rc::new(RwLock::new(0usize));
        let writer = lock.write().await;
        for n in 0..WAITERS {
            let lock = Rc::clone(&lock);
            let _task = chronia::spawn(async move {
                if n % 2 == 0 {
                    *lock.write().await += 1;
                } else {
                    let _shared = lock.read().await;
                    yield_now().await;
                }
            });
        }
        settle().await;
        drop(writer);
        within("all passed", async {
            while *lock.read().await < WAITERS / 2 {
                yield_now().await;
            }
        })
        .await;
        // Every reader left too: the lock is free for a writer again.
        within("readers gone", async {
            while lock.try_write().is_err() {
                yield_now().await;
            }
        })
        .await;
    });
}
