//! TCP echo side by side: chronia, tokio (`current_thread` runtime) and smol
//! (`LocalExecutor` + async-io), in one run, printed with the ratio
//! chronia/peer of requests per second (above 1 means chronia serves more).
//!
//! Run: `CARGO_TARGET_DIR=target-bench cargo bench --bench echo_compare`
//! (`-- --secs S --rounds N` to change the measured window and the rounds).
//!
//! The load: 50 connections over 127.0.0.1, each sending a 64-byte message
//! and waiting for its echo, again and again (ping-pong), for 3 s after a
//! 0.5 s warm-up. The three servers take turns (chronia, tokio, smol,
//! chronia, ...) for 3 rounds; the median of each is reported.
//!
//! Each server runs in a child process of its own, this executable re-run
//! with `--server NAME`: it binds 127.0.0.1:0, prints its port, serves one
//! task per connection (a 4 KiB buffer, `read` then `write_all` until
//! end-of-file) and exits when its stdin closes. The structure is the same
//! for the three, so only the runtime differs.
//!
//! The load generator is this process, one thread: a chronia runtime with
//! one task per connection. A single non-blocking thread leaves the other of
//! two cores to the server (50 blocking client threads would compete with
//! it for CPU and add context switches to every request), and it is the same
//! client for the three servers. The CPU time of the server and of the
//! client over each window is printed: a server below ~100% means the
//! client or the loopback, not the server, bounds that row (or that other
//! processes took the CPU). Requests per second of server CPU time are
//! printed too, with their own median and ratio: they measure how much each
//! server does with the CPU it gets, and move less than the rate when other
//! processes share the machine; they are approximate, as over loopback the
//! kernel charges part of the receiving side's TCP work to the sender.
//!
//! Syscalls per request: when `perf` can count the `raw_syscalls:sys_enter`
//! tracepoint, one extra window per server is run with
//! `perf stat -e raw_syscalls:sys_enter -p PID` attached to the server
//! (all its threads) and the count is divided by the requests of that
//! window. perf attaches while the connections are idle and stops after
//! they are idle again, so only the window's syscalls are counted; that
//! window is not part of the throughput figures (the tracepoint slows every
//! syscall down). Without a usable perf, the column says so.
//!
//! Nothing is asserted about time.

use std::cell::Cell;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use chronia::net::TcpStream;

#[path = "support/mod.rs"]
mod support;
use support::{PERF_INTERVAL_MS, PerfStat, Server, announce, cpu_time, median, perf_usable};

/// Client connections.
const CONNS: usize = 50;
/// Bytes per message.
const MESSAGE: usize = 64;
/// The servers' read buffer.
const BUFFER: usize = 4 * 1024;
/// Load before each measured window, not counted.
const WARMUP: Duration = Duration::from_millis(500);
/// Default measured window and rounds.
const SECS: f64 = 3.0;
const ROUNDS: usize = 3;

const SERVERS: [&str; 3] = ["chronia", "tokio", "smol"];

// --- servers (child processes) -----------------------------------------------

fn listen_addr() -> SocketAddr {
    (Ipv4Addr::LOCALHOST, 0).into()
}

fn serve_chronia() -> io::Result<()> {
    chronia::block_on(async {
        let listener = chronia::net::TcpListener::bind(listen_addr()).await?;
        announce(listener.local_addr()?.port())?;
        loop {
            let (stream, _) = listener.accept().await?;
            drop(chronia::spawn(async move {
                let mut buf = vec![0; BUFFER];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }));
        }
    })
}

fn serve_tokio() -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen_addr()).await?;
        announce(listener.local_addr()?.port())?;
        loop {
            let (mut stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                let mut buf = vec![0; BUFFER];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    })
}

fn serve_smol() -> io::Result<()> {
    use smol::io::{AsyncReadExt, AsyncWriteExt};
    let ex = smol::LocalExecutor::new();
    // `smol::block_on` is async-io's: it drives the reactor on this thread.
    smol::block_on(ex.run(async {
        let listener = smol::net::TcpListener::bind(listen_addr()).await?;
        announce(listener.local_addr()?.port())?;
        loop {
            let (mut stream, _) = listener.accept().await?;
            ex.spawn(async move {
                let mut buf = vec![0; BUFFER];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            })
            .detach();
        }
    }))
}

// --- the load generator --------------------------------------------------------

/// One measured window.
struct Window {
    requests: u64,
    elapsed: Duration,
    server_cpu: Duration,
    client_cpu: Duration,
    /// With perf: the server's syscalls during the window.
    syscalls: Option<u64>,
}

impl Window {
    fn rate(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "a rate to print")]
        let n = self.requests as f64;
        n / self.elapsed.as_secs_f64()
    }

    /// Requests per second of server CPU time: how much the server does
    /// with the CPU it gets, less sensitive than the rate to other
    /// processes taking CPU from the run.
    fn per_server_cpu(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "a rate to print")]
        let n = self.requests as f64;
        n / self.server_cpu.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    fn server_load(&self) -> f64 {
        100.0 * self.server_cpu.as_secs_f64() / self.elapsed.as_secs_f64()
    }

    fn client_load(&self) -> f64 {
        100.0 * self.client_cpu.as_secs_f64() / self.elapsed.as_secs_f64()
    }
}

/// Ping-pong on one connection until `until`, one request counted per echo.
async fn ping_pong(stream: Rc<TcpStream>, until: Instant, count: Rc<Cell<u64>>) -> io::Result<()> {
    let msg = [b'x'; MESSAGE];
    let mut buf = [0; MESSAGE];
    while Instant::now() < until {
        stream.write_all(&msg).await?;
        let mut got = 0;
        while got < MESSAGE {
            match stream.read(&mut buf[got..]).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => got += n,
            }
        }
        count.set(count.get() + 1);
    }
    Ok(())
}

/// Load on all connections for `length`; requests and wall time until the
/// last echo. The connections stay open and idle afterwards.
async fn phase(conns: &[Rc<TcpStream>], length: Duration) -> (u64, Duration) {
    let count = Rc::new(Cell::new(0));
    let start = Instant::now();
    let until = start + length;
    let tasks: Vec<_> = conns
        .iter()
        .map(|c| chronia::spawn(ping_pong(Rc::clone(c), until, Rc::clone(&count))))
        .collect();
    for task in tasks {
        task.await.expect("no panic").expect("the echo works");
    }
    (count.get(), start.elapsed())
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
        let (requests, elapsed) = phase(&conns, length).await;
        let server_cpu = cpu_time(&pid).saturating_sub(server_cpu);
        let client_cpu = cpu_time("self").saturating_sub(client_cpu);
        let syscalls = perf.and_then(|perf| {
            // Let the server go back to sleep, for at least one full
            // interval of perf, before stopping it.
            std::thread::sleep(Duration::from_millis(2 * u64::from(PERF_INTERVAL_MS)));
            perf.stop()
        });
        Window {
            requests,
            elapsed,
            server_cpu,
            client_cpu,
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

fn main() -> io::Result<()> {
    let o = options();
    match o.server.as_deref() {
        Some("chronia") => return serve_chronia(),
        Some("tokio") => return serve_tokio(),
        Some("smol") => return serve_smol(),
        Some(other) => panic!("unknown server {other:?}"),
        None => {}
    }
    let length = Duration::from_secs_f64(o.secs);
    let rounds = o.rounds.max(1);
    let servers = SERVERS.map(|name| Server::start(name, None));
    println!(
        "echo_compare: {CONNS} connections x {MESSAGE} B ping-pong over 127.0.0.1, \
         {rounds} round{} of {:.1} s (after {:.1} s of warm-up) per server",
        if rounds == 1 { "" } else { "s" },
        length.as_secs_f64(),
        WARMUP.as_secs_f64()
    );
    println!(
        "servers: chronia, tokio current_thread, smol LocalExecutor (one child process each; client: one chronia thread)"
    );
    println!(
        "{:<6} {:<8} {:>11} {:>11} {:>11} {:>16}",
        "round", "server", "requests/s", "server CPU", "client CPU", "req/server CPU-s"
    );
    let mut rates: [Vec<f64>; 3] = Default::default();
    let mut efficiency: [Vec<f64>; 3] = Default::default();
    for round in 1..=rounds {
        for ((server, rates), efficiency) in servers.iter().zip(&mut rates).zip(&mut efficiency) {
            let w = measure(server, length, false);
            println!(
                "{round:<6} {:<8} {:>11.0} {:>10.0}% {:>10.0}% {:>16.0}",
                server.name,
                w.rate(),
                w.server_load(),
                w.client_load(),
                w.per_server_cpu()
            );
            rates.push(w.rate());
            efficiency.push(w.per_server_cpu());
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
        "req/server CPU-s",
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
            "{name:<8} {rate:>13.0} {:>13.2} {per_cpu:>17.0} {:>13.2} {syscalls}",
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
