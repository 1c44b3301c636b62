//! The hyper example (`examples/http.rs`), run as a user runs it: requests
//! on one keep-alive connection, and graceful shutdown by signal (in-flight
//! requests finish; the grace period is bounded); with `--cores 2`, both
//! shards serve and one SIGTERM stops them all.

mod util;

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command};
use std::time::{Duration, Instant};

fn start(grace_ms: Option<u64>) -> (Child, BufReader<ChildStdout>, SocketAddr) {
    start_with(&[], grace_ms)
}

fn start_with(args: &[&str], grace_ms: Option<u64>) -> (Child, BufReader<ChildStdout>, SocketAddr) {
    let mut cmd = Command::new(util::example("http"));
    cmd.args(args).env("CHRONIA_HTTP_ADDR", "127.0.0.1:0");
    if let Some(ms) = grace_ms {
        cmd.env("CHRONIA_HTTP_GRACE_MS", ms.to_string());
    }
    let (child, out, addr, _) = util::start_server(&mut cmd);
    (child, out, addr)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s
}

/// Reads one response with a `content-length` or chunked body; returns
/// (head, lowercased, from its status line on; body).
fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read head");
        assert_eq!(
            n,
            1,
            "closed in the head: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf)
        .expect("ascii head")
        .to_ascii_lowercase();
    let status = head.clone();
    let mut body = Vec::new();
    if let Some(len) = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map(|l| l.trim().parse::<usize>().expect("length"))
    {
        body.resize(len, 0);
        stream.read_exact(&mut body).expect("body");
    } else {
        assert!(head.contains("transfer-encoding: chunked"), "{head}");
        loop {
            let mut line = Vec::new();
            while !line.ends_with(b"\r\n") {
                stream.read_exact(&mut byte).expect("chunk size");
                line.push(byte[0]);
            }
            let size = usize::from_str_radix(std::str::from_utf8(&line).expect("ascii").trim(), 16)
                .expect("hex size");
            let mut chunk = vec![0; size + 2];
            stream.read_exact(&mut chunk).expect("chunk");
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    (status, body)
}

#[test]
fn serves_keep_alive_and_echo_then_exits_zero_on_sigterm() {
    let (mut child, mut out, addr) = start(None);
    let mut stream = connect(addr);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("write");
    let (status, body) = read_response(&mut stream);
    assert!(status.starts_with("http/1.1 200"), "{status}");
    assert_eq!(body, b"hello\n");
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    stream
        .write_all(
            format!(
                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
                payload.len()
            )
            .as_bytes(),
        )
        .expect("write head");
    stream.write_all(&payload).expect("write body");
    let (status, body) = read_response(&mut stream);
    assert!(status.starts_with("http/1.1 200"), "{status}");
    assert!(body == payload, "echo differs: {} bytes", body.len());

    util::send_signal(&child, libc::SIGTERM);
    let line = util::read_line(&mut out);
    assert!(
        line.contains("stopped accepting") && line.contains("1 connection"),
        "{line}"
    );
    // The idle keep-alive connection is closed by the graceful shutdown.
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    let status = util::wait_with_deadline(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(util::read_line(&mut out).contains("all connections closed"));
}

#[test]
fn a_request_in_flight_at_sigint_is_answered_before_exit() {
    let (mut child, mut out, addr) = start(None);
    let mut stream = connect(addr);
    stream
        .write_all(b"GET /slow?ms=300 HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("write");
    assert!(util::read_line(&mut out).contains("slow request"));
    util::send_signal(&child, libc::SIGINT);
    assert!(util::read_line(&mut out).contains("stopped accepting"));
    let (status, body) = read_response(&mut stream);
    assert!(status.starts_with("http/1.1 200"), "{status}");
    assert_eq!(body, b"slow\n");
    let status = util::wait_with_deadline(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(util::read_line(&mut out).contains("all connections closed"));
}

#[test]
fn the_grace_period_is_bounded() {
    let grace = Duration::from_millis(300);
    let (mut child, mut out, addr) = start(Some(300));
    let mut stream = connect(addr);
    stream
        .write_all(b"GET /slow?ms=60000 HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("write");
    assert!(util::read_line(&mut out).contains("slow request"));
    let start = Instant::now();
    util::send_signal(&child, libc::SIGTERM);
    let status = util::wait_with_deadline(&mut child, Duration::from_secs(10));
    assert!(
        start.elapsed() >= grace,
        "exited before the grace period: {:?}",
        start.elapsed()
    );
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(util::read_line(&mut out).contains("stopped accepting"));
    assert!(util::read_line(&mut out).contains("grace period over"));
}

#[test]
fn with_two_cores_both_shards_serve_and_one_sigterm_stops_them_all() {
    let (mut child, mut out, addr) = start_with(&["--cores", "2"], None);
    // SO_REUSEPORT spreads connections by their ports: new connections
    // until each shard has answered one (1 in 2^63 to miss after 64).
    let mut answered = [0usize; 2];
    for _ in 0..64 {
        let mut stream = connect(addr);
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .expect("write");
        let (head, body) = read_response(&mut stream);
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert_eq!(body, b"hello\n");
        let shard: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("x-shard: "))
            .expect("an x-shard header")
            .trim()
            .parse()
            .expect("a shard index");
        answered[shard] += 1;
        if answered.iter().all(|&n| n > 0) {
            break;
        }
    }
    assert!(answered.iter().all(|&n| n > 0), "{answered:?}");

    // A request in flight on one shard when the signal comes is answered.
    let mut slow = connect(addr);
    slow.write_all(b"GET /slow?ms=300 HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("write");
    assert!(util::read_line(&mut out).contains("slow request"));
    util::send_signal(&child, libc::SIGTERM);
    let (head, body) = read_response(&mut slow);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(body, b"slow\n");
    let status = util::wait_with_deadline(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status:?}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("stdout");
    for shard in 0..2 {
        assert!(
            rest.contains(&format!(
                "shard {shard}: signal {}: stopped accepting",
                libc::SIGTERM
            )),
            "{rest}"
        );
        assert!(
            rest.contains(&format!("shard {shard}: all connections closed")),
            "{rest}"
        );
    }
    assert!(
        rest.trim_end().ends_with("all 2 shards stopped; bye"),
        "{rest}"
    );
}
