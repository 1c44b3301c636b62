//! The thread-per-core echo example, run as a user runs it, on two shards,
//! stopped by one SIGTERM.

mod util;

use std::io::BufReader;
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command};
use std::time::Duration;

const SHARDS: usize = 2;

/// Starts the example on an ephemeral port; returns it, its stdout, and the
/// address it printed once every shard listens.
fn start() -> (Child, BufReader<ChildStdout>, SocketAddr) {
    let (child, out, addr, line) =
        util::start_server(Command::new(util::example("echo_per_core")).args([
            "127.0.0.1:0",
            "--cores",
            &SHARDS.to_string(),
        ]));
    assert!(line.contains(&format!("with {SHARDS} shard(s)")), "{line}");
    (child, out, addr)
}

fn threads_of(child: &Child) -> usize {
    std::fs::read_dir(format!("/proc/{}/task", child.id()))
        .expect("the child runs")
        .count()
}

#[test]
fn one_sigterm_stops_every_shard_gracefully_and_the_process_exits_zero() {
    let (mut child, mut out, addr) = start();
    assert_eq!(
        threads_of(&child),
        SHARDS + 1,
        "the main thread and one per shard"
    );
    // Enough clients that both shards get some (each lands on a shard by a
    // hash of its port: all 40 on one of two shards is a 2^-39 chance).
    let mut clients: Vec<TcpStream> = (0..40)
        .map(|i| {
            let mut client = TcpStream::connect(addr).expect("connect");
            client
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            util::round_trip(&mut client, format!("before {i}").as_bytes());
            client
        })
        .collect();

    util::send_signal(&child, libc::SIGTERM);
    let mut open = Vec::new();
    for _ in 0..SHARDS {
        let line = util::read_line(&mut out);
        assert!(line.contains("SIGTERM: stopped accepting"), "{line}");
        let n: usize = line
            .split("; ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a count of open connections: {line}"));
        open.push(n);
    }
    assert_eq!(open.iter().sum::<usize>(), clients.len(), "{open:?}");
    // Open connections still work during the grace period, on every shard...
    for client in &mut clients {
        util::round_trip(client, b"during the grace period");
    }
    // ...and every listener is gone.
    assert!(TcpStream::connect(addr).is_err(), "no new connections");

    clients.clear();
    let status = util::wait_with_deadline(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status:?}");
    let mut served = Vec::new();
    for shard in 0..SHARDS {
        let line = util::read_line(&mut out);
        let n: usize = line
            .trim()
            .strip_prefix(&format!("shard {shard}: served "))
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a served count of shard {shard}: {line}"));
        served.push(n);
    }
    assert_eq!(served.iter().sum::<usize>(), 40, "{served:?}");
    assert!(
        served.iter().all(|&n| n > 0),
        "every shard served some: {served:?}"
    );
    assert!(util::read_line(&mut out).contains("bye"));
}

#[test]
fn a_second_sigint_during_the_grace_period_ends_the_process_at_once() {
    use std::os::unix::process::ExitStatusExt;

    let (mut child, mut out, addr) = start();
    let mut client = TcpStream::connect(addr).expect("connect");
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    util::round_trip(&mut client, b"hello");
    util::send_signal(&child, libc::SIGINT);
    for _ in 0..SHARDS {
        assert!(util::read_line(&mut out).contains("SIGINT: stopped accepting"));
    }
    util::send_signal(&child, libc::SIGINT);
    // Killed by the SIGINT (the default action, put back when the last
    // listener went), not exited 0 after the 5 s grace: the status tells
    // the two apart, so the deadline is only a hang guard.
    let status = util::wait_with_deadline(&mut child, util::limit());
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
}

#[test]
fn a_port_taken_without_reuseport_is_reported_as_addr_in_use() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("bound");
    let out = Command::new(util::example("echo_per_core"))
        .args([&addr.to_string(), "--cores", "2"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AddrInUse"), "{stderr}");
}
