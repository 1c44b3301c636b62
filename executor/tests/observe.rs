//! Stats, task dumps and the slow-poll alarm of the executor alone.

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use chronia_executor::{LocalExecutor, TaskState, Wait};

#[test]
fn counters_tell_completed_panicked_and_aborted_apart() {
    let ex = LocalExecutor::new();
    let _ok = ex.spawn(async {});
    let _boom = ex.spawn(async { panic!("boom") });
    let stuck = ex.spawn(std::future::pending::<()>());
    ex.run_ready();
    stuck.abort();
    ex.run_ready();
    let s = ex.stats();
    assert_eq!(
        (s.spawned, s.completed, s.panicked, s.aborted, s.alive),
        (3, 1, 1, 1, 0)
    );
    assert_eq!(s.polls, 3, "each future polled once");
}

#[test]
fn a_wake_from_another_thread_counts_as_remote() {
    let ex = LocalExecutor::new();
    let waker = Rc::new(RefCell::new(None));
    let w = waker.clone();
    let mut polled = false;
    let _task = ex.spawn(std::future::poll_fn(move |cx| {
        if polled {
            return std::task::Poll::Ready(());
        }
        polled = true;
        *w.borrow_mut() = Some(cx.waker().clone());
        std::task::Poll::Pending
    }));
    ex.run_ready();
    let before = ex.stats();
    let remote = waker.borrow_mut().take().expect("polled once");
    std::thread::spawn(move || remote.wake())
        .join()
        .expect("the waking thread");
    ex.run_ready();
    let after = ex.stats();
    assert_eq!(after.remote_wakes - before.remote_wakes, 1);
    assert_eq!(after.local_wakes, before.local_wakes);
    assert_eq!(after.completed, 1);
}

#[test]
fn a_dump_shows_name_location_state_polls_and_wait_note() {
    let ex = LocalExecutor::new();
    let line = line!() + 1;
    let outer = ex.spawn(async {
        chronia_executor::spawn_named("sleeper", async {
            chronia_executor::note_wait(Wait::Read { fd: 5 });
            std::future::pending::<()>().await;
        })
        .detach();
    });
    ex.run_ready();
    assert!(outer.is_finished());
    let dump = ex.tasks();
    assert_eq!(dump.len(), 1);
    let t = &dump[0];
    assert_eq!(t.name.as_deref(), Some("sleeper"));
    assert_eq!(t.location.file(), file!());
    assert_eq!(t.location.line(), line + 1);
    assert_eq!((t.state, t.polls), (TaskState::Idle, 1));
    assert_eq!(t.wait, Some(Wait::Read { fd: 5 }));
}

#[test]
fn the_wait_note_is_cleared_when_the_task_is_polled_again() {
    let ex = LocalExecutor::new();
    let _task = ex.spawn(async {
        chronia_executor::note_wait(Wait::Signal { signo: 1 });
        chronia_executor::yield_now().await;
        std::future::pending::<()>().await;
    });
    ex.try_tick();
    assert_eq!(ex.tasks()[0].wait, Some(Wait::Signal { signo: 1 }));
    ex.try_tick();
    assert_eq!(ex.tasks()[0].wait, None);
}

#[test]
fn a_task_dumping_itself_is_running() {
    let ex = LocalExecutor::new();
    let task = ex.spawn(async {
        let me = chronia_executor::id();
        let dump = chronia_executor::current_tasks().expect("inside the executor");
        dump.iter().find(|t| t.id == me).map(|t| t.state)
    });
    ex.run_ready();
    let mut park = util::CondvarPark::new();
    assert_eq!(
        ex.block_on(task, &mut park).expect("no panic"),
        Some(TaskState::Running)
    );
}

#[test]
fn slow_poll_reports_a_slow_poll_and_not_a_quick_one() {
    let ex = LocalExecutor::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    ex.set_slow_poll(Duration::from_millis(10), move |slow| {
        s.borrow_mut().push((slow.id, slow.duration));
    });
    let quick = ex.spawn(async {});
    let slow = ex.spawn(async { std::thread::sleep(Duration::from_millis(20)) });
    ex.run_ready();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].0, slow.id());
    assert_ne!(seen[0].0, quick.id());
    assert!(seen[0].1 >= Duration::from_millis(20));
}
