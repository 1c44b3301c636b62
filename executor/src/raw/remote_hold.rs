//! How task blocks keep their executor's [`Remote`] alive without an
//! atomic operation per task: every block's header points at it
//! ([`RemoteRef`], no count of its own), and the blocks together hold one
//! strong count of the `Arc`, the *tasks' hold*, which [`Blocks`] counts
//! down as blocks are freed.
//!
//! # The count of live blocks ([`Blocks`])
//!
//! | part | written by | when |
//! |---|---|---|
//! | `local` | the executor's thread only, plain | `+1` per spawn; `-1` per block freed on that thread while the executor lives (its remote not closed) |
//! | `shared`, before the merge | any thread, atomic | `+1` per block freed elsewhere (another thread, or any thread once the remote is closed): the frees `local` does not know of |
//! | `shared`, after the merge (`MERGED` set) | any thread, atomic | the merge, on the executor's thread as it closes, stores `MERGED` and the live blocks (`local` less the frees so far, in one read-modify-write); then `-1` per block freed anywhere |
//!
//! The tasks' hold is given back (the `Arc` count dropped) exactly once:
//! by the merge, if no block is left, else by the free that takes the count
//! after it to 0. Before the merge it cannot be: `shared` then counts up.
//! `local` is never touched after the remote closes (a free checks
//! `Remote::is_closed` first, and the merge comes after the close), so its
//! one plain read by the merge is on the thread that wrote it.

use std::cell::UnsafeCell;
use std::ops::Deref;
use std::ptr::NonNull;

use crate::remote::Remote;
use crate::sync::{Arc, AtomicUsize, Ordering};

/// Set in `Blocks::shared` once the executor has closed and merged.
const MERGED: usize = 1 << (usize::BITS - 1);

/// The live task blocks of one executor (see the module docs).
pub(crate) struct Blocks {
    local: UnsafeCell<usize>,
    shared: AtomicUsize,
}

// SAFETY: `shared` is atomic; `local` is read and written only on the
// executor's thread (the module docs: `spawned`, `freed` on the owner
// thread before the close, `merge` on it after), so sharing `Blocks`
// between threads never lets two of them touch it.
unsafe impl Sync for Blocks {}

// SAFETY: as for `Sync`: moving the remote to another thread (in its
// `Arc`) moves no access to `local` there.
unsafe impl Send for Blocks {}

impl Blocks {
    pub(crate) fn new() -> Self {
        Self {
            local: UnsafeCell::new(0),
            shared: AtomicUsize::new(0),
        }
    }
}

/// A task header's pointer to its executor's [`Remote`]: no reference
/// count of its own (the tasks' hold keeps the remote alive while any
/// block is).
pub(crate) struct RemoteRef(NonNull<Remote>);

// SAFETY: it only gives `&Remote`, and `Remote` is `Sync`.
unsafe impl Send for RemoteRef {}
// SAFETY: as above.
unsafe impl Sync for RemoteRef {}

impl Deref for RemoteRef {
    type Target = Remote;

    fn deref(&self) -> &Remote {
        // SAFETY: a `RemoteRef` lives only in a task header, and the tasks'
        // hold keeps the remote alive until after the last block is freed
        // (`block_freed` runs after the free).
        unsafe { self.0.as_ref() }
    }
}

impl RemoteRef {
    /// Whether this is `remote`.
    pub(crate) fn is(&self, remote: &Remote) -> bool {
        std::ptr::eq(self.0.as_ptr(), remote)
    }

    /// A count of the remote's `Arc` of its own, for a call that may hand
    /// the executor the last reference of the block this is in (two atomic
    /// operations: for the paths off the executor's thread).
    pub(crate) fn hold(&self) -> Arc<Remote> {
        let raw = self.0.as_ptr().cast_const();
        // SAFETY: the pointer is the one `take_tasks_hold` got from
        // `Arc::into_raw`, and the remote is alive (this block holds it);
        // the count added here is the one the returned `Arc` owns.
        unsafe { Arc::increment_strong_count(raw) };
        // SAFETY: as above: that count is this `Arc`'s.
        unsafe { Arc::from_raw(raw) }
    }

    /// The pointer, for [`block_freed`] after the header holding this is
    /// gone.
    pub(crate) fn as_non_null(&self) -> NonNull<Remote> {
        self.0
    }
}

/// Makes the tasks' hold of a new executor's `remote`: one strong count
/// that the blocks give back together (see the module docs). The pointer
/// (from `Arc::into_raw`, so it may give the count back) is the one every
/// block's header gets.
pub(crate) fn take_tasks_hold(remote: &Arc<Remote>) -> NonNull<Remote> {
    let raw = Arc::into_raw(Arc::clone(remote));
    NonNull::new(raw.cast_mut()).expect("an Arc's pointer is not null")
}

/// Counts a new block of the executor whose tasks' hold is `hold`, and
/// gives its header's pointer.
///
/// # Safety
///
/// On the executor's thread, while its remote is not closed; `hold` is
/// from [`take_tasks_hold`] of that executor.
pub(crate) unsafe fn block_spawned(hold: NonNull<Remote>) -> RemoteRef {
    // SAFETY: the hold keeps the remote alive (the executor lives).
    let remote = unsafe { hold.as_ref() };
    debug_assert!(remote.is_owner_thread() && !remote.is_closed());
    // SAFETY: on the executor's thread before the close (the caller's
    // contract): `local` is this thread's (the module docs).
    unsafe { *remote.blocks.local.get() += 1 };
    RemoteRef(hold)
}

/// Counts a block of the executor of `remote` freed (after its free: the
/// remote may go with it). Any thread.
///
/// # Safety
///
/// `remote` is the `RemoteRef` of a block just freed, counted by
/// [`block_spawned`], and this is called once for it.
pub(crate) unsafe fn block_freed(remote: NonNull<Remote>) {
    // SAFETY: the freed block's count still holds the remote (this call
    // gives it back); shared access only. Not used after the release.
    let r = unsafe { remote.as_ref() };
    if r.is_owner_thread() && !r.is_closed() {
        // SAFETY: on the executor's thread before the close (just
        // checked): `local` is this thread's.
        unsafe { *r.blocks.local.get() -= 1 };
        return;
    }
    // AcqRel: the release below (by whichever free or merge takes the count
    // to 0) reads every other free's update, as an `Arc` drop does.
    let old = r
        .blocks
        .shared
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
            Some(if s & MERGED == 0 { s + 1 } else { s - 1 })
        })
        .unwrap_or_else(|s| s);
    if old == MERGED + 1 {
        // SAFETY: the last block is gone after the merge: the hold is
        // given back once (the module docs).
        unsafe { release(remote) };
    }
}

/// Folds the executor's count of live blocks into the shared one, as its
/// remote closes; gives the tasks' hold back if no block is left.
///
/// # Safety
///
/// On the executor's thread, after its remote closed, once; `hold` is from
/// [`take_tasks_hold`] of that executor, whose own `Arc` is still alive.
pub(crate) unsafe fn merge(hold: NonNull<Remote>) {
    // SAFETY: the executor's own `Arc` keeps the remote alive for this
    // call (the caller's contract); shared access only.
    let remote = unsafe { hold.as_ref() };
    debug_assert!(remote.is_owner_thread() && remote.is_closed());
    // SAFETY: on the executor's thread, and no free writes `local` once
    // the remote is closed (they check first): a plain read of its value.
    let local = unsafe { *remote.blocks.local.get() };
    let old = remote
        .blocks
        .shared
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |freed| {
            debug_assert!(freed & MERGED == 0 && freed <= local, "merged once");
            Some(MERGED | (local - freed))
        })
        .unwrap_or_else(|s| s);
    if local == old {
        // SAFETY: no block is left: the hold is given back once (the module
        // docs); the executor's own `Arc` keeps the remote alive meanwhile.
        unsafe { release(hold) };
    }
}

/// Gives the tasks' hold of `remote` back.
///
/// # Safety
///
/// Once per executor, when no block is left (the module docs); `remote`
/// is the pointer of [`take_tasks_hold`].
unsafe fn release(remote: NonNull<Remote>) {
    // SAFETY: the hold is the count `take_tasks_hold` kept with
    // `Arc::into_raw`, and this is that pointer.
    drop(unsafe { Arc::from_raw(remote.as_ptr().cast_const()) });
}
