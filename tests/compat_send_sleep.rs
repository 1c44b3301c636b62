//! `time::SendSleep`: `Send + Sync`, usable after a round trip through
//! another thread, and refusing with the documented panic when polled or
//! reset on another thread.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use chronia::time::SendSleep;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn send_sleep_is_send_and_sync() {
    assert_send_sync::<SendSleep>();
}

fn panic_message(err: &Box<dyn std::any::Any + Send>) -> String {
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn polling_or_resetting_on_another_thread_panics_naming_the_rule() {
    chronia::block_on(async {
        let start = Instant::now();
        let sleep = SendSleep::new(Duration::from_millis(5));
        let sleep = std::thread::spawn(move || {
            let mut sleep = sleep;
            let polled = catch_unwind(AssertUnwindSafe(|| {
                let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
                let _ = std::pin::Pin::new(&mut sleep).poll(&mut cx);
            }))
            .expect_err("polling on another thread panics");
            let msg = panic_message(&polled);
            assert!(
                msg.contains("SendSleep") && msg.contains("thread other than"),
                "{msg}"
            );
            let reset = catch_unwind(AssertUnwindSafe(|| sleep.reset(Instant::now())))
                .expect_err("resetting on another thread panics");
            assert!(panic_message(&reset).contains("thread other than"));
            sleep
        })
        .join()
        .expect("the checks passed");
        // Back on its own thread it works as any sleep.
        sleep.await;
        assert!(start.elapsed() >= Duration::from_millis(5));
    });
}

#[test]
fn dropping_on_another_thread_does_not_panic() {
    chronia::block_on(async {
        let sleep = SendSleep::new(Duration::from_secs(60));
        std::thread::spawn(move || drop(sleep))
            .join()
            .expect("a drop on another thread hands the sleep back instead of panicking");
    });
}

#[test]
fn reset_in_place_moves_the_deadline_both_ways() {
    chronia::block_on(async {
        let start = Instant::now();
        let mut sleep = SendSleep::new(Duration::from_secs(3600));
        sleep.reset(start + Duration::from_millis(3));
        assert_eq!(sleep.deadline(), start + Duration::from_millis(3));
        (&mut sleep).await;
        assert!(start.elapsed() >= Duration::from_millis(3));
        assert!(sleep.is_elapsed());
    });
}
