//! [`Builder`]: a runtime's options.

use std::fmt;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use chronia_executor::{LocalExecutor, POLL_BUDGET, SlowPoll};

use super::driver::{Driver, EVENTS_PER_TURN};
use super::{PerCore, Runtime};

/// The slow-poll alarm's callback; `Send + Sync` so that one builder can
/// make the runtime of every shard of [`Builder::build_per_core`].
type SlowPollFn = Arc<dyn Fn(&SlowPoll) + Send + Sync>;

/// Builds a [`Runtime`] with options; [`Runtime::new`] is
/// `Builder::new().build()`.
///
/// As tokio's `runtime::Builder`, minus the thread options (a chronia
/// runtime is one thread); the slow-poll alarm is ours. The same options
/// make one runtime ([`build`](Self::build)) or one per core
/// ([`build_per_core`](Self::build_per_core)). Like tokio's, a builder is
/// `Send + Sync` and its callbacks must be too.
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
    /// costs one `CLOCK_MONOTONIC` read (back-to-back polls share one). The
    /// callback runs on the runtime's thread, between polls; with
    /// [`build_per_core`](Self::build_per_core), on each shard's thread.
    /// It must be `Send + Sync` (as tokio's `Builder` callbacks are) so that
    /// one builder serves every shard; count in an atomic, or in a
    /// `thread_local!` for per-thread figures.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
    /// use std::time::Duration;
    ///
    /// let slow = Arc::new(AtomicUsize::new(0));
    /// let s = slow.clone();
    /// let rt = chronia::runtime::Builder::new()
    ///     .on_slow_poll(Duration::from_millis(5), move |_| {
    ///         s.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .build()?;
    /// rt.block_on(async {
    ///     chronia::spawn(async { std::thread::sleep(Duration::from_millis(10)) }).await
    /// }).expect("no panic");
    /// assert_eq!(slow.load(Ordering::Relaxed), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_slow_poll(
        &mut self,
        threshold: Duration,
        callback: impl Fn(&SlowPoll) + Send + Sync + 'static,
    ) -> &mut Builder {
        self.slow_poll = Some((threshold, Arc::new(callback)));
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
        self.check()?;
        let executor = LocalExecutor::new();
        executor.set_poll_budget(self.poll_budget);
        if let Some((threshold, callback)) = &self.slow_poll {
            let callback = Arc::clone(callback);
            executor.set_slow_poll(*threshold, move |slow| callback(slow));
        }
        Ok(Runtime {
            executor: Some(executor),
            driver: Rc::new(Driver::with_events(self.events_per_turn)?),
        })
    }

    /// Prepares `shards` runtimes with these options, one per thread: the
    /// thread-per-core launcher ([`PerCore`]). Nothing starts until
    /// [`PerCore::block_on_all`]; each shard's runtime is made by
    /// [`build`](Self::build) on its own thread, so the poll budget, the
    /// events per turn and the slow-poll alarm hold on every shard.
    /// [`PerCore::new`] is `Builder::new().build_per_core(n)` without the
    /// checks.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for zero shards, and for the options [`build`](Self::build)
    /// refuses (the message names which).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::time::Duration;
    ///
    /// static SLOW: AtomicUsize = AtomicUsize::new(0);
    /// let out = chronia::runtime::Builder::new()
    ///     .poll_budget(16)
    ///     .on_slow_poll(Duration::from_millis(5), |_| {
    ///         SLOW.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .build_per_core(2)?
    ///     .block_on_all(|shard| async move {
    ///         chronia::spawn(async { std::thread::sleep(Duration::from_millis(10)) })
    ///             .await
    ///             .expect("no panic");
    ///         shard.index()
    ///     })?;
    /// assert_eq!(out, [0, 1]);
    /// assert_eq!(SLOW.load(Ordering::Relaxed), 2); // one alarm on each shard
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build_per_core(&self, shards: usize) -> io::Result<PerCore> {
        self.check()?;
        if shards == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "build_per_core(0): a thread-per-core runtime needs at least one shard",
            ));
        }
        Ok(PerCore::with_builder(shards, self.clone()))
    }

    /// Refuses options no runtime can run with.
    fn check(&self) -> io::Result<()> {
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Builder;

    #[test]
    fn a_builder_crosses_threads_like_tokios() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Builder>();
    }
}
