//! [`Deadline`]: an [`Instant`] in 8 bytes, for the futures that hold one
//! per sleeping task, and the timer heap's ordering key: a `Sleep` hands
//! its deadline to the heap as it is, with no conversion.
//!
//! An `Instant` is 16 bytes (seconds and nanoseconds); a `Deadline` is the
//! signed number of nanoseconds from one process-wide base instant, taken
//! the first time any deadline is made. That is exact (the round trip gives
//! back the same `Instant`) for every instant within about 292 years of the
//! base, either side; an instant further out clamps to the edge of that
//! range, which is as good as never (or as long ago) for a timer.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The instant every [`Deadline`] counts from. One for the whole process,
/// so a deadline means the same on every runtime and thread.
fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// An instant as signed nanoseconds from [`base`]; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Deadline(i64);

impl Deadline {
    /// The latest deadline: never, for a timer.
    pub(crate) const MAX: Deadline = Deadline(i64::MAX);

    /// `nanos` later, saturating at [`Deadline::MAX`].
    pub(crate) fn saturating_add_nanos(self, nanos: i64) -> Deadline {
        Deadline(self.0.saturating_add(nanos))
    }

    /// `at`, clamped to the representable range (±2^63 ns around the base).
    pub(crate) fn from_instant(at: Instant) -> Deadline {
        let base = base();
        if let Some(after) = at.checked_duration_since(base) {
            Deadline(nanos(after).unwrap_or(i64::MAX))
        } else {
            Deadline(nanos(base.duration_since(at)).map_or(i64::MIN, |n| -n))
        }
    }

    /// The instant this deadline stands for.
    pub(crate) fn to_instant(self) -> Instant {
        let base = base();
        let offset = Duration::from_nanos(self.0.unsigned_abs());
        let at = if self.0 >= 0 {
            base.checked_add(offset)
        } else {
            base.checked_sub(offset)
        };
        // std's `Instant` counts whole seconds in an `i64` from its epoch
        // (boot, for `CLOCK_MONOTONIC`), so 292 years either side of a
        // time since boot fits; the fallback is never taken on Linux.
        at.unwrap_or(base)
    }
}

/// `d` in nanoseconds, if that fits an `i64` (in `u64` arithmetic:
/// cheaper than `Duration::as_nanos`'s `u128`).
fn nanos(d: Duration) -> Option<i64> {
    let n = d
        .as_secs()
        .checked_mul(1_000_000_000)?
        .checked_add(u64::from(d.subsec_nanos()))?;
    i64::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::Deadline;
    use std::time::{Duration, Instant};

    #[test]
    fn instants_within_the_range_round_trip_exactly() {
        let now = Instant::now();
        let year = Duration::from_secs(365 * 86_400);
        for at in [
            now,
            now + Duration::from_nanos(1),
            now + Duration::from_nanos(999_999_999),
            now + Duration::from_secs(10),
            now + 290 * year + Duration::from_nanos(7),
            now.checked_sub(Duration::from_nanos(1)).unwrap_or(now),
            now.checked_sub(Duration::from_secs(3)).unwrap_or(now),
        ] {
            assert_eq!(Deadline::from_instant(at).to_instant(), at);
        }
    }

    #[test]
    fn deadlines_order_as_their_instants() {
        let now = Instant::now();
        let a = Deadline::from_instant(now);
        let b = Deadline::from_instant(now + Duration::from_nanos(1));
        assert!(a < b);
        let earlier = now.checked_sub(Duration::from_millis(1)).unwrap_or(now);
        assert!(Deadline::from_instant(earlier) <= a);
    }

    #[test]
    fn instants_beyond_the_range_clamp_to_its_edge() {
        let now = Instant::now();
        let far = now + Duration::from_secs(400 * 365 * 86_400);
        let clamped = Deadline::from_instant(far);
        assert_eq!(clamped, Deadline(i64::MAX));
        let edge = clamped.to_instant();
        assert!(edge < far && edge > now + Duration::from_secs(290 * 365 * 86_400));
    }
}
