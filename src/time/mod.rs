//! Timers: [`sleep`], [`sleep_until`], [`timeout`], [`timeout_at`],
//! [`interval`], and
//! virtual time for tests ([`pause`], [`advance`], [`resume`]).
//!
//! All timers of a runtime live in one heap and share one timerfd, armed at
//! the earliest deadline, so a sleep costs no syscall and no fd of its own,
//! and wakes with the kernel's nanosecond precision rather than the whole
//! milliseconds of an `epoll_wait` timeout. A sleep never ends before its
//! deadline. Deadlines too far away to represent saturate to about thirty
//! years from now, so `sleep(Duration::MAX)` is a valid "forever".
//!
//! # Virtual time
//!
//! After [`pause`], the runtime's clock stands still until [`advance`] moves
//! it, or until every task is idle and a timer is pending: then the clock
//! jumps straight to that timer's deadline (auto-advance). Timer tests run
//! in no real time and always in the same order.
//!
//! ```
//! use chronia::time::{self, Duration, Instant};
//!
//! chronia::block_on(async {
//!     time::pause();
//!     let start = Instant::now();
//!     let virtual_start = time::now();
//!     time::sleep(Duration::from_secs(3600)).await; // returns at once
//!     assert!(start.elapsed() < Duration::from_secs(60));
//!     assert_eq!(time::now() - virtual_start, Duration::from_secs(3600));
//! });
//! ```

mod interval;
mod send_sleep;
mod sleep;
mod stream;
mod timeout;

pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use send_sleep::SendSleep;
pub use sleep::{Sleep, sleep, sleep_until};
pub use std::time::{Duration, Instant};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};

use std::future::Future;

use crate::runtime::context;

/// The current time of the current runtime's clock: the real time, or the
/// virtual time while [`pause`]d.
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let t = chronia::time::now();
///     assert!(chronia::time::now() >= t);
/// });
/// ```
#[track_caller]
pub fn now() -> Instant {
    context::current("chronia::time::now").state_mut().now()
}

/// Stops the current runtime's clock: time moves only by [`advance`], or by
/// auto-advance to the next timer when every task is idle.
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use chronia::time::{self, Duration};
/// chronia::block_on(async {
///     time::pause();
///     let t = time::now();
///     time::advance(Duration::from_secs(10)).await;
///     assert_eq!(time::now() - t, Duration::from_secs(10));
/// });
/// ```
#[track_caller]
pub fn pause() {
    context::current("chronia::time::pause").state_mut().pause();
}

/// Lets the current runtime's clock follow real time again.
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     chronia::time::pause();
///     chronia::time::resume();
/// });
/// ```
#[track_caller]
pub fn resume() {
    context::current("chronia::time::resume")
        .state_mut()
        .resume();
}

/// Moves paused time forward by `by`, fires the timers that became due,
/// and yields once so that their tasks run. Has no effect on the clock when
/// time is not paused (it still yields).
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use chronia::time::{self, Duration};
/// chronia::block_on(async {
///     time::pause();
///     let sleep = chronia::spawn(time::sleep(Duration::from_secs(5)));
///     time::advance(Duration::from_secs(5)).await;
///     assert!(sleep.is_finished());
/// });
/// ```
#[track_caller]
pub fn advance(by: Duration) -> impl Future<Output = ()> {
    let driver = context::current("chronia::time::advance");
    {
        let mut wakers = Vec::new();
        driver.state_mut().advance(by, &mut wakers);
        for w in wakers {
            w.wake();
        }
    }
    chronia_executor::yield_now()
}
