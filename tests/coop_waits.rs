//! Child waits spend the task's cooperative budget: a task that keeps
//! asking an exited child for its status still yields, so a sleep in
//! another task fires (issue 9, item 2). (A `Signal` wait needs no budget:
//! each receipt takes every delivery so far, so the next `recv` is pending
//! until a driver turn reads the signalfd, and the task yields anyway.)

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

/// Ready steps a loop may take before the test calls it starved.
const LIMIT: u64 = 1_000_000;

fn sleeper() -> (Rc<Cell<bool>>, chronia::task::JoinHandle<()>) {
    let fired = Rc::new(Cell::new(false));
    let flag = Rc::clone(&fired);
    let task = chronia::spawn(async move {
        chronia::time::sleep(Duration::from_millis(10)).await;
        flag.set(true);
    });
    (fired, task)
}

#[test]
fn waiting_again_on_an_exited_child_lets_a_sleep_fire() {
    chronia::block_on(async {
        let mut child = chronia::process::Command::new("true")
            .spawn()
            .expect("spawn");
        child.wait().await.expect("exit");
        let (fired, task) = sleeper();
        let mut steps = 0u64;
        while !fired.get() && steps < LIMIT {
            child.wait().await.expect("the same status");
            steps += 1;
        }
        assert!(fired.get(), "{steps} waits never yielded to the sleep");
        task.await.expect("sleeper");
    });
}
