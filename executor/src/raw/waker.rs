//! The `Waker` of a task: its data pointer is the task's header, and it
//! holds one shared reference (except the one lent to a poll, which holds
//! none and is never dropped).
//!
//! Waking it on the thread where its executor is current schedules the
//! task on the local run queue (no atomic, no lock); anywhere else it sets
//! the shared word's `QUEUED` bit and pushes a [`Notified`] to the remote
//! queue, which unparks the executor; after the executor is gone the push
//! is refused and the `Notified` dropped.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::handle::Notified;
use super::header::Header;
use super::state;
use crate::context;
use crate::sync::Ordering;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker for the task at `ptr` that takes no reference: it must not
/// outlive the reference its creator holds, and must not be dropped (a
/// clone of it is an ordinary waker).
pub(crate) fn borrowed(ptr: NonNull<Header>) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(ptr.as_ptr().cast_const().cast(), &VTABLE);
    // SAFETY: the vtable's functions keep the `RawWaker` contract (each is
    // thread-safe: the count and `QUEUED` are atomic, and the local path is
    // taken only on the executor's own thread); the `ManuallyDrop` keeps
    // `drop_waker` from taking the reference this waker does not hold.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

/// The task of `waker`, if it is a task waker of this module (its vtable
/// is ours).
pub(super) fn task_of(waker: &Waker) -> Option<NonNull<Header>> {
    if !std::ptr::eq(waker.vtable(), &raw const VTABLE) {
        return None;
    }
    NonNull::new(waker.data().cast_mut().cast::<Header>())
}

/// The data pointer of `waker`, a task waker of this module, keeping the
/// reference it holds (until [`from_raw`] gives it back).
pub(super) fn into_raw(waker: Waker) -> *const () {
    debug_assert!(task_of(&waker).is_some(), "a task waker of this module");
    ManuallyDrop::new(waker).data()
}

/// The task waker whose data pointer [`into_raw`] gave.
///
/// # Safety
///
/// `data` comes from [`into_raw`], and is given back once.
pub(super) unsafe fn from_raw(data: *const ()) -> Waker {
    // SAFETY: `data` and this vtable made a waker of this module, whose
    // reference `into_raw` kept for this one.
    unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) }
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

/// # Safety
///
/// The `RawWakerVTable` contract: `data` is a live waker of this module.
unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: the contract of `clone`.
    let (_, header) = unsafe { header(data) };
    header.ref_inc();
    RawWaker::new(data, &VTABLE)
}

/// # Safety
///
/// The `RawWakerVTable` contract.
unsafe fn wake(data: *const ()) {
    // SAFETY: the contract of `wake`, which `wake_by_ref` shares.
    unsafe { wake_by_ref(data) };
    // SAFETY: `wake` consumes the waker, so its reference is dropped.
    unsafe { drop_waker(data) };
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
        wake_remote(ptr, header);
    }
}

/// The remote half of [`wake_by_ref`], out of line so that the local
/// path (the common one) saves no registers for it. `header` is the task
/// at `ptr`, kept alive by the caller's waker.
#[cold]
#[inline(never)]
fn wake_remote(ptr: NonNull<Header>, header: &Header) {
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
    if old & state::QUEUED != 0 {
        return;
    }
    if state::refs(old) > state::MAX_REFS {
        std::process::abort();
    }
    // SAFETY: the update above set QUEUED and added the reference that
    // this `Notified` now owns.
    let notified = unsafe { Notified::from_raw(ptr) };
    if let Err(refused) = header.remote.push_task(notified) {
        // The executor is gone; dropping it gives the reference back.
        drop(refused);
    }
}

/// # Safety
///
/// The `RawWakerVTable` contract.
unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the contract of `drop`.
    let (ptr, header) = unsafe { header(data) };
    if header.ref_dec() {
        let dealloc = header.vtable.dealloc;
        // SAFETY: that was the last reference of any kind.
        unsafe { dealloc(ptr) };
    }
}
