//! Idents and data: virtual ids for signals, fd idents for the rest, the
//! errors for misuse, and the data of each registration.
//!
//! Signals are registered here only to get virtual ids; none is ever sent,
//! so blocking them in a test thread is harmless.

mod util;

use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use chronia_reactor::{Events, Ident, SelectEvent, Selector};

#[test]
fn virtual_ids_are_negative_and_never_minus_one() {
    let mut selector = Selector::new().expect("selector");
    let ids: Vec<Ident> = [libc::SIGUSR1, libc::SIGUSR2, libc::SIGRTMIN() + 3]
        .into_iter()
        .map(|s| selector.register_signal(s, s).expect("signal"))
        .collect();
    for id in &ids {
        assert!(id.is_virtual(), "{id:?}");
        assert!(id.as_raw() < -1, "{id:?}");
    }
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), ids.len(), "ids are distinct: {ids:?}");
    assert!(!selector.contains(Ident::from(-1)));
}

#[test]
fn a_freed_virtual_id_is_reused() {
    let mut selector = Selector::new().expect("selector");
    let a = selector
        .register_signal(libc::SIGUSR1, "usr1")
        .expect("signal");
    let b = selector
        .register_signal(libc::SIGUSR2, "usr2")
        .expect("signal");
    selector.unregister(a).expect("unregister");
    assert!(!selector.contains(a));
    let c = selector
        .register_signal(libc::SIGHUP, "hup")
        .expect("signal");
    assert_eq!(c, a, "the hole is filled first");
    assert_eq!(selector.data(c), Some(&"hup"), "with the new data");
    assert_eq!(selector.data(b), Some(&"usr2"));
    let d = selector
        .register_signal(libc::SIGWINCH, "winch")
        .expect("signal");
    assert!(d != a && d != b);
}

#[test]
fn fd_registrations_are_known_by_their_fd() {
    let (_a, b) = UnixStream::pair().expect("pair");
    let event = SelectEvent::new().expect("event");
    let mut selector = Selector::new().expect("selector");
    selector
        .register_handle(b.as_raw_fd(), Events::READ, 1)
        .expect("handle");
    let e = selector.register_event(&event, 2).expect("event");
    let t = selector
        .register_timer(Duration::from_secs(60), true, 3)
        .expect("timer");
    assert_eq!(e, Ident::from(event.as_raw_fd()));
    assert!(!e.is_virtual() && !t.is_virtual());
    assert!(
        util::fd_is_open(t.as_raw()),
        "a timer's ident is its open timerfd"
    );
    assert_eq!(selector.data(Ident::from(b.as_raw_fd())), Some(&1));
    assert_eq!(selector.data(e), Some(&2));
    assert_eq!(selector.data(t), Some(&3));
}

#[test]
fn update_handle_on_a_timer_or_user_event_is_invalid_input() {
    let event = SelectEvent::new().expect("event");
    let mut selector = Selector::new().expect("selector");
    let e = selector.register_event(&event, ()).expect("event");
    let t = selector
        .register_timer(Duration::from_secs(60), false, ())
        .expect("timer");
    for id in [e, t] {
        let err = selector
            .update_handle(id.as_raw(), Events::READ)
            .expect_err("not a handle");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{id:?}");
        assert!(selector.contains(id), "still registered");
    }
}

#[test]
fn unknown_idents_are_not_found() {
    let mut selector = Selector::<()>::new().expect("selector");
    for raw in [0, 5, 100_000, -1, -2, -1000, i32::MIN, i32::MAX] {
        let id = Ident::from(raw);
        assert_eq!(
            selector.unregister(id).expect_err("unknown").kind(),
            io::ErrorKind::NotFound,
            "{id:?}"
        );
        assert!(!selector.contains(id));
        assert!(selector.data(id).is_none());
        assert!(selector.data_mut(id).is_none());
        assert!(!selector.set_data(id, ()));
    }
    for fd in [0, 5, 100_000, i32::MAX] {
        assert_eq!(
            selector
                .update_handle(fd, Events::READ)
                .expect_err("unknown")
                .kind(),
            io::ErrorKind::NotFound
        );
    }
}

#[test]
fn data_can_be_read_changed_and_replaced() {
    let (_a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = Ident::from(b.as_raw_fd());
    let sig = selector
        .register_signal(libc::SIGUSR2, vec![1])
        .expect("signal");
    selector
        .register_handle(b.as_raw_fd(), Events::empty(), vec![2])
        .expect("handle");
    selector.data_mut(sig).expect("registered").push(10);
    assert_eq!(selector.data(sig), Some(&vec![1, 10]));
    assert!(selector.set_data(fd, vec![3]));
    assert_eq!(selector.data(fd), Some(&vec![3]));
    assert_eq!(selector.data(sig), Some(&vec![1, 10]), "others untouched");
    selector.unregister(fd).expect("unregister");
    assert!(!selector.set_data(fd, vec![4]));
    assert!(selector.data(fd).is_none());
}

#[test]
fn unregister_drops_the_data() {
    let mut selector = Selector::new().expect("selector");
    let data = std::rc::Rc::new(());
    let id = selector
        .register_timer(Duration::from_secs(60), true, data.clone())
        .expect("timer");
    assert_eq!(std::rc::Rc::strong_count(&data), 2);
    selector.unregister(id).expect("unregister");
    assert_eq!(std::rc::Rc::strong_count(&data), 1);
    let _sig = selector
        .register_signal(libc::SIGUSR1, data.clone())
        .expect("signal");
    drop(selector);
    assert_eq!(std::rc::Rc::strong_count(&data), 1, "drop drops the data");
}

#[test]
fn an_fd_registered_twice_already_exists() {
    let (_a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    selector
        .register_handle(b.as_raw_fd(), Events::READ, "first")
        .expect("handle");
    let err = selector
        .register_handle(b.as_raw_fd(), Events::WRITE, "second")
        .expect_err("twice");
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(selector.data(Ident::from(b.as_raw_fd())), Some(&"first"));
}

#[test]
fn ident_formats_say_what_they_are() {
    assert_eq!(Ident::from(3).to_string(), "fd 3");
    assert_eq!(Ident::from(-2).to_string(), "virtual id -2");
    assert_eq!(format!("{:?}", Ident::from(7)), "Ident(7)");
    assert!(Ident::from(-2).is_virtual());
    assert!(!Ident::from(0).is_virtual());
}

#[test]
fn update_handle_on_a_signal_ident_is_invalid_input() {
    let mut selector = Selector::new().expect("selector");
    let id = selector
        .register_signal(libc::SIGRTMIN() + 4, ())
        .expect("signal");
    let err = selector
        .update_handle(id.as_raw(), Events::READ)
        .expect_err("not a handle");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    assert!(selector.contains(id), "nothing lost");
}
