//! A child's standard streams as async pipes.

mod process_checks;

use process_checks as checks;

#[test]
fn ten_megabytes_of_output_are_read_while_waiting() {
    checks::ten_megabytes_of_output_are_read_while_waiting();
}

#[test]
fn closing_stdin_gives_the_child_end_of_file() {
    checks::closing_stdin_gives_the_child_end_of_file();
}

#[test]
fn output_collects_stdout_and_stderr() {
    checks::output_collects_stdout_and_stderr();
}
