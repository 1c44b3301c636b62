//! Stress scenario 3, a signal storm with children: while another thread
//! sends `SIGUSR1` to the process in a tight loop, the runtime spawns
//! children with varied exit codes and runs many timers. Each exit must be
//! reported once with its own code, every timer must fire and none early,
//! the runtime must keep hearing the signal (and never hang: a watchdog
//! names what was pending), and afterwards the process must be as it was:
//! fds, threads, the signal mask, the ignored and caught signals, no
//! zombie.
//!
//! `harness = false`: the runtime's thread and the sender are the only
//! threads that can take a signal (the watchdog blocks them all), so the
//! kernel hands the storm to the sender, whose forwarding handler passes it
//! on. `CHRONIA_STRESS=full` multiplies the counts.

mod stress_util;

use std::cell::Cell;
use std::process::ExitStatus;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chronia::process::Command;
use chronia::signal::{SIGUSR1, signal};
use chronia::time::sleep_until;
use stress_util::{self as s, Counters, Rng, Snapshot, Watchdog};

/// Children in flight at once.
const CHILDREN_AT_ONCE: usize = 20;
/// Timers are due within this much of their start.
const TIMER_SPAN_MS: u64 = 500;

fn main() {
    let children = s::scaled(200);
    let timers = s::scaled(5_000);
    let signals = s::scaled(20_000);
    println!(
        "stress_signal_storm: {children} children ({CHILDREN_AT_ONCE} at a time), {timers} timers \
         due within {TIMER_SPAN_MS} ms, at least {signals} SIGUSR1 from another thread, \
         more until the children and timers are done"
    );
    let counters = Counters::new(&[
        "sent",
        "delivered",
        "children_reported",
        "timers_fired",
        "timers_early",
    ]);
    let dog = counters.clone();
    let _watchdog = Watchdog::start(
        "stress_signal_storm",
        Duration::from_secs(60) * u32::try_from(s::scaled(1)).expect("small"),
        move || dog.describe(),
    );
    let before = Snapshot::take();
    assert_eq!(
        before.caught & s::bit(SIGUSR1),
        0,
        "nobody handles SIGUSR1 yet"
    );
    let start = Instant::now();

    let listening = Arc::new(Barrier::new(2));
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let sender = start_sender(signals, &listening, &stop, &done, &counters);

    chronia::block_on(async {
        let mut usr1 = signal(SIGUSR1).expect("listen for SIGUSR1");
        let delivered = Rc::new(Cell::new(0usize));
        listening.wait();
        let listener = {
            let (delivered, counters) = (delivered.clone(), counters.clone());
            chronia::spawn(async move {
                loop {
                    usr1.recv().await;
                    delivered.set(delivered.get() + 1);
                    counters.add("delivered");
                }
            })
        };
        let timer_tasks = start_timers(timers, &counters);
        let spawners = start_children(children, &counters);
        for task in spawners {
            task.await.expect("a spawner does not panic");
        }
        for task in timer_tasks {
            task.await.expect("a timer task does not panic");
        }
        assert_eq!(counters.get("children_reported"), children);
        assert_eq!(counters.get("timers_fired"), timers);
        assert_eq!(counters.get("timers_early"), 0, "a timer fired early");
        stop.store(true, Ordering::SeqCst);
        s::wait_for(
            "the sender finishes",
            Duration::from_secs(60),
            || done.load(Ordering::SeqCst),
            || counters.describe(),
        )
        .await;
        let sent = counters.get("sent");
        assert!(
            (1..=sent).contains(&delivered.get()),
            "{} deliveries of {sent} signals (they may coalesce, never multiply)",
            delivered.get()
        );
        // The runtime still hears the signal after the storm.
        for _ in 0..3 {
            let seen = delivered.get();
            s::kill_process(SIGUSR1);
            s::wait_for(
                "a delivery after the storm",
                Duration::from_secs(10),
                || delivered.get() > seen,
                || counters.describe(),
            )
            .await;
        }
        listener.abort();
        let _ = listener.await;
    });
    sender.join().expect("the sender does not panic");
    let wall = start.elapsed();
    before.assert_same(&Snapshot::take(), "after the runtime dropped");
    println!(
        "stress_signal_storm: ok in {wall:.2?}; {}",
        counters.describe()
    );
}

/// The thread that sends the storm: at least `signals` times, and on until
/// `stop`; sets `done` when it ends.
fn start_sender(
    signals: usize,
    listening: &Arc<Barrier>,
    stop: &Arc<AtomicBool>,
    done: &Arc<AtomicBool>,
    counters: &Arc<Counters>,
) -> std::thread::JoinHandle<()> {
    let (listening, counters) = (listening.clone(), counters.clone());
    let (stop, done) = (stop.clone(), done.clone());
    std::thread::spawn(move || {
        listening.wait();
        // The storm lasts at least `signals` sends and covers the whole of
        // the children's and timers' run.
        let mut sent = 0;
        while sent < signals || !stop.load(Ordering::SeqCst) {
            s::kill_process(SIGUSR1);
            counters.add("sent");
            sent += 1;
        }
        done.store(true, Ordering::SeqCst);
    })
}

type Tasks = Vec<chronia::task::JoinHandle<()>>;

/// Timers due at random within [`TIMER_SPAN_MS`], each checking it did not
/// fire early.
fn start_timers(timers: usize, counters: &Arc<Counters>) -> Tasks {
    (0..timers)
        .map(|i| {
            let counters = counters.clone();
            let mut rng = Rng::new(0x5157_0000 + i as u64);
            let deadline = Instant::now() + Duration::from_millis(rng.below(TIMER_SPAN_MS));
            chronia::spawn(async move {
                sleep_until(deadline).await;
                if Instant::now() < deadline {
                    counters.add("timers_early");
                }
                counters.add("timers_fired");
            })
        })
        .collect()
}

/// [`CHILDREN_AT_ONCE`] tasks that spawn the children one after another,
/// each checking its child's exit code.
fn start_children(children: usize, counters: &Arc<Counters>) -> Tasks {
    let next = Rc::new(Cell::new(0usize));
    (0..CHILDREN_AT_ONCE.min(children))
        .map(|_| {
            let (next, counters) = (next.clone(), counters.clone());
            chronia::spawn(async move {
                loop {
                    let i = next.get();
                    if i >= children {
                        break;
                    }
                    next.set(i + 1);
                    let code = exit_code(i);
                    let status = run_child(code).await;
                    assert_eq!(status.code(), Some(code), "child {i}: {status}");
                    counters.add("children_reported");
                }
            })
        })
        .collect()
}

/// Exit codes 0 to 255, spread over the children.
fn exit_code(i: usize) -> i32 {
    i32::try_from(i * 37 % 256).expect("below 256")
}

async fn run_child(code: i32) -> ExitStatus {
    let mut child = Command::new("/bin/sh")
        .args(["-c", &format!("exit {code}")])
        .spawn()
        .expect("spawn /bin/sh");
    let status = child.wait().await.expect("wait for the child");
    // Reported once: asking again gives the same status, no second exit.
    assert_eq!(child.wait().await.expect("wait again"), status);
    status
}
