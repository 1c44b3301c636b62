//! The allocation of one task, [`RawTask`]: its header, then the future,
//! whose place its output takes once the future is gone; and the
//! operations of its vtable.

use std::cell::UnsafeCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use super::current::CurrentTask;
use super::header::{Header, Meta, VTable};
use super::remote_hold::{RemoteRef, block_freed};
use super::state::{Ran, State};
use super::waker;
use crate::error::JoinError;
use crate::id::Id;

/// Where a task's future is, then its output.
enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

/// One task, one allocation.
///
/// The stage is `ManuallyDrop`: freeing the task never drops a future or
/// an output (they are not `Send`, and the last reference may go on any
/// thread). They are dropped on the executor's thread as the task
/// completes and as its `JoinHandle` takes or drops the output; if a
/// handle is leaked, they leak with it.
#[repr(C)]
pub(crate) struct RawTask<F: Future> {
    header: Header,
    stage: UnsafeCell<ManuallyDrop<Stage<F>>>,
}

impl<F: Future + 'static> RawTask<F> {
    const VTABLE: VTable = VTable {
        poll: Self::poll,
        cancel: Self::cancel,
        take_output: Self::take_output,
        drop_output: Self::drop_output,
        dealloc: Self::dealloc,
    };

    /// Allocates a task for `future`; the pointer carries the references
    /// counted by [`Header::new`].
    pub(crate) fn allocate(future: F, id: Id, meta: Meta, remote: RemoteRef) -> NonNull<Header> {
        let task = Box::new(Self {
            header: Header::new(&Self::VTABLE, id, meta, remote),
            stage: UnsafeCell::new(ManuallyDrop::new(Stage::Running(future))),
        });
        // `#[repr(C)]` with the header first: the task's address is the
        // header's, and the pointer keeps the provenance of the whole box.
        NonNull::from(Box::leak(task)).cast()
    }

    /// The task behind `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` comes from [`RawTask::<F>::allocate`] and a reference keeps
    /// the task alive for `'a`.
    unsafe fn from_ptr<'a>(ptr: NonNull<Header>) -> &'a Self {
        // SAFETY: by the caller's contract, `ptr` points to a live
        // `RawTask<F>` (the header is at offset 0); shared access only.
        unsafe { ptr.cast::<Self>().as_ref() }
    }

    /// The stage, mutably.
    ///
    /// # Safety
    ///
    /// On the executor's thread, with no other reference to the stage
    /// alive: each use below states why none is.
    #[expect(clippy::mut_from_ref, reason = "the UnsafeCell is the point")]
    unsafe fn stage(&self) -> &mut Stage<F> {
        // SAFETY: exclusive by the caller's contract.
        unsafe { &mut *self.stage.get() }
    }

    /// # Safety
    ///
    /// `ptr` is a live `RawTask<F>`, on the executor's thread (the
    /// vtable's contract).
    unsafe fn poll(ptr: NonNull<Header>) -> Ran {
        // SAFETY: the vtable's contract.
        let task = unsafe { Self::from_ptr(ptr) };
        let h = &task.header;
        let state = h.state.get().without(State::SCHEDULED);
        if !state.is_pollable() {
            h.state.set(state);
            // Aborted while queued (complete already), or polled from its
            // own poll (running): nothing to do.
            return if state.has(State::COMPLETE) {
                Ran::complete(state, false)
            } else {
                Ran::SKIPPED
            };
        }
        // One store: running, and one more poll counted.
        h.state.set(state.with(State::RUNNING).with_poll());
        // The note is the last poll's; this poll leaves its own if it waits.
        h.wait.set(0);
        // The task is alive for the poll (the caller's reference), and
        // this waker, never dropped, takes no reference of its own.
        let waker = waker::borrowed(ptr);
        let mut cx = Context::from_waker(&waker);
        let current = CurrentTask::enter(ptr);
        let polled = panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: RUNNING is set, so nothing else touches the stage
            // until this poll returns: `poll` and `cancel` return early on
            // RUNNING, and `take_output`/`drop_output` run only once
            // COMPLETE is set, which is not.
            let place = unsafe { task.stage() };
            match place {
                // SAFETY: the future lives in the heap allocation until it
                // is dropped in place by `complete`; it never moves.
                Stage::Running(future) => unsafe { Pin::new_unchecked(future) }.poll(&mut cx),
                Stage::Finished(_) | Stage::Consumed => {
                    unreachable!("a task that is not complete still holds its future")
                }
            }
        }));
        let result = match polled {
            Ok(Poll::Pending) => {
                let state = h.state.get().without(State::RUNNING);
                h.state.set(state);
                if !state.has(State::ABORT) {
                    drop(current);
                    return Ran::PENDING;
                }
                Err(JoinError::cancelled(h.id))
            }
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(JoinError::panic(h.id, payload)),
        };
        // The task stays current while its future drops: one guard for
        // the poll and the drop.
        task.complete(result, current);
        Ran::complete(h.state.get(), true)
    }

    /// Drops the future in place, stores `result` (unless nobody will read
    /// it), marks the task complete and wakes its joiner. The future is
    /// there and not running; `current` makes this task current (for the
    /// future's drop) and is dropped before the joiner is woken.
    fn complete(&self, result: Result<F::Output, JoinError>, current: CurrentTask) {
        let h = &self.header;
        h.state.set(h.state.get().with(State::RUNNING));
        // The future's Drop is user code: it may spawn, wake, abort or
        // detach tasks (this one included: RUNNING makes `poll` and
        // `cancel` no-ops, COMPLETE is not set so the output is not read),
        // and panic.
        let dropped = panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: RUNNING is set (see `poll`), so no other reference
            // to the stage exists while the future drops in place.
            let stage = unsafe { self.stage() };
            *stage = Stage::Consumed;
        }));
        drop(current);
        let result = match dropped {
            Ok(()) => result,
            // The first panic is the one worth reporting.
            Err(payload) if result.as_ref().is_err_and(JoinError::is_panic) => {
                drop_quietly(payload);
                result
            }
            Err(payload) => {
                drop_quietly(result);
                Err(JoinError::panic(h.id, payload))
            }
        };
        let ending = match &result {
            Ok(_) => 0,
            Err(e) if e.is_panic() => State::PANICKED,
            Err(_) => State::CANCELLED,
        };
        let state = h
            .state
            .get()
            .without(State::RUNNING)
            .with(State::COMPLETE | ending);
        if state.has(State::DETACHED) {
            h.state.set(state);
            drop_quietly(result);
        } else {
            // SAFETY: still no other reference to the stage: nothing ran
            // since the drop above but this function.
            let place = unsafe { self.stage() };
            // The stage is `Consumed` (set above), which owns nothing: no
            // drop of it to run.
            let consumed = std::mem::replace(place, Stage::Finished(result));
            debug_assert!(matches!(consumed, Stage::Consumed));
            std::mem::forget(consumed);
            h.state.set(state);
        }
        if let Some(joiner) = h.join_waker.take() {
            joiner.wake(&h.remote);
        }
    }

    /// # Safety
    ///
    /// The vtable's contract.
    unsafe fn cancel(ptr: NonNull<Header>) {
        // SAFETY: the vtable's contract.
        let task = unsafe { Self::from_ptr(ptr) };
        let state = task.header.state.get();
        if state.has(State::RUNNING) {
            task.header.state.set(state.with(State::ABORT));
        } else if !state.has(State::COMPLETE) {
            let current = CurrentTask::enter(ptr);
            task.complete(Err(JoinError::cancelled(task.header.id)), current);
        }
    }

    /// # Safety
    ///
    /// The vtable's contract, and `dst` is a valid
    /// `*mut Poll<Result<F::Output, JoinError>>`.
    unsafe fn take_output(ptr: NonNull<Header>, dst: *mut ()) {
        // SAFETY: the vtable's contract.
        let task = unsafe { Self::from_ptr(ptr) };
        debug_assert!(task.header.state.get().has(State::COMPLETE));
        // SAFETY: COMPLETE is set and RUNNING is not (`complete` clears it
        // before it sets COMPLETE): nothing else holds the stage.
        let stage = unsafe { task.stage() };
        match std::mem::replace(stage, Stage::Consumed) {
            Stage::Finished(result) => {
                let dst = dst.cast::<Poll<Result<F::Output, JoinError>>>();
                // SAFETY: by the caller's contract `dst` is valid for
                // writes of this type; the old value is a `Poll::Pending`
                // that owns nothing, so overwriting it leaks nothing.
                unsafe { dst.write(Poll::Ready(result)) };
            }
            Stage::Running(_) | Stage::Consumed => {
                panic!("JoinHandle polled again after it returned the task's output")
            }
        }
    }

    /// # Safety
    ///
    /// The vtable's contract.
    unsafe fn drop_output(ptr: NonNull<Header>) {
        // SAFETY: the vtable's contract.
        let task = unsafe { Self::from_ptr(ptr) };
        // SAFETY: called once COMPLETE is set, so nothing else holds the
        // stage (see `take_output`); the old stage drops after this borrow.
        let stage = unsafe { task.stage() };
        let old = std::mem::replace(stage, Stage::Consumed);
        drop_quietly(old);
    }

    /// # Safety
    ///
    /// `ptr` comes from [`RawTask::<F>::allocate`] and no reference of any
    /// kind is left.
    unsafe fn dealloc(ptr: NonNull<Header>) {
        // SAFETY: alive until the free below; a copy of a pointer field.
        let remote = unsafe { ptr.as_ref() }.remote.as_non_null();
        // SAFETY: the allocation is a `Box<Self>` leaked by `allocate`, and
        // nothing refers to it any more. Its drop runs the header's fields
        // only (the stage is `ManuallyDrop`): a `join_waker` that is empty
        // by now and owns nothing to drop (see the module docs); the
        // `RemoteRef` has no drop.
        drop(unsafe { Box::from_raw(ptr.cast::<Self>().as_ptr()) });
        // SAFETY: this block was counted by `block_spawned` and is freed,
        // once.
        unsafe { block_freed(remote) };
    }
}

/// Drops `value`, ignoring a panic from its `Drop`: a payload or an output
/// nobody will read must not take the run loop down.
fn drop_quietly<T>(value: T) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| drop(value))) {
        // A payload whose own Drop panics would abort; leaking it is the
        // only safe choice left.
        std::mem::forget(payload);
    }
}

#[cfg(test)]
mod tests {
    use super::RawTask;
    use crate::raw::header::Header;
    use std::mem::size_of;

    /// What one task costs beyond its future: the header, and the stage's
    /// room for a `Result<(), JoinError>` and its tag.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn task_overhead_stays_small() {
        type Unit = std::future::Ready<()>;
        let block = size_of::<RawTask<Unit>>();
        println!("header {} B, task block {block} B", size_of::<Header>());
        // 64 before the spawn location, poll count, age and wait note; 80
        // with them, before the packing; 72 with an `Option<Waker>` for the
        // joiner, 64 with the one-word `JoinWaker` (see `Header`).
        assert_eq!(size_of::<Header>(), 64);
        assert!(block <= 88, "{block}");
    }

    /// A byte with one valid value, as in the runtime's `Sleep`.
    #[repr(u8)]
    enum Niche {
        _Zero = 0,
    }

    /// Futures that stay pending, shaped like the runtime's `Sleep` (a
    /// deadline, an optional `NonZeroU32` timer key, the driver's `Rc`).
    macro_rules! pending_futures {
        ($($name:ident { $($field:ident: $t:ty),* })*) => {$(
            struct $name { $($field: $t),* }
            impl std::future::Future for $name {
                type Output = ();
                fn poll(
                    self: std::pin::Pin<&mut Self>,
                    _: &mut std::task::Context<'_>,
                ) -> std::task::Poll<()> {
                    std::task::Poll::Pending
                }
            }
        )*};
    }

    /// A task whose future is a `Sleep` is a 96-byte block with a
    /// 32-byte `Sleep` (a 112-byte malloc chunk: the request plus its
    /// 8-byte size word, rounded up to 16), and an 88-byte block with a
    /// 24-byte one that has a niche for the stage's tag (a 96-byte chunk);
    /// with the 72-byte header they were 104 and 96 (112-byte chunks). A
    /// 24-byte future without a niche makes a 96-byte block (112).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_sleep_sized_task_is_an_88_or_96_byte_block() {
        pending_futures! {
            Sleep32 {
                _deadline: std::time::Instant,
                _key: Option<std::num::NonZeroU32>,
                _driver: std::rc::Rc<()>
            }
            // A 24-byte `Sleep` that keeps its `Instant`, whose
            // nanoseconds field leaves the stage a niche for its tag.
            Sleep24 {
                _deadline: std::time::Instant,
                _driver: std::rc::Rc<()>
            }
            // The runtime's `Sleep`: an `i64` deadline, the key, a byte
            // whose one valid value leaves the stage 255 niche values, and
            // the `Rc`.
            Niche24 {
                _deadline: i64,
                _key: Option<std::num::NonZeroU32>,
                _niche: Niche,
                _driver: std::rc::Rc<()>
            }
            // Without such a niche the stage needs a tag word.
            Plain24 {
                _deadline: u64,
                _key: Option<std::num::NonZeroU32>,
                _driver: std::rc::Rc<()>
            }
        }
        assert_eq!(size_of::<Sleep32>(), 32);
        assert_eq!(size_of::<RawTask<Sleep32>>(), 96);
        assert_eq!(size_of::<Sleep24>(), 24);
        assert_eq!(size_of::<RawTask<Sleep24>>(), 88);
        assert_eq!(size_of::<Niche24>(), 24);
        assert_eq!(size_of::<RawTask<Niche24>>(), 88);
        assert_eq!(size_of::<Plain24>(), 24);
        assert_eq!(size_of::<RawTask<Plain24>>(), 96);
    }
}
