//! `JoinHandle`: awaiting output, detaching, and many tasks.

mod util;

use std::cell::Cell;
use std::rc::Rc;

use chronia_executor::LocalExecutor;
use util::{CondvarPark, Gate};

#[test]
fn dropping_join_handle_lets_the_task_finish() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let done = Rc::new(Cell::new(false));
    let (g, d) = (gate.clone(), done.clone());
    drop(ex.spawn(async move {
        g.wait().await;
        d.set(true);
    }));
    ex.run_ready();
    gate.open();
    ex.block_on(chronia_executor::yield_now(), &mut CondvarPark::new());
    assert!(done.get());
}

#[test]
fn dropped_handle_output_is_dropped_when_the_task_completes() {
    let ex = LocalExecutor::new();
    let drops = Rc::new(Cell::new(0));
    let d = drops.clone();
    drop(ex.spawn(async move { util::DropCounter(d) }));
    ex.run_ready();
    assert_eq!(drops.get(), 1);
}

#[test]
fn awaiting_task_is_woken_once_when_output_is_ready() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let g = gate.clone();
    let waiter_polls = Rc::new(Cell::new(0));
    let wp = waiter_polls.clone();
    let worker = ex.spawn(async move {
        g.wait().await;
        "done"
    });
    let waiter = ex.spawn(async move {
        let mut worker = worker;
        std::future::poll_fn(|cx| {
            wp.set(wp.get() + 1);
            std::pin::Pin::new(&mut worker).poll(cx)
        })
        .await
    });
    ex.run_ready();
    assert_eq!(waiter_polls.get(), 1);
    ex.run_ready();
    assert_eq!(
        waiter_polls.get(),
        1,
        "not woken before the output is ready"
    );
    gate.open();
    let out = ex
        .block_on(waiter, &mut CondvarPark::new())
        .expect("no panic");
    assert_eq!(out.expect("no panic"), "done");
    assert_eq!(waiter_polls.get(), 2);
}

use std::future::Future;

#[test]
fn hundred_thousand_tasks_are_spawned_and_joined() {
    // Miri takes minutes over 100,000; 1,000 go through the same paths.
    let n: u64 = if cfg!(miri) { 1_000 } else { 100_000 };
    let ex = LocalExecutor::new();
    let sum = ex.block_on(
        async {
            let handles: Vec<_> = (0..n)
                .map(|i| chronia_executor::spawn(async move { i }))
                .collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.expect("no panic");
            }
            sum
        },
        &mut CondvarPark::new(),
    );
    assert_eq!(sum, n * (n - 1) / 2);
    assert_eq!(format!("{ex:?}"), "LocalExecutor { tasks: 0, .. }");
}

#[test]
fn tasks_left_pending_run_in_a_later_block_on() {
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let handle = ex.spawn(gate.wait());
    ex.block_on(async {}, &mut CondvarPark::new());
    assert!(!handle.is_finished());
    gate.open();
    ex.block_on(handle, &mut CondvarPark::new())
        .expect("no panic");
}

#[test]
fn join_handle_debug_shows_state() {
    let ex = LocalExecutor::new();
    let handle = ex.spawn(async {});
    let id = handle.id();
    assert_eq!(
        format!("{handle:?}"),
        format!("JoinHandle {{ id: {id:?}, finished: false }}")
    );
    ex.run_ready();
    assert_eq!(
        format!("{handle:?}"),
        format!("JoinHandle {{ id: {id:?}, finished: true }}")
    );
}

#[test]
fn join_handle_is_unpin_whatever_the_output() {
    fn assert_unpin<U: Unpin>() {}
    assert_unpin::<chronia_executor::JoinHandle<std::marker::PhantomPinned>>();
}

/// Counts its wakes; a foreign waker to the executor.
#[derive(Default)]
struct CountWake(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountWake {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn a_handle_polled_with_a_foreign_waker_is_woken_by_the_completion() {
    use std::sync::atomic::Ordering;
    let ex = LocalExecutor::new();
    let gate = Gate::new();
    let g = gate.clone();
    let mut handle = ex.spawn(async move {
        g.wait().await;
        7
    });
    let count = std::sync::Arc::new(CountWake::default());
    let waker = std::task::Waker::from(count.clone());
    let mut cx = std::task::Context::from_waker(&waker);
    for _ in 0..3 {
        // Outside any executor: the waker is kept (once) and waits.
        assert!(std::pin::Pin::new(&mut handle).poll(&mut cx).is_pending());
    }
    ex.run_ready();
    assert_eq!(
        count.0.load(Ordering::Relaxed),
        0,
        "not woken before the end"
    );
    gate.open();
    ex.run_ready();
    assert_eq!(count.0.load(Ordering::Relaxed), 1, "woken once by the end");
    let out = std::pin::Pin::new(&mut handle).poll(&mut cx);
    assert!(matches!(out, std::task::Poll::Ready(Ok(7))));
    // The handle kept a clone; it was given back when woken.
    assert_eq!(std::sync::Arc::strong_count(&count), 2);
}

/// futures-lite's `block_on` (through smol) awaits a handle whose task an
/// executor runs in the same future: its waker is foreign to chronia.
#[test]
fn a_handle_awaited_in_futures_lite_block_on_completes() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let ex = LocalExecutor::new();
        let handle = ex.spawn(async {
            chronia_executor::yield_now().await;
            "done"
        });
        let run = async {
            // Let the handle register block_on's waker first.
            smol::future::yield_now().await;
            while ex.try_tick() {}
        };
        let (out, ()) = smol::future::block_on(smol::future::zip(handle, run));
        tx.send(out.expect("no panic")).expect("the test waits");
    });
    let out = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("block_on was woken when the task ended");
    assert_eq!(out, "done");
}

#[test]
fn the_main_future_and_a_task_awaiting_a_handle_are_woken() {
    let ex = LocalExecutor::new();
    let mut park = CondvarPark::new();
    // One gate per task: a gate keeps one waker.
    let (gate1, gate2) = (Gate::new(), Gate::new());
    let (g1, g2) = (gate1.clone(), gate2.clone());
    let first = ex.spawn(async move {
        g1.wait().await;
        1
    });
    let second = ex.spawn(async move {
        g2.wait().await;
        2
    });
    let waiter = ex.spawn(async move { second.await.expect("no panic") });
    let out = ex.block_on(
        async {
            let opener = async {
                chronia_executor::yield_now().await;
                gate1.open();
                gate2.open();
            };
            let (a, ()) = smol::future::zip(first, opener).await;
            a.expect("no panic") + waiter.await.expect("no panic")
        },
        &mut park,
    );
    assert_eq!(out, 3);
}

/// A handle polled (outside any executor) with the waker of a task of
/// another executor: the completion wakes that task through its own
/// executor's queue.
#[test]
fn a_handle_polled_with_another_executors_task_waker_wakes_that_task() {
    let (ex1, ex2) = (LocalExecutor::new(), LocalExecutor::new());
    let gate = Gate::new();
    let g = gate.clone();
    let mut handle = ex1.spawn(async move {
        g.wait().await;
        5
    });
    // A task of ex2 that leaves its waker and counts its polls.
    let other = Gate::new();
    let o = other.clone();
    let _waiter = ex2.spawn(async move { o.wait().await });
    ex2.run_ready();
    ex1.run_ready();
    let waker = other.waker();
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(std::pin::Pin::new(&mut handle).poll(&mut cx).is_pending());
    assert_eq!(other.polls(), 1);
    gate.open();
    ex1.run_ready();
    assert!(ex2.try_tick(), "the completion woke ex2's task");
    assert_eq!(other.polls(), 2);
    let out = std::pin::Pin::new(&mut handle).poll(&mut cx);
    assert!(matches!(out, std::task::Poll::Ready(Ok(5))));
}

/// A handle polled with the waker of a task that has ended (the waker
/// outlived the task's local references) keeps that waker safely, and its
/// completion wakes it (a no-op) and gives it back.
#[test]
fn a_handle_polled_with_the_waker_of_an_ended_task_is_safe() {
    let ex = LocalExecutor::new();
    let kept = Rc::new(std::cell::RefCell::new(None::<std::task::Waker>));
    let k = Rc::clone(&kept);
    let ended = ex.spawn(std::future::poll_fn(move |cx| {
        *k.borrow_mut() = Some(cx.waker().clone());
        std::task::Poll::Ready(())
    }));
    ex.run_ready();
    drop(ended);
    let waker = kept.borrow_mut().take().expect("the task left its waker");
    let gate = Gate::new();
    let g = gate.clone();
    let mut handle = ex.spawn(async move {
        g.wait().await;
        9
    });
    ex.run_ready();
    let mut cx = std::task::Context::from_waker(&waker);
    for _ in 0..3 {
        assert!(std::pin::Pin::new(&mut handle).poll(&mut cx).is_pending());
    }
    gate.open();
    ex.run_ready();
    let out = std::pin::Pin::new(&mut handle).poll(&mut cx);
    assert!(matches!(out, std::task::Poll::Ready(Ok(9))));
    drop(waker);
}
