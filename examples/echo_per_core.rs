//! The echo server of `echo.rs` on every core: one runtime per thread
//! (`chronia::runtime::PerCore`), one `SO_REUSEPORT` listener per shard on
//! one port, the kernel spreading connections among them, and one graceful
//! shutdown for all.
//!
//! The main thread reserves the port (so that port 0 gives every shard the
//! same one), then waits in `block_on_all`. Each shard listens for SIGINT
//! and SIGTERM itself: one signal to the process reaches every shard. On
//! it, each shard stops accepting, gives its open connections up to 5 s,
//! and reports how many connections it served; the process exits 0. Each
//! shard drops its signal listeners at once, so a second Ctrl-C during the
//! grace period ends the process (when SIGINT started at its default
//! action; a process started with it ignored, as a shell's background job
//! is, goes on ignoring it). A shard that fails (cannot bind, say)
//! stops the others through the shards' stop signal.
//!
//! ```text
//! cargo run --release --example echo_per_core [ADDR] [--cores N]   # default 127.0.0.1:7000, all cores
//! nc 127.0.0.1 7000
//! ```

use std::cell::Cell;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chronia::net::{TcpListener, TcpSocket, TcpStream};
use chronia::runtime::{PerCore, Shard};
use chronia::signal::{SIGINT, SIGTERM, signal};
use chronia::time::{Instant, sleep};
use futures_lite::future::or;

/// Bytes read per `read` call.
const BUFFER: usize = 8 * 1024;

/// How long to back off when the process is out of file descriptors.
const FD_EXHAUSTION_BACKOFF: Duration = Duration::from_millis(10);

/// How long open connections may go on after a shutdown signal.
const GRACE: Duration = Duration::from_secs(5);

fn main() -> io::Result<()> {
    let (addr, cores) = parse_args()?;
    let addr: SocketAddr = addr.parse().map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("address {addr:?}: {e}"),
        )
    })?;
    // One bound, never-listening socket holds the port for all shards.
    let reserved = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    reserved.set_reuseport(true)?;
    reserved.bind(addr)?;
    let addr = reserved.local_addr()?;

    let ready = AtomicUsize::new(0);
    let served = PerCore::new(cores)
        .pin_to_cpus(true)
        .block_on_all(|shard| {
            let ready = &ready;
            async move {
                let result = serve(&shard, addr, ready).await;
                if result.is_err() {
                    shard.stopper().stop();
                }
                result
            }
        })?;
    drop(reserved);
    let mut total = 0;
    for (index, served) in served.into_iter().enumerate() {
        let served = served.map_err(|e| io::Error::new(e.kind(), format!("shard {index}: {e}")))?;
        say(&format!("shard {index}: served {served} connection(s)"));
        total += served;
    }
    say(&format!("all shards done, {total} connection(s); bye"));
    Ok(())
}

/// `[ADDR] [--cores N]`; the number of cores defaults to what the process
/// may use.
fn parse_args() -> io::Result<(String, usize)> {
    let mut addr = "127.0.0.1:7000".to_owned();
    let mut cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--cores" {
            let n = args.next().unwrap_or_default();
            cores = n.parse().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("--cores {n:?}: not a number"),
                )
            })?;
        } else {
            addr = arg;
        }
    }
    Ok((addr, cores))
}

/// One shard: listen for the signals, bind, accept until a signal or a
/// stop, then drain. Returns how many connections it accepted.
async fn serve(shard: &Shard, addr: SocketAddr, ready: &AtomicUsize) -> io::Result<usize> {
    // Signals first: once the line below is printed, a SIGTERM finds every
    // shard listening.
    let mut interrupt = signal(SIGINT)?;
    let mut terminate = signal(SIGTERM)?;
    let listener = TcpListener::bind_reuseport(addr)?;
    if ready.fetch_add(1, Ordering::SeqCst) + 1 == shard.shards() {
        say(&format!(
            "listening on {} with {} shard(s)",
            listener.local_addr()?,
            shard.shards()
        ));
    }

    let open = Rc::new(Cell::new(0usize));
    let accepted = Rc::new(Cell::new(0usize));
    let server = chronia::spawn(accept_loop(listener, open.clone(), accepted.clone()));
    let why = or(
        or(
            async {
                interrupt.recv().await;
                "SIGINT"
            },
            async {
                terminate.recv().await;
                "SIGTERM"
            },
        ),
        async {
            shard.stopped().await;
            "told to stop"
        },
    )
    .await;
    drop((interrupt, terminate));
    server.abort();
    say(&format!(
        "shard {}: {why}: stopped accepting; {} connection(s) open",
        shard.index(),
        open.get()
    ));
    let deadline = Instant::now() + GRACE;
    while open.get() > 0 && Instant::now() < deadline {
        sleep(Duration::from_millis(10)).await;
    }
    Ok(accepted.get())
}

/// Accepts connections until dropped, one echo task each.
async fn accept_loop(listener: TcpListener, open: Rc<Cell<usize>>, accepted: Rc<Cell<usize>>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                accepted.set(accepted.get() + 1);
                let open = open.clone();
                open.set(open.get() + 1);
                drop(chronia::spawn(async move {
                    if let Err(e) = echo(&stream).await {
                        eprintln!("{peer}: {e}");
                    }
                    open.set(open.get() - 1);
                }));
            }
            Err(e) => {
                eprintln!("accept: {e}");
                if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) {
                    sleep(FD_EXHAUSTION_BACKOFF).await;
                }
            }
        }
    }
}

/// Echoes until the client shuts down its write side or goes away.
async fn echo(stream: &TcpStream) -> io::Result<()> {
    let mut buf = vec![0; BUFFER];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// Prints a line and flushes, so that a supervisor (or a test) sees it now.
fn say(line: &str) {
    let mut stdout = io::stdout();
    // Nothing useful to do if stdout is gone.
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}
