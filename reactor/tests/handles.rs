//! Handles: readiness of real pipes and socketpairs, level, edge and oneshot
//! modes, hang-ups, the ADD/MOD/DEL transitions of `update_handle`, and
//! unregistering fds that were closed first.

mod util;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use chronia_reactor::{Events, Ident, ReadyKey, Selector};
use util::{close, dup_to, epoll_bits_of, fill, reports};

const QUIET: Duration = Duration::from_millis(50);
const SOON: Duration = Duration::from_secs(5);

fn id(fd: RawFd) -> Ident {
    Ident::from(fd)
}

/// The one report of a select that must report exactly `fd`.
fn only_report(selector: &mut Selector<&str>, fd: RawFd) -> ReadyKey {
    let keys = selector.select(Some(SOON)).expect("select");
    assert_eq!(keys.len(), 1, "one report expected, got {keys:?}");
    assert_eq!(keys[0].ident(), id(fd));
    keys[0]
}

fn drain(stream: &mut UnixStream) {
    stream.set_nonblocking(true).expect("nonblocking");
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("read: {e}"),
        }
    }
}

#[test]
fn pipe_read_end_reports_read_only_when_data_arrives() {
    let (mut reader, mut writer) = io::pipe().expect("pipe");
    let mut selector = Selector::new().expect("selector");
    let fd = reader.as_raw_fd();
    selector
        .register_handle(fd, Events::READ, "r")
        .expect("register");
    assert!(
        reports(&mut selector, QUIET).is_empty(),
        "empty pipe is not readable"
    );
    writer.write_all(b"x").expect("write");
    let key = only_report(&mut selector, fd);
    assert_eq!(key.events(), Events::READ);
    assert!(key.error().is_none());
    let mut byte = [0u8; 1];
    reader.read_exact(&mut byte).expect("read");
    assert!(
        reports(&mut selector, QUIET).is_empty(),
        "drained pipe is quiet"
    );
}

#[test]
fn pipe_write_end_reports_write_at_once() {
    let (_reader, writer) = io::pipe().expect("pipe");
    let mut selector = Selector::new().expect("selector");
    let fd = writer.as_raw_fd();
    selector
        .register_handle(fd, Events::WRITE, "w")
        .expect("register");
    let key = only_report(&mut selector, fd);
    assert_eq!(key.events(), Events::WRITE);
}

#[test]
fn pipe_write_end_reports_error_when_the_reader_is_gone() {
    let (reader, writer) = io::pipe().expect("pipe");
    let mut selector = Selector::new().expect("selector");
    let fd = writer.as_raw_fd();
    selector
        .register_handle(fd, Events::WRITE, "w")
        .expect("register");
    drop(reader);
    let key = only_report(&mut selector, fd);
    assert!(key.events().contains(Events::ERROR), "{key:?}");
    assert_eq!(
        key.error().expect("an error").raw_os_error(),
        Some(libc::ECONNRESET)
    );
}

#[test]
fn socketpair_reports_read_and_write_in_one_key() {
    let (mut a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = b.as_raw_fd();
    selector
        .register_handle(fd, Events::READ | Events::WRITE, "b")
        .expect("register");
    assert_eq!(only_report(&mut selector, fd).events(), Events::WRITE);
    a.write_all(b"hello").expect("write");
    assert_eq!(
        only_report(&mut selector, fd).events(),
        Events::READ | Events::WRITE
    );
}

#[test]
fn level_triggered_read_is_reported_until_drained() {
    let (mut a, mut b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = b.as_raw_fd();
    selector
        .register_handle(fd, Events::READ, "b")
        .expect("register");
    a.write_all(b"data").expect("write");
    for _ in 0..3 {
        assert_eq!(only_report(&mut selector, fd).events(), Events::READ);
    }
    drain(&mut b);
    assert!(reports(&mut selector, QUIET).is_empty());
}

#[test]
fn edge_triggered_read_is_reported_once_per_arrival() {
    let (mut a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = b.as_raw_fd();
    selector
        .register_handle(fd, Events::READ | Events::EDGE, "b")
        .expect("register");
    a.write_all(b"one").expect("write");
    assert_eq!(only_report(&mut selector, fd).events(), Events::READ);
    assert!(
        reports(&mut selector, QUIET).is_empty(),
        "unread data is not reported twice with EDGE"
    );
    a.write_all(b"two").expect("write");
    assert_eq!(only_report(&mut selector, fd).events(), Events::READ);
    assert!(reports(&mut selector, QUIET).is_empty());
}

#[test]
fn edge_triggered_write_is_reported_once_until_room_is_made() {
    let (a, mut b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = a.as_raw_fd();
    selector
        .register_handle(fd, Events::WRITE | Events::EDGE, "a")
        .expect("register");
    assert_eq!(only_report(&mut selector, fd).events(), Events::WRITE);
    assert!(reports(&mut selector, QUIET).is_empty());
    assert!(fill(fd) > 0);
    assert!(
        reports(&mut selector, QUIET).is_empty(),
        "full: not writable"
    );
    drain(&mut b);
    assert_eq!(only_report(&mut selector, fd).events(), Events::WRITE);
}

#[test]
fn oneshot_reports_once_and_the_same_set_rearms_it() {
    let (mut a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = b.as_raw_fd();
    let set = Events::READ | Events::ONESHOT;
    selector.register_handle(fd, set, "b").expect("register");
    a.write_all(b"data").expect("write");
    assert!(
        only_report(&mut selector, fd)
            .events()
            .contains(Events::READ)
    );
    assert!(
        reports(&mut selector, QUIET).is_empty(),
        "a fired oneshot stays quiet though data is still there"
    );
    assert!(
        selector.contains(id(fd)),
        "a fired oneshot stays registered"
    );
    selector.update_handle(fd, set).expect("rearm");
    assert!(
        only_report(&mut selector, fd)
            .events()
            .contains(Events::READ)
    );
    assert!(reports(&mut selector, QUIET).is_empty());
    selector.update_handle(fd, set).expect("rearm again");
    assert!(
        only_report(&mut selector, fd)
            .events()
            .contains(Events::READ)
    );
}

#[test]
fn the_same_level_set_again_changes_nothing() {
    let (_a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = b.as_raw_fd();
    selector
        .register_handle(fd, Events::WRITE, "b")
        .expect("register");
    selector.update_handle(fd, Events::WRITE).expect("same");
    assert_eq!(only_report(&mut selector, fd).events(), Events::WRITE);
    assert_eq!(only_report(&mut selector, fd).events(), Events::WRITE);
}

#[test]
fn peer_close_reports_error_connection_reset() {
    let (a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = b.as_raw_fd();
    selector
        .register_handle(fd, Events::READ, "b")
        .expect("register");
    drop(a);
    let key = only_report(&mut selector, fd);
    assert!(key.events().contains(Events::ERROR), "{key:?}");
    assert_eq!(
        key.error().expect("an error").raw_os_error(),
        Some(libc::ECONNRESET)
    );
}

#[test]
fn peer_close_reports_error_to_a_write_only_registration() {
    let (a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = b.as_raw_fd();
    assert!(fill(fd) > 0, "no EPOLLOUT: only the hang-up can wake us");
    selector
        .register_handle(fd, Events::WRITE, "b")
        .expect("register");
    assert!(reports(&mut selector, QUIET).is_empty(), "full buffer");
    drop(a);
    let key = only_report(&mut selector, fd);
    assert!(key.events().contains(Events::ERROR), "{key:?}");
    assert_eq!(
        key.error().expect("an error").raw_os_error(),
        Some(libc::ECONNRESET)
    );
}

/// The hang-up report of `fd`: `ERROR` with `ECONNRESET`, the seed's
/// convention for every hang-up, whatever the kernel's reason.
fn hang_up_report(selector: &mut Selector<&str>, fd: RawFd) -> ReadyKey {
    let key = only_report(selector, fd);
    assert!(key.events().contains(Events::ERROR), "{key:?}");
    assert_eq!(
        key.error().expect("an error").raw_os_error(),
        Some(libc::ECONNRESET),
        "the seed's convention for a hang-up"
    );
    key
}

/// A connected TCP pair on the loopback: (client, server).
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    (client, server)
}

#[test]
fn half_close_reports_rdhup_to_a_read_registration() {
    let (a, mut b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = b.as_raw_fd();
    selector
        .register_handle(fd, Events::READ, "b")
        .expect("register");
    assert!(reports(&mut selector, QUIET).is_empty());
    a.shutdown(Shutdown::Write).expect("shutdown");
    hang_up_report(&mut selector, fd);
    // What really happened is read from the socket: no error, end of stream.
    assert!(b.take_error().expect("SO_ERROR").is_none());
    assert_eq!(b.read(&mut [0; 8]).expect("read"), 0);
}

#[test]
fn tcp_half_close_and_reset_report_alike_and_so_error_tells_them_apart() {
    let (shut_peer, mut half_closed) = tcp_pair();
    let (mut rst_peer, mut reset) = tcp_pair();
    let mut selector = Selector::new().expect("selector");
    for s in [&half_closed, &reset] {
        selector
            .register_handle(s.as_raw_fd(), Events::READ, "s")
            .expect("register");
    }
    assert!(reports(&mut selector, QUIET).is_empty());

    shut_peer.shutdown(Shutdown::Write).expect("shutdown");
    hang_up_report(&mut selector, half_closed.as_raw_fd());
    assert!(half_closed.take_error().expect("SO_ERROR").is_none());
    assert_eq!(half_closed.read(&mut [0; 8]).expect("read"), 0);
    // Level-triggered, it would report again beside the reset.
    selector
        .unregister(Ident::from(half_closed.as_raw_fd()))
        .expect("unregister");

    // Closing a TCP socket with unread data sends RST instead of FIN.
    reset.write_all(b"unread").expect("write");
    let mut byte = [0; 1];
    rst_peer
        .read_exact(&mut byte)
        .expect("the first byte arrived");
    drop(rst_peer);
    hang_up_report(&mut selector, reset.as_raw_fd());
    let so_error = reset.take_error().expect("SO_ERROR").expect("a reset");
    assert_eq!(so_error.raw_os_error(), Some(libc::ECONNRESET));
    drop(shut_peer);
}

#[test]
fn write_only_registration_on_a_half_closed_socket_does_not_spin() {
    let (a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = b.as_raw_fd();
    // A full send buffer clears EPOLLOUT, so a report could only come from
    // the peer's half-close (EPOLLRDHUP), which a writer does not wait for.
    assert!(fill(fd) > 0);
    selector
        .register_handle(fd, Events::WRITE, "b")
        .expect("register");
    assert!(reports(&mut selector, QUIET).is_empty(), "full buffer");
    a.shutdown(Shutdown::Write).expect("shutdown");
    for _ in 0..3 {
        let start = Instant::now();
        let keys = reports(&mut selector, Duration::from_millis(100));
        assert!(keys.is_empty(), "half-close woke a writer: {keys:?}");
        assert!(
            start.elapsed() >= Duration::from_millis(100),
            "select returned early"
        );
    }
}

#[test]
fn empty_set_is_stored_but_not_armed() {
    let (mut a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = b.as_raw_fd();
    selector
        .register_handle(fd, Events::empty(), "b")
        .expect("register");
    assert!(selector.contains(id(fd)));
    assert_eq!(selector.data(id(fd)), Some(&"b"));
    assert_eq!(
        epoll_bits_of(selector.as_raw_fd(), fd),
        None,
        "not in epoll"
    );
    a.write_all(b"data").expect("write");
    assert!(reports(&mut selector, QUIET).is_empty());
    let again = selector.register_handle(fd, Events::READ, "again");
    assert_eq!(
        again.expect_err("stored").kind(),
        io::ErrorKind::AlreadyExists
    );
}

#[test]
fn update_moves_through_add_modify_and_delete() {
    let (mut a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let (epfd, fd) = (selector.as_raw_fd(), b.as_raw_fd());
    a.write_all(b"data").expect("write");
    selector
        .register_handle(fd, Events::empty(), "b")
        .expect("register");

    // empty -> empty: nothing to do.
    selector.update_handle(fd, Events::empty()).expect("noop");
    assert_eq!(epoll_bits_of(epfd, fd), None);
    // empty -> READ: ADD.
    selector.update_handle(fd, Events::READ).expect("add");
    let bits = epoll_bits_of(epfd, fd).expect("added");
    assert_ne!(bits & libc::EPOLLIN.cast_unsigned(), 0);
    assert_ne!(
        bits & libc::EPOLLRDHUP.cast_unsigned(),
        0,
        "RDHUP with READ"
    );
    assert_eq!(only_report(&mut selector, fd).events(), Events::READ);
    // READ -> WRITE: MOD; readable data is no longer reported, and RDHUP
    // goes with READ.
    selector.update_handle(fd, Events::WRITE).expect("modify");
    let bits = epoll_bits_of(epfd, fd).expect("still there");
    assert_eq!(bits & libc::EPOLLIN.cast_unsigned(), 0);
    assert_eq!(bits & libc::EPOLLRDHUP.cast_unsigned(), 0);
    assert_ne!(bits & libc::EPOLLOUT.cast_unsigned(), 0);
    assert_eq!(only_report(&mut selector, fd).events(), Events::WRITE);
    // WRITE -> empty: DEL, but still registered.
    selector.update_handle(fd, Events::empty()).expect("delete");
    assert_eq!(epoll_bits_of(epfd, fd), None);
    assert!(selector.contains(id(fd)));
    assert!(reports(&mut selector, QUIET).is_empty());
    // empty -> READ | WRITE: ADD again.
    selector
        .update_handle(fd, Events::READ | Events::WRITE)
        .expect("add again");
    assert_eq!(
        only_report(&mut selector, fd).events(),
        Events::READ | Events::WRITE
    );
    // Unregister takes it out of epoll.
    selector.unregister(id(fd)).expect("unregister");
    assert_eq!(epoll_bits_of(epfd, fd), None);
    assert!(reports(&mut selector, QUIET).is_empty());
}

#[test]
fn update_of_an_unregistered_fd_is_not_found_and_changes_nothing() {
    let (_a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::<&str>::new().expect("selector");
    let fd = b.as_raw_fd();
    let err = selector
        .update_handle(fd, Events::READ)
        .expect_err("unknown");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert_eq!(epoll_bits_of(selector.as_raw_fd(), fd), None);
}

#[test]
fn a_failed_update_keeps_the_old_events() {
    // A registration whose fd was closed: MOD fails with EBADF.
    let (_a, b) = UnixStream::pair().expect("pair");
    let fd = dup_to(b.as_raw_fd(), 720);
    let mut selector = Selector::new().expect("selector");
    selector
        .register_handle(fd, Events::READ, "b")
        .expect("register");
    close(fd);
    let err = selector
        .update_handle(fd, Events::WRITE)
        .expect_err("closed");
    assert_eq!(err.raw_os_error(), Some(libc::EBADF));
    assert!(selector.contains(id(fd)));
    selector.unregister(id(fd)).expect("unregister a closed fd");
}

#[test]
fn registering_a_regular_file_fails_and_leaves_nothing() {
    let mut selector = Selector::new().expect("selector");
    // A plain file on disk does not support poll: epoll_ctl says EPERM.
    let path = std::env::temp_dir().join(format!("chronia-reactor-{}", std::process::id()));
    let plain = std::fs::File::create(&path).expect("temp file");
    std::fs::remove_file(&path).expect("unlink");
    let err = selector
        .register_handle(plain.as_raw_fd(), Events::READ, "plain")
        .expect_err("regular files cannot be polled");
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    assert!(!selector.contains(id(plain.as_raw_fd())));
    // The number is free again: an empty registration (no epoll) succeeds.
    selector
        .register_handle(plain.as_raw_fd(), Events::empty(), "plain")
        .expect("number is free");
}

#[test]
fn bad_handle_arguments_are_invalid_input() {
    let (_a, b) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let fd = b.as_raw_fd();
    for events in [
        Events::TIMER,
        Events::READ | Events::USER,
        Events::SIGNAL,
        Events::FINISHED,
    ] {
        let err = selector
            .register_handle(fd, events, "b")
            .expect_err("not for handles");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{events:?}");
        assert!(!selector.contains(id(fd)));
    }
    let err = selector
        .register_handle(-5, Events::READ, "neg")
        .expect_err("negative");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    selector
        .register_handle(fd, Events::READ, "b")
        .expect("register");
    let err = selector
        .update_handle(fd, Events::PROCESS)
        .expect_err("not for handles");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let err = selector
        .update_handle(-5, Events::READ)
        .expect_err("negative");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn unregister_of_an_fd_closed_first_succeeds_and_frees_the_number() {
    let (a, b) = UnixStream::pair().expect("pair");
    // A number of our own, the only reference to its socket, so that closing
    // it takes it out of epoll as the kernel does.
    let fd = dup_to(b.as_raw_fd(), 730);
    drop(b);
    let mut selector = Selector::new().expect("selector");
    selector
        .register_handle(fd, Events::READ, "old")
        .expect("register");
    close(fd);
    assert_eq!(
        epoll_bits_of(selector.as_raw_fd(), fd),
        None,
        "kernel removed it"
    );
    selector.unregister(id(fd)).expect("unregister after close");
    assert!(!selector.contains(id(fd)));
    drop(a);

    let (mut c, d) = UnixStream::pair().expect("pair");
    let again = dup_to(d.as_raw_fd(), 730);
    selector
        .register_handle(again, Events::READ, "new")
        .expect("number is free");
    c.write_all(b"x").expect("write");
    let key = only_report(&mut selector, again);
    assert_eq!(key.events(), Events::READ);
    assert_eq!(selector.data(id(again)), Some(&"new"));
    close(again);
}

#[test]
fn events_for_an_fd_unregistered_before_select_are_skipped() {
    // The registered number is a dup: closing it leaves the socket open, so
    // epoll keeps the stale entry (the kernel removes an entry only when
    // the last reference to the file goes) and reports it under the old
    // token. The selector must skip it rather than panic or report it.
    let (mut a, b) = UnixStream::pair().expect("pair");
    let fd = dup_to(b.as_raw_fd(), 740);
    let mut selector = Selector::new().expect("selector");
    selector
        .register_handle(fd, Events::READ, "gone")
        .expect("register");
    close(fd);
    selector.unregister(id(fd)).expect("unregister after close");
    a.write_all(b"x").expect("write");
    for _ in 0..3 {
        let keys = reports(&mut selector, QUIET);
        assert!(keys.iter().all(|&(i, _)| i != id(fd)), "{keys:?}");
    }
    // The selector still works for others.
    let (_c, d) = UnixStream::pair().expect("pair");
    selector
        .register_handle(d.as_raw_fd(), Events::WRITE, "d")
        .expect("register");
    let (key, _) = util::select_until(&mut selector, id(d.as_raw_fd()));
    assert_eq!(key.events(), Events::WRITE);
}

#[test]
fn a_small_buffer_takes_edge_reports_of_many_fds_each_once() {
    let pairs: Vec<_> = (0..5).map(|_| UnixStream::pair().expect("pair")).collect();
    let mut selector = Selector::new().expect("selector");
    for (_, b) in &pairs {
        selector
            .register_handle(b.as_raw_fd(), Events::WRITE | Events::EDGE, "b")
            .expect("register");
    }
    // epoll_wait is asked for no more than the buffer holds; the kernel keeps
    // the rest ready for the next call.
    let mut keys = [ReadyKey::default(); 2];
    let mut seen: Vec<Ident> = Vec::new();
    while seen.len() < 5 {
        let n = selector.select_into(Some(SOON), &mut keys).expect("select");
        assert!(n > 0, "reports lost: only {seen:?}");
        seen.extend(keys[..n].iter().map(ReadyKey::ident));
    }
    assert_eq!(
        selector
            .select_into(Some(QUIET), &mut keys)
            .expect("select"),
        0
    );
    seen.sort();
    let mut want: Vec<Ident> = pairs.iter().map(|(_, b)| id(b.as_raw_fd())).collect();
    want.sort();
    assert_eq!(seen, want, "each writable socket reported once");
}

#[test]
fn unregister_purges_a_queued_report() {
    let (_a1, b1) = UnixStream::pair().expect("pair");
    let (_a2, b2) = UnixStream::pair().expect("pair");
    let mut selector = Selector::new().expect("selector");
    let both = [b1.as_raw_fd(), b2.as_raw_fd()];
    for fd in both {
        selector
            .register_handle(fd, Events::WRITE, "b")
            .expect("register");
    }
    let mut keys = [ReadyKey::default(); 1];
    assert_eq!(
        selector.select_into(Some(SOON), &mut keys).expect("select"),
        1
    );
    let other = if keys[0].ident() == id(both[0]) {
        both[1]
    } else {
        both[0]
    };
    selector.unregister(id(other)).expect("unregister");
    // Only the first registration is left; its next report is a new one.
    let n = selector.select_into(Some(SOON), &mut keys).expect("select");
    assert_eq!(n, 1);
    assert_ne!(keys[0].ident(), id(other), "purged report was delivered");
}

#[test]
fn select_into_an_empty_buffer_is_invalid_input() {
    let mut selector = Selector::<()>::new().expect("selector");
    let err = selector.select_into(None, &mut []).expect_err("no room");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn a_huge_fd_number_is_ebadf_not_a_huge_table() {
    let mut selector = Selector::new().expect("selector");
    for events in [Events::READ, Events::empty()] {
        let err = selector
            .register_handle(i32::MAX, events, ())
            .expect_err("no such descriptor");
        assert_eq!(err.raw_os_error(), Some(libc::EBADF), "{events:?}: {err}");
        assert!(!selector.contains(Ident::from(i32::MAX)));
    }
}
