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
//!   mean, median and 99th percentile, beside three floors that measure the
//!   kernel alone (a bare `epoll_pwait2` through the reactor's `Selector`, a
//!   bare timerfd + `epoll_wait`, and `clock_nanosleep`): the distance from
//!   chronia to the first floor is all that its driver, timer heap, waker
//!   and executor add to a sleep.
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

// --- floors: the kernel alone ------------------------------------------------

/// One bare `epoll_pwait2` (or `epoll_wait` where the selector has no
/// precise timeout) for `d`, on an epoll with nothing registered: what the
/// kernel and the VM cost for the wait chronia's runtime makes, without
/// its driver, timer heap, waker or executor.
fn floor_pwait2(d: Duration, samples: usize) -> Vec<Duration> {
    let mut selector = chronia_reactor::Selector::<()>::new().expect("a selector");
    selector.select(Some(Duration::ZERO)).expect("probe");
    let mut keys = [chronia_reactor::ReadyKey::default(); 4];
    (0..samples)
        .map(|_| {
            let start = Instant::now();
            selector.select_into(Some(d), &mut keys).expect("wait");
            start.elapsed()
        })
        .collect()
}

/// A timerfd armed for `d`, then `epoll_wait` until it fires: the floor of
/// the timerfd path (smol's, and chronia's with `CHRONIA_EPOLL_PWAIT2=0`).
fn floor_timerfd(d: Duration, samples: usize) -> Vec<Duration> {
    let mut selector = chronia_reactor::Selector::<()>::new().expect("a selector");
    let timer = selector
        .register_timer(Duration::from_secs(3600), false, ())
        .expect("a timerfd");
    let mut keys = [chronia_reactor::ReadyKey::default(); 4];
    (0..samples)
        .map(|_| {
            let start = Instant::now();
            selector.set_timer(timer, Some(d)).expect("arm");
            while selector.select_into(None, &mut keys).expect("wait") == 0 {}
            start.elapsed()
        })
        .collect()
}

/// What waking early would buy: a bare `epoll_pwait2` for `d` less
/// [`EARLY`], then a spin on the clock to the deadline. Not what chronia
/// does (it would burn up to `EARLY` of CPU per timer wake-up); the
/// distance to [`floor_pwait2`] is the kernel's and the VM's wake-up
/// latency that stands between any epoll-based runtime and the deadline.
fn floor_early_spin(d: Duration, samples: usize) -> Vec<Duration> {
    let mut selector = chronia_reactor::Selector::<()>::new().expect("a selector");
    selector.select(Some(Duration::ZERO)).expect("probe");
    let mut keys = [chronia_reactor::ReadyKey::default(); 4];
    (0..samples)
        .map(|_| {
            let start = Instant::now();
            let deadline = start + d;
            selector
                .select_into(Some(d.saturating_sub(EARLY)), &mut keys)
                .expect("wait");
            while Instant::now() < deadline {
                std::hint::spin_loop();
            }
            start.elapsed()
        })
        .collect()
}

/// How much earlier than the deadline [`floor_early_spin`] wakes.
const EARLY: Duration = Duration::from_micros(25);

/// `std::thread::sleep(d)` (`clock_nanosleep`), with a selector alive so
/// that the thread's timer slack is the 1 ns chronia sets.
fn floor_nanosleep(d: Duration, samples: usize) -> Vec<Duration> {
    let _slack = chronia_reactor::Selector::<()>::new().expect("a selector");
    (0..samples)
        .map(|_| {
            let start = Instant::now();
            std::thread::sleep(d);
            start.elapsed()
        })
        .collect()
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

/// Rounds of the precision section: the runners take turns, a slice of the
/// samples each time, so that a burst of load on a shared machine falls on
/// all of them.
const PRECISION_ROUNDS: usize = 10;

fn precision(d: Duration, samples: usize) {
    let runs: [(&str, PrecisionRun); 7] = [
        ("chronia", chronia_precision),
        ("tokio LocalSet", tokio_precision),
        ("smol + async-io", smol_precision),
        ("floor: epoll_pwait2", floor_pwait2),
        ("floor: timerfd + epoll", floor_timerfd),
        ("floor: clock_nanosleep", floor_nanosleep),
        ("no floor: wake 25µs early, spin", floor_early_spin),
    ];
    let mut all: Vec<Vec<Duration>> = vec![Vec::with_capacity(samples); runs.len()];
    for (_, run) in runs {
        run(d, samples / 10); // warm up
    }
    for _ in 0..PRECISION_ROUNDS {
        for ((_, run), out) in runs.iter().zip(&mut all) {
            out.extend(run(d, samples / PRECISION_ROUNDS));
        }
    }
    println!(
        "sleep({d:?}) actual duration, {samples} sleeps in {PRECISION_ROUNDS} interleaved rounds (µs)"
    );
    let stats: Vec<(f64, f64, f64)> = all
        .iter_mut()
        .map(|s| {
            s.sort();
            let mean = s.iter().map(|d| as_f64(*d)).sum::<f64>() / as_f64_len(s.len());
            (
                mean / 1e3,
                as_f64(quantile(s, 0.5)) / 1e3,
                as_f64(quantile(s, 0.99)) / 1e3,
            )
        })
        .collect();
    let ours = stats[0];
    for ((name, _), (mean, median, p99)) in runs.iter().zip(&stats) {
        println!(
            "  {name:<32} mean {mean:>8.1}  median {median:>8.1}  p99 {p99:>8.1}   chronia/this mean {:>5.2}  median {:>5.2}",
            ours.0 / mean,
            ours.1 / median,
        );
    }
}

fn as_f64_len(n: usize) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "a sample count fits in f64")]
    let n = n as f64;
    n
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
