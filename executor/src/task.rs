//! A task: one `Rc` allocation holding its state, its future and its output.
//!
//! # Who touches what
//!
//! Everything here lives on the executor's thread. Three owners share the
//! `Rc<Task<F>>`: the executor's task table (until the task completes), the
//! run queue (while it is scheduled), and the [`JoinHandle`](crate::JoinHandle)
//! (until it is dropped). The table and queue see it as `dyn Runnable`, the
//! handle as `dyn Joinable<F::Output>`.
//!
//! - Only the run loop polls the future ([`Runnable::run`]), and only when the
//!   state is pollable (see [`State`]); the `stage` `RefCell` is borrowed
//!   mutably for exactly that poll, or for dropping the future in place.
//! - The future is dropped exactly once: by [`Task::complete`], when it
//!   returns `Ready`, panics, is aborted, or the executor drops. `complete`
//!   keeps `RUNNING` set while the future's `Drop` runs, so a re-entrant
//!   `abort` from that `Drop` does nothing.
//! - The output is written once (`Stage::Finished`) and taken once by the
//!   `JoinHandle`, or dropped at once if the handle was dropped first.
//! - `join_waker` holds the waker of whoever awaits the `JoinHandle`; it is
//!   woken once, when the task completes.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::error::JoinError;
use crate::id::{CurrentTask, Id};
use crate::state::State;

/// The part of a task that does not depend on its future's type.
pub(crate) struct Header {
    pub(crate) state: Cell<State>,
    /// Key in the executor's task table.
    pub(crate) key: usize,
    /// Unique in the process; tells this task from a later one that
    /// reuses `key`.
    pub(crate) id: Id,
    /// This task's own waker, lent to its future on every poll.
    pub(crate) waker: Waker,
    /// The waker of the task awaiting the `JoinHandle`, if any.
    join_waker: Cell<Option<Waker>>,
}

/// Where a task's future is, then its output.
enum Stage<F: Future> {
    Running(Pin<Box<F>>),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

/// A spawned future and everything the executor keeps about it.
pub(crate) struct Task<F: Future> {
    header: Header,
    stage: RefCell<Stage<F>>,
}

/// The executor's view of a task.
pub(crate) trait Runnable {
    fn header(&self) -> &Header;

    /// Polls the future once if it is pollable. Returns `true` if the task
    /// is complete, so the executor must drop it from its table.
    fn run(&self) -> bool;

    /// Drops the future (the executor is dropping), completing the task as
    /// cancelled. Does nothing if the task is already complete.
    fn shutdown(&self);
}

/// The `AbortHandle`'s view of a task.
pub(crate) trait Abortable {
    fn header(&self) -> &Header;
    fn abort(&self);
}

/// The `JoinHandle`'s view of a task.
pub(crate) trait Joinable<T>: Abortable {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    fn detach(&self);
}

impl<F: Future> Task<F> {
    pub(crate) fn new(future: F, key: usize, id: Id, waker: Waker) -> Self {
        Self {
            header: Header {
                state: Cell::new(State::new_spawned()),
                key,
                id,
                waker,
                join_waker: Cell::new(None),
            },
            stage: RefCell::new(Stage::Running(Box::pin(future))),
        }
    }

    /// Drops the future in place, stores `result` (unless nobody will read
    /// it), marks the task complete and wakes its joiner.
    fn complete(&self, result: Result<F::Output, JoinError>) {
        let h = &self.header;
        h.state.set(h.state.get().with(State::RUNNING));
        let current = CurrentTask::enter(h.id);
        // The future's Drop is user code: it may spawn, wake, or abort tasks
        // (this one included, which RUNNING turns into a no-op), and panic.
        let dropped = panic::catch_unwind(AssertUnwindSafe(|| {
            *self.stage.borrow_mut() = Stage::Consumed;
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
        let state = h.state.get().without(State::RUNNING).with(State::COMPLETE);
        if state.has(State::DETACHED) {
            h.state.set(state);
            drop_quietly(result);
        } else {
            *self.stage.borrow_mut() = Stage::Finished(result);
            h.state.set(state);
        }
        if let Some(waker) = h.join_waker.take() {
            waker.wake();
        }
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

impl<F: Future> Runnable for Task<F> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn run(&self) -> bool {
        let h = &self.header;
        let state = h.state.get().without(State::SCHEDULED);
        if !state.is_pollable() {
            h.state.set(state);
            // Aborted while queued: complete already; the executor forgets it.
            return state.has(State::COMPLETE);
        }
        h.state.set(state.with(State::RUNNING));
        let mut cx = Context::from_waker(&h.waker);
        let current = CurrentTask::enter(h.id);
        let polled =
            panic::catch_unwind(AssertUnwindSafe(|| match &mut *self.stage.borrow_mut() {
                Stage::Running(future) => future.as_mut().poll(&mut cx),
                Stage::Finished(_) | Stage::Consumed => {
                    unreachable!("a task that is not complete still holds its future")
                }
            }));
        drop(current);
        match polled {
            Ok(Poll::Pending) => {
                let state = h.state.get().without(State::RUNNING);
                h.state.set(state);
                if state.has(State::ABORT) {
                    self.complete(Err(JoinError::cancelled(h.id)));
                    return true;
                }
                false
            }
            Ok(Poll::Ready(output)) => {
                self.complete(Ok(output));
                true
            }
            Err(payload) => {
                self.complete(Err(JoinError::panic(h.id, payload)));
                true
            }
        }
    }

    fn shutdown(&self) {
        let state = self.header.state.get();
        debug_assert!(
            !state.has(State::RUNNING),
            "the executor drops while a task runs"
        );
        if !state.has(State::COMPLETE) {
            self.complete(Err(JoinError::cancelled(self.header.id)));
        }
    }
}

impl<F: Future> Abortable for Task<F> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn abort(&self) {
        let h = &self.header;
        let state = h.state.get();
        if state.has(State::COMPLETE) {
            return;
        }
        if state.has(State::RUNNING) {
            h.state.set(state.with(State::ABORT));
            return;
        }
        self.complete(Err(JoinError::cancelled(h.id)));
        // Schedule it once more so the executor drops it from its table.
        h.waker.wake_by_ref();
    }
}

impl<F: Future> Joinable<F::Output> for Task<F> {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        let h = &self.header;
        if !h.state.get().has(State::COMPLETE) {
            let waker = match h.join_waker.take() {
                Some(waker) if waker.will_wake(cx.waker()) => waker,
                _ => cx.waker().clone(),
            };
            h.join_waker.set(Some(waker));
            return Poll::Pending;
        }
        let stage = std::mem::replace(&mut *self.stage.borrow_mut(), Stage::Consumed);
        match stage {
            Stage::Finished(result) => Poll::Ready(result),
            Stage::Running(_) | Stage::Consumed => {
                panic!("JoinHandle polled again after it returned the task's output")
            }
        }
    }

    fn detach(&self) {
        let h = &self.header;
        let state = h.state.get().with(State::DETACHED);
        h.state.set(state);
        drop(h.join_waker.take());
        if state.has(State::COMPLETE) {
            let output = std::mem::replace(&mut *self.stage.borrow_mut(), Stage::Consumed);
            drop(output);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Header, Task};
    use crate::waker::TaskWaker;
    use std::mem::size_of;

    /// What one task costs beyond its future: the `Rc` allocation (two
    /// counts and a `Task` minus the boxed future), the future's box, and the
    /// waker's `Arc` (two counts and a `TaskWaker`).
    #[test]
    fn task_overhead_stays_small() {
        type Unit = std::future::Ready<()>;
        let rc_alloc = 2 * size_of::<usize>() + size_of::<Task<Unit>>();
        let waker_alloc = 2 * size_of::<usize>() + size_of::<TaskWaker>();
        println!(
            "header {} B, Rc<Task> allocation {rc_alloc} B, Arc<TaskWaker> allocation {waker_alloc} B",
            size_of::<Header>()
        );
        assert!(rc_alloc <= 128, "{rc_alloc}");
        assert!(waker_alloc <= 48, "{waker_alloc}");
    }
}
