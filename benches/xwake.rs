//! The cross-thread wake of a parked runtime, beside the kernel's floors:
//! where the time goes.
//!
//! Run: `cargo bench --bench xwake` (`-- --rounds N` for N interleaved
//! rounds, 5 by default; `-- --samples N` wakes per round, 2,000;
//! `-- --only NAME` for the rows whose name contains NAME, say `chronia`
//! under `strace -f -c` or callgrind).
//!
//! Each row is the median time from just before the waking thread's call
//! (`Waker::wake`, an eventfd write, a futex wake) to the parked thread
//! running again, after the parked side has slept 300 µs (so it is in the
//! kernel), the first tenth of each round dropped as warm-up. The rows:
//!
//! - `chronia`, `tokio`, `smol`: the `xwake` figure of
//!   `cargo bench --bench compare` (the same code, `benches/compare/`): a
//!   task's waker woken from another thread while its runtime is parked.
//! - `floor: eventfd + epoll`: a bare reactor `Selector` blocked in
//!   `epoll_wait` on a registered eventfd, which the other thread writes.
//!   That is every epoll runtime's path without its queue, waker and
//!   executor: the kernel's write, wake-up and return, and the VM's
//!   interrupt to the idle CPU.
//! - `floor: eventfd (edge) + epoll`: the same, the eventfd registered
//!   edge-triggered and never read (`SelectEvent::new_edge_triggered`, as
//!   chronia's and mio's unpark): one syscall fewer on the parked side.
//! - `floor: futex`: `std::thread::park` / `unpark` (one futex wait and
//!   wake), the cheapest way one thread can wake another that sleeps in
//!   the kernel.
//!
//! The distance from a runtime to the eventfd floor is all it adds; below
//! that floor only a runtime that spins instead of parking can go. Nothing
//! is asserted about time.

#[path = "compare/common.rs"]
#[allow(dead_code, reason = "shared with the compare bench")]
mod common;
#[path = "compare/rt_chronia.rs"]
#[allow(dead_code, reason = "shared with the compare bench")]
mod rt_chronia;
#[path = "compare/rt_smol.rs"]
#[allow(dead_code, reason = "shared with the compare bench")]
mod rt_smol;
#[path = "compare/rt_tokio.rs"]
#[allow(dead_code, reason = "shared with the compare bench")]
mod rt_tokio;
#[path = "support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chronia_reactor::{ReadyKey, SelectEvent, Selector};

/// How long the waking thread waits after the parked side said it is about
/// to park: long enough for it to be in the kernel (as in `compare`).
const PARK_TIME: Duration = Duration::from_micros(300);

/// The stamp the waking thread takes just before it wakes, and a flag the
/// parked side sets before it parks.
#[derive(Default)]
struct Stamp {
    parking: AtomicBool,
    at: Mutex<Option<Instant>>,
}

impl Stamp {
    /// The waking thread: waits until the other side is about to park,
    /// lets it park, stamps the time and wakes it with `wake`.
    fn wake_when_parked(&self, wake: impl FnOnce()) {
        while !self.parking.swap(false, Ordering::Acquire) {
            std::thread::sleep(Duration::from_micros(50));
        }
        std::thread::sleep(PARK_TIME);
        *self.at.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        wake();
    }

    fn elapsed(&self) -> Duration {
        self.at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("stamped before the wake")
            .elapsed()
    }
}

/// A bare selector parked in `epoll_wait` on an eventfd the other thread
/// writes, level-triggered: the selector reads the counter of each report.
fn floor_eventfd(samples: usize) -> Vec<Duration> {
    floor_selector(&SelectEvent::new().expect("an eventfd"), samples)
}

/// As [`floor_eventfd`], edge-triggered: no read, the runtime's unpark.
fn floor_eventfd_edge(samples: usize) -> Vec<Duration> {
    floor_selector(
        &SelectEvent::new_edge_triggered().expect("an eventfd"),
        samples,
    )
}

/// A bare selector parked on `event`, which the other thread triggers.
fn floor_selector(event: &SelectEvent, samples: usize) -> Vec<Duration> {
    let mut selector = Selector::<()>::new().expect("a selector");
    selector.register_event(event, ()).expect("register");
    let stamp = Arc::new(Stamp::default());
    let waker = {
        let (stamp, event) = (Arc::clone(&stamp), event.clone());
        std::thread::spawn(move || {
            for _ in 0..samples {
                stamp.wake_when_parked(|| event.trigger().expect("trigger"));
            }
        })
    };
    let mut keys = [ReadyKey::default(); 4];
    let out = (0..samples)
        .map(|_| {
            stamp.parking.store(true, Ordering::Release);
            while selector.select_into(None, &mut keys).expect("wait") == 0 {}
            stamp.elapsed()
        })
        .collect();
    waker.join().expect("the waking thread");
    out
}

/// `thread::park` woken by `unpark`: one futex wait and wake.
fn floor_futex(samples: usize) -> Vec<Duration> {
    let stamp = Arc::new(Stamp::default());
    let woken = Arc::new(AtomicBool::new(false));
    let parked = std::thread::current();
    let waker = {
        let (stamp, woken) = (Arc::clone(&stamp), Arc::clone(&woken));
        std::thread::spawn(move || {
            for _ in 0..samples {
                stamp.wake_when_parked(|| {
                    woken.store(true, Ordering::Release);
                    parked.unpark();
                });
            }
        })
    };
    let out = (0..samples)
        .map(|_| {
            stamp.parking.store(true, Ordering::Release);
            while !woken.swap(false, Ordering::Acquire) {
                std::thread::park();
            }
            stamp.elapsed()
        })
        .collect();
    waker.join().expect("the waking thread");
    out
}

/// One way of waking a parked thread: `samples` wakes, each one timed.
type Run = fn(usize) -> Vec<Duration>;

/// The median in µs, the first tenth dropped as warm-up.
fn median_us(samples: &[Duration]) -> f64 {
    support::median(
        samples[samples.len() / 10..]
            .iter()
            .map(|d| common::as_f64(*d) / 1e3)
            .collect(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|p| args.get(p + 1))
            .map_or(default, |v| v.parse().expect("a count"))
    };
    let (rounds, samples) = (flag("--rounds", 5).max(1), flag("--samples", 2000).max(10));
    let rows: [(&str, Run); 6] = [
        ("chronia", rt_chronia::cross_wake),
        ("tokio", rt_tokio::cross_wake),
        ("smol", rt_smol::cross_wake),
        ("floor: eventfd + epoll", floor_eventfd),
        ("floor: eventfd (edge) + epoll", floor_eventfd_edge),
        ("floor: futex", floor_futex),
    ];
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|p| args.get(p + 1));
    if let Some(only) = only {
        for (name, run) in rows.iter().filter(|(name, _)| name.contains(only.as_str())) {
            for round in 1..=rounds {
                let m = median_us(&run(samples));
                println!("round {round}: {name:<30} {m:>7.2} µs");
            }
        }
        return;
    }
    let mut medians: Vec<Vec<f64>> = vec![Vec::new(); rows.len()];
    for round in 1..=rounds {
        for ((name, run), medians) in rows.iter().zip(&mut medians) {
            let m = median_us(&run(samples));
            eprintln!("round {round}: {name:<30} {m:>7.2} µs");
            medians.push(m);
        }
    }
    let values: Vec<f64> = medians.into_iter().map(support::median).collect();
    let floor = values[3];
    println!(
        "\ncross-thread wake of a parked thread, median of {rounds} round medians ({samples} wakes each)\n"
    );
    println!("| path | µs | above the eventfd floor, µs | chronia / this |");
    println!("|---|---:|---:|---:|");
    for ((name, _), value) in rows.iter().zip(&values) {
        println!(
            "| {name} | {value:.2} | {:+.2} | {:.2} |",
            value - floor,
            values[0] / value
        );
    }
}
