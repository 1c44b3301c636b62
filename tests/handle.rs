//! `runtime::Handle`: spawning `Send` futures from other threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chronia::Runtime;
use chronia::runtime::Handle;

fn assert_send_sync_clone<T: Send + Sync + Clone>() {}

#[test]
fn handle_is_send_sync_clone() {
    assert_send_sync_clone::<Handle>();
}

#[test]
fn eight_threads_spawn_a_thousand_futures_each_and_every_one_runs_once() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 1_000;
    let rt = Runtime::new().expect("runtime");
    let handle = rt.handle();
    let runs: Arc<Vec<AtomicUsize>> = Arc::new(
        (0..THREADS * PER_THREAD)
            .map(|_| AtomicUsize::new(0))
            .collect(),
    );
    let total = rt.block_on(async {
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let handle = handle.clone();
                let runs = runs.clone();
                std::thread::spawn(move || {
                    (0..PER_THREAD)
                        .map(|i| {
                            let runs = runs.clone();
                            let n = t * PER_THREAD + i;
                            handle.spawn(async move {
                                runs[n].fetch_add(1, Ordering::Relaxed);
                                n
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // The runtime keeps running while the threads push: join them on
        // the blocking pool, not on this thread.
        let mut total = 0;
        for thread in threads {
            let tasks = chronia::task::spawn_blocking(move || thread.join().expect("no panic"))
                .await
                .expect("no panic");
            for task in tasks {
                total += task.await.expect("the task does not panic");
            }
        }
        total
    });
    let n = THREADS * PER_THREAD;
    assert_eq!(total, n * (n - 1) / 2);
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r.load(Ordering::Relaxed), 1, "future {i} ran {r:?} times");
    }
}

#[test]
fn a_spawn_from_another_thread_wakes_a_parked_runtime() {
    let rt = Runtime::new().expect("runtime");
    let handle = rt.handle();
    let out = rt.block_on(async move {
        // The main future waits on the remote task only: the runtime parks
        // in epoll with no deadline until the spawn's wake unparks it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            let _ = tx.send(handle.spawn(async { 7 }));
        });
        let task = chronia::task::spawn_blocking(move || rx.recv().expect("sent"))
            .await
            .expect("no panic");
        task.await.expect("no panic")
    });
    assert_eq!(out, 7);
}

#[test]
fn a_handle_outliving_its_runtime_refuses_and_reports() {
    let rt = Runtime::new().expect("runtime");
    let handle = rt.handle();
    // Queued but never run: the runtime drops first.
    let queued = handle.spawn(async { 1 });
    // Started and waiting: dropped with the runtime.
    let started = handle.spawn(std::future::pending::<()>());
    rt.block_on(chronia::task::yield_now());
    rt.block_on(chronia::task::yield_now());
    assert!(!started.is_finished());
    drop(rt);
    let other = Runtime::new().expect("runtime");
    assert_eq!(other.block_on(queued).expect("it ran before the drop"), 1);
    assert!(
        other
            .block_on(started)
            .expect_err("refused or cancelled")
            .is_cancelled()
    );
    let refused = handle
        .try_spawn(async { 5 })
        .expect_err("refused or cancelled");
    assert_eq!(other.block_on(refused.into_inner()), 5);
    let late = handle.spawn(async { 6 });
    assert!(
        other
            .block_on(late)
            .expect_err("refused or cancelled")
            .is_cancelled()
    );
}

#[test]
fn jobs_queued_when_the_runtime_drops_report_cancelled() {
    let rt = Runtime::new().expect("runtime");
    let handle = rt.handle();
    let tasks: Vec<_> = (0..10).map(|i| handle.spawn(async move { i })).collect();
    drop(rt);
    chronia::block_on(async {
        for task in tasks {
            assert!(task.await.expect_err("refused or cancelled").is_cancelled());
        }
    });
}

#[test]
fn a_panic_in_a_handle_task_reaches_its_join_handle() {
    let rt = Runtime::new().expect("runtime");
    let task = rt.handle().spawn(async { panic!("boom") });
    let err: chronia::task::JoinError = rt.block_on(task).expect_err("refused or cancelled");
    assert!(err.is_panic());
}

#[test]
fn abort_cancels_a_running_handle_task() {
    let rt = Runtime::new().expect("runtime");
    let task = rt.handle().spawn(std::future::pending::<()>());
    rt.block_on(chronia::task::yield_now());
    rt.block_on(chronia::task::yield_now());
    task.abort();
    assert!(
        rt.block_on(task)
            .expect_err("refused or cancelled")
            .is_cancelled()
    );
}

#[test]
#[should_panic(expected = "must be called inside a chronia runtime")]
fn handle_current_outside_a_runtime_panics_naming_the_rule() {
    let _ = Handle::current();
}

#[test]
fn handle_current_inside_a_runtime_spawns_there() {
    let out = chronia::block_on(async {
        let handle = Handle::current();
        std::thread::spawn(move || handle.spawn(async { "remote" }))
            .join()
            .expect("no panic")
            .await
    });
    assert_eq!(out.expect("no panic"), "remote");
}

#[test]
fn each_remote_spawn_costs_one_local_task() {
    let rt = Runtime::new().expect("runtime");
    let handle = rt.handle(); // makes the inbox task
    let before = rt.stats().tasks_spawned;
    let tasks = std::thread::spawn(move || {
        (0..10)
            .map(|i| handle.spawn(async move { i * 2 }))
            .collect::<Vec<_>>()
    })
    .join()
    .expect("no panic");
    let outputs = rt.block_on(async {
        let mut outputs = Vec::new();
        for task in tasks {
            outputs.push(task.await.expect("no panic"));
        }
        outputs
    });
    assert_eq!(outputs, (0..10).map(|i| i * 2).collect::<Vec<_>>());
    let stats = rt.stats();
    assert_eq!(stats.tasks_spawned - before, 10, "{stats:?}");
    assert_eq!(
        stats.tasks_alive, 1,
        "only the inbox task is left: {stats:?}"
    );
}

#[test]
fn a_remote_panic_carries_the_id_of_the_task_that_ran_the_future() {
    let rt = Runtime::new().expect("runtime");
    let (id_tx, id_rx) = std::sync::mpsc::channel();
    let task = rt.handle().spawn(async move {
        id_tx.send(chronia::task::id()).expect("the test listens");
        panic!("remote boom");
    });
    let err = rt.block_on(task).expect_err("the future panics");
    assert!(err.is_panic());
    assert_eq!(err.id(), id_rx.recv().expect("the future ran"));
    assert!(err.to_string().contains("remote boom"), "{err}");
    // The runtime goes on.
    assert_eq!(
        rt.block_on(rt.handle().spawn(async { 7 }))
            .expect("no panic"),
        7
    );
}
