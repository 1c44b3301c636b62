//! Thread-per-core: [`PerCore`] runs one [`Runtime`](crate::Runtime) per thread, each
//! driving the same async entry point given its [`Shard`].
//!
//! # Protocol
//!
//! - [`PerCore::block_on_all`] starts `n` threads (`chronia-shard-<i>`) and
//!   nothing else; the calling thread only waits for them. While it runs,
//!   the process has the caller's threads plus `n`; when it returns, every
//!   shard thread has ended and its runtime has dropped.
//! - Every shard thread starts with every signal blocked but the fault
//!   signals (`SIGSEGV`, `SIGBUS`, ...), without a window: the caller
//!   blocks them around the thread's creation, which the new thread
//!   inherits. A shard that listens for a signal ([`signal`], [`ctrl_c`])
//!   reads it through its runtime; process-directed deliveries land on a
//!   thread that does not block them (the caller's, typically) and the
//!   signal machinery forwards them to every listening shard. So one
//!   `SIGTERM` reaches each shard that listens for it.
//! - Each shard has a stop flag, set by a [`Stopper`] from any thread (or
//!   from a shard), or by the [`Handle::stop`](super::Handle::stop) of the
//!   shard's runtime (the two set the same flag); [`Shard::stopped`] and
//!   [`Handle::stopped`](super::Handle::stopped) complete once it is set. Setting it
//!   wakes the shard's waiting tasks through their wakers, which cross
//!   threads; nothing else is shared between shards.
//! - A shard whose future panics, or whose runtime cannot be made, tells
//!   every other shard to stop (their flags are set) at once; the others
//!   still run until their futures end, which is when
//!   [`block_on_all`](PerCore::block_on_all) returns the failure. A shard
//!   that never awaits [`Shard::stopped`] is not interrupted.
//!
//! [`signal`]: crate::signal::signal
//! [`ctrl_c`]: crate::signal::ctrl_c

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread;

use super::stop::{StopFlag, Stopped};
use super::{Builder, handle};
use crate::sys::affinity;
use crate::sys::thread::MaskGuard;

/// Runs `n` single-threaded runtimes on `n` threads, one per core: the
/// thread-per-core model of glommio and monoio. Each shard gets its own
/// [`Runtime`](crate::Runtime) and runs the same entry point with its [`Shard`] (index,
/// stop signal); `!Send` tasks stay on their shard. Connections are spread
/// across shards by the kernel, with one `SO_REUSEPORT` listener per shard
/// ([`TcpListener::bind_reuseport`](crate::net::TcpListener::bind_reuseport)).
///
/// # Shutdown
///
/// Each shard listens for `SIGINT`/`SIGTERM` itself ([`ctrl_c`](crate::signal::ctrl_c),
/// [`signal`](crate::signal::signal)); one signal to the process reaches
/// every listening shard. A program can also stop the shards through a
/// [`Stopper`] ([`PerCore::stopper`], [`Shard::stopper`]), from any thread,
/// or stop one shard through its runtime's [`Handle`](super::Handle)
/// ([`Handle::stop`](super::Handle::stop); a shard's handle is
/// [`Handle::current`](super::Handle::current) on its thread, which it can
/// send to other threads).
///
/// # Work handed between shards
///
/// Through a `Send` channel: tokio's `mpsc` (with `tokio = { features =
/// ["sync"] }`; its channels need no tokio runtime) or `async-channel`
/// both work under chronia, as their wakers are chronia's, which wake a
/// shard from any thread. Keep the hot path shard-local; hand over only
/// what must move.
///
/// ```
/// use chronia::runtime::PerCore;
///
/// let (to_zero, from_others) = tokio::sync::mpsc::unbounded_channel::<usize>();
/// let from_others = std::sync::Mutex::new(Some(from_others));
/// let sums = PerCore::new(3).block_on_all(|shard| {
///     let to_zero = to_zero.clone();
///     let inbox = if shard.index() == 0 {
///         from_others.lock().expect("not poisoned").take()
///     } else {
///         None
///     };
///     async move {
///         match inbox {
///             // Shard 0 collects one number from each other shard.
///             Some(mut inbox) => {
///                 let mut sum = 0;
///                 for _ in 1..shard.shards() {
///                     sum += inbox.recv().await.expect("senders live");
///                 }
///                 sum
///             }
///             None => {
///                 to_zero.send(shard.index() * 10).expect("shard 0 listens");
///                 0
///             }
///         }
///     }
/// })?;
/// assert_eq!(sums, [30, 0, 0]);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Differences
///
/// tokio has no thread-per-core runtime. [`Builder::build_per_core`]
/// makes a `PerCore` whose shards all take the builder's options;
/// [`PerCore::new`] uses the defaults.
#[derive(Debug)]
pub struct PerCore {
    shards: usize,
    pin: bool,
    stopper: Stopper,
    /// Makes each shard's runtime, on the shard's thread.
    builder: Builder,
}

impl PerCore {
    /// Prepares `shards` runtimes, not pinned. Nothing is started until
    /// [`block_on_all`](Self::block_on_all).
    ///
    /// # Examples
    ///
    /// ```
    /// let out = chronia::runtime::PerCore::new(2).block_on_all(|shard| async move { shard.index() })?;
    /// assert_eq!(out, [0, 1]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(shards: usize) -> PerCore {
        PerCore::with_builder(shards, Builder::new())
    }

    /// `shards` runtimes made by `builder`.
    pub(super) fn with_builder(shards: usize, builder: Builder) -> PerCore {
        PerCore {
            shards,
            pin: false,
            stopper: Stopper::new(shards),
            builder,
        }
    }

    /// With `true`, pins shard `i` to the `i`-th CPU this thread may run on
    /// (`sched_setaffinity(2)`), wrapping around when there are more shards
    /// than CPUs.
    ///
    /// # Examples
    ///
    /// ```
    /// let cpus = chronia::runtime::PerCore::new(1)
    ///     .pin_to_cpus(true)
    ///     .block_on_all(|shard| async move { shard.cpu() })?;
    /// assert!(cpus[0].is_some());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use = "the builder does nothing until `block_on_all`"]
    pub fn pin_to_cpus(mut self, pin: bool) -> PerCore {
        self.pin = pin;
        self
    }

    /// A handle that stops the shards from any thread, before or during
    /// [`block_on_all`](Self::block_on_all).
    ///
    /// # Examples
    ///
    /// ```
    /// let per_core = chronia::runtime::PerCore::new(2);
    /// let stopper = per_core.stopper();
    /// stopper.stop(); // before they start: each sees it at once
    /// let out = per_core.block_on_all(|shard| async move { shard.stopped().await })?;
    /// assert_eq!(out.len(), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Starts the shards, each running `entry(shard)` to completion on its
    /// own thread and runtime, and waits for all of them; gives their
    /// outputs in shard order. The future `entry` returns need not be
    /// `Send`: it is made and run on its shard's thread.
    ///
    /// # Errors
    ///
    /// - `InvalidInput` for zero shards;
    /// - the kernel's error, unchanged, when the CPUs cannot be read or a
    ///   shard cannot be pinned, its thread started or its runtime made;
    /// - a [`ShardPanic`] (inside an `io::Error` of kind `Other`) naming the
    ///   shard and its panic message, when a shard's future panics.
    ///
    /// On a failure the other shards are told to stop ([`Shard::stopped`]
    /// completes) and waited for; the error of the lowest failing shard is
    /// returned and the others' outputs and errors are dropped (a panic's
    /// message was printed by the panic hook when it happened).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::runtime::{PerCore, ShardPanic};
    ///
    /// let err = PerCore::new(2)
    ///     .block_on_all(|shard| async move {
    ///         if shard.index() == 1 {
    ///             panic!("shard one gives up");
    ///         }
    ///         shard.stopped().await; // told to stop when shard 1 panics
    ///     })
    ///     .unwrap_err();
    /// let panic = err.get_ref().and_then(|e| e.downcast_ref::<ShardPanic>()).expect("a panic");
    /// assert_eq!((panic.shard(), panic.message()), (1, "shard one gives up"));
    /// ```
    pub fn block_on_all<F, Fut>(self, entry: F) -> io::Result<Vec<Fut::Output>>
    where
        F: Fn(Shard) -> Fut + Sync,
        Fut: Future,
        Fut::Output: Send,
    {
        if self.shards == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "PerCore::new(0): a thread-per-core runtime needs at least one shard",
            ));
        }
        let cpus = if self.pin {
            affinity::allowed_cpus()?
        } else {
            Vec::new()
        };
        let entry = &entry;
        let outcomes = thread::scope(|scope| {
            let mut threads = Vec::with_capacity(self.shards);
            let mut start_error = None;
            for index in 0..self.shards {
                let shard = Shard {
                    index,
                    cpu: (!cpus.is_empty()).then(|| cpus[index % cpus.len()]),
                    stopper: self.stopper.clone(),
                };
                match start(scope, shard, &self.builder, entry) {
                    Ok(thread) => threads.push(thread),
                    Err(e) => {
                        self.stopper.stop();
                        start_error = Some(Failure::Error(e));
                        break;
                    }
                }
            }
            let mut outcomes: Vec<Result<Fut::Output, Failure>> = threads
                .into_iter()
                .map(|thread| thread.join().unwrap_or_else(|p| Err(Failure::panic(&*p))))
                .collect();
            // It takes the index of the shard that did not start.
            if let Some(failure) = start_error {
                outcomes.push(Err(failure));
            }
            outcomes
        });
        let mut outputs = Vec::with_capacity(self.shards);
        for (index, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Ok(output) => outputs.push(output),
                Err(Failure::Error(e)) => return Err(e),
                Err(Failure::Panicked(message)) => {
                    return Err(io::Error::other(ShardPanic {
                        shard: index,
                        message,
                    }));
                }
            }
        }
        Ok(outputs)
    }
}

/// Why a shard gave no output.
enum Failure {
    Panicked(String),
    Error(io::Error),
}

impl Failure {
    fn panic(payload: &(dyn Any + Send)) -> Failure {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with a non-string payload".to_owned());
        Failure::Panicked(message)
    }
}

/// Starts the thread of `shard`, with every signal but the faults blocked
/// from its first instruction.
fn start<'scope, F, Fut>(
    scope: &'scope thread::Scope<'scope, '_>,
    shard: Shard,
    builder: &'scope Builder,
    entry: &'scope F,
) -> io::Result<thread::ScopedJoinHandle<'scope, Result<Fut::Output, Failure>>>
where
    F: Fn(Shard) -> Fut + Sync,
    Fut: Future,
    Fut::Output: Send + 'scope,
{
    let _mask = MaskGuard::block_all_but_faults()?;
    thread::Builder::new()
        .name(format!("chronia-shard-{}", shard.index))
        .spawn_scoped(scope, move || {
            let stopper = shard.stopper.clone();
            let outcome = run_shard(shard, builder, entry);
            if outcome.is_err() {
                stopper.stop();
            }
            outcome
        })
}

fn run_shard<F, Fut>(shard: Shard, builder: &Builder, entry: &F) -> Result<Fut::Output, Failure>
where
    F: Fn(Shard) -> Fut,
    Fut: Future,
{
    if let Some(cpu) = shard.cpu {
        affinity::pin_current_thread(cpu).map_err(Failure::Error)?;
    }
    let runtime = builder.build().map_err(Failure::Error)?;
    // The runtime's handle state takes the shard's stop flag, so that
    // `Handle::stop` and the `Stopper` set the same one.
    let flag = shard.flag().clone();
    drop(handle::handle_with_stop(
        &runtime.driver.handle,
        || flag,
        |task| drop(runtime.executor().spawn(task)),
    ));
    // The runtime drops after a panic too (tasks, fds, signals given back);
    // it is not used again, so what the panic left half-done is never seen.
    panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(entry(shard))))
        .map_err(|p| Failure::panic(&*p))
}

/// A shard's view of its place: its index among the shards, the CPU it is
/// pinned to, and its stop signal. Given to the entry point of
/// [`PerCore::block_on_all`].
///
/// # Examples
///
/// ```
/// let out = chronia::runtime::PerCore::new(2).block_on_all(|shard| async move {
///     (shard.index(), shard.shards(), shard.is_stopped())
/// })?;
/// assert_eq!(out, [(0, 2, false), (1, 2, false)]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Shard {
    index: usize,
    cpu: Option<usize>,
    stopper: Stopper,
}

impl Shard {
    /// This shard's index, from 0 to [`shards`](Self::shards) − 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = chronia::runtime::PerCore::new(3).block_on_all(|shard| async move { shard.index() })?;
    /// assert_eq!(out, [0, 1, 2]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// How many shards run.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = chronia::runtime::PerCore::new(2).block_on_all(|shard| async move { shard.shards() })?;
    /// assert_eq!(out, [2, 2]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shards(&self) -> usize {
        self.stopper.shared.flags.len()
    }

    /// The CPU this shard is pinned to, `None` unless
    /// [`PerCore::pin_to_cpus`] asked for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = chronia::runtime::PerCore::new(1).block_on_all(|shard| async move { shard.cpu() })?;
    /// assert_eq!(out, [None]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn cpu(&self) -> Option<usize> {
        self.cpu
    }

    /// Completes once this shard is told to stop ([`Stopper::stop`],
    /// [`Stopper::stop_shard`], or another shard failing); at once if it
    /// already was. Race it against the shard's work.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = chronia::runtime::PerCore::new(2).block_on_all(|shard| async move {
    ///     if shard.index() == 0 {
    ///         shard.stopper().stop(); // stops every shard, this one too
    ///     }
    ///     shard.stopped().await;
    ///     shard.is_stopped()
    /// })?;
    /// assert_eq!(out, [true, true]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stopped(&self) -> Stopped {
        Stopped::new(self.flag().clone())
    }

    /// Whether this shard was told to stop.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = chronia::runtime::PerCore::new(1).block_on_all(|shard| async move { shard.is_stopped() })?;
    /// assert_eq!(out, [false]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_stopped(&self) -> bool {
        self.flag().is_stopped()
    }

    /// The [`Stopper`] of all shards, to stop them from this one (or to
    /// hand to another thread).
    ///
    /// # Examples
    ///
    /// ```
    /// let out = chronia::runtime::PerCore::new(2).block_on_all(|shard| async move {
    ///     if shard.index() == 1 {
    ///         shard.stopper().stop_shard(0).expect("shard 0 exists");
    ///     } else {
    ///         shard.stopped().await;
    ///     }
    ///     shard.index()
    /// })?;
    /// assert_eq!(out, [0, 1]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    fn flag(&self) -> &Arc<StopFlag> {
        &self.stopper.shared.flags[self.index]
    }
}

/// Tells shards to stop, from any thread: `Send + Sync`, cheap to clone.
/// Stopping sets a shard's flag and wakes its tasks waiting in
/// [`Shard::stopped`]; a stop cannot be taken back.
///
/// # Examples
///
/// ```
/// use chronia::runtime::PerCore;
///
/// let per_core = PerCore::new(2);
/// let stopper = per_core.stopper();
/// let out = per_core.block_on_all(|shard| {
///     let stopper = stopper.clone();
///     async move {
///         if shard.index() == 0 {
///             // Any thread would do; here, a plain one.
///             std::thread::spawn(move || stopper.stop()).join().expect("no panic");
///         }
///         shard.stopped().await;
///         "stopped"
///     }
/// })?;
/// assert_eq!(out, ["stopped", "stopped"]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Stopper {
    shared: Arc<Shared>,
}

impl fmt::Debug for Stopper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stopped: Vec<bool> = self
            .shared
            .flags
            .iter()
            .map(|flag| flag.is_stopped())
            .collect();
        f.debug_struct("Stopper")
            .field("stopped", &stopped)
            .finish()
    }
}

/// The stop flags of all shards, one per shard.
struct Shared {
    flags: Vec<Arc<StopFlag>>,
}

impl Stopper {
    fn new(shards: usize) -> Stopper {
        let flags = (0..shards).map(|_| Arc::new(StopFlag::new())).collect();
        Stopper {
            shared: Arc::new(Shared { flags }),
        }
    }

    /// Tells every shard to stop.
    ///
    /// # Examples
    ///
    /// ```
    /// let per_core = chronia::runtime::PerCore::new(3);
    /// per_core.stopper().stop();
    /// let out = per_core.block_on_all(|shard| async move { shard.is_stopped() })?;
    /// assert_eq!(out, [true; 3]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(&self) {
        for flag in &self.shared.flags {
            flag.stop();
        }
    }

    /// Tells shard `index` to stop.
    ///
    /// # Errors
    ///
    /// `InvalidInput` naming `index` if there is no such shard.
    ///
    /// # Examples
    ///
    /// ```
    /// let per_core = chronia::runtime::PerCore::new(2);
    /// let stopper = per_core.stopper();
    /// stopper.stop_shard(1)?;
    /// assert_eq!(stopper.stop_shard(2).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// let out = per_core.block_on_all(|shard| async move { shard.is_stopped() })?;
    /// assert_eq!(out, [false, true]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop_shard(&self, index: usize) -> io::Result<()> {
        let flag = self.shared.flags.get(index).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "no shard {index}: there are {} shards",
                    self.shared.flags.len()
                ),
            )
        })?;
        flag.stop();
        Ok(())
    }
}

/// The panic of one shard's future, reported by
/// [`PerCore::block_on_all`] inside an `io::Error` of kind `Other`.
///
/// # Examples
///
/// ```
/// use chronia::runtime::{PerCore, ShardPanic};
///
/// let err = PerCore::new(1).block_on_all(|_| async { panic!("oops") }).unwrap_err();
/// assert_eq!(err.to_string(), "shard 0 panicked: oops");
/// let panic = err.get_ref().and_then(|e| e.downcast_ref::<ShardPanic>()).expect("a panic");
/// assert_eq!(panic.shard(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct ShardPanic {
    shard: usize,
    message: String,
}

impl ShardPanic {
    /// The index of the shard that panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = chronia::runtime::PerCore::new(1).block_on_all(|_| async { panic!("x") }).unwrap_err();
    /// let panic = err.get_ref().and_then(|e| e.downcast_ref::<chronia::runtime::ShardPanic>());
    /// assert_eq!(panic.map(|p| p.shard()), Some(0));
    /// ```
    pub fn shard(&self) -> usize {
        self.shard
    }

    /// The panic's message (its `&str` or `String` payload).
    ///
    /// # Examples
    ///
    /// ```
    /// let err = chronia::runtime::PerCore::new(1).block_on_all(|_| async { panic!("x{}", 1) }).unwrap_err();
    /// let panic = err.get_ref().and_then(|e| e.downcast_ref::<chronia::runtime::ShardPanic>());
    /// assert_eq!(panic.map(|p| p.message()), Some("x1"));
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ShardPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shard {} panicked: {}", self.shard, self.message)
    }
}

impl Error for ShardPanic {}
