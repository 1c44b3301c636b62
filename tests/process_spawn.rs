//! Spawning: failures leave nothing behind, and children start with the
//! signal mask of a plain program. Each test holds `SERIAL`: the fd counts
//! must not see another test's fds.

mod process_checks;

use std::sync::{Mutex, PoisonError};

use process_checks as checks;

static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn missing_program_is_not_found_and_leaks_no_fd() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    checks::missing_program_is_not_found_and_leaks_no_fd();
}

#[test]
fn bad_current_dir_is_an_error() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    checks::bad_current_dir_is_an_error();
}

#[test]
fn children_start_without_the_runtimes_blocked_signals() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    checks::children_start_without_the_runtimes_blocked_signals();
}

#[test]
fn children_spawned_on_the_fast_path_start_without_sigchld_blocked() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    checks::children_spawned_on_the_fast_path_start_without_sigchld_blocked();
}
