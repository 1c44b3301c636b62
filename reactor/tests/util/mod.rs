//! Helpers shared by the reactor's integration tests: the few libc calls the
//! tests need (each wrapped once, as the crate's `sys` does), selecting until
//! a report comes, and a tiny runner for the `harness = false` targets.
#![allow(
    dead_code,
    unsafe_code,
    reason = "each test binary uses a subset; libc calls are wrapped here once"
)]

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use chronia_reactor::{Events, Ident, ReadyKey, Selector};

/// Generous upper bound for anything that should happen "at once" on a
/// shared, busy machine.
pub const PATIENCE: Duration = Duration::from_secs(10);

// ---- selecting --------------------------------------------------------------

/// Selects until a report for `ident` comes, or panics after [`PATIENCE`].
/// Every other report of those selects (before or after it, even in the
/// same batch) is returned too, in arrival order; a second report for
/// `ident` in the last batch counts among them.
pub fn select_until<T>(selector: &mut Selector<T>, ident: Ident) -> (ReadyKey, Vec<ReadyKey>) {
    let deadline = Instant::now() + PATIENCE;
    let mut found = None;
    let mut others = Vec::new();
    while found.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no report for {ident:?} within {PATIENCE:?}"
        );
        for key in selector.select(Some(left)).expect("select") {
            if found.is_none() && key.ident() == ident {
                found = Some(key);
            } else {
                others.push(key);
            }
        }
    }
    (found.expect("loop ends when found"), others)
}

/// Every report of one select with `timeout`, as (ident, events) pairs.
pub fn reports<T>(selector: &mut Selector<T>, timeout: Duration) -> Vec<(Ident, Events)> {
    selector
        .select(Some(timeout))
        .expect("select")
        .iter()
        .map(|k| (k.ident(), k.events()))
        .collect()
}

// ---- fds --------------------------------------------------------------------

/// How many descriptors this process has open (`/proc/self/fd`, less the one
/// the listing itself holds).
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
        - 1
}

/// Whether `fd` is open in this process.
pub fn fd_is_open(fd: RawFd) -> bool {
    fd_flags(fd).is_ok()
}

/// The descriptor flags of `fd` (`F_GETFD`): `FD_CLOEXEC` or not.
pub fn fd_flags(fd: RawFd) -> io::Result<i32> {
    // SAFETY: F_GETFD takes no pointer; the kernel checks the number.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(flags)
    }
}

/// Makes `target` a duplicate of `fd` (closing what `target` was), so that a
/// test owns a descriptor number no other test thread will be handed.
pub fn dup_to(fd: RawFd, target: RawFd) -> RawFd {
    // SAFETY: dup2 takes no pointer; the caller owns `target` (a high number
    // chosen per test) and `fd` is open.
    let rc = unsafe { libc::dup2(fd, target) };
    assert_eq!(rc, target, "dup2: {}", io::Error::last_os_error());
    target
}

/// Closes a raw descriptor the test owns.
pub fn close(fd: RawFd) {
    // SAFETY: the caller owns `fd` and does not use the number afterwards
    // (other than to check that the selector copes).
    let rc = unsafe { libc::close(fd) };
    assert_eq!(rc, 0, "close({fd}): {}", io::Error::last_os_error());
}

/// Writes into `fd` (non-blocking) until the kernel says it is full; returns
/// how many bytes went in.
pub fn fill(fd: RawFd) -> usize {
    let chunk = [0u8; 4096];
    let mut total = 0;
    loop {
        // SAFETY: `chunk` is 4096 readable bytes that live across the call.
        let n = unsafe { libc::send(fd, chunk.as_ptr().cast(), chunk.len(), libc::MSG_DONTWAIT) };
        if n < 0 {
            let e = io::Error::last_os_error();
            assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "fill: {e}");
            return total;
        }
        total += usize::try_from(n).expect("non-negative");
    }
}

// ---- signals ----------------------------------------------------------------

/// A signal set, compared member by member (`sigset_t` has padding that
/// `==` on bytes would see).
#[derive(Clone, Copy)]
pub struct Mask(libc::sigset_t);

impl Mask {
    pub fn empty() -> Mask {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the whole set it is given.
        unsafe { libc::sigemptyset(set.as_mut_ptr()) };
        // SAFETY: initialised just above.
        Mask(unsafe { set.assume_init() })
    }

    pub fn of(signals: &[i32]) -> Mask {
        let mut mask = Mask::empty();
        for &s in signals {
            // SAFETY: `mask.0` is an initialised set; the tests pass valid numbers.
            unsafe { libc::sigaddset(&raw mut mask.0, s) };
        }
        mask
    }

    pub fn contains(&self, signo: i32) -> bool {
        // SAFETY: `self.0` is an initialised set, only read.
        unsafe { libc::sigismember(&raw const self.0, signo) == 1 }
    }

    pub fn members(&self) -> Vec<i32> {
        (1..=libc::SIGRTMAX())
            .filter(|&s| self.contains(s))
            .collect()
    }
}

impl PartialEq for Mask {
    fn eq(&self, other: &Mask) -> bool {
        self.members() == other.members()
    }
}

impl std::fmt::Debug for Mask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.members()).finish()
    }
}

/// The calling thread's signal mask.
pub fn thread_mask() -> Mask {
    let mut old = Mask::empty();
    // SAFETY: a null new set only reads the mask into `old`, a valid set.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &raw mut old.0) };
    assert_eq!(rc, 0, "pthread_sigmask");
    old
}

/// Blocks (`true`) or unblocks the signals of `signals` in this thread.
pub fn set_blocked(signals: &[i32], block: bool) {
    let set = Mask::of(signals);
    let how = if block {
        libc::SIG_BLOCK
    } else {
        libc::SIG_UNBLOCK
    };
    // SAFETY: `set.0` is an initialised set; the old-set pointer may be null.
    let rc = unsafe { libc::pthread_sigmask(how, &raw const set.0, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "pthread_sigmask");
}

/// The signals pending for this thread or the process.
pub fn pending() -> Mask {
    let mut set = Mask::empty();
    // SAFETY: `set.0` is a valid, writable set.
    let rc = unsafe { libc::sigpending(&raw mut set.0) };
    assert_eq!(rc, 0, "sigpending");
    set
}

/// This thread's kernel id.
pub fn gettid() -> libc::pid_t {
    // SAFETY: gettid takes no arguments and cannot fail.
    unsafe { libc::gettid() }
}

/// This process's id.
pub fn getpid() -> libc::pid_t {
    // SAFETY: getpid takes no arguments and cannot fail.
    unsafe { libc::getpid() }
}

/// This process's real user id.
pub fn getuid() -> libc::uid_t {
    // SAFETY: getuid takes no arguments and cannot fail.
    unsafe { libc::getuid() }
}

/// Sends `signo` to thread `tid` of this process.
pub fn tgkill(tid: libc::pid_t, signo: i32) {
    // SAFETY: no pointers; the kernel checks the ids and the number.
    let rc = unsafe { libc::tgkill(getpid(), tid, signo) };
    assert_eq!(rc, 0, "tgkill: {}", io::Error::last_os_error());
}

/// Sends `signo` to this thread.
pub fn tgkill_self(signo: i32) {
    tgkill(gettid(), signo);
}

/// Sends `signo` to process `pid` (process-directed).
pub fn kill(pid: libc::pid_t, signo: i32) {
    // SAFETY: no pointers; the kernel checks the pid and the number.
    let rc = unsafe { libc::kill(pid, signo) };
    assert_eq!(rc, 0, "kill: {}", io::Error::last_os_error());
}

/// How many signals the handler of [`install_counting_handler`] has seen.
static HANDLED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Installs, without `SA_RESTART`, a handler for `signo` that only counts.
pub fn install_counting_handler(signo: i32) {
    extern "C" fn count(_: libc::c_int) {
        // An atomic add is async-signal-safe.
        HANDLED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = count as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = 0;
    // SAFETY: `action` is a valid sigaction whose handler is
    // async-signal-safe; the old-action pointer may be null.
    let rc = unsafe { libc::sigaction(signo, &raw const action, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "sigaction: {}", io::Error::last_os_error());
}

/// How many signals the counting handler has run for.
pub fn handled() -> usize {
    HANDLED.load(std::sync::atomic::Ordering::Relaxed)
}

// ---- processes --------------------------------------------------------------

/// The state letter of `/proc/<pid>/stat` (`R`, `S`, `T`, `Z`, ...).
pub fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: skip past it.
    let after = &stat[stat.rfind(')')? + 1..];
    after.trim_start().chars().next()
}

/// Waits until `pid` is in state `state` according to `/proc`.
pub fn wait_for_state(pid: u32, state: char) {
    let deadline = Instant::now() + PATIENCE;
    while proc_state(pid) != Some(state) {
        assert!(
            Instant::now() < deadline,
            "process {pid} did not reach state {state} (is {:?})",
            proc_state(pid)
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A child's pid as the selector takes it.
pub fn pid_of(child: &std::process::Child) -> i32 {
    i32::try_from(child.id()).expect("pids fit in i32")
}

// ---- the runner of harness = false targets ----------------------------------

/// Runs each check in turn, catching panics, prints a summary line, and
/// exits non-zero if any failed. A filter argument (as `cargo test NAME`
/// passes) runs only the checks whose name contains it.
pub fn run(checks: &[(&str, fn())]) -> ! {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let (mut passed, mut failed) = (0, 0);
    for (name, check) in checks {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let start = Instant::now();
        if panic::catch_unwind(AssertUnwindSafe(check)).is_ok() {
            passed += 1;
            println!("test {name} ... ok ({:?})", start.elapsed());
        } else {
            failed += 1;
            println!("test {name} ... FAILED");
        }
    }
    println!("{passed} passed, {failed} failed");
    std::process::exit(i32::from(failed != 0));
}

// ---- epoll's own view ---------------------------------------------------------

/// The interest list of epoll instance `epfd` as the kernel shows it in
/// `/proc/self/fdinfo`: (fd, epoll event bits) per registered descriptor.
pub fn epoll_interest(epfd: RawFd) -> Vec<(RawFd, u32)> {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{epfd}")).expect("fdinfo");
    info.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            if words.next()? != "tfd:" {
                return None;
            }
            let fd = words.next()?.parse().ok()?;
            if words.next()? != "events:" {
                return None;
            }
            let bits = u32::from_str_radix(words.next()?, 16).ok()?;
            Some((fd, bits))
        })
        .collect()
}

/// The epoll bits `fd` is registered with in `epfd`, if it is.
pub fn epoll_bits_of(epfd: RawFd, fd: RawFd) -> Option<u32> {
    epoll_interest(epfd)
        .into_iter()
        .find(|&(f, _)| f == fd)
        .map(|(_, bits)| bits)
}

/// Takes one pending instance of `signo` (thread or process), without
/// blocking; whether there was one. The signal must be blocked.
pub fn take_pending(signo: i32) -> bool {
    let set = Mask::of(&[signo]);
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `set` and `zero` are valid and live across the call; the
    // siginfo pointer may be null.
    let rc = unsafe { libc::sigtimedwait(&raw const set.0, std::ptr::null_mut(), &raw const zero) };
    rc == signo
}

/// The descriptors open in this process (`/proc/self/fd`).
pub fn open_fds() -> Vec<RawFd> {
    let listed: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // The listing's own fd is closed by now: only the others are still open.
    let mut fds: Vec<RawFd> = listed.into_iter().filter(|&fd| fd_is_open(fd)).collect();
    fds.sort_unstable();
    fds
}

/// What `/proc/self/fd/<fd>` links to, e.g. `anon_inode:[timerfd]`.
pub fn fd_target(fd: RawFd) -> String {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// Spawns `sh -c script`.
pub fn sh(script: &str) -> std::process::Child {
    std::process::Command::new("sh")
        .args(["-c", script])
        .spawn()
        .expect("spawn sh")
}

/// Registers `event`, triggers it from another thread 100 ms later, and
/// checks that a select blocked with no timeout wakes for it with one
/// `USER` report: shared by the level- and edge-triggered event tests.
pub fn trigger_from_another_thread_wakes_a_blocked_select(event: &chronia_reactor::SelectEvent) {
    let mut selector = chronia_reactor::Selector::new().expect("selector");
    let id = selector.register_event(event, "wake").expect("register");
    let remote = event.clone();
    let start = Instant::now();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        remote.trigger().expect("trigger");
    });
    let keys = selector.select(None).expect("select");
    assert!(
        start.elapsed() >= Duration::from_millis(100),
        "woke before the trigger"
    );
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].ident(), id);
    assert_eq!(keys[0].events(), chronia_reactor::Events::USER);
    assert!(keys[0].error().is_none());
    thread.join().expect("no panic");
}

/// Triggers `event` 400 times from 4 threads and waits for them.
pub fn trigger_400_times_from_4_threads(event: &chronia_reactor::SelectEvent) {
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let remote = event.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    remote.trigger().expect("trigger");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no panic");
    }
}
