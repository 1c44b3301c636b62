//! The blocking pool behind [`spawn_blocking`]: threads for work that
//! would block the runtime's thread (file I/O, `getaddrinfo`, CPU-heavy
//! code).
//!
//! # Protocol
//!
//! - The pool is one process-wide [`Pool`] made on the first
//!   `spawn_blocking`; before that, chronia has started no thread.
//! - [`State`] is guarded by one mutex, and jobs never run under it.
//!   `idle` counts the threads waiting for work. A new job is pushed to
//!   `queue`; if more threads wait than jobs are queued, one of them is
//!   woken; else, if fewer than `max_threads` threads live, one is started
//!   (counted in `threads` before it exists, so two submits never both
//!   start "the last" thread); else the job waits in the queue for the next
//!   thread that finishes one.
//! - A thread takes jobs until the queue is empty, then waits; after
//!   `keep_alive` without work it leaves (`threads -= 1`, under the lock,
//!   so no submit counts on it afterwards).
//! - Each thread is started with every signal blocked (the starter blocks
//!   them around the spawn, see `sys::thread`), so the kernel never hands
//!   it a signal meant for the runtime.
//! - A job's result, or its panic, goes into a shared [`Slot`]; the thread
//!   then wakes the waiting task with an ordinary `Waker::wake`, which from
//!   another thread is the executor's cross-thread path (remote queue and
//!   one unpark of the runtime).

use std::collections::VecDeque;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use chronia_executor::JoinHandle;

use crate::sys::thread::MaskGuard;

/// The most threads the pool runs at once; more jobs wait in its queue.
const MAX_THREADS: usize = 64;

/// How long a pool thread waits for work before it exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Runs `f` on a thread of chronia's blocking pool and returns a handle to
/// its result, so that blocking work does not stall the runtime's thread.
///
/// The pool exists only once this (or [`net::lookup_host`](crate::net::lookup_host))
/// is first called: chronia starts no thread before. It runs at most 64
/// threads; further jobs wait in a queue, in order. A thread that has had
/// no work for about 10 seconds exits. Each pool thread blocks every
/// signal, so signals keep reaching the runtime's thread.
///
/// As in tokio, `f` cannot be cancelled once it started:
/// [`JoinHandle::abort`] or dropping the handle only drops its result.
/// Unlike `spawn`, `f` and its result must be `Send`, since they cross
/// threads; the handle itself belongs to the runtime that spawned it.
///
/// # Panics
///
/// Outside a runtime (as [`spawn`](crate::spawn)), and when the pool has no
/// thread at all and the OS refuses to start one. A panic inside `f` does
/// not propagate: awaiting the handle gives a [`JoinError`](crate::task::JoinError)
/// for which `is_panic()` holds.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let sum = chronia::task::spawn_blocking(|| (1..=10u32).sum::<u32>());
///     assert_eq!(sum.await.expect("no panic"), 55);
///
///     let err = chronia::task::spawn_blocking(|| panic!("boom")).await.unwrap_err();
///     assert!(err.is_panic());
/// });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
    }));
    let done = Done(Arc::clone(&slot));
    // Spawned first: outside a runtime this panics before `f` can run.
    let handle = crate::spawn(async move {
        match done.await {
            Ok(value) => value,
            // Re-raised inside the task, so the executor turns it into the
            // handle's JoinError like any task panic.
            Err(payload) => panic::resume_unwind(payload),
        }
    });
    pool().submit(Box::new(move || {
        let result = panic::catch_unwind(AssertUnwindSafe(f));
        let waker = {
            let mut slot = lock(&slot);
            slot.result = Some(result);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }));
    handle
}

/// The process-wide pool, made on first use.
fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::new(MAX_THREADS, KEEP_ALIVE))
}

/// The result of one job and the waker of the task that waits for it.
struct Slot<R> {
    result: Option<thread::Result<R>>,
    waker: Option<Waker>,
}

/// Resolves when the job has stored its result in the slot.
struct Done<R>(Arc<Mutex<Slot<R>>>);

impl<R> Future for Done<R> {
    type Output = thread::Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = lock(&self.0);
        if let Some(result) = slot.result.take() {
            return Poll::Ready(result);
        }
        match &mut slot.waker {
            Some(waker) => waker.clone_from(cx.waker()),
            None => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// A bounded set of threads taking jobs from one queue.
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when a job is queued for a waiting thread.
    work: Condvar,
    max_threads: usize,
    keep_alive: Duration,
}

struct State {
    queue: VecDeque<Job>,
    /// Threads alive or being started.
    threads: usize,
    /// Threads waiting on `work`.
    idle: usize,
}

impl Pool {
    /// A pool of at most `max_threads` threads, each leaving after
    /// `keep_alive` without work. Starts no thread.
    pub(crate) fn new(max_threads: usize, keep_alive: Duration) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                }),
                work: Condvar::new(),
                max_threads,
                keep_alive,
            }),
        }
    }

    /// Queues `job`, waking or starting a thread for it if one is free.
    ///
    /// # Panics
    ///
    /// When the pool has no thread and the OS refuses to start one (the
    /// job could never run).
    pub(crate) fn submit(&self, job: Job) {
        let mut state = lock(&self.shared.state);
        state.queue.push_back(job);
        if state.idle >= state.queue.len() {
            drop(state);
            self.shared.work.notify_one();
            return;
        }
        if state.threads >= self.shared.max_threads {
            return;
        }
        state.threads += 1;
        drop(state);
        if let Err(e) = self.start_thread() {
            let mut state = lock(&self.shared.state);
            state.threads -= 1;
            if state.threads == 0 {
                state.queue.clear();
                drop(state);
                panic!("chronia: the blocking pool cannot start a thread: {e}");
            }
            // Another thread lives and will take the job when it is free.
        }
    }

    fn start_thread(&self) -> std::io::Result<()> {
        let shared = Arc::clone(&self.shared);
        let _mask = MaskGuard::block_all()?;
        thread::Builder::new()
            .name("chronia-blocking".into())
            .spawn(move || shared.run())?;
        Ok(())
    }

    /// How many threads the pool has alive (or being started).
    #[cfg(test)]
    fn threads(&self) -> usize {
        lock(&self.shared.state).threads
    }
}

impl Shared {
    /// A pool thread's life: take jobs, wait, leave after `keep_alive`.
    fn run(&self) {
        let mut state = lock(&self.state);
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                // Jobs catch their own panics (see `spawn_blocking`); one
                // that does not must not take the thread's count with it.
                let _ = panic::catch_unwind(AssertUnwindSafe(job));
                state = lock(&self.state);
                continue;
            }
            let deadline = Instant::now() + self.keep_alive;
            loop {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                state.idle += 1;
                state = self
                    .work
                    .wait_timeout(state, deadline - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                state.idle -= 1;
                if !state.queue.is_empty() {
                    break;
                }
            }
            if state.queue.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

/// Locks `mutex`, going on if a panic poisoned it: jobs run outside every
/// lock here, so a poisoned guard still holds consistent data.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::mpsc;

    /// `/proc/self/task/TID` of the calling thread.
    fn this_task() -> PathBuf {
        let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self is a link");
        let tid = link
            .file_name()
            .expect("the link ends in the tid")
            .to_owned();
        PathBuf::from("/proc/self/task").join(tid)
    }

    fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn idle_threads_exit_after_keep_alive() {
        let pool = Pool::new(3, Duration::from_millis(50));
        let (tx, rx) = mpsc::channel();
        let start = Instant::now();
        for _ in 0..6 {
            let tx = tx.clone();
            pool.submit(Box::new(move || {
                thread::sleep(Duration::from_millis(5));
                tx.send(this_task()).expect("the test waits");
            }));
        }
        let tasks: Vec<PathBuf> = (0..6).map(|_| rx.recv().expect("job ran")).collect();
        // At most the cap (they may already be leaving: no lower bound).
        assert!(pool.threads() <= 3, "{}", pool.threads());
        wait_for("the pool to empty", || pool.threads() == 0);
        assert!(start.elapsed() >= Duration::from_millis(50));
        for task in &tasks {
            wait_for("the OS thread to exit", || !task.exists());
        }
    }

    #[test]
    fn queued_jobs_run_when_all_threads_are_busy() {
        let pool = Pool::new(1, Duration::from_millis(20));
        let (tx, rx) = mpsc::channel();
        for i in 0..20 {
            let tx = tx.clone();
            pool.submit(Box::new(move || tx.send(i).expect("the test waits")));
        }
        let got: Vec<i32> = (0..20).map(|_| rx.recv().expect("job ran")).collect();
        assert_eq!(
            got,
            (0..20).collect::<Vec<_>>(),
            "one thread runs the queue in order"
        );
        assert!(pool.threads() <= 1);
    }

    #[test]
    fn a_waiting_thread_is_reused() {
        let pool = Pool::new(4, Duration::from_secs(5));
        let (tx, rx) = mpsc::channel();
        for _ in 0..5 {
            let tx = tx.clone();
            pool.submit(Box::new(move || {
                tx.send(this_task()).expect("the test waits");
            }));
            let first = rx.recv().expect("job ran");
            // The job sent before its thread went idle; wait until it waits.
            wait_for("the thread to wait", || lock(&pool.shared.state).idle == 1);
            drop(first);
        }
        assert_eq!(pool.threads(), 1, "each job found the waiting thread");
    }
}
