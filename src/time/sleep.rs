//! [`Sleep`]: a future that completes at a deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::runtime::context;
use crate::runtime::driver::Driver;
use crate::runtime::timers::{Deadline, TimerKey, deadline_after};

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
    let now = driver.state_mut().now();
    Sleep {
        deadline: Deadline::from_instant(deadline_after(now, duration)),
        entry: None,
        niche: Niche::Zero,
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
        deadline: Deadline::from_instant(deadline),
        entry: None,
        niche: Niche::Zero,
        driver: context::current("chronia::time::sleep_until"),
    }
}

/// The future of [`sleep`] and [`sleep_until`]. It takes a place in the
/// runtime's timer heap only once polled, and leaves it when it completes
/// or is dropped.
///
/// A `Sleep` belongs to the runtime it was made in, but polled under
/// another runtime it moves its timer there and works: the deadline is an
/// [`Instant`], which means the same on every runtime (unless one of them
/// is [`pause`](crate::time::pause)d: then the clock of the runtime that
/// polls it decides). Polled outside any runtime (by `now_or_never`, say),
/// it completes if its deadline has passed and otherwise waits in its own
/// runtime, which fires it during a later `block_on`.
///
/// A `Sleep` is 24 bytes: it keeps its deadline as nanoseconds from one
/// instant of the process, which is exact for any deadline within 292
/// years of the program's first sleep. A deadline further out (tokio's
/// "far future" of 30 years is well inside) clamps to the edge of that
/// range, and [`deadline`](Sleep::deadline) returns the clamped instant.
#[must_use = "a sleep does nothing unless awaited"]
pub struct Sleep {
    deadline: Deadline,
    /// The key of this sleep's timer, once registered.
    entry: Option<TimerKey>,
    /// Layout only, in what would be padding: see [`Niche`].
    #[expect(dead_code, reason = "never read: it is there for its niche")]
    niche: Niche,
    driver: Rc<Driver>,
}

/// A byte with one valid value, in the padding after `Sleep::entry`: the
/// 255 values it cannot hold are a niche, where an enum that holds a
/// `Sleep` keeps its tag. The executor's task stage (the future, then its
/// output) is one: so a task whose future is a `Sleep` is an 88-byte block
/// (a 96-byte malloc chunk) instead of 96 (112). Neither the deadline (an
/// `i64`) nor the `Rc` (one invalid value) leaves room for two tags.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Niche {
    Zero = 0,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
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
        self.deadline.to_instant()
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
        self.deadline() <= self.driver.state_mut().now()
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
        self.deadline = Deadline::from_instant(deadline);
        let mut state = self.driver.state_mut();
        // A deadline already past is ready at the next poll: `now` refreshes
        // the clock's cache, which the poll compares with, and the timer
        // leaves the heap instead of waiting for a driver turn to fire.
        if deadline <= state.now() {
            if let Some(key) = self.entry.take() {
                state.remove_timer(key);
            }
        } else if let Some(key) = self.entry {
            state.move_timer(key, self.deadline);
        }
    }

    /// The current time of this sleep's runtime's clock.
    pub(crate) fn now(&self) -> Instant {
        self.driver.state_mut().now()
    }

    /// Moves this sleep to the runtime that polls it, if that is another
    /// one: its timer must be in the heap of the runtime that is driven,
    /// or it would never fire. Outside any runtime it stays where it is.
    fn follow_current_runtime(&mut self) {
        let Some(current) = context::other_than(&self.driver) else {
            return;
        };
        if let Some(key) = self.entry.take()
            && let Some(mut state) = self.driver.try_state_mut()
        {
            state.remove_timer(key);
        }
        self.driver = current;
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.follow_current_runtime();
        let at = this.deadline.to_instant();
        let mut state = this.driver.state_mut();
        if at <= state.cached_now() {
            // Fired by the heap, reset to a deadline in the past, or seen
            // elapsed by `is_elapsed`.
            if let Some(key) = this.entry.take() {
                state.remove_timer(key);
            }
            return Poll::Ready(());
        }
        match this.entry {
            Some(key) if state.is_timer_fired(key) => {
                // Fired, then reset to a later deadline before this poll.
                state.move_timer(key, this.deadline);
                state.set_timer_waker(key, cx.waker());
            }
            Some(key) => state.set_timer_waker(key, cx.waker()),
            None => this.entry = Some(state.add_timer(this.deadline, cx.waker().clone())),
        }
        crate::runtime::dump::note_timer(at);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.entry.take() {
            // `try_state_mut` fails only if the driver is being torn down
            // while this sleep drops inside it; the heap goes with it then.
            if let Some(mut state) = self.driver.try_state_mut() {
                state.remove_timer(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sleep_is_its_deadline_a_timer_key_and_a_driver() {
        // 8 (nanoseconds from the process's base instant) + 4
        // (Option<TimerKey>) + 8 (Rc), padded: 24, where an `Instant`
        // deadline made it 32.
        assert_eq!(std::mem::size_of::<super::Sleep>(), 24);
    }

    #[test]
    fn a_sleep_leaves_an_enclosing_enum_room_for_its_tags() {
        // The executor's stage enum needs two tags besides the future
        // (finished, consumed); without `Niche` this is 32.
        assert_eq!(std::mem::size_of::<Option<Option<super::Sleep>>>(), 24);
    }
}
