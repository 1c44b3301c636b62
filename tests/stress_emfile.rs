//! Stress scenario 2, fd exhaustion: a server in a child process whose
//! `RLIMIT_NOFILE` is lowered to 128 faces many more clients than it has
//! fds. Its accept loop is written as a user would write it: on `EMFILE`
//! it sleeps 10 ms and accepts again. While the clients hold their
//! connections the server is stalled; the CPU time it burns over the stall
//! (`getrusage`) must be a small part of the wall time (a busy loop would
//! burn all of it), and the retries about one per back-off. Then the
//! clients close one by one and every connection, accepted late or early,
//! must echo its own bytes.
//!
//! `harness = false`: the server is this binary run again
//! (`CHRONIA_STRESS_CHILD=server`), a process of its own for the lowered
//! limit. `CHRONIA_STRESS=full` multiplies the clients.

mod stress_util;

use std::io::{self, BufRead, BufReader};
use std::net::{Shutdown, SocketAddr};
use std::process::{Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chronia::net::{TcpListener, TcpSocket, TcpStream};
use chronia::time::sleep;
use stress_util::{self as s, Counters, Latch, Snapshot, Watchdog};

const FD_LIMIT: u64 = 128;
const BACKOFF: Duration = Duration::from_millis(10);
/// How long the server measures its stall before it reports.
const STALL: Duration = Duration::from_millis(500);
const MESSAGE: usize = 64;
const CLIENTS: &str = "CHRONIA_STRESS_CLIENTS";

fn main() {
    if s::child_role().as_deref() == Some("server") {
        server();
    } else {
        clients();
    }
}

// ---- the child: the server under a low fd limit ----

fn server() {
    let clients: usize = std::env::var(CLIENTS)
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("the parent says how many clients");
    s::set_fd_limit(FD_LIMIT);
    let counters = Counters::new(&["accepted", "emfile", "echoed", "closed"]);
    let dog = counters.clone();
    let _watchdog = Watchdog::start("stress_emfile server", watchdog_limit(), move || {
        dog.describe()
    });
    let before = Snapshot::take();
    chronia::block_on(async {
        let socket = TcpSocket::new_v4().expect("a socket");
        socket
            .bind("127.0.0.1:0".parse().expect("an address literal"))
            .expect("bind");
        let backlog = u32::try_from(clients.min(4096)).expect("small");
        let listener = socket.listen(backlog).expect("listen");
        println!("port {}", listener.local_addr().expect("bound").port());
        accept_loop(&listener, clients, &counters).await;
        s::wait_for(
            "every connection closes",
            Duration::from_secs(60),
            || counters.get("closed") == clients,
            || counters.describe(),
        )
        .await;
        assert_eq!(counters.get("echoed"), clients, "every connection echoed");
    });
    before.assert_same(&Snapshot::take(), "the server's runtime dropped");
    println!("done {}", counters.describe());
}

fn watchdog_limit() -> Duration {
    Duration::from_secs(60) * u32::try_from(s::scaled(1)).expect("small")
}

/// Accepts `clients` connections, backing off on `EMFILE`; reports the
/// first stall that lasts [`STALL`].
async fn accept_loop(listener: &TcpListener, clients: usize, counters: &Arc<Counters>) {
    let mut stall: Option<(Instant, Duration, usize)> = None;
    let mut reported = false;
    while counters.get("accepted") < clients {
        match listener.accept().await {
            Ok((stream, _)) => {
                stall = None;
                counters.add("accepted");
                drop(chronia::spawn(echo(stream, counters.clone())));
            }
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {
                counters.add("emfile");
                let now = Instant::now();
                match stall {
                    None => stall = Some((now, s::cpu_time(), counters.get("emfile"))),
                    Some((since, cpu, retries)) if !reported && now - since >= STALL => {
                        report_stall(
                            now - since,
                            s::cpu_time().saturating_sub(cpu),
                            counters.get("emfile") - retries,
                        );
                        reported = true;
                    }
                    Some(_) => {}
                }
                sleep(BACKOFF).await;
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
    assert!(reported, "the server never stalled: raise the clients");
}

fn report_stall(wall: Duration, cpu: Duration, retries: usize) {
    println!("stall wall={wall:.2?} cpu={cpu:.2?} retries={retries} (back-off {BACKOFF:?})");
    assert!(
        cpu < wall / 4,
        "the stalled accept loop burnt {cpu:?} of CPU in {wall:?}: a busy loop"
    );
    let most = usize::try_from(wall.as_millis() / BACKOFF.as_millis()).expect("small") + 2;
    assert!(
        (1..=most).contains(&retries),
        "{retries} accepts in a {wall:?} stall with a {BACKOFF:?} back-off"
    );
}

async fn echo(stream: TcpStream, counters: Arc<Counters>) {
    let mut buf = [0u8; 1024];
    let mut total = 0;
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                stream.write_all(&buf[..n]).await.expect("echo");
                total += n;
                if total == MESSAGE {
                    counters.add("echoed");
                }
            }
            Err(e) => panic!("server read: {e}"),
        }
    }
    counters.add("closed");
}

// ---- the parent: the clients ----

fn clients() {
    // Never fewer than three times the server's fd limit, or it would not
    // run out (under valgrind `s::scaled` divides the 1,000 by 10).
    let least = 3 * usize::try_from(FD_LIMIT).expect("small");
    let clients = s::scaled(1_000).max(least);
    println!(
        "stress_emfile: {clients} clients against a server with RLIMIT_NOFILE {FD_LIMIT}, \
         back-off {BACKOFF:?}, stall measured over {STALL:?}"
    );
    let start = Instant::now();
    let server = Server::start(clients);
    let counters = Counters::new(&["connected", "echoed", "closed"]);
    let dog = (counters.clone(), server.clone());
    let _watchdog = Watchdog::start("stress_emfile clients", watchdog_limit(), move || {
        format!("{}; {}", dog.0.describe(), dog.1.output())
    });
    s::wait_until(
        "the server listens",
        Duration::from_secs(30),
        || server.line_with("port ").is_some(),
        || server.output(),
    );
    let port: u16 = server
        .line_with("port ")
        .and_then(|l| l["port ".len()..].parse().ok())
        .expect("a port number");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    chronia::block_on(async {
        let release = Rc::new(Latch::default());
        let tasks: Vec<_> = (0..clients)
            .map(|i| {
                let (release, counters, server) =
                    (release.clone(), counters.clone(), server.clone());
                chronia::spawn(async move {
                    if let Err(e) = client(addr, i, &release, &counters).await {
                        server.fail_if_it_failed();
                        panic!("client {i}: {e}");
                    }
                })
            })
            .collect();
        s::wait_for(
            "the server reports its stall",
            Duration::from_secs(60),
            || {
                server.fail_if_it_failed_now();
                server.line_with("stall ").is_some()
            },
            || format!("{}; {}", counters.describe(), server.output()),
        )
        .await;
        let echoed_in_stall = counters.get("echoed");
        assert!(
            (1..clients).contains(&echoed_in_stall),
            "{echoed_in_stall} of {clients} echoed while the server was out of fds"
        );
        release.open();
        for task in tasks {
            task.await.expect("a client does not panic");
        }
        println!("stress_emfile: {echoed_in_stall} connections echoed during the stall");
    });
    s::wait_until(
        "the server exits",
        Duration::from_secs(30),
        || server.status().is_some(),
        || server.output(),
    );
    server.fail_if_it_failed_now();
    print!("{}", server.output());
    assert_eq!(counters.get("closed"), clients);
    println!(
        "stress_emfile: ok in {:.2?}; {}",
        start.elapsed(),
        counters.describe()
    );
}

/// The server child: what it printed and how it ended, filled in by
/// threads of the parent.
#[derive(Clone)]
struct Server(Arc<Mutex<(Vec<String>, Option<ExitStatus>)>>);

impl Server {
    fn start(clients: usize) -> Server {
        let mut child = Command::new(std::env::current_exe().expect("the test binary has a path"))
            .env(s::CHILD, "server")
            .env(CLIENTS, clients.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let server = Server(Arc::default());
        let lines = |pipe: Box<dyn io::Read + Send>, tag: &'static str| {
            let server = server.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    server.lock().0.push(format!("{tag}{line}"));
                }
            })
        };
        let out = lines(Box::new(child.stdout.take().expect("piped")), "");
        let err = lines(Box::new(child.stderr.take().expect("piped")), "stderr: ");
        let waiter = server.clone();
        std::thread::spawn(move || {
            let status = child.wait().expect("wait for the server");
            let _ = (out.join(), err.join());
            waiter.lock().1 = Some(status);
        });
        server
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<String>, Option<ExitStatus>)> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn line_with(&self, prefix: &str) -> Option<String> {
        self.lock()
            .0
            .iter()
            .find(|l| l.starts_with(prefix))
            .cloned()
    }

    fn status(&self) -> Option<ExitStatus> {
        self.lock().1
    }

    fn output(&self) -> String {
        let state = self.lock();
        let mut text = format!("server ({:?}) said:\n", state.1);
        for line in &state.0 {
            text.push_str("  server: ");
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Panics with the server's output if it has ended in failure.
    fn fail_if_it_failed_now(&self) {
        assert!(
            self.status().is_none_or(|s| s.success()),
            "the server failed; {}",
            self.output()
        );
    }

    /// As [`Self::fail_if_it_failed_now`], after giving a server that is
    /// going down time to end: a client's error is most often its echo.
    fn fail_if_it_failed(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.status().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.fail_if_it_failed_now();
    }
}

async fn client(
    addr: SocketAddr,
    i: usize,
    release: &Latch,
    counters: &Counters,
) -> io::Result<()> {
    let stream = TcpStream::connect(addr).await?;
    counters.add("connected");
    let message: Vec<u8> = format!("{i:08}").repeat(MESSAGE / 8).into_bytes();
    stream.write_all(&message).await?;
    let mut got = [0u8; MESSAGE];
    let mut filled = 0;
    while filled < MESSAGE {
        match stream.read(&mut got[filled..]).await? {
            0 => {
                return Err(io::Error::other(format!(
                    "end of file after {filled} bytes"
                )));
            }
            n => filled += n,
        }
    }
    assert_eq!(&got[..], &message[..], "client {i} got another's bytes");
    counters.add("echoed");
    // Hold the server's fd until the stall has been measured.
    release.wait().await;
    stream.shutdown(Shutdown::Write)?;
    assert_eq!(
        stream.read(&mut got).await?,
        0,
        "client {i}: bytes after the echo"
    );
    counters.add("closed");
    Ok(())
}
