//! [`Interval`] as a [`futures_core::Stream`] of ticks.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use super::Interval;

/// Yields each tick's scheduled instant, as [`Interval::tick`]; never
/// ends.
///
/// ```
/// use chronia::time::{interval, Duration};
/// use futures_lite::StreamExt;
///
/// chronia::block_on(async {
///     let ticks: Vec<_> = interval(Duration::from_millis(1)).take(3).collect().await;
///     assert!(ticks.windows(2).all(|w| w[0] < w[1]));
/// });
/// ```
impl futures_core::Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}
