//! Signal delivery latency side by side: chronia, tokio (`current_thread`
//! runtime with I/O enabled + `LocalSet`) and smol (`LocalExecutor` +
//! async-signal), printed with the ratio chronia/peer (below 1 means chronia
//! is faster).
//!
//! Run: `CARGO_TARGET_DIR=target-bench cargo bench --bench signals`
//!
//! A task raises SIGUSR1 at its own thread and awaits it; one round is the
//! time from just before `raise` to the moment the awaiting task is polled
//! with the signal. Each runtime runs in a child process of its own (this
//! binary, started again with `--runtime=NAME`), because tokio and
//! async-signal install handlers that outlive their runtimes and would sit
//! in front of the next runtime's. Nothing is asserted about time.

use std::process::Command;
use std::time::{Duration, Instant};

/// Rounds measured per runtime.
const ROUNDS: usize = 10_000;
/// Rounds run first and not measured.
const WARMUP: usize = 1_000;

const RUNTIMES: [&str; 3] = ["chronia", "tokio", "smol"];

/// Sends SIGUSR1 to the calling thread.
#[expect(unsafe_code, reason = "libc::raise has no safe wrapper in std")]
fn raise_usr1() {
    // SAFETY: raise takes a plain signal number and touches no memory of
    // ours; every runtime measured here has a listener for SIGUSR1 by now, so
    // its default action (terminate) cannot run.
    let rc = unsafe { libc::raise(libc::SIGUSR1) };
    assert_eq!(rc, 0, "raise(SIGUSR1) failed");
}

fn chronia_rounds() -> Vec<Duration> {
    chronia::block_on(async {
        chronia::spawn(async {
            let mut usr1 =
                chronia::signal::signal(chronia::signal::SIGUSR1).expect("a SIGUSR1 listener");
            let mut out = Vec::with_capacity(ROUNDS);
            for i in 0..WARMUP + ROUNDS {
                let start = Instant::now();
                raise_usr1();
                usr1.recv().await;
                if i >= WARMUP {
                    out.push(start.elapsed());
                }
            }
            out
        })
        .await
        .expect("no panic")
    })
}

fn tokio_rounds() -> Vec<Duration> {
    use tokio::signal::unix::{SignalKind, signal};

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("a tokio runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        tokio::task::spawn_local(async {
            let mut usr1 = signal(SignalKind::user_defined1()).expect("a SIGUSR1 listener");
            let mut out = Vec::with_capacity(ROUNDS);
            for i in 0..WARMUP + ROUNDS {
                let start = Instant::now();
                raise_usr1();
                usr1.recv().await.expect("the signal stream stays open");
                if i >= WARMUP {
                    out.push(start.elapsed());
                }
            }
            out
        })
        .await
        .expect("no panic")
    })
}

fn smol_rounds() -> Vec<Duration> {
    use smol::stream::StreamExt;

    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        ex.spawn(async {
            let mut usr1 = async_signal::Signals::new([async_signal::Signal::Usr1])
                .expect("a SIGUSR1 listener");
            let mut out = Vec::with_capacity(ROUNDS);
            for i in 0..WARMUP + ROUNDS {
                let start = Instant::now();
                raise_usr1();
                usr1.next()
                    .await
                    .expect("the signal stream stays open")
                    .expect("reading the signal pipe");
                if i >= WARMUP {
                    out.push(start.elapsed());
                }
            }
            out
        })
        .await
    }))
}

/// Runs one runtime's rounds in this process and prints `median p99` in ns.
fn child(runtime: &str) {
    let mut rounds = match runtime {
        "chronia" => chronia_rounds(),
        "tokio" => tokio_rounds(),
        "smol" => smol_rounds(),
        other => panic!("unknown runtime {other:?}; expected one of {RUNTIMES:?}"),
    };
    rounds.sort();
    let median = rounds[rounds.len() / 2];
    let p99 = rounds[rounds.len() * 99 / 100];
    println!("{} {}", median.as_nanos(), p99.as_nanos());
}

/// Runs `runtime` in a child process; its median and p99 in ns.
fn measure(runtime: &str) -> (f64, f64) {
    let exe = std::env::current_exe().expect("the path of this bench binary");
    let out = Command::new(exe)
        .arg(format!("--runtime={runtime}"))
        .output()
        .expect("running the bench's child process");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{runtime} child failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut numbers = text.split_whitespace().map(|n| {
        n.parse::<f64>()
            .unwrap_or_else(|e| panic!("{runtime} child printed {text:?}: {e}"))
    });
    let mut next = || {
        numbers
            .next()
            .unwrap_or_else(|| panic!("{runtime} child printed {text:?}, not two numbers"))
    };
    (next(), next())
}

fn main() {
    // cargo bench passes `--bench`; only our own flag matters.
    if let Some(runtime) =
        std::env::args().find_map(|a| a.strip_prefix("--runtime=").map(str::to_owned))
    {
        child(&runtime);
        return;
    }
    let results: Vec<(&str, (f64, f64))> = RUNTIMES.iter().map(|&r| (r, measure(r))).collect();
    let (ours_median, ours_p99) = results[0].1;
    println!(
        "SIGUSR1 raise -> awaiting task (ns per signal, {ROUNDS} rounds, one child process per runtime)"
    );
    for (name, (median, p99)) in results {
        println!(
            "  {name:<10} median {median:>8.0}  p99 {p99:>8.0}   chronia/this median {:>5.2}  p99 {:>5.2}",
            ours_median / median,
            ours_p99 / p99
        );
    }
}
