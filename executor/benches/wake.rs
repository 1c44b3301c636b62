//! Task-to-task wake ("ping-pong"), spawn+join, and spawning 1 M tasks
//! then awaiting them all, side by side:
//! chronia-executor, tokio (`current_thread` runtime + `LocalSet`), and smol
//! (`LocalExecutor`), in one run, printed as ns per operation and ratios.
//!
//! Run: `cargo bench -p chronia-executor --bench wake`
//!
//! Each figure is the median of several runs of many iterations; nothing is
//! asserted about time.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::hint::black_box;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use chronia_executor::{LocalExecutor, Park, Unpark};

const RUNS: usize = 9;
const HOPS: u64 = 1_000_000;
const SPAWNS: u64 = 200_000;
const MANY: u64 = 1_000_000;

/// A one-slot channel: the receiver's waker stays registered, so a hop costs
/// one wake and one poll in every runtime.
#[derive(Default)]
struct Slot {
    value: Cell<Option<u64>>,
    waker: RefCell<Option<Waker>>,
}

impl Slot {
    fn send(&self, v: u64) {
        self.value.set(Some(v));
        if let Some(w) = &*self.waker.borrow() {
            w.wake_by_ref();
        }
    }

    fn recv(&self) -> impl Future<Output = u64> + '_ {
        poll_fn(move |cx| {
            if let Some(v) = self.value.take() {
                return Poll::Ready(v);
            }
            let mut slot = self.waker.borrow_mut();
            if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *slot = Some(cx.waker().clone());
            }
            Poll::Pending
        })
    }
}

/// Sends `rounds` values to the ponger and waits for each to come back:
/// two hops per round.
async fn pinger(to: Rc<Slot>, from: Rc<Slot>, rounds: u64) -> u64 {
    let mut sum = 0;
    for i in 0..rounds {
        to.send(i);
        sum += from.recv().await;
    }
    sum
}

/// Sends back every value, `rounds` times.
async fn ponger(from: Rc<Slot>, to: Rc<Slot>, rounds: u64) {
    for _ in 0..rounds {
        let v = from.recv().await;
        to.send(v);
    }
}

fn channels() -> (Rc<Slot>, Rc<Slot>) {
    (Rc::default(), Rc::default())
}

/// A park on a condvar, as a test or a thread-only user would write it.
#[derive(Default)]
struct CondvarPark(Arc<Signal>);

#[derive(Default)]
struct Signal {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Unpark for Signal {
    fn unpark(&self) {
        *self.woken.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.cv.notify_one();
    }
}

impl Park for CondvarPark {
    fn park(&mut self, timeout: Option<Duration>) {
        let guard = self.0.woken.lock().unwrap_or_else(PoisonError::into_inner);
        let mut woken = match timeout {
            Some(t) if t.is_zero() => guard,
            Some(t) => {
                self.0
                    .cv
                    .wait_timeout_while(guard, t, |w| !*w)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => self
                .0
                .cv
                .wait_while(guard, |w| !*w)
                .unwrap_or_else(PoisonError::into_inner),
        };
        *woken = false;
    }

    fn unparker(&self) -> Arc<dyn Unpark> {
        self.0.clone()
    }
}

fn chronia_ping_pong(rounds: u64) -> Duration {
    ping_pong_on(&LocalExecutor::new(), rounds)
}

/// The same, with the slow-poll alarm on (a threshold no poll reaches):
/// what its clock reads per poll cost.
fn chronia_ping_pong_slow_poll_alarm(rounds: u64) -> Duration {
    let ex = LocalExecutor::new();
    ex.set_slow_poll(Duration::from_secs(1), |slow| {
        black_box(slow);
    });
    ping_pong_on(&ex, rounds)
}

fn ping_pong_on(ex: &LocalExecutor, rounds: u64) -> Duration {
    let (ab, ba) = channels();
    let start = Instant::now();
    let sum = ex.block_on(
        async move {
            let echoer = chronia_executor::spawn(ponger(ab.clone(), ba.clone(), rounds));
            let sender = chronia_executor::spawn(pinger(ab, ba, rounds));
            echoer.await.expect("no panic");
            sender.await.expect("no panic")
        },
        &mut CondvarPark::default(),
    );
    black_box(sum);
    start.elapsed()
}

fn chronia_spawn_join(n: u64) -> Duration {
    let ex = LocalExecutor::new();
    let start = Instant::now();
    let sum = ex.block_on(
        async move {
            let mut sum = 0;
            for i in 0..n {
                sum += chronia_executor::spawn(async move { i })
                    .await
                    .expect("no panic");
            }
            sum
        },
        &mut CondvarPark::default(),
    );
    black_box(sum);
    start.elapsed()
}

fn chronia_spawn_many(n: u64) -> Duration {
    let ex = LocalExecutor::new();
    let start = Instant::now();
    let sum = ex.block_on(
        async move {
            let handles: Vec<_> = (0..n)
                .map(|i| chronia_executor::spawn(async move { i }))
                .collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.expect("no panic");
            }
            sum
        },
        &mut CondvarPark::default(),
    );
    black_box(sum);
    start.elapsed()
}

fn tokio_runtime() -> (tokio::runtime::Runtime, tokio::task::LocalSet) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    (rt, tokio::task::LocalSet::new())
}

fn tokio_ping_pong(rounds: u64) -> Duration {
    let (rt, local) = tokio_runtime();
    let (ab, ba) = channels();
    let start = Instant::now();
    let sum = local.block_on(&rt, async move {
        let echoer = tokio::task::spawn_local(ponger(ab.clone(), ba.clone(), rounds));
        let sender = tokio::task::spawn_local(pinger(ab, ba, rounds));
        echoer.await.expect("no panic");
        sender.await.expect("no panic")
    });
    black_box(sum);
    start.elapsed()
}

fn tokio_spawn_join(n: u64) -> Duration {
    let (rt, local) = tokio_runtime();
    let start = Instant::now();
    let sum = local.block_on(&rt, async move {
        let mut sum = 0;
        for i in 0..n {
            sum += tokio::task::spawn_local(async move { i })
                .await
                .expect("no panic");
        }
        sum
    });
    black_box(sum);
    start.elapsed()
}

fn tokio_spawn_many(n: u64) -> Duration {
    let (rt, local) = tokio_runtime();
    let start = Instant::now();
    let sum = local.block_on(&rt, async move {
        let handles: Vec<_> = (0..n)
            .map(|i| tokio::task::spawn_local(async move { i }))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.expect("no panic");
        }
        sum
    });
    black_box(sum);
    start.elapsed()
}

fn smol_ping_pong(rounds: u64) -> Duration {
    let ex = smol::LocalExecutor::new();
    let (ab, ba) = channels();
    let start = Instant::now();
    let sum = smol::future::block_on(ex.run(async {
        let echoer = ex.spawn(ponger(ab.clone(), ba.clone(), rounds));
        let sender = ex.spawn(pinger(ab, ba, rounds));
        echoer.await;
        sender.await
    }));
    black_box(sum);
    start.elapsed()
}

fn smol_spawn_join(n: u64) -> Duration {
    let ex = smol::LocalExecutor::new();
    let start = Instant::now();
    let sum = smol::future::block_on(ex.run(async {
        let mut sum = 0;
        for i in 0..n {
            sum += ex.spawn(async move { i }).await;
        }
        sum
    }));
    black_box(sum);
    start.elapsed()
}

fn smol_spawn_many(n: u64) -> Duration {
    let ex = smol::LocalExecutor::new();
    let start = Instant::now();
    let sum = smol::future::block_on(ex.run(async {
        let handles: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await;
        }
        sum
    }));
    black_box(sum);
    start.elapsed()
}

/// The median, over [`RUNS`] runs, of nanoseconds per operation.
fn median_ns(ops: u64, run: impl Fn(u64) -> Duration, per_run: u64) -> f64 {
    median_ns_of(RUNS, ops, run, per_run)
}

/// The median, over `runs` runs, of nanoseconds per operation.
fn median_ns_of(runs: usize, ops: u64, run: impl Fn(u64) -> Duration, per_run: u64) -> f64 {
    run(per_run / 10); // warm up
    let mut samples: Vec<f64> = (0..runs)
        .map(|_| {
            #[expect(
                clippy::cast_precision_loss,
                reason = "nanoseconds of a bench run fit in f64"
            )]
            let ns = run(per_run).as_nanos() as f64;
            #[expect(clippy::cast_precision_loss, reason = "operation counts fit in f64")]
            let ops = ops as f64;
            ns / ops
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[runs / 2]
}

fn report(what: &str, results: &[(&str, f64)]) {
    let ours = results[0].1;
    println!("{what}");
    for (name, ns) in results {
        println!("  {name:<18} {ns:>8.1} ns   {:>5.2}x chronia", ns / ours);
    }
}

fn main() {
    // One hop is one wake of the other task and one poll of it.
    let hops = 2 * HOPS;
    report(
        "ping-pong (ns per hop)",
        &[
            ("chronia-executor", median_ns(hops, chronia_ping_pong, HOPS)),
            (
                "chronia, slow-poll",
                median_ns(hops, chronia_ping_pong_slow_poll_alarm, HOPS),
            ),
            ("tokio LocalSet", median_ns(hops, tokio_ping_pong, HOPS)),
            ("smol LocalExecutor", median_ns(hops, smol_ping_pong, HOPS)),
        ],
    );
    report(
        "spawn + join (ns per task)",
        &[
            (
                "chronia-executor",
                median_ns(SPAWNS, chronia_spawn_join, SPAWNS),
            ),
            (
                "tokio LocalSet",
                median_ns(SPAWNS, tokio_spawn_join, SPAWNS),
            ),
            (
                "smol LocalExecutor",
                median_ns(SPAWNS, smol_spawn_join, SPAWNS),
            ),
        ],
    );
    // Fewer runs: each holds 1 M tasks at once.
    let runs = 5;
    report(
        "spawn 1 M then await all (ns per task)",
        &[
            (
                "chronia-executor",
                median_ns_of(runs, MANY, chronia_spawn_many, MANY),
            ),
            (
                "tokio LocalSet",
                median_ns_of(runs, MANY, tokio_spawn_many, MANY),
            ),
            (
                "smol LocalExecutor",
                median_ns_of(runs, MANY, smol_spawn_many, MANY),
            ),
        ],
    );
}
