//! The echo example, run as a user runs it, stopped by a signal.
//!
//! Cargo builds the examples before it runs the tests; the binary sits in
//! `target/<profile>/examples/`, next to this test's `deps/` folder.

mod util;

use std::io::BufReader;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ChildStdout, Command};
use std::time::Duration;

/// Starts the example on an ephemeral port; returns it, its stdout, and the
/// address it printed.
fn start() -> (Child, BufReader<ChildStdout>, SocketAddr) {
    let (child, out, addr, _) =
        util::start_server(Command::new(util::example("echo")).arg("127.0.0.1:0"));
    (child, out, addr)
}

#[test]
fn sigterm_stops_accepting_lets_open_connections_finish_and_exits_zero() {
    let (mut child, mut out, addr) = start();
    let mut client = TcpStream::connect(addr).expect("connect");
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    util::round_trip(&mut client, b"before");

    util::send_signal(&child, libc::SIGTERM);
    let line = util::read_line(&mut out);
    assert!(
        line.contains("stopped accepting") && line.contains("1 connection"),
        "{line}"
    );
    // The open connection still works during the grace period...
    util::round_trip(&mut client, b"during the grace period");
    // ...and the listener is gone.
    assert!(
        TcpStream::connect(addr).is_err(),
        "no new connections after the signal"
    );

    drop(client);
    let status = util::wait_with_deadline(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(util::read_line(&mut out).contains("all connections closed"));
}

#[test]
fn second_ctrl_c_during_the_grace_period_ends_the_process_at_once() {
    let (mut child, mut out, addr) = start();
    let mut client = TcpStream::connect(addr).expect("connect");
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    util::round_trip(&mut client, b"hello");

    util::send_signal(&child, libc::SIGINT);
    assert!(util::read_line(&mut out).contains("stopped accepting"));
    util::send_signal(&child, libc::SIGINT);
    // Killed by the SIGINT, not exited 0 after the grace period: the status
    // tells the two apart, so the deadline is only a hang guard.
    let status = util::wait_with_deadline(&mut child, util::limit());
    assert_eq!(
        status.signal(),
        Some(libc::SIGINT),
        "the restored default action: {status:?}"
    );
}
