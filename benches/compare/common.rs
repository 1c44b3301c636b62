//! Pieces the three runtimes share: the one-slot channel, the remote waker
//! of the cross-thread wake, the echo client, RSS from `/proc`, and the
//! small statistics.

use std::cell::Cell;
use std::future::poll_fn;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

/// How long a run lasts: `--quick` shrinks every count.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub quick: bool,
}

impl Size {
    /// `full` normally, `quick` with `--quick`.
    pub fn pick<T>(self, full: T, quick: T) -> T {
        if self.quick { quick } else { full }
    }
}

pub fn as_f64(d: Duration) -> f64 {
    #[expect(
        clippy::cast_precision_loss,
        reason = "nanoseconds of a bench run fit in f64"
    )]
    let ns = d.as_nanos() as f64;
    ns
}

pub use crate::support::{Server, announce, median};

pub fn mean(values: &[Duration]) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "a sample count")]
    let n = values.len() as f64;
    values.iter().copied().map(as_f64).sum::<f64>() / n
}

/// The median over `runs` runs (after one warm-up run) of `run()`, in ns
/// per operation of `ops` operations.
pub fn median_per_op(runs: usize, ops: u32, run: impl Fn() -> Duration) -> f64 {
    run();
    median((0..runs).map(|_| as_f64(run()) / f64::from(ops)).collect())
}

/// The duration of sleeper `i` of the concurrent sleeps: 1 to 100 ms.
pub fn spread(i: u32) -> Duration {
    Duration::from_millis(u64::from(1 + i % 100))
}

// --- the one-slot channel ------------------------------------------------------

/// A one-slot channel for one thread: a value and the waker of the task
/// waiting for it. The same for the three runtimes, so a hop costs one
/// wake and one poll of each runtime, nothing else.
#[derive(Default)]
pub struct Slot {
    value: Cell<Option<u32>>,
    waker: Cell<Option<Waker>>,
}

impl Slot {
    pub fn send(&self, v: u32) {
        self.value.set(Some(v));
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    pub async fn recv(&self) -> u32 {
        poll_fn(|cx| {
            if let Some(v) = self.value.take() {
                return Poll::Ready(v);
            }
            let waker = match self.waker.take() {
                Some(w) if w.will_wake(cx.waker()) => w,
                _ => cx.waker().clone(),
            };
            self.waker.set(Some(waker));
            Poll::Pending
        })
        .await
    }
}

/// One side of the ping-pong: `rounds` times, send on `out` (if `first`,
/// before receiving) and receive on `inp`.
pub async fn bounce(inp: Rc<Slot>, out: Rc<Slot>, rounds: u32, first: bool) {
    for i in 0..rounds {
        if first {
            out.send(i);
            inp.recv().await;
        } else {
            let v = inp.recv().await;
            out.send(v);
        }
    }
}

// --- the cross-thread wake -------------------------------------------------------

/// A task's waker handed to another thread, which wakes it once the
/// runtime has had time to park.
#[derive(Default)]
pub struct Remote {
    waker: Mutex<Option<Waker>>,
    fired: AtomicBool,
    at: Mutex<Option<Instant>>,
}

/// How long the waking thread waits, after the task has left its waker,
/// before waking it: long enough for the runtime to be parked in the kernel.
const PARK_TIME: Duration = Duration::from_micros(300);

impl Remote {
    /// Waits (as a task) for the other thread's wake; the time from just
    /// before `wake()` to this task running again.
    pub async fn wait(&self) -> Duration {
        poll_fn(|cx| {
            if self.fired.swap(false, Ordering::Acquire) {
                let at = self.at.lock().unwrap_or_else(PoisonError::into_inner);
                return Poll::Ready(at.expect("set before `fired`").elapsed());
            }
            *self.waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// The waking thread: `rounds` times, waits for a waker, lets the
    /// runtime park, then wakes it.
    pub fn start_waker(self: &Arc<Self>, rounds: usize) -> std::thread::JoinHandle<()> {
        let this = Arc::clone(self);
        std::thread::spawn(move || {
            for _ in 0..rounds {
                let waker = loop {
                    if let Some(w) = this
                        .waker
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .take()
                    {
                        break w;
                    }
                    std::thread::sleep(Duration::from_micros(50));
                };
                std::thread::sleep(PARK_TIME);
                *this.at.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
                this.fired.store(true, Ordering::Release);
                waker.wake();
            }
        })
    }
}

// --- signals -------------------------------------------------------------------------

/// Sends SIGUSR1 to the calling thread.
#[expect(unsafe_code, reason = "libc::raise has no safe wrapper in std")]
pub fn raise_usr1() {
    // SAFETY: raise takes a plain signal number and touches no memory of
    // ours; the runtime measured has a listener for SIGUSR1 by now, so its
    // default action (terminate) cannot run.
    let rc = unsafe { libc::raise(libc::SIGUSR1) };
    assert_eq!(rc, 0, "raise(SIGUSR1) failed");
}

// --- memory --------------------------------------------------------------------------

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`).
pub fn status_bytes(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    kb * 1024.0
}

/// Peak RSS since the process started minus `baseline`, per one of `n`.
pub fn bytes_per(baseline: f64, n: u32) -> f64 {
    (status_bytes("VmHWM") - baseline) / f64::from(n)
}

/// Prints a child's figure and leaves at once (dropping a million tasks is
/// not what is measured).
pub fn print_and_exit(value: f64) -> ! {
    let mut out = io::stdout();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
    std::process::exit(0);
}

/// The process that holds the client ends of the idle connections:
/// this executable with `--conn-client PORT N`. It connects `n` blocking
/// sockets and holds them until its stdin closes (its parent exits).
pub fn conn_client(port: u16, n: u32) {
    let addr: SocketAddr = (Ipv4Addr::LOCALHOST, port).into();
    let conns: Vec<_> = (0..n)
        .map(|_| std::net::TcpStream::connect(addr).expect("the server accepts"))
        .collect();
    let _ = io::copy(&mut io::stdin(), &mut io::sink());
    drop(conns);
}

/// Starts the client process of the idle connections.
pub fn start_conn_client(port: u16, n: u32) -> Child {
    Command::new(std::env::current_exe().expect("this executable"))
        .args(["--conn-client", &port.to_string(), &n.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("the connection client starts")
}

// --- echo ------------------------------------------------------------------------------

/// Client connections of the echo figure.
pub const ECHO_CONNS: usize = 50;
/// Bytes per echo message.
pub const ECHO_MESSAGE: usize = 64;
/// The servers' read buffer.
pub const ECHO_BUFFER: usize = 4 * 1024;

/// Ping-pong on one connection until `until`, one request counted per echo.
async fn ping_pong(
    stream: Rc<chronia::net::TcpStream>,
    until: Instant,
    count: Rc<Cell<u64>>,
) -> io::Result<()> {
    let msg = [b'x'; ECHO_MESSAGE];
    let mut buf = [0; ECHO_MESSAGE];
    while Instant::now() < until {
        stream.write_all(&msg).await?;
        let mut got = 0;
        while got < ECHO_MESSAGE {
            match stream.read(&mut buf[got..]).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => got += n,
            }
        }
        count.set(count.get() + 1);
    }
    Ok(())
}

/// Load on all connections for `length`; requests and wall time.
async fn phase(conns: &[Rc<chronia::net::TcpStream>], length: Duration) -> (u64, Duration) {
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

/// The echo figure against one server (the same chronia client, one
/// thread, for the three): ns of wall time per request (the inverse of
/// the throughput), after a warm-up.
pub fn echo_client(runtime: &str, size: Size) -> f64 {
    let server = Server::start(runtime, None);
    let addr = server.addr;
    let length = size.pick(Duration::from_secs(2), Duration::from_millis(500));
    chronia::block_on(async move {
        let mut conns = Vec::with_capacity(ECHO_CONNS);
        for _ in 0..ECHO_CONNS {
            let stream = chronia::net::TcpStream::connect(addr)
                .await
                .expect("the server accepts");
            conns.push(Rc::new(stream));
        }
        phase(&conns, Duration::from_millis(300)).await;
        let (requests, elapsed) = phase(&conns, length).await;
        #[expect(clippy::cast_precision_loss, reason = "a request count")]
        let per = as_f64(elapsed) / requests.max(1) as f64;
        per
    })
}
