//! The part of a task that does not depend on its future's type: what a
//! `Waker` (on any thread) and the executor's table see.

use std::cell::Cell;
use std::panic::Location;
use std::ptr::NonNull;

use super::join_waker::JoinWaker;
use super::state::{self, MAX_REFS, REF, Ran, State};
use crate::id::Id;
use crate::remote::Remote;
use crate::sync::{Arc, AtomicU32, Ordering, fence};

/// The first field of every task allocation (`#[repr(C)]` puts it at
/// offset 0, so a pointer to the task is a pointer to its header).
///
/// `shared` is the only field another thread touches (through a
/// `Waker`), besides `vtable` and `remote`, which never change. Every
/// `Cell` is read and written on the executor's thread only, and only
/// while a reference keeps the task alive.
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
    /// `JoinHandle`, `AbortHandle`s, a task being run). Together they hold
    /// one reference of `shared`; once this reaches 0 it stays 0.
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
    pub(crate) remote: Arc<Remote>,
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
    pub(crate) fn new(vtable: &'static VTable, id: Id, meta: Meta, remote: Arc<Remote>) -> Self {
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

    /// Drops a shared reference; returns `true` if it was the last, so the
    /// caller must free the task. Any thread.
    pub(crate) fn ref_dec(&self) -> bool {
        // The caller's is the only reference: then no other exists to make
        // a new one or drop one, so the count cannot change, and the free
        // needs no read-modify-write (a task ends so, on its thread, when
        // no waker of it is left). Acquire, as the fence below: reads from
        // the Release decrement of the reference dropped before, so every
        // use of the task through it happens before the free.
        if state::refs(self.shared.load(Ordering::Acquire)) == 1 {
            return true;
        }
        // Release, then an Acquire fence on the last, as `Arc`'s drop: every
        // use of the task through another reference happens before the free.
        let old = self.shared.fetch_sub(REF, Ordering::Release);
        debug_assert!(state::refs(old) >= 1, "a task reference was dropped twice");
        if state::refs(old) != 1 {
            return false;
        }
        fence(Ordering::Acquire);
        true
    }

    /// Adds a local reference. Executor's thread only.
    pub(crate) fn local_inc(&self) {
        let refs = self.local_refs.get();
        debug_assert!(refs > 0, "a task with no local reference got a new one");
        match refs.checked_add(1) {
            Some(refs) => self.local_refs.set(refs),
            None => std::process::abort(),
        }
    }

    /// Drops a local reference; returns `true` if it was the last, so the
    /// caller must drop the shared reference the local ones held.
    /// Executor's thread only.
    pub(crate) fn local_dec(&self) -> bool {
        let refs = self.local_refs.get() - 1;
        self.local_refs.set(refs);
        refs == 0
    }
}
