//! Every process check in a process whose only thread is the runtime's
//! (`harness = false`): a `SIGCHLD` can only be read through the signalfd,
//! so these results do not depend on forwarding from other threads. Also
//! the check that sets `SIGCHLD` to `SIG_IGN` process-wide, which could not
//! run beside other tests.
//!
//! Prints "N passed, M failed"; exits non-zero on a failure.

mod process_checks;

use std::panic::{AssertUnwindSafe, catch_unwind};

use process_checks as checks;

#[expect(clippy::too_many_lines, reason = "one table row per check")]
fn main() {
    let all: [(&str, fn()); 26] = [
        ("exit_codes_are_reported", checks::exit_codes_are_reported),
        (
            "two_runtimes_on_one_thread_each_see_their_childrens_exits",
            checks::two_runtimes_on_one_thread_each_see_their_childrens_exits,
        ),
        (
            "a_child_spawned_under_one_runtime_is_awaited_under_another",
            checks::a_child_spawned_under_one_runtime_is_awaited_under_another,
        ),
        (
            "signal_zero_probes_a_live_child_and_refuses_a_reaped_one",
            checks::signal_zero_probes_a_live_child_and_refuses_a_reaped_one,
        ),
        (
            "deaths_by_signal_are_reported",
            checks::deaths_by_signal_are_reported,
        ),
        (
            "child_that_exits_before_wait_is_reported",
            checks::child_that_exits_before_wait_is_reported,
        ),
        (
            "a_spawn_does_not_lose_an_earlier_exit",
            checks::a_spawn_does_not_lose_an_earlier_exit,
        ),
        (
            "a_failed_spawn_does_not_lose_an_earlier_exit",
            checks::a_failed_spawn_does_not_lose_an_earlier_exit,
        ),
        (
            "stopped_child_is_not_an_exit",
            checks::stopped_child_is_not_an_exit,
        ),
        (
            "five_hundred_children_are_each_reported_once_with_their_code",
            checks::five_hundred_children_are_each_reported_once_with_their_code,
        ),
        (
            "ten_megabytes_of_output_are_read_while_waiting",
            checks::ten_megabytes_of_output_are_read_while_waiting,
        ),
        (
            "closing_stdin_gives_the_child_end_of_file",
            checks::closing_stdin_gives_the_child_end_of_file,
        ),
        (
            "output_collects_stdout_and_stderr",
            checks::output_collects_stdout_and_stderr,
        ),
        (
            "foreign_std_child_is_left_to_its_owner",
            checks::foreign_std_child_is_left_to_its_owner,
        ),
        (
            "dropped_children_leave_no_zombie",
            checks::dropped_children_leave_no_zombie,
        ),
        (
            "a_dropped_runtime_leaves_no_zombie",
            checks::a_dropped_runtime_leaves_no_zombie,
        ),
        (
            "kill_on_drop_kills_the_child",
            checks::kill_on_drop_kills_the_child,
        ),
        (
            "kill_of_a_reaped_child_is_a_no_op",
            checks::kill_of_a_reaped_child_is_a_no_op,
        ),
        (
            "try_wait_reaps_without_waiting",
            checks::try_wait_reaps_without_waiting,
        ),
        (
            "missing_program_is_not_found_and_leaks_no_fd",
            checks::missing_program_is_not_found_and_leaks_no_fd,
        ),
        (
            "bad_current_dir_is_an_error",
            checks::bad_current_dir_is_an_error,
        ),
        (
            "children_start_without_the_runtimes_blocked_signals",
            checks::children_start_without_the_runtimes_blocked_signals,
        ),
        (
            "children_spawned_on_the_fast_path_start_without_sigchld_blocked",
            checks::children_spawned_on_the_fast_path_start_without_sigchld_blocked,
        ),
        (
            "child_reaped_elsewhere_gives_an_error_not_a_hang",
            checks::child_reaped_elsewhere_gives_an_error_not_a_hang,
        ),
        (
            "ignored_sigchld_makes_wait_fail_at_once",
            checks::ignored_sigchld_makes_wait_fail_at_once,
        ),
        ("no_thread_was_started", no_thread_was_started),
    ];
    let (mut passed, mut failed) = (0, 0);
    for (name, check) in all {
        if catch_unwind(AssertUnwindSafe(check)).is_ok() {
            println!("ok      {name}");
            passed += 1;
        } else {
            println!("FAILED  {name}");
            failed += 1;
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

/// The premise of this file: the runtime's thread is the only one.
fn no_thread_was_started() {
    let threads = std::fs::read_dir("/proc/self/task")
        .expect("procfs is mounted")
        .count();
    assert_eq!(threads, 1);
}
