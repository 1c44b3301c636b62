//! [`yield_now`]: let other tasks run.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Returns a future that is pending once (after waking itself), so that
/// every other ready task runs before the caller goes on.
///
/// # Examples
///
/// ```
/// use chronia_executor::LocalExecutor;
/// use std::{cell::Cell, rc::Rc};
///
/// let ex = LocalExecutor::new();
/// let flag = Rc::new(Cell::new(false));
/// let f = flag.clone();
/// let waiter = ex.spawn(async move {
///     chronia_executor::yield_now().await;
///     f.get() // the other task ran meanwhile
/// });
/// let f = flag.clone();
/// let setter = ex.spawn(async move { f.set(true) });
/// ex.run_ready();
/// assert!(waiter.is_finished() && setter.is_finished());
/// assert!(flag.get());
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
///
/// # Examples
///
/// ```
/// let ex = chronia_executor::LocalExecutor::new();
/// let y: chronia_executor::YieldNow = chronia_executor::yield_now();
/// let handle = ex.spawn(y);
/// assert_eq!(ex.run_ready(), 2);
/// assert!(handle.is_finished());
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
