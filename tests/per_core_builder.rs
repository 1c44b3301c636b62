//! `runtime::Builder::build_per_core`: the builder's options hold on every
//! shard; and a shard stopped through its runtime's `Handle`.

use std::io;
use std::sync::Mutex;
use std::time::Duration;

use chronia::runtime::{Builder, Handle, PerCore};
use chronia::time::timeout;

/// How long any one wait may take before it counts as a hang.
const LIMIT: Duration = Duration::from_secs(30);

/// Each shard: a task that yields 100 times; returns the shard's
/// non-blocking reactor turns (one per poll budget while work stays ready).
async fn yield_turns() -> u64 {
    chronia::spawn(async {
        for _ in 0..100 {
            chronia::task::yield_now().await;
        }
    })
    .await
    .expect("no panic");
    chronia::runtime::stats().nonblocking_parks
}

#[test]
fn every_shard_takes_the_builders_poll_budget() {
    let small = Builder::new()
        .poll_budget(4)
        .build_per_core(2)
        .expect("options are valid")
        .block_on_all(|_| yield_turns())
        .expect("shards run");
    let default = PerCore::new(2)
        .block_on_all(|_| yield_turns())
        .expect("shards run");
    for (shard, (small, default)) in small.iter().zip(&default).enumerate() {
        // About 100 / 4 turns with a budget of 4, about 100 / 61 with the default.
        assert!(
            *small >= 20,
            "shard {shard}: {small} turns with a budget of 4"
        );
        assert!(
            *default < 10,
            "shard {shard}: {default} turns with the default budget"
        );
    }
}

#[test]
fn every_shard_raises_the_builders_slow_poll_alarm_on_its_own_thread() {
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let out = Builder::new()
        .on_slow_poll(Duration::from_millis(10), |slow| {
            let thread = std::thread::current().name().unwrap_or("?").to_owned();
            assert!(slow.duration >= Duration::from_millis(10));
            SEEN.lock().expect("not poisoned").push(thread);
        })
        .build_per_core(3)
        .expect("options are valid")
        .block_on_all(|shard| async move {
            chronia::spawn(async { std::thread::sleep(Duration::from_millis(20)) })
                .await
                .expect("no panic");
            shard.index()
        })
        .expect("shards run");
    assert_eq!(out, [0, 1, 2]);
    let mut seen = SEEN.lock().expect("not poisoned").clone();
    seen.sort();
    assert_eq!(
        seen,
        ["chronia-shard-0", "chronia-shard-1", "chronia-shard-2"]
    );
}

#[test]
fn build_per_core_refuses_zero_shards_and_bad_options() {
    let err = Builder::new().build_per_core(0).expect_err("refused");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("build_per_core(0)"), "{err}");
    let err = Builder::new()
        .poll_budget(0)
        .build_per_core(2)
        .expect_err("refused");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("poll_budget 0"), "{err}");
    let err = Builder::new()
        .events_per_turn(0)
        .build_per_core(2)
        .expect_err("refused");
    assert!(err.to_string().contains("events_per_turn 0"), "{err}");
}

#[test]
fn a_shard_stops_through_its_handle_from_another_thread() {
    let (handles, from_shards) = std::sync::mpsc::channel::<(usize, Handle)>();
    let handles = Mutex::new(handles);
    let per_core = Builder::new().build_per_core(3).expect("valid");
    std::thread::scope(|scope| {
        // A plain thread stops shard 1 through its handle, then the others
        // through theirs once shard 1 has said it stopped.
        scope.spawn(move || {
            let mut got: Vec<(usize, Handle)> = (0..3)
                .map(|_| from_shards.recv().expect("a handle"))
                .collect();
            got.sort_by_key(|(index, _)| *index);
            got[1].1.stop();
        });
        let out = per_core
            .block_on_all(|shard| {
                let to_main = handles.lock().expect("not poisoned").clone();
                async move {
                    let handle = Handle::current();
                    to_main
                        .send((shard.index(), handle.clone()))
                        .expect("the thread listens");
                    if shard.index() == 1 {
                        timeout(LIMIT, shard.stopped())
                            .await
                            .expect("stopped by its handle");
                        assert!(handle.is_stopped() && shard.is_stopped());
                        // The others are still running: stop them through the
                        // shards' Stopper, which their handles see.
                        shard.stopper().stop();
                    } else {
                        timeout(LIMIT, handle.stopped())
                            .await
                            .expect("stopped by the stopper");
                    }
                    (shard.index(), shard.is_stopped())
                }
            })
            .expect("shards run");
        assert_eq!(out, [(0, true), (1, true), (2, true)]);
    });
}

#[test]
fn stopping_one_shards_handle_leaves_the_others_running() {
    let out = Builder::new()
        .build_per_core(2)
        .expect("valid")
        .block_on_all(|shard| async move {
            if shard.index() == 0 {
                Handle::current().stop();
            }
            // Let a stop of the other shard, if there were one, arrive.
            chronia::time::sleep(Duration::from_millis(20)).await;
            shard.is_stopped()
        })
        .expect("shards run");
    assert_eq!(out, [true, false]);
}
