//! Helpers shared by the stress scenarios (`tests/stress_*.rs`, each a
//! `harness = false` binary): counts scaled by `CHRONIA_STRESS`, a
//! watchdog that turns a hang into a loud failure naming what was pending,
//! snapshots of the process-wide state a runtime must give back (fds,
//! threads, signal mask and dispositions, zombies), RSS and CPU time, and
//! re-running the test binary as a child process.
//!
//! Every scenario waits for states (a condition polled up to a generous
//! deadline), never for a fixed time.
#![allow(dead_code, reason = "each scenario uses some of the helpers")]
#![allow(
    unsafe_code,
    reason = "libc calls that set up or read back the conditions under test"
)]

use std::collections::BTreeMap;
use std::io::Read;
use std::mem::MaybeUninit;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The environment variable that selects long runs: `CHRONIA_STRESS=full`.
pub const STRESS: &str = "CHRONIA_STRESS";
/// How much `CHRONIA_STRESS=full` multiplies the default counts.
pub const FULL_FACTOR: usize = 10;
/// The environment variable that marks a child started by [`run_child`],
/// holding the role it plays.
pub const CHILD: &str = "CHRONIA_STRESS_CHILD";

/// Whether this is a long run (`CHRONIA_STRESS=full`).
pub fn is_full() -> bool {
    std::env::var(STRESS).is_ok_and(|v| v == "full")
}

/// How much the default counts are divided by under valgrind.
pub const VALGRIND_DIVISOR: usize = 10;

/// Whether `.ci/memcheck` runs this process under valgrind (it sets
/// `CHRONIA_UNDER_VALGRIND=1`). Valgrind runs the code 20 to 50 times
/// slower and one thread at a time, so the scenarios run smaller counts
/// there ([`scaled`]) and widen their timing bounds ([`slowdown`]); what
/// they check stays the same.
pub fn under_valgrind() -> bool {
    std::env::var_os("CHRONIA_UNDER_VALGRIND").is_some_and(|v| v == "1")
}

/// `n`, or `n` × [`FULL_FACTOR`] in a long run, or `n` /
/// [`VALGRIND_DIVISOR`] (at least 1) under valgrind.
pub fn scaled(n: usize) -> usize {
    if is_full() {
        n * FULL_FACTOR
    } else if under_valgrind() {
        (n / VALGRIND_DIVISOR).max(1)
    } else {
        n
    }
}

/// 1, or 10 under valgrind: the factor by which timing bounds that a
/// slowed-down run cannot keep (ticks per second, longest gaps) widen.
pub fn slowdown() -> u32 {
    if under_valgrind() { 10 } else { 1 }
}

/// What RSS may grow beyond `native` KiB under valgrind: memcheck holds
/// freed blocks back from reuse (`--freelist-vol`, 20 MB by default) to
/// catch uses after free, and its translation cache grows as new code
/// runs, so RSS there grows by up to that much with no leak.
pub fn rss_slack_kib(native: u64) -> u64 {
    if under_valgrind() {
        native + 32 * 1024
    } else {
        native
    }
}

/// `default`, or `full` in a long run: for counts that do not scale by a
/// factor (threads).
pub fn pick(default: usize, full: usize) -> usize {
    if is_full() { full } else { default }
}

/// The role this process plays when [`run_child`] started it.
pub fn child_role() -> Option<String> {
    std::env::var(CHILD).ok()
}

/// Fails the process loudly if it is not dropped within a time limit: a
/// thread (with every signal blocked, so it never takes a delivery meant
/// for the scenario) that prints what `pending` says and exits with
/// status 3.
pub struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    pub fn start(
        name: &str,
        limit: Duration,
        pending: impl Fn() -> String + Send + 'static,
    ) -> Watchdog {
        let (stop, stopped) = mpsc::channel::<()>();
        let (ready, is_ready) = mpsc::channel::<()>();
        let name = name.to_owned();
        let thread = std::thread::Builder::new()
            .name("watchdog".into())
            .spawn(move || {
                block_all_signals_in_this_thread();
                let _ = ready.send(());
                if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(limit) {
                    eprintln!(
                        "WATCHDOG: {name} did not finish within {limit:?}; pending: {}",
                        pending()
                    );
                    std::process::exit(3);
                }
            })
            .expect("a thread for the watchdog");
        is_ready.recv().expect("the watchdog blocks its signals");
        Watchdog {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Polls `cond` until it holds; panics with `what` and `pending()` after
/// `limit`.
pub fn wait_until(
    what: &str,
    limit: Duration,
    mut cond: impl FnMut() -> bool,
    pending: impl Fn() -> String,
) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "{what}: not reached within {limit:?}; {}",
            pending()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A small xorshift generator: reproducible from its seed, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// The process-wide state a runtime must give back: open fds and what they
/// point at, threads, the calling thread's blocked mask, the ignored and
/// caught signals, zombie children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub fds: BTreeMap<i32, String>,
    pub threads: usize,
    pub blocked: u64,
    pub ignored: u64,
    pub caught: u64,
    pub zombies: usize,
}

impl Snapshot {
    pub fn take() -> Snapshot {
        Snapshot {
            fds: open_fds(),
            threads: threads(),
            blocked: blocked_mask(),
            ignored: disposition_mask(Disposition::Ignored),
            caught: disposition_mask(Disposition::Caught),
            zombies: zombies(),
        }
    }

    /// Panics, naming every difference, unless `now` equals `self`.
    pub fn assert_same(&self, now: &Snapshot, when: &str) {
        assert!(
            self == now,
            "{when}: the process is not as it was\n before: {self:x?}\n  after: {now:x?}"
        );
    }
}

/// The open fds of the process and what they point at, without the one
/// that lists them.
pub fn open_fds() -> BTreeMap<i32, String> {
    let mut fds = BTreeMap::new();
    for entry in std::fs::read_dir("/proc/self/fd").expect("list /proc/self/fd") {
        let entry = entry.expect("an fd entry");
        let fd: i32 = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse().ok())
            .expect("fd names are numbers");
        if let Ok(target) = std::fs::read_link(entry.path()) {
            let target = target.to_string_lossy().into_owned();
            if !(target.starts_with("/proc/") && target.ends_with("/fd")) {
                fds.insert(fd, target);
            }
        }
    }
    fds
}

/// The number of threads of this process.
pub fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("procfs is mounted")
        .count()
}

/// A hex mask line (`SigBlk:`, `SigIgn:`, `SigCgt:`) of
/// `/proc/<which>/status`.
pub fn status_mask(which: &str, field: &str) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{which}/status")).expect("procfs is mounted");
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/{which}/status"));
    u64::from_str_radix(line.trim(), 16).expect("a hex mask")
}

/// The calling thread's blocked signals as read with `pthread_sigmask`,
/// in the layout of a `/proc` mask (see [`bit`]). This process's own
/// masks and dispositions are read with the syscalls rather than from
/// `/proc/thread-self/status`: under valgrind (`.ci/memcheck`) that file
/// shows valgrind's state (it catches every signal and blocks most in its
/// threads), while the syscalls answer with the program's, as they do
/// natively, where both agree.
pub fn blocked_mask() -> u64 {
    let mut set = MaybeUninit::<libc::sigset_t>::zeroed();
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
            mask | bit(signo)
        } else {
            mask
        }
    })
}

/// Which dispositions [`disposition_mask`] collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// `SIG_IGN` (`/proc`'s `SigIgn`).
    Ignored,
    /// A handler (`/proc`'s `SigCgt`).
    Caught,
}

/// The signals of this process with disposition `which`, read with
/// `sigaction` (see [`blocked_mask`] for why not from `/proc`). The
/// signals `sigaction` refuses (the C library's own 32 and 33, and the one
/// valgrind keeps for itself) count as neither.
pub fn disposition_mask(which: Disposition) -> u64 {
    (1..=64).fold(0, |mask, signo| {
        let mut old = MaybeUninit::<libc::sigaction>::zeroed();
        // SAFETY: a null new action only reads; `old` is a writable
        // sigaction that lives across the call.
        let rc = unsafe { libc::sigaction(signo, std::ptr::null(), old.as_mut_ptr()) };
        if rc != 0 {
            return mask;
        }
        // SAFETY: zero-initialised and filled in by sigaction.
        let handler = unsafe { old.assume_init() }.sa_sigaction;
        let is = match which {
            Disposition::Ignored => handler == libc::SIG_IGN,
            Disposition::Caught => handler != libc::SIG_IGN && handler != libc::SIG_DFL,
        };
        if is { mask | bit(signo) } else { mask }
    })
}

/// The bit of `signo` in a `/proc` signal mask.
pub fn bit(signo: i32) -> u64 {
    1 << (signo - 1)
}

/// Zombies whose parent is this process.
pub fn zombies() -> usize {
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

/// The resident set size of this process, in KiB.
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs is mounted");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line in kB")
}

/// User plus system CPU time of this process so far (`getrusage`).
pub fn cpu_time() -> Duration {
    let mut usage = MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a writable rusage that lives across the call.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage: {}", std::io::Error::last_os_error());
    // SAFETY: zeroed, then filled by the kernel.
    let usage = unsafe { usage.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::new(
            u64::try_from(t.tv_sec).expect("CPU time is not negative"),
            u32::try_from(t.tv_usec).expect("microseconds fit") * 1000,
        )
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Lowers this process's soft `RLIMIT_NOFILE` to `limit`.
pub fn set_fd_limit(limit: u64) {
    let mut old = MaybeUninit::<libc::rlimit>::zeroed();
    // SAFETY: `old` is a writable rlimit that lives across the call.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, old.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrlimit: {}", std::io::Error::last_os_error());
    // SAFETY: zeroed, then filled by the kernel.
    let old = unsafe { old.assume_init() };
    let new = libc::rlimit {
        rlim_cur: limit.min(old.rlim_max),
        rlim_max: old.rlim_max,
    };
    // SAFETY: `new` is a valid rlimit that lives across the call.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const new) };
    assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// Sends `signo` to this process (process-directed: any thread that does
/// not block it may take it).
pub fn kill_process(signo: i32) {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    // SAFETY: kill takes two integers and touches no memory of ours.
    let rc = unsafe { libc::kill(pid, signo) };
    assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
}

/// Sends `signo` to the calling thread; if the thread does not block it,
/// its handler runs before this returns.
pub fn raise(signo: i32) {
    // SAFETY: raise takes an integer and touches no memory of ours.
    let rc = unsafe { libc::raise(signo) };
    assert_eq!(rc, 0, "raise: {}", std::io::Error::last_os_error());
}

/// Blocks every signal in the calling thread, so that the kernel never
/// hands it a process-directed one.
pub fn block_all_signals_in_this_thread() {
    let mut set = MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: sigfillset initialises `set`.
    unsafe { libc::sigfillset(set.as_mut_ptr()) };
    // SAFETY: `set` is initialised; the old set may be null.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), std::ptr::null_mut()) };
    assert_eq!(rc, 0, "pthread_sigmask");
}

/// What [`run_child`] saw of a child: how it ended and what it printed.
#[derive(Debug)]
pub struct ChildRun {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub wall: Duration,
}

/// Runs this test binary again as a child with [`CHILD`] set to `role`
/// and the variables `envs`, and waits at most `limit` for it (then kills
/// it and panics with what it printed so far).
pub fn run_child(role: &str, envs: &[(&str, String)], limit: Duration) -> ChildRun {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let start = Instant::now();
    let mut child = Command::new(exe)
        .env(CHILD, role)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the test binary runs again");
    let out = reader(child.stdout.take().expect("piped"));
    let err = reader(child.stderr.take().expect("piped"));
    let deadline = start + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waitpid on our child") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "child {role} did not finish within {limit:?}; it printed:\n{}\n{}",
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    ChildRun {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        wall: start.elapsed(),
    }
}

/// Reads `pipe` to its end on a thread of its own.
pub fn reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Awaits, inside a runtime, until `cond` holds (checked every
/// millisecond); panics with `what` and `pending()` after `limit`.
pub async fn wait_for(
    what: &str,
    limit: Duration,
    mut cond: impl FnMut() -> bool,
    pending: impl Fn() -> String,
) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "{what}: not reached within {limit:?}; {}",
            pending()
        );
        chronia::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Counters that a scenario bumps and its watchdog prints.
#[derive(Debug, Default)]
pub struct Counters(pub Vec<(&'static str, std::sync::atomic::AtomicUsize)>);

impl Counters {
    pub fn new(names: &[&'static str]) -> std::sync::Arc<Counters> {
        std::sync::Arc::new(Counters(
            names
                .iter()
                .map(|&n| (n, std::sync::atomic::AtomicUsize::new(0)))
                .collect(),
        ))
    }

    fn slot(&self, name: &str) -> &std::sync::atomic::AtomicUsize {
        &self
            .0
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no counter {name}"))
            .1
    }

    pub fn add(&self, name: &str) {
        self.slot(name)
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn get(&self, name: &str) -> usize {
        self.slot(name).load(std::sync::atomic::Ordering::SeqCst)
    }

    /// `name=value` for every counter.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={}", v.load(std::sync::atomic::Ordering::SeqCst)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A one-shot gate for the tasks of one runtime: [`Latch::wait`] completes
/// once [`Latch::open`] was called.
#[derive(Debug, Default)]
pub struct Latch {
    open: std::cell::Cell<bool>,
    wakers: std::cell::RefCell<Vec<std::task::Waker>>,
}

impl Latch {
    pub fn open(&self) {
        self.open.set(true);
        for waker in self.wakers.take() {
            waker.wake();
        }
    }

    pub async fn wait(&self) {
        std::future::poll_fn(|cx| {
            if self.open.get() {
                std::task::Poll::Ready(())
            } else {
                self.wakers.borrow_mut().push(cx.waker().clone());
                std::task::Poll::Pending
            }
        })
        .await;
    }
}
