//! Helpers shared by the root integration tests.
#![allow(dead_code, reason = "each test file uses some of the helpers")]

use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// How long any single wait of a test may take before it counts as a hang
/// (natively; see [`limit`]).
pub const LIMIT: Duration = Duration::from_secs(10);

/// How much longer the hang guards are under valgrind ([`under_valgrind`]):
/// it runs the code 20 to 50 times slower, more on a loaded machine.
pub const VALGRIND_SLOWDOWN: u32 = 10;

/// The hang guard in force: [`LIMIT`], or [`LIMIT`] ×
/// [`VALGRIND_SLOWDOWN`] under valgrind. A guard only turns a hang into a
/// failure, so a longer one under valgrind checks the same.
pub fn limit() -> Duration {
    if under_valgrind() {
        LIMIT * VALGRIND_SLOWDOWN
    } else {
        LIMIT
    }
}

/// `n`, or `n / divisor` (at least 1) under valgrind: for counts and sizes
/// that only make a test take longer there, not check more.
pub fn scaled_for_valgrind(n: usize, divisor: usize) -> usize {
    if under_valgrind() {
        (n / divisor).max(1)
    } else {
        n
    }
}

/// Awaits `fut`, failing the test (not hanging it) after [`limit`].
pub async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    let limit = limit();
    match chronia::time::timeout(limit, fut).await {
        Ok(out) => out,
        Err(elapsed) => panic!("{what}: {elapsed} ({limit:?})"),
    }
}

/// The number of fds this process has open.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd is readable on Linux")
        .count()
}

/// The environment variable that marks a test run by [`run_isolated`].
pub const ISOLATED: &str = "CHRONIA_TEST_ISOLATED";

/// Whether this process is a child started by [`run_isolated`].
pub fn is_isolated() -> bool {
    std::env::var_os(ISOLATED).is_some()
}

/// Runs the ignored test `name` of this test binary alone in a child
/// process, for tests that change or count process-wide state (open fds,
/// `RLIMIT_NOFILE`). With `fd_limit`, the child's soft `RLIMIT_NOFILE` is
/// lowered to it first (by the shell's `ulimit`, so no unsafe code here).
/// Panics with the child's output if it fails.
pub fn run_isolated(name: &str, fd_limit: Option<u32>) {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let limit = fd_limit.map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
    let script = if fd_limit.is_some() {
        format!("ulimit -S -n {limit} && exec \"$0\" \"$@\"")
    } else {
        "exec \"$0\" \"$@\"".to_owned()
    };
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .arg(exe)
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ISOLATED, "1")
        .output()
        .expect("/bin/sh runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "isolated test {name} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh directory for socket files, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("chronia-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the temp dir is writable");
        TempDir(dir)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover temp dir harms nothing.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `f` on a thread of its own and fails the test if it takes longer
/// than `limit`: for tests about timers, parking or paused time, which cannot
/// trust a chronia `timeout` to guard them.
pub fn within_thread<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the closure sends before it returns"),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("the test hung for {limit:?}"),
    }
}

/// The path of example `name`, which cargo builds before it runs tests:
/// `target/<profile>/examples/`, next to the test's `deps/` folder.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    profile_dir.join("examples").join(name)
}

/// Sends `signo` to the child process `child` (still running, so its pid
/// is not recycled).
#[allow(unsafe_code, reason = "kill(2) has no std wrapper for a chosen signal")]
pub fn send_signal(child: &std::process::Child, signo: i32) {
    let pid = libc::pid_t::try_from(child.id()).expect("pids fit in pid_t");
    // SAFETY: kill takes two integers and touches no memory of ours.
    let rc = unsafe { libc::kill(pid, signo) };
    assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
}

/// Has `cmd`'s process start with `SIGINT` and `SIGTERM` at their default
/// actions, whatever this process inherited. exec keeps an ignored
/// signal ignored, and a non-interactive shell starts its background jobs
/// (`cargo test ... &` in a script) with `SIGINT` and `SIGQUIT` ignored: a
/// server example started from such a run would put `SIG_IGN` back when
/// its listeners go, and a test of "a second Ctrl-C ends the process"
/// would fail there, and only there.
#[allow(unsafe_code, reason = "signal(2) in the child, between fork and exec")]
pub fn with_default_signals(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    let reset = || {
        for signo in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: signal(2) takes two integers and is async-signal-safe,
            // as the pre-exec hook below requires.
            if unsafe { libc::signal(signo, libc::SIG_DFL) } == libc::SIG_ERR {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    };
    // SAFETY: the hook runs in the forked child before exec, where only
    // async-signal-safe calls are allowed: `reset` makes two signal(2)
    // calls, which are, and allocates nothing.
    unsafe { cmd.pre_exec(reset) }
}

/// Spawns `cmd`, a server example, with its stdout piped and its signals
/// at their defaults ([`with_default_signals`]), and reads the first line
/// it prints, `listening on ADDR ...`: returns the child, the rest of its
/// stdout, the address and that line.
pub fn start_server(
    cmd: &mut Command,
) -> (
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    SocketAddr,
    String,
) {
    let mut child = with_default_signals(cmd)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the example is built by cargo test");
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let line = read_line(&mut out);
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split(' ').next())
        .expect("a 'listening on' line")
        .parse()
        .expect("an address");
    (child, out, addr, line)
}

/// One line of `out`, with its newline (empty at end of file).
pub fn read_line(out: &mut impl BufRead) -> String {
    let mut line = String::new();
    out.read_line(&mut line).expect("stdout readable");
    line
}

/// Writes `msg` to an echo server and checks that it comes back.
pub fn round_trip(stream: &mut TcpStream, msg: &[u8]) {
    stream.write_all(msg).expect("write");
    let mut back = vec![0; msg.len()];
    stream.read_exact(&mut back).expect("echo comes back");
    assert_eq!(back, msg);
}

/// Waits for `child` to exit, polling; kills it and fails the test if it
/// has not exited within `limit`.
pub fn wait_with_deadline(
    child: &mut std::process::Child,
    limit: Duration,
) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("child process {} did not exit within {limit:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The calling thread's blocked signals as read with `pthread_sigmask`,
/// bit `n - 1` for signal `n` (the layout of `/proc`'s `SigBlk`). Read
/// with the syscall rather than from `/proc/thread-self/status`: under
/// valgrind (`.ci/memcheck`) that file shows the mask valgrind keeps in
/// its threads, while the syscall answers with the program's, as it does
/// natively, where both agree.
#[allow(unsafe_code, reason = "two libc calls that read the signal mask")]
pub fn blocked_mask() -> u64 {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: a null new set only reads; `set` is writable and lives
    // across the call.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), set.as_mut_ptr()) };
    assert_eq!(rc, 0, "pthread_sigmask");
    // SAFETY: zero-initialised and filled in by pthread_sigmask.
    let set = unsafe { set.assume_init() };
    (1..=64).fold(0, |mask, signo| {
        // SAFETY: `set` is an initialised sigset; sigismember checks
        // `signo` and returns -1 for one it does not know.
        if unsafe { libc::sigismember(&raw const set, signo) } == 1 {
            mask | 1 << (signo - 1)
        } else {
            mask
        }
    })
}

/// Whether `.ci/memcheck` runs this process under valgrind (it sets
/// `CHRONIA_UNDER_VALGRIND=1`): tests that count on speed or thread
/// scheduling scale their counts down there, and say so.
pub fn under_valgrind() -> bool {
    std::env::var_os("CHRONIA_UNDER_VALGRIND").is_some_and(|v| v == "1")
}

/// Polls `fut` once inside a runtime that is dropped right after, so the
/// waker `fut` keeps (if pending) is that of a runtime gone; whether it
/// was pending.
pub fn poll_once_in_a_dropped_runtime<F: std::future::Future + Unpin>(fut: &mut F) -> bool {
    let rt = chronia::Runtime::new().expect("runtime");
    rt.block_on(std::future::poll_fn(|cx| {
        std::task::Poll::Ready(std::pin::Pin::new(&mut *fut).poll(cx).is_pending())
    }))
}
