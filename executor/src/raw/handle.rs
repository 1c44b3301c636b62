//! The safe handles over a task allocation: [`Owner`] (the executor's
//! proof that it runs on its own thread), [`LocalRef`] (a reference on
//! that thread), [`JoinRef`] (the `JoinHandle`'s) and [`Notified`] (a
//! remote queue entry, the only one that crosses threads).

use std::future::Future;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use super::header::{Header, Meta};
use super::state::{self, Ran, State};
use super::task::RawTask;
use super::waker;
use crate::error::JoinError;
use crate::id::Id;
use crate::remote::Remote;
use crate::sync::{Arc, Ordering};

/// Marks a type as bound to the thread that made it (`!Send`, `!Sync`).
type ThreadBound = PhantomData<*const ()>;

/// The executor's side of its tasks: it spawns them and turns wakes into
/// [`LocalRef`]s to queue.
///
/// An `Owner` is `!Send` and is the only holder of its `Remote` that can
/// spawn; so a task whose header names this `Remote` was spawned on this
/// thread, and stays here: that is what lets [`Owner::schedule_remote`]
/// hand out a `LocalRef` for a task that a `Notified` from another thread
/// names.
pub(crate) struct Owner {
    remote: Arc<Remote>,
    /// The tasks' hold of `remote` (see `remote_hold`): the pointer every
    /// task header gets.
    hold: NonNull<Remote>,
    _thread: ThreadBound,
}

impl Owner {
    pub(crate) fn new() -> Self {
        let remote = Arc::new(Remote::new());
        let hold = super::remote_hold::take_tasks_hold(&remote);
        Self {
            remote,
            hold,
            _thread: PhantomData,
        }
    }

    /// Closes the remote queue (the executor drops): later pushes are
    /// refused, and the tasks' hold is counted down in the shared count.
    pub(crate) fn close(&self) {
        self.remote.close();
        // SAFETY: `hold` is this executor's, the remote is closed, and the
        // executor closes once (its drop).
        unsafe { super::remote_hold::merge(self.hold) };
    }

    /// The cross-thread queue of this executor.
    pub(crate) fn remote(&self) -> &Arc<Remote> {
        &self.remote
    }

    /// Whether the task of `header` belongs to this executor.
    pub(crate) fn owns(&self, header: &Header) -> bool {
        header.remote.is(&self.remote)
    }

    /// Allocates a task for `future`, listed under `meta.key`: returns the
    /// table's reference, the run queue's (it starts scheduled) and the
    /// `JoinHandle`'s.
    pub(crate) fn spawn<F>(&self, future: F, meta: Meta) -> (LocalRef, LocalRef, JoinRef<F::Output>)
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // Closing is the executor's drop, the last thing it does: a spawn
        // after it would be a bug here, and would free the remote early.
        assert!(
            !self.remote.is_closed(),
            "a task spawned on an executor that is gone"
        );
        // SAFETY: `hold` is this executor's, which spawns on its thread
        // and is not closed (checked).
        let remote = unsafe { super::remote_hold::block_spawned(self.hold) };
        let ptr = RawTask::allocate(future, Id::next(), meta, remote);
        // The three local references `Header::new` counted.
        let table = LocalRef::adopt(ptr);
        let queue = LocalRef::adopt(ptr);
        let join = JoinRef {
            task: LocalRef::adopt(ptr),
            _output: PhantomData,
        };
        (table, queue, join)
    }

    /// Marks the task at `ptr` scheduled and returns a reference for the
    /// local run queue, if it needs to be queued (listed, not queued yet).
    ///
    /// # Safety
    ///
    /// `ptr` is a live task, kept alive by the caller, and `self` owns it.
    pub(super) unsafe fn schedule(&self, ptr: NonNull<Header>) -> Option<LocalRef> {
        // SAFETY: alive by the caller's contract.
        let header = unsafe { ptr.as_ref() };
        debug_assert!(self.owns(header));
        let state = header.state.get();
        if !state.needs_schedule() {
            return None;
        }
        header.state.set(state.with(State::SCHEDULED));
        // LISTED: the table's reference exists, so this one is not the first.
        header.local_inc();
        Some(LocalRef::adopt(ptr))
    }

    /// As [`schedule`](Self::schedule), with the caller's local reference
    /// instead of a new one: `Ok` with it as the run queue's if the task
    /// needs to be queued, else `Err` with it back.
    ///
    /// # Safety
    ///
    /// `ptr` is a live task that `self` owns, and the caller gives the call
    /// one local reference of it.
    pub(super) unsafe fn schedule_by_value(
        &self,
        ptr: NonNull<Header>,
    ) -> Result<LocalRef, LocalRef> {
        let reference = LocalRef::adopt(ptr);
        let header = reference.header();
        debug_assert!(self.owns(header));
        let state = header.state.get();
        if !state.needs_schedule() {
            return Err(reference);
        }
        header.state.set(state.with(State::SCHEDULED));
        Ok(reference)
    }

    /// Takes a task woken from another thread: clears its `QUEUED` bit and
    /// returns a reference for the local run queue if it needs one.
    pub(crate) fn schedule_remote(&self, notified: Notified) -> Option<LocalRef> {
        let header = notified.header();
        if !self.owns(header) {
            debug_assert!(false, "a remote queue holds only its executor's tasks");
            return None;
        }
        // Acquire: reads from the waker's RMW (see `waker::wake_by_ref`), so
        // the poll that follows sees what the waking thread wrote before.
        header.shared.fetch_and(!state::QUEUED, Ordering::AcqRel);
        // SAFETY: `notified` keeps the task alive; owned, checked above.
        let task = unsafe { self.schedule(notified.ptr) };
        drop(notified);
        task
    }
}

/// A reference to a task, on its executor's thread: what the task table,
/// the local run queue and the handles hold.
pub(crate) struct LocalRef {
    ptr: NonNull<Header>,
    _thread: ThreadBound,
}

impl LocalRef {
    /// Takes over one local reference already counted.
    pub(super) fn adopt(ptr: NonNull<Header>) -> Self {
        Self {
            ptr,
            _thread: PhantomData,
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: this reference keeps the task alive.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn id(&self) -> Id {
        self.header().id
    }

    /// The task's key in the table (meaningful while it is listed).
    pub(crate) fn key(&self) -> usize {
        self.header().key.get() as usize
    }

    /// What a task dump shows of the task.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let h = self.header();
        let state = h.state.get();
        Snapshot {
            id: h.id,
            location: h.location,
            running: state.has(State::RUNNING),
            scheduled: state.has(State::SCHEDULED),
            polls: state.polls(),
            spawned_ms: h.spawned_ms,
            wait: h.wait.get(),
        }
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.header().state.get().has(State::COMPLETE)
    }

    /// Whether both name the same task.
    pub(crate) fn same_task(&self, other: &LocalRef) -> bool {
        self.ptr == other.ptr
    }

    /// Says the task left the executor's table: wakes no longer queue it.
    pub(crate) fn unlist(&self) {
        let h = self.header();
        h.state.set(h.state.get().without(State::LISTED));
    }

    /// Polls the task once (if it is pollable) after taking it off the run
    /// queue; returns what that did.
    pub(crate) fn run(&self) -> Ran {
        let poll = self.header().vtable.poll;
        // SAFETY: alive (this reference) and on the executor's thread
        // (`LocalRef` is `!Send`, made only on the owner's thread).
        unsafe { poll(self.ptr) }
    }

    /// Drops the future as cancelled, unless complete (or running: then
    /// as soon as that poll returns).
    pub(crate) fn cancel(&self) {
        let cancel = self.header().vtable.cancel;
        // SAFETY: as in `run`.
        unsafe { cancel(self.ptr) };
    }

    /// Wakes the task (as its waker would), giving this reference back.
    pub(crate) fn wake(self) {
        waker::borrowed(self.ptr).wake_by_ref();
    }

    /// Cancels the task and, if that completed it, queues it once more so
    /// the executor forgets it.
    pub(crate) fn abort(&self) {
        if self.is_complete() {
            return;
        }
        self.cancel();
        if self.is_complete() {
            waker::borrowed(self.ptr).wake_by_ref();
        }
    }
}

impl Clone for LocalRef {
    fn clone(&self) -> Self {
        self.header().local_inc();
        Self::adopt(self.ptr)
    }
}

impl Drop for LocalRef {
    fn drop(&mut self) {
        let dealloc = self.header().vtable.dealloc;
        // SAFETY: alive, kept by the local reference this drops.
        if unsafe { Header::local_dec(self.ptr) } {
            // SAFETY: that was the last reference of any kind.
            unsafe { dealloc(self.ptr) };
        }
    }
}

/// A copy of a task's observable fields (see [`LocalRef::snapshot`]).
pub(crate) struct Snapshot {
    pub(crate) id: Id,
    pub(crate) location: &'static std::panic::Location<'static>,
    pub(crate) running: bool,
    pub(crate) scheduled: bool,
    pub(crate) polls: u32,
    pub(crate) spawned_ms: u32,
    pub(crate) wait: u32,
}

/// The `JoinHandle`'s reference: reads the output, detaches on drop.
pub(crate) struct JoinRef<T> {
    task: LocalRef,
    /// The task's output type: fixed by `Owner::spawn`, which made this.
    /// `fn() -> T` rather than `T`: the handle does not own a `T` in place
    /// (the output lives in the task's block), so it is `Unpin` whatever
    /// `T` is, as tokio's `JoinHandle` is.
    _output: PhantomData<fn() -> T>,
}

impl<T> JoinRef<T> {
    pub(crate) fn task(&self) -> &LocalRef {
        &self.task
    }

    /// Whether the task belongs to the executor of `owner`.
    pub(crate) fn belongs_to(&self, owner: &Owner) -> bool {
        owner.owns(self.task.header())
    }

    /// The output once the task is complete; else registers the waker
    /// (`main`: `cx` is the waker of the main future of `block_on` of the
    /// task's own executor).
    ///
    /// # Panics
    ///
    /// Panics if called again after it returned `Ready`.
    pub(crate) fn poll_join(&self, cx: &mut Context<'_>, main: bool) -> Poll<Result<T, JoinError>> {
        let h = self.task.header();
        if !h.state.get().has(State::COMPLETE) {
            h.join_waker.register(cx.waker(), main, &h.remote);
            return Poll::Pending;
        }
        let mut out = Poll::Pending;
        let take_output = h.vtable.take_output;
        // SAFETY: alive and on the executor's thread (as `LocalRef::run`);
        // `out` is a `Poll<Result<T, JoinError>>` and `T` is the task's
        // output type, as `Owner::spawn` made this `JoinRef`.
        unsafe { take_output(self.task.ptr, (&raw mut out).cast()) };
        out
    }
}

impl<T> Drop for JoinRef<T> {
    fn drop(&mut self) {
        let h = self.task.header();
        let state = h.state.get().with(State::DETACHED);
        h.state.set(state);
        drop(h.join_waker.take());
        if state.has(State::COMPLETE) {
            let drop_output = h.vtable.drop_output;
            // SAFETY: as in `poll_join`; the task is complete.
            unsafe { drop_output(self.task.ptr) };
        }
    }
}

/// A remote queue entry: one shared reference, standing for the task's
/// `QUEUED` bit. It can only be dropped (on any thread) or given to its
/// [`Owner`].
pub(crate) struct Notified {
    ptr: NonNull<Header>,
}

// SAFETY: a `Notified` gives access to the header's thread-safe parts
// only: the atomic shared word and the immutable vtable and remote
// (`Owner::schedule_remote` checks it is on the owner's thread before
// anything else). Dropping it on another thread may free the task, which
// drops only `Send` fields (see `RawTask::dealloc`).
unsafe impl Send for Notified {}

impl Notified {
    /// # Safety
    ///
    /// `ptr` is a live task, and the caller has just set its `QUEUED` bit
    /// and counted a reference for this `Notified`.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Self { ptr }
    }

    fn header(&self) -> &Header {
        // SAFETY: this reference keeps the task alive; shared access to
        // the thread-safe fields only.
        unsafe { self.ptr.as_ref() }
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        let dealloc = self.header().vtable.dealloc;
        // SAFETY: alive, kept by the shared reference this drops.
        if unsafe { Header::ref_dec(self.ptr) } {
            // SAFETY: that was the last reference of any kind.
            unsafe { dealloc(self.ptr) };
        }
    }
}

/// A local reference a task's waker held, dropped off the executor's
/// thread, on its way back: while the executor lives, only its own thread
/// may count local references. The remote queue carries it to the
/// executor, which drops it as it drains; once the executor is gone, the
/// queue refuses it and it is dropped where it is, counted in the shared
/// word (see `Header::local_dec`). Dropping it drops that reference.
pub(crate) struct LocalDrop {
    ptr: NonNull<Header>,
}

// SAFETY: a `LocalDrop` is only moved across threads, never used there
// while the executor lives: the remote queue holds it, and the executor's
// thread drops it (`Remote::take`, `Remote::close`); a push the queue
// refuses (the executor is gone) hands it back to drop where it is, which
// the closed executor allows (`Header::local_dec`).
unsafe impl Send for LocalDrop {}

impl LocalDrop {
    /// # Safety
    ///
    /// `ptr` is a live task, and the caller gives this `LocalDrop` the
    /// local reference it held.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Self { ptr }
    }
}

impl Drop for LocalDrop {
    fn drop(&mut self) {
        // SAFETY: this reference keeps the task alive; a copy of a field.
        let dealloc = unsafe { self.ptr.as_ref() }.vtable.dealloc;
        // SAFETY: alive, kept by the local reference this drops.
        if unsafe { Header::local_dec(self.ptr) } {
            // SAFETY: that was the last reference of any kind.
            unsafe { dealloc(self.ptr) };
        }
    }
}
