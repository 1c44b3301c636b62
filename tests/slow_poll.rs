//! The slow-poll alarm of `runtime::Builder::on_slow_poll`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chronia::runtime::{Builder, SlowPoll};

fn runtime_recording(threshold: Duration) -> (chronia::Runtime, Arc<Mutex<Vec<SlowPoll>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let rt = Builder::new()
        .on_slow_poll(threshold, move |slow| {
            s.lock().expect("not poisoned").push(slow.clone());
        })
        .build()
        .expect("runtime");
    (rt, seen)
}

#[test]
fn a_poll_that_blocks_20ms_is_reported_and_a_quick_one_is_not() {
    let (rt, seen) = runtime_recording(Duration::from_millis(10));
    let line = line!() + 5; // the `.spawn(` line below
    let (slow, quick) = rt.block_on(async {
        let quick = chronia::spawn(async { chronia::time::sleep(Duration::from_millis(1)).await });
        let slow = chronia::task::Builder::new()
            .name("blocker")
            .spawn(async { std::thread::sleep(Duration::from_millis(20)) });
        let ids = (slow.id(), quick.id());
        slow.await.expect("no panic");
        quick.await.expect("no panic");
        ids
    });
    let seen = seen.lock().expect("not poisoned");
    assert_eq!(seen.len(), 1, "{seen:?}");
    let report = &seen[0];
    assert_eq!(report.id, slow);
    assert_ne!(report.id, quick);
    assert_eq!(report.name.as_deref(), Some("blocker"));
    assert_eq!(
        (report.location.file(), report.location.line()),
        (file!(), line)
    );
    assert!(report.duration >= Duration::from_millis(20), "{report:?}");
}

#[test]
fn without_the_alarm_nothing_is_timed() {
    // The default runtime has no alarm: a slow poll just runs.
    let rt = chronia::Runtime::new().expect("runtime");
    rt.block_on(async {
        chronia::spawn(async { std::thread::sleep(Duration::from_millis(20)) })
            .await
            .expect("no panic");
    });
    assert_eq!(rt.stats().tasks_completed, 1);
}

#[test]
fn bad_builder_settings_are_invalid_input() {
    for (builder, name) in [
        (Builder::new().poll_budget(0).clone(), "poll_budget"),
        (Builder::new().events_per_turn(0).clone(), "events_per_turn"),
    ] {
        let err = builder.build().expect_err("0 is refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn the_poll_budget_sets_how_often_the_reactor_turns_under_load() {
    let rt = Builder::new().poll_budget(4).build().expect("runtime");
    rt.block_on(async {
        let spinner = chronia::spawn(async {
            for _ in 0..40 {
                chronia::task::yield_now().await;
            }
        });
        spinner.await.expect("no panic");
    });
    let s = rt.stats();
    // 41 polls of the spinner and a few of the main future: at least 10
    // non-blocking turns with a budget of 4 (with 61 there would be none).
    assert!(s.nonblocking_parks >= 10, "{s:?}");
}
