//! The std/tokio-shaped process API: `wait_with_output`, pipes handed on
//! to other children, `Command`'s Unix options and its std escape hatch,
//! `kill` after `wait`.

mod util;

use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;

use chronia::process::{Command, Stdio};
use util::within;

/// A hex mask line (`SigBlk:`, ...) of a `/proc/.../status` text.
fn mask_in(status: &str, field: &str) -> u64 {
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .unwrap_or_else(|| panic!("no {field} in status"));
    u64::from_str_radix(line.trim(), 16).expect("hex mask")
}

fn thread_mask() -> u64 {
    let status = std::fs::read_to_string("/proc/thread-self/status").expect("status");
    mask_in(&status, "SigBlk:")
}

/// The `SigBlk` a child reports for itself (`cat /proc/self/status`).
async fn child_mask(mut cmd: Command) -> u64 {
    let out = within("cat status", cmd.arg("/proc/self/status").output())
        .await
        .expect("cat runs");
    assert!(out.status.success());
    mask_in(&String::from_utf8_lossy(&out.stdout), "SigBlk:")
}

#[test]
fn wait_with_output_reads_both_pipes_at_once() {
    chronia::block_on(async {
        // 200 kB on each stream: more than a pipe holds, so reading one
        // pipe to its end before the other would deadlock.
        let child = Command::new("sh")
            .args([
                "-c",
                "head -c 200000 /dev/zero; head -c 300000 /dev/zero >&2; exit 5",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let out = within("wait_with_output", child.wait_with_output())
            .await
            .expect("output");
        assert_eq!(out.status.code(), Some(5));
        assert_eq!((out.stdout.len(), out.stderr.len()), (200_000, 300_000));
    });
}

#[test]
fn wait_with_output_closes_stdin_and_leaves_unpiped_streams_empty() {
    chronia::block_on(async {
        let child = Command::new("cat")
            .stdin(Stdio::piped())
            .stderr(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        let out = within("cat to end of file", child.wait_with_output())
            .await
            .expect("output");
        assert!(out.status.success());
        assert!(out.stdout.is_empty() && out.stderr.is_empty());
    });
}

#[test]
fn one_childs_stdout_pipes_into_another() {
    chronia::block_on(async {
        // The writer starts late: a reader given a non-blocking pipe would
        // read EAGAIN at once and fail instead of waiting.
        let mut producer = Command::new("sh")
            .args(["-c", "sleep 0.2; head -c 1000000 /dev/zero"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        let pipe: Stdio = producer
            .stdout
            .take()
            .expect("piped")
            .try_into()
            .expect("convert");
        let out = within("wc", Command::new("wc").arg("-c").stdin(pipe).output())
            .await
            .expect("wc runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1000000");
        assert!(
            within("producer", producer.wait())
                .await
                .expect("wait")
                .success()
        );
    });
}

#[test]
fn stdin_and_stderr_convert_too() {
    chronia::block_on(async {
        let mut noisy = Command::new("sh")
            .args(["-c", "echo to-stderr >&2"])
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let from_stderr: Stdio = noisy
            .stderr
            .take()
            .expect("piped")
            .try_into()
            .expect("convert");
        let out = within("cat", Command::new("cat").stdin(from_stderr).output())
            .await
            .expect("cat");
        assert_eq!(out.stdout, b"to-stderr\n");
        noisy.wait().await.expect("wait");

        let mut sink = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        let to_stdin: Stdio = sink
            .stdin
            .take()
            .expect("piped")
            .try_into()
            .expect("convert");
        let status = within(
            "echo into cat",
            Command::new("echo")
                .arg("through")
                .stdout(to_stdin)
                .status(),
        )
        .await
        .expect("echo");
        assert!(status.success());
        let out = within("cat", sink.wait_with_output()).await.expect("cat");
        assert_eq!(out.stdout, b"through\n");
    });
}

#[test]
fn into_owned_fd_gives_a_blocking_fd() {
    chronia::block_on(async {
        let mut child = Command::new("echo")
            .arg("owned")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        let fd = child
            .stdout
            .take()
            .expect("piped")
            .into_owned_fd()
            .expect("fd");
        let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd()))
            .expect("fdinfo");
        let flags = info
            .lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .map(|f| u32::from_str_radix(f.trim(), 8).expect("octal"))
            .expect("flags line");
        assert_eq!(flags & libc::O_NONBLOCK as u32, 0, "flags {flags:o}");
        let mut text = String::new();
        std::fs::File::from(fd)
            .read_to_string(&mut text)
            .expect("read");
        assert_eq!(text, "owned\n");
        child.wait().await.expect("wait");
    });
}

#[test]
fn arg0_uid_gid_and_process_group_reach_the_child() {
    chronia::block_on(async {
        let out = Command::new("sh")
            .arg0("renamed-shell")
            .args(["-c", "echo $0"])
            .output()
            .await
            .expect("sh");
        assert_eq!(out.stdout, b"renamed-shell\n");

        let status = std::fs::read_to_string("/proc/self/status").expect("status");
        let id_of = |field: &str| -> u32 {
            let line = status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .expect(field);
            line.split_whitespace()
                .next()
                .expect("real id")
                .parse()
                .expect("number")
        };
        let (uid, gid) = (id_of("Uid:"), id_of("Gid:"));
        let out = Command::new("sh")
            .args(["-c", "id -u; id -g"])
            .uid(uid)
            .gid(gid)
            .output()
            .await
            .expect("id");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{uid}\n{gid}\n")
        );

        let mut child = Command::new("sleep")
            .arg("10")
            .process_group(0)
            .spawn()
            .expect("spawn");
        let pid = child.id().expect("running");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        let after_comm = stat.rsplit_once(')').expect("comm in parentheses").1;
        let pgrp: u32 = after_comm
            .split_whitespace()
            .nth(2)
            .expect("pgrp field")
            .parse()
            .expect("number");
        assert_eq!(pgrp, pid, "the child leads a new group");
        child.kill().expect("kill");
        child.wait().await.expect("wait");
    });
}

#[test]
fn a_std_command_converts_with_its_settings() {
    chronia::block_on(async {
        let mut std_cmd = std::process::Command::new("sh");
        std_cmd
            .args(["-c", "echo $GREETING"])
            .env("GREETING", "from std");
        let mut cmd = Command::from(std_cmd);
        assert_eq!(cmd.as_std().get_program(), "sh");
        let out = within("sh", cmd.output()).await.expect("sh");
        assert_eq!(out.stdout, b"from std\n");
    });
}

#[test]
fn the_escape_hatch_keeps_childrens_masks_clean() {
    let before = thread_mask();
    chronia::block_on(async {
        // The runtime blocks SIGCHLD (its first spawn) and SIGUSR1 (a
        // listener) in this thread; children must not inherit either.
        let _usr1 = chronia::signal::signal(libc::SIGUSR1).expect("listen");
        let _warm = Command::new("true").status().await.expect("true");
        let blocked = thread_mask();
        let usr1 = 1u64 << (libc::SIGUSR1 - 1);
        let chld = 1u64 << (libc::SIGCHLD - 1);
        assert_eq!(
            blocked & (usr1 | chld),
            usr1 | chld,
            "the runtime blocks them here"
        );

        let mut through_std_mut = Command::new("cat");
        through_std_mut.as_std_mut().env("TOUCHED", "1");
        assert_eq!(child_mask(through_std_mut).await, before);

        let from_std = Command::from(std::process::Command::new("cat"));
        assert_eq!(child_mask(from_std).await, before);
    });
}

#[test]
fn kill_after_wait_is_a_no_op_but_signal_still_refuses() {
    chronia::block_on(async {
        let mut child = Command::new("sleep").arg("10").spawn().expect("spawn");
        child.kill().expect("kill");
        let status = within("wait", child.wait()).await.expect("wait");
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        child.kill().expect("reaped by chronia: nothing to kill");
        child.start_kill().expect("the same");
        let err = child.signal(libc::SIGTERM).expect_err("reaped");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    });
}
