//! [`JoinSet`]: a set of spawned tasks, joined in the order they complete,
//! aborted together when the set drops.
//!
//! # Invariants
//!
//! - Every task of the set runs inside a [`Tracked`] wrapper whose
//!   [`Signal`] fires exactly once, when the task's future is dropped (it
//!   returned, panicked or was aborted): it appends the task's slab key to
//!   the shared ready list and wakes the set's waiter. So `join_next` looks
//!   only at tasks that finished, never at every handle.
//! - The executor drops a task's future just before it stores the output,
//!   so a key may be ready a moment before its handle is; `join_next` then
//!   puts the key back at the front and waits for the handle's own wake.
//! - A key leaves the slab only after its ready entry was taken, so a key
//!   in the ready list always names the task that signalled it.
//!   [`JoinSet::detach_all`] starts a new ready list, so the detached
//!   tasks' later signals cannot name a new task.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use super::{JoinError, JoinHandle};

/// The keys of finished tasks, in completion order, and who waits for them.
#[derive(Default)]
struct Ready {
    keys: RefCell<VecDeque<usize>>,
    waker: Cell<Option<Waker>>,
}

/// Fires once, when the task's future is dropped.
struct Signal {
    ready: Rc<Ready>,
    key: usize,
}

impl Drop for Signal {
    fn drop(&mut self) {
        self.ready.keys.borrow_mut().push_back(self.key);
        if let Some(waker) = self.ready.waker.take() {
            waker.wake();
        }
    }
}

pin_project_lite::pin_project! {
    /// A task's future with its [`Signal`] beside it.
    struct Tracked<F> {
        #[pin]
        future: F,
        signal: Signal,
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}

/// A set of tasks spawned on the current runtime, joined as they complete.
///
/// Unlike a collection of [`JoinHandle`]s (whose drop detaches), dropping
/// a `JoinSet` aborts every task it still holds. `join_next` costs O(1)
/// per finished task: tasks report their own completion.
///
/// # Examples
///
/// ```
/// use chronia::task::JoinSet;
/// use chronia::time::{sleep, Duration};
///
/// chronia::block_on(async {
///     let mut set = JoinSet::new();
///     for ms in [30, 10, 20] {
///         set.spawn(async move {
///             sleep(Duration::from_millis(ms)).await;
///             ms
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(done) = set.join_next().await {
///         order.push(done.expect("no panic"));
///     }
///     assert_eq!(order, [10, 20, 30]);
/// });
/// ```
pub struct JoinSet<T> {
    tasks: Slab<JoinHandle<T>>,
    ready: Rc<Ready>,
}

impl<T: 'static> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = chronia::task::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> Self {
        Self {
            tasks: Slab::new(),
            ready: Rc::default(),
        }
    }

    /// Spawns `future` on the current runtime as a task of this set, and
    /// returns an [`AbortHandle`](super::AbortHandle) for it (as tokio's
    /// `JoinSet::spawn` does); the set still owns the task.
    ///
    /// # Panics
    ///
    /// Panics if called outside a runtime (as [`spawn`](super::spawn)).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let mut set = chronia::task::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     assert_eq!(set.len(), 1);
    ///     assert_eq!(set.join_next().await.map(Result::ok), Some(Some(1)));
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> super::AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        // Checked before the signal exists: a spawn that panics must not
        // leave a key in the ready list.
        assert!(
            crate::runtime::context::is_inside(),
            "JoinSet::spawn must be called inside a chronia runtime (within `chronia::block_on` or `Runtime::block_on`)"
        );
        let entry = self.tasks.vacant_entry();
        let signal = Signal {
            ready: Rc::clone(&self.ready),
            key: entry.key(),
        };
        entry
            .insert(crate::spawn(Tracked { future, signal }))
            .abort_handle()
    }

    /// The same as [`spawn`](JoinSet::spawn): every task is local here.
    ///
    /// # Panics
    ///
    /// Panics if called outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let mut set = chronia::task::JoinSet::new();
    ///     let local = std::rc::Rc::new(5);
    ///     set.spawn_local(async move { *local });
    ///     assert_eq!(set.join_all().await, [5]);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> super::AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.spawn(future)
    }

    /// Polls for the next task to complete; `Ready(None)` if the set is
    /// empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let mut set = chronia::task::JoinSet::<()>::new();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(matches!(set.poll_join_next(&mut cx), Poll::Ready(None)));
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.tasks.is_empty() {
            return Poll::Ready(None);
        }
        let Some(key) = self.ready.keys.borrow_mut().pop_front() else {
            self.ready.waker.set(Some(cx.waker().clone()));
            return Poll::Pending;
        };
        match Pin::new(&mut self.tasks[key]).poll(cx) {
            Poll::Ready(output) => {
                drop(self.tasks.remove(key));
                Poll::Ready(Some(output))
            }
            Poll::Pending => {
                // Its future is gone but its output not yet stored: the
                // handle wakes us.
                self.ready.keys.borrow_mut().push_front(key);
                Poll::Pending
            }
        }
    }

    /// Waits for the next task to complete, in completion order; `None` if
    /// the set is empty. Cancel-safe: a dropped `join_next` loses no
    /// output.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let mut set = chronia::task::JoinSet::new();
    ///     set.spawn(async { panic!("boom") });
    ///     let error = set.join_next().await.expect("one task").unwrap_err();
    ///     assert!(error.is_panic());
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// The output of a task that already completed, if any; never waits.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let mut set = chronia::task::JoinSet::new();
    ///     set.spawn(async { 3 });
    ///     assert!(set.try_join_next().is_none());
    ///     chronia::task::yield_now().await;
    ///     assert_eq!(set.try_join_next().map(Result::ok), Some(Some(3)));
    /// });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        let key = *self.ready.keys.borrow().front()?;
        if !self.tasks[key].is_finished() {
            return None;
        }
        let mut cx = Context::from_waker(Waker::noop());
        match self.poll_join_next(&mut cx) {
            Poll::Ready(output) => output,
            Poll::Pending => unreachable!("a finished task's handle is ready"),
        }
    }

    /// Waits for every task and returns their outputs in completion order.
    ///
    /// # Panics
    ///
    /// If a task panicked, the panic is resumed here; if one was cancelled,
    /// this panics. Either way the remaining tasks are aborted first (as
    /// tokio).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let mut set = chronia::task::JoinSet::new();
    ///     for n in 0..3 { set.spawn(async move { n }); }
    ///     let mut all = set.join_all().await;
    ///     all.sort();
    ///     assert_eq!(all, [0, 1, 2]);
    /// });
    /// ```
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(output) = self.join_next().await {
            match output {
                Ok(value) => outputs.push(value),
                Err(error) => {
                    drop(self);
                    match error.try_into_panic() {
                        Ok(payload) => std::panic::resume_unwind(payload),
                        Err(error) => panic!("a task of the JoinSet failed: {error}"),
                    }
                }
            }
        }
        outputs
    }

    /// Aborts every task; they stay in the set, and `join_next` gives a
    /// cancelled [`JoinError`] for each (or its output, if it had
    /// completed).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let mut set = chronia::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.expect("one task").unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        for (_, handle) in &self.tasks {
            handle.abort();
        }
    }

    /// Aborts every task and waits until all of them are gone.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let mut set = chronia::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Lets every task go on without the set (their outputs are dropped);
    /// the set is empty afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let mut set = chronia::task::JoinSet::new();
    ///     set.spawn(async {});
    ///     set.detach_all();
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub fn detach_all(&mut self) {
        self.tasks.clear();
        // Detached tasks still signal into the old list, not ours.
        self.ready = Rc::default();
    }

    /// How many tasks the set holds (running or finished, not yet joined).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(chronia::task::JoinSet::<()>::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set holds no task.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(chronia::task::JoinSet::<()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl<T: 'static> Default for JoinSet<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        for (_, handle) in &self.tasks {
            handle.abort();
        }
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet")
            .field("len", &self.tasks.len())
            .finish_non_exhaustive()
    }
}
