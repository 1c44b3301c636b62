//! `Runtime::stats` and `chronia::runtime::stats`: exact counters on
//! deterministic scenarios.

#![allow(unsafe_code)]

use std::cell::RefCell;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use chronia::Runtime;
use chronia::process::Command;
use chronia::signal::{SIGUSR2, signal};
use chronia::time::sleep;

#[test]
fn ten_tasks_spawned_are_ten_completed() {
    let rt = Runtime::new().expect("runtime");
    rt.block_on(async {
        let tasks: Vec<_> = (0..10).map(|i| chronia::spawn(async move { i })).collect();
        for t in tasks {
            t.await.expect("no panic");
        }
    });
    let s = rt.stats();
    assert_eq!(
        (
            s.tasks_spawned,
            s.tasks_completed,
            s.tasks_alive,
            s.tasks_panicked,
            s.tasks_aborted
        ),
        (10, 10, 0, 0, 0)
    );
    assert_eq!(s.polls, 10, "each task is polled once");
}

#[test]
fn panicked_and_aborted_tasks_are_counted_apart() {
    let rt = Runtime::new().expect("runtime");
    rt.block_on(async {
        let boom = chronia::spawn(async { panic!("boom") });
        assert!(boom.await.is_err());
        let stuck = chronia::spawn(std::future::pending::<()>());
        chronia::task::yield_now().await;
        stuck.abort();
        assert!(stuck.await.expect_err("aborted").is_cancelled());
        // Counted as the run loop forgets it, at its next turn.
        chronia::task::yield_now().await;
    });
    let s = rt.stats();
    assert_eq!(
        (
            s.tasks_spawned,
            s.tasks_panicked,
            s.tasks_aborted,
            s.tasks_completed
        ),
        (2, 1, 1, 0)
    );
}

#[test]
fn three_sleeps_fire_three_timers() {
    let rt = Runtime::new().expect("runtime");
    rt.block_on(async {
        for _ in 0..3 {
            sleep(Duration::from_millis(2)).await;
        }
        assert_eq!(chronia::runtime::stats().timers_pending, 0);
        let mut pending = Box::pin(sleep(Duration::from_secs(60)));
        assert!(
            futures_lite::future::poll_once(&mut pending)
                .await
                .is_none()
        );
        assert_eq!(chronia::runtime::stats().timers_pending, 1);
    });
    let s = rt.stats();
    assert_eq!(s.timers_fired, 3);
    // Two ways to wait for a deadline: arming the timerfd (each expiry is
    // then an event), or a nanosecond epoll_pwait2 timeout (no re-arm, no
    // event; the selector uses it where the kernel has it).
    let timerfd_path = s.timer_rearms > 0;
    assert!(
        !timerfd_path || s.timer_rearms >= 3,
        "on the timerfd path each sleep armed the timerfd: {s:?}"
    );
    assert!(s.blocking_parks >= 3, "{s:?}");
    assert_eq!(
        s.epoll_waits,
        s.blocking_parks + s.nonblocking_parks,
        "one epoll_wait per park"
    );
    assert!(
        !timerfd_path || s.events >= 3,
        "the timerfd reported each expiry: {s:?}"
    );
    assert!(s.busy + s.parked >= Duration::from_millis(6), "{s:?}");
    assert!(s.parked > Duration::ZERO);
}

#[test]
fn one_signal_delivered_is_counted_once() {
    let rt = Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut usr2 = signal(SIGUSR2).expect("listen");
        // SAFETY: raise(3) sends the signal to this thread; a listener exists.
        unsafe { libc::raise(SIGUSR2) };
        usr2.recv().await;
    });
    assert_eq!(rt.stats().signals_delivered, 1);
}

#[test]
fn one_child_spawned_and_reaped() {
    let rt = Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut child = Command::new("true").spawn().expect("spawn true");
        assert!(child.wait().await.expect("wait").success());
    });
    let s = rt.stats();
    assert_eq!((s.children_spawned, s.children_reaped), (1, 1));
}

#[test]
fn fds_registered_go_up_and_down() {
    let rt = Runtime::new().expect("runtime");
    rt.block_on(async {
        let base = chronia::runtime::stats().fds_registered;
        let listener = chronia::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        assert_eq!(chronia::runtime::stats().fds_registered, base + 1);
        drop(listener);
        assert_eq!(chronia::runtime::stats().fds_registered, base);
    });
}

#[test]
fn a_wake_from_another_thread_counts_as_remote() {
    let rt = Runtime::new().expect("runtime");
    let slot: Rc<RefCell<Option<Waker>>> = Rc::new(RefCell::new(None));
    let before = rt.stats();
    rt.block_on(async {
        let s = slot.clone();
        let mut waited = false;
        let task = chronia::spawn(std::future::poll_fn(move |cx| {
            if waited {
                return Poll::Ready(());
            }
            waited = true;
            *s.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }));
        chronia::task::yield_now().await;
        let waker = slot.borrow_mut().take().expect("the task waits");
        let local = chronia::runtime::stats().local_wakes;
        std::thread::spawn(move || waker.wake())
            .join()
            .expect("waker thread");
        task.await.expect("no panic");
        assert_eq!(
            chronia::runtime::stats().local_wakes,
            local + 1,
            "the join handle's wake of main"
        );
    });
    let after = rt.stats();
    assert_eq!(after.remote_wakes - before.remote_wakes, 1);
}
