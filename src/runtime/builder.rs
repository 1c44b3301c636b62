//! [`Builder`]: a runtime's options.

use std::fmt;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use chronia_executor::{LocalExecutor, POLL_BUDGET, SlowPoll};

use super::Runtime;
use super::driver::{Driver, EVENTS_PER_TURN};

/// The slow-poll alarm's callback.
type SlowPollFn = Rc<dyn Fn(&SlowPoll)>;

/// Builds a [`Runtime`] with options; [`Runtime::new`] is
/// `Builder::new().build()`.
///
/// As tokio's `runtime::Builder`, minus the thread options (a chronia
/// runtime is one thread); the slow-poll alarm is ours.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = chronia::runtime::Builder::new()
///     .poll_budget(32)
///     .events_per_turn(64)
///     .on_slow_poll(Duration::from_millis(10), |slow| {
///         eprintln!("task {} at {} blocked the thread for {:?}", slow.id, slow.location, slow.duration);
///     })
///     .build()?;
/// assert_eq!(rt.block_on(async { 2 + 2 }), 4);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Builder {
    poll_budget: usize,
    events_per_turn: usize,
    slow_poll: Option<(Duration, SlowPollFn)>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("poll_budget", &self.poll_budget)
            .field("events_per_turn", &self.events_per_turn)
            .field("slow_poll", &self.slow_poll.as_ref().map(|s| s.0))
            .finish()
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// The default options: a poll budget of [`POLL_BUDGET`] (61), 256
    /// events per reactor turn, no slow-poll alarm.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::runtime::Builder::new().build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> Builder {
        Builder {
            poll_budget: POLL_BUDGET,
            events_per_turn: EVENTS_PER_TURN,
            slow_poll: None,
        }
    }

    /// How many task polls the runtime makes while work stays ready before
    /// it gives the reactor a non-blocking turn (tokio's `event_interval`).
    /// Smaller: I/O and timers are seen sooner under load; larger: fewer
    /// `epoll_wait` calls.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::runtime::Builder::new().poll_budget(8).build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_budget(&mut self, polls: usize) -> &mut Builder {
        self.poll_budget = polls;
        self
    }

    /// How many events one `epoll_wait` returns at most; more wait in the
    /// kernel for the next turn, which does not block.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::runtime::Builder::new().events_per_turn(1024).build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn events_per_turn(&mut self, events: usize) -> &mut Builder {
        self.events_per_turn = events;
        self
    }

    /// Calls `callback` after every poll of a task that took longer than
    /// `threshold`, with the task's id, name, spawn location and the
    /// poll's duration: the "something blocks the runtime thread" alarm.
    ///
    /// Off by default; when off, polls read no clock. When on, each poll
    /// costs one `CLOCK_MONOTONIC` read (back-to-back polls share one). The callback
    /// runs on the runtime's thread, between polls.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    ///
    /// let slow = Rc::new(Cell::new(0));
    /// let s = slow.clone();
    /// let rt = chronia::runtime::Builder::new()
    ///     .on_slow_poll(Duration::from_millis(5), move |_| s.set(s.get() + 1))
    ///     .build()?;
    /// rt.block_on(async {
    ///     chronia::spawn(async { std::thread::sleep(Duration::from_millis(10)) }).await
    /// }).expect("no panic");
    /// assert_eq!(slow.get(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_slow_poll(
        &mut self,
        threshold: Duration,
        callback: impl Fn(&SlowPoll) + 'static,
    ) -> &mut Builder {
        self.slow_poll = Some((threshold, Rc::new(callback)));
        self
    }

    /// Creates the runtime.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if the poll budget or the events per turn is 0 (the
    /// message names which); the kernel's error if the runtime's fds
    /// cannot be made (see [`Runtime::new`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let err = chronia::runtime::Builder::new().poll_budget(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn build(&self) -> io::Result<Runtime> {
        if self.poll_budget == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "poll_budget 0: the runtime must poll at least one task per turn",
            ));
        }
        if self.events_per_turn == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "events_per_turn 0: a reactor turn must take at least one event",
            ));
        }
        let executor = LocalExecutor::new();
        executor.set_poll_budget(self.poll_budget);
        if let Some((threshold, callback)) = &self.slow_poll {
            let callback = Rc::clone(callback);
            executor.set_slow_poll(*threshold, move |slow| callback(slow));
        }
        Ok(Runtime {
            executor: Some(executor),
            driver: Rc::new(Driver::with_events(self.events_per_turn)?),
        })
    }
}
