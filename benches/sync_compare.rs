//! Local sync primitives side by side with `tokio::sync`, async-channel and
//! async-lock, in one run, on one chronia runtime (so only the primitive
//! differs), printed as ns per operation with the ratio chronia/peer (below
//! 1 means chronia is faster).
//!
//! Run: `cargo bench --bench sync_compare` (`-- --quick` for fewer
//! iterations; `-- WORD` runs only the rows whose name contains WORD, as
//! `-- oneshot`). chronia and its peer take turns, 5 rounds each after a
//! warm-up; each figure is the best round (on a shared machine the fastest
//! round is the one least disturbed by other processes), the median beside
//! it, and the ratio is of the best rounds. Nothing is asserted about
//! time. `SYNC_COMPARE_SIDE=chronia` (or `peer`) runs one round of one
//! side only, without warm-up, so `perf record` or
//! `valgrind --tool=callgrind` sees one primitive alone.
//!
//! - mpsc: a producer task sends `MESSAGES` values through a bounded
//!   channel of capacity 128 to a consumer task; ns per value (send + recv).
//!   tokio's channel is also measured on tokio's own current-thread runtime.
//! - oneshot: create a channel, send, await the receiver, in one task.
//!   tokio's is also measured on tokio's own current-thread runtime, where
//!   its cooperative budget is in force as ours is on chronia.
//! - Mutex: uncontended `lock().await` + unlock; Semaphore: uncontended
//!   `acquire().await` + release.
//! - broadcast: create a channel of capacity 16, then send + `recv` 16
//!   values through it, in one task; ns per value (the creation, one
//!   allocation for chronia, is spread over the 16).
//! - Notify: 100,000 tasks wait on `notified()`; the time of the one
//!   `notify_waiters()` call, and until every task has run.

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;
const CAPACITY: usize = 128;
const WAITERS: u32 = 100_000;

/// A figure: the best and the median round, in ns per op.
#[derive(Clone, Copy)]
struct Figure {
    best: f64,
    median: f64,
}

fn figure(mut samples: Vec<f64>) -> Figure {
    samples.sort_by(f64::total_cmp);
    Figure {
        best: samples[0],
        median: samples[samples.len() / 2],
    }
}

/// Runs `ours` and `peer` `ROUNDS` times each, taking turns (so a change in
/// the machine's load hits both), after a warm-up round of each.
fn pair(mut ours: impl FnMut() -> f64, mut peer: impl FnMut() -> f64) -> (Figure, Figure) {
    // One side, one round: for a profiler (see the module docs).
    match std::env::var("SYNC_COMPARE_SIDE").as_deref() {
        Ok("chronia") => {
            let x = figure(vec![ours()]);
            return (x, x);
        }
        Ok("peer") => {
            let x = figure(vec![peer()]);
            return (x, x);
        }
        _ => {}
    }
    ours();
    peer();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        a.push(ours());
        b.push(peer());
    }
    (figure(a), figure(b))
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

/// tokio's oneshot, the same loop as [`chronia_oneshot`], on either runtime.
async fn tokio_oneshot_loop(ops: u32) -> f64 {
    let start = Instant::now();
    for n in 0..ops {
        let (tx, rx) = tokio::sync::oneshot::channel();
        tx.send(black_box(n)).expect("rx is alive");
        black_box(rx.await.expect("sent"));
    }
    per_op(start.elapsed(), ops)
}

fn tokio_oneshot(ops: u32) -> f64 {
    chronia::block_on(tokio_oneshot_loop(ops))
}

fn tokio_oneshot_on_tokio(ops: u32) -> f64 {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
        .block_on(tokio_oneshot_loop(ops))
}

/// Values sent through each broadcast channel before a new one is made.
const BROADCAST_BATCH: u32 = 16;

fn chronia_broadcast(ops: u32) -> f64 {
    chronia::block_on(async move {
        let start = Instant::now();
        for _ in 0..ops / BROADCAST_BATCH {
            let (tx, mut rx) = chronia::sync::broadcast::channel(BROADCAST_BATCH as usize);
            for n in 0..BROADCAST_BATCH {
                tx.send(black_box(n)).expect("rx is alive");
                black_box(rx.recv().await.expect("sent"));
            }
        }
        per_op(start.elapsed(), ops)
    })
}

fn tokio_broadcast(ops: u32) -> f64 {
    chronia::block_on(async move {
        let start = Instant::now();
        for _ in 0..ops / BROADCAST_BATCH {
            let (tx, mut rx) = tokio::sync::broadcast::channel(BROADCAST_BATCH as usize);
            for n in 0..BROADCAST_BATCH {
                tx.send(black_box(n)).expect("rx is alive");
                black_box(rx.recv().await.expect("sent"));
            }
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

fn row(name: &str, chronia: Figure, peer_name: &str, peer: Figure) {
    println!(
        "{name:<34} {:>7.1} ({:>6.1}) {peer_name:<24} {:>7.1} ({:>6.1}) {:>6.2}x",
        chronia.best,
        chronia.median,
        peer.best,
        peer.median,
        chronia.best / peer.best
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let wanted = |name: &str| only.as_ref().is_none_or(|w| name.contains(w.as_str()));
    let scale = if quick { 10 } else { 1 };
    let messages = 1_000_000 / scale;
    let ops = 10_000_000 / scale;

    println!(
        "{:<34} {:>16} {:<24} {:>16} {:>7}",
        "ns per op: best (median)", "chronia", "peer", "peer", "ratio"
    );
    if wanted("mpsc") {
        let (ours, peer) = pair(
            || chronia_mpsc(messages),
            || tokio_mpsc_on_chronia(messages),
        );
        row(
            "mpsc bounded send+recv",
            ours,
            "tokio mpsc (chronia rt)",
            peer,
        );
        let (ours, peer) = pair(|| chronia_mpsc(messages), || tokio_mpsc_on_tokio(messages));
        row("", ours, "tokio mpsc (tokio rt)", peer);
        let (ours, peer) = pair(|| chronia_mpsc(messages), || async_channel_mpsc(messages));
        row("", ours, "async-channel bounded", peer);
    }
    if wanted("oneshot") {
        let (ours, peer) = pair(|| chronia_oneshot(ops / 2), || tokio_oneshot(ops / 2));
        row(
            "oneshot create+send+await",
            ours,
            "tokio oneshot (chronia)",
            peer,
        );
        let (ours, peer) = pair(
            || chronia_oneshot(ops / 2),
            || tokio_oneshot_on_tokio(ops / 2),
        );
        row("", ours, "tokio oneshot (tokio rt)", peer);
    }
    if wanted("mutex") {
        let (ours, peer) = pair(|| chronia_mutex(ops), || tokio_mutex(ops));
        row("mutex lock+unlock (uncontended)", ours, "tokio Mutex", peer);
        let (ours, peer) = pair(|| chronia_mutex(ops), || async_lock_mutex(ops));
        row("", ours, "async-lock Mutex", peer);
    }
    if wanted("semaphore") {
        let (ours, peer) = pair(|| chronia_semaphore(ops), || tokio_semaphore(ops));
        row("semaphore acquire+release", ours, "tokio Semaphore", peer);
        let (ours, peer) = pair(|| chronia_semaphore(ops), || async_lock_semaphore(ops));
        row("", ours, "async-lock Semaphore", peer);
    }
    if wanted("broadcast") {
        let (ours, peer) = pair(|| chronia_broadcast(ops / 4), || tokio_broadcast(ops / 4));
        row(
            "broadcast create/16 + send+recv",
            ours,
            "tokio broadcast",
            peer,
        );
    }
    if wanted("notify") {
        let ours = || {
            notify_waiters(
                chronia::sync::Notify::new,
                |n| Box::pin(async move { n.notified().await }),
                chronia::sync::Notify::notify_waiters,
            )
        };
        let theirs = || {
            notify_waiters(
                tokio::sync::Notify::new,
                |n| Box::pin(async move { n.notified().await }),
                tokio::sync::Notify::notify_waiters,
            )
        };
        // Warm-up of both (the first big run pays for fresh pages), then
        // three rounds each, taking turns.
        ours();
        theirs();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            a.push(ours());
            b.push(theirs());
        }
        let call = |v: &[(f64, f64)]| figure(v.iter().map(|r| r.0).collect());
        let all = |v: &[(f64, f64)]| figure(v.iter().map(|r| r.1).collect());
        row(
            "notify_waiters call, 100k waiters",
            call(&a),
            "tokio Notify",
            call(&b),
        );
        row("  ... until all 100k ran", all(&a), "tokio Notify", all(&b));
        println!(
            "(notify_waiters rows: ns per waiter; the best call for 100k: chronia {:.2} ms, tokio {:.2} ms)",
            call(&a).best * f64::from(WAITERS) / 1e6,
            call(&b).best * f64::from(WAITERS) / 1e6
        );
    }
}
