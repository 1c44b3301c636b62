//! Cooperative scheduling: a per-poll budget of operations, as tokio has.
//!
//! A task that reads a socket whose peer keeps it full gets `Ready` from
//! every read and would never return `Pending` on its own: timers, I/O and
//! the other tasks of its thread would starve. So every resource the
//! runtime provides (socket and pipe reads and writes, `accept`, signal and
//! child waits, the sync primitives) asks [`poll_proceed`] before it does
//! its work. Each call spends one unit of the running task's budget; once
//! the budget is spent, `poll_proceed` wakes the task and returns
//! `Pending`, so the task goes to the back of the run queue and the
//! runtime gets its turn. The task's next poll starts with a full budget.
//!
//! # Protocol
//!
//! - The executor gives each poll of a task, and each poll of the main
//!   future of `block_on`, a fresh budget of [`BUDGET`] units (the
//!   executor's run loop holds a `Budget` guard around the poll). When
//!   the poll returns, the budget before it is restored (none, outside a
//!   task).
//! - Outside such a poll (a future polled by some other executor, or code
//!   that is not in a task at all), the budget is unlimited:
//!   [`poll_proceed`] is always `Ready`.
//! - A resource calls [`poll_proceed`] once per operation, before the
//!   operation, and returns `Pending` at once if it is `Pending` (the task
//!   was woken already; the resource registers nothing). A unit is spent
//!   even when the operation then has to wait: at most one spurious wake-up
//!   after [`BUDGET`] waits in one poll, which is cheaper than giving units
//!   back.
//!
//! # Examples
//!
//! A resource of your own that takes part:
//!
//! ```
//! use std::task::{Context, Poll};
//! use chronia_executor::coop;
//!
//! fn poll_next_item(cx: &mut Context<'_>, queue: &mut Vec<u32>) -> Poll<Option<u32>> {
//!     if coop::poll_proceed(cx).is_pending() {
//!         return Poll::Pending;
//!     }
//!     Poll::Ready(queue.pop())
//! }
//! # let mut q = vec![1];
//! # let mut cx = Context::from_waker(std::task::Waker::noop());
//! # assert_eq!(poll_next_item(&mut cx, &mut q), Poll::Ready(Some(1)));
//! ```

use std::cell::Cell;
use std::task::{Context, Poll};

/// The units one poll of a task may spend: 128, as tokio.
///
/// # Examples
///
/// ```
/// assert_eq!(chronia_executor::coop::BUDGET, 128);
/// ```
pub const BUDGET: u32 = 128;

thread_local! {
    /// The units left to the poll running on this thread; `None`: no
    /// budget (not inside a task's poll), unlimited.
    static LEFT: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Spends one unit of the running task's budget: `Ready` if there was one.
/// When the budget is spent, wakes `cx.waker()` and returns `Pending`; the
/// task then yields and gets a fresh budget at its next poll. Outside a
/// task's poll it is always `Ready`. See the [module docs](self).
///
/// # Examples
///
/// ```
/// use std::task::{Context, Poll, Waker};
/// // Not inside a task: no budget, never Pending.
/// let mut cx = Context::from_waker(Waker::noop());
/// for _ in 0..1000 {
///     assert_eq!(chronia_executor::coop::poll_proceed(&mut cx), Poll::Ready(()));
/// }
/// ```
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    // Inline, with one access to the thread-local: it runs before every
    // operation of every resource. `try_with` fails only while the
    // thread's locals are torn down; no task runs then, so there is no
    // budget to keep.
    let spent = LEFT
        .try_with(|left| match left.get() {
            None => false,
            Some(0) => true,
            Some(n) => {
                left.set(Some(n - 1));
                false
            }
        })
        .unwrap_or(false);
    if spent {
        yield_spent(cx)
    } else {
        Poll::Ready(())
    }
}

/// The budget is spent: wake the task so it runs again after the others.
#[cold]
#[inline(never)]
fn yield_spent(cx: &mut Context<'_>) -> Poll<()> {
    cx.waker().wake_by_ref();
    Poll::Pending
}

/// Whether the running task has budget left (always `true` outside a
/// task's poll). Unlike [`poll_proceed`] it spends nothing and wakes
/// nothing.
///
/// # Examples
///
/// ```
/// assert!(chronia_executor::coop::has_budget_remaining());
/// ```
pub fn has_budget_remaining() -> bool {
    LEFT.try_with(Cell::get).ok().flatten() != Some(0)
}

/// A fresh budget for one poll, held by the run loop around it; the
/// previous budget comes back when it drops.
#[derive(Debug)]
pub(crate) struct Budget {
    previous: Option<u32>,
}

impl Budget {
    /// Gives the poll that follows [`BUDGET`] units.
    #[inline]
    pub(crate) fn start() -> Budget {
        let previous = LEFT.try_with(|l| l.replace(Some(BUDGET))).ok().flatten();
        Budget { previous }
    }
}

impl Drop for Budget {
    #[inline]
    fn drop(&mut self) {
        let _ = LEFT.try_with(|l| l.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn a_poll_spends_its_budget_then_yields_and_the_next_starts_full() {
        let mut cx = Context::from_waker(Waker::noop());
        {
            let _budget = Budget::start();
            for _ in 0..BUDGET {
                assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
            }
            assert!(!has_budget_remaining());
            assert_eq!(poll_proceed(&mut cx), Poll::Pending);
        }
        assert!(has_budget_remaining(), "outside a poll: unlimited");
        let _budget = Budget::start();
        assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
    }

    struct Spin;
    impl crate::Unpark for Spin {
        fn unpark(&self) {}
    }
    impl crate::Park for Spin {
        fn park(&mut self, _: Option<std::time::Duration>) {}
        fn unparker(&self) -> std::sync::Arc<dyn crate::Unpark> {
            std::sync::Arc::new(Spin)
        }
    }

    /// Spends budget until `poll_proceed` says `Pending`, `rounds` times;
    /// returns how many units each poll had.
    async fn spend(rounds: usize) -> Vec<u32> {
        let mut per_poll = Vec::new();
        let mut n = 0;
        std::future::poll_fn(|cx| {
            loop {
                if poll_proceed(cx).is_ready() {
                    n += 1;
                    assert!(n <= 10 * BUDGET, "polled without a budget");
                    continue;
                }
                per_poll.push(std::mem::take(&mut n));
                return if per_poll.len() == rounds {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                };
            }
        })
        .await;
        per_poll
    }

    #[test]
    fn the_run_loop_gives_every_poll_of_a_task_and_of_block_on_a_fresh_budget() {
        let ex = crate::LocalExecutor::new();
        let task = ex.spawn(spend(3));
        let main = ex.block_on(spend(3), &mut Spin);
        assert_eq!(main, vec![BUDGET; 3], "the main future of block_on");
        let task = ex.block_on(task, &mut Spin).expect("no panic");
        assert_eq!(task, vec![BUDGET; 3], "a task");
        let other = ex.spawn(spend(1));
        // A stale entry (the task above woke itself as it finished) may
        // come first; each tick polls one thing.
        while !other.is_finished() {
            assert!(ex.try_tick());
        }
        let other = ex
            .block_on(other, &mut Spin)
            .expect("try_tick gives a budget");
        assert_eq!(other, vec![BUDGET]);
        let last = ex.spawn(spend(2));
        ex.run_ready();
        let last = ex
            .block_on(last, &mut Spin)
            .expect("run_ready gives a budget");
        assert_eq!(last, vec![BUDGET; 2]);
        assert!(has_budget_remaining(), "none left over outside a poll");
    }
}
