//! Signals aimed at the selector's own thread with `tgkill`, under the
//! normal test harness.
//!
//! The selector blocks a signal only in the thread that registers it, and
//! its signalfd reads what is pending for that thread or the process. A
//! thread-directed signal cannot land on another harness thread, so these
//! checks can run in parallel, each in its own thread, without a
//! `harness = false` target.

mod util;

use std::time::Duration;

use chronia_reactor::{Events, Selector};
use util::{PATIENCE, getpid, getuid, pending, tgkill_self, thread_mask};

const QUIET: Duration = Duration::from_millis(50);

#[test]
fn a_signal_sent_to_the_selector_thread_is_reported_with_its_sender() {
    let mut selector = Selector::new().expect("selector");
    let id = selector
        .register_signal(libc::SIGUSR1, "usr1")
        .expect("register");
    tgkill_self(libc::SIGUSR1);
    let keys = selector.select(Some(PATIENCE)).expect("select");
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].ident(), id);
    assert_eq!(keys[0].events(), Events::SIGNAL);
    let info = keys[0].signal_info().expect("info");
    assert_eq!(info.signo, libc::SIGUSR1);
    assert_eq!(info.code, libc::SI_TKILL);
    assert_eq!(info.pid, getpid());
    assert_eq!(info.uid, getuid());
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
}

#[test]
fn queued_real_time_signals_are_all_reported_in_one_select() {
    let rt = libc::SIGRTMIN() + 6;
    let mut selector = Selector::new().expect("selector");
    let id = selector.register_signal(rt, "rt").expect("register");
    for _ in 0..5 {
        tgkill_self(rt);
    }
    let keys = selector.select(Some(PATIENCE)).expect("select");
    assert_eq!(keys.len(), 5, "{keys:?}");
    assert!(
        keys.iter()
            .all(|k| k.ident() == id && k.events() == Events::SIGNAL)
    );
}

#[test]
fn unregister_takes_a_pending_thread_signal_and_restores_the_mask() {
    let before = thread_mask();
    let mut selector = Selector::new().expect("selector");
    let id = selector
        .register_signal(libc::SIGUSR2, "usr2")
        .expect("register");
    assert!(thread_mask().contains(libc::SIGUSR2));
    tgkill_self(libc::SIGUSR2);
    assert!(pending().contains(libc::SIGUSR2));
    // Were it left pending, unblocking would kill the whole test process.
    selector.unregister(id).expect("unregister");
    assert!(!pending().contains(libc::SIGUSR2));
    assert_eq!(thread_mask(), before);
}

#[test]
fn a_thread_spawned_while_a_signal_is_registered_inherits_the_block() {
    let mut selector = Selector::new().expect("selector");
    selector
        .register_signal(libc::SIGHUP, "hup")
        .expect("register");
    let other = std::thread::spawn(|| thread_mask().contains(libc::SIGHUP))
        .join()
        .expect("no panic");
    // A thread spawned now inherits this thread's mask: that is the kernel's
    // rule, stated here so that a change of it is noticed.
    assert!(other, "spawned threads inherit the blocked mask");
    assert!(thread_mask().contains(libc::SIGHUP));
}

#[test]
fn two_selectors_of_one_thread_share_a_signal_until_the_last_lets_go() {
    let signo = libc::SIGRTMIN() + 7;
    let before = thread_mask();
    assert!(!before.contains(signo));
    let mut first = Selector::new().expect("selector");
    let mut second = Selector::new().expect("selector");
    let a = first.register_signal(signo, "first").expect("register");
    let b = second.register_signal(signo, "second").expect("register");
    first.unregister(a).expect("unregister");
    // The second selector still listens: the signal must stay blocked, or
    // its default action (termination) would run.
    assert!(
        thread_mask().contains(signo),
        "still held by the second selector"
    );
    tgkill_self(signo);
    let keys = second.select(Some(PATIENCE)).expect("select");
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].ident(), b);
    drop(second);
    assert_eq!(thread_mask(), before);
    drop(first);
}

#[test]
fn a_level_triggered_fd_is_not_reported_twice_while_reports_are_queued() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let (s1, s2) = (libc::SIGRTMIN() + 8, libc::SIGRTMIN() + 9);
    let mut selector = Selector::new().expect("selector");
    selector.register_signal(s1, "s1").expect("register");
    selector.register_signal(s2, "s2").expect("register");
    let (mut a, b) = std::os::unix::net::UnixStream::pair().expect("pair");
    selector
        .register_handle(b.as_raw_fd(), Events::READ, "b")
        .expect("register");
    // The signalfd becomes ready before the socket, so one epoll_wait with
    // room for two returns both, and the signalfd alone yields two reports:
    // the socket's report waits in the queue.
    tgkill_self(s1);
    tgkill_self(s2);
    a.write_all(b"x").expect("write");
    let mut keys = [chronia_reactor::ReadyKey::default(); 2];
    let n = selector
        .select_into(Some(PATIENCE), &mut keys)
        .expect("select");
    assert_eq!(n, 2);
    let n = selector
        .select_into(Some(Duration::ZERO), &mut keys)
        .expect("select");
    let idents: Vec<_> = keys[..n]
        .iter()
        .map(chronia_reactor::ReadyKey::ident)
        .collect();
    let mut unique = idents.clone();
    unique.dedup();
    assert_eq!(idents, unique, "one report per ident: {:?}", &keys[..n]);
}
