//! The part of a task that does not depend on its future's type: what a
//! `Waker` (on any thread) and the executor's table see.

use std::cell::Cell;
use std::panic::Location;
use std::ptr::NonNull;

use super::join_waker::JoinWaker;
use super::remote_hold::RemoteRef;
use super::state::{self, MAX_REFS, REF, Ran, State};
use crate::id::Id;
use crate::sync::{AtomicU32, Ordering, fence};

/// The first field of every task allocation (`#[repr(C)]` puts it at
/// offset 0, so a pointer to the task is a pointer to its header).
///
/// `shared` is the only field another thread writes (through a
/// `Waker`), besides reading `vtable` and `remote`, which never change.
/// Every `Cell` is read and written on the executor's thread only, and
/// only while a reference keeps the task alive; but for `local_refs`,
/// which once the executor is gone nobody writes, and which any thread
/// may then read (see `local_inc`).
///
/// The layout is packed to 64 bytes, so that a task with a 24-byte future
/// (a `Sleep`) is an 88-byte block, which glibc's malloc serves from a
/// 96-byte chunk (the request plus its 8-byte size word, rounded up to
/// 16): `shared` and `key` share a word, the poll count lives in the
/// local state word, the `u32` fields pair up, and the joiner's waker is
/// one word.
#[repr(C)]
pub(crate) struct Header {
    /// The remote-queued bit and the reference count (`state::QUEUED`,
    /// `state::REF`).
    pub(crate) shared: AtomicU32,
    /// The task's key in the executor's table, while `LISTED` (a `u32`:
    /// four billion live tasks would take hundreds of gigabytes).
    pub(crate) key: Cell<u32>,
    pub(crate) vtable: &'static VTable,
    /// The local flags and the poll count.
    pub(crate) state: Cell<State>,
    /// How many local references exist (table, local queue entries,
    /// `JoinHandle`, `AbortHandle`s, a task being run, `LOCAL` wakers, join
    /// words). Together they hold one reference of `shared`; once this
    /// reaches 0 it stays 0. Frozen once the executor is gone (`CONVERTED`).
    pub(crate) local_refs: Cell<u32>,
    /// The task's wait note, encoded (see `crate::wait`); 0 for none.
    pub(crate) wait: Cell<u32>,
    /// When the task was spawned: milliseconds since the executor was
    /// made, by the executor's coarse clock (saturating).
    pub(crate) spawned_ms: u32,
    pub(crate) id: Id,
    /// Where the task was spawned.
    pub(crate) location: &'static Location<'static>,
    /// The executor's cross-thread queue; which executor owns the task.
    pub(crate) remote: RemoteRef,
    /// The waker of whoever awaits the `JoinHandle`, in one word.
    pub(crate) join_waker: JoinWaker,
}

/// The operations that need the future's type; `ptr` is the task's own
/// header pointer (from `Box::into_raw`). Every entry requires that the
/// task is alive (the caller holds a reference) and, except `dealloc`,
/// that the caller is on the executor's thread.
pub(crate) struct VTable {
    /// Polls the future if it is pollable; returns what it did (whether
    /// it polled, whether the task is complete and how it ended).
    pub(crate) poll: unsafe fn(NonNull<Header>) -> Ran,
    /// Drops the future and stores a cancelled `JoinError`, unless the task
    /// is complete or running.
    pub(crate) cancel: unsafe fn(NonNull<Header>),
    /// Moves the output of a complete task into `*dst`, a
    /// `Poll<Result<T, JoinError>>` for the task's output type `T`.
    pub(crate) take_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops the output of a complete task, if it is still there.
    pub(crate) drop_output: unsafe fn(NonNull<Header>),
    /// Frees the allocation; requires that no reference is left. Runs on
    /// any thread: it drops only the header's `Send` fields.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
}

/// What a spawn says about the task, besides its future.
#[derive(Clone, Copy)]
pub(crate) struct Meta {
    pub(crate) key: u32,
    pub(crate) spawned_ms: u32,
    pub(crate) location: &'static Location<'static>,
}

impl Header {
    pub(crate) fn new(vtable: &'static VTable, id: Id, meta: Meta, remote: RemoteRef) -> Self {
        Self {
            shared: AtomicU32::new(state::SHARED_INITIAL),
            key: Cell::new(meta.key),
            vtable,
            state: Cell::new(State::new_spawned()),
            // The table, the run queue and the JoinHandle.
            local_refs: Cell::new(3),
            wait: Cell::new(0),
            spawned_ms: meta.spawned_ms,
            id,
            location: meta.location,
            remote,
            join_waker: JoinWaker::new(),
        }
    }

    /// Adds a shared reference (a `Waker` clone). Any thread.
    pub(crate) fn ref_inc(&self) {
        // Relaxed, as `Arc::clone`: the new reference is made from one
        // that exists, which keeps the task alive meanwhile.
        let old = self.shared.fetch_add(REF, Ordering::Relaxed);
        if state::refs(old) > MAX_REFS {
            std::process::abort();
        }
    }

    /// Drops a shared reference of the task at `ptr`; returns `true` if it
    /// was the last, so the caller must free the task. Any thread.
    ///
    /// A pointer, not `&self`: once this thread's decrement is done,
    /// another may free the block, so no reference to the header may be
    /// alive (as a function argument is until it returns) across it; only
    /// references to its atomic and `Cell` fields, which allow that, are.
    ///
    /// # Safety
    ///
    /// `ptr` is a live task, kept alive by the reference this drops.
    pub(crate) unsafe fn ref_dec(ptr: NonNull<Header>) -> bool {
        // SAFETY: alive (the caller's reference); a reference to the atomic
        // field alone.
        let shared = unsafe { &(*ptr.as_ptr()).shared };
        // The caller's is the only reference: then no other exists to make
        // a new one or drop one, so the count cannot change, and the free
        // needs no read-modify-write (a task ends so, on its thread, when
        // no waker of it is left). Acquire, as the fence below: reads from
        // the Release decrement of the reference dropped before, so every
        // use of the task through it happens before the free.
        if state::refs(shared.load(Ordering::Acquire)) == 1 {
            return true;
        }
        // Release, then an Acquire fence on the last, as `Arc`'s drop: every
        // use of the task through another reference happens before the free.
        let old = shared.fetch_sub(REF, Ordering::Release);
        debug_assert!(state::refs(old) >= 1, "a task reference was dropped twice");
        if state::refs(old) != 1 {
            return false;
        }
        fence(Ordering::Acquire);
        true
    }

    /// Adds a local reference: on the executor's thread while it lives;
    /// once it is gone, on whatever thread holds the reference this one
    /// is made from (then it is counted in the shared word).
    pub(crate) fn local_inc(&self) {
        if self.remote.is_closed() {
            // SAFETY: alive (`self`); an add frees nothing.
            unsafe { Self::converted_update(NonNull::from(self), true) };
            return;
        }
        let refs = self.local_refs.get();
        debug_assert!(refs > 0, "a task with no local reference got a new one");
        if refs >= MAX_REFS {
            std::process::abort();
        }
        self.local_refs.set(refs + 1);
    }

    /// Drops a local reference of the task at `ptr` (on the threads
    /// `local_inc` names); returns `true` if it was the last reference of
    /// any kind, so the caller must free the task. A pointer, as for
    /// [`ref_dec`](Self::ref_dec).
    ///
    /// # Safety
    ///
    /// `ptr` is a live task, kept alive by the local reference this drops.
    pub(crate) unsafe fn local_dec(ptr: NonNull<Header>) -> bool {
        let h = ptr.as_ptr();
        // SAFETY: alive (the caller's reference): a copy of a field.
        let remote = unsafe { (*h).remote.as_non_null() };
        // SAFETY: as above: a reference to the `Cell` field alone.
        let local_refs = unsafe { &(*h).local_refs };
        // SAFETY: the block keeps its remote alive (`remote_hold`).
        if unsafe { remote.as_ref() }.is_closed() {
            // SAFETY: the caller's contract.
            return unsafe { Self::converted_update(ptr, false) };
        }
        let refs = local_refs.get() - 1;
        local_refs.set(refs);
        // The last local reference drops the shared one they held.
        // SAFETY: alive: that shared reference.
        refs == 0 && unsafe { Self::ref_dec(ptr) }
    }

    /// A local reference made (`add`) or dropped once the executor is gone:
    /// the local count, frozen since, joins the shared word first (once,
    /// whichever thread comes first), so that every reference is counted
    /// there. Returns whether that was the last reference (a drop).
    ///
    /// # Safety
    ///
    /// `ptr` is a live task, kept alive by the caller's local reference.
    #[cold]
    unsafe fn converted_update(ptr: NonNull<Header>, add: bool) -> bool {
        let h = ptr.as_ptr();
        // SAFETY: alive (the caller's reference): a reference to the `Cell`
        // field alone (see `ref_dec`).
        let local_refs = unsafe { &(*h).local_refs };
        // SAFETY: as above, to the atomic field alone.
        let shared = unsafe { &(*h).shared };
        // Read from any thread, without a lock: nobody writes the local
        // count once the executor is closed (every local operation comes
        // here), and the close, after the executor's last write of it,
        // happens before the `is_closed` (Acquire) that led here.
        let frozen = local_refs.get();
        debug_assert!(
            frozen > 0,
            "a local reference exists, so the count was not 0"
        );
        let old = shared
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                // The one reference the local ones held becomes `frozen`.
                let s = if s & state::CONVERTED == 0 {
                    (s + frozen.saturating_sub(1) * REF) | state::CONVERTED
                } else {
                    s
                };
                Some(if add { s + REF } else { s - REF })
            })
            .unwrap_or_else(|s| s);
        let converted_before = old & state::CONVERTED != 0;
        let refs_before = if converted_before {
            state::refs(old)
        } else {
            state::refs(old) + frozen.saturating_sub(1)
        };
        if add {
            if refs_before > MAX_REFS {
                std::process::abort();
            }
            false
        } else {
            refs_before == 1
        }
    }
}
