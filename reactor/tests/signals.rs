//! Signals: delivery through the selector's signalfd, draining every queued
//! instance per wake-up, who sent it, and giving the thread's mask back
//! exactly on unregister.
//!
//! A `harness = false` target. The approach: this process stays
//! single-threaded, so a process-directed signal (`kill(getpid())`) can only
//! be handed to the selector's thread, whose mask the selector changes.
//! Nothing is blocked in `main` beforehand, because several checks are about
//! the selector's own blocking and unblocking, which a pre-blocked mask would
//! hide. A check that fails to block or to drain lets `SIGUSR1` take its
//! default action: the process dies, and the run fails, as it should.

mod util;

use std::io;
use std::time::{Duration, Instant};

use chronia_reactor::{Events, Ident, ReadyKey, Selector, SignalInfo};
use util::{PATIENCE, getpid, getuid, kill, pending, take_pending, tgkill_self, thread_mask};

const QUIET: Duration = Duration::from_millis(50);

fn main() {
    util::run(&[
        (
            "sigusr1_sent_to_the_process_is_reported",
            sigusr1_sent_to_the_process_is_reported,
        ),
        (
            "sigusr1_sent_to_the_thread_is_reported",
            sigusr1_sent_to_the_thread_is_reported,
        ),
        (
            "every_queued_signal_is_drained_in_one_select",
            every_queued_signal_is_drained_in_one_select,
        ),
        (
            "a_standard_signal_sent_twice_is_reported_once",
            a_standard_signal_sent_twice_is_reported_once,
        ),
        (
            "reports_beyond_the_buffer_come_next_without_waiting",
            reports_beyond_the_buffer_come_next_without_waiting,
        ),
        (
            "unregister_restores_the_thread_mask_exactly",
            unregister_restores_the_thread_mask_exactly,
        ),
        (
            "unregister_drains_pending_instances",
            unregister_drains_pending_instances,
        ),
        (
            "an_already_blocked_signal_stays_blocked_and_pending",
            an_already_blocked_signal_stays_blocked_and_pending,
        ),
        (
            "unregister_leaves_pending_instances_to_an_installed_handler",
            unregister_leaves_pending_instances_to_an_installed_handler,
        ),
        (
            "a_duplicate_signal_already_exists",
            a_duplicate_signal_already_exists,
        ),
        (
            "bad_signal_numbers_are_invalid_input",
            bad_signal_numbers_are_invalid_input,
        ),
        (
            "an_unregistered_signal_is_not_reported",
            an_unregistered_signal_is_not_reported,
        ),
    ]);
}

/// Selects until `n` reports came (or [`PATIENCE`] passed).
fn collect(selector: &mut Selector<i32>, n: usize) -> Vec<ReadyKey> {
    let start = Instant::now();
    let mut keys = Vec::new();
    while keys.len() < n && start.elapsed() < PATIENCE {
        keys.extend(selector.select(Some(PATIENCE)).expect("select"));
    }
    keys
}

fn sigusr1_sent_to_the_process_is_reported() {
    let before = thread_mask();
    let mut selector = Selector::new().expect("selector");
    let id = selector
        .register_signal(libc::SIGUSR1, libc::SIGUSR1)
        .expect("register");
    assert!(thread_mask().contains(libc::SIGUSR1), "registered: blocked");
    kill(getpid(), libc::SIGUSR1);
    let keys = collect(&mut selector, 1);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].ident(), id);
    assert_eq!(keys[0].events(), Events::SIGNAL);
    assert!(keys[0].error().is_none());
    assert_eq!(
        keys[0].signal_info(),
        Some(SignalInfo {
            signo: libc::SIGUSR1,
            code: libc::SI_USER,
            pid: getpid(),
            uid: getuid(),
        })
    );
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
    selector.unregister(id).expect("unregister");
    assert_eq!(thread_mask(), before);
}

fn sigusr1_sent_to_the_thread_is_reported() {
    let mut selector = Selector::new().expect("selector");
    let id = selector
        .register_signal(libc::SIGUSR1, libc::SIGUSR1)
        .expect("register");
    tgkill_self(libc::SIGUSR1);
    let keys = collect(&mut selector, 1);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].ident(), id);
    let info = keys[0].signal_info().expect("a signal report has its info");
    assert_eq!(info.signo, libc::SIGUSR1);
    assert_eq!(info.code, libc::SI_TKILL);
    assert_eq!(info.pid, getpid());
    assert_eq!(info.uid, getuid());
}

fn every_queued_signal_is_drained_in_one_select() {
    let rt = libc::SIGRTMIN() + 1;
    let mut selector = Selector::new().expect("selector");
    let usr1 = selector
        .register_signal(libc::SIGUSR1, libc::SIGUSR1)
        .expect("usr1");
    let usr2 = selector
        .register_signal(libc::SIGUSR2, libc::SIGUSR2)
        .expect("usr2");
    let rtid = selector.register_signal(rt, rt).expect("rt");
    kill(getpid(), libc::SIGUSR1);
    tgkill_self(libc::SIGUSR2);
    for _ in 0..3 {
        kill(getpid(), rt); // real-time signals queue every instance
    }
    // One epoll event for the signalfd; every queued record behind it.
    let mut keys = [ReadyKey::default(); 16];
    let n = selector
        .select_into(Some(PATIENCE), &mut keys)
        .expect("select");
    let got: Vec<(Ident, i32)> = keys[..n]
        .iter()
        .map(|k| (k.ident(), k.signal_info().expect("info").signo))
        .collect();
    let count = |id| got.iter().filter(|(i, _)| *i == id).count();
    assert_eq!(n, 5, "{got:?}");
    assert_eq!(
        (count(usr1), count(usr2), count(rtid)),
        (1, 1, 3),
        "{got:?}"
    );
    for (id, signo) in &got {
        assert_eq!(
            selector.data(*id),
            Some(signo),
            "report under the right ident"
        );
    }
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
    assert!(!pending().contains(rt));
}

fn a_standard_signal_sent_twice_is_reported_once() {
    let mut selector = Selector::new().expect("selector");
    selector
        .register_signal(libc::SIGUSR2, libc::SIGUSR2)
        .expect("usr2");
    kill(getpid(), libc::SIGUSR2);
    kill(getpid(), libc::SIGUSR2);
    assert_eq!(collect(&mut selector, 1).len(), 1);
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
}

fn reports_beyond_the_buffer_come_next_without_waiting() {
    let rt = libc::SIGRTMIN() + 2;
    let mut selector = Selector::new().expect("selector");
    let id = selector.register_signal(rt, rt).expect("rt");
    for _ in 0..10 {
        kill(getpid(), rt);
    }
    let mut keys = [ReadyKey::default(); 3];
    let mut total = 0;
    while total < 10 {
        let start = Instant::now();
        let n = selector
            .select_into(Some(PATIENCE), &mut keys)
            .expect("select");
        assert!(n > 0, "queued reports lost after {total}");
        if total > 0 {
            assert!(
                start.elapsed() < Duration::from_secs(2),
                "waited with reports queued"
            );
        }
        assert!(keys[..n].iter().all(|k| k.ident() == id));
        total += n;
    }
    assert_eq!(total, 10);
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
}

fn unregister_restores_the_thread_mask_exactly() {
    let before = thread_mask();
    let rt = libc::SIGRTMAX();
    let mut selector = Selector::new().expect("selector");
    let ids: Vec<Ident> = [libc::SIGUSR1, libc::SIGUSR2, libc::SIGHUP, rt]
        .into_iter()
        .map(|s| selector.register_signal(s, s).expect("register"))
        .collect();
    let during = thread_mask();
    for s in [libc::SIGUSR1, libc::SIGUSR2, libc::SIGHUP, rt] {
        assert!(during.contains(s), "{s} blocked while registered");
    }
    selector.unregister(ids[1]).expect("unregister");
    assert!(!thread_mask().contains(libc::SIGUSR2), "unblocked at once");
    assert!(thread_mask().contains(libc::SIGUSR1), "the others stay");
    for id in [ids[0], ids[2], ids[3]] {
        selector.unregister(id).expect("unregister");
    }
    assert_eq!(thread_mask(), before);
    // And the selector is empty of signals: nothing is reported.
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
}

fn unregister_drains_pending_instances() {
    let before = thread_mask();
    let rt = libc::SIGRTMIN() + 4;
    let mut selector = Selector::new().expect("selector");
    let usr1 = selector.register_signal(libc::SIGUSR1, 1).expect("usr1");
    let rtid = selector.register_signal(rt, 2).expect("rt");
    kill(getpid(), libc::SIGUSR1);
    tgkill_self(libc::SIGUSR1);
    kill(getpid(), rt);
    kill(getpid(), rt);
    assert!(pending().contains(libc::SIGUSR1));
    assert!(pending().contains(rt));
    // No select: unregistering must take the instances, or unblocking would
    // run SIGUSR1's default action and kill this process.
    selector.unregister(usr1).expect("unregister");
    selector.unregister(rtid).expect("unregister");
    assert!(!pending().contains(libc::SIGUSR1), "{:?}", pending());
    assert!(!pending().contains(rt), "{:?}", pending());
    assert_eq!(thread_mask(), before);
}

/// With a handler installed, unblocking cannot kill the process, and the
/// instance may be meant for someone else (a process-directed delivery
/// that another thread's listener is waiting for, which the chronia
/// runtime's forwarding handler hands on): unregister leaves the pending
/// instances to the handler rather than discard them (issue 9, item 10).
fn unregister_leaves_pending_instances_to_an_installed_handler() {
    let before = thread_mask();
    let rt = libc::SIGRTMIN() + 6;
    util::install_counting_handler(rt);
    let handled = util::handled();
    let mut selector = Selector::new().expect("selector");
    let id = selector.register_signal(rt, 1).expect("rt");
    kill(getpid(), rt);
    kill(getpid(), rt);
    assert!(pending().contains(rt));
    selector.unregister(id).expect("unregister");
    // Delivered to the handler on the unblock, before it returned.
    assert_eq!(
        util::handled(),
        handled + 2,
        "both instances reached the handler"
    );
    assert!(!pending().contains(rt));
    assert_eq!(thread_mask(), before);
    // The counting handler stays: no other check uses this signal.
}

fn an_already_blocked_signal_stays_blocked_and_pending() {
    util::set_blocked(&[libc::SIGUSR2], true);
    let before = thread_mask();
    let mut selector = Selector::new().expect("selector");
    let id = selector
        .register_signal(libc::SIGUSR2, 0)
        .expect("register");
    kill(getpid(), libc::SIGUSR2);
    assert_eq!(
        collect(&mut selector, 1).len(),
        1,
        "reported while registered"
    );
    kill(getpid(), libc::SIGUSR2);
    selector.unregister(id).expect("unregister");
    assert_eq!(thread_mask(), before, "still blocked, as the owner left it");
    // The instance sent after the last select belongs to the owner, who
    // blocked the signal: the selector must not have taken it.
    assert!(
        pending().contains(libc::SIGUSR2),
        "owner's instance was taken"
    );
    assert!(take_pending(libc::SIGUSR2));
    util::set_blocked(&[libc::SIGUSR2], false);
}

fn a_duplicate_signal_already_exists() {
    let mut selector = Selector::new().expect("selector");
    let id = selector
        .register_signal(libc::SIGUSR1, 1)
        .expect("register");
    let err = selector
        .register_signal(libc::SIGUSR1, 2)
        .expect_err("twice");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(selector.data(id), Some(&1));
    assert!(
        thread_mask().contains(libc::SIGUSR1),
        "the first still holds"
    );
}

fn bad_signal_numbers_are_invalid_input() {
    let before = thread_mask();
    let mut selector = Selector::new().expect("selector");
    for signo in [
        0,
        -1,
        65,
        libc::SIGRTMAX() + 1,
        libc::SIGKILL,
        libc::SIGSTOP,
        32,
        33,
        i32::MIN,
    ] {
        let err = selector.register_signal(signo, signo).expect_err("refused");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{signo}");
    }
    assert_eq!(thread_mask(), before);
    assert!(
        selector
            .select(Some(Duration::ZERO))
            .expect("select")
            .is_empty()
    );
}

fn an_unregistered_signal_is_not_reported() {
    let mut selector = Selector::new().expect("selector");
    let usr1 = selector.register_signal(libc::SIGUSR1, 1).expect("usr1");
    let usr2 = selector.register_signal(libc::SIGUSR2, 2).expect("usr2");
    kill(getpid(), libc::SIGUSR1);
    kill(getpid(), libc::SIGUSR2);
    let mut keys = [ReadyKey::default(); 1];
    assert_eq!(
        selector
            .select_into(Some(PATIENCE), &mut keys)
            .expect("select"),
        1
    );
    let other = if keys[0].ident() == usr1 { usr2 } else { usr1 };
    selector.unregister(other).expect("unregister");
    assert!(
        selector.select(Some(QUIET)).expect("select").is_empty(),
        "purged"
    );
}
