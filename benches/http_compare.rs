//! hyper HTTP/1.1 side by side: the same hello-world handler on chronia
//! (through `chronia::compat::hyper`), tokio `current_thread` (hyper-util's
//! `TokioIo`) and smol (`LocalExecutor` + async-io, through a safe
//! futures-io adapter that reads into a zeroed stack buffer and copies, as
//! smol-hyper's zero-fill costs), in one run, rounds interleaved. All three
//! give hyper a timer, so all three run its header-read timeout (a sleep
//! made and dropped per request).
//!
//! Run: `CARGO_TARGET_DIR=target-bench cargo bench --bench http_compare`
//! (`-- --secs S --rounds N` to change the measured window and the rounds).
//!
//! The load: 50 keep-alive connections over 127.0.0.1, each sending
//! `GET / HTTP/1.1` and reading the whole response before the next, for
//! 3 s after a 0.5 s warm-up; 3 rounds, the median of each figure is
//! reported. Each server runs in a child process (this executable re-run
//! with `--server NAME`), pinned to CPU 1 with `taskset` when there is one;
//! the load client (this process, one chronia thread) re-runs itself pinned
//! to CPU 0. Printed per row: requests/s, p50 and p99 latency, the server's
//! CPU time per request (the scheduler's run time of its threads, from
//! `/proc/PID/task/*/schedstat`, in ns: the stable figure on a noisy
//! machine), how often the server was scheduled in per request (its
//! wake-ups from `epoll_wait`, which cost CPU of their own), and, where `perf` can count the
//! `raw_syscalls:sys_enter` tracepoint, the server's syscalls per request
//! (in an extra window per server, not part of the other figures).
//!
//! Nothing is asserted about time.

use std::cell::RefCell;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::rc::Rc;
use std::time::{Duration, Instant};

use chronia::net::TcpStream;

#[path = "support/mod.rs"]
mod support;
use support::{
    PERF_INTERVAL_MS, PerfStat, Server, announce, cpu_time, median, perf_usable, times_run,
};

/// Client connections.
const CONNS: usize = 50;
/// Load before each measured window, not counted.
const WARMUP: Duration = Duration::from_millis(500);
/// Default measured window and rounds.
const SECS: f64 = 3.0;
const ROUNDS: usize = 3;

const SERVERS: [&str; 3] = ["chronia", "tokio", "smol"];
/// The CPUs of the servers and of the load client (with `taskset`).
const SERVER_CPU: &str = "1";
const CLIENT_CPU: &str = "0";
/// Set in the re-run of this process pinned to `CLIENT_CPU`.
const PINNED: &str = "CHRONIA_HTTP_COMPARE_PINNED";

fn has_taskset() -> bool {
    Command::new("taskset")
        .args(["-c", "0", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

// --- servers (child processes) -----------------------------------------------

fn listen_addr() -> SocketAddr {
    (Ipv4Addr::LOCALHOST, 0).into()
}

async fn hello(
    _req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    Ok(hyper::Response::new(Full::new(Bytes::from_static(
        b"hello",
    ))))
}

fn serve_chronia() -> io::Result<()> {
    use chronia::compat::hyper::{Io, Timer};
    chronia::block_on(async {
        let listener = chronia::net::TcpListener::bind(listen_addr()).await?;
        announce(listener.local_addr()?.port())?;
        loop {
            let (stream, _) = listener.accept().await?;
            drop(chronia::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(Timer::new())
                    .serve_connection(Io::new(stream), hyper::service::service_fn(hello))
                    .await;
            }));
        }
    })
}

fn serve_tokio() -> io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen_addr()).await?;
        announce(listener.local_addr()?.port())?;
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(hello))
                    .await;
            });
        }
    })
}

/// hyper I/O over a futures-io stream with no unsafe: each read goes into
/// a zeroed stack buffer and is copied into hyper's (the cost of
/// smol-hyper's zero-fill, plus a copy).
struct SmolIo(smol::net::TcpStream);

impl hyper::rt::Read for SmolIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let mut tmp = [0u8; 8192];
        let len = buf.remaining().min(tmp.len());
        match futures_io::AsyncRead::poll_read(Pin::new(&mut self.0), cx, &mut tmp[..len]) {
            Poll::Ready(Ok(n)) => {
                buf.put_slice(&tmp[..n]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl hyper::rt::Write for SmolIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

/// hyper's timer over async-io's `Timer`, so that the smol server runs
/// hyper's header-read timeout as the other two do (without a timer hyper
/// silently skips it, and with it the work of one timer per request).
#[derive(Clone, Copy)]
struct SmolTimer;

struct SmolSleep(smol::Timer);

impl std::future::Future for SmolSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}

impl hyper::rt::Sleep for SmolSleep {}

impl hyper::rt::Timer for SmolTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep(smol::Timer::after(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep(smol::Timer::at(deadline)))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        if let Some(mut ours) = sleep.as_mut().downcast_mut_pin::<SmolSleep>() {
            ours.0.set_at(new_deadline);
        } else {
            *sleep = self.sleep_until(new_deadline);
        }
    }
}

fn serve_smol() -> io::Result<()> {
    let ex = smol::LocalExecutor::new();
    // `smol::block_on` is async-io's: it drives the reactor on this thread.
    smol::block_on(ex.run(async {
        let listener = smol::net::TcpListener::bind(listen_addr()).await?;
        announce(listener.local_addr()?.port())?;
        loop {
            let (stream, _) = listener.accept().await?;
            ex.spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(SmolTimer)
                    .serve_connection(SmolIo(stream), hyper::service::service_fn(hello))
                    .await;
            })
            .detach();
        }
    }))
}

// --- the load generator --------------------------------------------------------

/// One measured window.
struct Window {
    requests: u64,
    /// Latency percentiles, µs.
    p50: u32,
    p99: u32,
    elapsed: Duration,
    server_cpu: Duration,
    client_cpu: Duration,
    /// Times the server's threads were scheduled in during the window.
    server_runs: u64,
    /// With perf: the server's syscalls during the window.
    syscalls: Option<u64>,
}

impl Window {
    fn rate(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "a rate to print")]
        let n = self.requests as f64;
        n / self.elapsed.as_secs_f64()
    }

    /// Server CPU time per request, µs.
    fn cpu_per_request(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "a ratio to print")]
        let n = self.requests.max(1) as f64;
        self.server_cpu.as_secs_f64() * 1e6 / n
    }

    /// Times the server was scheduled in per request.
    fn runs_per_request(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "a ratio to print")]
        let (runs, n) = (self.server_runs as f64, self.requests.max(1) as f64);
        runs / n
    }

    fn server_load(&self) -> f64 {
        100.0 * self.server_cpu.as_secs_f64() / self.elapsed.as_secs_f64()
    }

    fn client_load(&self) -> f64 {
        100.0 * self.client_cpu.as_secs_f64() / self.elapsed.as_secs_f64()
    }
}

/// Requests on one keep-alive connection until `until`; each one's
/// latency in µs goes to `latencies`.
async fn ping_pong(
    stream: Rc<TcpStream>,
    until: Instant,
    latencies: Rc<RefCell<Vec<u32>>>,
) -> io::Result<()> {
    let request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    while Instant::now() < until {
        let sent = Instant::now();
        stream.write_all(request).await?;
        loop {
            if let Some(len) = response_len(&buf)
                && buf.len() >= len
            {
                buf.drain(..len);
                break;
            }
            match stream.read(&mut chunk).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let micros = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
        latencies.borrow_mut().push(micros);
    }
    Ok(())
}

/// The length of the response at the front of `buf` (head + body), once
/// its head is complete.
fn response_len(buf: &[u8]) -> Option<usize> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let body = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    Some(head_end + body)
}

/// Load on all connections for `length`; requests and wall time until the
/// last echo. The connections stay open and idle afterwards.
async fn phase(conns: &[Rc<TcpStream>], length: Duration) -> (Vec<u32>, Duration) {
    let count = Rc::new(RefCell::new(Vec::new()));
    let start = Instant::now();
    let until = start + length;
    let tasks: Vec<_> = conns
        .iter()
        .map(|c| chronia::spawn(ping_pong(Rc::clone(c), until, Rc::clone(&count))))
        .collect();
    for task in tasks {
        task.await.expect("no panic").expect("the server answers");
    }
    let latencies = count.take();
    (latencies, start.elapsed())
}

/// Connects, warms up, then measures one window (with perf attached to
/// the server between two idle moments if `with_perf`).
fn measure(server: &Server, length: Duration, with_perf: bool) -> Window {
    let addr = server.addr;
    let pid = server.pid().to_string();
    chronia::block_on(async move {
        let mut conns = Vec::with_capacity(CONNS);
        for _ in 0..CONNS {
            let stream = TcpStream::connect(addr).await.expect("the server accepts");
            conns.push(Rc::new(stream));
        }
        phase(&conns, WARMUP).await;
        // Blocking this thread is fine here: every connection is idle.
        let perf = if with_perf {
            PerfStat::attach(server.pid())
        } else {
            None
        };
        let (server_cpu, client_cpu) = (cpu_time(&pid), cpu_time("self"));
        let server_runs = times_run(&pid);
        let (mut latencies, elapsed) = phase(&conns, length).await;
        latencies.sort_unstable();
        let requests = latencies.len() as u64;
        let pct = |p: usize| {
            latencies
                .get(latencies.len() * p / 100)
                .copied()
                .unwrap_or(0)
        };
        let (p50, p99) = (pct(50), pct(99));
        let server_cpu = cpu_time(&pid).saturating_sub(server_cpu);
        let client_cpu = cpu_time("self").saturating_sub(client_cpu);
        let server_runs = times_run(&pid).saturating_sub(server_runs);
        let syscalls = perf.and_then(|perf| {
            // Let the server go back to sleep, for at least one full
            // interval of perf, before stopping it.
            std::thread::sleep(Duration::from_millis(2 * u64::from(PERF_INTERVAL_MS)));
            perf.stop()
        });
        Window {
            requests,
            p50,
            p99,
            elapsed,
            server_cpu,
            client_cpu,
            server_runs,
            syscalls,
        }
    })
}

// --- main ------------------------------------------------------------------------

struct Options {
    server: Option<String>,
    secs: f64,
    rounds: usize,
}

fn options() -> Options {
    let mut o = Options {
        server: None,
        secs: SECS,
        rounds: ROUNDS,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("a value after the option");
        match arg.as_str() {
            "--server" => o.server = Some(value()),
            "--secs" => o.secs = value().parse().expect("a number of seconds"),
            "--rounds" => o.rounds = value().parse().expect("a number of rounds"),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    o
}

/// Re-runs this process pinned to `CLIENT_CPU` (once), if `taskset` is
/// there, and exits with its status.
fn pin_self() -> io::Result<()> {
    if std::env::var_os(PINNED).is_none() && has_taskset() {
        let status = Command::new("taskset")
            .args(["-c", CLIENT_CPU])
            .arg(std::env::current_exe()?)
            .args(std::env::args_os().skip(1))
            .env(PINNED, "1")
            .status()?;
        std::process::exit(status.code().unwrap_or(1));
    }
    Ok(())
}

#[expect(
    clippy::too_many_lines,
    reason = "one linear script: start, measure, print"
)]
fn main() -> io::Result<()> {
    let o = options();
    match o.server.as_deref() {
        Some("chronia") => return serve_chronia(),
        Some("tokio") => return serve_tokio(),
        Some("smol") => return serve_smol(),
        Some(other) => panic!("unknown server {other:?}"),
        None => {}
    }
    pin_self()?;
    let length = Duration::from_secs_f64(o.secs);
    let rounds = o.rounds.max(1);
    let servers = SERVERS.map(|name| Server::start(name, has_taskset().then_some(SERVER_CPU)));
    println!(
        "http_compare: hyper HTTP/1.1 hello world, {CONNS} keep-alive connections over 127.0.0.1, \
         {rounds} round{} of {:.1} s (after {:.1} s of warm-up) per server",
        if rounds == 1 { "" } else { "s" },
        length.as_secs_f64(),
        WARMUP.as_secs_f64()
    );
    println!(
        "servers: chronia (compat::hyper), tokio current_thread (TokioIo), smol LocalExecutor (zero-fill adapter, async-io timer); each with hyper's header-read timer; pinned: {}",
        if std::env::var_os(PINNED).is_some() {
            "servers CPU 1, client CPU 0"
        } else {
            "no (taskset missing)"
        }
    );
    println!(
        "{:<6} {:<8} {:>11} {:>9} {:>9} {:>11} {:>11} {:>14} {:>13}",
        "round",
        "server",
        "requests/s",
        "p50 µs",
        "p99 µs",
        "server CPU",
        "client CPU",
        "server µs/req",
        "wake-ups/req"
    );
    let mut rates: [Vec<f64>; 3] = Default::default();
    let mut efficiency: [Vec<f64>; 3] = Default::default();
    for round in 1..=rounds {
        for ((server, rates), efficiency) in servers.iter().zip(&mut rates).zip(&mut efficiency) {
            let w = measure(server, length, false);
            println!(
                "{round:<6} {:<8} {:>11.0} {:>9} {:>9} {:>10.0}% {:>10.0}% {:>14.2} {:>13.3}",
                server.name,
                w.rate(),
                w.p50,
                w.p99,
                w.server_load(),
                w.client_load(),
                w.cpu_per_request(),
                w.runs_per_request()
            );
            rates.push(w.rate());
            efficiency.push(w.cpu_per_request());
        }
    }
    let perf = perf_usable();
    let syscalls: Vec<Option<(f64, f64)>> = servers
        .iter()
        .map(|server| {
            if !perf {
                return None;
            }
            let w = measure(server, length, true);
            #[expect(clippy::cast_precision_loss, reason = "a ratio to print")]
            let per_request = w.syscalls? as f64 / w.requests.max(1) as f64;
            Some((per_request, w.rate()))
        })
        .collect();
    let medians = rates.map(median);
    let efficiency = efficiency.map(median);
    println!();
    println!(
        "{:<8} {:>13} {:>13} {:>17} {:>13} {:>17}",
        "server",
        "median req/s",
        "chronia/this",
        "server µs/req",
        "chronia/this",
        "syscalls/request"
    );
    for (((name, rate), per_cpu), syscalls) in
        SERVERS.iter().zip(medians).zip(efficiency).zip(&syscalls)
    {
        let syscalls = match syscalls {
            Some((per_request, perf_rate)) => {
                format!("{per_request:>17.2}   (perf window: {perf_rate:.0} req/s)")
            }
            None if perf => format!("{:>17}", "perf failed"),
            None => format!("{:>17}", "skipped"),
        };
        println!(
            "{name:<8} {rate:>13.0} {:>13.2} {per_cpu:>17.2} {:>13.2} {syscalls}",
            medians[0] / rate,
            efficiency[0] / per_cpu
        );
    }
    if !perf {
        println!(
            "syscalls/request skipped: `perf stat -e raw_syscalls:sys_enter` is not usable here"
        );
    }
    drop(servers);
    Ok(())
}
