//! The workloads on smol: a `LocalExecutor` run inside async-io's
//! `block_on` (which drives the reactor on this thread while it waits),
//! timers from async-io, children from async-process, signals from
//! async-signal.

use std::future::{Future, poll_fn};
use std::hint::black_box;
use std::io;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use smol::{LocalExecutor, Timer};

use crate::common::{self, Remote, Slot};

async fn poll_once<F: Future>(mut f: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await
}

/// An executor that lives as long as the process (a child process runs one
/// figure), so that tasks can spawn tasks without lifetimes in the way.
fn executor() -> &'static LocalExecutor<'static> {
    Box::leak(Box::new(LocalExecutor::new()))
}

/// Runs `f(ex)` as the `block_on` future, with `ex` running.
fn on_local<F: Future>(f: impl FnOnce(&'static LocalExecutor<'static>) -> F) -> F::Output {
    let ex = executor();
    smol::block_on(ex.run(f(ex)))
}

/// Runs `f(ex)` as a task and returns its output.
fn in_task<F: Future + 'static>(f: impl FnOnce(&'static LocalExecutor<'static>) -> F) -> F::Output
where
    F::Output: 'static,
{
    on_local(|ex| ex.spawn(f(ex)))
}

async fn sleep(d: Duration) {
    Timer::after(d).await;
}

pub fn spawn_await(n: u32) -> Duration {
    in_task(|ex| async move {
        let start = Instant::now();
        for i in 0..n {
            black_box(ex.spawn(async move { i }).await);
        }
        start.elapsed()
    })
}

pub fn wake_hop(rounds: u32) -> Duration {
    on_local(|ex| async move {
        let (a, b) = (Rc::new(Slot::default()), Rc::new(Slot::default()));
        let start = Instant::now();
        let x = ex.spawn(common::bounce(Rc::clone(&a), Rc::clone(&b), rounds, true));
        let y = ex.spawn(common::bounce(b, a, rounds, false));
        x.await;
        y.await;
        start.elapsed()
    })
}

pub fn spawn_many(n: u32) -> Duration {
    on_local(|ex| async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
        for t in tasks {
            black_box(t.await);
        }
        start.elapsed()
    })
}

pub fn timer_cancel(n: u32) -> Duration {
    in_task(|_| async move {
        let start = Instant::now();
        for _ in 0..n {
            let t = pin!(Timer::after(Duration::from_secs(1)));
            black_box(poll_once(t).await.is_pending());
        }
        start.elapsed()
    })
}

pub fn many_sleeps(n: u32) -> Duration {
    on_local(|ex| async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n).map(|i| ex.spawn(sleep(common::spread(i)))).collect();
        for t in tasks {
            t.await;
        }
        start.elapsed()
    })
}

pub fn precision(d: Duration, samples: usize) -> Vec<Duration> {
    in_task(|_| async move {
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
    let out = in_task(|_| async move {
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
    use smol::stream::StreamExt;
    in_task(|_| async move {
        let mut usr1 =
            async_signal::Signals::new([async_signal::Signal::Usr1]).expect("a SIGUSR1 listener");
        let mut out = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            common::raise_usr1();
            usr1.next()
                .await
                .expect("the signal stream stays open")
                .expect("reading the signal pipe");
            out.push(start.elapsed());
        }
        out
    })
}

pub fn children(n: u32, concurrent: bool) -> Duration {
    use smol::process::Command;
    in_task(|_| async move {
        let start = Instant::now();
        if concurrent {
            let mut all: Vec<_> = (0..n)
                .map(|_| Command::new("/bin/true").spawn().expect("spawn /bin/true"))
                .collect();
            for c in &mut all {
                assert!(c.status().await.expect("wait").success());
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
    on_local(|ex| async move {
        sleep(Duration::from_millis(1)).await;
        let baseline = common::status_bytes("VmRSS");
        for _ in 0..n {
            ex.spawn(sleep(Duration::from_secs(60))).detach();
        }
        sleep(Duration::from_millis(100)).await;
        common::print_and_exit(common::bytes_per(baseline, n))
    })
}

pub fn mem_conns(n: u32) -> ! {
    use smol::io::AsyncReadExt;
    on_local(|ex| async move {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0")
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
            ex.spawn(async move {
                let mut buf = [0u8; 16];
                reading.set(reading.get() + 1);
                let _ = stream.read(&mut buf).await;
            })
            .detach();
        }
        while reading.get() < n {
            sleep(Duration::from_millis(1)).await;
        }
        sleep(Duration::from_millis(100)).await;
        common::print_and_exit(common::bytes_per(baseline, n))
    })
}

pub fn serve() -> io::Result<()> {
    use smol::io::{AsyncReadExt, AsyncWriteExt};
    on_local(|ex| async move {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await?;
        common::announce(listener.local_addr()?.port())?;
        loop {
            let (mut stream, _) = listener.accept().await?;
            ex.spawn(async move {
                let mut buf = vec![0; common::ECHO_BUFFER];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            })
            .detach();
        }
    })
}
