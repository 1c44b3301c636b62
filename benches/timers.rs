//! Timers side by side: chronia, tokio (`current_thread` runtime with time
//! enabled + `LocalSet`) and smol (`LocalExecutor` + async-io's `Timer`), in
//! one run, printed with the ratio chronia/peer (below 1 means chronia is
//! faster or, for precision, closer to the asked duration).
//!
//! Run: `CARGO_TARGET_DIR=target-bench cargo bench --bench timers`
//!
//! - register + cancel: a task creates a 1 s sleep, polls it once so that it
//!   takes its place in the runtime's timers, and drops it; alone, and with
//!   10,000 later timers pending.
//! - 100,000 concurrent sleeps of 1 to 100 ms: spawn all, join all, wall time
//!   (ideal: 100 ms).
//! - precision: the actual duration of `sleep(100 µs)` and `sleep(1 ms)`,
//!   median and 99th percentile.
//!
//! `-- cancel`, `-- sleeps` or `-- precision` after the command runs one
//! section. Each figure is the median of several runs; nothing is asserted about time.

use std::future::{Future, poll_fn};
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::{Duration, Instant};

/// Runs of each measurement; the median is reported.
const RUNS: usize = 7;
/// Register + cancel pairs per run.
const CANCELS: u32 = 1_000_000;
/// Timers left pending during the second register + cancel row.
const PENDING: u32 = 10_000;
/// Sleeps in the concurrent-sleeps run.
const SLEEPERS: u32 = 100_000;
/// Runs of the concurrent-sleeps measurement.
const SLEEPER_RUNS: usize = 5;

/// Polls `f` once with the task's context: enough for a timer to register.
async fn poll_once<F: Future>(mut f: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await
}

/// The duration of sleeper `i`: 1 to 100 ms, spread evenly.
fn spread(i: u32) -> Duration {
    Duration::from_millis(u64::from(1 + i % 100))
}

/// The deadline offset of pending timer `i`: 2 to 12 s, so none fires during
/// a run and every 1 s timer of the loop is the earliest (for a binary heap,
/// the longest way up and down; a wheel does not care).
fn later(i: u32) -> Duration {
    Duration::from_secs(2) + Duration::from_micros(u64::from(i) * 1_000_000 / u64::from(PENDING))
}

fn as_f64(d: Duration) -> f64 {
    #[expect(
        clippy::cast_precision_loss,
        reason = "nanoseconds of a bench run fit in f64"
    )]
    let ns = d.as_nanos() as f64;
    ns
}

// --- chronia -----------------------------------------------------------------

fn chronia_register_cancel(n: u32, pending: u32) -> Duration {
    chronia::block_on(async move {
        chronia::spawn(async move {
            let mut others = Vec::new();
            for i in 0..pending {
                let mut sleep = chronia::time::sleep(later(i));
                assert!(poll_once(Pin::new(&mut sleep)).await.is_pending());
                others.push(sleep);
            }
            let start = Instant::now();
            for _ in 0..n {
                let sleep = pin!(chronia::time::sleep(Duration::from_secs(1)));
                black_box(poll_once(sleep).await.is_pending());
            }
            start.elapsed()
        })
        .await
        .expect("no panic")
    })
}

fn chronia_many_sleeps(n: u32) -> Duration {
    chronia::block_on(async move {
        let start = Instant::now();
        let sleepers: Vec<_> = (0..n)
            .map(|i| chronia::spawn(chronia::time::sleep(spread(i))))
            .collect();
        for s in sleepers {
            s.await.expect("no panic");
        }
        start.elapsed()
    })
}

fn chronia_precision(d: Duration, samples: usize) -> Vec<Duration> {
    chronia::block_on(async move {
        let mut out = Vec::with_capacity(samples);
        for _ in 0..samples {
            let start = Instant::now();
            chronia::time::sleep(d).await;
            out.push(start.elapsed());
        }
        out
    })
}

// --- tokio -------------------------------------------------------------------

fn tokio_runtime() -> (tokio::runtime::Runtime, tokio::task::LocalSet) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    (rt, tokio::task::LocalSet::new())
}

fn tokio_register_cancel(n: u32, pending: u32) -> Duration {
    let (rt, local) = tokio_runtime();
    local.block_on(&rt, async move {
        // Unconstrained: tokio's cooperative budget would otherwise make
        // every poll after the 128th return `Pending` without registering.
        tokio::task::spawn_local(tokio::task::unconstrained(async move {
            let mut others = Vec::new();
            for i in 0..pending {
                let mut sleep = Box::pin(tokio::time::sleep(later(i)));
                assert!(poll_once(sleep.as_mut()).await.is_pending());
                others.push(sleep);
            }
            let start = Instant::now();
            for _ in 0..n {
                let sleep = pin!(tokio::time::sleep(Duration::from_secs(1)));
                black_box(poll_once(sleep).await.is_pending());
            }
            start.elapsed()
        }))
        .await
        .expect("no panic")
    })
}

fn tokio_many_sleeps(n: u32) -> Duration {
    let (rt, local) = tokio_runtime();
    local.block_on(&rt, async move {
        let start = Instant::now();
        let sleepers: Vec<_> = (0..n)
            .map(|i| tokio::task::spawn_local(tokio::time::sleep(spread(i))))
            .collect();
        for s in sleepers {
            s.await.expect("no panic");
        }
        start.elapsed()
    })
}

fn tokio_precision(d: Duration, samples: usize) -> Vec<Duration> {
    let (rt, local) = tokio_runtime();
    local.block_on(&rt, async move {
        let mut out = Vec::with_capacity(samples);
        for _ in 0..samples {
            let start = Instant::now();
            tokio::time::sleep(d).await;
            out.push(start.elapsed());
        }
        out
    })
}

// --- smol --------------------------------------------------------------------

// `smol::Timer` is `async_io::Timer`, and `smol::block_on` is async-io's,
// which drives the reactor on this thread while it waits.

fn smol_register_cancel(n: u32, pending: u32) -> Duration {
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        ex.spawn(async move {
            let mut others = Vec::new();
            for i in 0..pending {
                let mut timer = smol::Timer::after(later(i));
                assert!(poll_once(Pin::new(&mut timer)).await.is_pending());
                others.push(timer);
            }
            let start = Instant::now();
            for _ in 0..n {
                let timer = pin!(smol::Timer::after(Duration::from_secs(1)));
                black_box(poll_once(timer).await.is_pending());
            }
            start.elapsed()
        })
        .await
    }))
}

fn smol_many_sleeps(n: u32) -> Duration {
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let start = Instant::now();
        let sleepers: Vec<_> = (0..n)
            .map(|i| ex.spawn(smol::Timer::after(spread(i))))
            .collect();
        for s in sleepers {
            s.await;
        }
        start.elapsed()
    }))
}

fn smol_precision(d: Duration, samples: usize) -> Vec<Duration> {
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let mut out = Vec::with_capacity(samples);
        for _ in 0..samples {
            let start = Instant::now();
            smol::Timer::after(d).await;
            out.push(start.elapsed());
        }
        out
    }))
}

// --- measuring and reporting -------------------------------------------------

/// The median of `runs` runs (after one warm-up run), in ns per operation.
fn median_per_op(runs: usize, ops: u32, run: impl Fn() -> Duration) -> f64 {
    run();
    let mut samples: Vec<f64> = (0..runs).map(|_| as_f64(run()) / f64::from(ops)).collect();
    samples.sort_by(f64::total_cmp);
    samples[runs / 2]
}

/// The `q`-quantile (0 to 1) of sorted samples.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short vector, from a fraction in 0..=1"
    )]
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

fn report(what: &str, unit: &str, results: &[(&str, f64)]) {
    let ours = results[0].1;
    println!("{what}");
    for (name, value) in results {
        println!(
            "  {name:<22} {value:>10.1} {unit:<3}  chronia/this {:>5.2}",
            ours / value
        );
    }
}

fn register_cancel(pending: u32) {
    let what = if pending == 0 {
        "timer register + cancel (ns per pair)".to_owned()
    } else {
        format!("timer register + cancel, {pending} later timers pending (ns per pair)")
    };
    report(
        &what,
        "ns",
        &[
            (
                "chronia",
                median_per_op(RUNS, CANCELS, || chronia_register_cancel(CANCELS, pending)),
            ),
            (
                "tokio LocalSet",
                median_per_op(RUNS, CANCELS, || tokio_register_cancel(CANCELS, pending)),
            ),
            (
                "smol + async-io",
                median_per_op(RUNS, CANCELS, || smol_register_cancel(CANCELS, pending)),
            ),
        ],
    );
}

fn many_sleeps() {
    let ms = |run: fn(u32) -> Duration| median_per_op(SLEEPER_RUNS, 1, || run(SLEEPERS)) / 1e6;
    report(
        &format!("{SLEEPERS} concurrent sleeps of 1-100 ms, spawn + join all (wall ms, ideal 100)"),
        "ms",
        &[
            ("chronia", ms(chronia_many_sleeps)),
            ("tokio LocalSet", ms(tokio_many_sleeps)),
            ("smol + async-io", ms(smol_many_sleeps)),
        ],
    );
}

/// Sleeps `samples` times for the duration given; the actual durations.
type PrecisionRun = fn(Duration, usize) -> Vec<Duration>;

fn precision(d: Duration, samples: usize) {
    let runs: [(&str, PrecisionRun); 3] = [
        ("chronia", chronia_precision),
        ("tokio LocalSet", tokio_precision),
        ("smol + async-io", smol_precision),
    ];
    let mut results = Vec::new();
    println!("sleep({d:?}) actual duration, {samples} sleeps (µs)");
    for (name, run) in runs {
        run(d, samples / 10); // warm up
        let mut s = run(d, samples);
        s.sort();
        let (median, p99) = (quantile(&s, 0.5), quantile(&s, 0.99));
        results.push((name, as_f64(median) / 1e3, as_f64(p99) / 1e3));
    }
    let (ours_median, ours_p99) = (results[0].1, results[0].2);
    for (name, median, p99) in results {
        println!(
            "  {name:<22} median {median:>8.1}  p99 {p99:>8.1}   chronia/this median {:>5.2}  p99 {:>5.2}",
            ours_median / median,
            ours_p99 / p99
        );
    }
}

fn main() {
    // `cargo bench --bench timers -- WORD` runs only the sections whose name
    // holds WORD (cancel, sleeps, precision); cargo's own `--bench` is skipped.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted =
        |section: &str| filters.is_empty() || filters.iter().any(|f| section.contains(f.as_str()));
    if wanted("cancel") {
        register_cancel(0);
        register_cancel(PENDING);
    }
    if wanted("sleeps") {
        many_sleeps();
    }
    if wanted("precision") {
        precision(Duration::from_micros(100), 2000);
        precision(Duration::from_millis(1), 500);
    }
}
