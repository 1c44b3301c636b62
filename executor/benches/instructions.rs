//! One workload per run, sized by the command line, for instruction
//! counts under callgrind (stable on a noisy machine, where wall time is
//! not): the task-to-task wake of `wake.rs` (two tasks bounce a value
//! through two one-slot channels), spawn + await from the main future, and
//! `coop::poll_proceed` as a resource calls it (a task asks it COUNT
//! times; every 128th call yields, as the budget runs out).
//!
//! Run (the difference of two sizes cancels start-up and tear-down):
//!
//! ```text
//! cargo bench -p chronia-executor --bench instructions --no-run
//! B=target/release/deps/instructions-*   # the binary cargo printed
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null $B wake 100000
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null $B wake 200000
//! ```
//!
//! Instructions per hop = (Ir at 200000 - Ir at 100000) / 200000 (a
//! round is two hops); per spawn or per `poll_proceed` = the difference /
//! 100000. Without
//! callgrind it prints the wall time per operation. Nothing is asserted.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::hint::black_box;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use chronia_executor::{LocalExecutor, Park, Unpark};

/// A one-slot channel whose receiver's waker stays registered.
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

async fn pinger(to: Rc<Slot>, from: Rc<Slot>, rounds: u64) -> u64 {
    let mut sum = 0;
    for i in 0..rounds {
        to.send(i);
        sum += from.recv().await;
    }
    sum
}

async fn ponger(from: Rc<Slot>, to: Rc<Slot>, rounds: u64) {
    for _ in 0..rounds {
        let v = from.recv().await;
        to.send(v);
    }
}

/// A park that never sleeps: both workloads stay ready throughout.
struct Spin;

impl Unpark for Spin {
    fn unpark(&self) {}
}

impl Park for Spin {
    fn park(&mut self, _: Option<Duration>) {}

    fn unparker(&self) -> Arc<dyn Unpark> {
        Arc::new(Spin)
    }
}

fn wake(rounds: u64) {
    let ex = LocalExecutor::new();
    let (ab, ba): (Rc<Slot>, Rc<Slot>) = (Rc::default(), Rc::default());
    let sum = ex.block_on(
        async move {
            let echoer = chronia_executor::spawn(ponger(ab.clone(), ba.clone(), rounds));
            let sender = chronia_executor::spawn(pinger(ab, ba, rounds));
            echoer.await.expect("no panic");
            sender.await.expect("no panic")
        },
        &mut Spin,
    );
    black_box(sum);
}

fn spawn(n: u64) {
    let ex = LocalExecutor::new();
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
        &mut Spin,
    );
    black_box(sum);
}

fn proceed(n: u64) {
    let ex = LocalExecutor::new();
    let task = ex.spawn(async move {
        let mut ready = 0u64;
        for _ in 0..n {
            poll_fn(chronia_executor::coop::poll_proceed).await;
            ready += 1;
        }
        ready
    });
    black_box(ex.block_on(task, &mut Spin).expect("no panic"));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: instructions wake|spawn|proceed COUNT";
    // `cargo bench` passes `--bench`: then a short run of both.
    if let (Some(mode @ ("wake" | "spawn" | "proceed")), Some(n)) =
        (args.get(1).map(String::as_str), args.get(2))
    {
        run(mode, n.parse().expect(usage));
    } else {
        for mode in ["wake", "spawn", "proceed"] {
            run(mode, 100_000);
        }
    }
}

fn run(mode: &str, n: u64) {
    let (f, ops): (fn(u64), u64) = match mode {
        "wake" => (wake, 2 * n),
        "proceed" => (proceed, n),
        _ => (spawn, n),
    };
    let start = Instant::now();
    f(n);
    #[expect(clippy::cast_precision_loss, reason = "counts and ns fit in f64")]
    let ns = start.elapsed().as_nanos() as f64 / ops as f64;
    println!("{mode}: {ops} operations, {ns:.1} ns each");
}
