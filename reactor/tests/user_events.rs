//! User events: an eventfd that other threads trigger to wake the selector.

mod util;

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use chronia_reactor::{Events, SelectEvent, Selector};
use util::{PATIENCE, reports};

const QUIET: Duration = Duration::from_millis(50);

#[test]
fn trigger_from_another_thread_wakes_a_select_blocked_forever() {
    let event = SelectEvent::new().expect("event");
    util::trigger_from_another_thread_wakes_a_blocked_select(&event);
}

#[test]
fn several_triggers_coalesce_into_one_report() {
    let mut selector = Selector::new().expect("selector");
    let event = SelectEvent::new().expect("event");
    let id = selector.register_event(&event, "wake").expect("register");
    util::trigger_400_times_from_4_threads(&event);
    assert_eq!(reports(&mut selector, PATIENCE), [(id, Events::USER)]);
    assert!(
        reports(&mut selector, QUIET).is_empty(),
        "one report for all"
    );
}

#[test]
fn a_trigger_after_select_gives_a_new_report() {
    let mut selector = Selector::new().expect("selector");
    let event = SelectEvent::new().expect("event");
    let id = selector.register_event(&event, "wake").expect("register");
    for _ in 0..3 {
        event.trigger().expect("trigger");
        assert_eq!(reports(&mut selector, PATIENCE), [(id, Events::USER)]);
        assert!(reports(&mut selector, QUIET).is_empty());
    }
}

#[test]
fn a_trigger_before_registration_is_reported() {
    let event = SelectEvent::new().expect("event");
    event.trigger().expect("trigger");
    let mut selector = Selector::new().expect("selector");
    let id = selector.register_event(&event, "early").expect("register");
    assert_eq!(reports(&mut selector, PATIENCE), [(id, Events::USER)]);
}

#[test]
fn unregister_leaves_the_event_usable_by_its_owner() {
    let mut selector = Selector::new().expect("selector");
    let event = SelectEvent::new().expect("event");
    let fd = event.as_raw_fd();
    let id = selector.register_event(&event, "first").expect("register");
    event.trigger().expect("trigger");
    selector.unregister(id).expect("unregister");
    assert!(!selector.contains(id));
    assert!(
        reports(&mut selector, QUIET).is_empty(),
        "unregistered: silent"
    );
    // The selector's handle is gone; the owner's fd is not.
    assert!(util::fd_is_open(fd), "the owner's eventfd was closed");
    event.trigger().expect("trigger after unregister");
    // It can be registered again, here or elsewhere, and still wakes.
    let id = selector
        .register_event(&event, "again")
        .expect("register again");
    assert_eq!(reports(&mut selector, PATIENCE), [(id, Events::USER)]);
    let mut other = Selector::new().expect("selector");
    selector.unregister(id).expect("unregister");
    let id = other
        .register_event(&event, "other")
        .expect("register elsewhere");
    event.trigger().expect("trigger");
    assert_eq!(reports(&mut other, PATIENCE), [(id, Events::USER)]);
}

#[test]
fn the_selector_keeps_a_registered_event_alive() {
    let mut selector = Selector::new().expect("selector");
    let event = SelectEvent::new().expect("event");
    let id = selector.register_event(&event, "kept").expect("register");
    let remote = event.clone();
    drop(event);
    std::thread::spawn(move || remote.trigger().expect("trigger"))
        .join()
        .expect("no panic");
    assert_eq!(reports(&mut selector, PATIENCE), [(id, Events::USER)]);
    assert!(util::fd_is_open(id.as_raw()));
}

#[test]
fn an_event_registered_twice_already_exists() {
    let mut selector = Selector::new().expect("selector");
    let event = SelectEvent::new().expect("event");
    selector.register_event(&event, "one").expect("register");
    let err = selector
        .register_event(&event.clone(), "two")
        .expect_err("same eventfd");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(selector.data(event.as_raw_fd().into()), Some(&"one"));
}

#[test]
fn an_event_shared_by_two_selectors_is_consumed_by_the_first_to_look() {
    // Both epolls see the eventfd readable; the first to read resets it and
    // the second finds it empty, which must be a non-report, not an error.
    let mut first = Selector::new().expect("selector");
    let mut second = Selector::new().expect("selector");
    let event = SelectEvent::new().expect("event");
    let a = first.register_event(&event, "a").expect("register");
    second.register_event(&event, "b").expect("register");
    event.trigger().expect("trigger");
    assert_eq!(reports(&mut first, PATIENCE), [(a, Events::USER)]);
    assert!(reports(&mut second, QUIET).is_empty());
}
