//! Stress scenario 7, the signal teardown race (issue 9, item 15): two
//! runtime threads subscribe to `SIGUSR1` and drop the subscription in a
//! tight loop while a bystander thread, which does not block it, raises it
//! in itself in a tight loop. The forwarding handler runs on the bystander
//! and `tgkill`s every subscribed thread; a forward still pending when the
//! last subscriber restores `SIG_DFL` would take the default action and
//! end the process. This runs in a child process, which must never die of
//! it and must end with the disposition and mask as they were.
//!
//! Only deliveries that can be the runtime's fault are sent: the bystander
//! raises while holding a lock that every subscriber takes to count itself
//! in and out, and only while the count is above zero; the subscriber that
//! takes the count to zero drops its subscription under that lock. So a
//! raise never meets `SIG_DFL` itself, while drops of a subscriber that is
//! not the last run concurrently with raises, which is the race.
//!
//! Two busy threads (blocking every signal) compete for the cores, so that
//! a runtime thread is often preempted right after a forward reached it.
//!
//! `harness = false`: the child is this binary run again
//! (`CHRONIA_STRESS_CHILD=race`). `CHRONIA_STRESS=full` multiplies the
//! cycles.

mod stress_util;

use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chronia::signal::{SIGUSR1, signal};
use chronia::task::yield_now;
use stress_util::{self as s, Counters, Snapshot, Watchdog};

/// Busy threads that compete with the runtime threads for the cores.
const PREEMPTERS: usize = 2;
/// Subscribe / drop cycles per runtime thread.
const CYCLES: &str = "CHRONIA_STRESS_CYCLES";

fn main() {
    if s::child_role().as_deref() == Some("race") {
        race();
        return;
    }
    let cycles = s::scaled(50_000);
    println!(
        "stress_teardown_race: 2 runtime threads x {cycles} SIGUSR1 subscribe/drop cycles while a \
         bystander raises SIGUSR1 in a tight loop, in a child process"
    );
    let limit = Duration::from_secs(120) * u32::try_from(s::scaled(1)).expect("small");
    let run = s::run_child("race", &[(CYCLES, cycles.to_string())], limit);
    let died = run.status.signal();
    assert!(
        run.status.success(),
        "the child {}: {}\nstdout:\n{}\nstderr:\n{}",
        match died {
            Some(signo) => format!("died of signal {signo} (SIGUSR1 is {SIGUSR1})"),
            None => format!("failed ({})", run.status),
        },
        "a forwarded signal met the restored default action",
        run.stdout,
        run.stderr
    );
    print!("{}", run.stdout);
    println!("stress_teardown_race: ok in {:.2?}", run.wall);
}

fn lock(gate: &Mutex<usize>) -> MutexGuard<'_, usize> {
    gate.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---- the child ----

fn race() {
    let cycles: usize = std::env::var(CYCLES)
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("the parent says how many cycles");
    let counters = Counters::new(&["cycles", "raises"]);
    let dog = counters.clone();
    let _watchdog = Watchdog::start(
        "stress_teardown_race child",
        Duration::from_secs(100) * u32::try_from(s::scaled(1)).expect("small"),
        move || dog.describe(),
    );
    let before = Snapshot::take();
    assert_eq!(
        before.caught & s::bit(SIGUSR1),
        0,
        "SIGUSR1 starts at SIG_DFL"
    );
    // How many runtime threads hold a subscription they have not begun to
    // drop.
    let gate = Arc::new(Mutex::new(0usize));
    let stop = Arc::new(AtomicBool::new(false));
    let bystander = {
        let (gate, stop, counters) = (gate.clone(), stop.clone(), counters.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let listening = lock(&gate);
                if *listening > 0 {
                    // The handler runs here, before raise returns.
                    s::raise(SIGUSR1);
                    counters.add("raises");
                }
                drop(listening);
                std::hint::spin_loop();
            }
        })
    };
    // The window is a runtime thread that received a forward being off
    // the CPU while the other one restores the disposition: threads that
    // keep every core busy make such preemptions common. They block every
    // signal, so no delivery goes to them.
    let preempters: Vec<_> = (0..PREEMPTERS)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                s::block_all_signals_in_this_thread();
                while !stop.load(Ordering::SeqCst) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    let runtimes: Vec<_> = (0..2)
        .map(|_| {
            let (gate, counters) = (gate.clone(), counters.clone());
            std::thread::spawn(move || {
                chronia::block_on(async {
                    for _ in 0..cycles {
                        let usr1 = signal(SIGUSR1).expect("listen for SIGUSR1");
                        *lock(&gate) += 1;
                        yield_now().await;
                        let mut listening = lock(&gate);
                        *listening -= 1;
                        if *listening == 0 {
                            // The last one: no raise may start meanwhile.
                            drop(usr1);
                            drop(listening);
                        } else {
                            drop(listening);
                            drop(usr1);
                        }
                        counters.add("cycles");
                    }
                });
            })
        })
        .collect();
    for runtime in runtimes {
        runtime.join().expect("a runtime thread does not panic");
    }
    stop.store(true, Ordering::SeqCst);
    bystander.join().expect("the bystander does not panic");
    for thread in preempters {
        thread.join().expect("a preempter does not panic");
    }
    assert_eq!(counters.get("cycles"), 2 * cycles);
    before.assert_same(&Snapshot::take(), "after the race");
    println!("child: {}", counters.describe());
}
