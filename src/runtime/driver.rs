//! The driver: the selector, the timers and the clock of one runtime, and
//! the [`Park`] that turns the selector's reports into wakes.
//!
//! # Protocol
//!
//! - Every fd a future waits on is registered once, edge-triggered, for
//!   read and write; its [`IoSlot`] keeps the readiness the kernel reported
//!   since the owner last saw `WouldBlock`. So a wait costs no `epoll_ctl`.
//! - Where the selector keeps timeouts to the nanosecond (`epoll_pwait2`,
//!   Linux 5.11+), the earliest deadline is the park's timeout and no
//!   timerfd is armed. Elsewhere all timers share one timerfd, registered
//!   once: before blocking, the driver moves it to the earliest deadline,
//!   only if that changed; a park that must not block (work is ready) never
//!   touches it.
//! - A wake from another thread triggers the unpark eventfd; the executor
//!   does that at most once per park.
//! - Wakers are woken after the driver's `RefCell` borrow ends, so a waker
//!   that re-enters the driver cannot trip over it.
//!
//! # Who may touch what
//!
//! Only `runtime` reads or writes the fields of [`Inner`]. `signal` and
//! `process` go through the methods of [`api`] (which lists what each may
//! do); the orphans of a dropped runtime are kept by [`orphans`]. (`io`
//! and `time` still use some fields directly: issue 8.)

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use chronia_executor::{Park, Unpark};
use chronia_reactor::{Events, Ident, ReadyKey, SelectEvent, Selector};

use super::clock::Clock;
use super::waiters::{Direction, WAITERS_MAX, Waiters};
use crate::time::heap::Timers;

mod api;
pub(crate) mod orphans;

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
    pub(crate) waiters: Waiters,
}

/// Adds `waker` to `waiters` unless a waker of the same task is there; a
/// full list is handed back to be woken, by the rule of
/// [`Waiters::add`]. For the lists of one kind of waiter only (signals);
/// an fd's waiters are a [`Waiters`].
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
    /// Boxed: a `Child` is 28 bytes, and every slot of the selector's
    /// table, one per connection, is as large as the largest kind of slot.
    pub(crate) orphan: Option<Box<std::process::Child>>,
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
    /// The state of this runtime's [`Handle`](super::Handle)s, made at the first ask.
    pub(crate) handle: std::cell::OnceCell<Arc<super::handle::Shared>>,
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
            handle: std::cell::OnceCell::new(),
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
                // The selector's timeout is kept to the nanosecond
                // (`epoll_pwait2`): it waits for the deadline, with no
                // timerfd to arm. Or the timerfd could not be armed: the
                // epoll timeout (whole milliseconds, rounded up) waits for
                // the deadline instead of blocking with none.
                Some(next) if inner.selector.has_precise_timeout() || !inner.arm(next, now) => {
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
                    io.waiters.take(Direction::Read, wakers);
                }
                if ready.contains(Events::WRITE) {
                    io.waiters.take(Direction::Write, wakers);
                }
            }
            Slot::Timer => self.armed = None,
            Slot::Unpark => {}
            Slot::Signal => crate::signal::deliver(self, key, wakers),
            Slot::Process(p) => {
                let exited = key.error().and_then(|e| e.raw_os_error()).unwrap_or(0);
                p.exited = Some(exited);
                if let Some(w) = p.waker.take() {
                    wakers.push(w);
                }
                if let Some(mut orphan) = p.orphan.take() {
                    // Nobody waits for it: what the reap says goes unheard.
                    let _ = self.reap_child(ident, &mut orphan, exited);
                }
            }
        }
    }
}

impl Drop for Inner {
    /// Hands the orphans this runtime still holds to the process-wide list,
    /// so that they are reaped after it is gone (see [`orphans`]).
    fn drop(&mut self) {
        // Before the selector goes: signals are given back in the order the
        // signal registry needs.
        crate::signal::shutdown(self);
        let orphans: Vec<_> = self
            .orphans
            .drain(..)
            .filter_map(|ident| match self.selector.data_mut(ident) {
                Some(Slot::Process(p)) => p.orphan.take().map(|c| (*c, p.orphan_killed)),
                _ => None,
            })
            .collect();
        orphans::adopt(orphans);
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
    fn a_selector_slot_is_no_larger_than_an_io_slot() {
        // Every fd of the selector's table takes a `Slot`, so the largest
        // kind sets the size of a connection's bookkeeping: a process's
        // orphan is boxed to keep it from being that kind.
        assert_eq!(size_of::<Slot>(), size_of::<IoSlot>());
        assert!(size_of::<IoSlot>() <= 48, "{}", size_of::<IoSlot>());
    }

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
