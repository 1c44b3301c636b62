//! The runtime end to end: `block_on`, `spawn`, `JoinHandle`, abort,
//! panics, misuse, wakes from other threads, many tasks, tasks that outlive
//! a `block_on`, and dropping a runtime.

mod util;

use std::cell::Cell;
use std::future::{pending, poll_fn};
use std::io::Read;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::thread;
use util::within_thread as within;

use chronia::Runtime;
use chronia::task::yield_now;
use chronia::time::{Duration, Instant, sleep, timeout};

/// Generous bound for anything that should be prompt.
const LIMIT: Duration = Duration::from_secs(20);

fn runtime() -> Runtime {
    Runtime::new().expect("a runtime")
}

/// Sets its flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

fn drop_flag() -> (DropFlag, Rc<Cell<bool>>) {
    let flag = Rc::new(Cell::new(false));
    (DropFlag(flag.clone()), flag)
}

#[test]
fn block_on_returns_the_output_of_its_future() {
    assert_eq!(chronia::block_on(async { 6 * 7 }), 42);
    let rt = runtime();
    assert_eq!(rt.block_on(async { "first" }), "first");
    assert_eq!(
        rt.block_on(async {
            yield_now().await;
            "second, on the same runtime"
        }),
        "second, on the same runtime"
    );
}

#[test]
fn spawned_task_output_comes_through_its_join_handle() {
    chronia::block_on(async {
        let local = Rc::new(5); // tasks need not be Send
        let task = chronia::spawn(async move {
            sleep(Duration::from_millis(1)).await;
            *local * 2
        });
        assert!(!task.is_finished());
        let out = timeout(LIMIT, task)
            .await
            .expect("prompt")
            .expect("no panic");
        assert_eq!(out, 10);
    });
}

#[test]
fn runtime_spawn_runs_the_task_during_block_on() {
    let rt = runtime();
    let task = rt.spawn(async { "done" });
    assert!(!task.is_finished(), "nothing runs outside block_on");
    assert_eq!(rt.block_on(task).expect("no panic"), "done");
}

#[test]
fn detached_task_keeps_running() {
    chronia::block_on(async {
        let ran = Rc::new(Cell::new(false));
        let r = ran.clone();
        drop(chronia::spawn(async move {
            yield_now().await;
            r.set(true);
        }));
        timeout(LIMIT, async {
            while !ran.get() {
                yield_now().await;
            }
        })
        .await
        .expect("the detached task ran");
    });
}

#[test]
fn abort_cancels_a_pending_task_and_drops_its_future() {
    chronia::block_on(async {
        let (flag, dropped) = drop_flag();
        let task = chronia::spawn(async move {
            let _flag = flag;
            pending::<()>().await;
        });
        yield_now().await; // the task runs and waits
        assert!(!dropped.get());
        task.abort();
        assert!(
            dropped.get(),
            "abort drops the future of an idle task at once"
        );
        assert!(task.is_finished());
        let err = task.await.expect_err("aborted");
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
    });
}

#[test]
fn abort_after_completion_keeps_the_output() {
    chronia::block_on(async {
        let task = chronia::spawn(async { 3 });
        yield_now().await;
        assert!(task.is_finished());
        task.abort();
        assert_eq!(task.await.expect("completed before the abort"), 3);
    });
}

#[test]
fn panicking_task_gives_a_panic_join_error_and_the_runtime_goes_on() {
    chronia::block_on(async {
        let task = chronia::spawn(async {
            yield_now().await;
            panic!("boom in a task");
        });
        let err: chronia::task::JoinError = task.await.expect_err("the task panicked");
        assert!(err.is_panic());
        assert!(!err.is_cancelled());
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in a task"));

        // The runtime and its timers still work.
        let after = chronia::spawn(async {
            sleep(Duration::from_millis(1)).await;
            "still running"
        });
        assert_eq!(after.await.expect("no panic"), "still running");
    });
}

#[test]
#[should_panic(expected = "inside a chronia runtime")]
fn spawn_outside_a_runtime_panics_with_a_message() {
    drop(chronia::spawn(async {}));
}

#[test]
#[should_panic(expected = "cannot be called inside `block_on`")]
fn nested_block_on_panics_with_a_message() {
    chronia::block_on(async {
        chronia::block_on(async {});
    });
}

#[test]
#[should_panic(expected = "cannot be called inside `block_on`")]
fn nested_block_on_of_the_same_runtime_panics_with_a_message() {
    let rt = Rc::new(runtime());
    let inner = rt.clone();
    rt.block_on(async move {
        inner.block_on(async {});
    });
}

#[test]
fn runtime_is_usable_after_its_block_on_panicked() {
    let rt = runtime();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { panic!("main future panics") });
    }));
    assert!(caught.is_err());
    assert_eq!(
        rt.block_on(async {
            sleep(Duration::from_millis(1)).await;
            1
        }),
        1
    );
    // And the thread is no longer "inside" a runtime.
    assert_eq!(chronia::block_on(async { 2 }), 2);
}

#[test]
fn a_wake_from_another_thread_unparks_a_runtime_waiting_with_no_timers() {
    let took = within(LIMIT, || {
        let rt = runtime();
        rt.block_on(async {
            let start = Instant::now();
            let task = chronia::spawn(async {
                let done = Arc::new(AtomicBool::new(false));
                let mut sent = false;
                poll_fn(|cx| {
                    if done.load(Ordering::Acquire) {
                        return Poll::Ready(());
                    }
                    if !sent {
                        sent = true;
                        let (done, waker) = (done.clone(), cx.waker().clone());
                        thread::spawn(move || {
                            thread::sleep(Duration::from_millis(50));
                            done.store(true, Ordering::Release);
                            waker.wake();
                        });
                    }
                    Poll::Pending
                })
                .await;
            });
            // No timer anywhere: the runtime parks in epoll_wait forever
            // unless the other thread's wake reaches it.
            task.await.expect("no panic");
            start.elapsed()
        })
    });
    assert!(
        took >= Duration::from_millis(50),
        "woke before the wake: {took:?}"
    );
    assert!(took < Duration::from_secs(5), "the wake took {took:?}");
}

#[test]
fn many_wakes_from_other_threads_all_arrive() {
    within(LIMIT, || {
        chronia::block_on(async {
            let tasks: Vec<_> = (0..50u64)
                .map(|i| {
                    chronia::spawn(async move {
                        let done = Arc::new(AtomicBool::new(false));
                        let mut sent = false;
                        poll_fn(|cx| {
                            if done.load(Ordering::Acquire) {
                                return Poll::Ready(i);
                            }
                            if !sent {
                                sent = true;
                                let (done, waker) = (done.clone(), cx.waker().clone());
                                thread::spawn(move || {
                                    thread::sleep(Duration::from_millis(i % 7));
                                    done.store(true, Ordering::Release);
                                    waker.wake();
                                });
                            }
                            Poll::Pending
                        })
                        .await
                    })
                })
                .collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.expect("no panic");
            }
            assert_eq!(sum, (0..50).sum());
        });
    });
}

#[test]
fn a_hundred_thousand_spawned_tasks_are_all_joined() {
    chronia::block_on(async {
        const N: u64 = 100_000;
        timeout(Duration::from_secs(60), async {
            let tasks: Vec<_> = (0..N)
                .map(|i| {
                    chronia::spawn(async move {
                        if i % 2 == 0 {
                            yield_now().await;
                        }
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.expect("no panic");
            }
            assert_eq!(sum, N * (N - 1) / 2);
        })
        .await
        .expect("100,000 tasks within a minute");
    });
}

#[test]
fn tasks_left_running_by_block_on_go_on_at_the_next_block_on() {
    let rt = runtime();
    let steps = Rc::new(Cell::new(0));
    let s = steps.clone();
    let task = rt.spawn(async move {
        s.set(1);
        sleep(Duration::from_millis(20)).await;
        s.set(2);
        "finished later"
    });
    rt.block_on(yield_now()); // the task starts and waits on its timer
    assert_eq!(steps.get(), 1);
    assert!(!task.is_finished());
    thread::sleep(Duration::from_millis(40));
    assert_eq!(steps.get(), 1, "nothing runs outside block_on");
    let out = rt.block_on(async { timeout(LIMIT, task).await.expect("prompt") });
    assert_eq!(out.expect("no panic"), "finished later");
    assert_eq!(steps.get(), 2);
}

#[test]
fn dropping_a_runtime_drops_its_pending_tasks() {
    let rt = runtime();
    let (waiting_flag, waiting_dropped) = drop_flag();
    let (fresh_flag, fresh_dropped) = drop_flag();
    let (io_flag, io_dropped) = drop_flag();
    // A task that ran and waits forever.
    let waiting = rt.spawn(async move {
        let _flag = waiting_flag;
        pending::<()>().await;
    });
    // A task that waits on a timer and a registered fd.
    let with_io = rt.spawn(async move {
        let _flag = io_flag;
        let (a, _b) = std::os::unix::net::UnixStream::pair().expect("socketpair");
        let a = chronia::io::Async::new(a).expect("register");
        let mut buf = [0u8; 8];
        let read = a.read_with(|s| (&*s).read(&mut buf));
        let _ = timeout(Duration::from_secs(3600), read).await;
    });
    rt.block_on(yield_now());
    // A task that never ran.
    let fresh = rt.spawn(async move {
        let _flag = fresh_flag;
    });
    assert!(!waiting_dropped.get() && !io_dropped.get() && !fresh_dropped.get());
    drop(rt);
    assert!(waiting_dropped.get(), "a waiting task outlived its runtime");
    assert!(
        io_dropped.get(),
        "a task holding a timer and an fd outlived its runtime"
    );
    assert!(
        fresh_dropped.get(),
        "a task that never ran outlived its runtime"
    );
    assert!(waiting.is_finished() && with_io.is_finished() && fresh.is_finished());
}

#[test]
fn two_runtimes_on_one_thread_are_independent() {
    let a = runtime();
    let b = runtime();
    let on_a = a.spawn(async { "a" });
    assert_eq!(b.block_on(async { "b" }), "b");
    assert!(!on_a.is_finished(), "b does not run a's tasks");
    assert_eq!(a.block_on(on_a).expect("no panic"), "a");
}

#[test]
fn a_sleep_made_in_one_runtime_completes_when_awaited_in_another() {
    // Before the fix its timer stayed in the first runtime's heap, which
    // nobody drove: the second `block_on` hung.
    within(LIMIT, || {
        let a = runtime();
        let (short, long) = a.block_on(async {
            let mut long = Box::pin(sleep(Duration::from_secs(3600)));
            // Registered in `a`'s heap first.
            assert!(futures_lite::future::poll_once(&mut long).await.is_none());
            (sleep(Duration::from_millis(5)), long)
        });
        let b = runtime();
        let start = Instant::now();
        b.block_on(async {
            short.await;
            let mut long = long;
            long.as_mut()
                .reset(Instant::now() + Duration::from_millis(5));
            long.await;
        });
        assert!(start.elapsed() >= Duration::from_millis(5));
    });
}

#[test]
fn a_socket_polled_under_another_runtime_panics_with_the_rule() {
    // Before the fix the read registered its waker with the first
    // runtime's epoll, which nobody drove: the second `block_on` hung.
    within(LIMIT, || {
        let a = runtime();
        let (x, _y) = a
            .block_on(async { chronia::net::UnixStream::pair() })
            .expect("pair");
        let b = runtime();
        let err = b.block_on(async {
            chronia::spawn(async move {
                let mut buf = [0; 8];
                let _ = x.read(&mut buf).await;
            })
            .await
            .expect_err("the read panics")
        });
        assert!(err.is_panic());
        let msg = format!("{err:?}");
        assert!(
            msg.contains("polled under a chronia runtime other than the one it was created in"),
            "{msg}"
        );
    });
}

thread_local! {
    static KEPT: std::cell::RefCell<Option<Runtime>> = const { std::cell::RefCell::new(None) };
}

#[test]
#[ignore = "run by a_runtime_kept_in_a_thread_local_drops_at_thread_exit, in a child process"]
fn thread_local_runtime_child() {
    let t = thread::spawn(|| {
        // The thread-local is set before the runtime first runs, so that
        // it is destroyed after chronia's own locals (destructors run in
        // the reverse order of first use).
        KEPT.with(|k| *k.borrow_mut() = Some(runtime()));
        KEPT.with(|k| {
            let kept = k.borrow();
            let rt = kept.as_ref().expect("just set");
            rt.block_on(async {
                // Something for the drop to clean up: a task with a timer.
                drop(chronia::spawn(sleep(Duration::from_secs(3600))));
                yield_now().await;
            });
        });
    });
    t.join().expect("the thread exits cleanly");
    println!("thread exited");
}

#[test]
fn a_runtime_kept_in_a_thread_local_drops_at_thread_exit() {
    // Before the fix the runtime's drop entered its context with
    // `LocalKey::with` after the context's own local was gone: a panic in
    // a TLS destructor, which aborts the process.
    util::run_isolated("thread_local_runtime_child", None);
}

#[test]
#[expect(
    clippy::async_yields_async,
    reason = "the JoinHandle is carried out of runtime a on purpose"
)]
fn a_join_handle_awaited_under_another_runtime_panics_naming_the_rule() {
    let a = chronia::Runtime::new().expect("runtime a");
    let b = chronia::Runtime::new().expect("runtime b");
    let handle = a.block_on(async {
        chronia::spawn(async {
            chronia::time::sleep(std::time::Duration::from_millis(5)).await;
            5
        })
    });
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // The timeout only turns a regression (a silent hang) into a failure.
        b.block_on(async {
            chronia::time::timeout(std::time::Duration::from_secs(5), handle).await
        })
    }))
    .expect_err("awaiting it under runtime b must panic, not hang");
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or_default();
    assert!(
        message.contains("must be awaited inside the runtime that spawned its task"),
        "{message}"
    );
}

#[test]
#[expect(
    clippy::async_yields_async,
    reason = "the JoinHandle is carried out of runtime a on purpose"
)]
fn a_finished_task_can_be_joined_under_another_runtime() {
    let a = chronia::Runtime::new().expect("runtime a");
    let b = chronia::Runtime::new().expect("runtime b");
    let handle = a.block_on(async {
        let handle = chronia::spawn(async { 7 });
        chronia::task::yield_now().await;
        handle
    });
    assert!(handle.is_finished());
    assert_eq!(b.block_on(handle).expect("no panic"), 7);
}
