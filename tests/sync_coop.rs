//! The sync primitives spend the task's cooperative budget: a task whose
//! channel or permit is always ready still yields, so timers and other
//! tasks run (issue 9, item 2).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use chronia::sync::{Semaphore, broadcast, mpsc, oneshot, watch};

/// Ready steps a loop may take before the test calls it starved: without
/// the budget the loop never yields, the 10 ms sleep cannot fire, and the
/// loop runs to this count (well over 10 ms of work even in release).
const LIMIT: u64 = 5_000_000;

/// A 10 ms sleep in another task; `done()` says whether it has fired.
struct Sleeper {
    fired: Rc<Cell<bool>>,
    task: chronia::task::JoinHandle<()>,
}

impl Sleeper {
    fn start() -> Self {
        let fired = Rc::new(Cell::new(false));
        let flag = Rc::clone(&fired);
        let task = chronia::spawn(async move {
            chronia::time::sleep(Duration::from_millis(10)).await;
            flag.set(true);
        });
        Self { fired, task }
    }

    fn done(&self, steps: u64) -> bool {
        self.fired.get() || steps >= LIMIT
    }

    async fn check(self, name: &str, steps: u64) {
        assert!(
            self.fired.get(),
            "{name}: {steps} ready steps in a row never yielded to the 10 ms sleep"
        );
        self.task.await.expect("the sleeper does not panic");
    }
}

#[test]
fn an_always_ready_mpsc_recv_lets_a_sleep_fire() {
    chronia::block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let (s, mut n) = (Sleeper::start(), 0);
        while !s.done(n) {
            tx.send(1).expect("receiver alive");
            rx.recv().await.expect("sender alive");
            n += 1;
        }
        s.check("mpsc", n).await;
    });
}

#[test]
fn an_always_ready_broadcast_recv_lets_a_sleep_fire() {
    chronia::block_on(async {
        let (btx, mut brx) = broadcast::channel::<u8>(4);
        let (s, mut n) = (Sleeper::start(), 0);
        while !s.done(n) {
            btx.send(1).expect("receiver alive");
            brx.recv().await.expect("a value");
            n += 1;
        }
        s.check("broadcast", n).await;
    });
}

#[test]
fn an_always_ready_watch_changed_lets_a_sleep_fire() {
    chronia::block_on(async {
        let (wtx, mut wrx) = watch::channel(0u8);
        let (s, mut n) = (Sleeper::start(), 0);
        while !s.done(n) {
            wtx.send_modify(|v| *v = v.wrapping_add(1));
            wrx.changed().await.expect("sender alive");
            n += 1;
        }
        s.check("watch", n).await;
    });
}

#[test]
fn an_always_ready_oneshot_await_lets_a_sleep_fire() {
    chronia::block_on(async {
        let (s, mut n) = (Sleeper::start(), 0);
        while !s.done(n) {
            let (otx, orx) = oneshot::channel::<u8>();
            otx.send(1).expect("receiver alive");
            orx.await.expect("a value");
            n += 1;
        }
        s.check("oneshot", n).await;
    });
}

#[test]
fn an_always_ready_semaphore_acquire_lets_a_sleep_fire() {
    chronia::block_on(async {
        let sem = Semaphore::new(1);
        let (s, mut n) = (Sleeper::start(), 0);
        while !s.done(n) {
            drop(sem.acquire().await.expect("open"));
            n += 1;
        }
        s.check("semaphore", n).await;
    });
}
