//! Task identity and handles: `Id`, `id()` / `try_id()`, `JoinHandle::id`,
//! `detach`, `abort_handle`, and `JoinError` shown with the task's id.

mod util;

use std::cell::Cell;
use std::collections::HashSet;
use std::rc::Rc;

use chronia_executor::{Id, LocalExecutor};
use util::{CondvarPark, DropCounter, Gate, pending_forever};

#[test]
fn ids_are_unique_across_executors_and_threads() {
    let here: Vec<Id> = {
        let (a, b) = (LocalExecutor::new(), LocalExecutor::new());
        (0..100)
            .flat_map(|_| [a.spawn(async {}).id(), b.spawn(async {}).id()])
            .collect()
    };
    let there: Vec<Id> = std::thread::spawn(|| {
        let ex = LocalExecutor::new();
        (0..100).map(|_| ex.spawn(async {}).id()).collect()
    })
    .join()
    .expect("the thread did not panic");
    let all: HashSet<Id> = here.iter().chain(&there).copied().collect();
    assert_eq!(all.len(), 300);
}

#[test]
fn ids_stay_unique_and_ordered_per_thread_past_many_blocks_of_ids() {
    // Each thread takes ids from the process-wide counter in blocks: many
    // threads, each spawning past several blocks, at once.
    // Past the 1,024 ids of a block at least once each (fewer under Miri).
    let (threads, spawns) = if cfg!(miri) { (2, 1_100) } else { (4, 5_000) };
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                let ex = LocalExecutor::new();
                (0..spawns)
                    .map(|_| ex.spawn(async {}).id())
                    .collect::<Vec<Id>>()
            })
        })
        .collect();
    let lists: Vec<Vec<Id>> = handles
        .into_iter()
        .map(|t| t.join().expect("the thread did not panic"))
        .collect();
    for ids in &lists {
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in spawn order");
    }
    let all: HashSet<Id> = lists.iter().flatten().copied().collect();
    assert_eq!(all.len(), threads * spawns);
}

#[test]
fn id_inside_a_task_is_its_handle_id() {
    let ex = LocalExecutor::new();
    let (ids, main_id) = ex.block_on(
        async {
            let a = chronia_executor::spawn(async {
                chronia_executor::yield_now().await;
                (chronia_executor::id(), chronia_executor::try_id())
            });
            let b = chronia_executor::spawn(async { chronia_executor::id() });
            let expected = (a.id(), b.id());
            let (a_id, a_try) = a.await.expect("no panic");
            assert_eq!(a_try, Some(a_id));
            ((a_id, b.await.expect("no panic")), expected)
        },
        &mut CondvarPark::new(),
    );
    assert_eq!(ids, main_id);
}

#[test]
fn try_id_is_none_outside_tasks_and_in_the_main_future() {
    assert_eq!(chronia_executor::try_id(), None);
    let ex = LocalExecutor::new();
    let inside_main = ex.block_on(
        async {
            let t = chronia_executor::spawn(async {});
            let id = chronia_executor::try_id();
            t.await.expect("no panic");
            // Still none after a task ran: the slot is put back.
            (id, chronia_executor::try_id())
        },
        &mut CondvarPark::new(),
    );
    assert_eq!(inside_main, (None, None));
}

#[test]
#[should_panic(expected = "chronia::task::id called outside of a task")]
fn id_outside_a_task_panics_naming_the_rule() {
    let _ = chronia_executor::id();
}

#[test]
fn id_is_current_while_the_future_is_dropped() {
    struct SeeId(Rc<Cell<Option<Id>>>);
    impl Drop for SeeId {
        fn drop(&mut self) {
            self.0.set(chronia_executor::try_id());
        }
    }
    let seen = Rc::new(Cell::new(None));
    let ex = LocalExecutor::new();
    let guard = SeeId(seen.clone());
    let handle = ex.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    ex.run_ready();
    handle.abort();
    assert_eq!(seen.get(), Some(handle.id()));
}

/// The drop of a future that returned (or panicked) happens under the
/// poll's own current-task guard: the id is still the task's there, and
/// gone once the run is over.
#[test]
fn id_is_current_while_a_finished_or_panicked_future_is_dropped() {
    struct SeeId(Rc<Cell<Option<Id>>>);
    impl Drop for SeeId {
        fn drop(&mut self) {
            self.0.set(chronia_executor::try_id());
        }
    }
    let ex = LocalExecutor::new();
    let (returned, panicked) = (Rc::new(Cell::new(None)), Rc::new(Cell::new(None)));
    let guard = SeeId(returned.clone());
    let done = ex.spawn(std::future::poll_fn(move |_| {
        let _keep = &guard;
        std::task::Poll::Ready(())
    }));
    let guard = SeeId(panicked.clone());
    let boom = ex.spawn(std::future::poll_fn(move |_| -> std::task::Poll<()> {
        let _keep = &guard;
        panic!("boom")
    }));
    ex.run_ready();
    assert_eq!(returned.get(), Some(done.id()));
    assert_eq!(panicked.get(), Some(boom.id()));
    assert_eq!(
        chronia_executor::try_id(),
        None,
        "no task current after the run"
    );
}

#[test]
fn detach_lets_the_task_run_and_drops_its_output() {
    let ex = LocalExecutor::new();
    let drops = Rc::new(Cell::new(0));
    let d = drops.clone();
    let gate = Gate::new();
    let g = gate.clone();
    ex.spawn(async move {
        g.wait().await;
        DropCounter(d)
    })
    .detach();
    ex.run_ready();
    assert_eq!(drops.get(), 0);
    gate.open();
    ex.run_ready();
    assert_eq!(drops.get(), 1, "the output nobody awaits is dropped");
}

#[test]
fn abort_handle_cancels_reports_and_outlives_the_join_handle() {
    let ex = LocalExecutor::new();
    let drops = Rc::new(Cell::new(0));
    let handle = ex.spawn(pending_forever(DropCounter(drops.clone())));
    let abort = handle.abort_handle();
    let copy = abort.clone();
    assert_eq!((abort.id(), copy.id()), (handle.id(), handle.id()));
    drop(handle);
    ex.run_ready();
    assert!(!abort.is_finished());
    drop(copy); // dropping an AbortHandle does nothing to the task
    ex.run_ready();
    assert_eq!(drops.get(), 0);
    abort.abort();
    assert!(abort.is_finished());
    assert_eq!(drops.get(), 1);
    abort.abort(); // twice is harmless
    ex.run_ready();
    assert_eq!(format!("{ex:?}"), "LocalExecutor { tasks: 0, .. }");
}

#[test]
fn join_error_shows_the_task_id_like_tokio() {
    let ex = LocalExecutor::new();
    let (cancelled, panicked, ids) = ex.block_on(
        async {
            let c = chronia_executor::spawn(std::future::pending::<()>());
            let p = chronia_executor::spawn(async { panic!("boom {}", 1) });
            let ids = (c.id(), p.id());
            c.abort_handle().abort();
            (
                c.await.expect_err("cancelled"),
                p.await.expect_err("panicked"),
                ids,
            )
        },
        &mut CondvarPark::new(),
    );
    let (c, p) = ids;
    assert_eq!(cancelled.id(), c);
    assert_eq!(cancelled.to_string(), format!("task {c} was cancelled"));
    assert_eq!(
        format!("{cancelled:?}"),
        format!("JoinError::Cancelled({c:?})")
    );
    assert_eq!(panicked.id(), p);
    assert_eq!(
        panicked.to_string(),
        format!("task {p} panicked with message \"boom 1\"")
    );
    assert_eq!(
        format!("{panicked:?}"),
        format!("JoinError::Panic({p:?}, \"boom 1\", ...)")
    );
}
