//! [`SendSleep`]: a [`Sleep`] that `Send + Sync`-bound interfaces accept.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::Sleep;
use crate::sys::thread_bound::ThreadBound;

/// A [`Sleep`] that is `Send + Sync`, for interfaces that demand those
/// bounds of a timer without moving it between threads (hyper's
/// `rt::Sleep`, quinn's and hickory's timers).
///
/// It is a **thread-checked wrapper**, not a thread-safe timer: it must be
/// polled, reset and dropped on the thread that made it, and it panics with
/// a message naming that rule when polled or reset on another thread.
/// Dropped on another thread, it does not panic (`Drop` must not) and is
/// not dropped there either, since its timer belongs to its own thread's
/// runtime: it is handed back to its thread, and dropped there when a
/// runtime of that thread is dropped (at the latest its own runtime, if
/// that is still alive; never, if that thread has ended). chronia's timers live in one heap per runtime, touched without
/// atomics or locks; a genuinely thread-safe sleep would make every sleep
/// pay for a cross-thread handover that single-threaded users (the only
/// users of one runtime's timers) never need. Moving it between threads
/// and back, as `Send` allows, is fine.
///
/// # Examples
///
/// ```
/// use chronia::time::{Duration, Instant, SendSleep};
///
/// fn needs_send_sync<T: Send + Sync>(t: T) -> T { t }
///
/// chronia::block_on(async {
///     let start = Instant::now();
///     let mut sleep = needs_send_sync(SendSleep::new(Duration::from_secs(3600)));
///     sleep.reset(Instant::now() + Duration::from_millis(1)); // in place
///     sleep.await;
///     assert!(start.elapsed() >= Duration::from_millis(1));
/// });
/// ```
#[must_use = "a sleep does nothing unless awaited"]
pub struct SendSleep {
    inner: ThreadBound<Sleep>,
}

const WHAT: &str = "a chronia::time::SendSleep";

impl SendSleep {
    /// A sleep of `duration` on the current runtime, bound to this thread.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{Duration, SendSleep};
    /// chronia::block_on(async { SendSleep::new(Duration::from_micros(100)).await });
    /// ```
    #[track_caller]
    pub fn new(duration: Duration) -> SendSleep {
        SendSleep::from(super::sleep(duration))
    }

    /// A sleep until `deadline` on the current runtime, bound to this thread.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{Duration, Instant, SendSleep};
    /// chronia::block_on(async {
    ///     SendSleep::until(Instant::now() + Duration::from_micros(100)).await;
    /// });
    /// ```
    #[track_caller]
    pub fn until(deadline: Instant) -> SendSleep {
        SendSleep::from(super::sleep_until(deadline))
    }

    /// The deadline.
    ///
    /// # Panics
    ///
    /// On a thread other than the one that made it.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{Instant, SendSleep};
    /// chronia::block_on(async {
    ///     let at = Instant::now();
    ///     assert_eq!(SendSleep::until(at).deadline(), at);
    /// });
    /// ```
    #[track_caller]
    pub fn deadline(&self) -> Instant {
        self.inner.get(WHAT).deadline()
    }

    /// Whether the deadline has passed.
    ///
    /// # Panics
    ///
    /// On a thread other than the one that made it.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{Duration, SendSleep};
    /// chronia::block_on(async {
    ///     assert!(SendSleep::new(Duration::ZERO).is_elapsed());
    /// });
    /// ```
    #[track_caller]
    pub fn is_elapsed(&self) -> bool {
        self.inner.get(WHAT).is_elapsed()
    }

    /// Moves the deadline, in place (no new timer), as [`Sleep::reset`].
    ///
    /// # Panics
    ///
    /// On a thread other than the one that made it, with a message that
    /// names the rule.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{Duration, Instant, SendSleep};
    /// chronia::block_on(async {
    ///     let mut s = SendSleep::new(Duration::from_secs(3600));
    ///     s.reset(Instant::now());
    ///     s.await;
    /// });
    /// ```
    #[track_caller]
    pub fn reset(&mut self, deadline: Instant) {
        self.inner.get_mut(WHAT).reset(deadline);
    }

    /// Whether the calling thread is the one this sleep is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{Duration, SendSleep};
    /// chronia::block_on(async {
    ///     let s = SendSleep::new(Duration::ZERO);
    ///     assert!(s.is_owner_thread());
    ///     let s = std::thread::spawn(move || { assert!(!s.is_owner_thread()); s })
    ///         .join()
    ///         .expect("no panic");
    ///     s.await; // back on its thread
    /// });
    /// ```
    pub fn is_owner_thread(&self) -> bool {
        self.inner.is_owner()
    }
}

impl From<Sleep> for SendSleep {
    /// Binds `sleep` to the calling thread.
    fn from(sleep: Sleep) -> SendSleep {
        SendSleep {
            inner: ThreadBound::new(sleep),
        }
    }
}

impl Future for SendSleep {
    type Output = ();

    /// # Panics
    ///
    /// On a thread other than the one that made it, with a message that
    /// names the rule.
    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(self.inner.get_mut(WHAT)).poll(cx)
    }
}

impl fmt::Debug for SendSleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SendSleep");
        if self.inner.is_owner() {
            d.field("deadline", &self.inner.get(WHAT).deadline());
        }
        d.finish_non_exhaustive()
    }
}
