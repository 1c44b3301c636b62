//! `yield_now` lets the other ready tasks run.

mod util;

use std::cell::RefCell;
use std::rc::Rc;

use chronia_executor::LocalExecutor;
use util::CondvarPark;

#[test]
fn yield_now_lets_another_task_run() {
    let ex = LocalExecutor::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let (l1, l2) = (log.clone(), log.clone());
    let a = ex.spawn(async move {
        l1.borrow_mut().push("a1");
        chronia_executor::yield_now().await;
        l1.borrow_mut().push("a2");
    });
    let b = ex.spawn(async move {
        l2.borrow_mut().push("b1");
        chronia_executor::yield_now().await;
        l2.borrow_mut().push("b2");
    });
    ex.block_on(
        async {
            a.await.expect("no panic");
            b.await.expect("no panic");
        },
        &mut CondvarPark::new(),
    );
    assert_eq!(*log.borrow(), ["a1", "b1", "a2", "b2"]);
}

#[test]
fn yield_now_in_main_future_lets_spawned_tasks_run() {
    let ex = LocalExecutor::new();
    let ran = Rc::new(RefCell::new(false));
    let r = ran.clone();
    drop(ex.spawn(async move { *r.borrow_mut() = true }));
    ex.block_on(
        async {
            chronia_executor::yield_now().await;
        },
        &mut CondvarPark::new(),
    );
    assert!(*ran.borrow());
}
