//! [`Handle`]: how other threads hand `Send` futures to a runtime.
//!
//! # Protocol
//!
//! - A runtime's handle state ([`Shared`]) is made the first time a handle
//!   of it is asked for, together with one local task of the runtime, the
//!   *inbox*. The inbox task drains the queue of `Shared` whenever it is
//!   polled, spawns each job as one local task (which polls the job's
//!   future, catches its panic and leaves the outcome in the job's slot),
//!   stores its own waker in `Shared` and waits.
//! - [`Handle::spawn`] pushes a job under the lock and, only when the queue
//!   was empty, wakes the inbox task. That wake is an ordinary task wake:
//!   from another thread it goes through the executor's remote queue,
//!   which triggers the runtime's eventfd at most once per park, shared
//!   with every other cross-thread wake. Jobs pushed while the runtime runs
//!   are drained at its next turn without any syscall.
//! - When the runtime drops, the inbox task's future drops with its other
//!   tasks: it marks `Shared` closed and drops the jobs still queued. A
//!   job dropped before it ran, and a task dropped before it finished,
//!   report a cancelled [`JoinError`] to its [`RemoteJoinHandle`]; a push
//!   after close is refused ([`Handle::try_spawn`] gives the future back).
//!   No future is lost silently.

use std::cell::OnceCell;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use chronia_executor::{Id, JoinError};

use super::context;
use super::stop::{StopFlag, Stopped};

/// A job from another thread: spawns its future on the runtime, or (when
/// dropped unrun) reports that it was cancelled.
trait Job: Send {
    fn run(self: Box<Self>);
}

/// The part of a runtime that handles reach.
pub(crate) struct Shared {
    inbox: Mutex<Inbox>,
    /// The runtime's stop signal ([`Handle::stop`]).
    stop: Arc<StopFlag>,
}

struct Inbox {
    jobs: Vec<Box<dyn Job>>,
    /// The waker of the inbox task, once it was polled.
    waker: Option<Waker>,
    /// The runtime is gone: pushes are refused.
    closed: bool,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inbox> {
        // Nothing under this lock panics halfway through an update.
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The handle of the runtime whose handle state `cell` holds; the first
/// call makes that state and hands its inbox task to `spawn`, which must
/// spawn it on that runtime.
pub(crate) fn handle_of(cell: &OnceCell<Arc<Shared>>, spawn: impl FnOnce(InboxTask)) -> Handle {
    handle_with_stop(cell, || Arc::new(StopFlag::new()), spawn)
}

/// As [`handle_of`], with the stop flag made by `stop` if the state is
/// made now (a [`PerCore`](super::PerCore) shard passes its own, before
/// anything else can ask for the handle).
pub(crate) fn handle_with_stop(
    cell: &OnceCell<Arc<Shared>>,
    stop: impl FnOnce() -> Arc<StopFlag>,
    spawn: impl FnOnce(InboxTask),
) -> Handle {
    let shared = cell.get_or_init(|| {
        let (shared, task) = new_shared(stop());
        spawn(task);
        shared
    });
    Handle {
        shared: shared.clone(),
    }
}

fn new_shared(stop: Arc<StopFlag>) -> (Arc<Shared>, InboxTask) {
    let shared = Arc::new(Shared {
        inbox: Mutex::new(Inbox {
            jobs: Vec::new(),
            waker: None,
            closed: false,
        }),
        stop,
    });
    let task = InboxTask {
        shared: shared.clone(),
    };
    (shared, task)
}

/// The local task that turns queued jobs into tasks.
pub(crate) struct InboxTask {
    shared: Arc<Shared>,
}

impl Future for InboxTask {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let jobs = {
            let mut inbox = self.shared.lock();
            if !inbox
                .waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                inbox.waker = Some(cx.waker().clone());
            }
            std::mem::take(&mut inbox.jobs)
        };
        for job in jobs {
            job.run();
        }
        Poll::Pending
    }
}

impl Drop for InboxTask {
    fn drop(&mut self) {
        let (jobs, waker) = {
            let mut inbox = self.shared.lock();
            inbox.closed = true;
            (std::mem::take(&mut inbox.jobs), inbox.waker.take())
        };
        // Dropped outside the lock: each reports its cancellation.
        drop((jobs, waker));
    }
}

/// A handle to a [`Runtime`](crate::Runtime) that any thread can hold:
/// `Send + Sync + Clone`. It spawns `Send` futures on that runtime.
///
/// Like tokio's `Handle`, minus `block_on` and `enter`: a chronia runtime
/// runs on the thread that calls its `block_on`, so other threads can only
/// hand it work.
///
/// # Examples
///
/// ```
/// let rt = chronia::Runtime::new()?;
/// let handle = rt.handle();
/// let task = std::thread::spawn(move || handle.spawn(async { 6 * 7 }))
///     .join()
///     .expect("the thread does not panic");
/// assert_eq!(rt.block_on(task).expect("the task does not panic"), 42);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

impl Handle {
    /// The handle of the runtime running on this thread.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with a message that names the rule; see
    /// [`Handle::try_current`] for the variant that does not panic.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let handle = chronia::runtime::Handle::current();
    ///     let task = handle.spawn(async { "from a handle" });
    ///     assert_eq!(task.await.expect("no panic"), "from a handle");
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        let driver = context::current("chronia::runtime::Handle::current");
        handle_of(&driver.handle, |task| drop(chronia_executor::spawn(task)))
    }

    /// The handle of the runtime running on this thread, if there is one.
    ///
    /// # Errors
    ///
    /// [`TryCurrentError`] outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::runtime::Handle;
    ///
    /// assert!(Handle::try_current().is_err());
    /// chronia::block_on(async { assert!(Handle::try_current().is_ok()) });
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        if context::is_inside() {
            Ok(Handle::current())
        } else {
            Err(TryCurrentError(()))
        }
    }

    /// Spawns `future` on the runtime, from any thread. It runs as a task
    /// of the runtime during its `block_on` (the next one, if none runs).
    ///
    /// Each spawn is one local task of the runtime. A panic of `future` is
    /// caught by that task and reported through the [`RemoteJoinHandle`]
    /// (so the runtime's [`Stats`](super::Stats) count the task completed,
    /// not panicked).
    ///
    /// If the runtime is gone, the future is dropped here and the handle's
    /// output is a [cancelled](JoinError::is_cancelled) [`JoinError`], as
    /// with tokio; use [`Handle::try_spawn`] to get the future back instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// let handle = rt.handle();
    /// drop(rt);
    /// let task = handle.spawn(async { 1 });
    /// let err = chronia::block_on(task).unwrap_err();
    /// assert!(err.is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn<F>(&self, future: F) -> RemoteJoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self.try_spawn(future) {
            Ok(handle) => handle,
            Err(refused) => {
                drop(refused);
                let slot = Arc::new(Mutex::new(Slot::default()));
                deliver(&slot, || Err(cancelled()));
                RemoteJoinHandle { slot }
            }
        }
    }

    /// Spawns `future` on the runtime, from any thread, or gives it back if
    /// the runtime is gone.
    ///
    /// # Errors
    ///
    /// [`SpawnError`] (holding `future`) when the runtime was dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// let handle = rt.handle();
    /// drop(rt);
    /// let refused = handle.try_spawn(async { 1 }).unwrap_err();
    /// assert_eq!(chronia::block_on(refused.into_inner()), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_spawn<F>(&self, future: F) -> Result<RemoteJoinHandle<F::Output>, SpawnError<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let mut inbox = self.shared.lock();
        if inbox.closed {
            return Err(SpawnError(future));
        }
        let slot = Arc::new(Mutex::new(Slot::default()));
        let job = SpawnJob {
            future: Some(future),
            slot: slot.clone(),
        };
        let was_empty = inbox.jobs.is_empty();
        inbox.jobs.push(Box::new(job));
        let waker = if was_empty { inbox.waker.clone() } else { None };
        drop(inbox);
        // A queue that was not empty has a wake of the inbox on its way
        // that no drain has answered yet: this job goes with it.
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(RemoteJoinHandle { slot })
    }
}

impl Handle {
    /// Tells the runtime to stop: its [`stopped`](Self::stopped) futures
    /// complete, from any thread, at once or when next polled. Nothing is
    /// interrupted: the stop is a signal that the runtime's tasks await
    /// and act on (stop accepting, drain, return), and it cannot be taken
    /// back.
    ///
    /// For a [`PerCore`](super::PerCore) shard it is the shard's stop
    /// signal: `handle.stop()` is [`Stopper::stop_shard`](super::Stopper::stop_shard)
    /// of that shard, and [`Shard::stopped`](super::Shard::stopped)
    /// completes on either.
    ///
    /// # Differences
    ///
    /// tokio's `Handle` has no `stop`: a tokio runtime stops when it is
    /// dropped (`Runtime::shutdown_timeout`). A chronia runtime runs inside
    /// the `block_on` of its own thread, which no other thread can end, so
    /// it is asked to, as with tokio-util's `CancellationToken`
    /// (`cancel`/`cancelled`/`is_cancelled`); the names are those of
    /// [`Stopper`](super::Stopper).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// let handle = rt.handle();
    /// let stopped = handle.stopped();
    /// let stopper = std::thread::spawn(move || handle.stop());
    /// rt.block_on(stopped); // completes once the other thread stops it
    /// stopper.join().expect("no panic");
    /// assert!(rt.handle().is_stopped());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(&self) {
        self.shared.stop.stop();
    }

    /// Completes once the runtime is told to stop ([`Handle::stop`], or
    /// for a shard its [`Stopper`](super::Stopper)); at once if it already
    /// was. It may be awaited on any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let handle = chronia::runtime::Handle::current();
    ///     handle.stop();
    ///     handle.stopped().await;
    /// });
    /// ```
    pub fn stopped(&self) -> Stopped {
        Stopped::new(self.shared.stop.clone())
    }

    /// Whether the runtime was told to stop.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// let handle = rt.handle();
    /// assert!(!handle.is_stopped());
    /// handle.stop();
    /// assert!(handle.is_stopped());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_stopped(&self) -> bool {
        self.shared.stop.is_stopped()
    }
}

/// The error of a future that never ran: no task, so an id of its own.
fn cancelled() -> JoinError {
    JoinError::new_cancelled(None)
}

/// Where a task spawned through a [`Handle`] leaves its result.
struct Slot<T> {
    result: Option<Result<T, JoinError>>,
    /// The result was taken by the join handle.
    taken: bool,
    /// Abort was asked for by the join handle.
    abort: bool,
    /// The join handle's waker.
    join_waker: Option<Waker>,
    /// The waker of the task that runs the future, so that `abort` reaches it.
    task_waker: Option<Waker>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            result: None,
            taken: false,
            abort: false,
            join_waker: None,
            task_waker: None,
        }
    }
}

type SlotRef<T> = Arc<Mutex<Slot<T>>>;

fn lock<T>(slot: &SlotRef<T>) -> MutexGuard<'_, Slot<T>> {
    // Nothing under this lock panics halfway through an update.
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stores the result made by `result` unless one is there, and wakes the
/// join handle.
fn deliver<T>(slot: &SlotRef<T>, result: impl FnOnce() -> Result<T, JoinError>) {
    let waker = {
        let mut s = lock(slot);
        if s.result.is_some() || s.taken {
            return;
        }
        s.result = Some(result());
        s.task_waker = None;
        s.join_waker.take()
    };
    if let Some(w) = waker {
        w.wake();
    }
}

struct SpawnJob<F: Future> {
    future: Option<F>,
    slot: SlotRef<F::Output>,
}

impl<F> Job for SpawnJob<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn run(mut self: Box<Self>) {
        let future = self.future.take().expect("a job runs once");
        if lock(&self.slot).abort {
            deliver(&self.slot, || Err(cancelled()));
            return;
        }
        // One task: it polls the user's future itself, catching a panic
        // as the executor would, and hands the outcome to the other thread.
        drop(chronia_executor::spawn(RemoteTask {
            future,
            slot: self.slot.clone(),
            id: None,
            done: false,
        }));
    }
}

impl<F: Future> Drop for SpawnJob<F> {
    fn drop(&mut self) {
        if self.future.is_some() {
            deliver(&self.slot, || Err(cancelled()));
        }
    }
}

pin_project_lite::pin_project! {
    /// The one local task of a future spawned through a [`Handle`]: polls
    /// it, and leaves its output, its panic or its cancellation in the
    /// slot for the [`RemoteJoinHandle`].
    ///
    /// A panic of the future is caught here (so this task completes, and
    /// the runtime's stats count it completed, not panicked); its payload
    /// goes to the join handle, with this task's id, as the executor would
    /// report it.
    struct RemoteTask<F: Future> {
        #[pin]
        future: F,
        slot: SlotRef<F::Output>,
        // This task's id, read at the first poll.
        id: Option<Id>,
        // The outcome is delivered.
        done: bool,
    }

    impl<F: Future> PinnedDrop for RemoteTask<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.done {
                // Dropped before its future finished: the runtime is going
                // away.
                let id = *this.id;
                deliver(this.slot, || Err(JoinError::new_cancelled(id)));
            }
        }
    }
}

impl<F: Future> Future for RemoteTask<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let id = *this.id.get_or_insert_with(chronia_executor::id);
        let abort = {
            let mut s = lock(this.slot);
            if !s
                .task_waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                s.task_waker = Some(cx.waker().clone());
            }
            s.abort
        };
        let result = if abort {
            // The future drops with this task, when it completes now.
            Err(JoinError::new_cancelled(Some(id)))
        } else {
            let future = this.future;
            match panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(output)) => Ok(output),
                Err(payload) => Err(JoinError::new_panic(id, payload)),
            }
        };
        *this.done = true;
        deliver(this.slot, || result);
        Poll::Ready(())
    }
}

/// The join handle of a future spawned through a [`Handle`]: awaiting it
/// gives the future's output, or a [`JoinError`] if it panicked, was
/// aborted, or its runtime dropped before it finished.
///
/// Unlike [`task::JoinHandle`](crate::task::JoinHandle), it is `Send` (the
/// output crosses threads) and can be awaited on any thread or runtime.
/// Dropping it detaches the task. tokio's `Handle::spawn` returns its one
/// `JoinHandle` type; chronia's local one is `!Send`, hence a type of its own.
///
/// # Examples
///
/// ```
/// let rt = chronia::Runtime::new()?;
/// let task = rt.handle().spawn(std::future::pending::<()>());
/// task.abort();
/// assert!(rt.block_on(task).unwrap_err().is_cancelled());
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "dropping a RemoteJoinHandle detaches the task"]
pub struct RemoteJoinHandle<T> {
    slot: SlotRef<T>,
}

impl<T> RemoteJoinHandle<T> {
    /// Cancels the task: its future is dropped at the runtime's next turn
    /// (at once if it has not started), and awaiting the handle gives a
    /// cancelled [`JoinError`] unless it had already finished.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// let task = rt.handle().spawn(std::future::pending::<()>());
    /// task.abort();
    /// assert!(rt.block_on(task).unwrap_err().is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort(&self) {
        let waker = {
            let mut s = lock(&self.slot);
            s.abort = true;
            s.task_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Whether the result is ready (the task returned, panicked or was
    /// cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = chronia::Runtime::new()?;
    /// let task = rt.handle().spawn(async {});
    /// assert!(!task.is_finished());
    /// rt.block_on(chronia::task::yield_now());
    /// rt.block_on(chronia::task::yield_now());
    /// assert!(task.is_finished());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        let s = lock(&self.slot);
        s.result.is_some() || s.taken
    }
}

impl<T> Future for RemoteJoinHandle<T> {
    type Output = Result<T, JoinError>;

    /// # Panics
    ///
    /// Panics if polled again after it returned `Ready`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = lock(&self.slot);
        if let Some(result) = s.result.take() {
            s.taken = true;
            return Poll::Ready(result);
        }
        assert!(!s.taken, "a RemoteJoinHandle was polled after it completed");
        if !s
            .join_waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            s.join_waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for RemoteJoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// [`Handle::try_current`] was called outside a runtime.
///
/// # Examples
///
/// ```
/// let err = chronia::runtime::Handle::try_current().unwrap_err();
/// assert!(err.to_string().contains("outside"));
/// ```
#[derive(Debug)]
pub struct TryCurrentError(());

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no chronia runtime is running on this thread (called outside `block_on`)")
    }
}

impl std::error::Error for TryCurrentError {}

/// [`Handle::try_spawn`] was refused because the runtime is gone; holds
/// the future.
///
/// # Examples
///
/// ```
/// let handle = chronia::Runtime::new()?.handle(); // the runtime drops here
/// let err = handle.try_spawn(async { 2 }).unwrap_err();
/// assert!(err.to_string().contains("dropped"));
/// assert_eq!(chronia::block_on(err.into_inner()), 2);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SpawnError<F>(F);

impl<F> SpawnError<F> {
    /// The future that was not spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = chronia::Runtime::new()?.handle();
    /// let future = handle.try_spawn(async { 3 }).unwrap_err().into_inner();
    /// assert_eq!(chronia::block_on(future), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> fmt::Debug for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpawnError").finish_non_exhaustive()
    }
}

impl<F> fmt::Display for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the runtime of this handle was dropped: the future was not spawned")
    }
}

impl<F> std::error::Error for SpawnError<F> {}
