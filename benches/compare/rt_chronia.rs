//! The workloads on chronia.

use std::future::{Future, poll_fn};
use std::hint::black_box;
use std::io;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use chronia::time::sleep;

use crate::common::{self, Remote, Slot};

async fn poll_once<F: Future>(mut f: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await
}

/// Runs `f` as a task (not as the `block_on` future) and returns its output.
fn in_task<F: Future + 'static>(f: F) -> F::Output
where
    F::Output: 'static,
{
    chronia::block_on(async { chronia::spawn(f).await.expect("no panic") })
}

pub fn spawn_await(n: u32) -> Duration {
    in_task(async move {
        let start = Instant::now();
        for i in 0..n {
            black_box(chronia::spawn(async move { i }).await.expect("no panic"));
        }
        start.elapsed()
    })
}

pub fn wake_hop(rounds: u32) -> Duration {
    chronia::block_on(async move {
        let (a, b) = (Rc::new(Slot::default()), Rc::new(Slot::default()));
        let start = Instant::now();
        let x = chronia::spawn(common::bounce(Rc::clone(&a), Rc::clone(&b), rounds, true));
        let y = chronia::spawn(common::bounce(b, a, rounds, false));
        x.await.expect("no panic");
        y.await.expect("no panic");
        start.elapsed()
    })
}

pub fn spawn_many(n: u32) -> Duration {
    chronia::block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n).map(|i| chronia::spawn(async move { i })).collect();
        for t in tasks {
            black_box(t.await.expect("no panic"));
        }
        start.elapsed()
    })
}

pub fn timer_cancel(n: u32) -> Duration {
    in_task(async move {
        let start = Instant::now();
        for _ in 0..n {
            let s = pin!(sleep(Duration::from_secs(1)));
            black_box(poll_once(s).await.is_pending());
        }
        start.elapsed()
    })
}

pub fn many_sleeps(n: u32) -> Duration {
    chronia::block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|i| chronia::spawn(sleep(common::spread(i))))
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
    in_task(async move {
        let mut usr1 =
            chronia::signal::signal(chronia::signal::SIGUSR1).expect("a SIGUSR1 listener");
        let mut out = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            common::raise_usr1();
            usr1.recv().await;
            out.push(start.elapsed());
        }
        out
    })
}

pub fn children(n: u32, concurrent: bool) -> Duration {
    use chronia::process::Command;
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
    chronia::block_on(async move {
        sleep(Duration::from_millis(1)).await;
        let baseline = common::status_bytes("VmRSS");
        for _ in 0..n {
            drop(chronia::spawn(sleep(Duration::from_secs(60))));
        }
        sleep(Duration::from_millis(100)).await;
        common::print_and_exit(common::bytes_per(baseline, n))
    })
}

pub fn mem_conns(n: u32) -> ! {
    chronia::block_on(async move {
        let listener = chronia::net::TcpListener::bind("127.0.0.1:0")
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
            let (stream, _) = listener.accept().await.expect("accept");
            let reading = Rc::clone(&reading);
            drop(chronia::spawn(async move {
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
    chronia::block_on(async {
        let listener = chronia::net::TcpListener::bind("127.0.0.1:0").await?;
        common::announce(listener.local_addr()?.port())?;
        loop {
            let (stream, _) = listener.accept().await?;
            drop(chronia::spawn(async move {
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
