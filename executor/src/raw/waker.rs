//! The `Waker` of a task: its data pointer is the task's header. It comes
//! in two kinds, told apart by their vtables:
//!
//! - `LOCAL`: holds one *local* reference (`Header::local_refs`), counted
//!   without an atomic operation. The waker lent to a poll (which holds
//!   none and is never dropped) is one, and so is every clone of a `LOCAL`
//!   waker made on the executor's thread (a clone of a `SHARED` one stays
//!   `SHARED`, wherever it is made). Cloned or dropped on another thread,
//!   it may not touch the local count: a clone there is a `SHARED` waker,
//!   and a drop hands its local reference back to the executor through
//!   the remote queue ([`LocalDrop`]), or, once the executor is gone,
//!   counts it down in the shared word (as every local reference is then,
//!   see `Header::local_dec`).
//! - `SHARED`: holds one shared reference (the atomic count of
//!   `Header::shared`), as an `Arc` clone would.
//!
//! A waker cloned and dropped on the executor's thread (a channel's
//! receiver keeps its task's waker, the sender wakes it) so costs no
//! `lock`ed instruction; the pair of them was a third of a task-to-task
//! wake.
//!
//! Waking either on the thread where its executor is current schedules the
//! task on the local run queue (no atomic, no lock); anywhere else it sets
//! the shared word's `QUEUED` bit and pushes a [`Notified`] to the remote
//! queue, which unparks the executor; after the executor is gone the push
//! is refused and the `Notified` dropped.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::handle::{LocalDrop, Notified};
use super::header::Header;
use super::state;
use crate::context;
use crate::sync::Ordering;

static LOCAL: RawWakerVTable =
    RawWakerVTable::new(local_clone, local_wake, wake_by_ref, local_drop);
static SHARED: RawWakerVTable =
    RawWakerVTable::new(shared_clone, shared_wake, wake_by_ref, shared_drop);

/// A waker for the task at `ptr` that takes no reference: it must not
/// outlive the reference its creator holds, and must not be dropped (a
/// clone of it is an ordinary waker).
pub(crate) fn borrowed(ptr: NonNull<Header>) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(ptr.as_ptr().cast_const().cast(), &LOCAL);
    // SAFETY: the vtable's functions keep the `RawWaker` contract (each is
    // thread-safe: the shared count and `QUEUED` are atomic, and the local
    // count is touched only on the executor's thread); the
    // `ManuallyDrop` keeps `local_drop` from taking the reference this
    // waker does not hold.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

/// The task of `waker`, if it is a task waker of this module (its vtable
/// is ours).
pub(super) fn task_of(waker: &Waker) -> Option<NonNull<Header>> {
    let vtable = waker.vtable();
    if !std::ptr::eq(vtable, &raw const LOCAL) && !std::ptr::eq(vtable, &raw const SHARED) {
        return None;
    }
    NonNull::new(waker.data().cast_mut().cast::<Header>())
}

/// The data pointer of a new `SHARED` waker of the task at `ptr` (whose
/// header is `header`), with the shared reference it holds, until
/// [`from_shared_raw`] gives it back.
pub(super) fn shared_raw(ptr: NonNull<Header>, header: &Header) -> *const () {
    header.ref_inc();
    ptr.as_ptr().cast_const().cast()
}

/// The `SHARED` waker whose data pointer [`shared_raw`] gave.
///
/// # Safety
///
/// `data` comes from [`shared_raw`], and is given back once.
pub(super) unsafe fn from_shared_raw(data: *const ()) -> Waker {
    // SAFETY: `data` is a live task with the shared reference `shared_raw`
    // counted for this waker.
    unsafe { Waker::from_raw(RawWaker::new(data, &SHARED)) }
}

/// The header behind a waker's data pointer.
///
/// # Safety
///
/// `data` is the data pointer of one of this module's wakers, alive.
unsafe fn header<'a>(data: *const ()) -> (NonNull<Header>, &'a Header) {
    let ptr = NonNull::new(data.cast_mut().cast::<Header>())
        .expect("a task waker's data pointer is its task, never null");
    // SAFETY: the waker keeps the task alive; shared access only.
    (ptr, unsafe { ptr.as_ref() })
}

/// Whether this is the thread of the task's executor: then its local
/// count is this thread's to write (`local_inc`, `local_dec`).
#[inline]
fn on_owner(header: &Header) -> bool {
    header.remote.is_owner_thread()
}

/// # Safety
///
/// The `RawWakerVTable` contract: `data` is a live `LOCAL` waker.
unsafe fn local_clone(data: *const ()) -> RawWaker {
    // SAFETY: the contract of `clone`.
    let (_, header) = unsafe { header(data) };
    if on_owner(header) {
        header.local_inc();
        RawWaker::new(data, &LOCAL)
    } else {
        header.ref_inc();
        RawWaker::new(data, &SHARED)
    }
}

/// # Safety
///
/// The `RawWakerVTable` contract: `data` is a live `SHARED` waker.
unsafe fn shared_clone(data: *const ()) -> RawWaker {
    // SAFETY: the contract of `clone`.
    let (_, header) = unsafe { header(data) };
    header.ref_inc();
    RawWaker::new(data, &SHARED)
}

/// # Safety
///
/// The `RawWakerVTable` contract: `data` is a live `LOCAL` waker.
unsafe fn local_wake(data: *const ()) {
    // SAFETY: the contract of `wake`.
    let (ptr, header) = unsafe { header(data) };
    // The reference this waker held, when it is not the run queue's now:
    // dropped only after the closure, which borrows the task, returns
    // (the drop may free the task).
    let local = context::with_current(|core| {
        let owner = core.owner();
        // SAFETY: alive (this waker's reference); shared access only.
        if !owner.owns(unsafe { ptr.as_ref() }) {
            return None;
        }
        core.count_local_wake();
        // SAFETY: `ptr` is alive (this waker) and owned by `owner`, the
        // executor current on this thread; this waker's local reference
        // goes to the call, as `wake` consumes the waker.
        match unsafe { owner.schedule_by_value(ptr) } {
            Ok(task) => {
                // The reference is the run queue's now.
                core.push(task);
                Some(None)
            }
            // Queued or finished already: the reference drops.
            Err(reference) => Some(Some(reference)),
        }
    });
    if let Some(reference) = local {
        drop(reference);
    } else if on_owner(header) {
        // The executor's thread, while it is not current: a remote wake,
        // and the local reference is this thread's to drop.
        wake_remote(ptr, None);
        // SAFETY: this waker is consumed: its reference is dropped.
        unsafe { local_drop(data) };
    } else {
        // SAFETY: this waker's local reference goes with the wake.
        let reference = unsafe { LocalDrop::from_raw(ptr) };
        wake_remote(ptr, Some(reference));
    }
}

/// # Safety
///
/// The `RawWakerVTable` contract.
unsafe fn shared_wake(data: *const ()) {
    // SAFETY: the contract of `wake`, which `wake_by_ref` shares.
    unsafe { wake_by_ref(data) };
    // SAFETY: `wake` consumes the waker, so its reference is dropped.
    unsafe { shared_drop(data) };
}

/// # Safety
///
/// The `RawWakerVTable` contract.
unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the contract of `wake_by_ref`.
    let (ptr, header) = unsafe { header(data) };
    let local = context::with_current(|core| {
        let owner = core.owner();
        if !owner.owns(header) {
            return false;
        }
        // SAFETY: `ptr` is alive (this waker) and owned by `owner`, the
        // executor current on this thread.
        if let Some(task) = unsafe { owner.schedule(ptr) } {
            core.push(task);
        }
        core.count_local_wake();
        true
    });
    if local != Some(true) {
        wake_remote(ptr, None);
    }
}

/// The remote half of [`wake_by_ref`] (and of a `LOCAL` waker's `wake`,
/// which hands its local reference back with the wake, under the same
/// lock), out of line so that the local path (the common one) saves no
/// registers for it. The task at `ptr` is kept alive by the caller's
/// waker, or by `reference`, which this may drop last, freeing the task:
/// so `ptr` comes as a pointer, not as a reference that would outlive it.
#[cold]
#[inline(never)]
fn wake_remote(ptr: NonNull<Header>, reference: Option<LocalDrop>) {
    // SAFETY: alive, as above, until `refused` below drops; shared access
    // only, and this reference is not used after that.
    let header = unsafe { ptr.as_ref() };
    header.remote.count_wake();
    // An RMW even when QUEUED is set already (then it writes the value it
    // read): the executor's Acquire clear of QUEUED reads from it, so what
    // this thread wrote before the wake is seen by the poll it asks for.
    let old = header
        .shared
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
            Some(state::remote_woken(s))
        })
        .unwrap_or_else(|s| s);
    let notified = if old & state::QUEUED != 0 {
        None
    } else {
        if state::refs(old) > state::MAX_REFS {
            std::process::abort();
        }
        // SAFETY: the update above set QUEUED and added the reference that
        // this `Notified` now owns.
        Some(unsafe { Notified::from_raw(ptr) })
    };
    if notified.is_some() || reference.is_some() {
        push_remote(ptr, notified, reference);
    }
}

/// Pushes a remote wake and/or a local reference of the task at `ptr` to
/// its executor's remote queue; drops them here if the executor is gone.
/// The push may give the executor the last thing that keeps the remote
/// alive (`reference`): then the call holds a count of its own meanwhile;
/// else the caller's waker keeps the block, and so the remote, alive.
/// `ptr` comes as a pointer, not a reference that would outlive the block.
fn push_remote(ptr: NonNull<Header>, notified: Option<Notified>, reference: Option<LocalDrop>) {
    // SAFETY: alive (the caller's waker, or `reference`) until `refused`
    // below drops; this reference is not used after that.
    let remote_ref = &unsafe { ptr.as_ref() }.remote;
    let hold = reference.as_ref().map(|_| remote_ref.hold());
    let remote: &crate::remote::Remote = hold.as_deref().unwrap_or(remote_ref);
    if let Err(refused) = remote.push(notified, reference) {
        // The executor is gone; dropping them gives the references back
        // (a local one counted in the shared word, see `Header::local_dec`).
        drop(refused);
    }
}

/// # Safety
///
/// The `RawWakerVTable` contract: `data` is a live `LOCAL` waker.
unsafe fn local_drop(data: *const ()) {
    // SAFETY: the contract of `drop`.
    let (ptr, header) = unsafe { header(data) };
    let dealloc = header.vtable.dealloc;
    if !on_owner(header) {
        drop_local_elsewhere(ptr);
        return;
    }
    // SAFETY: alive, kept by this waker's local reference, which this
    // drops, on the executor's thread.
    if unsafe { Header::local_dec(ptr) } {
        // SAFETY: that was the last reference of any kind.
        unsafe { dealloc(ptr) };
    }
}

/// The local reference of a `LOCAL` waker dropped off its executor's
/// thread: handed to the executor, or dropped here if it is gone.
#[cold]
#[inline(never)]
fn drop_local_elsewhere(ptr: NonNull<Header>) {
    // SAFETY: the waker being dropped gives its local reference to this
    // `LocalDrop`, and `ptr` is alive (that reference).
    let local = unsafe { LocalDrop::from_raw(ptr) };
    push_remote(ptr, None, Some(local));
}

/// # Safety
///
/// The `RawWakerVTable` contract: `data` is a live `SHARED` waker.
unsafe fn shared_drop(data: *const ()) {
    // SAFETY: the contract of `drop`.
    let (ptr, header) = unsafe { header(data) };
    let dealloc = header.vtable.dealloc;
    // SAFETY: alive, kept by this waker's shared reference, which this
    // drops.
    if unsafe { Header::ref_dec(ptr) } {
        // SAFETY: that was the last reference of any kind.
        unsafe { dealloc(ptr) };
    }
}
