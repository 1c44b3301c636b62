//! [`Wait`]: what a task waits on, as the runtime on top of the executor
//! notes it, and its 32-bit encoding in the task's header.
//!
//! # Encoding
//!
//! The top 3 bits are the kind (0: no note), the low 29 the value: the fd,
//! the signal number, the pid, or a timer's deadline in whole milliseconds
//! (rounded up) since the executor was made. Values that do not fit (an fd
//! or pid of 2^29 or more) leave no note rather than a wrong one; a
//! deadline more than 2^29 ms (about 6.2 days) after the executor was made
//! is stored as that bound, and [`Wait::Timer`] then says so.

use std::time::{Duration, Instant};

/// What a task waits on, where the runtime knows it: set by the runtime's
/// wait points (an fd's readiness, a timer, a signal, a child) with
/// [`note_wait`] when they return `Pending`, and cleared as the task is
/// polled again. It shows in a task dump ([`TaskInfo::wait`](crate::TaskInfo)).
///
/// # Examples
///
/// ```
/// use chronia_executor::Wait;
///
/// assert_eq!(Wait::Read { fd: 3 }.to_string(), "fd 3 read");
/// assert_eq!(Wait::Signal { signo: 10 }.to_string(), "signal 10");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Wait {
    /// The fd becoming readable.
    Read {
        /// The fd.
        fd: i32,
    },
    /// The fd becoming writable.
    Write {
        /// The fd.
        fd: i32,
    },
    /// A timer.
    Timer {
        /// The deadline, to the millisecond (rounded up).
        due: Instant,
        /// The deadline is more than about 6.2 days after the executor was
        /// made: `due` is that bound, and the real deadline is later.
        later: bool,
    },
    /// A delivery of a signal.
    Signal {
        /// The signal number.
        signo: i32,
    },
    /// A child process's exit.
    Child {
        /// The child's process id.
        pid: u32,
    },
}

const VALUE_BITS: u32 = 29;
const VALUE_MAX: u32 = (1 << VALUE_BITS) - 1;

impl Wait {
    /// The note's encoding for an executor made at `epoch`; 0 (no note) if
    /// the value does not fit.
    pub(crate) fn encode(self, epoch: Instant) -> u32 {
        let (kind, value) = match self {
            Wait::Read { fd } => (1, u32::try_from(fd).ok()),
            Wait::Write { fd } => (2, u32::try_from(fd).ok()),
            Wait::Timer { due, .. } => {
                let since = due.saturating_duration_since(epoch);
                // Whole milliseconds, rounded up: a second is a whole
                // number of them, so only the sub-second part rounds (no
                // 128-bit division of `as_nanos`, ~100 instructions a note).
                let ms = since
                    .as_secs()
                    .saturating_mul(1000)
                    .saturating_add(u64::from(since.subsec_nanos().div_ceil(1_000_000)));
                (
                    3,
                    Some(u32::try_from(ms).unwrap_or(VALUE_MAX).min(VALUE_MAX)),
                )
            }
            Wait::Signal { signo } => (4, u32::try_from(signo).ok()),
            Wait::Child { pid } => (5, Some(pid)),
        };
        match value {
            Some(v) if v <= VALUE_MAX => (kind << VALUE_BITS) | v,
            _ => 0,
        }
    }

    /// The note `code` stands for, for an executor made at `epoch`.
    pub(crate) fn decode(code: u32, epoch: Instant) -> Option<Wait> {
        let value = code & VALUE_MAX;
        // Both fit in i32: 29 bits.
        let signed = i32::try_from(value).ok()?;
        Some(match code >> VALUE_BITS {
            1 => Wait::Read { fd: signed },
            2 => Wait::Write { fd: signed },
            3 => Wait::Timer {
                due: epoch + Duration::from_millis(u64::from(value)),
                later: value == VALUE_MAX,
            },
            4 => Wait::Signal { signo: signed },
            5 => Wait::Child { pid: value },
            _ => return None,
        })
    }
}

impl std::fmt::Display for Wait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Wait::Read { fd } => write!(f, "fd {fd} read"),
            Wait::Write { fd } => write!(f, "fd {fd} write"),
            Wait::Timer { due, later } => {
                let left = due.saturating_duration_since(Instant::now());
                let more = if later { "more than " } else { "" };
                write!(f, "timer due in {more}{left:.3?}")
            }
            Wait::Signal { signo } => write!(f, "signal {signo}"),
            Wait::Child { pid } => write!(f, "child pid {pid}"),
        }
    }
}

/// Notes what the task being polled on this thread waits on; it shows in
/// task dumps until the task is polled again. Does nothing outside a task.
///
/// The runtime's wait points call it as they return `Pending`; it costs a
/// thread-local read and a store.
///
/// # Examples
///
/// ```
/// use chronia_executor::{LocalExecutor, Wait};
///
/// let ex = LocalExecutor::new();
/// let _task = ex.spawn(async {
///     chronia_executor::note_wait(Wait::Signal { signo: 10 });
///     std::future::pending::<()>().await
/// });
/// ex.run_ready();
/// assert_eq!(ex.tasks()[0].wait, Some(Wait::Signal { signo: 10 }));
/// ```
pub fn note_wait(wait: Wait) {
    crate::raw::note_wait(|epoch| wait.encode(epoch));
}

#[cfg(test)]
mod tests {
    use super::Wait;
    use std::time::{Duration, Instant};

    #[test]
    fn notes_round_trip() {
        let epoch = Instant::now();
        for w in [
            Wait::Read { fd: 7 },
            Wait::Write { fd: 0 },
            Wait::Signal { signo: 17 },
            Wait::Child { pid: 4_000_000 },
        ] {
            assert_eq!(Wait::decode(w.encode(epoch), epoch), Some(w));
        }
        let due = epoch + Duration::from_micros(2_500);
        let Some(Wait::Timer { due: back, later }) =
            Wait::decode(Wait::Timer { due, later: false }.encode(epoch), epoch)
        else {
            panic!("a timer note decodes as a timer");
        };
        assert!(!later);
        assert_eq!(back, epoch + Duration::from_millis(3), "rounded up");
        for (after, ms) in [(0, 2000), (1, 2001), (999_999, 2001), (1_000_001, 2002)] {
            let due = epoch + Duration::from_secs(2) + Duration::from_nanos(after);
            let note = Wait::decode(Wait::Timer { due, later: false }.encode(epoch), epoch);
            assert!(
                matches!(note, Some(Wait::Timer { due: back, .. }) if back == epoch + Duration::from_millis(ms)),
                "2 s + {after} ns rounds up to {ms} ms, got {note:?}"
            );
        }
    }

    #[test]
    fn values_that_do_not_fit_leave_no_note() {
        let epoch = Instant::now();
        assert_eq!(Wait::Read { fd: -1 }.encode(epoch), 0);
        assert_eq!(Wait::Child { pid: 1 << 29 }.encode(epoch), 0);
        assert_eq!(Wait::decode(0, epoch), None);
        let far = epoch + Duration::from_secs(30 * 86_400);
        let code = Wait::Timer {
            due: far,
            later: false,
        }
        .encode(epoch);
        assert!(matches!(
            Wait::decode(code, epoch),
            Some(Wait::Timer { later: true, .. })
        ));
    }
}
