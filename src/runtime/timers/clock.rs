//! The runtime's clock: real time, or virtual time while paused.
//!
//! While paused, time only moves when [`advance`](crate::time::advance) is
//! awaited, or when every task is idle and a timer is pending: then the
//! clock jumps to that timer's deadline (auto-advance). Virtual time never
//! goes backwards.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Clock {
    /// `Some(now)` while paused.
    paused: Option<Instant>,
    /// The last time read, for cheap "has this deadline passed" checks; never
    /// later than the true time.
    cached: Instant,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            paused: None,
            cached: Instant::now(),
        }
    }

    /// The current time; refreshes the cache.
    pub(crate) fn now(&mut self) -> Instant {
        self.cached = self.paused.unwrap_or_else(Instant::now);
        self.cached
    }

    /// The time last read: a lower bound of the current time.
    pub(crate) fn cached(&self) -> Instant {
        self.cached
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused.is_some()
    }

    pub(crate) fn pause(&mut self) {
        if self.paused.is_none() {
            self.paused = Some(Instant::now().max(self.cached));
        }
    }

    pub(crate) fn resume(&mut self) {
        self.paused = None;
    }

    /// Moves paused time forward by `by`; no effect when not paused.
    pub(crate) fn advance(&mut self, by: Duration) {
        if let Some(now) = self.paused {
            self.paused = Some(now.checked_add(by).unwrap_or_else(|| far_future(now)));
            self.cached = self.paused.unwrap_or(self.cached);
        }
    }

    /// Moves paused time forward to `to`, if that is later.
    pub(crate) fn advance_to(&mut self, to: Instant) {
        if let Some(now) = self.paused {
            self.paused = Some(now.max(to));
            self.cached = self.paused.unwrap_or(self.cached);
        }
    }
}

/// About thirty years after `now`: the deadline of a sleep too long to
/// represent, which in practice never comes.
pub(crate) fn far_future(now: Instant) -> Instant {
    let thirty_years = Duration::from_secs(30 * 365 * 86_400);
    now.checked_add(thirty_years).unwrap_or(now)
}

/// `now + d`, saturating at [`far_future`].
pub(crate) fn deadline_after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d).unwrap_or_else(|| far_future(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paused_time_moves_only_when_advanced() {
        let mut c = Clock::new();
        c.pause();
        let t0 = c.now();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(c.now(), t0);
        c.advance(Duration::from_secs(5));
        assert_eq!(c.now(), t0 + Duration::from_secs(5));
        c.advance_to(t0);
        assert_eq!(c.now(), t0 + Duration::from_secs(5), "never backwards");
    }

    #[test]
    fn huge_durations_saturate() {
        let now = Instant::now();
        assert!(deadline_after(now, Duration::MAX) > now + Duration::from_secs(86_400 * 365));
        assert_eq!(
            deadline_after(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
    }
}
