//! An HTTP/1.1 server with hyper on chronia, through `chronia::compat::hyper`
//! (feature `hyper`).
//!
//! - `GET /` answers `hello`; `POST /echo` streams the request body back;
//!   `GET /slow?ms=N` answers after N milliseconds (to watch a graceful
//!   shutdown wait for it).
//! - Keep-alive is on; a client that has not sent a whole request head
//!   within 10 s is disconnected (hyper's header-read timeout, which needs
//!   the chronia `Timer`).
//! - On SIGINT or SIGTERM it stops accepting, asks every open connection to
//!   finish its in-flight request and close (`graceful_shutdown`), waits for
//!   them up to a grace period (5 s, or `CHRONIA_HTTP_GRACE_MS`), then
//!   exits 0. A second signal during the grace period ends it at once.
//!
//! ```text
//! cargo run --release --features hyper --example http [ADDR] [--cores N]   # default 127.0.0.1:8080
//! curl http://127.0.0.1:8080/
//! curl --data-binary @Cargo.toml http://127.0.0.1:8080/echo
//! ```
//!
//! The address also comes from `CHRONIA_HTTP_ADDR`; port 0 picks a free
//! port, and the first line printed says which.
//!
//! With `--cores N` the server runs on N shards
//! (`runtime::Builder::build_per_core`), each with its own runtime and its
//! own `SO_REUSEPORT` listener on the one port (reserved by the main thread
//! first, so that port 0 gives every shard the same), the kernel spreading
//! connections among them; each response then says which shard answered
//! (`x-shard`). Every shard listens for SIGINT/SIGTERM itself, so one
//! signal to the process shuts every shard down as above; a shard that
//! fails stops the others through their runtimes' `Handle::stop`.

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::io::{self, Write};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use chronia::compat::hyper::{Io, Timer};
use chronia::net::{TcpListener, TcpSocket};
use chronia::runtime::{Builder, Handle, Shard};
use chronia::signal::{SIGINT, SIGTERM, Signal, signal};
use chronia::time::{Instant, sleep};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_GRACE: Duration = Duration::from_secs(5);

type Body = UnsyncBoxBody<Bytes, hyper::Error>;

fn main() -> io::Result<()> {
    let (addr, cores) = parse_args()?;
    let grace = std::env::var("CHRONIA_HTTP_GRACE_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(DEFAULT_GRACE, Duration::from_millis);
    match cores {
        None => chronia::block_on(async {
            let signals = (signal(SIGINT)?, signal(SIGTERM)?);
            let listener = TcpListener::bind(&addr).await?;
            say(&format!("listening on {}", listener.local_addr()?));
            let left = serve(listener, signals, std::future::pending(), grace, None).await;
            say(&format!("{}; bye", farewell("", left)));
            Ok(())
        }),
        Some(cores) => per_core(&addr, cores, grace),
    }
}

/// `[ADDR] [--cores N]`.
fn parse_args() -> io::Result<(String, Option<usize>)> {
    let mut addr =
        std::env::var("CHRONIA_HTTP_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let mut cores = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--cores" {
            let n = args.next().unwrap_or_default();
            cores = Some(n.parse().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("--cores {n:?}: not a number"),
                )
            })?);
        } else {
            addr = arg;
        }
    }
    Ok((addr, cores))
}

/// The server on `cores` shards, one `SO_REUSEPORT` listener each.
fn per_core(addr: &str, cores: usize, grace: Duration) -> io::Result<()> {
    let addr: std::net::SocketAddr = addr.parse().map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("address {addr:?}: {e}"),
        )
    })?;
    // One bound, never-listening socket holds the port for all shards.
    let reserved = match addr {
        std::net::SocketAddr::V4(_) => TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    reserved.set_reuseport(true)?;
    reserved.bind(addr)?;
    let addr = reserved.local_addr()?;
    // Each shard's runtime handle, so that a failing shard stops the others.
    let handles = std::sync::Mutex::new(Vec::new());
    let ready = std::sync::atomic::AtomicUsize::new(0);
    let results = Builder::new()
        .build_per_core(cores)?
        .block_on_all(|shard| {
            let (handles, ready) = (&handles, &ready);
            async move {
                handles
                    .lock()
                    .expect("no shard panics holding it")
                    .push(Handle::current());
                let result = shard_main(&shard, addr, ready, grace).await;
                if result.is_err() {
                    for handle in handles.lock().expect("no shard panics holding it").iter() {
                        handle.stop();
                    }
                }
                result
            }
        })?;
    drop(reserved);
    for (index, result) in results.into_iter().enumerate() {
        result.map_err(|e| io::Error::new(e.kind(), format!("shard {index}: {e}")))?;
    }
    say(&format!("all {cores} shards stopped; bye"));
    Ok(())
}

/// One shard: its signals first (once "listening" is printed, a signal
/// finds every shard listening), then its listener, then the server.
async fn shard_main(
    shard: &Shard,
    addr: std::net::SocketAddr,
    ready: &std::sync::atomic::AtomicUsize,
    grace: Duration,
) -> io::Result<()> {
    let signals = (signal(SIGINT)?, signal(SIGTERM)?);
    let listener = TcpListener::bind_reuseport(addr)?;
    if ready.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == shard.shards() {
        say(&format!(
            "listening on {} with {} shard(s)",
            listener.local_addr()?,
            shard.shards()
        ));
    }
    let left = serve(
        listener,
        signals,
        shard.stopped(),
        grace,
        Some(shard.index()),
    )
    .await;
    say(&farewell(&format!("shard {}: ", shard.index()), left));
    Ok(())
}

/// Serves until a signal (or `stopped`), then shuts down gracefully within
/// `grace`; returns how many connections were still open after it.
/// `shard` names the shard in what it prints and answers.
async fn serve(
    listener: TcpListener,
    (mut interrupt, mut terminate): (Signal, Signal),
    stopped: impl Future<Output = ()>,
    grace: Duration,
    shard: Option<usize>,
) -> usize {
    let prefix = shard.map_or_else(String::new, |i| format!("shard {i}: "));
    let stop = Rc::new(Stop::default());
    let open = Rc::new(Cell::new(0usize));
    let server = chronia::spawn(accept_loop(listener, open.clone(), stop.clone(), shard));
    let why = first_of(interrupt.recv(), terminate.recv(), stopped).await;
    // Dropped at once: a second signal during the grace period ends the
    // process.
    drop((interrupt, terminate));
    server.abort();
    stop.trigger();
    say(&format!(
        "{prefix}{why}: stopped accepting; {} connection(s) open, waiting up to {grace:?}",
        open.get()
    ));
    let deadline = Instant::now() + grace;
    while open.get() > 0 && Instant::now() < deadline {
        sleep(Duration::from_millis(10)).await;
    }
    open.get()
}

/// What is said when a server is done: `left` connections were still open.
fn farewell(prefix: &str, left: usize) -> String {
    match left {
        0 => format!("{prefix}all connections closed"),
        n => format!("{prefix}grace period over; closing {n} connection(s)"),
    }
}

async fn accept_loop(
    listener: TcpListener,
    open: Rc<Cell<usize>>,
    stop: Rc<Stop>,
    shard: Option<usize>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(Timer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept: {e}");
                // Out of fds, say: the connection stays queued; retrying at
                // once would spin.
                sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let service = hyper::service::service_fn(move |req| route(req, shard));
        let conn = http.serve_connection(Io::new(stream), service);
        let (open, stop) = (open.clone(), stop.clone());
        open.set(open.get() + 1);
        drop(chronia::spawn(async move {
            let mut conn = pin!(conn);
            let mut asked = false;
            let result = poll_fn(|cx| {
                if !asked && stop.poll_triggered(cx).is_ready() {
                    // Finishes the request in flight, then closes.
                    conn.as_mut().graceful_shutdown();
                    asked = true;
                }
                conn.as_mut().poll(cx)
            })
            .await;
            if let Err(e) = result {
                eprintln!("{peer}: {e}");
            }
            open.set(open.get() - 1);
        }));
    }
}

async fn route(req: Request<Incoming>, shard: Option<usize>) -> Result<Response<Body>, Infallible> {
    let text = |s: &'static str| {
        Full::new(Bytes::from_static(s.as_bytes()))
            .map_err(|n| match n {})
            .boxed_unsync()
    };
    let mut response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => Response::new(text("hello\n")),
        (&Method::POST, "/echo") => Response::new(req.into_body().boxed_unsync()),
        (&Method::GET, "/slow") => {
            let ms = req
                .uri()
                .query()
                .and_then(|q| q.strip_prefix("ms="))
                .and_then(|ms| ms.parse().ok())
                .unwrap_or(1000);
            say(&format!("slow request: answering in {ms} ms"));
            sleep(Duration::from_millis(ms)).await;
            Response::new(text("slow\n"))
        }
        _ => {
            let mut res = Response::new(text("not found\n"));
            *res.status_mut() = StatusCode::NOT_FOUND;
            res
        }
    };
    if let Some(shard) = shard {
        response
            .headers_mut()
            .insert("x-shard", hyper::header::HeaderValue::from(shard));
    }
    Ok(response)
}

/// A one-shot stop flag that tasks can wait on.
#[derive(Default)]
struct Stop {
    triggered: Cell<bool>,
    waiters: RefCell<Vec<Waker>>,
}

impl Stop {
    fn trigger(&self) {
        self.triggered.set(true);
        for w in self.waiters.take() {
            w.wake();
        }
    }

    fn poll_triggered(&self, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.triggered.get() {
            return Poll::Ready(());
        }
        let mut waiters = self.waiters.borrow_mut();
        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Waits for whichever comes first; says which.
async fn first_of(
    interrupt: impl Future<Output = ()>,
    terminate: impl Future<Output = ()>,
    stopped: impl Future<Output = ()>,
) -> String {
    let (mut interrupt, mut terminate, mut stopped) =
        (pin!(interrupt), pin!(terminate), pin!(stopped));
    poll_fn(|cx| {
        if interrupt.as_mut().poll(cx).is_ready() {
            Poll::Ready(format!("signal {SIGINT}"))
        } else if terminate.as_mut().poll(cx).is_ready() {
            Poll::Ready(format!("signal {SIGTERM}"))
        } else if stopped.as_mut().poll(cx).is_ready() {
            Poll::Ready("told to stop".to_owned())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Prints a line and flushes, so that a supervisor (or a test) sees it now.
fn say(line: &str) {
    let mut stdout = io::stdout();
    // Nothing useful to do if stdout is gone.
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}
