//! [`Stats`]: a runtime's exact counters, and the driver's half of them
//! ([`Counters`]), bumped by one line at each place the thing happens
//! (the driver's turn, the timer heap's firing, a registration, a signal
//! delivery, a child's spawn and reap). They are `Cell`s of the
//! runtime's thread: no atomic, no sampling.

use std::cell::Cell;
use std::time::Duration;

use chronia_executor::ExecutorStats;

use super::driver::Driver;

/// The driver's counters (see [`Stats`] for what each means).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) epoll_waits: Cell<u64>,
    pub(crate) events: Cell<u64>,
    pub(crate) timers_fired: Cell<u64>,
    pub(crate) timer_rearms: Cell<u64>,
    pub(crate) fds_registered: Cell<u64>,
    pub(crate) signals_delivered: Cell<u64>,
    pub(crate) children_spawned: Cell<u64>,
    pub(crate) children_reaped: Cell<u64>,
}

/// Adds `n` to `counter`.
pub(crate) fn add(counter: &Cell<u64>, n: usize) {
    counter.set(counter.get() + n as u64);
}

/// Takes one from `counter` (a gauge).
pub(crate) fn sub(counter: &Cell<u64>) {
    counter.set(counter.get().saturating_sub(1));
}

/// A runtime's counters at one moment: what [`Runtime::stats`](crate::Runtime::stats)
/// and [`stats`](crate::runtime::stats()) return.
///
/// Every count is exact (each event is counted where it happens; nothing is
/// sampled) and cheap (a non-atomic add on the runtime's thread; a wake
/// from another thread adds one relaxed atomic). `busy` and `parked` cost
/// two clock reads per blocking park, none per poll.
///
/// # Examples
///
/// ```
/// let rt = chronia::Runtime::new()?;
/// rt.block_on(async {
///     for _ in 0..3 {
///         chronia::spawn(async {}).await.expect("no panic");
///     }
/// });
/// let stats = rt.stats();
/// assert_eq!((stats.tasks_spawned, stats.tasks_completed, stats.tasks_alive), (3, 3, 0));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Tasks spawned.
    pub tasks_spawned: u64,
    /// Tasks alive now (not complete).
    pub tasks_alive: u64,
    /// Tasks whose future returned.
    pub tasks_completed: u64,
    /// Tasks that panicked.
    pub tasks_panicked: u64,
    /// Tasks aborted before their future returned.
    pub tasks_aborted: u64,
    /// Polls of tasks (the main future of `block_on` is not a task).
    pub polls: u64,
    /// Wakes from the runtime's thread while it ran.
    pub local_wakes: u64,
    /// Wakes from other threads (or from this one outside `block_on`).
    pub remote_wakes: u64,
    /// Parks with nothing ready: `epoll_wait` could block.
    pub blocking_parks: u64,
    /// Non-blocking turns of the reactor taken while work stayed ready
    /// (one per poll budget).
    pub nonblocking_parks: u64,
    /// `epoll_wait(2)` calls: one per blocking park, and one per
    /// non-blocking park unless the last was less than 20 µs ago (then
    /// that turn only fires due timers; see `nonblocking_parks`).
    pub epoll_waits: u64,
    /// Events those calls returned.
    pub events: u64,
    /// Timers (sleeps, timeouts, intervals) waiting now.
    pub timers_pending: u64,
    /// Timers that fired.
    pub timers_fired: u64,
    /// Times the timerfd was moved to a new deadline.
    pub timer_rearms: u64,
    /// Fds registered with the reactor now.
    pub fds_registered: u64,
    /// Signal deliveries the runtime read.
    pub signals_delivered: u64,
    /// Children spawned by this runtime.
    pub children_spawned: u64,
    /// Children of this runtime reaped (waited for, or reaped as orphans).
    pub children_reaped: u64,
    /// Time inside `block_on` not spent in blocking parks: polling, and
    /// the reactor's non-blocking turns.
    pub busy: Duration,
    /// Time spent in blocking parks.
    pub parked: Duration,
}

impl Stats {
    pub(crate) fn new(ex: ExecutorStats, driver: &Driver) -> Stats {
        let state = driver.state_mut();
        let c = state.counters();
        Stats {
            tasks_spawned: ex.spawned,
            tasks_alive: ex.alive,
            tasks_completed: ex.completed,
            tasks_panicked: ex.panicked,
            tasks_aborted: ex.aborted,
            polls: ex.polls,
            local_wakes: ex.local_wakes,
            remote_wakes: ex.remote_wakes,
            blocking_parks: ex.blocking_parks,
            nonblocking_parks: ex.nonblocking_parks,
            epoll_waits: c.epoll_waits.get(),
            events: c.events.get(),
            timers_pending: state.timers_pending() as u64,
            timers_fired: c.timers_fired.get(),
            timer_rearms: c.timer_rearms.get(),
            fds_registered: c.fds_registered.get(),
            signals_delivered: c.signals_delivered.get(),
            children_spawned: c.children_spawned.get(),
            children_reaped: c.children_reaped.get(),
            busy: ex.busy,
            parked: ex.parked,
        }
    }
}
