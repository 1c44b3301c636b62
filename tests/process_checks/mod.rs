//! The checks of `chronia::process`, shared by the harness test files
//! (`tests/process_*.rs`) and by `process_single_thread` (`harness =
//! false`), where the runtime's thread is the only one and so the only one
//! a `SIGCHLD` can land on. Each check runs its own runtime, panics on
//! failure, and is bounded by a `timeout` so that a bug cannot hang CI.
#![allow(dead_code, reason = "each test binary runs some of the checks")]
#![allow(
    unsafe_code,
    reason = "libc calls that set up the conditions under test"
)]

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use chronia::process::{Command, Stdio};
use chronia::time::{Duration, sleep, timeout};

/// Runs `f` on a new runtime for at most `secs` seconds.
fn run<F: Future<Output = io::Result<()>>>(secs: u64, f: F) {
    chronia::block_on(async {
        timeout(Duration::from_secs(secs), f)
            .await
            .expect("the check timed out")
            .expect("the check failed");
    });
}

fn pid_of(child: &chronia::process::Child) -> i32 {
    i32::try_from(child.id().expect("not reaped")).expect("pids fit in pid_t")
}

fn send(pid: i32, signo: i32) {
    // SAFETY: kill takes two integers and touches no memory of ours.
    assert_eq!(unsafe { libc::kill(pid, signo) }, 0, "kill({pid}, {signo})");
}

/// Counts the polls of a future, to tell a wake for its own event from a
/// broadcast.
struct Polls<F> {
    inner: Pin<Box<F>>,
    count: Rc<Cell<u32>>,
}

impl<F: Future> Future for Polls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.count.set(self.count.get() + 1);
        self.inner.as_mut().poll(cx)
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("procfs is mounted")
        .count()
}

/// Zombies whose parent is this process.
fn zombies() -> usize {
    let me = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            // "pid (comm) S ppid ...": comm may hold spaces and parens.
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                return false;
            };
            let mut fields = rest.split_whitespace();
            fields.next() == Some("Z") && fields.next() == Some(me.as_str())
        })
        .count()
}

/// A hex mask line (`SigBlk:`, `SigIgn:`) of `/proc/<pid>/status`.
fn status_mask(pid: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("a live process");
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    u64::from_str_radix(line.trim(), 16).expect("a hex mask")
}

fn bit(signo: i32) -> u64 {
    1 << (signo - 1)
}

pub fn exit_codes_are_reported() {
    run(30, async {
        for code in [0, 1, 5, 13, 64, 100, 126, 127, 128, 130, 255] {
            let status = Command::new("sh")
                .args(["-c", &format!("exit {code}")])
                .status()
                .await?;
            assert_eq!(status.code(), Some(code));
            assert_eq!(status.success(), code == 0);
        }
        Ok(())
    });
}

pub fn deaths_by_signal_are_reported() {
    run(30, async {
        let status = Command::new("sh")
            .args(["-c", "kill -TERM $$"])
            .status()
            .await?;
        assert_eq!(
            (status.code(), status.signal()),
            (None, Some(libc::SIGTERM))
        );
        let mut child = Command::new("sleep").arg("30").spawn()?;
        child.kill()?;
        let status = child.wait().await?;
        assert_eq!(
            (status.code(), status.signal()),
            (None, Some(libc::SIGKILL))
        );
        Ok(())
    });
}

pub fn child_that_exits_before_wait_is_reported() {
    run(30, async {
        // Exited before the runtime took a turn.
        let mut child = Command::new("true").spawn()?;
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(child.wait().await?.success());
        // Exited, and the runtime saw it, before anyone waited.
        let mut child = Command::new("false").spawn()?;
        sleep(Duration::from_millis(100)).await;
        assert_eq!(child.wait().await?.code(), Some(1));
        // Waiting again gives the same status at once.
        assert_eq!(child.wait().await?.code(), Some(1));
        Ok(())
    });
}

/// A spawn that fails must not swallow an earlier child's exit (its
/// SIGCHLD can be taken by the handler while the spawn runs).
pub fn a_failed_spawn_does_not_lose_an_earlier_exit() {
    run(30, async {
        let mut child = Command::new("true").spawn()?;
        // The child exits while this thread is busy: its SIGCHLD is pending.
        std::thread::sleep(std::time::Duration::from_millis(100));
        let err = Command::new("/no/such/program")
            .spawn()
            .expect_err("missing program");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let status = timeout(Duration::from_secs(5), child.wait())
            .await
            .expect("the exit was not lost")?;
        assert!(status.success());
        Ok(())
    });
}

pub fn stopped_child_is_not_an_exit() {
    run(30, async {
        let mut child = Command::new("sleep").arg("30").spawn()?;
        let pid = pid_of(&child);
        send(pid, libc::SIGSTOP);
        // The loop runs on (the timer fires) and wait stays pending.
        assert!(
            timeout(Duration::from_millis(300), child.wait())
                .await
                .is_err()
        );
        send(pid, libc::SIGCONT);
        assert!(
            timeout(Duration::from_millis(300), child.wait())
                .await
                .is_err()
        );
        assert!(child.try_wait()?.is_none());
        send(pid, libc::SIGSTOP);
        child.kill()?;
        let status = timeout(Duration::from_secs(5), child.wait()).await??;
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        Ok(())
    });
}

pub fn five_hundred_children_are_each_reported_once_with_their_code() {
    run(120, async {
        let mut tasks = Vec::new();
        for i in 0..500u32 {
            let mut child = Command::new("sh")
                .args(["-c", &format!("exit $(({i} % 256))")])
                .spawn()?;
            let count = Rc::new(Cell::new(0));
            let polls = Polls {
                inner: Box::pin(async move { child.wait().await }),
                count: Rc::clone(&count),
            };
            tasks.push((i, count, chronia::spawn(polls)));
        }
        for (i, count, task) in tasks {
            let status = task.await.expect("no panic")?;
            assert_eq!(status.code(), Some(i32::try_from(i % 256).expect("small")));
            // Pending once, then woken by its own exit, and only by it.
            assert!(
                count.get() <= 2,
                "child {i} was polled {} times",
                count.get()
            );
        }
        Ok(())
    });
}

pub fn ten_megabytes_of_output_are_read_while_waiting() {
    run(60, async {
        let mut child = Command::new("head")
            .args(["-c", "10000000", "/dev/zero"])
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdout = child.stdout.take().expect("piped");
        let reader = chronia::spawn(async move {
            let mut out = Vec::new();
            stdout.read_to_end(&mut out).await.map(|_| out)
        });
        let status = child.wait().await?;
        let out = reader.await.expect("no panic")?;
        assert!(status.success());
        assert_eq!(out.len(), 10_000_000);
        assert!(out.iter().all(|&b| b == 0));
        Ok(())
    });
}

pub fn closing_stdin_gives_the_child_end_of_file() {
    run(30, async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdin = child.stdin.take().expect("piped");
        // More than a pipe holds: writing needs the reader to run too.
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let sent = data.clone();
        let writer = chronia::spawn(async move {
            stdin.write_all(&sent).await
            // `stdin` drops here: cat reads end of file.
        });
        let mut out = Vec::new();
        let stdout = child.stdout.as_mut().expect("piped");
        timeout(Duration::from_secs(10), stdout.read_to_end(&mut out))
            .await
            .expect("reading cat's output timed out")?;
        timeout(Duration::from_secs(10), writer)
            .await
            .expect("the writer timed out")
            .expect("no panic")?;
        assert_eq!(out, data);
        let status = timeout(Duration::from_secs(10), child.wait())
            .await
            .expect("waiting for cat timed out")?;
        assert!(status.success());
        Ok(())
    });
}

pub fn output_collects_stdout_and_stderr() {
    run(30, async {
        let out = Command::new("sh")
            .args(["-c", "echo out; echo err >&2; exit 4"])
            .output()
            .await?;
        assert_eq!(out.status.code(), Some(4));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        Ok(())
    });
}

pub fn foreign_std_child_is_left_to_its_owner() {
    // Spawned by std before and during chronia's children; exits at once.
    let mut before = std::process::Command::new("sh")
        .args(["-c", "exit 42"])
        .spawn()
        .expect("spawn sh");
    let mut during = None;
    run(30, async {
        for i in 0..20 {
            if i == 10 {
                during = Some(
                    std::process::Command::new("sh")
                        .args(["-c", "exit 43"])
                        .spawn()?,
                );
            }
            Command::new("true").status().await?;
        }
        sleep(Duration::from_millis(50)).await;
        Ok(())
    });
    assert_eq!(before.wait().expect("still ours to wait").code(), Some(42));
    let mut during = during.expect("spawned");
    assert_eq!(during.wait().expect("still ours to wait").code(), Some(43));
}

pub fn dropped_children_leave_no_zombie() {
    run(30, async {
        let before = zombies();
        for _ in 0..20 {
            drop(Command::new("sleep").arg("0.1").spawn()?);
        }
        // Exited, and seen by the runtime, before the drop.
        let exited = Command::new("true").spawn()?;
        sleep(Duration::from_millis(50)).await;
        drop(exited);
        let mut left = usize::MAX;
        for _ in 0..100 {
            sleep(Duration::from_millis(20)).await;
            left = zombies();
            if left <= before {
                break;
            }
        }
        assert_eq!(left, before, "zombies left by dropped children");
        Ok(())
    });
}

/// A runtime dropped while it holds orphans (an exited child it never
/// looked at, a child killed on drop, a child still running) leaves no
/// zombie: the first two are reaped by the drop, the last by the next
/// runtime that spawns or reads a SIGCHLD.
/// Blocks the thread (so that no runtime turn happens) until `pid` has
/// exited and waits to be reaped.
fn wait_until_zombie(pid: i32) {
    for _ in 0..1000 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next());
        if state == Some("Z") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("child {pid} did not exit within 5 s");
}

pub fn a_dropped_runtime_leaves_no_zombie() {
    let before = zombies();
    let rt = chronia::Runtime::new().expect("a runtime");
    let exited_pid = rt
        .block_on(async {
            let exited = Command::new("true").spawn()?;
            let pid = pid_of(&exited);
            // Exits while this thread is busy: the runtime never sees it.
            wait_until_zombie(pid);
            drop(exited);
            drop(Command::new("sleep").arg("30").kill_on_drop(true).spawn()?);
            drop(Command::new("sleep").arg("0.2").spawn()?);
            Ok::<i32, io::Error>(pid)
        })
        .expect("spawns");
    drop(rt);
    // The child that had exited is reaped by the drop itself.
    assert!(
        !std::path::Path::new(&format!("/proc/{exited_pid}")).exists(),
        "the exited orphan is reaped when its runtime drops"
    );
    // The killed one and the running one are reaped as soon as they are
    // gone, by the drop or by the next runtime that spawns; on a loaded
    // machine they may take a while to die.
    let mut left = usize::MAX;
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        chronia::block_on(async { Command::new("true").status().await }).expect("a status");
        left = zombies();
        if left <= before {
            break;
        }
    }
    // Fewer than before is fine: zombies of earlier checks may be reaped
    // meanwhile (the first count is what the process had, not a floor).
    assert!(
        left <= before,
        "orphans of the dropped runtime left zombies: {left} > {before}"
    );
}

pub fn kill_on_drop_kills_the_child() {
    run(30, async {
        let child = Command::new("sleep").arg("30").kill_on_drop(true).spawn()?;
        let proc_dir = format!("/proc/{}", pid_of(&child));
        drop(child);
        // Killed, then reaped by the runtime: its /proc entry goes.
        let mut gone = false;
        for _ in 0..100 {
            sleep(Duration::from_millis(20)).await;
            if !std::path::Path::new(&proc_dir).exists() {
                gone = true;
                break;
            }
        }
        assert!(gone, "{proc_dir} still exists");
        // Without it, the child runs on.
        let child = Command::new("sleep").arg("30").spawn()?;
        let pid = pid_of(&child);
        drop(child);
        sleep(Duration::from_millis(100)).await;
        assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
        send(pid, libc::SIGKILL);
        Ok(())
    });
}

/// Issue 12: as in tokio, `kill` of a child chronia reaped is a no-op;
/// `signal` still refuses, the pid being free for reuse.
pub fn kill_of_a_reaped_child_is_a_no_op() {
    run(30, async {
        let mut child = Command::new("true").spawn()?;
        assert!(child.id().is_some());
        child.wait().await?;
        assert_eq!(child.id(), None);
        child.kill()?;
        child.start_kill()?;
        let err = child.signal(libc::SIGTERM).expect_err("reaped");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        Ok(())
    });
}

pub fn try_wait_reaps_without_waiting() {
    run(30, async {
        let mut child = Command::new("sleep").arg("30").spawn()?;
        assert!(child.try_wait()?.is_none());
        child.kill()?;
        let mut status = None;
        for _ in 0..100 {
            status = child.try_wait()?;
            if status.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(status.and_then(|s| s.signal()), Some(libc::SIGKILL));
        assert_eq!(child.id(), None);
        assert_eq!(child.wait().await?.signal(), Some(libc::SIGKILL));
        Ok(())
    });
}

pub fn missing_program_is_not_found_and_leaks_no_fd() {
    run(30, async {
        // The runtime's own signalfd for SIGCHLD opens at the first spawn
        // and stays until the runtime drops: count after it.
        Command::new("true").status().await?;
        let fds = open_fds();
        let err = Command::new("/no/such/program")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect_err("no such program");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let err = Command::new("no-such-program-on-the-path").status().await;
        assert_eq!(err.expect_err("missing").kind(), io::ErrorKind::NotFound);
        assert_eq!(open_fds(), fds, "fds leaked by failed spawns");
        Ok(())
    });
}

pub fn bad_current_dir_is_an_error() {
    run(30, async {
        // The runtime's own signalfd for SIGCHLD opens at the first spawn
        // and stays until the runtime drops: count after it.
        Command::new("true").status().await?;
        let fds = open_fds();
        let err = Command::new("true")
            .current_dir("/no/such/dir")
            .stdout(Stdio::piped())
            .spawn()
            .expect_err("no such dir");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert_eq!(open_fds(), fds, "fds leaked by a failed spawn");
        let before = std::env::current_dir()?;
        let out = Command::new("pwd").current_dir("/").output().await?;
        assert_eq!(out.stdout, b"/\n");
        assert_eq!(std::env::current_dir()?, before);
        Ok(())
    });
}

pub fn children_start_without_the_runtimes_blocked_signals() {
    run(30, async {
        // A listener blocks SIGUSR1; a registered child blocks SIGCHLD.
        let _usr1 = chronia::signal::signal(libc::SIGUSR1)?;
        let mut first = Command::new("sleep").arg("5").spawn()?;
        let blocked_here = status_mask("thread-self", "SigBlk:");
        let ours = bit(libc::SIGCHLD) | bit(libc::SIGUSR1);
        assert_eq!(blocked_here & ours, ours, "the runtime blocks both");
        let mut second = Command::new("sleep").arg("5").spawn()?;
        for child in [&first, &second] {
            let pid = pid_of(child).to_string();
            let blocked = status_mask(&pid, "SigBlk:");
            let ignored = status_mask(&pid, "SigIgn:");
            assert_eq!(blocked & ours, 0, "child {pid} SigBlk {blocked:#x}");
            assert_eq!(ignored & ours, 0, "child {pid} SigIgn {ignored:#x}");
        }
        for child in [&mut first, &mut second] {
            child.kill()?;
            child.wait().await?;
        }
        Ok(())
    });
}

/// With no signal listener, children are spawned with SIGCHLD unblocked
/// for the spawn alone (std's `posix_spawn` path, no `pre_exec` hook).
pub fn children_spawned_on_the_fast_path_start_without_sigchld_blocked() {
    run(30, async {
        let mut first = Command::new("sleep").arg("5").spawn()?;
        let sigchld = bit(libc::SIGCHLD);
        let blocked_here = status_mask("thread-self", "SigBlk:");
        assert_eq!(
            blocked_here & sigchld,
            sigchld,
            "the runtime blocks SIGCHLD"
        );
        let mut second = Command::new("sleep").arg("5").spawn()?;
        for child in [&first, &second] {
            let pid = pid_of(child).to_string();
            let blocked = status_mask(&pid, "SigBlk:");
            assert_eq!(blocked & sigchld, 0, "child {pid} SigBlk {blocked:#x}");
        }
        assert_eq!(
            status_mask("thread-self", "SigBlk:") & sigchld,
            sigchld,
            "blocked again after the spawn"
        );
        // Exits are still seen, whichever way they came.
        for child in [&mut first, &mut second] {
            child.kill()?;
            child.wait().await?;
        }
        Ok(())
    });
}

pub fn child_reaped_elsewhere_gives_an_error_not_a_hang() {
    run(30, async {
        let mut child = Command::new("true").spawn()?;
        let mut status = 0;
        // SAFETY: `status` is a writable int that lives across the call.
        let reaped = unsafe { libc::waitpid(pid_of(&child), &raw mut status, 0) };
        assert_eq!(reaped, pid_of(&child));
        let err = child.wait().await.expect_err("stolen");
        assert!(err.to_string().contains("ECHILD"), "{err}");
        assert_eq!(child.id(), None);
        assert_eq!(
            child.kill().expect_err("gone").kind(),
            io::ErrorKind::InvalidInput
        );
        Ok(())
    });
}

/// Sets `SIGCHLD` to `SIG_IGN` for the process: only where nothing else runs.
pub fn ignored_sigchld_makes_wait_fail_at_once() {
    // SAFETY: SIG_IGN is a valid disposition for SIGCHLD; put back below.
    let old = unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    run(30, async {
        let mut child = Command::new("sleep").arg("0.05").spawn()?;
        let err = timeout(Duration::from_millis(20), child.wait())
            .await
            .expect("an error at once, not a hang")
            .expect_err("no status to be had");
        assert!(err.to_string().contains("SIG_IGN"), "{err}");
        Ok(())
    });
    // SAFETY: `old` was the disposition before.
    unsafe { libc::signal(libc::SIGCHLD, old) };
}
