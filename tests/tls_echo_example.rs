//! The futures-rustls example (`examples/tls_echo.rs`), run as a user runs
//! it: a server on a free port, its client mode, and a signal to stop.

mod util;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn the_client_mode_gets_its_message_back_over_tls() {
    let dir = std::env::temp_dir().join(format!("chronia-tls-echo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cert = dir.join("cert.der");
    let mut server = Command::new(util::example("tls_echo"))
        .args(["server", "127.0.0.1:0"])
        .arg(&cert)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the tls_echo example is built by cargo test");
    let mut out = BufReader::new(server.stdout.take().expect("piped"));
    let mut line = String::new();
    out.read_line(&mut line)
        .expect("the server says where it listens");
    let addr = line
        .strip_prefix("listening on ")
        .and_then(|l| l.split_whitespace().next())
        .expect("a 'listening on' line")
        .to_owned();
    for message in ["hello over TLS", "second connection"] {
        let client = Command::new(util::example("tls_echo"))
            .args(["client", &addr])
            .arg(&cert)
            .arg(message)
            .output()
            .expect("the client runs");
        assert!(client.status.success(), "{client:?}");
        let said = String::from_utf8_lossy(&client.stdout);
        assert_eq!(said.trim(), format!("echoed: {message}"));
    }
    util::send_signal(&server, libc::SIGTERM);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().expect("waitable") {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the server did not stop"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
