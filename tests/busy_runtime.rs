//! A runtime that never idles (a task keeps yielding) still reads what
//! the kernel reports: its non-blocking turns ask `epoll_wait` at most once
//! per 20 µs of real time, and no less often than that.

mod util;

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_lite::AsyncReadExt;

/// Runs `wait` beside a task that yields until `wait` is done, and calls
/// `at_100` once it has yielded 100 times (the runtime is busy by then);
/// returns the number of yields the spinner made and what `wait` gave.
async fn beside_a_spinner<T>(
    wait: impl std::future::Future<Output = T>,
    at_100: impl FnOnce() + 'static,
) -> (u64, T) {
    let done = Rc::new(Cell::new(false));
    let flag = Rc::clone(&done);
    let spinner = chronia::spawn(async move {
        let mut at_100 = Some(at_100);
        let mut spins = 0u64;
        while !flag.get() {
            chronia::task::yield_now().await;
            spins += 1;
            if spins == 100
                && let Some(f) = at_100.take()
            {
                f();
            }
        }
        spins
    });
    let out = wait.await;
    done.set(true);
    (spinner.await.expect("the spinner"), out)
}

#[test]
fn a_busy_runtime_reads_a_socket_another_thread_writes() {
    util::within_thread(util::limit(), || {
        chronia::block_on(async {
            let (a, b) = std::os::unix::net::UnixStream::pair().expect("pair");
            let mut a = chronia::net::UnixStream::from_std(a).expect("register");
            let (busy_tx, busy_rx) = std::sync::mpsc::channel::<()>();
            let writer = std::thread::spawn(move || {
                busy_rx.recv().expect("the runtime got busy");
                (&b).write_all(b"ping").expect("write");
                b
            });
            let read = async {
                let mut buf = [0; 4];
                a.read_exact(&mut buf).await.expect("read");
                buf
            };
            // The write comes only once the spinner keeps the runtime
            // busy: the read is seen by a runtime that never idles.
            let at_100 = move || busy_tx.send(()).expect("the writer waits");
            let (spins, buf) = beside_a_spinner(read, at_100).await;
            assert_eq!(&buf, b"ping");
            assert!(spins >= 100, "the read waited while the spinner ran");
            drop(writer.join().expect("writer"));
        });
    });
}

#[test]
fn a_busy_runtime_asks_the_kernel_at_most_once_per_20us() {
    util::within_thread(util::limit(), || {
        chronia::block_on(async {
            let before = chronia::runtime::stats();
            let start = Instant::now();
            let sleep = chronia::time::sleep(Duration::from_millis(20));
            let (spins, ()) = beside_a_spinner(sleep, || {}).await;
            let elapsed = start.elapsed();
            let s = chronia::runtime::stats();
            let waits = s.epoll_waits - before.epoll_waits;
            let blocking = s.blocking_parks - before.blocking_parks;
            let busy = s.nonblocking_parks - before.nonblocking_parks;
            assert!(spins > 0 && busy > 0, "the spinner ran: {s:?}");
            // Every blocking park waits in the kernel; a non-blocking one
            // only if 20 µs passed since the last wait began.
            let most = blocking + u64::try_from(elapsed.as_micros() / 20).expect("short") + 1;
            assert!(
                waits >= blocking,
                "{waits} waits, {blocking} blocking parks"
            );
            assert!(
                waits <= most,
                "{waits} epoll_waits in {elapsed:?} ({busy} busy turns), at most {most}"
            );
        });
    });
}
