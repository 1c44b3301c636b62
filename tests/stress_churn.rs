//! Stress scenario 1, connection churn: connect / echo / close cycles over
//! loopback TCP, many at a time, a quarter of them closed with a reset
//! (`SO_LINGER` 0). Every cycle must echo its own bytes intact; the server
//! must see exactly one end of file per orderly close and one
//! `ConnectionReset` per abortive one, and end every connection task; the
//! process must be as it was afterwards (fds, threads, signals) with RSS
//! bounded.
//!
//! `harness = false`: the fd table is the process's, so nothing else may
//! open fds meanwhile. Default counts are small enough for CI;
//! `CHRONIA_STRESS=full` multiplies them.

mod stress_util;

use std::cell::Cell;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chronia::net::{TcpListener, TcpSocket, TcpStream};
use stress_util::{self as s, Counters, Snapshot, Watchdog};

const MESSAGE: usize = 64;

fn main() {
    let cycles = s::scaled(4_000);
    let at_once = 200.min(cycles);
    println!(
        "stress_churn: {cycles} connect/echo/close cycles, {at_once} at a time, every 4th closed with RST"
    );
    let counters = Counters::new(&[
        "connected",
        "echoed",
        "closed",
        "accepted",
        "server_eof",
        "server_reset",
    ]);
    let dog = counters.clone();
    let _watchdog = Watchdog::start(
        "stress_churn",
        Duration::from_secs(60) * u32::try_from(s::scaled(1)).expect("small"),
        move || dog.describe(),
    );
    let before = Snapshot::take();
    let start = Instant::now();
    let rss = chronia::block_on(churn(cycles, at_once, counters.clone()));
    let wall = start.elapsed();
    let after = Snapshot::take();
    before.assert_same(&after, "after the runtime dropped");
    println!(
        "stress_churn: ok in {wall:.2?}; {}; RSS {} KiB after warm-up, {} KiB at the end",
        counters.describe(),
        rss.0,
        rss.1
    );
}

/// Runs the cycles; returns RSS (KiB) after the first tenth and at the end.
async fn churn(cycles: usize, at_once: usize, counters: Arc<Counters>) -> (u64, u64) {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().expect("an address literal"))
        .expect("bind to loopback");
    // A backlog above the number of connects in flight, so that no SYN is
    // dropped and no client waits for a retransmit.
    let listener = socket.listen(1024).expect("listen");
    let addr = listener.local_addr().expect("the bound address");
    let fds_inside = s::open_fds().len();
    let server = chronia::spawn(serve(listener, counters.clone()));

    let next = Rc::new(Cell::new(0usize));
    let warm_rss = Rc::new(Cell::new(0u64));
    let workers: Vec<_> = (0..at_once)
        .map(|_| {
            let (next, warm_rss, counters) = (next.clone(), warm_rss.clone(), counters.clone());
            chronia::spawn(async move {
                loop {
                    let i = next.get();
                    if i >= cycles {
                        break;
                    }
                    next.set(i + 1);
                    if i == cycles / 10 {
                        warm_rss.set(s::rss_kib());
                    }
                    cycle(addr, i, &counters)
                        .await
                        .unwrap_or_else(|e| panic!("cycle {i}: {e}"));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a worker does not panic");
    }
    let resets = cycles.div_ceil(4);
    s::wait_for(
        "every server task ends",
        Duration::from_secs(30),
        || counters.get("server_eof") + counters.get("server_reset") == cycles,
        || counters.describe(),
    )
    .await;
    assert_eq!(counters.get("connected"), cycles);
    assert_eq!(counters.get("echoed"), cycles);
    assert_eq!(counters.get("closed"), cycles);
    assert_eq!(counters.get("accepted"), cycles);
    assert_eq!(counters.get("server_reset"), resets, "one reset per RST");
    assert_eq!(counters.get("server_eof"), cycles - resets);
    server.abort();
    assert!(server.await.is_err_and(|e| e.is_cancelled()));
    assert_eq!(
        s::open_fds().len(),
        fds_inside - 1,
        "only the listener is gone: no connection fd is left"
    );
    let end_rss = s::rss_kib();
    assert!(
        end_rss < warm_rss.get() + 32 * 1024,
        "RSS grew from {} KiB after warm-up to {end_rss} KiB",
        warm_rss.get()
    );
    (warm_rss.get(), end_rss)
}

/// One client: connect, send a message naming the cycle, read it back,
/// then close (every fourth with a reset).
async fn cycle(addr: SocketAddr, i: usize, counters: &Counters) -> io::Result<()> {
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
    assert_eq!(&got[..], &message[..], "cycle {i} got another's bytes");
    counters.add("echoed");
    if i.is_multiple_of(4) {
        stream.set_linger(Some(Duration::ZERO))?;
        drop(stream);
    } else {
        stream.shutdown(Shutdown::Write)?;
        // The server closes once it has read our end of file.
        let n = stream.read(&mut got).await?;
        assert_eq!(n, 0, "cycle {i}: bytes after the echo");
    }
    counters.add("closed");
    Ok(())
}

async fn serve(listener: TcpListener, counters: Arc<Counters>) {
    loop {
        let (stream, _) = listener.accept().await.expect("accept never fails here");
        counters.add("accepted");
        let counters = counters.clone();
        drop(chronia::spawn(async move {
            let mut buf = [0u8; 1024];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) => break counters.add("server_eof"),
                    Ok(n) => stream.write_all(&buf[..n]).await.expect("echo"),
                    Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                        break counters.add("server_reset");
                    }
                    Err(e) => panic!("server read: {e}"),
                }
            }
        }));
    }
}
