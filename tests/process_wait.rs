//! Waiting for children: exit codes, signals, stops, many at once, kill
//! and `try_wait`, and a child reaped by someone else.
//!
//! Under the test harness other threads exist; a `SIGCHLD` they take is
//! forwarded to the runtime's thread by `chronia::signal`. The same checks
//! run without other threads in `process_single_thread`.

mod process_checks;

use process_checks as checks;

#[test]
fn exit_codes_are_reported() {
    checks::exit_codes_are_reported();
}

#[test]
fn deaths_by_signal_are_reported() {
    checks::deaths_by_signal_are_reported();
}

#[test]
fn child_that_exits_before_wait_is_reported() {
    checks::child_that_exits_before_wait_is_reported();
}

#[test]
fn stopped_child_is_not_an_exit() {
    checks::stopped_child_is_not_an_exit();
}

#[test]
fn five_hundred_children_are_each_reported_once_with_their_code() {
    checks::five_hundred_children_are_each_reported_once_with_their_code();
}

#[test]
fn kill_of_a_reaped_child_is_a_no_op() {
    checks::kill_of_a_reaped_child_is_a_no_op();
}

#[test]
fn try_wait_reaps_without_waiting() {
    checks::try_wait_reaps_without_waiting();
}

#[test]
fn child_reaped_elsewhere_gives_an_error_not_a_hang() {
    checks::child_reaped_elsewhere_gives_an_error_not_a_hang();
}

#[test]
fn a_spawn_does_not_lose_an_earlier_exit() {
    checks::a_spawn_does_not_lose_an_earlier_exit();
}

#[test]
fn a_failed_spawn_does_not_lose_an_earlier_exit() {
    checks::a_failed_spawn_does_not_lose_an_earlier_exit();
}

#[test]
fn a_child_spawned_under_one_runtime_is_awaited_under_another() {
    checks::a_child_spawned_under_one_runtime_is_awaited_under_another();
}

#[test]
fn waiting_outside_a_runtime_panics_with_a_message() {
    checks::waiting_outside_a_runtime_panics_with_a_message();
}

#[test]
fn signal_zero_probes_a_live_child_and_refuses_a_reaped_one() {
    checks::signal_zero_probes_a_live_child_and_refuses_a_reaped_one();
}

#[test]
fn two_runtimes_on_one_thread_each_see_their_childrens_exits() {
    checks::two_runtimes_on_one_thread_each_see_their_childrens_exits();
}
