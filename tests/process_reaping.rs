//! Reaping: no zombie left by dropped children, `kill_on_drop`, and
//! children chronia did not spawn are left to their owners. Each test holds
//! `SERIAL`: the zombie count must not see another test's children.

mod process_checks;

use std::sync::{Mutex, PoisonError};

use process_checks as checks;

static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn dropped_children_leave_no_zombie() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    checks::dropped_children_leave_no_zombie();
}

#[test]
fn kill_on_drop_kills_the_child() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    checks::kill_on_drop_kills_the_child();
}

#[test]
fn foreign_std_child_is_left_to_its_owner() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    checks::foreign_std_child_is_left_to_its_owner();
}

#[test]
fn a_dropped_runtime_leaves_no_zombie() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    checks::a_dropped_runtime_leaves_no_zombie();
}
