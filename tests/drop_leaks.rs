//! A runtime leaves the process as it found it: every fd it opened is
//! closed when it drops (and was close-on-exec meanwhile), and the thread's
//! signal mask and the signal dispositions are given back.
//!
//! These tests look at process-wide state (the fd table, dispositions), so
//! they are serialised by `SERIAL`; no test in this file opens fds on
//! another thread.
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::mem::MaybeUninit;
use std::os::unix::net::UnixStream;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chronia::Runtime;
use chronia::io::{Async, readable};
use chronia::signal::{SIGUSR1, SIGUSR2, signal};
use chronia::task::yield_now;
use chronia::time::{Duration, sleep, timeout};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The open fds of the process and what they point at, without the one
/// that lists them.
fn open_fds() -> BTreeMap<i32, String> {
    let mut fds = BTreeMap::new();
    for entry in std::fs::read_dir("/proc/self/fd").expect("list /proc/self/fd") {
        let entry = entry.expect("an fd entry");
        let fd: i32 = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse().ok())
            .expect("fd names are numbers");
        // The listing's own fd is gone by the time it is read back.
        if let Ok(target) = std::fs::read_link(entry.path()) {
            let target = target.to_string_lossy().into_owned();
            if !(target.starts_with("/proc/") && target.ends_with("/fd")) {
                fds.insert(fd, target);
            }
        }
    }
    fds
}

/// Which signals this thread blocks.
fn thread_mask() -> Vec<i32> {
    let mut set = MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: a null new set only reads this thread's mask into `set`.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), set.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: the kernel filled `set` just above.
    let set = unsafe { set.assume_init() };
    (1..=libc::SIGRTMAX())
        // SAFETY: `set` is an initialised sigset and `signo` is in range.
        .filter(|&signo| unsafe { libc::sigismember(&raw const set, signo) } == 1)
        .collect()
}

/// `SA_RESTORER` of the Linux kernel ABI (not exported by `libc`).
const SA_RESTORER: i32 = 0x0400_0000;

/// The handler and flags of `signo`, without `SA_RESTORER`: the C library
/// adds that flag to every action it installs, so a signal that was never
/// touched (flags 0) reads back with it once restored, to the same effect.
fn disposition(signo: i32) -> (usize, i32) {
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only reads the current one into `old`.
    let rc = unsafe { libc::sigaction(signo, std::ptr::null(), old.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: zeroed, then filled by the kernel.
    let old = unsafe { old.assume_init() };
    (old.sa_sigaction, old.sa_flags & !SA_RESTORER)
}

fn is_close_on_exec(fd: i32) -> bool {
    // SAFETY: F_GETFD takes no argument and only reads the fd's flags; an fd
    // that is not open gives -1, which fails the assertion below.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(flags >= 0, "fcntl(F_GETFD) on fd {fd}");
    flags & libc::FD_CLOEXEC != 0
}

/// Uses every kind of fd the runtime deals with, and leaves a task pending
/// that holds some of them.
fn exercise(rt: &Runtime) {
    rt.block_on(async {
        timeout(Duration::from_secs(20), async {
            // Timers, some still pending when the runtime drops.
            sleep(Duration::from_micros(200)).await;
            drop(chronia::spawn(sleep(Duration::from_secs(3600))));

            // Async fds, closed by the test.
            let (left, right) = UnixStream::pair().expect("socketpair");
            let left = Async::new(left).expect("left");
            let right = Async::new(right).expect("right");
            left.write_with(|s| (&*s).write(b"ping"))
                .await
                .expect("write");
            let mut buf = [0u8; 4];
            right
                .read_with(|s| (&*s).read_exact(&mut buf))
                .await
                .expect("read");
            drop((left, right));

            // A one-off readiness wait.
            let (mut writer, reader) = UnixStream::pair().expect("socketpair");
            writer.write_all(b"x").expect("write");
            readable(&reader).await.expect("readable");
            drop((writer, reader));

            // A signal listener, dropped.
            let usr1 = signal(SIGUSR1).expect("listen to SIGUSR1");
            yield_now().await;
            drop(usr1);

            // A task left pending with a timer, an Async fd and a listener.
            drop(chronia::spawn(async {
                let (held, _peer) = UnixStream::pair().expect("socketpair");
                let held = Async::new(held).expect("held");
                let _usr2 = signal(SIGUSR2).expect("listen to SIGUSR2");
                let mut buf = [0u8; 1];
                let _ = timeout(
                    Duration::from_secs(3600),
                    held.read_with(|s| (&*s).read(&mut buf)),
                )
                .await;
            }));
            yield_now().await;
        })
        .await
        .expect("the exercise does not hang");
    });
}

#[test]
fn dropping_a_runtime_closes_every_fd_it_opened() {
    let _serial = serial();
    let before = open_fds();
    let rt = Runtime::new().expect("a runtime");
    assert!(
        open_fds().len() > before.len(),
        "the runtime opened its fds"
    );
    exercise(&rt);
    drop(rt);
    let after = open_fds();
    assert_eq!(after, before, "fds leaked by the runtime");
}

#[test]
fn many_runtimes_in_a_row_do_not_pile_up_fds() {
    let _serial = serial();
    let before = open_fds();
    for _ in 0..20 {
        let rt = Runtime::new().expect("a runtime");
        exercise(&rt);
    }
    assert_eq!(open_fds(), before);
}

#[test]
fn dropping_a_runtime_gives_back_the_signal_mask_and_dispositions() {
    let _serial = serial();
    let mask = thread_mask();
    let (usr1, usr2) = (disposition(SIGUSR1), disposition(SIGUSR2));
    let rt = Runtime::new().expect("a runtime");
    rt.block_on(async {
        let listener = signal(SIGUSR1).expect("listen to SIGUSR1");
        assert!(
            thread_mask().contains(&SIGUSR1),
            "a listener blocks its signal in this thread"
        );
        drop(listener);
        assert_eq!(thread_mask(), mask, "the last listener gives the mask back");
        assert_eq!(disposition(SIGUSR1), usr1);
    });
    exercise(&rt); // leaves a SIGUSR2 listener in a pending task
    drop(rt);
    assert_eq!(thread_mask(), mask, "the thread's signal mask changed");
    assert_eq!(disposition(SIGUSR1), usr1, "SIGUSR1's disposition changed");
    assert_eq!(disposition(SIGUSR2), usr2, "SIGUSR2's disposition changed");
}

#[test]
fn every_fd_the_runtime_opens_is_close_on_exec() {
    let _serial = serial();
    let before = open_fds();
    let rt = Runtime::new().expect("a runtime");
    rt.block_on(async {
        // Make the runtime open what it opens lazily (the signalfd), and
        // use its timerfd; the test opens no fd of its own here. Checked
        // while the listener lives: its signalfd closes with it.
        let _usr1 = signal(SIGUSR1).expect("listen to SIGUSR1");
        sleep(Duration::from_micros(100)).await;
        let new_fds: BTreeMap<_, _> = open_fds()
            .into_iter()
            .filter(|(fd, _)| !before.contains_key(fd))
            .collect();
        assert!(
            new_fds.len() >= 4,
            "expected an epoll fd, a timerfd, an eventfd and a signalfd: {new_fds:?}"
        );
        for (fd, target) in &new_fds {
            assert!(
                is_close_on_exec(*fd),
                "fd {fd} ({target}) is not close-on-exec"
            );
        }
    });
    drop(rt);
}

#[test]
fn an_object_that_escaped_block_on_keeps_the_reactor_open_until_it_drops() {
    // The documented rule (`chronia::runtime`): the escaped object holds
    // the reactor; dropping it closes the rest.
    let _serial = serial();
    let before = open_fds();
    let rt = Runtime::new().expect("a runtime");
    let escaped = rt.block_on(async { chronia::net::UnixStream::pair().expect("pair") });
    drop(rt);
    let between = open_fds();
    assert!(
        between.len() >= before.len() + 3,
        "the reactor's epoll fd and the two sockets stay open: {between:?}"
    );
    drop(escaped);
    assert_eq!(
        open_fds(),
        before,
        "dropping the escaped object closes the rest"
    );
}

#[test]
fn a_send_sleep_dropped_on_another_thread_does_not_keep_the_runtime_open() {
    let _serial = serial();
    let before = open_fds();
    let rt = Runtime::new().expect("a runtime");
    rt.block_on(async {
        let sleep = chronia::time::SendSleep::new(Duration::from_secs(3600));
        // The spawned thread opens no fd; it only drops the sleep, which
        // holds the runtime's driver (and with it the runtime's fds).
        std::thread::spawn(move || drop(sleep))
            .join()
            .expect("a drop on another thread does not panic");
    });
    drop(rt);
    assert_eq!(
        open_fds(),
        before,
        "the runtime's fds outlived it, held by the orphaned sleep"
    );
}

#[test]
fn a_send_sleep_orphaned_after_its_runtime_is_dropped_with_the_next_one() {
    let _serial = serial();
    let before = open_fds();
    let rt = Runtime::new().expect("a runtime");
    let mut made = None;
    rt.block_on(async { made = Some(chronia::time::SendSleep::new(Duration::from_secs(3600))) });
    let sleep = made.expect("made in block_on");
    drop(rt);
    assert_ne!(open_fds(), before, "the live sleep holds its driver");
    std::thread::spawn(move || drop(sleep))
        .join()
        .expect("a drop on another thread does not panic");
    // The orphan waits for this thread; the next runtime's drop drops it.
    drop(Runtime::new().expect("another runtime"));
    assert_eq!(open_fds(), before, "the orphaned sleep's driver is gone");
}
