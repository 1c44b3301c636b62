//! `EINTR`: a signal handler that runs during `epoll_wait` must not cut a
//! select short, nor make it fail.
//!
//! A `harness = false` target. The approach: a helper thread aims each
//! signal at the selector's thread with `tgkill`, so the handler runs there
//! and interrupts its `epoll_wait`; the handler is installed without
//! `SA_RESTART` (which `epoll_wait` ignores anyway) and counts, so a check
//! can tell that an interruption really happened. No test harness threads
//! exist that could run the handler instead.

mod util;

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chronia_reactor::{Events, SelectEvent, Selector};
use util::{PATIENCE, gettid, handled, install_counting_handler, tgkill};

fn main() {
    install_counting_handler(libc::SIGUSR2);
    util::run(&[
        (
            "an_interrupted_select_still_waits_its_full_timeout",
            an_interrupted_select_still_waits_its_full_timeout,
        ),
        (
            "an_interrupted_select_without_timeout_keeps_waiting",
            an_interrupted_select_without_timeout_keeps_waiting,
        ),
        (
            "an_interrupted_select_still_reports_a_timer_on_time",
            an_interrupted_select_still_reports_a_timer_on_time,
        ),
    ]);
}

/// Interrupts thread `tid` with `SIGUSR2` `times` times, every 50 ms,
/// starting after 50 ms.
fn interrupter(tid: libc::pid_t, times: usize) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for _ in 0..times {
            std::thread::sleep(Duration::from_millis(50));
            tgkill(tid, libc::SIGUSR2);
        }
    })
}

fn an_interrupted_select_still_waits_its_full_timeout() {
    let mut selector = Selector::<()>::new().expect("selector");
    let before = handled();
    let helper = interrupter(gettid(), 3);
    let start = Instant::now();
    let keys = selector
        .select(Some(Duration::from_millis(300)))
        .expect("EINTR is retried");
    let elapsed = start.elapsed();
    helper.join().expect("no panic");
    assert!(keys.is_empty());
    assert!(
        handled() > before,
        "no interruption happened: the check proves nothing"
    );
    assert!(
        elapsed >= Duration::from_millis(300),
        "cut short: {elapsed:?}"
    );
    assert!(elapsed < PATIENCE);
}

fn an_interrupted_select_without_timeout_keeps_waiting() {
    let mut selector = Selector::new().expect("selector");
    let event = SelectEvent::new().expect("event");
    let id = selector.register_event(&event, ()).expect("register");
    let before = handled();
    let tid = gettid();
    let remote = event.clone();
    let helper = std::thread::spawn(move || {
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(30));
            tgkill(tid, libc::SIGUSR2);
        }
        std::thread::sleep(Duration::from_millis(100));
        remote.trigger().expect("trigger");
    });
    let keys = selector.select(None).expect("EINTR is retried");
    helper.join().expect("no panic");
    assert!(handled() >= before + 3);
    assert_eq!(keys.len(), 1, "returned on a signal: {keys:?}");
    assert_eq!(keys[0].ident(), id);
    assert_eq!(keys[0].events(), Events::USER);
}

fn an_interrupted_select_still_reports_a_timer_on_time() {
    let mut selector = Selector::new().expect("selector");
    let start = Instant::now();
    let timer = selector
        .register_timer(Duration::from_millis(250), true, ())
        .expect("timer");
    let helper = interrupter(gettid(), 3);
    let keys = selector.select(Some(PATIENCE)).expect("EINTR is retried");
    helper.join().expect("no panic");
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "early: {:?}",
        start.elapsed()
    );
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].ident(), timer);
}
