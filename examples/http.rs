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
//! cargo run --release --features hyper --example http [ADDR]   # default 127.0.0.1:8080
//! curl http://127.0.0.1:8080/
//! curl --data-binary @Cargo.toml http://127.0.0.1:8080/echo
//! ```
//!
//! The address also comes from `CHRONIA_HTTP_ADDR`; port 0 picks a free
//! port, and the first line printed says which.

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
use chronia::net::TcpListener;
use chronia::signal::{SIGINT, SIGTERM, signal};
use chronia::time::{Instant, sleep};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_GRACE: Duration = Duration::from_secs(5);

type Body = UnsyncBoxBody<Bytes, hyper::Error>;

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("CHRONIA_HTTP_ADDR").ok())
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let grace = std::env::var("CHRONIA_HTTP_GRACE_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(DEFAULT_GRACE, Duration::from_millis);
    chronia::block_on(async {
        let mut interrupt = signal(SIGINT)?;
        let mut terminate = signal(SIGTERM)?;
        let listener = TcpListener::bind(&addr).await?;
        say(&format!("listening on {}", listener.local_addr()?));

        let stop = Rc::new(Stop::default());
        let open = Rc::new(Cell::new(0usize));
        let server = chronia::spawn(accept_loop(listener, open.clone(), stop.clone()));
        let signo = first_of(interrupt.recv(), terminate.recv()).await;
        drop((interrupt, terminate));
        server.abort();
        stop.trigger();
        say(&format!(
            "signal {signo}: stopped accepting; {} connection(s) open, waiting up to {grace:?}",
            open.get()
        ));
        let deadline = Instant::now() + grace;
        while open.get() > 0 && Instant::now() < deadline {
            sleep(Duration::from_millis(10)).await;
        }
        match open.get() {
            0 => say("all connections closed; bye"),
            n => say(&format!(
                "grace period over; closing {n} connection(s); bye"
            )),
        }
        Ok(())
    })
}

async fn accept_loop(listener: TcpListener, open: Rc<Cell<usize>>, stop: Rc<Stop>) {
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
        let conn = http.serve_connection(Io::new(stream), hyper::service::service_fn(route));
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

async fn route(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let text = |s: &'static str| {
        Full::new(Bytes::from_static(s.as_bytes()))
            .map_err(|n| match n {})
            .boxed_unsync()
    };
    let response = match (req.method(), req.uri().path()) {
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

/// Waits for whichever signal comes first; returns its number.
async fn first_of(interrupt: impl Future<Output = ()>, terminate: impl Future<Output = ()>) -> i32 {
    let (mut interrupt, mut terminate) = (pin!(interrupt), pin!(terminate));
    poll_fn(|cx| {
        if interrupt.as_mut().poll(cx).is_ready() {
            Poll::Ready(SIGINT)
        } else if terminate.as_mut().poll(cx).is_ready() {
            Poll::Ready(SIGTERM)
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
