//! Load check of the TCP echo path: ping-pong over loopback, requests/s.
//!
//! Each of `--conns` connections (50) sends a `--size`-byte message (64)
//! and waits for its echo, again and again, for `--secs` seconds (5). The
//! load generator is a chronia runtime on the main thread. The server is
//! either the echo server of `examples/echo.rs` on another thread of this
//! process (default; its thread id is printed for `strace -p`), or, with
//! `--connect ADDR`, a server already running elsewhere:
//!
//! ```text
//! cargo bench --bench echo_load
//! cargo run --release --example echo 127.0.0.1:7001 &
//! cargo bench --bench echo_load -- --connect 127.0.0.1:7001
//! ```
//!
//! To count the server's syscalls per request, attach to its pid (or the
//! printed thread id) while the load runs:
//! `perf stat -e 'syscalls:sys_enter_*' -p PID` or `strace -c -f -p PID`.

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chronia::net::{TcpListener, TcpStream};

struct Options {
    connect: Option<SocketAddr>,
    conns: usize,
    secs: u64,
    size: usize,
}

fn options() -> Options {
    let mut o = Options {
        connect: None,
        conns: 50,
        secs: 5,
        size: 64,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("a value after the option");
        match arg.as_str() {
            "--connect" => o.connect = Some(value().parse().expect("ADDR is ip:port")),
            "--conns" => o.conns = value().parse().expect("a number of connections"),
            "--secs" => o.secs = value().parse().expect("a number of seconds"),
            "--size" => o.size = value().parse().expect("a message size"),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    o
}

/// The echo server of `examples/echo.rs`, on a thread of its own; sends
/// back its address and its thread id.
fn start_server() -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        chronia::block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let tid = std::fs::read_link("/proc/thread-self")?;
            tx.send((listener.local_addr()?, tid))
                .expect("the main thread waits for the address");
            loop {
                let (stream, _) = listener.accept().await?;
                drop(chronia::spawn(async move {
                    let mut buf = vec![0; 8 * 1024];
                    while let Ok(n @ 1..) = stream.read(&mut buf).await {
                        if stream.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }));
            }
            #[expect(unreachable_code, reason = "gives the async block its type")]
            io::Result::Ok(())
        })
        .expect("the server runs");
    });
    let (addr, tid) = rx.recv().expect("the server starts");
    println!("server thread: /proc/{}", tid.display());
    addr
}

async fn client(
    addr: SocketAddr,
    size: usize,
    until: Instant,
    count: Rc<Cell<u64>>,
) -> io::Result<()> {
    let stream = TcpStream::connect(addr).await?;
    let msg = vec![b'x'; size];
    let mut buf = vec![0; size];
    while Instant::now() < until {
        stream.write_all(&msg).await?;
        let mut got = 0;
        while got < size {
            match stream.read(&mut buf[got..]).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => got += n,
            }
        }
        count.set(count.get() + 1);
    }
    Ok(())
}

fn main() {
    let o = options();
    let addr = o.connect.unwrap_or_else(start_server);
    let count = Rc::new(Cell::new(0));
    let start = Instant::now();
    let until = start + Duration::from_secs(o.secs);
    chronia::block_on(async {
        let tasks: Vec<_> = (0..o.conns)
            .map(|_| chronia::spawn(client(addr, o.size, until, Rc::clone(&count))))
            .collect();
        for task in tasks {
            task.await.expect("no panic").expect("the echo works");
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    #[expect(clippy::cast_precision_loss, reason = "a rate to print")]
    let rate = count.get() as f64 / elapsed;
    println!(
        "echo_load: {} connections x {} B, {} requests in {elapsed:.2} s = {rate:.0} requests/s",
        o.conns,
        o.size,
        count.get()
    );
}
