//! Drop and descriptors: a dropped selector gives back every fd it opened
//! and every signal it blocked; every fd it creates is close-on-exec.
//!
//! A `harness = false` target. The approach: the process stays
//! single-threaded, so counting `/proc/self/fd` sees only this check's
//! descriptors (no other test opens any meanwhile) and process-directed
//! signals can only reach the selector's thread. Nothing is blocked in
//! `main`: the checks compare the mask before and after.

mod util;

use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use chronia_reactor::{Events, SelectEvent, Selector};
use util::{
    fd_count, fd_flags, fd_is_open, fd_target, getpid, kill, open_fds, pending, pid_of, thread_mask,
};

fn main() {
    util::run(&[
        (
            "dropping_a_full_selector_gives_back_every_fd_and_the_mask",
            dropping_a_full_selector_gives_back_every_fd_and_the_mask,
        ),
        (
            "every_fd_the_selector_creates_is_close_on_exec",
            every_fd_the_selector_creates_is_close_on_exec,
        ),
        (
            "unregistering_a_timer_closes_its_fd",
            unregistering_a_timer_closes_its_fd,
        ),
        (
            "unregistering_the_last_signal_closes_the_signalfd",
            unregistering_the_last_signal_closes_the_signalfd,
        ),
        (
            "dropping_with_a_pending_signal_does_not_kill_the_process",
            dropping_with_a_pending_signal_does_not_kill_the_process,
        ),
        (
            "dropping_leaves_the_owners_fds_open",
            dropping_leaves_the_owners_fds_open,
        ),
        (
            "failed_registrations_leak_no_fd",
            failed_registrations_leak_no_fd,
        ),
    ]);
}

fn dropping_a_full_selector_gives_back_every_fd_and_the_mask() {
    // The owner's things exist before the count.
    let (a, b) = UnixStream::pair().expect("pair");
    let event = SelectEvent::new().expect("event");
    let mut running = util::sh("sleep 30");
    let mut exited = util::sh("exit 0");
    util::wait_for_state(exited.id(), 'Z');

    let fds = fd_count();
    let mask = thread_mask();
    let mut selector = Selector::new().expect("selector");
    selector
        .register_handle(a.as_raw_fd(), Events::READ, 0)
        .expect("handle");
    selector
        .register_handle(b.as_raw_fd(), Events::empty(), 1)
        .expect("handle");
    selector
        .register_timer(Duration::from_secs(60), false, 2)
        .expect("periodic");
    let done = selector
        .register_timer(Duration::ZERO, true, 3)
        .expect("oneshot");
    selector
        .register_timer(Duration::from_secs(60), true, 4)
        .expect("oneshot");
    selector.register_event(&event, 5).expect("event");
    selector.register_signal(libc::SIGUSR1, 6).expect("signal");
    selector
        .register_signal(libc::SIGRTMIN() + 5, 7)
        .expect("signal");
    selector
        .register_process(pid_of(&running), 8)
        .expect("process");
    selector
        .register_process(pid_of(&exited), 9)
        .expect("process");
    event.trigger().expect("trigger");
    // One select so that the oneshot timer finishes and reports queue up.
    let (_, _) = util::select_until(&mut selector, done);
    assert!(fd_count() > fds, "the selector opened fds");
    assert_ne!(thread_mask(), mask, "the selector blocked signals");
    kill(getpid(), libc::SIGRTMIN() + 5);
    drop(selector);

    assert_eq!(fd_count(), fds, "leaked fds: {:?}", open_fds());
    assert_eq!(thread_mask(), mask);
    assert!(!pending().contains(libc::SIGRTMIN() + 5));
    // The children are the owner's, untouched.
    assert_eq!(util::proc_state(running.id()).map(|s| s != 'Z'), Some(true));
    kill(pid_of(&running), libc::SIGKILL);
    running.wait().expect("wait");
    assert!(exited.wait().expect("wait").success());
}

fn every_fd_the_selector_creates_is_close_on_exec() {
    let before = open_fds();
    let mut selector = Selector::<()>::new().expect("selector");
    let timer = selector
        .register_timer(Duration::from_secs(60), false, ())
        .expect("timer");
    let oneshot = selector
        .register_timer(Duration::from_secs(60), true, ())
        .expect("timer");
    selector.register_signal(libc::SIGUSR2, ()).expect("signal");
    let event = SelectEvent::new().expect("event");
    let new: Vec<_> = open_fds()
        .into_iter()
        .filter(|fd| !before.contains(fd))
        .collect();
    assert!(new.contains(&selector.as_raw_fd()));
    assert!(new.contains(&timer.as_raw()) && new.contains(&oneshot.as_raw()));
    assert!(new.contains(&event.as_raw_fd()));
    let kinds: Vec<String> = new.iter().map(|&fd| fd_target(fd)).collect();
    for kind in ["[eventpoll]", "[timerfd]", "[signalfd]", "[eventfd]"] {
        assert!(
            kinds.iter().any(|k| k.contains(kind)),
            "no {kind} among {kinds:?}"
        );
    }
    for fd in new {
        let flags = fd_flags(fd).expect("open");
        assert_ne!(
            flags & libc::FD_CLOEXEC,
            0,
            "fd {fd} ({}) is inherited by exec",
            fd_target(fd)
        );
    }
}

fn unregistering_a_timer_closes_its_fd() {
    let mut selector = Selector::<()>::new().expect("selector");
    let fds = fd_count();
    let periodic = selector
        .register_timer(Duration::from_millis(10), false, ())
        .expect("timer");
    let oneshot = selector
        .register_timer(Duration::ZERO, true, ())
        .expect("timer");
    assert_eq!(fd_count(), fds + 2);
    util::select_until(&mut selector, oneshot);
    selector.unregister(periodic).expect("unregister");
    assert!(
        !fd_is_open(periodic.as_raw()),
        "a periodic timer's fd stays open"
    );
    selector
        .unregister(oneshot)
        .expect("unregister a finished oneshot");
    assert!(
        !fd_is_open(oneshot.as_raw()),
        "a finished timer's fd stays open"
    );
    assert_eq!(fd_count(), fds);
}

fn unregistering_the_last_signal_closes_the_signalfd() {
    let mask = thread_mask();
    let mut selector = Selector::<()>::new().expect("selector");
    let fds = fd_count();
    let a = selector.register_signal(libc::SIGUSR1, ()).expect("signal");
    assert_eq!(fd_count(), fds + 1, "one signalfd");
    let b = selector.register_signal(libc::SIGUSR2, ()).expect("signal");
    assert_eq!(fd_count(), fds + 1, "still one signalfd for all signals");
    selector.unregister(a).expect("unregister");
    assert_eq!(fd_count(), fds + 1);
    selector.unregister(b).expect("unregister");
    assert_eq!(fd_count(), fds, "the signalfd outlived its last signal");
    assert_eq!(thread_mask(), mask);
    // And a new registration opens one again and works.
    let c = selector.register_signal(libc::SIGUSR1, ()).expect("signal");
    kill(getpid(), libc::SIGUSR1);
    let (key, _) = util::select_until(&mut selector, c);
    assert_eq!(key.events(), Events::SIGNAL);
}

fn dropping_with_a_pending_signal_does_not_kill_the_process() {
    let mask = thread_mask();
    let mut selector = Selector::<()>::new().expect("selector");
    selector.register_signal(libc::SIGUSR1, ()).expect("signal");
    selector.register_signal(libc::SIGTERM, ()).expect("signal");
    kill(getpid(), libc::SIGUSR1);
    util::tgkill_self(libc::SIGTERM);
    assert!(pending().contains(libc::SIGUSR1) && pending().contains(libc::SIGTERM));
    drop(selector);
    // Still alive: the instances were taken before the signals were unblocked.
    assert_eq!(thread_mask(), mask);
    assert!(!pending().contains(libc::SIGUSR1));
    assert!(!pending().contains(libc::SIGTERM));
}

fn dropping_leaves_the_owners_fds_open() {
    let (a, _b) = UnixStream::pair().expect("pair");
    let event = SelectEvent::new().expect("event");
    let mut selector = Selector::new().expect("selector");
    selector
        .register_handle(a.as_raw_fd(), Events::READ, ())
        .expect("handle");
    selector.register_event(&event, ()).expect("event");
    drop(selector);
    assert!(fd_is_open(a.as_raw_fd()));
    assert!(fd_is_open(event.as_raw_fd()));
    event.trigger().expect("the owner's event still works");
    let mut other = Selector::new().expect("selector");
    let id = other.register_event(&event, ()).expect("event");
    let (key, _) = util::select_until(&mut other, id);
    assert_eq!(key.events(), Events::USER);
}

fn failed_registrations_leak_no_fd() {
    let mask = thread_mask();
    let mut selector = Selector::<()>::new().expect("selector");
    let fds = fd_count();
    assert!(selector.register_timer(Duration::ZERO, false, ()).is_err());
    assert!(selector.register_signal(libc::SIGKILL, ()).is_err());
    assert!(selector.register_process(1, ()).is_err());
    assert!(selector.register_handle(-1, Events::READ, ()).is_err());
    assert_eq!(fd_count(), fds, "leaked: {:?}", open_fds());
    assert_eq!(thread_mask(), mask);
}
