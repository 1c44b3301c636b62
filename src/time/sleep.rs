//! [`Sleep`]: a future that completes at a deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::runtime::clock::deadline_after;
use crate::runtime::context;
use crate::runtime::driver::Driver;

/// Waits until `duration` has passed.
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use chronia::time::{sleep, Duration, Instant};
/// chronia::block_on(async {
///     let start = Instant::now();
///     sleep(Duration::from_micros(200)).await;
///     assert!(start.elapsed() >= Duration::from_micros(200));
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let driver = context::current("chronia::time::sleep");
    let now = driver.inner.borrow_mut().clock.now();
    Sleep {
        deadline: deadline_after(now, duration),
        entry: None,
        driver,
    }
}

/// Waits until `deadline`.
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use chronia::time::{sleep_until, Duration, Instant};
/// chronia::block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(1);
///     sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        entry: None,
        driver: context::current("chronia::time::sleep_until"),
    }
}

/// The future of [`sleep`] and [`sleep_until`]. It takes a place in the
/// runtime's timer heap only once polled, and leaves it when dropped.
#[must_use = "a sleep does nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    /// The key of this sleep's timer, once registered.
    entry: Option<usize>,
    driver: Rc<Driver>,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Sleep {
    /// The instant this sleep completes at.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{sleep_until, Duration, Instant};
    /// chronia::block_on(async {
    ///     let at = Instant::now() + Duration::from_secs(1);
    ///     assert_eq!(sleep_until(at).deadline(), at);
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed (by the runtime's clock).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{sleep, Duration};
    /// chronia::block_on(async {
    ///     assert!(!sleep(Duration::from_secs(60)).is_elapsed());
    /// });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.deadline <= self.driver.inner.borrow_mut().clock.now()
    }

    /// Moves the deadline, whether or not the sleep has completed; a
    /// completed sleep can be awaited again.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{sleep, Duration, Instant};
    /// chronia::block_on(async {
    ///     let mut s = sleep(Duration::from_secs(3600));
    ///     s.reset(Instant::now() + Duration::from_millis(1));
    ///     s.await;
    /// });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        if let Some(key) = self.entry {
            self.driver.inner.borrow_mut().timers.reset(key, deadline);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut inner = this.driver.inner.borrow_mut();
        match this.entry {
            Some(key) if inner.timers.is_fired(key) => {
                // Fired by the heap, or reset to a deadline in the past.
                if this.deadline <= inner.clock.cached() {
                    Poll::Ready(())
                } else {
                    inner.timers.reset(key, this.deadline);
                    inner.timers.set_waker(key, cx.waker());
                    Poll::Pending
                }
            }
            Some(key) => {
                inner.timers.set_waker(key, cx.waker());
                Poll::Pending
            }
            None if this.deadline <= inner.clock.cached() => Poll::Ready(()),
            None => {
                this.entry = Some(inner.timers.insert(this.deadline, cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.entry.take() {
            // `try_borrow_mut` fails only if the driver is being torn down
            // while this sleep drops inside it; the heap goes with it then.
            if let Ok(mut inner) = self.driver.inner.try_borrow_mut() {
                inner.timers.remove(key);
            }
        }
    }
}
