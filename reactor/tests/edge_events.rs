//! Edge-triggered user events (`SelectEvent::new_edge_triggered`): the
//! selector reports each trigger once and never reads the counter; a full
//! counter is reset by the trigger, so no wake is lost.

mod util;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::Duration;

use chronia_reactor::{Events, SelectEvent, Selector};
use util::{PATIENCE, reports};

const QUIET: Duration = Duration::from_millis(50);

/// The eventfd of `event` as a `File`, to read or write its counter the
/// way another user of the fd would.
fn counter_file(event: &SelectEvent) -> File {
    File::from(event.as_fd().try_clone_to_owned().expect("dup the eventfd"))
}

/// Reads (and resets) the counter; `None` if it is zero.
fn read_counter(event: &SelectEvent) -> Option<u64> {
    let mut bytes = [0; 8];
    match counter_file(event).read(&mut bytes) {
        Ok(8) => Some(u64::from_ne_bytes(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        other => panic!("reading the eventfd: {other:?}"),
    }
}

#[test]
fn trigger_from_another_thread_wakes_a_select_blocked_forever() {
    let event = SelectEvent::new_edge_triggered().expect("event");
    util::trigger_from_another_thread_wakes_a_blocked_select(&event);
}

#[test]
fn many_triggers_before_a_select_give_one_report_and_are_not_read() {
    let mut selector = Selector::new().expect("selector");
    let event = SelectEvent::new_edge_triggered().expect("event");
    let id = selector.register_event(&event, ()).expect("register");
    util::trigger_400_times_from_4_threads(&event);
    assert_eq!(reports(&mut selector, PATIENCE), [(id, Events::USER)]);
    // The counter stays readable, yet an edge is reported once.
    assert!(reports(&mut selector, QUIET).is_empty(), "reported again");
    // The selector read nothing: every trigger is still counted.
    assert_eq!(read_counter(&event), Some(400));
}

#[test]
fn each_trigger_after_a_report_gives_a_new_report() {
    let mut selector = Selector::new().expect("selector");
    let event = SelectEvent::new_edge_triggered().expect("event");
    let id = selector.register_event(&event, ()).expect("register");
    for _ in 0..3 {
        event.trigger().expect("trigger");
        assert_eq!(reports(&mut selector, PATIENCE), [(id, Events::USER)]);
        assert!(reports(&mut selector, Duration::ZERO).is_empty());
    }
}

#[test]
fn a_trigger_before_registration_is_reported_once() {
    let mut selector = Selector::new().expect("selector");
    let event = SelectEvent::new_edge_triggered().expect("event");
    event.trigger().expect("trigger");
    let id = selector.register_event(&event, ()).expect("register");
    assert_eq!(reports(&mut selector, PATIENCE), [(id, Events::USER)]);
    assert!(reports(&mut selector, QUIET).is_empty());
}

#[test]
fn a_full_counter_is_reset_and_the_trigger_still_reported() {
    let mut selector = Selector::new().expect("selector");
    let event = SelectEvent::new_edge_triggered().expect("event");
    let id = selector.register_event(&event, ()).expect("register");
    // The largest value an eventfd holds: a write of 1 now fails (EAGAIN).
    counter_file(&event)
        .write_all(&(u64::MAX - 1).to_ne_bytes())
        .expect("fill the counter");
    assert_eq!(reports(&mut selector, PATIENCE), [(id, Events::USER)]);
    assert!(reports(&mut selector, Duration::ZERO).is_empty());
    let remote = event.clone();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        remote.trigger().expect("trigger on a full counter");
    });
    assert_eq!(
        reports(&mut selector, PATIENCE),
        [(id, Events::USER)],
        "the trigger on a full counter was lost"
    );
    thread.join().expect("no panic");
    // Reset by the trigger, which then counted itself.
    assert_eq!(read_counter(&event), Some(1));
}

#[test]
fn an_edge_event_registered_with_two_selectors_wakes_both() {
    let mut first = Selector::new().expect("selector");
    let mut second = Selector::new().expect("selector");
    let event = SelectEvent::new_edge_triggered().expect("event");
    let a = first.register_event(&event, ()).expect("register");
    let b = second.register_event(&event, ()).expect("register");
    event.trigger().expect("trigger");
    assert_eq!(reports(&mut first, PATIENCE), [(a, Events::USER)]);
    assert_eq!(reports(&mut second, PATIENCE), [(b, Events::USER)]);
}

#[test]
fn a_level_event_still_resets_its_counter_when_reported() {
    let mut selector = Selector::new().expect("selector");
    let event = SelectEvent::new().expect("event");
    assert!(!event.is_edge_triggered());
    let id = selector.register_event(&event, ()).expect("register");
    event.trigger().expect("trigger");
    assert_eq!(reports(&mut selector, PATIENCE), [(id, Events::USER)]);
    assert_eq!(read_counter(&event), None, "the select read the counter");
}
