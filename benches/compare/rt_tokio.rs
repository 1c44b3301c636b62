//! The workloads on tokio: a `current_thread` runtime with I/O and time
//! enabled, tasks on a `LocalSet` (`spawn_local`).

use std::future::{Future, poll_fn};
use std::hint::black_box;
use std::io;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::task::{LocalSet, spawn_local, unconstrained};
use tokio::time::sleep;

use crate::common::{self, Remote, Slot};

async fn poll_once<F: Future>(mut f: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await
}

/// Runs `f` on a fresh runtime's `LocalSet` as the `block_on` future.
fn on_local<F: Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    LocalSet::new().block_on(&rt, f)
}

/// Runs `f` as a local task and returns its output.
fn in_task<F: Future + 'static>(f: F) -> F::Output
where
    F::Output: 'static,
{
    on_local(async { spawn_local(f).await.expect("no panic") })
}

pub fn spawn_await(n: u32) -> Duration {
    in_task(async move {
        let start = Instant::now();
        for i in 0..n {
            black_box(spawn_local(async move { i }).await.expect("no panic"));
        }
        start.elapsed()
    })
}

pub fn wake_hop(rounds: u32) -> Duration {
    on_local(async move {
        let (a, b) = (Rc::new(Slot::default()), Rc::new(Slot::default()));
        let start = Instant::now();
        let x = spawn_local(common::bounce(Rc::clone(&a), Rc::clone(&b), rounds, true));
        let y = spawn_local(common::bounce(b, a, rounds, false));
        x.await.expect("no panic");
        y.await.expect("no panic");
        start.elapsed()
    })
}

pub fn spawn_many(n: u32) -> Duration {
    on_local(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n).map(|i| spawn_local(async move { i })).collect();
        for t in tasks {
            black_box(t.await.expect("no panic"));
        }
        start.elapsed()
    })
}

pub fn timer_cancel(n: u32) -> Duration {
    // Unconstrained: tokio's cooperative budget would otherwise make every
    // poll after the 128th return `Pending` without registering.
    in_task(unconstrained(async move {
        let start = Instant::now();
        for _ in 0..n {
            let s = pin!(sleep(Duration::from_secs(1)));
            black_box(poll_once(s).await.is_pending());
        }
        start.elapsed()
    }))
}

pub fn many_sleeps(n: u32) -> Duration {
    on_local(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|i| spawn_local(sleep(common::spread(i))))
            .collect();
        for t in tasks {
            t.await.expect("no panic");
        }
        start.elapsed()
    })
}

pub fn precision(d: Duration, samples: usize) -> Vec<Duration> {
    in_task(async move {
        let mut out = Vec::with_capacity(samples);
        for _ in 0..samples {
            let start = Instant::now();
            sleep(d).await;
            out.push(start.elapsed());
        }
        out
    })
}

pub fn cross_wake(rounds: usize) -> Vec<Duration> {
    let remote = Arc::new(Remote::default());
    let thread = remote.start_waker(rounds);
    let out = in_task(async move {
        let mut out = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            out.push(remote.wait().await);
        }
        out
    });
    thread.join().expect("the waking thread");
    out
}

pub fn signal(rounds: usize) -> Vec<Duration> {
    use tokio::signal::unix::{SignalKind, signal};
    in_task(async move {
        let mut usr1 = signal(SignalKind::user_defined1()).expect("a SIGUSR1 listener");
        let mut out = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            common::raise_usr1();
            usr1.recv().await.expect("the signal stream stays open");
            out.push(start.elapsed());
        }
        out
    })
}

pub fn children(n: u32, concurrent: bool) -> Duration {
    use tokio::process::Command;
    in_task(async move {
        let start = Instant::now();
        if concurrent {
            let mut all: Vec<_> = (0..n)
                .map(|_| Command::new("/bin/true").spawn().expect("spawn /bin/true"))
                .collect();
            for c in &mut all {
                assert!(c.wait().await.expect("wait").success());
            }
        } else {
            for _ in 0..n {
                let status = Command::new("/bin/true").status().await;
                assert!(status.expect("spawn /bin/true").success());
            }
        }
        start.elapsed()
    })
}

pub fn mem_tasks(n: u32) -> ! {
    on_local(async move {
        sleep(Duration::from_millis(1)).await;
        let baseline = common::status_bytes("VmRSS");
        for _ in 0..n {
            drop(spawn_local(sleep(Duration::from_secs(60))));
        }
        sleep(Duration::from_millis(100)).await;
        common::print_and_exit(common::bytes_per(baseline, n))
    })
}

pub fn mem_conns(n: u32) -> ! {
    use tokio::io::AsyncReadExt;
    on_local(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("local address").port();
        let baseline = common::status_bytes("VmRSS");
        #[expect(
            clippy::zombie_processes,
            reason = "the client exits when this process does (its stdin closes); init reaps it"
        )]
        let _client = common::start_conn_client(port, n);
        let reading = Rc::new(std::cell::Cell::new(0u32));
        for _ in 0..n {
            let (mut stream, _) = listener.accept().await.expect("accept");
            let reading = Rc::clone(&reading);
            drop(spawn_local(async move {
                let mut buf = [0u8; 16];
                reading.set(reading.get() + 1);
                let _ = stream.read(&mut buf).await;
            }));
        }
        while reading.get() < n {
            sleep(Duration::from_millis(1)).await;
        }
        sleep(Duration::from_millis(100)).await;
        common::print_and_exit(common::bytes_per(baseline, n))
    })
}

pub fn serve() -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    on_local(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        common::announce(listener.local_addr()?.port())?;
        loop {
            let (mut stream, _) = listener.accept().await?;
            drop(spawn_local(async move {
                let mut buf = vec![0; common::ECHO_BUFFER];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }));
        }
    })
}
