//! The child example, run as a user runs it: a SIGINT sent to it reaches
//! its child, and it reports the child's exit.

mod util;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sigint_is_forwarded_to_the_child_and_its_exit_reported() {
    let mut child = Command::new(util::example("child"))
        .args([
            "sh",
            "-c",
            "trap 'echo got INT; exit 3' INT; echo ready; sleep 10 >/dev/null & wait",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child example is built by cargo test");
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    out.read_line(&mut line).expect("readable");
    assert_eq!(line, "line: ready\n");

    util::send_signal(&child, libc::SIGINT);

    let start = Instant::now();
    let mut rest = String::new();
    while !rest.contains("exit status") && start.elapsed() < Duration::from_secs(8) {
        let mut line = String::new();
        if out.read_line(&mut line).expect("readable") == 0 {
            break;
        }
        rest.push_str(&line);
    }
    assert!(rest.contains("line: got INT"), "{rest}");
    assert!(rest.contains("exit status: 3"), "{rest}");
    let status = child.wait().expect("waitable");
    assert!(!status.success(), "the example fails when its child does");
    let _ = out.read_to_string(&mut rest);
}
