//! Usage rules the types cannot express: nested `block_on`, `spawn`
//! outside a runtime, ticking an executor from its own task.

mod util;

use chronia_executor::LocalExecutor;
use util::CondvarPark;

#[test]
#[should_panic(expected = "nested block_on is not allowed")]
fn nested_block_on_of_the_same_executor_panics() {
    let ex = LocalExecutor::new();
    ex.block_on(
        async { ex.block_on(async {}, &mut CondvarPark::new()) },
        &mut CondvarPark::new(),
    );
}

#[test]
#[should_panic(expected = "nested block_on is not allowed")]
fn nested_block_on_of_another_executor_panics() {
    let outer = LocalExecutor::new();
    outer.block_on(
        async {
            let inner = LocalExecutor::new();
            inner.block_on(async {}, &mut CondvarPark::new());
        },
        &mut CondvarPark::new(),
    );
}

#[test]
#[should_panic(expected = "chronia::spawn called outside of a runtime")]
fn spawn_outside_a_runtime_panics() {
    drop(chronia_executor::spawn(async {}));
}

#[test]
fn is_inside_runtime_is_true_only_inside_block_on() {
    assert!(!chronia_executor::is_inside_runtime());
    let ex = LocalExecutor::new();
    assert!(ex.block_on(
        async { chronia_executor::is_inside_runtime() },
        &mut CondvarPark::new()
    ));
    assert!(!chronia_executor::is_inside_runtime());
}

#[test]
fn nested_block_on_panic_leaves_the_outer_executor_usable() {
    let ex = LocalExecutor::new();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ex.block_on(
            async { ex.block_on(async {}, &mut CondvarPark::new()) },
            &mut CondvarPark::new(),
        );
    }));
    assert!(caught.is_err());
    assert_eq!(ex.block_on(async { 3 }, &mut CondvarPark::new()), 3);
}

#[test]
fn ticking_an_executor_from_its_own_task_panics_in_that_task() {
    let ex = std::rc::Rc::new(LocalExecutor::new());
    let e = ex.clone();
    let handle = ex.spawn(async move {
        e.try_tick();
    });
    ex.run_ready();
    let err = ex
        .block_on(handle, &mut CondvarPark::new())
        .expect_err("the task gave no output");
    assert!(
        err.to_string()
            .contains("re-entrant use of a LocalExecutor"),
        "{err}"
    );
}
