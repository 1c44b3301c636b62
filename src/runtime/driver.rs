//! The driver: the selector, the timers and the clock of one runtime, and
//! the [`Park`] that turns the selector's reports into wakes.
//!
//! # Protocol
//!
//! - Every fd a future waits on is registered once, edge-triggered, for
//!   read and write; its [`IoSlot`](super::slot::IoSlot) keeps the readiness the kernel reported
//!   since the owner last saw `WouldBlock`. So a wait costs no `epoll_ctl`.
//! - Where the selector keeps timeouts to the nanosecond (`epoll_pwait2`,
//!   Linux 5.11+), the earliest deadline is the park's timeout and no
//!   timerfd is armed. Elsewhere all timers share one timerfd, registered
//!   once: before blocking, the driver moves it to the earliest deadline,
//!   only if that changed; a park that must not block (work is ready) never
//!   touches it.
//! - A wake from another thread triggers the unpark eventfd; the executor
//!   does that at most once per park. The eventfd is edge-triggered
//!   ([`SelectEvent::new_edge_triggered`]): its report is a spurious
//!   return of the park at most, and nobody reads it, so a wake costs the
//!   waking thread one `write(2)` and the parked one no syscall besides
//!   the wait. A trigger that lands before the park blocks (after the
//!   executor's last drain) is an edge the wait then reports at once.
//! - A park that must not block (the executor still has work: its poll
//!   budget ran out) asks the kernel for events at most once per
//!   [`BUSY_SELECT_EVERY`] of real time; the ones in between only fire the
//!   timers that are due. Tasks whose polls are cheap (a channel ping-pong
//!   runs 61 polls in about 1.5 µs) would otherwise pay an `epoll_wait`
//!   syscall every 61 polls, a quarter of their time; I/O, signals and
//!   children still reach a runtime that never idles within that bound.
//!   (Tokio polls the kernel every 61 polls whatever they cost.) Wakes
//!   from other threads do not wait for it: the executor takes them from
//!   its remote queue on every such turn.
//! - Wakers are woken after the driver's `RefCell` borrow ends, so a waker
//!   that re-enters the driver cannot trip over it.
//!
//! # Who may touch what
//!
//! The fields of [`DriverState`] are private to this module and its
//! children: no other module reads or writes them. The capabilities
//! (`io`, `net`, `time`, `signal`, `process`) call the small API of
//! [`api`], which says what each may do, through one borrow of the state
//! ([`Driver::state_mut`]) that ends before a waker is woken or a future
//! polled. The rest of `runtime` (the executor's park, `Handle`, stats)
//! uses the methods of this file.
//!
//! The driver imports none of the capabilities it serves. The slots it
//! stores with the selector's registrations, and what a report does to
//! them, are the leaf [`slot`](super::slot); the timer heap and the clock
//! are the leaf [`timers`](super::timers); a signal's delivery and
//! leaving are reached through the [`SignalHold`](super::slot::SignalHold) that `signal` gives
//! when it listens; the orphans of a dropped runtime are kept by
//! [`orphans`], under the driver, which `process` calls.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use chronia_executor::{Park, Unpark};
use chronia_reactor::{Ident, ReadyKey, SelectEvent, Selector};

use super::slot::{Report, SignalSlot, Slot};
use super::stats::{self, Counters};
use super::timers::{Clock, Timers};

mod api;
pub(crate) mod orphans;
#[cfg(test)]
mod unpark_tests;

/// The state of one runtime's driver: its selector, timers and clock,
/// and what it keeps of signals and children. Reached only through
/// [`Driver::state_mut`] and the methods of this module and [`api`].
#[derive(Debug)]
pub(crate) struct DriverState {
    selector: Selector<Slot>,
    timers: Timers,
    clock: Clock,
    signals: HashMap<i32, SignalSlot>,
    /// This process's id, read once: tells forwarded signals from others.
    pid: i32,
    /// Forwarding of `SIGCHLD` to this thread, taken at the first spawn of
    /// a child and kept while the runtime lives (see `process`).
    listens_to_children: bool,
    /// Registrations that hold an orphan (see
    /// [`ProcessSlot::orphan`](super::slot::ProcessSlot::orphan)).
    orphans: Vec<Ident>,
    timer: Ident,
    /// The registration of the unpark event: its report only ends the park.
    unpark: Ident,
    /// The deadline the timerfd is armed for, if any.
    armed: Option<Instant>,
    /// Makes every arming of the timerfd fail, for the test of the
    /// fallback (the kernel gives no way to make it fail on demand).
    #[cfg(test)]
    fail_arming: bool,
    keys: Vec<ReadyKey>,
    counters: Counters,
    /// When the last wait in the kernel began, by the real clock; `None`
    /// before the first and while the clock is paused.
    last_select: Option<Instant>,
    /// [`BUSY_SELECT_EVERY`]; tests that must not depend on the speed of
    /// the machine (valgrind) widen it.
    busy_select_every: Duration,
}

/// One runtime's reactor side, shared by the futures of its thread.
#[derive(Debug)]
pub(crate) struct Driver {
    state: RefCell<DriverState>,
    unpark: SelectEvent,
    /// The state of this runtime's [`Handle`](super::Handle)s, made at the first ask.
    pub(crate) handle: std::cell::OnceCell<Arc<super::handle::Shared>>,
}

/// The most real time a busy runtime goes without asking the kernel for
/// events (see the module docs): at a few hundred ns per `epoll_wait`, at
/// most a few % of a busy thread's time, and far below any network
/// round trip.
pub(crate) const BUSY_SELECT_EVERY: Duration = Duration::from_micros(20);

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
        let unpark = SelectEvent::new_edge_triggered()?;
        let unpark_ident = selector.register_event(&unpark, Slot::Unpark)?;
        Ok(Driver {
            state: RefCell::new(DriverState {
                selector,
                timers: Timers::default(),
                clock: Clock::new(),
                signals: HashMap::new(),
                pid: crate::sys::signal::getpid(),
                listens_to_children: false,
                orphans: Vec::new(),
                timer,
                unpark: unpark_ident,
                armed: None,
                #[cfg(test)]
                fail_arming: false,
                keys: vec![ReadyKey::default(); events_per_turn],
                counters: Counters::default(),
                last_select: None,
                busy_select_every: BUSY_SELECT_EVERY,
            }),
            unpark,
            handle: std::cell::OnceCell::new(),
        })
    }

    pub(crate) fn unparker(&self) -> Arc<dyn Unpark> {
        Arc::new(EventUnparker(self.unpark.clone()))
    }

    /// One turn of the reactor: wait up to `timeout` for events (not at all
    /// when a timer is already due), then wake what became ready. A turn
    /// with a zero timeout within [`BUSY_SELECT_EVERY`] of the last wait in
    /// the kernel only fires due timers.
    pub(crate) fn turn(&self, timeout: Option<Duration>, wakers: &mut Vec<Waker>) {
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        let now = state.clock.now();
        if timeout == Some(Duration::ZERO)
            && state
                .last_select
                .is_some_and(|t| now.saturating_duration_since(t) < state.busy_select_every)
        {
            let fired = wakers.len();
            state.timers.fire_due(now, wakers);
            stats::add(&state.counters.timers_fired, wakers.len() - fired);
            return;
        }
        // Paused, `now` is not the real time: every turn selects.
        state.last_select = (!state.clock.is_paused()).then_some(now);
        let next = state.timers.next_deadline();
        // A deadline closer than arming the timerfd costs (a few µs, more in
        // a VM, where reprogramming the clock traps) is waited for by polling
        // the selector instead: it can only make the wake-up more precise.
        let due = next.is_some_and(|d| d <= now + SPIN_BELOW);
        // Paused time jumps to the next timer only when every task is idle:
        // a zero timeout means the executor still has work.
        let auto_advance =
            state.clock.is_paused() && next.is_some() && timeout != Some(Duration::ZERO);
        let wait = if due || auto_advance || timeout == Some(Duration::ZERO) {
            Some(Duration::ZERO)
        } else {
            match next {
                // The selector's timeout is kept to the nanosecond
                // (`epoll_pwait2`): it waits for the deadline, with no
                // timerfd to arm. Or the timerfd could not be armed: the
                // epoll timeout (whole milliseconds, rounded up) waits for
                // the deadline instead of blocking with none.
                Some(next) if state.selector.has_precise_timeout() || !state.arm(next, now) => {
                    let until = next.saturating_duration_since(now);
                    Some(timeout.map_or(until, |t| t.min(until)))
                }
                _ => timeout,
            }
        };
        let n = state
            .selector
            .select_into(wait, &mut state.keys)
            .expect("epoll_wait on the runtime's own epoll fd and buffer cannot fail");
        stats::add(&state.counters.epoll_waits, 1);
        stats::add(&state.counters.events, n);
        let before = wakers.len();
        for i in 0..n {
            let key = state.keys[i];
            state.dispatch(key, wakers);
        }
        if auto_advance
            && wakers.len() == before
            && n == 0
            && let Some(next) = next
        {
            state.clock.advance_to(next);
        }
        let (now, fired) = (state.clock.now(), wakers.len());
        state.timers.fire_due(now, wakers);
        stats::add(&state.counters.timers_fired, wakers.len() - fired);
    }
}

impl DriverState {
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
            .set_timerfd(deadline.saturating_duration_since(now))
            .is_ok()
        {
            self.armed = Some(deadline);
            stats::add(&self.counters.timer_rearms, 1);
            true
        } else {
            // The old arming may be anything now: forget it.
            self.armed = None;
            false
        }
    }

    fn set_timerfd(&mut self, after: Duration) -> io::Result<()> {
        #[cfg(test)]
        if self.fail_arming {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        self.selector.set_timer(self.timer, Some(after))
    }

    fn dispatch(&mut self, key: ReadyKey, wakers: &mut Vec<Waker>) {
        let ident = key.ident();
        // The cross-thread wake: its slot says nothing to do (the report
        // only ended the park), so it is not looked up.
        if ident == self.unpark {
            return;
        }
        let Some(slot) = self.selector.data_mut(ident) else {
            return;
        };
        match slot.report(key, wakers) {
            Report::Done => {}
            Report::TimerFired => self.armed = None,
            Report::Signal(info) => {
                let delivered = self
                    .signals
                    .get(&info.signo)
                    .is_some_and(|s| s.deliver(info, self.pid, wakers));
                if delivered {
                    stats::add(&self.counters.signals_delivered, 1);
                }
            }
            Report::Orphan { mut child, exited } => {
                // Nobody waits for it: what the reap says goes unheard.
                let _ = self.reap_child(ident, &mut child, exited);
            }
        }
    }
}

impl Drop for DriverState {
    /// Hands the orphans this runtime still holds to the process-wide list,
    /// so that they are reaped after it is gone (see [`orphans`]).
    fn drop(&mut self) {
        // Before the selector goes: signals are given back in the order the
        // signal registry needs (see `SignalHold::leave`).
        self.unlisten_all_signals();
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
    fn a_timer_fires_even_when_the_timerfd_cannot_be_armed() {
        // Before the fix a failed `timerfd_settime` was ignored and the
        // park blocked with no deadline, forever.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let driver = Driver::new().expect("driver");
            let start = Instant::now();
            let deadline = start + Duration::from_millis(5);
            let mut state = driver.state_mut();
            state.fail_arming = true;
            let key = state.add_timer(
                crate::runtime::timers::Deadline::from_instant(deadline),
                Waker::noop().clone(),
            );
            drop(state);
            let mut wakers = Vec::new();
            while !driver.state_mut().is_timer_fired(key) {
                driver.turn(None, &mut wakers);
            }
            let _ = tx.send(start.elapsed());
        });
        let took = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the park blocked with no deadline");
        assert!(took >= Duration::from_millis(5), "fired early: {took:?}");
    }

    fn epoll_waits(driver: &Driver) -> u64 {
        driver.state_mut().counters().epoll_waits.get()
    }

    #[test]
    fn busy_turns_ask_the_kernel_at_most_once_per_interval() {
        let driver = Driver::new().expect("driver");
        let mut wakers = Vec::new();
        let start = Instant::now();
        for _ in 0..2_000 {
            driver.turn(Some(Duration::ZERO), &mut wakers);
        }
        let elapsed = start.elapsed();
        let waits = epoll_waits(&driver);
        // Each wait after the first began at least BUSY_SELECT_EVERY after
        // the one before (without the gate: one per turn, 2,000).
        let most = elapsed.as_nanos() / BUSY_SELECT_EVERY.as_nanos() + 1;
        assert!(waits >= 1, "the first busy turn asks the kernel");
        assert!(
            u128::from(waits) <= most,
            "{waits} epoll_waits in {elapsed:?}, at most {most} allowed"
        );
    }

    #[test]
    fn a_busy_turn_after_the_interval_asks_the_kernel_and_sees_events() {
        use std::os::fd::AsRawFd;
        let driver = Driver::new().expect("driver");
        let mut wakers = Vec::new();
        let (reader, mut writer) = std::os::unix::net::UnixStream::pair().expect("pair");
        driver
            .state_mut()
            .register_fd(reader.as_raw_fd(), chronia_reactor::Events::empty())
            .expect("register");
        driver.turn(Some(Duration::ZERO), &mut wakers);
        let (waits, events) = {
            let state = driver.state_mut();
            (
                state.counters().epoll_waits.get(),
                state.counters().events.get(),
            )
        };
        std::io::Write::write_all(&mut writer, b"x").expect("write");
        // Real time past the interval (the state this test needs, not a
        // wait for another thread): the next busy turn must select.
        std::thread::sleep(BUSY_SELECT_EVERY * 2);
        driver.turn(Some(Duration::ZERO), &mut wakers);
        let state = driver.state_mut();
        assert_eq!(state.counters().epoll_waits.get(), waits + 1);
        assert_eq!(state.counters().events.get(), events + 1, "the readable fd");
        drop(state);
        driver.state_mut().deregister_fd(reader.as_raw_fd());
    }

    #[test]
    fn a_busy_turn_within_the_interval_fires_due_timers_without_the_kernel() {
        let driver = Driver::new().expect("driver");
        let mut wakers = Vec::new();
        let deadline = Instant::now() + Duration::from_micros(1);
        let key = driver.state_mut().add_timer(
            crate::runtime::timers::Deadline::from_instant(deadline),
            Waker::noop().clone(),
        );
        while Instant::now() <= deadline {
            std::hint::spin_loop();
        }
        driver.turn(Some(Duration::ZERO), &mut wakers);
        assert!(driver.state_mut().is_timer_fired(key), "a due timer fires");
        // An interval no machine takes two turns to exceed (valgrind).
        driver.state_mut().busy_select_every = Duration::from_secs(600);
        let key = driver.state_mut().add_timer(
            crate::runtime::timers::Deadline::from_instant(Instant::now()),
            Waker::noop().clone(),
        );
        let waits = epoll_waits(&driver);
        driver.turn(Some(Duration::ZERO), &mut wakers);
        assert!(driver.state_mut().is_timer_fired(key), "a due timer fires");
        assert_eq!(
            epoll_waits(&driver),
            waits,
            "no epoll_wait within the interval"
        );
        // A turn that may block always waits in the kernel.
        driver.turn(Some(Duration::from_millis(1)), &mut wakers);
        assert_eq!(epoll_waits(&driver), waits + 1);
    }
}
