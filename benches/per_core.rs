//! Thread-per-core echo: how connections and requests spread over shards,
//! and what the server spends per request, with 1 shard and with 2.
//!
//! The server is `PerCore` with one `SO_REUSEPORT` listener per shard,
//! each shard echoing (as `examples/echo_per_core.rs`), pinned to CPUs
//! unless `--no-pin`. The load is `--conns` connections (1000) from one
//! chronia runtime on the main thread, each sending a `--size`-byte message
//! (64) and waiting for its echo, again and again, for `--secs` seconds
//! (2). Printed per run: requests/s, each shard's share of connections
//! and of requests, and server CPU per request (the shard threads' on-CPU
//! time from `/proc/thread-self/schedstat`, summed, over requests served).
//! Nothing is asserted: on a machine whose cores the client shares, these
//! numbers say how the work spreads, not how fast a larger machine goes.
//!
//! ```text
//! cargo bench --bench per_core [-- --conns 1000 --secs 2 --size 64 --no-pin]
//! ```

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chronia::net::{TcpListener, TcpSocket, TcpStream};
use chronia::runtime::{PerCore, Shard};

struct Options {
    conns: usize,
    secs: u64,
    size: usize,
    pin: bool,
}

fn options() -> Options {
    let mut o = Options {
        conns: 1000,
        secs: 2,
        size: 64,
        pin: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("a value after the option");
        match arg.as_str() {
            "--conns" => o.conns = value().parse().expect("a number of connections"),
            "--secs" => o.secs = value().parse().expect("a number of seconds"),
            "--size" => o.size = value().parse().expect("a message size"),
            "--no-pin" => o.pin = false,
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    o
}

/// What one shard did: connections accepted, reads echoed (one per
/// request unless the kernel coalesces two), and its
/// thread's on-CPU time.
#[derive(Debug, Default, Clone, Copy)]
struct ShardLoad {
    conns: usize,
    requests: usize,
    cpu: Duration,
}

/// On-CPU time of the calling thread so far (first field of schedstat, ns).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = stat
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(ns)
}

fn main() -> io::Result<()> {
    let o = options();
    println!(
        "per_core: {} connections, {}-byte ping-pong, {} s per run, shards {}",
        o.conns,
        o.size,
        o.secs,
        if o.pin { "pinned" } else { "not pinned" }
    );
    let mut cpu_per_request = Vec::new();
    for shards in [1, 2] {
        let (loads, requests, wall) = run(shards, &o)?;
        let total_conns: usize = loads.iter().map(|l| l.conns).sum();
        let total_echoes: usize = loads.iter().map(|l| l.requests).sum();
        let cpu: Duration = loads.iter().map(|l| l.cpu).sum();
        #[expect(clippy::cast_precision_loss, reason = "a printed ratio")]
        let (rate, per_request) = (
            requests as f64 / wall.as_secs_f64(),
            cpu.as_secs_f64() * 1e9 / requests.max(1) as f64,
        );
        println!("  {shards} shard(s): {rate:.0} req/s, server CPU {per_request:.0} ns/request");
        for (i, load) in loads.iter().enumerate() {
            println!(
                "    shard {i}: {:.1} % of connections, {:.1} % of echoes, CPU {:.2?}",
                percent(load.conns, total_conns),
                percent(load.requests, total_echoes),
                load.cpu
            );
        }
        cpu_per_request.push(per_request);
    }
    println!(
        "  server CPU per request, 2 shards / 1 shard: {:.2}",
        cpu_per_request[1] / cpu_per_request[0]
    );
    Ok(())
}

#[expect(clippy::cast_precision_loss, reason = "a printed ratio")]
fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

/// One run: the server on `shards` threads, the load from this thread.
/// Returns each shard's load, the requests the client completed, and the
/// load's wall time.
fn run(shards: usize, o: &Options) -> io::Result<(Vec<ShardLoad>, usize, Duration)> {
    let reserved = TcpSocket::new_v4()?;
    reserved.set_reuseport(true)?;
    reserved.bind("127.0.0.1:0".parse().expect("literal"))?;
    let addr = reserved.local_addr()?;
    let per_core = PerCore::new(shards).pin_to_cpus(o.pin);
    let stopper = per_core.stopper();
    let bound = AtomicUsize::new(0);
    let client_result = Mutex::new(None);
    let loads = std::thread::scope(|scope| {
        let (bound, client_result) = (&bound, &client_result);
        scope.spawn(move || {
            while bound.load(Ordering::SeqCst) < shards {
                std::thread::yield_now();
            }
            let result = load(addr, o);
            stopper.stop();
            *client_result.lock().expect("not poisoned") = Some(result);
        });
        per_core.block_on_all(|shard| async move {
            let listener = TcpListener::bind_reuseport(addr)?;
            bound.fetch_add(1, Ordering::SeqCst);
            serve(&shard, listener).await
        })
    })?;
    drop(reserved);
    let loads = loads.into_iter().collect::<io::Result<Vec<_>>>()?;
    let (requests, wall) = client_result
        .into_inner()
        .expect("not poisoned")
        .expect("the client ran")?;
    Ok((loads, requests, wall))
}

/// Echoes on every accepted connection until told to stop.
async fn serve(shard: &Shard, listener: TcpListener) -> io::Result<ShardLoad> {
    let cpu_start = thread_cpu();
    let conns = Rc::new(Cell::new(0usize));
    let requests = Rc::new(Cell::new(0usize));
    let accept = {
        let (conns, requests) = (conns.clone(), requests.clone());
        chronia::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                conns.set(conns.get() + 1);
                let requests = requests.clone();
                drop(chronia::spawn(async move {
                    let mut buf = vec![0; 64 * 1024];
                    while let Ok(n @ 1..) = stream.read(&mut buf).await {
                        if stream.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        requests.set(requests.get() + 1);
                    }
                }));
            }
        })
    };
    shard.stopped().await;
    accept.abort();
    Ok(ShardLoad {
        conns: conns.get(),
        requests: requests.get(),
        cpu: thread_cpu().saturating_sub(cpu_start),
    })
}

/// The load: `o.conns` ping-pong connections for `o.secs` seconds.
fn load(addr: SocketAddr, o: &Options) -> io::Result<(usize, Duration)> {
    let (conns, size, secs) = (o.conns, o.size, o.secs);
    chronia::block_on(async move {
        let mut streams = Vec::with_capacity(conns);
        for _ in 0..conns {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            streams.push(stream);
        }
        let done = Rc::new(Cell::new(0usize));
        let deadline = Instant::now() + Duration::from_secs(secs);
        let start = Instant::now();
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|stream| {
                let done = done.clone();
                chronia::spawn(async move {
                    let msg = vec![7u8; size];
                    let mut back = vec![0u8; size];
                    while Instant::now() < deadline {
                        stream.write_all(&msg).await?;
                        let mut got = 0;
                        while got < size {
                            match stream.read(&mut back[got..]).await? {
                                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                                n => got += n,
                            }
                        }
                        done.set(done.get() + 1);
                    }
                    Ok::<(), io::Error>(())
                })
            })
            .collect();
        for task in tasks {
            task.await.map_err(io::Error::other)??;
        }
        Ok((done.get(), start.elapsed()))
    })
}
