//! [`Interval`]: ticks at a fixed period.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::{Sleep, sleep_until};
use crate::runtime::timers::deadline_after;

/// How late a tick may be seen and still count as on time (as tokio does).
const LATE: Duration = Duration::from_millis(5);

/// What an [`Interval`] does when a tick comes late (the task was busy).
///
/// # Examples
///
/// ```
/// use chronia::time::MissedTickBehavior;
/// assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Delay);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks at once, one after another, to catch up with
    /// the original schedule. Can cause a burst of work after a stall.
    Burst,
    /// The default: after a late tick (seen more than 5 ms after its
    /// schedule) the next comes one full period later, so ticks never come
    /// closer than the period. A stall shifts the schedule instead of
    /// causing a burst; on-time ticks keep the schedule exactly.
    #[default]
    Delay,
    /// Drop the missed ticks and go on at the next tick of the original
    /// schedule.
    Skip,
}

impl MissedTickBehavior {
    /// The deadline after a tick scheduled for `scheduled` was seen at `now`.
    fn next(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => deadline_after(scheduled, period),
            MissedTickBehavior::Delay => deadline_after(now, period),
            MissedTickBehavior::Skip => {
                let late = now.saturating_duration_since(scheduled).as_nanos();
                let period_ns = period.as_nanos().max(1);
                let skipped = u32::try_from(late / period_ns + 1).unwrap_or(u32::MAX);
                deadline_after(scheduled, period.saturating_mul(skipped))
            }
        }
    }
}

/// Ticks every `period`, the first tick at once.
///
/// # Panics
///
/// If `period` is zero (a busy loop), and outside a runtime.
///
/// # Examples
///
/// ```
/// use chronia::time::{interval, Duration};
/// chronia::block_on(async {
///     let mut ticks = interval(Duration::from_millis(1));
///     let first = ticks.tick().await;
///     let second = ticks.tick().await;
///     assert!(second - first >= Duration::from_millis(1));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(crate::time::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
///
/// If `period` is zero, and outside a runtime.
///
/// # Examples
///
/// ```
/// use chronia::time::{interval_at, Duration, Instant};
/// chronia::block_on(async {
///     let start = Instant::now() + Duration::from_millis(1);
///     let mut ticks = interval_at(start, Duration::from_secs(1));
///     assert_eq!(ticks.tick().await, start);
/// });
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "chronia::time::interval: the period must be above zero"
    );
    Interval {
        sleep: sleep_until(start),
        period,
        missed: MissedTickBehavior::default(),
    }
}

/// The stream of ticks of [`interval`].
#[derive(Debug)]
pub struct Interval {
    sleep: Sleep,
    period: Duration,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick; returns the instant it was scheduled for.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{interval, Duration};
    /// chronia::block_on(async {
    ///     let mut ticks = interval(Duration::from_millis(1));
    ///     ticks.tick().await;
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{interval, Duration};
    /// use std::future::poll_fn;
    /// chronia::block_on(async {
    ///     let mut ticks = interval(Duration::from_millis(1));
    ///     poll_fn(|cx| ticks.poll_tick(cx)).await;
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.sleep.deadline();
        // The clock of the sleep's runtime, not the current one's: the two
        // differ (or there is none) when polled elsewhere.
        let now = self.sleep.now();
        // A tick seen within `LATE` of its schedule is on time: the next
        // one keeps the schedule, so wake-up latency does not accumulate.
        // Later than that, the missed-tick behaviour decides.
        let next = if now.saturating_duration_since(scheduled) <= LATE {
            deadline_after(scheduled, self.period)
        } else {
            self.missed.next(scheduled, now, self.period)
        };
        self.sleep.reset(next);
        Poll::Ready(scheduled)
    }

    /// What to do about late ticks; see [`MissedTickBehavior`].
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{interval, Duration, MissedTickBehavior};
    /// chronia::block_on(async {
    ///     let mut ticks = interval(Duration::from_secs(1));
    ///     ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    ///     assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Skip);
    /// });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// The current [`MissedTickBehavior`].
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{interval, Duration, MissedTickBehavior};
    /// chronia::block_on(async {
    ///     let ticks = interval(Duration::from_secs(1));
    ///     assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Delay);
    /// });
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// The period.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{interval, Duration};
    /// chronia::block_on(async {
    ///     assert_eq!(interval(Duration::from_secs(2)).period(), Duration::from_secs(2));
    /// });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Starts over: the next tick comes one period from now (as tokio's
    /// `reset`).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{interval, Duration, Instant};
    /// chronia::block_on(async {
    ///     let mut ticks = interval(Duration::from_millis(5));
    ///     ticks.tick().await;
    ///     let before = Instant::now();
    ///     ticks.reset();
    ///     assert!(ticks.tick().await >= before + Duration::from_millis(5));
    /// });
    /// ```
    pub fn reset(&mut self) {
        let next = deadline_after(self.sleep.now(), self.period);
        self.sleep.reset(next);
    }

    /// The next tick comes at once; the ones after it follow from there.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{interval, Duration, Instant};
    /// chronia::block_on(async {
    ///     let mut ticks = interval(Duration::from_secs(3600));
    ///     ticks.tick().await;
    ///     ticks.reset_immediately();
    ///     let start = Instant::now();
    ///     ticks.tick().await;
    ///     assert!(start.elapsed() < Duration::from_secs(60));
    /// });
    /// ```
    pub fn reset_immediately(&mut self) {
        let now = self.sleep.now();
        self.sleep.reset(now);
    }

    /// The next tick comes `after` from now; the ones after it follow
    /// every period from there.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{interval, Duration, Instant};
    /// chronia::block_on(async {
    ///     let mut ticks = interval(Duration::from_secs(3600));
    ///     ticks.tick().await;
    ///     let before = Instant::now();
    ///     ticks.reset_after(Duration::from_millis(2));
    ///     assert!(ticks.tick().await >= before + Duration::from_millis(2));
    /// });
    /// ```
    pub fn reset_after(&mut self, after: Duration) {
        let next = deadline_after(self.sleep.now(), after);
        self.sleep.reset(next);
    }

    /// The next tick comes at `deadline` (at once if it has passed); the
    /// ones after it follow every period from there.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{interval, Duration, Instant};
    /// chronia::block_on(async {
    ///     let mut ticks = interval(Duration::from_secs(3600));
    ///     ticks.tick().await;
    ///     let at = Instant::now() + Duration::from_millis(2);
    ///     ticks.reset_at(at);
    ///     assert_eq!(ticks.tick().await, at);
    /// });
    /// ```
    pub fn reset_at(&mut self, deadline: Instant) {
        self.sleep.reset(deadline);
    }
}

#[cfg(test)]
mod tests {
    use super::MissedTickBehavior::{Burst, Delay, Skip};
    use std::time::{Duration, Instant};

    #[test]
    fn late_ticks_follow_the_chosen_behaviour() {
        let t0 = Instant::now();
        let p = Duration::from_millis(10);
        let now = t0 + Duration::from_millis(35);
        assert_eq!(Burst.next(t0, now, p), t0 + p);
        assert_eq!(Delay.next(t0, now, p), now + p);
        assert_eq!(Skip.next(t0, now, p), t0 + Duration::from_millis(40));
        assert_eq!(Skip.next(t0, t0, p), t0 + p);
    }
}
