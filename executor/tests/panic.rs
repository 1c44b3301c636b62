//! Panics: in a task they reach its `JoinHandle`; in the main future they
//! reach the caller, and the executor stays usable.

mod util;

use std::panic::{AssertUnwindSafe, catch_unwind};

use chronia_executor::LocalExecutor;
use util::CondvarPark;

#[test]
fn panic_in_task_reaches_join_handle_and_other_tasks_run() {
    let ex = LocalExecutor::new();
    let (err, after) = ex.block_on(
        async {
            let bad = chronia_executor::spawn(async { panic!("task failed") });
            let good = chronia_executor::spawn(async { 5 });
            let err = bad.await.expect_err("the task gave no output");
            let later = chronia_executor::spawn(async { 6 });
            (
                err,
                good.await.expect("no panic") + later.await.expect("no panic"),
            )
        },
        &mut CondvarPark::new(),
    );
    assert_eq!(after, 11);
    assert!(err.is_panic() && !err.is_cancelled());
    assert_eq!(
        err.to_string(),
        format!("task {} panicked with message \"task failed\"", err.id())
    );
    let payload = err.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"task failed"));
}

#[test]
fn panic_with_formatted_message_keeps_its_string_payload() {
    let ex = LocalExecutor::new();
    let n = 3;
    let handle = ex.spawn(async move { panic!("failed after {n} tries") });
    let err = ex
        .block_on(handle, &mut CondvarPark::new())
        .expect_err("the task gave no output");
    let payload = err.try_into_panic().expect("a panic");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("failed after 3 tries")
    );
}

#[test]
fn panic_in_main_future_propagates_and_executor_stays_usable() {
    let ex = LocalExecutor::new();
    let pending = ex.spawn(std::future::pending::<()>());
    let caught = catch_unwind(AssertUnwindSafe(|| {
        ex.block_on(async { panic!("main failed") }, &mut CondvarPark::new())
    }));
    let payload = caught.expect_err("the panic propagates");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"main failed"));
    assert!(!chronia_executor::is_inside_runtime());
    // block_on works again (the nesting guard was reset), and spawn too.
    let out = ex.block_on(
        async {
            chronia_executor::spawn(async { 1 })
                .await
                .expect("no panic")
        },
        &mut CondvarPark::new(),
    );
    assert_eq!(out, 1);
    pending.abort();
    drop(ex);
}

#[test]
fn panic_in_future_drop_after_ready_is_reported_as_panic() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("drop failed");
        }
    }
    let ex = LocalExecutor::new();
    let handle = ex.spawn(async {
        let _bomb = Bomb;
        chronia_executor::yield_now().await;
    });
    let err = ex
        .block_on(handle, &mut CondvarPark::new())
        .expect_err("the task gave no output");
    assert!(err.is_panic());
    assert_eq!(
        err.to_string(),
        format!("task {} panicked with message \"drop failed\"", err.id())
    );
}

/// A waker that panics when woken.
struct PanicsWhenWoken;

impl std::task::Wake for PanicsWhenWoken {
    fn wake(self: std::sync::Arc<Self>) {
        panic!("this waker panics when woken");
    }
}

/// A foreign joiner's waker that panics as the executor's drop cancels the
/// task it waits for: the panic comes out of the drop, and the executor is
/// still torn down (its remote closed: Miri reports a leak otherwise, and
/// a waker of another task dropped later still frees that task).
#[test]
fn a_joiner_waker_panicking_in_the_executors_drop_still_closes_it() {
    let ex = LocalExecutor::new();
    let mut handle = ex.spawn(std::future::pending::<()>());
    let kept = std::rc::Rc::new(std::cell::RefCell::new(None));
    let k = kept.clone();
    let _other = ex.spawn(std::future::poll_fn(move |cx| {
        *k.borrow_mut() = Some(cx.waker().clone());
        std::task::Poll::<()>::Pending
    }));
    ex.run_ready();
    let waker = std::task::Waker::from(std::sync::Arc::new(PanicsWhenWoken));
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(std::pin::Pin::new(&mut handle).poll(&mut cx).is_pending());
    let dropped = catch_unwind(AssertUnwindSafe(|| drop(ex)));
    assert!(dropped.is_err(), "the joiner's panic comes out of the drop");
    let other_waker = kept.borrow_mut().take().expect("polled");
    std::thread::spawn(move || drop(other_waker))
        .join()
        .expect("the thread did not panic");
    drop(handle);
}
