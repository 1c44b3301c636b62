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
        wait_until_zombie(pid_of(&child));
        assert!(child.wait().await?.success());
        // Exited, and the runtime took turns (to read its SIGCHLD) before
        // anyone waited.
        let mut child = Command::new("false").spawn()?;
        wait_until_zombie(pid_of(&child));
        for _ in 0..3 {
            sleep(Duration::from_millis(1)).await;
        }
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
        wait_until_zombie(pid_of(&child));
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

/// Nor must a spawn that succeeds: on the fast path SIGCHLD is unblocked
/// for the spawn, so the handler takes the pending SIGCHLD of the earlier
/// child, and only the sweep after the spawn finds that exit.
pub fn a_spawn_does_not_lose_an_earlier_exit() {
    run(30, async {
        let mut first = Command::new("true").spawn()?;
        // Exits while this thread is busy: its SIGCHLD is pending.
        wait_until_zombie(pid_of(&first));
        let mut second = Command::new("true").spawn()?;
        let status = timeout(Duration::from_secs(5), first.wait())
            .await
            .expect("the earlier exit was not lost")?;
        assert!(status.success());
        assert!(second.wait().await?.success());
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

/// Blocks the thread (so that no runtime turn happens) until `pid` has
/// exited and waits to be reaped (up to 10 s).
fn wait_until_zombie(pid: i32) {
    for _ in 0..2000 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next());
        if state == Some("Z") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("child {pid} did not exit within 10 s");
}

/// A runtime dropped while it holds orphans (an exited child it never
/// looked at, a child killed on drop, a child still running) leaves no
/// zombie: the first two are reaped by the drop, the last by the next
/// runtime that spawns or reads a SIGCHLD.
pub fn a_dropped_runtime_leaves_no_zombie() {
    let rt = chronia::Runtime::new().expect("a runtime");
    let pids = rt
        .block_on(async {
            let exited = Command::new("true").spawn()?;
            let pid = pid_of(&exited);
            // Exits while this thread is busy: the runtime never sees it.
            wait_until_zombie(pid);
            drop(exited);
            let killed = Command::new("sleep").arg("30").kill_on_drop(true).spawn()?;
            let running = Command::new("sleep").arg("0.2").spawn()?;
            let pids = [pid, pid_of(&killed), pid_of(&running)];
            drop((killed, running));
            Ok::<[i32; 3], io::Error>(pids)
        })
        .expect("spawns");
    drop(rt);
    // The child that had exited is reaped by the drop itself.
    assert!(
        !is_our_child(pids[0]),
        "the exited orphan is reaped when its runtime drops"
    );
    // The killed one and the running one are reaped as soon as they are
    // gone, by the drop or by the next runtime that spawns; on a loaded
    // machine they may take a while to die. (Only these three are looked
    // at: other checks' orphans may be reaped meanwhile.)
    let mut left = pids.to_vec();
    for _ in 0..200 {
        chronia::block_on(async { Command::new("true").status().await }).expect("a status");
        left.retain(|&pid| is_our_child(pid));
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        left.is_empty(),
        "orphans of the dropped runtime left zombies: {left:?}"
    );
}

/// Whether `pid` is still a child of this process (running, or a zombie
/// nobody reaped).
fn is_our_child(pid: i32) -> bool {
    let me = std::process::id().to_string();
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    stat.rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().nth(1))
        .is_some_and(|ppid| ppid == me)
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

/// Issue 9, item 17 (tokio's `process_change_of_runtime`): a child is a
/// process-wide thing; awaited under another runtime than the one that
/// spawned it, while that one lives or after it dropped, its exit is seen,
/// whether it came before the wait or during it.
pub fn a_child_spawned_under_one_runtime_is_awaited_under_another() {
    let spawner = chronia::Runtime::new().expect("a runtime");
    let (mut early, mut late, mut orphaned) = spawner
        .block_on(async {
            let early = Command::new("sh").args(["-c", "exit 4"]).spawn()?;
            let late = Command::new("sh")
                .args(["-c", "sleep 0.1; exit 5"])
                .spawn()?;
            let orphaned = Command::new("sh")
                .args(["-c", "sleep 0.1; exit 6"])
                .spawn()?;
            Ok::<_, io::Error>((early, late, orphaned))
        })
        .expect("spawns");
    // Exits while no runtime turns.
    wait_until_zombie(pid_of(&early));
    let waiter = chronia::Runtime::new().expect("a runtime");
    waiter.block_on(async {
        let early = timeout(Duration::from_secs(10), early.wait()).await;
        assert_eq!(early.expect("no hang").expect("reaped").code(), Some(4));
        let late = timeout(Duration::from_secs(10), late.wait()).await;
        assert_eq!(late.expect("no hang").expect("reaped").code(), Some(5));
    });
    drop(spawner);
    waiter.block_on(async {
        let status = timeout(Duration::from_secs(10), orphaned.wait()).await;
        assert_eq!(status.expect("no hang").expect("reaped").code(), Some(6));
    });
}

/// Waiting outside any runtime panics, naming the rule, rather than hang.
pub fn waiting_outside_a_runtime_panics_with_a_message() {
    let rt = chronia::Runtime::new().expect("a runtime");
    let mut child = rt
        .block_on(async { Command::new("true").spawn() })
        .expect("spawns");
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures_lite::future::block_on(child.wait())
    }))
    .expect_err("panics rather than hangs");
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .expect("a message");
    assert!(msg.contains("inside a chronia runtime"), "{msg}");
    rt.block_on(async {
        let status = timeout(Duration::from_secs(10), child.wait()).await;
        assert!(status.expect("no hang").expect("reaped").success());
    });
}

/// Issue 9, item 16: signal 0 is `kill(2)`'s "does it still exist" probe.
pub fn signal_zero_probes_a_live_child_and_refuses_a_reaped_one() {
    run(30, async {
        let mut child = Command::new("sleep").arg("30").spawn()?;
        child.signal(0)?;
        child.kill()?;
        child.wait().await?;
        let err = child.signal(0).expect_err("reaped");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = child.signal(-1).expect_err("not a signal");
        assert!(err.to_string().contains("-1"), "{err}");
        Ok(())
    });
}

fn is_zombie(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next())
        == Some("Z")
}

/// Issue 9, item 12: runtime A spawns children while runtime B, on the
/// same thread, waits for its own. A spawn must not open a window in which
/// B's child's `SIGCHLD` meets the handler on this thread (which does not
/// forward to its own thread) and is lost to B.
pub fn two_runtimes_on_one_thread_each_see_their_childrens_exits() {
    let a = chronia::Runtime::new().expect("a runtime");
    let b = chronia::Runtime::new().expect("a runtime");
    for _ in 0..5 {
        let mut child = b
            .block_on(async { Command::new("sh").args(["-c", "sleep 0.02"]).spawn() })
            .expect("spawns");
        let pid = pid_of(&child);
        // A turn of B, so that B has seen every SIGCHLD its thread read so
        // far (A's of the last round): only a new one can tell it of this
        // exit.
        b.block_on(async { sleep(Duration::from_millis(1)).await });
        // A spawns until B's child has exited, so that its SIGCHLD comes
        // while A spawns. A's children do not exit meanwhile: no later
        // SIGCHLD could make up for a lost one.
        let sleepers = a.block_on(async {
            let mut sleepers = Vec::new();
            while !is_zombie(pid) && sleepers.len() < 500 {
                sleepers.push(Command::new("sleep").arg("30").kill_on_drop(true).spawn()?);
            }
            Ok::<_, io::Error>(sleepers)
        });
        let status = b.block_on(async { timeout(Duration::from_secs(5), child.wait()).await });
        assert!(
            status
                .expect("B saw its child exit")
                .expect("reaped")
                .success()
        );
        a.block_on(async {
            for mut s in sleepers.expect("A spawned") {
                s.kill()?;
                s.wait().await?;
            }
            Ok::<(), io::Error>(())
        })
        .expect("A's children reaped");
    }
}
