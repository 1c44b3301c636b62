//! Local sync primitives side by side with `tokio::sync`, async-channel and
//! async-lock, in one run, on one chronia runtime (so only the primitive
//! differs), printed as ns per operation with the ratio chronia/peer (below
//! 1 means chronia is faster).
//!
//! Run: `cargo bench --bench sync_compare` (`-- --quick` for fewer
//! iterations). Each figure is the median of 5 rounds. Nothing is asserted
//! about time.
//!
//! - mpsc: a producer task sends `MESSAGES` values through a bounded
//!   channel of capacity 128 to a consumer task; ns per value (send + recv).
//!   tokio's channel is also measured on tokio's own current-thread runtime.
//! - oneshot: create a channel, send, await the receiver, in one task.
//! - Mutex: uncontended `lock().await` + unlock; Semaphore: uncontended
//!   `acquire().await` + release.
//! - Notify: 100,000 tasks wait on `notified()`; the time of the one
//!   `notify_waiters()` call, and until every task has run.

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;
const CAPACITY: usize = 128;
const WAITERS: u32 = 100_000;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Runs `f` `ROUNDS` times; the median of what it returns (ns per op).
fn measure(mut f: impl FnMut() -> f64) -> f64 {
    f(); // warm-up
    median((0..ROUNDS).map(|_| f()).collect())
}

fn per_op(elapsed: Duration, ops: u32) -> f64 {
    elapsed.as_secs_f64() * 1e9 / f64::from(ops)
}

fn chronia_mpsc(messages: u32) -> f64 {
    chronia::block_on(async move {
        let (tx, mut rx) = chronia::sync::mpsc::channel(CAPACITY);
        let start = Instant::now();
        let producer = chronia::spawn(async move {
            for n in 0..messages {
                tx.send(n).await.expect("rx is alive");
            }
        });
        let mut sum = 0u32;
        while let Some(n) = rx.recv().await {
            sum = sum.wrapping_add(n);
        }
        black_box(sum);
        let elapsed = start.elapsed();
        producer.await.expect("no panic");
        per_op(elapsed, messages)
    })
}

fn tokio_mpsc_on_chronia(messages: u32) -> f64 {
    chronia::block_on(async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel(CAPACITY);
        let start = Instant::now();
        let producer = chronia::spawn(async move {
            for n in 0..messages {
                tx.send(n).await.expect("rx is alive");
            }
        });
        let mut sum = 0u32;
        while let Some(n) = rx.recv().await {
            sum = sum.wrapping_add(n);
        }
        black_box(sum);
        let elapsed = start.elapsed();
        producer.await.expect("no panic");
        per_op(elapsed, messages)
    })
}

fn tokio_mpsc_on_tokio(messages: u32) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel(CAPACITY);
        let start = Instant::now();
        let producer = tokio::task::spawn_local(async move {
            for n in 0..messages {
                tx.send(n).await.expect("rx is alive");
            }
        });
        let mut sum = 0u32;
        while let Some(n) = rx.recv().await {
            sum = sum.wrapping_add(n);
        }
        black_box(sum);
        let elapsed = start.elapsed();
        producer.await.expect("no panic");
        per_op(elapsed, messages)
    })
}

fn async_channel_mpsc(messages: u32) -> f64 {
    chronia::block_on(async move {
        let (tx, rx) = async_channel::bounded(CAPACITY);
        let start = Instant::now();
        let producer = chronia::spawn(async move {
            for n in 0..messages {
                tx.send(n).await.expect("rx is alive");
            }
        });
        let mut sum = 0u32;
        while let Ok(n) = rx.recv().await {
            sum = sum.wrapping_add(n);
        }
        black_box(sum);
        let elapsed = start.elapsed();
        producer.await.expect("no panic");
        per_op(elapsed, messages)
    })
}

fn chronia_oneshot(ops: u32) -> f64 {
    chronia::block_on(async move {
        let start = Instant::now();
        for n in 0..ops {
            let (tx, rx) = chronia::sync::oneshot::channel();
            tx.send(black_box(n)).expect("rx is alive");
            black_box(rx.await.expect("sent"));
        }
        per_op(start.elapsed(), ops)
    })
}

fn tokio_oneshot(ops: u32) -> f64 {
    chronia::block_on(async move {
        let start = Instant::now();
        for n in 0..ops {
            let (tx, rx) = tokio::sync::oneshot::channel();
            tx.send(black_box(n)).expect("rx is alive");
            black_box(rx.await.expect("sent"));
        }
        per_op(start.elapsed(), ops)
    })
}

fn chronia_mutex(ops: u32) -> f64 {
    chronia::block_on(async move {
        let mutex = chronia::sync::Mutex::new(0u64);
        let start = Instant::now();
        for _ in 0..ops {
            *black_box(&mutex).lock().await += 1;
        }
        black_box(mutex.into_inner());
        per_op(start.elapsed(), ops)
    })
}

fn tokio_mutex(ops: u32) -> f64 {
    chronia::block_on(async move {
        let mutex = tokio::sync::Mutex::new(0u64);
        let start = Instant::now();
        for _ in 0..ops {
            *black_box(&mutex).lock().await += 1;
        }
        black_box(mutex.into_inner());
        per_op(start.elapsed(), ops)
    })
}

fn async_lock_mutex(ops: u32) -> f64 {
    chronia::block_on(async move {
        let mutex = async_lock::Mutex::new(0u64);
        let start = Instant::now();
        for _ in 0..ops {
            *black_box(&mutex).lock().await += 1;
        }
        black_box(mutex.into_inner());
        per_op(start.elapsed(), ops)
    })
}

fn chronia_semaphore(ops: u32) -> f64 {
    chronia::block_on(async move {
        let semaphore = chronia::sync::Semaphore::new(1);
        let start = Instant::now();
        for _ in 0..ops {
            drop(black_box(&semaphore).acquire().await.expect("open"));
        }
        per_op(start.elapsed(), ops)
    })
}

fn tokio_semaphore(ops: u32) -> f64 {
    chronia::block_on(async move {
        let semaphore = tokio::sync::Semaphore::new(1);
        let start = Instant::now();
        for _ in 0..ops {
            drop(black_box(&semaphore).acquire().await.expect("open"));
        }
        per_op(start.elapsed(), ops)
    })
}

fn async_lock_semaphore(ops: u32) -> f64 {
    chronia::block_on(async move {
        let semaphore = async_lock::Semaphore::new(1);
        let start = Instant::now();
        for _ in 0..ops {
            drop(black_box(&semaphore).acquire().await);
        }
        per_op(start.elapsed(), ops)
    })
}

/// A boxed wait on a notification.
type Wait = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// (ns of the `notify_waiters` call, ns until every waiter ran), per waiter.
fn notify_waiters<N: 'static>(
    make: fn() -> N,
    notified: fn(Rc<N>) -> Wait,
    notify_all: fn(&N),
) -> (f64, f64) {
    chronia::block_on(async move {
        let notify = Rc::new(make());
        let woken = Rc::new(Cell::new(0u32));
        for _ in 0..WAITERS {
            let wait = notified(Rc::clone(&notify));
            let woken = Rc::clone(&woken);
            let _task = chronia::spawn(async move {
                wait.await;
                woken.set(woken.get() + 1);
            });
        }
        // Let every task register.
        chronia::task::yield_now().await;
        chronia::task::yield_now().await;
        let start = Instant::now();
        notify_all(&notify);
        let call = start.elapsed();
        while woken.get() < WAITERS {
            chronia::task::yield_now().await;
        }
        (per_op(call, WAITERS), per_op(start.elapsed(), WAITERS))
    })
}

fn row(name: &str, chronia: f64, peer_name: &str, peer: f64) {
    println!(
        "{name:<34} {chronia:>10.1} {peer_name:<24} {peer:>10.1} {:>7.2}x",
        chronia / peer
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = if quick { 10 } else { 1 };
    let messages = 1_000_000 / scale;
    let ops = 10_000_000 / scale;

    println!(
        "{:<34} {:>10} {:<24} {:>10} {:>8}",
        "operation (ns per op)", "chronia", "peer", "peer ns", "ratio"
    );
    let mpsc = measure(|| chronia_mpsc(messages));
    row(
        "mpsc bounded send+recv",
        mpsc,
        "tokio mpsc (chronia rt)",
        measure(|| tokio_mpsc_on_chronia(messages)),
    );
    row(
        "",
        mpsc,
        "tokio mpsc (tokio rt)",
        measure(|| tokio_mpsc_on_tokio(messages)),
    );
    row(
        "",
        mpsc,
        "async-channel bounded",
        measure(|| async_channel_mpsc(messages)),
    );

    let oneshot = measure(|| chronia_oneshot(ops / 2));
    row(
        "oneshot create+send+await",
        oneshot,
        "tokio oneshot",
        measure(|| tokio_oneshot(ops / 2)),
    );

    let mutex = measure(|| chronia_mutex(ops));
    row(
        "Mutex lock+unlock (uncontended)",
        mutex,
        "tokio Mutex",
        measure(|| tokio_mutex(ops)),
    );
    row(
        "",
        mutex,
        "async-lock Mutex",
        measure(|| async_lock_mutex(ops)),
    );

    let semaphore = measure(|| chronia_semaphore(ops));
    row(
        "Semaphore acquire+release",
        semaphore,
        "tokio Semaphore",
        measure(|| tokio_semaphore(ops)),
    );
    row(
        "",
        semaphore,
        "async-lock Semaphore",
        measure(|| async_lock_semaphore(ops)),
    );

    let ours = notify_waiters(
        chronia::sync::Notify::new,
        |n| Box::pin(async move { n.notified().await }),
        chronia::sync::Notify::notify_waiters,
    );
    let theirs = notify_waiters(
        tokio::sync::Notify::new,
        |n| Box::pin(async move { n.notified().await }),
        tokio::sync::Notify::notify_waiters,
    );
    row(
        "notify_waiters call, 100k waiters",
        ours.0,
        "tokio Notify",
        theirs.0,
    );
    row("  ... until all 100k ran", ours.1, "tokio Notify", theirs.1);
    println!(
        "(notify_waiters per waiter; total for 100k: chronia {:.2} ms, tokio {:.2} ms)",
        ours.0 * f64::from(WAITERS) / 1e6,
        theirs.0 * f64::from(WAITERS) / 1e6
    );
}
