//! [`Signal`] as a [`futures_core::Stream`] of deliveries.

use std::pin::Pin;
use std::task::{Context, Poll};

use super::Signal;

/// Yields `()` per delivery (deliveries between two polls coalesce into
/// one, as with [`Signal::recv`]); never ends.
///
/// ```
/// use futures_lite::StreamExt;
///
/// chronia::block_on(async {
///     let mut usr2 = chronia::signal::signal(libc::SIGUSR2)?;
///     # #[allow(unsafe_code)]
///     // SAFETY: raise has no memory-safety preconditions.
///     unsafe { libc::raise(libc::SIGUSR2) };
///     assert_eq!(usr2.next().await, Some(()));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
impl futures_core::Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx).map(Some)
    }
}
