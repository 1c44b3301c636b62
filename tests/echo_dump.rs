//! The echo example prints a task dump to stderr on SIGUSR1, run as a
//! user runs it (see `echo_shutdown.rs` for how the example is found).

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sigusr1_prints_a_task_dump_to_stderr() {
    let mut child = Command::new(util::example("echo"))
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the echo example is built by cargo test");
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut err = BufReader::new(child.stderr.take().expect("piped"));
    let mut line = String::new();
    out.read_line(&mut line)
        .expect("the example prints where it listens");
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("a 'listening on' line")
        .parse()
        .expect("an address");
    let mut client = TcpStream::connect(addr).expect("connect");
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    client.write_all(b"ping").expect("write");
    let mut back = [0; 4];
    client.read_exact(&mut back).expect("echo");
    // The connection's task now waits to read again.

    util::send_signal(&child, libc::SIGUSR1);
    let mut dump = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    // The table's header line, then one line per task: the accept loop,
    // the dumper itself, the connection.
    while dump
        .lines()
        .filter(|l| l.contains("examples/echo.rs"))
        .count()
        < 3
    {
        assert!(
            Instant::now() < deadline,
            "no full dump within 10 s: {dump}"
        );
        let mut l = String::new();
        assert!(
            err.read_line(&mut l).expect("stderr readable") > 0,
            "stderr closed: {dump}"
        );
        dump.push_str(&l);
    }
    assert!(dump.contains("3 live task(s)"), "{dump}");
    assert!(dump.contains("accept loop"), "{dump}");
    assert!(
        dump.contains(" read"),
        "the connection and accept loop wait to read: {dump}"
    );
    let me = client.local_addr().expect("client addr");
    assert!(
        dump.contains(&format!("(peer {me})")),
        "the connection's peer: {dump}"
    );
    assert!(
        dump.contains("running"),
        "the dumper dumps from inside itself: {dump}"
    );

    util::send_signal(&child, libc::SIGTERM);
    drop(client);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("the echo example did not exit within 10 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(0), "{status:?}");
}
