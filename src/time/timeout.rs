//! [`timeout`]: a deadline for any future.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::{Sleep, sleep, sleep_until};

/// Runs `future` for at most `duration`: its output, or [`Elapsed`] if the
/// time ran out first (the future is then dropped with the `Timeout`). A
/// future that is ready at the first poll wins even with a zero duration.
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use chronia::time::{sleep, timeout, Duration};
/// chronia::block_on(async {
///     assert_eq!(timeout(Duration::from_secs(1), async { 7 }).await, Ok(7));
///     let slow = sleep(Duration::from_secs(60));
///     assert!(timeout(Duration::from_millis(1), slow).await.is_err());
/// });
/// ```
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(duration),
    }
}

/// Runs `future` until `deadline` at most: its output, or [`Elapsed`] if
/// the deadline came first (as [`timeout`], with an instant instead of a
/// duration).
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use chronia::time::{sleep, timeout_at, Duration, Instant};
/// chronia::block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(1);
///     assert_eq!(timeout_at(deadline, async { 7 }).await, Ok(7));
///     assert!(timeout_at(deadline, sleep(Duration::from_secs(60))).await.is_err());
///     assert!(Instant::now() >= deadline);
/// });
/// ```
#[track_caller]
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep_until(deadline),
    }
}

pin_project! {
    /// The future of [`timeout`] and [`timeout_at`].
    #[must_use = "a timeout does nothing unless awaited"]
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The inner future.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::time::{timeout, Duration};
    /// chronia::block_on(async {
    ///     let t = timeout(Duration::from_secs(1), async { 1 });
    ///     let _inner = t.into_inner();
    /// });
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.future.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        match Pin::new(this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The error of a [`timeout`] whose time ran out.
///
/// # Examples
///
/// ```
/// use chronia::time::{timeout, Duration};
/// chronia::block_on(async {
///     let err = timeout(Duration::ZERO, std::future::pending::<()>()).await.unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
///     let io: std::io::Error = err.into();
///     assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}
