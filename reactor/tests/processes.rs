//! Processes: exits of real children learnt from `SIGCHLD` and a `waitid`
//! sweep, never reaped by the selector.
//!
//! A `harness = false` target. The approach: the process stays
//! single-threaded, so the process-directed `SIGCHLD` of an exiting child
//! can only be handed to the selector's thread, which blocks it while any
//! process is registered. A test harness thread that did not block it would
//! take it instead (its default action discards it) and the selector would
//! never hear of the exit. Nothing is blocked in `main`, so each check can
//! verify that the selector gives the mask back as it found it.

mod util;

use std::collections::HashMap;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use chronia_reactor::{Events, Ident, ReadyKey, Selector};
use util::{PATIENCE, kill, pid_of, sh, thread_mask, wait_for_state};

const QUIET: Duration = Duration::from_millis(100);
const EXITED: Events = Events::PROCESS
    .union(Events::ONESHOT)
    .union(Events::FINISHED);

fn main() {
    util::run(&[
        (
            "exit_codes_stay_for_the_owner",
            exit_codes_stay_for_the_owner,
        ),
        ("a_killed_child_is_reported", a_killed_child_is_reported),
        (
            "a_child_that_exited_before_registration_is_reported",
            a_child_that_exited_before_registration_is_reported,
        ),
        (
            "a_stopped_child_is_not_reported_until_it_dies",
            a_stopped_child_is_not_reported_until_it_dies,
        ),
        (
            "two_hundred_children_exiting_at_once_are_each_reported_once",
            two_hundred_children_exiting_at_once_are_each_reported_once,
        ),
        (
            "an_exit_is_not_reported_again_when_another_child_exits",
            an_exit_is_not_reported_again_when_another_child_exits,
        ),
        (
            "unregister_purges_a_queued_exit",
            unregister_purges_a_queued_exit,
        ),
        (
            "a_sigchld_read_by_one_selector_reaches_the_others_of_the_thread",
            a_sigchld_read_by_one_selector_reaches_the_others_of_the_thread,
        ),
        (
            "a_pid_that_is_not_our_child_is_refused",
            a_pid_that_is_not_our_child_is_refused,
        ),
        (
            "pids_of_zero_and_below_are_invalid_input",
            pids_of_zero_and_below_are_invalid_input,
        ),
        (
            "a_duplicate_pid_already_exists",
            a_duplicate_pid_already_exists,
        ),
        (
            "a_child_reaped_by_someone_else_is_reported_with_echild",
            a_child_reaped_by_someone_else_is_reported_with_echild,
        ),
        (
            "sigchld_as_a_signal_and_processes_share_the_signalfd",
            sigchld_as_a_signal_and_processes_share_the_signalfd,
        ),
        (
            "unregistering_the_last_process_restores_the_mask",
            unregistering_the_last_process_restores_the_mask,
        ),
    ]);
}

/// Selects until a report for `id` comes; panics after [`PATIENCE`].
fn exit_of(selector: &mut Selector<u32>, id: Ident) -> ReadyKey {
    let (key, others) = util::select_until(selector, id);
    assert!(others.is_empty(), "unexpected reports: {others:?}");
    key
}

fn sleeper() -> Child {
    Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep")
}

fn exit_codes_stay_for_the_owner() {
    let before = thread_mask();
    let mut selector = Selector::new().expect("selector");
    let mut child = sh("exit 3");
    let id = selector
        .register_process(pid_of(&child), child.id())
        .expect("register");
    assert!(id.is_virtual());
    let key = exit_of(&mut selector, id);
    assert_eq!(key.events(), EXITED);
    assert!(key.error().is_none(), "{:?}", key.error());
    assert_eq!(selector.data(id), Some(&child.id()));
    // The selector never reaps: the status is still there for the owner.
    assert_eq!(child.wait().expect("wait").code(), Some(3));
    assert!(
        selector.select(Some(QUIET)).expect("select").is_empty(),
        "reported once"
    );
    selector
        .unregister(id)
        .expect("unregister a finished process");
    assert_eq!(thread_mask(), before);
}

fn a_killed_child_is_reported() {
    let mut selector = Selector::new().expect("selector");
    let mut child = sleeper();
    let id = selector
        .register_process(pid_of(&child), 0)
        .expect("register");
    assert!(
        selector.select(Some(QUIET)).expect("select").is_empty(),
        "alive"
    );
    kill(pid_of(&child), libc::SIGKILL);
    assert_eq!(exit_of(&mut selector, id).events(), EXITED);
    assert_eq!(child.wait().expect("wait").signal(), Some(libc::SIGKILL));
}

fn a_child_that_exited_before_registration_is_reported() {
    let mut selector = Selector::new().expect("selector");
    let mut child = sh("exit 7");
    // Its SIGCHLD came and went (discarded) before anyone listened.
    wait_for_state(child.id(), 'Z');
    let id = selector
        .register_process(pid_of(&child), 0)
        .expect("register");
    let start = Instant::now();
    let keys = selector.select(Some(PATIENCE)).expect("select");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "waited for a known exit"
    );
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].ident(), id);
    assert_eq!(keys[0].events(), EXITED);
    assert!(keys[0].error().is_none());
    assert_eq!(child.wait().expect("wait").code(), Some(7));
}

fn a_stopped_child_is_not_reported_until_it_dies() {
    let mut selector = Selector::new().expect("selector");
    let mut child = sleeper();
    let pid = pid_of(&child);
    let id = selector.register_process(pid, 0).expect("register");
    kill(pid, libc::SIGSTOP);
    wait_for_state(child.id(), 'T');
    // SIGCHLD (CLD_STOPPED) wakes the selector, but a stop is not an exit.
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
    kill(pid, libc::SIGCONT);
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
    kill(pid, libc::SIGKILL);
    assert_eq!(exit_of(&mut selector, id).events(), EXITED);
    assert_eq!(child.wait().expect("wait").signal(), Some(libc::SIGKILL));
}

fn two_hundred_children_exiting_at_once_are_each_reported_once() {
    const N: usize = 200;
    let before = thread_mask();
    let mut selector = Selector::new().expect("selector");
    let mut children: HashMap<Ident, Child> = HashMap::new();
    for _ in 0..N {
        let child = sleeper();
        let id = selector
            .register_process(pid_of(&child), child.id())
            .expect("register");
        children.insert(id, child);
    }
    for child in children.values() {
        kill(pid_of(child), libc::SIGKILL);
    }
    for child in children.values() {
        wait_for_state(child.id(), 'Z');
    }
    // SIGCHLDs coalesced into few; one sweep finds every exit. A buffer of
    // 16 takes them over several calls, each without waiting, even though
    // asked to wait long.
    let mut seen: HashMap<Ident, usize> = HashMap::new();
    let mut keys = [ReadyKey::default(); 16];
    let mut calls = 0;
    while seen.len() < N {
        let start = Instant::now();
        let n = selector
            .select_into(Some(PATIENCE), &mut keys)
            .expect("select");
        calls += 1;
        assert!(n > 0, "exits lost: {} of {N} seen", seen.len());
        if calls > 1 {
            assert!(
                start.elapsed() < Duration::from_secs(2),
                "waited with reports queued"
            );
        }
        for key in &keys[..n] {
            assert_eq!(key.events(), EXITED, "{key:?}");
            assert!(key.error().is_none());
            assert_eq!(
                selector.data(key.ident()).copied(),
                Some(children[&key.ident()].id()),
                "report under the right ident"
            );
            *seen.entry(key.ident()).or_default() += 1;
        }
    }
    assert!(seen.values().all(|&c| c == 1), "reported twice: {seen:?}");
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
    for (id, mut child) in children {
        selector.unregister(id).expect("unregister");
        assert_eq!(child.wait().expect("wait").signal(), Some(libc::SIGKILL));
    }
    assert_eq!(thread_mask(), before);
}

fn an_exit_is_not_reported_again_when_another_child_exits() {
    let mut selector = Selector::new().expect("selector");
    let mut first = sh("exit 1");
    let mut second = sleeper();
    let a = selector
        .register_process(pid_of(&first), 1)
        .expect("register");
    let b = selector
        .register_process(pid_of(&second), 2)
        .expect("register");
    assert_eq!(exit_of(&mut selector, a).events(), EXITED);
    // `first` stays registered and unreaped, so waitid still finds it
    // exited on the sweep that the second SIGCHLD starts.
    kill(pid_of(&second), libc::SIGKILL);
    assert_eq!(exit_of(&mut selector, b).events(), EXITED);
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
    assert_eq!(first.wait().expect("wait").code(), Some(1));
    second.wait().expect("wait");
}

fn unregister_purges_a_queued_exit() {
    let mut selector = Selector::new().expect("selector");
    let mut child = sh("exit 0");
    wait_for_state(child.id(), 'Z');
    // Found exited at registration: its report is queued at once.
    let id = selector
        .register_process(pid_of(&child), 0)
        .expect("register");
    selector.unregister(id).expect("unregister");
    assert!(
        selector.select(Some(QUIET)).expect("select").is_empty(),
        "purged"
    );
    // The freed id is reused; the old report must not come back under it.
    let mut other = sleeper();
    let again = selector
        .register_process(pid_of(&other), 1)
        .expect("register");
    assert!(selector.select(Some(QUIET)).expect("select").is_empty());
    kill(pid_of(&other), libc::SIGKILL);
    assert_eq!(exit_of(&mut selector, again).events(), EXITED);
    assert!(child.wait().expect("wait").success());
    other.wait().expect("wait");
}

fn a_pid_that_is_not_our_child_is_refused() {
    let before = thread_mask();
    let mut selector = Selector::new().expect("selector");
    let mut reaped = sh("exit 0");
    reaped.wait().expect("wait");
    for pid in [1, util::getpid(), pid_of(&reaped)] {
        let err = selector
            .register_process(pid, 0)
            .expect_err("not our child");
        assert!(
            err.raw_os_error() == Some(libc::ECHILD) || err.kind() == io::ErrorKind::InvalidInput,
            "pid {pid}: {err}"
        );
        assert_eq!(thread_mask(), before, "a refused pid leaves the mask alone");
    }
    // Nothing is left registered: a fresh child still works.
    let mut child = sh("exit 1");
    let id = selector
        .register_process(pid_of(&child), 0)
        .expect("register");
    assert_eq!(exit_of(&mut selector, id).events(), EXITED);
    assert_eq!(child.wait().expect("wait").code(), Some(1));
}

fn pids_of_zero_and_below_are_invalid_input() {
    let before = thread_mask();
    let mut selector = Selector::new().expect("selector");
    for pid in [0, -1, -2, i32::MIN] {
        let err = selector.register_process(pid, 0).expect_err("not a pid");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "pid {pid}");
    }
    assert_eq!(thread_mask(), before);
}

fn a_duplicate_pid_already_exists() {
    let mut selector = Selector::new().expect("selector");
    let mut child = sleeper();
    let id = selector
        .register_process(pid_of(&child), 1)
        .expect("register");
    let err = selector
        .register_process(pid_of(&child), 2)
        .expect_err("twice");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(selector.data(id), Some(&1));
    kill(pid_of(&child), libc::SIGKILL);
    assert_eq!(exit_of(&mut selector, id).events(), EXITED);
    child.wait().expect("wait");
}

fn a_sigchld_read_by_one_selector_reaches_the_others_of_the_thread() {
    // Two selectors on one thread, each with a child. The second child's
    // SIGCHLD is read by the first selector (it selects first); the second
    // selector must still report its child's exit.
    let mut first = Selector::new().expect("selector");
    let mut second = Selector::new().expect("selector");
    let mut a = sleeper();
    let mut b = sleeper();
    first.register_process(pid_of(&a), 1).expect("register");
    let id_b = second.register_process(pid_of(&b), 2).expect("register");
    kill(pid_of(&b), libc::SIGKILL);
    wait_for_state(b.id(), 'Z');
    // The first selector takes the SIGCHLD; none of its children exited.
    let _ = first.select(Some(QUIET)).expect("select");
    let keys = second.select(Some(QUIET)).expect("select");
    assert!(
        keys.iter()
            .any(|k| k.ident() == id_b && k.events().contains(EXITED)),
        "the second selector missed its child's exit: {keys:?}"
    );
    b.wait().expect("reap b");
    kill(pid_of(&a), libc::SIGKILL);
    a.wait().expect("reap a");
}

fn a_child_reaped_by_someone_else_is_reported_with_echild() {
    let mut selector = Selector::new().expect("selector");
    let mut child = sleeper();
    let id = selector
        .register_process(pid_of(&child), 0)
        .expect("register");
    kill(pid_of(&child), libc::SIGKILL);
    wait_for_state(child.id(), 'Z');
    // Reaped before the selector looked: its SIGCHLD is queued, the status
    // is gone.
    child.wait().expect("wait");
    let start = Instant::now();
    let key = exit_of(&mut selector, id);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "slow: {:?}",
        start.elapsed()
    );
    assert!(key.events().contains(EXITED | Events::ERROR), "{key:?}");
    assert_eq!(
        key.error().expect("an error").raw_os_error(),
        Some(libc::ECHILD)
    );
    assert!(
        selector.select(Some(QUIET)).expect("select").is_empty(),
        "reported once"
    );
}

fn sigchld_as_a_signal_and_processes_share_the_signalfd() {
    let before = thread_mask();
    let mut selector = Selector::new().expect("selector");
    let sig = selector.register_signal(libc::SIGCHLD, 0).expect("signal");
    let mut child = sh("exit 5");
    let proc_id = selector
        .register_process(pid_of(&child), 1)
        .expect("register");
    let mut got = Vec::new();
    let start = Instant::now();
    while got.len() < 2 && start.elapsed() < PATIENCE {
        got.extend(selector.select(Some(PATIENCE)).expect("select"));
    }
    let signal = got
        .iter()
        .find(|k| k.ident() == sig)
        .expect("SIGCHLD reported");
    let exit = got
        .iter()
        .find(|k| k.ident() == proc_id)
        .expect("exit reported");
    assert_eq!(exit.events(), EXITED);
    let info = signal.signal_info().expect("info");
    assert_eq!(info.signo, libc::SIGCHLD);
    assert_eq!(info.code, libc::CLD_EXITED);
    assert_eq!(info.pid, pid_of(&child));
    // The last process going does not unblock SIGCHLD: the signal needs it.
    selector.unregister(proc_id).expect("unregister");
    assert!(thread_mask().contains(libc::SIGCHLD));
    selector.unregister(sig).expect("unregister");
    assert_eq!(thread_mask(), before);
    assert_eq!(child.wait().expect("wait").code(), Some(5));
}

fn unregistering_the_last_process_restores_the_mask() {
    let before = thread_mask();
    assert!(!before.contains(libc::SIGCHLD), "precondition");
    let mut selector = Selector::new().expect("selector");
    let mut a = sleeper();
    let mut b = sleeper();
    let ida = selector.register_process(pid_of(&a), 0).expect("register");
    let idb = selector.register_process(pid_of(&b), 0).expect("register");
    assert!(thread_mask().contains(libc::SIGCHLD));
    selector.unregister(ida).expect("unregister");
    assert!(thread_mask().contains(libc::SIGCHLD), "b still needs it");
    kill(pid_of(&a), libc::SIGKILL);
    a.wait().expect("wait");
    selector.unregister(idb).expect("unregister");
    assert_eq!(thread_mask(), before);
    kill(pid_of(&b), libc::SIGKILL);
    b.wait().expect("wait");
    assert!(
        !util::pending().contains(libc::SIGCHLD),
        "pending SIGCHLD was taken"
    );
}
