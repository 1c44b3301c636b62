//! Stress scenario 6, many runtimes: threads with a runtime each, every one
//! listening for `SIGUSR1` and `SIGUSR2` and spawning children, while the
//! main thread (which blocks neither) sends the process `SIGUSR1` round
//! after round. Every runtime must see every round exactly once (a round
//! is sent only once all saw the one before, so nothing coalesces), every
//! child's exit must reach its own runtime with its own code, a final
//! `SIGUSR2` must reach them all, and afterwards the process must be as it
//! was (fds, threads, mask, dispositions, no zombie).
//!
//! Each runtime listens for `SIGCHLD` from its first spawn, so this also
//! checks that the number of runtimes listening for one signal is not
//! capped below the thread count. `harness = false`: the main thread is
//! the only bystander. Default 16 threads; `CHRONIA_STRESS=full` runs 100
//! and multiplies the rounds and children; `CHRONIA_STRESS_THREADS=N` sets
//! the thread count.

mod stress_util;

use std::io;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use chronia::process::Command;
use chronia::signal::{SIGUSR1, SIGUSR2, signal};
use stress_util::{self as s, Counters, Snapshot, Watchdog};

/// Overrides the number of threads (and so of runtimes).
const THREADS: &str = "CHRONIA_STRESS_THREADS";

fn main() {
    let threads = std::env::var(THREADS).ok().map_or_else(
        // 16 under valgrind, which runs one thread at a time: with 100 a
        // round of SIGUSR1 took over 30 s to reach every runtime there.
        || {
            if s::under_valgrind() {
                16
            } else {
                s::pick(100, 100)
            }
        },
        |v| v.parse().expect("CHRONIA_STRESS_THREADS is a number"),
    );
    let rounds = s::scaled(50);
    let children = s::scaled(10);
    println!(
        "stress_many_runtimes: {threads} threads with a runtime each, {children} children each, \
         {rounds} rounds of SIGUSR1 then one SIGUSR2 from the main thread"
    );
    let counters = Counters::new(&["listening", "children_reported", "children_done", "stopped"]);
    let seen: Arc<Vec<AtomicUsize>> = Arc::new((0..threads).map(|_| AtomicUsize::new(0)).collect());
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let describe = describer(&counters, &seen, &errors);
    let _watchdog = Watchdog::start(
        "stress_many_runtimes",
        Duration::from_secs(60) * u32::try_from(s::scaled(1)).expect("small"),
        describe.clone(),
    );
    let before = Snapshot::take();
    let start = Instant::now();

    let ready = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (ready, counters, seen, errors) = (
                ready.clone(),
                counters.clone(),
                seen.clone(),
                errors.clone(),
            );
            std::thread::Builder::new()
                .name(format!("runtime-{t}"))
                .spawn(move || {
                    if let Err(e) = runtime_thread(t, children, &ready, &counters, &seen) {
                        errors
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(format!("thread {t}: {e} ({:?})", e.kind()));
                    }
                })
                .expect("a thread")
        })
        .collect();
    ready.wait();
    let failed = || errors.lock().expect("not poisoned").len();
    for round in 1..=rounds {
        if failed() > 0 {
            break;
        }
        s::kill_process(SIGUSR1);
        s::wait_until(
            &format!("every runtime sees round {round}"),
            Duration::from_secs(30),
            || failed() > 0 || seen.iter().all(|n| n.load(Ordering::SeqCst) >= round),
            &describe,
        );
    }
    // SIGUSR2 ends every runtime that listens, including after a failure.
    s::wait_until(
        "every runtime is done with its children or failed",
        Duration::from_secs(60),
        || counters.get("children_done") + failed() == threads,
        &describe,
    );
    s::kill_process(SIGUSR2);
    for handle in handles {
        handle.join().expect("a runtime thread does not panic");
    }
    let mut errors = errors.lock().expect("not poisoned").clone();
    errors.sort();
    assert!(
        errors.is_empty(),
        "{} of {threads} runtimes failed:\n{}",
        errors.len(),
        errors.join("\n")
    );
    for (t, n) in seen.iter().enumerate() {
        assert_eq!(
            n.load(Ordering::SeqCst),
            rounds,
            "thread {t}: each round once"
        );
    }
    assert_eq!(counters.get("stopped"), threads);
    let wall = start.elapsed();
    before.assert_same(&Snapshot::take(), "after every runtime thread ended");
    println!(
        "stress_many_runtimes: ok in {wall:.2?}; {}",
        counters.describe()
    );
}

/// What the watchdog and the waits print: the counters, the rounds each
/// thread saw, the errors.
fn describer(
    counters: &Arc<Counters>,
    seen: &Arc<Vec<AtomicUsize>>,
    errors: &Arc<Mutex<Vec<String>>>,
) -> impl Fn() -> String + Clone + Send + 'static {
    let (counters, seen, errors) = (counters.clone(), seen.clone(), errors.clone());
    move || {
        let seen: Vec<usize> = seen.iter().map(|n| n.load(Ordering::SeqCst)).collect();
        format!(
            "{}; rounds seen per thread {seen:?}; errors {:?}",
            counters.describe(),
            errors
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        )
    }
}

fn runtime_thread(
    t: usize,
    children: usize,
    ready: &Barrier,
    counters: &Arc<Counters>,
    seen: &Arc<Vec<AtomicUsize>>,
) -> io::Result<()> {
    chronia::block_on(async {
        let listeners = signal(SIGUSR1).and_then(|usr1| Ok((usr1, signal(SIGUSR2)?)));
        // Every thread reaches the barrier, failed or not, so that the
        // main thread never waits for one that gave up.
        ready.wait();
        let (mut usr1, mut usr2) = listeners?;
        counters.add("listening");
        let rounds = {
            let seen = seen.clone();
            chronia::spawn(async move {
                loop {
                    usr1.recv().await;
                    seen[t].fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let mut spawned = Vec::new();
        for k in 0..children {
            let code = exit_code(t, k);
            let child = Command::new("/bin/sh")
                .args(["-c", &format!("exit {code}")])
                .spawn()?;
            spawned.push((code, child));
        }
        for (code, mut child) in spawned {
            let status: ExitStatus = child.wait().await?;
            assert_eq!(status.code(), Some(code), "thread {t}: {status}");
            counters.add("children_reported");
        }
        counters.add("children_done");
        usr2.recv().await;
        rounds.abort();
        let _ = rounds.await;
        counters.add("stopped");
        Ok(())
    })
}

fn exit_code(t: usize, k: usize) -> i32 {
    i32::try_from((t * 31 + k * 7) % 256).expect("below 256")
}
