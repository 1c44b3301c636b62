//! `chronia::task::JoinSet`: completion order, drop aborts, shutdown
//! waits, panics surface as `JoinError`, many tasks.

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use chronia::sync::oneshot;
use chronia::task::{JoinSet, yield_now};
use chronia::time::{Duration, sleep};
use util::within;

/// Counts live instances: the count drops when a task's future is dropped.
struct Alive(Rc<RefCell<usize>>);

impl Alive {
    fn new(count: &Rc<RefCell<usize>>) -> Self {
        *count.borrow_mut() += 1;
        Self(Rc::clone(count))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        *self.0.borrow_mut() -= 1;
    }
}

#[test]
fn join_next_gives_outputs_in_completion_order() {
    chronia::block_on(async {
        let mut set = JoinSet::new();
        let mut senders = Vec::new();
        for n in 0..5 {
            let (tx, rx) = oneshot::channel::<()>();
            senders.push(Some(tx));
            set.spawn(async move {
                rx.await.expect("sent");
                n
            });
        }
        for n in [3, 0, 4, 1, 2] {
            senders[n]
                .take()
                .expect("each sender is used once")
                .send(())
                .expect("the task waits");
            assert_eq!(
                within("join", set.join_next()).await.map(Result::ok),
                Some(Some(n))
            );
        }
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn timers_complete_in_deadline_order() {
    chronia::block_on(async {
        let mut set = JoinSet::new();
        for ms in [40u64, 10, 30, 20] {
            set.spawn(async move {
                sleep(Duration::from_millis(ms)).await;
                ms
            });
        }
        let mut order = Vec::new();
        while let Some(out) = within("join", set.join_next()).await {
            order.push(out.expect("no panic"));
        }
        assert_eq!(order, [10, 20, 30, 40]);
    });
}

#[test]
fn dropping_the_set_aborts_its_tasks() {
    chronia::block_on(async {
        let alive = Rc::new(RefCell::new(0));
        let mut set = JoinSet::new();
        for _ in 0..10 {
            let guard = Alive::new(&alive);
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        yield_now().await;
        assert_eq!(*alive.borrow(), 10);
        drop(set);
        assert_eq!(*alive.borrow(), 0, "every task's future was dropped");
    });
}

#[test]
fn shutdown_aborts_and_waits_for_every_task() {
    chronia::block_on(async {
        let alive = Rc::new(RefCell::new(0));
        let mut set = JoinSet::new();
        for n in 0..10 {
            let guard = Alive::new(&alive);
            set.spawn(async move {
                let _guard = guard;
                if n % 2 == 0 {
                    std::future::pending::<()>().await;
                }
            });
        }
        within("shutdown", set.shutdown()).await;
        assert!(set.is_empty());
        assert_eq!(*alive.borrow(), 0);
    });
}

#[test]
fn a_panic_surfaces_as_a_join_error_and_the_others_go_on() {
    chronia::block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("task boom") });
        set.spawn(async {
            yield_now().await;
            7
        });
        let first = within("join", set.join_next()).await.expect("two tasks");
        let error = first.expect_err("the panicking task is first");
        assert!(error.is_panic());
        let payload = error.into_panic();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"task boom"));
        assert_eq!(
            within("join", set.join_next()).await.map(Result::ok),
            Some(Some(7))
        );
    });
}

#[test]
fn abort_all_gives_cancelled_errors() {
    chronia::block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..3 {
            set.spawn(std::future::pending::<()>());
        }
        set.abort_all();
        assert_eq!(set.len(), 3);
        for _ in 0..3 {
            let out = within("join", set.join_next()).await.expect("three tasks");
            assert!(out.expect_err("aborted").is_cancelled());
        }
        assert!(set.is_empty());
    });
}

#[test]
fn try_join_next_never_waits() {
    chronia::block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { 1 });
        assert!(set.try_join_next().is_none());
        yield_now().await;
        assert_eq!(set.try_join_next().map(Result::ok), Some(Some(1)));
        assert!(set.try_join_next().is_none());
    });
}

#[test]
fn detach_all_lets_tasks_finish_and_the_set_goes_on() {
    chronia::block_on(async {
        let (tx, rx) = oneshot::channel();
        let mut set = JoinSet::new();
        set.spawn(async move {
            yield_now().await;
            tx.send(()).expect("main waits");
        });
        set.detach_all();
        assert!(set.is_empty());
        // A new task may reuse the detached task's key.
        set.spawn(async {});
        within("detached task", rx).await.expect("it ran on");
        assert!(within("join", set.join_next()).await.expect("one").is_ok());
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn a_cancelled_join_next_loses_no_output() {
    chronia::block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { 5 });
        {
            let mut cx = Context::from_waker(Waker::noop());
            let join = std::pin::pin!(set.join_next());
            // Not ready yet (the task has not run); the future is dropped.
            assert!(matches!(join.poll(&mut cx), Poll::Pending));
        }
        assert_eq!(
            within("join", set.join_next()).await.map(Result::ok),
            Some(Some(5))
        );
    });
}

#[test]
#[should_panic(expected = "task boom")]
fn join_all_resumes_a_task_panic() {
    chronia::block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("task boom") });
        let _ = set.join_all().await;
    });
}

#[test]
fn a_hundred_thousand_tasks_join() {
    chronia::block_on(async {
        let mut set = JoinSet::new();
        for n in 0..100_000u64 {
            set.spawn(async move { n });
        }
        let mut sum = 0;
        while let Some(out) = within("join", set.join_next()).await {
            sum += out.expect("no panic");
        }
        assert_eq!(sum, (0..100_000u64).sum());
    });
}

#[test]
fn a_set_that_outlives_its_runtime_drops_quietly() {
    let alive = Rc::new(RefCell::new(0));
    let rt = chronia::Runtime::new().expect("runtime");
    let set = rt.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..3 {
            let guard = Alive::new(&alive);
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        yield_now().await;
        set
    });
    drop(rt);
    assert_eq!(*alive.borrow(), 0, "the runtime dropped the tasks");
    assert_eq!(set.len(), 3);
    drop(set);
}

#[test]
fn spawn_returns_an_abort_handle_of_that_task() {
    chronia::block_on(async {
        let mut set = chronia::task::JoinSet::new();
        let handle = set.spawn(std::future::pending::<u8>());
        set.spawn(async { 7u8 });
        handle.abort();
        let mut cancelled = 0;
        let mut values = Vec::new();
        while let Some(result) = set.join_next().await {
            match result {
                Ok(v) => values.push(v),
                Err(e) => {
                    assert!(e.is_cancelled());
                    assert_eq!(e.id(), handle.id());
                    cancelled += 1;
                }
            }
        }
        assert_eq!((cancelled, values), (1, vec![7]));
    });
}
