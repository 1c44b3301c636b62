//! The driver: the selector, the timers and the clock of one runtime, and
//! the [`Park`] that turns the selector's reports into wakes.
//!
//! # Protocol
//!
//! - Every fd a future waits on is registered once, edge-triggered, for
//!   read and write; its [`IoSlot`] keeps the readiness the kernel reported
//!   since the owner last saw `WouldBlock`. So a wait costs no `epoll_ctl`.
//! - All timers share one timerfd, registered once. Before blocking, the
//!   driver moves it to the earliest deadline, only if that changed; a park
//!   that must not block (work is ready) never touches it.
//! - A wake from another thread triggers the unpark eventfd; the executor
//!   does that at most once per park.
//! - Wakers are woken after the driver's `RefCell` borrow ends, so a waker
//!   that re-enters the driver cannot trip over it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use chronia_executor::{Park, Unpark};
use chronia_reactor::{Events, Ident, ReadyKey, SelectEvent, Selector};

use super::clock::Clock;
use crate::time::heap::Timers;

/// The readiness of one registered fd and the tasks waiting on it.
#[derive(Debug, Default)]
pub(crate) struct IoSlot {
    /// `READ`, `WRITE` as reported by the kernel since last cleared.
    pub(crate) ready: Events,
    /// `READ`, `WRITE` as reported by the kernel since a readiness wait
    /// (`Async::readable`/`writable`) last completed for that direction, or
    /// an operation last saw `WouldBlock` (see `io::registration`).
    pub(crate) fresh: Events,
    /// Set when the kernel reports a hang-up or error (`EPOLLHUP`,
    /// `EPOLLRDHUP`, `EPOLLERR`); never cleared. That report does not come
    /// twice, so from then on a short read cannot mean "drained": the
    /// end-of-file behind the data is still to be read.
    pub(crate) hung_up: bool,
    pub(crate) readers: Vec<Waker>,
    pub(crate) writers: Vec<Waker>,
}

impl IoSlot {
    /// The tasks waiting for `dir`.
    pub(crate) fn waiters(&mut self, dir: crate::io::registration::Direction) -> &mut Vec<Waker> {
        match dir {
            crate::io::registration::Direction::Read => &mut self.readers,
            crate::io::registration::Direction::Write => &mut self.writers,
        }
    }
}

/// How many distinct wakers one list holds before it is flushed (see
/// [`add_waiter`]).
const WAITERS_MAX: usize = 32;

/// Adds `waker` to `waiters` unless a waker of the same task is there.
///
/// A future that is dropped while waiting leaves its waker behind until
/// the next report wakes the list; code that keeps polling with new wakers
/// and cancelling (say, a read raced against a timeout, per request, on an
/// idle connection) would grow the list without bound. So a full list is
/// handed back to be woken: a live waiter is polled once more and registers
/// again, a stale one costs one spurious wake-up. The caller wakes the
/// returned wakers after its borrow of the driver ends.
pub(crate) fn add_waiter(waiters: &mut Vec<Waker>, waker: &Waker) -> Vec<Waker> {
    if waiters.iter().any(|w| w.will_wake(waker)) {
        return Vec::new();
    }
    let flushed = if waiters.len() >= WAITERS_MAX {
        std::mem::take(waiters)
    } else {
        Vec::new()
    };
    waiters.push(waker.clone());
    flushed
}

/// A child process the runtime watches.
#[derive(Debug, Default)]
pub(crate) struct ProcessSlot {
    /// Set once the child has exited (0), or the kernel's error (`ECHILD`).
    pub(crate) exited: Option<i32>,
    pub(crate) waker: Option<Waker>,
    /// A dropped `Child` that was still running: reaped when it exits.
    pub(crate) orphan: Option<std::process::Child>,
    /// The orphan was sent `SIGKILL` (`kill_on_drop`): about to exit.
    pub(crate) orphan_killed: bool,
}

/// What the runtime stores with each registration of its selector.
#[derive(Debug)]
pub(crate) enum Slot {
    Io(IoSlot),
    /// The runtime's one timerfd.
    Timer,
    /// The eventfd that other threads trigger to unpark the runtime.
    Unpark,
    Signal,
    Process(ProcessSlot),
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) selector: Selector<Slot>,
    pub(crate) timers: Timers,
    pub(crate) clock: Clock,
    pub(crate) signals: HashMap<i32, crate::signal::SignalSlot>,
    /// This process's id, read once: tells forwarded signals from others.
    pub(crate) pid: i32,
    /// Forwarding of `SIGCHLD` to this thread, taken at the first spawn of
    /// a child and kept while the runtime lives (see `process`).
    pub(crate) listens_to_children: bool,
    /// Registrations that hold an orphan (see [`ProcessSlot::orphan`]).
    pub(crate) orphans: Vec<Ident>,
    timer: Ident,
    /// The deadline the timerfd is armed for, if any.
    armed: Option<Instant>,
    /// Makes every arming of the timerfd fail, for the test of the
    /// fallback (the kernel gives no way to make it fail on demand).
    #[cfg(test)]
    fail_arming: bool,
    keys: Vec<ReadyKey>,
    pub(crate) counters: super::stats::Counters,
}

/// One runtime's reactor side, shared by the futures of its thread.
#[derive(Debug)]
pub(crate) struct Driver {
    pub(crate) inner: RefCell<Inner>,
    unpark: SelectEvent,
}

/// Deadlines closer than this are not armed on the timerfd (see `turn`).
const SPIN_BELOW: Duration = Duration::from_micros(20);

/// How many reports one park takes from the selector at most by default
/// (`Builder::events_per_turn`); more stay queued in the selector and come
/// with the next park, which does not block.
pub(crate) const EVENTS_PER_TURN: usize = 256;

impl Driver {
    #[cfg(test)]
    pub(crate) fn new() -> io::Result<Driver> {
        Self::with_events(EVENTS_PER_TURN)
    }

    pub(crate) fn with_events(events_per_turn: usize) -> io::Result<Driver> {
        let mut selector = Selector::new()?;
        // Registered as periodic so that firing never removes it from epoll;
        // `set_timer` then arms it once per deadline.
        let timer =
            selector.register_timer(Duration::from_secs(86_400 * 365), false, Slot::Timer)?;
        selector.set_timer(timer, None)?;
        let unpark = SelectEvent::new()?;
        selector.register_event(&unpark, Slot::Unpark)?;
        Ok(Driver {
            inner: RefCell::new(Inner {
                selector,
                timers: Timers::default(),
                clock: Clock::new(),
                signals: HashMap::new(),
                pid: crate::sys::signal::getpid(),
                listens_to_children: false,
                orphans: Vec::new(),
                timer,
                armed: None,
                #[cfg(test)]
                fail_arming: false,
                keys: vec![ReadyKey::default(); events_per_turn],
                counters: super::stats::Counters::default(),
            }),
            unpark,
        })
    }

    pub(crate) fn unparker(&self) -> Arc<dyn Unpark> {
        Arc::new(EventUnparker(self.unpark.clone()))
    }

    /// One turn of the reactor: wait up to `timeout` for events (not at all
    /// when a timer is already due), then wake what became ready.
    pub(crate) fn turn(&self, timeout: Option<Duration>, wakers: &mut Vec<Waker>) {
        let mut guard = self.inner.borrow_mut();
        let inner = &mut *guard;
        let now = inner.clock.now();
        let next = inner.timers.next_deadline();
        // A deadline closer than arming the timerfd costs (a few µs, more in
        // a VM, where reprogramming the clock traps) is waited for by polling
        // the selector instead: it can only make the wake-up more precise.
        let due = next.is_some_and(|d| d <= now + SPIN_BELOW);
        // Paused time jumps to the next timer only when every task is idle:
        // a zero timeout means the executor still has work.
        let auto_advance =
            inner.clock.is_paused() && next.is_some() && timeout != Some(Duration::ZERO);
        let wait = if due || auto_advance || timeout == Some(Duration::ZERO) {
            Some(Duration::ZERO)
        } else {
            match next {
                // The timerfd could not be armed: the epoll timeout (whole
                // milliseconds, rounded up) waits for the deadline instead
                // of blocking with none.
                Some(next) if !inner.arm(next, now) => {
                    let until = next.saturating_duration_since(now);
                    Some(timeout.map_or(until, |t| t.min(until)))
                }
                _ => timeout,
            }
        };
        let n = inner
            .selector
            .select_into(wait, &mut inner.keys)
            .expect("epoll_wait on the runtime's own epoll fd and buffer cannot fail");
        super::stats::add(&inner.counters.epoll_waits, 1);
        super::stats::add(&inner.counters.events, n);
        let before = wakers.len();
        for i in 0..n {
            let key = inner.keys[i];
            inner.dispatch(key, wakers);
        }
        if auto_advance
            && wakers.len() == before
            && n == 0
            && let Some(next) = next
        {
            inner.clock.advance_to(next);
        }
        let (now, fired) = (inner.clock.now(), wakers.len());
        inner.timers.fire_due(now, wakers);
        super::stats::add(&inner.counters.timers_fired, wakers.len() - fired);
    }
}

impl Inner {
    /// Moves the timerfd to `deadline` if it is not armed at or before it
    /// (an earlier arming only causes one spurious turn). Returns `false` if
    /// `timerfd_settime(2)` failed: the caller must bound its wait itself.
    fn arm(&mut self, deadline: Instant, now: Instant) -> bool {
        if self.clock.is_paused() {
            return true;
        }
        let keep = self.armed.is_some_and(|a| a > now && a <= deadline);
        if keep {
            return true;
        }
        // Relative arming from a `now` read before the call can only fire
        // late, never early.
        if self
            .set_timer(deadline.saturating_duration_since(now))
            .is_ok()
        {
            self.armed = Some(deadline);
            super::stats::add(&self.counters.timer_rearms, 1);
            true
        } else {
            // The old arming may be anything now: forget it.
            self.armed = None;
            false
        }
    }

    fn set_timer(&mut self, after: Duration) -> io::Result<()> {
        #[cfg(test)]
        if self.fail_arming {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        self.selector.set_timer(self.timer, Some(after))
    }

    fn dispatch(&mut self, key: ReadyKey, wakers: &mut Vec<Waker>) {
        let ident = key.ident();
        let events = key.events();
        let Some(slot) = self.selector.data_mut(ident) else {
            return;
        };
        match slot {
            Slot::Io(io) => {
                let mut ready = events & (Events::READ | Events::WRITE);
                if events.contains(Events::ERROR) {
                    // A hang-up or error: the next read or write reports it.
                    ready |= Events::READ | Events::WRITE;
                    io.hung_up = true;
                }
                io.ready |= ready;
                io.fresh |= ready;
                if ready.contains(Events::READ) {
                    wakers.append(&mut io.readers);
                }
                if ready.contains(Events::WRITE) {
                    wakers.append(&mut io.writers);
                }
            }
            Slot::Timer => self.armed = None,
            Slot::Unpark => {}
            Slot::Signal => crate::signal::deliver(self, key, wakers),
            Slot::Process(p) => {
                p.exited = Some(key.error().and_then(|e| e.raw_os_error()).unwrap_or(0));
                if let Some(w) = p.waker.take() {
                    wakers.push(w);
                }
                if let Some(mut orphan) = p.orphan.take() {
                    // The child has exited: this reaps it at once.
                    let _ = orphan.try_wait();
                    super::stats::add(&self.counters.children_reaped, 1);
                    let _ = self.selector.unregister(ident);
                    self.orphans.retain(|&o| o != ident);
                }
            }
        }
    }
}

impl Drop for Inner {
    /// Hands the orphans this runtime still holds to the process-wide list,
    /// so that they are reaped after it is gone (see `process::orphans`).
    fn drop(&mut self) {
        // Before the selector goes: signals are given back in the order the
        // signal registry needs.
        crate::signal::shutdown(self);
        let orphans: Vec<_> = self
            .orphans
            .drain(..)
            .filter_map(|ident| match self.selector.data_mut(ident) {
                Some(Slot::Process(p)) => p.orphan.take().map(|c| (c, p.orphan_killed)),
                _ => None,
            })
            .collect();
        crate::process::orphans::adopt(orphans);
    }
}

/// Unparks a runtime from any thread by triggering its eventfd.
#[derive(Debug)]
struct EventUnparker(SelectEvent);

impl Unpark for EventUnparker {
    fn unpark(&self) {
        // Fails only if the eventfd is gone, in which case nobody parks on it.
        let _ = self.0.trigger();
    }
}

/// The [`Park`] of a runtime: parks in its driver.
#[derive(Debug)]
pub(crate) struct DriverPark<'a> {
    pub(crate) driver: &'a Driver,
    pub(crate) wakers: Vec<Waker>,
}

impl Park for DriverPark<'_> {
    fn park(&mut self, timeout: Option<Duration>) {
        self.driver.turn(timeout, &mut self.wakers);
        for w in self.wakers.drain(..) {
            w.wake();
        }
    }

    fn unparker(&self) -> Arc<dyn Unpark> {
        self.driver.unparker()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timer_fires_even_when_the_timerfd_cannot_be_armed() {
        // Before the fix a failed `timerfd_settime` was ignored and the
        // park blocked with no deadline, forever.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let driver = Driver::new().expect("driver");
            let start = Instant::now();
            let deadline = start + Duration::from_millis(5);
            let mut inner = driver.inner.borrow_mut();
            inner.fail_arming = true;
            let key = inner.timers.insert(deadline, Waker::noop().clone());
            drop(inner);
            let mut wakers = Vec::new();
            while !driver.inner.borrow().timers.is_fired(key) {
                driver.turn(None, &mut wakers);
            }
            let _ = tx.send(start.elapsed());
        });
        let took = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the park blocked with no deadline");
        assert!(took >= Duration::from_millis(5), "fired early: {took:?}");
    }
}
