//! Timers: oneshot and periodic timerfds, their precision (never early,
//! sub-second and sub-millisecond parts kept), and unregistering them.

mod util;

use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use chronia_reactor::{Events, Ident, Selector};
use util::{PATIENCE, epoll_bits_of, reports};

/// Selects until `n` reports for `timer` came; returns when each came,
/// measured from `start`.
fn ticks(selector: &mut Selector<&str>, timer: Ident, n: usize, start: Instant) -> Vec<Duration> {
    let mut at = Vec::new();
    while at.len() < n {
        assert!(
            start.elapsed() < PATIENCE,
            "only {} ticks in {PATIENCE:?}",
            at.len()
        );
        for key in selector.select(Some(PATIENCE)).expect("select") {
            assert_eq!(key.ident(), timer);
            assert_eq!(key.events(), Events::TIMER, "periodic: TIMER only");
            assert!(key.error().is_none());
            at.push(start.elapsed());
        }
    }
    at
}

#[test]
fn oneshot_timer_fires_once_as_finished() {
    let mut selector = Selector::new().expect("selector");
    let start = Instant::now();
    let timer = selector
        .register_timer(Duration::from_millis(50), true, "once")
        .expect("timer");
    let (key, others) = util::select_until(&mut selector, timer);
    assert!(start.elapsed() >= Duration::from_millis(50), "fired early");
    assert!(others.is_empty());
    assert_eq!(
        key.events(),
        Events::TIMER | Events::ONESHOT | Events::FINISHED
    );
    assert!(key.error().is_none());
    // Still registered, with its data, but out of epoll and silent.
    assert!(selector.contains(timer));
    assert_eq!(selector.data(timer), Some(&"once"));
    assert_eq!(epoll_bits_of(selector.as_raw_fd(), timer.as_raw()), None);
    assert!(reports(&mut selector, Duration::from_millis(200)).is_empty());
    selector
        .unregister(timer)
        .expect("unregister a finished timer");
    assert!(!selector.contains(timer));
}

#[test]
fn zero_oneshot_timer_fires_at_once() {
    let mut selector = Selector::new().expect("selector");
    let start = Instant::now();
    let timer = selector
        .register_timer(Duration::ZERO, true, "now")
        .expect("timer");
    let keys = selector.select(Some(PATIENCE)).expect("select");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].ident(), timer);
    assert!(keys[0].events().contains(Events::TIMER | Events::FINISHED));
}

#[test]
fn periodic_timer_fires_every_250_ms() {
    let mut selector = Selector::new().expect("selector");
    let start = Instant::now();
    let timer = selector
        .register_timer(Duration::from_millis(250), false, "tick")
        .expect("timer");
    let at = ticks(&mut selector, timer, 4, start);
    for (i, t) in (1u32..).zip(&at) {
        assert!(
            *t >= Duration::from_millis(250) * i,
            "tick {i} at {t:?}: early"
        );
    }
    assert!(at[3] < Duration::from_secs(4), "4 ticks took {:?}", at[3]);
}

#[test]
fn periodic_timer_keeps_the_fraction_of_a_period_above_one_second() {
    // The seed dropped the sub-second part ("timeout div 1000"): 1.1 s would
    // tick at 1 s and 2 s.
    let mut selector = Selector::new().expect("selector");
    let start = Instant::now();
    let timer = selector
        .register_timer(Duration::from_millis(1100), false, "tick")
        .expect("timer");
    let at = ticks(&mut selector, timer, 2, start);
    assert!(
        at[0] >= Duration::from_millis(1100),
        "first tick at {:?}",
        at[0]
    );
    assert!(
        at[1] >= Duration::from_millis(2200),
        "second tick at {:?}",
        at[1]
    );
    assert!(at[1] < Duration::from_secs(6));
}

#[test]
fn sub_millisecond_oneshot_fires_no_earlier_than_asked() {
    let mut selector = Selector::new().expect("selector");
    for _ in 0..20 {
        let start = Instant::now();
        let timer = selector
            .register_timer(Duration::from_micros(200), true, "short")
            .expect("timer");
        let (key, _) = util::select_until(&mut selector, timer);
        assert!(
            start.elapsed() >= Duration::from_micros(200),
            "{:?}",
            start.elapsed()
        );
        assert!(key.events().contains(Events::FINISHED));
        selector.unregister(timer).expect("unregister");
    }
}

#[test]
fn select_with_a_sub_millisecond_timeout_waits_at_least_that_long() {
    let mut selector = Selector::<()>::new().expect("selector");
    for timeout in [
        Duration::from_micros(1),
        Duration::from_micros(500),
        Duration::from_micros(1500),
    ] {
        let start = Instant::now();
        assert!(selector.select(Some(timeout)).expect("select").is_empty());
        assert!(
            start.elapsed() >= timeout,
            "{timeout:?}: woke at {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn missed_periodic_ticks_coalesce_into_one_report() {
    let mut selector = Selector::new().expect("selector");
    let timer = selector
        .register_timer(Duration::from_millis(10), false, "fast")
        .expect("timer");
    std::thread::sleep(Duration::from_millis(100));
    let keys = selector.select(Some(PATIENCE)).expect("select");
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].ident(), timer);
}

#[test]
fn unregister_stops_a_periodic_timer() {
    let mut selector = Selector::new().expect("selector");
    let timer = selector
        .register_timer(Duration::from_millis(20), false, "tick")
        .expect("timer");
    util::select_until(&mut selector, timer);
    selector.unregister(timer).expect("unregister");
    assert!(!selector.contains(timer));
    assert_eq!(epoll_bits_of(selector.as_raw_fd(), timer.as_raw()), None);
    assert!(
        reports(&mut selector, Duration::from_millis(150)).is_empty(),
        "an unregistered timer fired"
    );
    let err = selector.unregister(timer).expect_err("twice");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn unregister_purges_a_tick_that_did_not_fit() {
    let mut selector = Selector::new().expect("selector");
    let a = selector
        .register_timer(Duration::ZERO, true, "a")
        .expect("timer");
    let b = selector
        .register_timer(Duration::ZERO, true, "b")
        .expect("timer");
    std::thread::sleep(Duration::from_millis(5));
    let mut keys = [chronia_reactor::ReadyKey::default(); 1];
    assert_eq!(
        selector
            .select_into(Some(PATIENCE), &mut keys)
            .expect("select"),
        1
    );
    let rest = if keys[0].ident() == a { b } else { a };
    // The other timer's report may be queued or still in epoll; either way
    // an unregistered timer is never reported.
    selector.unregister(rest).expect("unregister");
    assert!(reports(&mut selector, Duration::from_millis(50)).is_empty());
}

#[test]
fn zero_periodic_timer_is_invalid_input() {
    let mut selector = Selector::new().expect("selector");
    let err = selector
        .register_timer(Duration::ZERO, false, "spin")
        .expect_err("zero period");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn the_longest_timer_is_accepted_and_stays_quiet() {
    let mut selector = Selector::new().expect("selector");
    let timer = selector
        .register_timer(Duration::MAX, false, "never")
        .expect("timer");
    assert!(reports(&mut selector, Duration::from_millis(50)).is_empty());
    selector.unregister(timer).expect("unregister");
}

#[test]
fn timers_report_under_their_own_ident_with_their_data() {
    let mut selector = Selector::new().expect("selector");
    let slow = selector
        .register_timer(Duration::from_millis(60), true, "slow")
        .expect("timer");
    let fast = selector
        .register_timer(Duration::from_millis(20), true, "fast")
        .expect("timer");
    assert_ne!(slow, fast);
    assert!(
        !slow.is_virtual() && !fast.is_virtual(),
        "timers are known by their fd"
    );
    let mut order = Vec::new();
    while order.len() < 2 {
        for key in selector.select(Some(PATIENCE)).expect("select") {
            order.push(*selector.data(key.ident()).expect("registered"));
        }
    }
    assert_eq!(order, ["fast", "slow"]);
}
